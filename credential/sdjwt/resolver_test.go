package sdjwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// TestJWKSetResolverDraft18 verifies the SD-JWT VC draft-18 example 01 (kid
// doc-signer-05-25-2022) with the key set of the draft's JWT VC Issuer
// Metadata example.
func TestJWKSetResolverDraft18(t *testing.T) {
	var meta struct {
		Issuer string          `json:"issuer"`
		JWKS   json.RawMessage `json:"jwks"`
	}
	mustUnmarshal(t, readFile(t, filepath.Join(vectors, "sdjwtvc-draft-18/metadata/issuer_metadata_jwks.json")), &meta)
	set, err := jwk.Parse(meta.JWKS)
	if err != nil {
		t.Fatal(err)
	}
	pres := strings.TrimSpace(string(readFile(t, filepath.Join(vectors, "sdjwtvc-draft-18/01/sd_jwt_presentation.txt"))))
	opts := VerifyOptions{Now: fixedClock(vcClock), Audience: "https://example.com/verifier", Nonce: "1234567890"}

	// The example's iss is https://example.com/issuer, the metadata's
	// issuer https://example.com: pinning the issuer must reject it.
	r, err := JWKSetResolver(set, meta.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	opts.KeyResolver = r
	if _, err := VerifyVC(pres, opts); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("issuer mismatch: err = %v, want ErrUnknownKey", err)
	}
	r, _ = JWKSetResolver(set, "https://example.com/issuer")
	opts.KeyResolver = r
	if _, err := VerifyVC(pres, opts); err != nil {
		t.Fatalf("VerifyVC with JWK set: %v", err)
	}

	// A set without the kid resolves nothing.
	other, _ := jwk.Parse([]byte(`{"keys":[{"kid":"x","kty":"EC","crv":"P-256","x":"DfjUx4WHBds61vGbqUQhsy3FGX13fAS13QWh2EHIkX8","y":"NfqJt9Kp0EA93xq9ysO80DRZ_hCGlISz-pYLgv4RFvg"}]}`))
	r, _ = JWKSetResolver(other, "")
	opts.KeyResolver = r
	if _, err := VerifyVC(pres, opts); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unknown kid: err = %v", err)
	}
	// Symmetric keys are refused when the set is loaded.
	oct, _ := jwk.Parse([]byte(`{"keys":[{"kid":"h","kty":"oct","k":"c2VjcmV0"}]}`))
	if _, err := JWKSetResolver(oct, ""); !errors.Is(err, ErrOptions) {
		t.Fatalf("oct key: err = %v", err)
	}
	noKid, _ := jwk.Parse([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"DfjUx4WHBds61vGbqUQhsy3FGX13fAS13QWh2EHIkX8","y":"NfqJt9Kp0EA93xq9ysO80DRZ_hCGlISz-pYLgv4RFvg"}]}`))
	if _, err := JWKSetResolver(noKid, ""); !errors.Is(err, ErrOptions) {
		t.Fatalf("no kid: err = %v", err)
	}
}

// TestX5CHeader issues with an x5c chain and checks that the resolver sees
// the certificates and can take the key from the leaf.
func TestX5CHeader(t *testing.T) {
	issuer, _ := testKeys(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Dukcapil DS"},
		NotBefore: time.Unix(1700000000, 0), NotAfter: time.Unix(1900000000, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &issuer.PublicKey, issuer)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	s, err := Issue(map[string]any{"exp": 1880000000, "a": 1}, IssueOptions{Signer: issuer, X5C: []*x509.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	var seen IssuerKeyInfo
	fromLeaf := KeyResolverFunc(func(info IssuerKeyInfo) (crypto.PublicKey, error) {
		seen = info
		return info.X5C[0].PublicKey, nil
	})
	if _, err := Verify(s, VerifyOptions{KeyResolver: fromLeaf, AllowNoKeyBinding: true, Now: fixedClock(ktpNow.Unix())}); err != nil {
		t.Fatal(err)
	}
	if len(seen.X5C) != 1 || seen.X5C[0].Subject.CommonName != "Dukcapil DS" {
		t.Fatalf("resolver saw %+v", seen)
	}
	// A leaf with another key fails the signature check.
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der2, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &other.PublicKey, other)
	cert2, _ := x509.ParseCertificate(der2)
	s2, _ := Issue(map[string]any{"exp": 1880000000}, IssueOptions{Signer: issuer, X5C: []*x509.Certificate{cert2}})
	if _, err := Verify(s2, VerifyOptions{KeyResolver: fromLeaf, AllowNoKeyBinding: true, Now: fixedClock(ktpNow.Unix())}); !errors.Is(err, ErrSignature) {
		t.Fatalf("err = %v, want ErrSignature", err)
	}
	// Malformed x5c is a format error.
	bad := craft(t, issuer, map[string]any{"alg": "ES256", "x5c": []any{"!!"}}, basePayload())
	if _, err := Verify(bad, VerifyOptions{KeyResolver: fromLeaf, AllowNoKeyBinding: true, Now: fixedClock(ktpNow.Unix())}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed", err)
	}
	if _, err := Verify(s, VerifyOptions{KeyResolver: StaticKey(&issuer.PublicKey), AllowNoKeyBinding: true, Now: fixedClock(ktpNow.Unix())}); err != nil {
		t.Fatalf("StaticKey: %v", err)
	}
}

// TestKeyResolverInfo shows what a KeyResolver is told about the
// issuer-signed JWT it is asked for a key for (the claimed iss, vct, kid,
// alg and typ), and that a kid that is not a string is refused before any
// resolver is asked.
func TestKeyResolverInfo(t *testing.T) {
	issuer, _ := testKeys(t)
	var got []IssuerKeyInfo
	opts := VerifyOptions{
		KeyResolver: KeyResolverFunc(func(info IssuerKeyInfo) (crypto.PublicKey, error) {
			got = append(got, info)
			return &issuer.PublicKey, nil
		}),
		Now:               fixedClock(1790000000),
		AllowNoKeyBinding: true,
	}
	ok := craft(t, issuer, map[string]any{"alg": "ES256", "typ": TypeVC, "kid": "dk-1"}, basePayload())
	if _, err := VerifyVC(ok, opts); err != nil {
		t.Fatal(err)
	}
	want := IssuerKeyInfo{Algorithm: "ES256", KeyID: "dk-1", Issuer: "https://dukcapil.example.go.id", VCT: "urn:ikd:ktp-el", Type: TypeVC}
	if len(got) != 1 || got[0].Algorithm != want.Algorithm || got[0].KeyID != want.KeyID || got[0].Issuer != want.Issuer || got[0].VCT != want.VCT || got[0].Type != want.Type {
		t.Fatalf("resolver saw %+v, want %+v", got, want)
	}

	got = nil
	bad := craft(t, issuer, map[string]any{"alg": "ES256", "typ": TypeVC, "kid": 5}, basePayload())
	_, err := VerifyVC(bad, opts)
	requireTyped(t, "numeric kid", err)
	if !errors.Is(err, ErrMalformed) || len(got) != 0 {
		t.Fatalf("numeric kid: err = %v, resolver asked %d times; want ErrMalformed before any resolver", err, len(got))
	}
}
