package qr

import (
	"crypto/sha256"
	"crypto/x509"
	"errors"

	"github.com/ikdkit/ikdkit/credential/mdoc"
)

// DocumentSignerRef returns the reference the envelope carries instead of an
// mdoc's x5chain (mdoc.DetachChains): the RFC 9360 x5t thumbprint of the
// document signer certificate with SHA-256/64 (RFC 9054 §2.1), i.e. the
// first 8 bytes of SHA-256 over its DER encoding.
func DocumentSignerRef(cert *x509.Certificate) []byte {
	h := sha256.Sum256(cert.Raw)
	return h[:8]
}

// ChainResolver returns the certificate chain (document signer first) of
// the document signer whose [DocumentSignerRef] is ref, typically from the
// verifier's trust list. It must return an error for an unknown ref.
type ChainResolver func(ref []byte) ([]*x509.Certificate, error)

// StaticChains is a ChainResolver over a fixed set of chains, each
// document signer certificate first.
func StaticChains(chains ...[]*x509.Certificate) ChainResolver {
	m := make(map[[8]byte][]*x509.Certificate, len(chains))
	for _, c := range chains {
		if len(c) > 0 {
			m[[8]byte(DocumentSignerRef(c[0]))] = c
		}
	}
	return func(ref []byte) ([]*x509.Certificate, error) {
		if len(ref) == 8 {
			if c, ok := m[[8]byte(ref)]; ok {
				return c, nil
			}
		}
		return nil, errorf("verify", ErrUnknownSigner, "no document signer with x5t %x", ref)
	}
}

// stripChain replaces each document's x5chain by its x5t
// ([DocumentSignerRef], mdoc.DetachChains): the verifier has the
// certificates in its trust list, and the chain would not fit the QR.
func stripChain(dr []byte) ([]byte, error) {
	out, err := mdoc.DetachChains(dr)
	if err != nil {
		sentinel := ErrMalformed
		if errors.Is(err, mdoc.ErrTooLarge) {
			sentinel = ErrTooLarge
		}
		return nil, wrapErr("encode", sentinel, err, "DeviceResponse")
	}
	return out, nil
}

// restoreChain reverses stripChain with the chain the resolver returns for
// each document's x5t (mdoc.AttachChains checks that the resolved document
// signer has that x5t).
func restoreChain(dr []byte, resolve ChainResolver) ([]byte, error) {
	out, err := mdoc.AttachChains(dr, resolve)
	if err != nil {
		sentinel := ErrMalformed
		switch {
		case errors.Is(err, mdoc.ErrUntrustedIssuer):
			sentinel = ErrUnknownSigner
		case errors.Is(err, mdoc.ErrTooLarge):
			sentinel = ErrTooLarge
		}
		return nil, wrapErr("verify", sentinel, err, "DeviceResponse")
	}
	return out, nil
}
