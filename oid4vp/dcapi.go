package oid4vp

import (
	"fmt"
	"slices"

	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/keys"
)

// OpenID4VP over the Digital Credentials API (Appendix A).

// The exchange protocol identifiers of a DC API request (Appendix A.1).
const (
	// ProtocolUnsigned: the request's parameters are the data object.
	ProtocolUnsigned = "openid4vp-v1-unsigned"
	// ProtocolSigned: the data object is {"request": <JWS Compact
	// Serialization of a Request Object>}.
	ProtocolSigned = "openid4vp-v1-signed"
	// ProtocolMultiSigned: the data object is a JWS JSON Serialization
	// with one signature per Client Identifier (Appendix A.3.2). Not
	// supported by ikdkit.
	ProtocolMultiSigned = "openid4vp-v1-multisigned"
)

// OriginPrefix prefixes the origin to make the audience of presentations
// over the DC API (Appendix A.4, the reserved origin Client Identifier
// Prefix of §5.9.3): "origin:https://verifier.example.com".
const OriginPrefix = string(PrefixOrigin) + ":"

// ParseDCAPIRequest reads the data of a DC API request (Appendix A.2,
// A.3) of the exchange protocol named (Appendix A.1), at most
// [MaxRequestSize] bytes of one JSON object without duplicate members:
//
//   - openid4vp-v1-unsigned: the request's parameters; client_id and
//     expected_origins are ignored (Appendix A.2), as are the parameters
//     the DC API does not define (state, response_uri, redirect_uri); the
//     response_mode is dc_api or dc_api.jwt;
//   - openid4vp-v1-signed: {"request": <JWS>}; the result has only
//     Request, for [VerifyRequestObject] with VerifyOptions.Origin set to
//     the origin the platform asserts;
//   - openid4vp-v1-multisigned: not supported ([ErrUnsupported]).
//
// An unsigned request is authenticated only by the origin the platform
// gives the Wallet; errors are those of [ParseAuthorizationRequest].
func ParseDCAPIRequest(protocol string, data []byte) (*AuthorizationRequest, error) {
	switch protocol {
	case ProtocolUnsigned:
		return parseRequestJSON(data, flow{dcAPI: true})
	case ProtocolSigned:
		r, err := readObject("DC API request", data, MaxRequestObjectSize+1024, 1)
		if err != nil {
			return nil, err
		}
		// Appendix A.3.2.1: the JWS is the request member of the data.
		req := &AuthorizationRequest{Request: r.StrMax("request", true, MaxRequestObjectSize)}
		if err := r.Err(); err != nil {
			return nil, malformed("%v", err)
		}
		return req, nil
	case ProtocolMultiSigned:
		return nil, protoErr(CodeInvalidRequest, ErrUnsupported, "multi-signed requests (JWS JSON Serialization) are not supported")
	}
	return nil, protoErr(CodeInvalidRequest, ErrUnsupported, "exchange protocol %.64q is not OpenID4VP 1.0", protocol)
}

// DCAPIRequest returns the exchange protocol and data of an unsigned DC
// API request (Appendix A.2, A.3.1) for navigator.credentials.get: the
// request's parameters, checked with [AuthorizationRequest.Validate]
// (response_mode dc_api or dc_api.jwt, no client_id).
func DCAPIRequest(req *AuthorizationRequest) (protocol string, data []byte, err error) {
	if req.ClientID != "" || !req.ResponseMode.DCAPI() {
		return "", nil, malformed("an unsigned DC API request has no client_id and a dc_api response_mode")
	}
	if err := req.Validate(); err != nil {
		return "", nil, err
	}
	b, err := req.MarshalJSON()
	if err != nil {
		return "", nil, err
	}
	return ProtocolUnsigned, b, nil
}

// DCAPISignedRequest returns the exchange protocol and data of a signed
// DC API request (Appendix A.3.2.1): {"request": jws}, jws being a Request
// Object from [SignRequestObject] whose request has response_mode dc_api
// or dc_api.jwt, a client_id and expected_origins.
func DCAPISignedRequest(jws string) (protocol string, data []byte, err error) {
	if jws == "" || len(jws) > MaxRequestObjectSize {
		return "", nil, malformed("request object empty or over %d bytes", MaxRequestObjectSize)
	}
	b, err := strictjson.Marshal(map[string]string{"request": jws})
	if err != nil {
		return "", nil, err
	}
	return ProtocolSigned, b, nil
}

// CheckOrigin checks the origin the platform asserted for a signed DC API
// request against its expected_origins (Appendix A.2): a simple string
// comparison, without any processing of either side. No match is a
// [*ProtocolError] invalid_request (A.2: SHOULD be invalid_request)
// wrapping [ErrOrigin].
func CheckOrigin(expectedOrigins []string, origin string) error {
	if origin == "" || !slices.Contains(expectedOrigins, origin) {
		return protoErr(CodeInvalidRequest, ErrOrigin, "origin %.200q is not among expected_origins", origin)
	}
	return nil
}

