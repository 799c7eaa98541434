// Package ecdsasig converts ECDSA signatures from the ASN.1 DER form a
// crypto.Signer returns (ECDSA-Sig-Value, RFC 3279 §2.2.3) to the
// fixed-width r||s form that JWS (RFC 7518 §3.4) and COSE (RFC 9053 §2.1)
// put on the wire, without big.Int arithmetic.
package ecdsasig

import (
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// ToRS writes the DER ECDSA-Sig-Value der, SEQUENCE { r INTEGER,
// s INTEGER }, as r||s into out, whose halves are the curve's byte size
// (64 bytes for P-256). It reports false, leaving out unspecified, for
// trailing data, negative or non-minimally encoded integers (X.690
// §8.3.2) and integers longer than half of out.
func ToRS(der []byte, out []byte) bool {
	var seq, r, s cryptobyte.String
	in := cryptobyte.String(der)
	if len(out) == 0 || len(out)%2 != 0 ||
		!in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1(&r, cbasn1.INTEGER) || !seq.ReadASN1(&s, cbasn1.INTEGER) || !seq.Empty() {
		return false
	}
	size := len(out) / 2
	return fillUnsigned(out[:size], r) && fillUnsigned(out[size:], s)
}

// fillUnsigned writes the DER INTEGER content b, which must be positive or
// zero and minimally encoded, right-aligned into out.
func fillUnsigned(out, b []byte) bool {
	if len(b) == 0 || b[0]&0x80 != 0 {
		return false
	}
	if len(b) > 1 && b[0] == 0 {
		if b[1]&0x80 == 0 {
			return false // a leading zero only where the next bit is set
		}
		b = b[1:]
	}
	if len(b) > len(out) {
		return false
	}
	clear(out[:len(out)-len(b)])
	copy(out[len(out)-len(b):], b)
	return true
}
