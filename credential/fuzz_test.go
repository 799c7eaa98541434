package credential

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// FuzzParseNIK checks that ParseNIK never panics, returns the zero NIK on
// error, and that a parsed NIK is 16 digits that re-parse to itself with
// consistent parts.
func FuzzParseNIK(f *testing.F) {
	fh, err := os.Open("../testdata/credential/nik_seeds.txt")
	if err != nil {
		f.Fatal(err)
	}
	defer fh.Close()
	n := 0
	for sc := bufio.NewScanner(fh); sc.Scan(); n++ {
		f.Add(sc.Text())
	}
	if n == 0 {
		f.Fatal("empty seed corpus")
	}
	f.Fuzz(func(t *testing.T, s string) {
		nik, err := ParseNIK(s)
		if err != nil {
			if !nik.IsZero() {
				t.Fatal("non-zero NIK with error")
			}
			return
		}
		again, err := ParseNIK(nik.String())
		if err != nil || !again.Equal(nik) || len(nik.String()) != 16 {
			t.Fatalf("re-parse of %q: %v", nik, err)
		}
		if !strings.HasPrefix(strings.ReplaceAll(nik.DistrictCode(), ".", ""), nik.ProvinceCode()) {
			t.Fatal("inconsistent parts")
		}
		if d, m := nik.BirthDayMonth(); !realDate(2000, int(m), d) {
			t.Fatalf("impossible day/month %d/%d accepted", d, m)
		}
	})
}

// FuzzKTPELFromClaims checks that decoding arbitrary JSON claim sets never
// panics, returns nil on error, and that whatever decodes re-encodes to
// claims that decode to an equal value.
func FuzzKTPELFromClaims(f *testing.F) {
	seed, err := os.ReadFile("../testdata/credential/ktpel_claims.json")
	if err != nil {
		f.Fatal(err)
	}
	if len(seed) == 0 {
		f.Fatal("empty seed corpus")
	}
	f.Add(seed)
	f.Add([]byte(`{"vct":"urn:id:kemendagri:dukcapil:ktp-el:1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := strictjson.UnmarshalObject(b, 16)
		if err != nil {
			return
		}
		k, err := KTPELFromClaims(m)
		if err != nil {
			if k != nil {
				t.Fatal("value with error")
			}
			return
		}
		out, err := json.Marshal(k.SDJWTClaims(issueTime))
		if err != nil {
			t.Fatal(err)
		}
		m2, err := strictjson.UnmarshalObject(out, 16)
		if err != nil {
			t.Fatal(err)
		}
		k2, err := KTPELFromClaims(m2)
		if err != nil || !k2.Equal(k) {
			t.Fatalf("re-decode: %v", err)
		}
	})
}

// TestSeedClaimsCurrent keeps the checked-in seed in step with the mapping.
// Regenerate with IKDKIT_UPDATE_TESTDATA=1.
func TestSeedClaimsCurrent(t *testing.T) {
	want, err := json.MarshalIndent(sampleKTPEL(t).SDJWTClaims(issueTime), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	const path = "../testdata/credential/ktpel_claims.json"
	if os.Getenv("IKDKIT_UPDATE_TESTDATA") == "1" {
		if err := os.WriteFile(path, append(want, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(got)) != string(want) {
		t.Fatalf("testdata/credential/ktpel_claims.json is stale; regenerate with IKDKIT_UPDATE_TESTDATA=1 go test -run TestSeedClaimsCurrent")
	}
}
