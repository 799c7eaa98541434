package trustlist

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/didkey"
	"github.com/ikdkit/ikdkit/keys"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func operatorKey(t testing.TB) crypto.Signer {
	t.Helper()
	b, err := os.ReadFile("../../testdata/trustlist/operator.key.pem")
	if err != nil {
		t.Fatal(err)
	}
	k, err := keys.ParsePrivateKeyPEM(b)
	if err != nil {
		t.Fatal(err)
	}
	return keys.Opaque(k)
}

func newCA(t testing.TB, cn string, ca bool) *x509.Certificate {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: t0.AddDate(-1, 0, 0), NotAfter: t0.AddDate(5, 0, 0), IsCA: ca, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type fixture struct {
	op       crypto.Signer
	dukcapil crypto.Signer // JWK key "dk-1"
	djpDID   crypto.Signer // did:key
	did      *didkey.DID
	iaca     *x509.Certificate
	bpjsRoot *x509.Certificate
	list     *List
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{op: operatorKey(t)}
	var err error
	if f.dukcapil, err = keys.Generate(keys.ES256, nil); err != nil {
		t.Fatal(err)
	}
	if f.djpDID, err = keys.Generate(keys.EdDSA, nil); err != nil {
		t.Fatal(err)
	}
	if f.did, err = didkey.New(f.djpDID.Public()); err != nil {
		t.Fatal(err)
	}
	f.iaca = newCA(t, "Dukcapil IACA", true)
	f.bpjsRoot = newCA(t, "BPJS IACA", true)
	f.list = &List{
		Operator: "https://trust.example.go.id", Sequence: 10, IssuedAt: t0, NextUpdate: t0.Add(24 * time.Hour),
		Issuers: []Issuer{
			{ID: "https://dukcapil.example.go.id", Name: "Ditjen Dukcapil",
				Keys:      []Key{{ID: "dk-1", Public: f.dukcapil.Public()}},
				IACARoots: []*x509.Certificate{f.iaca},
				VCTs:      []string{"urn:id:kemendagri:dukcapil:ktp-el:1", "urn:id:kemendagri:dukcapil:kk:1"},
				DocTypes:  []string{"id.go.kemendagri.dukcapil.ktpel.1", "id.go.kemendagri.dukcapil.kk.1"}},
			{ID: "https://djp.example.go.id", Name: "Direktorat Jenderal Pajak",
				Keys: []Key{{ID: f.did.KeyID(), DID: f.did.String(), Public: f.djpDID.Public()}},
				VCTs: []string{"urn:id:kemenkeu:djp:npwp:1"}},
			{ID: "https://bpjs.example.go.id", Name: "BPJS Kesehatan",
				IACARoots: []*x509.Certificate{f.bpjsRoot},
				DocTypes:  []string{"id.go.bpjs-kesehatan.jkn.1"}},
		},
		Verifiers: []Verifier{{ID: "https://bank.example.co.id", Name: "Bank Contoh",
			Claims: map[string][]string{"urn:id:kemendagri:dukcapil:ktp-el:1": {"personal_administrative_number", "given_name"}}}},
	}
	return f
}

func (f *fixture) sign(t testing.TB, l *List) []byte {
	t.Helper()
	tok, err := Sign(l, f.op, SignOptions{KeyID: "op-1"})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (f *fixture) store(t testing.TB) *Store {
	t.Helper()
	s, err := NewStore(f.op.Public(), StoreOptions{Operator: "https://trust.example.go.id", Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
