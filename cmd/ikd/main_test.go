package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/qr/qrcode"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/keys"
)

// t0 is the tests' fixed clock.
var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// testEnv is an env with captured output, a fixed clock and the cheapest
// Argon2id the wallet accepts.
func testEnv() (*env, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, now: func() time.Time { return t0 },
		kdf: holder.KDFParams{Time: 1, MemoryKiB: holder.MinKDFMemoryKiB, Threads: 1}}, &out, &errOut
}

// TestDemo runs the demo with --dir and checks every artefact with the
// library packages: the SD-JWT VC presentation against the written JWK,
// the DeviceResponse against the written IACA root and SessionTranscript,
// and the PNG scanned back to the QR text.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	e, out, errOut := testEnv()
	if code := run(context.Background(), e, []string{"demo", "--dir", dir}); code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut.String(), out.String())
	}
	for _, want := range []string{
		"Ditjen Dukcapil", "Direktorat Jenderal Pajak", "BPJS Kesehatan",
		"tx_code", "consent screen: \"Bank Contoh\"", "verified by the hospital", "two copies of one batch",
		"id.nik        3174015708950021",
		"fails at the \"status\" check: verifier: credential revoked",
		"over OpenID4VP (loopback)", "client_id x509_san_dns:localhost",
		"the bank verified the response (issuer signature, key binding to its client_id and nonce, status): NIK 3174015708950021",
		"Log in to a government portal with IKD", "consent screen: \"Login dengan IKD\" asks, to log in to \"Portal Layanan Publik\"",
		"verified the ID token with go-oidc", "amr [pop]", "no NIK: the portal did not ask for the nik scope",
		"the portal's next refresh",
		"every step behaved as expected",
		"\u2580", // the terminal QR
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out.String())
	}
	read := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, en := range entries {
		names = append(names, en.Name())
	}
	if got, want := strings.Join(names, " "), "device-response.cbor iaca.pem issuer.jwk.json presentation-sdjwt.json presentation-sdjwt.txt qr.png qr.txt session-transcript.cbor status-list-revoked.jwt status-list.jwt"; got != want {
		t.Errorf("artefacts %q, want %q", got, want)
	}

	t.Run("presentation-sdjwt", func(t *testing.T) {
		pub, err := keys.ParsePublicJWK(read("issuer.jwk.json"))
		if err != nil {
			t.Fatal(err)
		}
		var meta struct{ Nonce, Aud string }
		if err := json.Unmarshal(read("presentation-sdjwt.json"), &meta); err != nil {
			t.Fatal(err)
		}
		v, err := sdjwt.VerifyVC(string(read("presentation-sdjwt.txt")), sdjwt.VerifyOptions{
			IssuerKey: pub, Algorithms: []keys.Algorithm{keys.ES256}, Audience: meta.Aud, Nonce: meta.Nonce,
			Now: func() time.Time { return t0.Add(10 * time.Second) }})
		if err != nil {
			t.Fatal(err)
		}
		if got := v.StringClaim("personal_administrative_number"); got != residentNK {
			t.Errorf("NIK %q", got)
		}
		if meta.Aud != bankID {
			t.Errorf("aud %q", meta.Aud)
		}
	})
	t.Run("device-response", func(t *testing.T) {
		roots, err := keys.ParseCertificatesPEM(read("iaca.pem"))
		if err != nil || len(roots) != 1 {
			t.Fatalf("iaca.pem: %d certificates, %v", len(roots), err)
		}
		pool := x509Pool(roots...)
		vr, err := mdoc.Verify(read("device-response.cbor"), mdoc.VerifyOptions{Roots: pool,
			SessionTranscript: read("session-transcript.cbor"), Now: func() time.Time { return t0.Add(10 * time.Second) }})
		if err != nil {
			t.Fatal(err)
		}
		if len(vr.Documents()) != 1 {
			t.Fatalf("%d documents", len(vr.Documents()))
		}
		// A different transcript must not verify.
		if _, err := mdoc.Verify(read("device-response.cbor"), mdoc.VerifyOptions{Roots: pool,
			SessionTranscript: append(read("session-transcript.cbor"), 0), Now: func() time.Time { return t0.Add(10 * time.Second) }}); err == nil {
			t.Error("verified against a modified session transcript")
		}
	})
	t.Run("qr.png", func(t *testing.T) {
		got, err := qrcode.ScanImage(bytes.NewReader(read("qr.png")))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(read("qr.txt")) {
			t.Error("qr.png does not scan to qr.txt")
		}
		if _, err := qr.Decode(got); err != nil {
			t.Errorf("qr.txt is not a response QR: %v", err)
		}
	})
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string // expected in stdout
		err  string // expected in stderr
	}{
		{"no args", nil, 2, "", "Usage:"},
		{"unknown", []string{"bogus"}, 2, "", `unknown command "bogus"`},
		{"help", []string{"help"}, 0, "ikd demo", ""},
		{"demo help", []string{"demo", "--help"}, 0, "Example:", ""},
		{"demo bad flag", []string{"demo", "--nope"}, 2, "", "flag provided but not defined"},
		{"demo extra arg", []string{"demo", "x"}, 2, "", "want 0 argument(s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, out, errOut := testEnv()
			if code := run(context.Background(), e, tc.args); code != tc.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tc.code, errOut.String())
			}
			if !strings.Contains(out.String(), tc.out) || !strings.Contains(errOut.String(), tc.err) {
				t.Errorf("stdout %q, stderr %q", out.String(), errOut.String())
			}
			if n := strings.Count(strings.TrimSpace(errOut.String()), "\n"); tc.code == 2 && tc.args != nil && n != 0 {
				t.Errorf("error is %d lines: %q", n+1, errOut.String())
			}
			if tc.code == 2 && tc.args != nil && out.Len() != 0 {
				t.Errorf("a usage error wrote to stdout: %q", out.String())
			}
			if n := strings.Count(out.String(), "usage: "); tc.code == 0 && tc.args[0] != "help" && n != 1 {
				t.Errorf("help printed %d times", n)
			}
		})
	}
}
