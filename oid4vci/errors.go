package oid4vci

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error codes of the protocol's error responses, each the value of the
// "error" member (or of the error parameter of a WWW-Authenticate
// challenge) exactly as its specification spells it.
const (
	// Token Error Response (§6.3, RFC 6749 §5.2).

	// CodeInvalidRequest: the Token Request is malformed, or a tx_code is
	// sent that the offer did not ask for, or one the offer asked for is
	// missing (§6.3). Also the Bearer error of a malformed request to a
	// protected resource (RFC 6750 §3.1).
	CodeInvalidRequest = "invalid_request"
	// CodeInvalidClient: client authentication failed, or a Token Request
	// without client_id reached an Authorization Server that does not
	// allow anonymous access (§6.3).
	CodeInvalidClient = "invalid_client"
	// CodeInvalidGrant: the pre-authorized code is wrong, expired or used,
	// or the tx_code is wrong (§6.3, §13.6.3).
	CodeInvalidGrant = "invalid_grant"
	// CodeUnauthorizedClient: the client may not use this grant type
	// (RFC 6749 §5.2).
	CodeUnauthorizedClient = "unauthorized_client"
	// CodeUnsupportedGrantType: the grant type is not supported by the
	// Authorization Server (RFC 6749 §5.2).
	CodeUnsupportedGrantType = "unsupported_grant_type"
	// CodeInvalidScope: the requested scope is invalid or unknown
	// (RFC 6749 §5.2).
	CodeInvalidScope = "invalid_scope"

	// DPoP (RFC 9449).

	// CodeInvalidDPoPProof: the DPoP proof is missing where required, or
	// invalid (RFC 9449 §5 at the token endpoint, §7.1 at a resource).
	CodeInvalidDPoPProof = "invalid_dpop_proof"
	// CodeUseDPoPNonce: the server requires a DPoP nonce; the fresh one is
	// in the DPoP-Nonce header (RFC 9449 §8, §9).
	CodeUseDPoPNonce = "use_dpop_nonce"

	// Errors of a protected resource: the Credential and Notification
	// Endpoints (§8.3.1.1, §11.3, RFC 6750 §3.1).

	// CodeInvalidToken: the access token is expired, revoked, malformed or
	// otherwise invalid (RFC 6750 §3.1).
	CodeInvalidToken = "invalid_token"
	// CodeInsufficientScope: the access token does not allow this request
	// (RFC 6750 §3.1).
	CodeInsufficientScope = "insufficient_scope"

	// Credential Error Response (§8.3.1.2).

	// CodeInvalidCredentialRequest: the Credential Request is missing a
	// required parameter, has an unsupported parameter or value, repeats a
	// parameter or is otherwise malformed.
	CodeInvalidCredentialRequest = "invalid_credential_request"
	// CodeUnknownCredentialConfiguration: the requested Credential
	// Configuration is unknown.
	CodeUnknownCredentialConfiguration = "unknown_credential_configuration"
	// CodeUnknownCredentialIdentifier: the requested Credential identifier
	// is unknown.
	CodeUnknownCredentialIdentifier = "unknown_credential_identifier"
	// CodeInvalidProof: the proofs parameter is missing, or one of the key
	// proofs is invalid or carries no c_nonce.
	CodeInvalidProof = "invalid_proof"
	// CodeInvalidNonce: a key proof carries a c_nonce the issuer does not
	// accept (unknown, expired or used); the wallet fetches a new one.
	CodeInvalidNonce = "invalid_nonce"
	// CodeInvalidEncryptionParameters: the encryption parameters are
	// invalid, or missing where the issuer requires encryption.
	CodeInvalidEncryptionParameters = "invalid_encryption_parameters"
	// CodeCredentialRequestDenied: the issuer will not issue; the wallet
	// treats it as unrecoverable.
	CodeCredentialRequestDenied = "credential_request_denied"

	// CodeInvalidTransactionID: the Deferred Credential Request names a
	// transaction_id the issuer does not know or already served (§9.3).
	CodeInvalidTransactionID = "invalid_transaction_id"

	// Notification Error Response (§11.3).

	// CodeInvalidNotificationID: the notification_id is invalid.
	CodeInvalidNotificationID = "invalid_notification_id"
	// CodeInvalidNotificationRequest: the Notification Request is missing
	// a required parameter, has an unsupported parameter or value,
	// repeats a parameter or is otherwise malformed.
	CodeInvalidNotificationRequest = "invalid_notification_request"

	// CodeServerError: the server failed (RFC 6749 §4.1.2.1). [WriteError]
	// answers with it, and HTTP 500, for an error that is not a
	// [*ProtocolError], so that internal details stay in the server's
	// logs.
	CodeServerError = "server_error"
)

