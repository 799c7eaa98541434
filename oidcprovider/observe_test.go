package oidcprovider_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/internal/demoworld"
	"github.com/ikdkit/ikdkit/internal/obs/obstest"
	"github.com/ikdkit/ikdkit/oidcprovider"
)

// TestObserve: a login, a token exchange with a bad code, a refused and
// an accepted grant withdrawal, with Metrics and a Logger: each request
// is reported under its route name (the provider's own, the OpenID4VP
// ones, zitadel's), the login and the withdrawals by outcome; no token,
// code or NIK appears in any log line.
func TestObserve(t *testing.T) {
	var m obstest.Metrics
	var logs obstest.Log
	wd := newWorldWith(t, time.Now, func(c *oidcprovider.Config) { c.Metrics, c.Logger = &m, logs.Logger() })
	ctx := context.Background()
	op, err := gooidc.NewProvider(ctx, wd.issuer)
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: portalID, ClientSecret: portalSecret, Endpoint: op.Endpoint(), RedirectURL: portalRedir,
		Scopes: []string{gooidc.ScopeOpenID, oidcprovider.ScopeNIK, gooidc.ScopeOfflineAccess}}
	pkce := oauth2.GenerateVerifier()
	q := wd.login(t, browser(t), conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(pkce)), true)
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err != nil {
		t.Fatal(err)
	}
	if _, err := conf.Exchange(ctx, "not-a-code", oauth2.VerifierOption(pkce)); err == nil {
		t.Fatal("a bad code exchanged")
	}
	// A withdrawal without a DPoP proof, then the wallet's.
	resp, err := http.PostForm(wd.issuer+oidcprovider.PathGrants, url.Values{"client_id": {portalID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	gs, err := wd.w.Grants(ctx)
	if err != nil || len(gs) != 1 {
		t.Fatalf("grants %v %v", gs, err)
	}
	if err := wd.w.RevokeGrant(ctx, gs[0].ID, holder.RevokeOptions{}); err != nil {
		t.Fatal(err)
	}

	for _, r := range []obstest.Request{
		{Handler: "oidcprovider", Route: "discovery", Status: http.StatusOK},
		{Handler: "oidcprovider", Route: "login", Status: http.StatusOK},
		{Handler: "oidcprovider", Route: "vp_request", Status: http.StatusOK},
		{Handler: "oidcprovider", Route: "vp_response", Status: http.StatusOK},
		{Handler: "oidcprovider", Route: "login_status", Status: http.StatusOK},
		{Handler: "oidcprovider", Route: "token", Status: http.StatusOK},
		{Handler: "oidcprovider", Route: "token", Status: http.StatusBadRequest},
		{Handler: "oidcprovider", Route: "userinfo", Status: http.StatusOK},
		{Handler: "oidcprovider", Route: "grants", Status: http.StatusBadRequest},
		{Handler: "oidcprovider", Route: "grants", Status: http.StatusOK},
	} {
		if !m.HasRequest(r.Handler, r.Route, r.Status) {
			t.Errorf("no request %s in %v", r, m.Requests())
		}
	}
	for _, route := range []string{"authorize", "authorize_callback"} {
		if !slices.ContainsFunc(m.Requests(), func(r obstest.Request) bool { return r.Route == route }) {
			t.Errorf("no request at %s in %v", route, m.Requests())
		}
	}
	if slices.ContainsFunc(m.Requests(), func(r obstest.Request) bool {
		return r.Handler != "oidcprovider" || r.Route == "other" || r.Route == "vp_other" || r.Route == "unmatched"
	}) || m.NegativeLatency() {
		t.Errorf("requests %v", m.Requests())
	}
	if got := strings.Join(m.Outcomes(), ","); got != "login ok,withdraw_grant invalid_dpop_proof,withdraw_grant ok" {
		t.Errorf("outcomes %s", got)
	}

	t.Logf("requests %v", m.Requests())
	out := logs.String()
	t.Logf("log:\n%s", out)
	if !strings.Contains(out, `msg="oidcprovider: request refused" route=grants method=POST code=invalid_dpop_proof`) {
		t.Errorf("no refusal in the log:\n%s", out)
	}
	idToken, _ := tok.Extra("id_token").(string)
	for name, secret := range map[string]string{"access token": tok.AccessToken, "refresh token": tok.RefreshToken,
		"ID token": idToken, "code": q.Get("code"), "NIK": demoworld.ResidentNIK, "PKCE verifier": pkce} {
		if secret == "" || strings.Contains(out, secret) {
			t.Errorf("the %s %q is in the log (or empty):\n%s", name, secret, out)
		}
	}
}
