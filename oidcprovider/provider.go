package oidcprovider

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/ikdkit/ikdkit/internal/obs"
	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/oid4vp"
	"github.com/ikdkit/ikdkit/verifier"
)

// Defaults and limits of [Config].
const (
	// DefaultAccessTokenTTL is how long an access token lasts.
	DefaultAccessTokenTTL = 10 * time.Minute
	// DefaultIDTokenTTL is how long an ID token lasts.
	DefaultIDTokenTTL = 10 * time.Minute
	// DefaultRefreshTokenTTL is how long a refresh token lasts unused
	// (each use rotates it); never beyond its grant.
	DefaultRefreshTokenTTL = 30 * 24 * time.Hour
	// DefaultGrantTTL is how long a grant lasts unless withdrawn.
	DefaultGrantTTL = 90 * 24 * time.Hour
	// DefaultLoginTTL is how long a login page waits for the wallet.
	DefaultLoginTTL = 5 * time.Minute
	// MinPairwiseKey is the shortest Config.PairwiseKey.
	MinPairwiseKey = 32
)

// Paths of the provider's own endpoints, under the issuer's path; the
// OpenID Connect endpoints are zitadel's (/authorize, /oauth/token,
// /userinfo, /revoke, /end_session, /keys, /.well-known/openid-configuration).
const (
	PathLogin       = "/login"
	PathLoginStatus = "/login/status"
	PathLoginBack   = "/login/back"
	PathGrants      = "/grants"
	pathVP          = "/vp"
)

// ErrConfig is a configuration New refuses.
var ErrConfig = errors.New("oidcprovider: invalid configuration")

// Client is a relying party, registered by configuration.
type Client struct {
	// ID is the client_id; Name is shown to the resident (the login page,
	// the wallet's consent and grant list).
	ID, Name string
	// Secret authenticates a confidential client at the token endpoint
	// (client_secret_basic or client_secret_post); "" makes a public
	// client. Both must use PKCE S256.
	Secret string
	// RedirectURIs are compared exactly (no patterns): https, or http on a
	// loopback host.
	RedirectURIs []string
	// PostLogoutRedirectURIs are where RP-initiated logout may return.
	PostLogoutRedirectURIs []string
	// Scopes are the scopes the client may ask for, besides "openid";
	// nil means all of SupportedScopes.
	Scopes []string
	// Sector is the pairwise sector of sub (OIDC Core §8.1): clients of
	// one organisation may share it; "" means the client ID.
	Sector string
}

// Config configures a [Provider].
type Config struct {
	// Issuer is the provider's https URL (http only on a loopback host),
	// without query, fragment or final slash.
	Issuer string
	// Clients are the relying parties.
	Clients []Client
	// Verifier verifies the wallet's presentations. Its trust list must
	// register the provider (Issuer) as a verifier for the claims its
	// scopes ask.
	Verifier *verifier.Verifier
	// RequestSigner signs the OpenID4VP requests; RequestChain is its
	// certificate chain, leaf first, with the Issuer's host as a dNSName
	// (x509_san_dns).
	RequestSigner crypto.Signer
	RequestChain  []*x509.Certificate
	// SigningKey signs ID tokens (ES256, a P-256 key; an HSM works).
	SigningKey crypto.Signer
	// TokenKey encrypts access tokens (AES-256-GCM) and must stay the
	// same across restarts and instances.
	TokenKey [32]byte
	// PairwiseKey is the HMAC key of pairwise subjects, at least
	// MinPairwiseKey bytes; changing it changes every sub.
	PairwiseKey []byte
	// Database holds grants, tokens and logins: a SQLite file path
	// (created if missing), or a postgres:// or postgresql:// DSN of a
	// PostgreSQL database several provider instances share (the tables
	// are created if missing).
	Database string
	// AccessTokenTTL, IDTokenTTL, RefreshTokenTTL, GrantTTL and LoginTTL
	// default to the Default… constants.
	AccessTokenTTL, IDTokenTTL, RefreshTokenTTL, GrantTTL, LoginTTL time.Duration
	// Now is the clock of grants, logins and presentations; nil means
	// time.Now.
	Now func() time.Time
	// Rand is the source of identifiers and secrets; nil means
	// crypto/rand.
	Rand io.Reader
	// Logger receives the provider's logs (see the package documentation,
	// "Operating"): server errors at Error with the route, method and
	// error; refused grant withdrawals at Debug with the OAuth error code;
	// never a token, a code, a nonce, a claim or a NIK. Nil means ErrorLog
	// when that is set, else slog.Default(). zitadel's own logs go to
	// slog.Default() whatever this is.
	Logger *slog.Logger
	// Metrics receives the provider's requests (handler "oidcprovider",
	// by route name) and the outcomes of logins and grant withdrawals;
	// nil means none. The verifications are reported by the Verifier
	// (its Config.Metrics).
	Metrics Metrics
	// ErrorLog receives server errors, when Logger is nil.
	//
	// Deprecated: set Logger; ErrorLog gets the records of level Error.
	ErrorLog *log.Logger
}

