package credential

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The tests below keep the generated Type Metadata and JSON Schema
// documents honest against the Go encoders: the schemas accept every
// claim set the package produces and reject broken ones, every metadata
// path exists in real claims and every real claim has metadata, and the
// sd values agree with TypeInfo.IsSelectivelyDisclosable.

var fakePNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")

// docSample is a document with a name for test output.
type docSample struct {
	name string
	doc  Document
}

// must returns a function that fails the test on error, for wrapping
// constructor calls: must(t)(NewKTPEL(f)).
func must(t testing.TB) func(Document, error) Document {
	return func(d Document, err error) Document {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
}

// typeSamples returns, per vct, documents that together carry every
// optional claim of the type (full) and that carry none of them (minimal).
func typeSamples(t testing.TB) map[string][]docSample {
	t.Helper()
	out := map[string][]docSample{}

	wni := sampleKTPELFields()
	wni.Signature = fakePNG
	wna := sampleKTPELFields()
	wna.Citizenship, wna.Nationalities, wna.KITAPNumber = WNA, []string{"MY"}, "2C21AB0012345"
	wna.Lifetime, wna.ExpiryDate = false, Date{2028, time.March, 1}
	wna.Signature = fakeJPEG
	minimal := sampleKTPELFields()
	minimal.BloodType, minimal.Occupation.Code, minimal.Address.RegionCode = BloodUnknown, 0, ""
	out[VCTKTPEL] = []docSample{
		{"wni", must(t)(NewKTPEL(wni))},
		{"wna", must(t)(NewKTPEL(wna))},
		{"minimal", must(t)(NewKTPEL(minimal))},
	}

	kk := sampleKK(t).Fields()
	kk.Members = append(kk.Members, KKMember{
		NIK: MustParseNIK("3174014506180002"), Name: "MEI LING TAN", Sex: Female, PlaceOfBirth: "SINGAPORE",
		BirthDate: Date{2018, 6, 5}, Religion: Budha, Education: 1, Occupation: Occupation{Text: "PELAJAR/MAHASISWA", Code: 3},
		BloodType: BloodAPos, MaritalStatus: BelumKawin, Relationship: FamiliLain, Citizenship: WNA,
		Nationalities: []string{"SG"}, PassportNumber: "K1234567X", KITAPNumber: "2C11AA0001234",
		FatherName: "TAN WEI MING", MotherName: "LIM SU LING",
	})
	kkMin := sampleKK(t).Fields()
	kkMin.Address.PostalCode, kkMin.Address.RegionCode = "", ""
	kkMin.Members = kkMin.Members[:1]
	kkMin.Members[0].Occupation.Code, kkMin.Members[0].MarriageDate = 0, Date{}
	kkMin.Members[0].FatherName, kkMin.Members[0].MotherName = "", ""
	kkMin.HolderRow = 1
	out[VCTKK] = []docSample{{"full", must(t)(NewKK(kk))}, {"minimal", must(t)(NewKK(kkMin))}}

	np := sampleNPWP(t).Fields()
	np.Legacy15 = "098765431012000"
	out[VCTNPWP] = []docSample{
		{"full", must(t)(NewNPWP(np))},
		{"entity", must(t)(NewNPWP(NPWPFields{
			Number: "0098765431012000", TaxpayerType: Badan, Name: "PT CONTOH SEJAHTERA", TaxOfficeCode: "012",
			TaxOfficeName: "KPP PRATAMA JAKARTA TEBET", RegistrationDate: Date{2016, 5, 10},
			ValidationStatus: NPWPBelumValid,
		}))},
	}

	kes := sampleBPJSKes(t).Fields()
	kes.CoverageEnd = Date{2030, 12, 31}
	kesMin := sampleBPJSKes(t).Fields()
	kesMin.CareClass, kesMin.FamilyCardNumber = 0, ""
	out[VCTBPJSKesehatan] = []docSample{{"full", must(t)(NewBPJSKesehatan(kes))},
		{"minimal", must(t)(NewBPJSKesehatan(kesMin))}}

	tkMin := sampleBPJSTK(t).Fields()
	tkMin.EmployerName = ""
	out[VCTBPJSKetenagakerja] = []docSample{{"full", sampleBPJSTK(t)},
		{"minimal", must(t)(NewBPJSKetenagakerjaan(tkMin))}}
	return out
}

// typeMetadataDoc is the subset of draft-ietf-oauth-sd-jwt-vc-18 Type
// Metadata that ikdkit's documents use; decoding rejects anything else.
type typeMetadataDoc struct {
	VCT         string `json:"vct"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Display     []struct {
		Locale      string `json:"locale"`
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"display"`
	Claims []struct {
		Path    []any `json:"path"`
		Display []struct {
			Locale string `json:"locale"`
			Label  string `json:"label"`
		} `json:"display"`
		Mandatory bool   `json:"mandatory"`
		SD        string `json:"sd"`
	} `json:"claims"`
}

func loadTypeMetadata(t testing.TB, vct string) typeMetadataDoc {
	t.Helper()
	b, err := TypeMetadata(vct)
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	var m typeMetadataDoc
	if err := d.Decode(&m); err != nil {
		t.Fatalf("%s: %v", vct, err)
	}
	return m
}

// pathKey renders a claim path as "a.b", "members[].name".
func pathKey(path []any) string {
	var b strings.Builder
	for i, e := range path {
		if e == nil {
			b.WriteString("[]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(e.(string))
	}
	return b.String()
}

// claimPaths collects the path of every claim in a JSON claim set: object
// members recursively, arrays of objects as path+nil, arrays of scalars as
// leaves.
func claimPaths(prefix []any, v any, out map[string]bool) {
	if len(prefix) > 0 {
		out[pathKey(prefix)] = true
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			claimPaths(append(slices.Clone(prefix), k), e, out)
		}
	case []any:
		for _, e := range x {
			if _, ok := e.(map[string]any); ok {
				claimPaths(append(slices.Clone(prefix), nil), e, out)
			}
		}
	}
}

// technicalClaims are added by an issuer; the schemas must accept them.
func withTechnicalClaims(t testing.TB, c map[string]any) map[string]any {
	t.Helper()
	c = maps2(c)
	integrity, err := TypeMetadataIntegrity(c["vct"].(string))
	if err != nil {
		t.Fatal(err)
	}
	c["iss"] = "https://issuer.example.id"
	c["iat"] = json.Number("1772359200")
	c["exp"] = json.Number("1773568800")
	c["cnf"] = map[string]any{"jwk": map[string]any{"kty": "EC", "crv": "P-256", "x": "x", "y": "y"}}
	c["status"] = map[string]any{"status_list": map[string]any{"idx": json.Number("7"), "uri": "https://s.example.id/1"}}
	c["vct#integrity"] = integrity
	return c
}

func maps2(c map[string]any) map[string]any {
	out := make(map[string]any, len(c))
	for k, v := range c {
		out[k] = v
	}
	return out
}

func compileSchema(t testing.TB, vct string) *jsonschema.Schema {
	t.Helper()
	b, err := ClaimsSchema(vct)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	url := "urn:ikdkit:schema:" + vct
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("%s: %v", vct, err)
	}
	return s
}

// jsonValue gives the value as a JSON decoder sees it (json.Number for
// numbers), the form the schema validator and the Go decoders receive.
func jsonValue(t testing.TB, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func fromClaims(vct string, c map[string]any) error {
	var err error
	switch vct {
	case VCTKTPEL:
		_, err = KTPELFromClaims(c)
	case VCTKK:
		_, err = KKFromClaims(c)
	case VCTNPWP:
		_, err = NPWPFromClaims(c)
	case VCTBPJSKesehatan:
		_, err = BPJSKesehatanFromClaims(c)
	case VCTBPJSKetenagakerja:
		_, err = BPJSKetenagakerjaanFromClaims(c)
	default:
		err = errors.New("unknown vct")
	}
	return err
}

func TestTypeMetadataDocuments(t *testing.T) {
	if len(Types()) != 5 {
		t.Fatalf("Types() = %d types, want 5", len(Types()))
	}
	for _, ty := range Types() {
		t.Run(ty.Name, func(t *testing.T) {
			m := loadTypeMetadata(t, ty.VCT)
			if m.VCT != ty.VCT || m.Name == "" || !strings.Contains(m.Description, "credential/schema/") {
				t.Errorf("vct %q name %q description %q", m.VCT, m.Name, m.Description)
			}
			var locales []string
			for _, d := range m.Display {
				locales = append(locales, d.Locale)
				if d.Name == "" || d.Description == "" {
					t.Errorf("display %s: empty name or description", d.Locale)
				}
			}
			if !slices.Equal(locales, []string{"id-ID", "en-US"}) {
				t.Errorf("display locales %v, want id-ID and en-US", locales)
			}
			seen := map[string]bool{}
			for _, c := range m.Claims {
				k := pathKey(c.Path)
				if len(c.Path) == 0 || seen[k] {
					t.Errorf("claim path %v empty or duplicate", c.Path)
				}
				seen[k] = true
				if len(c.Display) != 2 || c.Display[0].Locale != "id-ID" || c.Display[1].Locale != "en-US" ||
					c.Display[0].Label == "" || c.Display[1].Label == "" {
					t.Errorf("%s: want id-ID and en-US labels, got %+v", k, c.Display)
				}
				// draft-ietf-oauth-sd-jwt-vc-18 §"Claim Selective Disclosure
				// Metadata": always = the issuer MUST make it SD, never = MUST NOT.
				want := "never"
				if ty.IsSelectivelyDisclosable(ClaimPath(c.Path)) {
					want = "always"
				}
				if c.SD != want {
					t.Errorf("%s: sd %q, IsSelectivelyDisclosable says %q", k, c.SD, want)
				}
			}
			for _, p := range ty.SelectivelyDisclosable() {
				if !seen[pathKey(p)] {
					t.Errorf("selectively disclosable %s has no claim metadata", pathKey(p))
				}
			}
			// draft-18 §"Registered JWT Claims": vct is never selectively
			// disclosable; docs/domain.md §8: issuing_* are always disclosed.
			for _, c := range m.Claims {
				switch pathKey(c.Path) {
				case "vct", "issuing_authority", "issuing_country":
					if c.SD != "never" || !c.Mandatory {
						t.Errorf("%s: sd %q mandatory %v, want never and mandatory", pathKey(c.Path), c.SD, c.Mandatory)
					}
				}
			}
		})
	}
}

func TestTypeMetadataMatchesClaims(t *testing.T) {
	samples := typeSamples(t)
	for _, ty := range Types() {
		t.Run(ty.Name, func(t *testing.T) {
			m := loadTypeMetadata(t, ty.VCT)
			meta := map[string]bool{}
			for _, c := range m.Claims {
				meta[pathKey(c.Path)] = true
			}
			union := map[string]bool{}
			for _, s := range samples[ty.VCT] {
				got := map[string]bool{}
				claimPaths(nil, jsonValue(t, s.doc.SDJWTClaims(issueTime)), got)
				for k := range got {
					union[k] = true
					if !meta[k] {
						t.Errorf("%s: claim %s has no claim metadata", s.name, k)
					}
				}
				for _, c := range m.Claims {
					if c.Mandatory && !got[pathKey(c.Path)] {
						t.Errorf("%s: mandatory %s missing", s.name, pathKey(c.Path))
					}
				}
			}
			for k := range meta {
				if !union[k] {
					t.Errorf("claim metadata %s matches no claim of any sample", k)
				}
			}
		})
	}
}

func TestTypeMetadataIntegrity(t *testing.T) {
	for _, ty := range Types() {
		b, err := TypeMetadata(ty.VCT)
		if err != nil {
			t.Fatal(err)
		}
		got, err := TypeMetadataIntegrity(ty.VCT)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if want := "sha256-" + base64.StdEncoding.EncodeToString(sum[:]); got != want {
			t.Errorf("%s: integrity %s, want %s", ty.Name, got, want)
		}
		// The result is a copy: changing it does not change the next one.
		b[0] ^= 0xFF
		if again, _ := TypeMetadataIntegrity(ty.VCT); again != got {
			t.Errorf("%s: TypeMetadata returned shared bytes", ty.Name)
		}
		if !bytes.HasSuffix(b, []byte("}\n")) {
			t.Errorf("%s: document does not end with }\\n", ty.Name)
		}
	}
}

// The draft's own integrity example: the appendix Type Metadata document
// hashes to the vct#integrity of the appendix payload.
func TestIntegrityDraft18Vector(t *testing.T) {
	doc, err := os.ReadFile("../testdata/typemetadata/appendix_type_metadata.json")
	if err != nil {
		t.Fatal(err)
	}
	pb, err := os.ReadFile("../testdata/typemetadata/appendix_payload_for_type_metadata.json")
	if err != nil {
		t.Fatal(err)
	}
	var payload struct {
		Integrity string `json:"vct#integrity"`
	}
	if err := json.Unmarshal(pb, &payload); err != nil {
		t.Fatal(err)
	}
	if payload.Integrity != "sha256-vJKakJAQkDYkIhGrT1M3nxRuSj9udH0l1PXB06QHto8=" {
		t.Fatalf("vector payload changed: %s", payload.Integrity)
	}
	if got := sriSHA256(doc); got != payload.Integrity {
		t.Errorf("sriSHA256 = %s, want %s", got, payload.Integrity)
	}
}

func TestTypeDocsUnknownVCT(t *testing.T) {
	for _, vct := range []string{"", "urn:eudi:pid:1", VCTKTPEL + " ", strings.ToUpper(VCTKTPEL)} {
		_, err1 := TypeMetadata(vct)
		_, err2 := TypeMetadataIntegrity(vct)
		_, err3 := ClaimsSchema(vct)
		for _, err := range []error{err1, err2, err3} {
			var fe *FieldError
			if !errors.Is(err, ErrWrongType) || !errors.As(err, &fe) || fe.Field != "vct" {
				t.Errorf("%q: err %v, want a *FieldError on vct wrapping ErrWrongType", vct, err)
			}
		}
	}
}

func TestClaimsSchemaAcceptsSamples(t *testing.T) {
	samples := typeSamples(t)
	for _, ty := range Types() {
		s := compileSchema(t, ty.VCT)
		for _, d := range samples[ty.VCT] {
			t.Run(ty.Name+"/"+d.name, func(t *testing.T) {
				c := jsonValue(t, d.doc.SDJWTClaims(issueTime))
				if err := s.Validate(any(c)); err != nil {
					t.Errorf("schema rejects the package's own claims: %v", err)
				}
				if err := s.Validate(any(withTechnicalClaims(t, c))); err != nil {
					t.Errorf("schema rejects the technical claims: %v", err)
				}
				if err := fromClaims(ty.VCT, c); err != nil {
					t.Errorf("decoder rejects the sample: %v", err)
				}
			})
		}
	}
}

// decoderGaps lists broken claim sets the schema rejects but the Go
// decoder accepts, each with the reason. An entry whose case the decoder
// starts rejecting fails the test, so the list cannot go stale.
var decoderGaps = map[string]string{}

// TestClaimsSchemaRejects breaks valid claim sets one way each; the schema
// and the Go decoder must both reject the result.
func TestClaimsSchemaRejects(t *testing.T) {
	samples := typeSamples(t)
	set := func(path string, v any) func(map[string]any) {
		return func(c map[string]any) {
			keys := strings.Split(path, ".")
			m := c
			for _, k := range keys[:len(keys)-1] {
				switch x := m[k].(type) {
				case map[string]any:
					m = x
				case []any:
					m = x[0].(map[string]any)
				}
			}
			if v == nil {
				delete(m, keys[len(keys)-1])
			} else {
				m[keys[len(keys)-1]] = v
			}
		}
	}
	del := func(path string) func(map[string]any) { return set(path, nil) }
	tests := []struct {
		name, vct string
		edit      func(map[string]any)
	}{
		{"ktpel/sex as string", VCTKTPEL, set("sex", "2")},
		{"ktpel/sex code 3", VCTKTPEL, set("sex", json.Number("3"))},
		{"ktpel/missing name", VCTKTPEL, del("name")},
		{"ktpel/missing birthdate", VCTKTPEL, del("birthdate")},
		{"ktpel/nik 15 digits", VCTKTPEL, set("personal_administrative_number", "317401570895002")},
		{"ktpel/nik letters", VCTKTPEL, set("personal_administrative_number", "31740157089500AB")},
		{"ktpel/nik day 32", VCTKTPEL, set("personal_administrative_number", "3174013208950021")},
		{"ktpel/nik day 72", VCTKTPEL, set("personal_administrative_number", "3174017208950021")},
		{"ktpel/nik month 13", VCTKTPEL, set("personal_administrative_number", "3174015713950021")},
		{"ktpel/nik province 20", VCTKTPEL, set("personal_administrative_number", "2074015708950021")},
		{"ktpel/nik serial 0000", VCTKTPEL, set("personal_administrative_number", "3174015708950000")},
		{"ktpel/nik regency 00", VCTKTPEL, set("personal_administrative_number", "3100015708950021")},
		{"ktpel/name lowercase", VCTKTPEL, set("name", "Rina Kartika Sari")},
		{"ktpel/name digit", VCTKTPEL, set("name", "RINA 2")},
		{"ktpel/religion 8", VCTKTPEL, set("religion", json.Number("8"))},
		{"ktpel/marital 0", VCTKTPEL, set("marital_status", json.Number("0"))},
		{"ktpel/blood type unknown", VCTKTPEL, set("blood_type", "TIDAK TAHU")},
		{"ktpel/date format", VCTKTPEL, set("birthdate", "17-08-1995")},
		{"ktpel/date as number", VCTKTPEL, set("date_of_issuance", json.Number("20210302"))},
		{"ktpel/rt 2 digits", VCTKTPEL, set("address.rt", "04")},
		{"ktpel/address missing village", VCTKTPEL, del("address.village")},
		{"ktpel/address unknown member", VCTKTPEL, set("address.city", "JAKARTA")},
		{"ktpel/postal code on ktp-el", VCTKTPEL, set("address.postal_code", "12870")},
		{"ktpel/unknown claim", VCTKTPEL, set("given_name", "RINA")},
		{"ktpel/wrong vct", VCTKTPEL, set("vct", VCTKK)},
		{"ktpel/issuing_country", VCTKTPEL, set("issuing_country", "MY")},
		{"ktpel/lifetime with expiry", VCTKTPEL, set("date_of_expiry", "2030-01-01")},
		{"ktpel/wni with kitap", VCTKTPEL, set("kitap_number", "2C21AB0012345")},
		{"ktpel/wni not lifetime", VCTKTPEL, set("lifetime_validity", false)},
		{"ktpel/nationalities empty", VCTKTPEL, set("nationalities", []any{})},
		{"ktpel/nationality lowercase", VCTKTPEL, set("nationalities", []any{"id"})},
		{"ktpel/picture png", VCTKTPEL, set("picture", "data:image/png;base64,iVBORw0KGgo=")},
		{"ktpel/age flag string", VCTKTPEL, set("age_equal_or_over.18", "true")},
		{"ktpel/age flag unknown", VCTKTPEL, set("age_equal_or_over.16", true)},
		{"ktpel/jurisdiction", VCTKTPEL, set("issuing_jurisdiction", "JK")},
		{"ktpel/occupation code 90", VCTKTPEL, set("occupation_code", json.Number("90"))},
		{"kk/number day 41", VCTKK, set("family_card_number", "3174014106150003")},
		{"kk/missing members", VCTKK, del("members")},
		{"kk/members empty", VCTKK, set("members", []any{})},
		{"kk/member relationship 12", VCTKK, set("members.relationship", json.Number("12"))},
		{"kk/member education 0", VCTKK, set("members.education", json.Number("0"))},
		{"kk/member missing nik", VCTKK, del("members.personal_administrative_number")},
		{"kk/member bad nik", VCTKK, set("members.personal_administrative_number", "3174019908900005")},
		{"kk/member unknown claim", VCTKK, set("members.email", "A@B.ID")},
		{"kk/postal code 4 digits", VCTKK, set("address.postal_code", "1287")},
		{"kk/holder index 0", VCTKK, set("holder_member_index", json.Number("0"))},
		{"npwp/taxpayer type", VCTNPWP, set("taxpayer_type", "PRIBADI")},
		{"npwp/15 digits", VCTNPWP, set("npwp", "317401570895002")},
		{"npwp/op without nik", VCTNPWP, del("personal_administrative_number")},
		{"npwp/kpp code", VCTNPWP, set("tax_office.code", "12")},
		{"npwp/validation status", VCTNPWP, set("validation_status", "valid")},
		{"bpjs-kes/card 12 digits", VCTBPJSKesehatan, set("card_number", "001234567890")},
		{"bpjs-kes/segment", VCTBPJSKesehatan, set("segment", "PNS")},
		{"bpjs-kes/status", VCTBPJSKesehatan, set("membership_status", "NONAKTIF")},
		{"bpjs-kes/care class 4", VCTBPJSKesehatan, set("care_class.code", "4")},
		{"bpjs-kes/care class number", VCTBPJSKesehatan, set("care_class.code", json.Number("1"))},
		{"bpjs-kes/pcp code", VCTBPJSKesehatan, set("primary_care_provider.code", "0123a045")},
		{"bpjs-kes/missing participant label", VCTBPJSKesehatan, del("participant_type.label")},
		{"bpjs-kes/bad nik", VCTBPJSKesehatan, set("personal_administrative_number", "0074015708950021")},
		{"bpjs-tk/programs unknown", VCTBPJSKetenagakerja, set("programs", []any{"JHT", "JKN"})},
		{"bpjs-tk/programs duplicate", VCTBPJSKetenagakerja, set("programs", []any{"JHT", "JHT"})},
		{"bpjs-tk/programs empty", VCTBPJSKetenagakerja, set("programs", []any{})},
		{"bpjs-tk/member number 7 digits", VCTBPJSKetenagakerja, set("member_number", "1234567")},
		{"bpjs-tk/missing registration", VCTBPJSKetenagakerja, del("registration_date")},
	}
	schemas := map[string]*jsonschema.Schema{}
	for _, ty := range Types() {
		schemas[ty.VCT] = compileSchema(t, ty.VCT)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := jsonValue(t, samples[tt.vct][0].doc.SDJWTClaims(issueTime))
			if err := schemas[tt.vct].Validate(any(c)); err != nil {
				t.Fatalf("unbroken sample rejected: %v", err)
			}
			tt.edit(c)
			if err := schemas[tt.vct].Validate(any(c)); err == nil {
				t.Error("schema accepts the broken claims")
			}
			err := fromClaims(tt.vct, c)
			if reason, gap := decoderGaps[tt.name]; gap {
				if err != nil {
					t.Errorf("decoder now rejects (%v): remove the decoderGaps entry %q", err, reason)
				}
			} else if err == nil {
				t.Error("decoder accepts the broken claims")
			}
		})
	}
}

