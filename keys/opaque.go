package keys

import (
	"crypto"
	"io"
)

// Opaque wraps s so that the result exposes only Public and Sign. Type
// assertions to *ecdsa.PrivateKey, ed25519.PrivateKey or any other concrete
// type fail on it, just as they would for an HSM- or keystore-backed signer.
// Tests of packages that sign use it to prove they work with any
// [crypto.Signer]. Opaque(nil) returns nil.
func Opaque(s crypto.Signer) crypto.Signer {
	if s == nil {
		return nil
	}
	return opaqueSigner{s: s}
}

// opaqueSigner is deliberately a struct with an unexported field, so the
// wrapped key cannot be reached through reflection-free code.
type opaqueSigner struct{ s crypto.Signer }

var _ crypto.Signer = opaqueSigner{}

// Public returns the wrapped signer's public key.
func (o opaqueSigner) Public() crypto.PublicKey { return o.s.Public() }

// Sign delegates to the wrapped signer.
func (o opaqueSigner) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return o.s.Sign(rand, digest, opts)
}
