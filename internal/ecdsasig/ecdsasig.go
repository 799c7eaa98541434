// Package ecdsasig is the ECDSA step that JWS (RFC 7518 §3.4) and COSE
// (RFC 9053 §2.1) share: signing a digest through a crypto.Signer and
// verifying, with the signature in the fixed-width r||s form both put on
// the wire, converted to and from the ASN.1 DER form a crypto.Signer and
// crypto/ecdsa use (ECDSA-Sig-Value, RFC 3279 §2.2.3) without big.Int
// arithmetic.
package ecdsasig

import (
	"crypto"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"slices"

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

// AppendDER appends to b the DER ECDSA-Sig-Value SEQUENCE { r INTEGER,
// s INTEGER } (RFC 3279 §2.2.3) for the fixed-width halves of rs, the form
// crypto/ecdsa.VerifyASN1 takes. rs must have an even length of at most 2×66
// bytes (P-521); leading zero bytes of each half are dropped and a zero byte
// is put in front of a half whose top bit is set (X.690 §8.3.2). It is the
// inverse of [ToRS].
func AppendDER(b, rs []byte) []byte {
	size := len(rs) / 2
	r, s := trimZeros(rs[:size]), trimZeros(rs[size:])
	body := intLen(r) + intLen(s)
	b = append(b, 0x30)
	b = appendLen(b, body)
	return appendInt(appendInt(b, r), s)
}

func trimZeros(v []byte) []byte {
	for len(v) > 0 && v[0] == 0 {
		v = v[1:]
	}
	return v
}

// intLen is the encoded length of a DER INTEGER holding the unsigned v.
func intLen(v []byte) int {
	n := len(v)
	if n == 0 || v[0]&0x80 != 0 {
		n++
	}
	if n >= 0x80 {
		return 3 + n
	}
	return 2 + n
}

func appendLen(b []byte, n int) []byte {
	if n < 0x80 {
		return append(b, byte(n))
	}
	return append(b, 0x81, byte(n)) // n < 256 for every supported curve
}

func appendInt(b, v []byte) []byte {
	b = append(b, 0x02)
	n := len(v)
	pad := n == 0 || v[0]&0x80 != 0
	if pad {
		n++
	}
	b = appendLen(b, n)
	if pad {
		b = append(b, 0)
	}
	return append(b, v...)
}

// ErrSigner reports a crypto.Signer that failed or returned a malformed or
// over-long signature (a broken HSM or keystore driver).
var ErrSigner = errors.New("signer failed")

// Sign signs digest, made with hash h, through the crypto.Signer s (an HSM
// or a phone keystore works) and appends the fixed-width r||s (halves of
// size bytes, the size of the curve order) that JWS and COSE carry. A
// signer error or a DER signature ToRS refuses gives an error wrapping
// ErrSigner, never a panic.
func Sign(rand io.Reader, s crypto.Signer, h crypto.Hash, size int, digest, out []byte) ([]byte, error) {
	der, err := s.Sign(rand, digest, h)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSigner, err)
	}
	n := len(out)
	out = slices.Grow(out, 2*size)[:n+2*size]
	if !ToRS(der, out[n:]) {
		return nil, fmt.Errorf("%w: malformed or over-long ECDSA signature", ErrSigner)
	}
	return out, nil
}

// Verify reports whether rs, a fixed-width r||s, is pub's signature of
// digest.
func Verify(pub *ecdsa.PublicKey, digest, rs []byte) bool {
	var der [2*67 + 8]byte
	return len(rs) <= 2*66 && ecdsa.VerifyASN1(pub, digest, AppendDER(der[:0], rs))
}
