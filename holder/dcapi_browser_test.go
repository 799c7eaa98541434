package holder

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/oid4vp"
	"github.com/ikdkit/ikdkit/verifier"
)

// The page side of the Digital Credentials API in a real browser
// (headless Chromium, the Debian package .ci/run installs): a bank page
// on loopback loads the VPHandler's dcapi.js and calls ikdkitDCAPI(tx).
// No wallet is installed in a headless browser, so the page's
// navigator.credentials.get is the one stand-in: it hands the request
// (protocol, data) and the page's own origin to this wallet over
// loopback, as the platform would, and returns its data as the
// DigitalCredential's. Everything else is real: the script, the browser's
// fetch to the response endpoint (with the Origin header it sets), the
// wallet (ReadDCAPIRequest, AnswerVPRequest) and the verifier.

// chromium finds the headless browser; the test fails without one.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no chromium on PATH: the Digital Credentials API page test needs the Debian package chromium (.ci/run installs it)")
	return ""
}

// platformShim stands in for the browser's wallet selector: it forwards
// navigator.credentials.get's request to the wallet at /wallet.
const platformShim = `
navigator.credentials.get = async (opts) => {
  const req = opts.digital.requests[0];
  const r = await fetch('/wallet', {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({protocol: req.protocol, data: req.data, origin: location.origin, mediation: opts.mediation})});
  if (!r.ok) throw new DOMException(await r.text(), 'NotAllowedError');
  return {protocol: req.protocol, data: await r.json()};
};
if (!('DigitalCredential' in window)) window.DigitalCredential = class {};
`

