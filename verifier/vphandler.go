package verifier

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"crypto/x509"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/internal/obs"
	"github.com/ikdkit/ikdkit/oid4vp"
)

// Defaults and caps of [VPHandlerConfig].
const (
	// DefaultRequestTTL is how long a transaction waits for the Wallet's
	// response; MaxRequestTTL caps VPHandlerConfig.RequestTTL.
	DefaultRequestTTL = 5 * time.Minute
	MaxRequestTTL     = time.Hour
	// DefaultMaxPending is the default VPHandlerConfig.MaxPending;
	// MaxMaxPending caps it.
	DefaultMaxPending = 10000
	MaxMaxPending     = 1 << 20
	// maxVPHandlerBody caps the body of any request to the handler; each
	// message has its own cap in package oid4vp.
	maxVPHandlerBody = oid4vp.MaxResponseSize + 64<<10
)

// Errors of [VPHandler] calls, each wrapped in a *check.Error at
// check.Input.
var (
	// ErrTooManyPending: NewRequest found VPHandlerConfig.MaxPending
	// transactions open (or finished and kept for polling).
	ErrTooManyPending = errors.New("verifier: too many open OpenID4VP transactions")
	// ErrUnknownTransaction: no transaction with this id (never made, or
	// forgotten after it expired).
	ErrUnknownTransaction = errors.New("verifier: unknown OpenID4VP transaction")
	// ErrTransactionExpired: the transaction expired without a response.
	ErrTransactionExpired = errors.New("verifier: OpenID4VP transaction expired")
	// ErrResponseCode: the outcome of a same-device transaction was asked
	// without its response_code, or with another one (§13.3).
	ErrResponseCode = errors.New("verifier: wrong or missing response_code")
)

// Paths of the endpoints under the path of VPHandlerConfig.BaseURL.
const (
	vpPathRequest  = "/request/"
	vpPathResponse = "/response/"
	vpPathResult   = "/result/"
	vpPathDCAPI    = "/dcapi/"
)

// VPHandlerConfig configures a [VPHandler].
type VPHandlerConfig struct {
	// BaseURL is the https URL the handler is mounted at (http only on a
	// loopback host, for tests and demos), without query, fragment or
	// final slash: request_uri, response_uri and the result URL are
	// under it. Required.
	BaseURL string
	// Signer signs the Request Objects; Chain is its certificate chain,
	// leaf first, without the trust anchor (HAIP), sent in x5c. Required.
	Signer crypto.Signer
	Chain  []*x509.Certificate
	// ClientIDPrefix is how the client identifier is derived from the
	// leaf: oid4vp.PrefixX509SANDNS (the default) takes DNSName, or the
	// leaf's first dNSName SAN, and requires BaseURL's host to be that
	// name; oid4vp.PrefixX509Hash takes the hash of the leaf
	// (oid4vp.X509HashClientID), the prefix HAIP requires.
	ClientIDPrefix oid4vp.ClientIDPrefix
	// DNSName picks one of the leaf's dNSName SANs for x509_san_dns; ""
	// means the first.
	DNSName string
	// ResponseMode is oid4vp.ResponseModeDirectPost (the default) or
	// oid4vp.ResponseModeDirectPostJWT: each transaction then has an
	// ephemeral P-256 key in client_metadata.jwks, and the response is
	// encrypted to it with A128GCM.
	ResponseMode oid4vp.ResponseMode
	// VerifierInfo is verifier_info (§5.11): attestations about the
	// Verifier, such as a registration certificate stating its purpose.
	// Optional.
	VerifierInfo []oid4vp.VerifierInfo
	// WalletURL is the Wallet's authorization endpoint the links start
	// with; "" means oid4vp.Scheme (openid4vp://).
	WalletURL string
	// Origin is the web origin (scheme://host[:port]) of the bank's pages
	// that call the Digital Credentials API ([VPHandler.NewDCAPIRequest]):
	// the expected_origins of its signed requests, the audience of the
	// presentations and part of the mdoc SessionTranscript (Appendix A).
	// "" means the origin of BaseURL.
	Origin string
	// RequestTTL is how long a transaction waits for a response; zero
	// means DefaultRequestTTL, from 10 s to MaxRequestTTL. The outcome of
	// a finished transaction is kept as long again for polling.
	RequestTTL time.Duration
	// MaxPending caps the transactions held in memory (open, or finished
	// and kept for polling); zero means DefaultMaxPending, at most
	// MaxMaxPending.
	MaxPending int
	// Now returns the current time; nil means the Verifier's clock.
	Now func() time.Time
	// Rand is the source of transaction ids, nonces and keys; nil means
	// crypto/rand.
	Rand io.Reader
	// Logger receives the handler's logs: server errors at Error with the
	// route, method and error; refused requests at Debug with the route,
	// method and OpenID4VP error code; never a nonce, a state, a
	// response_code, a vp_token or a claim. Nil means ErrorLog when that
	// is set, else the Verifier's Config.Logger.
	Logger *slog.Logger
	// Metrics receives the handler's requests (handler "verifier", by
	// route name); nil means the Verifier's Config.Metrics. The
	// verifications themselves are reported by the Verifier.
	Metrics Metrics
	// ErrorLog receives the server errors the handler answers with
	// server_error, when Logger is nil.
	//
	// Deprecated: set Logger; ErrorLog gets the records of level Error.
	ErrorLog *log.Logger
}

