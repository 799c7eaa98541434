package sdjwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential/check"

	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/keys"
)

// craft signs an arbitrary issuer JWT with the test issuer key and appends
// the given encoded disclosures, to build inputs an honest issuer would not.
func craft(t *testing.T, key *ecdsa.PrivateKey, header, payload map[string]any, disclosures ...string) string {
	t.Helper()
	if header == nil {
		header = map[string]any{"alg": "ES256", "typ": TypeVC}
	}
	hb, _ := marshalJSON(header)
	pb, _ := marshalJSON(payload)
	// Signed with ES256 whatever the header claims.
	jwt, err := testSign(key, hb, pb, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return jwt + "~" + strings.Join(disclosures, "")
}

// disc encodes a disclosure and returns it with a trailing '~' and its digest.
func disc(elems ...any) (string, string) {
	b, _ := marshalJSON(elems)
	enc := base64.RawURLEncoding.EncodeToString(b)
	return enc + "~", b64Digest(hashOf(nil, SHA256), enc)
}

func basePayload() map[string]any {
	return map[string]any{"iss": "https://dukcapil.example.go.id", "vct": "urn:ikd:ktp-el", "iat": 1780000000, "exp": 1880000000}
}

func TestVerifyFixture(t *testing.T) {
	f := newFixture(t)
	v, err := VerifyVC(f.presentation, f.opts)
	if err != nil {
		t.Fatalf("VerifyVC: %v", err)
	}
	c := v.Claims()
	for _, k := range []string{"nik", "nama", "tanggal_lahir", "jenis_kelamin", "alamat", "vct", "iss", "cnf"} {
		if _, ok := c[k]; !ok {
			t.Errorf("claim %q missing", k)
		}
	}
	for _, k := range []string{"agama", "pekerjaan", "_sd", "_sd_alg", "golongan_darah"} {
		if _, ok := c[k]; ok {
			t.Errorf("claim %q should not be visible", k)
		}
	}
	if got, _ := v.Get(P("alamat", "kab_kota")); got != "KOTA JAKARTA SELATAN" {
		t.Errorf("alamat.kab_kota = %v", got)
	}
	if alamat := c["alamat"].(map[string]any); len(alamat) != 1 {
		t.Errorf("alamat reveals %v, want only kab_kota", alamat)
	}
	if len(v.Disclosed()) != 6 {
		t.Errorf("%d disclosures, want 6", len(v.Disclosed()))
	}
	// Verify records a scalar's path lazily; it must be the path Parse
	// records eagerly, nested ones (alamat.kab_kota) included.
	u, err := Parse(f.presentation)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, d := range u.Disclosures() {
		want = append(want, d.Path().String())
	}
	var got []string
	for _, p := range v.Disclosed() {
		got = append(got, p.String())
	}
	if !slices.Equal(got, want) || !slices.Contains(got, `["alamat","kab_kota"]`) {
		t.Errorf("Disclosed() = %v, Parse's paths %v", got, want)
	}
	if v.VCT() != "https://ikd.example.go.id/vct/ktp-el" || v.Issuer() != "https://dukcapil.example.go.id" {
		t.Errorf("vct %q iss %q", v.VCT(), v.Issuer())
	}
	kb := v.KeyBinding()
	if kb == nil || kb.Audience != testAud || kb.Nonce != testNonce || !kb.IssuedAt.Equal(ktpNow) {
		t.Errorf("key binding %+v", kb)
	}
	if hk, ok := v.HolderKey().(*ecdsa.PublicKey); !ok || !hk.Equal(&f.holder.PublicKey) {
		t.Error("holder key not reported")
	}
}

func TestVerifyRejects(t *testing.T) {
	f := newFixture(t)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	u, _ := Parse(f.presentation)
	sdjwt := u.String()
	kb := u.KeyBindingJWT()
	jwt := u.IssuerJWT()

	// A presentation with one disclosure dropped after the KB-JWT was made.
	ds := u.Disclosures()
	droppedOne := jwt + "~"
	for _, d := range ds[1:] {
		droppedOne += d.Encoded() + "~"
	}
	droppedOne += kb

	kbWith := func(mod func(h, p map[string]any), key *ecdsa.PrivateKey) string {
		h := map[string]any{"alg": "ES256", "typ": "kb+jwt"}
		p := map[string]any{"iat": ktpNow.Unix(), "aud": testAud, "nonce": testNonce, "sd_hash": b64Digest(hashOf(t, SHA256), sdjwt)}
		mod(h, p)
		hb, _ := marshalJSON(h)
		pb, _ := marshalJSON(p)
		s, err := testSign(key, hb, pb, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return sdjwt + s
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	sigStart := strings.LastIndexByte(jwt, '.') + 1

	dGiven, hGiven := disc("salt-given-name-0001", "nik", "3174015708950021")
	dArr, hArr := disc("salt-array-element-01", "x")
	dSD, hSD := disc("salt-reserved-name-001", "_sd", "x")
	dDots, hDots := disc("salt-reserved-name-002", "...", "x")
	dObj, hObj := disc("salt-object-prop-0001", "a", "b")
	_, hDecoy := disc("salt-decoy-000000001", "decoy", "x")
	dGiven2, hGiven2 := disc("salt-given-name-0002", "nik", "3174015708950022")
	dNikObj, hNikObj := disc("salt-given-name-0003", "nik", map[string]any{"x": "y"})
	noKB := VerifyOptions{IssuerKey: &f.issuer.PublicKey, Now: f.opts.Now, AllowNoKeyBinding: true}
	withPayload := func(mod func(p map[string]any)) map[string]any {
		p := basePayload()
		mod(p)
		return p
	}

	tests := []struct {
		name  string
		in    string
		opts  *VerifyOptions
		want  error
		check check.Check
	}{
		{"flipped issuer signature", flip(f.presentation, sigStart+5), nil, ErrSignature, check.Signature},
		{"wrong issuer key", f.presentation, &VerifyOptions{IssuerKey: &other.PublicKey, Now: f.opts.Now, Audience: testAud, Nonce: testNonce}, ErrSignature, check.Signature},
		{"alg none", craft(t, f.issuer, map[string]any{"alg": "none"}, basePayload()), &noKB, ErrAlgorithm, check.Signature},
		{"alg HS256", craft(t, f.issuer, map[string]any{"alg": "HS256"}, basePayload()), &noKB, ErrAlgorithm, check.Signature},
		{"alg ES384 with P-256 key", craft(t, f.issuer, map[string]any{"alg": "ES384"}, basePayload()), &noKB, ErrAlgorithm, check.Signature},
		{"alg not in allow-list", f.presentation, &VerifyOptions{IssuerKey: &f.issuer.PublicKey, Algorithms: []keys.Algorithm{keys.EdDSA}, Now: f.opts.Now, Audience: testAud, Nonce: testNonce}, ErrAlgorithm, check.Signature},
		{"crit header", craft(t, f.issuer, map[string]any{"alg": "ES256", "crit": []any{"x"}}, basePayload()), &noKB, ErrMalformed, check.Format},
		{"typ mismatch", craft(t, f.issuer, map[string]any{"alg": "ES256", "typ": "JWT"}, basePayload()), &VerifyOptions{IssuerKey: &f.issuer.PublicKey, Now: f.opts.Now, AllowNoKeyBinding: true, Types: []string{TypeVC}}, ErrType, check.Format},
		{"unsupported _sd_alg", craft(t, f.issuer, nil, withPayload(func(p map[string]any) { p["_sd_alg"] = "md5" })), &noKB, ErrHashAlgorithm, check.Format},
		{"duplicate digest", craft(t, f.issuer, nil, withPayload(func(p map[string]any) { p["_sd"] = []any{hGiven, hGiven} }), dGiven), &noKB, ErrDuplicateDigest, check.Disclosure},
		{"duplicate digest across levels", craft(t, f.issuer, nil, withPayload(func(p map[string]any) {
			p["_sd"] = []any{hGiven}
			p["a"] = map[string]any{"_sd": []any{hGiven}}
		}), dGiven), &noKB, ErrDuplicateDigest, check.Disclosure},
		{"duplicate disclosure", craft(t, f.issuer, nil, withPayload(func(p map[string]any) { p["_sd"] = []any{hGiven} }), dGiven, dGiven), &noKB, ErrDuplicateDisclosure, check.Disclosure},
		{"unreferenced disclosure", craft(t, f.issuer, nil, basePayload(), dGiven), &noKB, ErrUnreferencedDisclosure, check.Disclosure},
		{"unreferenced disclosure appended to issued", f.issued + dGiven, &noKB, ErrUnreferencedDisclosure, check.Disclosure},
		{"claim collision", craft(t, f.issuer, nil, withPayload(func(p map[string]any) { p["_sd"] = []any{hGiven}; p["nik"] = "x" }), dGiven), &noKB, ErrClaimCollision, check.Disclosure},
		{"claim collision of two disclosures", craft(t, f.issuer, nil, withPayload(func(p map[string]any) { p["_sd"] = []any{hGiven, hGiven2} }), dGiven, dGiven2), &noKB, ErrClaimCollision, check.Disclosure},
		{"claim collision of a disclosed object", craft(t, f.issuer, nil, withPayload(func(p map[string]any) { p["_sd"] = []any{hGiven, hNikObj} }), dGiven, dNikObj), &noKB, ErrClaimCollision, check.Disclosure},
		{"claim collision of a disclosed object with a plain claim", craft(t, f.issuer, nil, withPayload(func(p map[string]any) { p["_sd"] = []any{hNikObj}; p["nik"] = "x" }), dNikObj), &noKB, ErrClaimCollision, check.Disclosure},
		{"duplicate decoy", craft(t, f.issuer, nil, withPayload(func(p map[string]any) { p["_sd"] = []any{hDecoy, hGiven, hDecoy} }), dGiven), &noKB, ErrDuplicateDigest, check.Disclosure},
		{"disclosure named _sd", craft(t, f.issuer, nil, withPayload(func(p map[string]any) { p["_sd"] = []any{hSD} }), dSD), &noKB, ErrReservedClaimName, check.Disclosure},
		{"disclosure named ...", craft(t, f.issuer, nil, withPayload(func(p map[string]any) { p["_sd"] = []any{hDots} }), dDots), &noKB, ErrReservedClaimName, check.Disclosure},
		{"array disclosure in _sd", craft(t, f.issuer, nil, withPayload(func(p map[string]any) { p["_sd"] = []any{hArr} }), dArr), &noKB, ErrDisclosureKind, check.Disclosure},
		{"object disclosure in array", craft(t, f.issuer, nil, withPayload(func(p map[string]any) { p["a"] = []any{map[string]any{"...": hObj}} }), dObj), &noKB, ErrDisclosureKind, check.Disclosure},
		{"_sd not an array", craft(t, f.issuer, nil, withPayload(func(p map[string]any) { p["_sd"] = "x" })), &noKB, ErrMalformed, check.Disclosure},
		{"digest not a string", craft(t, f.issuer, nil, withPayload(func(p map[string]any) { p["_sd"] = []any{1} })), &noKB, ErrMalformed, check.Disclosure},
		{"disclosure not base64url", f.issued + "!!!~", &noKB, ErrMalformedDisclosure, check.Format},
		{"disclosure padded", f.issued + "WyJhIiwgImIiXQ==~", &noKB, ErrMalformedDisclosure, check.Format},
		{"disclosure with newline", f.issued + "WyJhIiwg\nImIiXQ~", &noKB, ErrMalformedDisclosure, check.Format},
		{"disclosure not an array", f.issued + b64(`{"a":1}`) + "~", &noKB, ErrMalformedDisclosure, check.Format},
		{"disclosure of 4 elements", f.issued + b64(`["s","n","v","x"]`) + "~", &noKB, ErrMalformedDisclosure, check.Format},
		{"disclosure of 1 element", f.issued + b64(`["s"]`) + "~", &noKB, ErrMalformedDisclosure, check.Format},
		{"disclosure salt not a string", f.issued + b64(`[1,"n","v"]`) + "~", &noKB, ErrMalformedDisclosure, check.Format},
		{"disclosure name not a string", f.issued + b64(`["s",1,"v"]`) + "~", &noKB, ErrMalformedDisclosure, check.Format},
		{"disclosure with duplicate keys", f.issued + b64(`["s","n",{"a":1,"a":2}]`) + "~", &noKB, ErrMalformedDisclosure, check.Format},
		{"disclosure nested too deep", f.issued + b64(`["s","n",`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`]`) + "~", &noKB, ErrMalformedDisclosure, check.Format},
		{"empty disclosure", jwt + "~~", &noKB, ErrMalformedDisclosure, check.Format},
		{"no separator", jwt, &noKB, ErrMalformed, check.Format},
		{"not a JWS", "abc~", &noKB, ErrMalformed, check.Format},
		{"JWS with 4 parts", jwt + ".x~", &noKB, ErrMalformed, check.Format},
		{"payload with duplicate keys", rawJWT(t, f.issuer, `{"alg":"ES256"}`, `{"exp":1880000000,"exp":1}`) + "~", &noKB, ErrMalformed, check.Format},
		{"too large", strings.Repeat("a", MaxTokenSize+1), &noKB, ErrTooLarge, check.Format},
		{"too many disclosures", jwt + strings.Repeat("~", MaxDisclosures+2), &noKB, ErrTooLarge, check.Format},
		{"expired", f.presentation, &VerifyOptions{IssuerKey: &f.issuer.PublicKey, Now: fixedClock(1880000000), Audience: testAud, Nonce: testNonce}, ErrExpired, check.Validity},
		{"expired beyond skew", f.presentation, &VerifyOptions{IssuerKey: &f.issuer.PublicKey, Now: fixedClock(1880000061), ClockSkew: time.Minute, Audience: testAud, Nonce: testNonce}, ErrExpired, check.Validity},
		{"iat in the future", f.presentation, &VerifyOptions{IssuerKey: &f.issuer.PublicKey, Now: fixedClock(1779999000), Audience: testAud, Nonce: testNonce}, ErrNotYetValid, check.Validity},
		{"nbf in the future", craft(t, f.issuer, nil, withPayload(func(p map[string]any) { p["nbf"] = 1800000000 })), &noKB, ErrNotYetValid, check.Validity},
		{"exp not a number", craft(t, f.issuer, nil, withPayload(func(p map[string]any) { p["exp"] = "soon" })), &noKB, ErrMalformed, check.Validity},
		{"exp missing", craft(t, f.issuer, nil, withPayload(func(p map[string]any) { delete(p, "exp") })), &noKB, ErrMissingClaim, check.Validity},
		{"key binding missing", f.issued, &f.opts, ErrKeyBindingMissing, check.HolderBinding},
		{"key binding with no cnf", craft(t, f.issuer, nil, basePayload()) + kb, &f.opts, ErrHolderKey, check.HolderBinding},
		{"KB signed by another key", kbWith(func(h, p map[string]any) {}, other), &f.opts, ErrSignature, check.HolderBinding},
		{"KB typ JWT", kbWith(func(h, p map[string]any) { h["typ"] = "JWT" }, f.holder), &f.opts, ErrType, check.HolderBinding},
		{"KB alg none", kbWith(func(h, p map[string]any) { h["alg"] = "none" }, f.holder), &f.opts, ErrAlgorithm, check.HolderBinding},
		{"KB too old", kbWith(func(h, p map[string]any) { p["iat"] = ktpNow.Add(-DefaultKeyBindingMaxAge - time.Second).Unix() }, f.holder), &f.opts, ErrFreshness, check.Freshness},
		{"KB from the future", kbWith(func(h, p map[string]any) { p["iat"] = ktpNow.Add(time.Second).Unix() }, f.holder), &f.opts, ErrFreshness, check.Freshness},
		{"KB iat missing", kbWith(func(h, p map[string]any) { delete(p, "iat") }, f.holder), &f.opts, ErrMissingClaim, check.HolderBinding},
		{"KB wrong nonce", kbWith(func(h, p map[string]any) { p["nonce"] = "other" }, f.holder), &f.opts, ErrNonce, check.Freshness},
		{"KB wrong aud", kbWith(func(h, p map[string]any) { p["aud"] = "https://evil.example" }, f.holder), &f.opts, ErrAudience, check.HolderBinding},
		{"KB aud array", kbWith(func(h, p map[string]any) { p["aud"] = []any{testAud} }, f.holder), &f.opts, ErrMissingClaim, check.HolderBinding},
		{"KB wrong sd_hash", kbWith(func(h, p map[string]any) { p["sd_hash"] = "AAAA" }, f.holder), &f.opts, ErrSDHash, check.HolderBinding},
		{"KB over a different disclosure set", droppedOne, &f.opts, ErrSDHash, check.HolderBinding},
		{"KB flipped signature", flip(f.presentation, len(f.presentation)-3), &f.opts, ErrSignature, check.HolderBinding},
		{"no key configured", f.presentation, &VerifyOptions{Audience: testAud, Nonce: testNonce}, ErrOptions, check.Input},
		{"skew too large", f.presentation, &VerifyOptions{IssuerKey: &f.issuer.PublicKey, ClockSkew: time.Hour}, ErrOptions, check.Input},
		{"KB without expected audience", f.presentation, &VerifyOptions{IssuerKey: &f.issuer.PublicKey, Now: f.opts.Now, Nonce: testNonce}, ErrOptions, check.Input},
		{"KB without expected nonce", f.presentation, &VerifyOptions{IssuerKey: &f.issuer.PublicKey, Now: f.opts.Now, Audience: testAud}, ErrOptions, check.Input},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := f.opts
			if tc.opts != nil {
				opts = *tc.opts
			}
			v, err := Verify(tc.in, opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if v != nil {
				t.Fatal("Verified returned with an error")
			}
			var e *check.Error
			if !errors.As(err, &e) || e.Check != tc.check {
				t.Fatalf("check = %v, want %v (err %v)", e, tc.check, err)
			}
		})
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// rawJWT signs literal header and payload JSON.
func rawJWT(t *testing.T, key *ecdsa.PrivateKey, header, payload string) string {
	t.Helper()
	s, err := testSign(key, []byte(header), []byte(payload), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyVCProfile(t *testing.T) {
	f := newFixture(t)
	noKB := VerifyOptions{IssuerKey: &f.issuer.PublicKey, Now: f.opts.Now, AllowNoKeyBinding: true}
	dExp, hExp := disc("salt-exp-disclosed-01", "exp", 1880000000)
	dVct, hVct := disc("salt-vct-disclosed-01", "vct", "urn:x")
	p := basePayload()
	delete(p, "exp")
	p["_sd"] = []any{hExp}
	q := basePayload()
	delete(q, "vct")
	q["_sd"] = []any{hVct}
	noVct := basePayload()
	delete(noVct, "vct")
	dStatus, hStatus := disc("salt-status-disclosed", "status", map[string]any{"status_list": map[string]any{"idx": 1, "uri": "https://s.example/1"}})
	withSD := func(digests ...string) map[string]any {
		p := basePayload()
		p["_sd"] = []any{}
		for _, h := range digests {
			p["_sd"] = append(p["_sd"].([]any), h)
		}
		return p
	}
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"exp disclosed", craft(t, f.issuer, nil, p, dExp), ErrNotDisclosable},
		{"vct disclosed", craft(t, f.issuer, nil, q, dVct), ErrNotDisclosable},
		{"vct missing", craft(t, f.issuer, nil, noVct), ErrMissingClaim},
		{"status disclosed as an object", craft(t, f.issuer, nil, withSD(hStatus), dStatus), ErrNotDisclosable},
		{"typ not dc+sd-jwt", craft(t, f.issuer, map[string]any{"alg": "ES256", "typ": "example+sd-jwt"}, basePayload()), ErrType},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := VerifyVC(tc.in, noKB); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	for name, st := range map[string]any{
		"status not an object":   "revoked",
		"status_list not object": map[string]any{"status_list": 3},
		"negative idx":           map[string]any{"status_list": map[string]any{"idx": -1, "uri": "https://s.example/1"}},
		"fractional idx":         map[string]any{"status_list": map[string]any{"idx": 1.5, "uri": "https://s.example/1"}},
		"missing uri":            map[string]any{"status_list": map[string]any{"idx": 1}},
	} {
		t.Run(name, func(t *testing.T) {
			p := basePayload()
			p["status"] = st
			if _, err := VerifyVC(craft(t, f.issuer, nil, p), noKB); !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
	t.Run("status list reference", func(t *testing.T) {
		p := basePayload()
		p["status"] = map[string]any{"status_list": map[string]any{"idx": 4711, "uri": "https://dukcapil.example.go.id/status/31"}}
		v, err := VerifyVC(craft(t, f.issuer, nil, p), noKB)
		if err != nil {
			t.Fatal(err)
		}
		idx, uri, ok := v.StatusList()
		if !ok || idx != 4711 || uri != "https://dukcapil.example.go.id/status/31" {
			t.Fatalf("StatusList() = %d %q %v", idx, uri, ok)
		}
	})
	t.Run("registered names below the top may be disclosed", func(t *testing.T) {
		dNestedExp, hNestedExp := disc("salt-nested-exp-0001", "exp", 5)
		dObj, hObj := disc("salt-nested-object-01", "dokumen", map[string]any{"_sd": []any{hNestedExp}})
		v, err := VerifyVC(craft(t, f.issuer, nil, withSD(hObj), dObj, dNestedExp), noKB)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := v.Get(P("dokumen", "exp")); got != json.Number("5") {
			t.Fatalf("dokumen.exp = %v", got)
		}
	})
	t.Run("legacy typ accepted", func(t *testing.T) {
		if _, err := VerifyVC(craft(t, f.issuer, map[string]any{"alg": "ES256", "typ": TypeVCLegacy}, basePayload()), noKB); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("IssueVC refuses non-disclosable claims", func(t *testing.T) {
		claims, _ := ktpClaims()
		for _, name := range NonDisclosableVCClaims {
			claims[name] = "x"
			_, err := IssueVC(claims, IssueOptions{Signer: f.issuer, Disclosable: []Path{P(name)}})
			if !errors.Is(err, ErrNotDisclosable) {
				t.Errorf("%s: err = %v", name, err)
			}
		}
	})
	t.Run("IssueVC requires vct", func(t *testing.T) {
		if _, err := IssueVC(map[string]any{"a": 1}, IssueOptions{Signer: f.issuer}); !errors.Is(err, ErrMissingClaim) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no selectively disclosable claims means no _sd", func(t *testing.T) {
		s, err := IssueVC(basePayload(), IssueOptions{Signer: f.issuer})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := Parse(s)
		if _, ok := u.p.jws.payload["_sd"]; ok {
			t.Fatal("_sd present without disclosable claims")
		}
		if _, ok := u.p.jws.payload["_sd_alg"]; ok {
			t.Fatal("_sd_alg present without disclosable claims")
		}
	})
}

func TestIssueRejects(t *testing.T) {
	issuer, _ := testKeys(t)
	tests := []struct {
		name   string
		claims map[string]any
		opts   IssueOptions
		want   error
	}{
		{"no signer", map[string]any{"a": 1}, IssueOptions{}, ErrOptions},
		{"path names no claim", map[string]any{"a": 1}, IssueOptions{Signer: issuer, Disclosable: []Path{P("b")}}, ErrOptions},
		{"index out of range", map[string]any{"a": []any{1}}, IssueOptions{Signer: issuer, Disclosable: []Path{P("a", 3)}}, ErrOptions},
		{"empty path", map[string]any{"a": 1}, IssueOptions{Signer: issuer, Disclosable: []Path{{}}}, ErrOptions},
		{"bad path element", map[string]any{"a": 1}, IssueOptions{Signer: issuer, Disclosable: []Path{{1.5}}}, ErrOptions},
		{"claim named _sd", map[string]any{"_sd": 1}, IssueOptions{Signer: issuer}, ErrReservedClaimName},
		{"nested claim named ...", map[string]any{"a": map[string]any{"...": 1}}, IssueOptions{Signer: issuer}, ErrReservedClaimName},
		{"claim named _sd_alg", map[string]any{"_sd_alg": "x"}, IssueOptions{Signer: issuer}, ErrReservedClaimName},
		{"unknown hash", map[string]any{"a": 1}, IssueOptions{Signer: issuer, HashAlgorithm: "md5"}, ErrHashAlgorithm},
		{"key of no supported algorithm (RSA)", map[string]any{"a": 1}, IssueOptions{Signer: rsaKey(t)}, ErrAlgorithm},
		{"too many decoys", map[string]any{"a": 1}, IssueOptions{Signer: issuer, Decoys: 1000}, ErrOptions},
		{"header sets alg", map[string]any{"a": 1}, IssueOptions{Signer: issuer, Header: map[string]any{"alg": "none"}}, ErrOptions},
		{"cnf twice", map[string]any{"cnf": 1}, IssueOptions{Signer: issuer, HolderKey: &issuer.PublicKey}, ErrOptions},
		{"failing rand", map[string]any{"a": 1}, IssueOptions{Signer: issuer, Disclosable: []Path{P("a")}, Rand: strings.NewReader("short")}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Issue(tc.claims, tc.opts)
			if err == nil || s != "" {
				t.Fatalf("Issue succeeded: %q", s)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	f := newFixture(t)
	u, err := Parse(f.issued)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(u.Disclosures()); n != 20 {
		t.Fatalf("%d disclosures, want 20", n)
	}
	count := func(paths ...Path) int {
		t.Helper()
		s, err := u.Select(paths...)
		if err != nil {
			t.Fatal(err)
		}
		return len(s.Disclosures())
	}
	if n := count(P("alamat", "kecamatan")); n != 2 {
		t.Errorf("nested claim selects %d disclosures, want 2 (itself and its parent)", n)
	}
	if n := count(P("alamat")); n != 7 {
		t.Errorf("whole address selects %d disclosures, want 7", n)
	}
	if n := count(P("vct"), P("iss")); n != 0 {
		t.Errorf("always-visible claims select %d disclosures, want 0", n)
	}
	if n := count(); n != 0 {
		t.Errorf("empty selection keeps %d disclosures", n)
	}
	for _, bad := range []Path{P("nope"), P("alamat", "nope"), {}, {2.5}} {
		if _, err := u.Select(bad); !errors.Is(err, ErrSelection) {
			t.Errorf("Select(%v) err = %v, want ErrSelection", bad, err)
		}
	}
	// Each disclosure reports the path it reveals.
	for _, d := range u.Disclosures() {
		if len(d.Path()) == 0 {
			t.Fatalf("disclosure %s has no path", d.Encoded())
		}
	}
	// Present requires its options.
	if _, err := u.Present(KeyBindingOptions{Signer: f.holder}); !errors.Is(err, ErrOptions) {
		t.Fatalf("Present without aud/nonce: err = %v", err)
	}
}

func TestArrayAndRecursiveDisclosures(t *testing.T) {
	issuer, holder := testKeys(t)
	claims := map[string]any{
		"exp":           1880000000,
		"nationalities": []any{"ID", "NL", "JP"},
		"family": []any{
			map[string]any{"nik": "1", "hubungan": "ISTRI"},
			map[string]any{"nik": "2", "hubungan": "ANAK"},
		},
	}
	s, err := Issue(claims, IssueOptions{Signer: issuer, HolderKey: &holder.PublicKey, Disclosable: []Path{
		P("nationalities", nil), P("family"), P("family", nil), P("family", nil, "nik"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := Parse(s)
	if n := len(u.Disclosures()); n != 3+1+2+2 {
		t.Fatalf("%d disclosures", n)
	}
	sel, err := u.Select(P("nationalities", 1), P("family", 1, "nik"))
	if err != nil {
		t.Fatal(err)
	}
	pres, err := sel.Present(KeyBindingOptions{Signer: holder, Audience: testAud, Nonce: testNonce, IssuedAt: ktpNow})
	if err != nil {
		t.Fatal(err)
	}
	v, err := Verify(pres, VerifyOptions{IssuerKey: &issuer.PublicKey, Now: fixedClock(ktpNow.Unix()), Audience: testAud, Nonce: testNonce})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"exp": 1880000000, "nationalities": []any{"NL"}, "family": []any{map[string]any{"nik": "2", "hubungan": "ANAK"}}}
	got := v.Claims()
	delete(got, "cnf")
	assertJSONEqual(t, got, want)
}

func TestAlgorithmsAndKeys(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	_, edHolder, _ := ed25519.GenerateKey(rand.Reader)
	for _, c := range []struct {
		name   string
		issuer crypto.Signer
		hash   string
		alg    keys.Algorithm
	}{
		{"ES384 sha-384", keys.Opaque(p384), SHA384, keys.ES384},
		{"ES512 sha-512", keys.Opaque(p521), SHA512, keys.ES512},
		{"EdDSA sha-256", keys.Opaque(ed), SHA256, keys.EdDSA},
		// The signature's hash and _sd_alg differ: sd_hash is not begun
		// from the signing input's hash.
		{"ES384 sha-256", keys.Opaque(p384), SHA256, keys.ES384},
		{"ES512 sha-384", keys.Opaque(p521), SHA384, keys.ES512},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := Issue(map[string]any{"exp": 1880000000, "a": "b"}, IssueOptions{
				Signer: c.issuer, HashAlgorithm: c.hash, Disclosable: []Path{P("a")}, HolderKey: edHolder.Public(),
				KeyID: "did:key:z6MkExample#z6MkExample",
			})
			if err != nil {
				t.Fatal(err)
			}
			u, _ := Parse(s)
			if u.HashAlgorithm() != c.hash {
				t.Fatalf("_sd_alg %s", u.HashAlgorithm())
			}
			sel, _ := u.Select(P("a"))
			pres, err := sel.Present(KeyBindingOptions{Signer: keys.Opaque(edHolder), Audience: testAud, Nonce: testNonce, IssuedAt: ktpNow})
			if err != nil {
				t.Fatal(err)
			}
			var seen IssuerKeyInfo
			resolver := KeyResolverFunc(func(info IssuerKeyInfo) (crypto.PublicKey, error) {
				seen = info
				return c.issuer.Public(), nil
			})
			v, err := Verify(pres, VerifyOptions{KeyResolver: resolver, Now: fixedClock(ktpNow.Unix()), Audience: testAud, Nonce: testNonce})
			if err != nil {
				t.Fatal(err)
			}
			if v.Claims()["a"] != "b" || seen.Algorithm != c.alg || seen.KeyID != "did:key:z6MkExample#z6MkExample" {
				t.Fatalf("claims %v, resolver saw %+v", v.Claims(), seen)
			}
		})
	}
	t.Run("resolver error", func(t *testing.T) {
		s, _ := Issue(map[string]any{"exp": 1880000000}, IssueOptions{Signer: p384})
		_, err := Verify(s, VerifyOptions{AllowNoKeyBinding: true, Now: fixedClock(ktpNow.Unix()),
			KeyResolver: KeyResolverFunc(func(IssuerKeyInfo) (crypto.PublicKey, error) { return nil, errors.New("unknown kid") })})
		if !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestSaltsAndDecoys(t *testing.T) {
	issuer, _ := testKeys(t)
	claims := map[string]any{"exp": 1880000000, "a": 1, "b": 2}
	s, err := Issue(claims, IssueOptions{Signer: issuer, Disclosable: []Path{P("a"), P("b")}, Decoys: 3})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := Parse(s)
	sd := u.p.jws.payload["_sd"].([]any)
	if len(sd) != 5 {
		t.Fatalf("_sd has %d digests, want 2 + 3 decoys", len(sd))
	}
	for i := 1; i < len(sd); i++ {
		if sd[i-1].(string) >= sd[i].(string) {
			t.Fatal("_sd digests are not sorted")
		}
	}
	for _, d := range u.Disclosures() {
		raw, err := base64.RawURLEncoding.DecodeString(d.Salt())
		if err != nil || len(raw) < 16 {
			t.Fatalf("salt %q is not 128 bits of base64url", d.Salt())
		}
	}
	if _, err := Verify(s, VerifyOptions{IssuerKey: &issuer.PublicKey, AllowNoKeyBinding: true, Now: fixedClock(ktpNow.Unix())}); err != nil {
		t.Fatalf("decoys must be ignored: %v", err)
	}
}

// testSign signs header and payload JSON as they are (the header's alg is
// not checked against the key), for tokens the tests build by hand.
func testSign(key crypto.Signer, header, payload []byte, r io.Reader) (string, error) {
	js, err := jose.NewSigner(key)
	if err != nil {
		return "", err
	}
	return js.Sign(r, header, payload)
}

// rsaKey returns an RSA key, of an algorithm ikdkit does not support.
func rsaKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// With SkipAbsent, paths that name no claim (an absent member, an empty
// array, an index past the end) are passed over and the present ones are
// disclosed exactly as when only they are listed; a malformed path is
// still an error, and without SkipAbsent an absent path is one too.
func TestIssueSkipAbsent(t *testing.T) {
	issuer, _ := testKeys(t)
	claims := map[string]any{"a": 1, "b": map[string]any{"c": 2}, "e": []any{}, "f": []any{"x"}}
	present := []Path{P("a"), P("b", "c"), P("f", 0)}
	all := append([]Path{P("x"), P("b", "d"), P("e", nil), P("f", 3), P("g", "h")}, present...)
	paths := func(s string) []string {
		t.Helper()
		u, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range u.Disclosures() {
			out = append(out, fmt.Sprint(d.Path()))
		}
		slices.Sort(out)
		return out
	}
	skipped, err := Issue(claims, IssueOptions{Signer: issuer, Disclosable: all, SkipAbsent: true})
	if err != nil {
		t.Fatal(err)
	}
	only, err := Issue(claims, IssueOptions{Signer: issuer, Disclosable: present})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := paths(skipped), paths(only); !slices.Equal(got, want) || len(got) != len(present) {
		t.Errorf("disclosed %v, want %v", got, want)
	}
	if _, err := Issue(claims, IssueOptions{Signer: issuer, Disclosable: all}); !errors.Is(err, ErrOptions) {
		t.Errorf("absent path without SkipAbsent: %v, want ErrOptions", err)
	}
	if _, err := Issue(claims, IssueOptions{Signer: issuer, Disclosable: []Path{{1.5}}, SkipAbsent: true}); !errors.Is(err, ErrOptions) {
		t.Errorf("malformed path with SkipAbsent: %v, want ErrOptions", err)
	}
}
