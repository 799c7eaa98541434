package oid4vp

import (
	"crypto"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/keys"
)

// The Authorization Request (§5).

// ResponseTypeVPToken is the only response_type ikdkit answers (§5.4):
// the VP Token comes in the Authorization Response.
const ResponseTypeVPToken = "vp_token"

// Scheme is the custom URL scheme of the static Wallet configuration of
// §13.1.2 (authorization_endpoint "openid4vp:"). HAIP names haip-vp://;
// a Wallet may use any scheme or a claimed https URL.
const Scheme = "openid4vp://"

// ResponseMode is how the Wallet returns the Authorization Response.
type ResponseMode string

// The Response Modes ikdkit supports. fragment (the default of §5.4) and
// query are refused: they put presentations in a URL, beyond most URL
// size limits and into browser histories; every Verifier of ikdkit
// receives responses on its own endpoint or through the DC API.
const (
	// ResponseModeDirectPost: the Wallet posts the response to
	// response_uri as a form (§8.2).
	ResponseModeDirectPost ResponseMode = "direct_post"
	// ResponseModeDirectPostJWT: as direct_post, with the response
	// encrypted to the Verifier's key, in the form parameter "response"
	// (§8.3.1). HAIP requires it for redirect flows.
	ResponseModeDirectPostJWT ResponseMode = "direct_post.jwt"
	// ResponseModeDCAPI: the response is returned through the Digital
	// Credentials API (Appendix A.2).
	ResponseModeDCAPI ResponseMode = "dc_api"
	// ResponseModeDCAPIJWT: as dc_api, encrypted (Appendix A.2). HAIP
	// requires it over the DC API.
	ResponseModeDCAPIJWT ResponseMode = "dc_api.jwt"
)

// Encrypted reports whether the mode encrypts the response (§8.3).
func (m ResponseMode) Encrypted() bool {
	return m == ResponseModeDirectPostJWT || m == ResponseModeDCAPIJWT
}

// DCAPI reports whether the mode is one of the Digital Credentials API.
func (m ResponseMode) DCAPI() bool { return m == ResponseModeDCAPI || m == ResponseModeDCAPIJWT }

// RequestURIMethod is the request_uri_method parameter (§5.1).
type RequestURIMethod string

// The request_uri_method values (§5.1, case-sensitive).
const (
	// RequestURIMethodGet: the Wallet fetches the Request Object with
	// GET (RFC 9101 §5.2); the default.
	RequestURIMethodGet RequestURIMethod = "get"
	// RequestURIMethodPost: the Wallet may POST its metadata and a
	// wallet_nonce to the request_uri (§5.10), see [RequestURIPost].
	RequestURIMethodPost RequestURIMethod = "post"
)

// Caps on Authorization Requests. Every cost a Verifier controls has one.
const (
	// MaxRequestLinkSize caps a request link or QR text
	// ([ParseAuthorizationRequest]).
	MaxRequestLinkSize = 64 << 10
	// MaxRequestSize caps the JSON text of request parameters: a Request
	// Object's payload, or the data of a DC API request.
	MaxRequestSize = 128 << 10
	// MaxRequestObjectSize caps a Request Object (a compact JWS).
	MaxRequestObjectSize = 256 << 10
	// MaxClientMetadataSize caps client_metadata.
	MaxClientMetadataSize = 32 << 10
	// MaxJWKs caps the keys of client_metadata.jwks.
	MaxJWKs = 16
	// MaxVerifierInfo caps the entries of verifier_info.
	MaxVerifierInfo = 16
	// MaxNonceLen caps nonce, state and wallet_nonce.
	MaxNonceLen = 512
	// maxRequestDepth caps JSON nesting in request parameters: the
	// object, dcql_query with the depth ParseQuery allows, room for
	// client_metadata.jwks.keys[].x5c and a verifier_info data object.
	maxRequestDepth = 12
	// maxMetadataDepth: client_metadata, jwks, keys, a key, its x5c.
	maxMetadataDepth = 6
)

