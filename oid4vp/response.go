package oid4vp

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"

	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// The Authorization Response (§8).

// Caps on responses.
const (
	// MaxResponseSize caps a response: the form body a Verifier reads at
	// its response_uri, the plaintext of an encrypted response, the data
	// of a DC API response. Room for several presentations with
	// portraits.
	MaxResponseSize = 4 << 20
	// MaxPresentations caps the presentations of one vp_token.
	MaxPresentations = 64
	// MaxResponseResultSize caps the JSON a response_uri answers.
	MaxResponseResultSize = 16 << 10
	// maxResponseDepth: the response object, vp_token, an array, and room
	// to refuse a JSON presentation with ErrUnsupported.
	maxResponseDepth = 8
)

// AuthorizationResponse is the Authorization Response (§8.1) or the
// Authorization Error Response (§8.5) a Wallet sends.
type AuthorizationResponse struct {
	// VPToken maps Credential Query ids to their presentations (§8.1): a
	// dc+sd-jwt presentation is the SD-JWT with its Key Binding JWT
	// (B.3.6), an mso_mdoc one the base64url DeviceResponse (B.2.5; see
	// [DecodeDeviceResponse]). Presentations that are JSON objects (the
	// W3C formats of B.1) are not supported.
	VPToken map[string][]string
	// State is the request's state, "" if it had none (§8.2).
	State string
	// Error is set, and VPToken nil, in an error response (§8.5).
	Error *ProtocolError
	// KeyID is the kid of the key an encrypted response was encrypted to
	// (§8.3), "" for an unencrypted one. It names the key whose RFC 7638
	// thumbprint goes into an mdoc SessionTranscript
	// ([AuthorizationRequest.MdocSessionTranscript]).
	KeyID string
}

// DecodeDeviceResponse decodes an mso_mdoc presentation (B.2.5): the
// base64url (unpadded, canonical) DeviceResponse CBOR bytes.
func DecodeDeviceResponse(p string) ([]byte, error) {
	if !isBase64URL(p) {
		return nil, malformed("an mso_mdoc presentation is not base64url")
	}
	b, err := b64url.DecodeString(p)
	if err != nil {
		return nil, malformed("an mso_mdoc presentation: %v", err)
	}
	return b, nil
}

// EncodeDeviceResponse encodes DeviceResponse CBOR bytes as an mso_mdoc
// presentation (B.2.5).
func EncodeDeviceResponse(deviceResponse []byte) string {
	return b64url.EncodeToString(deviceResponse)
}

// ResponseOptions configure the Verifier's reading of a response.
type ResponseOptions struct {
	// Mode is the response_mode of the request. An encrypted mode
	// refuses an unencrypted vp_token (but takes an unencrypted error
	// response, §8.3.1); an unencrypted mode refuses an encrypted one.
	Mode ResponseMode
	// DecryptionKey returns the private key (an *ecdh.PrivateKey or
	// *ecdsa.PrivateKey on P-256) whose public key the request listed in
	// client_metadata.jwks with this kid: with HAIP, an ephemeral key of
	// one request, so kid finds the request too. Required for an
	// encrypted Mode.
	DecryptionKey func(kid string) (any, error)
	// EncValues are the enc values the request allowed
	// (encrypted_response_enc_values_supported); nil means A128GCM and
	// A256GCM, both of which HAIP requires a Verifier to accept.
	EncValues []string
}

// ReadResponse reads the Authorization Response a Wallet posts to the
// Verifier's response_uri (§8.2, §8.3.1): method POST, Content-Type
// application/x-www-form-urlencoded, at most [MaxResponseSize] bytes,
// then [ParseResponse]. Errors are [*ProtocolError] for [WriteError].
func ReadResponse(r *http.Request, opts ResponseOptions) (*AuthorizationResponse, error) {
	form, err := readForm(r, MaxResponseSize)
	if err != nil {
		return nil, err
	}
	return ParseResponse(form, opts)
}

