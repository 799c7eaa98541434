package oid4vci

import (
	"crypto"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/keys"
)

// DPoPType is the typ header of a DPoP proof JWT (RFC 9449 §4.2).
const DPoPType = "dpop+jwt"

// DPoPHeader is the HTTP header that carries a DPoP proof (RFC 9449 §4.1).
const DPoPHeader = "DPoP"

// MaxDPoPProofSize caps a DPoP proof. One carrying a P-521 JWK, an access
// token hash and a long nonce is under 2 KiB.
const MaxDPoPProofSize = 8 << 10

// maxJTILen caps the jti of a DPoP proof: the server stores it (RFC 9449
// §11.1: reject unnecessarily large jti values).
const maxJTILen = 256

// maxDPoPDepth caps JSON nesting in a DPoP proof's header and payload.
const maxDPoPDepth = 4

// MaxDPoPClockSkew caps DPoPOptions.ClockSkew.
const MaxDPoPClockSkew = 10 * time.Minute

var (
	// ErrInvalidDPoPProof: the DPoP proof is missing where required,
	// malformed, or fails a check of RFC 9449 §4.3 (invalid_dpop_proof).
	ErrInvalidDPoPProof = errors.New("oid4vci: invalid DPoP proof")
	// ErrUseDPoPNonce: the DPoP proof lacks the server's current nonce or
	// carries another one (use_dpop_nonce, RFC 9449 §8, §9).
	ErrUseDPoPNonce = errors.New("oid4vci: DPoP proof needs the server's nonce")
)

// DPoPCheck names a check of a DPoP proof (RFC 9449 §4.3).
type DPoPCheck int

// The checks of [VerifyDPoPProof], in the order it runs them.
const (
	// DPoPCheckSyntax: one DPoP header holding one well-formed JWT
	// within [MaxDPoPProofSize] (§4.3 steps 1, 2).
	DPoPCheckSyntax DPoPCheck = iota + 1
	// DPoPCheckType: typ is dpop+jwt (§4.3 step 4).
	DPoPCheckType
	// DPoPCheckAlgorithm: alg is allowed and is the algorithm of the jwk
	// (§4.3 step 5).
	DPoPCheckAlgorithm
	// DPoPCheckKey: the jwk header is a supported public key, without
	// private members (§4.3 step 7).
	DPoPCheckKey
	// DPoPCheckSignature: the signature verifies with the jwk (§4.3 step
	// 6).
	DPoPCheckSignature
	// DPoPCheckClaims: jti, htm, htu and iat are present and well typed
	// (§4.3 step 3).
	DPoPCheckClaims
	// DPoPCheckMethod: htm is the request's method (§4.3 step 8).
	DPoPCheckMethod
	// DPoPCheckURI: htu is the request's URI, query and fragment ignored
	// (§4.3 step 9).
	DPoPCheckURI
	// DPoPCheckTime: iat is within the acceptable window (§4.3 step 11).
	DPoPCheckTime
	// DPoPCheckAccessToken: ath is the hash of the access token (§4.3
	// step 12).
	DPoPCheckAccessToken
	// DPoPCheckKeyBinding: the proof's key is the one the access token is
	// bound to (§4.3 step 12, §6.1).
	DPoPCheckKeyBinding
	// DPoPCheckNonce: the nonce is one the server provided (§4.3 step
	// 10); failing it unwraps to [ErrUseDPoPNonce].
	DPoPCheckNonce
)

var dpopCheckNames = [...]string{"", "syntax", "typ", "alg", "jwk", "signature", "claims", "htm", "htu", "iat", "ath", "key binding", "nonce"}

// String returns a short name of the check.
func (c DPoPCheck) String() string {
	if c > 0 && int(c) < len(dpopCheckNames) {
		return dpopCheckNames[c]
	}
	return fmt.Sprintf("DPoPCheck(%d)", int(c))
}

// DPoPError is the error of [VerifyDPoPProof] and [ReadDPoPHeader]: the
// check that failed and why. It unwraps to [ErrUseDPoPNonce] for
// [DPoPCheckNonce] and to [ErrInvalidDPoPProof] otherwise.
type DPoPError struct {
	// Check is the check that failed.
	Check DPoPCheck
	// Detail says what was wrong; not meant for branching.
	Detail string
}

// Error returns "oid4vci: invalid DPoP proof [check]: detail".
func (e *DPoPError) Error() string {
	return fmt.Sprintf("%v [%v]: %s", e.Unwrap(), e.Check, e.Detail)
}