func TestDCAPIPageInBrowser(t *testing.T) {
	browser := chromium(t)
	f := activated(t)

	// The bank: a certificate for localhost, registered in the wallet's
	// trust list as https://localhost (the host is what counts).
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
	leaf := mk(&x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Bank Contoh"},
		NotBefore: t0.AddDate(0, -1, 0), NotAfter: t0.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature,
		DNSNames: []string{"localhost"}}, ca, leafKey.Public())
	reg := trustlist.Verifier{ID: "https://localhost", Name: "Bank Contoh",
		Keys: []trustlist.Key{{ID: "bank", Public: leafKey.Public()}},
		Claims: map[string][]string{credential.VCTKTPEL: {"name", "personal_administrative_number"},
			credential.DocTypeKTPEL: {"name", "personal_administrative_number"}}}
	list := signedList(t, f.is, []string{credential.VCTKTPEL}, []string{credential.DocTypeKTPEL}, reg)

	for _, tc := range []struct {
		name     string
		mode     oid4vp.ResponseMode
		unsigned bool
		query    string
		// pageHost serves the page from another origin than the
		// handler's; the wallet must refuse (wantError).
		pageHost, wantError string
	}{
		// Two credentials bound to different keys: the verifier ties them
		// by the NIK, so both disclose it.
		{"signed dc_api.jwt, SD-JWT VC and mdoc", oid4vp.ResponseModeDirectPostJWT, false, `{"credentials":[
			{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["` + credential.VCTKTPEL + `"]},"claims":[{"path":["name"]},{"path":["personal_administrative_number"]}]},
			{"id":"mdl","format":"mso_mdoc","meta":{"doctype_value":"` + credential.DocTypeKTPEL + `"},"claims":[{"path":["` + credential.DocTypeKTPEL + `","name"]},{"path":["` + credential.DocTypeKTPEL + `","personal_administrative_number"]}]}]}`, "", ""},
		{"unsigned dc_api, SD-JWT VC", oid4vp.ResponseModeDirectPost, true, `{"credentials":[
			{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["` + credential.VCTKTPEL + `"]},"claims":[{"path":["name"]}]}]}`, "", ""},
		{"signed, the page on another origin", oid4vp.ResponseModeDirectPost, false, `{"credentials":[
			{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["` + credential.VCTKTPEL + `"]},"claims":[{"path":["name"]}]}]}`,
			"127.0.0.1", "not among expected_origins"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h *verifier.VPHandler
			var page []byte
			walletSeen := make(chan string, 1)
			mux := http.NewServeMux()
			mux.Handle("/oid4vp/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
			mux.HandleFunc("GET /page", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Write(page)
			})
			mux.HandleFunc("POST /wallet", func(w http.ResponseWriter, r *http.Request) {
				var in struct {
					Protocol  string          `json:"protocol"`
					Data      json.RawMessage `json:"data"`
					Origin    string          `json:"origin"`
					Mediation string          `json:"mediation"`
				}
				if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				walletSeen <- in.Origin + " " + in.Mediation
				req, err := f.w.ReadDCAPIRequest(r.Context(), in.Protocol, in.Data, in.Origin, VPOptions{Verifiers: list})
				if err != nil {
					http.Error(w, err.Error(), http.StatusForbidden)
					return
				}
				a, err := f.w.AnswerVPRequest(r.Context(), req, PresentOptions{Consent: yes(nil)})
				if err != nil {
					http.Error(w, err.Error(), http.StatusForbidden)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.Write(a.DCAPIData)
			})
			// The handler needs the port: listen first, build it, then
			// serve (nothing is shared with the server's goroutines
			// before it starts).
			srv := httptest.NewUnstartedServer(mux)
			t.Cleanup(srv.Close)
			_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
			u := &url.URL{Host: "localhost:" + port}
			base := "http://localhost:" + port
			var err error
			h, err = verifier.NewVPHandler(hospitalVerifier(t, f, t0), verifier.VPHandlerConfig{BaseURL: base + "/oid4vp",
				Signer: leafKey, Chain: []*x509.Certificate{leaf}, ResponseMode: tc.mode, Now: f.clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			q, err := oid4vp.ParseQuery([]byte(tc.query))
			if err != nil {
				t.Fatal(err)
			}
			tx, err := h.NewDCAPIRequest(f.ctx, q, tc.unsigned)
			if err != nil {
				t.Fatal(err)
			}
			txJSON, err := json.Marshal(tx.DCAPI)
			if err != nil {
				t.Fatal(err)
			}
			page = []byte(fmt.Sprintf(`<!doctype html><html><head><meta charset="utf-8"><title>bank</title>
<script>%s</script><script src="/oid4vp/dcapi.js"></script></head>
<body><pre id="out">pending</pre><script>
ikdkitDCAPI(%s).then(
  (o) => { document.getElementById('out').textContent = 'outcome ' + JSON.stringify(o); },
  (e) => { document.getElementById('out').textContent = 'error ' + e.message; });
</script></body></html>`, platformShim, txJSON))
			srv.Start()

			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			pageURL := base + "/page"
			if tc.pageHost != "" {
				pageURL = "http://" + tc.pageHost + ":" + u.Port() + "/page"
			}
			cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
				"--no-first-run", "--user-data-dir="+t.TempDir(), "--virtual-time-budget=30000", "--dump-dom", pageURL)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			dom, err := cmd.Output()
			if err != nil {
				t.Fatalf("chromium: %v\n%s", err, stderr.String())
			}
			text := html.UnescapeString(string(dom))
			if tc.wantError != "" {
				if !strings.Contains(text, `<pre id="out">error `) || !strings.Contains(text, tc.wantError) {
					t.Fatalf("the page shows: %s", text)
				}
				if out, err := h.Result(f.ctx, tx.ID); err != nil || !out.Pending {
					t.Fatalf("outcome %+v %v", out, err)
				}
				return
			}
			if !strings.Contains(text, `outcome {"state":"verified"}`) {
				t.Fatalf("the page shows: %s\n(chromium: %s)", text, stderr.String())
			}
			select {
			case seen := <-walletSeen:
				if seen != base+" required" {
					t.Fatalf("the platform stand-in got origin and mediation %q", seen)
				}
			default:
				t.Fatal("the wallet was never asked")
			}
			out, err := h.Result(f.ctx, tx.ID)
			if err != nil || out.Err != nil || out.Result == nil {
				t.Fatalf("outcome %+v %v", out, err)
			}
			creds := out.Result.Credentials()
			if len(creds) != len(q.Credentials) || creds[0].Claims()["name"] != "RINA KARTIKA SARI" {
				t.Fatalf("credentials %+v", creds)
			}
			if _, ok := creds[0].Claims()["birthdate"]; ok {
				t.Fatal("the birth date was disclosed beyond the query")
			}
		})
	}
}
