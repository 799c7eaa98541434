package oidcprovider_test

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
	"github.com/ikdkit/ikdkit/oidcprovider"
)

// TestGrantEndpointRefusals: the withdrawal endpoint wants POST, a form,
// one client_id and a DPoP proof for itself; a key bound to no grant of
// that client gets 404 invalid_grant; a proof works once.
func TestGrantEndpointRefusals(t *testing.T) {
	wd := newWorld(t)
	endpoint := wd.issuer + oidcprovider.PathGrants
	key, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	proof := func(method, u string) string {
		p, err := oid4vci.NewDPoPProof(rand.Reader, key, method, u, "", "", wd.now())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	send := func(method, body, dpop string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, endpoint, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if dpop != "" {
			req.Header.Set("DPoP", dpop)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e struct {
			Error string `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e.Error
	}
	form := url.Values{"client_id": {portalID}}.Encode()
	for _, tc := range []struct {
		name, method, body, dpop string
		status                   int
		code                     string
	}{
		{"GET", http.MethodGet, "", "", http.StatusMethodNotAllowed, "invalid_request"},
		{"no client_id", http.MethodPost, "", proof("POST", endpoint), http.StatusBadRequest, "invalid_request"},
		{"two client_ids", http.MethodPost, "client_id=a&client_id=b", proof("POST", endpoint), http.StatusBadRequest, "invalid_request"},
		{"no DPoP", http.MethodPost, form, "", http.StatusBadRequest, "invalid_dpop_proof"},
		{"DPoP for another URL", http.MethodPost, form, proof("POST", wd.issuer+"/other"), http.StatusBadRequest, "invalid_dpop_proof"},
		{"DPoP for GET", http.MethodPost, form, proof("GET", endpoint), http.StatusBadRequest, "invalid_dpop_proof"},
		{"not a JWT", http.MethodPost, form, "x.y.z", http.StatusBadRequest, "invalid_dpop_proof"},
		{"big body", http.MethodPost, "client_id=" + strings.Repeat("a", 5000), proof("POST", endpoint), http.StatusBadRequest, "invalid_request"},
	} {
		if st, code := send(tc.method, tc.body, tc.dpop); st != tc.status || code != tc.code {
			t.Errorf("%s: HTTP %d %q, want %d %q", tc.name, st, code, tc.status, tc.code)
		}
	}
	p := proof("POST", endpoint)
	if st, code := send(http.MethodPost, form, p); st != http.StatusNotFound || code != "invalid_grant" {
		t.Fatalf("a key bound to no grant: HTTP %d %q", st, code)
	}
	if st, code := send(http.MethodPost, form, p); st != http.StatusBadRequest || code != "invalid_dpop_proof" {
		t.Fatalf("the same proof again: HTTP %d %q", st, code)
	}
}