// AuthorizationRequest is an OpenID4VP Authorization Request (§5): its
// parameters, whether they came in a link (unsigned, by value), in a
// verified Request Object ([VerifyRequestObject]) or in a DC API request.
//
// A request by reference or a signed request by value carries only
// ClientID and RequestURI (with RequestURIMethod) or Request: the Wallet
// fetches or verifies the Request Object, and uses only its parameters
// (§5.10.1).
//
// Values from [ParseAuthorizationRequest] and [ParseDCAPIRequest] are
// unauthenticated unless the Client Identifier Prefix is pre-registered
// or redirect_uri, where nothing authenticates the Verifier anyway: show
// nothing of a request for a signing prefix as the Verifier's before
// [VerifyRequestObject] succeeded.
type AuthorizationRequest struct {
	// ClientID is the full client_id, with its Client Identifier Prefix
	// (§5.2, §5.9); see [AuthorizationRequest.Client]. Omitted in
	// unsigned DC API requests (Appendix A.2).
	ClientID string
	// ResponseType is [ResponseTypeVPToken].
	ResponseType string
	// ResponseMode is one of the ResponseMode* constants.
	ResponseMode ResponseMode
	// ResponseURI is where the Wallet posts the response with
	// direct_post and direct_post.jwt (§8.2).
	ResponseURI string
	// RedirectURI is the redirect_uri; ikdkit supports no Response Mode
	// that uses it, so a parsed request never has it.
	RedirectURI string
	// Nonce binds the presentations to this request (§5.2): fresh, at
	// least 128 bits of entropy, URL-safe characters.
	Nonce string
	// State, when set, comes back in the response (§5.2, §8.2).
	State string
	// DCQLQuery is the DCQL query (§5.1, §6).
	DCQLQuery *Query
	// ClientMetadata is client_metadata (§5.1), nil if absent.
	ClientMetadata *ClientMetadata
	// VerifierInfo is verifier_info (§5.1, §5.11): attestations about the
	// Verifier, unverified by this package.
	VerifierInfo []VerifierInfo
	// ExpectedOrigins are the Verifier's origins, in a signed DC API
	// request (Appendix A.2); see [CheckOrigin].
	ExpectedOrigins []string

	// RequestURI is where the Request Object is, in a request by
	// reference (RFC 9101 §5.2).
	RequestURI string
	// RequestURIMethod is how to fetch RequestURI; "" means get.
	RequestURIMethod RequestURIMethod
	// Request is the Request Object by value (RFC 9101 §5.1), a JWS for
	// [VerifyRequestObject].
	Request string
}

// ClientMetadata is the Verifier metadata of the client_metadata
// parameter (§5.1, §11). Other metadata parameters are ignored (§5.1).
type ClientMetadata struct {
	// JWKS are the keys of jwks: keys to encrypt the response to (those
	// without use, or with use "enc"), each with a unique kid (§5.1).
	// They MUST NOT be used to verify a signed request.
	JWKS []JWK
	// EncryptedResponseEncValuesSupported lists the JWE enc values the
	// Verifier accepts; absent means A128GCM (§5.1).
	EncryptedResponseEncValuesSupported []string
	// VPFormatsSupported is vp_formats_supported (§11.1), keyed by
	// Credential Format Identifier.
	VPFormatsSupported map[credential.Format]VPFormat
}

// JWK is one public key of client_metadata.jwks.
type JWK struct {
	// KeyID is kid, required (§5.1).
	KeyID string
	// Use is use, "" if absent.
	Use string
	// Alg is alg, "" if absent; §8.3 requires it for a key to encrypt to.
	Alg string
	// Kty and Crv are the key type and curve.
	Kty, Crv string
	// Key is the public key when it is an EC key on P-256, P-384 or P-521
	// or an Ed25519 key; nil for key types ikdkit does not read.
	Key crypto.PublicKey
	// Raw is the JWK as received, compact JSON.
	Raw json.RawMessage
}

// VPFormat is the value of one vp_formats_supported entry (Appendix B).
type VPFormat struct {
	// SDJWTAlgValues and KBJWTAlgValues: dc+sd-jwt, the accepted
	// algorithms of the issuer-signed JWT and the Key Binding JWT
	// (B.3.4).
	SDJWTAlgValues, KBJWTAlgValues []string
	// IssuerAuthAlgValues and DeviceAuthAlgValues: mso_mdoc, the accepted
	// COSE algorithm identifiers (B.2.2).
	IssuerAuthAlgValues, DeviceAuthAlgValues []int64
	// Other is the value for a format this package does not read, as
	// compact JSON.
	Other json.RawMessage
}

// VerifierInfo is one attestation of verifier_info (§5.1, §5.11). ikdkit
// does not interpret any format: a Wallet that uses one (a registration
// certificate stating the Verifier's purpose, say) MUST verify its
// signature and binding first (§5.1), and shows nothing of it before.
type VerifierInfo struct {
	// Format identifies the attestation's format.
	Format string
	// Data is the attestation: a JSON string (a JWT, say) or object, as
	// compact JSON.
	Data json.RawMessage
	// CredentialIDs, when set, are the Credential Query ids the
	// attestation is about; empty means all.
	CredentialIDs []string
}

// Client parses ClientID ([ParseClientID]).
func (r *AuthorizationRequest) Client() (ClientID, error) { return ParseClientID(r.ClientID) }

// flow says where request parameters came from.
type flow struct {
	dcAPI  bool // over the Digital Credentials API
	signed bool // in a Request Object
}

