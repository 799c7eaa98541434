package oidcprovider_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"html"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/internal/demoworld"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oidcprovider"
	"github.com/ikdkit/ikdkit/verifier"
)

// world is a running provider, the authority that issued the resident's
// KTP-el and KK, and the resident's wallet.
type world struct {
	issuer string
	p      *oidcprovider.Provider
	cfg    oidcprovider.Config
	trust  *trustlist.Store
	w      *holder.Wallet
	now    func() time.Time
	// other, when set, serves every other request but the login page's
	// and OpenID4VP's (whose transactions live in one instance's memory).
	other      atomic.Pointer[oidcprovider.Provider]
	turn       atomic.Uint64
	otherTurns atomic.Uint64 // requests the other instance served
}

const (
	portalID     = "portal"
	portalSecret = "portal-secret-0123456789"
	portalRedir  = "https://portal.example.go.id/callback"
	bankID       = "bank"
	bankRedir    = "https://bank.example.co.id/oidc/callback"
)

func newWorld(t *testing.T, extra ...oidcprovider.Client) *world {
	t.Helper()
	return newWorldAt(t, time.Now, extra...)
}

// newWorldAt is newWorld on the clock now (tokens follow the system
// clock whatever it says).
func newWorldAt(t *testing.T, now func() time.Time, extra ...oidcprovider.Client) *world {
	t.Helper()
	return newWorldWith(t, now, nil, extra...)
}

// newWorldDB is newWorld on the database (a DSN).
func newWorldDB(t *testing.T, database string) *world {
	t.Helper()
	return newWorldWith(t, time.Now, func(c *oidcprovider.Config) { c.Database = database })
}

