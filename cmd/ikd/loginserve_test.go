package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/internal/demoworld"
	"github.com/ikdkit/ikdkit/keys"
)

func TestLoginServeUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"login", "serve", "--help"}, 0, ""},
		{"command help", []string{"login", "--help"}, 0, ""},
		{"no subcommand", []string{"login"}, 2, "want a subcommand: serve"},
		{"unknown subcommand", []string{"login", "run"}, 2, `unknown subcommand "run"`},
		{"no --demo", []string{"login", "serve", "--trust", "k.jwk.json"}, 2, "--demo is required"},
		{"no --trust", []string{"login", "serve", "--demo"}, 2, "--trust is required"},
		{"all interfaces", []string{"login", "serve", "--demo", "--addr", "0.0.0.0:0"}, 2, "loopback address only"},
		{"a host name", []string{"login", "serve", "--demo", "--addr", "login.example.go.id:80"}, 2, "loopback address only"},
		{"no port", []string{"login", "serve", "--demo", "--addr", "127.0.0.1"}, 2, "--addr: want HOST:PORT"},
		{"http redirect off loopback", []string{"login", "serve", "--demo", "--redirect-uri", "http://portal.example.go.id/cb"}, 2,
			"--redirect-uri: want https, or http on a loopback host"},
		{"relative redirect", []string{"login", "serve", "--demo", "--redirect-uri", "/callback"}, 2, "--redirect-uri: want an absolute URL"},
		{"a positional argument", []string{"login", "serve", "--demo", "extra"}, 2, "want 0 argument(s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, out, errOut := testEnv()
			if code := run(context.Background(), e, tc.args); code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, errOut)
			}
			if tc.code == 0 {
				for _, w := range []string{"usage: ikd login serve --demo", "ikd wallet vp --request LINK --trust DIR/trust.jwt",
					"ikd wallet revoke-grant", "PKCE", "offline_access", "family_card", "not checked", "Example:"} {
					if !strings.Contains(out.String(), w) {
						t.Errorf("help without %q", w)
					}
				}
			}
			if !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("stderr %q, want %q", errOut, tc.want)
			}
		})
	}
	// --trust must hold an SD-JWT VC issuer key: an IACA root alone is
	// a usage error, a missing file a failure.
	key, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := demoChain(key, "localhost", "Test", t0)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "iaca.pem")
	if err := os.WriteFile(root, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: chain[0].Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		trust string
		code  int
		want  string
	}{
		{root, 2, "--trust: give one SD-JWT VC issuer key"},
		{filepath.Join(t.TempDir(), "missing.jwk.json"), 1, "missing.jwk.json"},
	} {
		e, _, errOut := testEnv()
		if code := run(context.Background(), e, []string{"login", "serve", "--demo", "--trust", tc.trust}); code != tc.code || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("--trust %s: exit %d, stderr %q; want %d, %q", tc.trust, code, errOut, tc.code, tc.want)
		}
	}
}

// servedLogin is a running "ikd login serve --demo" and what it printed.
type servedLogin struct {
	vals   map[string]string
	stop   context.CancelFunc
	done   chan int
	stderr *syncBuffer
}

// serveLogin runs "ikd login serve --demo" in-process on t0 and reads the
// lines it prints.
func serveLogin(t *testing.T, args ...string) *servedLogin {
	t.Helper()
	e, _, _ := testEnv()
	pr, pw := io.Pipe()
	s := &servedLogin{vals: map[string]string{}, done: make(chan int, 1), stderr: &syncBuffer{}}
	e.stdout, e.stderr = pw, s.stderr
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	go func() {
		code := run(ctx, e, append([]string{"login", "serve", "--demo"}, args...))
		pw.Close()
		s.done <- code
	}()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for s.vals["operator_key"] == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("ikd login serve ended; stderr: %s", s.stderr)
			}
			k, v, found := strings.Cut(l, ": ")
			if !found || s.vals[k] != "" {
				t.Fatalf("ikd login serve printed %q", l)
			}
			s.vals[k] = v
		case <-time.After(20 * time.Second):
			t.Fatalf("ikd login serve printed nothing; stderr: %s", s.stderr)
		}
	}
	go func() {
		for l := range lines {
			t.Errorf("ikd login serve printed more: %q", l)
		}
	}()
	return s
}

