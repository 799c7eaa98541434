package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net/url"
	"path/filepath"
	"sync"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/internal/keys"
	"github.com/ikdkit/ikdkit/issuer"
)

// The fictitious parties of the story. All data is synthetic.
const (
	operatorID = "https://trust.example.go.id"
	dukcapilID = "https://dukcapil.example.go.id"
	djpID      = "https://djp.example.go.id"
	bpjsID     = "https://bpjs.example.go.id"
	bankID     = "https://bank.example.co.id"
	bankKeyID  = "bank-2026"
	residentNK = "3174015708950021"
	demoPIN    = "135790"
)

// clock is the story's clock: it starts at the real (or injected) time and
// is moved forward by the narration, so the 90-second window is shown
// without sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// party is one issuing authority: its signing key (SD-JWT VCs, status lists
// and, as the mdoc document signer, mdocs), its IACA root and DS
// certificate, and its issuer kit over a SQLite store.
type party struct {
	id, name string
	key      crypto.Signer
	root, ds *x509.Certificate
	types    []credential.TypeInfo
	iss      *issuer.Issuer
	store    *issuer.SQLiteStore
}

// newPKI makes an IACA root and a document signer certificate for ds
// (ISO/IEC 18013-5 Annex B.1: the DS certificate carries id-mdl-kp-mdlDS).
func newPKI(name string, ds crypto.Signer, now time.Time) (root, leaf *x509.Certificate, err error) {
	iacaKey, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		return nil, nil, err
	}
	rootT := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " IACA (demo)", Country: []string{"ID"}},
		NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, rootT, rootT, iacaKey.Public(), iacaKey)
	if err != nil {
		return nil, nil, err
	}
	if root, err = x509.ParseCertificate(der); err != nil {
		return nil, nil, err
	}
	leafT := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name + " DS (demo)", Country: []string{"ID"}},
		NotBefore: now.AddDate(0, -1, 0), NotAfter: now.AddDate(3, 0, 0),
		KeyUsage:           x509.KeyUsageDigitalSignature,
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{{1, 0, 18013, 5, 1, 2}}, // id-mdl-kp-mdlDS
	}
	der, err = x509.CreateCertificate(rand.Reader, leafT, root, ds.Public(), iacaKey)
	if err != nil {
		return nil, nil, err
	}
	leaf, err = x509.ParseCertificate(der)
	return root, leaf, err
}

// slug is the host of an https identifier, for file names.
func slug(id string) string {
	u, err := url.Parse(id)
	if err != nil || u.Hostname() == "" {
		return "issuer"
	}
	return u.Hostname()
}

