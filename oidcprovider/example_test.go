package oidcprovider_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/oidcprovider"
	"github.com/ikdkit/ikdkit/verifier"
)

// A login provider for government portals: the relying parties are
// configured, the wallet's presentations are verified by package
// verifier against the trust list, and the provider is an http.Handler.
func ExampleNew() {
	now := time.Now
	// The OpenID4VP request key and its certificate for the provider's
	// host (from the provider's CA in production).
	reqKey, cert := exampleCert("login.example.go.id")
	trust, _ := trustlist.NewLocal(&trustlist.List{Operator: "https://trust.example.go.id", Sequence: 1,
		IssuedAt: now().Add(-time.Hour), NextUpdate: now().Add(23 * time.Hour),
		Verifiers: []trustlist.Verifier{{ID: "https://login.example.go.id", Name: "Login dengan IKD",
			Keys:   []trustlist.Key{{ID: "login-1", Public: reqKey.Public()}},
			Claims: map[string][]string{credential.VCTKTPEL: {"personal_administrative_number", "name", "birthdate"}}}}})
	status, _ := statuslist.NewCache(statuslist.CacheConfig{Keys: verifier.StatusKeys(fixedTrust{trust}), Now: now})
	v, err := verifier.New(verifier.Config{Trust: fixedTrust{trust}, Status: status, Now: now, Audience: "https://login.example.go.id"})
	if err != nil {
		fmt.Println(err)
		return
	}
	idKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	var tokenKey [32]byte
	rand.Read(tokenKey[:])
	pairwise := make([]byte, 32)
	rand.Read(pairwise)
	dir, _ := os.MkdirTemp("", "login")
	defer os.RemoveAll(dir)

	p, err := oidcprovider.New(oidcprovider.Config{
		Issuer: "https://login.example.go.id",
		Clients: []oidcprovider.Client{{ID: "portal", Name: "Portal Layanan Publik", Secret: "a long random secret",
			RedirectURIs: []string{"https://portal.example.go.id/callback"},
			Scopes:       []string{oidcprovider.ScopeProfile, oidcprovider.ScopeOfflineAccess}}},
		Verifier: v, RequestSigner: reqKey, RequestChain: []*x509.Certificate{cert},
		SigningKey: idKey, TokenKey: tokenKey, PairwiseKey: pairwise, Database: filepath.Join(dir, "login.db"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()

	// What an OpenID Connect client discovers.
	rec := httptest.NewRecorder()
	p.ServeHTTP(rec, httptest.NewRequest("GET", "https://login.example.go.id/.well-known/openid-configuration", nil))
	var d struct {
		Issuer  string   `json:"issuer"`
		PKCE    []string `json:"code_challenge_methods_supported"`
		Subject []string `json:"subject_types_supported"`
		Grants  []string `json:"grant_types_supported"`
		Types   []string `json:"response_types_supported"`
	}
	json.Unmarshal(rec.Body.Bytes(), &d)
	fmt.Println(d.Issuer)
	fmt.Println(d.PKCE, d.Subject, d.Types, d.Grants)
	// Output:
	// https://login.example.go.id
	// [S256] [pairwise] [code] [authorization_code refresh_token]
}

// fixedTrust is a trust list configured in code (a *trustlist.Store
// follows the operator's updates instead).
type fixedTrust struct{ l *trustlist.List }

func (f fixedTrust) Current() *trustlist.List { return f.l }
