package issuer

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/internal/obs"
	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// Defaults and caps of [HandlerConfig].
const (
	// DefaultAccessTokenTTL is how long an access token (an activation
	// session) lives; MaxAccessTokenTTL caps HandlerConfig.AccessTokenTTL.
	DefaultAccessTokenTTL = 10 * time.Minute
	MaxAccessTokenTTL     = 24 * time.Hour
	// DefaultRefreshTokenTTL is how long a refresh token lives (each
	// exchange gives a new one, living as long again);
	// MinRefreshTokenTTL and MaxRefreshTokenTTL bound
	// HandlerConfig.RefreshTokenTTL.
	DefaultRefreshTokenTTL = 180 * 24 * time.Hour
	MinRefreshTokenTTL     = time.Hour
	MaxRefreshTokenTTL     = 2 * 365 * 24 * time.Hour
	// DefaultDPoPMaxAge is the oldest DPoP proof iat accepted (RFC 9449
	// §11.1); MaxDPoPMaxAge caps HandlerConfig.DPoPMaxAge.
	DefaultDPoPMaxAge = 5 * time.Minute
	MaxDPoPMaxAge     = 10 * time.Minute
	// maxRequestBody caps the body of any request to the handler; each
	// message has its own, smaller cap in package oid4vci.
	maxRequestBody = oid4vci.MaxCredentialRequestSize
)

// Paths of the endpoints under the Credential Issuer Identifier's path.
const (
	pathToken        = "/token"
	pathNonce        = "/nonce"
	pathCredential   = "/credential"
	pathNotification = "/notification"
)

// KeyAttestationPolicy is what the issuer demands of the device keys it
// binds credentials to (OpenID4VCI 1.0 Appendix D). See the package
// documentation, "Key attestation", for how Android Key Attestation and
// Apple App Attest roots plug in.
type KeyAttestationPolicy struct {
	// Roots are the trust anchors of key attestation JWTs: the
	// certificates of the wallet providers' attestation CAs, whose chain
	// (x5c) a key attestation must verify to. A proof carrying a
	// key_attestation is checked against them; with no Roots, no key
	// attestation can be accepted.
	Roots []*x509.Certificate
	// Required maps a credential type (its vct, such as
	// credential.VCTKTPEL) to the attack potential resistance its device
	// keys must be attested with: every configuration of the type (each
	// format, and the QR profile of a KTP-el) announces it as
	// key_attestations_required (§12.2.4), and every proof of a request
	// for it must carry a key attestation that verifies against Roots,
	// attests the proof's key and meets the requirement (an empty one
	// accepts any level). Types not listed do not require attestation:
	// the default, since wallets without a hardware-backed wallet
	// provider (the @openid4vc/openid4vci wallet, for one) cannot send
	// any.
	Required map[string]oid4vci.KeyAttestationRequirement
}