// newWorldWith is newWorldAt with the provider's configuration changed
// by mod, if not nil.
func newWorldWith(t *testing.T, now func() time.Time, mod func(*oidcprovider.Config), extra ...oidcprovider.Client) *world {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	ktp, kk, _, _, err := demoworld.ResidentDocuments()
	if err != nil {
		t.Fatal(err)
	}
	party, err := demoworld.NewParty(ctx, demoworld.PartyConfig{Dir: dir, ID: "https://dukcapil.example.go.id", Name: "Ditjen Dukcapil",
		Types: []credential.TypeInfo{credential.KTPELType(), credential.KKType()}, Documents: []credential.Document{ktp, kk}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { party.Close() })

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	issuer := "http://localhost:" + port

	// The provider's OpenID4VP request key, certified for localhost, and
	// its registration in the trust list.
	reqKey, cert := loginPKI(t, now())
	op, _ := keys.Generate(keys.ES256, nil)
	trust, _, err := demoworld.SignedTrust(&trustlist.List{Operator: demoworld.OperatorID, Sequence: 1, IssuedAt: now().Add(-time.Hour),
		NextUpdate: now().Add(time.Hour), Issuers: []trustlist.Issuer{party.TrustEntry()},
		Verifiers: []trustlist.Verifier{{ID: "https://localhost", Name: "Login dengan IKD", Keys: []trustlist.Key{{ID: "login", Public: reqKey.Public()}},
			Claims: map[string][]string{
				credential.VCTKTPEL:  {"personal_administrative_number", "name", "birthdate", "address"},
				credential.DocTypeKK: {"family_card_number", "head_of_family_name", "holder_member"},
			}}}}, op, "op", now)
	if err != nil {
		t.Fatal(err)
	}
	cache, err := statuslist.NewCache(statuslist.CacheConfig{Keys: verifier.StatusKeys(trust), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	v, err := verifier.New(verifier.Config{Trust: trust, Status: cache, Now: now, Audience: "https://localhost"})
	if err != nil {
		t.Fatal(err)
	}
	idKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	var tokenKey [32]byte
	rand.Read(tokenKey[:])
	pairwise := make([]byte, 32)
	rand.Read(pairwise)
	cfg := oidcprovider.Config{Issuer: issuer,
		Clients: append([]oidcprovider.Client{
			{ID: portalID, Name: "Portal Layanan Publik", Secret: portalSecret, RedirectURIs: []string{portalRedir}},
			{ID: bankID, Name: "Bank Contoh", RedirectURIs: []string{bankRedir}, Scopes: []string{oidcprovider.ScopeProfile, oidcprovider.ScopeOfflineAccess}},
		}, extra...),
		Verifier: v, RequestSigner: reqKey, RequestChain: []*x509.Certificate{cert}, SigningKey: idKey,
		TokenKey: tokenKey, PairwiseKey: pairwise, Database: filepath.Join(dir, "login.db"), Now: now}
	if mod != nil {
		mod(&cfg)
	}
	p, err := oidcprovider.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	wd := &world{issuer: issuer, p: p, cfg: cfg, trust: trust, now: now}
	srv := &http.Server{Handler: wd, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	w, err := holder.Create(ctx, filepath.Join(dir, "wallet"), "135790", holder.Options{
		KDF:   holder.KDFParams{Time: 1, MemoryKiB: holder.MinKDFMemoryKiB, Threads: 1},
		Trust: holder.TrustList(trust.Current()), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	if _, err := party.Activate(ctx, w, "operator:test"); err != nil {
		t.Fatal(err)
	}
	// Dukcapil's status lists, as the provider's sync fetches them.
	if _, err := party.Publish(ctx, cache); err != nil {
		t.Fatal(err)
	}
	wd.w = w
	return wd
}

// ServeHTTP routes to the provider, or in turn to the second instance.
func (wd *world) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o := wd.other.Load()
	sticky := strings.HasPrefix(r.URL.Path, oidcprovider.PathLogin) || strings.HasPrefix(r.URL.Path, "/vp/")
	if o != nil && !sticky && wd.turn.Add(1)%2 == 0 {
		wd.otherTurns.Add(1)
		o.ServeHTTP(w, r)
		return
	}
	wd.p.ServeHTTP(w, r)
}

// secondInstance is another provider on the same configuration and
// database.
func (wd *world) secondInstance(t *testing.T) *oidcprovider.Provider {
	t.Helper()
	p, err := oidcprovider.New(wd.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// alternate sends every other request (but the login's) to o.
func (wd *world) alternate(o *oidcprovider.Provider) { wd.other.Store(o) }

// browser follows no redirect by itself and keeps cookies.
func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var crossLink = regexp.MustCompile(`id="cross-link" href="([^"]+)"`)

// login runs a login as a browser and the wallet: from the relying
// party's authorization URL to the redirect back with the code, which it
// returns with the state.
func (wd *world) login(t *testing.T, b *http.Client, authURL string, consent bool) url.Values {
	t.Helper()
	ctx := context.Background()
	resp, err := b.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("authorize: HTTP %d", resp.StatusCode)
	}
	if u, _ := url.Parse(loc); u.Path != oidcprovider.PathLogin {
		// An error straight back to the relying party.
		q, _ := url.Parse(loc)
		return q.Query()
	}
	resp, err = b.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := crossLink.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("login page: HTTP %d %s", resp.StatusCode, page)
	}
	link := html.UnescapeString(string(m[1]))
	r, err := wd.w.ReadVPRequest(ctx, link, holder.VPOptions{Verifiers: wd.trust.Current()})
	if err != nil {
		t.Fatalf("wallet reads the login request: %v", err)
	}
	_, err = wd.w.AnswerVPRequest(ctx, r, holder.PresentOptions{Consent: func(context.Context, holder.ConsentRequest) (bool, error) { return consent, nil }})
	if consent && err != nil {
		resp, _ := b.Get(wd.issuer + oidcprovider.PathLoginStatus + "?" + mustURL(t, loc).RawQuery)
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("wallet answers: %v (status %s)", err, body)
	}
	if !consent && !errors.Is(err, holder.ErrConsentRefused) {
		t.Fatalf("wallet refuses: %v", err)
	}
	// The page polls its status.
	statusURL := wd.issuer + oidcprovider.PathLoginStatus + "?" + mustURL(t, loc).RawQuery
	var st struct{ State, Next, Message string }
	for i := 0; ; i++ {
		resp, err := b.Get(statusURL)
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if st.State != "pending" || i > 50 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !consent {
		if st.State != "failed" || !strings.Contains(st.Message, "declined") {
			t.Fatalf("status after a refusal: %+v", st)
		}
		return nil
	}
	if st.State != "done" || st.Next == "" {
		t.Fatalf("status: %+v", st)
	}
	// On to zitadel's callback, which issues the code.
	resp, err = b.Get(st.Next)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back := mustURL(t, resp.Header.Get("Location"))
	return back.Query()
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestLoginGoOIDC: a relying party on go-oidc and x/oauth2 logs the
// resident in (discovery, PKCE, code exchange, ID token verification,
// UserInfo, refresh), gets exactly the scoped claims and a pairwise sub.
func TestLoginGoOIDC(t *testing.T) {
	wd := newWorld(t)
	ctx := context.Background()
	op, err := gooidc.NewProvider(ctx, wd.issuer)
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: portalID, ClientSecret: portalSecret, Endpoint: op.Endpoint(), RedirectURL: portalRedir,
		Scopes: []string{gooidc.ScopeOpenID, oidcprovider.ScopeProfile, oidcprovider.ScopeAddress, gooidc.ScopeOfflineAccess}}
	pkce := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(pkce), gooidc.Nonce("nonce-1"))
	q := wd.login(t, browser(t), authURL, true)
	if q.Get("state") != "state-1" || q.Get("code") == "" {
		t.Fatalf("redirect back: %v", q)
	}
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatal(err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := op.Verifier(&gooidc.Config{ClientID: portalID}).Verify(ctx, rawID)
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Nonce != "nonce-1" || claims["name"] != "RINA KARTIKA SARI" || claims["birthdate"] == nil || claims["address"] == nil {
		t.Fatalf("ID token claims %v", claims)
	}
	if _, ok := claims["nik"]; ok || strings.Contains(rawIDPayload(t, rawID), demoworld.ResidentNIK) {
		t.Fatalf("the NIK is in the ID token without the nik scope: %v", claims)
	}
	if amr, _ := claims["amr"].([]any); len(amr) != 1 || amr[0] != "pop" || claims["acr"] != oidcprovider.AcrPossession {
		t.Fatalf("amr %v acr %v", claims["amr"], claims["acr"])
	}
	if len(idt.Subject) != 43 || strings.Contains(idt.Subject, demoworld.ResidentNIK) {
		t.Fatalf("sub %q", idt.Subject)
	}
	ui, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatal(err)
	}
	var uic map[string]any
	ui.Claims(&uic)
	if ui.Subject != idt.Subject || uic["name"] != "RINA KARTIKA SARI" || uic["nik"] != nil {
		t.Fatalf("UserInfo %v", uic)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token with offline_access")
	}
	tok2, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil || tok2.AccessToken == "" || tok2.RefreshToken == tok.RefreshToken {
		t.Fatalf("refresh: %+v %v", tok2, err)
	}
	// The old refresh token rotated away.
	if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
		t.Fatal("a rotated refresh token worked again")
	}

	// The same resident at the same client: the same sub; with the nik
	// scope, the NIK.
	conf.Scopes = []string{gooidc.ScopeOpenID, oidcprovider.ScopeNIK}
	pkce = oauth2.GenerateVerifier()
	q = wd.login(t, browser(t), conf.AuthCodeURL("state-2", oauth2.S256ChallengeOption(pkce)), true)
	tok3, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatal(err)
	}
	idt3, err := op.Verifier(&gooidc.Config{ClientID: portalID}).Verify(ctx, tok3.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var c3 map[string]any
	idt3.Claims(&c3)
	if idt3.Subject != idt.Subject || c3["nik"] != demoworld.ResidentNIK || c3["name"] != nil {
		t.Fatalf("second login: sub %q claims %v", idt3.Subject, c3)
	}

	// Another client (a public one, PKCE only): another sub.
	bank := oauth2.Config{ClientID: bankID, Endpoint: op.Endpoint(), RedirectURL: bankRedir, Scopes: []string{gooidc.ScopeOpenID, oidcprovider.ScopeProfile}}
	pkce = oauth2.GenerateVerifier()
	q = wd.login(t, browser(t), bank.AuthCodeURL("state-3", oauth2.S256ChallengeOption(pkce)), true)
	tok4, err := bank.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatal(err)
	}
	idt4, err := op.Verifier(&gooidc.Config{ClientID: bankID}).Verify(ctx, tok4.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	if idt4.Subject == idt.Subject || len(idt4.Subject) != 43 {
		t.Fatalf("pairwise sub: bank %q, portal %q", idt4.Subject, idt.Subject)
	}
}

// rawIDPayload is the decoded payload of a JWT.
func rawIDPayload(t *testing.T, jwt string) string {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT %q", jwt)
	}
	b, err := base64URL(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// loginPKI is the provider's OpenID4VP request key and its certificate for
// localhost, issued by a test CA (the anchor is not sent in x5c).
func loginPKI(t *testing.T, now time.Time) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, caT, caT, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Login IKD"},
		DNSNames: []string{"localhost"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature}, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return key, cert
}

// TestGrantWithdrawn: the resident lists the grant in the wallet and
// withdraws it; the relying party loses access at its next refresh and
// UserInfo call. Another relying party's grant is untouched.
func TestGrantWithdrawn(t *testing.T) {
	wd := newWorld(t)
	ctx := context.Background()
	op, err := gooidc.NewProvider(ctx, wd.issuer)
	if err != nil {
		t.Fatal(err)
	}
	signIn := func(conf oauth2.Config) *oauth2.Token {
		t.Helper()
		pkce := oauth2.GenerateVerifier()
		q := wd.login(t, browser(t), conf.AuthCodeURL("s", oauth2.S256ChallengeOption(pkce)), true)
		tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pkce))
		if err != nil {
			t.Fatalf("%s: %v (redirect %v)", conf.ClientID, err, q)
		}
		return tok
	}
	portal := oauth2.Config{ClientID: portalID, ClientSecret: portalSecret, Endpoint: op.Endpoint(), RedirectURL: portalRedir,
		Scopes: []string{gooidc.ScopeOpenID, oidcprovider.ScopeProfile, gooidc.ScopeOfflineAccess}}
	bank := oauth2.Config{ClientID: bankID, Endpoint: op.Endpoint(), RedirectURL: bankRedir,
		Scopes: []string{gooidc.ScopeOpenID, oidcprovider.ScopeProfile, gooidc.ScopeOfflineAccess}}
	ptok, btok := signIn(portal), signIn(bank)

	grants, err := wd.w.Grants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pg *holder.Grant
	for i := range grants {
		if grants[i].ClientID == portalID {
			pg = &grants[i]
		}
	}
	if len(grants) != 2 || pg == nil || pg.ClientName != "Portal Layanan Publik" || !pg.Active(wd.now()) ||
		!strings.HasPrefix(pg.Endpoint, wd.issuer) || len(pg.Claims) == 0 {
		t.Fatalf("grants %+v", grants)
	}
	// What the portal received, and when, is in the wallet.
	if !slices.ContainsFunc(pg.Claims, func(c string) bool { return strings.HasSuffix(c, "name") }) || pg.At.IsZero() {
		t.Fatalf("grant %+v", pg)
	}

	if err := wd.w.RevokeGrant(ctx, pg.ID, holder.RevokeOptions{}); err != nil {
		t.Fatal(err)
	}
	if gs, _ := wd.w.Grants(ctx); !slices.ContainsFunc(gs, func(g holder.Grant) bool { return g.ID == pg.ID && !g.RevokedAt.IsZero() && !g.GoneAtProvider }) {
		t.Fatalf("after withdrawal %+v", gs)
	}
	if _, err := op.UserInfo(ctx, oauth2.StaticTokenSource(ptok)); err == nil {
		t.Fatal("UserInfo after the grant was withdrawn")
	}
	if _, err := portal.TokenSource(ctx, &oauth2.Token{RefreshToken: ptok.RefreshToken}).Token(); err == nil {
		t.Fatal("refresh after the grant was withdrawn")
	}
	// The bank still has its grant.
	if _, err := op.UserInfo(ctx, oauth2.StaticTokenSource(btok)); err != nil {
		t.Fatalf("the bank's UserInfo: %v", err)
	}
	if _, err := bank.TokenSource(ctx, &oauth2.Token{RefreshToken: btok.RefreshToken}).Token(); err != nil {
		t.Fatalf("the bank's refresh: %v", err)
	}
	// A new login makes a new grant, and works again.
	if tok := signIn(portal); tok.AccessToken == "" {
		t.Fatal("no token after a new login")
	}
}
