package trustlist

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"slices"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/didkey"
)

// Caps on the content of a trust list. A national list (a handful of
// issuers, a few thousand registered verifiers) stays far below them.
const (
	// MaxTokenSize caps the serialized trust list token in bytes.
	MaxTokenSize = 4 << 20
	// MaxIssuers caps the number of issuers.
	MaxIssuers = 256
	// MaxVerifiers caps the number of registered verifiers.
	MaxVerifiers = 8192
	// MaxKeys caps the keys of one issuer or verifier.
	MaxKeys = 16
	// MaxCertificates caps the IACA roots, and separately the document
	// signer certificates, of one issuer.
	MaxCertificates = 16
	// MaxTypes caps the authorised vct plus doctype values of one issuer,
	// and the credential types in one verifier's claims map.
	MaxTypes = 64
	// MaxClaims caps the claim names one verifier may request per type.
	MaxClaims = 256
	// MaxStringLen caps every string (ids, names, kids, types, claims).
	MaxStringLen = 2048
	// maxDepth bounds JSON nesting in the payload.
	maxDepth = 8
)

// Key is a public key of an issuer or verifier, identified by its kid.
type Key struct {
	// ID is the key's kid. For a key given as a did:key without an
	// explicit kid it is the DID URL did:key:z…#z… .
	ID string
	// DID is the did:key the key was given as, or "" for a JWK.
	DID string
	// Public is an *ecdsa.PublicKey (P-256/384/521) or ed25519.PublicKey.
	Public crypto.PublicKey
}

// Issuer is one trusted credential issuer.
type Issuer struct {
	// ID is the issuer identifier: the iss of its SD-JWT VCs (an https URL).
	ID string
	// Name is the display name, e.g. "Ditjen Dukcapil Kemendagri".
	Name string
	// Keys are the keys that sign its SD-JWT VCs.
	Keys []Key
	// IACARoots are the IACA root certificates its mdoc document signers
	// chain to (ISO/IEC 18013-5 Annex B.1.2).
	IACARoots []*x509.Certificate
	// DocumentSigners are its current document signer certificates, so that
	// a compact presentation may omit the x5chain (optional).
	DocumentSigners []*x509.Certificate
	// VCTs are the SD-JWT VC types it is authorised to issue.
	VCTs []string
	// DocTypes are the mdoc doctypes it is authorised to issue.
	DocTypes []string
}

// Verifier is a registered verifier ("pengguna data").
type Verifier struct {
	// ID is the verifier identifier: the aud of presentations made to it.
	ID string
	// Name is the display name.
	Name string
	// Keys are its keys (for signed requests).
	Keys []Key
	// Claims maps a credential type (vct or doctype) to the claim names
	// (SD-JWT top-level claims or mdoc element identifiers) it may request.
	Claims map[string][]string
}

// MayRequest reports whether the verifier may request claim of credential
// type typ.
func (v *Verifier) MayRequest(typ, claim string) bool {
	return slices.Contains(v.Claims[typ], claim)
}

// List is a verified trust list. It is immutable: get one from [Verify] or a
// [Store], and do not modify the slices and maps it hands out.
type List struct {
	// Operator is the operator identifier (iss).
	Operator string
	// Sequence is the list's sequence number.
	Sequence uint64
	// IssuedAt and NextUpdate are the list's iat and next_update.
	IssuedAt, NextUpdate time.Time
	// Issuers and Verifiers are the entries, in document order.
	Issuers   []Issuer
	Verifiers []Verifier

	issuerByID   map[string]*Issuer
	verifierByID map[string]*Verifier
	rootsByType  map[string]*x509.CertPool
	allRoots     *x509.CertPool
}

// index builds the lookup tables; called once after validation.
func (l *List) index() {
	l.issuerByID = make(map[string]*Issuer, len(l.Issuers))
	l.verifierByID = make(map[string]*Verifier, len(l.Verifiers))
	l.rootsByType = make(map[string]*x509.CertPool)
	l.allRoots = x509.NewCertPool()
	for i := range l.Issuers {
		is := &l.Issuers[i]
		l.issuerByID[is.ID] = is
		for _, c := range is.IACARoots {
			l.allRoots.AddCert(c)
			for _, dt := range is.DocTypes {
				p := l.rootsByType[dt]
				if p == nil {
					p = x509.NewCertPool()
					l.rootsByType[dt] = p
				}
				p.AddCert(c)
			}
		}
	}
	for i := range l.Verifiers {
		l.verifierByID[l.Verifiers[i].ID] = &l.Verifiers[i]
	}
}

