package qr

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	mrand "math/rand/v2"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
)

// Synthetic data only: every person and number is fictitious.

var testNow = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

const (
	testAudience = "x509_san_dns:kasir.tokobuku.co.id"
	testIssuer   = "https://ikd.id"
	testKID      = "dukcapil-2026-1"
)

func detRand(seed uint64) *mrand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	s[1] = byte(seed >> 8)
	return mrand.NewChaCha8(s)
}

type fixture struct {
	issuerKey, holderKey, dsKey *ecdsa.PrivateKey
	root, ds                    *x509.Certificate
	roots                       *x509.CertPool
	ktp                         *credential.KTPEL
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newCert(t testing.TB, cn string, pub crypto.PublicKey, parent *x509.Certificate, parentKey crypto.Signer, ca bool) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cn, Country: []string{"ID"}},
		NotBefore:             testNow.AddDate(-1, 0, 0),
		NotAfter:              testNow.AddDate(3, 0, 0),
		BasicConstraintsValid: true,
		IsCA:                  ca,
	}
	if ca {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
		tmpl.MaxPathLen, tmpl.MaxPathLenZero = 0, true
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		// ISO 18013-5 Annex B: the DS certificate has the mdlDS EKU.
		tmpl.UnknownExtKeyUsage = []asn1.ObjectIdentifier{{1, 0, 18013, 5, 1, 2}}
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

func sampleKTPEL(t testing.TB) *credential.KTPEL {
	t.Helper()
	return sampleKTPELWith(t, nil)
}

// Realistic worst cases for the size budgets (docs/qr-format.md §8).
const (
	// longName has 60 characters, the most Permendagri 73/2022 allows for
	// a name (docs/domain.md).
	longName = "MUHAMMAD ABDURRAHMAN HADIKUSUMO WIRYOSAPUTRO SASTROADIHARDJO"
	// longStreet is a 60-character street line ("Alamat").
	longStreet = "JL. LETNAN JENDERAL SUPRAPTO GG. H. ABDUL MANAN II NO. 117 B"
)

// longAddress takes for each field the longest name of its level in the
// Kemendagri 2025 region list (cahyadsn/wilayah db/wilayah.sql): provinsi
// 31 (29 characters), kabupaten 31.01 (39), kecamatan 16.09.12 (31),
// desa 13.05.16.2006 (44), with longStreet and a village-level region
// code. No real address has all of them; it bounds every real one.
var longAddress = credential.Address{
	Street: longStreet, RT: "012", RW: "015",
	Village:    "KAMPUANG TANJUANG KOTO MAMBANG SUNGAI DURIAN",
	District:   "BUAY PEMATANG RIBU RANAU TENGAH",
	City:       "KABUPATEN ADMINISTRASI KEPULAUAN SERIBU",
	Province:   "DAERAH KHUSUS IBUKOTA JAKARTA",
	RegionCode: "13.05.16.2006",
}

// sampleKTPELWith is the sample KTP-el with edit applied to its fields
// (nil: none).
func sampleKTPELWith(t testing.TB, edit func(*credential.KTPELFields)) *credential.KTPEL {
	t.Helper()
	f := credential.KTPELFields{
		NIK:          credential.MustParseNIK("3174015708950021"),
		Name:         "RINA KARTIKA SARI",
		PlaceOfBirth: "BANDUNG",
		BirthDate:    mustDate(t, "1995-08-17"),
		Sex:          credential.Female,
		BloodType:    credential.BloodO,
		Address: credential.Address{
			Street: "JL. KENANGA RAYA NO. 7", RT: "004", RW: "009", Village: "MENTENG DALAM",
			District: "TEBET", City: "KOTA JAKARTA SELATAN", Province: "DKI JAKARTA",
			RegionCode: "31.74.01.1003",
		},
		Religion:      credential.Islam,
		MaritalStatus: credential.BelumKawin,
		Occupation:    credential.Occupation{Text: "KARYAWAN SWASTA", Code: 15},
		Citizenship:   credential.WNI,
		// A stand-in JPEG; a real pas foto (5-20 KB) needs a frame sequence.
		Portrait:      []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0xFF, 0xD9},
		IssueDate:     mustDate(t, "2021-03-02"),
		IssuingPlace:  "JAKARTA SELATAN",
		Lifetime:      true,
		IssuingOffice: "DISDUKCAPIL KOTA ADM. JAKARTA SELATAN",
	}
	if edit != nil {
		edit(&f)
	}
	k, err := credential.NewKTPEL(f)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustDate(t testing.TB, s string) credential.Date {
	d, err := credential.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{issuerKey: newKey(t), holderKey: newKey(t), dsKey: newKey(t), ktp: sampleKTPEL(t)}
	rootKey := newKey(t)
	f.root = newCert(t, "IKD test IACA", rootKey.Public(), nil, rootKey, true)
	f.ds = newCert(t, "IKD test DS", f.dsKey.Public(), f.root, rootKey, false)
	f.roots = x509.NewCertPool()
	f.roots.AddCert(f.root)
	return f
}

func toPaths(cps []credential.ClaimPath) []sdjwt.Path {
	out := make([]sdjwt.Path, len(cps))
	for i, p := range cps {
		out[i] = sdjwt.Path(p)
	}
	return out
}

// identityCheck is credential.QRIdentityCheck with sdjwt paths.
func identityCheck() ([]sdjwt.Path, map[string][]string) {
	paths, mdocRequest := credential.QRIdentityCheck()
	return toPaths(paths), mdocRequest
}

// ageCheck is credential.QRAgeCheck for 17 or 18 with sdjwt paths.
func ageCheck(years int) ([]sdjwt.Path, map[string][]string) {
	paths, mdocRequest, ok := credential.QRAgeCheck(years)
	if !ok {
		panic("no age check for that age")
	}
	return toPaths(paths), mdocRequest
}

// addressCheck is credential.QRAddressCheck with sdjwt paths.
func addressCheck() ([]sdjwt.Path, map[string][]string) {
	paths, mdocRequest := credential.QRAddressCheck()
	return toPaths(paths), mdocRequest
}

// fullDisclosable lists the groups of the full QR profile present in
// claims, as the issuer makes them disclosable.
func fullDisclosable(claims map[string]any) []sdjwt.Path {
	var out []sdjwt.Path
	for _, p := range credential.QRFullType().SelectivelyDisclosable() {
		if p.In(claims) {
			out = append(out, sdjwt.Path(p))
		}
	}
	return out
}

// fullGroups names the groups of the full QR profile.
func fullGroups() []string {
	var out []string
	for _, p := range credential.QRFullType().SelectivelyDisclosable() {
		out = append(out, p[0].(string))
	}
	return out
}

// fullSDJWT issues the full KTP-el SD-JWT VC (every personal claim
// selectively disclosable, as credential.TypeInfo says).
func (f *fixture) fullSDJWT(t testing.TB, withStatus bool) *sdjwt.Unverified {
	t.Helper()
	claims := f.ktp.SDJWTClaims(testNow)
	var sd []sdjwt.Path
	for _, p := range toPaths(f.ktp.Type().SelectivelyDisclosable()) {
		if hasPath(claims, p) {
			sd = append(sd, p)
		}
	}
	return f.issueSDJWT(t, claims, sd, withStatus)
}

// profileSDJWT issues the QR profile SD-JWT VC.
func (f *fixture) profileSDJWT(t testing.TB, withStatus bool) *sdjwt.Unverified {
	t.Helper()
	return f.issueSDJWT(t, f.ktp.QRSDJWTClaims(testNow), toPaths(credential.QRType().SelectivelyDisclosable()), withStatus)
}

func (f *fixture) issueSDJWT(t testing.TB, claims map[string]any, sd []sdjwt.Path, withStatus bool) *sdjwt.Unverified {
	t.Helper()
	claims["iss"] = testIssuer
	// The QR profiles carry no iat (docs/qr-format.md §6): exp and the
	// status list are what a verifier checks.
	claims["exp"] = testNow.Add(credential.QRValidity).Unix()
	if withStatus {
		claims["status"] = map[string]any{"status_list": map[string]any{"idx": 48213, "uri": "https://ikd.id/s/7"}}
	}
	s, err := sdjwt.IssueVC(claims, sdjwt.IssueOptions{
		Signer: f.issuerKey, KeyID: testKID, Disclosable: sd, HolderKey: f.holderKey.Public(), Rand: detRand(1),
	})
	if err != nil {
		t.Fatal(err)
	}
	u, err := sdjwt.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) issueMdoc(t testing.TB, docType string, ns map[string]map[string]any, withStatus bool) *mdoc.IssuerSigned {
	t.Helper()
	iss := &mdoc.Issuer{Signer: f.dsKey, Chain: []*x509.Certificate{f.ds}, Now: func() time.Time { return testNow }, Rand: detRand(2)}
	req := mdoc.IssueRequest{DocType: docType, NameSpaces: ns, DeviceKey: f.holderKey.Public(), ValidUntil: testNow.Add(credential.QRValidity)}
	if withStatus {
		req.Status = &mdoc.StatusReference{Index: 48213, URI: "https://ikd.id/s/7"}
	}
	c, err := iss.Issue(req)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fixture) fullMdoc(t testing.TB, withStatus bool) *mdoc.IssuerSigned {
	return f.issueMdoc(t, credential.DocTypeKTPEL, f.ktp.MdocElements(testNow), withStatus)
}

func (f *fixture) profileMdoc(t testing.TB, withStatus bool) *mdoc.IssuerSigned {
	return f.issueMdoc(t, credential.DocTypeQR, f.ktp.QRMdocElements(testNow), withStatus)
}

func (f *fixture) binding(t testing.TB) Binding {
	t.Helper()
	b, err := NewBinding(testAudience, testNow, detRand(3))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameEnvelope checks that a decoded envelope carries want's presentations
// exactly: each SD-JWT byte for byte, each mdoc binding, and each
// DeviceResponse as the holder made it once the chain is put back.
// (Whether they verify is package verifier's to say, and its tests.)
func (f *fixture) sameEnvelope(t testing.TB, got *Envelope, want Envelope) {
	t.Helper()
	if len(got.Presentations) != len(want.Presentations) {
		t.Fatalf("%d presentations, want %d", len(got.Presentations), len(want.Presentations))
	}
	for i, p := range want.Presentations {
		g := got.Presentations[i]
		if p.SDJWT != g.SDJWT {
			t.Fatalf("SD-JWT not reassembled exactly:\n got %s\nwant %s", g.SDJWT, p.SDJWT)
		}
		if p.Mdoc == nil {
			if g.Mdoc != nil {
				t.Fatal("an mdoc appeared")
			}
			continue
		}
		if g.Mdoc == nil || !g.Mdoc.Binding.IssuedAt.Equal(p.Mdoc.Binding.IssuedAt) ||
			g.Mdoc.Binding.Audience != p.Mdoc.Binding.Audience || !bytes.Equal(g.Mdoc.Binding.Nonce, p.Mdoc.Binding.Nonce) {
			t.Fatal("mdoc binding not carried")
		}
		// Putting the chain back gives the DeviceResponse as the holder
		// made it: mdoc.Present writes deterministic CBOR, the form the
		// envelope re-encodes to.
		full, err := g.Mdoc.WithChain(StaticChains(nil, []*x509Cert{f.ds}))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(full, p.Mdoc.DeviceResponse) {
			t.Fatal("DeviceResponse not restored exactly")
		}
	}
}

func hasPath(v any, p sdjwt.Path) bool {
	for _, e := range p {
		m, ok := v.(map[string]any)
		k, isStr := e.(string)
		if !ok || !isStr {
			return false
		}
		if v, ok = m[k]; !ok {
			return false
		}
	}
	return true
}

type (
	x509Cert = x509.Certificate
	rawCBOR  = cbor.RawMessage
)
