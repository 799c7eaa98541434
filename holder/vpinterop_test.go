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
	"reflect"
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
	// mso_mdoc: the docType, the elements per namespace and the device
	// authentication ("signature" or "mac") @auth0/mdl verified.
	DocType    string                    `json:"doctype"`
	Elements   map[string]map[string]any `json:"elements"`
	DeviceAuth string                    `json:"device_auth"`
	// direct_post.jwt: the protected header of the JWE decrypted.
	JWEAlg string `json:"jwe_alg"`
	JWEEnc string `json:"jwe_enc"`
	JWEKid string `json:"jwe_kid"`
	Error  string `json:"error"`
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
// reference (x509_san_dns:localhost, direct_post or direct_post.jwt, DCQL
// for the name of a KTP-el SD-JWT VC, or of a KTP-el mdoc); the wallet
// reads it, trusting the registered verifier https://localhost with the
// leaf's key, and answers with consent; verifier.mjs parses the response
// with the library (decrypting it with jose for direct_post.jwt) and
// verifies the SD-JWT+KB with @sd-jwt/core or the DeviceResponse with
// @auth0/mdl over the SessionTranscript it computes itself.
func TestVPInteropJSVerifier(t *testing.T) {
	if err := vpNode(); err != nil {
		t.Fatalf("OpenID4VP interop test cannot run: %v", err)
	}
	for _, tc := range []struct {
		name      string
		mdoc      bool
		encrypted bool
	}{
		{name: "dc+sd-jwt direct_post"},
		{name: "dc+sd-jwt direct_post.jwt", encrypted: true},
		{name: "mso_mdoc direct_post", mdoc: true},
		{name: "mso_mdoc direct_post.jwt", mdoc: true, encrypted: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testVPInteropJSVerifier(t, tc.mdoc, tc.encrypted)
		})
	}
}

func testVPInteropJSVerifier(t *testing.T, asMdoc, encrypted bool) {
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
	certFile, keyFile := filepath.Join(dir, "leaf.pem"), filepath.Join(dir, "leaf-key.pem")
	jwkFile, iacaFile := filepath.Join(dir, "issuer.json"), filepath.Join(dir, "iaca.pem")
	jwk, _ := json.Marshal(publicJWK(t, issuerPub))
	for name, b := range map[string][]byte{
		certFile: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}),
		keyFile:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: leafDER}),
		jwkFile:  jwk,
		iacaFile: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.is.root.Raw}),
	} {
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := []string{"verifier.mjs", "--cert", certFile, "--key", keyFile, "--now", strconv.FormatInt(f.clk.Now().Unix(), 10)}
	if asMdoc {
		args = append(args, "--format", "mso_mdoc", "--iaca", iacaFile, "--doctype", credential.DocTypeKTPEL)
	} else {
		args = append(args, "--issuer-jwk", jwkFile, "--vct", credential.VCTKTPEL)
	}
	mode := "direct_post"
	if encrypted {
		mode = "direct_post.jwt"
		args = append(args, "--response-mode", mode)
	}
	cmd := exec.CommandContext(ctx, "node", args...)
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

	typ, format := credential.VCTKTPEL, credential.FormatSDJWT
	if asMdoc {
		typ, format = credential.DocTypeKTPEL, credential.FormatMdoc
	}
	// The registration allows the name of this format only (an mdoc
	// element is registered under its docType).
	reg := trustlist.Verifier{ID: "https://localhost", Name: "Bank Contoh (JS)",
		Keys:   []trustlist.Key{{ID: "bank-js", Public: leafKey.Public()}},
		Claims: map[string][]string{typ: {"name"}}}
	list := signedList(t, f.is, []string{credential.VCTKTPEL}, []string{credential.DocTypeKTPEL}, reg)
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
	if encrypted && (res.JWEAlg != "ECDH-ES" || res.JWEEnc != "A128GCM" || res.JWEKid != "enc-1") {
		t.Fatalf("verifier.mjs decrypted a JWE with %q %q %q", res.JWEAlg, res.JWEEnc, res.JWEKid)
	}
	if !encrypted && res.JWEAlg != "" {
		t.Fatalf("an encrypted response to a direct_post request: %+v", res)
	}
	if asMdoc {
		if res.DocType != credential.DocTypeKTPEL || res.DeviceAuth != "signature" {
			t.Fatalf("verifier.mjs verified %+v", res)
		}
		// Only the name was disclosed.
		want := map[string]map[string]any{credential.DocTypeKTPEL: {"name": "RINA KARTIKA SARI"}}
		if !reflect.DeepEqual(res.Elements, want) {
			t.Fatalf("verifier.mjs saw %v, want %v", res.Elements, want)
		}
	} else {
		if res.VCT != credential.VCTKTPEL || res.Claims["name"] != "RINA KARTIKA SARI" || res.KBAud != r.ClientID {
			t.Fatalf("verifier.mjs verified %+v", res)
		}
		// Only the name was disclosed.
		for _, c := range []string{"personal_administrative_number", "birthdate", "address"} {
			if _, ok := res.Claims[c]; ok {
				t.Fatalf("claim %s disclosed beyond the query: %v", c, res.Claims)
			}
		}
	}
	if len(seen.Items) != 1 || seen.Items[0].Format != format || len(seen.Items[0].Claims) != 1 || seen.Items[0].Claims[0].Name != "name" {
		t.Fatalf("consent: %+v", seen)
	}
}
