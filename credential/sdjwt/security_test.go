package sdjwt

// Bad-input suite (issue 12, docs/security.md): hostile input against
// Verify/VerifyVC/Parse must give a typed *check.Error wrapping a sentinel, never
// a panic, a hang or allocation beyond the documented caps.

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"github.com/ikdkit/ikdkit/credential/check"
	"runtime"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/keys"
)

var securitySentinels = []error{
	ErrMalformed, ErrTooLarge, ErrAlgorithm, ErrUnknownKey, ErrSignature, ErrType,
	ErrHashAlgorithm, ErrMalformedDisclosure, ErrDuplicateDigest, ErrDuplicateDisclosure,
	ErrUnreferencedDisclosure, ErrClaimCollision, ErrReservedClaimName, ErrDisclosureKind,
	ErrExpired, ErrNotYetValid, ErrKeyBindingMissing, ErrKeyBindingUnexpected, ErrHolderKey,
	ErrNonce, ErrAudience, ErrFreshness, ErrSDHash, ErrMissingClaim, ErrNotDisclosable, ErrOptions,
}

// requireTyped fails unless err is a *check.Error that wraps one of the package's
// sentinels.
func requireTyped(t *testing.T, what string, err error) {
	t.Helper()
	var e *check.Error
	if err == nil {
		t.Fatalf("%s: accepted", what)
	}
	if !errors.As(err, &e) {
		t.Fatalf("%s: %T is not *check.Error: %v", what, err, err)
	}
	for _, s := range securitySentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("%s: %v wraps no sdjwt sentinel", what, err)
}

// hmacJWT builds a compact JWS whose signature is HMAC-SHA256 keyed with
// secret, the classic "public key as HMAC secret" forgery.
func hmacJWT(header, payload string, secret []byte) string {
	enc := base64.RawURLEncoding
	in := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + enc.EncodeToString(m.Sum(nil))
}

// TestSecurityAlgNoneUnsigned: an unsigned JWS (alg none, empty signature)
// is refused (RFC 9901 §9.1), as an issuer JWT and as a KB-JWT.
func TestSecurityAlgNoneUnsigned(t *testing.T) {
	f := newFixture(t)
	enc := base64.RawURLEncoding
	unsigned := enc.EncodeToString([]byte(`{"alg":"none","typ":"dc+sd-jwt"}`)) + "." +
		enc.EncodeToString([]byte(`{"iss":"https://dukcapil.example.go.id","vct":"urn:ikd:ktp-el","iat":1780000000,"exp":1880000000}`)) + "."
	opts := VerifyOptions{IssuerKey: &f.issuer.PublicKey, Now: f.opts.Now, AllowNoKeyBinding: true}
	_, err := Verify(unsigned+"~", opts)
	requireTyped(t, "unsigned issuer JWT", err)
	if !errors.Is(err, ErrAlgorithm) {
		t.Fatalf("unsigned issuer JWT: %v, want ErrAlgorithm", err)
	}
	// Replace the KB-JWT with an unsigned one.
	i := strings.LastIndexByte(f.presentation, '~')
	kb := enc.EncodeToString([]byte(`{"alg":"none","typ":"kb+jwt"}`)) + "." +
		enc.EncodeToString([]byte(`{"aud":"`+testAud+`","nonce":"`+testNonce+`","iat":1790000000,"sd_hash":"x"}`)) + "."
	_, err = Verify(f.presentation[:i+1]+kb, f.opts)
	requireTyped(t, "unsigned KB-JWT", err)
	if !errors.Is(err, ErrAlgorithm) {
		t.Fatalf("unsigned KB-JWT: %v, want ErrAlgorithm", err)
	}
}

