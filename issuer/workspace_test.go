package issuer

import (
	"bytes"
	"crypto/ecdsa"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/keys"
)

// seeded is a deterministic byte stream, so that two calls draw the same
// salts.
func seeded(seed uint64) io.Reader { return rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}) }

// splitSig returns the token without its signature (which ECDSA
// randomizes), and the signature.
func splitSig(tok string) (rest, sig string) {
	jwt, discs, _ := strings.Cut(tok, "~")
	i := strings.LastIndexByte(jwt, '.')
	return jwt[:i] + "~" + discs, jwt[i+1:]
}

// An sdjwt.Workspace reused across calls (here, differing claims, policies
// and decoys, one after another) gives the tokens a call without one
// gives, every one verifying, and a token is not changed by the calls
// after it: it shares no memory with the workspace.
func TestSDJWTWorkspaceReuse(t *testing.T) {
	k, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	holder, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	signer := keys.Opaque(k)
	ws := new(sdjwt.Workspace)
	type issued struct{ tok, copy []byte }
	var toks []issued
	for i := range 12 {
		claims := mustKTPEL().SDJWTClaims(t0)
		claims["vct"] = "urn:test"
		claims["n"] = i
		claims["exp"] = t0.Add(time.Hour).Unix()
		var sd []sdjwt.Path
		for name := range claims {
			if !slices.Contains(sdjwt.NonDisclosableVCClaims, name) && (i%3 == 0 || len(name)%(i%4+2) != 0) {
				sd = append(sd, sdjwt.Path{name})
			}
		}
		if i%3 == 1 {
			sd = append(sd, sdjwt.Path{"address", "rt"}, sdjwt.Path{"address", "rw"})
		}
		opts := sdjwt.IssueOptions{Signer: signer, Disclosable: sd, Decoys: i % 4, HolderKey: holder.Public(), Rand: seeded(uint64(i))}
		want, err := sdjwt.IssueVC(claims, opts)
		if err != nil {
			t.Fatal(i, err)
		}
		if i%4 == 3 {
			// A call that fails mid-way leaves the workspace usable.
			bad := opts
			bad.Workspace, bad.Disclosable = ws, append(slices.Clone(sd), sdjwt.Path{"address", "nope"})
			if _, err := sdjwt.IssueVCBytes(claims, bad); err == nil {
				t.Fatal(i, "a path naming no claim was accepted")
			}
		}
		opts.Rand, opts.Workspace = seeded(uint64(i)), ws
		got, err := sdjwt.IssueVCBytes(claims, opts)
		if err != nil {
			t.Fatal(i, err)
		}
		g, _ := splitSig(string(got))
		w, _ := splitSig(want)
		if g != w {
			t.Fatalf("%d: with a workspace\n%s\nwithout\n%s", i, g, w)
		}
		if _, err := sdjwt.VerifyVC(string(got), sdjwt.VerifyOptions{IssuerKey: k.Public().(*ecdsa.PublicKey), Now: func() time.Time { return t0 }, AllowNoKeyBinding: true}); err != nil {
			t.Fatal(i, err)
		}
		toks = append(toks, issued{got, bytes.Clone(got)})
	}
	for i, tk := range toks {
		if !bytes.Equal(tk.tok, tk.copy) {
			t.Fatalf("token %d changed after later calls", i)
		}
	}
}

// Calls sharing a Workspace at once each get a correct token: the one that
// finds it busy works without it.
func TestSDJWTWorkspaceConcurrent(t *testing.T) {
	k, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	ws := new(sdjwt.Workspace)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 20 {
				claims := map[string]any{"vct": "urn:test", "g": g, "i": i, "name": strings.Repeat("x", i), "exp": time.Now().Add(time.Hour).Unix()}
				tok, err := sdjwt.IssueVCBytes(claims, sdjwt.IssueOptions{Signer: keys.Opaque(k), Disclosable: []sdjwt.Path{{"name"}, {"i"}}, Workspace: ws})
				if err != nil {
					t.Error(err)
					return
				}
				v, err := sdjwt.VerifyVC(string(tok), sdjwt.VerifyOptions{IssuerKey: k.Public().(*ecdsa.PublicKey), AllowNoKeyBinding: true})
				if err != nil {
					t.Error(err)
					return
				}
				if v.StringClaim("name") != strings.Repeat("x", i) {
					t.Errorf("name %q", v.StringClaim("name"))
				}
			}
		})
	}
	wg.Wait()
}

