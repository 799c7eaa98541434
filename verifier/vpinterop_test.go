package verifier

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/nodeharness"
	"github.com/ikdkit/ikdkit/oid4vp"
)

// The OpenID4VP interop tests (issue 20): testdata/interop/oid4vp-js/
// wallet.mjs, a Wallet built on the maintained @openid4vc/openid4vp
// package, answers the requests of our VPHandler.

const vpJSDir = "../testdata/interop/oid4vp-js"

var vpNode = sync.OnceValue(func() error {
	return nodeharness.Require(vpJSDir, "@openid4vc/openid4vp", "@openid4vc/oauth2", "@sd-jwt/core", "jose")
})

// vpInteropCA is newVPCA with the root certificate itself, which the
// Node Wallet is given as a PEM file.
func vpInteropCA(t *testing.T) (root *x509.Certificate, chain []*x509.Certificate, key *ecdsa.PrivateKey) {
	t.Helper()
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(tmpl, parent *x509.Certificate, pub any) *x509.Certificate {
		if parent == nil {
			parent = tmpl
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, rootKey)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	root = mk(&x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Bank Test CA"},
		NotBefore: t0.AddDate(-1, 0, 0), NotAfter: t0.AddDate(5, 0, 0),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true}, nil, &rootKey.PublicKey)
	leaf := mk(&x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Bank verifier"},
		NotBefore: t0.AddDate(0, -1, 0), NotAfter: t0.AddDate(1, 0, 0), DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature}, root, &leafKey.PublicKey)
	return root, []*x509.Certificate{leaf}, leafKey
}

// privateJWK is k as an EC private JWK.
func privateJWK(t *testing.T, k *ecdsa.PrivateKey) map[string]string {
	t.Helper()
	ek, err := k.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	pub := ek.PublicKey().Bytes() // 0x04 || X || Y
	b := base64.RawURLEncoding.EncodeToString
	return map[string]string{"kty": "EC", "crv": "P-256", "x": b(pub[1:33]), "y": b(pub[33:]), "d": b(ek.Bytes())}
}

// jsWalletResult is the line wallet.mjs prints.
type jsWalletResult struct {
	OK           bool   `json:"ok"`
	Status       int    `json:"status"`
	Body         string `json:"body"`
	ResponseMode string `json:"response_mode"`
	ClientID     string `json:"client_id"`
	ClientPrefix string `json:"client_prefix"`
	Version      int    `json:"version"`
	CredentialID string `json:"credential_id"`
	Error        string `json:"error"`
	Detail       string `json:"detail"`
}

// TestVPInteropJSWallet: wallet.mjs (@openid4vc/openid4vp's
// Openid4vpClient) resolves our signed request by reference, checks the
// x5c chain and the x509_san_dns binding, presents the fixture's KTP-el
// SD-JWT VC with a KB-JWT made by @sd-jwt/core, and posts it; the
// VPHandler's outcome is verified.
func TestVPInteropJSWallet(t *testing.T) {
	if err := vpNode(); err != nil {
		t.Fatalf("OpenID4VP interop test cannot run: %v", err)
	}
	for _, tc := range []struct {
		name   string
		mode   oid4vp.ResponseMode
		prefix oid4vp.ClientIDPrefix
	}{
		{name: "direct_post x509_san_dns", mode: oid4vp.ResponseModeDirectPost},
		{name: "direct_post.jwt x509_san_dns", mode: oid4vp.ResponseModeDirectPostJWT},
		{name: "direct_post x509_hash", mode: oid4vp.ResponseModeDirectPost, prefix: oid4vp.PrefixX509Hash},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			root, chain, key := vpInteropCA(t)
			var h *VPHandler
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
			t.Cleanup(srv.Close)
			u, _ := url.Parse(srv.URL)
			var err error
			h, err = NewVPHandler(f.verifier(t, nil), VPHandlerConfig{BaseURL: "http://localhost:" + u.Port() + "/oid4vp",
				Signer: key, Chain: chain, ResponseMode: tc.mode, ClientIDPrefix: tc.prefix})
			if err != nil {
				t.Fatal(err)
			}

			// The holder's credential, with every disclosure; wallet.mjs
			// picks the ones the query names.
			holderKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			o := f.ktpOpts()
			o.holder = holderKey
			sd := f.issueSDJWT(t, o).String()
			dir := t.TempDir()
			credFile, caFile := filepath.Join(dir, "cred.json"), filepath.Join(dir, "ca.pem")
			cj, _ := json.Marshal(map[string]any{"sd_jwt": sd, "holder_jwk": privateJWK(t, holderKey)})
			if err := os.WriteFile(credFile, cj, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Raw}), 0o600); err != nil {
				t.Fatal(err)
			}

			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			tx, err := h.NewRequest(ctx, vpQuery(t, `{"credentials":[{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["`+credential.VCTKTPEL+`"]},
				"claims":[{"path":["name"]},{"path":["personal_administrative_number"]}]}]}`))
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.CommandContext(ctx, "node", "wallet.mjs", "--request", tx.Link, "--credential", credFile, "--ca", caFile,
				"--now", strconv.FormatInt(f.clock.Now().Unix(), 10))
			cmd.Dir = vpJSDir
			var stderr strings.Builder
			cmd.Stderr = &stderr
			outb, runErr := cmd.Output()
			var res jsWalletResult
			if err := json.Unmarshal(outb, &res); err != nil {
				t.Fatalf("wallet.mjs: %v, %v: %s %s", runErr, err, outb, stderr.String())
			}
			if runErr != nil || !res.OK || res.Status != http.StatusOK {
				t.Fatalf("wallet.mjs: %v: %+v %s", runErr, res, stderr.String())
			}
			if res.ClientID != tx.ClientID || res.ResponseMode != string(tc.mode) || res.CredentialID != "pid" || res.Version != 100 {
				t.Fatalf("wallet.mjs saw %+v, transaction %+v", res, tx)
			}

			out, err := h.Result(ctx, tx.ID)
			if err != nil {
				t.Fatal(err)
			}
			if out.Pending || out.Err != nil || out.Result == nil {
				t.Fatalf("outcome %+v", out)
			}
			creds := out.Result.Credentials()
			if len(creds) != 1 || creds[0].Type() != credential.VCTKTPEL || out.Result.NIK() != testNIK || creds[0].Claims()["name"] == nil {
				t.Fatalf("credentials %+v", creds)
			}
			// Only what the query named (and the always-visible claims)
			// was disclosed.
			if _, ok := creds[0].Claims()["birthdate"]; ok {
				t.Fatalf("claims beyond the query disclosed: %v", creds[0].Claims())
			}
		})
	}
}
