package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oidcprovider"
	"github.com/ikdkit/ikdkit/verifier"
)

// loginKeyID names the login provider's request key in the trust list.
const loginKeyID = "login-2026"

// loginClaims are the KTP-el claims the login provider may ask for: the
// NIK (its pairwise subjects come from it) and what its scopes release.
var loginClaims = []string{"personal_administrative_number", "name", "birthdate", "address"}

// loginRegistration is the login provider's entry in the trust list.
func loginRegistration(id string, key crypto.Signer) trustlist.Verifier {
	return trustlist.Verifier{ID: id, Name: "Login dengan IKD", Keys: []trustlist.Key{{ID: loginKeyID, Public: key.Public()}},
		Claims: map[string][]string{credential.VCTKTPEL: loginClaims}}
}

// loginProvider builds the IKD login provider at id (http://localhost:PORT)
// with one confidential client, the portal.
func loginProvider(v *verifier.Verifier, id string, key crypto.Signer, portal oidcprovider.Client, dbPath string,
	now func() time.Time) (*oidcprovider.Provider, error) {
	chain, err := bankChain(key, "localhost", now())
	if err != nil {
		return nil, err
	}
	idKey, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		return nil, err
	}
	var tokenKey [32]byte
	pairwise := make([]byte, 32)
	if _, err := rand.Read(tokenKey[:]); err != nil {
		return nil, err
	}
	if _, err := rand.Read(pairwise); err != nil {
		return nil, err
	}
	return oidcprovider.New(oidcprovider.Config{Issuer: id, Clients: []oidcprovider.Client{portal}, Verifier: v,
		RequestSigner: key, RequestChain: chain, SigningKey: idKey, TokenKey: tokenKey, PairwiseKey: pairwise,
		Database: dbPath, Now: now})
}

var crossLinkRE = regexp.MustCompile(`id="cross-link" href="([^"]+)"`)

