package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/internal/demoworld"
)

// TestProgress runs the long commands with stderr as a terminal and as a
// pipe: on a terminal a progress line appears, is redrawn with carriage
// returns, reaches 100% and ends with a newline; on a pipe stderr stays
// empty. The outputs must be the same either way.
func TestProgress(t *testing.T) {
	d := t.TempDir()
	p := func(n string) string { return filepath.Join(d, n) }
	uri := "https://dukcapil.example.go.id/status/1"
	const size = 4 << 20 // 2-bit entries: a 1 MiB list, the progress threshold
	var indices strings.Builder
	for i := range progressMinIndices {
		fmt.Fprintf(&indices, "%d\n", i*7)
	}
	if err := os.WriteFile(p("idx.txt"), []byte(indices.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ktp, _, _, _, err := demoworld.ResidentDocuments()
	if err != nil {
		t.Fatal(err)
	}
	line, _ := json.Marshal(ktp.SDJWTClaims(t0))
	if err := os.WriteFile(p("batch.jsonl"), []byte(strings.Repeat(string(line)+"\n", 101)), 0o644); err != nil {
		t.Fatal(err)
	}
	setup := [][]string{
		{"keygen", "--out", p("k.jwk"), "--pub", p("pub.jwk")},
	}
	for _, args := range setup {
		e, _, errOut := testEnv()
		if code := run(context.Background(), e, args); code != 0 {
			t.Fatalf("%v: %s", args, errOut)
		}
	}
	for _, tc := range []struct {
		name  string
		args  []string
		lasts []string // the final state of each progress line, in order
	}{
		{"status new", []string{"status", "new", "--uri", uri, "--size", fmt.Sprint(size), "--out", p("l.json")}, []string{"compress [####################] 100% 1.0/1.0 MiB"}},
		{"status revoke", []string{"status", "revoke", "--list", p("l.json"), "--from", p("idx.txt")},
			[]string{"revoke [####################] 100% 10000/10000", "compress [####################] 100% 1.0/1.0 MiB"}},
		{"status publish", []string{"status", "publish", "--list", p("l.json"), "--key", p("k.jwk"), "--out", p("s.jwt")}, []string{"publish [####################] 100% 2/2"}},
		{"issue batch", []string{"issue", "--batch", "--key", p("k.jwk"), "--iss", "https://dukcapil.example.go.id",
			"--holder", p("pub.jwk"), "--out", p("batch.out"), p("batch.jsonl")}, []string{"issued 101"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var outs [2]string
			for i, tty := range []bool{true, false} {
				e, out, errOut := testEnv()
				e.stderrTTY = tty
				if code := run(context.Background(), e, tc.args); code != 0 {
					t.Fatalf("tty %v: exit %d: %q", tty, code, errOut)
				}
				outs[i] = out.String()
				got := errOut.String()
				if !tty {
					if got != "" {
						t.Errorf("not a terminal, yet stderr %q", got)
					}
					continue
				}
				if !strings.HasSuffix(got, "\n") {
					t.Errorf("terminal: stderr %q does not end with a newline", got)
				}
				lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
				if len(lines) != len(tc.lasts) {
					t.Fatalf("terminal: stderr %q, want %d progress line(s)", got, len(tc.lasts))
				}
				for i, l := range lines {
					draws := strings.Split(l, "\r")
					if draws[0] != "" || len(draws) < 2 {
						t.Errorf("terminal: line %q does not start with a carriage return", l)
					}
					if last := strings.TrimSpace(draws[len(draws)-1]); last != tc.lasts[i] {
						t.Errorf("terminal: progress ends at %q, want %q", last, tc.lasts[i])
					}
				}
			}
			if outs[0] != outs[1] {
				t.Errorf("stdout differs with a terminal: %q vs %q", outs[0], outs[1])
			}
		})
	}
	// The list written with the progress display is the same list.
	e, out, errOut := testEnv()
	if code := run(context.Background(), e, []string{"status", "check", "--key", p("pub.jwk"), p("s.jwt"), "7"}); code != 1 ||
		!strings.Contains(out.String(), "index 7: INVALID") {
		t.Errorf("check revoked index: exit %d, %q %q", code, out, errOut)
	}
	e, out, _ = testEnv()
	if code := run(context.Background(), e, []string{"status", "check", "--key", p("pub.jwk"), p("s.jwt"), "8"}); code != 0 {
		t.Errorf("check valid index: exit %d, %q", code, out)
	}
}

// TestProgressDraw checks the drawing: a bar with percentage, padding over
// a longer previous line, one newline from done however often it is
// called, and nothing from the zero progress.
func TestProgressDraw(t *testing.T) {
	e, _, errOut := testEnv()
	e.stderrTTY = true
	p := newProgress(e, "x", 4, 1)
	p.add(1)
	p.add(3)
	p.done()
	p.done()
	want := "\rx [#####...............]  25% 1/4" + "\rx [####################] 100% 4/4" + "\rx [####################] 100% 4/4\n"
	if got := errOut.String(); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	errOut.Reset()
	q := newProgress(e, "count", 0, 10)
	q.add(5)
	q.add(1000)
	q.done()
	if got, want := errOut.String(), "\rcount 1005\rcount 1005\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	errOut.Reset()
	r := newProgress(e, "y", 0, 1)
	r.width = 10 // a longer line was drawn before
	r.add(1)
	if got, want := errOut.String(), "\ry 1       "; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var z progress
	z.add(5)
	z.done() // must not panic or draw
}
