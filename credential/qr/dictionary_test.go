package qr

import (
	"bytes"
	"crypto/x509"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/qr/internal/wire"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
)

var updateTemplates = flag.Bool("update-dictionary-templates", false, "rewrite internal/wire/dictionary_v2_templates.bin (a new dictionary: only before version 2 is released)")

const templatesFile = "internal/wire/dictionary_v2_templates.bin"

// Template values: a fictitious resident and issuer, verifier and times
// other than those of the tests (helpers_test.go) and of the ikd demo, so
// that the size budgets do not measure values the dictionary holds.
var (
	templateNow = time.Date(2025, 11, 20, 8, 30, 0, 0, time.UTC)
	templateKTP = credential.KTPELFields{
		NIK:          credential.MustParseNIK("3273014506000015"),
		Name:         "DEWI LESTARI PUTRI",
		PlaceOfBirth: "SURABAYA",
		Sex:          credential.Female,
		BloodType:    credential.BloodA,
		Address: credential.Address{
			Street: "JL. MAWAR NO. 12", RT: "002", RW: "005", Village: "SUKAJADI",
			District: "SUKAJADI", City: "KOTA BANDUNG", Province: "JAWA BARAT", RegionCode: "32.73.01.1001",
		},
		Religion:      credential.Kristen,
		MaritalStatus: credential.Kawin,
		Occupation:    credential.Occupation{Text: "PEGAWAI NEGERI SIPIL", Code: 2},
		Citizenship:   credential.WNI,
		IssuingPlace:  "KOTA BANDUNG",
		Lifetime:      true,
		IssuingOffice: "DISDUKCAPIL KOTA BANDUNG",
		Portrait:      []byte{0xFF, 0xD8, 0xFF, 0xD9},
	}
)

// dictionaryTemplates returns the CBOR content (without the tail) of the
// version 2 envelopes of the QR checks of the template resident, the checks
// used most last (DEFLATE codes short distances in fewer bits): four groups
// of the full profile, then the age, address and identity checks of the
// compact profile, each mdoc then SD-JWT VC. It fails if a content
// holds 8 bytes of its tail: the random bytes must all be in the tail.
func dictionaryTemplates(t *testing.T) []byte {
	t.Helper()
	fields := templateKTP
	fields.BirthDate = mustDate(t, "2000-06-05")
	fields.IssueDate = mustDate(t, "2018-01-15")
	ktp, err := credential.NewKTPEL(fields)
	if err != nil {
		t.Fatal(err)
	}
	issuerKey, holderKey, dsKey := newKey(t), newKey(t), newKey(t)
	ds := newCert(t, "IKD template DS", dsKey.Public(), nil, dsKey, false)
	b, err := NewBinding("x509_san_dns:verifier.example.co.id", templateNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	exp := templateNow.Add(credential.QRValidity)
	sdIssue := func(claims map[string]any, sd []sdjwt.Path) *sdjwt.Unverified {
		claims["iss"] = "https://ikd.id"
		claims["exp"] = exp.Unix()
		claims["status"] = map[string]any{"status_list": map[string]any{"idx": 1907, "uri": "https://ikd.id/s/2"}}
		s, err := sdjwt.IssueVC(claims, sdjwt.IssueOptions{Signer: issuerKey, KeyID: "dukcapil-2025-3", Disclosable: sd, HolderKey: holderKey.Public()})
		if err != nil {
			t.Fatal(err)
		}
		u, err := sdjwt.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	mdIssue := func(docType string, ns map[string]map[string]any) *mdoc.IssuerSigned {
		iss := &mdoc.Issuer{Signer: dsKey, Chain: []*x509.Certificate{ds}, Now: func() time.Time { return templateNow }}
		c, err := iss.Issue(mdoc.IssueRequest{DocType: docType, NameSpaces: ns, DeviceKey: holderKey.Public(), ValidUntil: exp,
			Status: &mdoc.StatusReference{Index: 1907, URI: "https://ikd.id/s/2"}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	var out []byte
	add := func(p Presentation, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		c, tail, err := encodeContentV2(Envelope{Presentations: []Presentation{p}})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+8 <= len(tail); i++ {
			if bytes.Contains(c, tail[i:i+8]) {
				t.Fatalf("the content holds tail bytes %x", tail[i:i+8])
			}
		}
		out = append(out, c...)
	}
	// Four groups of the full profile.
	full := []string{"id", "address", "civil", "issuance"}
	sdFull := ktp.QRFullSDJWTClaims(templateNow)
	add(PresentMdoc(mdIssue(credential.DocTypeQRFull, ktp.QRFullMdocElements(templateNow)), map[string][]string{credential.DocTypeQRFull: full}, b, holderKey, nil))
	add(PresentSDJWT(sdIssue(sdFull, fullDisclosable(sdFull)), []sdjwt.Path{{full[0]}, {full[1]}, {full[2]}, {full[3]}}, b, holderKey, nil))
	// The compact profile's checks.
	sd := sdIssue(ktp.QRSDJWTClaims(templateNow), toPaths(credential.QRType().SelectivelyDisclosable()))
	md := mdIssue(credential.DocTypeQR, ktp.QRMdocElements(templateNow))
	for _, check := range []func() ([]sdjwt.Path, map[string][]string){
		func() ([]sdjwt.Path, map[string][]string) { return ageCheck(18) }, addressCheck, identityCheck,
	} {
		paths, req := check()
		add(PresentMdoc(md, req, b, holderKey, nil))
		add(PresentSDJWT(sd, paths, b, holderKey, nil))
	}
	return out
}

// TestDictionaryTemplates: the version 2 dictionary is the version 1
// dictionary, the region words and the stored templates, within the DEFLATE
// window;
// the templates of the current encoder carry no random bytes. With
// -update-dictionary-templates it rewrites the stored templates (a new
// dictionary: only before version 2 is released).
func TestDictionaryTemplates(t *testing.T) {
	fresh := dictionaryTemplates(t)
	if *updateTemplates {
		if err := os.WriteFile(templatesFile, fresh, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := os.ReadFile(templatesFile)
	if err != nil {
		t.Fatal(err)
	}
	d1, d2 := wire.Dictionary(), wire.DictionaryV2()
	if !bytes.HasPrefix(d2, d1) || !bytes.HasSuffix(d2, stored) || len(stored) == 0 || len(d2) > len(d1)+len(stored)+1024 {
		t.Fatalf("dictionary v2 (%d bytes) is not v1 (%d), the region words and the %d template bytes", len(d2), len(d1), len(stored))
	}
	if len(d2) > 32<<10 {
		t.Fatalf("dictionary v2 of %d bytes exceeds the DEFLATE window", len(d2))
	}
}
