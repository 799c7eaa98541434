package oid4vci

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/keys"
)

// attestationCA is a synthetic wallet-provider attestation PKI: a root CA,
// an intermediate, and the signing certificate of the wallet provider's
// attestation service.
type attestationCA struct {
	root, inter, leaf *x509.Certificate
	key               crypto.Signer // the leaf's key
	interKey          crypto.Signer
	roots             *x509.CertPool
}

func newCert(t testing.TB, tmpl *x509.Certificate, pub crypto.PublicKey, parent *x509.Certificate, parentKey crypto.Signer) *x509.Certificate {
	t.Helper()
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newAttestationCA makes the PKI, valid a year around now; the leaf key
// has algorithm alg.
func newAttestationCA(t testing.TB, now time.Time, alg keys.Algorithm) *attestationCA {
	t.Helper()
	rootKey, _ := keys.Generate(keys.ES256, nil)
	interKey, _ := keys.Generate(keys.ES256, nil)
	leafKey, err := keys.Generate(alg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ca := func(n int64, cn string) *x509.Certificate {
		return &x509.Certificate{SerialNumber: big.NewInt(n), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-365 * 24 * time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	}
	root := newCert(t, ca(1, "Synthetic Wallet Provider Attestation Root"), rootKey.Public(), nil, rootKey)
	inter := newCert(t, ca(2, "Synthetic Wallet Provider Attestation CA"), interKey.Public(), root, rootKey)
	leaf := newCert(t, &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "Synthetic Key Attestation Service"},
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(30 * 24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature},
		leafKey.Public(), inter, interKey)
	pool := x509.NewCertPool()
	pool.AddCert(root)
	return &attestationCA{root: root, inter: inter, leaf: leaf, key: leafKey, interKey: interKey, roots: pool}
}

// attest signs a key attestation for device keys with the usual claims,
// edited by edit.
func (ca *attestationCA) attest(t testing.TB, now time.Time, nonce string, edit func(c *KeyAttestationClaims), device ...crypto.PublicKey) string {
	t.Helper()
	c := KeyAttestationClaims{Issuer: "https://wallet-provider.example", IssuedAt: now, ExpiresAt: now.Add(24 * time.Hour),
		AttestedKeys: device, KeyStorage: []string{APRModerate}, UserAuthentication: []string{APRModerate}, Nonce: nonce}
	if edit != nil {
		edit(&c)
	}
	tok, err := SignKeyAttestation(nil, keys.Opaque(ca.key), []*x509.Certificate{ca.leaf, ca.inter}, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func x5cOf(certs ...*x509.Certificate) []any {
	out := make([]any, len(certs))
	for i, c := range certs {
		out[i] = base64.StdEncoding.EncodeToString(c.Raw)
	}
	return out
}

func TestVerifyKeyAttestation(t *testing.T) {
	ca := newAttestationCA(t, t0, keys.ES256)
	other := newAttestationCA(t, t0, keys.ES256)
	device, device2 := mustKey(t), mustKey(t)
	opts := KeyAttestationOptions{Roots: ca.roots, Now: t0, ClockSkew: 30 * time.Second, RequireExpiry: true, Nonce: "n-1"}
	with := func(f func(o *KeyAttestationOptions)) KeyAttestationOptions { o := opts; f(&o); return o }
	good := ca.attest(t, t0, "n-1", nil, device.Public(), device2.Public())

	a, err := VerifyKeyAttestation(good, opts)
	if err != nil {
		t.Fatal(err)
	}
	tp, _ := keys.Thumbprint(device.Public())
	if len(a.Keys()) != 2 || !a.Attests(tp) || a.KeyStorage()[0] != APRModerate || a.UserAuthentication()[0] != APRModerate ||
		!a.IssuedAt().Equal(t0) || !a.ExpiresAt().Equal(t0.Add(24*time.Hour)) || a.Nonce() != "n-1" ||
		a.Issuer() != "https://wallet-provider.example" || len(a.Chain()) != 3 || !a.Chain()[2].Equal(ca.root) ||
		len(a.Thumbprints()) != 2 || a.Status() != nil || a.Certification() != "" {
		t.Fatalf("attestation %+v", a)
	}

	// forged builds an attestation by hand, signed by signer.
	forged := func(signer crypto.Signer, hdr map[string]any, pl map[string]any) string {
		h := map[string]any{"typ": KeyAttestationType, "alg": "ES256", "x5c": x5cOf(ca.leaf, ca.inter)}
		for k, v := range hdr {
			if v == nil {
				delete(h, k)
			} else {
				h[k] = v
			}
		}
		p := map[string]any{"iat": t0.Unix(), "exp": t0.Add(time.Hour).Unix(), "nonce": "n-1",
			"attested_keys": []any{jwkOf(t, device.Public())}}
		for k, v := range pl {
			if v == nil {
				delete(p, k)
			} else {
				p[k] = v
			}
		}
		return signJWS(t, signer, h, p)
	}
	priv, _ := keys.MarshalPrivateJWK(device)
	var privJWK map[string]any
	json.Unmarshal(priv, &privJWK)
	es384 := newAttestationCA(t, t0, keys.ES384)
	noSign := newCert(t, &x509.Certificate{SerialNumber: big.NewInt(9), NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(time.Hour),
		KeyUsage: x509.KeyUsageKeyEncipherment}, ca.key.Public(), ca.inter, ca.interKey)
	for _, tc := range []struct {
		name  string
		token string
		opts  KeyAttestationOptions
		ok    bool
	}{
		{"hand-made", forged(ca.key, nil, nil), opts, true},
		{"with status and certification", forged(ca.key, nil, map[string]any{"status": map[string]any{"status_list": map[string]any{"idx": 1, "uri": "https://wp.example/sl"}},
			"certification": "https://cert.example/1"}), opts, true},
		{"no nonce expected", forged(ca.key, nil, map[string]any{"nonce": nil}), with(func(o *KeyAttestationOptions) { o.Nonce = "" }), true},
		{"no exp allowed", forged(ca.key, nil, map[string]any{"exp": nil}), with(func(o *KeyAttestationOptions) { o.RequireExpiry = false }), true},
		{"certificate not for signing", forged(ca.key, map[string]any{"x5c": x5cOf(noSign, ca.inter)}, nil), opts, false},
		{"chain without intermediate", forged(ca.key, map[string]any{"x5c": x5cOf(ca.leaf)}, nil), opts, false},
		{"chain to another root", other.attest(t, t0, "n-1", nil, device.Public()), opts, false},
		{"signed by another key", forged(other.key, nil, nil), opts, false},
		{"typ JWT", forged(ca.key, map[string]any{"typ": "JWT"}, nil), opts, false},
		{"typ of a proof", forged(ca.key, map[string]any{"typ": ProofType}, nil), opts, false},
		{"alg none", forged(ca.key, map[string]any{"alg": "none"}, nil), opts, false},
		{"alg not the certificate key's", forged(ca.key, map[string]any{"alg": "ES384"}, nil), opts, false},
		{"alg not allowed", es384.attest(t, t0, "n-1", nil, device.Public()),
			with(func(o *KeyAttestationOptions) { o.Roots = es384.roots; o.Algorithms = []keys.Algorithm{keys.ES256} }), false},
		{"ES384 allowed", es384.attest(t, t0, "n-1", nil, device.Public()), with(func(o *KeyAttestationOptions) { o.Roots = es384.roots }), true},
		{"no x5c", forged(ca.key, map[string]any{"x5c": nil}, nil), opts, false},
		{"kid instead of x5c", forged(ca.key, map[string]any{"x5c": nil, "kid": "k1"}, nil), opts, false},
		{"kid beside x5c", forged(ca.key, map[string]any{"kid": "k1"}, nil), opts, false},
		{"x5c a string", forged(ca.key, map[string]any{"x5c": x5cOf(ca.leaf)[0]}, nil), opts, false},
		{"x5c base64url", forged(ca.key, map[string]any{"x5c": []any{base64.RawURLEncoding.EncodeToString(ca.leaf.Raw)}}, nil), opts, false},
		{"x5c garbage", forged(ca.key, map[string]any{"x5c": []any{"AAAA"}}, nil), opts, false},
		{"x5c too long", forged(ca.key, map[string]any{"x5c": x5cOf(ca.leaf, ca.inter, ca.inter, ca.inter, ca.root)}, nil), opts, false},
		{"certificate expired", good, with(func(o *KeyAttestationOptions) { o.Now = t0.Add(60 * 24 * time.Hour) }), false},
		{"no iat", forged(ca.key, nil, map[string]any{"iat": nil}), opts, false},
		{"iat a string", forged(ca.key, nil, map[string]any{"iat": "1"}), opts, false},
		{"iat in the future", forged(ca.key, nil, map[string]any{"iat": t0.Add(time.Hour).Unix(), "exp": t0.Add(2 * time.Hour).Unix()}), opts, false},
		{"too old", good, with(func(o *KeyAttestationOptions) { o.Now = t0.Add(2 * time.Hour); o.MaxAge = time.Hour }), false},
		{"expired", forged(ca.key, nil, map[string]any{"exp": t0.Add(-time.Hour).Unix(), "iat": t0.Add(-2 * time.Hour).Unix()}), opts, false},
		{"exp before iat", forged(ca.key, nil, map[string]any{"exp": t0.Add(-time.Hour).Unix()}), opts, false},
		{"exp required", forged(ca.key, nil, map[string]any{"exp": nil}), opts, false},
		{"no attested keys", forged(ca.key, nil, map[string]any{"attested_keys": nil}), opts, false},
		{"empty attested keys", forged(ca.key, nil, map[string]any{"attested_keys": []any{}}), opts, false},
		{"private attested key", forged(ca.key, nil, map[string]any{"attested_keys": []any{privJWK}}), opts, false},
		{"attested key twice", forged(ca.key, nil, map[string]any{"attested_keys": []any{jwkOf(t, device.Public()), jwkOf(t, device.Public())}}), opts, false},
		{"attested key not an object", forged(ca.key, nil, map[string]any{"attested_keys": []any{"k"}}), opts, false},
		{"empty key_storage", forged(ca.key, nil, map[string]any{"key_storage": []any{}}), opts, false},
		{"user_authentication a string", forged(ca.key, nil, map[string]any{"user_authentication": APRHigh}), opts, false},
		{"status a string", forged(ca.key, nil, map[string]any{"status": "valid"}), opts, false},
		{"other nonce", good, with(func(o *KeyAttestationOptions) { o.Nonce = "n-2" }), false},
		{"no nonce", forged(ca.key, nil, map[string]any{"nonce": nil}), opts, false},
		{"too large", good + strings.Repeat("A", MaxKeyAttestationSize), opts, false},
		{"not a JWT", "a.b", opts, false},
		{"no roots", good, with(func(o *KeyAttestationOptions) { o.Roots = nil }), false},
		{"no time", good, with(func(o *KeyAttestationOptions) { o.Now = time.Time{} }), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := VerifyKeyAttestation(tc.token, tc.opts)
			if tc.ok {
				if err != nil || a == nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrKeyAttestation) || a != nil {
				t.Fatalf("got %+v, %v; want ErrKeyAttestation", a, err)
			}
		})
	}
	t.Run("chain error is inspectable", func(t *testing.T) {
		_, err := VerifyKeyAttestation(other.attest(t, t0, "n-1", nil, device.Public()), opts)
		var ua x509.UnknownAuthorityError
		if !errors.As(err, &ua) {
			t.Fatalf("%v does not wrap x509.UnknownAuthorityError", err)
		}
	})
}

func TestSignKeyAttestationRejects(t *testing.T) {
	ca := newAttestationCA(t, t0, keys.ES256)
	device := mustKey(t)
	chain := []*x509.Certificate{ca.leaf, ca.inter}
	good := KeyAttestationClaims{IssuedAt: t0, AttestedKeys: []crypto.PublicKey{device.Public()}}
	for _, tc := range []struct {
		name   string
		signer crypto.Signer
		chain  []*x509.Certificate
		edit   func(c *KeyAttestationClaims)
	}{
		{"no signer", nil, chain, nil},
		{"no chain", ca.key, nil, nil},
		{"chain of another key", mustKey(t), chain, nil},
		{"nil certificate", ca.key, []*x509.Certificate{ca.leaf, nil}, nil},
		{"no iat", ca.key, chain, func(c *KeyAttestationClaims) { c.IssuedAt = time.Time{} }},
		{"no keys", ca.key, chain, func(c *KeyAttestationClaims) { c.AttestedKeys = nil }},
		{"exp before iat", ca.key, chain, func(c *KeyAttestationClaims) { c.ExpiresAt = t0.Add(-time.Second) }},
		{"status not an object", ca.key, chain, func(c *KeyAttestationClaims) { c.Status = json.RawMessage(`[1]`) }},
		{"unsupported attested key", ca.key, chain, func(c *KeyAttestationClaims) { c.AttestedKeys = []crypto.PublicKey{"k"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			if tc.edit != nil {
				tc.edit(&c)
			}
			if tok, err := SignKeyAttestation(nil, tc.signer, tc.chain, c); !errors.Is(err, ErrKeyAttestation) || tok != "" {
				t.Fatalf("got %q, %v", tok, err)
			}
		})
	}
}

func TestKeyAttestationMeets(t *testing.T) {
	ca := newAttestationCA(t, t0, keys.ES256)
	device := mustKey(t)
	a, err := VerifyKeyAttestation(ca.attest(t, t0, "", func(c *KeyAttestationClaims) {
		c.KeyStorage = []string{APRHigh}
		c.UserAuthentication = nil
	}, device.Public()), KeyAttestationOptions{Roots: ca.roots, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		req  *KeyAttestationRequirement
		ok   bool
	}{
		{"nil", nil, true},
		{"any level", &KeyAttestationRequirement{}, true},
		{"high accepted", &KeyAttestationRequirement{KeyStorage: []string{APRModerate, APRHigh}}, true},
		{"only moderate accepted", &KeyAttestationRequirement{KeyStorage: []string{APRModerate}}, false},
		{"user authentication required", &KeyAttestationRequirement{UserAuthentication: []string{APRBasic}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := a.Meets(tc.req); (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrKeyAttestation)) {
				t.Fatalf("Meets = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// TestVerifyProofKeyAttestation covers a key_attestation in the header of
// a jwt proof (Appendix F.1).
func TestVerifyProofKeyAttestation(t *testing.T) {
	ca := newAttestationCA(t, t0, keys.ES256)
	other := newAttestationCA(t, t0, keys.ES256)
	device, stranger := mustKey(t), mustKey(t)
	proofWith := func(signer crypto.Signer, ka any) string {
		h := map[string]any{"typ": ProofType, "alg": "ES256", "jwk": jwkOf(t, signer.Public())}
		if ka != nil {
			h["key_attestation"] = ka
		}
		return signJWS(t, signer, h, map[string]any{"aud": audience, "iat": t0.Unix(), "nonce": "n-1"})
	}
	attested := ca.attest(t, t0, "n-1", nil, device.Public(), stranger.Public())
	withRoots := opts
	withRoots.AttestationRoots = ca.roots
	require := withRoots
	require.RequireKeyAttestation = &KeyAttestationRequirement{KeyStorage: []string{APRModerate}}
	for _, tc := range []struct {
		name     string
		proof    string
		opts     ProofOptions
		attested bool // a KeyAttestation is returned
		err      error
	}{
		{"verified", proofWith(device, attested), withRoots, true, nil},
		{"required and met", proofWith(device, attested), require, true, nil},
		{"no roots: ignored", proofWith(device, attested), opts, false, nil},
		{"no roots: even a bad one ignored", proofWith(device, "garbage"), opts, false, nil},
		{"none, not required", proofWith(device, nil), withRoots, false, nil},
		{"none, required", proofWith(device, nil), require, false, ErrKeyAttestation},
		{"required level unmet", proofWith(device, ca.attest(t, t0, "n-1", func(c *KeyAttestationClaims) { c.KeyStorage = []string{APRBasic} }, device.Public())),
			require, false, ErrKeyAttestation},
		{"proof key not attested", proofWith(device, ca.attest(t, t0, "n-1", nil, stranger.Public())), withRoots, false, ErrKeyAttestation},
		{"unknown CA", proofWith(device, other.attest(t, t0, "n-1", nil, device.Public())), withRoots, false, ErrKeyAttestation},
		{"attestation for another nonce", proofWith(device, ca.attest(t, t0, "n-0", nil, device.Public())), withRoots, false, ErrKeyAttestation},
		{"attestation without exp", proofWith(device, ca.attest(t, t0, "n-1", func(c *KeyAttestationClaims) { c.ExpiresAt = time.Time{} }, device.Public())),
			withRoots, false, ErrKeyAttestation},
		{"attestation not a string", proofWith(device, map[string]any{"x": 1}), withRoots, false, ErrKeyAttestation},
		{"required without roots", proofWith(device, attested), func() ProofOptions {
			o := opts
			o.RequireKeyAttestation = &KeyAttestationRequirement{}
			return o
		}(), false, ErrInvalidProof},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := VerifyProof(tc.proof, tc.opts)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !errors.Is(err, ErrInvalidProof) || p != nil {
					t.Fatalf("got %v, %v; want %v", p, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := p.KeyAttestation() != nil; got != tc.attested {
				t.Fatalf("attestation returned: %v, want %v", got, tc.attested)
			}
			if tc.attested && len(p.KeyAttestation().Keys()) == 0 {
				t.Fatal("no attested keys")
			}
		})
	}
	t.Run("a proof carrying an attestation fits MaxProofSize", func(t *testing.T) {
		big := ca.attest(t, t0, "n-1", func(c *KeyAttestationClaims) {
			c.Certification = "https://certification.example/" + strings.Repeat("c", 200)
		}, device.Public(), stranger.Public(), mustKey(t).Public(), mustKey(t).Public())
		if p := proofWith(device, big); len(p) > MaxProofSize {
			t.Fatalf("%d bytes", len(p))
		}
	})
}

// FuzzVerifyKeyAttestation checks that an accepted key attestation is
// one: it has keys, iat not in the future, and neither a strict prefix
// of it nor the same token under other roots is accepted; a rejection
// wraps ErrKeyAttestation and gives no result. The seeds are made at
// start with a synthetic CA (the specification's example in Appendix D.1
// is not signed).
func FuzzVerifyKeyAttestation(f *testing.F) {
	ca := newAttestationCA(f, t0, keys.ES256)
	other := newAttestationCA(f, t0, keys.ES256)
	d1, d2 := mustKey(f), mustKey(f)
	f.Add(ca.attest(f, t0, "n-1", nil, d1.Public()))
	f.Add(ca.attest(f, t0, "", func(c *KeyAttestationClaims) {
		c.ExpiresAt, c.KeyStorage, c.UserAuthentication = time.Time{}, nil, nil
		c.Status = json.RawMessage(`{"status_list":{"idx":3,"uri":"https://wp.example/sl"}}`)
	}, d1.Public(), d2.Public()))
	o := KeyAttestationOptions{Roots: ca.roots, Now: t0}
	f.Fuzz(func(t *testing.T, token string) {
		a, err := VerifyKeyAttestation(token, o)
		if err != nil {
			if a != nil || !errors.Is(err, ErrKeyAttestation) {
				t.Fatalf("rejection %v with result %v", err, a)
			}
			return
		}
		if len(a.Keys()) == 0 || len(a.Keys()) != len(a.Thumbprints()) || a.IssuedAt().After(t0) {
			t.Fatalf("accepted %+v", a)
		}
		for i := 0; i < len(token); i += 1 + len(token)/64 {
			if _, err := VerifyKeyAttestation(token[:i], o); err == nil {
				t.Fatalf("prefix of length %d accepted", i)
			}
		}
		if _, err := VerifyKeyAttestation(token, KeyAttestationOptions{Roots: other.roots, Now: t0}); err == nil {
			t.Fatal("accepted under another root")
		}
	})
}