// Claims given in IssueOptions.Extra make the token the same claims in
// the claims map make (same salts), and Extra is checked: no name twice,
// no reserved name, no cnf beside HolderKey, never disclosable.
func TestSDJWTExtraClaims(t *testing.T) {
	k, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	holder, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	type addr struct {
		City string `json:"city"`
	}
	extra := []sdjwt.Claim{
		{Name: "iss", Value: "https://issuer.example"},
		{Name: "exp", Value: t0.Add(time.Hour).Unix()},
		{Name: "status", Value: map[string]any{"status_list": map[string]any{"idx": int64(7), "uri": "https://issuer.example/s/1"}}},
		{Name: "tags", Value: []string{"a", "b"}},      // normalized
		{Name: "office", Value: addr{City: "BANDUNG"}}, // normalized
	}
	base := func() map[string]any {
		c := mustKTPEL().SDJWTClaims(t0)
		c["vct"] = "urn:test"
		return c
	}
	sd := []sdjwt.Path{{"name"}, {"address"}, {"address", "rt"}, {"birthdate"}}
	opts := sdjwt.IssueOptions{Signer: keys.Opaque(k), Disclosable: sd, Decoys: 2, HolderKey: holder.Public()}
	merged := base()
	for _, c := range extra {
		merged[c.Name] = c.Value
	}
	opts.Rand = seeded(1)
	want, err := sdjwt.IssueVC(merged, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, ws := range []*sdjwt.Workspace{nil, new(sdjwt.Workspace)} {
		o := opts
		o.Rand, o.Extra, o.Workspace = seeded(1), slices.Clone(extra), ws
		got, err := sdjwt.IssueVCBytes(base(), o)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := splitSig(string(got))
		w, _ := splitSig(want)
		if g != w {
			t.Fatalf("with Extra\n%s\nin claims\n%s", g, w)
		}
		if !reflect.DeepEqual(o.Extra, extra) {
			t.Fatal("Extra was changed")
		}
		v, err := sdjwt.VerifyVC(string(got), sdjwt.VerifyOptions{IssuerKey: k.Public().(*ecdsa.PublicKey), Now: func() time.Time { return t0 }, AllowNoKeyBinding: true})
		if err != nil {
			t.Fatal(err)
		}
		if idx, uri, ok := v.StatusList(); !ok || idx != 7 || uri != "https://issuer.example/s/1" {
			t.Fatal(idx, uri, ok)
		}
	}
	// vct may be in Extra too.
	c := base()
	delete(c, "vct")
	o := opts
	o.Extra = []sdjwt.Claim{{Name: "vct", Value: "urn:test"}, {Name: "exp", Value: t0.Add(time.Hour).Unix()}}
	if _, err := sdjwt.IssueVC(c, o); err != nil {
		t.Fatal(err)
	}
	o.Extra = o.Extra[1:]
	if _, err := sdjwt.IssueVC(c, o); !errors.Is(err, sdjwt.ErrMissingClaim) {
		t.Fatalf("no vct anywhere: %v", err)
	}
	for name, bad := range map[string][]sdjwt.Claim{
		"in claims too":   {{Name: "name", Value: "X"}},
		"twice":           {{Name: "iss", Value: "a"}, {Name: "iss", Value: "b"}},
		"_sd":             {{Name: "_sd", Value: []any{}}},
		"...":             {{Name: "...", Value: "x"}},
		"_sd_alg":         {{Name: "_sd_alg", Value: "sha-256"}},
		"cnf with holder": {{Name: "cnf", Value: map[string]any{}}},
		"reserved inside": {{Name: "x", Value: map[string]any{"_sd": []any{}}}},
		"not JSON":        {{Name: "x", Value: func() {}}},
	} {
		o := opts
		o.Extra = bad
		if _, err := sdjwt.IssueVC(base(), o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A Disclosable path cannot name an Extra claim.
	o = opts
	o.Extra = []sdjwt.Claim{{Name: "x", Value: "y"}}
	o.Disclosable = append(slices.Clone(sd), sdjwt.Path{"x"})
	if _, err := sdjwt.IssueVC(base(), o); err == nil {
		t.Error("disclosable Extra claim accepted")
	}
}
