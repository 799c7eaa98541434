package credential

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/internal/strictjson"
)

func jsonRoundTrip(t testing.TB, m map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	out, err := strictjson.UnmarshalObject(b, 16)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestKTPELRoundTrip(t *testing.T) {
	variants := map[string]func(*KTPELFields){
		"minimal WNI":        func(*KTPELFields) {},
		"unknown blood type": func(f *KTPELFields) { f.BloodType = BloodUnknown },
		"with signature and jurisdiction": func(f *KTPELFields) {
			f.Signature = []byte("\x89PNG\r\n\x1a\nxxxx")
			f.IssuingJurisdiction = "ID-JK"
		},
		"WNA with KITAP and expiry": func(f *KTPELFields) {
			f.Citizenship, f.Nationalities, f.KITAPNumber = WNA, []string{"AU"}, "2C21JE0001-X"
			f.Lifetime, f.ExpiryDate = false, Date{2027, 3, 2}
		},
		"married at 16": func(f *KTPELFields) {
			f.MaritalStatus, f.IssueDate = KawinTercatat, Date{2012, 1, 5}
		},
	}
	for name, mod := range variants {
		t.Run(name, func(t *testing.T) {
			f := sampleKTPELFields()
			mod(&f)
			k, err := NewKTPEL(f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := KTPELFromClaims(jsonRoundTrip(t, k.SDJWTClaims(issueTime)))
			if err != nil {
				t.Fatalf("KTPELFromClaims: %v", err)
			}
			if !got.Equal(k) {
				t.Fatalf("SD-JWT round trip differs:\n%+v\n%+v", got.Fields(), k.Fields())
			}
			got, err = KTPELFromMdoc(cborRoundTrip(t, k.MdocElements(issueTime)))
			if err != nil {
				t.Fatalf("KTPELFromMdoc: %v", err)
			}
			if !got.Equal(k) {
				t.Fatalf("mdoc round trip differs")
			}
		})
	}
}

func TestKTPELClaimsShape(t *testing.T) {
	c := sampleKTPEL(t).SDJWTClaims(issueTime)
	want := map[string]any{
		"vct": VCTKTPEL, "personal_administrative_number": "3174015708950021", "birthdate": "1995-08-17",
		"sex": int64(2), "blood_type": "O", "religion": int64(1), "lifetime_validity": true,
		"issuing_country": "ID", "issuing_authority": AuthorityDukcapil, "issuing_jurisdiction": "ID-JK",
		"age_birth_year": int64(1995), "age_in_years": int64(30),
	}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("%s = %#v, want %#v", k, c[k], v)
		}
	}
	if _, ok := c["date_of_expiry"]; ok {
		t.Errorf("lifetime card carries date_of_expiry")
	}
	addr := c["address"].(map[string]any)
	if addr["formatted"] != "JL. KENANGA RAYA NO. 7, RT 004/RW 009, MENTENG DALAM, TEBET, KOTA JAKARTA SELATAN, DKI JAKARTA" {
		t.Errorf("formatted = %q", addr["formatted"])
	}
	ages := c["age_equal_or_over"].(map[string]any)
	for k, v := range map[string]bool{"17": true, "18": true, "19": true, "21": true, "60": false, "65": false} {
		if ages[k] != v {
			t.Errorf("age_equal_or_over[%s] = %v", k, ages[k])
		}
	}
	md := sampleKTPEL(t).MdocElements(issueTime)[DocTypeKTPEL]
	if md["age_over_21"] != true || md["age_over_60"] != false || md["sex"] != uint64(2) {
		t.Errorf("mdoc age/sex elements wrong: %v %v %v", md["age_over_21"], md["age_over_60"], md["sex"])
	}
}

func TestAgeAroundBirthday(t *testing.T) {
	birth := Date{2008, time.August, 17}
	wibMidnight := time.Date(2026, 8, 17, 0, 0, 0, 0, wib)
	tests := []struct {
		name string
		at   time.Time
		age  int
	}{
		{"day before", wibMidnight.Add(-24 * time.Hour), 17},
		{"one second before WIB midnight", wibMidnight.Add(-time.Second), 17},
		{"WIB midnight", wibMidnight, 18},
		{"UTC evening before is already the birthday in WIB", time.Date(2026, 8, 16, 17, 0, 0, 0, time.UTC), 18},
		{"UTC 16:59 is still the day before in WIB", time.Date(2026, 8, 16, 16, 59, 0, 0, time.UTC), 17},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := AgeAt(birth, tc.at); got != tc.age {
				t.Fatalf("AgeAt = %d, want %d", got, tc.age)
			}
			m := map[string]any{}
			ageClaimsSDJWT(birth, tc.at, m)
			if m["age_equal_or_over"].(map[string]any)["18"] != (tc.age >= 18) {
				t.Fatalf("flag 18 wrong at age %d", tc.age)
			}
		})
	}
	if got := NextAgeChange(birth, wibMidnight.Add(-time.Hour)); !got.Equal(wibMidnight) {
		t.Errorf("NextAgeChange = %v", got)
	}
	leap := Date{2004, time.February, 29}
	if AgeAt(leap, time.Date(2022, 2, 28, 12, 0, 0, 0, wib)) != 17 || AgeAt(leap, time.Date(2022, 3, 1, 0, 0, 0, 0, wib)) != 18 {
		t.Errorf("29 February birthday handled wrongly")
	}
	if got := NextAgeChange(leap, time.Date(2022, 1, 1, 0, 0, 0, 0, wib)); !got.Equal(time.Date(2022, 3, 1, 0, 0, 0, 0, wib)) {
		t.Errorf("NextAgeChange(leap) = %v", got)
	}
}

