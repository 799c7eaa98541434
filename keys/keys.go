// Package keys reads, writes and generates the keys ikdkit signs and
// verifies with, and names their algorithms ([Algorithm]). Load a key from
// a file with [ParsePublicKey] (JWK, PEM or did:key) or [ParsePrivateKey]
// (JWK or PEM); pass private keys on as [crypto.Signer].
//
// It generates keys for the JWS algorithm names of RFC 7518 §3.1 and
// RFC 8037 §3.1 ([Generate]), maps a public key to its algorithm name
// ([AlgorithmFor]), reads and writes keys as JWK (RFC 7517) and PEM
// (PKCS #8 per RFC 5208/5958, SubjectPublicKeyInfo per RFC 5280 §4.1.2.7,
// X.509 certificates), and computes RFC 7638 JWK thumbprints for use as
// "kid" ([Thumbprint]).
//
// # Supported keys
//
// ECDSA on P-256, P-384 and P-521 (ES256, ES384, ES512) and Ed25519 (EdDSA).
// Everything else (RSA, X25519, secp256k1, symmetric keys) is rejected with
// [ErrUnsupportedKey]: the IKD credential profiles use only these.
//
// # Signing through crypto.Signer
//
// Private keys are handed around as [crypto.Signer] so that an HSM, a cloud
// KMS or a phone's keystore can take their place. Code that signs must never
// type-assert to a concrete private key type. [Opaque] wraps a signer so
// that only Public and Sign remain visible; tests of signing packages use it
// to prove that nothing depends on the concrete type.
//
// All parsers are strict: exact PEM block types, no trailing data, no
// duplicate JSON member names, documented size caps ([MaxPEMSize],
// [MaxJWKSize], [MaxCertificates]).
package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"io"
)

// Algorithm is a signature algorithm, named as in the JOSE registry (RFC 7518
// §3.1, RFC 8037 §3.1). Every signing and verifying package of ikdkit names
// algorithms with it; for COSE the same algorithms have the numbers of RFC
// 9053 (ES256 = -7, ES384 = -35, ES512 = -36, EdDSA = -8). A verifier always
// takes the algorithm from the key ([AlgorithmFor]) or its own policy, never
// from the message (RFC 8725 §3.1); "none", HMAC and RSA are not supported.
type Algorithm string

// The algorithms of ikdkit.
const (
	ES256 Algorithm = "ES256" // ECDSA using P-256 and SHA-256
	ES384 Algorithm = "ES384" // ECDSA using P-384 and SHA-384
	ES512 Algorithm = "ES512" // ECDSA using P-521 and SHA-512
	EdDSA Algorithm = "EdDSA" // Ed25519 (RFC 8037); Ed448 is not supported
)

// Algorithms lists every supported algorithm, strongest curve last.
func Algorithms() []Algorithm { return []Algorithm{ES256, ES384, ES512, EdDSA} }

// Generate creates a new private key for the JWS algorithm alg (one of
// [ES256], [ES384], [ES512], [EdDSA]) using random bytes from r; a nil r
// means crypto/rand. The result is an *ecdsa.PrivateKey or an
// ed25519.PrivateKey, returned as a [crypto.Signer].
//
// Note: since Go 1.24 the standard library ignores r for ECDSA keys and
// always uses its own secure source; only Ed25519 keys are derived from r.
// Do not rely on r for reproducible ECDSA keys.
func Generate(alg Algorithm, r io.Reader) (crypto.Signer, error) {
	if r == nil {
		r = rand.Reader
	}
	switch alg {
	case ES256:
		return ecdsa.GenerateKey(elliptic.P256(), r)
	case ES384:
		return ecdsa.GenerateKey(elliptic.P384(), r)
	case ES512:
		return ecdsa.GenerateKey(elliptic.P521(), r)
	case EdDSA:
		_, priv, err := ed25519.GenerateKey(r)
		if err != nil {
			return nil, err
		}
		return priv, nil
	default:
		return nil, newErr(ErrUnsupportedAlgorithm, "cannot generate a key for %q", alg)
	}
}

// AlgorithmFor returns the JWS algorithm name for a public key: ES256 for
// P-256, ES384 for P-384, ES512 for P-521 (RFC 7518 §3.4 ties each to its
// curve) and EdDSA for Ed25519 (RFC 8037 §3.1). A private key or a
// [crypto.Signer] is accepted too; its public half is used.
func AlgorithmFor(key any) (Algorithm, error) {
	pub, err := publicOf(key)
	if err != nil {
		return "", err
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return ES256, nil
		case elliptic.P384():
			return ES384, nil
		case elliptic.P521():
			return ES512, nil
		}
		return "", newErr(ErrUnsupportedKey, "ECDSA curve %s", curveName(k.Curve))
	case ed25519.PublicKey:
		return EdDSA, nil
	}
	return "", newErr(ErrUnsupportedKey, "key type %T", pub)
}

// publicOf returns the validated public half of a public key, private key
// or signer, and rejects unsupported key types.
func publicOf(key any) (crypto.PublicKey, error) {
	var pub crypto.PublicKey
	switch k := key.(type) {
	case nil:
		return nil, newErr(ErrUnsupportedKey, "nil key")
	case *ecdsa.PublicKey:
		pub = k
	case ed25519.PublicKey:
		pub = k
	case crypto.Signer:
		pub = k.Public()
	default:
		return nil, newErr(ErrUnsupportedKey, "key type %T", key)
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return nil, newErr(ErrUnsupportedKey, "nil ECDSA key")
		}
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return nil, newErr(ErrUnsupportedKey, "ECDSA curve %s", curveName(k.Curve))
		}
		// Bytes fails for points that are not on the curve or are the
		// point at infinity (FIPS 186-5 §6.2 / SEC 1 §3.2.2 validation).
		if _, err := k.Bytes(); err != nil {
			return nil, newErr(ErrInvalidKey, "ECDSA public key: %v", err)
		}
		return k, nil
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, newErr(ErrInvalidKey, "Ed25519 public key is %d bytes, want %d", len(k), ed25519.PublicKeySize)
		}
		return k, nil
	default:
		return nil, newErr(ErrUnsupportedKey, "public key type %T", pub)
	}
}

func curveName(c elliptic.Curve) string {
	if c == nil || c.Params() == nil {
		return "<nil>"
	}
	return c.Params().Name
}
