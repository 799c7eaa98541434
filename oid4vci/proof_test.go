package oid4vci

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/keys"
)

// The clock and audience of the seed proofs in testdata/oid4vci/proofs.
var (
	t0       = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	audience = "https://dukcapil.example.go.id"
	opts     = ProofOptions{Audience: audience, Now: t0, MaxAge: 5 * time.Minute, ClockSkew: 30 * time.Second}
)

func proofSeeds(t testing.TB) map[string]string {
	t.Helper()
	files, err := filepath.Glob("../testdata/oid4vci/proofs/*.jwt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no proof seeds found (%v)", err)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = string(b)
	}
	return out
}

func TestProofSeeds(t *testing.T) {
	for name, p := range proofSeeds(t) {
		t.Run(name, func(t *testing.T) {
			pr, err := VerifyProof(p, opts)
			if strings.HasPrefix(name, "valid-") {
				if err != nil || pr.Nonce() == "" || pr.Thumbprint() == "" {
					t.Fatalf("valid proof rejected: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidProof) || pr != nil {
				t.Fatalf("got %v, %v; want ErrInvalidProof", pr, err)
			}
		})
	}
}

// forge signs a proof with signer whose jwk header names jwkOf's key, with
// header and payload members overridden.
func forge(t *testing.T, jwkOf, signer crypto.Signer, hdr, pl map[string]any) string {
	t.Helper()
	jwk, err := keys.MarshalPublicJWK(jwkOf.Public())
	if err != nil {
		t.Fatal(err)
	}
	js, err := jose.NewSigner(signer)
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]any{"alg": string(js.Algorithm()), "typ": ProofType, "jwk": json.RawMessage(jwk)}
	for k, v := range hdr {
		h[k] = v
	}
	p := map[string]any{"aud": audience, "iat": t0.Unix(), "nonce": "n-1"}
	for k, v := range pl {
		if v == nil {
			delete(p, k)
			continue
		}
		p[k] = v
	}
	hb, _ := json.Marshal(h)
	pb, _ := json.Marshal(p)
	tok, err := js.Sign(nil, hb, pb)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestVerifyProof(t *testing.T) {
	device, _ := keys.Generate(keys.ES256, nil)
	other, _ := keys.Generate(keys.ES256, nil)
	good, err := SignProof(nil, keys.Opaque(device), audience, "n-1", t0)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := VerifyProof(good, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !pr.Key().(interface{ Equal(crypto.PublicKey) bool }).Equal(device.Public()) || pr.Nonce() != "n-1" || !pr.IssuedAt().Equal(t0) {
		t.Fatalf("proof %+v", pr)
	}
	tp, _ := keys.Thumbprint(device.Public())
	if pr.Thumbprint() != tp {
		t.Fatalf("thumbprint %s, want %s", pr.Thumbprint(), tp)
	}
	for _, tc := range []struct {
		name  string
		token string
		opts  ProofOptions
		want  error
	}{
		{"signed by another key", forge(t, device, other, nil, nil), opts, ErrInvalidProof},
		{"typ JWT", forge(t, device, device, map[string]any{"typ": "JWT"}, nil), opts, ErrInvalidProof},
		{"kid beside jwk", forge(t, device, device, map[string]any{"kid": "k"}, nil), opts, ErrInvalidProof},
		{"alg none", forge(t, device, device, map[string]any{"alg": "none"}, nil), opts, ErrInvalidProof},
		{"other audience", forge(t, device, device, nil, map[string]any{"aud": "https://evil.example"}), opts, ErrInvalidProof},
		{"too old", good, ProofOptions{Audience: audience, Now: t0.Add(time.Hour), MaxAge: 5 * time.Minute}, ErrInvalidProof},
		{"from the future", good, ProofOptions{Audience: audience, Now: t0.Add(-time.Hour), MaxAge: 5 * time.Minute}, ErrInvalidProof},
		{"expired", forge(t, device, device, nil, map[string]any{"exp": t0.Unix() - 60}), opts, ErrInvalidProof},
		{"no nonce", forge(t, device, device, nil, map[string]any{"nonce": nil}), opts, ErrInvalidNonce},
		{"no options", good, ProofOptions{}, ErrInvalidProof},
		{"too large", good + strings.Repeat("A", MaxProofSize), opts, ErrInvalidProof},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if pr, err := VerifyProof(tc.token, tc.opts); !errors.Is(err, tc.want) || pr != nil {
				t.Fatalf("VerifyProof = %v, %v; want %v", pr, err, tc.want)
			}
		})
	}
}

// FuzzVerifyProof checks that an accepted proof really is one: it names this
// issuer, carries a nonce and a key, and no strict prefix of it is accepted;
// a rejected proof yields a typed error and no result.
func FuzzVerifyProof(f *testing.F) {
	for _, p := range proofSeeds(f) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, token string) {
		pr, err := VerifyProof(token, opts)
		if err != nil {
			if pr != nil || (!errors.Is(err, ErrInvalidProof) && !errors.Is(err, ErrInvalidNonce)) {
				t.Fatalf("rejection %v with result %v", err, pr)
			}
			return
		}
		if pr.Nonce() == "" || pr.Key() == nil || len(pr.JWK()) == 0 || pr.IssuedAt().After(t0.Add(opts.ClockSkew)) {
			t.Fatalf("accepted proof %+v", pr)
		}
		for i := 0; i < len(token); i += 1 + len(token)/64 {
			if _, err := VerifyProof(token[:i], opts); err == nil {
				t.Fatalf("prefix of length %d accepted", i)
			}
		}
		o := opts
		o.Audience = "https://other.example"
		if _, err := VerifyProof(token, o); err == nil {
			t.Fatal("accepted for another audience")
		}
		o = opts
		o.Now = t0.Add(time.Hour)
		if _, err := VerifyProof(token, o); err == nil {
			t.Fatal("accepted an hour later")
		}
	})
}