// ParseAuthorizationRequest reads an Authorization Request link or QR
// text (§5.7; any scheme: openid4vp:// of §13.1.2, haip-vp://, or a
// Wallet's https URL), at most [MaxRequestLinkSize] bytes, each query
// parameter at most once:
//
//   - by reference (client_id, request_uri, request_uri_method): the
//     result has ClientID, RequestURI (an https URL, [CheckURL]) and
//     RequestURIMethod; a request_uri_method other than get or post is a
//     [*ProtocolError] invalid_request_uri_method (§5.1);
//   - a signed request by value (client_id, request): ClientID and
//     Request, for [VerifyRequestObject];
//   - unsigned, by value: every parameter, checked as in the package doc
//     (JSON-valued parameters as JSON text, §5.1). Only the
//     pre-registered and redirect_uri Client Identifier Prefixes may be
//     unsigned (§5.9.3).
//
// With request or request_uri, other parameters are ignored: the Wallet
// uses only those of the Request Object (§5.10.1). Errors are
// [*ProtocolError] with the code to answer with, wrapping [ErrMalformed]
// or [ErrUnsupported] (and a [*QueryError] for the DCQL query).
func ParseAuthorizationRequest(link string) (*AuthorizationRequest, error) {
	if len(link) > MaxRequestLinkSize {
		return nil, malformed("request link of %d bytes, over the %d-byte cap", len(link), MaxRequestLinkSize)
	}
	u, err := url.Parse(link)
	if err != nil || u.Scheme == "" {
		return nil, malformed("request link is not an absolute URL")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, malformed("request link query: %v", err)
	}
	for k, v := range q {
		if len(v) != 1 {
			// RFC 6749 §3.1: request parameters MUST NOT be included more
			// than once.
			return nil, malformed("parameter %.64q repeated", k)
		}
	}
	_, hasURI := q["request_uri"]
	_, hasReq := q["request"]
	_, hasMethod := q["request_uri_method"]
	if hasURI || hasReq {
		return parseByReference(q, hasURI, hasReq, hasMethod)
	}
	if hasMethod {
		// §5.1: request_uri_method MUST NOT be present without request_uri.
		return nil, malformed("request_uri_method without request_uri")
	}
	m := make(map[string]any, len(q))
	for k, v := range q {
		switch k {
		case "dcql_query", "client_metadata", "verifier_info", "transaction_data", "expected_origins":
			// §5.1: parameters containing objects are transferred as
			// JSON-serialized strings.
			val, err := strictjson.Unmarshal([]byte(v[0]), maxRequestDepth)
			if err != nil {
				return nil, malformed("%s: %v", k, err)
			}
			m[k] = val
		default:
			m[k] = v[0]
		}
	}
	return parseRequestParams(newReader(m, ""), flow{})
}

// parseByReference reads a link with request or request_uri (RFC 9101
// §5).
func parseByReference(q url.Values, hasURI, hasReq, hasMethod bool) (*AuthorizationRequest, error) {
	if hasURI && hasReq {
		// RFC 9101 §5: request and request_uri MUST NOT both be present.
		return nil, malformed("both request and request_uri")
	}
	// RFC 9101 §5: client_id is REQUIRED with request or request_uri.
	c, err := ParseClientID(q.Get("client_id"))
	if err != nil {
		return nil, err
	}
	if !c.Prefix.RequiresSignature() && c.Prefix != PrefixPreRegistered {
		// §5.9.3: redirect_uri requests cannot be signed.
		return nil, malformed("a %s client_id cannot send a Request Object", c.Prefix)
	}
	r := &AuthorizationRequest{ClientID: c.String()}
	if hasReq {
		if hasMethod {
			return nil, malformed("request_uri_method without request_uri")
		}
		r.Request = q.Get("request")
		if r.Request == "" || len(r.Request) > MaxRequestObjectSize {
			return nil, malformed("request is empty or over %d bytes", MaxRequestObjectSize)
		}
		return r, nil
	}
	r.RequestURI = q.Get("request_uri")
	if err := CheckURL(r.RequestURI); err != nil {
		return nil, malformed("request_uri: %v", err)
	}
	if hasMethod {
		r.RequestURIMethod = RequestURIMethod(q.Get("request_uri_method"))
		if r.RequestURIMethod != RequestURIMethodGet && r.RequestURIMethod != RequestURIMethodPost {
			// §5.1, §8.5: get or post, case-sensitive.
			return nil, protoErr(CodeInvalidRequestURIMethod, ErrMalformed, "request_uri_method %.32q is neither get nor post", q.Get("request_uri_method"))
		}
	}
	return r, nil
}

// parseRequestJSON reads request parameters from a JSON object (a Request
// Object's payload, the data of a DC API request).
func parseRequestJSON(data []byte, fl flow) (*AuthorizationRequest, error) {
	r, err := readObject("request", data, MaxRequestSize, maxRequestDepth)
	if err != nil {
		return nil, err
	}
	return parseRequestParams(r, fl)
}

