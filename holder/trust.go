package holder

import (
	"crypto"
	"crypto/x509"
	"errors"

	"github.com/ikdkit/ikdkit/credential/sdjwt"
)

// IssuerTrust is the wallet's view of the trust list for imports: the keys
// of the issuers whose SD-JWT VCs it accepts, and the IACA roots its mdocs'
// document signer certificates must chain to. A signed trust list (package
// credential/trustlist) or a fixed set (StaticTrust) implements it.
type IssuerTrust interface {
	// ResolveIssuerKey returns the key of a trusted SD-JWT VC issuer, or an
	// error for an issuer not on the list (see sdjwt.KeyResolver).
	sdjwt.KeyResolver
	// MdocRoots returns the trusted IACA roots, or nil if none.
	MdocRoots() *x509.CertPool
}

// StaticTrust is an IssuerTrust over fixed keys and roots.
type StaticTrust struct {
	// Issuers maps an issuer identifier (the SD-JWT iss) to its key.
	Issuers map[string]crypto.PublicKey
	// Roots are the IACA roots for mdocs.
	Roots *x509.CertPool
}

var _ IssuerTrust = StaticTrust{}

var errUnknownIssuer = errors.New("issuer not on the trust list")

// ResolveIssuerKey returns the key registered for info.Issuer.
func (s StaticTrust) ResolveIssuerKey(info sdjwt.IssuerKeyInfo) (crypto.PublicKey, error) {
	if k, ok := s.Issuers[info.Issuer]; ok && info.Issuer != "" {
		return k, nil
	}
	return nil, errUnknownIssuer
}

// MdocRoots returns s.Roots.
func (s StaticTrust) MdocRoots() *x509.CertPool { return s.Roots }
