package oid4vp

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// Sentinel errors of the Authorization Request, Request Object and
// response parsers and checks. Each error of this package wraps one of
// them, most inside a [*ProtocolError] that carries the error code to
// answer with; errors.Is works through it.
var (
	// ErrMalformed: a message is not what OpenID4VP allows (bad JSON,
	// duplicate member names or parameters, a missing or mistyped
	// parameter, an unknown enumeration value, a non-https URL, too
	// large).
	ErrMalformed = errors.New("oid4vp: malformed message")
	// ErrUnsupported: the message asks for something ikdkit does not do
	// (a response_mode such as fragment, scope instead of dcql_query,
	// transaction_data, a multi-signed DC API request, a Client
	// Identifier Prefix it cannot authenticate, request encryption).
	ErrUnsupported = errors.New("oid4vp: not supported")
	// ErrInvalidRequestObject: the Request Object is not authentic (bad
	// signature, wrong typ, alg not allowed, no usable x5c) or its
	// client_id does not fit the key that signed it (§5.9.3).
	ErrInvalidRequestObject = errors.New("oid4vp: invalid request object")
	// ErrUntrustedVerifier: the Verifier's certificate chain does not
	// chain to the caller's roots, or the caller's trust check refused it.
	ErrUntrustedVerifier = errors.New("oid4vp: verifier not trusted")
	// ErrNotFresh: the Request Object is expired, issued in the future,
	// older than the maximum age, or carries no iat.
	ErrNotFresh = errors.New("oid4vp: request object not fresh")
	// ErrWalletNonce: the Request Object does not carry the wallet_nonce
	// the Wallet sent to the request_uri (§5.10.1).
	ErrWalletNonce = errors.New("oid4vp: wallet_nonce mismatch")
	// ErrOrigin: over the Digital Credentials API, the origin the
	// platform asserts is not one of the signed request's
	// expected_origins (Appendix A.2).
	ErrOrigin = errors.New("oid4vp: origin not expected")
	// ErrDecrypt: an encrypted response (direct_post.jwt, dc_api.jwt)
	// does not decrypt with the Verifier's key, or uses an alg or enc the
	// Verifier did not offer.
	ErrDecrypt = errors.New("oid4vp: response does not decrypt")
)

// Error codes of OpenID4VP error responses (§8.5) and of the OAuth and
// JAR errors they build on, exactly as the specifications spell them.
const (
	// CodeInvalidRequest: the request is malformed, has both dcql_query
	// and a DCQL scope or neither, uses a Client Identifier Prefix the
	// Wallet does not support, or breaks the rules of its prefix (§8.5,
	// RFC 6749 §4.1.2.1). Also what the Verifier's endpoints answer to a
	// malformed request, and the error for an origin not in
	// expected_origins (Appendix A.2).
	CodeInvalidRequest = "invalid_request"
	// CodeInvalidClient: client_metadata is present but the Wallet knows
	// the client's metadata from elsewhere (§8.5).
	CodeInvalidClient = "invalid_client"
	// CodeAccessDenied: the Wallet has no Credentials that satisfy the
	// request, the End-User refused consent, or End-User authentication
	// failed (§8.5).
	CodeAccessDenied = "access_denied"
	// CodeVPFormatsNotSupported: the Wallet supports none of the formats
	// the Verifier asked for (§8.5).
	CodeVPFormatsNotSupported = "vp_formats_not_supported"
	// CodeInvalidRequestURIMethod: request_uri_method is neither get nor
	// post (§8.5).
	CodeInvalidRequestURIMethod = "invalid_request_uri_method"
	// CodeInvalidTransactionData: transaction_data has an unknown type,
	// or breaks its type's rules (§8.5). ikdkit knows no transaction
	// data type, so any transaction_data gets it (§5.1: a Wallet that does
	// not support the parameter MUST reject the request).
	CodeInvalidTransactionData = "invalid_transaction_data"
	// CodeWalletUnavailable: another component than the Wallet received
	// the request (§8.5).
	CodeWalletUnavailable = "wallet_unavailable"
	// CodeInvalidRequestObject: the Request Object is invalid (RFC 9101
	// §6.3): not authentic, not fresh, or for another Wallet.
	CodeInvalidRequestObject = "invalid_request_object"
	// CodeInvalidRequestURI: the request_uri is invalid or fetching it
	// failed (RFC 9101 §6.3).
	CodeInvalidRequestURI = "invalid_request_uri"
	// CodeUnsupportedResponseType: response_type is not vp_token (RFC
	// 6749 §4.1.2.1).
	CodeUnsupportedResponseType = "unsupported_response_type"
	// CodeInvalidScope: scope names no DCQL query the Wallet knows (RFC
	// 6749 §4.1.2.1); ikdkit knows none.
	CodeInvalidScope = "invalid_scope"
	// CodeServerError: the server failed. [WriteError] answers it, with
	// HTTP 500, for an error that is not a [*ProtocolError].
	CodeServerError = "server_error"
)