// parseRequestParams reads and checks the parameters of one request.
func parseRequestParams(f *strictjson.Fields, fl flow) (*AuthorizationRequest, error) {
	if f.Has("transaction_data") {
		// §5.1: a Wallet that does not support transaction_data MUST
		// reject a request that contains it; §8.5 names the code.
		return nil, protoErr(CodeInvalidTransactionData, ErrUnsupported, "transaction_data is not supported")
	}
	for _, name := range []string{"request", "request_uri", "request_uri_method"} {
		if f.Has(name) {
			// RFC 9101 §4: a Request Object MUST NOT contain request or
			// request_uri; in parameters by value they are handled
			// before this point.
			return nil, malformed("%s inside the request parameters", name)
		}
	}
	r := &AuthorizationRequest{
		ClientID:     f.Str("client_id", false),
		ResponseType: f.Str("response_type", false),
		ResponseMode: ResponseMode(f.Str("response_mode", false)),
		ResponseURI:  f.Str("response_uri", false),
		RedirectURI:  f.Str("redirect_uri", false),
		Nonce:        f.Str("nonce", false),
		State:        f.Str("state", false),
	}
	if err := f.Err(); err != nil {
		return nil, malformed("%v", err)
	}
	if fl.dcAPI {
		// Appendix A.2: state, response_uri and redirect_uri are not
		// among the parameters of the DC API; unrecognized parameters
		// are ignored. An unsigned request's client_id MUST be ignored.
		r.State, r.ResponseURI, r.RedirectURI = "", "", ""
		if !fl.signed {
			r.ClientID = ""
		}
	}
	if v, ok := f.Get("dcql_query", false); ok {
		b, err := strictjson.Marshal(v)
		if err != nil {
			return nil, malformed("dcql_query: %v", err)
		}
		q, err := ParseQuery(b)
		if err != nil {
			return nil, &ProtocolError{Code: CodeInvalidRequest, Description: sanitizeASCII(err.Error(), maxDescriptionLen), Err: err}
		}
		r.DCQLQuery = q
	} else if f.Has("scope") {
		// §5.5: a scope may alias a DCQL query; ikdkit knows no alias.
		return nil, protoErr(CodeInvalidScope, ErrUnsupported, "scope aliases for DCQL queries are not supported; send dcql_query")
	}
	if v, ok := f.Get("client_metadata", false); ok {
		md, err := parseClientMetadataValue(v)
		if err != nil {
			return nil, err
		}
		r.ClientMetadata = md
	}
	for i, v := range f.Array("verifier_info", false, MaxVerifierInfo) {
		e, ok := f.Elem("verifier_info", i, v)
		if !ok {
			break
		}
		vi := VerifierInfo{Format: e.Str("format", true), CredentialIDs: e.Strs("credential_ids", false, true, MaxCredentialQueries)}
		// §5.1: data is REQUIRED, an object or a string.
		switch d, _ := e.Get("data", true); d.(type) {
		case string, map[string]any:
			vi.Data = e.Raw("data", false)
		case nil:
			e.Failf("data", "required member missing")
		default:
			e.Failf("data", "not an object or a string")
		}
		r.VerifierInfo = append(r.VerifierInfo, vi)
	}
	if fl.dcAPI && fl.signed {
		r.ExpectedOrigins = f.Strs("expected_origins", false, true, MaxValues)
	}
	if err := f.Err(); err != nil {
		return nil, malformed("%v", err)
	}
	if err := r.check(fl); err != nil {
		return nil, err
	}
	return r, nil
}

// Validate checks r as a Wallet would after parsing it: the rules of the
// package doc for a request of its Response Mode, signed when its Client
// Identifier Prefix requires a signature (for the DC API: when it has a
// client_id), with [Query.Validate]'s stricter rules for the DCQL query.
// A Verifier calls it before sending a request it built;
// [AuthorizationRequest.Link], [SignRequestObject] and [DCAPIRequest] call
// it too. For a redirect_uri client without ResponseURI, it sets
// ResponseURI to the client identifier (§5.9.3).
func (r *AuthorizationRequest) Validate() error {
	if r.RequestURI != "" || r.Request != "" {
		return malformed("Validate checks request parameters, not a request by reference")
	}
	fl := flow{dcAPI: r.ResponseMode.DCAPI()}
	if fl.dcAPI {
		fl.signed = r.ClientID != ""
	} else if c, err := ParseClientID(r.ClientID); err == nil {
		fl.signed = c.Prefix.RequiresSignature()
	}
	if r.DCQLQuery != nil {
		if err := r.DCQLQuery.Validate(); err != nil {
			return &ProtocolError{Code: CodeInvalidRequest, Description: sanitizeASCII(err.Error(), maxDescriptionLen), Err: err}
		}
	}
	return r.check(fl)
}

