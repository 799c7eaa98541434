package mdoc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/keys"
)

// testPKI is an IACA root and a document signer issued by it.
type testPKI struct {
	root, ds *x509.Certificate
	rootKey  crypto.Signer
	dsKey    crypto.Signer
	roots    *x509.CertPool
}

var testNow = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

type certOpts struct {
	notBefore, notAfter time.Time
	keyUsage            x509.KeyUsage
	eku                 bool
	isCA                bool
}

func newCert(t testing.TB, cn string, pub crypto.PublicKey, parent *x509.Certificate, parentKey crypto.Signer, o certOpts) *x509.Certificate {
	t.Helper()
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Country: []string{"ID"}},
		NotBefore:             o.notBefore,
		NotAfter:              o.notAfter,
		KeyUsage:              o.keyUsage,
		BasicConstraintsValid: true,
		IsCA:                  o.isCA,
	}
	if o.isCA {
		tmpl.MaxPathLen, tmpl.MaxPathLenZero = 0, true
	}
	if o.eku {
		tmpl.UnknownExtKeyUsage = []asn1.ObjectIdentifier{oidMdlDS}
	}
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

func newECKey(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newPKI(t testing.TB) *testPKI {
	t.Helper()
	rootKey := newECKey(t, elliptic.P256())
	root := newCert(t, "IKD test IACA", rootKey.Public(), nil, rootKey, certOpts{
		notBefore: testNow.AddDate(-5, 0, 0), notAfter: testNow.AddDate(10, 0, 0),
		keyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, isCA: true,
	})
	dsKey := newECKey(t, elliptic.P256())
	ds := newCert(t, "IKD test DS", dsKey.Public(), root, rootKey, certOpts{
		notBefore: testNow.AddDate(-1, 0, 0), notAfter: testNow.AddDate(2, 0, 0),
		keyUsage: x509.KeyUsageDigitalSignature, eku: true,
	})
	pool := x509.NewCertPool()
	pool.AddCert(root)
	return &testPKI{root: root, ds: ds, rootKey: rootKey, dsKey: dsKey, roots: pool}
}

const ktpDocType = "id.go.kemendagri.dukcapil.ktpel.1"

// ktpElements is a synthetic KTP-el (docs/domain.md §8.1; fictitious person).
func ktpElements() map[string]map[string]any {
	return map[string]map[string]any{ktpDocType: {
		"personal_administrative_number": "3174015708950021",
		"name":                           "RINA KARTIKA SARI",
		"birth_date":                     FullDate{1995, 8, 17},
		"place_of_birth":                 map[string]any{"locality": "BANDUNG"},
		"sex":                            2,
		"blood_type":                     "O",
		"resident_street":                "JL. KENANGA RAYA NO. 7",
		"resident_rt":                    "004",
		"resident_rw":                    "009",
		"resident_village":               "MENTENG DALAM",
		"resident_district":              "TEBET",
		"resident_city":                  "KOTA JAKARTA SELATAN",
		"resident_state":                 "DKI JAKARTA",
		"resident_country":               "ID",
		"religion":                       1,
		"marital_status":                 1,
		"occupation":                     "KARYAWAN SWASTA",
		"nationality":                    []any{"ID"},
		"citizenship_status":             "WNI",
		"portrait":                       make([]byte, 12000),
		"issuance_date":                  FullDate{2021, 3, 2},
		"issuing_place":                  "JAKARTA SELATAN",
		"lifetime_validity":              true,
		"issuing_authority":              "DITJEN DUKCAPIL KEMENDAGRI",
		"issuing_country":                "ID",
		"age_over_17":                    true,
		"age_over_18":                    true,
		"age_over_21":                    true,
		"age_over_60":                    false,
	}}
}

// issueKTP issues a KTP-el mdoc bound to deviceKey.
func issueKTP(t testing.TB, pki *testPKI, deviceKey crypto.PublicKey) *IssuerSigned {
	t.Helper()
	iss := &Issuer{Signer: keys.Opaque(pki.dsKey), Chain: []*x509.Certificate{pki.ds}, Now: func() time.Time { return testNow }} // any crypto.Signer, as an HSM would be
	cred, err := iss.Issue(IssueRequest{
		DocType:    ktpDocType,
		NameSpaces: ktpElements(),
		DeviceKey:  deviceKey,
		ValidUntil: testNow.AddDate(0, 0, 30),
		Status:     &StatusReference{Index: 42, URI: "https://status.example.id/ktp/1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}
