package oid4vci

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// TokenRequest is a Token Request of the Pre-Authorized Code Flow (§6.1,
// RFC 6749 §4.1.3) or of the refresh token grant (RFC 6749 §6), sent
// form-encoded (application/x-www-form-urlencoded) to the token endpoint;
// [TokenRequest.Encode] writes the form.
type TokenRequest struct {
	// GrantType is grant_type: [GrantTypePreAuthorizedCode] or
	// [GrantTypeRefreshToken]. REQUIRED.
	GrantType string
	// PreAuthorizedCode is pre-authorized_code, from the offer. REQUIRED
	// with the pre-authorized code grant, forbidden with the refresh
	// token grant.
	PreAuthorizedCode string
	// TxCode is tx_code, the transaction code the End-User entered.
	// REQUIRED when the offer had a tx_code object, forbidden otherwise
	// (§6.1) and with the refresh token grant.
	TxCode string
	// RefreshToken is refresh_token, from an earlier [TokenResponse].
	// REQUIRED with the refresh token grant (RFC 6749 §6), forbidden with
	// the pre-authorized code grant.
	RefreshToken string
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
	// (RFC 6749 §5.1). A wallet that sent a DPoP proof and relies on the
	// binding discards a Bearer answer (RFC 9449 §5).
	TokenType string `json:"token_type"`
	// ExpiresIn is the token's lifetime in seconds. RECOMMENDED; 0 means
	// not given.
	ExpiresIn int64 `json:"expires_in,omitempty"`
	// AuthorizationDetails are the authorization details granted, with the
	// credential_identifiers to request (§6.2). OPTIONAL, non-empty.
	AuthorizationDetails []AuthorizationDetail `json:"authorization_details,omitempty"`
	// RefreshToken is a refresh token (RFC 6749 §1.5, §5.1), to send
	// later in a [TokenRequest] of the [GrantTypeRefreshToken] grant for
	// a new access token (and, from an ikdkit issuer, a new refresh
	// token: the one sent is spent). OPTIONAL. It is a secret as long
	// lived as the device binding: store it with the device key, never
	// log it.
	RefreshToken string `json:"refresh_token,omitempty"`
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
	if r.RefreshToken != "" {
		v.Set("refresh_token", r.RefreshToken)
	}
	if r.ClientID != "" {
		v.Set("client_id", r.ClientID)
	}
	return v.Encode()
}

// Caps on the token endpoint's messages.
const (
	// MaxTokenRequestSize caps the body of a Token Request.
	MaxTokenRequestSize = 16 << 10
	// MaxTokenResponseSize caps the body of a Token Response.
	MaxTokenResponseSize = 64 << 10
	// MaxAccessTokenLen caps an access token.
	MaxAccessTokenLen = 8 << 10
	// MaxRefreshTokenLen caps a refresh token.
	MaxRefreshTokenLen = 4 << 10
	// maxCodeLen caps a pre-authorized code.
	maxCodeLen = 1024
	// maxTokenDepth caps the JSON nesting of a Token Response;
	// authorization_details[].credential_identifiers is at depth 4.
	maxTokenDepth = 8
)

// ReadTokenRequest reads the Token Request of r for a token endpoint: an
// HTTP POST (RFC 6749 §3.2) with an application/x-www-form-urlencoded
// body (RFC 6749 §4.1.3) of at most [MaxTokenRequestSize] bytes, parsed
// with [ParseTokenRequest]. Errors are *ProtocolError for [WriteError].
// The DPoP header, if any, is read with [ReadDPoPHeader].
func ReadTokenRequest(r *http.Request) (*TokenRequest, error) {
	if r.Method != http.MethodPost {
		return nil, &ProtocolError{Status: http.StatusMethodNotAllowed, Code: CodeInvalidRequest,
			Description: "the token endpoint takes POST", Err: ErrMalformed}
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, &ProtocolError{Status: http.StatusBadRequest, Code: CodeInvalidRequest,
			Description: "the body must be application/x-www-form-urlencoded", Err: ErrMalformed}
	}
	body, err := readBody(r.Body, MaxTokenRequestSize)
	if err != nil {
		return nil, &ProtocolError{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Description: err.Error(), Err: ErrMalformed}
	}
	return ParseTokenRequest(body)
}

// readBody reads at most max bytes of r; more is an error.
func readBody(r io.Reader, max int) ([]byte, error) {
	if r == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("reading the body: %v", err)
	}
	if len(b) > max {
		return nil, fmt.Errorf("the body is over the %d-byte cap", max)
	}
	return b, nil
}

