package holder

// Interoperability with an OpenID4VCI 1.0 issuer built on the maintained
// @openid4vc/openid4vci package (0.4.6, pinned by
// testdata/interop/oid4vci-js/package-lock.json; see its README): the
// wallet redeems the offers of issuer.mjs over loopback, by reference and
// by value, with DPoP optional and required, and stores the KTP-el it
// issues in both formats after verifying them against the issuer's key
// and IACA root; with a trust list that does not hold them it stores
// nothing and tells the issuer credential_failure.
//
// The test needs Node.js 20+ and npm: it runs `npm ci` when the pinned
// packages are not installed, and fails (never skips) when that is
// impossible.

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/nodeharness"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

const vciJSDir = "../testdata/interop/oid4vci-js"

// vciNode installs the pinned OpenID4VCI packages once per test binary.
var vciNode = sync.OnceValue(func() error {
	return nodeharness.Require(vciJSDir, "@openid4vc/openid4vci", "@openid4vc/oauth2", "@sd-jwt/core", "@auth0/mdl", "@peculiar/x509")
})

// vciRequireNode makes sure node and the pinned packages are usable,
// running `npm ci` if they are not installed.
func vciRequireNode(t *testing.T) {
	t.Helper()
	if err := vciNode(); err != nil {
		t.Fatalf("OpenID4VCI interop test cannot run: %v", err)
	}
}

// jsIssuer is a running issuer.mjs.
type jsIssuer struct {
	Issuer       string          `json:"issuer"`
	Offer        string          `json:"offer"`
	OfferByValue string          `json:"offer_by_value"`
	TxCode       string          `json:"tx_code"`
	IssuerJWK    json.RawMessage `json:"issuer_jwk"`
	IACAPEM      string          `json:"iaca_pem"`
}

// jsLog is the issuer's GET /test/log.
type jsLog struct {
	Tokens []struct {
		TokenType string `json:"token_type"`
	} `json:"tokens"`
	Issued []struct {
		Configuration string `json:"configuration"`
		Format        string `json:"format"`
		HolderJKT     string `json:"holder_jkt"`
	} `json:"issued"`
	Notifications []struct {
		Configuration    string `json:"configuration"`
		Event            string `json:"event"`
		EventDescription string `json:"event_description"`
	} `json:"notifications"`
}

// startJSIssuer starts `node issuer.mjs --port 0 args...`, waits for its
// one line and stops it with SIGTERM when the test ends.
func startJSIssuer(t *testing.T, args ...string) *jsIssuer {
	t.Helper()
	vciRequireNode(t)
	cmd := exec.Command("node", append([]string{"issuer.mjs", "--port", "0"}, args...)...)
	cmd.Dir = vciJSDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(out)
		line, _ := r.ReadString('\n')
		lines <- line
		io.Copy(io.Discard, r)
		cmd.Wait()
		close(done)
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(60 * time.Second):
		t.Fatalf("issuer.mjs printed no line in 60 s; stderr:\n%s", stderr.String())
	}
	var is jsIssuer
	if err := json.Unmarshal([]byte(line), &is); err != nil || is.Issuer == "" || is.Offer == "" {
		t.Fatalf("issuer.mjs line %q: %v; stderr:\n%s", line, err, stderr.String())
	}
	return &is
}

// trust returns the trust in the issuer's key and IACA root.
func (is *jsIssuer) trust(t *testing.T) StaticTrust {
	t.Helper()
	k, err := keys.ParsePublicJWK(is.IssuerJWK)
	if err != nil {
		t.Fatal(err)
	}
	roots, err := keys.ParseCertificatesPEM([]byte(is.IACAPEM))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(roots[0])
	return StaticTrust{Issuers: map[string]crypto.PublicKey{is.Issuer: k}, Roots: pool}
}