// TestSecurityHMACWithPublicKey: a real HS256 MAC keyed with the issuer's
// public key, in every encoding an attacker might guess, is refused as an
// algorithm failure (RFC 8725 §2.1, §3.1: the algorithm comes from the key).
func TestSecurityHMACWithPublicKey(t *testing.T) {
	f := newFixture(t)
	pub := &f.issuer.PublicKey
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := pub.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string][]byte{"SPKI DER": der, "uncompressed point": raw}
	payload := `{"iss":"https://dukcapil.example.go.id","vct":"urn:ikd:ktp-el","iat":1780000000,"exp":1880000000}`
	for name, secret := range secrets {
		for _, alg := range []string{"HS256", "HS384", "HS512"} {
			t.Run(name+"/"+alg, func(t *testing.T) {
				tok := hmacJWT(`{"alg":"`+alg+`","typ":"dc+sd-jwt"}`, payload, secret) + "~"
				_, err := Verify(tok, VerifyOptions{IssuerKey: pub, Now: f.opts.Now, AllowNoKeyBinding: true})
				requireTyped(t, alg, err)
				if !errors.Is(err, ErrAlgorithm) {
					t.Fatalf("%v, want ErrAlgorithm", err)
				}
				// Even an allow-list naming HMAC must not make it pass.
				_, err = Verify(tok, VerifyOptions{IssuerKey: pub, Now: f.opts.Now, AllowNoKeyBinding: true, Algorithms: []keys.Algorithm{keys.Algorithm(alg)}})
				if err == nil {
					t.Fatal("HMAC accepted when listed in Algorithms")
				}
			})
		}
	}
}

// TestSecurityKeyConfusion: the issuer and holder keys are not
// interchangeable. An issuer JWT signed by the holder's key, and a KB-JWT
// signed by the issuer's key, are refused.
func TestSecurityKeyConfusion(t *testing.T) {
	f := newFixture(t)
	t.Run("issuer JWT signed by the holder key", func(t *testing.T) {
		tok := craft(t, f.holder, nil, basePayload())
		_, err := Verify(tok, VerifyOptions{IssuerKey: &f.issuer.PublicKey, Now: f.opts.Now, AllowNoKeyBinding: true})
		requireTyped(t, "holder-signed issuer JWT", err)
		if !errors.Is(err, ErrSignature) {
			t.Fatalf("%v, want ErrSignature", err)
		}
	})
	t.Run("holder key configured as issuer key", func(t *testing.T) {
		_, err := Verify(f.presentation, VerifyOptions{IssuerKey: &f.holder.PublicKey, Now: f.opts.Now, Audience: testAud, Nonce: testNonce})
		requireTyped(t, "holder key as issuer key", err)
		if !errors.Is(err, ErrSignature) {
			t.Fatalf("%v, want ErrSignature", err)
		}
	})
	t.Run("KB-JWT signed by the issuer key", func(t *testing.T) {
		u, err := Parse(f.issued)
		if err != nil {
			t.Fatal(err)
		}
		sel, err := u.Select(P("nik"))
		if err != nil {
			t.Fatal(err)
		}
		pres, err := sel.Present(KeyBindingOptions{Signer: f.issuer, Audience: testAud, Nonce: testNonce, IssuedAt: ktpNow})
		if err != nil {
			t.Fatal(err)
		}
		_, err = Verify(pres, f.opts)
		requireTyped(t, "issuer-signed KB-JWT", err)
		var e *check.Error
		if errors.As(err, &e); e.Check != check.HolderBinding {
			t.Fatalf("check %v, want check.HolderBinding (%v)", e.Check, err)
		}
	})
}

// TestSecurityExpiredForgery: an expired token signed by someone else is
// reported as a signature failure, never as "expired" (claims are only
// reported on authenticated data).
func TestSecurityExpiredForgery(t *testing.T) {
	f := newFixture(t)
	p := basePayload()
	p["exp"] = 1700000000
	forged := craft(t, f.holder, nil, p)
	_, err := Verify(forged, VerifyOptions{IssuerKey: &f.issuer.PublicKey, Now: f.opts.Now, AllowNoKeyBinding: true})
	if !errors.Is(err, ErrSignature) || errors.Is(err, ErrExpired) {
		t.Fatalf("expired forgery: %v, want ErrSignature only", err)
	}
	// The same claims, honestly signed, are expired; not yet valid likewise.
	genuine := craft(t, f.issuer, nil, p)
	if _, err := Verify(genuine, VerifyOptions{IssuerKey: &f.issuer.PublicKey, Now: f.opts.Now, AllowNoKeyBinding: true}); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired: %v", err)
	}
	p = basePayload()
	p["nbf"] = 1880000000 - 1
	if _, err := Verify(craft(t, f.issuer, nil, p), VerifyOptions{IssuerKey: &f.issuer.PublicKey, Now: f.opts.Now, AllowNoKeyBinding: true}); !errors.Is(err, ErrNotYetValid) {
		t.Fatalf("not yet valid: %v", err)
	}
}

