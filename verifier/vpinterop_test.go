package verifier

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/internal/nodeharness"
	"github.com/ikdkit/ikdkit/oid4vp"
)

// The OpenID4VP interop tests (issue 20): testdata/interop/oid4vp-js/
// wallet.mjs, a Wallet built on the maintained @openid4vc/openid4vp
// package, answers the requests of our VPHandler.

const vpJSDir = "../testdata/interop/oid4vp-js"

var vpNode = sync.OnceValue(func() error {
	return nodeharness.Require(vpJSDir, "@openid4vc/openid4vp", "@openid4vc/oauth2", "@sd-jwt/core", "jose", "@auth0/mdl")
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
	Format       string `json:"format"`
	// Disclosed: the mdoc elements @auth0/mdl put in the DeviceResponse.
	Disclosed map[string][]string `json:"disclosed"`
	Error     string              `json:"error"`
	Detail    string              `json:"detail"`
}

// TestVPInteropJSWallet: wallet.mjs (@openid4vc/openid4vp's
// Openid4vpClient) resolves our signed request by reference, checks the
// x5c chain and the x509_san_dns binding, presents the fixture's KTP-el
// (an SD-JWT VC with a KB-JWT made by @sd-jwt/core, or an mdoc
// DeviceResponse made by @auth0/mdl over the SessionTranscript it
// computes itself) and posts it; the VPHandler's outcome is verified.
// With --wrong-nonce or --wrong-aud the wallet binds the presentation to
// another nonce or client_id, and the VPHandler refuses it with a
// *check.Error.
func TestVPInteropJSWallet(t *testing.T) {
	if err := vpNode(); err != nil {
		t.Fatalf("OpenID4VP interop test cannot run: %v", err)
	}
	sdQuery := `{"credentials":[{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["` + credential.VCTKTPEL + `"]},
		"claims":[{"path":["name"]},{"path":["personal_administrative_number"]}]}]}`
	ns := credential.DocTypeKTPEL // the KTP-el elements' namespace is the docType
	mdocQuery := `{"credentials":[{"id":"mdl","format":"mso_mdoc","meta":{"doctype_value":"` + credential.DocTypeKTPEL + `"},
		"claims":[{"path":["` + ns + `","name"]},{"path":["` + ns + `","personal_administrative_number"]}]}]}`
	for _, tc := range []struct {
		name   string
		mode   oid4vp.ResponseMode
		prefix oid4vp.ClientIDPrefix
		mdoc   bool
		// wrongNonce, wrongAud: the wallet binds the presentation to
		// another nonce or client_id; the VPHandler must refuse with
		// check and sentinel.
		wrongNonce, wrongAud bool
		check                check.Check
		sentinel             error
	}{
		{name: "direct_post x509_san_dns", mode: oid4vp.ResponseModeDirectPost},
		{name: "direct_post.jwt x509_san_dns", mode: oid4vp.ResponseModeDirectPostJWT},
		{name: "direct_post x509_hash", mode: oid4vp.ResponseModeDirectPost, prefix: oid4vp.PrefixX509Hash},
		{name: "mdoc direct_post x509_san_dns", mode: oid4vp.ResponseModeDirectPost, mdoc: true},
		{name: "mdoc direct_post.jwt x509_san_dns", mode: oid4vp.ResponseModeDirectPostJWT, mdoc: true},
		{name: "mdoc direct_post x509_hash", mode: oid4vp.ResponseModeDirectPost, prefix: oid4vp.PrefixX509Hash, mdoc: true},
		{name: "wrong nonce in the KB-JWT", mode: oid4vp.ResponseModeDirectPost, wrongNonce: true,
			check: check.Freshness, sentinel: ErrNotFresh},
		{name: "mdoc SessionTranscript of a wrong nonce", mode: oid4vp.ResponseModeDirectPost, mdoc: true, wrongNonce: true,
			check: check.HolderBinding, sentinel: mdoc.ErrInvalidSignature},
		{name: "KB-JWT for another client_id", mode: oid4vp.ResponseModeDirectPost, wrongAud: true,
			check: check.HolderBinding, sentinel: ErrAudience},
		{name: "mdoc SessionTranscript of another client_id", mode: oid4vp.ResponseModeDirectPostJWT, mdoc: true, wrongAud: true,
			check: check.HolderBinding, sentinel: mdoc.ErrInvalidSignature},
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

			// The holder's credential, with every disclosure (every
			// element); wallet.mjs picks the ones the query names.
			holderKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			query, credID, cred := sdQuery, "pid", map[string]any{}
			if tc.mdoc {
				o := f.ktpMdoc()
				o.device = holderKey
				query, credID = mdocQuery, "mdl"
				cred["mdoc_hex"] = hex.EncodeToString(mdocForJS(t, f.issueMdoc(t, o)))
				cred["device_jwk"] = privateJWK(t, holderKey)
			} else {
				o := f.ktpOpts()
				o.holder = holderKey
				cred["sd_jwt"] = f.issueSDJWT(t, o).String()
				cred["holder_jwk"] = privateJWK(t, holderKey)
			}
			dir := t.TempDir()
			credFile, caFile := filepath.Join(dir, "cred.json"), filepath.Join(dir, "ca.pem")
			cj, _ := json.Marshal(cred)
			if err := os.WriteFile(credFile, cj, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Raw}), 0o600); err != nil {
				t.Fatal(err)
			}

			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			tx, err := h.NewRequest(ctx, vpQuery(t, query))
			if err != nil {
				t.Fatal(err)
			}
			args := []string{"wallet.mjs", "--request", tx.Link, "--credential", credFile, "--ca", caFile,
				"--now", strconv.FormatInt(f.clock.Now().Unix(), 10)}
			if tc.wrongNonce {
				args = append(args, "--wrong-nonce")
			}
			if tc.wrongAud {
				args = append(args, "--wrong-aud")
			}
			cmd := exec.CommandContext(ctx, "node", args...)
			cmd.Dir = vpJSDir
			var stderr strings.Builder
			cmd.Stderr = &stderr
			outb, runErr := cmd.Output()
			var res jsWalletResult
			if err := json.Unmarshal(outb, &res); err != nil {
				t.Fatalf("wallet.mjs: %v, %v: %s %s", runErr, err, outb, stderr.String())
			}
			if res.ClientID != tx.ClientID || res.ResponseMode != string(tc.mode) || res.CredentialID != credID || res.Version != 100 {
				t.Fatalf("wallet.mjs saw %+v, transaction %+v (%s)", res, tx, stderr.String())
			}

			if tc.wrongNonce || tc.wrongAud {
				// The wallet got the VPHandler's refusal, and the
				// transaction failed with the typed error.
				if runErr != nil || res.OK || res.Status != http.StatusBadRequest {
					t.Fatalf("wallet.mjs: %v: %+v %s", runErr, res, stderr.String())
				}
				pe, err := oid4vp.ParseErrorResponse([]byte(res.Body))
				if err != nil || pe.Code != oid4vp.CodeInvalidRequest {
					t.Fatalf("error body %q: %v", res.Body, err)
				}
				out, err := h.Result(ctx, tx.ID)
				if err != nil {
					t.Fatal(err)
				}
				if out.Pending || out.Result != nil {
					t.Fatalf("outcome %+v", out)
				}
				var ce *check.Error
				if !errors.As(out.Err, &ce) || ce.Check != tc.check || !errors.Is(out.Err, tc.sentinel) {
					t.Fatalf("outcome error %v, want %v at %s", out.Err, tc.sentinel, tc.check)
				}
				return
			}

			if runErr != nil || !res.OK || res.Status != http.StatusOK {
				t.Fatalf("wallet.mjs: %v: %+v %s", runErr, res, stderr.String())
			}
			out, err := h.Result(ctx, tx.ID)
			if err != nil {
				t.Fatal(err)
			}
			if out.Pending || out.Err != nil || out.Result == nil {
				t.Fatalf("outcome %+v", out)
			}
			creds := out.Result.Credentials()
			if len(creds) != 1 || out.Result.NIK() != testNIK || creds[0].Claims()["name"] == nil {
				t.Fatalf("credentials %+v", creds)
			}
			if tc.mdoc {
				if creds[0].Format() != credential.FormatMdoc || creds[0].Type() != credential.DocTypeKTPEL {
					t.Fatalf("credential %s %s", creds[0].Format(), creds[0].Type())
				}
				// Exactly the queried elements were disclosed.
				got := creds[0].NameSpaces()
				if len(got) != 1 || len(got[ns]) != 2 || got[ns]["name"] != "RINA KARTIKA SARI" ||
					got[ns]["personal_administrative_number"] != testNIK {
					t.Fatalf("disclosed %v", got)
				}
				if want := map[string][]string{ns: {"name", "personal_administrative_number"}}; !reflect.DeepEqual(res.Disclosed, want) {
					t.Fatalf("wallet.mjs disclosed %v, want %v", res.Disclosed, want)
				}
				return
			}
			if creds[0].Type() != credential.VCTKTPEL {
				t.Fatalf("credential type %s", creds[0].Type())
			}
			// Only what the query named (and the always-visible claims)
			// was disclosed.
			if _, ok := creds[0].Claims()["birthdate"]; ok {
				t.Fatalf("claims beyond the query disclosed: %v", creds[0].Claims())
			}
		})
	}
}

// mdocForJS wraps an issued mdoc as @auth0/mdl's parse reads one: a
// DeviceResponse-shaped map {version, documents: [{docType,
// issuerSigned}], status} without deviceSigned, built with fxamacker/cbor
// around the IssuerSigned bytes of (*mdoc.IssuerSigned).MarshalCBOR.
func mdocForJS(t *testing.T, c *mdoc.IssuerSigned) []byte {
	t.Helper()
	is, err := c.MarshalCBOR()
	if err != nil {
		t.Fatal(err)
	}
	b, err := cbor.Marshal(map[string]any{"version": "1.0", "status": 0,
		"documents": []any{map[string]any{"docType": c.DocType(), "issuerSigned": cbor.RawMessage(is)}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