// check applies the rules on request parameters that do not need the
// Request Object's signature.
func (r *AuthorizationRequest) check(fl flow) error {
	// §5.4, §7: response_type vp_token; others are not supported.
	if r.ResponseType != ResponseTypeVPToken {
		return protoErr(CodeUnsupportedResponseType, ErrUnsupported, "response_type %.32q; only vp_token is supported", r.ResponseType)
	}
	// §5.2: response_mode REQUIRED.
	switch m := r.ResponseMode; {
	case m == "":
		return malformed("response_mode is required")
	case m.DCAPI() != fl.dcAPI && (m.DCAPI() || m == ResponseModeDirectPost || m == ResponseModeDirectPostJWT):
		return malformed("response_mode %s is not one of this transport (Digital Credentials API: %v)", m, fl.dcAPI)
	case !m.DCAPI() && m != ResponseModeDirectPost && m != ResponseModeDirectPostJWT:
		return protoErr(CodeInvalidRequest, ErrUnsupported, "response_mode %.32q is not supported", string(m))
	}
	// §5.2: nonce REQUIRED, ASCII URL safe characters.
	if r.Nonce == "" || len(r.Nonce) > MaxNonceLen || !urlSafe(r.Nonce) {
		return malformed("nonce is required: 1 to %d URL-safe characters", MaxNonceLen)
	}
	if r.State != "" && (len(r.State) > MaxNonceLen || !urlSafe(r.State)) {
		// §5.2: state values MUST only contain ASCII URL safe characters.
		return malformed("state is not 1 to %d URL-safe characters", MaxNonceLen)
	}
	// §5.1: dcql_query (or a scope alias, not supported) MUST be present.
	if r.DCQLQuery == nil {
		return malformed("dcql_query is required")
	}
	if fl.dcAPI {
		if r.State != "" || r.ResponseURI != "" || r.RedirectURI != "" {
			return malformed("state, response_uri and redirect_uri are not parameters of the DC API (Appendix A.2)")
		}
		if !fl.signed {
			if r.ClientID != "" || r.ExpectedOrigins != nil {
				// Appendix A.2: client_id MUST be omitted in unsigned
				// requests; expected_origins is not for them.
				return malformed("an unsigned DC API request has no client_id or expected_origins")
			}
		} else {
			if _, err := ParseClientID(r.ClientID); err != nil {
				return err
			}
			// Appendix A.2: expected_origins REQUIRED in signed requests.
			if len(r.ExpectedOrigins) == 0 {
				return malformed("expected_origins is required in a signed DC API request")
			}
			for _, o := range r.ExpectedOrigins {
				if err := checkExpectedOrigin(o); err != nil {
					return malformed("expected_origins: %v", err)
				}
			}
		}
	} else {
		if r.ExpectedOrigins != nil {
			return malformed("expected_origins is a parameter of the DC API only")
		}
		if err := r.checkClient(fl); err != nil {
			return err
		}
	}
	if md := r.ClientMetadata; md != nil {
		if err := md.check(); err != nil {
			return err
		}
	}
	if r.ResponseMode.Encrypted() {
		// §8.3: the Wallet encrypts to a key of client_metadata.jwks with
		// an enc the Verifier lists; ikdkit needs one it can use.
		if _, err := r.ClientMetadata.EncryptionKey(); err != nil {
			return err
		}
		if _, err := r.ClientMetadata.ContentEncryption(); err != nil {
			return err
		}
	}
	for i, vi := range r.VerifierInfo {
		if vi.Format == "" || len(vi.Format) > MaxStringLen || len(vi.Data) == 0 {
			return malformed("verifier_info[%d]: format and data are required", i)
		}
		for _, id := range vi.CredentialIDs {
			// §5.1: each string matches the id of a Credential Query.
			if !slices.ContainsFunc(r.DCQLQuery.Credentials, func(c CredentialQuery) bool { return c.ID == id }) {
				return malformed("verifier_info[%d].credential_ids: %.64q is not a Credential Query id", i, id)
			}
		}
	}
	if len(r.VerifierInfo) > MaxVerifierInfo {
		return malformed("verifier_info has over %d entries", MaxVerifierInfo)
	}
	return nil
}

// checkClient applies the rules of client_id, response_uri and
// redirect_uri of a redirect-based request (§5.2, §5.9.3, §8.2).
func (r *AuthorizationRequest) checkClient(fl flow) error {
	// §5.2: client_id REQUIRED.
	c, err := ParseClientID(r.ClientID)
	if err != nil {
		return err
	}
	switch {
	case c.Prefix == PrefixRedirectURI && fl.signed:
		// §5.9.3: redirect_uri requests cannot be signed.
		return malformed("a redirect_uri client_id cannot sign its request")
	case c.Prefix.RequiresSignature() && !fl.signed:
		// §5.9.3, §8.5: the prefix's rules require a signed request.
		return malformed("a %s client_id requires a signed request", c.Prefix)
	}
	// §8.2: with direct_post, redirect_uri MUST NOT be present and
	// response_uri is REQUIRED.
	if r.RedirectURI != "" {
		return malformed("redirect_uri with response_mode %s", r.ResponseMode)
	}
	if c.Prefix == PrefixRedirectURI {
		// §5.9.3: the client identifier is the response_uri; the Verifier
		// MAY omit the parameter.
		if r.ResponseURI == "" {
			r.ResponseURI = c.ID
		}
		if r.ResponseURI != c.ID {
			return malformed("response_uri %.200q is not the redirect_uri client identifier", r.ResponseURI)
		}
	}
	if r.ResponseURI == "" {
		return malformed("response_uri is required with response_mode %s", r.ResponseMode)
	}
	if err := CheckURL(r.ResponseURI); err != nil {
		return malformed("response_uri: %v", err)
	}
	return nil
}

// checkExpectedOrigin checks one expected_origins value (Appendix A.2):
// a non-empty string; not of the schemes ftp, javascript, data, ws or
// wss; http only for a loopback host (the "constrained scenarios such as
// local development" A.2 allows). Origins of native apps, such as
// android:apk-key-hash:…, are accepted.
func checkExpectedOrigin(o string) error {
	if o == "" || len(o) > MaxStringLen {
		return fmt.Errorf("an origin is 1 to %d bytes", MaxStringLen)
	}
	scheme, rest, _ := strings.Cut(o, ":")
	switch strings.ToLower(scheme) {
	case "ftp", "javascript", "data", "ws", "wss":
		return fmt.Errorf("origin %.200q uses an unsafe scheme", o)
	case "http":
		u, err := url.Parse(o)
		if err != nil || !strictjson.IsLoopbackHost(u.Hostname()) || !strings.HasPrefix(rest, "//") {
			return fmt.Errorf("origin %.200q uses http, allowed only for a loopback host", o)
		}
	}
	return nil
}

