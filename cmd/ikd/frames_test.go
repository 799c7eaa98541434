package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/qr/qrcode"
)

// TestVerifyFrames: a response split into a frame sequence verifies from
// its frames given as text files and as PNG images, in any order; a
// missing frame, a frame of another sequence and a lone frame are clear
// failures.
func TestVerifyFrames(t *testing.T) {
	dir := t.TempDir()
	e, _, errOut := testEnv()
	if code := run(context.Background(), e, []string{"demo", "--dir", dir}); code != 0 {
		t.Fatalf("demo: exit %d: %s", code, errOut.String())
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	text, err := os.ReadFile(p("qr.txt"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := qr.Decode(text)
	if err != nil {
		t.Fatal(err)
	}
	frames, err := qr.EncodeFrames(*env)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) < 2 {
		t.Fatalf("%d frames; the test needs a sequence", len(frames))
	}
	var texts, pngs []string
	for i, f := range frames {
		name := p("frame-" + string(rune('1'+i)))
		if err := os.WriteFile(name+".txt", f.Data, 0o600); err != nil {
			t.Fatal(err)
		}
		img, err := qrcode.PNG(f, 4)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name+".png", img, 0o600); err != nil {
			t.Fatal(err)
		}
		texts, pngs = append(texts, name+".txt"), append(pngs, name+".png")
	}
	// The other sequence: the same envelope with one more presentation.
	env2 := *env
	env2.Presentations = append(append([]qr.Presentation(nil), env.Presentations...), env.Presentations...)
	other, err := qr.EncodeFrames(env2)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p("other.txt"), other[0].Data, 0o600); err != nil {
		t.Fatal(err)
	}
	reversed := append([]string(nil), texts...)
	for i, j := 0, len(reversed)-1; i < j; i, j = i+1, j-1 {
		reversed[i], reversed[j] = reversed[j], reversed[i]
	}
	mixed := append([]string{pngs[0]}, texts[1:]...)
	at := t0.Add(10 * time.Second).Format(time.RFC3339)
	base := []string{"verify", "--trust", p("issuer.jwk.json"), "--aud", "https://bank.example.co.id", "--status", p("status-list.jwt"), "--at", at}
	for _, tc := range []struct {
		name   string
		inputs []string
		code   int
		want   string
	}{
		{"text frames", texts, 0, "id.nik"},
		{"reversed", reversed, 0, "id.nik"},
		{"png and text", mixed, 0, "id.nik"},
		{"all png", pngs, 0, "id.nik"},
		{"a frame missing", texts[1:], 1, "missing"},
		{"a lone frame", texts[:1], 1, "missing"},
		{"another sequence", append([]string{p("other.txt")}, texts[1:]...), 1, "frame"},
		{"a frame and a whole QR", []string{texts[0], p("qr.txt")}, 1, "frame"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, out, errOut := testEnv()
			code := run(context.Background(), e, append(append([]string(nil), base...), tc.inputs...))
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, errOut.String())
			}
			got := out.String() + errOut.String()
			if !strings.Contains(got, tc.want) {
				t.Fatalf("output %q, want %q", got, tc.want)
			}
			if code != 0 && strings.Count(errOut.String(), "\n") != 1 {
				t.Fatalf("error not one line: %q", errOut.String())
			}
		})
	}
}
