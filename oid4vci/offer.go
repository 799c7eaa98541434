package oid4vci

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// Grant types (§4.1.1, §3.5; RFC 6749 §4.1.3).
const (
	// GrantTypePreAuthorizedCode is the grant type of the Pre-Authorized
	// Code Flow (§4.1.1, IANA: §G.1).
	GrantTypePreAuthorizedCode = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
	// GrantTypeAuthorizationCode is the OAuth authorization code grant
	// (RFC 6749 §4.1); ikdkit parses offers of it but does not run the
	// flow.
	GrantTypeAuthorizationCode = "authorization_code"
	// GrantTypeRefreshToken is the OAuth refresh token grant (RFC 6749
	// §6): a wallet trades the refresh_token of an earlier Token Response
	// (§6.2) for a new access token, to get fresh credentials without a
	// new offer.
	GrantTypeRefreshToken = "refresh_token"
)

// OfferScheme is the custom URL scheme a Credential Offer is sent to when
// the wallet's Credential Offer Endpoint is unknown (§12.1.1).
const OfferScheme = "openid-credential-offer://"

// Transaction code input modes (§4.1.1).
const (
	// InputModeNumeric: only digits (the default).
	InputModeNumeric = "numeric"
	// InputModeText: any characters.
	InputModeText = "text"
)

// MaxTxCodeDescription is the most characters a tx_code description may
// have (§4.1.1: MUST NOT exceed 300 characters).
const MaxTxCodeDescription = 300

// CredentialOffer is the Credential Offer object (§4.1.1). A wallet
// receives it by value in a link or QR code, or fetches it by reference
// (§4.1.2, §4.1.3); see [ParseOfferLink]. Its content is not
// authenticated (§13.5): a wallet checks it against the issuer's
// metadata ([CredentialOffer.Check]) and runs every step as if it had
// started the flow itself.
type CredentialOffer struct {
	// CredentialIssuer is the Credential Issuer Identifier (§12.2.1).
	// REQUIRED.
	CredentialIssuer string `json:"credential_issuer"`
	// CredentialConfigurationIDs are keys of the issuer's
	// credential_configurations_supported. REQUIRED, non-empty, unique.
	CredentialConfigurationIDs []string `json:"credential_configuration_ids"`
	// Grants are the grants the Authorization Server accepts for this
	// offer. OPTIONAL; unknown grant types are ignored (§4.1.1).
	Grants *Grants `json:"grants,omitempty"`
}

// Grants is the grants object of a Credential Offer (§4.1.1), with the
// grant types this specification defines.
type Grants struct {
	// AuthorizationCode is the authorization_code grant. OPTIONAL.
	AuthorizationCode *AuthorizationCodeGrant `json:"authorization_code,omitempty"`
	// PreAuthorizedCode is the
	// urn:ietf:params:oauth:grant-type:pre-authorized_code grant.
	// OPTIONAL.
	PreAuthorizedCode *PreAuthorizedCodeGrant `json:"urn:ietf:params:oauth:grant-type:pre-authorized_code,omitempty"`
}

// AuthorizationCodeGrant is the authorization_code grant of an offer
// (§4.1.1).
type AuthorizationCodeGrant struct {
	// IssuerState binds the Authorization Request to the offer. OPTIONAL.
	IssuerState string `json:"issuer_state,omitempty"`
	// AuthorizationServer picks one of the issuer's
	// authorization_servers. OPTIONAL; only when there are several.
	AuthorizationServer string `json:"authorization_server,omitempty"`
}

// PreAuthorizedCodeGrant is the pre-authorized code grant of an offer
// (§4.1.1).
type PreAuthorizedCodeGrant struct {
	// PreAuthorizedCode is the code the wallet sends in the Token
	// Request; short-lived and single-use. REQUIRED.
	PreAuthorizedCode string `json:"pre-authorized_code"`
	// TxCode, when present (even empty), says the Token Request must
	// carry a transaction code (§4.1.1, §6.1). OPTIONAL.
	TxCode *TxCode `json:"tx_code,omitempty"`
	// AuthorizationServer picks one of the issuer's
	// authorization_servers. OPTIONAL; only when there are several.
	AuthorizationServer string `json:"authorization_server,omitempty"`
}

// TxCode describes the transaction code the End-User must enter
// (§4.1.1). Every member is optional.
type TxCode struct {
	// InputMode is [InputModeNumeric] (the default when empty) or
	// [InputModeText].
	InputMode string `json:"input_mode,omitempty"`
	// Length is the code's length, to lay out the input screen; 0 means
	// not given.
	Length int `json:"length,omitempty"`
	// Description tells the End-User how to obtain the code; at most
	// [MaxTxCodeDescription] characters.
	Description string `json:"description,omitempty"`
}

