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
)

// TestCLI runs the commands on the demo's artefacts: every input form of
// verify, its failures with exit status 1 naming the check, usage errors
// with 2, and the qr and keygen commands.
func TestCLI(t *testing.T) {
	dir := t.TempDir()
	e, _, errOut := testEnv()
	if code := run(context.Background(), e, []string{"demo", "--dir", dir}); code != 0 {
		t.Fatalf("demo: exit %d: %s", code, errOut.String())
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	var meta struct{ Nonce string }
	b, _ := os.ReadFile(p("presentation-sdjwt.json"))
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	qrText, _ := os.ReadFile(p("qr.txt"))
	at := t0.Add(10 * time.Second).Format(time.RFC3339)
	late := t0.Add(5 * time.Minute).Format(time.RFC3339)
	bank := "https://bank.example.co.id"
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		code  int
		out   string // in stdout
		err   string // in stderr
	}{
		{"sdjwt", []string{"verify", "--trust", p("issuer.jwk.json"), "--aud", bank, "--nonce", meta.Nonce, "--at", at, p("presentation-sdjwt.txt")}, "", 0,
			"personal_administrative_number  3174015708950021", ""},
		{"sdjwt json", []string{"verify", "--json", "--trust", p("issuer.jwk.json"), "--aud", bank, "--nonce", meta.Nonce, "--at", at, p("presentation-sdjwt.txt")}, "", 0,
			`"name": "RINA KARTIKA SARI"`, ""},
		{"sdjwt wrong nonce", []string{"verify", "--trust", p("issuer.jwk.json"), "--aud", bank, "--nonce", "AAAAAAAAAAA", "--at", at, p("presentation-sdjwt.txt")}, "", 1,
			"", "nonce mismatch [freshness]"},
		{"sdjwt stale", []string{"verify", "--trust", p("issuer.jwk.json"), "--aud", bank, "--nonce", meta.Nonce, "--at", late, p("presentation-sdjwt.txt")}, "", 1,
			"", "not fresh"},
		{"sdjwt wrong key", []string{"verify", "--trust", p("iaca.pem"), "--aud", bank, "--at", at, p("presentation-sdjwt.txt")}, "", 1, "", "trust check failed"},
		{"mdoc", []string{"verify", "--trust", p("iaca.pem"), "--session-transcript", p("session-transcript.cbor"), "--at", at, p("device-response.cbor")}, "", 0,
			"RINA KARTIKA SARI", ""},
		{"mdoc wrong transcript", []string{"verify", "--trust", p("iaca.pem"), "--session-transcript", p("qr.txt"), "--at", at, p("device-response.cbor")}, "", 1, "", "mdoc:"},
		{"mdoc no transcript", []string{"verify", "--trust", p("iaca.pem"), p("device-response.cbor")}, "", 2, "", "--session-transcript is required"},
		{"qr text", []string{"verify", "--trust", p("issuer.jwk.json"), "--aud", bank, "--at", at, p("qr.txt")}, "", 0, "id.nik", ""},
		{"qr stdin", []string{"verify", "--trust", p("issuer.jwk.json"), "--aud", bank, "--at", at, "-"}, string(qrText), 0, "id.nik", ""},
		{"qr png", []string{"verify", "--trust", p("issuer.jwk.json"), "--aud", bank, "--at", at, p("qr.png")}, "", 0, "id.nik", ""},
		{"qr other verifier", []string{"verify", "--trust", p("issuer.jwk.json"), "--aud", "https://other.example", "--at", at, p("qr.txt")}, "", 1, "", "another verifier"},
		{"no trust", []string{"verify", p("qr.txt")}, "", 2, "", "--trust is required"},
		{"bad at", []string{"verify", "--trust", p("issuer.jwk.json"), "--at", "yesterday", p("qr.txt")}, "", 2, "", "--at"},
		{"missing input", []string{"verify", "--trust", p("issuer.jwk.json"), p("nope")}, "", 1, "", "no such file"},
		{"unknown input", []string{"verify", "--trust", p("issuer.jwk.json"), p("presentation-sdjwt.json")}, "", 1, "", "input is neither"},
		{"verify help", []string{"verify", "--help"}, "", 0, "Example:", ""},
		{"qr decode", []string{"qr", "decode", p("qr.png")}, "", 0, string(qrText), ""},
		{"qr encode terminal", []string{"qr", "encode", p("qr.txt")}, "", 0, "\u2580", ""},
		{"qr decode not image", []string{"qr", "decode", p("qr.txt")}, "", 1, "", "qr:"},
		{"qr no sub", []string{"qr"}, "", 2, "", "want a subcommand"},
		{"qr help", []string{"qr", "--help"}, "", 0, "Example:", ""},
		{"keygen no out", []string{"keygen"}, "", 2, "", "--out is required"},
		{"keygen", []string{"keygen", "--out", filepath.Join(t.TempDir(), "k.jwk")}, "", 0, `"kty":"EC"`, ""},
		{"keygen bad alg", []string{"keygen", "--alg", "RS256", "--out", filepath.Join(t.TempDir(), "k")}, "", 2, "", "--alg"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, out, errOut := testEnv()
			e.stdin = strings.NewReader(tc.stdin)
			code := run(context.Background(), e, tc.args)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.code, errOut.String())
			}
			if !strings.Contains(out.String(), tc.out) || !strings.Contains(errOut.String(), tc.err) {
				t.Errorf("stdout %q\nstderr %q", out.String(), errOut.String())
			}
			if tc.code != 0 && strings.Count(errOut.String(), "\n") != 1 {
				t.Errorf("error not one line: %q", errOut.String())
			}
		})
	}

	// encode to PNG and read it back.
	png := filepath.Join(t.TempDir(), "x.png")
	e2, _, errOut2 := testEnv()
	if code := run(context.Background(), e2, []string{"qr", "encode", "--png", png, p("qr.txt")}); code != 0 {
		t.Fatal(errOut2.String())
	}
	e3, out3, _ := testEnv()
	if code := run(context.Background(), e3, []string{"qr", "decode", png}); code != 0 || !bytes.Equal(out3.Bytes(), qrText) {
		t.Errorf("qr encode -> decode did not round trip (exit %d)", code)
	}
}
