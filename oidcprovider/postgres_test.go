package oidcprovider_test

import (
	"context"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/internal/pgtest"
	"github.com/ikdkit/ikdkit/oidcprovider"
)

// TestLoginPostgres: the provider on PostgreSQL — two provider instances
// on one database (a login started at one finishes at the other, the
// tokens of one work at the other), and a grant withdrawn at one is gone
// at both.
func TestLoginPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	wd := newWorldDB(t, dsn)
	other := wd.secondInstance(t)
	ctx := context.Background()
	op, err := gooidc.NewProvider(ctx, wd.issuer)
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: portalID, ClientSecret: portalSecret, Endpoint: op.Endpoint(), RedirectURL: portalRedir,
		Scopes: []string{gooidc.ScopeOpenID, oidcprovider.ScopeProfile, gooidc.ScopeOfflineAccess}}
	pkce := oauth2.GenerateVerifier()
	// Every other request of the browser and the wallet goes to the
	// other instance.
	wd.alternate(other)
	q := wd.login(t, browser(t), conf.AuthCodeURL("s", oauth2.S256ChallengeOption(pkce)), true)
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pkce))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err != nil {
		t.Fatal(err)
	}
	tok2, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatal(err)
	}
	gs, err := wd.w.Grants(ctx)
	if err != nil || len(gs) != 1 {
		t.Fatalf("grants %+v %v", gs, err)
	}
	if err := wd.w.RevokeGrant(ctx, gs[0].ID, holder.RevokeOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok2.RefreshToken}).Token(); err == nil {
		t.Fatal("refresh after withdrawal")
	}
	if n := wd.otherTurns.Load(); n < 2 {
		t.Fatalf("the second instance served %d requests", n)
	}
}
