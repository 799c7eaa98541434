package docgen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
)

const root = "../../.."

// TestFilesCurrent fails when a committed generated file differs from what
// the generator produces now (run go generate ./credential), or when the
// generated directories hold files the generator does not write.
func TestFilesCurrent(t *testing.T) {
	files, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3*len(credential.Types())+1 {
		t.Fatalf("Files() has %d files, want %d", len(files), 3*len(credential.Types())+1)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./credential)", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate ./credential", name)
		}
	}
	for _, dir := range []string{"credential/typemetadata", "credential/schema", "credential/mdocclaims"} {
		entries, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if _, ok := files[dir+"/"+e.Name()]; !ok {
				t.Errorf("%s/%s is not generated: remove it", dir, e.Name())
			}
		}
	}
}

// TestEmbeddedEqualsGenerated ties docgen's file names to the accessors of
// package credential.
func TestEmbeddedEqualsGenerated(t *testing.T) {
	files, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, ty := range credential.Types() {
		md, err := credential.TypeMetadata(ty.VCT)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := credential.ClaimsSchema(ty.VCT)
		if err != nil {
			t.Fatal(err)
		}
		mc, err := credential.MdocClaims(ty.DocType)
		if err != nil {
			t.Fatal(err)
		}
		in, _ := credential.TypeMetadataIntegrity(ty.VCT)
		if !bytes.Equal(md, files["credential/typemetadata/"+Slug(ty)+".json"]) ||
			!bytes.Equal(sc, files["credential/schema/"+Slug(ty)+".schema.json"]) ||
			!bytes.Equal(mc, files["credential/mdocclaims/"+Slug(ty)+".json"]) {
			t.Errorf("%s: embedded documents differ from the generated ones", ty.Name)
		}
		if in != Integrity(md) || !bytes.Contains(files["docs/credentials.md"], []byte(in)) {
			t.Errorf("%s: integrity %s not the one documented", ty.Name, in)
		}
	}
}

func TestSpecsMatchTypes(t *testing.T) {
	ss := specs()
	types := credential.Types()
	if len(ss) != len(types) {
		t.Fatalf("%d specs for %d types", len(ss), len(types))
	}
	for i, s := range ss {
		if s.t.VCT != types[i].VCT {
			t.Errorf("spec %d is %s, want %s", i, s.t.VCT, types[i].VCT)
		}
		if err := s.check(); err != nil {
			t.Error(err)
		}
	}
}

