package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/internal/nodeharness"
	"github.com/ikdkit/ikdkit/internal/pgtest"
	"github.com/ikdkit/ikdkit/issuer"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// servedIssuer is a running "ikd issuer serve --demo".
type servedIssuer struct {
	offer, txCode, dir string
	stop               context.CancelFunc
	done               chan int
	stderr             *syncBuffer
}

// syncBuffer is a strings.Builder safe for the command's goroutine and
// the test's.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveIssuer runs "ikd issuer serve --demo" in-process on the clock now
// and reads the offer and tx_code lines it prints.
func serveIssuer(t *testing.T, now func() time.Time, extra ...string) *servedIssuer {
	t.Helper()
	e, _, _ := testEnv()
	e.now = now
	pr, pw := io.Pipe()
	s := &servedIssuer{dir: t.TempDir(), done: make(chan int, 1), stderr: &syncBuffer{}}
	e.stdout, e.stderr = pw, s.stderr
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	go func() {
		code := run(ctx, e, append([]string{"issuer", "serve", "--demo", "--dir", s.dir}, extra...))
		pw.Close()
		s.done <- code
	}()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	lines := bufio.NewScanner(pr)
	var out []string
	for len(out) < 2 && lines.Scan() {
		out = append(out, lines.Text())
	}
	go io.Copy(io.Discard, pr)
	if len(out) < 2 {
		t.Fatalf("ikd issuer serve printed %q; stderr: %s", out, s.stderr)
	}
	s.offer = out[0]
	var ok bool
	if s.txCode, ok = strings.CutPrefix(out[1], "tx_code: "); !ok {
		t.Fatalf("second line %q, want tx_code: NNNNNN", out[1])
	}
	return s
}

// exit stops the issuer as Ctrl-C would and returns its exit status.
func (s *servedIssuer) exit(t *testing.T) int {
	t.Helper()
	s.stop()
	select {
	case code := <-s.done:
		s.done <- code // for the cleanup
		return code
	case <-time.After(10 * time.Second):
		t.Fatal("ikd issuer serve did not stop")
		return -1
	}
}

func TestIssuerServeUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"issuer", "serve", "--help"}, 0, ""},
		{"no subcommand", []string{"issuer"}, 2, "want a subcommand: serve"},
		{"unknown subcommand", []string{"issuer", "run"}, 2, `unknown subcommand "run"`},
		{"no --demo", []string{"issuer", "serve"}, 2, "--demo is required"},
		{"all interfaces", []string{"issuer", "serve", "--demo", "--addr", "0.0.0.0:0"}, 2, "loopback address only"},
		{"a LAN address", []string{"issuer", "serve", "--demo", "--addr", "192.168.1.10:8080"}, 2, "loopback address only"},
		{"a host name", []string{"issuer", "serve", "--demo", "--addr", "dukcapil.example.go.id:80"}, 2, "loopback address only"},
		{"no port", []string{"issuer", "serve", "--demo", "--addr", "127.0.0.1"}, 2, "--addr: want HOST:PORT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, out, errOut := testEnv()
			if code := run(context.Background(), e, tc.args); code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, errOut)
			}
			if tc.code == 0 && !strings.Contains(out.String(), "tx_code: 123456") {
				t.Errorf("help %q", out)
			}
			if !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("stderr %q, want %q", errOut, tc.want)
			}
		})
	}
}

// TestIssuerServeDemo: the demo issuer prints an offer by reference on
// its loopback identifier and a 6-digit tx_code; an ikdkit wallet
// trusting the written issuer key and IACA root redeems it (KTP-el and KK
// in both formats); the offer is single use; the metadata names the
// identifier; Ctrl-C stops it with exit status 0.
func TestIssuerServeDemo(t *testing.T) {
	s := serveIssuer(t, func() time.Time { return t0 })
	_, uri, err := oid4vci.ParseOfferLink(s.offer)
	if err != nil || uri == "" {
		t.Fatalf("offer %q: not by reference: %v", s.offer, err)
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" {
		t.Fatalf("offer URI %q", uri)
	}
	if len(s.txCode) != 6 || strings.Trim(s.txCode, "0123456789") != "" {
		t.Fatalf("tx_code %q", s.txCode)
	}
	resp, err := http.Get(u.Scheme + "://" + u.Host + "/.well-known/openid-credential-issuer")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	md, err := oid4vci.ParseCredentialIssuerMetadata(body, u.Scheme+"://"+u.Host)
	if err != nil || len(md.CredentialConfigurationsSupported) < 4 {
		t.Fatalf("metadata %+v: %v", md, err)
	}

	w := filepath.Join(t.TempDir(), "w")
	trust := []string{"--trust", filepath.Join(s.dir, "issuer.jwk.json"), "--trust", filepath.Join(s.dir, "iaca.pem")}
	act := append([]string{"wallet", "activate", "--wallet", w, "--offer", s.offer, "--tx-code", s.txCode}, trust...)
	runWalletEnv(t, nil, []wstep{
		{"init", []string{"wallet", "init", "--wallet", w}, nil, pin1, 0, "", ""},
		{"activate", act, nil, pin1, 0, "KTP-el (mso_mdoc) from CN=Ditjen Dukcapil DS", ""},
		{"list", []string{"wallet", "list", "--wallet", w}, nil, pin1, 0, "KK ", ""},
		{"offer used", act, nil, pin1, 1, "", "no open credential offer here"},
	})
	if code := s.exit(t); code != 0 {
		t.Fatalf("exit %d: %s", code, s.stderr)
	}
	if !strings.Contains(s.stderr.String(), "ikd issuer: stopped") {
		t.Errorf("stderr %q", s.stderr)
	}
}

