package sdjwt

import (
	"errors"
	"github.com/ikdkit/ikdkit/credential/check"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedTokens returns every SD-JWT in testdata; it fails when there is none,
// so a moved testdata folder cannot silently empty the corpus.
func seedTokens(f *testing.F) []string {
	files, _ := filepath.Glob(filepath.Join(vectors, "*/*/sd_jwt_*.txt"))
	more, _ := filepath.Glob(filepath.Join(vectors, "ikdkit/*.txt"))
	files = append(files, more...)
	var out []string
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if s := strings.TrimSpace(string(b)); strings.Contains(s, "~") {
			out = append(out, s)
		}
	}
	if len(out) < 8 {
		f.Fatalf("only %d seed tokens found in %s", len(out), vectors)
	}
	return out
}

// FuzzParse checks that Parse never panics, returns nothing with an error,
// and that what it accepts re-serialises to a prefix of the input that
// parses again to the same disclosures.
func FuzzParse(f *testing.F) {
	for _, s := range seedTokens(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Parse(s)
		if err != nil {
			if u != nil {
				t.Fatal("value returned with error")
			}
			var e *check.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *check.Error", err)
			}
			return
		}
		sd := u.String()
		if !strings.HasPrefix(s, sd) {
			t.Fatalf("String() %q is not a prefix of the input", sd)
		}
		u2, err := Parse(sd)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if len(u2.Disclosures()) != len(u.Disclosures()) {
			t.Fatal("re-parse changed the disclosures")
		}
	})
}

// FuzzVerify checks that verification never panics, and that with key
// binding required nothing but the exact seed presentation verifies: any
// other input would need a forged signature or an sd_hash collision.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f) // for its options; the presentation comes from testdata
	pres := strings.TrimSpace(string(readFile(f, filepath.Join(vectors, "ikdkit/ktp_presentation.txt"))))
	if _, err := Verify(pres, fx.opts); err != nil {
		f.Fatalf("seed presentation does not verify: %v", err)
	}
	for _, s := range seedTokens(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Verify(s, fx.opts)
		if err != nil {
			if v != nil {
				t.Fatal("value returned with error")
			}
			var e *check.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *check.Error", err)
			}
			return
		}
		if s != pres {
			t.Fatalf("a modified presentation verified: %q", s)
		}
	})
}