func TestCheckFindsTableMistakes(t *testing.T) {
	tests := []struct {
		name string
		edit func(*spec)
	}{
		{"duplicate path", func(s *spec) { s.rows = append(s.rows, s.rows[1]) }},
		{"child before parent", func(s *spec) {
			s.rows = append([]row{{path: p("address", "rt"), id: "RT", en: "RT", rule: "x", schema: text()}}, s.rows...)
		}},
		{"missing label", func(s *spec) { s.rows[1].en = "" }},
		{"sd path without row", func(s *spec) {
			for i := range s.rows {
				if len(s.rows[i].path) == 1 && s.rows[i].path[0] == "religion" {
					s.rows = append(s.rows[:i], s.rows[i+1:]...)
					return
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ktpel()
			tt.edit(&s)
			if err := s.check(); err == nil {
				t.Error("check accepts the broken table")
			}
		})
	}
}

// The NIK and KK patterns of the schemas list the same provinces as the
// embedded region table.
func TestProvincePattern(t *testing.T) {
	re := regexp.MustCompile(`^` + provincePattern + `$`)
	n := 0
	for c := 0; c < 100; c++ {
		code := fmt.Sprintf("%02d", c)
		r, ok := credential.LookupRegion(code)
		inTable := ok && r.Level == credential.LevelProvince
		if re.MatchString(code) != inTable {
			t.Errorf("province %s: pattern %v, table %v", code, re.MatchString(code), inTable)
		}
		if inTable {
			n++
		}
	}
	if n < 34 {
		t.Fatalf("only %d provinces in the table", n)
	}
}

// TestNIKPatternAgreesWithParseNIK: every NIK ParseNIK accepts matches the
// pattern, and the pattern rejects what ParseNIK rejects for structural
// reasons.
func TestNIKPatternAgreesWithParseNIK(t *testing.T) {
	re := regexp.MustCompile(nikPattern)
	for _, s := range []string{"3174015708950021", "3174011203900005", "3174014506180002", "1101010101000001",
		"9601017112990001"} {
		if _, err := credential.ParseNIK(s); err != nil {
			continue
		}
		if !re.MatchString(s) {
			t.Errorf("%s: ParseNIK accepts, pattern rejects", s)
		}
	}
	for _, s := range []string{"3174013208950021", "3174017208950021", "3174014008950021", "3174010008950021",
		"3174015700950021", "3174015713950021", "3174015708950000", "2074015708950021", "3100015708950021",
		"3174005708950021", "317401570895002", "31740157089500211"} {
		if _, err := credential.ParseNIK(s); err == nil {
			t.Errorf("%s: ParseNIK accepts a NIK the test expects to be invalid", s)
		}
		if re.MatchString(s) {
			t.Errorf("%s: pattern accepts", s)
		}
	}
}

// ---- mdoc element identifiers -----------------------------------------------

var at = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

var jpeg = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0xFF, 0xD9}

// must returns a function that fails the test on error, for wrapping
// constructor calls: must(t)(credential.NewKTPEL(f)).
func must(t *testing.T) func(credential.Document, error) credential.Document {
	return func(d credential.Document, err error) credential.Document {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
}

// fullSamples returns documents that together carry every optional claim.
func fullSamples(t *testing.T) map[string][]credential.Document {
	nik := credential.MustParseNIK("3174015708950021")
	addr := credential.Address{Street: "JL. KENANGA RAYA NO. 7", RT: "004", RW: "009", Village: "MENTENG DALAM",
		District: "TEBET", City: "KOTA JAKARTA SELATAN", Province: "DKI JAKARTA", RegionCode: "31.74.01.1003"}
	birth := credential.Date{Year: 1995, Month: 8, Day: 17}
	k := credential.KTPELFields{NIK: nik, Name: "RINA KARTIKA SARI", PlaceOfBirth: "BANDUNG", BirthDate: birth,
		Sex: credential.Female, BloodType: credential.BloodO, Address: addr, Religion: credential.Islam,
		MaritalStatus: credential.BelumKawin, Occupation: credential.Occupation{Text: "KARYAWAN SWASTA", Code: 15},
		Citizenship: credential.WNA, Nationalities: []string{"MY"}, KITAPNumber: "2C21AB0012345", Portrait: jpeg,
		Signature: jpeg, IssueDate: credential.Date{Year: 2021, Month: 3, Day: 2}, IssuingPlace: "JAKARTA SELATAN",
		ExpiryDate: credential.Date{Year: 2028, Month: 3, Day: 1}, IssuingOffice: "DISDUKCAPIL KOTA ADM. JAKARTA SELATAN"}
	kkNumber, err := credential.ParseFamilyCardNumber("3174012306150003")
	if err != nil {
		t.Fatal(err)
	}
	kk := credential.KKFields{
		Number:           kkNumber,
		HeadOfFamilyName: "ANDI PRATAMA WIJAYA",
		Address:          func() credential.Address { a := addr; a.PostalCode = "12870"; return a }(),
		IssueDate:        credential.Date{Year: 2023, Month: 11, Day: 20},
		IssuingOffice:    "DISDUKCAPIL KOTA ADM. JAKARTA SELATAN",
		HolderRow:        2,
		Members: []credential.KKMember{
			{NIK: credential.MustParseNIK("3174011203900005"), Name: "ANDI PRATAMA WIJAYA", Sex: credential.Male,
				PlaceOfBirth: "JAKARTA", BirthDate: credential.Date{Year: 1990, Month: 3, Day: 12}, Religion: credential.Islam,
				Education: 8, Occupation: credential.Occupation{Text: "WIRASWASTA", Code: 88}, BloodType: credential.BloodA,
				MaritalStatus: credential.KawinTercatat, MarriageDate: credential.Date{Year: 2020, Month: 2, Day: 14},
				Relationship: credential.KepalaKeluarga, Citizenship: credential.WNI, PassportNumber: "X1234567",
				FatherName: "SUTRISNO", MotherName: "SRI WAHYUNI"},
			{NIK: nik, Name: "RINA KARTIKA SARI", Sex: credential.Female, PlaceOfBirth: "BANDUNG", BirthDate: birth,
				Religion: credential.Islam, Education: 8, Occupation: credential.Occupation{Text: "KARYAWAN SWASTA"},
				MaritalStatus: credential.KawinTercatat, Relationship: credential.Istri, Citizenship: credential.WNA,
				Nationalities: []string{"MY"}, KITAPNumber: "2C21AB0012345"},
		},
	}
	np := credential.NPWPFields{Number: "3174015708950021", Legacy15: "098765431012000", TaxpayerType: credential.OPPenduduk,
		Name: "RINA KARTIKA SARI", NIK: nik, NITKU: "3174015708950021000000", Address: "JL. KENANGA RAYA NO. 7",
		TaxOfficeCode: "012", TaxOfficeName: "KPP PRATAMA JAKARTA TEBET",
		RegistrationDate: credential.Date{Year: 2016, Month: 5, Day: 10}, ValidationStatus: credential.NPWPValid}
	kes := credential.BPJSKesehatanFields{CardNumber: "0001234567890", Name: "RINA KARTIKA SARI", NIK: nik,
		BirthDate: birth, Sex: credential.Female, PCPCode: "0123A045", PCPName: "KLINIK PRATAMA CONTOH", CareClass: 1,
		ParticipantTypeCode: "13", ParticipantTypeLabel: "PEGAWAI SWASTA", Segment: credential.PPU,
		MembershipStatus: credential.Aktif, CoverageStart: credential.Date{Year: 2019, Month: 1, Day: 1},
		CoverageEnd: credential.Date{Year: 2030, Month: 1, Day: 1}, FamilyCardNumber: "3174012306150003"}
	tk := credential.BPJSKetenagakerjaanFields{MemberNumber: "12345678901", Name: "RINA KARTIKA SARI", NIK: nik,
		BirthDate: birth, EmployerName: "PT CONTOH SEJAHTERA", Programs: []credential.Program{credential.JHT},
		MembershipStatus: credential.Aktif, RegistrationDate: credential.Date{Year: 2018, Month: 7, Day: 1}}
	return map[string][]credential.Document{
		credential.VCTKTPEL:             {must(t)(credential.NewKTPEL(k))},
		credential.VCTKK:                {must(t)(credential.NewKK(kk))},
		credential.VCTNPWP:              {must(t)(credential.NewNPWP(np))},
		credential.VCTBPJSKesehatan:     {must(t)(credential.NewBPJSKesehatan(kes))},
		credential.VCTBPJSKetenagakerja: {must(t)(credential.NewBPJSKetenagakerjaan(tk))},
	}
}

// mdocPaths collects element identifiers as the table writes them: "x",
// "x.key" inside a map element, "x[]" and "x[].key" inside an array of
// maps. holder_member's keys are the members[] keys (same map shape).
func mdocPaths(prefix string, v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			out[p] = true
			if prefix == "" && k == "holder_member" {
				mdocPaths("members[]", e, out)
				continue
			}
			mdocPaths(p, e, out)
		}
	case []any:
		for _, e := range x {
			if _, ok := e.(map[string]any); ok {
				out[prefix+"[]"] = true
				mdocPaths(prefix+"[]", e, out)
			}
		}
	}
}