// VPHandler is the Verifier side of OpenID4VP 1.0 (cross-device and
// same-device with a signed request by reference, and the Digital
// Credentials API) as an http.Handler the bank mounts on the host of
// VPHandlerConfig.BaseURL (it routes on the URL's path itself). With P the
// path of BaseURL, it serves:
//
//	GET  {P}/request/{id}   the signed Request Object (RFC 9101 §5.2)
//	POST {P}/request/{id}   the same with the Wallet's wallet_nonce (§5.10)
//	POST {P}/response/{id}  the Authorization Response (§8.2, direct_post or direct_post.jwt)
//	GET  {P}/result/{rid}   the outcome as JSON, for the bank's polling page
//	POST {P}/dcapi/{id}     the data of a DC API response (Appendix A.4)
//	GET  {P}/dcapi.js       ikdkitDCAPI(tx), the page side of a DC API transaction
//
// Cross-device, the bank calls [VPHandler.NewRequest] for a transaction,
// shows its Link as a QR code, and polls [VPHandler.Result] (or has its
// page poll ResultURL). Same-device, [VPHandler.NewSameDeviceRequest]
// gives a Link for a button, and the Wallet comes back to the bank's
// redirect URI with the response_code that reads the outcome
// ([VPHandler.SameDeviceResult]). In the browser,
// [VPHandler.NewDCAPIRequest] gives what the page passes to the Digital
// Credentials API (through {P}/dcapi.js).
//
// Transactions live in the memory of this process: behind a load
// balancer, several processes need sticky routing on the transaction id,
// or a single instance serving these paths.
type VPHandler struct {
	v         *Verifier
	cfg       VPHandlerConfig
	base      string
	clientID  string
	origin    string
	now       func() time.Time
	mux       *http.ServeMux
	mu        sync.Mutex
	txs       map[string]*vpTx
	results   map[string]string // result id → transaction id
	nextSweep time.Time
	log       *slog.Logger
	obs       obs.Handler // measures requests
}

var _ http.Handler = (*VPHandler)(nil)

// dcapiScript is the page side of a DC API transaction, served at
// {P}/dcapi.js.
//
//go:embed dcapi.js
var dcapiScript string

// vpTx is one transaction.
type vpTx struct {
	id, resultID string
	req          *oid4vp.AuthorizationRequest
	jws          string // the Request Object for GET
	key          *ecdsa.PrivateKey
	expiresAt    time.Time
	// origin: a transaction over the DC API, answered from this origin.
	origin string
	// redirect, code: a same-device transaction; the Wallet is sent to
	// redirect with response_code=code.
	redirect, code string
	// busy: a response is being verified; done: the outcome is final.
	busy, done bool
	outcome    VPOutcome
	keepUntil  time.Time
}

// VPTransaction is a new OpenID4VP transaction.
type VPTransaction struct {
	// ID identifies the transaction ([VPHandler.Result]); it is in the
	// request_uri, so in the QR code.
	ID string
	// Link is the Authorization Request by reference, for a QR code or a
	// button: openid4vp://?client_id=…&request_uri=…&request_uri_method=post.
	// "" over the DC API.
	Link string
	// RequestURI and ResponseURI are the transaction's endpoints; "" over
	// the DC API.
	RequestURI, ResponseURI string
	// SameDevice: the Wallet is sent back to the bank's redirect URI and
	// the outcome is read with the response_code
	// ([VPHandler.NewSameDeviceRequest]).
	SameDevice bool
	// DCAPI is set for a transaction over the Digital Credentials API
	// ([VPHandler.NewDCAPIRequest]).
	DCAPI *DCAPIRequest
	// ResultURL is where a polling page reads the outcome. Its id is a
	// secret apart from ID, never in the QR code: whoever sees the code
	// cannot read the disclosed claims.
	ResultURL string
	// ClientID and Nonce are the request's; State too (the Wallet
	// returns it). An unsigned DC API request has no ClientID, and no DC
	// API request has a State.
	ClientID, Nonce, State string
	// ExpiresAt is when the transaction stops taking a response.
	ExpiresAt time.Time
}

// VPOutcome is the state of a transaction.
type VPOutcome struct {
	// Pending: no response yet.
	Pending bool
	// Result is the verified presentation, when it verified.
	Result *Result
	// Err is why it did not: a *check.Error from the Verifier, or the
	// Wallet's error response, an *oid4vp.ProtocolError (access_denied
	// when the user declined).
	Err error
}

