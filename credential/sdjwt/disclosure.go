package sdjwt

import (
	"crypto"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"unsafe"

	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// Hash algorithm names for _sd_alg (IANA "Named Information Hash Algorithm"
// registry, RFC 9901 §4.1.1).
const (
	SHA256 = "sha-256"
	SHA384 = "sha-384"
	SHA512 = "sha-512"
)

func hashByName(name string) (crypto.Hash, bool) {
	switch name {
	case SHA256:
		return crypto.SHA256, true
	case SHA384:
		return crypto.SHA384, true
	case SHA512:
		return crypto.SHA512, true
	}
	return 0, false
}

// b64Digest is base64url(hash(ASCII(s))), the digest of a disclosure
// (RFC 9901 §4.2.3) and the sd_hash of a presentation (§4.3.1).
func b64Digest(h crypto.Hash, s string) string {
	// One allocation, the result: the input is hashed in place (read
	// through unsafe, never written) and the digest and its base64url
	// stay on the stack.
	var sum [sha512.Size]byte
	var out [(sha512.Size*8 + 5) / 6]byte
	d := digestInto(h, sum[:0], unsafe.Slice(unsafe.StringData(s), len(s)))
	n := base64.RawURLEncoding.EncodedLen(len(d))
	base64.RawURLEncoding.Encode(out[:n], d)
	return string(out[:n])
}

// Disclosure is one disclosure of an SD-JWT (RFC 9901 §4.2): a salt, a claim
// name (absent for an array element) and a value.
//
// A Disclosure obtained from [Parse] has not been verified.
type Disclosure struct {
	encoded string
	digest  string
	salt    string
	name    string
	nameV   any // name as the decoder boxed it (nil if built otherwise)
	hasName bool
	value   any
	path    Path
}

// Encoded returns the disclosure exactly as it appears in the SD-JWT.
func (d *Disclosure) Encoded() string { return d.encoded }

// Digest returns base64url(hash(Encoded())) under the SD-JWT's _sd_alg.
func (d *Disclosure) Digest() string { return d.digest }

// Salt returns the disclosure's salt.
func (d *Disclosure) Salt() string { return d.salt }

// Name returns the claim name of an object-property disclosure; ok is false
// for an array-element disclosure.
func (d *Disclosure) Name() (name string, ok bool) { return d.name, d.hasName }

// Value returns the disclosed value as decoded JSON (map[string]any, []any,
// string, json.Number, bool or nil). Nested selectively disclosable content
// still carries its _sd digests.
func (d *Disclosure) Value() any { return d.value }

// Path returns the claim path this disclosure reveals.
func (d *Disclosure) Path() Path { return d.path }

// nameElem is the claim name as a path element, without boxing it again
// when the decoder already did.
func (d *Disclosure) nameElem() any {
	if d.nameV != nil {
		return d.nameV
	}
	return d.name
}

// parseDisclosure decodes one disclosure (RFC 9901 §4.2.1, §4.2.2) and
// computes its digest over the received string, never a re-encoding (§4.2.3).
func parseDisclosure(encoded string, h crypto.Hash) (*Disclosure, error) {
	raw, err := decodeB64(encoded)
	if err != nil {
		return nil, fmt.Errorf("base64url: %v", err)
	}
	// raw is this function's own buffer, never written again.
	v, err := strictjson.UnmarshalOwned(raw, MaxDepth)
	if err != nil {
		return nil, err
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("not a JSON array")
	}
	d := &Disclosure{encoded: encoded, digest: b64Digest(h, encoded)}
	switch len(arr) {
	case 3: // [salt, name, value]: object property (§4.2.1)
		name, ok := arr[1].(string)
		if !ok {
			return nil, fmt.Errorf("claim name is not a string")
		}
		d.name, d.nameV, d.hasName, d.value = name, arr[1], true, arr[2]
	case 2: // [salt, value]: array element (§4.2.2)
		d.value = arr[1]
	default:
		return nil, fmt.Errorf("array has %d elements, want 2 or 3", len(arr))
	}
	salt, ok := arr[0].(string)
	if !ok {
		return nil, fmt.Errorf("salt is not a string")
	}
	d.salt = salt
	return d, nil
}