// Unwrap returns the sentinel of the check.
func (e *DPoPError) Unwrap() error {
	if e.Check == DPoPCheckNonce {
		return ErrUseDPoPNonce
	}
	return ErrInvalidDPoPProof
}

func dpopFail(c DPoPCheck, format string, args ...any) (*DPoPProof, error) {
	return nil, &DPoPError{Check: c, Detail: fmt.Sprintf(format, args...)}
}

// DPoPProof is a verified DPoP proof. Only [VerifyDPoPProof] makes one.
type DPoPProof struct {
	key      crypto.PublicKey
	jkt      string
	jti      string
	htm, htu string
	iat      time.Time
	nonce    string
}

// Key returns the public key of the proof (its jwk header).
func (p *DPoPProof) Key() crypto.PublicKey { return p.key }

// JKT returns the RFC 7638 SHA-256 thumbprint of the proof's key: the
// cnf.jkt an access token issued on this proof is bound to (RFC 9449
// §6.1), and what [DPoPOptions.BoundKey] is compared with.
func (p *DPoPProof) JKT() string { return p.jkt }

// JTI returns the proof's jti. The server MUST accept each one once only,
// within the proof's acceptance window, in the context of the target URI
// (RFC 9449 §11.1); this package keeps no state, so that check is the
// caller's.
func (p *DPoPProof) JTI() string { return p.jti }

// Method returns htm.
func (p *DPoPProof) Method() string { return p.htm }

// URL returns htu.
func (p *DPoPProof) URL() string { return p.htu }

// IssuedAt returns iat.
func (p *DPoPProof) IssuedAt() time.Time { return p.iat }

// Nonce returns the nonce claim, "" when absent.
func (p *DPoPProof) Nonce() string { return p.nonce }

// DPoPOptions configure [VerifyDPoPProof]. Method, URL, Now and MaxAge
// are required; the zero value of each other option disables a check,
// as noted.
type DPoPOptions struct {
	// Method is the HTTP method of the request (htm must equal it).
	Method string
	// URL is the request's target URI as the client addressed it:
	// scheme, host, port and path of the public URL (behind a proxy,
	// rebuild it from the server's own configuration, not from request
	// headers an attacker sets). Query and fragment are ignored, and
	// both it and htu are normalized (RFC 3986 §6.2.2, §6.2.3) before
	// the comparison, as RFC 9449 §4.3 recommends.
	URL string
	// Now is the verification time.
	Now time.Time
	// MaxAge is how old iat may be (RFC 9449 §11.1: seconds or minutes).
	MaxAge time.Duration
	// ClockSkew is how far in the future iat may be; at most
	// [MaxDPoPClockSkew].
	ClockSkew time.Duration
	// AccessToken, when set, is the access token presented with the
	// proof to a protected resource: ath is then required and must be
	// its hash (RFC 9449 §4.3 step 12, §7). Leave it empty at the token
	// endpoint.
	AccessToken string
	// BoundKey, when set, is the cnf.jkt the access token is bound to;
	// the proof's key must have this thumbprint (RFC 9449 §4.3 step 12,
	// §7.1). A protected resource receiving a DPoP-bound token MUST set
	// it.
	BoundKey string
	// AcceptNonce, when set, says the server requires a DPoP nonce: the
	// nonce claim must be present and AcceptNonce must accept it (RFC
	// 9449 §8, §9); otherwise the error unwraps to [ErrUseDPoPNonce] and
	// the server answers use_dpop_nonce with a fresh nonce
	// ([DPoPErrorResponse]). It may accept a window of recent nonces.
	AcceptNonce func(nonce string) bool
	// Algorithms are the JWS algorithms accepted (the server's
	// dpop_signing_alg_values_supported, RFC 9449 §5.1); nil means all
	// of [keys.Algorithms]. "none" and MACs are never accepted.
	Algorithms []keys.Algorithm
}

