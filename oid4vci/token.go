package oid4vci

import "net/url"

// TokenRequest is a Token Request of the Pre-Authorized Code Flow (§6.1,
// RFC 6749 §4.1.3), sent form-encoded (application/x-www-form-urlencoded)
// to the token endpoint; [TokenRequest.Encode] writes the form.
type TokenRequest struct {
	// GrantType is grant_type: [GrantTypePreAuthorizedCode]. REQUIRED.
	GrantType string
	// PreAuthorizedCode is pre-authorized_code, from the offer. REQUIRED
	// with the pre-authorized code grant.
	PreAuthorizedCode string
	// TxCode is tx_code, the transaction code the End-User entered.
	// REQUIRED when the offer had a tx_code object, forbidden otherwise
	// (§6.1).
	TxCode string
	// ClientID is client_id. OPTIONAL: authentication of the client is
	// optional with this grant (§6.1, RFC 6749 §3.2.1).
	ClientID string
}

// TokenResponse is a successful Token Response (§6.2, RFC 6749 §5.1).
type TokenResponse struct {
	// AccessToken is the access token. REQUIRED.
	AccessToken string `json:"access_token"`
	// TokenType is [SchemeBearer] or, for a DPoP-bound token,
	// [SchemeDPoP] (RFC 9449 §5). REQUIRED; compared case-insensitively
	// (RFC 6749 §5.1).
	TokenType string `json:"token_type"`
	// ExpiresIn is the token's lifetime in seconds. RECOMMENDED; 0 means
	// not given.
	ExpiresIn int64 `json:"expires_in,omitempty"`
	// AuthorizationDetails are the authorization details granted, with the
	// credential_identifiers to request (§6.2). OPTIONAL, non-empty.
	AuthorizationDetails []AuthorizationDetail `json:"authorization_details,omitempty"`
}

// AuthorizationDetailTypeCredential is the authorization details type of
// OpenID4VCI (§5.1.1).
const AuthorizationDetailTypeCredential = "openid_credential"

// AuthorizationDetail is one authorization details object of a Token
// Response (§6.2, RFC 9396 §2).
type AuthorizationDetail struct {
	// Type is the authorization details type;
	// [AuthorizationDetailTypeCredential] for OpenID4VCI. REQUIRED.
	Type string `json:"type"`
	// CredentialConfigurationID is the configuration the identifiers
	// belong to. REQUIRED for openid_credential.
	CredentialConfigurationID string `json:"credential_configuration_id,omitempty"`
	// CredentialIdentifiers identify the Credential Datasets the access
	// token may obtain; the wallet sends one as credential_identifier
	// (§8.2). REQUIRED for openid_credential, non-empty.
	CredentialIdentifiers []string `json:"credential_identifiers,omitempty"`
}

// Encode returns the form-encoded body of the request
// (application/x-www-form-urlencoded, RFC 6749 §4.1.3, Appendix B), with
// only the parameters that are set.
func (r *TokenRequest) Encode() string {
	v := url.Values{}
	v.Set("grant_type", r.GrantType)
	if r.PreAuthorizedCode != "" {
		v.Set("pre-authorized_code", r.PreAuthorizedCode)
	}
	if r.TxCode != "" {
		v.Set("tx_code", r.TxCode)
	}
	if r.ClientID != "" {
		v.Set("client_id", r.ClientID)
	}
	return v.Encode()
}
