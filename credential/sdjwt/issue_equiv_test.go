package sdjwt

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/keys"
)

// seededReader returns a deterministic byte stream for seed, so two issuers
// given the same seed draw the same salts.
func seededReader(seed uint64) *mrand.ChaCha8 {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return mrand.NewChaCha8(s)
}

// claimGen builds random claim sets and disclosure policies that exercise
// the encoder's corners: member names sorting around "_sd" and "_sd_alg",
// escapes and invalid UTF-8, Go number types, nested arrays and objects,
// values that need encoding/json.
type claimGen struct {
	r *mrand.Rand
}

var equivNames = []string{
	"a", "b", "nik", "nama", "alamat", "A", "Z9", "$x", "_a", "_sd_", "_sdA", "_sd_alg_x", "_sc", "_se",
	"é", "太郎", "q\"uote", "back\\slash", "nl\n", "ctl\u0001", "bad\xff", "", "cnf2", "~", "<&>",
}

func (g *claimGen) name() string { return equivNames[g.r.IntN(len(equivNames))] }

func (g *claimGen) scalar() any {
	switch g.r.IntN(12) {
	case 0:
		return nil
	case 1:
		return g.r.IntN(2) == 0
	case 2:
		return g.r.IntN(1 << 20)
	case 3:
		return int64(-g.r.Int64N(1 << 40))
	case 4:
		return g.r.Float64() * 1e6
	case 5:
		return []float64{1e21, 1e-7, 0.5, -0, 123456789}[g.r.IntN(5)]
	case 6:
		return json.Number("42")
	case 7:
		return []string{"x", g.name()}
	case 8:
		return struct {
			K string `json:"k"`
			N int    `json:"n"`
		}{g.name(), 3}
	case 9:
		return uint32(g.r.Uint32())
	case 10:
		return int32(-5)
	}
	return g.name() + " value"
}

func (g *claimGen) value(depth int) any {
	if depth > 3 || g.r.IntN(3) > 0 {
		return g.scalar()
	}
	if g.r.IntN(2) == 0 {
		return g.object(depth + 1)
	}
	a := make([]any, g.r.IntN(5))
	for i := range a {
		a[i] = g.value(depth + 1)
	}
	return a
}

func (g *claimGen) object(depth int) map[string]any {
	m := map[string]any{}
	for range g.r.IntN(7) {
		m[g.name()] = g.value(depth)
	}
	return m
}

// paths lists every concrete path to a value in v, in decoded-JSON form
// (after normalisation), with array wildcards sometimes.
func (g *claimGen) paths(v any, at Path, out *[]Path) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			p := at.with(k)
			*out = append(*out, p)
			g.paths(e, p, out)
		}
	case []any:
		for i, e := range t {
			var p Path
			if g.r.IntN(4) == 0 {
				p = at.with(nil)
			} else {
				p = at.with(i)
			}
			*out = append(*out, p)
			g.paths(e, p, out)
		}
	}
}

func (g *claimGen) policy(claims map[string]any, holder bool) []Path {
	nv, err := refNormalize(claims, 0)
	if err != nil {
		return nil
	}
	m := nv.(map[string]any)
	var all []Path
	g.paths(m, nil, &all)
	if holder {
		all = append(all, P("cnf"), P("cnf", "jwk"), P("cnf", "jwk", "x"))
	}
	var sd []Path
	for _, p := range all {
		if g.r.IntN(3) > 0 {
			sd = append(sd, p)
		}
	}
	switch g.r.IntN(30) {
	case 0:
		sd = append(sd, P("no such claim"))
	case 1:
		sd = append(sd, P("a", -1))
	case 2:
		sd = append(sd, P(1.5))
	case 3:
		sd = append(sd, Path{})
	}
	if len(sd) > 0 && g.r.IntN(5) == 0 {
		sd = append(sd, sd[0]) // a duplicate
	}
	return sd
}