func TestMdocElementsDocumented(t *testing.T) {
	samples := fullSamples(t)
	for _, s := range specs() {
		t.Run(s.t.Name, func(t *testing.T) {
			table := map[string]bool{}
			for _, r := range s.rows {
				if r.mdoc != "" {
					if table[r.mdoc] {
						t.Errorf("mdoc %s documented twice", r.mdoc)
					}
					table[r.mdoc] = true
				}
			}
			got := map[string]bool{}
			for _, d := range samples[s.t.VCT] {
				ns := d.MdocElements(at)
				if len(ns) != 1 || ns[s.t.Namespace] == nil {
					t.Fatalf("namespaces %v, want only %s", keys(ns), s.t.Namespace)
				}
				mdocPaths("", ns[s.t.Namespace], got)
			}
			for k := range got {
				if !table[k] {
					t.Errorf("mdoc element %s is not documented", k)
				}
			}
			for k := range table {
				if !got[k] {
					t.Errorf("documented mdoc element %s is not produced", k)
				}
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestMarkdownListsEveryClaim(t *testing.T) {
	md := string(markdown(specs(), make([]string, len(specs()))))
	for _, s := range specs() {
		for _, n := range []string{s.t.VCT, s.t.DocType} {
			if !strings.Contains(md, "`"+n+"`") {
				t.Errorf("%s missing", n)
			}
		}
		for _, r := range s.rows {
			if r.path != nil && !strings.Contains(md, "| `"+pathString(r.path)+"` |") {
				t.Errorf("%s: claim %s missing", s.t.Name, pathString(r.path))
			}
		}
	}
	for _, want := range []string{"occupation_code", "participant_type_label", "tag 1004", "TIDAK_AKTIF",
		"Additions beyond docs/domain.md §8", "draft-ietf-oauth-sd-jwt-vc-12"} {
		if !strings.Contains(md, want) {
			t.Errorf("docs do not mention %s", want)
		}
	}
}
