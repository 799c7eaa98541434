package credential

import (
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// Synthetic data only (docs/domain.md: every person and number is fictitious).

var fakeJPEG = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0xFF, 0xD9}

var issueTime = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func sampleAddress() Address {
	return Address{
		Street: "JL. KENANGA RAYA NO. 7", RT: "004", RW: "009", Village: "MENTENG DALAM",
		District: "TEBET", City: "KOTA JAKARTA SELATAN", Province: "DKI JAKARTA",
		RegionCode: "31.74.01.1003",
	}
}

func sampleKTPELFields() KTPELFields {
	return KTPELFields{
		NIK:           MustParseNIK("3174015708950021"),
		Name:          "RINA KARTIKA SARI",
		PlaceOfBirth:  "BANDUNG",
		BirthDate:     Date{1995, time.August, 17},
		Sex:           Female,
		BloodType:     BloodO,
		Address:       sampleAddress(),
		Religion:      Islam,
		MaritalStatus: BelumKawin,
		Occupation:    Occupation{Text: "KARYAWAN SWASTA", Code: 15},
		Citizenship:   WNI,
		Portrait:      fakeJPEG,
		IssueDate:     Date{2021, time.March, 2},
		IssuingPlace:  "JAKARTA SELATAN",
		Lifetime:      true,
		IssuingOffice: "DISDUKCAPIL KOTA ADM. JAKARTA SELATAN",
	}
}

func sampleKTPEL(t testing.TB) *KTPEL {
	t.Helper()
	k, err := NewKTPEL(sampleKTPELFields())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// cborRoundTrip encodes and decodes mdoc elements as a format package
// would, so tests see the types a CBOR decoder produces.
func cborRoundTrip(t testing.TB, ns map[string]map[string]any) map[string]map[string]any {
	t.Helper()
	b, err := cbor.Marshal(ns)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]map[string]any
	if err := cbor.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