// TestIssueMatchesReference holds the single-pass issuance encoder to the
// bytes of the earlier map-based one (referenceIssue) on random claims,
// policies and options. Ed25519 signatures are deterministic, so the whole
// SD-JWT is compared; the salts come from the same seeded stream.
func TestIssueMatchesReference(t *testing.T) {
	_, edKey, _ := ed25519.GenerateKey(seededReader(1))
	holderEC, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	holderEd, _, _ := ed25519.GenerateKey(seededReader(2))
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "issuer"},
		NotBefore: time.Unix(1700000000, 0), NotAfter: time.Unix(1900000000, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, edKey.Public(), edKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)

	g := &claimGen{r: mrand.New(mrand.NewPCG(3, 4))}
	compared, errs := 0, 0
	for i := range 3000 {
		claims := g.object(0)
		if g.r.IntN(40) == 0 {
			claims["_sd"] = "reserved"
		}
		if g.r.IntN(40) == 0 {
			claims["_sd_alg"] = "reserved"
		}
		if g.r.IntN(6) == 0 {
			claims["cnf"] = map[string]any{"kid": "k"}
		}
		opts := IssueOptions{Signer: edKey, Decoys: g.r.IntN(4)}
		switch g.r.IntN(4) {
		case 1:
			opts.HolderKey = &holderEC.PublicKey
		case 2:
			opts.HolderKey = holderEd
		}
		opts.Disclosable = g.policy(claims, opts.HolderKey != nil)
		opts.HashAlgorithm = []string{"", SHA256, SHA384, SHA512}[g.r.IntN(4)]
		if g.r.IntN(3) == 0 {
			opts.KeyID = "did:key:z6Mk#" + g.name()
		}
		if g.r.IntN(3) == 0 {
			opts.Type = TypeVC
		}
		if g.r.IntN(5) == 0 {
			opts.X5C = []*x509.Certificate{cert, cert}
		}
		if g.r.IntN(5) == 0 {
			opts.Header = map[string]any{"x-" + g.name(): g.scalar()}
			if g.r.IntN(4) == 0 {
				opts.Header["typ"] = "no"
			}
		}
		before := fmt.Sprint(claims)

		ro, no := opts, opts
		ro.Rand, no.Rand = seededReader(uint64(i)), seededReader(uint64(i))
		want, werr := referenceIssue(claims, ro)
		got, gerr := Issue(claims, no)
		if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
			t.Fatalf("case %d: error %v, reference %v\nclaims %v\npolicy %v", i, gerr, werr, claims, opts.Disclosable)
		}
		if got != want {
			t.Fatalf("case %d: output differs\n got %s\nwant %s\nclaims %v\npolicy %v", i, got, want, claims, opts.Disclosable)
		}
		if after := fmt.Sprint(claims); after != before {
			t.Fatalf("case %d: Issue changed the caller's claims", i)
		}
		if werr != nil {
			errs++
		} else {
			compared++
		}
	}
	t.Logf("%d outputs, %d errors compared", compared, errs)
	if compared < 2000 || errs == 0 {
		t.Fatalf("%d outputs and %d errors compared: the generator no longer covers both", compared, errs)
	}
}

// TestIssueMatchesReferenceES256 compares the KTP-el credential with an
// ECDSA key: ECDSA signatures are randomised, so everything but the
// signature must match, and both signatures must verify.
func TestIssueMatchesReferenceES256(t *testing.T) {
	issuer, holder := testKeys(t)
	claims, sd := ktpClaims()
	opts := IssueOptions{Signer: issuer, Disclosable: sd, HolderKey: &holder.PublicKey, Decoys: 3, KeyID: "k1"}
	ro, no := opts, opts
	ro.Rand, no.Rand = seededReader(9), seededReader(9)
	want, err := referenceIssue(claims, ro)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Issue(claims, no)
	if err != nil {
		t.Fatal(err)
	}
	strip := func(s string) string {
		jwt, discs, _ := strings.Cut(s, "~")
		parts := strings.Split(jwt, ".")
		return parts[0] + "." + parts[1] + "~" + discs
	}
	if strip(got) != strip(want) {
		t.Fatalf("got  %s\nwant %s", strip(got), strip(want))
	}
	for _, s := range []string{got, want} {
		u, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := jose.VerifySignature(keys.ES256, &issuer.PublicKey, u.p.jws.SigningInput, u.p.jws.Signature, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSortDigests checks the in-place digest sort against sorting strings,
// on both of its paths (up to 64 records and more).
func TestSortDigests(t *testing.T) {
	r := mrand.New(mrand.NewPCG(5, 6))
	var tmp [][]byte
	for _, w := range []int{43, 64, 86} {
		for _, n := range []int{0, 1, 2, 3, 17, 64, 65, 200} {
			digs := make([]byte, n*w)
			for i := range digs {
				digs[i] = "AB_-z"[r.IntN(5)] // few symbols: long common prefixes
			}
			want := make([]string, n)
			for i := range n {
				want[i] = string(digs[i*w : (i+1)*w])
			}
			slices.Sort(want)
			sortDigests(digs, w, &tmp)
			if got := string(digs); got != strings.Join(want, "") {
				t.Fatalf("w=%d n=%d: not sorted", w, n)
			}
		}
	}
}