// TestSecurityTruncationsAndFlips: every strict prefix of a valid
// presentation and a one-bit flip at every byte is refused with a typed
// error.
func TestSecurityTruncationsAndFlips(t *testing.T) {
	f := newFixture(t)
	pres := f.presentation
	for n := 0; n < len(pres); n++ {
		_, err := Verify(pres[:n], f.opts)
		requireTyped(t, "prefix", err)
	}
	b := []byte(pres)
	for i := range b {
		c := b[i]
		b[i] ^= 1 << (i % 7) // stay in ASCII
		_, err := Verify(string(b), f.opts)
		b[i] = c
		if err == nil {
			t.Fatalf("flip at byte %d (%q) accepted", i, c)
		}
		requireTyped(t, "flip", err)
	}
}

// TestSecurityWrongTypes: claims and header members of the wrong JSON type
// are refused, not coerced.
func TestSecurityWrongTypes(t *testing.T) {
	f := newFixture(t)
	noKB := VerifyOptions{IssuerKey: &f.issuer.PublicKey, Now: f.opts.Now, AllowNoKeyBinding: true}
	tests := []struct {
		name    string
		header  map[string]any
		payload func(map[string]any)
	}{
		{"exp string", nil, func(p map[string]any) { p["exp"] = "1880000000" }},
		{"iat bool", nil, func(p map[string]any) { p["iat"] = true }},
		{"_sd object", nil, func(p map[string]any) { p["_sd"] = map[string]any{"a": "b"} }},
		{"_sd_alg number", nil, func(p map[string]any) { p["_sd_alg"] = 256 }},
		{"alg number", map[string]any{"alg": 7, "typ": TypeVC}, func(map[string]any) {}},
		{"typ array", map[string]any{"alg": "ES256", "typ": []any{TypeVC}}, func(map[string]any) {}},
		{"cnf string", nil, func(p map[string]any) { p["cnf"] = "key" }},
		{"cnf.jwk string", nil, func(p map[string]any) { p["cnf"] = map[string]any{"jwk": "key"} }},
		{"cnf.jwk not a key", nil, func(p map[string]any) {
			p["cnf"] = map[string]any{"jwk": map[string]any{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := basePayload()
			tc.payload(p)
			sdjwt := craft(t, f.issuer, tc.header, p)
			// VerifyVC: the SD-JWT VC profile (typ dc+sd-jwt, cnf required).
			_, err := VerifyVC(sdjwt, noKB)
			requireTyped(t, tc.name, err)
			// Plain Verify, no typ required, no key binding required: the
			// malformed value is still refused (docs/security.md findings
			// 2 and 3, fixed).
			_, err = Verify(sdjwt, noKB)
			requireTyped(t, tc.name+" (Verify)", err)
		})
	}
	// The control: the same crafted credential, well formed, passes both.
	sdjwt := craft(t, f.issuer, nil, basePayload())
	if _, err := Verify(sdjwt, noKB); err != nil {
		t.Fatalf("control: %v", err)
	}
	if _, err := VerifyVC(sdjwt, noKB); err != nil {
		t.Fatalf("control (VerifyVC): %v", err)
	}
}

// TestSecurityDeepNesting: deeply nested JSON in the payload or in a
// disclosure is refused by the depth cap without exhausting the stack.
func TestSecurityDeepNesting(t *testing.T) {
	f := newFixture(t)
	enc := base64.RawURLEncoding
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	for name, tok := range map[string]string{
		"payload":    enc.EncodeToString([]byte(`{"alg":"ES256"}`)) + "." + enc.EncodeToString([]byte(`{"a":`+deep+`}`)) + ".AAAA~",
		"header":     enc.EncodeToString([]byte(`{"alg":"ES256","x":`+deep+`}`)) + "." + enc.EncodeToString([]byte(`{}`)) + ".AAAA~",
		"disclosure": f.issued + enc.EncodeToString([]byte(`["s","n",`+deep+`]`)) + "~",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Verify(tok, VerifyOptions{IssuerKey: &f.issuer.PublicKey, Now: f.opts.Now, AllowNoKeyBinding: true})
			requireTyped(t, name, err)
			if _, err := Parse(tok); err == nil && name != "disclosure" {
				t.Fatal("Parse accepted deep nesting")
			}
		})
	}
}

