package holder

import (
	"bufio"
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
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/internal/nodeharness"
)

// The OpenID4VP interop test in the wallet's direction (issue 20):
// testdata/interop/oid4vp-js/verifier.mjs, a Verifier built on the
// maintained @openid4vc/openid4vp package (Openid4vpVerifier) and
// @sd-jwt/core, asks; ReadVPRequest and AnswerVPRequest answer.

const vpJSDir = "../testdata/interop/oid4vp-js"

var vpNode = sync.OnceValue(func() error {
	return nodeharness.Require(vpJSDir, "@openid4vc/openid4vp", "@openid4vc/oauth2", "@sd-jwt/core", "jose", "@auth0/mdl")
})

// jsVerifierLine is a line verifier.mjs prints: first {link}, then the
// outcome of the response.
type jsVerifierLine struct {
	Link     string         `json:"link"`
	Verified bool           `json:"verified"`
	VCT      string         `json:"vct"`
	Claims   map[string]any `json:"claims"`
	KBAud    string         `json:"kb_aud"`
	Error    string         `json:"error"`
}

// publicJWK is k as an EC public JWK.
func publicJWK(t *testing.T, k *ecdsa.PublicKey) map[string]string {
	t.Helper()
	ek, err := k.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	pub := ek.Bytes() // 0x04 || X || Y
	b := base64.RawURLEncoding.EncodeToString
	return map[string]string{"kty": "EC", "crv": "P-256", "x": b(pub[1:33]), "y": b(pub[33:])}
}

// TestVPInteropJSVerifier: verifier.mjs creates a signed request by
// reference (x509_san_dns:localhost, direct_post, DCQL for the name of a
// KTP-el SD-JWT VC); the wallet reads it, trusting the registered
// verifier https://localhost with the leaf's key, and answers with
// consent; verifier.mjs parses the response with the library and verifies
// the SD-JWT+KB with @sd-jwt/core.
func TestVPInteropJSVerifier(t *testing.T) {
	if err := vpNode(); err != nil {
		t.Fatalf("OpenID4VP interop test cannot run: %v", err)
	}
	f := activated(t)

	// The verifier's PKI: a CA and a leaf for localhost.
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	mk := func(tmpl, parent *x509.Certificate, pub any) *x509.Certificate {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, caKey)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test Verifier CA"},
		NotBefore: t0.AddDate(-1, 0, 0), NotAfter: t0.AddDate(5, 0, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	ca := mk(caT, caT, caKey.Public())
	leaf := mk(&x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Bank Contoh (JS)"},
		NotBefore: t0.AddDate(0, -1, 0), NotAfter: t0.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature,
		DNSNames: []string{"localhost"}}, ca, leafKey.Public())

	issuerPub, ok := f.is.key.Public().(*ecdsa.PublicKey)
	if !ok {
		t.Fatalf("issuer key %T", f.is.key.Public())
	}
	leafDER, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile, jwkFile := filepath.Join(dir, "leaf.pem"), filepath.Join(dir, "leaf-key.pem"), filepath.Join(dir, "issuer.json")
	jwk, _ := json.Marshal(publicJWK(t, issuerPub))
	for name, b := range map[string][]byte{
		certFile: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}),
		keyFile:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: leafDER}),
		jwkFile:  jwk,
	} {
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "verifier.mjs", "--cert", certFile, "--key", keyFile, "--issuer-jwk", jwkFile,
		"--vct", credential.VCTKTPEL, "--now", strconv.FormatInt(f.clk.Now().Unix(), 10))
	cmd.Dir = vpJSDir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 0, 64<<10), 1<<20)
	next := func() jsVerifierLine {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("verifier.mjs ended: %v %s", lines.Err(), stderr.String())
		}
		var l jsVerifierLine
		if err := json.Unmarshal(lines.Bytes(), &l); err != nil {
			t.Fatalf("verifier.mjs: %v: %s", err, lines.Bytes())
		}
		return l
	}
	first := next()
	if first.Link == "" {
		t.Fatalf("verifier.mjs: %+v %s", first, stderr.String())
	}

	reg := trustlist.Verifier{ID: "https://localhost", Name: "Bank Contoh (JS)",
		Keys:   []trustlist.Key{{ID: "bank-js", Public: leafKey.Public()}},
		Claims: map[string][]string{credential.VCTKTPEL: {"name"}}}
	list := signedList(t, f.is, []string{credential.VCTKTPEL}, nil, reg)
	r, err := f.w.ReadVPRequest(ctx, first.Link, VPOptions{Verifiers: list})
	if err != nil {
		t.Fatalf("ReadVPRequest(%s): %v", first.Link, err)
	}
	if r.Verifier != reg.ID || r.ClientID != "x509_san_dns:localhost" {
		t.Fatalf("request: %+v", r)
	}
	var seen ConsentRequest
	if _, err := f.w.AnswerVPRequest(ctx, r, PresentOptions{Consent: yes(&seen)}); err != nil {
		t.Fatalf("AnswerVPRequest: %v (verifier.mjs: %s)", err, stderr.String())
	}
	res := next()
	if !res.Verified || res.Error != "" {
		t.Fatalf("verifier.mjs: %+v %s", res, stderr.String())
	}
	if res.VCT != credential.VCTKTPEL || res.Claims["name"] != "RINA KARTIKA SARI" || res.KBAud != r.ClientID {
		t.Fatalf("verifier.mjs verified %+v", res)
	}
	// Only the name was disclosed.
	for _, c := range []string{"personal_administrative_number", "birthdate", "address"} {
		if _, ok := res.Claims[c]; ok {
			t.Fatalf("claim %s disclosed beyond the query: %v", c, res.Claims)
		}
	}
	if len(seen.Items) != 1 || len(seen.Items[0].Claims) != 1 || seen.Items[0].Claims[0].Name != "name" {
		t.Fatalf("consent: %+v", seen)
	}
}