// --- client_metadata ---

// ParseClientMetadata parses a client_metadata object (§5.1): jwks with
// public keys only, each with a kid unique in the set; a non-empty
// encrypted_response_enc_values_supported; vp_formats_supported with an
// object per format. Other parameters are ignored (§5.1).
func ParseClientMetadata(data []byte) (*ClientMetadata, error) {
	if len(data) > MaxClientMetadataSize {
		return nil, malformed("client_metadata of %d bytes, over the %d-byte cap", len(data), MaxClientMetadataSize)
	}
	v, err := strictjson.Unmarshal(data, maxMetadataDepth)
	if err != nil {
		return nil, malformed("client_metadata: %v", err)
	}
	return parseClientMetadataValue(v)
}

func parseClientMetadataValue(v any) (*ClientMetadata, error) {
	return parseMetadataAt(v, "client_metadata")
}

// parseMetadataAt reads client_metadata's members from v, naming path in
// errors.
func parseMetadataAt(v any, path string) (*ClientMetadata, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, malformed("%s is not an object", path)
	}
	if b, err := strictjson.Marshal(m); err != nil || len(b) > MaxClientMetadataSize {
		return nil, malformed("%s is over %d bytes", path, MaxClientMetadataSize)
	}
	f := newReader(m, path)
	md := &ClientMetadata{
		EncryptedResponseEncValuesSupported: f.Strs("encrypted_response_enc_values_supported", false, true, MaxValues),
	}
	if set, ok := f.Object("jwks", false); ok {
		for i, kv := range set.Array("keys", true, MaxJWKs) {
			k, ok := set.Elem("keys", i, kv)
			if !ok {
				break
			}
			jwk, err := parseJWK(k)
			if err != nil {
				k.Failf("", "%v", err)
				break
			}
			md.JWKS = append(md.JWKS, *jwk)
		}
	}
	if fm, ok := f.Object("vp_formats_supported", false); ok {
		if len(fm.Map()) > MaxValues {
			fm.Failf("", "over %d formats", MaxValues)
		}
		md.VPFormatsSupported = make(map[credential.Format]VPFormat, len(fm.Map()))
		for name := range fm.Map() {
			e, ok := fm.Object(name, true)
			if !ok {
				break
			}
			var vf VPFormat
			switch credential.Format(name) {
			case credential.FormatSDJWT:
				// B.3.4: sd-jwt_alg_values, kb-jwt_alg_values.
				vf.SDJWTAlgValues = e.Strs("sd-jwt_alg_values", false, false, MaxValues)
				vf.KBJWTAlgValues = e.Strs("kb-jwt_alg_values", false, false, MaxValues)
			case credential.FormatMdoc:
				// B.2.2: issuerauth_alg_values, deviceauth_alg_values.
				vf.IssuerAuthAlgValues = e.Ints("issuerauth_alg_values", false, MaxValues)
				vf.DeviceAuthAlgValues = e.Ints("deviceauth_alg_values", false, MaxValues)
			default:
				vf.Other = fm.Raw(name, false)
			}
			md.VPFormatsSupported[credential.Format(name)] = vf
		}
	}
	if err := f.Err(); err != nil {
		return nil, malformed("%v", err)
	}
	if err := md.check(); err != nil {
		return nil, err
	}
	return md, nil
}