// VerifyDPoPProof checks a DPoP proof JWT (RFC 9449 §4.3), in this order:
// one well-formed JWT within [MaxDPoPProofSize]; typ dpop+jwt; alg allowed
// and equal to the algorithm of the jwk header's key (the algorithm comes
// from the key, RFC 8725 §3.1); the jwk holds no private key; the
// signature; then, only for an authentic proof, the claims jti, htm, htu
// and iat; htm and htu match the request; iat within [Now-MaxAge-ClockSkew,
// Now+ClockSkew]; ath when an access token is given, the key's thumbprint
// when a bound key is; the nonce when one is required. It returns the
// proof's jkt and jti: storing the jti to refuse a second use is the
// server's (RFC 9449 §11.1). Errors are *DPoPError; bad options give an
// error that is neither (a server bug, answered with HTTP 500 by
// [WriteError]).
func VerifyDPoPProof(proof string, opts DPoPOptions) (*DPoPProof, error) {
	if opts.Method == "" || opts.URL == "" || opts.Now.IsZero() || opts.MaxAge <= 0 ||
		opts.ClockSkew < 0 || opts.ClockSkew > MaxDPoPClockSkew {
		return nil, errors.New("oid4vci: DPoPOptions need Method, URL, Now, a positive MaxAge and a ClockSkew of at most 10 minutes")
	}
	wantURI, err := normalizeHTU(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("oid4vci: DPoPOptions.URL: %v", err)
	}
	allowed := opts.Algorithms
	if allowed == nil {
		allowed = keys.Algorithms()
	}

	// §4.3 step 2: a single well-formed JWT (RFC 9449 §4.1: token68).
	if len(proof) > MaxDPoPProofSize {
		return dpopFail(DPoPCheckSyntax, "%d bytes, over the %d-byte cap", len(proof), MaxDPoPProofSize)
	}
	jws, err := jose.Parse(proof, maxDPoPDepth)
	if err != nil {
		return dpopFail(DPoPCheckSyntax, "%v", err)
	}
	// §4.3 step 4: typ is dpop+jwt.
	if err := jws.CheckType(DPoPType); err != nil {
		return dpopFail(DPoPCheckType, "%v", err)
	}
	// §4.3 step 5: a registered asymmetric algorithm, not none, supported
	// and acceptable per local policy.
	if err := jose.CheckAlgorithm(jws.Alg, allowed); err != nil {
		return dpopFail(DPoPCheckAlgorithm, "%v", err)
	}
	// §4.3 step 7 and RFC 9449 §4.2: jwk is a public key, never a
	// private one.
	pub, err := headerJWK(jws.Header)
	if err != nil {
		return dpopFail(DPoPCheckKey, "%v", err)
	}
	alg, err := keys.AlgorithmFor(pub)
	if err != nil || alg != jws.Alg {
		return dpopFail(DPoPCheckAlgorithm, "alg %.16q is not the algorithm of the jwk", jws.Alg)
	}
	// §4.3 step 6: the signature verifies with the jwk.
	if err := jws.Verify(pub, []keys.Algorithm{alg}); err != nil {
		return dpopFail(DPoPCheckSignature, "%v", err)
	}

	// Claims, only after the signature is known good.
	pl, err := strictjson.UnmarshalObject(jws.Payload, maxDPoPDepth)
	if err != nil {
		return dpopFail(DPoPCheckClaims, "payload: %v", err)
	}
	// §4.3 step 3 and RFC 9449 §4.2: jti, htm, htu and iat are required.
	p := &DPoPProof{key: pub}
	p.jti, _ = pl["jti"].(string)
	p.htm, _ = pl["htm"].(string)
	p.htu, _ = pl["htu"].(string)
	iat, ok := numericDate(pl["iat"])
	switch {
	case p.jti == "" || len(p.jti) > maxJTILen:
		return dpopFail(DPoPCheckClaims, "jti missing, not a string or over %d bytes", maxJTILen)
	case p.htm == "" || p.htu == "":
		return dpopFail(DPoPCheckClaims, "htm or htu missing or not a string")
	case !ok:
		return dpopFail(DPoPCheckClaims, "iat missing or not a NumericDate")
	}
	p.iat = iat
	// §4.3 step 8: htm matches the method (methods are case-sensitive,
	// RFC 9110 §9.1).
	if p.htm != opts.Method {
		return dpopFail(DPoPCheckMethod, "htm %.16q, request method %.16q", p.htm, opts.Method)
	}
	// §4.3 step 9: htu matches the target URI, ignoring query and
	// fragment, after syntax- and scheme-based normalization.
	if got, err := normalizeHTU(p.htu); err != nil || got != wantURI {
		return dpopFail(DPoPCheckURI, "htu %.200q is not %.200q", p.htu, opts.URL)
	}
	// §4.3 step 11, §11.1: created within an acceptable window.
	if iat.After(opts.Now.Add(opts.ClockSkew)) {
		return dpopFail(DPoPCheckTime, "iat %v is in the future", iat.UTC())
	}
	if iat.Before(opts.Now.Add(-opts.MaxAge - opts.ClockSkew)) {
		return dpopFail(DPoPCheckTime, "iat %v is older than %v", iat.UTC(), opts.MaxAge)
	}
	// §4.3 step 12, §7: ath is the hash of the presented access token.
	if opts.AccessToken != "" {
		if got, _ := pl["ath"].(string); got != accessTokenHash(opts.AccessToken) {
			return dpopFail(DPoPCheckAccessToken, "ath missing or not the hash of the access token")
		}
	}
	tp, err := keys.Thumbprint(pub)
	if err != nil {
		return dpopFail(DPoPCheckKey, "thumbprint: %v", err)
	}
	p.jkt = tp
	// §4.3 step 12, §7.1: the proof's key is the one the token is bound
	// to.
	if opts.BoundKey != "" && tp != opts.BoundKey {
		return dpopFail(DPoPCheckKeyBinding, "the proof's key is not the one the access token is bound to")
	}
	if v, present := pl["nonce"]; present {
		n, ok := v.(string)
		if !ok || !validDPoPNonce(n) {
			return dpopFail(DPoPCheckClaims, "nonce is not a nonce (RFC 9449 §8.1)")
		}
		p.nonce = n
	}
	// §4.3 step 10, §8, §9: the nonce the server provided.
	if opts.AcceptNonce != nil && (p.nonce == "" || !opts.AcceptNonce(p.nonce)) {
		return dpopFail(DPoPCheckNonce, "the proof does not carry a current server nonce")
	}
	return p, nil
}

