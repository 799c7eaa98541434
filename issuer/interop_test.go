package issuer

// Interoperability with a third-party OpenID4VCI 1.0 wallet: wallet.mjs of
// testdata/interop/oid4vci-js, built on @openid4vc/openid4vci 0.4.6
// (pinned by its package-lock.json), redeems offers of the Handler on a
// loopback server:
//
//   - a KTP-el (and its QR profile) in both formats, from the offer by
//     reference and by value, with a DPoP-bound token and as a batch; the
//     SD-JWT VCs verify with package sdjwt against the issuer's key and the
//     mdocs, presented with the wallet's revealed keys, with package mdoc
//     against the issuer's IACA root;
//   - a wrong tx_code: invalid_grant, and the right one still works;
//   - a replayed c_nonce: invalid_nonce;
//   - proofs for another audience: invalid_proof, nothing issued.
//
// The test needs Node.js 20+ and npm: it runs `npm ci` when the pinned
// packages are not installed, and fails (never skips) when that is
// impossible.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/internal/nodeharness"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

const interopVCIDir = "../testdata/interop/oid4vci-js"

// interopVCINode installs the pinned OpenID4VCI packages once per test
// binary.
var interopVCINode = sync.OnceValue(func() error {
	return nodeharness.Require(interopVCIDir, "@openid4vc/openid4vci", "@openid4vc/oauth2", "@sd-jwt/core", "@sd-jwt/sd-jwt-vc", "@auth0/mdl")
})

// interopRequireWallet makes sure node and the pinned packages are usable,
// running `npm ci` if they are not installed.
func interopRequireWallet(t *testing.T) {
	t.Helper()
	if err := interopVCINode(); err != nil {
		t.Fatalf("OpenID4VCI interop test cannot run: %v", err)
	}
}

