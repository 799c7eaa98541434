package oid4vci

import (
	"errors"

	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// ErrMalformed is wrapped by every error of a parser of this package:
// the message is not what the specification allows (bad JSON, duplicate
// member names, a missing or mistyped member, an unknown enum value, a
// non-https URL, too large).
var ErrMalformed = errors.New("oid4vci: malformed message")

// The messages of OpenID4VCI are read with strictjson.Fields: every one
// of them says that unrecognized parameters MUST be ignored, and their
// strings have no cap beyond the message's size (maxString 0).

// newFields returns the reader of an object decoded by strictjson.
func newFields(m map[string]any, path string) *strictjson.Fields {
	return strictjson.NewFields(m, path, 0)
}

// decodeObject checks the size and decodes a JSON object strictly:
// duplicate member names, invalid UTF-8, trailing data and nesting beyond
// depth are refused (internal/strictjson).
func decodeObject(what string, data []byte, max, depth int) (*strictjson.Fields, error) {
	return strictjson.DecodeFields(what, data, max, depth, 0)
}