// MaxErrorResponseSize caps the bytes [ReadError] reads of an error
// response body.
const MaxErrorResponseSize = 16 << 10

// maxDescriptionLen caps an error_description sent or kept.
const maxDescriptionLen = 1024

// ProtocolError is an error response of OpenID4VP: the Authorization
// Error Response a Wallet sends to the Verifier (§8.5, RFC 6749
// §4.1.2.1; with direct_post as a form, over the DC API as the data
// object), and the JSON error body of the Verifier's request_uri and
// response_uri endpoints.
//
// The Wallet-side parsers ([ParseAuthorizationRequest],
// [VerifyRequestObject], …) return one with the code to send back;
// [ErrorResponseForm] and [DCAPIErrorData] encode it. The Verifier reads
// a Wallet's error from [AuthorizationResponse].Error, answers its own
// endpoints' errors with [WriteError], and the Wallet reads those with
// [ReadError]. Compare codes with the Code* constants:
// errors.As(err, &pe) && pe.Code == oid4vp.CodeAccessDenied.
type ProtocolError struct {
	// Status is the HTTP status code when the error is an HTTP response;
	// 0 means 400 (500 for server_error).
	Status int
	// Code is the "error" member, one of the Code* constants. Codes this
	// package does not know are kept.
	Code string
	// Description is the "error_description": ASCII %x20-21 / %x23-5B /
	// %x5D-7E only (RFC 6749 §4.1.2.1); when sent, '"' becomes '\'' and
	// other characters '?'. §14.6 asks that it carry nothing that would
	// tell the Verifier about the End-User's data.
	Description string
	// Err is the cause. It is never sent; Unwrap returns it, so
	// errors.Is(err, oid4vp.ErrNotFresh) works through a ProtocolError.
	Err error
}

// NewError returns a *ProtocolError with code and description.
func NewError(code, description string) *ProtocolError {
	return &ProtocolError{Code: code, Description: description}
}

// protoErr wraps a sentinel in a ProtocolError with code; the
// description is the detail, the sentinel's text prefixing it in Error.
func protoErr(code string, sentinel error, format string, args ...any) *ProtocolError {
	d := fmt.Sprintf(format, args...)
	return &ProtocolError{Code: code, Description: sanitizeASCII(d, maxDescriptionLen), Err: fmt.Errorf("%w: %s", sentinel, d)}
}

// Error returns "oid4vp: <code>: <description>", or the cause's text when
// there is one (which names the sentinel).
func (e *ProtocolError) Error() string {
	if e.Err != nil {
		return "oid4vp: " + e.Code + ": " + e.Err.Error()
	}
	if e.Description == "" {
		return "oid4vp: " + e.Code
	}
	return "oid4vp: " + e.Code + ": " + e.Description
}

// Unwrap returns the cause, Err.
func (e *ProtocolError) Unwrap() error { return e.Err }

// Is reports whether target is a *ProtocolError with the same Code.
func (e *ProtocolError) Is(target error) bool {
	t, ok := target.(*ProtocolError)
	return ok && t.Code == e.Code
}

