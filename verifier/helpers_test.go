package verifier

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/keys"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

const (
	audience    = "https://bank.example.co.id"
	dukcapilID  = "https://dukcapil.example.go.id"
	djpID       = "https://djp.example.go.id"
	bpjsID      = "https://bpjs.example.go.id"
	statusURI   = "https://status.example.go.id/lists/1"
	testNIK     = "3174015708950021"
	otherNIK    = "3174016508900011"
	idxValid    = 1
	idxRevoked  = 2
	idxSuspend  = 3
	idxValid2   = 4
	idxUnlisted = 1 << 20
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func mustKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// pki is an IACA root and one document signer.
type pki struct {
	root, ds *x509.Certificate
	dsKey    crypto.Signer
}

func newPKI(t testing.TB, name string) pki {
	t.Helper()
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dsKey := mustKey(t)
	mk := func(tmpl, parent *x509.Certificate, pub any) *x509.Certificate {
		if parent == nil {
			parent = tmpl
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, rootKey)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	root := mk(&x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " IACA", Country: []string{"ID"}},
		NotBefore: t0.AddDate(-1, 0, 0), NotAfter: t0.AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true,
		MaxPathLen: 0, MaxPathLenZero: true,
	}, nil, rootKey.Public())
	ds := mk(&x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name + " DS", Country: []string{"ID"}},
		NotBefore: t0.AddDate(0, -1, 0), NotAfter: t0.AddDate(3, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true,
		// ISO 18013-5 Annex B.1.4: the DS certificate has the mdlDS EKU.
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{{1, 0, 18013, 5, 1, 2}},
	}, root, dsKey.Public())
	return pki{root: root, ds: ds, dsKey: dsKey}
}

