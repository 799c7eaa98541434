package oid4vp

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"

	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/keys"
)

// The signed Request Object (RFC 9101; §5.8, §5.9.3, §5.10).

// RequestObjectType is the typ header of a Request Object (§5, RFC 9101
// §10.8): Wallets MUST NOT process a Request Object without it.
const RequestObjectType = "oauth-authz-req+jwt"

// ContentTypeRequestObject is the media type of a Request Object served
// at a request_uri (§5.10.1, RFC 9101 §10.2).
const ContentTypeRequestObject = "application/oauth-authz-req+jwt"

// AudienceSelfIssued is the aud of a Request Object when the Verifier
// uses static discovery of the Wallet's metadata (§5.8).
const AudienceSelfIssued = "https://self-issued.me/v2"

// Defaults and caps of Request Objects.
const (
	// DefaultRequestObjectLifetime is the exp - iat [SignRequestObject]
	// sets by default.
	DefaultRequestObjectLifetime = 5 * time.Minute
	// DefaultMaxAge is how old a Request Object's iat may be by default
	// ([VerifyOptions].MaxAge).
	DefaultMaxAge = 10 * time.Minute
	// MaxClockSkew caps [VerifyOptions].ClockSkew.
	MaxClockSkew = 5 * time.Minute
	// MaxCertificateChain caps the certificates of the x5c header.
	MaxCertificateChain = 5
	// MaxRequestURIPostSize caps the form body of a request_uri POST.
	MaxRequestURIPostSize = 64 << 10
	// maxHeaderDepth: the header object and its x5c array.
	maxHeaderDepth = 2
)

// SignOptions configure [SignRequestObject].
type SignOptions struct {
	// Audience is aud: the Wallet's issuer when the Verifier performed
	// dynamic discovery, [AudienceSelfIssued] with static discovery
	// (§5.8); "" means AudienceSelfIssued.
	Audience string
	// Now is iat; the zero time means time.Now().
	Now time.Time
	// Lifetime is exp - iat; 0 means [DefaultRequestObjectLifetime].
	Lifetime time.Duration
	// WalletNonce is the wallet_nonce the Wallet posted to the
	// request_uri (§5.10): a Verifier MUST echo it.
	WalletNonce string
	// KeyID is the kid header: the DID URL of the verification method
	// for a decentralized_identifier client (§5.9.3); optional for other
	// prefixes.
	KeyID string
	// Rand is the randomness of the signature; nil means crypto/rand.
	Rand io.Reader
}