var loginCrossLink = regexp.MustCompile(`id="cross-link" href="([^"]+)"`)

// TestLoginServeDemo: a go-oidc relying party with the printed client
// credentials logs the resident in through the demo provider (discovery,
// PKCE S256, the login page, "ikd wallet vp" answering its link, the
// page's status, the code at the redirect URI, the exchange, the ID token
// verified); "ikd wallet grants" lists the grant, "ikd wallet
// revoke-grant" withdraws it and the relying party's refresh then fails;
// Ctrl-C stops the provider.
func TestLoginServeDemo(t *testing.T) {
	ctx := context.Background()
	now := func() time.Time { return t0 }
	idir := t.TempDir()
	ktp, kk, _, _, err := demoworld.ResidentDocuments()
	if err != nil {
		t.Fatal(err)
	}
	party, err := demoworld.NewParty(ctx, demoworld.PartyConfig{Dir: idir, ID: dukcapilID, Name: "Ditjen Dukcapil", Now: now,
		Types: []credential.TypeInfo{credential.KTPELType(), credential.KKType()}, Documents: []credential.Document{ktp, kk}})
	if err != nil {
		t.Fatal(err)
	}
	defer party.Close()
	pub, err := keys.MarshalPublicJWK(party.Key.Public())
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(idir, "issuer.jwk.json")
	if err := os.WriteFile(keyFile, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	// The resident's wallet, activated with Dukcapil's KTP-el and KK.
	w := filepath.Join(t.TempDir(), "w")
	runWallet(t, []wstep{{"init", []string{"wallet", "init", "--wallet", w}, nil, pin1, 0, "", ""}})
	local, err := trustlist.NewLocal(&trustlist.List{Operator: operatorID, Sequence: 1, IssuedAt: t0.Add(-time.Hour),
		NextUpdate: t0.Add(time.Hour), Issuers: []trustlist.Issuer{party.TrustEntry()}})
	if err != nil {
		t.Fatal(err)
	}
	e, _, _ := testEnv()
	wal, err := holder.Open(ctx, w, holder.Options{KDF: e.kdf, Now: now, Trust: holder.TrustList(local)})
	if err != nil {
		t.Fatal(err)
	}
	if err := wal.Unlock(ctx, strings.TrimSpace(pin1)); err != nil {
		t.Fatal(err)
	}
	if _, err := party.Activate(ctx, wal, "operator:test"); err != nil {
		t.Fatal(err)
	}
	wal.Close()

	dir := t.TempDir()
	const redirect = "http://127.0.0.1:9/portal/callback" // never fetched
	s := serveLogin(t, "--trust", keyFile, "--dir", dir, "--redirect-uri", redirect)
	issuer := s.vals["issuer"]
	if !strings.HasPrefix(issuer, "http://localhost:") || s.vals["discovery"] != issuer+"/.well-known/openid-configuration" ||
		s.vals["client_id"] != "demo-portal" || len(s.vals["client_secret"]) < 32 || s.vals["redirect_uri"] != redirect ||
		s.vals["trust_list"] != filepath.Join(dir, "trust.jwt") || s.vals["operator_key"] != filepath.Join(dir, "operator.jwk.json") {
		t.Fatalf("printed %v", s.vals)
	}
	if _, err := os.Stat(filepath.Join(dir, "login.db")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"OpenID Connect provider at " + issuer, "PKCE S256 required", "status is not checked"} {
		if !strings.Contains(s.stderr.String(), want) {
			t.Errorf("stderr %q without %q", s.stderr, want)
		}
	}

	// The relying party: discovery, then the authorization code flow with
	// PKCE S256.
	op, err := gooidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: s.vals["client_id"], ClientSecret: s.vals["client_secret"], Endpoint: op.Endpoint(),
		RedirectURL: s.vals["redirect_uri"], Scopes: []string{gooidc.ScopeOpenID, "profile", gooidc.ScopeOfflineAccess}}
	pkce := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(pkce), gooidc.Nonce("nonce-1"))

	// The browser: keeps cookies, follows no redirect by itself.
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	redirectTo := func(u string) *url.URL {
		t.Helper()
		resp, err := b.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil || resp.StatusCode/100 != 3 {
			t.Fatalf("GET %s: HTTP %d, Location %v", u, resp.StatusCode, err)
		}
		return loc
	}
	loginURL := redirectTo(authURL)
	if loginURL.Path != "/login" || loginURL.Query().Get("id") == "" {
		t.Fatalf("authorize went to %s", loginURL)
	}
	resp, err := b.Get(loginURL.String())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := loginCrossLink.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(string(page), "Portal Layanan Publik") {
		t.Fatalf("login page: HTTP %d %s", resp.StatusCode, page)
	}
	link := html.UnescapeString(string(m[1]))
	if !strings.HasPrefix(link, "openid4vp://") {
		t.Fatalf("cross-device link %q", link)
	}

	// The wallet answers the page's link with the trust list the
	// provider wrote.
	trust := []string{"--trust", s.vals["trust_list"], "--operator-key", s.vals["operator_key"]}
	runWallet(t, []wstep{{"vp", append([]string{"wallet", "vp", "--wallet", w, "--request", link, "--yes"}, trust...), nil, pin1, 0,
		"login grant stored: Portal Layanan Publik <demo-portal>", "this is a login: Portal Layanan Publik <demo-portal>"}})

	// The page polls its status, then goes on to the code.
	var st struct{ State, Next, Message string }
	for i := 0; ; i++ {
		resp, err := b.Get(issuer + "/login/status?" + loginURL.RawQuery)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if st.State != "pending" || i > 100 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st.State != "done" || st.Next == "" {
		t.Fatalf("login status %+v", st)
	}
	back := redirectTo(st.Next)
	if !strings.HasPrefix(back.String(), redirect+"?") || back.Query().Get("state") != "state-1" || back.Query().Get("code") == "" {
		t.Fatalf("back to the portal at %s", back)
	}
	tok, err := conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatal(err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := op.Verifier(&gooidc.Config{ClientID: "demo-portal"}).Verify(ctx, rawID)
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Nonce != "nonce-1" || claims["name"] != "RINA KARTIKA SARI" || claims["birthdate"] == nil {
		t.Fatalf("ID token claims %v", claims)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(rawID, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := claims["nik"]; ok || strings.Contains(idt.Subject, residentNK) || strings.Contains(string(payload), residentNK) {
		t.Fatalf("the NIK without the nik scope: sub %q, claims %v", idt.Subject, claims)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token with offline_access")
	}

	// The wallet lists the grant and withdraws it; the portal's refresh
	// fails from then on.
	out := runWallet(t, []wstep{{"grants", []string{"wallet", "grants", "--wallet", w, "--json"}, nil, pin1, 0, `"client_id": "demo-portal"`, ""}})
	var grants []struct {
		holder.Grant
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &grants); err != nil {
		t.Fatalf("grants --json: %v: %s", err, out)
	}
	if len(grants) != 1 || grants[0].ClientName != "Portal Layanan Publik" || grants[0].Provider != issuer || grants[0].Status != "active" ||
		!strings.HasPrefix(grants[0].Endpoint, issuer) {
		t.Fatalf("grants %s", out)
	}
	gid := grants[0].ID
	runWallet(t, []wstep{
		{"grants table", []string{"wallet", "grants", "--wallet", w}, nil, pin1, 0, gid, ""},
		{"revoke-grant", []string{"wallet", "revoke-grant", "--wallet", w, gid}, nil, pin1, 0, "grant " + gid + " of Portal Layanan Publik <demo-portal>: revoked", ""},
	})
	if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
		t.Fatal("the portal refreshed after the grant was withdrawn")
	}
	if _, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
		t.Fatal("UserInfo after the grant was withdrawn")
	}

	s.stop()
	if code := <-s.done; code != 0 {
		t.Fatalf("exit %d: %s", code, s.stderr)
	}
	s.done <- 0
	if !strings.Contains(s.stderr.String(), "ikd login: stopped") {
		t.Errorf("stderr %q", s.stderr)
	}
}