// HandlerConfig configures a [Handler].
type HandlerConfig struct {
	// Display is how wallets show the issuer (§12.2.4 display), one entry
	// per locale. Optional.
	Display []oid4vci.IssuerDisplay
	// BatchSize is the most key proofs a Credential Request may carry,
	// one credential per proof and key (§12.2.4 batch_size); zero means
	// the largest number of copies of the issued types (Config.Copies:
	// 10 with a KTP-el), 1 means no batches, at most oid4vci.MaxProofs.
	// Whatever it is, a request gets at most the copies of its
	// configuration's type ([Issuer.Copies]): a wallet asks, per
	// configuration, for min(batch_size, the copies it keeps) in one
	// request.
	BatchSize int
	// AccessTokenTTL is how long an access token lives; zero means
	// DefaultAccessTokenTTL, at most MaxAccessTokenTTL.
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is how long a refresh token lives; zero means
	// DefaultRefreshTokenTTL (180 days), from MinRefreshTokenTTL to
	// MaxRefreshTokenTTL. A wallet that tops up its copies at least that
	// often never needs a new offer while its device binding is active.
	RefreshTokenTTL time.Duration
	// RequireDPoP refuses token requests without a DPoP proof (RFC 9449),
	// so that every access token, and every refresh token, is bound to a
	// key of the wallet. Off by default: a token request with a DPoP
	// proof gets a DPoP-bound token (token_type DPoP), one without gets a
	// Bearer token, and a Bearer refresh token lets whoever steals it
	// have copies issued to their own keys until the wallet's next
	// refresh shows the replay. Production issuers should set it.
	RequireDPoP bool
	// DPoPMaxAge is the oldest DPoP proof iat accepted; zero means
	// DefaultDPoPMaxAge, at most MaxDPoPMaxAge. The issuer's
	// Config.ClockSkew applies too.
	DPoPMaxAge time.Duration
	// ClientIDs, when not empty, are the client_id values the token
	// endpoint accepts; a token request without one of them is
	// invalid_client (§6.3), and the Authorization Server metadata says
	// pre-authorized_grant_anonymous_access_supported false. Empty means
	// anonymous access (the default; §12.3): the pre-authorized code and
	// the tx_code authorize the wallet.
	ClientIDs []string
	// KeyAttestation is the key attestation policy. The zero value
	// requires none.
	KeyAttestation KeyAttestationPolicy
	// Logger receives the handler's logs (see the package documentation,
	// "Operating"): server errors at Error with the route, method and
	// error; refused requests at Debug with the route, method, OAuth
	// error code and reason; never a token, code, tx_code, nonce, claim
	// or NIK. Nil means ErrorLog when that is set, else the Issuer's
	// Config.Logger.
	Logger *slog.Logger
	// Metrics receives the handler's requests (handler "issuer", by
	// route name) and the outcomes of the operations it runs
	// ("activate", "refresh", "issue"); nil means the Issuer's
	// Config.Metrics.
	Metrics Metrics
	// ErrorLog receives the server errors the handler answers with
	// server_error (store or signing failures), when Logger is nil.
	//
	// Deprecated: set Logger; ErrorLog gets the records of level Error.
	ErrorLog *log.Logger
}