// TestMdocClaimsMatchElements: the mdoc claim descriptions list exactly the
// data elements the samples produce, and every mandatory one is in every
// sample.
func TestMdocClaimsMatchElements(t *testing.T) {
	samples := typeSamples(t)
	for _, ty := range Types() {
		t.Run(ty.Name, func(t *testing.T) {
			b, err := MdocClaims(ty.DocType)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				DocType   string `json:"doctype"`
				Namespace string `json:"namespace"`
				Claims    []struct {
					Path    []string `json:"path"`
					Display []struct {
						Locale string `json:"locale"`
						Label  string `json:"label"`
					} `json:"display"`
					Mandatory bool `json:"mandatory"`
				} `json:"claims"`
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.DocType != ty.DocType || doc.Namespace != ty.Namespace || len(doc.Claims) == 0 {
				t.Fatalf("doctype %q namespace %q, %d claims", doc.DocType, doc.Namespace, len(doc.Claims))
			}
			listed := map[string]bool{}
			for _, c := range doc.Claims {
				if len(c.Path) != 2 || c.Path[0] != ty.Namespace || len(c.Display) != 2 ||
					c.Display[0].Locale != "id-ID" || c.Display[1].Locale != "en-US" || c.Display[0].Label == "" || c.Display[1].Label == "" {
					t.Errorf("claim %+v", c)
				}
				listed[c.Path[1]] = true
			}
			union := map[string]bool{}
			for _, s := range samples[ty.VCT] {
				els := s.doc.MdocElements(issueTime)[ty.Namespace]
				for k := range els {
					union[k] = true
					if !listed[k] {
						t.Errorf("%s: element %s is not described", s.name, k)
					}
				}
				for _, c := range doc.Claims {
					if _, ok := els[c.Path[1]]; c.Mandatory && !ok {
						t.Errorf("%s: mandatory element %s missing", s.name, c.Path[1])
					}
				}
			}
			for k := range listed {
				if !union[k] {
					t.Errorf("described element %s is in no sample", k)
				}
			}
		})
	}
	for _, dt := range []string{"", "org.iso.18013.5.1.mDL", DocTypeKTPEL + " ", VCTKTPEL} {
		var fe *FieldError
		if _, err := MdocClaims(dt); !errors.Is(err, ErrWrongType) || !errors.As(err, &fe) || fe.Field != "doctype" {
			t.Errorf("%q: err %v, want a *FieldError on doctype wrapping ErrWrongType", dt, err)
		}
	}
}
