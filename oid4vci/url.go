package oid4vci

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// ErrInsecureURL is wrapped by [CheckURL] errors: the URL is not an
// absolute https URL (or http on a loopback host), or has userinfo or a
// fragment.
var ErrInsecureURL = errors.New("oid4vci: URL not allowed")

// MaxURLLen caps every URL a message may carry.
const MaxURLLen = strictjson.MaxURLLen

// CheckURL checks a URL of the protocol: the Credential Issuer
// Identifier, endpoints and credential_offer_uri MUST use the https
// scheme (§4.1, §12.2.1, §12.2.4; RFC 8414 §2). http is accepted only
// for a loopback host (localhost, 127.0.0.1, ::1), so that tests and the
// demo issuer work without TLS; a wallet deciding whether to follow such
// a URL from an untrusted offer should keep in mind that it reaches the
// phone itself. The URL must be absolute, with a host, without userinfo
// (a phishing aid) and without a fragment, and at most [MaxURLLen] bytes.
// The rule is the one oid4vp.CheckURL applies; the errors wrap
// [ErrInsecureURL].
func CheckURL(s string) error {
	if err := strictjson.CheckURL(s); err != nil {
		return fmt.Errorf("%w: %v", ErrInsecureURL, err)
	}
	return nil
}

// checkIdentifier checks a Credential Issuer Identifier (§12.2.1) or an
// Authorization Server issuer identifier (RFC 8414 §2): [CheckURL], and
// no query either.
func checkIdentifier(s string) error {
	if err := CheckURL(s); err != nil {
		return err
	}
	if strings.Contains(s, "?") {
		return fmt.Errorf("%w: identifier %.200q has a query", ErrInsecureURL, s)
	}
	return nil
}

// CredentialIssuerMetadataURL returns where the metadata of the
// Credential Issuer Identifier issuer is: [WellKnownCredentialIssuer]
// inserted between the host and the path (§12.2.2), so
// https://issuer.example.com/tenant gives
// https://issuer.example.com/.well-known/openid-credential-issuer/tenant.
// A terminating "/" of the path is removed first, as RFC 8414 §3.1 does.
func CredentialIssuerMetadataURL(issuer string) (string, error) {
	return wellKnown(issuer, WellKnownCredentialIssuer)
}

// AuthorizationServerMetadataURL returns where the metadata of the
// Authorization Server issuer is: [WellKnownAuthorizationServer] inserted
// between the host and the path (RFC 8414 §3.1).
func AuthorizationServerMetadataURL(issuer string) (string, error) {
	return wellKnown(issuer, WellKnownAuthorizationServer)
}

func wellKnown(issuer, suffix string) (string, error) {
	if err := checkIdentifier(issuer); err != nil {
		return "", err
	}
	u, err := url.Parse(issuer)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInsecureURL, err)
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	return u.Scheme + "://" + u.Host + suffix + path, nil
}