// SignRequestObject signs req as a Request Object (RFC 9101 §4; §5): typ
// oauth-authz-req+jwt, alg from signer's key, the payload the request's
// parameters with aud, iat, exp and wallet_nonce. The Client Identifier
// Prefix decides the key material:
//
//   - x509_san_dns and x509_hash: chain (leaf first, without the trust
//     anchor, HAIP) goes in the x5c header; its leaf must hold signer's
//     public key and be the certificate the client identifier names
//     ([ClientID.CheckCertificate]);
//   - decentralized_identifier: opts.KeyID, a DID URL of the client's
//     DID, goes in the kid header;
//   - redirect_uri requests cannot be signed (§5.9.3), and the other
//     prefixes are not supported.
//
// The request is checked as a signed request first (see
// [AuthorizationRequest.Validate]).
func SignRequestObject(signer crypto.Signer, chain []*x509.Certificate, req *AuthorizationRequest, opts SignOptions) (string, error) {
	if req == nil || req.RequestURI != "" || req.Request != "" {
		return "", malformed("SignRequestObject needs request parameters")
	}
	if req.DCQLQuery != nil {
		if err := req.DCQLQuery.Validate(); err != nil {
			return "", &ProtocolError{Code: CodeInvalidRequest, Description: sanitizeASCII(err.Error(), maxDescriptionLen), Err: err}
		}
	}
	if err := req.check(flow{dcAPI: req.ResponseMode.DCAPI(), signed: true}); err != nil {
		return "", err
	}
	c, err := ParseClientID(req.ClientID)
	if err != nil {
		return "", err
	}
	s, err := jose.NewSigner(signer)
	if err != nil {
		return "", fmt.Errorf("oid4vp: request object signer: %w", err)
	}
	extra := map[string]any{}
	switch c.Prefix {
	case PrefixX509SANDNS, PrefixX509Hash:
		if len(chain) == 0 || len(chain) > MaxCertificateChain {
			return "", fmt.Errorf("%w: a %s client signs with 1 to %d certificates", ErrInvalidRequestObject, c.Prefix, MaxCertificateChain)
		}
		if eq, ok := chain[0].PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(signer.Public()) {
			return "", fmt.Errorf("%w: the leaf certificate does not hold the signer's public key", ErrInvalidRequestObject)
		}
		if err := c.CheckCertificate(chain[0]); err != nil {
			return "", err
		}
		if !req.ResponseMode.DCAPI() && c.Prefix == PrefixX509SANDNS {
			if err := c.checkURIHost(req.ResponseURI); err != nil {
				return "", err
			}
		}
		x5c := make([]string, len(chain))
		for i, cert := range chain {
			// RFC 7515 §4.1.6: base64 (not base64url) DER.
			x5c[i] = base64.StdEncoding.EncodeToString(cert.Raw)
		}
		extra["x5c"] = x5c
	case PrefixDecentralizedIdentifier:
		if !strings.HasPrefix(opts.KeyID, c.ID+"#") {
			return "", fmt.Errorf("%w: kid %.200q is not a DID URL of %.200q", ErrInvalidRequestObject, opts.KeyID, c.ID)
		}
	default:
		return "", protoErr(CodeInvalidRequest, ErrUnsupported, "signing requests of %q clients is not supported", c.Prefix)
	}
	if opts.KeyID != "" {
		extra["kid"] = opts.KeyID
	}
	if opts.WalletNonce != "" && (len(opts.WalletNonce) > MaxNonceLen || !urlSafe(opts.WalletNonce)) {
		return "", malformed("wallet_nonce is not 1 to %d URL-safe characters", MaxNonceLen)
	}
	header, err := jose.Header(s.Algorithm(), RequestObjectType, extra)
	if err != nil {
		return "", err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	life := opts.Lifetime
	if life <= 0 {
		life = DefaultRequestObjectLifetime
	}
	aud := opts.Audience
	if aud == "" {
		aud = AudienceSelfIssued
	}
	p := req.params()
	p["aud"] = aud
	p["iat"] = now.Unix()
	p["exp"] = now.Add(life).Unix()
	if opts.WalletNonce != "" {
		p["wallet_nonce"] = opts.WalletNonce
	}
	payload, err := strictjson.Marshal(p)
	if err != nil {
		return "", malformed("request object: %v", err)
	}
	if len(payload) > MaxRequestSize {
		return "", malformed("request object payload of %d bytes, over the %d-byte cap", len(payload), MaxRequestSize)
	}
	r := opts.Rand
	if r == nil {
		r = rand.Reader
	}
	return s.Sign(r, header, payload)
}

// VerifyOptions configure [VerifyRequestObject]. Roots or CheckTrust is
// required for the x509 prefixes; ResolveDID for decentralized_identifier.
type VerifyOptions struct {
	// Roots are the trust anchors of Verifier certificates: the x5c
	// chain must chain to one of them at Now.
	Roots *x509.CertPool
	// CheckTrust, when set, is called with the x5c chain (leaf first, its
	// signature over the request verified, and verified to Roots when
	// Roots is set) and the client identifier; a non-nil error refuses
	// the request. Use it to check the leaf against a trust list of
	// registered Verifiers, with or without Roots.
	CheckTrust func(chain []*x509.Certificate, client ClientID) error
	// ResolveDID returns the public key of the verification method kid
	// (a DID URL) of the DID of a decentralized_identifier client (DID
	// Resolution, §5.9.3). nil refuses such requests.
	ResolveDID func(did, kid string) (crypto.PublicKey, error)
	// ClientID, when set, is the client_id of the link that carried
	// request or request_uri: the Request Object's must be identical
	// (§5.10.1).
	ClientID string
	// WalletNonce, when set, is the wallet_nonce the Wallet posted to the
	// request_uri: the Request Object must carry it (§5.10.1).
	WalletNonce string
	// Origin, when set, is the origin the platform asserted for a request
	// over the DC API: the request must be one of the DC API, and Origin
	// one of its expected_origins (Appendix A.2). "" means a
	// redirect-based request.
	Origin string
	// Audience is the aud required: the Wallet's issuer with dynamic
	// discovery; "" means [AudienceSelfIssued] (§5.8). A redirect-based
	// request must have aud; a DC API request may omit it.
	Audience string
	// Now is the verification time; the zero time means time.Now().
	Now time.Time
	// ClockSkew tolerates an iat in the future and an exp just passed; at
	// most [MaxClockSkew].
	ClockSkew time.Duration
	// MaxAge is how old iat may be; 0 means [DefaultMaxAge].
	MaxAge time.Duration
	// AllowMissingIssuedAt accepts a Request Object without iat (RFC 9101
	// does not require it); its freshness then rests on exp alone, if
	// any.
	AllowMissingIssuedAt bool
	// AllowAnyResponseURI skips the x509_san_dns check that the host of
	// response_uri is the client identifier (§5.9.3 lets a Wallet that
	// trusts the client identifier otherwise, e.g. through a trust list,
	// allow any).
	AllowAnyResponseURI bool
	// Algorithms are the JWS algorithms accepted; nil means all of
	// [keys.Algorithms].
	Algorithms []keys.Algorithm
}

// VerifiedRequest is an Authorization Request whose Request Object
// [VerifyRequestObject] verified. Only VerifyRequestObject makes one.
type VerifiedRequest struct {
	req         AuthorizationRequest
	client      ClientID
	chain       []*x509.Certificate
	keyID       string
	issuedAt    time.Time
	expiresAt   time.Time
	walletNonce string
}

// Request returns a copy of the verified request's parameters.
func (v *VerifiedRequest) Request() *AuthorizationRequest {
	r := v.req
	return &r
}

// Client returns the authenticated client identifier.
func (v *VerifiedRequest) Client() ClientID { return v.client }

// Chain returns the certificates that authenticated the request, leaf
// first (ending at the trust anchor when VerifyOptions.Roots was set);
// nil for a decentralized_identifier client.
func (v *VerifiedRequest) Chain() []*x509.Certificate { return slices.Clone(v.chain) }

// KeyID returns the kid header, "" if absent.
func (v *VerifiedRequest) KeyID() string { return v.keyID }

// IssuedAt returns iat (the zero time if absent and allowed).
func (v *VerifiedRequest) IssuedAt() time.Time { return v.issuedAt }

// ExpiresAt returns exp, the zero time if absent.
func (v *VerifiedRequest) ExpiresAt() time.Time { return v.expiresAt }

// WalletNonce returns the wallet_nonce claim, "" if absent.
func (v *VerifiedRequest) WalletNonce() string { return v.walletNonce }

// VerifyRequestObject verifies a Request Object (a compact JWS, RFC 9101)
// and returns its request, in this order, so that nothing about the
// claims is reported for an unauthenticated object:
//
//  1. at most [MaxRequestObjectSize] bytes, a JWS with typ
//     oauth-authz-req+jwt (§5) and no crit;
//  2. the key, by the client_id's prefix (§5.9.3): for x509_san_dns and
//     x509_hash, the leaf of the x5c header (1 to [MaxCertificateChain]
//     certificates, none self-signed: HAIP keeps the trust anchor out of
//     x5c); for decentralized_identifier, opts.ResolveDID of the kid;
//     other prefixes are refused;
//  3. alg on the allow-list and the algorithm of that key; the signature;
//     then the (now authentic) client_id bound to the leaf certificate
//     ([ClientID.CheckCertificate]);
//  4. trust: the chain to opts.Roots at Now, and opts.CheckTrust;
//  5. the payload's parameters, as a signed request of its transport
//     (package doc); the client_id identical to opts.ClientID (§5.10.1);
//     for x509_san_dns, the response_uri's host the client identifier
//     (§5.9.3) unless opts.AllowAnyResponseURI;
//  6. claims: aud; iat (not in the future, not older than MaxAge); exp
//     and nbf; wallet_nonce (§5.10.1); over the DC API, the origin among
//     expected_origins (Appendix A.2). iss is ignored (§5).
//
// Errors are [*ProtocolError]: invalid_request_object wrapping
// [ErrInvalidRequestObject], [ErrUntrustedVerifier], [ErrNotFresh] or
// [ErrWalletNonce]; invalid_request wrapping [ErrOrigin], [ErrMalformed]
// or [ErrUnsupported] (and the codes of [ParseAuthorizationRequest] for
// the parameters).
//
// WARNING: no revocation of the Verifier's certificates is checked here;
// do it in CheckTrust where the trust framework requires it.
func VerifyRequestObject(token string, opts VerifyOptions) (*VerifiedRequest, error) {
	bad := func(sentinel error, format string, args ...any) (*VerifiedRequest, error) {
		return nil, protoErr(CodeInvalidRequestObject, sentinel, format, args...)
	}
	if opts.ClockSkew < 0 || opts.ClockSkew > MaxClockSkew || opts.MaxAge < 0 {
		return nil, fmt.Errorf("oid4vp: VerifyOptions: ClockSkew must be in [0, %v] and MaxAge not negative", MaxClockSkew)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	maxAge := opts.MaxAge
	if maxAge == 0 {
		maxAge = DefaultMaxAge
	}
	allowed := opts.Algorithms
	if allowed == nil {
		allowed = keys.Algorithms()
	}
	if len(token) > MaxRequestObjectSize {
		return bad(ErrMalformed, "request object of %d bytes, over the %d-byte cap", len(token), MaxRequestObjectSize)
	}
	jws, err := jose.Parse(token, maxHeaderDepth)
	if err != nil {
		return bad(ErrInvalidRequestObject, "%v", err)
	}
	// §5: Wallets MUST NOT process Request Objects whose typ is absent or
	// not oauth-authz-req+jwt.
	if err := jws.CheckType(RequestObjectType); err != nil {
		return bad(ErrInvalidRequestObject, "%v", err)
	}
	// RFC 8725 §3.1: never none or a MAC; and one the Wallet accepts.
	if err := jose.CheckAlgorithm(jws.Alg, allowed); err != nil {
		return bad(ErrInvalidRequestObject, "%v", err)
	}
	if _, ok := jws.Header["jwt"]; ok {
		// §12: the Verifier Attestation JWT header (verifier_attestation).
		return nil, protoErr(CodeInvalidRequest, ErrUnsupported, "verifier_attestation requests are not supported")
	}
	kid, _ := jws.Header["kid"].(string)
	// The client_id decides where the key comes from. It is read from the
	// payload before the signature is known good only to choose the key;
	// everything is read again, and checked, after.
	if len(jws.Payload) > MaxRequestSize {
		return bad(ErrInvalidRequestObject, "payload over %d bytes", MaxRequestSize)
	}
	pm, err := strictjson.UnmarshalObject(jws.Payload, maxRequestDepth)
	if err != nil {
		return bad(ErrInvalidRequestObject, "payload is not a JSON object: %v", err)
	}
	cid, _ := pm["client_id"].(string)
	client, err := ParseClientID(cid)
	if err != nil {
		return nil, err
	}
	v := &VerifiedRequest{client: client, keyID: kid}
	switch client.Prefix {
	case PrefixX509SANDNS, PrefixX509Hash:
		chain, err := parseX5C(jws.Header)
		if err != nil {
			return bad(ErrInvalidRequestObject, "%v", err)
		}
		leaf := chain[0]
		// RFC 8725 §3.1: the algorithm comes from the key.
		if alg, err := keys.AlgorithmFor(leaf.PublicKey); err != nil || alg != jws.Alg {
			return bad(ErrInvalidRequestObject, "alg %.16q is not the algorithm of the leaf certificate's key", jws.Alg)
		}
		if err := jws.Verify(leaf.PublicKey, []keys.Algorithm{jws.Alg}); err != nil {
			return bad(ErrInvalidRequestObject, "%v", err)
		}
		if leaf.KeyUsage != 0 && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
			return bad(ErrInvalidRequestObject, "the leaf certificate lacks the digitalSignature key usage")
		}
		// §5.9.3: the client identifier names the leaf certificate.
		if err := client.CheckCertificate(leaf); err != nil {
			return nil, &ProtocolError{Code: CodeInvalidRequestObject, Description: sanitizeASCII(err.Error(), maxDescriptionLen), Err: err}
		}
		if opts.Roots == nil && opts.CheckTrust == nil {
			return bad(ErrUntrustedVerifier, "no trust anchors: VerifyOptions needs Roots or CheckTrust")
		}
		v.chain = chain
		if opts.Roots != nil {
			inter := x509.NewCertPool()
			for _, c := range chain[1:] {
				inter.AddCert(c)
			}
			verified, err := leaf.Verify(x509.VerifyOptions{Roots: opts.Roots, Intermediates: inter,
				CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
			if err != nil {
				return nil, &ProtocolError{Code: CodeInvalidRequestObject, Description: "the certificate chain does not verify",
					Err: fmt.Errorf("%w: certificate chain: %w", ErrUntrustedVerifier, err)}
			}
			v.chain = verified[0]
		}
		if opts.CheckTrust != nil {
			if err := opts.CheckTrust(slices.Clone(v.chain), client); err != nil {
				return nil, &ProtocolError{Code: CodeInvalidRequestObject, Description: "the Verifier is not trusted",
					Err: fmt.Errorf("%w: %w", ErrUntrustedVerifier, err)}
			}
		}
	case PrefixDecentralizedIdentifier:
		if opts.ResolveDID == nil {
			return nil, protoErr(CodeInvalidRequest, ErrUnsupported, "decentralized_identifier clients need VerifyOptions.ResolveDID")
		}
		// §5.9.3: kid identifies the verification method of the DID.
		if !strings.HasPrefix(kid, client.ID+"#") {
			return bad(ErrInvalidRequestObject, "kid %.200q is not a DID URL of %.200q", kid, client.ID)
		}
		pub, err := opts.ResolveDID(client.ID, kid)
		if err != nil {
			return nil, &ProtocolError{Code: CodeInvalidRequestObject, Description: "the DID does not resolve to a key",
				Err: fmt.Errorf("%w: %w", ErrUntrustedVerifier, err)}
		}
		if alg, err := keys.AlgorithmFor(pub); err != nil || alg != jws.Alg {
			return bad(ErrInvalidRequestObject, "alg %.16q is not the algorithm of the DID's key", jws.Alg)
		}
		if err := jws.Verify(pub, []keys.Algorithm{jws.Alg}); err != nil {
			return bad(ErrInvalidRequestObject, "%v", err)
		}
	case PrefixRedirectURI:
		// §5.9.3: requests of this prefix cannot be signed.
		return bad(ErrInvalidRequestObject, "a redirect_uri client cannot sign its request")
	default:
		return nil, protoErr(CodeInvalidRequest, ErrUnsupported, "signed requests of %q clients are not supported", client.Prefix)
	}

	// Authentic from here on.
	f := newReader(pm, "")
	fl := flow{dcAPI: opts.Origin != "", signed: true}
	req, err := parseRequestParams(f, fl)
	if err != nil {
		return nil, err
	}
	if opts.ClientID != "" && opts.ClientID != req.ClientID {
		// §5.10.1: identical, including the prefix.
		return bad(ErrInvalidRequestObject, "client_id %.200q is not the link's %.200q", req.ClientID, opts.ClientID)
	}
	if client.Prefix == PrefixX509SANDNS && !fl.dcAPI && !opts.AllowAnyResponseURI {
		if err := client.checkURIHost(req.ResponseURI); err != nil {
			return nil, &ProtocolError{Code: CodeInvalidRequestObject, Description: sanitizeASCII(err.Error(), maxDescriptionLen), Err: err}
		}
	}
	claims := newReader(pm, "")
	iat := claims.Int("iat", false, 0, 1<<40)
	exp := claims.Int("exp", false, 0, 1<<40)
	nbf := claims.Int("nbf", false, 0, 1<<40)
	v.walletNonce = claims.Str("wallet_nonce", false)
	var aud []string
	switch a := pm["aud"].(type) {
	case nil:
	case string:
		aud = []string{a}
	default:
		aud = claims.Strs("aud", false, false, MaxValues)
	}
	if err := claims.Err(); err != nil {
		return bad(ErrInvalidRequestObject, "%v", err)
	}
	wantAud := opts.Audience
	if wantAud == "" {
		wantAud = AudienceSelfIssued
	}
	// §5.8: aud is the Wallet's issuer or https://self-issued.me/v2. Over
	// the DC API the platform delivers the request to the Wallet, and
	// Appendix A's examples carry no aud.
	if (aud != nil || !fl.dcAPI) && !slices.Contains(aud, wantAud) {
		return bad(ErrInvalidRequestObject, "aud %q is not %q", aud, wantAud)
	}
	skew := opts.ClockSkew
	if pm["iat"] != nil {
		v.issuedAt = time.Unix(iat, 0)
	}
	if pm["exp"] != nil {
		v.expiresAt = time.Unix(exp, 0)
	}
	switch {
	case v.issuedAt.IsZero() && !opts.AllowMissingIssuedAt:
		return bad(ErrNotFresh, "iat is missing")
	case !v.issuedAt.IsZero() && v.issuedAt.After(now.Add(skew)):
		return bad(ErrNotFresh, "iat %v is in the future", v.issuedAt.UTC())
	case !v.issuedAt.IsZero() && v.issuedAt.Before(now.Add(-maxAge-skew)):
		return bad(ErrNotFresh, "iat %v is older than %v", v.issuedAt.UTC(), maxAge)
	case !v.expiresAt.IsZero() && !v.expiresAt.After(now.Add(-skew)):
		return bad(ErrNotFresh, "expired at %v", v.expiresAt.UTC())
	case pm["nbf"] != nil && time.Unix(nbf, 0).After(now.Add(skew)):
		return bad(ErrNotFresh, "not valid before %v", time.Unix(nbf, 0).UTC())
	}
	if opts.WalletNonce != "" && v.walletNonce != opts.WalletNonce {
		// §5.10.1: if it does not carry the wallet_nonce, the Wallet MUST
		// terminate processing.
		return bad(ErrWalletNonce, "the request object does not carry the wallet_nonce sent")
	}
	if fl.dcAPI {
		if err := CheckOrigin(req.ExpectedOrigins, opts.Origin); err != nil {
			return nil, err
		}
	}
	v.req = *req
	return v, nil
}

// parseX5C reads the x5c header (RFC 7515 §4.1.6): 1 to
// MaxCertificateChain certificates, each canonical standard base64 DER,
// leaf first, none self-signed (HAIP: the trust anchor is not in x5c,
// and the signing certificate is not self-signed).
func parseX5C(h map[string]any) ([]*x509.Certificate, error) {
	arr, ok := h["x5c"].([]any)
	if !ok || len(arr) == 0 || len(arr) > MaxCertificateChain {
		return nil, fmt.Errorf("x5c header missing, not an array, or not 1 to %d certificates", MaxCertificateChain)
	}
	chain := make([]*x509.Certificate, len(arr))
	for i, v := range arr {
		s, ok := v.(string)
		if !ok || strings.ContainsAny(s, "\r\n") {
			return nil, fmt.Errorf("x5c[%d] is not a base64 string", i)
		}
		der, err := base64.StdEncoding.Strict().DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("x5c[%d]: not base64: %v", i, err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("x5c[%d]: %v", i, err)
		}
		if bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil {
			return nil, fmt.Errorf("x5c[%d] is self-signed; the trust anchor does not go in x5c", i)
		}
		chain[i] = c
	}
	return chain, nil
}

// --- request_uri with POST (§5.10) ---

// WalletMetadata is the Wallet's metadata (§10) as a Wallet sends it in
// wallet_metadata (§5.10): what the Verifier may ask for. Other
// parameters are ignored (§10.1).
type WalletMetadata struct {
	// VPFormatsSupported is vp_formats_supported (§10.1), required.
	VPFormatsSupported map[credential.Format]VPFormat
	// ClientIDPrefixesSupported is client_id_prefixes_supported (§10.1).
	ClientIDPrefixesSupported []string
	// RequestObjectSigningAlgValuesSupported lists the JWS algorithms
	// of Request Objects the Wallet accepts (RFC 8414 §2).
	RequestObjectSigningAlgValuesSupported []string
	// ResponseModesSupported and ResponseTypesSupported (RFC 8414 §2).
	ResponseModesSupported, ResponseTypesSupported []string
}

// RequestURIPost is the body of a Wallet's POST to a request_uri (§5.10):
// its metadata and a nonce the Request Object must carry.
type RequestURIPost struct {
	// WalletMetadata is wallet_metadata, nil if absent.
	WalletMetadata *WalletMetadata
	// WalletNonce is wallet_nonce: fresh, unpredictable (see
	// [NewWalletNonce]); "" if absent.
	WalletNonce string
}

// NewWalletNonce returns a fresh wallet_nonce: 128 random bits, base64url
// (§5.10). r nil means crypto/rand.
func NewWalletNonce(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("oid4vp: wallet_nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// MarshalJSON encodes the metadata (§10.1); members that are nil are
// left out.
func (m WalletMetadata) MarshalJSON() ([]byte, error) {
	out := map[string]any{}
	if m.VPFormatsSupported != nil {
		out["vp_formats_supported"] = m.VPFormatsSupported
	}
	for name, v := range map[string][]string{
		"client_id_prefixes_supported":                m.ClientIDPrefixesSupported,
		"request_object_signing_alg_values_supported": m.RequestObjectSigningAlgValuesSupported,
		"response_modes_supported":                    m.ResponseModesSupported,
		"response_types_supported":                    m.ResponseTypesSupported,
	} {
		if v != nil {
			out[name] = v
		}
	}
	return strictjson.Marshal(out)
}

// Form encodes the POST body (§5.10, application/x-www-form-urlencoded).
func (p *RequestURIPost) Form() (url.Values, error) {
	v := url.Values{}
	if p.WalletMetadata != nil {
		b, err := json.Marshal(p.WalletMetadata)
		if err != nil {
			return nil, malformed("wallet_metadata: %v", err)
		}
		v.Set("wallet_metadata", string(b))
	}
	if p.WalletNonce != "" {
		v.Set("wallet_nonce", p.WalletNonce)
	}
	if _, err := ParseRequestURIPost(v); err != nil {
		return nil, err
	}
	return v, nil
}

// ParseRequestURIPost reads the form a Wallet posted to a request_uri
// (§5.10): wallet_metadata, a JSON object, and wallet_nonce, 1 to
// [MaxNonceLen] URL-safe characters; both optional, each at most once;
// other parameters ignored.
func ParseRequestURIPost(form url.Values) (*RequestURIPost, error) {
	for _, k := range []string{"wallet_metadata", "wallet_nonce"} {
		if len(form[k]) > 1 {
			return nil, malformed("parameter %s repeated", k)
		}
	}
	p := &RequestURIPost{WalletNonce: form.Get("wallet_nonce")}
	if _, ok := form["wallet_nonce"]; ok && (p.WalletNonce == "" || len(p.WalletNonce) > MaxNonceLen || !urlSafe(p.WalletNonce)) {
		return nil, malformed("wallet_nonce is not 1 to %d URL-safe characters", MaxNonceLen)
	}
	if s, ok := form["wallet_metadata"]; ok {
		r, err := readObject("wallet_metadata", []byte(s[0]), MaxRequestURIPostSize, maxMetadataDepth)
		if err != nil {
			return nil, err
		}
		md := &WalletMetadata{
			ClientIDPrefixesSupported:              r.Strs("client_id_prefixes_supported", false, false, MaxValues),
			RequestObjectSigningAlgValuesSupported: r.Strs("request_object_signing_alg_values_supported", false, false, MaxValues),
			ResponseModesSupported:                 r.Strs("response_modes_supported", false, false, MaxValues),
			ResponseTypesSupported:                 r.Strs("response_types_supported", false, false, MaxValues),
		}
		if v, ok := r.Get("vp_formats_supported", false); ok {
			// The EUDI reference wallet sends null for a format without
			// parameters ("dc+sd-jwt": null). wallet_metadata only
			// informs the Verifier, so null reads as {} here; in
			// client_metadata, which a Wallet acts on, it stays malformed.
			if fm, ok := v.(map[string]any); ok {
				nn := make(map[string]any, len(fm))
				for k, x := range fm {
					if x == nil {
						x = map[string]any{}
					}
					nn[k] = x
				}
				v = nn
			}
			cm, err := parseMetadataAt(map[string]any{"vp_formats_supported": v}, "wallet_metadata")
			if err != nil {
				return nil, err
			}
			md.VPFormatsSupported = cm.VPFormatsSupported
		}
		if err := r.Err(); err != nil {
			return nil, malformed("wallet_metadata: %v", err)
		}
		p.WalletMetadata = md
	}
	return p, nil
}

// ReadRequestURIPost reads the Wallet's POST to a Verifier's request_uri
// endpoint (§5.10): method POST, Content-Type
// application/x-www-form-urlencoded, at most [MaxRequestURIPostSize]
// bytes, then [ParseRequestURIPost]. A GET request has no body: the
// caller serves it the Request Object without a wallet_nonce.
func ReadRequestURIPost(r *http.Request) (*RequestURIPost, error) {
	form, err := readForm(r, MaxRequestURIPostSize)
	if err != nil {
		return nil, err
	}
	return ParseRequestURIPost(form)
}

// readForm reads an application/x-www-form-urlencoded POST body.
func readForm(r *http.Request, max int64) (url.Values, error) {
	if r.Method != http.MethodPost {
		return nil, &ProtocolError{Status: http.StatusMethodNotAllowed, Code: CodeInvalidRequest, Description: "POST only", Err: fmt.Errorf("%w: method %s", ErrMalformed, r.Method)}
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, malformed("Content-Type is not application/x-www-form-urlencoded")
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, malformed("reading the body: %v", err)
	}
	if int64(len(b)) > max {
		return nil, malformed("body over %d bytes", max)
	}
	form, err := url.ParseQuery(string(b))
	if err != nil {
		return nil, malformed("form body: %v", err)
	}
	return form, nil
}

// WriteRequestObject answers a request_uri with a Request Object (§5.10.1,
// RFC 9101 §5.2): HTTP 200, Content-Type application/oauth-authz-req+jwt,
// Cache-Control no-store (a Request Object carries a nonce, and a
// wallet_nonce for one Wallet).
func WriteRequestObject(w http.ResponseWriter, jws string) error {
	h := w.Header()
	h.Set("Content-Type", ContentTypeRequestObject)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err := io.WriteString(w, jws)
	return err
}

// ReadRequestObject reads a Verifier's answer to the Wallet's GET or POST
// to a request_uri: HTTP 200 with Content-Type
// application/oauth-authz-req+jwt and at most [MaxRequestObjectSize]
// bytes. An HTTP error becomes a [*ProtocolError] ([ReadError]): the
// Wallet MUST terminate (§5.10.2). A redirect is an error too (§14.5): a
// client reading a request_uri should not follow redirects (set
// http.Client.CheckRedirect to return http.ErrUseLastResponse). It does
// not close the body.
func ReadRequestObject(resp *http.Response) (string, error) {
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return "", protoErr(CodeInvalidRequestURI, ErrMalformed, "the request_uri answered a redirect (HTTP %d); OpenID4VP uses none", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		pe := ReadError(resp)
		pe.Err = fmt.Errorf("%w: request_uri answered HTTP %d", ErrMalformed, resp.StatusCode)
		return "", pe
	}
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != ContentTypeRequestObject {
		return "", protoErr(CodeInvalidRequestURI, ErrMalformed, "the request_uri answered Content-Type %.64q, not %s", resp.Header.Get("Content-Type"), ContentTypeRequestObject)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxRequestObjectSize+1))
	if err != nil {
		return "", protoErr(CodeInvalidRequestURI, ErrMalformed, "reading the request object: %v", err)
	}
	if len(b) > MaxRequestObjectSize {
		return "", protoErr(CodeInvalidRequestURI, ErrMalformed, "request object over %d bytes", MaxRequestObjectSize)
	}
	return string(bytes.TrimSpace(b)), nil
}
