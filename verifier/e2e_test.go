package verifier

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/internal/demoworld"
	"github.com/ikdkit/ikdkit/issuer"
	"github.com/ikdkit/ikdkit/keys"
)

// e2eIssuer is a real issuer kit over a temporary SQLite store.
type e2eIssuer struct {
	id   string
	iss  *issuer.Issuer
	key  crypto.Signer
	pki  pki
	docs []credential.Document
}

func newE2EIssuer(t *testing.T, clk *clock, id string, types []credential.TypeInfo, docs ...credential.Document) *e2eIssuer {
	t.Helper()
	ctx := context.Background()
	p := newPKI(t, id)
	st, err := issuer.OpenSQLite(ctx, filepath.Join(t.TempDir(), "issuer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// One key signs SD-JWT VCs, status lists and (as the DS key) mdocs.
	iss, err := issuer.New(ctx, issuer.Config{
		Identifier: id, Signer: keys.Opaque(p.dsKey), KeyID: "k-2026", Chain: []*x509.Certificate{p.ds},
		Types: types, StatusList: issuer.StatusListConfig{BaseURI: id + "/status", Size: 1024, Bits: 2},
		Documents: issuer.DocumentsFunc(func(context.Context, credential.NIK) ([]credential.Document, error) { return docs, nil }),
		Store:     st, Now: clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &e2eIssuer{id: id, iss: iss, key: p.dsKey, pki: p, docs: docs}
}

func (e *e2eIssuer) trustEntry(name string, extraVCT, extraDocType []string, types []credential.TypeInfo) trustlist.Issuer {
	is := trustlist.Issuer{ID: e.id, Name: name, Keys: []trustlist.Key{{ID: "k-2026", Public: e.key.Public()}},
		IACARoots: []*x509.Certificate{e.pki.root}, DocumentSigners: []*x509.Certificate{e.pki.ds},
		VCTs: extraVCT, DocTypes: extraDocType}
	for _, ti := range types {
		is.VCTs = append(is.VCTs, ti.VCT)
		is.DocTypes = append(is.DocTypes, ti.DocType)
	}
	return is
}

// publish hands the issuer's current status lists to the verifier's cache,
// as a verifier's periodic refresh would.
func (e *e2eIssuer) publish(t *testing.T, c *statuslist.Cache) {
	t.Helper()
	ctx := context.Background()
	n := 0
	for i := 0; i < 4; i++ {
		tok, err := e.iss.StatusListToken(ctx, i)
		if err != nil {
			continue
		}
		v := &statuslist.Verifier{Key: e.key.Public(), Now: func() time.Time { return t0.Add(time.Hour) }}
		vt, err := v.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Add(vt.Subject(), tok); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n == 0 {
		t.Fatalf("%s published no status list", e.id)
	}
}

// TestEndToEnd: issuer kit -> holder wallet -> QR text -> verifier, for
// KTP-el, KK, NPWP, BPJS and KTP-el + BPJS, in both formats; then the phone
// is reported lost, the verifier's status cache is refreshed, and the same
// presentations fail as revoked.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t) // for the operator key and sample documents
	clk := &clock{t: t0}
	kk := sampleKK(t)
	dukcapil := newE2EIssuer(t, clk, "https://dukcapil.example.go.id", []credential.TypeInfo{credential.KTPELType(), credential.KKType()}, f.ktp, kk)
	djp := newE2EIssuer(t, clk, "https://djp.example.go.id", []credential.TypeInfo{credential.NPWPType()}, f.npwp)
	bpjs := newE2EIssuer(t, clk, "https://bpjs.example.go.id", []credential.TypeInfo{credential.BPJSKesehatanType()}, f.bpjsKes)

	list := &trustlist.List{Operator: "https://trust.example.go.id", Sequence: 1, IssuedAt: t0.Add(-time.Hour), NextUpdate: t0.Add(24 * time.Hour),
		Issuers: []trustlist.Issuer{
			dukcapil.trustEntry("Ditjen Dukcapil", []string{credential.VCTQR}, []string{credential.DocTypeQR}, []credential.TypeInfo{credential.KTPELType(), credential.KKType()}),
			djp.trustEntry("Direktorat Jenderal Pajak", nil, nil, []credential.TypeInfo{credential.NPWPType()}),
			bpjs.trustEntry("BPJS Kesehatan", nil, nil, []credential.TypeInfo{credential.BPJSKesehatanType()}),
		},
		Verifiers: []trustlist.Verifier{{ID: audience, Name: "Bank Contoh"}},
	}
	tok, err := trustlist.Sign(list, f.op, trustlist.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	store, err := trustlist.NewStore(f.op.Public(), trustlist.StoreOptions{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Update(tok); err != nil {
		t.Fatal(err)
	}

	// The wallet activates with each issuer, with the same device key.
	w, err := holder.Create(ctx, filepath.Join(t.TempDir(), "wallet"), "135790", holder.Options{
		KDF: holder.KDFParams{Time: 1, MemoryKiB: holder.MinKDFMemoryKiB, Threads: 1}, Trust: holder.TrustList(store.Current()), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, e := range []*e2eIssuer{dukcapil, djp, bpjs} {
		r, err := e.iss.Register(ctx, issuer.RegisterRequest{NIK: testNIK, Email: "rina@example.id", Phone: "0812-3456-7890"})
		if err != nil {
			t.Fatal(err)
		}
		g, err := e.iss.Confirm(ctx, "operator:loket-01", r.ID)
		if err != nil {
			t.Fatal(err)
		}
		h, err := issuer.NewHandler(e.iss, issuer.HandlerConfig{})
		if err != nil {
			t.Fatal(err)
		}
		link, err := g.Offer.ReferenceLink()
		if err != nil {
			t.Fatal(err)
		}
		host := strings.TrimPrefix(e.id, "https://")
		if _, err := w.ReceiveOffer(ctx, link, holder.ReceiveOptions{HTTPClient: demoworld.HandlerClient(map[string]http.Handler{host: h}),
			TxCode: func(context.Context, holder.TxCodeRequest) (string, error) { return g.Offer.TxCode, nil }}); err != nil {
			t.Fatalf("activation with %s: %v", e.id, err)
		}
	}

	cache, err := statuslist.NewCache(statuslist.CacheConfig{Keys: StatusKeys(store), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []*e2eIssuer{dukcapil, djp, bpjs} {
		e.publish(t, cache)
	}
	v, err := New(Config{Trust: store, Status: cache, Now: clk.Now, ClockSkew: 5 * time.Second, Audience: audience})
	if err != nil {
		t.Fatal(err)
	}
	yes := func(context.Context, holder.ConsentRequest) (bool, error) { return true, nil }

	type want struct {
		typ    string
		issuer string
	}
	cases := []struct {
		name  string
		items []holder.RequestItem
		want  []want
	}{
		{"KTP-el SD-JWT", []holder.RequestItem{{Type: credential.VCTKTPEL, Claims: []string{"personal_administrative_number", "name", "birthdate"}}},
			[]want{{credential.VCTKTPEL, "Ditjen Dukcapil"}}},
		{"KTP-el mdoc", []holder.RequestItem{{Type: credential.DocTypeKTPEL, Claims: []string{"personal_administrative_number", "name", "birth_date"}}},
			[]want{{credential.DocTypeKTPEL, "Ditjen Dukcapil"}}},
		{"KTP-el QR profile", []holder.RequestItem{{Type: credential.VCTQR, Claims: []string{credential.QRClaimID}}},
			[]want{{credential.VCTQR, "Ditjen Dukcapil"}}},
		{"KK SD-JWT", []holder.RequestItem{{Type: credential.VCTKK, Claims: []string{"family_card_number", "head_of_family_name"}}},
			[]want{{credential.VCTKK, "Ditjen Dukcapil"}}},
		{"KK mdoc", []holder.RequestItem{{Type: credential.DocTypeKK, Claims: []string{"family_card_number", "holder_member"}}},
			[]want{{credential.DocTypeKK, "Ditjen Dukcapil"}}},
		{"NPWP SD-JWT", []holder.RequestItem{{Type: credential.VCTNPWP, Claims: []string{"npwp", "personal_administrative_number"}}},
			[]want{{credential.VCTNPWP, "Direktorat Jenderal Pajak"}}},
		{"NPWP mdoc", []holder.RequestItem{{Type: credential.DocTypeNPWP, Claims: []string{"npwp", "personal_administrative_number"}}},
			[]want{{credential.DocTypeNPWP, "Direktorat Jenderal Pajak"}}},
		{"BPJS SD-JWT", []holder.RequestItem{{Type: credential.VCTBPJSKesehatan, Claims: []string{"personal_administrative_number"}}},
			[]want{{credential.VCTBPJSKesehatan, "BPJS Kesehatan"}}},
		{"BPJS mdoc", []holder.RequestItem{{Type: credential.DocTypeBPJSKesehatan, Claims: []string{"personal_administrative_number"}}},
			[]want{{credential.DocTypeBPJSKesehatan, "BPJS Kesehatan"}}},
		{"KTP-el + BPJS SD-JWT", []holder.RequestItem{
			{Type: credential.VCTKTPEL, Claims: []string{"personal_administrative_number", "name"}},
			{Type: credential.VCTBPJSKesehatan, Claims: []string{"personal_administrative_number"}}},
			[]want{{credential.VCTKTPEL, "Ditjen Dukcapil"}, {credential.VCTBPJSKesehatan, "BPJS Kesehatan"}}},
		{"KTP-el + BPJS mdoc", []holder.RequestItem{
			{Type: credential.DocTypeKTPEL, Claims: []string{"personal_administrative_number", "name"}},
			{Type: credential.DocTypeBPJSKesehatan, Claims: []string{"personal_administrative_number"}}},
			[]want{{credential.DocTypeKTPEL, "Ditjen Dukcapil"}, {credential.DocTypeBPJSKesehatan, "BPJS Kesehatan"}}},
	}
	present := func(t *testing.T, items []holder.RequestItem) []string {
		t.Helper()
		p, err := w.Present(ctx, &holder.Request{Verifier: audience, Items: items}, holder.PresentOptions{Consent: yes})
		if err != nil {
			t.Fatal(err)
		}
		var frames []string
		for _, c := range p.Codes {
			frames = append(frames, string(c.Data))
		}
		return frames
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk.Set(t0.Add(10 * time.Minute))
			text := present(t, tc.items)
			clk.Set(t0.Add(10*time.Minute + 20*time.Second)) // scanned 20 s later
			res, err := verifyFrames(v, text)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Credentials()) != len(tc.want) || res.SameHolder() != (len(tc.want) == 1) { // one-time copies: a key each
				t.Fatalf("result %+v", res)
			}
			for i, wnt := range tc.want {
				c := res.Credentials()[i]
				if c.Type() != wnt.typ || c.IssuerName() != wnt.issuer || c.Status() == nil {
					t.Errorf("credential %d: %s from %s (status %v)", i, c.Type(), c.IssuerName(), c.Status())
				}
			}
			if res.NIK() != testNIK && tc.want[0].typ != credential.VCTKK {
				t.Errorf("NIK %q", res.NIK())
			}
			// The same QR scanned again is a replay.
			if _, err := verifyFrames(v, text); !errors.Is(err, ErrReplay) {
				t.Errorf("second scan: %v", err)
			}
		})
	}

	// The phone is lost: Dukcapil revokes, the verifier refreshes its cache.
	clk.Set(t0.Add(20 * time.Minute))
	if n, err := dukcapil.iss.ReportLost(ctx, "operator:loket-01", testNIK); err != nil || n == 0 {
		t.Fatalf("ReportLost: %d, %v", n, err)
	}
	dukcapil.publish(t, cache)
	for _, tc := range cases {
		t.Run("after loss/"+tc.name, func(t *testing.T) {
			clk.Set(t0.Add(25 * time.Minute))
			res, err := verifyFrames(v, present(t, tc.items))
			fromDukcapil := false
			for _, w := range tc.want {
				fromDukcapil = fromDukcapil || w.issuer == "Ditjen Dukcapil"
			}
			if !fromDukcapil {
				// Other issuers' bindings are not affected.
				if err != nil {
					t.Fatalf("unaffected credential rejected: %v", err)
				}
				return
			}
			var ve *check.Error
			if !errors.Is(err, ErrRevoked) || !errors.As(err, &ve) || ve.Check != check.Status || res != nil {
				t.Fatalf("err = %v, want revoked", err)
			}
		})
	}
}

func sampleKK(t testing.TB) *credential.KK {
	t.Helper()
	n, err := credential.ParseFamilyCardNumber("3174012306150003")
	if err != nil {
		t.Fatal(err)
	}
	addr := credential.Address{Street: "JL. KENANGA RAYA NO. 7", RT: "004", RW: "009", Village: "MENTENG DALAM",
		District: "TEBET", City: "KOTA JAKARTA SELATAN", Province: "DKI JAKARTA", RegionCode: "31.74.01.1003", PostalCode: "12870"}
	k, err := credential.NewKK(credential.KKFields{
		Number: n, HeadOfFamilyName: "ANDI PRATAMA WIJAYA", Address: addr,
		IssueDate: credential.Date{Year: 2023, Month: 11, Day: 20}, IssuingOffice: "DISDUKCAPIL KOTA ADM. JAKARTA SELATAN",
		HolderRow: 2,
		Members: []credential.KKMember{
			{NIK: credential.MustParseNIK("3174011203900005"), Name: "ANDI PRATAMA WIJAYA", Sex: credential.Male, PlaceOfBirth: "JAKARTA",
				BirthDate: credential.Date{Year: 1990, Month: 3, Day: 12}, Religion: credential.Islam, Education: 8,
				Occupation:    credential.Occupation{Text: "WIRASWASTA", Code: 88},
				MaritalStatus: credential.KawinTercatat, MarriageDate: credential.Date{Year: 2020, Month: 2, Day: 14},
				Relationship: credential.KepalaKeluarga, Citizenship: credential.WNI, FatherName: "SUTRISNO", MotherName: "SRI WAHYUNI"},
			{NIK: credential.MustParseNIK(testNIK), Name: "RINA KARTIKA SARI", Sex: credential.Female, PlaceOfBirth: "BANDUNG",
				BirthDate: credential.Date{Year: 1995, Month: 8, Day: 17}, Religion: credential.Islam, Education: 8,
				Occupation: credential.Occupation{Text: "KARYAWAN SWASTA"}, BloodType: credential.BloodO,
				MaritalStatus: credential.KawinTercatat, MarriageDate: credential.Date{Year: 2020, Month: 2, Day: 14},
				Relationship: credential.Istri, Citizenship: credential.WNI, FatherName: "BUDI SANTOSO", MotherName: "SITI AMINAH"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// verifyFrames scans one QR with VerifyQR and a frame sequence with
// VerifyQRFrames (frames in reverse order, as a scanner may see them).
func verifyFrames(v *Verifier, frames []string) (*Result, error) {
	if len(frames) == 1 {
		return v.VerifyQR(ctx, frames[0])
	}
	rev := make([]string, len(frames))
	for i, f := range frames {
		rev[len(frames)-1-i] = f
	}
	return v.VerifyQRFrames(ctx, rev...)
}
