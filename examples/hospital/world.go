package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/internal/keys"
	"github.com/ikdkit/ikdkit/issuer"
	"github.com/ikdkit/ikdkit/verifier"
)

// world is this example's stand-in for the outside: the issuer kits of
// Dukcapil (KTP-el) and BPJS Kesehatan, the trust-list operator, and one
// patient's activated wallet. A real hospital gets only the signed trust
// list and the status lists.
type world struct {
	dir     string
	now     func() time.Time
	issuers []*issuer.Issuer
	stores  []*issuer.SQLiteStore
	trust   *trustlist.Store
	status  *statuslist.Cache
	wallet  *holder.Wallet
}

const (
	dukcapilID = "https://dukcapil.example.go.id"
	bpjsID     = "https://bpjs.example.go.id"
	patientNIK = "3174015708950021"
)

// newWorld builds the world in a temporary directory; close it with Close.
func newWorld(ctx context.Context, now func() time.Time) (_ *world, err error) {
	w := &world{now: now}
	if w.dir, err = os.MkdirTemp("", "hospital-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			w.Close()
		}
	}()
	ktp, err := sampleKTPEL()
	if err != nil {
		return nil, err
	}
	card, err := sampleBPJS()
	if err != nil {
		return nil, err
	}
	var entries []trustlist.Issuer
	for _, p := range []struct {
		id, name string
		typ      credential.TypeInfo
		doc      credential.Document
		extraVCT []string
		extraDoc []string
	}{
		// Dukcapil also issues the compact QR profile credential.
		{dukcapilID, "Ditjen Dukcapil", credential.KTPELType(), ktp, []string{qr.ProfileVCT}, []string{qr.ProfileDocType}},
		{bpjsID, "BPJS Kesehatan", credential.BPJSKesehatanType(), card, nil, nil},
	} {
		key, err := keys.Generate(keys.ES256, nil)
		if err != nil {
			return nil, err
		}
		root, ds, err := newPKI(p.name, key, now())
		if err != nil {
			return nil, err
		}
		st, err := issuer.OpenSQLite(ctx, filepath.Join(w.dir, p.typ.VCT[len(p.typ.VCT)-4:]+".db"))
		if err != nil {
			return nil, err
		}
		w.stores = append(w.stores, st)
		doc := p.doc
		iss, err := issuer.New(ctx, issuer.Config{
			Identifier: p.id, Signer: key, KeyID: "k-2026", Chain: []*x509.Certificate{ds},
			Types:      []credential.TypeInfo{p.typ},
			StatusList: issuer.StatusListConfig{BaseURI: p.id + "/status", Size: 1024, Bits: 2},
			Documents: issuer.DocumentsFunc(func(context.Context, credential.NIK) ([]credential.Document, error) {
				return []credential.Document{doc}, nil
			}),
			Store: st, Now: now,
		})
		if err != nil {
			return nil, err
		}
		w.issuers = append(w.issuers, iss)
		entries = append(entries, trustlist.Issuer{ID: p.id, Name: p.name, Keys: []trustlist.Key{{ID: "k-2026", Public: key.Public()}},
			IACARoots: []*x509.Certificate{root}, DocumentSigners: []*x509.Certificate{ds},
			VCTs: append([]string{p.typ.VCT}, p.extraVCT...), DocTypes: append([]string{p.typ.DocType}, p.extraDoc...)})
	}

	// The trust-list operator lists both issuers and registers the hospital
	// with the claims it may ask for.
	allowed := map[string][]string{}
	for _, it := range admissionRequest {
		allowed[it.Type] = it.Claims
	}
	op, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		return nil, err
	}
	list := &trustlist.List{Operator: "https://trust.example.go.id", Sequence: 1, IssuedAt: now().Add(-time.Hour), NextUpdate: now().Add(24 * time.Hour),
		Issuers:   entries,
		Verifiers: []trustlist.Verifier{{ID: hospitalID, Name: "RSUD Contoh", Claims: allowed}},
	}
	tok, err := trustlist.Sign(list, op, trustlist.SignOptions{})
	if err != nil {
		return nil, err
	}
	if w.trust, err = trustlist.NewStore(op.Public(), trustlist.StoreOptions{Now: now}); err != nil {
		return nil, err
	}
	if _, err = w.trust.Update(tok); err != nil {
		return nil, err
	}
	if w.status, err = statuslist.NewCache(statuslist.CacheConfig{Keys: verifier.StatusKeys(w.trust), Now: now}); err != nil {
		return nil, err
	}

	// The resident registers, the operator confirms, the wallet activates.
	if w.wallet, err = holder.Create(ctx, filepath.Join(w.dir, "wallet"), "135790", holder.Options{
		KDF:   holder.KDFParams{Time: 1, MemoryKiB: holder.MinKDFMemoryKiB, Threads: 1}, // cheap for the example; apps keep DefaultKDF
		Trust: holder.TrustList(w.trust.Current()), Now: now}); err != nil {
		return nil, err
	}
	for i, iss := range w.issuers {
		reg, err := iss.Register(ctx, issuer.RegisterRequest{NIK: patientNIK, Email: "rina@example.id", Phone: "0812-3456-7890"})
		if err != nil {
			return nil, err
		}
		g, err := iss.Confirm(ctx, "operator:loket-01", reg.ID)
		if err != nil {
			return nil, err
		}
		if _, err = w.wallet.Activate(ctx, iss, entries[i].ID, g.RegistrationID, g.Code); err != nil {
			return nil, err
		}
	}
	return w, w.publish(ctx)
}