// TestSecurityOversizedAllocs: input over MaxTokenSize is refused before it
// is decoded: a handful of allocations whatever the input size.
func TestSecurityOversizedAllocs(t *testing.T) {
	f := newFixture(t)
	huge := strings.Repeat("A", 64<<20) // 64 MiB
	tilde := f.issued + strings.Repeat("~", MaxTokenSize-len(f.issued)-1)
	var last error
	allocs := testing.AllocsPerRun(5, func() {
		_, last = Verify(huge, f.opts)
	})
	if !errors.Is(last, ErrTooLarge) {
		t.Fatalf("64 MiB: %v, want ErrTooLarge", last)
	}
	if allocs > 10 {
		t.Fatalf("rejecting 64 MiB allocated %v times", allocs)
	}
	if _, err := Verify(tilde, f.opts); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("many separators: %v, want ErrTooLarge", err)
	}
	// A token just under the cap made of separators must not allocate
	// per-separator: the disclosure count cap stops it first.
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	_, _ = Verify(tilde, f.opts)
	runtime.ReadMemStats(&ms1)
	if grew := ms1.TotalAlloc - ms0.TotalAlloc; grew > 4*MaxTokenSize {
		t.Fatalf("separator flood allocated %d bytes (cap %d)", grew, 4*MaxTokenSize)
	}
}

// TestSecurityDepthThroughDisclosures: nesting that stays within MaxDepth in
// the payload and in a disclosure alone but not once the disclosure is
// embedded is refused by Verify, which keeps unchanged parts of the
// payload and disclosures instead of copying them, as by Parse, which
// copies them.
func TestSecurityDepthThroughDisclosures(t *testing.T) {
	f := newFixture(t)
	nest := func(levels int, inner string) string {
		return strings.Repeat(`{"x":`, levels) + inner + strings.Repeat(`}`, levels)
	}
	for _, c := range []struct {
		name      string
		outer     int // objects around the _sd array in the payload
		inner     int // objects in the disclosed value
		wantError bool
	}{
		{"fits", MaxDepth/2 - 1, MaxDepth/2 - 1, false},
		{"too deep together", MaxDepth/2 + 1, MaxDepth/2 + 1, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, dg := disc("c2FsdHNhbHRzYWx0c2FsdA", "n", json.RawMessage(nest(c.inner, "1")))
			var payload map[string]any
			if err := json.Unmarshal([]byte(nest(c.outer, `{"_sd":["`+dg+`"]}`)), &payload); err != nil {
				t.Fatal(err)
			}
			for k, v := range basePayload() {
				payload[k] = v
			}
			tok := craft(t, f.issuer, nil, payload, d)
			_, verr := Verify(tok, VerifyOptions{IssuerKey: &f.issuer.PublicKey, Now: f.opts.Now, AllowNoKeyBinding: true})
			_, perr := Parse(tok)
			if (verr != nil) != c.wantError || (perr != nil) != c.wantError {
				t.Fatalf("Verify: %v, Parse: %v; want an error: %v", verr, perr, c.wantError)
			}
			if c.wantError && (!errors.Is(verr, ErrTooLarge) || !errors.Is(perr, ErrTooLarge)) {
				t.Fatalf("Verify: %v, Parse: %v; want ErrTooLarge", verr, perr)
			}
		})
	}
}