// ParseResponse reads a response form (§8.2, §8.3.1), each parameter at
// most once:
//
//   - error (with error_description and state): an error response, in
//     AuthorizationResponse.Error (§8.5), encrypted or not;
//   - response: an encrypted response ([DecryptResponse]), only with an
//     encrypted opts.Mode;
//   - vp_token (a JSON object of non-empty arrays of presentation strings
//     keyed by Credential Query ids, at most [MaxPresentations] in all)
//     and state, only with an unencrypted opts.Mode.
//
// Other parameters are ignored (§8.1). Errors are [*ProtocolError]
// invalid_request wrapping [ErrMalformed], [ErrUnsupported] or
// [ErrDecrypt]. The presentations are not verified here: check them
// against the request with [AuthorizationResponse.CheckQuery], then
// verify each.
func ParseResponse(form url.Values, opts ResponseOptions) (*AuthorizationResponse, error) {
	for k, v := range form {
		if len(v) != 1 {
			return nil, malformed("parameter %.64q repeated", k)
		}
	}
	size := 0
	for k, v := range form {
		size += len(k) + len(v[0])
	}
	if size > MaxResponseSize {
		return nil, malformed("response of %d bytes, over the %d-byte cap", size, MaxResponseSize)
	}
	if _, ok := form["error"]; ok {
		m := map[string]any{}
		for _, k := range []string{"error", "error_description", "state"} {
			if v, ok := form[k]; ok {
				m[k] = v[0]
			}
		}
		return responseFromReader(newReader(m, ""), "")
	}
	if jwe, ok := form["response"]; ok {
		if !opts.Mode.Encrypted() {
			return nil, malformed("an encrypted response to a request with response_mode %s", opts.Mode)
		}
		return DecryptResponse(jwe[0], opts)
	}
	if opts.Mode.Encrypted() {
		// §8.3: the response is encrypted; only an error may come in
		// clear (§8.3.1).
		return nil, malformed("an unencrypted vp_token to a request with response_mode %s", opts.Mode)
	}
	m := map[string]any{}
	if v, ok := form["vp_token"]; ok {
		// §8.1: vp_token is a JSON-encoded object.
		tok, err := strictjson.Unmarshal([]byte(v[0]), maxResponseDepth-1)
		if err != nil {
			return nil, malformed("vp_token: %v", err)
		}
		m["vp_token"] = tok
	}
	if v, ok := form["state"]; ok {
		m["state"] = v[0]
	}
	return responseFromReader(newReader(m, ""), "")
}

// DecryptResponse decrypts an encrypted response (§8.3: the JWE of the
// response parameter of direct_post.jwt or dc_api.jwt) with the key
// opts.DecryptionKey returns for its kid, allowing alg ECDH-ES and an
// enc of opts.EncValues only, and reads its payload, a JSON object with
// the response parameters (§8.3), as [ParseResponse] does. A JWE for
// another key, altered, or with another alg or enc fails with
// [ErrDecrypt].
func DecryptResponse(jwe string, opts ResponseOptions) (*AuthorizationResponse, error) {
	bad := func(format string, args ...any) (*AuthorizationResponse, error) {
		return nil, protoErr(CodeInvalidRequest, ErrDecrypt, format, args...)
	}
	if opts.DecryptionKey == nil {
		return bad("no decryption key configured (ResponseOptions.DecryptionKey)")
	}
	// The plaintext is capped at MaxResponseSize; its JWE is at most 4/3
	// of that plus the header.
	if len(jwe) > MaxResponseSize/3*4+4096 {
		return bad("encrypted response of %d bytes, over the cap", len(jwe))
	}
	encs := opts.EncValues
	if encs == nil {
		encs = []string{jose.EncA128GCM, jose.EncA256GCM}
	}
	kid, err := jweKeyID(jwe)
	if err != nil {
		return bad("%v", err)
	}
	key, err := opts.DecryptionKey(kid)
	if err != nil || key == nil {
		return bad("no key for kid %.64q", kid)
	}
	_, pt, err := jose.Decrypt(jwe, key, encs)
	if err != nil {
		return bad("%v", err)
	}
	r, err := readObject("decrypted response", pt, MaxResponseSize, maxResponseDepth)
	if err != nil {
		return nil, err
	}
	return responseFromReader(r, kid)
}

// jweKeyID reads the kid of a compact JWE's protected header, before
// decryption, to find the key: §8.3 requires the kid of the chosen key,
// and every key of client_metadata.jwks has one (§5.1). The header is
// authenticated by the decryption that follows.
func jweKeyID(jwe string) (string, error) {
	h, _, ok := cut(jwe, '.')
	if !ok || len(h) > 8192 {
		return "", fmt.Errorf("not a compact JWE")
	}
	hb, err := jose.Decode(h)
	if err != nil {
		return "", fmt.Errorf("protected header: %v", err)
	}
	m, err := strictjson.UnmarshalObject(hb, 2)
	if err != nil {
		return "", fmt.Errorf("protected header: %v", err)
	}
	kid, _ := m["kid"].(string)
	if kid == "" {
		return "", fmt.Errorf("the JWE names no kid")
	}
	return kid, nil
}