// publish hands the issuers' status lists to the hospital's cache, as its
// periodic refresh would (statuslist.Cache.Refresh over HTTP).
func (w *world) publish(ctx context.Context) error {
	for _, iss := range w.issuers {
		recs, err := iss.StatusLists(ctx)
		if err != nil {
			return err
		}
		for _, r := range recs {
			tok, err := iss.StatusListToken(ctx, r.Number)
			if err != nil {
				return err
			}
			if err := w.status.Add(r.URI, tok); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close removes the world.
func (w *world) Close() {
	if w.wallet != nil {
		w.wallet.Close()
	}
	for _, st := range w.stores {
		st.Close()
	}
	os.RemoveAll(w.dir)
}

func newPKI(name string, ds crypto.Signer, now time.Time) (root, leaf *x509.Certificate, err error) {
	iacaKey, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		return nil, nil, err
	}
	rootT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " IACA (example)", Country: []string{"ID"}},
		NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, rootT, rootT, iacaKey.Public(), iacaKey)
	if err != nil {
		return nil, nil, err
	}
	if root, err = x509.ParseCertificate(der); err != nil {
		return nil, nil, err
	}
	der, err = x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(2),
		Subject:   pkix.Name{CommonName: name + " DS (example)", Country: []string{"ID"}},
		NotBefore: now.AddDate(0, -1, 0), NotAfter: now.AddDate(3, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature,
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{{1, 0, 18013, 5, 1, 2}}}, root, ds.Public(), iacaKey)
	if err != nil {
		return nil, nil, err
	}
	leaf, err = x509.ParseCertificate(der)
	return root, leaf, err
}

func sampleKTPEL() (*credential.KTPEL, error) {
	return credential.NewKTPEL(credential.KTPELFields{
		NIK: credential.MustParseNIK("3174015708950021"), Name: "RINA KARTIKA SARI", PlaceOfBirth: "BANDUNG",
		BirthDate: credential.Date{Year: 1995, Month: time.August, Day: 17}, Sex: credential.Female,
		Address: credential.Address{Street: "JL. KENANGA RAYA NO. 7", RT: "004", RW: "009", Village: "MENTENG DALAM",
			District: "TEBET", City: "KOTA JAKARTA SELATAN", Province: "DKI JAKARTA", RegionCode: "31.74.01.1003"},
		Religion: credential.Islam, MaritalStatus: credential.BelumKawin, Occupation: credential.Occupation{Text: "KARYAWAN SWASTA", Code: 15},
		Citizenship: credential.WNI, Portrait: []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0xFF, 0xD9},
		IssueDate: credential.Date{Year: 2021, Month: time.March, Day: 2}, IssuingPlace: "JAKARTA SELATAN", Lifetime: true,
		IssuingOffice: "DISDUKCAPIL KOTA ADM. JAKARTA SELATAN",
	})
}

func sampleBPJS() (*credential.BPJSKesehatan, error) {
	return credential.NewBPJSKesehatan(credential.BPJSKesehatanFields{
		CardNumber: "0001234567890", Name: "RINA KARTIKA SARI", NIK: credential.MustParseNIK(patientNIK),
		BirthDate: credential.Date{Year: 1995, Month: 8, Day: 17}, Sex: credential.Female, PCPCode: "0123A045",
		PCPName: "KLINIK PRATAMA CONTOH", CareClass: 1, ParticipantTypeCode: "13", ParticipantTypeLabel: "PEGAWAI SWASTA",
		Segment: credential.PPU, MembershipStatus: credential.Aktif, CoverageStart: credential.Date{Year: 2019, Month: 1, Day: 1},
	})
}