// headerJWK reads the jwk header of a proof as a public key: keys'
// strict JWK parser refuses private members (RFC 9449 §4.2, OpenID4VCI
// Appendix F.4) and unsupported key types.
func headerJWK(h map[string]any) (crypto.PublicKey, error) {
	obj, ok := h["jwk"].(map[string]any)
	if !ok {
		return nil, errors.New("jwk header missing or not an object")
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("jwk: %v", err)
	}
	pub, err := keys.ParsePublicJWK(b)
	if err != nil {
		return nil, fmt.Errorf("jwk: %v", err)
	}
	return pub, nil
}

// accessTokenHash is ath: base64url of SHA-256 of the ASCII access token
// (RFC 9449 §4.2).
func accessTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return jose.Encode(sum[:])
}

// normalizeHTU normalizes an HTTP URI for the htu comparison (RFC 9449
// §4.3: syntax-based and scheme-based normalization, RFC 3986 §6.2.2 and
// §6.2.3): scheme and host in lower case, the default port dropped, an
// empty path made "/", percent-encodings of unreserved characters decoded
// and the others in upper case, dot segments removed; query and fragment
// dropped.
func normalizeHTU(s string) (string, error) {
	if len(s) > MaxURLLen {
		return "", errors.New("URI too long")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", err
	}
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "https" && scheme != "http") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", errors.New("not an absolute http(s) URI")
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	path := removeDotSegments(normalizePercent(u.EscapedPath()))
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, nil
}

// normalizePercent decodes percent-encoded unreserved characters and
// writes the other percent-encodings in upper case (RFC 3986 §6.2.2.1,
// §6.2.2.2).
func normalizePercent(p string) string {
	if !strings.Contains(p, "%") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]) {
			c := unhex(p[i+1])<<4 | unhex(p[i+2])
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
				b.WriteByte(c)
			} else {
				b.WriteByte('%')
				b.WriteString(strings.ToUpper(p[i+1 : i+3]))
			}
			i += 2
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// removeDotSegments is remove_dot_segments of RFC 3986 §5.2.4.
func removeDotSegments(in string) string {
	var out []string
	segs := strings.Split(in, "/")
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	r := strings.Join(out, "/")
	if strings.HasPrefix(in, "/") && !strings.HasPrefix(r, "/") {
		r = "/" + r
	}
	return r
}

