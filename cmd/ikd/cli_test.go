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
	// v is ikd verify of the demo's KTP-el issuer key, its status list as
	// the bank cached it, at t0+10s.
	v := func(args ...string) []string {
		return append([]string{"verify", "--trust", p("issuer.jwk.json"), "--aud", bank, "--status", p("status-list.jwt"), "--at", at}, args...)
	}
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		code  int
		out   string // in stdout
		err   string // in stderr
	}{
		{"sdjwt", v("--nonce", meta.Nonce, p("presentation-sdjwt.txt")), "", 0,
			"personal_administrative_number  3174015708950021", ""},
		{"sdjwt json", v("--json", "--nonce", meta.Nonce, p("presentation-sdjwt.txt")), "", 0,
			`"name": "RINA KARTIKA SARI"`, ""},
		{"sdjwt wrong nonce", v("--nonce", "AAAAAAAAAAA", p("presentation-sdjwt.txt")), "", 1,
			"", "verifier: presentation not fresh [freshness] (credential 0): sdjwt: key binding nonce mismatch [freshness]"},
		{"sdjwt stale", []string{"verify", "--trust", p("issuer.jwk.json"), "--aud", bank, "--status", p("status-list.jwt"), "--at", late,
			p("presentation-sdjwt.txt")}, "", 1, "", "not fresh [freshness]"},
		{"sdjwt revoked", []string{"verify", "--trust", p("issuer.jwk.json"), "--aud", bank, "--status", p("status-list-revoked.jwt"), "--at", at,
			p("presentation-sdjwt.txt")}, "", 1, "", "verifier: credential revoked [status] (credential 0)"},
		{"sdjwt no status data", []string{"verify", "--trust", p("issuer.jwk.json"), "--aud", bank, "--at", at, p("presentation-sdjwt.txt")}, "", 1,
			"", "verifier: no status information for credential [status]"},
		{"sdjwt no status", []string{"verify", "--no-status", "--trust", p("issuer.jwk.json"), "--aud", bank, "--at", at, p("presentation-sdjwt.txt")},
			"", 0, "status not checked", "warning: revocation was not checked"},
		{"sdjwt wrong key", []string{"verify", "--trust", p("iaca.pem"), "--aud", bank, "--no-status", "--at", at,
			p("presentation-sdjwt.txt")}, "", 1, "", "verifier: issuer not in the trust list [trust]"},
		{"status without its key", []string{"verify", "--trust", p("iaca.pem"), "--aud", bank, "--status", p("status-list.jwt"), "--at", at,
			p("presentation-sdjwt.txt")}, "", 1, "", "status-list.jwt: statuslist: no trusted key for status list uri"},
		{"mdoc", v("--trust", p("iaca.pem"), "--session-transcript", p("session-transcript.cbor"), p("device-response.cbor")), "", 0,
			"RINA KARTIKA SARI", ""},
		{"mdoc revoked", []string{"verify", "--trust", p("iaca.pem"), "--trust", p("issuer.jwk.json"), "--aud", bank,
			"--status", p("status-list-revoked.jwt"), "--session-transcript", p("session-transcript.cbor"), "--at", at, p("device-response.cbor")},
			"", 1, "", "verifier: credential revoked [status] (credential 0)"},
		{"mdoc wrong transcript", v("--trust", p("iaca.pem"), "--session-transcript", p("qr.txt"), p("device-response.cbor")), "", 1, "",
			"verifier: invalid configuration [input] (credential 0): mdoc: invalid argument [input]: SessionTranscript"},
		{"mdoc no transcript", v("--trust", p("iaca.pem"), p("device-response.cbor")), "", 2, "", "--session-transcript is required"},
		{"mdoc nonce", v("--trust", p("iaca.pem"), "--nonce", "n", "--session-transcript", p("session-transcript.cbor"), p("device-response.cbor")),
			"", 2, "", "--nonce does not apply to a DeviceResponse"},
		{"qr text", v(p("qr.txt")), "", 0, "id.nik", ""},
		{"qr stdin", v("-"), string(qrText), 0, "id.nik", ""},
		{"qr png", v(p("qr.png")), "", 0, "id.nik", ""},
		{"qr revoked", []string{"verify", "--trust", p("issuer.jwk.json"), "--aud", bank, "--status", p("status-list-revoked.jwt"), "--at", at,
			p("qr.png")}, "", 1, "", "verifier: credential revoked [status]"},
		{"qr twice", v(p("qr.txt"), p("qr.png")), "", 1, "verified presentation 1", "(presentation 2): verifier: presentation replayed [replay]"},
		{"qr other verifier", []string{"verify", "--trust", p("issuer.jwk.json"), "--aud", "https://other.example", "--status", p("status-list.jwt"),
			"--at", at, p("qr.txt")}, "", 1, "", "verifier: presentation made for another verifier [holder binding]"},
		{"no trust", []string{"verify", "--aud", bank, p("qr.txt")}, "", 2, "", "--trust is required"},
		{"no aud", []string{"verify", "--trust", p("issuer.jwk.json"), p("qr.txt")}, "", 2, "", "--aud is required"},
		{"bad at", []string{"verify", "--trust", p("issuer.jwk.json"), "--aud", bank, "--at", "yesterday", p("qr.txt")}, "", 2, "", "--at"},
		{"missing input", v(p("nope")), "", 1, "", "no such file"},
		{"unknown input", v(p("presentation-sdjwt.json")), "", 1, "", "neither QR text"},
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