func TestNewKTPELInvalid(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(*KTPELFields)
		field string
		want  error
	}{
		{"no NIK", func(f *KTPELFields) { f.NIK = NIK{} }, "personal_administrative_number", ErrMissing},
		{"lowercase name", func(f *KTPELFields) { f.Name = "Rina" }, "name", ErrSyntax},
		{"digit in name", func(f *KTPELFields) { f.Name = "RINA 2" }, "name", ErrSyntax},
		{"empty name", func(f *KTPELFields) { f.Name = "" }, "name", ErrMissing},
		{"sex mismatches NIK", func(f *KTPELFields) { f.Sex = Male }, "sex", ErrInconsistent},
		{"sex 3", func(f *KTPELFields) { f.Sex = 3 }, "sex", ErrUnknownCode},
		{"religion 8", func(f *KTPELFields) { f.Religion = 8 }, "religion", ErrUnknownCode},
		{"marital 9", func(f *KTPELFields) { f.MaritalStatus = 9 }, "marital_status", ErrUnknownCode},
		{"blood 13", func(f *KTPELFields) { f.BloodType = 13 }, "blood_type", ErrUnknownCode},
		{"occupation 90", func(f *KTPELFields) { f.Occupation.Code = 90 }, "occupation", ErrUnknownCode},
		{"citizenship 0", func(f *KTPELFields) { f.Citizenship = 0 }, "citizenship_status", ErrUnknownCode},
		{"RT two digits", func(f *KTPELFields) { f.Address.RT = "04" }, "address.rt", ErrSyntax},
		{"unknown region code", func(f *KTPELFields) { f.Address.RegionCode = "31.74.99.1003" }, "address.region_code", ErrUnknownRegion},
		{"postal code on KTP", func(f *KTPELFields) { f.Address.PostalCode = "12870" }, "address.postal_code", ErrUnknownClaim},
		{"WNI with foreign nationality only", func(f *KTPELFields) { f.Nationalities = []string{"MY"} }, "nationalities", ErrInconsistent},
		{"WNA without KITAP", func(f *KTPELFields) {
			f.Citizenship, f.Nationalities, f.Lifetime, f.ExpiryDate = WNA, []string{"AU"}, false, Date{2027, 1, 1}
		}, "kitap_number", ErrMissing},
		{"no portrait", func(f *KTPELFields) { f.Portrait = nil }, "picture", ErrMissing},
		{"PNG portrait", func(f *KTPELFields) { f.Portrait = []byte("\x89PNG\r\n\x1a\n") }, "picture", ErrSyntax},
		{"lifetime with expiry", func(f *KTPELFields) { f.ExpiryDate = Date{2030, 1, 1} }, "date_of_expiry", ErrInconsistent},
		{"WNI not lifetime", func(f *KTPELFields) { f.Lifetime, f.ExpiryDate = false, Date{2030, 1, 1} }, "lifetime_validity", ErrInconsistent},
		{"issued before birth", func(f *KTPELFields) { f.IssueDate = Date{1990, 1, 1} }, "date_of_issuance", ErrInconsistent},
		{"issued at 16, unmarried", func(f *KTPELFields) { f.IssueDate = Date{2012, 1, 5} }, "date_of_issuance", ErrInconsistent},
		{"impossible issue date", func(f *KTPELFields) { f.IssueDate = Date{2021, 2, 30} }, "date_of_issuance", ErrInvalidDate},
		{"bad jurisdiction", func(f *KTPELFields) { f.IssuingJurisdiction = "ID-XX" }, "issuing_jurisdiction", ErrUnknownCode},
		{"text too long", func(f *KTPELFields) { f.IssuingOffice = string(make([]byte, 151)) }, "issuing_office", ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := sampleKTPELFields()
			tc.mod(&f)
			k, err := NewKTPEL(f)
			var fe *FieldError
			if !errors.Is(err, tc.want) || !errors.As(err, &fe) || fe.Field != tc.field || k != nil {
				t.Fatalf("got %v (%#v), want %v on %s", err, fe, tc.want, tc.field)
			}
		})
	}
}

