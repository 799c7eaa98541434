package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/internal/demoworld"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vp"
	"github.com/ikdkit/ikdkit/verifier"
)

// servedVerifier is a running "ikd verifier serve --demo".
type servedVerifier struct {
	dir    string
	lines  chan string
	stop   context.CancelFunc
	done   chan int
	stderr *syncBuffer
}

// serveVerifier runs "ikd verifier serve --demo" in-process on t0.
func serveVerifier(t *testing.T, extra ...string) *servedVerifier {
	t.Helper()
	e, _, _ := testEnv()
	pr, pw := io.Pipe()
	s := &servedVerifier{dir: t.TempDir(), lines: make(chan string, 16), done: make(chan int, 1), stderr: &syncBuffer{}}
	e.stdout, e.stderr = pw, s.stderr
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	go func() {
		code := run(ctx, e, append([]string{"verifier", "serve", "--demo", "--dir", s.dir}, extra...))
		pw.Close()
		s.done <- code
	}()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
	}()
	return s
}

// next is the next line the verifier prints.
func (s *servedVerifier) next(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-s.lines:
		if !ok {
			t.Fatalf("ikd verifier serve ended; stderr: %s", s.stderr)
		}
		return l
	case <-time.After(20 * time.Second):
		t.Fatalf("ikd verifier serve printed nothing; stderr: %s", s.stderr)
	}
	return ""
}

func TestVerifierServeUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"verifier", "serve", "--help"}, 0, ""},
		{"no subcommand", []string{"verifier"}, 2, "want a subcommand: serve"},
		{"unknown subcommand", []string{"verifier", "run"}, 2, `unknown subcommand "run"`},
		{"no --demo", []string{"verifier", "serve"}, 2, "--demo is required"},
		{"no --trust", []string{"verifier", "serve", "--demo"}, 2, "--trust is required"},
		{"all interfaces", []string{"verifier", "serve", "--demo", "--addr", "0.0.0.0:0"}, 2, "loopback address only"},
		{"a host name", []string{"verifier", "serve", "--demo", "--addr", "bank.example.co.id:80"}, 2, "loopback address only"},
		{"no port", []string{"verifier", "serve", "--demo", "--addr", "127.0.0.1"}, 2, "--addr: want HOST:PORT"},
		{"vp help", []string{"wallet", "vp", "--help"}, 0, ""},
		{"vp no request", []string{"wallet", "vp"}, 2, "--request is required"},
		{"vp no trust", []string{"wallet", "vp", "--request", "openid4vp://?x=1"}, 2, "--trust (a signed trust list) and --operator-key are required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, out, errOut := testEnv()
			if code := run(context.Background(), e, tc.args); code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, errOut)
			}
			if tc.code == 0 && !strings.Contains(out.String(), "ikd wallet vp --request") {
				t.Errorf("help %q", out)
			}
			if !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("stderr %q, want %q", errOut, tc.want)
			}
		})
	}
}