// Provider is the OpenID Connect Provider as an http.Handler mounted at
// the root of the Issuer's host (it routes on the path).
type Provider struct {
	cfg     Config
	path    string // the issuer's path
	clients map[string]*client
	store   *store
	op      *op.Provider
	vp      *verifier.VPHandler
	now     func() time.Time
	mux     *http.ServeMux
	log     *slog.Logger
	obs     obs.Handler // measures requests
}

var _ http.Handler = (*Provider)(nil)

// New opens the provider's store and returns the provider.
func New(cfg Config) (*Provider, error) {
	bad := func(format string, args ...any) (*Provider, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
	}
	u, err := url.Parse(cfg.Issuer)
	if err != nil || !u.IsAbs() || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(u.Path, "/") ||
		strictjson.CheckURL(cfg.Issuer) != nil {
		return bad("Issuer %q is not an https URL without query, fragment or final slash", cfg.Issuer)
	}
	switch {
	case cfg.Verifier == nil:
		return bad("a Verifier is required")
	case cfg.SigningKey == nil:
		return bad("a SigningKey is required")
	case len(cfg.PairwiseKey) < MinPairwiseKey:
		return bad("PairwiseKey is under %d bytes", MinPairwiseKey)
	case cfg.Database == "":
		return bad("a Database is required")
	case len(cfg.Clients) == 0:
		return bad("no Clients")
	}
	if cfg.TokenKey == ([32]byte{}) {
		return bad("TokenKey is zero")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&cfg.AccessTokenTTL, DefaultAccessTokenTTL)
	def(&cfg.IDTokenTTL, DefaultIDTokenTTL)
	def(&cfg.RefreshTokenTTL, DefaultRefreshTokenTTL)
	def(&cfg.GrantTTL, DefaultGrantTTL)
	def(&cfg.LoginTTL, DefaultLoginTTL)
	for _, d := range []time.Duration{cfg.AccessTokenTTL, cfg.IDTokenTTL, cfg.RefreshTokenTTL, cfg.GrantTTL, cfg.LoginTTL} {
		if d < 10*time.Second || d > 5*365*24*time.Hour {
			return bad("a lifetime of %v", d)
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	cfg.PairwiseKey = slices.Clone(cfg.PairwiseKey)
	p := &Provider{cfg: cfg, path: u.EscapedPath(), clients: map[string]*client{}, now: cfg.Now, mux: http.NewServeMux(),
		log: obs.Logger(cfg.Logger, cfg.ErrorLog), obs: obs.Handler{Name: handlerName, Metrics: cfg.Metrics}}
	for i := range cfg.Clients {
		c, err := newClient(cfg.Clients[i], cfg.Issuer+PathLogin, cfg.IDTokenTTL)
		if err != nil {
			return nil, err
		}
		if p.clients[c.ID] != nil {
			return bad("client %q twice", c.ID)
		}
		p.clients[c.ID] = c
	}
	sk, err := newSigningKey(cfg.SigningKey)
	if err != nil {
		return bad("SigningKey: %v", err)
	}
	p.vp, err = verifier.NewVPHandler(cfg.Verifier, verifier.VPHandlerConfig{BaseURL: cfg.Issuer + pathVP,
		Signer: cfg.RequestSigner, Chain: cfg.RequestChain, ResponseMode: oid4vp.ResponseModeDirectPostJWT,
		RequestTTL: cfg.LoginTTL, Now: cfg.Now, Rand: cfg.Rand, Logger: p.log, Metrics: noMetrics{}})
	if err != nil {
		return bad("OpenID4VP: %v", err)
	}
	st, err := openStore(cfg.Database)
	if err != nil {
		return nil, err
	}
	st.p = p
	st.key = sk
	p.store = st
	opts := []op.Option{}
	if u.Scheme == "http" {
		opts = append(opts, op.WithAllowInsecure())
	}
	p.op, err = op.NewProvider(&op.Config{
		CryptoKey:             cfg.TokenKey,
		CodeMethodS256:        true,
		AuthMethodPost:        true,
		GrantTypeRefreshToken: true,
		SupportedScopes:       SupportedScopes(),
		SupportedClaims: []string{"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "acr", "amr", "azp",
			"name", "birthdate", "address", ClaimNIK, ClaimFamilyCardNumber, ClaimHeadOfFamily},
	}, st, op.StaticIssuer(cfg.Issuer), opts...)
	if err != nil {
		st.close()
		return nil, fmt.Errorf("oidcprovider: %w", err)
	}
	p.routes()
	return p, nil
}

// Close closes the store.
func (p *Provider) Close() error { return p.store.close() }

// ServeHTTP implements http.Handler.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.obs.Serve(w, r, obs.Unmatched, p.mux)
}

// routes mounts the login, the OpenID4VP endpoints, the grant endpoint
// and, for everything else, zitadel's provider.
func (p *Provider) routes() {
	l := &login{p: p}
	// The route names of Metrics.Request and of the logs.
	p.mux.HandleFunc("GET "+p.path+PathLogin, obs.Route("login", l.page))
	p.mux.HandleFunc("GET "+p.path+PathLoginStatus, obs.Route("login_status", l.status))
	p.mux.HandleFunc("GET "+p.path+PathLoginBack, obs.Route("login_back", l.back))
	p.mux.HandleFunc(p.path+PathGrants, obs.Route("grants", p.serveGrants))
	p.mux.Handle(p.path+pathVP+"/", p.routed(p.vp, vpRoute))
	p.mux.HandleFunc("GET "+p.path+oidc.DiscoveryEndpoint, obs.Route("discovery", p.discovery))
	p.mux.Handle("/", p.routed(p.op, opRoute))
}

// discovery is zitadel's discovery document with the subject type this
// provider issues: pairwise (OpenID Connect Discovery 1.0 §3; zitadel
// always says public).
func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	ctx := op.ContextWithIssuer(r.Context(), p.cfg.Issuer)
	d := op.CreateDiscoveryConfig(ctx, p.op, p.store)
	d.SubjectTypesSupported = []string{"pairwise"}
	// Only what the clients can use: the code flow with refresh tokens.
	d.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	d.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
	d.ResponseModesSupported = []string{"query"}
	d.DeviceAuthorizationEndpoint = ""
	op.Discover(w, d)
}

// subject is the pairwise sub of nik at c (OIDC Core §8.1).
func (p *Provider) subject(c *client, nik string) string {
	m := hmac.New(sha256.New, p.cfg.PairwiseKey)
	m.Write([]byte(c.sector))
	m.Write([]byte{0})
	m.Write([]byte(nik))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// random returns n random bytes, base64url.
func (p *Provider) random(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(p.cfg.Rand, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// callbackURL is where a finished login continues: zitadel's callback,
// which issues the code.
func (p *Provider) callbackURL(ctx context.Context, id string) string {
	return op.AuthCallbackURL(p.op)(op.ContextWithIssuer(ctx, p.cfg.Issuer), id)
}