// NewVPHandler returns the OpenID4VP handler of v. It fails with
// ErrConfig (a *check.Error at check.Input) for a configuration out of
// range, a BaseURL that is not https (or http on a loopback host) or whose
// path has characters other than letters, digits and -._~/, or a chain
// whose leaf does not hold Signer's key or name the client identifier.
func NewVPHandler(v *Verifier, cfg VPHandlerConfig) (*VPHandler, error) {
	bad := func(format string, args ...any) (*VPHandler, error) {
		return nil, fail(check.Input, -1, ErrConfig, nil, "vp handler: "+format, args...)
	}
	if v == nil {
		return bad("no Verifier")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || !u.IsAbs() || u.Host == "" || u.RawQuery != "" || u.Fragment != "" ||
		strings.HasSuffix(u.Path, "/") || oid4vp.CheckURL(cfg.BaseURL) != nil {
		return bad("BaseURL %q is not an https URL without query, fragment or final slash", cfg.BaseURL)
	}
	p := u.EscapedPath()
	if strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/") != "" || strings.Contains(p, "//") {
		return bad("BaseURL path %q has characters outside letters, digits and -._~/", p)
	}
	if cfg.Signer == nil || len(cfg.Chain) == 0 || len(cfg.Chain) > oid4vp.MaxCertificateChain {
		return bad("a Signer and a chain of 1 to %d certificates are required", oid4vp.MaxCertificateChain)
	}
	for _, c := range cfg.Chain {
		if c == nil {
			return bad("nil certificate in Chain")
		}
	}
	leaf := cfg.Chain[0]
	if eq, ok := leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(cfg.Signer.Public()) {
		return bad("the leaf certificate does not hold the Signer's public key")
	}
	var clientID string
	switch cfg.ClientIDPrefix {
	case "", oid4vp.PrefixX509SANDNS:
		cfg.ClientIDPrefix = oid4vp.PrefixX509SANDNS
		name := cfg.DNSName
		if name == "" && len(leaf.DNSNames) > 0 {
			name = leaf.DNSNames[0]
		}
		if name == "" {
			return bad("the leaf certificate has no dNSName SAN for an x509_san_dns client_id")
		}
		if !strings.EqualFold(name, u.Hostname()) {
			return bad("BaseURL host %q is not the client identifier %q (§5.9.3)", u.Hostname(), name)
		}
		clientID = string(oid4vp.PrefixX509SANDNS) + ":" + name
	case oid4vp.PrefixX509Hash:
		clientID = oid4vp.X509HashClientID(leaf)
	default:
		return bad("ClientIDPrefix %q: only x509_san_dns and x509_hash", cfg.ClientIDPrefix)
	}
	c, err := oid4vp.ParseClientID(clientID)
	if err != nil {
		return bad("client_id: %v", err)
	}
	if err := c.CheckCertificate(leaf); err != nil {
		return bad("client_id: %v", err)
	}
	switch cfg.ResponseMode {
	case "":
		cfg.ResponseMode = oid4vp.ResponseModeDirectPost
	case oid4vp.ResponseModeDirectPost, oid4vp.ResponseModeDirectPostJWT:
	default:
		return bad("ResponseMode %q: only direct_post and direct_post.jwt", cfg.ResponseMode)
	}
	if len(cfg.VerifierInfo) > oid4vp.MaxVerifierInfo {
		return bad("over %d VerifierInfo entries", oid4vp.MaxVerifierInfo)
	}
	if cfg.RequestTTL == 0 {
		cfg.RequestTTL = DefaultRequestTTL
	}
	if cfg.RequestTTL < 10*time.Second || cfg.RequestTTL > MaxRequestTTL {
		return bad("RequestTTL %v outside [10s, %v]", cfg.RequestTTL, MaxRequestTTL)
	}
	if cfg.MaxPending == 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	if cfg.MaxPending < 1 || cfg.MaxPending > MaxMaxPending {
		return bad("MaxPending %d outside [1, %d]", cfg.MaxPending, MaxMaxPending)
	}
	if cfg.WalletURL == "" {
		cfg.WalletURL = oid4vp.Scheme
	}
	origin := cfg.Origin
	if origin == "" {
		origin = u.Scheme + "://" + u.Host
	}
	if o, err := url.Parse(origin); err != nil || o.Scheme+"://"+o.Host != origin || o.Host == "" || oid4vp.CheckURL(origin) != nil {
		return bad("Origin %q is not an https origin (scheme://host[:port])", origin)
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Metrics == nil {
		cfg.Metrics = v.cfg.Metrics
	}
	cfg.Chain = append([]*x509.Certificate(nil), cfg.Chain...)
	cfg.VerifierInfo = append([]oid4vp.VerifierInfo(nil), cfg.VerifierInfo...)
	h := &VPHandler{v: v, cfg: cfg, base: cfg.BaseURL, clientID: clientID, origin: origin, now: cfg.Now,
		mux: http.NewServeMux(), txs: map[string]*vpTx{}, results: map[string]string{},
		log: v.log, obs: obs.Handler{Name: handlerName, Metrics: cfg.Metrics}}
	if cfg.Logger != nil || cfg.ErrorLog != nil {
		h.log = obs.Logger(cfg.Logger, cfg.ErrorLog)
	}
	if h.now == nil {
		h.now = v.now
	}
	// The route names of Metrics.Request and of the logs.
	h.mux.HandleFunc(p+vpPathRequest+"{id}", obs.Route("request", h.serveRequest))
	h.mux.HandleFunc(p+vpPathResponse+"{id}", obs.Route("response", h.serveResponse))
	h.mux.HandleFunc("GET "+p+vpPathResult+"{id}", obs.Route("result", h.serveResult))
	h.mux.HandleFunc(p+vpPathDCAPI+"{id}", obs.Route("dcapi_response", h.serveDCAPIResponse))
	h.mux.HandleFunc("GET "+p+"/dcapi.js", obs.Route("dcapi_script", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Write([]byte(dcapiScript))
	}))
	return h, nil
}