// ParseTokenRequest parses a form-encoded Token Request body (§6.1, RFC
// 6749 §4.1.3, §6). Errors are *ProtocolError (wrapping [ErrMalformed]):
// invalid_request for a malformed body, a repeated parameter (RFC 6749
// §3.2), a missing pre-authorized_code (§6.1) or refresh_token (RFC 6749
// §6), or a parameter of the other grant (a pre-authorized_code or
// tx_code with the refresh token grant, a refresh_token with the
// pre-authorized code grant); unsupported_grant_type for a grant other
// than the pre-authorized code and the refresh token (ikdkit runs no
// other). A refresh_token must be 1*VSCHAR (RFC 6749 Appendix A.17) of at
// most [MaxRefreshTokenLen] bytes (invalid_grant otherwise). A parameter
// sent without a value is treated as omitted (RFC 6749 §3.2);
// unrecognized parameters (scope, say) are ignored (§6.1). Whether a
// tx_code had to be sent is checked with [TokenRequest.CheckTxCode].
func ParseTokenRequest(body []byte) (*TokenRequest, error) {
	bad := func(code, format string, args ...any) (*TokenRequest, error) {
		d := fmt.Sprintf(format, args...)
		return nil, &ProtocolError{Status: http.StatusBadRequest, Code: code, Description: d,
			Err: fmt.Errorf("%w: token request: %s", ErrMalformed, d)}
	}
	if len(body) > MaxTokenRequestSize {
		return bad(CodeInvalidRequest, "the body is over the %d-byte cap", MaxTokenRequestSize)
	}
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return bad(CodeInvalidRequest, "malformed form body")
	}
	for name, vals := range q {
		// RFC 6749 §3.2: parameters MUST NOT be included more than once.
		if len(vals) > 1 {
			return bad(CodeInvalidRequest, "parameter %.64q repeated", name)
		}
	}
	r := &TokenRequest{
		GrantType:         q.Get("grant_type"),
		PreAuthorizedCode: q.Get("pre-authorized_code"),
		TxCode:            q.Get("tx_code"),
		RefreshToken:      q.Get("refresh_token"),
		ClientID:          q.Get("client_id"),
	}
	if r.GrantType == GrantTypeRefreshToken {
		switch {
		case r.RefreshToken == "":
			// RFC 6749 §6: refresh_token is REQUIRED.
			return bad(CodeInvalidRequest, "refresh_token missing")
		case r.PreAuthorizedCode != "" || r.TxCode != "":
			return bad(CodeInvalidRequest, "pre-authorized_code and tx_code are not parameters of the refresh_token grant")
		case !isVSChars(r.RefreshToken, MaxRefreshTokenLen):
			return bad(CodeInvalidGrant, "refresh_token too long or not printable ASCII (RFC 6749 Appendix A.17)")
		case len(r.ClientID) > maxCodeLen || !utf8.ValidString(r.ClientID):
			return bad(CodeInvalidRequest, "client_id too long or not UTF-8")
		}
		return r, nil
	}
	switch {
	case r.GrantType == "":
		return bad(CodeInvalidRequest, "grant_type missing")
	case r.GrantType != GrantTypePreAuthorizedCode:
		return bad(CodeUnsupportedGrantType, "grant_type %.64q is not supported", r.GrantType)
	case r.RefreshToken != "":
		return bad(CodeInvalidRequest, "refresh_token is not a parameter of the pre-authorized code grant")
	case r.PreAuthorizedCode == "":
		// §6.1: pre-authorized_code MUST be present with this grant.
		return bad(CodeInvalidRequest, "pre-authorized_code missing")
	case len(r.PreAuthorizedCode) > maxCodeLen:
		return bad(CodeInvalidGrant, "pre-authorized_code too long")
	case utf8.RuneCountInString(r.TxCode) > MaxTxCodeLength || !utf8.ValidString(r.TxCode):
		return bad(CodeInvalidGrant, "tx_code too long or not UTF-8")
	case len(r.ClientID) > maxCodeLen || !utf8.ValidString(r.ClientID):
		return bad(CodeInvalidRequest, "client_id too long or not UTF-8")
	}
	return r, nil
}

// CheckTxCode checks the presence of tx_code against the offer: required
// says the offer carried a tx_code object. §6.3: a tx_code the
// Authorization Server does not expect, or a missing expected one, is
// invalid_request. A wrong tx_code is the caller's to detect (it holds the
// code), and is invalid_grant (§6.3); count it against the pre-authorized
// code (§13.6.3).
func (r *TokenRequest) CheckTxCode(required bool) error {
	switch {
	case required && r.TxCode == "":
		return &ProtocolError{Status: http.StatusBadRequest, Code: CodeInvalidRequest,
			Description: "tx_code missing", Err: ErrMalformed}
	case !required && r.TxCode != "":
		return &ProtocolError{Status: http.StatusBadRequest, Code: CodeInvalidRequest,
			Description: "tx_code not expected", Err: ErrMalformed}
	}
	return nil
}

