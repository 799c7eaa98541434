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

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/didkey"
	"github.com/ikdkit/ikdkit/internal/demoworld"
	"github.com/ikdkit/ikdkit/keys"
)

// step is one CLI invocation of a scripted table test; steps run in order
// and share a directory, like a tester's shell script.
type step struct {
	name  string
	args  []string
	stdin string // "@FILE" is the contents of FILE when the step runs
	code  int
	out   string // in stdout
	err   string // in stderr
}

// runSteps runs steps in order, each as a subtest; a failing step stops
// the script, since later steps depend on its files.
func runSteps(t *testing.T, steps []step) {
	t.Helper()
	for _, tc := range steps {
		ok := t.Run(tc.name, func(t *testing.T) {
			e, out, errOut := testEnv()
			e.stdin = strings.NewReader(tc.stdin)
			if name, ok := strings.CutPrefix(tc.stdin, "@"); ok {
				b, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				e.stdin = bytes.NewReader(b)
			}
			code := run(context.Background(), e, tc.args)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q; stdout %q", code, tc.code, errOut.String(), out.String())
			}
			if !strings.Contains(out.String(), tc.out) || !strings.Contains(errOut.String(), tc.err) {
				t.Errorf("stdout %q (want %q)\nstderr %q (want %q)", out.String(), tc.out, errOut.String(), tc.err)
			}
			if tc.code != 0 && strings.Count(errOut.String(), "\n") != 1 {
				t.Errorf("error not one line: %q", errOut.String())
			}
		})
		if !ok {
			t.FailNow()
		}
	}
}

// TestCLIStatus scripts a status list's life: new, revoke, publish (JWT and
// CWT), check, with the usage and operation errors.
func TestCLIStatus(t *testing.T) {
	d := t.TempDir()
	p := func(n string) string { return filepath.Join(d, n) }
	uri := "https://dukcapil.example.go.id/status/1"
	runSteps(t, []step{
		{"keygen", []string{"keygen", "--out", p("k.jwk"), "--pub", p("pub.jwk")}, "", 0, "", ""},
		{"other key", []string{"keygen", "--out", p("k2.pem"), "--pub", p("pub2.pem"), "--format", "pem"}, "", 0, "", ""},
		{"help", []string{"status", "--help"}, "", 0, "Example:", ""},
		{"no sub", []string{"status"}, "", 2, "", "want a subcommand"},
		{"bad sub", []string{"status", "frob"}, "", 2, "", "unknown subcommand"},
		{"new no uri", []string{"status", "new", "--out", p("l.json")}, "", 2, "", "--uri and --out are required"},
		{"new http", []string{"status", "new", "--uri", "http://x", "--out", p("l.json")}, "", 2, "", "https"},
		{"new bad bits", []string{"status", "new", "--uri", uri, "--bits", "3", "--out", p("l.json")}, "", 2, "", "--bits"},
		{"new huge", []string{"status", "new", "--uri", uri, "--size", "999999999999", "--out", p("l.json")}, "", 2, "", "--size"},
		{"new", []string{"status", "new", "--uri", uri, "--size", "101", "--out", p("l.json")}, "", 0, "104 entries of 2 bits", ""},
		{"revoke", []string{"status", "revoke", "--list", p("l.json"), "7", "42"}, "", 0, "2 entries set to INVALID", ""},
		{"suspend", []string{"status", "revoke", "--list", p("l.json"), "--status", "suspended", "9"}, "", 0, "SUSPENDED", ""},
		{"revoke out of range", []string{"status", "revoke", "--list", p("l.json"), "104"}, "", 1, "", "index 104"},
		{"revoke bad index", []string{"status", "revoke", "--list", p("l.json"), "-1"}, "", 2, "", ""},
		{"revoke bad status", []string{"status", "revoke", "--list", p("l.json"), "--status", "gone", "1"}, "", 2, "", "--status"},
		{"revoke not a list", []string{"status", "revoke", "--list", p("pub.jwk"), "1"}, "", 1, "", "not a status list file"},
		{"publish", []string{"status", "publish", "--list", p("l.json"), "--key", p("k.jwk"), "--out", p("s.jwt")}, "", 0, "", ""},
		{"publish cwt", []string{"status", "publish", "--list", p("l.json"), "--key", p("k.jwk"), "--format", "cwt", "--out", p("s.cwt")}, "", 0, "", ""},
		{"publish stdout", []string{"status", "publish", "--list", p("l.json"), "--key", p("k2.pem")}, "", 0, "ey", ""},
		{"publish no key", []string{"status", "publish", "--list", p("l.json")}, "", 2, "", "--key"},
		{"publish bad format", []string{"status", "publish", "--list", p("l.json"), "--key", p("k.jwk"), "--format", "xml"}, "", 2, "", "--format"},
		{"check valid", []string{"status", "check", "--key", p("pub.jwk"), p("s.jwt"), "8"}, "", 0, uri + " index 8: VALID", ""},
		{"check revoked", []string{"status", "check", "--key", p("pub.jwk"), p("s.jwt"), "42"}, "", 1, "INVALID", "status check failed: index 42"},
		{"check suspended cwt", []string{"status", "check", "--key", p("pub.jwk"), p("s.cwt"), "9"}, "", 1, "", "SUSPENDED"},
		{"check stdin", []string{"status", "check", "--key", p("pub.jwk"), "-", "7"}, "@" + p("s.jwt"), 1, "", "INVALID"},
		{"check wrong key", []string{"status", "check", "--key", p("pub2.pem"), p("s.jwt"), "8"}, "", 1, "", "status token:"},
		{"check expired", []string{"status", "check", "--key", p("pub.jwk"), "--at", "2026-03-03T10:00:00Z", p("s.jwt"), "8"}, "", 1, "", "status token:"},
		{"check out of range", []string{"status", "check", "--key", p("pub.jwk"), p("s.jwt"), "5000"}, "", 1, "", "index 5000"},
		{"check args", []string{"status", "check", "--key", p("pub.jwk"), p("s.jwt")}, "", 2, "", "want 2 argument(s)"},
	})
}