// Caps on Credential Offers.
const (
	// MaxOfferSize caps the bytes of a Credential Offer object.
	MaxOfferSize = 16 << 10
	// MaxOfferLinkSize caps an offer link ([ParseOfferLink]).
	MaxOfferLinkSize = 64 << 10
	// MaxTxCodeLength caps tx_code.length and the tx_code of a Token
	// Request.
	MaxTxCodeLength = 64
	// maxOfferDepth caps JSON nesting; grants.<grant>.tx_code is at
	// depth 4.
	maxOfferDepth = 8
)

// ParseCredentialOffer parses a Credential Offer object (§4.1.1) strictly
// (see [ErrMalformed]): credential_issuer an https identifier (§12.2.1),
// credential_configuration_ids a non-empty array of unique strings, the
// pre-authorized code grant with its pre-authorized_code, a tx_code with
// a known input_mode, a positive length and a description of at most 300
// characters. Unknown parameters and grant types are ignored (§4.1.1).
// The offer is not authenticated: check it with [CredentialOffer.Check]
// against the issuer's metadata.
func ParseCredentialOffer(data []byte) (*CredentialOffer, error) {
	o, err := parseOffer(data)
	if err != nil {
		return nil, fmt.Errorf("%w: credential offer: %v", ErrMalformed, err)
	}
	return o, nil
}