// ParseTokenResponse parses a successful Token Response (§6.2, RFC 6749
// §5.1) strictly (see [ErrMalformed]): access_token REQUIRED in the
// b64token syntax the Authorization header needs (RFC 6750 §2.1, RFC 9449
// §7.1); token_type REQUIRED, Bearer or DPoP, case-insensitively (RFC
// 6749 §5.1), returned as [SchemeBearer] or [SchemeDPoP]; expires_in a
// non-negative integer; refresh_token, if present, 1*VSCHAR (RFC 6749
// Appendix A.17) of at most [MaxRefreshTokenLen] bytes;
// authorization_details of type openid_credential with a
// credential_configuration_id and non-empty credential_identifiers
// (§6.2). Unrecognized parameters are ignored (§6.2).
func ParseTokenResponse(data []byte) (*TokenResponse, error) {
	r, err := parseTokenResponse(data)
	if err != nil {
		return nil, fmt.Errorf("%w: token response: %v", ErrMalformed, err)
	}
	return r, nil
}

func parseTokenResponse(data []byte) (*TokenResponse, error) {
	f, err := decodeObject("token response", data, MaxTokenResponseSize, maxTokenDepth)
	if err != nil {
		return nil, err
	}
	r := &TokenResponse{
		AccessToken:  f.Str("access_token", true),
		TokenType:    f.Str("token_type", true),
		ExpiresIn:    f.Int("expires_in", false, 0, 1<<40),
		RefreshToken: f.Str("refresh_token", false),
	}
	if r.AccessToken != "" && !isB64Token(r.AccessToken, MaxAccessTokenLen) {
		f.Failf("access_token", "not a b64token of at most %d bytes (RFC 6750 §2.1)", MaxAccessTokenLen)
	}
	if f.Has("refresh_token") && !isVSChars(r.RefreshToken, MaxRefreshTokenLen) {
		f.Failf("refresh_token", "not 1*VSCHAR of at most %d bytes (RFC 6749 Appendix A.17)", MaxRefreshTokenLen)
	}
	switch {
	case r.TokenType == "":
	case strings.EqualFold(r.TokenType, SchemeBearer):
		r.TokenType = SchemeBearer
	case strings.EqualFold(r.TokenType, SchemeDPoP):
		r.TokenType = SchemeDPoP
	default:
		f.Failf("token_type", "%.32q is neither Bearer nor DPoP", r.TokenType)
	}
	for i, v := range f.Array("authorization_details", false, maxArray) {
		d, ok := f.Elem("authorization_details", i, v)
		if !ok {
			break
		}
		ad := AuthorizationDetail{Type: d.Str("type", true)}
		if ad.Type == AuthorizationDetailTypeCredential {
			// §6.2: credential_identifiers REQUIRED, non-empty.
			ad.CredentialConfigurationID = d.Str("credential_configuration_id", true)
			ad.CredentialIdentifiers = d.Strs("credential_identifiers", true, true, MaxProofs)
		}
		r.AuthorizationDetails = append(r.AuthorizationDetails, ad)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

// isVSChars reports whether s is 1*VSCHAR (RFC 6749 Appendix A: %x20-7E)
// of at most max bytes, the syntax of a refresh token (Appendix A.17).
func isVSChars(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// isB64Token reports whether s is a b64token (RFC 6750 §2.1): 1*( ALPHA /
// DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			break
		}
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

// ReadAccessToken reads the access token of a request to a protected
// resource (the Credential and Notification Endpoints): exactly one
// Authorization header "Bearer <token>" (RFC 6750 §2.1) or "DPoP <token>"
// (RFC 9449 §7.1), the scheme case-insensitive, the token a b64token. It
// returns the token and the scheme ([SchemeBearer] or [SchemeDPoP]).
// Without an Authorization header the error is a bare 401 challenge (RFC
// 6750 §3.1); a malformed one is 400 invalid_request. Errors are
// *ProtocolError with Scheme Bearer, for [WriteError]; a resource that
// accepts only DPoP-bound tokens sets Scheme to [SchemeDPoP] first.
// Whether the token is valid, and whether a DPoP-bound token came with
// the DPoP scheme (RFC 9449 §7.2), is the caller's to check.
func ReadAccessToken(r *http.Request) (token, scheme string, err error) {
	vals := r.Header.Values("Authorization")
	if len(vals) == 0 {
		return "", "", &ProtocolError{Status: http.StatusUnauthorized, Scheme: SchemeBearer, Err: ErrMalformed}
	}
	bad := func(d string) (string, string, error) {
		return "", "", &ProtocolError{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Description: d,
			Scheme: SchemeBearer, Err: ErrMalformed}
	}
	if len(vals) > 1 {
		return bad("more than one Authorization header")
	}
	s, tok, ok := strings.Cut(vals[0], " ")
	if !ok {
		return bad("malformed Authorization header")
	}
	switch {
	case strings.EqualFold(s, SchemeBearer):
		scheme = SchemeBearer
	case strings.EqualFold(s, SchemeDPoP):
		scheme = SchemeDPoP
	default:
		return bad("the Authorization scheme must be Bearer or DPoP")
	}
	if !isB64Token(tok, MaxAccessTokenLen) {
		return bad("malformed access token")
	}
	return tok, scheme, nil
}