// Handler is the OpenID4VCI 1.0 issuer of an [Issuer] as an http.Handler:
// the Pre-Authorized Code Flow with the offers that [Issuer.Confirm]
// makes. Mount it at the root of the Credential Issuer Identifier's host
// (it routes on the identifier's path itself); serve it over HTTPS, or
// plain HTTP on a loopback address only. With P the path of
// Config.Identifier ("" for https://dukcapil.example.go.id), it serves:
//
//	GET  /.well-known/openid-credential-issuer{P}   Credential Issuer Metadata (§12.2)
//	GET  /.well-known/oauth-authorization-server{P} Authorization Server Metadata (RFC 8414)
//	GET  {P}/offers/{ref}                            a credential offer by reference (§4.1.3)
//	POST {P}/token                                   Token Endpoint (§6), pre-authorized code and refresh token grants
//	POST {P}/nonce                                   Nonce Endpoint (§7)
//	POST {P}/credential                              Credential Endpoint (§8)
//	POST {P}/notification                            Notification Endpoint (§11)
//	GET  {S}/{n}                                     Status List Token n (draft-ietf-oauth-status-list-20),
//	                                                 when Config.StatusList.BaseURI = {scheme}://{host}{S}
//	                                                 is on the identifier's scheme and host
//
// Every response to a request of the protocol has Cache-Control:
// no-store; every error is the JSON error response of its endpoint
// (§6.3, §8.3.1, §11.3), with a WWW-Authenticate challenge for access
// token and DPoP problems at the Credential and Notification Endpoints
// (RFC 6750 §3, RFC 9449 §7.1). Request bodies are capped (package
// oid4vci's Max*Size). A Handler is safe for concurrent use; all its state
// is in the Issuer's store, so several processes may serve one store.
type Handler struct {
	iss  *Issuer
	cfg  HandlerConfig
	base string // the Credential Issuer Identifier
	mux  *http.ServeMux
	// attestationRoots are cfg.KeyAttestation.Roots as a pool; nil when
	// there are none.
	attestationRoots *x509.CertPool
	log              *slog.Logger
	obs              obs.Handler // measures requests

	issuerMD, asMD []byte
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns the OpenID4VCI handler of iss. It fails with
// ErrConfig for a configuration out of range, an identifier that is not
// https (or http on a loopback host) or whose path has characters other
// than letters, digits and -._~/, and for metadata that package oid4vci
// would refuse.
func NewHandler(iss *Issuer, cfg HandlerConfig) (*Handler, error) {
	bad := func(format string, args ...any) (*Handler, error) {
		return nil, errorf("handler", ErrConfig, format, args...)
	}
	if iss == nil {
		return bad("no Issuer")
	}
	if cfg.BatchSize == 0 {
		for _, c := range iss.configs {
			cfg.BatchSize = max(cfg.BatchSize, iss.copies[c.vct()])
		}
	}
	if cfg.BatchSize < 1 || cfg.BatchSize > oid4vci.MaxProofs {
		return bad("BatchSize %d outside [1, %d]", cfg.BatchSize, oid4vci.MaxProofs)
	}
	if cfg.AccessTokenTTL == 0 {
		cfg.AccessTokenTTL = DefaultAccessTokenTTL
	}
	if cfg.AccessTokenTTL < time.Second || cfg.AccessTokenTTL > MaxAccessTokenTTL {
		return bad("AccessTokenTTL %v outside [1s, %v]", cfg.AccessTokenTTL, MaxAccessTokenTTL)
	}
	if cfg.RefreshTokenTTL == 0 {
		cfg.RefreshTokenTTL = DefaultRefreshTokenTTL
	}
	if cfg.RefreshTokenTTL < MinRefreshTokenTTL || cfg.RefreshTokenTTL > MaxRefreshTokenTTL {
		return bad("RefreshTokenTTL %v outside [%v, %v]", cfg.RefreshTokenTTL, MinRefreshTokenTTL, MaxRefreshTokenTTL)
	}
	if cfg.DPoPMaxAge == 0 {
		cfg.DPoPMaxAge = DefaultDPoPMaxAge
	}
	if cfg.DPoPMaxAge < time.Second || cfg.DPoPMaxAge > MaxDPoPMaxAge {
		return bad("DPoPMaxAge %v outside [1s, %v]", cfg.DPoPMaxAge, MaxDPoPMaxAge)
	}
	for _, id := range cfg.ClientIDs {
		if id == "" || len(id) > 1024 {
			return bad("empty or overlong client_id")
		}
	}
	for vct := range cfg.KeyAttestation.Required {
		if !iss.Authorized(vct) {
			return bad("key attestation required for %q, a type the issuer does not issue", vct)
		}
	}
	if len(cfg.KeyAttestation.Required) > 0 && len(cfg.KeyAttestation.Roots) == 0 {
		return bad("key attestation required but no attestation roots")
	}
	cfg.ClientIDs = slices.Clone(cfg.ClientIDs)
	cfg.Display = slices.Clone(cfg.Display)
	cfg.KeyAttestation.Roots = slices.Clone(cfg.KeyAttestation.Roots)
	cfg.KeyAttestation.Required = cloneRequirements(cfg.KeyAttestation.Required)
	if cfg.Metrics == nil {
		cfg.Metrics = iss.cfg.Metrics
	}
	u, err := url.Parse(iss.cfg.Identifier)
	if err != nil {
		return bad("identifier: %v", err)
	}
	p := u.EscapedPath()
	if strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/") != "" || strings.Contains(p, "//") {
		return bad("identifier path %q has characters outside letters, digits and -._~/", p)
	}
	h := &Handler{iss: iss, cfg: cfg, base: iss.cfg.Identifier, mux: http.NewServeMux(),
		log: iss.log, obs: obs.Handler{Name: handlerName, Metrics: cfg.Metrics}}
	if cfg.Logger != nil || cfg.ErrorLog != nil {
		h.log = obs.Logger(cfg.Logger, cfg.ErrorLog)
	}
	if len(cfg.KeyAttestation.Roots) > 0 {
		h.attestationRoots = x509.NewCertPool()
		for _, c := range cfg.KeyAttestation.Roots {
			if c == nil {
				return bad("nil attestation root")
			}
			h.attestationRoots.AddCert(c)
		}
	}
	imd, err := h.issuerMetadata()
	if err != nil {
		return bad("credential issuer metadata: %v", err)
	}
	asmd, err := h.authorizationServerMetadata()
	if err != nil {
		return bad("authorization server metadata: %v", err)
	}
	if h.issuerMD, err = strictjson.Marshal(imd); err != nil {
		return bad("credential issuer metadata: %v", err)
	}
	if h.asMD, err = strictjson.Marshal(asmd); err != nil {
		return bad("authorization server metadata: %v", err)
	}
	m := h.mux
	// The route names of Metrics.Request and of the logs.
	m.HandleFunc("GET "+oid4vci.WellKnownCredentialIssuer+p, obs.Route("credential_issuer_metadata", h.metadata(h.issuerMD)))
	m.HandleFunc("GET "+oid4vci.WellKnownAuthorizationServer+p, obs.Route("authorization_server_metadata", h.metadata(h.asMD)))
	m.HandleFunc("GET "+p+offerPath+"{ref}", obs.Route("offer", h.offer))
	m.HandleFunc(p+pathToken, obs.Route("token", h.token))
	m.HandleFunc(p+pathNonce, obs.Route("nonce", h.nonce))
	m.HandleFunc(p+pathCredential, obs.Route("credential", h.credential))
	m.HandleFunc(p+pathNotification, obs.Route("notification", h.notification))
	if sp, ok := h.statusPath(); ok {
		m.HandleFunc("GET "+sp+"/{n}", obs.Route("status_list", h.status))
	}
	return h, nil
}