// ClientID returns the client identifier of the handler's requests, with
// its prefix.
func (h *VPHandler) ClientID() string { return h.clientID }

// Origin returns the web origin of the handler's Digital Credentials API
// requests (VPHandlerConfig.Origin).
func (h *VPHandler) Origin() string { return h.origin }

// DCAPIRequest is what the bank's page needs for one Digital Credentials
// API transaction: the request for
//
//	navigator.credentials.get({digital: {requests: [{protocol, data}]}})
//
// and where to post the data of the DigitalCredential it resolves to.
// It marshals to the JSON that ikdkitDCAPI(tx), the page script the
// handler serves at {P}/dcapi.js, takes.
type DCAPIRequest struct {
	// Protocol is the exchange protocol: oid4vp.ProtocolSigned or
	// oid4vp.ProtocolUnsigned (Appendix A.1).
	Protocol string `json:"protocol"`
	// Data is the request's data object (Appendix A.2, A.3).
	Data json.RawMessage `json:"data"`
	// ResponseURL is where the page POSTs the credential's data as JSON
	// (Content-Type application/json).
	ResponseURL string `json:"response_url"`
}

// ServeHTTP implements http.Handler.
func (h *VPHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxVPHandlerBody)
	w.Header().Set("Cache-Control", "no-store")
	h.obs.Serve(w, r, obs.Unmatched, h.mux)
}

