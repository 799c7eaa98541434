package oid4vci

// Grant types (§4.1.1, §3.5; RFC 6749 §4.1.3).
const (
	// GrantTypePreAuthorizedCode is the grant type of the Pre-Authorized
	// Code Flow (§4.1.1, IANA: §G.1).
	GrantTypePreAuthorizedCode = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
	// GrantTypeAuthorizationCode is the OAuth authorization code grant
	// (RFC 6749 §4.1); ikdkit parses offers of it but does not run the
	// flow.
	GrantTypeAuthorizationCode = "authorization_code"
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