// url is the public URL of the endpoint at path under the identifier.
func (h *Handler) url(path string) string { return h.base + path }

// statusPath is the path of the status lists when they are published on
// the identifier's scheme and host.
func (h *Handler) statusPath() (string, bool) {
	id, err1 := url.Parse(h.base)
	sl, err2 := url.Parse(h.iss.cfg.StatusList.BaseURI)
	if err1 != nil || err2 != nil || id.Scheme != sl.Scheme || id.Host != sl.Host {
		return "", false
	}
	p := sl.EscapedPath()
	if strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/") != "" {
		return "", false
	}
	return p, true
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	h.obs.Serve(w, r, obs.Unmatched, h.mux)
}

// CredentialIssuerMetadata returns the Credential Issuer Metadata the
// handler serves, as JSON.
func (h *Handler) CredentialIssuerMetadata() []byte { return slices.Clone(h.issuerMD) }

// AuthorizationServerMetadata returns the Authorization Server Metadata
// the handler serves, as JSON.
func (h *Handler) AuthorizationServerMetadata() []byte { return slices.Clone(h.asMD) }

func (h *Handler) metadata(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// §12.2.2, RFC 8414 §3.2: application/json. The metadata are
		// public and change only with the configuration.
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(body)
	}
}

// fail answers err: a *oid4vci.ProtocolError as such (logged at Debug by
// its code and reason, never its description, which can quote the
// request), anything else as server_error (logged at Error).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var pe *oid4vci.ProtocolError
	if !errors.As(err, &pe) {
		h.serverError(w, r, "issuer: server error", err)
	} else {
		h.log.LogAttrs(r.Context(), slog.LevelDebug, "issuer: request refused", slog.String("route", obs.RouteOf(w)),
			slog.String("method", r.Method), slog.String("code", pe.Code), slog.String("reason", outcomeName(err)))
	}
	oid4vci.WriteError(w, err)
}

// serverError logs err, a failure of the issuer, at Error: the route
// (never the path, which can hold an offer reference), the method and
// the error, redacted.
func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, msg string, err error, attrs ...slog.Attr) {
	h.log.LogAttrs(r.Context(), slog.LevelError, msg, append([]slog.Attr{slog.String("route", obs.RouteOf(w)),
		slog.String("method", r.Method), obs.Err(err)}, attrs...)...)
}