// TestIssuerServeNodeWallet: a wallet built on @openid4vc/openid4vci
// (testdata/interop/oid4vci-js/wallet.mjs, under Node.js) redeems the
// offer "ikd issuer serve --demo" prints, with its tx_code, over
// loopback, and receives the KTP-el in both formats (and the rest of the
// offer); the credentials are the demo issuer's, bound to the wallet's
// keys (wallet.mjs checks the binding and the issuer's signature is
// checked here against the issuer key the command wrote).
func TestIssuerServeNodeWallet(t *testing.T) {
	const dir = "../../testdata/interop/oid4vci-js"
	if err := nodeharness.Require(dir, "@openid4vc/openid4vci", "@openid4vc/oauth2", "@sd-jwt/core", "@auth0/mdl"); err != nil {
		t.Fatalf("interop test cannot run: %v", err)
	}
	// The wallet signs its proofs on the real clock.
	s := serveIssuer(t, time.Now)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "wallet.mjs", "--offer", s.offer, "--tx-code", s.txCode, "--dpop")
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node wallet.mjs: %v\n%s", err, stderr.String())
	}
	var report struct {
		Credentials []struct {
			Configuration string `json:"configuration"`
			Format        string `json:"format"`
			Credential    string `json:"credential"`
		} `json:"credentials"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("wallet.mjs: %v\n%s", err, stdout.String())
	}
	if len(report.Errors) != 0 {
		t.Fatalf("wallet.mjs errors: %s", report.Errors)
	}
	pubJWK, err := os.ReadFile(filepath.Join(s.dir, "issuer.jwk.json"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := keys.ParsePublicKey(pubJWK)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range report.Credentials {
		got[c.Configuration] = c.Format
		if c.Configuration == "ktpel_dc_sd_jwt" {
			if _, err := sdjwt.VerifyVC(c.Credential, sdjwt.VerifyOptions{IssuerKey: pub, AllowNoKeyBinding: true}); err != nil {
				t.Fatalf("KTP-el SD-JWT VC from the demo issuer: %v", err)
			}
		}
	}
	if got["ktpel_dc_sd_jwt"] != "dc+sd-jwt" || got["ktpel_mso_mdoc"] != "mso_mdoc" {
		t.Fatalf("received %v, want the KTP-el in both formats", got)
	}
	if code := s.exit(t); code != 0 {
		t.Fatalf("exit %d: %s", code, s.stderr)
	}
}

// TestIssuerServePostgres: "ikd issuer serve --demo --db postgres://..."
// keeps its store in that PostgreSQL database: an ikdkit wallet redeems
// the offer, and a second run on the same database (fresh keys, the
// same store) issues to another wallet, its records beside the first
// run's.
func TestIssuerServePostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	for run := range 2 {
		s := serveIssuer(t, func() time.Time { return t0 }, "--db", dsn)
		if strings.Contains(s.stderr.String(), dsn) {
			t.Errorf("stderr shows the DSN: %s", s.stderr)
		}
		if _, err := os.Stat(filepath.Join(s.dir, "issuer-127.0.0.1.db")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("run %d made a SQLite file beside --db: %v", run, err)
		}
		w := filepath.Join(t.TempDir(), "w")
		trust := []string{"--trust", filepath.Join(s.dir, "issuer.jwk.json"), "--trust", filepath.Join(s.dir, "iaca.pem")}
		runWalletEnv(t, nil, []wstep{
			{"init", []string{"wallet", "init", "--wallet", w}, nil, pin1, 0, "", ""},
			{"activate", append([]string{"wallet", "activate", "--wallet", w, "--offer", s.offer, "--tx-code", s.txCode}, trust...), nil, pin1, 0, "KTP-el (mso_mdoc) from CN=Ditjen Dukcapil DS", ""},
		})
		if code := s.exit(t); code != 0 {
			t.Fatalf("run %d: exit %d: %s", run, code, s.stderr)
		}
	}
	ctx := context.Background()
	st, err := issuer.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var bindings int
	if err := st.View(ctx, func(tx issuer.Tx) error {
		events, err := tx.Audit(0, 1000)
		for _, ev := range events {
			if ev.Action == "activate" && ev.Outcome == "ok" {
				bindings++
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if bindings != 2 {
		t.Errorf("%d activations audited in the database, want one per run", bindings)
	}
}