// newParty creates an issuing authority with fresh keys whose documents
// come from docs.
func newParty(ctx context.Context, dir, id, name string, clk *clock, types []credential.TypeInfo, docs []credential.Document) (*party, error) {
	key, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		return nil, err
	}
	root, ds, err := newPKI(name, key, clk.Now())
	if err != nil {
		return nil, err
	}
	st, err := issuer.OpenSQLite(ctx, filepath.Join(dir, "issuer-"+slug(id)+".db"))
	if err != nil {
		return nil, err
	}
	iss, err := issuer.New(ctx, issuer.Config{
		Identifier: id, Signer: key, KeyID: "k-2026", Chain: []*x509.Certificate{ds}, Types: types,
		StatusList: issuer.StatusListConfig{BaseURI: id + "/status", Size: 1024, Bits: 2},
		Documents: issuer.DocumentsFunc(func(_ context.Context, nik credential.NIK) ([]credential.Document, error) {
			if nik.String() != residentNK {
				return nil, nil
			}
			return docs, nil
		}),
		Store: st, Now: clk.Now,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	return &party{id: id, name: name, key: key, root: root, ds: ds, types: types, iss: iss, store: st}, nil
}

// trustEntry is the party's entry in the trust list.
func (p *party) trustEntry() trustlist.Issuer {
	e := trustlist.Issuer{ID: p.id, Name: p.name, Keys: []trustlist.Key{{ID: "k-2026", Public: p.key.Public()}},
		IACARoots: []*x509.Certificate{p.root}, DocumentSigners: []*x509.Certificate{p.ds}}
	for _, t := range p.types {
		e.VCTs = append(e.VCTs, t.VCT)
		e.DocTypes = append(e.DocTypes, t.DocType)
	}
	if p.id == dukcapilID {
		// Dukcapil also issues the compact QR profile credential.
		e.VCTs = append(e.VCTs, qr.ProfileVCT, qr.ProfileFullVCT)
		e.DocTypes = append(e.DocTypes, qr.ProfileDocType)
	}
	return e
}

// publish hands the party's current status lists to a verifier's cache,
// as its periodic refresh would; it returns how many lists it published.
func (p *party) publish(ctx context.Context, c *statuslist.Cache) (int, error) {
	recs, err := p.iss.StatusLists(ctx)
	if err != nil {
		return 0, err
	}
	for _, r := range recs {
		tok, err := p.iss.StatusListToken(ctx, r.Number)
		if err != nil {
			return 0, err
		}
		if err := c.Add(r.URI, tok); err != nil {
			return 0, err
		}
	}
	return len(recs), nil
}

// residentDocuments are the fictitious resident's documents in the three
// authorities' registers.
func residentDocuments() (ktp *credential.KTPEL, kk *credential.KK, npwp *credential.NPWP, bpjs *credential.BPJSKesehatan, err error) {
	nik := credential.MustParseNIK(residentNK)
	addr := credential.Address{Street: "JL. KENANGA RAYA NO. 7", RT: "004", RW: "009", Village: "MENTENG DALAM",
		District: "TEBET", City: "KOTA JAKARTA SELATAN", Province: "DKI JAKARTA", RegionCode: "31.74.01.1003"}
	birth := credential.Date{Year: 1995, Month: time.August, Day: 17}
	if ktp, err = credential.NewKTPEL(credential.KTPELFields{
		NIK: nik, Name: "RINA KARTIKA SARI", PlaceOfBirth: "BANDUNG", BirthDate: birth, Sex: credential.Female,
		BloodType: credential.BloodO, Address: addr, Religion: credential.Islam, MaritalStatus: credential.KawinTercatat,
		Occupation: credential.Occupation{Text: "KARYAWAN SWASTA", Code: 15}, Citizenship: credential.WNI,
		Portrait:  []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0xFF, 0xD9},
		IssueDate: credential.Date{Year: 2021, Month: time.March, Day: 2}, IssuingPlace: "JAKARTA SELATAN",
		Lifetime: true, IssuingOffice: "DISDUKCAPIL KOTA ADM. JAKARTA SELATAN",
	}); err != nil {
		return
	}
	kkAddr := addr
	kkAddr.PostalCode = "12870"
	kkNum, err := credential.ParseFamilyCardNumber("3174012306150003")
	if err != nil {
		return
	}
	if kk, err = credential.NewKK(credential.KKFields{
		Number: kkNum, HeadOfFamilyName: "ANDI PRATAMA WIJAYA", Address: kkAddr,
		IssueDate: credential.Date{Year: 2023, Month: 11, Day: 20}, IssuingOffice: "DISDUKCAPIL KOTA ADM. JAKARTA SELATAN",
		HolderRow: 2,
		Members: []credential.KKMember{
			{NIK: credential.MustParseNIK("3174011203900005"), Name: "ANDI PRATAMA WIJAYA", Sex: credential.Male, PlaceOfBirth: "JAKARTA",
				BirthDate: credential.Date{Year: 1990, Month: 3, Day: 12}, Religion: credential.Islam, Education: 8,
				Occupation:    credential.Occupation{Text: "WIRASWASTA", Code: 88},
				MaritalStatus: credential.KawinTercatat, MarriageDate: credential.Date{Year: 2020, Month: 2, Day: 14},
				Relationship: credential.KepalaKeluarga, Citizenship: credential.WNI, FatherName: "SUTRISNO", MotherName: "SRI WAHYUNI"},
			{NIK: nik, Name: "RINA KARTIKA SARI", Sex: credential.Female, PlaceOfBirth: "BANDUNG",
				BirthDate: birth, Religion: credential.Islam, Education: 8,
				Occupation: credential.Occupation{Text: "KARYAWAN SWASTA"}, BloodType: credential.BloodO,
				MaritalStatus: credential.KawinTercatat, MarriageDate: credential.Date{Year: 2020, Month: 2, Day: 14},
				Relationship: credential.Istri, Citizenship: credential.WNI, FatherName: "BUDI SANTOSO", MotherName: "SITI AMINAH"},
		},
	}); err != nil {
		return
	}
	if npwp, err = credential.NewNPWP(credential.NPWPFields{
		Number: residentNK, TaxpayerType: credential.OPPenduduk, Name: "RINA KARTIKA SARI",
		NIK: nik, TaxOfficeCode: "012", TaxOfficeName: "KPP PRATAMA JAKARTA TEBET",
		RegistrationDate: credential.Date{Year: 2016, Month: 5, Day: 10}, ValidationStatus: credential.NPWPValid,
	}); err != nil {
		return
	}
	bpjs, err = credential.NewBPJSKesehatan(credential.BPJSKesehatanFields{
		CardNumber: "0001234567890", Name: "RINA KARTIKA SARI", NIK: nik, BirthDate: birth, Sex: credential.Female,
		PCPCode: "0123A045", PCPName: "KLINIK PRATAMA CONTOH", CareClass: 1, ParticipantTypeCode: "13",
		ParticipantTypeLabel: "PEGAWAI SWASTA", Segment: credential.PPU, MembershipStatus: credential.Aktif,
		CoverageStart: credential.Date{Year: 2019, Month: 1, Day: 1},
	})
	return
}

// x509Pool makes a pool of certs.
func x509Pool(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}