func cut(s string, sep byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// responseFromReader reads response parameters: an error response, or
// vp_token and state.
func responseFromReader(f *strictjson.Fields, kid string) (*AuthorizationResponse, error) {
	resp := &AuthorizationResponse{KeyID: kid, State: f.Str("state", false)}
	if err := f.Err(); err != nil {
		return nil, malformed("%v", err)
	}
	if resp.State != "" && (len(resp.State) > MaxNonceLen || !urlSafe(resp.State)) {
		return nil, malformed("state is not 1 to %d URL-safe characters", MaxNonceLen)
	}
	if f.Has("error") {
		pe, err := errorFromReader(f)
		if err != nil {
			return nil, err
		}
		resp.Error = pe
		return resp, nil
	}
	// §8.1: vp_token REQUIRED.
	tok, ok := f.Object("vp_token", true)
	if !ok {
		return nil, malformed("%v", f.Err())
	}
	if len(tok.Map()) == 0 {
		// §8.1: vp_token holds the presentations; a Wallet with nothing
		// to present answers access_denied (§8.5).
		return nil, malformed("vp_token is empty")
	}
	resp.VPToken = make(map[string][]string, len(tok.Map()))
	n := 0
	for id, v := range tok.Map() {
		if !validID(id) || len(id) > MaxStringLen {
			return nil, malformed("vp_token: %.64q is not a Credential Query id", id)
		}
		a, ok := v.([]any)
		if !ok || len(a) == 0 {
			// §8.1: an array of one or more presentations.
			return nil, malformed("vp_token[%.64q] is not a non-empty array", id)
		}
		n += len(a)
		if n > MaxPresentations {
			return nil, malformed("vp_token has over %d presentations", MaxPresentations)
		}
		ps := make([]string, len(a))
		for i, e := range a {
			s, ok := e.(string)
			if !ok {
				return nil, protoErr(CodeInvalidRequest, ErrUnsupported, "vp_token[%.64q][%d] is not a string (JSON presentations are not supported)", id, i)
			}
			if s == "" {
				return nil, malformed("vp_token[%.64q][%d] is empty", id, i)
			}
			ps[i] = s
		}
		resp.VPToken[id] = ps
	}
	return resp, nil
}

// --- the Wallet's side ---

// payload returns the response parameters as a JSON object.
func (r *AuthorizationResponse) payload() ([]byte, error) {
	m := map[string]any{}
	if r.Error != nil {
		m["error"] = sanitizeASCII(r.Error.Code, 128)
		if d := sanitizeASCII(r.Error.Description, maxDescriptionLen); d != "" {
			m["error_description"] = d
		}
	} else {
		if len(r.VPToken) == 0 {
			return nil, malformed("an empty vp_token")
		}
		m["vp_token"] = r.VPToken
	}
	if r.State != "" {
		m["state"] = r.State
	}
	return strictjson.Marshal(m)
}

// Encrypt returns the response encrypted for req (§8.3): a JWE to the key
// [ClientMetadata.EncryptionKey] picks from req.ClientMetadata.jwks, with
// its kid, alg ECDH-ES and the enc of [ClientMetadata.ContentEncryption];
// its payload the response parameters as a JSON object. The JWE's kid
// names the key whose thumbprint the mdoc SessionTranscript takes. It
// sets no apu or apv: OpenID4VP 1.0 defines none (drafts carried the mdoc
// nonces there; B.2.6 binds the key's thumbprint instead). A JWE that has
// them is accepted by [DecryptResponse]: they are key derivation inputs,
// authenticated with the protected header (§8.3).
func (r *AuthorizationResponse) Encrypt(req *AuthorizationRequest) (jwe, kid string, err error) {
	k, err := req.ClientMetadata.EncryptionKey()
	if err != nil {
		return "", "", err
	}
	enc, err := req.ClientMetadata.ContentEncryption()
	if err != nil {
		return "", "", err
	}
	p, err := r.payload()
	if err != nil {
		return "", "", err
	}
	tok, err := jose.Encrypt(k.Key, p, jose.EncryptOptions{Enc: enc, KeyID: k.KeyID})
	if err != nil {
		return "", "", fmt.Errorf("oid4vp: encrypting the response: %w", err)
	}
	return tok, k.KeyID, nil
}

// Form encodes the response as the form a Wallet posts to req's
// response_uri (§8.2, §8.3.1): vp_token (JSON text) and state with
// direct_post; response, the JWE of [AuthorizationResponse.Encrypt], with
// direct_post.jwt. An error response is sent unencrypted in either mode
// ([ErrorResponseForm]). State should be req.State.
func (r *AuthorizationResponse) Form(req *AuthorizationRequest) (url.Values, error) {
	if r.Error != nil {
		return ErrorResponseForm(r.Error, r.State), nil
	}
	switch req.ResponseMode {
	case ResponseModeDirectPost:
		if len(r.VPToken) == 0 {
			return nil, malformed("an empty vp_token")
		}
		b, err := strictjson.Marshal(r.VPToken)
		if err != nil {
			return nil, malformed("vp_token: %v", err)
		}
		v := url.Values{"vp_token": {string(b)}}
		if r.State != "" {
			v.Set("state", r.State)
		}
		return v, nil
	case ResponseModeDirectPostJWT:
		jwe, _, err := r.Encrypt(req)
		if err != nil {
			return nil, err
		}
		return url.Values{"response": {jwe}}, nil
	}
	return nil, malformed("response_mode %s is not posted to a response_uri", req.ResponseMode)
}

// --- the Response URI's answer (§8.2) ---

// ResponseResult is what the Verifier's response_uri answers to a
// response it processed (§8.2): HTTP 200 with a JSON object.
type ResponseResult struct {
	// RedirectURI, when set, is where the Wallet MUST send the user agent
	// next (§8.2): the same-device flow carries on there, with a fresh
	// response code that ties the browser session to this response
	// (§14.2). HAIP requires it for the same-device flow.
	RedirectURI string `json:"redirect_uri,omitempty"`
}

// WriteResponseResult answers the Wallet's post to the response_uri
// (§8.2): HTTP 200, Content-Type application/json, Cache-Control
// no-store, {"redirect_uri": …} or {}.
func WriteResponseResult(w http.ResponseWriter, res ResponseResult) error {
	if res.RedirectURI != "" {
		if err := checkRedirectURI(res.RedirectURI); err != nil {
			return fmt.Errorf("oid4vp: redirect_uri: %w", err)
		}
	}
	b, err := strictjson.Marshal(res)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b)
	return err
}