// NewDPoPProof makes a DPoP proof JWT (RFC 9449 §4.2) for one HTTP
// request with the client's DPoP key: header {typ dpop+jwt, alg of the
// key, jwk}; payload {jti (128 random bits), htm method, htu url without
// query and fragment, iat, ath when accessToken is given (the request
// presents it to a protected resource, §7), nonce when given (the
// server's DPoP-Nonce, §8)}. signer may be any crypto.Signer; rand is the
// source of the jti and of the signature's randomness, nil meaning
// crypto/rand. Make a new proof for every request, also for a retry (RFC
// 9449 §7.3).
func NewDPoPProof(rand io.Reader, signer crypto.Signer, method, url, accessToken, nonce string, iat time.Time) (string, error) {
	fail := func(format string, args ...any) (string, error) {
		return "", fmt.Errorf("%w: %s", ErrInvalidDPoPProof, fmt.Sprintf(format, args...))
	}
	if signer == nil || !isToken(method) {
		return fail("a signer and an HTTP method are required")
	}
	htu, err := stripQuery(url)
	if err != nil {
		return fail("url: %v", err)
	}
	if nonce != "" && !validDPoPNonce(nonce) {
		return fail("nonce is not a DPoP nonce (RFC 9449 §8.1)")
	}
	if rand == nil {
		rand = cryptoRand
	}
	var jti [16]byte
	if _, err := io.ReadFull(rand, jti[:]); err != nil {
		return fail("jti: %v", err)
	}
	js, err := jose.NewSigner(signer)
	if err != nil {
		return fail("%v", err)
	}
	jwk, err := keys.MarshalPublicJWK(signer.Public())
	if err != nil {
		return fail("%v", err)
	}
	hdr, err := jose.Header(js.Algorithm(), DPoPType, map[string]any{"jwk": json.RawMessage(jwk)})
	if err != nil {
		return fail("%v", err)
	}
	claims := map[string]any{"jti": jose.Encode(jti[:]), "htm": method, "htu": htu, "iat": iat.Unix()}
	if accessToken != "" {
		claims["ath"] = accessTokenHash(accessToken)
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	pl, err := strictjson.Marshal(claims)
	if err != nil {
		return fail("%v", err)
	}
	tok, err := js.Sign(rand, hdr, pl)
	if err != nil {
		return fail("%v", err)
	}
	return tok, nil
}

// stripQuery returns an absolute http(s) URL without its query and
// fragment (RFC 9449 §4.2 htu).
func stripQuery(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", errors.New("not an absolute http(s) URL")
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath(), nil
}

// isToken reports whether s is an HTTP token (RFC 9110 §5.6.2), as a
// method is.
func isToken(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTChar(s[i]) {
			return false
		}
	}
	return true
}

// ReadDPoPHeader returns the DPoP proof of a request: "" when there is
// none, an error (a *DPoPError of [DPoPCheckSyntax]) when there is more
// than one DPoP header (RFC 9449 §4.3 step 1) or its value is not a
// token68 (§4.1).
func ReadDPoPHeader(h http.Header) (string, error) {
	vals := h.Values(DPoPHeader)
	switch {
	case len(vals) == 0:
		return "", nil
	case len(vals) > 1:
		return "", &DPoPError{Check: DPoPCheckSyntax, Detail: "more than one DPoP header"}
	case !isB64Token(vals[0], MaxDPoPProofSize):
		return "", &DPoPError{Check: DPoPCheckSyntax, Detail: "the DPoP header is not a token68"}
	}
	return vals[0], nil
}

// DPoPErrorResponse turns an error of [VerifyDPoPProof] or
// [ReadDPoPHeader] into the response a server sends. At the token
// endpoint (atResource false): HTTP 400 with invalid_dpop_proof (RFC
// 9449 §5) or use_dpop_nonce (§8). At a protected resource: HTTP 401 with
// a WWW-Authenticate: DPoP challenge (§7.1) carrying invalid_dpop_proof,
// use_dpop_nonce (§9), or invalid_token when the proof's key is not the
// token's (§7.1). freshNonce, when set, goes in the DPoP-Nonce header; a
// use_dpop_nonce answer needs one. An err that is not a DPoP error gives
// server_error.
func DPoPErrorResponse(err error, atResource bool, freshNonce string) *ProtocolError {
	var de *DPoPError
	if !errors.As(err, &de) {
		return &ProtocolError{Status: http.StatusInternalServerError, Code: CodeServerError, Err: err}
	}
	pe := &ProtocolError{Status: http.StatusBadRequest, Code: CodeInvalidDPoPProof, Description: de.Detail,
		DPoPNonce: freshNonce, Err: err}
	if de.Check == DPoPCheckNonce {
		pe.Code = CodeUseDPoPNonce
	}
	if atResource {
		pe.Status, pe.Scheme = http.StatusUnauthorized, SchemeDPoP
		if de.Check == DPoPCheckKeyBinding {
			pe.Code = CodeInvalidToken
		}
	}
	return pe
}