// post refuses a method other than POST with 405 and an error body.
func (h *Handler) post(w http.ResponseWriter, r *http.Request, code string) bool {
	if r.Method == http.MethodPost {
		return true
	}
	w.Header().Set("Allow", http.MethodPost)
	oid4vci.WriteError(w, &oid4vci.ProtocolError{Status: http.StatusMethodNotAllowed, Code: code, Description: "the endpoint takes POST"})
	return false
}

// offer serves an offer by reference (§4.1.3) while it can be redeemed.
func (h *Handler) offer(w http.ResponseWriter, r *http.Request) {
	o, err := h.iss.openOffer(r.Context(), r.PathValue("ref"))
	if isErr(err, ErrNotFound) {
		oid4vci.WriteError(w, &oid4vci.ProtocolError{Status: http.StatusNotFound, Code: oid4vci.CodeInvalidRequest,
			Description: "no open credential offer here"})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The offer carries the pre-authorized code: no-store (WriteJSON).
	if err := oid4vci.WriteJSON(w, http.StatusOK, o); err != nil {
		h.serverError(w, r, "issuer: writing the offer", err)
	}
}

// nonce is the Nonce Endpoint (§7): a fresh c_nonce, never cached.
func (h *Handler) nonce(w http.ResponseWriter, r *http.Request) {
	if !h.post(w, r, oid4vci.CodeInvalidRequest) {
		return
	}
	n, _, err := h.iss.Nonce(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// §7.2: the response MUST be uncacheable (WriteJSON: no-store).
	oid4vci.WriteJSON(w, http.StatusOK, oid4vci.NonceResponse{CNonce: n})
}

// verifyDPoP checks a request's DPoP proof for htu (RFC 9449 §4.3).
func (h *Handler) verifyDPoP(r *http.Request, proof, htu, accessToken, boundKey string) (*oid4vci.DPoPProof, error) {
	return oid4vci.VerifyDPoPProof(proof, oid4vci.DPoPOptions{
		Method: r.Method, URL: htu, Now: h.iss.now(), MaxAge: h.cfg.DPoPMaxAge, ClockSkew: h.iss.cfg.ClockSkew,
		AccessToken: accessToken, BoundKey: boundKey,
	})
}

// jtiExpiry is how long a DPoP proof's jti must be remembered: while its
// iat is inside the acceptance window.
func (h *Handler) jtiExpiry(p *oid4vci.DPoPProof) time.Time {
	return p.IssuedAt().Add(h.cfg.DPoPMaxAge + h.iss.cfg.ClockSkew + time.Second)
}

// token is the Token Endpoint (§6): the Pre-Authorized Code Flow, and
// the refresh token grant (RFC 6749 §6) for top-ups. Both answer an
// access token and a refresh token.
func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	req, err := oid4vci.ReadTokenRequest(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	op := "activate"
	if req.GrantType == oid4vci.GrantTypeRefreshToken {
		op = "refresh"
	}
	g, err := h.grant(r, req)
	obs.Outcome(h.cfg.Metrics, op, outcomeName(err))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// RFC 9449 §5: token_type DPoP for a token bound to the proof's key,
	// and so is the refresh token.
	oid4vci.WriteJSON(w, http.StatusOK, oid4vci.TokenResponse{AccessToken: g.token, TokenType: tokenScheme(g.sess),
		ExpiresIn: int64(h.cfg.AccessTokenTTL / time.Second), RefreshToken: g.refresh})
}

// grant answers a token request: the client, the tx_code's presence,
// the DPoP proof, then the pre-authorized code or the refresh token.
func (h *Handler) grant(r *http.Request, req *oid4vci.TokenRequest) (*tokenGrant, error) {
	// §6.3 invalid_client: no client_id where anonymous access is not
	// supported, or one this Authorization Server does not know.
	if len(h.cfg.ClientIDs) > 0 && !slices.Contains(h.cfg.ClientIDs, req.ClientID) {
		return nil, protocolError(http.StatusBadRequest, oid4vci.CodeInvalidClient, "token", ErrInvalidInput, "unknown or missing client_id")
	}
	// §6.3: every offer of this issuer asks for a tx_code; a request
	// without one is invalid_request (not counted as an attempt). The
	// refresh token grant has none (the parser refuses one).
	if req.GrantType == oid4vci.GrantTypePreAuthorizedCode {
		if err := req.CheckTxCode(true); err != nil {
			return nil, err
		}
	}
	proof, err := oid4vci.ReadDPoPHeader(r.Header)
	if err != nil {
		return nil, oid4vci.DPoPErrorResponse(err, false, "")
	}
	var jkt string
	var jti []byte
	var jtiExp time.Time
	switch {
	case proof != "":
		dp, err := h.verifyDPoP(r, proof, h.url(pathToken), "", "")
		if err != nil {
			return nil, oid4vci.DPoPErrorResponse(err, false, "")
		}
		jkt, jti, jtiExp = dp.JKT(), dpopJTIHash(h.url(pathToken), dp.JTI()), h.jtiExpiry(dp)
	case h.cfg.RequireDPoP:
		return nil, protocolError(http.StatusBadRequest, oid4vci.CodeInvalidDPoPProof, "token", ErrDPoP, "this issuer requires a DPoP proof (RFC 9449)")
	}
	ttl := tokenTTLs{access: h.cfg.AccessTokenTTL, refresh: h.cfg.RefreshTokenTTL}
	if req.GrantType == oid4vci.GrantTypeRefreshToken {
		return h.iss.redeemRefresh(r.Context(), req.RefreshToken, jkt, jti, jtiExp, ttl)
	}
	return h.iss.redeemOffer(r.Context(), req, jkt, jti, jtiExp, ttl)
}

// tokenError is a 401 invalid_token with a challenge of scheme (RFC 6750
// §3.1, RFC 9449 §7.1).
func tokenError(scheme string, format string, args ...any) *oid4vci.ProtocolError {
	pe := protocolError(http.StatusUnauthorized, oid4vci.CodeInvalidToken, "token", ErrInvalidToken, format, args...)
	pe.Scheme = scheme
	return pe
}

// authorize checks the access token of a request to a protected resource
// at htu (the Credential and Notification Endpoints): a known, unexpired
// token; for a DPoP-bound one the DPoP scheme and a proof by its key with
// ath, whose jti is used once (RFC 9449 §7.1, §11.1); for a Bearer token
// the Bearer scheme.
func (h *Handler) authorize(r *http.Request, htu string) (*Session, string, error) {
	token, scheme, err := oid4vci.ReadAccessToken(r)
	if err != nil {
		return nil, "", err
	}
	sess, err := h.iss.session(r.Context(), token)
	if isErr(err, ErrInvalidToken) {
		return nil, "", tokenError(scheme, "%s", err.(*Error).Detail)
	} else if err != nil {
		return nil, "", err
	}
	if sess.JKT == "" {
		if scheme == oid4vci.SchemeDPoP {
			return nil, "", tokenError(oid4vci.SchemeBearer, "the access token is not DPoP-bound: use the Bearer scheme")
		}
		return sess, token, nil
	}
	if scheme != oid4vci.SchemeDPoP {
		// RFC 9449 §7.1: a DPoP-bound token is not a bearer token.
		return nil, "", tokenError(oid4vci.SchemeDPoP, "the access token is DPoP-bound: use the DPoP scheme with a DPoP proof")
	}
	proof, err := oid4vci.ReadDPoPHeader(r.Header)
	if err == nil && proof == "" {
		err = &oid4vci.DPoPError{Check: oid4vci.DPoPCheckSyntax, Detail: "DPoP proof missing"}
	}
	if err != nil {
		return nil, "", oid4vci.DPoPErrorResponse(err, true, "")
	}
	dp, err := h.verifyDPoP(r, proof, htu, token, sess.JKT)
	if err != nil {
		return nil, "", oid4vci.DPoPErrorResponse(err, true, "")
	}
	if err := h.iss.useJTI(r.Context(), dpopJTIHash(htu, dp.JTI()), h.jtiExpiry(dp)); err != nil {
		if isErr(err, ErrDPoP) {
			pe := protocolError(http.StatusUnauthorized, oid4vci.CodeInvalidDPoPProof, "dpop", ErrDPoP, "DPoP proof replayed (jti seen before)")
			pe.Scheme = oid4vci.SchemeDPoP
			return nil, "", pe
		}
		return nil, "", err
	}
	return sess, token, nil
}

// credential is the Credential Endpoint (§8).
func (h *Handler) credential(w http.ResponseWriter, r *http.Request) {
	if !h.post(w, r, oid4vci.CodeInvalidCredentialRequest) {
		return
	}
	sess, token, err := h.authorize(r, h.url(pathCredential))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	creds, notificationID, err := h.issue(r, sess, token)
	obs.Outcome(h.cfg.Metrics, "issue", outcomeName(err))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	issued := make([]oid4vci.IssuedCredential, len(creds))
	for i, c := range creds {
		issued[i] = oid4vci.IssuedCredential{Format: c.Format, Data: c.Data}
	}
	resp, err := oid4vci.NewCredentialResponse(issued, notificationID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	oid4vci.WriteJSON(w, http.StatusOK, resp)
}

// issue checks and answers the Credential Request of an authorized
// session; a refused request is audited.
func (h *Handler) issue(r *http.Request, sess *Session, token string) ([]Credential, string, error) {
	sr, err := h.credentialRequest(r, sess, token)
	if err != nil {
		var pe *oid4vci.ProtocolError
		if errors.As(err, &pe) {
			h.iss.auditFailure(r.Context(), "holder", "credential", sess.ID, pe.Err)
		}
		return nil, "", err
	}
	return h.iss.issueInSession(r.Context(), sr)
}

// credentialRequest reads and checks a Credential Request of a session up
// to what needs the store: the configuration, the proofs (signature, typ,
// aud, iat, a nonce present, one per key, key attestation policy) and the
// person's document. Errors are the Credential Error Responses of
// §8.3.1.
func (h *Handler) credentialRequest(r *http.Request, sess *Session, token string) (*sessionRequest, error) {
	const op = "credential"
	req, err := oid4vci.ReadCredentialRequest(r)
	if err != nil {
		var pe *oid4vci.ProtocolError
		if errors.As(err, &pe) {
			// Keep the parser's answer; name a sentinel for the audit log.
			return nil, &oid4vci.ProtocolError{Status: pe.Status, Code: pe.Code, Description: pe.Description,
				Err: errorf(op, ErrInvalidInput, "%s", pe.Description)}
		}
		return nil, err
	}
	if req.CredentialIdentifier != "" {
		// §8.2: credential_identifier names a dataset of the Token
		// Response's authorization_details; this issuer sends none.
		return nil, credentialError(oid4vci.CodeUnknownCredentialIdentifier, ErrInvalidInput, "unknown credential_identifier")
	}
	c, ok := h.iss.configs[req.CredentialConfigurationID]
	if !ok {
		return nil, credentialError(oid4vci.CodeUnknownCredentialConfiguration, ErrInvalidInput, "unknown credential_configuration_id")
	}
	if !slices.Contains(sess.ConfigurationIDs, c.id) {
		// §8.3.1.1, RFC 6750 §3.1: the token does not cover it.
		pe := protocolError(http.StatusForbidden, oid4vci.CodeInsufficientScope, op, ErrDenied, "the access token does not cover %s", c.id)
		pe.Scheme = tokenScheme(sess)
		return nil, pe
	}
	// A configuration already issued in the session is refused in the
	// issuing transaction, after the c_nonces are spent: a replayed
	// request is invalid_nonce first.
	// §8.3.1.2 invalid_proof: proofs missing, or of a type not supported.
	if req.Proofs == nil {
		return nil, credentialError(oid4vci.CodeInvalidProof, ErrProof, "proofs missing")
	}
	if len(req.Proofs.JWT) == 0 {
		return nil, credentialError(oid4vci.CodeInvalidProof, ErrProof, "only the jwt proof type is supported")
	}
	if len(req.Proofs.JWT) > h.cfg.BatchSize {
		return nil, credentialError(oid4vci.CodeInvalidCredentialRequest, ErrInvalidInput, "%d proofs, batch_size is %d", len(req.Proofs.JWT), h.cfg.BatchSize)
	}
	// One credential per proof: at most the copies of the type in one
	// request (and a configuration is issued once per access token).
	if n := h.iss.copies[c.vct()]; len(req.Proofs.JWT) > n {
		return nil, credentialError(oid4vci.CodeInvalidCredentialRequest, ErrInvalidInput, "%d proofs; at most %d copies of %s per request", len(req.Proofs.JWT), n, c.id)
	}
	proofs, err := h.verifyProofs(req.Proofs.JWT, c)
	if err != nil {
		return nil, err
	}
	nik, err := parseStoredNIK(sess.NIK)
	if err != nil {
		return nil, err
	}
	docs, err := h.iss.documents(r.Context(), op, nik)
	if err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "issuer: documents unavailable", slog.String("route", "credential"),
			slog.String("session", sess.ID), obs.Err(err))
		return nil, credentialError(oid4vci.CodeCredentialRequestDenied, ErrDenied, "the person's documents are not available")
	}
	for _, d := range docs {
		if d.Type().VCT == c.t.VCT {
			return &sessionRequest{token: token, sess: sess, config: c, proofs: proofs, doc: d}, nil
		}
	}
	return nil, credentialError(oid4vci.CodeCredentialRequestDenied, ErrDenied, "the person has no %s", c.t.Name)
}

// verifyProofs checks the key proofs of a request for configuration c
// with oid4vci.VerifyProofs (Appendix F.1, F.4): each signed by the key in
// its jwk header, typ, aud this issuer, iat within Config.ProofMaxAge, a
// c_nonce, one nonce for the request and one proof per key; with
// attestation roots configured, a key_attestation header is verified
// against them and must attest the proof's key; for a type whose key
// attestation is required, every proof must carry one meeting the
// requirement. Whether the issuer accepts the nonce is checked when it
// is spent. Every failure is invalid_proof (§8.3.1.2: a proof without a
// c_nonce included; invalid_nonce is for a c_nonce the issuer does not
// accept).
func (h *Handler) verifyProofs(tokens []string, c configuration) ([]*oid4vci.Proof, error) {
	opts := oid4vci.ProofOptions{
		Audience: h.iss.cfg.Identifier, Now: h.iss.now(), MaxAge: h.iss.cfg.ProofMaxAge, ClockSkew: h.iss.cfg.ClockSkew,
		AttestationRoots: h.attestationRoots, BatchSize: h.cfg.BatchSize,
	}
	if req, ok := h.cfg.KeyAttestation.Required[c.t.VCT]; ok {
		opts.RequireKeyAttestation = &req
	}
	proofs, err := oid4vci.VerifyProofs(tokens, opts)
	if err != nil {
		sentinel := ErrProof
		if errors.Is(err, oid4vci.ErrKeyAttestation) {
			sentinel = ErrKeyAttestation
		}
		return nil, credentialError(oid4vci.CodeInvalidProof, sentinel, "%v", err)
	}
	return proofs, nil
}

// notification is the Notification Endpoint (§11).
func (h *Handler) notification(w http.ResponseWriter, r *http.Request) {
	if !h.post(w, r, oid4vci.CodeInvalidNotificationRequest) {
		return
	}
	sess, _, err := h.authorize(r, h.url(pathNotification))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	req, err := oid4vci.ReadNotificationRequest(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.iss.notify(r.Context(), sess, req); err != nil {
		h.fail(w, r, err)
		return
	}
	// §11.2: 204 No Content.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// status serves Status List Token n (draft-ietf-oauth-status-list-20
// §8.1).
func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 || fmt.Sprint(n) != r.PathValue("n") {
		http.NotFound(w, r)
		return
	}
	tok, err := h.iss.StatusListToken(r.Context(), n)
	if isErr(err, ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		h.serverError(w, r, "issuer: status list unavailable", err, slog.Int("list", n))
		http.Error(w, "status list unavailable", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", statuslist.MediaTypeJWT)
	w.Write(tok)
}
