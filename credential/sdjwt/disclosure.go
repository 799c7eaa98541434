package sdjwt

import (
	"crypto"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"unsafe"

	"github.com/ikdkit/ikdkit/internal/jose"
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
	var out [b64DigestMax]byte
	return string(b64DigestTo(out[:], h, s))
}

// b64DigestMax is the longest base64url digest, of SHA-512.
const b64DigestMax = (sha512.Size*8 + 5) / 6

// b64DigestLen is the length of the base64url of an h digest.
func b64DigestLen(h crypto.Hash) int { return base64.RawURLEncoding.EncodedLen(h.Size()) }

// b64DigestTo writes base64url(hash(ASCII(s))) to the start of dst, which
// holds at least b64DigestLen(h) bytes, and returns that part of dst. s is
// hashed in place (read through unsafe, never written) and the digest
// stays on the stack.
func b64DigestTo(dst []byte, h crypto.Hash, s string) []byte {
	var sum [sha512.Size]byte
	d := digestInto(h, sum[:0], unsafe.Slice(unsafe.StringData(s), len(s)))
	n := base64.RawURLEncoding.EncodedLen(len(d))
	base64.RawURLEncoding.Encode(dst[:n], d)
	return dst[:n]
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

// decode reads one disclosure (RFC 9901 §4.2.1, §4.2.2) into d and computes
// its digest over the received string, never a re-encoding (§4.2.3).
//
// The caller lends two buffers that d's strings share afterwards and that
// nobody writes again: raw, at least base64.RawURLEncoding.DecodedLen(
// len(encoded)) bytes, for the decoded JSON, and digest, b64DigestLen(h)
// bytes. It returns how much of raw it used. The JSON is read as the
// array it must be, without building the array: salt and name straight
// into d, the value decoded as strictjson decodes any value.
func (d *Disclosure) decode(encoded string, h crypto.Hash, raw, digest []byte, boxes *strictjson.Boxes) (int, error) {
	n, err := jose.DecodeTo(raw, encoded)
	if err != nil {
		return 0, fmt.Errorf("base64url: %v", err)
	}
	s := strictjson.NewBoxedScanner(raw[:n], MaxDepth, boxes)
	if c, _ := s.Peek(); c != '[' {
		return 0, errors.New("not a JSON array")
	}
	if err := s.Expect('['); err != nil {
		return 0, err
	}
	if c, _ := s.Peek(); c != '"' {
		if c == ']' {
			return 0, errors.New("array has 0 elements, want 2 or 3")
		}
		if _, err := s.Value(); err != nil {
			return 0, err
		}
		return 0, errors.New("salt is not a string")
	}
	salt, err := s.String()
	if err != nil {
		return 0, err
	}
	if c, _ := s.Peek(); c == ']' {
		return 0, errors.New("array has 1 element, want 2 or 3")
	}
	if err := s.Expect(','); err != nil {
		return 0, err
	}
	// The second element: the claim name of [salt, name, value] or the
	// value of [salt, value]. A string is read unboxed, and boxed only if
	// it turns out to be the value.
	var name string
	var second any
	isString := false
	if c, _ := s.Peek(); c == '"' {
		if name, err = s.String(); err != nil {
			return 0, err
		}
		isString = true
	} else if second, err = s.Value(); err != nil {
		return 0, err
	}
	c, _ := s.Peek()
	switch c {
	case ']': // [salt, value]: array element (§4.2.2)
		if isString {
			second = name
		}
		*d = Disclosure{value: second}
	case ',': // [salt, name, value]: object property (§4.2.1)
		s.Expect(',')
		if !isString {
			if _, err := s.Value(); err != nil {
				return 0, err
			}
			return 0, errors.New("claim name is not a string")
		}
		v, err := s.Value()
		if err != nil {
			return 0, err
		}
		if c, _ := s.Peek(); c == ',' {
			return 0, errors.New("array has more than 3 elements, want 2 or 3")
		}
		*d = Disclosure{name: name, hasName: true, value: v}
	default:
		return 0, s.Expect(']') // the syntax error
	}
	if err := s.Expect(']'); err != nil {
		return 0, err
	}
	if err := s.End(); err != nil {
		return 0, err
	}
	d.encoded, d.salt = encoded, salt
	dg := b64DigestTo(digest, h, encoded)
	d.digest = unsafe.String(&dg[0], len(dg))
	return n, nil
}