func (e *ProtocolError) status() int {
	if e.Status >= 400 && e.Status <= 599 {
		return e.Status
	}
	if e.Code == CodeServerError {
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// asProtocolError returns the *ProtocolError in err's chain, or a
// server_error without description.
func asProtocolError(err error) *ProtocolError {
	var pe *ProtocolError
	if errors.As(err, &pe) {
		return pe
	}
	return &ProtocolError{Code: CodeServerError}
}

// ErrorResponseForm encodes err as the Authorization Error Response a
// Wallet posts to the response_uri with direct_post (§8.2: error,
// error_description, state, application/x-www-form-urlencoded). err
// without a *ProtocolError in its chain is sent as server_error without a
// description, so that internal details stay in the Wallet. Per §8.3 an
// error response may be sent unencrypted even with direct_post.jwt.
func ErrorResponseForm(err error, state string) url.Values {
	pe := asProtocolError(err)
	v := url.Values{"error": {sanitizeASCII(pe.Code, 128)}}
	if d := sanitizeASCII(pe.Description, maxDescriptionLen); d != "" {
		v.Set("error_description", d)
	}
	if state != "" {
		v.Set("state", state)
	}
	return v
}

// WriteError writes err as the error response of the Verifier's
// request_uri or response_uri endpoint: the JSON body {"error",
// "error_description"}, Content-Type application/json, Cache-Control
// no-store, and the status of the *ProtocolError in err's chain (400 by
// default). An err without one is answered 500 server_error without a
// description: its text stays with the caller, who should log it.
func WriteError(w http.ResponseWriter, err error) {
	pe := asProtocolError(err)
	body, _ := strictjson.Marshal(errorBody{Error: sanitizeASCII(pe.Code, 128), ErrorDescription: sanitizeASCII(pe.Description, maxDescriptionLen)})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(pe.status())
	w.Write(body)
}

type errorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// ParseErrorResponse parses the JSON body of an error response (RFC 6749
// §5.2): an object with a non-empty "error" of the characters %x20-21 /
// %x23-5B / %x5D-7E and an optional string "error_description" (cut at
// 1024 bytes, other characters replaced with '?'). Unknown codes are
// kept. Status is left 0.
func ParseErrorResponse(body []byte) (*ProtocolError, error) {
	r, err := readObject("error response", body, MaxErrorResponseSize, 2)
	if err != nil {
		return nil, err
	}
	return errorFromReader(r)
}

func errorFromReader(r *strictjson.Fields) (*ProtocolError, error) {
	e := &ProtocolError{Code: r.Str("error", true), Description: r.Text("error_description")}
	if e.Code != "" && (len(e.Code) > 128 || sanitizeASCII(e.Code, 128) != e.Code) {
		r.Failf("error", "not an error code")
	}
	if err := r.Err(); err != nil {
		return nil, malformed("error response: %v", err)
	}
	e.Description = sanitizeASCII(e.Description, maxDescriptionLen)
	return e, nil
}

// ReadError turns an HTTP error response of a Verifier's endpoint into a
// *ProtocolError: Status is the response's; Code and Description come
// from the JSON body, or say that there was none. It reads at most
// [MaxErrorResponseSize] bytes and does not close the body.
func ReadError(resp *http.Response) *ProtocolError {
	e := &ProtocolError{Status: resp.StatusCode}
	if b, err := io.ReadAll(io.LimitReader(resp.Body, MaxErrorResponseSize+1)); err == nil && len(b) <= MaxErrorResponseSize {
		if pe, err := ParseErrorResponse(b); err == nil {
			e.Code, e.Description = pe.Code, pe.Description
		}
	}
	if e.Code == "" {
		e.Description = fmt.Sprintf("HTTP %d %s without an error response", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return e
}

// errorChar reports whether c may appear in error and error_description:
// %x20-21 / %x23-5B / %x5D-7E (RFC 6749 §4.1.2.1).
func errorChar(c byte) bool {
	return c == 0x20 || c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E)
}

// sanitizeASCII replaces every byte outside the error character set with
// '?' (a double quote, which Go's %q puts around values, with a single
// one) and truncates to max bytes.
func sanitizeASCII(s string, max int) string {
	if len(s) > max {
		s = s[:max]
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c == '"':
			b[i] = '\''
		case !errorChar(c):
			b[i] = '?'
		}
	}
	return string(b)
}

// malformed returns an invalid_request ProtocolError wrapping ErrMalformed.
func malformed(format string, args ...any) *ProtocolError {
	return protoErr(CodeInvalidRequest, ErrMalformed, format, args...)
}