// TestSpecProof verifies the key proof example of Appendix F.1.
func TestSpecProof(t *testing.T) {
	tok := strings.TrimSpace(string(readSeed(t, specDir+"/proof-jwt.jwt")))
	iat := time.Unix(1701960444, 0)
	o := ProofOptions{Audience: specIssuer, Now: iat.Add(10 * time.Second), MaxAge: time.Minute}
	pr, err := VerifyProof(tok, o)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Nonce() != "LarRGSbmUPYtRYO6BQ4yn8" || !pr.IssuedAt().Equal(iat) {
		t.Fatalf("proof %+v", pr)
	}
	o.Now = iat.Add(time.Hour)
	if _, err := VerifyProof(tok, o); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("an hour later: %v", err)
	}
	o.Now, o.Audience = iat, "https://server.example.com"
	if _, err := VerifyProof(tok, o); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("other audience: %v", err)
	}
}

func TestVerifyProofs(t *testing.T) {
	k1, k2, k3 := mustKey(t), mustKey(t), mustKey(t)
	sign := func(k crypto.Signer, nonce string) string {
		p, err := SignProof(nil, k, audience, nonce, t0)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	batch := func(n int) ProofOptions { o := opts; o.BatchSize = n; return o }
	noNonce := forge(t, k3, k3, nil, map[string]any{"nonce": nil})
	for _, tc := range []struct {
		name   string
		tokens []string
		opts   ProofOptions
		want   error // nil means accepted
	}{
		{"one", []string{sign(k1, "n")}, opts, nil},
		{"three in a batch of three", []string{sign(k1, "n"), sign(k2, "n"), sign(k3, "n")}, batch(3), nil},
		{"none", nil, batch(3), ErrInvalidProof},
		{"two without batch issuance", []string{sign(k1, "n"), sign(k2, "n")}, opts, ErrInvalidProof},
		{"four in a batch of three", []string{sign(k1, "n"), sign(k2, "n"), sign(k3, "n"), sign(mustKey(t), "n")}, batch(3), ErrInvalidProof},
		{"the same key twice", []string{sign(k1, "n"), sign(k1, "n")}, batch(3), ErrInvalidProof},
		{"two nonces", []string{sign(k1, "n"), sign(k2, "m")}, batch(3), ErrInvalidNonce},
		{"one bad proof", []string{sign(k1, "n"), "x.y.z"}, batch(3), ErrInvalidProof},
		{"one without nonce", []string{sign(k1, "n"), noNonce}, batch(3), ErrInvalidNonce},
		{"batch size over the cap", make([]string, MaxProofs+1), batch(MaxProofs + 10), ErrInvalidProof},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := VerifyProofs(tc.tokens, tc.opts)
			if tc.want != nil {
				if !errors.Is(err, tc.want) || ps != nil {
					t.Fatalf("got %v, %v; want %v", ps, err, tc.want)
				}
				return
			}
			if err != nil || len(ps) != len(tc.tokens) {
				t.Fatalf("got %v, %v", ps, err)
			}
			for i, p := range ps {
				if p == nil || p.Nonce() != "n" || (i > 0 && p.Thumbprint() == ps[0].Thumbprint()) {
					t.Fatalf("proof %d: %+v", i, p)
				}
			}
		})
	}
}

func TestProofErrorResponse(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		code string
		st   int
	}{
		{"proof", fmt.Errorf("proof 1: %w", fmt.Errorf("%w: bad aud", ErrInvalidProof)), CodeInvalidProof, 400},
		{"nonce", fmt.Errorf("%w: spent", ErrInvalidNonce), CodeInvalidNonce, 400},
		{"attestation", fmt.Errorf("%w: %w", ErrInvalidProof, ErrKeyAttestation), CodeInvalidProof, 400},
		{"other", errors.New("db"), CodeServerError, 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := ProofErrorResponse(tc.err)
			if e.Code != tc.code || e.Status != tc.st || e.Err != tc.err || (tc.st == 500 && e.Description != "") {
				t.Fatalf("%+v", e)
			}
		})
	}
}