// parseJWK reads one key of client_metadata.jwks.
func parseJWK(k *strictjson.Fields) (*JWK, error) {
	for _, name := range []string{"d", "p", "q", "dp", "dq", "qi", "k", "oth"} {
		if k.Has(name) {
			// A private or symmetric key published as a Verifier key.
			return nil, fmt.Errorf("private member %s", name)
		}
	}
	j := &JWK{KeyID: k.Str("kid", true), Use: k.Str("use", false), Alg: k.Str("alg", false),
		Kty: k.Str("kty", true), Crv: k.Str("crv", false), Raw: nil}
	if err := k.Err(); err != nil {
		return nil, err
	}
	raw, err := strictjson.Marshal(k.Map())
	if err != nil {
		return nil, err
	}
	j.Raw = raw
	if (j.Kty == "EC" && (j.Crv == "P-256" || j.Crv == "P-384" || j.Crv == "P-521")) || (j.Kty == "OKP" && j.Crv == "Ed25519") {
		// Only the members of the key itself go to the JWK parser: its
		// opinions on alg or key_ops values are not the Verifier's.
		min := map[string]any{"kty": j.Kty, "crv": j.Crv, "x": k.Map()["x"]}
		if j.Kty == "EC" {
			min["y"] = k.Map()["y"]
		}
		b, err := strictjson.Marshal(min)
		if err != nil {
			return nil, err
		}
		if j.Key, err = keys.ParsePublicJWK(b); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// check applies the rules between members of client metadata.
func (md *ClientMetadata) check() error {
	if len(md.JWKS) > MaxJWKs {
		return malformed("client_metadata.jwks has over %d keys", MaxJWKs)
	}
	kids := map[string]bool{}
	for i, k := range md.JWKS {
		// §5.1: each JWK MUST have a kid that uniquely identifies it.
		if k.KeyID == "" || kids[k.KeyID] {
			return malformed("client_metadata.jwks.keys[%d]: kid missing or not unique", i)
		}
		kids[k.KeyID] = true
	}
	if md.EncryptedResponseEncValuesSupported != nil && len(md.EncryptedResponseEncValuesSupported) == 0 {
		// §5.1: a non-empty array.
		return malformed("client_metadata.encrypted_response_enc_values_supported is empty")
	}
	return nil
}

// EncryptionKey returns the key of client_metadata.jwks a Wallet
// encrypts the response to (§8.3): the first with use absent or "enc",
// alg ECDH-ES (§8.3: alg MUST be present, and is the JWE alg), and an EC
// key on P-256 (the curve HAIP requires; the only one ikdkit encrypts
// to). A nil md has none.
func (md *ClientMetadata) EncryptionKey() (*JWK, error) {
	if md != nil {
		for i := range md.JWKS {
			k := &md.JWKS[i]
			if (k.Use == "" || k.Use == "enc") && k.Alg == jose.AlgECDHES && k.Kty == "EC" && k.Crv == "P-256" && k.Key != nil {
				return k, nil
			}
		}
	}
	return nil, protoErr(CodeInvalidRequest, ErrUnsupported, "client_metadata.jwks has no ECDH-ES key on P-256 to encrypt the response to")
}

// Key returns the JWK with kid, nil if there is none.
func (md *ClientMetadata) Key(kid string) *JWK {
	if md != nil {
		for i := range md.JWKS {
			if md.JWKS[i].KeyID == kid {
				return &md.JWKS[i]
			}
		}
	}
	return nil
}

// ContentEncryption returns the JWE enc a Wallet uses (§8.3): A256GCM when
// the Verifier lists it (HAIP: a Wallet supporting both SHOULD use it),
// else A128GCM when listed or when the list is absent (the default of
// §5.1). A list with neither is not supported.
func (md *ClientMetadata) ContentEncryption() (string, error) {
	if md == nil || md.EncryptedResponseEncValuesSupported == nil {
		return jose.EncA128GCM, nil
	}
	for _, e := range []string{jose.EncA256GCM, jose.EncA128GCM} {
		if slices.Contains(md.EncryptedResponseEncValuesSupported, e) {
			return e, nil
		}
	}
	return "", protoErr(CodeInvalidRequest, ErrUnsupported, "encrypted_response_enc_values_supported %q lists neither A128GCM nor A256GCM", md.EncryptedResponseEncValuesSupported)
}

// --- encoding ---

// MarshalJSON encodes client metadata in its wire form (§5.1).
func (md ClientMetadata) MarshalJSON() ([]byte, error) {
	out := map[string]any{}
	if md.JWKS != nil {
		ks := make([]json.RawMessage, len(md.JWKS))
		for i, k := range md.JWKS {
			raw := k.Raw
			if raw == nil {
				b, err := jwkJSON(k)
				if err != nil {
					return nil, err
				}
				raw = b
			}
			ks[i] = raw
		}
		out["jwks"] = map[string]any{"keys": ks}
	}
	if md.EncryptedResponseEncValuesSupported != nil {
		out["encrypted_response_enc_values_supported"] = md.EncryptedResponseEncValuesSupported
	}
	if md.VPFormatsSupported != nil {
		f := map[string]any{}
		for name, v := range md.VPFormatsSupported {
			f[string(name)] = v
		}
		out["vp_formats_supported"] = f
	}
	return strictjson.Marshal(out)
}

// jwkJSON encodes a JWK built in Go (without Raw): the public key with
// kid, use and alg.
func jwkJSON(k JWK) ([]byte, error) {
	if k.Key == nil {
		return nil, malformed("client_metadata: JWK %.64q has neither Raw nor Key", k.KeyID)
	}
	b, err := keys.MarshalPublicJWK(k.Key)
	if err != nil {
		return nil, err
	}
	m, err := strictjson.UnmarshalObject(b, 2)
	if err != nil {
		return nil, err
	}
	for name, v := range map[string]string{"kid": k.KeyID, "use": k.Use, "alg": k.Alg} {
		if v != "" {
			m[name] = v
		}
	}
	return strictjson.Marshal(m)
}

// NewEncryptionJWK returns the JWK of a Verifier's response encryption
// key (a P-256 public key): kid, use "enc" and alg ECDH-ES, as §8.3
// requires of a key the Wallet encrypts to.
func NewEncryptionJWK(kid string, pub crypto.PublicKey) (JWK, error) {
	k := JWK{KeyID: kid, Use: "enc", Alg: jose.AlgECDHES, Key: pub}
	if _, err := jose.P256ECDHPublicKey(pub); err != nil {
		return JWK{}, err
	}
	raw, err := jwkJSON(k)
	if err != nil {
		return JWK{}, err
	}
	r, err := readObject("jwk", raw, MaxClientMetadataSize, 2)
	if err != nil {
		return JWK{}, err
	}
	j, err := parseJWK(r)
	if err != nil {
		return JWK{}, malformed("%v", err)
	}
	return *j, nil
}

// MarshalJSON encodes the value of a vp_formats_supported entry.
func (v VPFormat) MarshalJSON() ([]byte, error) {
	if v.Other != nil {
		return v.Other, nil
	}
	out := map[string]any{}
	for name, a := range map[string][]string{"sd-jwt_alg_values": v.SDJWTAlgValues, "kb-jwt_alg_values": v.KBJWTAlgValues} {
		if a != nil {
			out[name] = a
		}
	}
	for name, a := range map[string][]int64{"issuerauth_alg_values": v.IssuerAuthAlgValues, "deviceauth_alg_values": v.DeviceAuthAlgValues} {
		if a != nil {
			out[name] = a
		}
	}
	return strictjson.Marshal(out)
}

type wireVerifierInfo struct {
	Format        string          `json:"format"`
	Data          json.RawMessage `json:"data"`
	CredentialIDs []string        `json:"credential_ids,omitempty"`
}

// MarshalJSON encodes a verifier_info entry (§5.1).
func (v VerifierInfo) MarshalJSON() ([]byte, error) {
	return strictjson.Marshal(wireVerifierInfo(v))
}

// params returns the request parameters as JSON values, by wire name.
func (r *AuthorizationRequest) params() map[string]any {
	p := map[string]any{}
	for name, v := range map[string]string{
		"client_id": r.ClientID, "response_type": r.ResponseType, "response_mode": string(r.ResponseMode),
		"response_uri": r.ResponseURI, "redirect_uri": r.RedirectURI, "nonce": r.Nonce, "state": r.State,
	} {
		if v != "" {
			p[name] = v
		}
	}
	if r.DCQLQuery != nil {
		p["dcql_query"] = r.DCQLQuery
	}
	if r.ClientMetadata != nil {
		p["client_metadata"] = r.ClientMetadata
	}
	if r.VerifierInfo != nil {
		p["verifier_info"] = r.VerifierInfo
	}
	if r.ExpectedOrigins != nil {
		p["expected_origins"] = r.ExpectedOrigins
	}
	return p
}

// MarshalJSON encodes the request parameters as one JSON object, the
// form of a Request Object's payload (without its JWT claims) and of an
// unsigned DC API request. A request by reference has no such form.
func (r AuthorizationRequest) MarshalJSON() ([]byte, error) {
	if r.RequestURI != "" || r.Request != "" {
		return nil, malformed("a request by reference has no JSON form")
	}
	return strictjson.Marshal(r.params())
}

// Link returns the request as a link for a QR code or a button (§5.7),
// base being the Wallet's authorization endpoint ([Scheme], or a URL; a
// query is appended). A request by reference gives client_id,
// request_uri and request_uri_method; one with Request gives client_id
// and request; otherwise every parameter goes by value, JSON-valued ones
// as JSON text (§5.1), after [AuthorizationRequest.Validate] and only for
// an unsigned Client Identifier Prefix. Parameters are sorted by name.
func (r *AuthorizationRequest) Link(base string) (string, error) {
	if base == "" {
		base = Scheme
	}
	v := url.Values{}
	switch {
	case r.RequestURI != "" || r.Request != "":
		if r.RequestURI != "" && r.Request != "" {
			return "", malformed("both request and request_uri")
		}
		c, err := ParseClientID(r.ClientID)
		if err != nil {
			return "", err
		}
		v.Set("client_id", c.String())
		if r.Request != "" {
			v.Set("request", r.Request)
		} else {
			if err := CheckURL(r.RequestURI); err != nil {
				return "", malformed("request_uri: %v", err)
			}
			v.Set("request_uri", r.RequestURI)
			switch r.RequestURIMethod {
			case "":
			case RequestURIMethodGet, RequestURIMethodPost:
				v.Set("request_uri_method", string(r.RequestURIMethod))
			default:
				return "", protoErr(CodeInvalidRequestURIMethod, ErrMalformed, "request_uri_method %.32q", string(r.RequestURIMethod))
			}
		}
	default:
		if err := r.Validate(); err != nil {
			return "", err
		}
		if r.ResponseMode.DCAPI() {
			return "", malformed("a DC API request is not sent as a link")
		}
		if c, _ := ParseClientID(r.ClientID); c.Prefix.RequiresSignature() {
			return "", malformed("a %s client_id must send a signed Request Object (SignRequestObject)", c.Prefix)
		}
		for name, val := range r.params() {
			if s, ok := val.(string); ok {
				v.Set(name, s)
				continue
			}
			b, err := strictjson.Marshal(val)
			if err != nil {
				return "", malformed("%s: %v", name, err)
			}
			v.Set(name, string(b))
		}
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	link := base + sep + encodeSorted(v)
	if len(link) > MaxRequestLinkSize {
		return "", malformed("link of %d bytes, over the %d-byte cap", len(link), MaxRequestLinkSize)
	}
	return link, nil
}

// encodeSorted is url.Values.Encode with %20 for a space.
func encodeSorted(v url.Values) string {
	names := make([]string, 0, len(v))
	for k := range v {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		for _, val := range v[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(strings.ReplaceAll(url.QueryEscape(val), "+", "%20"))
		}
	}
	return b.String()
}