// Authentication schemes of the Authorization request header and of
// WWW-Authenticate challenges.
const (
	// SchemeBearer is the scheme of a bearer access token (RFC 6750 §2.1)
	// and the token_type of one (§6.2).
	SchemeBearer = "Bearer"
	// SchemeDPoP is the scheme of a DPoP-bound access token (RFC 9449
	// §7.1) and the token_type of one (RFC 9449 §5).
	SchemeDPoP = "DPoP"
)

// MaxErrorResponseSize caps the bytes [ReadError] reads of an error
// response body. An error response is one short JSON object.
const MaxErrorResponseSize = 16 << 10

// maxDescriptionLen caps an error_description [WriteError] sends and
// [ParseErrorResponse] keeps.
const maxDescriptionLen = 1024

// ProtocolError is an error response of the protocol: the Token Error
// Response (§6.3, RFC 6749 §5.2), the Credential Error Response (§8.3.1),
// the Notification Error Response (§11.3), and the errors of a protected
// resource (RFC 6750 §3) and of DPoP (RFC 9449 §5, §7.1, §8, §9).
//
// On the server, the parsers of requests ([ReadTokenRequest],
// [ReadCredentialRequest], …) return one, ready for [WriteError]; the
// issuer makes its own with [NewError]. On the client, [ReadError] turns
// an HTTP error response into one. Compare codes with the Code* constants:
// errors.As(err, &pe) && pe.Code == oid4vci.CodeInvalidNonce.
type ProtocolError struct {
	// Status is the HTTP status code of the response; 0 means the usual
	// one for Code (see [NewError]).
	Status int
	// Code is the "error" member, one of the Code* constants. A client
	// keeps codes it does not know; a Code of "" means the response
	// carried no error code (RFC 6750 §3.1: a request without any
	// access token gets a bare challenge).
	Code string
	// Description is the "error_description" member: human-readable
	// ASCII, %x20-21 / %x23-5B / %x5D-7E only (§8.3.1.2, RFC 6749 §5.2);
	// [WriteError] replaces other characters with '?'.
	Description string
	// Scheme, when not empty, makes [WriteError] send the error as a
	// WWW-Authenticate challenge of that scheme ([SchemeBearer] or
	// [SchemeDPoP]), as a protected resource does (RFC 6750 §3, RFC 9449
	// §7.1). On the client it is the scheme of the challenge received.
	Scheme string
	// DPoPNonce is a fresh DPoP nonce sent in the DPoP-Nonce header (RFC
	// 9449 §8.1, §9), as with [CodeUseDPoPNonce].
	DPoPNonce string
	// Err is the cause. It is never sent; [ProtocolError.Unwrap] returns
	// it, so errors.Is(err, ErrInvalidProof) still works through a
	// ProtocolError.
	Err error
}

// NewError returns a *ProtocolError with code, description and the HTTP
// status the specifications give for code: 401 for invalid_client (RFC
// 6749 §5.2) and invalid_token, 403 for insufficient_scope (RFC 6750
// §3.1), 500 for server_error, 400 for all others (§6.3, §8.3.1.2, §11.3,
// RFC 9449 §5, §8). A protected resource answering invalid_dpop_proof or
// use_dpop_nonce sets Status 401 and Scheme "DPoP" itself (RFC 9449 §7.1,
// §9).
func NewError(code, description string) *ProtocolError {
	return &ProtocolError{Status: defaultStatus(code), Code: code, Description: description}
}

