package oidcprovider_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ikdkit/ikdkit/internal/demoworld"
	"github.com/ikdkit/ikdkit/oidcprovider"
)

// TestLoginRefusals: PKCE is required (S256 only), redirect URIs are
// exact, scopes are the client's, the resident's refusal in the wallet
// fails the login, and a login page answers only the browser that
// opened it.
func TestLoginRefusals(t *testing.T) {
	wd := newWorld(t)
	ctx := context.Background()
	op, err := gooidc.NewProvider(ctx, wd.issuer)
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: portalID, ClientSecret: portalSecret, Endpoint: op.Endpoint(), RedirectURL: portalRedir,
		Scopes: []string{gooidc.ScopeOpenID, oidcprovider.ScopeProfile}}

	// The authorization endpoint answers an error to the relying party.
	authError := func(t *testing.T, authURL string) url.Values {
		t.Helper()
		resp, err := browser(t).Get(authURL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if loc == nil || loc.Path == oidcprovider.PathLogin {
			t.Fatalf("HTTP %d to %v: not refused", resp.StatusCode, loc)
		}
		return loc.Query()
	}
	t.Run("no PKCE", func(t *testing.T) {
		q := authError(t, conf.AuthCodeURL("s"))
		if q.Get("error") != "invalid_request" || !strings.Contains(q.Get("error_description"), "PKCE") || q.Get("state") != "s" {
			t.Fatalf("%v", q)
		}
	})
	t.Run("PKCE plain", func(t *testing.T) {
		q := authError(t, conf.AuthCodeURL("s", oauth2.SetAuthURLParam("code_challenge", strings.Repeat("a", 43)),
			oauth2.SetAuthURLParam("code_challenge_method", "plain")))
		if q.Get("error") != "invalid_request" {
			t.Fatalf("%v", q)
		}
	})
	t.Run("scope not allowed", func(t *testing.T) {
		// The bank may not ask for the NIK: the scope is dropped (RFC 6749
		// §3.3), and nothing of it is released.
		bank := oauth2.Config{ClientID: bankID, Endpoint: op.Endpoint(), RedirectURL: bankRedir,
			Scopes: []string{gooidc.ScopeOpenID, oidcprovider.ScopeProfile, oidcprovider.ScopeNIK}}
		pkce := oauth2.GenerateVerifier()
		q := wd.login(t, browser(t), bank.AuthCodeURL("s", oauth2.S256ChallengeOption(pkce)), true)
		tok, err := bank.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pkce))
		if err != nil {
			t.Fatal(err)
		}
		if sc, _ := tok.Extra("scope").(string); strings.Contains(sc, oidcprovider.ScopeNIK) {
			t.Fatalf("granted scope %q", sc)
		}
		ui, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatal(err)
		}
		var c map[string]any
		ui.Claims(&c)
		if c["nik"] != nil || c["name"] == nil {
			t.Fatalf("UserInfo %v", c)
		}
	})
	t.Run("redirect URI not exact", func(t *testing.T) {
		for _, r := range []string{portalRedir + "/", portalRedir + "?x=1", "https://portal.example.go.id/CALLBACK", "https://evil.example/callback"} {
			c := conf
			c.RedirectURL = r
			resp, err := browser(t).Get(c.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			// Never sent to an unregistered redirect URI (RFC 6749
			// §4.1.2.1): an error page here.
			if loc := resp.Header.Get("Location"); loc != "" || resp.StatusCode < 400 {
				t.Fatalf("redirect_uri %s: HTTP %d to %q %s", r, resp.StatusCode, loc, body)
			}
		}
	})
	t.Run("wallet refuses", func(t *testing.T) {
		if q := wd.login(t, browser(t), conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), false); q != nil {
			t.Fatalf("%v", q)
		}
	})
	t.Run("another browser", func(t *testing.T) {
		b := browser(t)
		resp, err := b.Get(conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		login := resp.Header.Get("Location")
		if resp, err = b.Get(login); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("login page: %v %v", resp, err)
		}
		resp.Body.Close()
		u, _ := url.Parse(login)
		for _, path := range []string{oidcprovider.PathLogin, oidcprovider.PathLoginStatus, oidcprovider.PathLoginBack} {
			other := browser(t)
			resp, err := other.Get(wd.issuer + path + "?" + u.RawQuery)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("%s from another browser: HTTP %d", path, resp.StatusCode)
			}
		}
	})
	t.Run("wrong PKCE verifier", func(t *testing.T) {
		pkce := oauth2.GenerateVerifier()
		q := wd.login(t, browser(t), conf.AuthCodeURL("s", oauth2.S256ChallengeOption(pkce)), true)
		if _, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier())); err == nil {
			t.Fatal("a code exchanged with another verifier")
		}
		// Whoever stole the code cannot use it; the relying party that
		// holds the verifier still can, once.
		if _, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pkce)); err != nil {
			t.Fatalf("the right verifier after a wrong one: %v", err)
		}
	})
	t.Run("code twice", func(t *testing.T) {
		pkce := oauth2.GenerateVerifier()
		q := wd.login(t, browser(t), conf.AuthCodeURL("s", oauth2.S256ChallengeOption(pkce)), true)
		if _, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pkce)); err != nil {
			t.Fatal(err)
		}
		if _, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pkce)); err == nil {
			t.Fatal("a code worked twice")
		}
	})
}

// TestLoginExpires: a login page left longer than its lifetime is gone,
// and its request with it.
func TestLoginExpires(t *testing.T) {
	clk := demoworld.NewClock(time.Now())
	wd := newWorldAt(t, clk.Now)
	ctx := context.Background()
	op, err := gooidc.NewProvider(ctx, wd.issuer)
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: portalID, ClientSecret: portalSecret, Endpoint: op.Endpoint(), RedirectURL: portalRedir,
		Scopes: []string{gooidc.ScopeOpenID}}
	b := browser(t)
	resp, err := b.Get(conf.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	login := resp.Header.Get("Location")
	resp, err = b.Get(login)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("login page: %v %v", resp, err)
	}
	resp.Body.Close()
	clk.Advance(2*oidcprovider.DefaultLoginTTL + time.Second)
	for _, u := range []string{login, strings.Replace(login, oidcprovider.PathLogin, oidcprovider.PathLoginStatus, 1)} {
		resp, err := b.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s after the login's lifetime: HTTP %d", u, resp.StatusCode)
		}
	}
}
