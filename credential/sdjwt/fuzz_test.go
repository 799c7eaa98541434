package sdjwt

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/credential/check"
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

// FuzzFromJSONSerialization: FromJSONSerialization never panics, returns
// "" and a *check.Error on failure, and on success returns a compact form
// whose issuer JWT is exactly the input's protected.payload.signature (three
// base64url parts) followed by its disclosures and KB-JWT; converting that
// back (ToJSONSerialization) and forward again gives the same compact form.
func FuzzFromJSONSerialization(f *testing.F) {
	files, err := filepath.Glob("../../testdata/sdjwt/*/json_serialization_*/sd_jwt_*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no JSON serialization seeds (%v)", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"protected":"a~b","payload":"c","signature":"d"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := FromJSONSerialization(data)
		if err != nil {
			var e *check.Error
			if c != "" || !errors.As(err, &e) {
				t.Fatalf("%q with error %v", c, err)
			}
			return
		}
		jwt, _, ok := strings.Cut(c, "~")
		if !ok || strings.Count(jwt, ".") != 2 {
			t.Fatalf("compact form %q has no three-part issuer JWT", c)
		}
		for _, part := range strings.Split(jwt, ".") {
			if _, err := decodeB64(part); err != nil {
				t.Fatalf("issuer JWT part %q is not base64url: %v", part, err)
			}
		}
		back, err := ToJSONSerialization(c)
		if err != nil {
			return // the parts need not decode to an SD-JWT
		}
		again, err := FromJSONSerialization(back)
		if err != nil || again != c {
			t.Fatalf("round trip: %q -> %q, %v", c, again, err)
		}
	})
}

// FuzzPeekIssuer: PeekIssuer never panics, returns nothing but a
// *check.Error on failure, non-empty iss and vct on success, and on a
// presentation that verifies it names exactly the verified iss and vct.
func FuzzPeekIssuer(f *testing.F) {
	fx := newFixture(f)
	pres := strings.TrimSpace(string(readFile(f, filepath.Join(vectors, "ikdkit/ktp_presentation.txt"))))
	if iss, vct, _, err := PeekIssuer(pres); err != nil || iss == "" || vct == "" {
		f.Fatalf("seed presentation: %q %q %v", iss, vct, err)
	}
	for _, s := range seedTokens(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		iss, vct, kid, err := PeekIssuer(s)
		if err != nil {
			var e *check.Error
			if iss != "" || vct != "" || kid != "" || !errors.As(err, &e) {
				t.Fatalf("%q %q %q with error %v", iss, vct, kid, err)
			}
			return
		}
		if iss == "" || vct == "" {
			t.Fatal("success without iss or vct")
		}
		v, err := VerifyVC(s, fx.opts)
		if err != nil {
			return
		}
		if v.Issuer() != iss || v.StringClaim("vct") != vct {
			t.Fatalf("peeked %q %q, verified %q %q", iss, vct, v.Issuer(), v.StringClaim("vct"))
		}
	})
}
