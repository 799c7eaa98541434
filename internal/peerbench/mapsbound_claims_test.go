package peerbench

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/credential/sdjwt"
)

// TestMapsBoundClaims holds verifyMapsBound to the work it stands for: its
// claims map is exactly the disclosed claims ikdkit returns, from one call
// to the next (the room it keeps is reset), and it refuses a disclosure
// given twice, one the payload does not reference, and a payload that
// names a disclosure twice.
func TestMapsBoundClaims(t *testing.T) {
	for _, n := range claimCounts {
		f := newFixture(t, n)
		v, err := sdjwt.VerifyVC(f.presentation, f.opts)
		if err != nil {
			t.Fatal(err)
		}
		want := maps.Clone(v.Claims())
		for _, k := range []string{"iss", "vct", "iat", "exp", "cnf"} {
			delete(want, k) // the bound reads only what disclosures carry
		}
		if len(want) != n {
			t.Fatalf("claims=%d: ikdkit disclosed %d claims", n, len(want))
		}
		for range 3 {
			got, err := f.verifyMapsBound()
			if err != nil {
				t.Fatalf("claims=%d: %v", n, err)
			}
			if !maps.Equal(got, want) {
				t.Fatalf("claims=%d: bound's claims %v, ikdkit's %v", n, got, want)
			}
		}

		p := f.presentation
		first, last := strings.IndexByte(p, '~'), strings.LastIndexByte(p, '~')
		d1 := p[first+1 : first+1+strings.IndexByte(p[first+1:], '~')]
		other := base64.RawURLEncoding.EncodeToString([]byte(`["c2FsdHNhbHRzYWx0c2FsdA","claim_000","forged"]`))
		// The payload with its first _sd digest given twice (the bound
		// checks no signature of the presentation it reads, so the
		// payload can be changed in place).
		dot1 := strings.IndexByte(p, '.')
		dot2 := dot1 + 1 + strings.IndexByte(p[dot1+1:], '.')
		payload, err := base64.RawURLEncoding.DecodeString(p[dot1+1 : dot2])
		if err != nil {
			t.Fatal(err)
		}
		at := strings.Index(string(payload), `"_sd":["`) + len(`"_sd":[`)
		digest := string(payload[at : at+45]) // the quoted digest
		twice := string(payload[:at]) + digest + "," + string(payload[at:])
		twicePres := p[:dot1+1] + base64.RawURLEncoding.EncodeToString([]byte(twice)) + p[dot2:]
		for _, c := range []struct{ name, pres string }{
			{"disclosure given twice", p[:last+1] + d1 + "~" + p[last+1:]},
			{"disclosure not referenced", p[:last+1] + other + "~" + p[last+1:]},
			{"payload naming a disclosure twice", twicePres},
		} {
			g := *f
			g.presentation, g.presBytes, g.scratch = c.pres, []byte(c.pres), make([]byte, len(c.pres))
			if _, err := g.verifyMapsBound(); err == nil {
				t.Errorf("claims=%d: the bound accepts a %s", n, c.name)
			}
			// The room the failed call left does not fail the next one.
			f.maps = g.maps
			if _, err := f.verifyMapsBound(); err != nil {
				t.Errorf("claims=%d: after a %s: %v", n, c.name, err)
			}
		}
	}
}

// TestBoundsSDHash: the sd_hash both bounds compute, begun from the hash
// of the issuer JWT's signing input, is the one in the KB-JWT.
func TestBoundsSDHash(t *testing.T) {
	for _, n := range claimCounts {
		f := newFixture(t, n)
		kb := f.presentation[strings.LastIndexByte(f.presentation, '~')+1:]
		payload, err := base64.RawURLEncoding.DecodeString(strings.Split(kb, ".")[1])
		if err != nil {
			t.Fatal(err)
		}
		var claims struct {
			SDHash string `json:"sd_hash"`
		}
		if err := json.Unmarshal(payload, &claims); err != nil || claims.SDHash == "" {
			t.Fatalf("KB-JWT payload %s: %v", payload, err)
		}
		for range 2 {
			if err := f.verifyFloorSharing(); err != nil {
				t.Fatal(err)
			}
			var got [43]byte
			f.sdHash(got[:])
			if string(got[:]) != claims.SDHash {
				t.Fatalf("claims=%d: sd_hash %s, the KB-JWT's %s", n, got, claims.SDHash)
			}
		}
	}
}