// Audience returns the aud a presentation answering req must carry: the
// full client_id for a redirect-based request (§14.10, B.3.6), the origin
// prefixed with "origin:" over the DC API, even for a signed request
// (Appendix A.4).
func (r *AuthorizationRequest) Audience(origin string) (string, error) {
	if r.ResponseMode.DCAPI() {
		if origin == "" {
			return "", malformed("a DC API request's audience is its origin; none given")
		}
		return OriginPrefix + origin, nil
	}
	if r.ClientID == "" {
		return "", malformed("no client_id")
	}
	return r.ClientID, nil
}

// DCAPIData encodes the response as the data object a Wallet returns
// through the DC API (Appendix A.4): {"vp_token": …} with dc_api,
// {"response": <JWE>} with dc_api.jwt, {"error": …} for an error
// response (which §14.6.2 asks not to return without the End-User's
// interaction; cancelling the flow reveals less).
func (r *AuthorizationResponse) DCAPIData(req *AuthorizationRequest) ([]byte, error) {
	if r.Error != nil {
		return DCAPIErrorData(r.Error), nil
	}
	switch req.ResponseMode {
	case ResponseModeDCAPI:
		if len(r.VPToken) == 0 {
			return nil, malformed("an empty vp_token")
		}
		return strictjson.Marshal(map[string]any{"vp_token": r.VPToken})
	case ResponseModeDCAPIJWT:
		jwe, _, err := r.Encrypt(req)
		if err != nil {
			return nil, err
		}
		return strictjson.Marshal(map[string]string{"response": jwe})
	}
	return nil, malformed("response_mode %s is not one of the DC API", req.ResponseMode)
}

// DCAPIErrorData encodes err as the data of a DC API error response
// (Appendix A.4): {"error": <code>}, nothing else (§14.6.2). err without
// a *ProtocolError in its chain is sent as server_error.
func DCAPIErrorData(err error) []byte {
	b, _ := strictjson.Marshal(map[string]string{"error": sanitizeASCII(asProtocolError(err).Code, 128)})
	return b
}

// ParseDCAPIResponse reads the data of a DC API response (Appendix A.4),
// at most [MaxResponseSize] bytes of one JSON object: {"error": …}, an
// error response; {"response": <JWE>}, an encrypted response
// ([DecryptResponse]), only with opts.Mode dc_api.jwt; or {"vp_token":
// …}, only with dc_api. Errors are those of [ParseResponse].
func ParseDCAPIResponse(data []byte, opts ResponseOptions) (*AuthorizationResponse, error) {
	if !opts.Mode.DCAPI() {
		return nil, malformed("response_mode %s is not one of the DC API", opts.Mode)
	}
	r, err := readObject("DC API response", data, MaxResponseSize, maxResponseDepth)
	if err != nil {
		return nil, err
	}
	if r.Has("error") {
		return responseFromReader(r, "")
	}
	if r.Has("response") {
		if !opts.Mode.Encrypted() {
			return nil, malformed("an encrypted response to a request with response_mode %s", opts.Mode)
		}
		jwe := r.StrMax("response", true, MaxResponseSize)
		if err := r.Err(); err != nil {
			return nil, malformed("%v", err)
		}
		return DecryptResponse(jwe, opts)
	}
	if opts.Mode.Encrypted() {
		return nil, malformed("an unencrypted vp_token to a request with response_mode %s", opts.Mode)
	}
	// Appendix A.2: state is not defined for the DC API; ignored.
	delete(r.Map(), "state")
	return responseFromReader(r, "")
}

// MdocSessionTranscript returns the SessionTranscript an mso_mdoc
// presentation answering r signs (B.2.6): for a redirect-based request,
// the OpenID4VPHandover of client_id, nonce, the JWK thumbprint and
// response_uri (B.2.6.1); over the DC API, the OpenID4VPDCAPIHandover of
// origin (without "origin:"), nonce and the JWK thumbprint (B.2.6.2).
// kid names the key of client_metadata.jwks the response was encrypted
// to, whose RFC 7638 SHA-256 thumbprint is included; "" for an
// unencrypted response (null).
func (r *AuthorizationRequest) MdocSessionTranscript(origin, kid string) ([]byte, error) {
	var tp []byte
	if kid != "" {
		k := r.ClientMetadata.Key(kid)
		if k == nil || k.Key == nil {
			return nil, malformed("client_metadata.jwks has no usable key %.64q", kid)
		}
		s, err := keys.Thumbprint(k.Key)
		if err != nil {
			return nil, fmt.Errorf("oid4vp: thumbprint of %.64q: %w", kid, err)
		}
		if tp, err = jose.Decode(s); err != nil {
			return nil, fmt.Errorf("oid4vp: thumbprint of %.64q: %w", kid, err)
		}
	} else if r.ResponseMode.Encrypted() {
		return nil, malformed("an encrypted response's transcript needs the kid of its key")
	}
	if r.ResponseMode.DCAPI() {
		if origin == "" {
			return nil, malformed("a DC API transcript needs the origin")
		}
		return mdoc.OpenID4VPDCAPISessionTranscript(origin, r.Nonce, tp)
	}
	uri := r.ResponseURI
	if uri == "" {
		uri = r.RedirectURI
	}
	return mdoc.OpenID4VPSessionTranscript(r.ClientID, r.Nonce, tp, uri)
}