// walletReport is wallet.mjs's one line of output.
type walletReport struct {
	Mode             string            `json:"mode"`
	Issuer           string            `json:"issuer"`
	OfferByReference bool              `json:"offer_by_reference"`
	DraftVersion     string            `json:"draft_version"`
	TokenType        string            `json:"token_type"`
	DPoP             bool              `json:"dpop"`
	HolderJWKs       []json.RawMessage `json:"holder_jwks"`
	Credentials      []struct {
		Configuration  string `json:"configuration"`
		Format         string `json:"format"`
		Credential     string `json:"credential"`
		NotificationID string `json:"notification_id"`
		KeyIndex       int    `json:"key_index"`
		DecodeError    string `json:"decode_error"`
		CountMismatch  string `json:"count_mismatch"`
	} `json:"credentials"`
	Notifications []struct {
		Configuration string `json:"configuration"`
		Status        int    `json:"status"`
	} `json:"notifications"`
	Errors []struct {
		Step             string `json:"step"`
		Configuration    string `json:"configuration"`
		Case             string `json:"case"`
		Status           int    `json:"status"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
		WWWAuthenticate  string `json:"www_authenticate"`
	} `json:"errors"`
}

// runWallet runs wallet.mjs with args and decodes its report.
func runWallet(t *testing.T, args ...string) *walletReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{"wallet.mjs"}, args...)...)
	cmd.Dir = interopVCIDir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node wallet.mjs %v: %v (context: %v)\nstderr:\n%s", args, err, ctx.Err(), stderr.String())
	}
	var r walletReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("wallet.mjs printed invalid JSON: %v\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	return &r
}

// interopIssuer is a Handler on a loopback server whose identifier is the
// server's URL, on the real clock (the wallet signs its proofs with it).
type interopIssuer struct {
	*hEnv
	base string
}

func newInteropIssuer(t *testing.T, hc HandlerConfig) *interopIssuer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	he := newHandlerEnv(t, hc, func(c *Config) {
		c.Identifier, c.StatusList.BaseURI, c.Now = base, base+"/status", time.Now
	})
	srv := &http.Server{Handler: he.h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &interopIssuer{hEnv: he, base: base}
}

// offerArgs are the wallet arguments of a fresh offer for testNIK.
func (ii *interopIssuer) offerArgs(t *testing.T, byReference bool) []string {
	t.Helper()
	g := ii.registerConfirm()
	link, err := g.Offer.Link()
	if byReference {
		link, err = g.Offer.ReferenceLink()
	}
	if err != nil {
		t.Fatal(err)
	}
	return []string{"--offer", link, "--tx-code", g.Offer.TxCode}
}

// checkImportable verifies a credential the wallet received: issued by
// this issuer (SD-JWT VC: its key; mdoc: its IACA root) for the
// configuration's type, bound to the wallet's key, which presents it.
func (ii *interopIssuer) checkImportable(t *testing.T, config, format, cred string, holder crypto.Signer) {
	t.Helper()
	c, ok := ii.iss.configs[config]
	if !ok || string(c.format) != format {
		t.Fatalf("configuration %s format %s", config, format)
	}
	issued, err := (&oid4vci.CredentialResponse{Credentials: []oid4vci.CredentialEntry{{Credential: cred}}}).Issued(c.format)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	switch c.format {
	case credential.FormatSDJWT:
		u, err := sdjwt.Parse(string(issued[0].Data))
		if err != nil {
			t.Fatal(err)
		}
		pres, err := u.Present(sdjwt.KeyBindingOptions{Signer: holder, Audience: "https://bank.example.id", Nonce: "n-1", IssuedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		v, err := sdjwt.VerifyVC(pres, sdjwt.VerifyOptions{IssuerKey: ii.key.Public(), Audience: "https://bank.example.id", Nonce: "n-1",
			Now: func() time.Time { return now }})
		if err != nil {
			t.Fatalf("%s: %v", config, err)
		}
		if v.VCT() != c.vct() {
			t.Fatalf("vct %s", v.VCT())
		}
		if iss, _ := v.Get(sdjwt.P("iss")); iss != ii.base {
			t.Fatalf("iss %v", iss)
		}
		if c.profile == ProfileFull {
			// The whole KTP-el decodes from the fully disclosed claims.
			all, err := sdjwt.VerifyVC(string(issued[0].Data), sdjwt.VerifyOptions{IssuerKey: ii.key.Public(), AllowNoKeyBinding: true,
				Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := credential.KTPELFromClaims(all.Claims()); err != nil {
				t.Fatalf("KTPELFromClaims: %v", err)
			}
		}
	case credential.FormatMdoc:
		m, err := mdoc.ParseIssuerSigned(issued[0].Data)
		if err != nil {
			t.Fatal(err)
		}
		tr, _ := mdoc.OpenID4VPSessionTranscript("x509_san_dns:bank.example.id", "n-2", nil, "https://bank.example.id/r")
		el := "name"
		if c.profile == ProfileQR {
			el = credential.QRClaimAgeOver18
		}
		resp, err := mdoc.Present(m, map[string][]string{c.docType(): {el}}, mdoc.PresentOptions{SessionTranscript: tr, DeviceKey: holder})
		if err != nil {
			t.Fatal(err)
		}
		roots := x509.NewCertPool()
		roots.AddCert(ii.root)
		if _, err := mdoc.Verify(resp, mdoc.VerifyOptions{Roots: roots, SessionTranscript: tr, DocType: c.docType(),
			Now: func() time.Time { return now }}); err != nil {
			t.Fatalf("%s: %v", config, err)
		}
	}
}

func TestInteropNodeWallet(t *testing.T) {
	interopRequireWallet(t)
	ii := newInteropIssuer(t, HandlerConfig{})
	ktpel := []string{"ktpel_dc_sd_jwt", "ktpel_mso_mdoc", "ktpel_qr_dc_sd_jwt", "ktpel_qr_mso_mdoc"}

	for _, tc := range []struct {
		name        string
		byReference bool
		batch       int
	}{
		{"offer by reference", true, 1},
		{"offer by value, batch of 2", false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(ii.offerArgs(t, tc.byReference), "--reveal-keys", "--batch", fmt.Sprint(tc.batch))
			r := runWallet(t, args...)
			if len(r.Errors) != 0 {
				t.Fatalf("errors: %+v", r.Errors)
			}
			// The library read the metadata as OpenID4VCI 1.0 and used
			// DPoP, which the issuer advertises.
			if r.DraftVersion != "V1" || r.TokenType != oid4vci.SchemeDPoP || !r.DPoP || r.Issuer != ii.base || r.OfferByReference != tc.byReference {
				t.Fatalf("report %+v", r)
			}
			if len(r.Credentials) != len(ktpel)*tc.batch || len(r.HolderJWKs) != tc.batch {
				t.Fatalf("%d credentials, %d keys", len(r.Credentials), len(r.HolderJWKs))
			}
			holders := make([]crypto.Signer, tc.batch)
			for i, j := range r.HolderJWKs {
				k, err := keys.ParsePrivateJWK(j)
				if err != nil {
					t.Fatal(err)
				}
				holders[i] = k
			}
			got := map[string]int{}
			for _, c := range r.Credentials {
				if c.DecodeError != "" || c.CountMismatch != "" || c.KeyIndex < 0 || c.NotificationID == "" {
					t.Fatalf("credential %+v", c)
				}
				got[c.Configuration]++
				ii.checkImportable(t, c.Configuration, c.Format, c.Credential, holders[c.KeyIndex])
			}
			for _, id := range ktpel {
				if got[id] != tc.batch {
					t.Fatalf("%s: %d credentials", id, got[id])
				}
			}
			if len(r.Notifications) != len(ktpel) {
				t.Fatalf("notifications %+v", r.Notifications)
			}
			for _, n := range r.Notifications {
				if n.Status != http.StatusNoContent {
					t.Fatalf("notification %+v", n)
				}
			}
		})
	}

	t.Run("wrong tx_code", func(t *testing.T) {
		args := ii.offerArgs(t, true)
		r := runWallet(t, append(args, "--mode", "wrong-tx-code")...)
		if len(r.Errors) != 1 || r.Errors[0].Step != "token" || r.Errors[0].Status != http.StatusBadRequest || r.Errors[0].Error != oid4vci.CodeInvalidGrant {
			t.Fatalf("errors %+v", r.Errors)
		}
		// The attempt counted, but the right code still works.
		r = runWallet(t, args...)
		if len(r.Errors) != 0 || len(r.Credentials) != len(ktpel) {
			t.Fatalf("after a wrong tx_code: errors %+v, %d credentials", r.Errors, len(r.Credentials))
		}
		// And the offer is single use.
		r = runWallet(t, args...)
		if len(r.Errors) != 1 || r.Errors[0].Step != "offer" && r.Errors[0].Error != oid4vci.CodeInvalidGrant {
			t.Fatalf("offer used twice: %+v", r.Errors)
		}
	})

	t.Run("replayed nonce", func(t *testing.T) {
		r := runWallet(t, append(ii.offerArgs(t, false), "--mode", "replayed-nonce")...)
		if len(r.Credentials) != len(ktpel) {
			t.Fatalf("%d credentials from the first uses", len(r.Credentials))
		}
		cases := map[string]int{}
		for _, e := range r.Errors {
			if e.Step != "credential" || e.Status != http.StatusBadRequest || e.Error != oid4vci.CodeInvalidNonce {
				t.Fatalf("error %+v, want invalid_nonce", e)
			}
			cases[e.Case]++
		}
		if cases["same-proofs-again"] != len(ktpel) || cases["same-nonce-new-proofs"] != len(ktpel) {
			t.Fatalf("cases %v", cases)
		}
	})

	t.Run("proof for another audience", func(t *testing.T) {
		var before int
		ii.store.db.QueryRow(`SELECT COUNT(*) FROM credentials`).Scan(&before)
		r := runWallet(t, append(ii.offerArgs(t, true), "--mode", "wrong-audience")...)
		if len(r.Credentials) != 0 || len(r.Errors) != len(ktpel) {
			t.Fatalf("credentials %d, errors %+v", len(r.Credentials), r.Errors)
		}
		for _, e := range r.Errors {
			if e.Step != "credential" || e.Case != "other-audience" || e.Status != http.StatusBadRequest || e.Error != oid4vci.CodeInvalidProof {
				t.Fatalf("error %+v, want invalid_proof", e)
			}
		}
		var after int
		ii.store.db.QueryRow(`SELECT COUNT(*) FROM credentials`).Scan(&after)
		if after != before {
			t.Fatalf("%d credentials recorded", after-before)
		}
	})
}
