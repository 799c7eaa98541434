package oid4vci

import "github.com/ikdkit/ikdkit/internal/strictjson"

// marshal encodes v as compact JSON without HTML escaping.
func marshal(v any) ([]byte, error) { return strictjson.Marshal(v) }

// validDPoPNonce checks the syntax of a DPoP nonce: 1*NQCHAR, NQCHAR =
// %x21 / %x23-5B / %x5D-7E (RFC 9449 §8.1), at most MaxNonceLen bytes.
func validDPoPNonce(s string) bool {
	if s == "" || len(s) > MaxNonceLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E)) {
			return false
		}
	}
	return true
}