// TestCLITrust scripts a trust list: describe it with file references,
// build it self-contained, sign it, show it, and the errors.
func TestCLITrust(t *testing.T) {
	d := t.TempDir()
	p := func(n string) string { return filepath.Join(d, n) }
	ds, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	root, _, err := demoworld.NewPKI("Ditjen Dukcapil", ds, t0)
	if err != nil {
		t.Fatal(err)
	}
	did, err := didkey.New(ds.Public())
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, s string) {
		if err := os.WriteFile(p(name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("iaca.pem", string(keys.MarshalCertificatesPEM(root)))
	write("trust.json", `{"operator": "https://trust.example.go.id", "sequence": 3, "valid_for": "48h",
  "issuers": [{"id": "https://dukcapil.example.go.id", "name": "Ditjen Dukcapil",
    "keys": [{"kid": "k-2026", "file": "issuer.jwk.json"}, {"kid": "k-did", "did": "`+did.String()+`"}],
    "iaca_files": ["iaca.pem"], "vct": ["urn:eudi:pid:id:ktp-el:1"], "doctype": ["id.go.dukcapil.ktpel.1"]}],
  "verifiers": [{"id": "https://bank.example.co.id", "name": "Bank Contoh", "claims": {"urn:eudi:pid:id:ktp-el:1": ["name"]}}]}`)
	write("dup.json", `{"operator": "https://trust.example.go.id", "sequence": 1, "sequence": 2}`)
	write("unknown.json", `{"operator": "https://trust.example.go.id", "sequence": 1, "colour": "red"}`)
	write("twokeys.json", `{"operator": "https://t.example", "sequence": 1, "issuers": [{"id": "https://i.example", "name": "I",
  "keys": [{"kid": "a", "file": "issuer.jwk.json", "did": "`+did.String()+`"}]}]}`)
	write("badvalid.json", `{"operator": "https://trust.example.go.id", "sequence": 1, "valid_for": "-1h"}`)
	write("seq0.json", `{"operator": "https://trust.example.go.id", "sequence": 0}`)
	runSteps(t, []step{
		{"operator key", []string{"keygen", "--out", p("op.jwk"), "--pub", p("op.pub.jwk")}, "", 0, "", ""},
		{"issuer key", []string{"keygen", "--out", p("issuer.key.jwk"), "--pub", p("issuer.jwk.json")}, "", 0, "", ""},
		{"other key", []string{"keygen", "--out", p("x.jwk"), "--pub", p("x.pub.jwk")}, "", 0, "", ""},
		{"help", []string{"trust", "--help"}, "", 0, "Example:", ""},
		{"no sub", []string{"trust"}, "", 2, "", "want a subcommand"},
		{"build", []string{"trust", "build", "--out", p("built.json"), p("trust.json")}, "", 0, "", ""},
		{"build stdout", []string{"trust", "build", p("trust.json")}, "", 0, `"jwk": {`, ""},
		{"build dup", []string{"trust", "build", p("dup.json")}, "", 1, "", "not a trust list description"},
		{"build unknown", []string{"trust", "build", p("unknown.json")}, "", 1, "", "unknown field"},
		{"build two keys", []string{"trust", "build", p("twokeys.json")}, "", 1, "", "exactly one of jwk, did or file"},
		{"build bad valid_for", []string{"trust", "build", p("badvalid.json")}, "", 1, "", "valid_for"},
		{"build seq 0", []string{"trust", "build", p("seq0.json")}, "", 1, "", "seq"},
		{"sign no key", []string{"trust", "sign", p("trust.json")}, "", 2, "", "--key is required"},
		{"sign", []string{"trust", "sign", "--key", p("op.jwk"), "--kid", "op-1", "--out", p("trust.jwt"), p("trust.json")}, "", 0, "", ""},
		{"sign built", []string{"trust", "sign", "--key", p("op.jwk"), "--out", p("trust2.jwt"), p("built.json")}, "", 0, "", ""},
		{"show", []string{"trust", "show", "--operator-key", p("op.pub.jwk"), p("trust.jwt")}, "", 0,
			"trust list #3 by https://trust.example.go.id", ""},
		{"show built", []string{"trust", "show", "--operator-key", p("op.pub.jwk"), p("trust2.jwt")}, "", 0, "keys      k-2026, k-did", ""},
		{"show stdin", []string{"trust", "show", "--operator-key", p("op.pub.jwk"), "-"}, "@" + p("trust.jwt"), 0, "may ask   urn:eudi:pid:id:ktp-el:1: name", ""},
		{"show wrong key", []string{"trust", "show", "--operator-key", p("x.pub.jwk"), p("trust.jwt")}, "", 1, "", "trustlist:"},
		{"show stale", []string{"trust", "show", "--operator-key", p("op.pub.jwk"), "--at", "2026-03-05T00:00:00Z", p("trust.jwt")}, "", 1, "STALE", "stale since"},
		{"show no key", []string{"trust", "show", p("trust.jwt")}, "", 2, "", "--operator-key"},
		{"verify with list", []string{"verify", "--trust", p("trust.jwt"), "--operator-key", p("op.pub.jwk"), "--aud", "https://bank.example.co.id",
			p("iaca.pem")}, "", 1, "", "neither QR text"},
		{"verify with list and key", []string{"verify", "--trust", p("trust.jwt"), "--trust", p("x.pub.jwk"), "--operator-key", p("op.pub.jwk"),
			"--aud", "https://bank.example.co.id", p("iaca.pem")}, "", 2, "", "a signed trust list stands alone"},
	})
}

// TestCLIIssue scripts issuance: an SD-JWT VC and an mdoc from a JSON
// document, a batch from JSON lines, and the errors; the SD-JWT VC is
// then verified with the library.
func TestCLIIssue(t *testing.T) {
	d := t.TempDir()
	p := func(n string) string { return filepath.Join(d, n) }
	ktp, _, npwp, _, err := demoworld.ResidentDocuments()
	if err != nil {
		t.Fatal(err)
	}
	ktpJSON, _ := json.Marshal(ktp.SDJWTClaims(t0))
	npwpJSON, _ := json.Marshal(npwp.SDJWTClaims(t0))
	write := func(name string, b []byte) {
		if err := os.WriteFile(p(name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("ktp.json", ktpJSON)
	write("batch.jsonl", []byte(string(ktpJSON)+"\n\n"+string(npwpJSON)+"\n"))
	write("badbatch.jsonl", []byte(string(ktpJSON)+"\n{\"vct\": \"urn:x\"}\n"))
	write("unknown.json", []byte(`{"vct": "urn:example:other"}`))
	write("dup.json", []byte(`{"vct": "urn:x", "vct": "urn:y"}`))
	bad := strings.Replace(string(ktpJSON), `"personal_administrative_number":"3174015708950021"`, `"personal_administrative_number":"31740157089500"`, 1)
	if bad == string(ktpJSON) {
		t.Fatal("test document lacks the NIK")
	}
	write("badnik.json", []byte(bad))
	ds, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, leaf, err := demoworld.NewPKI("Ditjen Dukcapil", ds, t0)
	if err != nil {
		t.Fatal(err)
	}
	pemKey, _ := keys.MarshalPrivateKeyPEM(ds)
	write("ds.key.pem", pemKey)
	write("ds.pem", keys.MarshalCertificatesPEM(leaf))
	iss := "https://dukcapil.example.go.id"
	runSteps(t, []step{
		{"issuer key", []string{"keygen", "--out", p("k.jwk"), "--pub", p("pub.jwk")}, "", 0, "", ""},
		{"device key", []string{"keygen", "--out", p("dev.jwk"), "--pub", p("dev.pub.jwk")}, "", 0, "", ""},
		{"help", []string{"issue", "--help"}, "", 0, "Example:", ""},
		{"no key", []string{"issue", p("ktp.json")}, "", 2, "", "--key is required"},
		{"no iss", []string{"issue", "--key", p("k.jwk"), "--holder", p("dev.pub.jwk"), p("ktp.json")}, "", 2, "", "--iss is required"},
		{"no holder", []string{"issue", "--key", p("k.jwk"), "--iss", iss, p("ktp.json")}, "", 2, "", "--holder is required"},
		{"bad format", []string{"issue", "--key", p("k.jwk"), "--format", "x", p("ktp.json")}, "", 2, "", "--format"},
		{"half status", []string{"issue", "--key", p("k.jwk"), "--status-idx", "3", p("ktp.json")}, "", 2, "", "go together"},
		{"mdoc no chain", []string{"issue", "--key", p("k.jwk"), "--format", "mdoc", p("ktp.json")}, "", 2, "", "--chain"},
		{"sdjwt", []string{"issue", "--key", p("k.jwk"), "--iss", iss, "--kid", "k-2026", "--holder", p("dev.pub.jwk"),
			"--status-uri", iss + "/status/1", "--status-idx", "5", "--out", p("ktp.sdjwt"), p("ktp.json")}, "", 0, "", ""},
		{"sdjwt stdin", []string{"issue", "--key", p("k.jwk"), "--iss", iss, "--holder", p("dev.pub.jwk"), "-"}, "@" + p("ktp.json"), 0, "~", ""},
		{"mdoc", []string{"issue", "--key", p("ds.key.pem"), "--chain", p("ds.pem"), "--format", "mdoc", "--holder", p("dev.pub.jwk"),
			"--out", p("ktp.mdoc"), p("ktp.json")}, "", 0, "", ""},
		{"unknown type", []string{"issue", "--key", p("k.jwk"), "--iss", iss, "--holder", p("dev.pub.jwk"), p("unknown.json")}, "", 1, "", "not a known credential type"},
		{"duplicate member", []string{"issue", "--key", p("k.jwk"), "--iss", iss, "--holder", p("dev.pub.jwk"), p("dup.json")}, "", 1, "", "document:"},
		{"bad nik", []string{"issue", "--key", p("k.jwk"), "--iss", iss, "--holder", p("dev.pub.jwk"), p("badnik.json")}, "", 1, "", "document:"},
		{"batch", []string{"issue", "--batch", "--key", p("k.jwk"), "--iss", iss, "--holder", p("dev.pub.jwk"), "--out", p("batch.out"), p("batch.jsonl")}, "", 0, "", ""},
		{"batch bad line", []string{"issue", "--batch", "--key", p("k.jwk"), "--iss", iss, "--holder", p("dev.pub.jwk"), p("badbatch.jsonl")}, "", 1, "", "line 2:"},
	})
	pub, err := readPublicKey(p("pub.jwk"))
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := os.ReadFile(p("ktp.sdjwt"))
	v, err := sdjwt.VerifyVC(string(bytes.TrimSpace(tok)), sdjwt.VerifyOptions{IssuerKey: pub, Algorithms: keys.Algorithms(),
		Now: func() time.Time { return t0 }, AllowNoKeyBinding: true})
	if err != nil {
		t.Fatalf("issued SD-JWT VC does not verify: %v", err)
	}
	if got := v.StringClaim("personal_administrative_number"); got != demoworld.ResidentNIK {
		t.Errorf("NIK %q", got)
	}
	if idx, uri, ok := v.StatusList(); !ok || idx != 5 || uri != iss+"/status/1" {
		t.Errorf("status %d %q %v", idx, uri, ok)
	}
	cbor, _ := os.ReadFile(p("ktp.mdoc"))
	if s, err := mdoc.ParseIssuerSigned(cbor); err != nil || s.DocType() != credential.DocTypeKTPEL {
		t.Errorf("issued mdoc: %v", err)
	}
	lines, _ := os.ReadFile(p("batch.out"))
	if n := strings.Count(string(lines), "\n"); n != 2 {
		t.Errorf("batch wrote %d credentials, want 2", n)
	}
}

// TestCLIPresent scripts keygen -> issue -> present -> verify through the
// CLI only, and the present errors.
func TestCLIPresent(t *testing.T) {
	d := t.TempDir()
	p := func(n string) string { return filepath.Join(d, n) }
	ktp, _, _, _, err := demoworld.ResidentDocuments()
	if err != nil {
		t.Fatal(err)
	}
	ktpJSON, _ := json.Marshal(ktp.SDJWTClaims(t0))
	if err := os.WriteFile(p("ktp.json"), ktpJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	iss, bank, nonce := "https://dukcapil.example.go.id", "https://bank.example.co.id", "n-0S6_WzA2Mj"
	at := t0.Add(5 * time.Second).Format(time.RFC3339)
	runSteps(t, []step{
		{"issuer key", []string{"keygen", "--out", p("k.jwk"), "--pub", p("pub.jwk")}, "", 0, "", ""},
		{"device key", []string{"keygen", "--out", p("dev.jwk"), "--pub", p("dev.pub.jwk")}, "", 0, "", ""},
		{"other device key", []string{"keygen", "--out", p("dev2.jwk")}, "", 0, "", ""},
		{"issue", []string{"issue", "--key", p("k.jwk"), "--iss", iss, "--holder", p("dev.pub.jwk"), "--out", p("ktp.sdjwt"), p("ktp.json")}, "", 0, "", ""},
		{"help", []string{"present", "--help"}, "", 0, "Example:", ""},
		{"list", []string{"present", "--list", p("ktp.sdjwt")}, "", 0, `["address","locality"]`, ""},
		{"missing flags", []string{"present", "--key", p("dev.jwk"), p("ktp.sdjwt")}, "", 2, "", "--key, --aud and --nonce are required"},
		{"bad path", []string{"present", "--key", p("dev.jwk"), "--aud", bank, "--nonce", nonce, "--claim", "a..b", p("ktp.sdjwt")}, "", 2, "", "--claim"},
		{"bad json path", []string{"present", "--key", p("dev.jwk"), "--aud", bank, "--nonce", nonce, "--claim", `[{"x":1}]`, p("ktp.sdjwt")}, "", 2, "", "--claim"},
		{"not sdjwt", []string{"present", "--key", p("dev.jwk"), "--aud", bank, "--nonce", nonce, p("ktp.json")}, "", 1, "", "sdjwt:"},
		{"present", []string{"present", "--key", p("dev.jwk"), "--aud", bank, "--nonce", nonce, "--claim", "personal_administrative_number",
			"--claim", `["name"]`, "--claim", "address.locality", "--out", p("pres.txt"), p("ktp.sdjwt")}, "", 0, "", ""},
		{"present wrong device", []string{"present", "--key", p("dev2.jwk"), "--aud", bank, "--nonce", nonce, "--out", p("pres2.txt"), p("ktp.sdjwt")}, "", 0, "", ""},
		{"verify", []string{"verify", "--trust", p("pub.jwk"), "--aud", bank, "--nonce", nonce, "--at", at, p("pres.txt")}, "", 0, "RINA KARTIKA SARI", ""},
		{"verify wrong device", []string{"verify", "--trust", p("pub.jwk"), "--aud", bank, "--nonce", nonce, "--at", at, p("pres2.txt")}, "", 1, "", "holder binding"},
	})
	b, _ := os.ReadFile(p("pres.txt"))
	for _, hidden := range []string{"birthdate", "religion"} {
		for _, part := range strings.Split(string(b), "~") {
			if dec, err := b64url(part); err == nil && strings.Contains(string(dec), `"`+hidden+`"`) {
				t.Errorf("presentation discloses %s", hidden)
			}
		}
	}
}
