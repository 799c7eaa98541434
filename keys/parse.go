package keys

import (
	"bytes"
	"crypto"

	"github.com/ikdkit/ikdkit/didkey"
)

// ParsePublicKey reads a public key in any of the forms ikdkit writes and
// its tools accept, told apart by their first bytes (surrounding white space
// is ignored):
//
//   - a public JWK (RFC 7517), as [ParsePublicJWK];
//   - a "PUBLIC KEY" PEM block (SubjectPublicKeyInfo), as [ParsePublicKeyPEM];
//   - a did:key identifier, optionally with a fragment (W3C did:key v0.7),
//     as [didkey.Parse].
//
// Certificates are not keys: read trust anchors with [ParseCertificatesPEM].
// Private keys are refused ([ErrPrivateKeyMaterial] for a private JWK,
// [ErrMalformed] for a private PEM block), so a secret is never taken for a
// public key.
func ParsePublicKey(data []byte) (crypto.PublicKey, error) {
	t := bytes.TrimSpace(data)
	switch {
	case bytes.HasPrefix(t, []byte("{")):
		return ParsePublicJWK(t)
	case bytes.HasPrefix(t, []byte("-----BEGIN")):
		return ParsePublicKeyPEM(t)
	case bytes.HasPrefix(t, []byte("did:key:")):
		if len(t) > MaxJWKSize {
			return nil, newErr(ErrTooLarge, "did:key of %d bytes", len(t))
		}
		id, _, _ := bytes.Cut(t, []byte("#"))
		d, err := didkey.Parse(string(id))
		if err != nil {
			return nil, newErr(ErrMalformed, "did:key: %v", err)
		}
		return publicOf(d.PublicKey())
	}
	return nil, newErr(ErrMalformed, "not a JWK, PEM public key or did:key")
}

// ParsePrivateKey reads a private key as a [crypto.Signer] from a private
// JWK ([ParsePrivateJWK]) or a "PRIVATE KEY" PEM block
// ([ParsePrivateKeyPEM]), told apart by their first bytes.
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	t := bytes.TrimSpace(data)
	switch {
	case bytes.HasPrefix(t, []byte("{")):
		return ParsePrivateJWK(t)
	case bytes.HasPrefix(t, []byte("-----BEGIN")):
		return ParsePrivateKeyPEM(t)
	}
	return nil, newErr(ErrMalformed, "not a private JWK or PEM private key")
}