// ReadResponseResult reads the response_uri's answer (§8.2): HTTP 200
// with a JSON object whose redirect_uri, when present, is an absolute
// https URL (a fragment allowed); other members are ignored. An HTTP
// error becomes a [*ProtocolError] ([ReadError]); a redirect is an error
// (§14.5: do not follow redirects from the response_uri). It reads at
// most [MaxResponseResultSize] bytes and does not close the body.
func ReadResponseResult(resp *http.Response) (*ResponseResult, error) {
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return nil, malformed("the response_uri answered a redirect (HTTP %d)", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		pe := ReadError(resp)
		pe.Err = fmt.Errorf("%w: response_uri answered HTTP %d", ErrMalformed, resp.StatusCode)
		return nil, pe
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, malformed("the response_uri answered Content-Type %.64q, not application/json", resp.Header.Get("Content-Type"))
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseResultSize+1))
	if err != nil {
		return nil, malformed("reading the response_uri's answer: %v", err)
	}
	return ParseResponseResult(b)
}

// ParseResponseResult parses the JSON a response_uri answers (§8.2).
func ParseResponseResult(body []byte) (*ResponseResult, error) {
	r, err := readObject("response_uri answer", body, MaxResponseResultSize, 4)
	if err != nil {
		return nil, err
	}
	res := &ResponseResult{RedirectURI: r.Str("redirect_uri", false)}
	if err := r.Err(); err != nil {
		return nil, malformed("%v", err)
	}
	if res.RedirectURI != "" {
		if err := checkRedirectURI(res.RedirectURI); err != nil {
			return nil, malformed("redirect_uri: %v", err)
		}
	}
	return res, nil
}

// checkRedirectURI checks the redirect_uri of a response_uri's answer:
// [CheckURL], except that a fragment is allowed (§8.2's example carries
// the response code in one).
func checkRedirectURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%.200q is not a URL", s)
	}
	u.Fragment, u.RawFragment = "", ""
	return CheckURL(u.String())
}

var _ json.Marshaler = ClientMetadata{}
