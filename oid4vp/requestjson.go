package oid4vp

import (
	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// The objects of OpenID4VP are read with strictjson.Fields: unrecognized
// parameters are ignored, as OpenID4VP requires (§5.1, §8.1, §11.1), and
// every string read is at most MaxStringLen bytes.

// newReader returns the reader of an object decoded by strictjson.
func newReader(m map[string]any, path string) *strictjson.Fields {
	return strictjson.NewFields(m, path, MaxStringLen)
}

// readObject checks the size and decodes a JSON object strictly (no
// duplicate member names, valid UTF-8, no trailing data, at most depth
// levels).
func readObject(what string, data []byte, max, depth int) (*strictjson.Fields, error) {
	r, err := strictjson.DecodeFields(what, data, max, depth, MaxStringLen)
	if err != nil {
		return nil, malformed("%v", err)
	}
	return r, nil
}

// MaxURLLen caps every URL a message may carry.
const MaxURLLen = strictjson.MaxURLLen

// CheckURL checks a URL a Verifier sends: response_uri, redirect_uri,
// request_uri and the URL of a redirect_uri Client Identifier. It must be
// an absolute https URL with a host, no userinfo and no fragment (RFC
// 9700 §2.1, §4.1: exact, TLS-protected redirect URIs), at most
// [MaxURLLen] bytes. http is accepted for a loopback host only
// (localhost, 127.0.0.1, ::1), for tests and the demo; a Wallet following
// such a URL from an untrusted request reaches the phone itself. The rule
// is the one oid4vci.CheckURL applies.
func CheckURL(s string) error { return strictjson.CheckURL(s) }

// urlSafe reports whether s holds only the ASCII URL safe characters that
// nonce and state may use: letters, digits, '-', '.', '_', '~' (§5.2).
func urlSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}
