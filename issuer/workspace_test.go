package issuer

import (
	"bytes"
	"crypto/ecdsa"
	"io"
	"math/rand/v2"
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