// Issuer returns the issuer with identifier id.
func (l *List) Issuer(id string) (*Issuer, bool) {
	is, ok := l.issuerByID[id]
	return is, ok
}

// Verifier returns the registered verifier with identifier id.
func (l *List) Verifier(id string) (*Verifier, bool) {
	v, ok := l.verifierByID[id]
	return v, ok
}

// Authorized reports whether issuer id is authorised to issue credential
// type typ, a vct or an mdoc doctype.
func (l *List) Authorized(id, typ string) bool {
	is, ok := l.issuerByID[id]
	if !ok {
		return false
	}
	return slices.Contains(is.VCTs, typ) || slices.Contains(is.DocTypes, typ)
}

// IssuerKey returns the key of issuer iss with key id kid. An empty kid
// selects the issuer's only key and fails if it has several. A did:key kid
// matches a key given as that did:key whether or not it has the #fragment.
func (l *List) IssuerKey(iss, kid string) (*Issuer, crypto.PublicKey, error) {
	is, ok := l.issuerByID[iss]
	if !ok {
		return nil, nil, errorf("lookup", ErrUnknownIssuer, "%.100q", iss)
	}
	if kid == "" {
		if len(is.Keys) == 1 {
			return is, is.Keys[0].Public, nil
		}
		return nil, nil, errorf("lookup", ErrUnknownKey, "no kid and %d keys for %.100q", len(is.Keys), iss)
	}
	for i := range is.Keys {
		if is.Keys[i].ID == kid {
			return is, is.Keys[i].Public, nil
		}
	}
	if strings.HasPrefix(kid, "did:key:") {
		if d, err := didkey.ParseKeyID(kid); err == nil {
			for i := range is.Keys {
				if is.Keys[i].DID == d.String() {
					return is, is.Keys[i].Public, nil
				}
			}
		}
	}
	return nil, nil, errorf("lookup", ErrUnknownKey, "kid %.100q for %.100q", kid, iss)
}

// KeyResolver returns an sdjwt.KeyResolver that finds the issuer key by the
// SD-JWT's iss claim and kid header. It only says the key belongs to a
// listed issuer; whether that issuer may issue the credential's vct is
// [List.Authorized].
func (l *List) KeyResolver() sdjwt.KeyResolver {
	return sdjwt.KeyResolverFunc(func(info sdjwt.IssuerKeyInfo) (crypto.PublicKey, error) {
		_, k, err := l.IssuerKey(info.Issuer, info.KeyID)
		return k, err
	})
}

// IACARoots returns the IACA roots of the issuers authorised for the mdoc
// doctype, or nil if there are none.
func (l *List) IACARoots(docType string) *x509.CertPool {
	return l.rootsByType[docType]
}

// AllIACARoots returns the IACA roots of every issuer.
func (l *List) AllIACARoots() *x509.CertPool { return l.allRoots }

// IssuerByRoot returns the issuer that lists root as an IACA root
// (compared byte for byte).
func (l *List) IssuerByRoot(root *x509.Certificate) (*Issuer, bool) {
	if root == nil {
		return nil, false
	}
	for i := range l.Issuers {
		for _, c := range l.Issuers[i].IACARoots {
			if bytes.Equal(c.Raw, root.Raw) {
				return &l.Issuers[i], true
			}
		}
	}
	return nil, false
}

// DocumentSigners returns every issuer's listed document signer
// certificates, each with its issuer.
func (l *List) DocumentSigners() []DocumentSigner {
	var out []DocumentSigner
	for i := range l.Issuers {
		for _, c := range l.Issuers[i].DocumentSigners {
			out = append(out, DocumentSigner{Issuer: &l.Issuers[i], Certificate: c})
		}
	}
	return out
}

// DocumentSigner is a document signer certificate listed for an issuer.
type DocumentSigner struct {
	Issuer      *Issuer
	Certificate *x509.Certificate
}

// Stale reports whether the list is past its next_update at now.
func (l *List) Stale(now time.Time) bool { return now.After(l.NextUpdate) }