// fixture is a small IKD world: three issuers in a signed trust list, a
// status list, a holder and a bank.
type fixture struct {
	op                   crypto.Signer
	dukcapil, djp, bpjs  crypto.Signer // SD-JWT VC keys
	evil                 crypto.Signer // not in the trust list
	dukcapilPKI, bpjsPKI pki
	evilPKI              pki
	holder, otherHolder  crypto.Signer
	statusKey            crypto.Signer
	trust                *trustlist.Store
	status               *statuslist.Cache
	statusList           *statuslist.List
	clock                *clock
	ktp                  *credential.KTPEL
	npwp                 *credential.NPWP
	bpjsKes              *credential.BPJSKesehatan
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	pem, err := os.ReadFile("../testdata/trustlist/operator.key.pem")
	if err != nil {
		t.Fatal(err)
	}
	op, err := keys.ParsePrivateKeyPEM(pem)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		op: keys.Opaque(op), dukcapil: mustKey(t), djp: mustKey(t), bpjs: mustKey(t), evil: mustKey(t),
		dukcapilPKI: newPKI(t, "Dukcapil"), bpjsPKI: newPKI(t, "BPJS"), evilPKI: newPKI(t, "Evil"),
		holder: mustKey(t), otherHolder: mustKey(t), statusKey: mustKey(t),
		clock: &clock{t: t0},
		ktp:   sampleKTPEL(t), npwp: sampleNPWP(t), bpjsKes: sampleBPJSKes(t),
	}
	f.trust, err = trustlist.NewStore(op.Public(), trustlist.StoreOptions{Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.trust.Update(f.signList(t, 1, nil)); err != nil {
		t.Fatal(err)
	}
	f.statusList, err = statuslist.New(2, 1024)
	if err != nil {
		t.Fatal(err)
	}
	f.statusList.Set(idxRevoked, statuslist.Invalid)
	f.statusList.Set(idxSuspend, statuslist.Suspended)
	f.status, err = statuslist.NewCache(statuslist.CacheConfig{
		Keys: func(uri string) (*statuslist.Verifier, error) {
			return &statuslist.Verifier{Key: f.statusKey.Public()}, nil
		},
		Now: f.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.publishStatus(t, t0.Add(-10*time.Minute))
	return f
}

// signList signs the trust list with sequence seq; mod may change it.
func (f *fixture) signList(t testing.TB, seq uint64, mod func(*trustlist.List)) []byte {
	t.Helper()
	l := &trustlist.List{
		Operator: "https://trust.example.go.id", Sequence: seq, IssuedAt: t0.Add(-time.Hour), NextUpdate: t0.Add(23 * time.Hour),
		Issuers: []trustlist.Issuer{
			{ID: dukcapilID, Name: "Ditjen Dukcapil", Keys: []trustlist.Key{{ID: "dk-1", Public: f.dukcapil.Public()}},
				IACARoots: []*x509.Certificate{f.dukcapilPKI.root}, DocumentSigners: []*x509.Certificate{f.dukcapilPKI.ds},
				VCTs:     []string{credential.VCTKTPEL, credential.VCTKK, credential.VCTQR},
				DocTypes: []string{credential.DocTypeKTPEL, credential.DocTypeKK, credential.DocTypeQR}},
			{ID: djpID, Name: "Direktorat Jenderal Pajak", Keys: []trustlist.Key{{ID: "djp-1", Public: f.djp.Public()}},
				VCTs: []string{credential.VCTNPWP}, DocTypes: []string{credential.DocTypeNPWP}},
			{ID: bpjsID, Name: "BPJS Kesehatan", Keys: []trustlist.Key{{ID: "bpjs-1", Public: f.bpjs.Public()}},
				IACARoots: []*x509.Certificate{f.bpjsPKI.root}, DocumentSigners: []*x509.Certificate{f.bpjsPKI.ds},
				VCTs: []string{credential.VCTBPJSKesehatan}, DocTypes: []string{credential.DocTypeBPJSKesehatan}},
		},
		Verifiers: []trustlist.Verifier{{ID: audience, Name: "Bank Contoh", Claims: map[string][]string{
			credential.VCTKTPEL:     {"personal_administrative_number", "given_name", "family_name", "birthdate"},
			credential.DocTypeKTPEL: {"personal_administrative_number", "given_name", "birth_date"},
			credential.VCTQR:        {"id"}, credential.DocTypeQR: {"id"},
		}}},
	}
	if mod != nil {
		mod(l)
	}
	tok, err := trustlist.Sign(l, f.op, trustlist.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (f *fixture) publishStatus(t testing.TB, iat time.Time) {
	t.Helper()
	tok, err := statuslist.SignJWT(nil, f.statusKey, f.statusList, statuslist.TokenParams{
		Subject: statusURI, IssuedAt: iat, ExpiresAt: iat.Add(48 * time.Hour), TTL: 12 * time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.status.Add(statusURI, tok); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) verifier(t testing.TB, mod func(*Config)) *Verifier {
	t.Helper()
	cfg := Config{Trust: f.trust, Status: f.status, Now: f.clock.Now, ClockSkew: 5 * time.Second, Audience: audience}
	if mod != nil {
		mod(&cfg)
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// sdOpts describes an SD-JWT VC to issue and present.
type sdOpts struct {
	signer    crypto.Signer
	kid, iss  string
	claims    map[string]any
	sd        []sdjwt.Path
	statusIdx int // -1: no status claim
	exp       time.Time
	holder    crypto.Signer // cnf key and KB signer
	kbSigner  crypto.Signer // KB signer if different from holder
	aud       string
	kbAt      time.Time
	nonce     string
	reveal    []sdjwt.Path // nil: everything
	tamper    func(string) string
}

func (f *fixture) ktpOpts() sdOpts {
	claims := f.ktp.SDJWTClaims(t0.Add(-24 * time.Hour))
	return sdOpts{signer: f.dukcapil, kid: "dk-1", iss: dukcapilID, claims: claims,
		sd: disclosable(f.ktp.Type(), claims), statusIdx: idxValid, exp: t0.Add(30 * 24 * time.Hour),
		holder: f.holder, aud: audience, kbAt: t0.Add(-10 * time.Second), nonce: "n-0123456789"}
}

func (f *fixture) npwpOpts() sdOpts {
	o := f.ktpOpts()
	o.claims = f.npwp.SDJWTClaims(t0.Add(-24 * time.Hour))
	o.sd = disclosable(f.npwp.Type(), o.claims)
	o.signer, o.kid, o.iss = f.djp, "djp-1", djpID
	return o
}

func (f *fixture) bpjsOpts() sdOpts {
	o := f.ktpOpts()
	o.claims = f.bpjsKes.SDJWTClaims(t0.Add(-24 * time.Hour))
	o.sd = disclosable(f.bpjsKes.Type(), o.claims)
	o.signer, o.kid, o.iss = f.bpjs, "bpjs-1", bpjsID
	o.statusIdx = idxValid2
	return o
}

func disclosable(ti credential.TypeInfo, claims map[string]any) []sdjwt.Path {
	var out []sdjwt.Path
	for _, p := range ti.SelectivelyDisclosable() {
		if hasPath(claims, sdjwt.Path(p)) {
			out = append(out, sdjwt.Path(p))
		}
	}
	return out
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

func (f *fixture) issueSDJWT(t testing.TB, o sdOpts) *sdjwt.Unverified {
	t.Helper()
	claims := map[string]any{}
	for k, v := range o.claims {
		claims[k] = v
	}
	claims["iss"] = o.iss
	claims["iat"] = t0.Add(-24 * time.Hour).Unix()
	claims["exp"] = o.exp.Unix()
	if o.statusIdx >= 0 {
		claims["status"] = map[string]any{"status_list": map[string]any{"idx": o.statusIdx, "uri": statusURI}}
	}
	s, err := sdjwt.IssueVC(claims, sdjwt.IssueOptions{Signer: o.signer, KeyID: o.kid, Disclosable: o.sd, HolderKey: o.holder.Public()})
	if err != nil {
		t.Fatal(err)
	}
	u, err := sdjwt.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) presentSDJWT(t testing.TB, o sdOpts) string {
	t.Helper()
	u := f.issueSDJWT(t, o)
	if o.reveal != nil {
		var err error
		if u, err = u.Select(o.reveal...); err != nil {
			t.Fatal(err)
		}
	} else {
		var err error
		if u, err = u.Select(o.sd...); err != nil {
			t.Fatal(err)
		}
	}
	kb := o.kbSigner
	if kb == nil {
		kb = o.holder
	}
	p, err := u.Present(sdjwt.KeyBindingOptions{Signer: kb, Audience: o.aud, Nonce: o.nonce, IssuedAt: o.kbAt})
	if err != nil {
		t.Fatal(err)
	}
	if o.tamper != nil {
		p = o.tamper(p)
	}
	return p
}

// mdOpts describes an mdoc to issue.
type mdOpts struct {
	pki        pki
	docType    string
	ns         map[string]map[string]any
	device     crypto.Signer
	validUntil time.Time
	statusIdx  int
}

func (f *fixture) ktpMdoc() mdOpts {
	return mdOpts{pki: f.dukcapilPKI, docType: credential.DocTypeKTPEL, ns: f.ktp.MdocElements(t0.Add(-24 * time.Hour)),
		device: f.holder, validUntil: t0.Add(30 * 24 * time.Hour), statusIdx: idxValid}
}

func (f *fixture) bpjsMdoc() mdOpts {
	return mdOpts{pki: f.bpjsPKI, docType: credential.DocTypeBPJSKesehatan, ns: f.bpjsKes.MdocElements(t0.Add(-24 * time.Hour)),
		device: f.holder, validUntil: t0.Add(30 * 24 * time.Hour), statusIdx: idxValid2}
}

func (f *fixture) issueMdoc(t testing.TB, o mdOpts) *mdoc.IssuerSigned {
	t.Helper()
	iss := &mdoc.Issuer{Signer: o.pki.dsKey, Chain: []*x509.Certificate{o.pki.ds}, Now: func() time.Time { return t0.Add(-24 * time.Hour) }}
	req := mdoc.IssueRequest{DocType: o.docType, NameSpaces: o.ns, DeviceKey: o.device.Public(),
		ValidFrom: t0.Add(-24 * time.Hour), ValidUntil: o.validUntil}
	if o.statusIdx >= 0 {
		req.Status = &mdoc.StatusReference{Index: uint64(o.statusIdx), URI: statusURI}
	}
	c, err := iss.Issue(req)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func allElements(c *mdoc.IssuerSigned) map[string][]string { return c.Elements() }

// transcript is an OpenID4VP session transcript for this verifier.
func transcript(t testing.TB, nonce string) []byte {
	t.Helper()
	st, err := mdoc.OpenID4VPSessionTranscript(audience, nonce, nil, audience+"/response")
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (f *fixture) presentMdoc(t testing.TB, o mdOpts, st []byte) []byte {
	t.Helper()
	c := f.issueMdoc(t, o)
	dr, err := mdoc.Present(c, allElements(c), mdoc.PresentOptions{SessionTranscript: st, DeviceKey: o.device})
	if err != nil {
		t.Fatal(err)
	}
	return dr
}

func sampleKTPEL(t testing.TB) *credential.KTPEL {
	t.Helper()
	k, err := credential.NewKTPEL(credential.KTPELFields{
		NIK: credential.MustParseNIK(testNIK), Name: "RINA KARTIKA SARI", PlaceOfBirth: "BANDUNG",
		BirthDate: credential.Date{Year: 1995, Month: time.August, Day: 17}, Sex: credential.Female,
		BloodType: credential.BloodO,
		Address: credential.Address{Street: "JL. KENANGA RAYA NO. 7", RT: "004", RW: "009", Village: "MENTENG DALAM",
			District: "TEBET", City: "KOTA JAKARTA SELATAN", Province: "DKI JAKARTA", RegionCode: "31.74.01.1003"},
		Religion: credential.Islam, MaritalStatus: credential.BelumKawin,
		Occupation:  credential.Occupation{Text: "KARYAWAN SWASTA", Code: 15},
		Citizenship: credential.WNI, Portrait: []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0xFF, 0xD9},
		IssueDate:    credential.Date{Year: 2021, Month: time.March, Day: 2},
		IssuingPlace: "JAKARTA SELATAN", Lifetime: true, IssuingOffice: "DISDUKCAPIL KOTA ADM. JAKARTA SELATAN",
	})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sampleNPWP(t testing.TB) *credential.NPWP {
	t.Helper()
	n, err := credential.NewNPWP(credential.NPWPFields{
		Number: testNIK, TaxpayerType: credential.OPPenduduk, Name: "RINA KARTIKA SARI",
		NIK: credential.MustParseNIK(testNIK), TaxOfficeCode: "012", TaxOfficeName: "KPP PRATAMA JAKARTA TEBET",
		RegistrationDate: credential.Date{Year: 2016, Month: 5, Day: 10}, ValidationStatus: credential.NPWPValid,
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func sampleBPJSKes(t testing.TB) *credential.BPJSKesehatan {
	t.Helper()
	b, err := credential.NewBPJSKesehatan(credential.BPJSKesehatanFields{
		CardNumber: "0001234567890", Name: "RINA KARTIKA SARI", NIK: credential.MustParseNIK(testNIK),
		BirthDate: credential.Date{Year: 1995, Month: 8, Day: 17}, Sex: credential.Female, PCPCode: "0123A045", PCPName: "KLINIK PRATAMA CONTOH",
		CareClass: 1, ParticipantTypeCode: "13", ParticipantTypeLabel: "PEGAWAI SWASTA", Segment: credential.PPU,
		MembershipStatus: credential.Aktif, CoverageStart: credential.Date{Year: 2019, Month: 1, Day: 1}, FamilyCardNumber: "3174012306150003",
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ecdsaCurve() elliptic.Curve { return elliptic.P256() }
