package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