func defaultStatus(code string) int {
	switch code {
	case CodeInvalidClient, CodeInvalidToken, "":
		return http.StatusUnauthorized
	case CodeInsufficientScope:
		return http.StatusForbidden
	case CodeServerError:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// Error returns "oid4vci: <code>: <description>".
func (e *ProtocolError) Error() string {
	code := e.Code
	if code == "" {
		code = fmt.Sprintf("HTTP %d", e.Status)
	}
	if e.Description == "" {
		return "oid4vci: " + code
	}
	return "oid4vci: " + code + ": " + e.Description
}

// Unwrap returns the cause, Err.
func (e *ProtocolError) Unwrap() error { return e.Err }

// Is reports whether target is a *ProtocolError with the same Code, so
// that errors.Is(err, oid4vci.NewError(oid4vci.CodeInvalidGrant, "")) matches
// any invalid_grant.
func (e *ProtocolError) Is(target error) bool {
	t, ok := target.(*ProtocolError)
	return ok && t.Code == e.Code
}

// errorBody is the JSON body of an error response (RFC 6749 §5.2).
type errorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// WriteError writes err as the error response an http.Handler sends: the
// JSON body {"error", "error_description"} with Content-Type
// application/json and Cache-Control: no-store (§6.3, §8.3.1.2, §11.3
// examples; RFC 6749 §5.1), the HTTP status of the *ProtocolError in err's
// chain, a WWW-Authenticate challenge when its Scheme is set (RFC 6750 §3,
// RFC 9449 §7.1) and a DPoP-Nonce header when its DPoPNonce is (RFC 9449
// §8, §9).
//
// An err without a *ProtocolError in its chain is answered with HTTP 500
// and server_error, without a description: its text stays with the
// caller, who should log it.
func WriteError(w http.ResponseWriter, err error) {
	var pe *ProtocolError
	if !errors.As(err, &pe) {
		pe = &ProtocolError{Status: http.StatusInternalServerError, Code: CodeServerError}
	}
	status := pe.Status
	if status < 400 || status > 599 {
		status = defaultStatus(pe.Code)
	}
	code := sanitizeASCII(pe.Code, 128)
	desc := sanitizeASCII(pe.Description, maxDescriptionLen)
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if pe.Scheme != "" {
		h.Set("WWW-Authenticate", challenge(pe.Scheme, code, desc))
	}
	if pe.DPoPNonce != "" && validDPoPNonce(pe.DPoPNonce) {
		h.Set("DPoP-Nonce", pe.DPoPNonce)
	}
	if code == "" {
		// RFC 6750 §3.1: a request without authentication gets the bare
		// challenge, no error code.
		w.WriteHeader(status)
		return
	}
	body, _ := marshal(errorBody{Error: code, ErrorDescription: desc})
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// challenge builds a WWW-Authenticate value (RFC 6750 §3). code and desc
// are already restricted to characters that need no escaping inside a
// quoted-string (the set excludes '"' and '\').
func challenge(scheme, code, desc string) string {
	var b strings.Builder
	b.WriteString(sanitizeToken(scheme))
	if code != "" {
		fmt.Fprintf(&b, " error=%q", code)
		if desc != "" {
			fmt.Fprintf(&b, ", error_description=%q", desc)
		}
	}
	return b.String()
}

// errorChar reports whether c may appear in error and error_description:
// %x20-21 / %x23-5B / %x5D-7E (§8.3.1.2, RFC 6749 §5.2).
func errorChar(c byte) bool {
	return c == 0x20 || c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E)
}

// sanitizeASCII replaces every byte outside the error character set with
// '?' and truncates to max bytes.
func sanitizeASCII(s string, max int) string {
	if len(s) > max {
		s = s[:max]
	}
	ok := true
	for i := 0; i < len(s); i++ {
		if !errorChar(s[i]) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if !errorChar(c) {
			b[i] = '?'
		}
	}
	return string(b)
}

// sanitizeToken keeps only the letters of an auth-scheme.
func sanitizeToken(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && i < 32; i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// WriteJSON writes v as the JSON body of a successful response with the
// given status, Content-Type application/json, and Cache-Control:
// no-store and Pragma: no-cache: the Nonce Response MUST be uncacheable
// (§7.2), so must a Token Response (RFC 6749 §5.1), and a Credential
// Response holds credentials. v is encoded before anything is written, so
// an encoding error leaves w untouched.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	body, err := marshal(v)
	if err != nil {
		return fmt.Errorf("oid4vci: encoding the response: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, err = w.Write(body)
	return err
}

// ParseErrorResponse parses the JSON body of an error response (RFC 6749
// §5.2, §8.3.1.2, §11.3) strictly: a JSON object with "error", a
// non-empty string of the characters %x20-21 / %x23-5B / %x5D-7E, and an
// optional string "error_description". Codes this package does not know
// are kept (a client tolerates them); a description with characters
// outside the allowed set has them replaced with '?' and is cut at 1024
// bytes. Status is left 0: [ReadError] sets it.
func ParseErrorResponse(body []byte) (*ProtocolError, error) {
	f, err := decodeObject("error response", body, MaxErrorResponseSize, 4)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	e := &ProtocolError{Code: f.Str("error", true), Description: f.Text("error_description")}
	for i := 0; i < len(e.Code); i++ {
		if !errorChar(e.Code[i]) || len(e.Code) > 128 {
			f.Failf("error", "not an error code")
			break
		}
	}
	if err := f.Err(); err != nil {
		return nil, fmt.Errorf("%w: error response: %v", ErrMalformed, err)
	}
	e.Description = sanitizeASCII(e.Description, maxDescriptionLen)
	return e, nil
}

// ReadError turns an HTTP error response of an OpenID4VCI or OAuth server
// into a *ProtocolError: Status is the response's status; Code and
// Description come from the JSON body ([ParseErrorResponse]) or else from
// the WWW-Authenticate challenge (RFC 6750 §3, RFC 9449 §7.1), whose
// scheme becomes Scheme; DPoPNonce is a valid DPoP-Nonce header (RFC 9449
// §8.1). A response that carries no error code gives Code "" and a
// Description naming the HTTP status. It reads at most
// [MaxErrorResponseSize] bytes of the body and does not close it.
func ReadError(resp *http.Response) *ProtocolError {
	e := &ProtocolError{Status: resp.StatusCode}
	if body, err := readBody(resp.Body, MaxErrorResponseSize); err == nil && len(body) > 0 {
		if pe, err := ParseErrorResponse(body); err == nil {
			e.Code, e.Description = pe.Code, pe.Description
		}
	}
	if ch := resp.Header.Get("WWW-Authenticate"); ch != "" {
		scheme, params := parseChallenge(ch)
		e.Scheme = scheme
		if e.Code == "" {
			e.Code = sanitizeASCII(params["error"], 128)
			e.Description = sanitizeASCII(params["error_description"], maxDescriptionLen)
		}
	}
	if n := resp.Header.Get("DPoP-Nonce"); validDPoPNonce(n) {
		e.DPoPNonce = n
	}
	if e.Code == "" && e.Description == "" {
		e.Description = fmt.Sprintf("HTTP %d %s without an error response", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return e
}

// maxChallengeLen caps the WWW-Authenticate value parseChallenge reads.
const maxChallengeLen = 4096

// parseChallenge reads the first challenge of a WWW-Authenticate value
// (RFC 9110 §11.6.1): the auth-scheme, then auth-params name=token or
// name="quoted-string", separated by commas. It returns the scheme
// ([SchemeBearer] or [SchemeDPoP] when it is one of them,
// case-insensitively) and the parameters with lower-case names; anything
// malformed ends the parameters read so far.
func parseChallenge(s string) (string, map[string]string) {
	if len(s) > maxChallengeLen {
		s = s[:maxChallengeLen]
	}
	params := map[string]string{}
	i := 0
	for i < len(s) && isTChar(s[i]) {
		i++
	}
	scheme := s[:i]
	switch {
	case strings.EqualFold(scheme, SchemeBearer):
		scheme = SchemeBearer
	case strings.EqualFold(scheme, SchemeDPoP):
		scheme = SchemeDPoP
	}
	for len(params) < 16 {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ',') {
			i++
		}
		start := i
		for i < len(s) && isTChar(s[i]) {
			i++
		}
		name := strings.ToLower(s[start:i])
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if name == "" || i >= len(s) || s[i] != '=' {
			break
		}
		i++
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		var val strings.Builder
		if i < len(s) && s[i] == '"' {
			i++
			closed := false
			for i < len(s) {
				c := s[i]
				i++
				if c == '"' {
					closed = true
					break
				}
				if c == '\\' && i < len(s) {
					c = s[i]
					i++
				}
				val.WriteByte(c)
			}
			if !closed {
				break
			}
		} else {
			start := i
			for i < len(s) && (isTChar(s[i]) || s[i] == '/' || s[i] == '=') {
				i++
			}
			val.WriteString(s[start:i])
		}
		if _, dup := params[name]; dup {
			break
		}
		params[name] = val.String()
	}
	return scheme, params
}

// isTChar reports whether c is a tchar of RFC 9110 §5.6.2.
func isTChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