func parseOffer(data []byte) (*CredentialOffer, error) {
	f, err := decodeObject("offer", data, MaxOfferSize, maxOfferDepth)
	if err != nil {
		return nil, err
	}
	o := &CredentialOffer{
		CredentialIssuer: f.Str("credential_issuer", true),
		// §4.1.1: a non-empty array of unique strings.
		CredentialConfigurationIDs: f.Strs("credential_configuration_ids", true, true, MaxCredentialConfigurations),
	}
	if o.CredentialIssuer != "" {
		// §4.1.1, §12.2.1: the Credential Issuer Identifier.
		if err := checkIdentifier(o.CredentialIssuer); err != nil {
			f.Failf("credential_issuer", "%v", err)
		}
	}
	if g, ok := f.Object("grants", false); ok {
		o.Grants = &Grants{}
		if a, ok := g.Object(GrantTypeAuthorizationCode, false); ok {
			o.Grants.AuthorizationCode = &AuthorizationCodeGrant{
				IssuerState:         a.Str("issuer_state", false),
				AuthorizationServer: a.Str("authorization_server", false),
			}
		}
		if p, ok := g.Object(GrantTypePreAuthorizedCode, false); ok {
			pg := &PreAuthorizedCodeGrant{
				// §4.1.1: pre-authorized_code REQUIRED.
				PreAuthorizedCode:   p.Str("pre-authorized_code", true),
				AuthorizationServer: p.Str("authorization_server", false),
			}
			if t, ok := p.Object("tx_code", false); ok {
				pg.TxCode = &TxCode{
					InputMode:   t.Str("input_mode", false),
					Length:      int(t.Int("length", false, 1, MaxTxCodeLength)),
					Description: t.Text("description"),
				}
				// §4.1.1: input_mode is numeric or text.
				if m := pg.TxCode.InputMode; m != "" && m != InputModeNumeric && m != InputModeText {
					t.Failf("input_mode", "%.32q is neither numeric nor text", m)
				}
				// §4.1.1: the description MUST NOT exceed 300 characters.
				if n := utf8.RuneCountInString(pg.TxCode.Description); n > MaxTxCodeDescription {
					t.Failf("description", "%d characters, over %d", n, MaxTxCodeDescription)
				}
			}
			o.Grants.PreAuthorizedCode = pg
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	return o, nil
}

// Validate checks o as [ParseCredentialOffer] would check it after a
// round trip through JSON.
func (o *CredentialOffer) Validate() error {
	_, err := o.encode()
	return err
}

func (o *CredentialOffer) encode() ([]byte, error) {
	b, err := marshal(o)
	if err != nil {
		return nil, fmt.Errorf("%w: credential offer: %v", ErrMalformed, err)
	}
	if _, err := ParseCredentialOffer(b); err != nil {
		return nil, err
	}
	return b, nil
}

// Check checks an offer against the metadata of its issuer, fetched from
// [CredentialIssuerMetadataURL] of o.CredentialIssuer: the issuer is the
// same (§12.2.4), every offered configuration exists (§4.1.1), and an
// authorization_server hint names one of several authorization_servers
// (§4.1.1: it MUST NOT be used otherwise; §12.2.4: the wallet MUST NOT
// proceed if it matches none).
func (o *CredentialOffer) Check(md *CredentialIssuerMetadata) error {
	if md == nil || o.CredentialIssuer != md.CredentialIssuer {
		return fmt.Errorf("%w: credential offer: credential_issuer %.200q is not the metadata's", ErrMalformed, o.CredentialIssuer)
	}
	for _, id := range o.CredentialConfigurationIDs {
		if _, ok := md.CredentialConfigurationsSupported[id]; !ok {
			return fmt.Errorf("%w: credential offer: configuration %.64q is not in the issuer's metadata", ErrMalformed, id)
		}
	}
	if o.Grants == nil {
		return nil
	}
	var hints []string
	if g := o.Grants.AuthorizationCode; g != nil && g.AuthorizationServer != "" {
		hints = append(hints, g.AuthorizationServer)
	}
	if g := o.Grants.PreAuthorizedCode; g != nil && g.AuthorizationServer != "" {
		hints = append(hints, g.AuthorizationServer)
	}
	for _, h := range hints {
		if len(md.AuthorizationServers) < 2 || !slices.Contains(md.AuthorizationServers, h) {
			return fmt.Errorf("%w: credential offer: authorization_server %.200q is not one of several authorization_servers", ErrMalformed, h)
		}
	}
	return nil
}

// AuthorizationServer returns the identifier of the Authorization Server
// whose token endpoint takes the offer's pre-authorized code: the grant's
// authorization_server, or the only entry of
// [CredentialIssuerMetadata.AuthorizationServerIDs]. With several
// servers and no hint it fails: the wallet must pick by their
// grant_types_supported (§12.2.4). Call [CredentialOffer.Check] first.
func (o *CredentialOffer) AuthorizationServer(md *CredentialIssuerMetadata) (string, error) {
	if o.Grants == nil || o.Grants.PreAuthorizedCode == nil {
		return "", fmt.Errorf("%w: credential offer has no pre-authorized code grant", ErrMalformed)
	}
	if h := o.Grants.PreAuthorizedCode.AuthorizationServer; h != "" {
		return h, nil
	}
	ids := md.AuthorizationServerIDs()
	if len(ids) != 1 {
		return "", fmt.Errorf("%w: %d authorization servers and no authorization_server in the offer", ErrMalformed, len(ids))
	}
	return ids[0], nil
}

// Link returns the offer by value as a link for a QR code or a button
// (§4.1.2): openid-credential-offer://?credential_offer=<the offer's JSON,
// percent-encoded>. The offer is validated first.
func (o *CredentialOffer) Link() (string, error) {
	b, err := o.encode()
	if err != nil {
		return "", err
	}
	return OfferScheme + "?credential_offer=" + queryEscape(string(b)), nil
}

// OfferURILink returns an offer by reference (§4.1.3):
// openid-credential-offer://?credential_offer_uri=<uri, percent-encoded>.
// uri must pass [CheckURL]; the issuer serves the offer there as
// application/json, at a unique URI per offer (§4.1.3).
func OfferURILink(uri string) (string, error) {
	if err := CheckURL(uri); err != nil {
		return "", err
	}
	return OfferScheme + "?credential_offer_uri=" + queryEscape(uri), nil
}

// queryEscape percent-encodes a query value, with %20 for a space (as the
// examples of §4.1.2 do) rather than '+'.
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// ParseOfferLink reads a Credential Offer link or QR text (§4.1): exactly
// one query parameter, credential_offer (the offer by value, §4.1.2,
// parsed with [ParseCredentialOffer]) or credential_offer_uri (by
// reference, §4.1.3, which must pass [CheckURL]). It returns the offer,
// or the URI to fetch it from with an HTTP GET (the response must be
// application/json, §4.1.3, and is parsed with [ParseCredentialOffer]).
// Any scheme is accepted: openid-credential-offer:// (§12.1.1) or the
// wallet's own Credential Offer Endpoint.
func ParseOfferLink(link string) (offer *CredentialOffer, uri string, err error) {
	fail := func(format string, args ...any) (*CredentialOffer, string, error) {
		return nil, "", fmt.Errorf("%w: offer link: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
	if len(link) > MaxOfferLinkSize {
		return fail("%d bytes, over the %d-byte cap", len(link), MaxOfferLinkSize)
	}
	u, err := url.Parse(link)
	if err != nil {
		return fail("%v", err)
	}
	if u.Scheme == "" {
		return fail("not an absolute URL")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return fail("query: %v", err)
	}
	// §4.1: the offer is a single query parameter, credential_offer or
	// credential_offer_uri, and neither may be present with the other.
	if len(q) != 1 {
		return fail("%d query parameters; want credential_offer or credential_offer_uri alone", len(q))
	}
	var name string
	for name = range q {
	}
	if len(q[name]) != 1 {
		return fail("%.64s repeated", name)
	}
	val := q[name][0]
	switch name {
	case "credential_offer":
		o, err := ParseCredentialOffer([]byte(val))
		if err != nil {
			return nil, "", err
		}
		return o, "", nil
	case "credential_offer_uri":
		// §4.1: a URL using the https scheme.
		if err := CheckURL(val); err != nil {
			return fail("credential_offer_uri: %v", err)
		}
		return nil, val, nil
	}
	return fail("unknown parameter %.64q", name)
}
