package sdjwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/keys"
)

// workspaceCases are presentations of the KTP-el credential that differ in
// what they disclose (none, some, all, nested), followed by bad ones that
// fail at different depths of the verification, so that a Workspace passes
// through every state between calls.
func workspaceCases(t *testing.T) []string {
	t.Helper()
	f := newFixture(t)
	u, err := Parse(f.issued)
	if err != nil {
		t.Fatal(err)
	}
	present := func(sel ...Path) string {
		s, err := u.Select(sel...)
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.Present(KeyBindingOptions{Signer: keys.Opaque(f.holder), Audience: testAud, Nonce: testNonce, IssuedAt: ktpNow})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	all, err := u.Present(KeyBindingOptions{Signer: keys.Opaque(f.holder), Audience: testAud, Nonce: testNonce, IssuedAt: ktpNow})
	if err != nil {
		t.Fatal(err)
	}
	// A credential whose _sd array is longer than the room the JSON
	// decoder keeps on the goroutine's stack, so that it reads the array
	// on the Workspace's stack: first, so that the room is there for every
	// case after it.
	claims, sd := ktpClaims()
	longAll := presentWithExtra(t, f, claims, sd, "extra_", 30)
	first := strings.IndexByte(f.presentation, '~')
	second := first + 1 + strings.IndexByte(f.presentation[first+1:], '~')
	return []string{
		longAll,
		all,
		f.presentation,
		present(),
		present(P("alamat", "provinsi"), P("alamat", "jalan")),
		all,
		// A disclosure repeated, one that is not base64url, one dropped
		// (sd_hash then fails), and one that is not referenced.
		f.presentation[:second+1] + f.presentation[first+1:],
		f.presentation[:first+1] + "!!~" + f.presentation[first+1:],
		f.presentation[:first+1] + f.presentation[second+1:],
		f.presentation[:first+1] + "WyJzYWx0IiwibmFtZSIsInZhbHVlIl0~" + f.presentation[first+1:],
		all,
		present(P("nik")),
	}
}

// presentWithExtra issues claims by f's issuer with n more selectively
// disclosable claims prefix0, prefix1, ... beside the paths sd, and
// presents every disclosure to f's holder.
func presentWithExtra(t *testing.T, f *fixture, claims map[string]any, sd []Path, prefix string, n int) string {
	t.Helper()
	for i := range n {
		name := fmt.Sprintf("%s%02d", prefix, i)
		claims[name], sd = i, append(sd, P(name))
	}
	issued, err := IssueVC(claims, IssueOptions{Signer: keys.Opaque(f.issuer), Disclosable: sd, HolderKey: &f.holder.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	u, err := Parse(issued)
	if err != nil {
		t.Fatal(err)
	}
	pres, err := u.Present(KeyBindingOptions{Signer: keys.Opaque(f.holder), Audience: testAud, Nonce: testNonce, IssuedAt: ktpNow})
	if err != nil {
		t.Fatal(err)
	}
	return pres
}

// TestVerifyWorkspaceReuse verifies a run of presentations with one
// Workspace and without: every result and every error is the same, a result
// does not change when later calls reuse the Workspace, and between calls
// the Workspace holds nothing of the presentation it read.
func TestVerifyWorkspaceReuse(t *testing.T) {
	f := newFixture(t)
	ws := new(Workspace)
	type kept struct {
		v         *Verified
		claims    map[string]any
		disclosed []Path
	}
	var results []kept
	for i, pres := range workspaceCases(t) {
		want, werr := VerifyVC(pres, f.opts)
		o := f.opts
		o.Workspace = ws
		got, gerr := VerifyVC(pres, o)
		if fmt.Sprint(werr) != fmt.Sprint(gerr) {
			t.Fatalf("case %d: error %v with a Workspace, %v without", i, gerr, werr)
		}
		if ws.busy.Load() {
			t.Fatalf("case %d: the Workspace is still marked busy", i)
		}
		rb := &ws.read
		for j, d := range rb.ds[:cap(rb.ds)] {
			if !reflect.DeepEqual(d, Disclosure{}) || rb.ptrs[:cap(rb.ptrs)][j] != nil {
				t.Fatalf("case %d: disclosure %d is left in the Workspace", i, j)
			}
		}
		if len(rb.index) != 0 || strings.Trim(string(rb.digests[:cap(rb.digests)]), "\x00") != "" {
			t.Fatalf("case %d: digests are left in the Workspace", i)
		}
		if rb.lentTo != nil || len(rb.stack) != 0 || slices.ContainsFunc(rb.stack[:cap(rb.stack)], func(e any) bool { return e != nil }) {
			t.Fatalf("case %d: array elements are left in the Workspace's stack", i)
		}
		if werr == nil && cap(rb.stack) == 0 {
			// The first case reads an array on the Workspace's stack; its
			// room is kept from then on.
			t.Fatalf("case %d: the stack room was not given back", i)
		}
		if werr != nil {
			continue
		}
		if !reflect.DeepEqual(got.Claims(), want.Claims()) || !reflect.DeepEqual(got.Disclosed(), want.Disclosed()) {
			t.Fatalf("case %d: claims %v, disclosed %v with a Workspace; %v, %v without", i, got.Claims(), got.Disclosed(), want.Claims(), want.Disclosed())
		}
		results = append(results, kept{got, want.Claims(), want.Disclosed()})
	}
	if len(results) < 6 {
		t.Fatalf("only %d presentations verified", len(results))
	}
	for i, r := range results {
		if !reflect.DeepEqual(r.v.Claims(), r.claims) || !reflect.DeepEqual(r.v.Disclosed(), r.disclosed) {
			t.Fatalf("result %d changed after later calls reused the Workspace", i)
		}
	}
}

// TestVerifyWorkspaceLetsGoOfLargePresentations shows that a Workspace
// does not keep the room a presentation with many disclosures needed.
func TestVerifyWorkspaceLetsGoOfLargePresentations(t *testing.T) {
	f := newFixture(t)
	claims := map[string]any{"vct": "https://ikd.example.go.id/vct/x", "iss": "https://dukcapil.example.go.id", "iat": 1780000000, "exp": 1880000000}
	pres := presentWithExtra(t, f, claims, nil, "c", maxKeptDisclosures+1)
	o := f.opts
	o.Workspace = new(Workspace)
	v, err := VerifyVC(pres, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Disclosed()) != maxKeptDisclosures+1 {
		t.Fatalf("%d disclosed", len(v.Disclosed()))
	}
	if rb := &o.Workspace.read; rb.ds != nil || rb.digests != nil || rb.index != nil || rb.used != nil || rb.stack != nil {
		t.Fatal("the Workspace keeps the buffers of a presentation with more than maxKeptDisclosures disclosures")
	}
}

// TestVerifyWorkspaceConcurrent shares one Workspace between goroutines
// (run with -race): calls that find it busy use buffers of their own, and
// every verification gets its own presentation's claims.
func TestVerifyWorkspaceConcurrent(t *testing.T) {
	f := newFixture(t)
	cases := workspaceCases(t)
	want := make([]map[string]any, len(cases))
	wantErr := make([]error, len(cases))
	for i, p := range cases {
		v, err := VerifyVC(p, f.opts)
		wantErr[i] = err
		if err == nil {
			want[i] = v.Claims()
		}
	}
	o := f.opts
	o.Workspace = new(Workspace)
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for r := range 20 {
				i := (g + r) % len(cases)
				v, err := VerifyVC(cases[i], o)
				switch {
				case fmt.Sprint(err) != fmt.Sprint(wantErr[i]):
					errc <- fmt.Errorf("case %d: error %v, want %v", i, err, wantErr[i])
					return
				case err == nil && !reflect.DeepEqual(v.Claims(), want[i]):
					errc <- errors.New("claims of another presentation")
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
}

// mapSigner is a crypto.Signer whose type cannot be compared with ==.
type mapSigner struct {
	crypto.Signer
	tags map[string]string
}

// wrapSigner is a comparable crypto.Signer type whose values may still
// fail to compare: == panics when it holds a mapSigner.
type wrapSigner struct{ crypto.Signer }

// A Workspace keeps the JWS signer of the last key it issued with: a call
// with another key signs with that key, and a Signer whose type cannot be
// compared is used without being kept.
func TestIssueWorkspaceSignerFollowsKey(t *testing.T) {
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	k1, k2 := newKey(), newKey()
	ws := new(Workspace)
	m := mapSigner{Signer: k1, tags: map[string]string{}}
	signers := []crypto.Signer{k1, k2, m, k2, wrapSigner{k1}, wrapSigner{k2}, wrapSigner{m}, wrapSigner{m}, k1}
	for i, s := range signers {
		tok, err := Issue(map[string]any{"iss": "https://issuer.example", "exp": time.Now().Add(time.Hour).Unix(), "given_name": "Rina"},
			IssueOptions{Signer: s, Disclosable: []Path{P("given_name")}, Workspace: ws})
		if err != nil {
			t.Fatalf("issue %d: %v", i, err)
		}
		if _, err := Verify(tok, VerifyOptions{IssuerKey: s.Public(), AllowNoKeyBinding: true}); err != nil {
			t.Errorf("issue %d, with key %d: does not verify under that key: %v", i, i, err)
		}
		other := k2.Public()
		if s.Public().(*ecdsa.PublicKey).Equal(other) {
			other = k1.Public()
		}
		if _, err := Verify(tok, VerifyOptions{IssuerKey: other, AllowNoKeyBinding: true}); err == nil {
			t.Errorf("issue %d verifies under the other key", i)
		}
	}
}