// newOffer asks the issuer for another offer (POST /test/offer) and
// returns it by value.
func (is *jsIssuer) newOffer(t *testing.T) (byValue, txCode string) {
	t.Helper()
	resp, err := http.Post(is.Issuer+"/test/offer", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var o struct {
		OfferByValue string `json:"offer_by_value"`
		TxCode       string `json:"tx_code"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&o); err != nil || o.OfferByValue == "" {
		t.Fatalf("POST /test/offer: %v", err)
	}
	return o.OfferByValue, o.TxCode
}

func (is *jsIssuer) log(t *testing.T) jsLog {
	t.Helper()
	resp, err := http.Get(is.Issuer + "/test/log")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var l jsLog
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil {
		t.Fatal(err)
	}
	return l
}

// interopWallet creates a wallet on the real clock (the issuer's
// credentials are valid from now) trusting trust.
func interopWallet(t *testing.T, trust IssuerTrust) *Wallet {
	t.Helper()
	w, err := Create(context.Background(), filepath.Join(t.TempDir(), "wallet"), testPIN, Options{KDF: testKDF, Trust: trust})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// TestInteropReceiveFromJSIssuer: the wallet receives the KTP-el in both
// formats from issuer.mjs, verified and stored, by reference and by value,
// and with --dpop required; the issuer saw DPoP tokens, credentials bound
// to the device key and two credential_accepted notifications.
func TestInteropReceiveFromJSIssuer(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		byValue bool
	}{
		{"by reference, DPoP optional", nil, false},
		{"by value", nil, true},
		{"DPoP required", []string{"--dpop", "required"}, false},
		{"DPoP off", []string{"--dpop", "off"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := startJSIssuer(t, tc.args...)
			ctx := context.Background()
			w := interopWallet(t, is.trust(t))
			offer, code := is.Offer, is.TxCode
			if tc.byValue {
				offer, code = is.newOffer(t)
			}
			var asked TxCodeRequest
			r, err := w.ReceiveOffer(ctx, offer, ReceiveOptions{Locale: "id", TxCode: func(_ context.Context, req TxCodeRequest) (string, error) {
				asked = req
				return code, nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			if asked.Length != 6 || asked.InputMode != oid4vci.InputModeNumeric || !strings.Contains(asked.Description, "PIN") {
				t.Errorf("tx_code request %+v", asked)
			}
			if r.Issuer != is.Issuer || len(r.Credentials) != 2 || r.NotificationErr != nil {
				t.Fatalf("received %+v", r)
			}
			var formats []credential.Format
			for _, c := range r.Credentials {
				formats = append(formats, c.Format)
				d, err := c.Document()
				if err != nil {
					t.Fatalf("%s: %v", c.Format, err)
				}
				k, ok := d.(*credential.KTPEL)
				if !ok || k.NIK().String() != "3174015708950021" || k.Fields().Name != "RINA KARTIKA SARI" {
					t.Errorf("%s: %T %+v", c.Format, d, d)
				}
			}
			if !slices.Equal(formats, []credential.Format{credential.FormatSDJWT, credential.FormatMdoc}) {
				t.Errorf("formats %v", formats)
			}
			stored, err := w.Credentials(ctx)
			if err != nil || len(stored) != 2 {
				t.Fatalf("stored %d, %v", len(stored), err)
			}
			acts, _ := w.Activity(ctx)
			if len(acts) != 1 || acts[0].Kind != ActivityActivation || acts[0].Counterparty != is.Issuer || !acts[0].Verified {
				t.Errorf("activity %+v", acts)
			}
			l := is.log(t)
			want := "DPoP"
			if slices.Equal(tc.args, []string{"--dpop", "off"}) {
				want = "Bearer"
			}
			if len(l.Tokens) != 1 || l.Tokens[0].TokenType != want {
				t.Errorf("tokens %+v, want one %s", l.Tokens, want)
			}
			// One credential per key proof, each bound to the key of the copy
			// the wallet stored it as.
			var issued []string
			for _, is := range l.Issued {
				issued = append(issued, is.HolderJKT)
			}
			if held := copyKeys(stored); len(issued) != len(held) || !sameSet(issued, held) {
				t.Errorf("issued to %v, copies held with keys %v", issued, held)
			}
			if len(l.Notifications) != 2 || l.Notifications[0].Event != "credential_accepted" || l.Notifications[1].Event != "credential_accepted" {
				t.Errorf("notifications %+v", l.Notifications)
			}
		})
	}
}

// TestInteropJSIssuerRefusals: the wallet refuses the issuer's credentials
// when its trust does not hold the issuer's key, or its IACA root, and
// tells the issuer credential_failure; a wrong tx_code is invalid_grant.
func TestInteropJSIssuerRefusals(t *testing.T) {
	is := startJSIssuer(t)
	ctx := context.Background()
	good := is.trust(t)
	otherKey, _ := keys.Generate(keys.ES256, nil)
	_, otherRoot, err := makePKI(otherKey)
	if err != nil {
		t.Fatal(err)
	}
	otherPool := x509.NewCertPool()
	otherPool.AddCert(otherRoot)
	for _, tc := range []struct {
		name  string
		trust StaticTrust
	}{
		{"issuer key not on the trust list", StaticTrust{Issuers: map[string]crypto.PublicKey{is.Issuer: otherKey.Public()}, Roots: good.Roots}},
		{"IACA root not on the trust list", StaticTrust{Issuers: good.Issuers, Roots: otherPool}},
		{"empty trust list", StaticTrust{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(is.log(t).Notifications)
			w := interopWallet(t, tc.trust)
			offer, code := is.newOffer(t)
			_, err := w.ReceiveOffer(ctx, offer, ReceiveOptions{TxCode: txCode(code)})
			if !errors.Is(err, ErrUntrustedIssuer) || stepOf(err) != StepVerify {
				t.Fatalf("error %v (step %q), want ErrUntrustedIssuer at verify", err, stepOf(err))
			}
			if c, _ := w.Credentials(ctx); len(c) != 0 {
				t.Errorf("stored %d credentials", len(c))
			}
			n := is.log(t).Notifications[before:]
			if len(n) != 2 || n[0].Event != "credential_failure" || n[1].Event != "credential_failure" {
				t.Errorf("notifications %+v", n)
			}
		})
	}
	t.Run("wrong tx_code", func(t *testing.T) {
		w := interopWallet(t, good)
		offer, code := is.newOffer(t)
		wrong := []byte(code)
		for i := range wrong {
			wrong[i] = '0' + (wrong[i]-'0'+1)%10
		}
		_, err := w.ReceiveOffer(ctx, offer, ReceiveOptions{TxCode: txCode(string(wrong))})
		var pe *oid4vci.ProtocolError
		if !errors.Is(err, ErrActivation) || stepOf(err) != StepToken || !errors.As(err, &pe) || pe.Code != oid4vci.CodeInvalidGrant {
			t.Fatalf("error %v, want invalid_grant at the token step", err)
		}
		// The right code still works afterwards.
		if _, err := w.ReceiveOffer(ctx, offer, ReceiveOptions{TxCode: txCode(code)}); err != nil {
			t.Fatal(err)
		}
	})
}
