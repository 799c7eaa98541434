package credential

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestDateStringAsFormat: Date.String writes what fmt's "%04d-%02d-%02d"
// writes, for dates in and out of the range its fast path covers.
func TestDateStringAsFormat(t *testing.T) {
	for _, y := range []int{-1, 0, 1, 9, 10, 99, 100, 999, 1000, 1995, 2026, 9999, 10000, 123456} {
		for _, m := range []time.Month{-1, 0, 1, 9, 10, 12, 99, 100} {
			for _, d := range []int{-1, 0, 1, 9, 10, 29, 31, 99, 100} {
				date := Date{Year: y, Month: m, Day: d}
				want := fmt.Sprintf("%04d-%02d-%02d", y, int(m), d)
				if date.IsZero() {
					want = ""
				}
				if got := date.String(); got != want {
					t.Fatalf("%+v: %q, want %q", date, got, want)
				}
			}
		}
	}
}

// TestAddressFormattedAsJoin: Formatted writes the parts joined as before
// the builder replaced strings.Join.
func TestAddressFormattedAsJoin(t *testing.T) {
	for _, a := range []Address{
		{Street: "JL. KENANGA RAYA NO. 7", RT: "004", RW: "009", Village: "MENTENG DALAM", District: "TEBET", City: "KOTA JAKARTA SELATAN", Province: "DKI JAKARTA"},
		{Street: "JL. X", RT: "1", RW: "2", Village: "V", District: "D", City: "C", Province: "P", PostalCode: "12870"},
		{},
	} {
		want := strings.Join([]string{a.Street, "RT " + a.RT + "/RW " + a.RW, a.Village, a.District, a.City, a.Province}, ", ")
		if a.PostalCode != "" {
			want += " " + a.PostalCode
		}
		if got := a.Formatted(); got != want {
			t.Fatalf("%+v: %q, want %q", a, got, want)
		}
	}
}
