package holder

import (
	"crypto"
	"crypto/x509"
	"errors"

	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/credential/trustlist"
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

// TrustList adapts a verified trust list (package credential/trustlist) to
// IssuerTrust. Beyond the key and root lookups it also checks, at import,
// that the issuer is authorised for the credential's type (List.Authorized:
// the SD-JWT VC's iss for its vct; for an mdoc, the issuer listing the IACA
// root the document signer chains to, for its doctype).
func TrustList(l *trustlist.List) IssuerTrust { return trustListTrust{l} }

var _ IssuerTrust = trustListTrust{}

type trustListTrust struct{ l *trustlist.List }

// typeAuthorizer is implemented by trusts that know which issuer may issue
// which type.
type typeAuthorizer interface {
	authorizedSDJWT(iss, vct string) bool
	authorizedMdoc(root *x509.Certificate, docType string) bool
}

func (t trustListTrust) ResolveIssuerKey(info sdjwt.IssuerKeyInfo) (crypto.PublicKey, error) {
	return t.l.KeyResolver().ResolveIssuerKey(info)
}

func (t trustListTrust) MdocRoots() *x509.CertPool { return t.l.AllIACARoots() }

func (t trustListTrust) authorizedSDJWT(iss, vct string) bool { return t.l.Authorized(iss, vct) }

func (t trustListTrust) authorizedMdoc(root *x509.Certificate, docType string) bool {
	is, ok := t.l.IssuerByRoot(root)
	return ok && t.l.Authorized(is.ID, docType)
}