// demoLogin is the demo's "log in to a government portal with IKD": the
// portal (a relying party on go-oidc) sends the browser to the login
// provider on ln; the wallet answers the page's OpenID4VP request; the
// portal gets an ID token with a pairwise sub and the profile claims; the
// resident withdraws the grant in the wallet and the portal's next
// refresh fails.
func demoLogin(ctx context.Context, w io.Writer, wal *holder.Wallet, trust *trustlist.Store, cache *statuslist.Cache,
	key crypto.Signer, ln net.Listener, work string, now func() time.Time) error {
	say := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	id := localhostURL(ln)
	v, err := verifier.New(verifier.Config{Trust: trust, Status: cache, Now: now, ClockSkew: 5 * time.Second, Audience: id})
	if err != nil {
		return err
	}
	secret := make([]byte, 16)
	rand.Read(secret)
	const redirect = "https://portal.example.go.id/callback"
	portal := oidcprovider.Client{ID: "portal", Name: "Portal Layanan Publik", Secret: fmt.Sprintf("%x", secret),
		RedirectURIs: []string{redirect}}
	p, err := loginProvider(v, id, key, portal, filepath.Join(work, "login.db"), now)
	if err != nil {
		return err
	}
	defer p.Close()
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	op, err := gooidc.NewProvider(ctx, id)
	if err != nil {
		return fmt.Errorf("discovery: %w", err)
	}
	conf := oauth2.Config{ClientID: portal.ID, ClientSecret: portal.Secret, Endpoint: op.Endpoint(), RedirectURL: redirect,
		Scopes: []string{gooidc.ScopeOpenID, oidcprovider.ScopeProfile, gooidc.ScopeOfflineAccess}}
	pkce := oauth2.GenerateVerifier()
	say("   %q (client %q) discovered the IKD login provider %s and sends the browser there:", portal.Name, portal.ID, id)
	say("      scopes %v, PKCE S256", conf.Scopes)

	// The browser.
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) (*http.Response, []byte, error) {
		resp, err := b.Get(u)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp, body, err
	}
	resp, _, err := get(conf.AuthCodeURL("portal-state", oauth2.S256ChallengeOption(pkce), gooidc.Nonce("portal-nonce")))
	if err != nil {
		return err
	}
	loginURL := resp.Header.Get("Location")
	resp, page, err := get(loginURL)
	if err != nil {
		return err
	}
	m := crossLinkRE.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		return fmt.Errorf("the login page: HTTP %d", resp.StatusCode)
	}
	link := html.UnescapeString(string(m[1]))
	say("   the login page shows a QR code of a signed OpenID4VP request and a link for the wallet on the same phone")
	r, err := wal.ReadVPRequest(ctx, link, holder.VPOptions{Verifiers: trust.Current(), HTTPClient: &http.Client{Timeout: 10 * time.Second}})
	if err != nil {
		return fmt.Errorf("reading the login request: %w", err)
	}
	_, err = wal.AnswerVPRequest(ctx, r, holder.PresentOptions{Consent: func(_ context.Context, c holder.ConsentRequest) (bool, error) {
		say("   consent screen: %q asks, to log in to %q until %s:", c.VerifierName, c.Grant.ClientName, c.Grant.Until.Format(time.DateOnly))
		writeVPItems(indentWriter{w, "   "}, c.Items)
		say("   the user taps \"Masuk\" (log in)")
		return true, nil
	}})
	if err != nil {
		return err
	}
	// The page polls its status and goes on by itself.
	u, _ := url.Parse(loginURL)
	var st struct{ State, Next, Message string }
	for i := 0; i < 100; i++ {
		_, body, err := get(id + oidcprovider.PathLoginStatus + "?" + u.RawQuery)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(body, &st); err != nil || st.State != "pending" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st.State != "done" {
		return fmt.Errorf("the login did not finish: %+v", st)
	}
	resp, _, err = get(st.Next)
	if err != nil {
		return err
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Query().Get("state") != "portal-state" {
		return fmt.Errorf("the redirect back to the portal: %v", resp.Header.Get("Location"))
	}
	tok, err := conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		return fmt.Errorf("code exchange: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := op.Verifier(&gooidc.Config{ClientID: portal.ID}).Verify(ctx, raw)
	if err != nil {
		return fmt.Errorf("ID token: %w", err)
	}
	var claims struct {
		Name      string   `json:"name"`
		Birthdate string   `json:"birthdate"`
		NIK       string   `json:"nik"`
		AMR       []string `json:"amr"`
		ACR       string   `json:"acr"`
	}
	if err := idt.Claims(&claims); err != nil {
		return err
	}
	if claims.Name == "" || claims.NIK != "" || idt.Nonce != "portal-nonce" {
		return fmt.Errorf("ID token claims %+v", claims)
	}
	say("   the portal exchanged the code (PKCE) and verified the ID token with go-oidc:")
	say("      sub %s (pairwise: another portal gets another; it is not the NIK)", idt.Subject)
	say("      name %q, birthdate %s; amr %v (possession of the credential's device key), acr %s", claims.Name, claims.Birthdate, claims.AMR, claims.ACR)
	say("      no NIK: the portal did not ask for the nik scope")

	grants, err := wal.Grants(ctx)
	if err != nil {
		return err
	}
	var g *holder.Grant
	for i := range grants {
		if grants[i].ClientID == portal.ID && grants[i].RevokedAt.IsZero() {
			g = &grants[i]
		}
	}
	if g == nil {
		return errors.New("the wallet has no grant for the portal")
	}
	say("   the wallet lists the grant: %q, scopes %v, since %s, until %s (the login provider saw %s;", g.ClientName,
		g.Scopes, g.At.Format(time.DateOnly), g.Until.Format(time.DateOnly), strings.Join(g.Claims, ", "))
	say("   the portal gets only its scopes' claims)")
	if err := wal.RevokeGrant(ctx, g.ID, holder.RevokeOptions{HTTPClient: &http.Client{Timeout: 10 * time.Second}}); err != nil {
		return err
	}
	_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err == nil {
		return errors.New("the portal refreshed its tokens after the grant was withdrawn")
	}
	say("   the resident withdraws it in the wallet (signed with the key she logged in with): the portal's next refresh")
	say("   fails (invalid_grant) and it must ask her to log in again")
	return nil
}
