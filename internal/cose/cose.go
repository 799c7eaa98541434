// Package cose is ikdkit's one implementation of CBOR Object Signing and
// Encryption messages (RFC 9052): COSE_Sign1 (§4.2, §4.4) with ECDSA
// ES256, ES384 and ES512 (RFC 9053 §2.1, signatures r||s of the curve's
// size) and EdDSA with Ed25519 (RFC 9053 §2.2), and verification of
// COSE_Mac0 (§6.2, §6.3) with HMAC 256/256 (RFC 9053 §3.1). The mdoc
// issuerAuth, deviceSignature and deviceMac, the status list CWT and the
// signed request QR all go through it.
//
// Signing goes through [crypto.Signer] only ([NewSigner]), so an HSM or a
// phone keystore works; the DER signature a signer returns is converted by
// package ecdsasig, which refuses malformed encodings instead of panicking.
//
// Verifying takes the algorithm from the key, never from the message:
// [Sign1.Verify] requires the protected header to name exactly the
// algorithm of the caller's key (RFC 9052 §8.1, as RFC 8725 §3.1 does for
// JOSE). [ParseSign1] and [ParseMac0] decode strictly with package
// strictcbor: the tagged or untagged form the caller asks for, exactly four
// elements, no tags inside, int or text header labels, no duplicate labels
// within or across the two header buckets, and no crit (RFC 9052 §3.1: no
// extension is understood). The hot path does not copy: the parsed message
// aliases its input and the to-be-signed bytes are hashed as they are
// streamed, never assembled (except for Ed25519, which signs the whole
// message).
//
// Every error wraps one of the sentinels of this package; callers map them
// to their own.
package cose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"errors"
	"fmt"

	"github.com/ikdkit/ikdkit/internal/strictcbor"
	"github.com/ikdkit/ikdkit/keys"
)

// Sentinel errors; every error of this package wraps one of them.
var (
	// ErrMalformed: not a COSE message of the expected form. It is wrapped
	// together with the strictcbor error when the CBOR itself is bad, so
	// errors.Is(err, strictcbor.ErrTooLarge) tells an over-cap input.
	ErrMalformed = errors.New("cose: malformed message")
	// ErrAlgorithm: the protected alg is missing, is not the algorithm of
	// the key, or the key is of a type this package does not support.
	ErrAlgorithm = errors.New("cose: algorithm not allowed")
	// ErrSignature: the signature does not verify (or has the wrong length).
	ErrSignature = errors.New("cose: invalid signature")
	// ErrMAC: the COSE_Mac0 tag does not verify.
	ErrMAC = errors.New("cose: invalid MAC")
	// ErrSigner: the crypto.Signer failed or returned a malformed signature,
	// or the caller's parameters cannot be encoded.
	ErrSigner = errors.New("cose: signer failed")
)

// COSE algorithm identifiers (RFC 9053 §2.1, §2.2, §3.1; IANA "COSE
// Algorithms").
const (
	AlgES256   int64 = -7
	AlgES384   int64 = -35
	AlgES512   int64 = -36
	AlgEdDSA   int64 = -8
	AlgHMAC256 int64 = 5 // HMAC 256/256
)

// Header labels (RFC 9052 §3.1, RFC 9360 §2).
const (
	HeaderAlg         int64 = 1
	HeaderCrit        int64 = 2
	HeaderContentType int64 = 3
	HeaderKID         int64 = 4
	HeaderType        int64 = 16 // typ, RFC 9596
	HeaderX5Chain     int64 = 33
	HeaderX5T         int64 = 34
)

// AlgorithmID returns the COSE identifier of alg: ES256 -7, ES384 -35,
// ES512 -36, EdDSA -8 (RFC 9053 §2.1, §2.2).
func AlgorithmID(alg keys.Algorithm) (int64, bool) {
	switch alg {
	case keys.ES256:
		return AlgES256, true
	case keys.ES384:
		return AlgES384, true
	case keys.ES512:
		return AlgES512, true
	case keys.EdDSA:
		return AlgEdDSA, true
	}
	return 0, false
}

// Algorithm returns the algorithm of a COSE identifier, the inverse of
// [AlgorithmID].
func Algorithm(id int64) (keys.Algorithm, bool) {
	switch id {
	case AlgES256:
		return keys.ES256, true
	case AlgES384:
		return keys.ES384, true
	case AlgES512:
		return keys.ES512, true
	case AlgEdDSA:
		return keys.EdDSA, true
	}
	return "", false
}

// KeyAlgorithm returns the COSE algorithm identifier a public key verifies
// with: ES256 for P-256, ES384 for P-384, ES512 for P-521 (RFC 9053 §2.1
// ties each to its curve) and EdDSA for Ed25519 (§2.2). It looks only at
// the key's type and curve (verification rejects an invalid point);
// [NewSigner] validates signing keys with keys.AlgorithmFor.
func KeyAlgorithm(pub crypto.PublicKey) (int64, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k != nil {
			switch k.Curve {
			case elliptic.P256():
				return AlgES256, nil
			case elliptic.P384():
				return AlgES384, nil
			case elliptic.P521():
				return AlgES512, nil
			}
		}
	case ed25519.PublicKey:
		if len(k) == ed25519.PublicKeySize {
			return AlgEdDSA, nil
		}
	}
	return 0, fmt.Errorf("%w: unsupported key %T", ErrAlgorithm, pub)
}

// ecdsaParams returns the hash and the byte size of r and s of an ECDSA
// algorithm (RFC 9053 §2.1), or ok false.
func ecdsaParams(alg int64) (h crypto.Hash, size int, ok bool) {
	switch alg {
	case AlgES256:
		return crypto.SHA256, 32, true
	case AlgES384:
		return crypto.SHA384, 48, true
	case AlgES512:
		return crypto.SHA512, 66, true
	}
	return 0, 0, false
}

// Context strings of the to-be-signed and to-be-MACed structures (RFC 9052
// §4.4, §6.3).
const (
	contextSignature1 = "Signature1"
	contextMAC0       = "MAC0"
)

// prefixLen bounds the to-be-signed bytes in front of the payload: the
// array head, the context (no longer than "Signature1"), two byte-string
// heads with the protected header and external_aad, and the payload's head.
func prefixLen(protected, aad []byte) int {
	return 1 + 1 + len(contextSignature1) + 9 + len(protected) + 9 + len(aad) + 9
}

// appendPrefix appends the Sig_structure (RFC 9052 §4.4) or MAC_structure
// (§6.3) up to the payload's content: [context, body_protected as
// received, external_aad, the head of payload], deterministically encoded.
func appendPrefix(b []byte, context string, protected, aad []byte, payloadLen int) []byte {
	b = append(b, 0x84)
	b = strictcbor.AppendText(b, context)
	b = strictcbor.AppendBytes(b, protected)
	b = strictcbor.AppendBytes(b, aad)
	return strictcbor.AppendHead(b, strictcbor.MajorBytes, uint64(payloadLen))
}
