package oidcprovider_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/internal/demoworld"
	"github.com/ikdkit/ikdkit/oidcprovider"
)

var sameDeviceLink = regexp.MustCompile(`id="same-device" href="([^"]+)"`)

// TestLoginSameDevice: the wallet on the phone answers the page's
// same-device link; it is sent back to the provider with a response_code,
// and the browser goes on to the relying party with the code. The family
// card scope releases the KK's number and head of family.
func TestLoginSameDevice(t *testing.T) {
	wd := newWorld(t)
	ctx := context.Background()
	op, err := gooidc.NewProvider(ctx, wd.issuer)
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: portalID, ClientSecret: portalSecret, Endpoint: op.Endpoint(), RedirectURL: portalRedir,
		Scopes: []string{gooidc.ScopeOpenID, oidcprovider.ScopeFamilyCard}}
	pkce := oauth2.GenerateVerifier()
	b := browser(t)
	resp, err := b.Get(conf.AuthCodeURL("s", oauth2.S256ChallengeOption(pkce)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = b.Get(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := sameDeviceLink.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no same-device link: %s", page)
	}
	r, err := wd.w.ReadVPRequest(ctx, html.UnescapeString(string(m[1])), holder.VPOptions{Verifiers: wd.trust.Current()})
	if err != nil {
		t.Fatal(err)
	}
	a, err := wd.w.AnswerVPRequest(ctx, r, holder.PresentOptions{Consent: func(context.Context, holder.ConsentRequest) (bool, error) { return true, nil }})
	if err != nil {
		t.Fatal(err)
	}
	back, err := url.Parse(a.RedirectURI)
	if err != nil || back.Path != oidcprovider.PathLoginBack || back.Query().Get("response_code") == "" {
		t.Fatalf("the wallet is sent to %q", a.RedirectURI)
	}
	// Without the code, or from another browser: nothing.
	noCode := *back
	q := noCode.Query()
	q.Del("response_code")
	noCode.RawQuery = q.Encode()
	for _, c := range []struct {
		b *http.Client
		u string
	}{{b, noCode.String()}, {browser(t), a.RedirectURI}} {
		resp, err := c.b.Get(c.u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s: HTTP %d", c.u, resp.StatusCode)
		}
	}
	// The phone's browser follows the redirect.
	resp, err = b.Get(a.RedirectURI)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("back: HTTP %d", resp.StatusCode)
	}
	resp, err = b.Get(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	rp, _ := url.Parse(resp.Header.Get("Location"))
	tok, err := conf.Exchange(ctx, rp.Query().Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatalf("exchange (redirect %v): %v", rp, err)
	}
	ui, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	ui.Claims(&c)
	_, kk, _, _, _ := demoworld.ResidentDocuments()
	if c[oidcprovider.ClaimFamilyCardNumber] != kk.Fields().Number.String() || c[oidcprovider.ClaimHeadOfFamily] == nil || c["name"] != nil {
		t.Fatalf("UserInfo %v", c)
	}
}

// TestLogout: RP-initiated logout with the ID token as hint ends the
// relying party's tokens; the grant stays.
func TestLogout(t *testing.T) {
	wd := newWorld(t)
	ctx := context.Background()
	op, err := gooidc.NewProvider(ctx, wd.issuer)
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: portalID, ClientSecret: portalSecret, Endpoint: op.Endpoint(), RedirectURL: portalRedir,
		Scopes: []string{gooidc.ScopeOpenID, oidcprovider.ScopeProfile, gooidc.ScopeOfflineAccess}}
	pkce := oauth2.GenerateVerifier()
	q := wd.login(t, browser(t), conf.AuthCodeURL("s", oauth2.S256ChallengeOption(pkce)), true)
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := op.Claims(&meta); err != nil || meta.EndSession == "" {
		t.Fatalf("no end_session_endpoint: %v", err)
	}
	u := meta.EndSession + "?" + url.Values{"id_token_hint": {tok.Extra("id_token").(string)}, "client_id": {portalID}}.Encode()
	resp, err := browser(t).Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		t.Fatalf("end_session: HTTP %d", resp.StatusCode)
	}
	if _, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
		t.Fatal("UserInfo after logout")
	}
	if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
		t.Fatal("refresh after logout")
	}
	if gs, err := wd.w.Grants(ctx); err != nil || len(gs) != 1 || !gs[0].RevokedAt.IsZero() {
		t.Fatalf("grants after logout %+v %v", gs, err)
	}
}
