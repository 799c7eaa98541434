package credential

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseNIK(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"valid female", "3174015708950021", nil},
		{"valid male", "3174011708950021", nil},
		{"grouped with spaces", "3174 0157 0895 0021", nil},
		{"grouped with dots and dashes", "317401.570895-0021", nil},
		{"historical Papua code 91.01 (Merauke before 2022)", "9101011708950001", nil},
		{"new Papua Selatan code 93.01", "9301011708950001", nil},
		{"29 Feb 2000 (leap)", "3174012902000001", nil},
		{"29 Feb 00 (1900 not leap, 2000 leap)", "3174016902000001", nil},
		{"empty", "", ErrSyntax},
		{"15 digits", "317401570895002", ErrSyntax},
		{"17 digits", "31740157089500211", ErrSyntax},
		{"letter", "317401570895002A", ErrSyntax},
		{"unicode digit", "317401570895002٣", ErrSyntax},
		{"too long input", strings.Repeat(" ", 40) + "3174015708950021", ErrSyntax},
		{"serial 0000", "3174015708950000", ErrSyntax},
		{"unknown province 20", "2074015708950021", ErrUnknownRegion},
		{"province 00", "0074015708950021", ErrUnknownRegion},
		{"regency 00", "3100015708950021", ErrUnknownRegion},
		{"district 00", "3174005708950021", ErrUnknownRegion},
		{"unknown regency 31.99", "3199015708950021", ErrUnknownRegion},
		{"unknown district 31.74.99", "3174995708950021", ErrUnknownRegion},
		{"unknown district 31.71.09", "3171095708950021", ErrUnknownRegion},
		{"day 00", "3174010008950021", ErrInvalidDate},
		{"day 32", "3174013208950021", ErrInvalidDate},
		{"day 40", "3174014008950021", ErrInvalidDate},
		{"day 72 (female 32)", "3174017208950021", ErrInvalidDate},
		{"month 00", "3174011700950021", ErrInvalidDate},
		{"month 13", "3174011713950021", ErrInvalidDate},
		{"31 April", "3174013104950021", ErrInvalidDate},
		{"female 31 April", "3174017104950021", ErrInvalidDate},
		{"29 Feb 1995", "3174012902950021", ErrInvalidDate},
		{"female 30 Feb", "3174017002950021", ErrInvalidDate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := ParseNIK(tc.in)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("ParseNIK(%q) = %v, want nil", tc.in, err)
				}
				if len(n.String()) != 16 {
					t.Fatalf("String() = %q", n.String())
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("ParseNIK(%q) error = %v, want %v", tc.in, err, tc.want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != "nik" {
				t.Fatalf("error %v is not a *FieldError for nik", err)
			}
			if !n.IsZero() {
				t.Fatalf("non-zero NIK returned with error")
			}
		})
	}
}

func TestNIKParts(t *testing.T) {
	n := MustParseNIK("3174015708950021")
	checks := []struct{ name, got, want string }{
		{"province", n.ProvinceCode(), "31"},
		{"regency", n.RegencyCityCode(), "31.74"},
		{"district", n.DistrictCode(), "31.74.01"},
		{"serial", n.Serial(), "0021"},
		{"sex", n.Sex().String(), "PEREMPUAN"},
		{"district name", n.District().Name, "Tebet"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !n.RegencyCity().IsCity() {
		t.Errorf("31.74 should be a kota")
	}
	ref := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if d, ok := n.BirthDate(ref); !ok || d != (Date{1995, time.August, 17}) {
		t.Errorf("BirthDate = %v %v", d, ok)
	}
	m := MustParseNIK("3174011708150021")
	if d, ok := m.BirthDate(ref); !ok || d.Year != 2015 {
		t.Errorf("BirthDate(2015) = %v %v", d, ok)
	}
	// Before the 2025 birthday, YY=25 resolves to 1925.
	k := MustParseNIK("3174011708250021")
	if d, ok := k.BirthDate(time.Date(2025, 8, 16, 0, 0, 0, 0, time.UTC)); !ok || d.Year != 1925 {
		t.Errorf("BirthDate(25 before birthday) = %v %v", d, ok)
	}
	if m.Sex() != Male {
		t.Errorf("male NIK sex = %v", m.Sex())
	}
}

func TestNIKCheckConsistency(t *testing.T) {
	n := MustParseNIK("3174015708950021")
	tests := []struct {
		name  string
		birth Date
		sex   Sex
		want  error
	}{
		{"match", Date{1995, 8, 17}, Female, nil},
		{"match, sex unknown", Date{1995, 8, 17}, 0, nil},
		{"wrong sex", Date{1995, 8, 17}, Male, ErrInconsistent},
		{"wrong day", Date{1995, 8, 18}, Female, ErrInconsistent},
		{"wrong month", Date{1995, 9, 17}, Female, ErrInconsistent},
		{"wrong year", Date{1996, 8, 17}, Female, ErrInconsistent},
		{"other century is fine", Date{2095, 8, 17}, Female, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := n.CheckConsistency(tc.birth, tc.sex)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if err := (NIK{}).CheckConsistency(Date{1995, 8, 17}, Female); !errors.Is(err, ErrMissing) {
		t.Fatalf("zero NIK: %v", err)
	}
}
