package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/internal/demoworld"
	"github.com/ikdkit/ikdkit/internal/grantinfo"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
	"github.com/ikdkit/ikdkit/oid4vp"
	"github.com/ikdkit/ikdkit/verifier"
)

// TestCLIWalletGrants: "ikd wallet vp" answers a login request of a
// provider (a verifier.VPHandler whose requests carry a grant entry),
// showing the grant on its consent screen; "ikd wallet grants" lists it;
// "ikd wallet revoke-grant" withdraws it with a DPoP proof of the copy
// key the login presented; a failure exits 1 and keeps it active.
func TestCLIWalletGrants(t *testing.T) {
	ctx := context.Background()
	now := func() time.Time { return t0 }
	ktp, kk, _, _, err := demoworld.ResidentDocuments()
	if err != nil {
		t.Fatal(err)
	}
	party, err := demoworld.NewParty(ctx, demoworld.PartyConfig{Dir: t.TempDir(), ID: dukcapilID, Name: "Ditjen Dukcapil", Now: now,
		Types: []credential.TypeInfo{credential.KTPELType(), credential.KKType()}, Documents: []credential.Document{ktp, kk}})
	if err != nil {
		t.Fatal(err)
	}
	defer party.Close()

	// The provider at http://localhost:PORT.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	id := localhostURL(ln)
	signer, chain, err := bankPKI("localhost", t0)
	if err != nil {
		t.Fatal(err)
	}
	opKey, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg := onlineBankRegistration(id, signer)
	reg.Name = "IKD Login"
	list := &trustlist.List{Operator: operatorID, Sequence: 1, IssuedAt: t0.Add(-time.Hour), NextUpdate: t0.Add(24 * time.Hour),
		Issuers: []trustlist.Issuer{party.TrustEntry()}, Verifiers: []trustlist.Verifier{reg}}
	tok, err := trustlist.Sign(list, opKey, trustlist.SignOptions{KeyID: "op-test"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	opPub, _ := keys.MarshalPublicJWK(opKey.Public())
	trustFile, opFile := filepath.Join(dir, "trust.jwt"), filepath.Join(dir, "operator.jwk.json")
	if os.WriteFile(trustFile, tok, 0o644) != nil || os.WriteFile(opFile, opPub, 0o644) != nil {
		t.Fatal("write trust list")
	}
	store, err := trustlist.NewStore(opKey.Public(), trustlist.StoreOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Update(tok); err != nil {
		t.Fatal(err)
	}
	until := t0.Add(90 * 24 * time.Hour)
	entry, err := (&grantinfo.Info{Endpoint: id + "/grant", ClientID: "portal-pajak", ClientName: "Portal Pajak",
		Scopes: []string{"openid", "ikd:nik"}, ExpiresAt: until.Unix()}).VerifierInfo()
	if err != nil {
		t.Fatal(err)
	}
	v, err := verifier.New(verifier.Config{Trust: store, Now: now, ClockSkew: 5 * time.Second, Audience: id, Policy: verifier.Policy{SkipStatus: true}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := verifier.NewVPHandler(v, verifier.VPHandlerConfig{BaseURL: id + "/vp", Signer: signer, Chain: chain, Now: now,
		VerifierInfo: []oid4vp.VerifierInfo{entry}})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var revoked []string // client_id and DPoP key thumbprint of each withdrawal
	failing := false
	mux := http.NewServeMux()
	mux.Handle("/vp/", h)
	mux.HandleFunc("POST /grant", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if failing {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"error":"temporarily_unavailable"}`))
			return
		}
		p, err := oid4vci.VerifyDPoPProof(r.Header.Get("DPoP"), oid4vci.DPoPOptions{Method: http.MethodPost, URL: id + "/grant", Now: t0, MaxAge: time.Minute})
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_dpop_proof"}`))
			return
		}
		revoked = append(revoked, r.PostFormValue("client_id")+" "+p.JKT())
		w.Write([]byte(`{"revoked":true}`))
	})
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux}}
	srv.Start()
	defer srv.Close()

	// A wallet holding Dukcapil's credentials.
	w := filepath.Join(t.TempDir(), "w")
	runWallet(t, []wstep{{"init", []string{"wallet", "init", "--wallet", w}, nil, pin1, 0, "", ""}})
	e, _, _ := testEnv()
	local, err := trustlist.NewLocal(list)
	if err != nil {
		t.Fatal(err)
	}
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

	q, err := vpIdentityQuery()
	if err != nil {
		t.Fatal(err)
	}
	tx, err := h.NewRequest(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	trust := []string{"--trust", trustFile, "--operator-key", opFile}
	runWallet(t, []wstep{
		{"no grants yet", []string{"wallet", "grants", "--wallet", w}, nil, pin1, 0, "no grants", ""},
		{"login", append([]string{"wallet", "vp", "--wallet", w, "--request", tx.Link}, trust...), nil, pin1 + "y\n", 0,
			"this is a login: Portal Pajak <portal-pajak> will keep access (scopes openid ikd:nik) until " + until.Format(time.RFC3339) + " unless you withdraw it", ""},
	})
	out := runWallet(t, []wstep{{"grants", []string{"wallet", "grants", "--wallet", w}, nil, pin1, 0, "Portal Pajak <portal-pajak>", ""}})
	if !strings.Contains(out, "IKD Login <"+id+">") || !strings.Contains(out, "openid ikd:nik") || !strings.Contains(out, "active") ||
		!strings.Contains(out, "KTP-el: name") {
		t.Fatalf("grants:\n%s", out)
	}
	var gs []struct {
		holder.Grant
		Status string `json:"status"`
	}
	js := runWallet(t, []wstep{{"grants json", []string{"wallet", "grants", "--wallet", w, "--json"}, nil, pin1, 0, "", ""}})
	if err := json.Unmarshal([]byte(js), &gs); err != nil || len(gs) != 1 || gs[0].Status != "active" || !gs[0].Until.Equal(until) {
		t.Fatalf("grants --json %s: %v", js, err)
	}
	g := gs[0]

	failing = true
	runWallet(t, []wstep{
		{"revoke fails", []string{"wallet", "revoke-grant", "--wallet", w, g.ID}, nil, pin1, 1, "", "grant withdrawal failed"},
		{"still active", []string{"wallet", "grants", "--wallet", w}, nil, pin1, 0, "active", ""},
	})
	failing = false
	runWallet(t, []wstep{
		{"unknown grant", []string{"wallet", "revoke-grant", "--wallet", w, "grant-nope"}, nil, pin1, 1, "", "no such grant"},
		{"no id", []string{"wallet", "revoke-grant", "--wallet", w}, nil, pin1, 2, "", "want 1 argument"},
		{"revoke", []string{"wallet", "revoke-grant", "--wallet", w, g.ID}, nil, pin1, 0, "grant " + g.ID + " of Portal Pajak <portal-pajak>: revoked 20", ""},
		{"revoked", []string{"wallet", "grants", "--wallet", w}, nil, pin1, 0, "revoked 20", ""},
		{"again", []string{"wallet", "revoke-grant", "--wallet", w, g.ID}, nil, pin1, 0, "revoked", ""},
		{"history", []string{"wallet", "history", "--wallet", w}, nil, pin1, 0, "grant_revoked", ""},
	})
	if len(revoked) != 1 || revoked[0] != "portal-pajak "+g.Copies[0].Key {
		t.Fatalf("provider saw withdrawals %q; the grant's copy key is %s", revoked, g.Copies[0].Key)
	}
}
