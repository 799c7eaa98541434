package oid4vp

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// ClientIDPrefix is a Client Identifier Prefix (§5.9): how a Wallet
// interprets and authenticates the client_id of a request.
type ClientIDPrefix string

// The Client Identifier Prefixes of §5.9.3 (and the pre-registered
// fallback of §5.9.2).
const (
	// PrefixPreRegistered is no prefix: a client the Wallet knows in
	// advance (§5.9.2); also what an unrecognized prefix is read as.
	// client_id_prefixes_supported names it "pre-registered" (§11.1).
	PrefixPreRegistered ClientIDPrefix = ""
	// PrefixRedirectURI: the client identifier is the Verifier's
	// redirect_uri (or response_uri); the request cannot be signed, and
	// nothing authenticates the Verifier.
	PrefixRedirectURI ClientIDPrefix = "redirect_uri"
	// PrefixX509SANDNS: a DNS name that is a dNSName SAN of the leaf
	// certificate in the x5c header of the signed request.
	PrefixX509SANDNS ClientIDPrefix = "x509_san_dns"
	// PrefixX509Hash: the base64url SHA-256 hash of the DER leaf
	// certificate in the x5c header of the signed request ([X509Hash]).
	// HAIP requires it for signed requests.
	PrefixX509Hash ClientIDPrefix = "x509_hash"
	// PrefixDecentralizedIdentifier: a DID; the signed request's kid
	// names a verification method of its DID Document.
	PrefixDecentralizedIdentifier ClientIDPrefix = "decentralized_identifier"
	// PrefixVerifierAttestation: the sub of a Verifier Attestation JWT
	// (§12). Parsed; not supported by [VerifyRequestObject].
	PrefixVerifierAttestation ClientIDPrefix = "verifier_attestation"
	// PrefixOpenIDFederation: an OpenID Federation Entity Identifier.
	// Parsed; not supported by [VerifyRequestObject].
	PrefixOpenIDFederation ClientIDPrefix = "openid_federation"
	// PrefixOrigin is reserved for the audience of presentations over
	// the DC API ("origin:<origin>", Appendix A.4); a Wallet MUST NOT
	// accept it in a request (§5.9.3), and [ParseClientID] refuses it.
	PrefixOrigin ClientIDPrefix = "origin"
)

// knownPrefixes are the prefixes ParseClientID recognizes.
var knownPrefixes = []ClientIDPrefix{PrefixRedirectURI, PrefixX509SANDNS, PrefixX509Hash,
	PrefixDecentralizedIdentifier, PrefixVerifierAttestation, PrefixOpenIDFederation, PrefixOrigin}

// RequiresSignature reports whether requests with this prefix must be
// signed (§5.9.3): every prefix but pre-registered and redirect_uri.
func (p ClientIDPrefix) RequiresSignature() bool {
	return p != PrefixPreRegistered && p != PrefixRedirectURI
}

// ClientID is a client_id split into its Client Identifier Prefix and the
// original client identifier (§5.9.1). Always use [ClientID.String], the
// full value, to identify the Verifier (§14.10).
type ClientID struct {
	// Prefix is the Client Identifier Prefix.
	Prefix ClientIDPrefix
	// ID is the original client identifier, after "<prefix>:" (the whole
	// value for a pre-registered client).
	ID string
}

// String returns the full client_id, "<prefix>:<id>" or the bare id.
func (c ClientID) String() string {
	if c.Prefix == PrefixPreRegistered {
		return c.ID
	}
	return string(c.Prefix) + ":" + c.ID
}

// ParseClientID splits a client_id at its first ':' (§5.9.1) and checks
// the original identifier against its prefix (§5.9.3):
//
//   - redirect_uri: a URL that passes [CheckURL];
//   - x509_san_dns: a DNS name (letters, digits, '-' and '.', labels of
//     1 to 63 characters, no wildcard);
//   - x509_hash: 43 characters of canonical base64url, a SHA-256 hash;
//   - decentralized_identifier: a DID (did:<method>:<id>);
//   - openid_federation: a URL that passes [CheckURL];
//   - verifier_attestation: non-empty;
//   - origin: refused (reserved, §5.9.3).
//
// A value without ':' or with an unrecognized prefix is a pre-registered
// client (§5.9.2). Errors are [*ProtocolError] invalid_request wrapping
// [ErrMalformed].
func ParseClientID(s string) (ClientID, error) {
	if s == "" || len(s) > MaxStringLen {
		return ClientID{}, malformed("client_id is empty or over %d bytes", MaxStringLen)
	}
	p, id, ok := strings.Cut(s, ":")
	if !ok || !slices.Contains(knownPrefixes, ClientIDPrefix(p)) {
		return ClientID{ID: s}, nil
	}
	c := ClientID{Prefix: ClientIDPrefix(p), ID: id}
	if err := c.check(); err != nil {
		return ClientID{}, malformed("client_id %.200q: %v", s, err)
	}
	return c, nil
}

