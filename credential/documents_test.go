package credential

import (
	"errors"
	"testing"
)

func sampleKK(t testing.TB) *KK {
	t.Helper()
	k, err := NewKK(KKFields{
		Number:           mustKKNumber(t, "3174012306150003"),
		HeadOfFamilyName: "ANDI PRATAMA WIJAYA",
		Address:          func() Address { a := sampleAddress(); a.PostalCode = "12870"; return a }(),
		IssueDate:        Date{2023, 11, 20},
		IssuingOffice:    "DISDUKCAPIL KOTA ADM. JAKARTA SELATAN",
		HolderRow:        2,
		Members: []KKMember{
			{NIK: MustParseNIK("3174011203900005"), Name: "ANDI PRATAMA WIJAYA", Sex: Male, PlaceOfBirth: "JAKARTA",
				BirthDate: Date{1990, 3, 12}, Religion: Islam, Education: 8, Occupation: Occupation{Text: "WIRASWASTA", Code: 88},
				MaritalStatus: KawinTercatat, MarriageDate: Date{2020, 2, 14}, Relationship: KepalaKeluarga, Citizenship: WNI,
				FatherName: "SUTRISNO", MotherName: "SRI WAHYUNI"},
			{NIK: MustParseNIK("3174015708950021"), Name: "RINA KARTIKA SARI", Sex: Female, PlaceOfBirth: "BANDUNG",
				BirthDate: Date{1995, 8, 17}, Religion: Islam, Education: 8, Occupation: Occupation{Text: "KARYAWAN SWASTA"},
				BloodType: BloodO, MaritalStatus: KawinTercatat, MarriageDate: Date{2020, 2, 14}, Relationship: Istri,
				Citizenship: WNI, FatherName: "BUDI SANTOSO", MotherName: "SITI AMINAH"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustKKNumber(t testing.TB, s string) FamilyCardNumber {
	n, err := ParseFamilyCardNumber(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func sampleNPWP(t testing.TB) *NPWP {
	n, err := NewNPWP(NPWPFields{
		Number: "3174015708950021", TaxpayerType: OPPenduduk, Name: "RINA KARTIKA SARI",
		NIK: MustParseNIK("3174015708950021"), NITKU: "3174015708950021000000",
		Address: "JL. KENANGA RAYA NO. 7, JAKARTA SELATAN", TaxOfficeCode: "012",
		TaxOfficeName: "KPP PRATAMA JAKARTA TEBET", RegistrationDate: Date{2016, 5, 10}, ValidationStatus: NPWPValid,
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func sampleBPJSKes(t testing.TB) *BPJSKesehatan {
	b, err := NewBPJSKesehatan(BPJSKesehatanFields{
		CardNumber: "0001234567890", Name: "RINA KARTIKA SARI", NIK: MustParseNIK("3174015708950021"),
		BirthDate: Date{1995, 8, 17}, Sex: Female, PCPCode: "0123A045", PCPName: "KLINIK PRATAMA CONTOH",
		CareClass: 1, ParticipantTypeCode: "13", ParticipantTypeLabel: "PEGAWAI SWASTA", Segment: PPU,
		MembershipStatus: Aktif, CoverageStart: Date{2019, 1, 1}, FamilyCardNumber: "3174012306150003",
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sampleBPJSTK(t testing.TB) *BPJSKetenagakerjaan {
	b, err := NewBPJSKetenagakerjaan(BPJSKetenagakerjaanFields{
		MemberNumber: "12345678901", Name: "RINA KARTIKA SARI", NIK: MustParseNIK("3174015708950021"),
		BirthDate: Date{1995, 8, 17}, EmployerName: "PT CONTOH SEJAHTERA", Programs: []Program{JHT, JKK, JKM, JP},
		MembershipStatus: Aktif, RegistrationDate: Date{2018, 7, 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDocumentRoundTrips(t *testing.T) {
	type codec struct {
		doc      Document
		fromJSON func(map[string]any) (Document, error)
		fromMdoc func(map[string]map[string]any) (Document, error)
		equal    func(a, b Document) bool
	}
	cases := map[string]codec{
		"KTP-el": {sampleKTPEL(t),
			func(m map[string]any) (Document, error) { return KTPELFromClaims(m) },
			func(m map[string]map[string]any) (Document, error) { return KTPELFromMdoc(m) },
			func(a, b Document) bool { return a.(*KTPEL).Equal(b.(*KTPEL)) }},
		"KK": {sampleKK(t),
			func(m map[string]any) (Document, error) { return KKFromClaims(m) },
			func(m map[string]map[string]any) (Document, error) { return KKFromMdoc(m) },
			func(a, b Document) bool { return a.(*KK).Equal(b.(*KK)) }},
		"NPWP": {sampleNPWP(t),
			func(m map[string]any) (Document, error) { return NPWPFromClaims(m) },
			func(m map[string]map[string]any) (Document, error) { return NPWPFromMdoc(m) },
			func(a, b Document) bool { return a.(*NPWP).Equal(b.(*NPWP)) }},
		"BPJS Kesehatan": {sampleBPJSKes(t),
			func(m map[string]any) (Document, error) { return BPJSKesehatanFromClaims(m) },
			func(m map[string]map[string]any) (Document, error) { return BPJSKesehatanFromMdoc(m) },
			func(a, b Document) bool { return a.(*BPJSKesehatan).Equal(b.(*BPJSKesehatan)) }},
		"BPJS Ketenagakerjaan": {sampleBPJSTK(t),
			func(m map[string]any) (Document, error) { return BPJSKetenagakerjaanFromClaims(m) },
			func(m map[string]map[string]any) (Document, error) { return BPJSKetenagakerjaanFromMdoc(m) },
			func(a, b Document) bool { return a.(*BPJSKetenagakerjaan).Equal(b.(*BPJSKetenagakerjaan)) }},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			claims := c.doc.SDJWTClaims(issueTime)
			if claims["vct"] != c.doc.Type().VCT {
				t.Fatalf("vct = %v", claims["vct"])
			}
			got, err := c.fromJSON(jsonRoundTrip(t, claims))
			if err != nil || !c.equal(got, c.doc) {
				t.Fatalf("SD-JWT round trip: %v", err)
			}
			got, err = c.fromMdoc(cborRoundTrip(t, c.doc.MdocElements(issueTime)))
			if err != nil || !c.equal(got, c.doc) {
				t.Fatalf("mdoc round trip: %v", err)
			}
			// Third-party credentials carry the holder's NIK.
			if name != "KK" && claims["personal_administrative_number"] != "3174015708950021" {
				t.Fatalf("NIK claim missing")
			}
			// Every top-level claim except the always-disclosed ones is SD.
			ti := c.doc.Type()
			for k := range claims {
				never := k == "vct" || k == "issuing_country" || k == "issuing_authority"
				if ti.IsSelectivelyDisclosable(ClaimPath{k}) == never {
					t.Errorf("claim %s: selectively disclosable = %v", k, !never)
				}
			}
			// A wrong vct is rejected.
			claims["vct"] = "urn:example:other"
			if _, err := c.fromJSON(jsonRoundTrip(t, claims)); !errors.Is(err, ErrWrongType) {
				t.Fatalf("wrong vct: %v", err)
			}
		})
	}
}

func TestKKInvalid(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(*KKFields)
		field string
		want  error
	}{
		{"two heads", func(f *KKFields) { f.Members[1].Relationship = KepalaKeluarga }, "head_of_family_name", ErrInconsistent},
		{"no head", func(f *KKFields) { f.Members[0].Relationship = Suami }, "members", ErrInconsistent},
		{"duplicate NIK", func(f *KKFields) { f.Members[1].NIK = f.Members[0].NIK; f.Members[1].Sex = Male }, "members[1].personal_administrative_number", ErrInconsistent},
		{"holder row 0", func(f *KKFields) { f.HolderRow = 0 }, "holder_member_index", ErrSyntax},
		{"holder row 3", func(f *KKFields) { f.HolderRow = 3 }, "holder_member_index", ErrSyntax},
		{"relationship 12", func(f *KKFields) { f.Members[1].Relationship = 12 }, "members[1].relationship", ErrUnknownCode},
		{"education 11", func(f *KKFields) { f.Members[1].Education = 11 }, "members[1].education", ErrUnknownCode},
		{"marriage date while unmarried", func(f *KKFields) { f.Members[1].MaritalStatus = BelumKawin }, "members[1].marriage_date", ErrInconsistent},
		{"bad postal code", func(f *KKFields) { f.Address.PostalCode = "1287" }, "address.postal_code", ErrSyntax},
		{"no members", func(f *KKFields) { f.Members = nil }, "members", ErrMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := sampleKK(t).Fields()
			tc.mod(&f)
			_, err := NewKK(f)
			var fe *FieldError
			if !errors.Is(err, tc.want) || !errors.As(err, &fe) || fe.Field != tc.field {
				t.Fatalf("got %v, want %v on %s", err, tc.want, tc.field)
			}
		})
	}
	// holder_member must match the row it names.
	ns := cborRoundTrip(t, sampleKK(t).MdocElements(issueTime))
	ns[DocTypeKK]["holder_member_index"] = uint64(1)
	if _, err := KKFromMdoc(ns); !errors.Is(err, ErrInconsistent) {
		t.Fatalf("holder_member mismatch: %v", err)
	}
}

func TestParseFamilyCardNumber(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"3174012306150003", nil},
		{"317401230615000", ErrSyntax},
		{"2074012306150003", ErrUnknownRegion},
		{"3174013206150003", ErrInvalidDate},
		{"3174016306150003", ErrInvalidDate}, // no +40 rule on KK numbers
		{"3174012306150000", ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if _, err := ParseFamilyCardNumber(tc.in); !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestValidateNPWP(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
	}{
		{"legacy 15 (docs/domain.md example)", "098765431012000", nil},
		{"legacy 15 bad check digit", "098765432012000", ErrSyntax},
		{"16 with leading 0", "0098765431012000", nil},
		{"16 with leading 0 bad check", "0098765432012000", ErrSyntax},
		{"16 = NIK", "3174015708950021", nil},
		{"16 = bad NIK", "3174017208950021", ErrInvalidDate},
		{"NITKU", "3174015708950021000000", nil},
		{"NITKU bad prefix", "0098765432012000000001", ErrSyntax},
		{"with separators", "09.876.543.1-012.000", ErrSyntax},
		{"14 digits", "09876543101200", ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := ValidateNPWP(tc.in); !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestNPWPAndBPJSInvalid(t *testing.T) {
	np := sampleNPWP(t).Fields()
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"OP_PENDUDUK NPWP differs from NIK", func() error {
			f := np
			f.Number = "0098765431012000"
			_, err := NewNPWP(f)
			return err
		}(), ErrInconsistent},
		{"BADAN NPWP not starting with 0", func() error { f := np; f.TaxpayerType = Badan; _, err := NewNPWP(f); return err }(), ErrInconsistent},
		{"NITKU prefix mismatch", func() error { f := np; f.NITKU = "0098765431012000000000"; _, err := NewNPWP(f); return err }(), ErrInconsistent},
		{"legacy mismatch", func() error {
			f := np
			f.TaxpayerType, f.NIK, f.Number, f.NITKU, f.Legacy15 = Badan, NIK{}, "0098765431012000", "", "018765438012000"
			_, err := NewNPWP(f)
			return err
		}(), ErrInconsistent},
		{"KPP code 2 digits", func() error { f := np; f.TaxOfficeCode = "12"; _, err := NewNPWP(f); return err }(), ErrSyntax},
		{"BPJS card 12 digits", func() error {
			f := sampleBPJSKes(t).Fields()
			f.CardNumber = "000123456789"
			_, err := NewBPJSKesehatan(f)
			return err
		}(), ErrSyntax},
		{"BPJS care class 4", func() error {
			f := sampleBPJSKes(t).Fields()
			f.CareClass = 4
			_, err := NewBPJSKesehatan(f)
			return err
		}(), ErrUnknownCode},
		{"BPJS sex mismatch", func() error { f := sampleBPJSKes(t).Fields(); f.Sex = Male; _, err := NewBPJSKesehatan(f); return err }(), ErrInconsistent},
		{"BPJS coverage end before start", func() error {
			f := sampleBPJSKes(t).Fields()
			f.CoverageEnd = Date{2018, 1, 1}
			_, err := NewBPJSKesehatan(f)
			return err
		}(), ErrInconsistent},
		{"BPJS TK duplicate programme", func() error {
			f := sampleBPJSTK(t).Fields()
			f.Programs = []Program{JHT, JHT}
			_, err := NewBPJSKetenagakerjaan(f)
			return err
		}(), ErrSyntax},
		{"BPJS TK no programme", func() error {
			f := sampleBPJSTK(t).Fields()
			f.Programs = nil
			_, err := NewBPJSKetenagakerjaan(f)
			return err
		}(), ErrMissing},
		{"BPJS TK KPJ 7 digits", func() error {
			f := sampleBPJSTK(t).Fields()
			f.MemberNumber = "1234567"
			_, err := NewBPJSKetenagakerjaan(f)
			return err
		}(), ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, tc.want) {
				t.Fatalf("got %v, want %v", tc.err, tc.want)
			}
		})
	}
}

func TestEnums(t *testing.T) {
	type enumCase struct {
		name  string
		parse func(string) (string, error)
		good  map[string]string // input -> canonical label
		bad   []string
	}
	wrap := func(f func(string) (string, error)) func(string) (string, error) { return f }
	cases := []enumCase{
		{"sex", wrap(func(s string) (string, error) { v, e := ParseSex(s); return v.String(), e }),
			map[string]string{"LAKI-LAKI": "LAKI-LAKI", "p": "PEREMPUAN", "FEMALE": "PEREMPUAN"}, []string{"X", ""}},
		{"religion", wrap(func(s string) (string, error) { v, e := ParseReligion(s); return v.String(), e }),
			map[string]string{"KATOLIK": "KATHOLIK", "buddha": "BUDHA", "KONGHUCU": "KHONGHUCU", "KEPERCAYAAN TERHADAP TUHAN YME": "KEPERCAYAAN TERHADAP TUHAN YME"}, []string{"JEDI"}},
		{"marital", wrap(func(s string) (string, error) { v, e := ParseMaritalStatus(s); return v.String(), e }),
			map[string]string{"BELUM  KAWIN": "BELUM KAWIN", "CERAI HIDUP BELUM TERCATAT": "CERAI HIDUP BELUM TERCATAT"}, []string{"PACARAN"}},
		{"blood", wrap(func(s string) (string, error) { v, e := ParseBloodType(s); return v.String(), e }),
			map[string]string{"AB+": "AB+", "-": "TIDAK TAHU", "o-": "O-"}, []string{"C", "AB++"}},
		{"relationship", wrap(func(s string) (string, error) { v, e := ParseFamilyRelationship(s); return v.String(), e }),
			map[string]string{"ISTRI": "ISTRI", "ORANG TUA": "ORANGTUA"}, []string{"TETANGGA"}},
		{"education", wrap(func(s string) (string, error) { v, e := ParseEducation(s); return v.String(), e }),
			map[string]string{"DIPLOMA IV/STRATA I": "DIPLOMA IV/STRATA I"}, []string{"S1"}},
		{"citizenship", wrap(func(s string) (string, error) { v, e := ParseCitizenship(s); return v.String(), e }),
			map[string]string{"WNI": "WNI", "wna": "WNA"}, []string{"DUA KEWARGANEGARAAN"}},
		{"taxpayer", wrap(func(s string) (string, error) { v, e := ParseTaxpayerType(s); return v.String(), e }),
			map[string]string{"BADAN": "BADAN"}, []string{"OP"}},
		{"segment", wrap(func(s string) (string, error) { v, e := ParseSegment(s); return v.String(), e }),
			map[string]string{"PBI JK": "PBI_APBN", "PPU": "PPU"}, []string{"PBI"}},
		{"care class", wrap(func(s string) (string, error) { v, e := ParseCareClass(s); return v.String(), e }),
			map[string]string{"KELAS II": "2", "3": "3"}, []string{"4", "VIP"}},
		{"programme", wrap(func(s string) (string, error) { v, e := ParseProgram(s); return v.String(), e }),
			map[string]string{"JKP": "JKP"}, []string{"JKN"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for in, want := range c.good {
				if got, err := c.parse(in); err != nil || got != want {
					t.Errorf("parse(%q) = %q, %v; want %q", in, got, err, want)
				}
			}
			for _, in := range c.bad {
				if _, err := c.parse(in); !errors.Is(err, ErrUnknownCode) {
					t.Errorf("parse(%q) error = %v, want ErrUnknownCode", in, err)
				}
			}
		})
	}
	for code := 0; code <= 12; code++ {
		_, err := ReligionFromCode(code)
		if (code >= 1 && code <= 7) != (err == nil) {
			t.Errorf("ReligionFromCode(%d) = %v", code, err)
		}
		_, err = FamilyRelationshipFromCode(code)
		if (code >= 1 && code <= 11) != (err == nil) {
			t.Errorf("FamilyRelationshipFromCode(%d) = %v", code, err)
		}
		_, err = MaritalStatusFromCode(code)
		if (code >= 1 && code <= 8) != (err == nil) {
			t.Errorf("MaritalStatusFromCode(%d) = %v", code, err)
		}
	}
	if KawinBelumTercatat.Base() != Kawin || CeraiHidupTercatat.Base() != CeraiHidup || CeraiMati.Base() != CeraiMati {
		t.Errorf("MaritalStatus.Base wrong")
	}
}
