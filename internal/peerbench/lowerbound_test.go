package peerbench

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// verifyLowerBound is the least work RFC 9901 leaves any verifier of this
// presentation, in any language: the floor (two signing inputs hashed, two
// ES256 verifications), plus base64url-decoding the issuer payload (to
// read the digests and cnf) and the KB-JWT payload, the holder key from
// cnf.jwk made a public key on its curve (RFC 7800 §3.2), and for every
// disclosure its base64url decoding (§4.2.1) and the base64url of its
// SHA-256 digest over the string as received (§4.2.3, §7.1 step 3), and
// the sd_hash over the SD-JWT (§4.3.1, §7.3 step 5), begun from the hash
// of the issuer JWT's signing input, which is its first part (sdHash). It
// parses no JSON, compares nothing and allocates nothing of its own beyond
// what the standard library does, so it is below what any real verifier
// costs: the gap between it and ikdkit is what JSON, maps and checks cost.
func (f *fixture) verifyLowerBound() error {
	if err := f.verifyFloorSharing(); err != nil {
		return err
	}
	p := f.presBytes
	s := f.presentation
	first, last := strings.IndexByte(s, '~'), strings.LastIndexByte(s, '~')
	b64 := base64.RawURLEncoding
	buf := f.scratch
	dec := func(from, to int) error {
		_, err := b64.Decode(buf, p[from:to])
		return err
	}
	var digest [43]byte
	// The issuer payload and the KB-JWT payload.
	if err := dec(strings.IndexByte(s, '.')+1, strings.LastIndexByte(s[:first], '.')); err != nil {
		return err
	}
	kb := last + 1
	if err := dec(kb+strings.IndexByte(s[kb:], '.')+1, kb+strings.LastIndexByte(s[kb:], '.')); err != nil {
		return err
	}
	if _, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), f.holderRaw); err != nil {
		return err
	}
	// Every disclosure.
	for i := first + 1; i < last; {
		j := i + strings.IndexByte(s[i:], '~')
		if err := dec(i, j); err != nil {
			return err
		}
		sum := sha256.Sum256(p[i:j])
		b64.Encode(digest[:], sum[:])
		i = j + 1
	}
	// sd_hash.
	f.sdHash(digest[:])
	if digest[0] == 0 {
		return errors.New("lower bound: no digest")
	}
	return nil
}

// verifyFloorSharing is verifyFloor with the issuer JWT's signing input
// hashed into f.prefix, which sdHash goes on from: the signing input is
// the first part of what sd_hash covers (RFC 9901 §4.3.1), so no verifier
// needs to hash it twice.
func (f *fixture) verifyFloorSharing() error {
	if f.prefix == nil {
		f.prefix = sha256.New()
	}
	f.prefix.Reset()
	f.prefix.Write(f.issuerInput)
	var d1 [sha256.Size]byte
	f.prefix.Sum(d1[:0])
	d2 := sha256.Sum256(f.kbInput)
	if !ecdsa.VerifyASN1(f.issuerPub, d1[:], f.issuerSig) || !ecdsa.VerifyASN1(f.holderPub, d2[:], f.kbSig) {
		return errors.New("floor: signature invalid")
	}
	return nil
}

// sdHash writes the base64url sd_hash of the presentation into dst, going
// on from the hash of the issuer JWT's signing input verifyFloorSharing
// left in f.prefix.
func (f *fixture) sdHash(dst []byte) {
	last := strings.LastIndexByte(f.presentation, '~')
	f.prefix.Write(f.presBytes[len(f.issuerInput) : last+1])
	var sum [sha256.Size]byte
	base64.RawURLEncoding.Encode(dst, f.prefix.Sum(sum[:0]))
}