func (c ClientID) check() error {
	switch c.Prefix {
	case PrefixRedirectURI, PrefixOpenIDFederation:
		return CheckURL(c.ID)
	case PrefixX509SANDNS:
		return checkDNSName(c.ID)
	case PrefixX509Hash:
		if b, err := b64url.DecodeString(c.ID); err != nil || !isBase64URL(c.ID) || len(b) != sha256.Size {
			return errors.New("not the base64url of a SHA-256 hash")
		}
	case PrefixDecentralizedIdentifier:
		// DID Core §3.1: did:<method-name>:<method-specific-id>, the
		// method name lower-case letters and digits.
		rest, ok := strings.CutPrefix(c.ID, "did:")
		method, msid, ok2 := strings.Cut(rest, ":")
		if !ok || !ok2 || method == "" || msid == "" || strings.ContainsFunc(method, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
		}) {
			return errors.New("not a DID")
		}
	case PrefixVerifierAttestation:
		if c.ID == "" {
			return errors.New("empty identifier")
		}
	case PrefixOrigin:
		// §5.9.3: the Wallet MUST NOT accept this prefix in requests.
		return errors.New("the origin prefix is reserved for presentations over the DC API")
	}
	return nil
}

// checkDNSName checks the syntax of a DNS name (RFC 1035 §2.3.1, with RFC
// 1123 §2.1 digits first): dot-separated labels of letters, digits and
// '-', 1 to 63 characters, not starting or ending with '-', at most 253
// characters, no trailing dot.
func checkDNSName(s string) error {
	if s == "" || len(s) > 253 {
		return errors.New("not a DNS name")
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%.64q is not a DNS name", s)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("%.64q is not a DNS name", s)
			}
		}
	}
	return nil
}

// X509Hash returns the x509_hash of a certificate (§5.9.3): the
// base64url (unpadded) SHA-256 hash of its DER encoding.
func X509Hash(cert *x509.Certificate) string {
	h := sha256.Sum256(cert.Raw)
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// X509HashClientID returns the client_id "x509_hash:<X509Hash(leaf)>".
func X509HashClientID(leaf *x509.Certificate) string {
	return string(PrefixX509Hash) + ":" + X509Hash(leaf)
}

// CheckCertificate checks that the leaf certificate of a signed request
// is the one the client identifier names (§5.9.3): for x509_san_dns, the
// identifier equals one of the leaf's dNSName SANs (compared without
// regard to case, as DNS names are; a wildcard SAN matches only itself,
// never other names); for x509_hash, it equals [X509Hash] of the leaf.
// Other prefixes are not certificate-bound and fail. The error wraps
// [ErrInvalidRequestObject].
func (c ClientID) CheckCertificate(leaf *x509.Certificate) error {
	if leaf == nil {
		return fmt.Errorf("%w: no certificate", ErrInvalidRequestObject)
	}
	switch c.Prefix {
	case PrefixX509SANDNS:
		for _, n := range leaf.DNSNames {
			if strings.EqualFold(n, c.ID) {
				return nil
			}
		}
		return fmt.Errorf("%w: client_id %.200q is not a dNSName SAN of the certificate (%q)", ErrInvalidRequestObject, c.String(), leaf.DNSNames)
	case PrefixX509Hash:
		want := X509Hash(leaf)
		// Both sides are public; a constant-time compare is not needed.
		if !bytes.Equal([]byte(want), []byte(c.ID)) {
			return fmt.Errorf("%w: client_id %.200q is not the hash of the certificate (%s)", ErrInvalidRequestObject, c.String(), want)
		}
		return nil
	}
	return fmt.Errorf("%w: client_id prefix %q is not bound to a certificate", ErrInvalidRequestObject, c.Prefix)
}

// checkURIHost checks, for an x509_san_dns client, that the host of the
// redirect_uri or response_uri is the client identifier's DNS name
// (§5.9.3: unless the Wallet trusts the client identifier otherwise, the
// FQDN of the redirect_uri MUST match it).
func (c ClientID) checkURIHost(uri string) error {
	u, err := url.Parse(uri)
	if err != nil || !strings.EqualFold(u.Hostname(), c.ID) {
		return fmt.Errorf("%w: the host of %.200q is not the client identifier %.200q", ErrInvalidRequestObject, uri, c.ID)
	}
	return nil
}
