package credential

import (
	"errors"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/credential/mdoc"
)

// textDate is a date type of some mdoc library that writes itself as text.
type textDate string

func (d textDate) MarshalText() ([]byte, error) { return []byte(d), nil }

// TestMdocDateValues: the mdoc decoders take a full-date as the CBOR tag
// 1004 (after a CBOR round trip) or as an mdoc library's date value that
// writes itself as "YYYY-MM-DD" (package mdoc's FullDate, as mdoc.Verify
// returns it); the text must be a real date, and an SD-JWT claim must stay
// a JSON string.
func TestMdocDateValues(t *testing.T) {
	k := sampleKTPEL(t)
	withDate := func(v any) map[string]map[string]any {
		ns := cborRoundTrip(t, k.MdocElements(issueTime))
		tag, ok := ns[DocTypeKTPEL]["birth_date"].(cbor.Tag)
		if !ok || tag.Number != TagFullDate {
			t.Fatalf("birth_date is %T, want tag 1004", ns[DocTypeKTPEL]["birth_date"])
		}
		ns[DocTypeKTPEL]["birth_date"] = v
		return ns
	}
	for name, v := range map[string]any{
		"mdoc.FullDate": mdoc.FullDate{Year: 1995, Month: 8, Day: 17},
		"text date":     textDate("1995-08-17"),
	} {
		got, err := KTPELFromMdoc(withDate(v))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !got.Equal(k) {
			t.Fatalf("%s: decoded document differs", name)
		}
	}
	for name, v := range map[string]any{
		"not a date":   textDate("17/08/1995"),
		"no such date": textDate("1995-02-30"),
		"bad FullDate": mdoc.FullDate{Year: 1995, Month: 13, Day: 1},
	} {
		if _, err := KTPELFromMdoc(withDate(v)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	claims := jsonRoundTrip(t, k.SDJWTClaims(issueTime))
	claims["birthdate"] = textDate("1995-08-17")
	if _, err := KTPELFromClaims(claims); !errors.Is(err, ErrClaimType) {
		t.Errorf("a text date in SD-JWT claims: %v", err)
	}
}