// random returns n random bytes, base64url.
func (h *VPHandler) random(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(h.cfg.Rand, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// NewRequest opens a cross-device transaction asking for q: a fresh id,
// nonce and state (128 random bits each), with direct_post.jwt a fresh
// encryption key, and the signed Request Object served at its
// request_uri until ExpiresAt. The bank shows Link as a QR code and
// polls [VPHandler.Result] or ResultURL. Over MaxPending transactions it
// fails with ErrTooManyPending; an invalid query fails with ErrConfig.
func (h *VPHandler) NewRequest(ctx context.Context, q *oid4vp.Query) (*VPTransaction, error) {
	return h.Open(ctx, q, VPRequestOptions{})
}

// NewSameDeviceRequest opens a same-device transaction (§2, HAIP): the
// bank's page opens Link on the phone that holds the wallet (a button,
// not a QR code), and once the Wallet's response is in, the response
// endpoint sends the Wallet on to redirectURI with a fresh response_code
// query parameter (§8.2). The outcome is read only with that code,
// through [VPHandler.SameDeviceResult] or ResultURL with
// ?response_code=: whoever started the transaction elsewhere (session
// fixation, §13.3) cannot read it. redirectURI is the bank's https URL
// (http on loopback), without fragment. Errors are those of NewRequest.
func (h *VPHandler) NewSameDeviceRequest(ctx context.Context, q *oid4vp.Query, redirectURI string) (*VPTransaction, error) {
	if redirectURI == "" {
		return nil, fail(check.Input, -1, ErrConfig, nil, "no redirect URI")
	}
	return h.Open(ctx, q, VPRequestOptions{RedirectURI: redirectURI})
}

// NewDCAPIRequest opens a transaction over the W3C Digital Credentials
// API (OpenID4VP 1.0 Appendix A): the bank's page, served from
// VPHandlerConfig.Origin, passes the DCAPI member's protocol and data to
// navigator.credentials.get and posts the returned credential's data to
// its ResponseURL. The request is signed (openid4vp-v1-signed, client_id
// and expected_origins = [Origin], Appendix A.3.2) unless unsigned is set
// (openid4vp-v1-unsigned: the Wallet knows the Verifier only by the origin
// the browser asserts). The response mode is dc_api, or dc_api.jwt when
// the handler's ResponseMode is direct_post.jwt. Errors are those of
// NewRequest.
func (h *VPHandler) NewDCAPIRequest(ctx context.Context, q *oid4vp.Query, unsigned bool) (*VPTransaction, error) {
	return h.Open(ctx, q, VPRequestOptions{DCAPI: true, Unsigned: unsigned})
}

// VPRequestOptions choose the kind of transaction [VPHandler.Open]
// opens and add to its request.
type VPRequestOptions struct {
	// RedirectURI, when set, makes a same-device transaction
	// ([VPHandler.NewSameDeviceRequest]).
	RedirectURI string
	// DCAPI makes a Digital Credentials API transaction, signed unless
	// Unsigned ([VPHandler.NewDCAPIRequest]); not with RedirectURI.
	DCAPI, Unsigned bool
	// VerifierInfo are attestations of this request only, after the
	// handler's VPHandlerConfig.VerifierInfo (§5.11).
	VerifierInfo []oid4vp.VerifierInfo
}

// Open opens a transaction as opts says: cross-device by default. The
// other constructors are shorthands of it.
func (h *VPHandler) Open(ctx context.Context, q *oid4vp.Query, opts VPRequestOptions) (*VPTransaction, error) {
	if opts.RedirectURI != "" {
		if opts.DCAPI {
			return nil, fail(check.Input, -1, ErrConfig, nil, "a DC API transaction has no redirect URI")
		}
		u, err := url.Parse(opts.RedirectURI)
		if err != nil || !u.IsAbs() || u.Fragment != "" || oid4vp.CheckURL(opts.RedirectURI) != nil || len(opts.RedirectURI) > 2048 {
			return nil, fail(check.Input, -1, ErrConfig, err, "redirect URI %.200q is not an https URL without fragment", opts.RedirectURI)
		}
	}
	if len(h.cfg.VerifierInfo)+len(opts.VerifierInfo) > oid4vp.MaxVerifierInfo {
		return nil, fail(check.Input, -1, ErrConfig, nil, "over %d VerifierInfo entries", oid4vp.MaxVerifierInfo)
	}
	return h.newTx(ctx, q, opts)
}

func (h *VPHandler) newTx(ctx context.Context, q *oid4vp.Query, kind VPRequestOptions) (*VPTransaction, error) {
	bad := func(s error, cause error, format string, args ...any) (*VPTransaction, error) {
		return nil, fail(check.Input, -1, s, cause, format, args...)
	}
	if err := ctx.Err(); err != nil {
		return bad(ErrConfig, err, "context done")
	}
	if q == nil {
		return bad(ErrConfig, nil, "no DCQL query")
	}
	var rnd [6]string
	for i := range rnd {
		s, err := h.random(16)
		if err != nil {
			return bad(ErrConfig, err, "randomness: %v", err)
		}
		rnd[i] = s
	}
	id, resultID, nonce, state, kid := rnd[0], rnd[1], rnd[2], rnd[3], rnd[4]
	now := h.now()
	tx := &vpTx{id: id, resultID: resultID, expiresAt: now.Add(h.cfg.RequestTTL), outcome: VPOutcome{Pending: true}}
	tx.keepUntil = tx.expiresAt.Add(h.cfg.RequestTTL)
	tx.req = &oid4vp.AuthorizationRequest{
		ClientID: h.clientID, ResponseType: oid4vp.ResponseTypeVPToken, ResponseMode: h.cfg.ResponseMode,
		ResponseURI: h.base + vpPathResponse + id, Nonce: nonce, State: state, DCQLQuery: q,
		VerifierInfo: append(append([]oid4vp.VerifierInfo(nil), h.cfg.VerifierInfo...), kind.VerifierInfo...),
	}
	if len(tx.req.VerifierInfo) == 0 {
		tx.req.VerifierInfo = nil
	}
	if kind.RedirectURI != "" {
		tx.redirect, tx.code = kind.RedirectURI, rnd[5]
	}
	if kind.DCAPI {
		// Appendix A.2: no state and no response_uri over the DC API;
		// client_id and expected_origins only in a signed request.
		tx.origin = h.origin
		tx.req.ResponseURI, tx.req.State = "", ""
		tx.req.ResponseMode = oid4vp.ResponseModeDCAPI
		if h.cfg.ResponseMode.Encrypted() {
			tx.req.ResponseMode = oid4vp.ResponseModeDCAPIJWT
		}
		if kind.Unsigned {
			tx.req.ClientID = ""
		} else {
			tx.req.ExpectedOrigins = []string{h.origin}
		}
	}
	if h.cfg.ResponseMode.Encrypted() {
		k, err := ecdsa.GenerateKey(elliptic.P256(), h.cfg.Rand)
		if err != nil {
			return bad(ErrConfig, err, "encryption key: %v", err)
		}
		jwk, err := oid4vp.NewEncryptionJWK(kid, &k.PublicKey)
		if err != nil {
			return bad(ErrConfig, err, "encryption key: %v", err)
		}
		tx.key = k
		tx.req.ClientMetadata = &oid4vp.ClientMetadata{JWKS: []oid4vp.JWK{jwk},
			EncryptedResponseEncValuesSupported: []string{jose.EncA128GCM}}
	}
	out := &VPTransaction{ID: id, ResultURL: h.base + vpPathResult + resultID, ClientID: tx.req.ClientID, Nonce: nonce,
		State: tx.req.State, ExpiresAt: tx.expiresAt, SameDevice: tx.redirect != ""}
	if kind.DCAPI {
		var protocol string
		var data []byte
		var err error
		if kind.Unsigned {
			protocol, data, err = oid4vp.DCAPIRequest(tx.req)
		} else {
			var jws string
			if jws, err = h.sign(tx, now, ""); err == nil {
				protocol, data, err = oid4vp.DCAPISignedRequest(jws)
			}
		}
		if err != nil {
			return bad(ErrConfig, err, "the request does not encode: %v", err)
		}
		out.DCAPI = &DCAPIRequest{Protocol: protocol, Data: data, ResponseURL: h.base + vpPathDCAPI + id}
	} else {
		// Signing now checks the request (and the query) before anyone
		// sees it; GET serves this Request Object.
		jws, err := h.sign(tx, now, "")
		if err != nil {
			return bad(ErrConfig, err, "the request does not sign: %v", err)
		}
		tx.jws = jws
		ref := &oid4vp.AuthorizationRequest{ClientID: h.clientID, RequestURI: h.base + vpPathRequest + id,
			RequestURIMethod: oid4vp.RequestURIMethodPost}
		if out.Link, err = ref.Link(h.cfg.WalletURL); err != nil {
			return bad(ErrConfig, err, "link: %v", err)
		}
		out.RequestURI, out.ResponseURI = ref.RequestURI, tx.req.ResponseURI
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sweepLocked(now, false)
	if len(h.txs) >= h.cfg.MaxPending {
		h.sweepLocked(now, true)
		if len(h.txs) >= h.cfg.MaxPending {
			return bad(ErrTooManyPending, nil, "%d transactions held", len(h.txs))
		}
	}
	h.txs[id] = tx
	h.results[resultID] = id
	return out, nil
}

// sign signs tx's Request Object at now, valid until the transaction
// expires.
func (h *VPHandler) sign(tx *vpTx, now time.Time, walletNonce string) (string, error) {
	return oid4vp.SignRequestObject(h.cfg.Signer, h.cfg.Chain, tx.req, oid4vp.SignOptions{
		Now: now, Lifetime: tx.expiresAt.Sub(now), WalletNonce: walletNonce, Rand: h.cfg.Rand})
}

// sweepLocked forgets transactions past keepUntil: at most once a second
// unless force.
func (h *VPHandler) sweepLocked(now time.Time, force bool) {
	if !force && now.Before(h.nextSweep) {
		return
	}
	h.nextSweep = now.Add(time.Second)
	for id, tx := range h.txs {
		if !now.Before(tx.keepUntil) {
			delete(h.txs, id)
			delete(h.results, tx.resultID)
		}
	}
}

// lookup returns the transaction id, or nil.
func (h *VPHandler) lookup(id string) *vpTx {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	h.sweepLocked(now, false)
	tx := h.txs[id]
	if tx != nil && !now.Before(tx.keepUntil) {
		return nil
	}
	return tx
}

// Result returns the outcome of transaction id: Pending until the
// Wallet answers, then the verified Result or the error (a *check.Error,
// or the Wallet's *oid4vp.ProtocolError). A transaction that expired
// without a response fails with ErrTransactionExpired, an unknown (or
// forgotten) one with ErrUnknownTransaction, a same-device one with
// ErrResponseCode (its outcome is read with [VPHandler.SameDeviceResult]).
func (h *VPHandler) Result(ctx context.Context, id string) (*VPOutcome, error) {
	return h.result(id, "", false)
}

// SameDeviceResult returns the outcome of the same-device transaction id
// ([VPHandler.NewSameDeviceRequest]) for the response_code the Wallet
// brought back to the redirect URI: ErrResponseCode when it is not that
// transaction's (or when the transaction is not a same-device one);
// otherwise as [VPHandler.Result].
func (h *VPHandler) SameDeviceResult(ctx context.Context, id, responseCode string) (*VPOutcome, error) {
	return h.result(id, responseCode, true)
}

func (h *VPHandler) result(id, code string, sameDevice bool) (*VPOutcome, error) {
	tx := h.lookup(id)
	if tx == nil {
		return nil, fail(check.Input, -1, ErrUnknownTransaction, nil, "transaction %.64q", id)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !tx.done && !h.now().Before(tx.expiresAt) {
		return nil, fail(check.Input, -1, ErrTransactionExpired, nil, "transaction %.64q", id)
	}
	if sameDevice != (tx.redirect != "") {
		return nil, fail(check.Input, -1, ErrResponseCode, nil, "transaction %.64q: same-device %v", id, tx.redirect != "")
	}
	if sameDevice && (!tx.done || subtle.ConstantTimeCompare([]byte(code), []byte(tx.code)) != 1) {
		// Before the response there is no code to know.
		return nil, fail(check.Input, -1, ErrResponseCode, nil, "transaction %.64q", id)
	}
	o := tx.outcome
	return &o, nil
}

// protoErr is an oid4vp error the handler answers.
func vpErr(status int, code, format string, args ...any) *oid4vp.ProtocolError {
	d := fmt.Sprintf(format, args...)
	return &oid4vp.ProtocolError{Status: status, Code: code, Description: d, Err: errors.New(d)}
}

var errNoTransaction = vpErr(http.StatusNotFound, oid4vp.CodeInvalidRequest, "no open transaction here")

// fail answers err: an *oid4vp.ProtocolError as such (logged at Debug by
// its code, never its description, which can quote the request),
// anything else as server_error (logged at Error).
func (h *VPHandler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var pe *oid4vp.ProtocolError
	if !errors.As(err, &pe) {
		h.serverError(w, r, err)
	} else {
		h.log.LogAttrs(r.Context(), slog.LevelDebug, "verifier: request refused", slog.String("route", obs.RouteOf(w)),
			slog.String("method", r.Method), slog.String("code", pe.Code))
	}
	oid4vp.WriteError(w, err)
}

// serverError logs err at Error: the route (never the path, which holds
// the transaction id), the method and the error, redacted.
func (h *VPHandler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.LogAttrs(r.Context(), slog.LevelError, "verifier: server error", slog.String("route", obs.RouteOf(w)),
		slog.String("method", r.Method), obs.Err(err))
}

// serveRequest serves the Request Object (RFC 9101 §5.2, §5.10).
func (h *VPHandler) serveRequest(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		h.fail(w, r, vpErr(http.StatusMethodNotAllowed, oid4vp.CodeInvalidRequest, "the endpoint takes GET or POST"))
		return
	}
	tx := h.lookup(r.PathValue("id"))
	now := h.now()
	if tx == nil || tx.origin != "" || !now.Before(tx.expiresAt) {
		h.fail(w, r, errNoTransaction)
		return
	}
	h.mu.Lock()
	done := tx.done || tx.busy
	h.mu.Unlock()
	if done {
		h.fail(w, r, errNoTransaction)
		return
	}
	jws := tx.jws
	if r.Method == http.MethodPost {
		p, err := oid4vp.ReadRequestURIPost(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if p.WalletNonce != "" {
			if jws, err = h.sign(tx, now, p.WalletNonce); err != nil {
				h.fail(w, r, err)
				return
			}
		}
	}
	if err := oid4vp.WriteRequestObject(w, jws); err != nil {
		h.serverError(w, r, err)
	}
}

// serveResponse takes the Authorization Response (§8.2): the state must
// be the transaction's, and a transaction takes one response, before it
// expires. Responses that are malformed, do not decrypt or carry another
// state are refused without touching the transaction, so that whoever
// saw the QR code cannot spoil it; one with the right state is final,
// verified or not. A Wallet's error response (§8.5) must carry the state
// too; it is recorded as the outcome and answered 200. A presentation
// that fails verification is answered 400 invalid_request naming only
// the failed check.
func (h *VPHandler) serveResponse(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.fail(w, r, vpErr(http.StatusMethodNotAllowed, oid4vp.CodeInvalidRequest, "the endpoint takes POST"))
		return
	}
	tx := h.lookup(r.PathValue("id"))
	if tx == nil || tx.origin != "" {
		h.fail(w, r, errNoTransaction)
		return
	}
	resp, err := oid4vp.ReadResponse(r, h.responseOptions(tx))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if resp.State != tx.req.State {
		h.fail(w, r, vpErr(http.StatusBadRequest, oid4vp.CodeInvalidRequest, "state is not the transaction's"))
		return
	}
	if _, err := h.complete(r.Context(), tx, resp); err != nil {
		h.fail(w, r, err)
		return
	}
	var res oid4vp.ResponseResult
	if tx.redirect != "" {
		// §8.2: the Wallet sends the user agent on to the bank's page,
		// with the code that alone reads the outcome (§13.3).
		u, err := url.Parse(tx.redirect)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		q := u.Query()
		q.Set("response_code", tx.code)
		u.RawQuery = q.Encode()
		res.RedirectURI = u.String()
	}
	if err := oid4vp.WriteResponseResult(w, res); err != nil {
		h.serverError(w, r, err)
	}
}

// responseOptions are how tx's response is read: its response mode and,
// when encrypted, its key.
func (h *VPHandler) responseOptions(tx *vpTx) oid4vp.ResponseOptions {
	opts := oid4vp.ResponseOptions{Mode: tx.req.ResponseMode, EncValues: []string{jose.EncA128GCM}}
	if tx.key != nil {
		kid := tx.req.ClientMetadata.JWKS[0].KeyID
		opts.DecryptionKey = func(k string) (any, error) {
			if k != kid {
				return nil, fmt.Errorf("unknown kid")
			}
			return tx.key, nil
		}
	}
	return opts
}

// complete makes resp the outcome of tx, unless tx already has one (a
// transaction takes one response) or expired. A Wallet's error response
// (§8.5) is recorded as such. A presentation that fails verification is
// final too, and answered with invalid_request naming only the failed
// check: the Wallet learns that it was refused, and at which check; the
// details stay with the Verifier.
func (h *VPHandler) complete(ctx context.Context, tx *vpTx, resp *oid4vp.AuthorizationResponse) (VPOutcome, error) {
	h.mu.Lock()
	switch {
	case tx.done || tx.busy:
		h.mu.Unlock()
		return VPOutcome{}, vpErr(http.StatusBadRequest, oid4vp.CodeInvalidRequest, "the transaction already has its response")
	case !h.now().Before(tx.expiresAt):
		h.mu.Unlock()
		return VPOutcome{}, vpErr(http.StatusBadRequest, oid4vp.CodeInvalidRequest, "the transaction expired")
	}
	tx.busy = true
	h.mu.Unlock()
	out := VPOutcome{}
	if resp.Error != nil {
		out.Err = resp.Error
	} else {
		out.Result, out.Err = h.verify(ctx, tx, resp)
	}
	h.mu.Lock()
	tx.busy, tx.done, tx.outcome = false, true, out
	tx.keepUntil = h.now().Add(h.cfg.RequestTTL)
	h.mu.Unlock()
	if out.Err != nil && resp.Error == nil {
		var ce *check.Error
		if !errors.As(out.Err, &ce) {
			return out, out.Err
		}
		return out, vpErr(http.StatusBadRequest, oid4vp.CodeInvalidRequest, "presentation refused at the %s check", ce.Check)
	}
	return out, nil
}

// serveDCAPIResponse takes the data of the DigitalCredential the bank's
// page got from navigator.credentials.get (Appendix A.4), as JSON: no
// state over the DC API, the transaction is in the path. A request from
// another origin (its Origin header) is refused. It answers the state as
// [VPResultJSON] without the claims, which the bank reads with
// [VPHandler.Result] or from ResultURL.
func (h *VPHandler) serveDCAPIResponse(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.fail(w, r, vpErr(http.StatusMethodNotAllowed, oid4vp.CodeInvalidRequest, "the endpoint takes POST"))
		return
	}
	tx := h.lookup(r.PathValue("id"))
	if tx == nil || tx.origin == "" {
		h.fail(w, r, errNoTransaction)
		return
	}
	if o := r.Header.Get("Origin"); o != "" && o != tx.origin {
		h.fail(w, r, vpErr(http.StatusForbidden, oid4vp.CodeInvalidRequest, "origin %.200q is not the transaction's", o))
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		h.fail(w, r, vpErr(http.StatusUnsupportedMediaType, oid4vp.CodeInvalidRequest, "the body must be application/json"))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		h.fail(w, r, vpErr(http.StatusRequestEntityTooLarge, oid4vp.CodeInvalidRequest, "the body is over %d bytes", maxVPHandlerBody))
		return
	}
	resp, err := oid4vp.ParseDCAPIResponse(body, h.responseOptions(tx))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out, err := h.complete(r.Context(), tx, resp)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res := outcomeJSON(&out, false)
	b, err := json.Marshal(res)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// verify verifies resp's vp_token against tx's request: the audience and
// the mdoc SessionTranscript are those of the client_id and
// response_uri, or over the DC API of the origin (Appendix A.4, B.2.6.2).
func (h *VPHandler) verify(ctx context.Context, tx *vpTx, resp *oid4vp.AuthorizationResponse) (*Result, error) {
	aud, err := tx.req.Audience(tx.origin)
	if err != nil {
		return nil, fail(check.Input, -1, ErrConfig, err, "audience")
	}
	st, err := tx.req.MdocSessionTranscript(tx.origin, resp.KeyID)
	if err != nil {
		return nil, fail(check.Input, -1, ErrConfig, err, "session transcript")
	}
	return h.v.VerifyVPToken(ctx, resp.VPToken, VPRequest{ClientID: aud, Nonce: tx.req.Nonce,
		Query: tx.req.DCQLQuery, SessionTranscript: st})
}

// VPResultJSON is the JSON the result endpoint answers.
type VPResultJSON struct {
	// State is "pending", "verified" or "failed" (an expired transaction
	// has failed, at check "expired").
	State string `json:"state"`
	// Claims are the verified credentials, in presentation order.
	Claims []VPCredentialJSON `json:"claims,omitempty"`
	// Error says why it failed.
	Error *VPErrorJSON `json:"error,omitempty"`
}

// VPCredentialJSON is one verified credential of [VPResultJSON].
type VPCredentialJSON struct {
	Type       string                    `json:"type"`
	Format     string                    `json:"format"`
	Claims     map[string]any            `json:"claims"`
	NameSpaces map[string]map[string]any `json:"namespaces,omitempty"`
}

// VPErrorJSON is the failure of [VPResultJSON]: the check that failed
// (or "wallet" for the Wallet's error response, "expired") and the
// sentinel's message (or the Wallet's error code and description).
type VPErrorJSON struct {
	Check   string `json:"check"`
	Message string `json:"message"`
}

// serveResult answers the outcome for a polling page; a same-device
// transaction's only with ?response_code=.
func (h *VPHandler) serveResult(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	id := h.results[r.PathValue("id")]
	h.mu.Unlock()
	code := r.URL.Query().Get("response_code")
	o, err := h.result(id, code, code != "")
	var out VPResultJSON
	switch {
	case errors.Is(err, ErrTransactionExpired):
		out = VPResultJSON{State: "failed", Error: &VPErrorJSON{Check: "expired", Message: ErrTransactionExpired.Error()}}
	case errors.Is(err, ErrResponseCode) && id != "":
		h.fail(w, r, vpErr(http.StatusForbidden, oid4vp.CodeInvalidRequest, "a same-device transaction's outcome needs its response_code"))
		return
	case err != nil || id == "":
		h.fail(w, r, errNoTransaction)
		return
	default:
		out = outcomeJSON(o, true)
	}
	b, err := json.Marshal(out)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// outcomeJSON is o as JSON, with the verified claims when claims is set.
func outcomeJSON(o *VPOutcome, claims bool) VPResultJSON {
	var out VPResultJSON
	switch {
	case o.Pending:
		out.State = "pending"
	case o.Err != nil:
		out.State = "failed"
		var ce *check.Error
		var pe *oid4vp.ProtocolError
		switch {
		case errors.As(o.Err, &ce):
			out.Error = &VPErrorJSON{Check: ce.Check.String(), Message: ce.Err.Error()}
		case errors.As(o.Err, &pe):
			out.Error = &VPErrorJSON{Check: "wallet", Message: strings.TrimSpace(pe.Code + " " + pe.Description)}
		default:
			out.Error = &VPErrorJSON{Check: "server", Message: "server error"}
		}
	default:
		out.State = "verified"
		if !claims {
			break
		}
		for _, c := range o.Result.Credentials() {
			out.Claims = append(out.Claims, VPCredentialJSON{Type: c.Type(), Format: string(c.Format()),
				Claims: c.Claims(), NameSpaces: c.NameSpaces()})
		}
	}
	return out
}
