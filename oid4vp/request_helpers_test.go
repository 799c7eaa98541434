package oid4vp

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/keys"
)

// testNow is the clock of the request tests; the test certificates are
// valid around it.
var testNow = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)

const testDNS = "verifier.example.id"

// testPKI is a Verifier's certificate chain: a root (the Wallet's trust
// anchor, never in x5c), an intermediate, and a leaf with a DNS SAN.
type testPKI struct {
	root, inter, leaf *x509.Certificate
	leafKey, interKey *ecdsa.PrivateKey
	roots             *x509.CertPool
}

func newCert(t testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newPKI(t testing.TB, dns ...string) *testPKI {
	t.Helper()
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	interKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := func(n int64, cn string) *x509.Certificate {
		return &x509.Certificate{SerialNumber: big.NewInt(n), Subject: pkix.Name{CommonName: cn},
			NotBefore: testNow.Add(-365 * 24 * time.Hour), NotAfter: testNow.Add(365 * 24 * time.Hour),
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	}
	p := &testPKI{leafKey: leafKey, interKey: interKey}
	p.root = newCert(t, ca(1, "Test Verifier Root"), ca(1, "Test Verifier Root"), &rootKey.PublicKey, rootKey)
	p.inter = newCert(t, ca(2, "Test Verifier CA"), p.root, &interKey.PublicKey, rootKey)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "Bank Contoh"},
		NotBefore: testNow.Add(-24 * time.Hour), NotAfter: testNow.Add(90 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, DNSNames: dns}
	p.leaf = newCert(t, leaf, p.inter, &leafKey.PublicKey, interKey)
	p.roots = x509.NewCertPool()
	p.roots.AddCert(p.root)
	return p
}

func (p *testPKI) chain() []*x509.Certificate { return []*x509.Certificate{p.leaf, p.inter} }

// testQuery is a DCQL query for one SD-JWT VC with two claims.
func testQuery(t testing.TB) *Query {
	t.Helper()
	q, err := ParseQuery([]byte(`{"credentials":[{"id":"ktp","format":"dc+sd-jwt","meta":{"vct_values":["https://ikd.example.id/ktp"]},"claims":[{"path":["given_name"]},{"path":["birthdate"]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// encKey is a Verifier's ephemeral response encryption key with its JWK.
func encKey(t testing.TB, kid string) (*ecdh.PrivateKey, JWK) {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ek, _ := ecdsaPublic(k)
	j, err := NewEncryptionJWK(kid, ek)
	if err != nil {
		t.Fatal(err)
	}
	return k, j
}

// ecdsaPublic converts a P-256 ECDH public key to ECDSA (the keys package
// reads ECDSA keys).
func ecdsaPublic(k *ecdh.PrivateKey) (*ecdsa.PublicKey, error) {
	b := k.PublicKey().Bytes()
	return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), b)
}

// redirectRequest is an x509_san_dns request with direct_post.jwt, ready
// to sign.
func redirectRequest(t testing.TB, p *testPKI) (*AuthorizationRequest, *ecdh.PrivateKey) {
	t.Helper()
	priv, j := encKey(t, "eph-1")
	return &AuthorizationRequest{
		ClientID:     "x509_san_dns:" + testDNS,
		ResponseType: ResponseTypeVPToken,
		ResponseMode: ResponseModeDirectPostJWT,
		ResponseURI:  "https://" + testDNS + "/oid4vp/response",
		Nonce:        "n-0S6_WzA2Mj-nonce-1",
		State:        "st-8f2a",
		DCQLQuery:    testQuery(t),
		ClientMetadata: &ClientMetadata{
			JWKS:                                []JWK{j},
			EncryptedResponseEncValuesSupported: []string{jose.EncA128GCM, jose.EncA256GCM},
			VPFormatsSupported: map[credential.Format]VPFormat{
				credential.FormatSDJWT: {SDJWTAlgValues: []string{"ES256"}, KBJWTAlgValues: []string{"ES256"}},
				credential.FormatMdoc:  {IssuerAuthAlgValues: []int64{-7}, DeviceAuthAlgValues: []int64{-7}},
			},
		},
	}, priv
}

// signRaw signs payload with header members (alg is set from the key),
// bypassing SignRequestObject's checks, to build hostile Request Objects.
func signRaw(t testing.TB, key crypto.Signer, header, payload map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	typ, _ := header["typ"].(string)
	h := map[string]any{}
	for k, v := range header {
		if k != "typ" {
			h[k] = v
		}
	}
	hb, err := jose.Header(s.Algorithm(), typ, h)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := strictjson.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Sign(nil, hb, pb)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// wantErr checks that err is a *ProtocolError with code wrapping
// sentinel (either may be zero to skip).
func wantErr(t testing.TB, err error, code string, sentinel error) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %s / %v", code, sentinel)
	}
	var pe *ProtocolError
	if code != "" && (!errors.As(err, &pe) || pe.Code != code) {
		t.Fatalf("error %v; want code %s", err, code)
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		t.Fatalf("error %v; want %v", err, sentinel)
	}
}

var _ = keys.ES256