func TestKTPELFromClaimsInvalid(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(map[string]any)
		field string
		want  error
	}{
		{"wrong vct", func(m map[string]any) { m["vct"] = VCTKK }, "vct", ErrWrongType},
		{"missing vct", func(m map[string]any) { delete(m, "vct") }, "vct", ErrMissing},
		{"unknown claim", func(m map[string]any) { m["hobby"] = "x" }, "hobby", ErrUnknownClaim},
		{"sex as string", func(m map[string]any) { m["sex"] = "2" }, "sex", ErrClaimType},
		{"sex fraction", func(m map[string]any) { m["sex"] = 1.5 }, "sex", ErrClaimType},
		{"religion 99", func(m map[string]any) { m["religion"] = json.Number("99") }, "religion", ErrUnknownCode},
		{"NIK with spaces on the wire", func(m map[string]any) { m["personal_administrative_number"] = "3174 0157 0895 0021" }, "personal_administrative_number", ErrSyntax},
		{"NIK bad region", func(m map[string]any) { m["personal_administrative_number"] = "2074015708950021" }, "personal_administrative_number", ErrUnknownRegion},
		{"bad birthdate", func(m map[string]any) { m["birthdate"] = "1995-02-30" }, "birthdate", ErrInvalidDate},
		{"birthdate not a date", func(m map[string]any) { m["birthdate"] = "17-08-1995" }, "birthdate", ErrInvalidDate},
		{"formatted address mismatch", func(m map[string]any) { m["address"].(map[string]any)["formatted"] = "X" }, "address.formatted", ErrInconsistent},
		{"unknown address member", func(m map[string]any) { m["address"].(map[string]any)["house_number"] = "7" }, "address.house_number", ErrUnknownClaim},
		{"blood type TIDAK TAHU on the wire", func(m map[string]any) { m["blood_type"] = "TIDAK TAHU" }, "blood_type", ErrUnknownCode},
		{"citizenship lowercase", func(m map[string]any) { m["citizenship_status"] = "wni" }, "citizenship_status", ErrUnknownCode},
		{"picture not JPEG", func(m map[string]any) { m["picture"] = "data:image/jpeg;base64,AAAA" }, "picture", ErrInconsistent},
		{"picture not data URL", func(m map[string]any) { m["picture"] = "https://example.com/p.jpg" }, "picture", ErrSyntax},
		{"age_birth_year mismatch", func(m map[string]any) { m["age_birth_year"] = json.Number("1996") }, "age_birth_year", ErrInconsistent},
		{"age flag not bool", func(m map[string]any) { m["age_equal_or_over"].(map[string]any)["18"] = "yes" }, "age_equal_or_over.18", ErrClaimType},
		{"null claim", func(m map[string]any) { m["occupation"] = nil }, "occupation", ErrClaimType},
		{"issuing_country not ID", func(m map[string]any) { m["issuing_country"] = "MY" }, "issuing_country", ErrWrongType},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := jsonRoundTrip(t, sampleKTPEL(t).SDJWTClaims(issueTime))
			tc.mod(m)
			k, err := KTPELFromClaims(m)
			var fe *FieldError
			if !errors.Is(err, tc.want) || !errors.As(err, &fe) || fe.Field != tc.field || k != nil {
				t.Fatalf("got %v, want %v on %s", err, tc.want, tc.field)
			}
		})
	}
	// Technical claims added by the issuer are ignored.
	m := jsonRoundTrip(t, sampleKTPEL(t).SDJWTClaims(issueTime))
	m["iss"], m["exp"], m["cnf"] = "https://issuer.example", json.Number("1900000000"), map[string]any{}
	if _, err := KTPELFromClaims(m); err != nil {
		t.Fatalf("technical claims: %v", err)
	}
}

func TestKTPELFromMdocInvalid(t *testing.T) {
	k := sampleKTPEL(t)
	ns := cborRoundTrip(t, k.MdocElements(issueTime))
	ns[DocTypeKTPEL]["birth_date"] = "1995-08-17" // untagged
	if _, err := KTPELFromMdoc(ns); !errors.Is(err, ErrClaimType) {
		t.Errorf("untagged full-date: %v", err)
	}
	ns = cborRoundTrip(t, k.MdocElements(issueTime))
	ns["org.iso.18013.5.1"] = map[string]any{}
	if _, err := KTPELFromMdoc(ns); !errors.Is(err, ErrWrongType) {
		t.Errorf("extra namespace: %v", err)
	}
	ns = cborRoundTrip(t, k.MdocElements(issueTime))
	ns[DocTypeKTPEL]["portrait"] = "not bytes"
	if _, err := KTPELFromMdoc(ns); !errors.Is(err, ErrClaimType) {
		t.Errorf("portrait as text: %v", err)
	}
	if _, err := KTPELFromMdoc(map[string]map[string]any{}); !errors.Is(err, ErrMissing) {
		t.Errorf("no namespace: %v", err)
	}
}
