package cose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"

	"github.com/ikdkit/ikdkit/internal/ecdsasig"
)

// Verify checks the signature of a COSE_Sign1 with an attached payload
// over the Sig_structure with externalAAD (RFC 9052 §4.4; nil means an
// empty external_aad). The algorithm is pub's ([KeyAlgorithm]); the
// protected header must name exactly it.
func (m *Sign1) Verify(pub crypto.PublicKey, externalAAD []byte) error {
	if m.Detached {
		return malformed("payload is detached")
	}
	return m.verify(pub, m.Payload, externalAAD)
}

// VerifyDetached is [Sign1.Verify] for a message whose payload is
// detached (nil on the wire, RFC 9052 §2) and transported as payload.
func (m *Sign1) VerifyDetached(pub crypto.PublicKey, payload, externalAAD []byte) error {
	if !m.Detached {
		return malformed("payload is attached")
	}
	return m.verify(pub, payload, externalAAD)
}

// checkAlg requires the protected alg to equal alg, and alg to be absent
// from the unprotected bucket: the algorithm comes from the key, and the
// header that names it must be covered by the signature (RFC 9052 §3.1 and
// §8.1).
func (m *Message) checkAlg(alg int64) error {
	if m.Unprotected.Has(HeaderAlg) {
		return fmt.Errorf("%w: alg in the unprotected header", ErrAlgorithm)
	}
	got, ok, err := m.Protected.Int(HeaderAlg)
	if err != nil || !ok {
		return fmt.Errorf("%w: no integer alg in the protected header", ErrAlgorithm)
	}
	if got != alg {
		return fmt.Errorf("%w: alg %d, the key requires %d", ErrAlgorithm, got, alg)
	}
	return nil
}

func (m *Sign1) verify(pub crypto.PublicKey, payload, aad []byte) error {
	alg, err := KeyAlgorithm(pub)
	if err != nil {
		return err
	}
	if err := m.checkAlg(alg); err != nil {
		return err
	}
	if h, size, ok := ecdsaParams(alg); ok {
		k := pub.(*ecdsa.PublicKey)
		// RFC 9053 §2.1: the signature is r||s, each the size of the
		// curve's order in bytes.
		if len(m.Signature) != 2*size {
			return fmt.Errorf("%w: ECDSA signature of %d bytes, want %d", ErrSignature, len(m.Signature), 2*size)
		}
		hw := newHash(h)
		writeToBeSigned(hw, contextSignature1, m.RawProtected, aad, payload)
		var sum [sha512.Size]byte
		if !ecdsasig.Verify(k, hw.Sum(sum[:0]), m.Signature) {
			return ErrSignature
		}
		return nil
	}
	// RFC 9053 §2.2: Ed25519 signs the ToBeSigned bytes themselves.
	k := pub.(ed25519.PublicKey)
	tbs := appendPrefix(make([]byte, 0, prefixLen(m.RawProtected, aad)+len(payload)), contextSignature1, m.RawProtected, aad, len(payload))
	if !ed25519.Verify(k, append(tbs, payload...), m.Signature) {
		return ErrSignature
	}
	return nil
}

func newHash(h crypto.Hash) hash.Hash {
	switch h {
	case crypto.SHA256:
		return sha256.New()
	case crypto.SHA384:
		return sha512.New384()
	}
	return sha512.New()
}

// writeToBeSigned streams the Sig_structure or MAC_structure into h
// without copying the payload.
func writeToBeSigned(h hash.Hash, context string, protected, aad, payload []byte) {
	var buf [64]byte
	b := buf[:0]
	if prefixLen(protected, aad) > len(buf) {
		b = nil // a long protected header or external_aad: let append allocate
	}
	h.Write(appendPrefix(b, context, protected, aad, len(payload)))
	h.Write(payload)
}

// Verify checks the tag of a COSE_Mac0 with an attached payload: HMAC
// 256/256 (RFC 9053 §3.1) with key over the MAC_structure with
// externalAAD (RFC 9052 §6.3). The protected header must name HMAC 256/256,
// the only MAC algorithm supported.
func (m *Mac0) Verify(key, externalAAD []byte) error {
	if m.Detached {
		return malformed("payload is detached")
	}
	return m.verify(key, m.Payload, externalAAD)
}

// VerifyDetached is [Mac0.Verify] for a detached payload (ISO 18013-5
// §9.1.3.5: the DeviceMac payload is null).
func (m *Mac0) VerifyDetached(key, payload, externalAAD []byte) error {
	if !m.Detached {
		return malformed("payload is attached")
	}
	return m.verify(key, payload, externalAAD)
}

func (m *Mac0) verify(key, payload, aad []byte) error {
	if err := m.checkAlg(AlgHMAC256); err != nil {
		return err
	}
	if len(key) == 0 {
		return fmt.Errorf("%w: empty key", ErrMAC)
	}
	mac := hmac.New(sha256.New, key)
	writeToBeSigned(mac, contextMAC0, m.RawProtected, aad, payload)
	var sum [sha256.Size]byte
	// RFC 9053 §3.1: HMAC 256/256 carries the full 256-bit tag.
	if !hmac.Equal(mac.Sum(sum[:0]), m.Signature) {
		return ErrMAC
	}
	return nil
}