// TestVerifierServeDemo: the demo bank prints an openid4vp:// link; a
// wallet holding Dukcapil's KTP-el answers it with "ikd wallet vp" against
// the trust list the bank wrote; the bank prints the verified claims and
// a new link; a refusal reaches the bank as access_denied; the page
// serves the QR; Ctrl-C stops it.
func TestVerifierServeDemo(t *testing.T) {
	ctx := context.Background()
	now := func() time.Time { return t0 }
	idir := t.TempDir()
	ktp, kk, _, _, err := demoworld.ResidentDocuments()
	if err != nil {
		t.Fatal(err)
	}
	party, err := demoworld.NewParty(ctx, demoworld.PartyConfig{Dir: idir, ID: dukcapilID, Name: "Ditjen Dukcapil", Now: now,
		Types: []credential.TypeInfo{credential.KTPELType(), credential.KKType()}, Documents: []credential.Document{ktp, kk}})
	if err != nil {
		t.Fatal(err)
	}
	defer party.Close()
	pub, err := keys.MarshalPublicJWK(party.Key.Public())
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(idir, "issuer.jwk.json")
	if err := os.WriteFile(keyFile, pub, 0o644); err != nil {
		t.Fatal(err)
	}

	w := filepath.Join(t.TempDir(), "w")
	runWallet(t, []wstep{{"init", []string{"wallet", "init", "--wallet", w}, nil, pin1, 0, "", ""}})
	local, err := trustlist.NewLocal(&trustlist.List{Operator: operatorID, Sequence: 1, IssuedAt: t0.Add(-time.Hour),
		NextUpdate: t0.Add(time.Hour), Issuers: []trustlist.Issuer{party.TrustEntry()}})
	if err != nil {
		t.Fatal(err)
	}
	e, _, _ := testEnv()
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

	s := serveVerifier(t, "--trust", keyFile)
	link := s.next(t)
	if !strings.HasPrefix(link, "openid4vp://") || !strings.Contains(link, "x509_san_dns%3Alocalhost") {
		t.Fatalf("link %q", link)
	}
	trust := []string{"--trust", filepath.Join(s.dir, "trust.jwt"), "--operator-key", filepath.Join(s.dir, "operator.jwk.json")}
	runWallet(t, []wstep{{"vp", append([]string{"wallet", "vp", "--wallet", w, "--request", link, "--yes"}, trust...), nil, pin1, 0,
		"the verifier accepted the response", `"Bank Contoh" <http://localhost:`}})
	got := s.next(t)
	if !strings.HasPrefix(got, "verified: ") || !strings.Contains(got, "personal_administrative_number="+demoworld.ResidentNIK) ||
		!strings.Contains(got, "name=") || !strings.Contains(got, "birthdate=") {
		t.Fatalf("verifier printed %q", got)
	}
	link2 := s.next(t)
	if !strings.HasPrefix(link2, "openid4vp://") || link2 == link {
		t.Fatalf("second link %q", link2)
	}
	// The link is single use.
	runWallet(t, []wstep{{"vp again", append([]string{"wallet", "vp", "--wallet", w, "--request", link, "--yes"}, trust...), nil, pin1, 1, "", ""}})
	// A refusal: the bank hears access_denied.
	runWallet(t, []wstep{{"vp refused", append([]string{"wallet", "vp", "--wallet", w, "--request", link2}, trust...), nil, pin1 + "n\n", 1,
		"", "consent refused"}})
	if got := s.next(t); !strings.HasPrefix(got, "failed: wallet: access_denied") {
		t.Fatalf("verifier printed %q", got)
	}
	link3 := s.next(t)
	resp, err := http.Get("http://" + hostOf(t, link3) + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "data:image/png;base64,") || !strings.Contains(string(body), "/vp/result/") {
		t.Fatalf("page %d %s", resp.StatusCode, body)
	}
	// The page's Digital Credentials API button: a signed DC API request
	// for the page's origin; a wallet's refusal through it is printed.
	if !strings.Contains(string(body), `id="dcapi"`) || !strings.Contains(string(body), `src="/vp/dcapi.js"`) {
		t.Fatalf("page without the DC API button: %s", body)
	}
	resp, err = http.Post("http://"+hostOf(t, link3)+"/dcapi/new", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var dc verifier.DCAPIRequest
	err = json.NewDecoder(resp.Body).Decode(&dc)
	resp.Body.Close()
	if err != nil || dc.Protocol != oid4vp.ProtocolSigned || !strings.HasPrefix(dc.ResponseURL, "http://localhost:") {
		t.Fatalf("DC API request %+v %v", dc, err)
	}
	if _, err := oid4vp.ParseDCAPIRequest(dc.Protocol, dc.Data); err != nil {
		t.Fatalf("DC API request data: %v", err)
	}
	refuse, _ := http.NewRequest(http.MethodPost, dc.ResponseURL, strings.NewReader(`{"error":"access_denied"}`))
	refuse.Header.Set("Content-Type", "application/json")
	refuse.Header.Set("Origin", "http://"+hostOf(t, link3))
	if resp, err := http.DefaultClient.Do(refuse); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("DC API refusal: %v %v", resp, err)
	}
	if got := s.next(t); !strings.HasPrefix(got, "failed: wallet: access_denied") {
		t.Fatalf("verifier printed %q", got)
	}
	// Consent typed on stdin after the PIN.
	runWallet(t, []wstep{{"vp typed yes", append([]string{"wallet", "vp", "--wallet", w, "--request", link3}, trust...), nil, pin1 + "y\n", 0,
		"Share? [y/N] shared with", ""}})
	if got := s.next(t); !strings.HasPrefix(got, "verified: ") {
		t.Fatalf("verifier printed %q", got)
	}
	s.stop()
	if code := <-s.done; code != 0 {
		t.Fatalf("exit %d: %s", code, s.stderr)
	}
	s.done <- 0
	if !strings.Contains(s.stderr.String(), "ikd verifier: stopped") {
		t.Errorf("stderr %q", s.stderr)
	}
}

// hostOf is the host:port of a link's request_uri.
func hostOf(t *testing.T, link string) string {
	t.Helper()
	i := strings.Index(link, "request_uri=http%3A%2F%2F")
	if i < 0 {
		t.Fatalf("link %q", link)
	}
	rest := link[i+len("request_uri=http%3A%2F%2F"):]
	j := strings.Index(rest, "%2F")
	return strings.ReplaceAll(rest[:j], "%3A", ":")
}
