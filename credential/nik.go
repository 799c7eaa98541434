package credential

import (
	"strings"
	"time"
)

// NIK is a Nomor Induk Kependudukan, the 16-digit population number
// PP KK CC DDMMYY SSSS (docs/domain.md §2). A NIK value can only be obtained
// from [ParseNIK] and is valid after that: the zero NIK is the only invalid
// value and reports IsZero.
//
// The region digits are the Kemendagri codes of the place of first
// registration, not of the current address; never compare them with an
// address.
type NIK struct {
	s string // 16 ASCII digits
}

// MaxNIKInputLen caps the input accepted by [ParseNIK] (16 digits plus
// separators).
const MaxNIKInputLen = 32

// ParseNIK parses and validates a NIK. Spaces, dots and dashes (as in the
// grouped display "3174 0157 0895 0021") are removed first; what remains
// must be exactly 16 ASCII digits, and (docs/domain.md §8.5 hard rules):
//   - the province (PP), regency/city (PP.KK) and district (PP.KK.CC) codes
//     exist in the embedded Kemendagri table (union of the 2016–2025 lists);
//   - DD is 01–31 (men) or 41–71 (women, day+40), MM is 01–12, and
//     (DD mod 40, MM, YY) is a real date in 19YY or 20YY;
//   - the serial SSSS is not 0000.
//
// Errors are *FieldError values wrapping ErrSyntax, ErrUnknownRegion or
// ErrInvalidDate.
func ParseNIK(s string) (NIK, error) {
	if len(s) > MaxNIKInputLen {
		return NIK{}, fieldErr("nik", ErrSyntax, "longer than %d bytes", MaxNIKInputLen)
	}
	d := strings.NewReplacer(" ", "", ".", "", "-", "").Replace(s)
	if len(d) != 16 {
		return NIK{}, fieldErr("nik", ErrSyntax, "want 16 digits, got %d characters", len(d))
	}
	if _, ok := atoiDigits(d); !ok {
		return NIK{}, fieldErr("nik", ErrSyntax, "non-digit character")
	}
	// §2: PP KK CC are Kemendagri codes; validated against the historical
	// union because a NIK keeps its first-registration code for life.
	if d[2:4] == "00" || d[4:6] == "00" {
		return NIK{}, fieldErr("nik", ErrUnknownRegion, "regency or district code 00")
	}
	pp, kk, cc := d[0:2], d[0:2]+"."+d[2:4], d[0:2]+"."+d[2:4]+"."+d[4:6]
	for _, c := range []string{pp, kk, cc} {
		if _, ok := LookupRegion(c); !ok {
			return NIK{}, fieldErr("nik", ErrUnknownRegion, "%s not in the Kemendagri table", c)
		}
	}
	dd, _ := atoiDigits(d[6:8])
	mm, _ := atoiDigits(d[8:10])
	yy, _ := atoiDigits(d[10:12])
	// §2: women have 40 added to the day of birth.
	if dd > 40 {
		dd -= 40
	}
	if dd < 1 || dd > 31 || mm < 1 || mm > 12 {
		return NIK{}, fieldErr("nik", ErrInvalidDate, "birth day/month out of range")
	}
	if !realDate(1900+yy, mm, dd) && !realDate(2000+yy, mm, dd) {
		return NIK{}, fieldErr("nik", ErrInvalidDate, "birth date does not exist")
	}
	if d[12:16] == "0000" {
		return NIK{}, fieldErr("nik", ErrSyntax, "serial 0000")
	}
	return NIK{s: d}, nil
}

func realDate(y, m, d int) bool {
	return Date{y, time.Month(m), d}.valid()
}

// MustParseNIK is like [ParseNIK] but panics on error. It is meant for
// constants in tests and examples, never for untrusted input.
func MustParseNIK(s string) NIK {
	n, err := ParseNIK(s)
	if err != nil {
		panic(err)
	}
	return n
}

// String returns the 16 digits, or "" for the zero NIK.
func (n NIK) String() string { return n.s }

// IsZero reports whether n is the zero (absent) NIK.
func (n NIK) IsZero() bool { return n.s == "" }

// Equal reports whether n and m are the same number.
func (n NIK) Equal(m NIK) bool { return n.s == m.s }

// ProvinceCode returns PP, e.g. "31".
func (n NIK) ProvinceCode() string { return n.part(0, 2, "") }

// RegencyCityCode returns PP.KK, e.g. "31.74".
func (n NIK) RegencyCityCode() string { return n.part(0, 4, ".") }

// DistrictCode returns PP.KK.CC, e.g. "31.74.01".
func (n NIK) DistrictCode() string { return n.part(0, 6, ".") }

func (n NIK) part(from, to int, sep string) string {
	if n.IsZero() {
		return ""
	}
	var b strings.Builder
	for i := from; i < to; i += 2 {
		if i > from {
			b.WriteString(sep)
		}
		b.WriteString(n.s[i : i+2])
	}
	return b.String()
}

// Province, RegencyCity and District return the table entries of the NIK's
// region codes (always found for a non-zero NIK).
func (n NIK) Province() Region { r, _ := LookupRegion(n.ProvinceCode()); return r }

// RegencyCity returns the regency/city entry; see [NIK.Province].
func (n NIK) RegencyCity() Region { r, _ := LookupRegion(n.RegencyCityCode()); return r }

// District returns the district (kecamatan) entry; see [NIK.Province].
func (n NIK) District() Region { r, _ := LookupRegion(n.DistrictCode()); return r }

// Serial returns SSSS, e.g. "0021".
func (n NIK) Serial() string {
	if n.IsZero() {
		return ""
	}
	return n.s[12:]
}

// Sex returns the sex encoded by the day digits (DD > 40 means female).
func (n NIK) Sex() Sex {
	if n.IsZero() {
		return 0
	}
	if n.s[6] >= '4' {
		return Female
	}
	return Male
}

// BirthDayMonth returns the encoded day (with the +40 removed) and month.
func (n NIK) BirthDayMonth() (day int, month time.Month) {
	if n.IsZero() {
		return 0, 0
	}
	dd, _ := atoiDigits(n.s[6:8])
	mm, _ := atoiDigits(n.s[8:10])
	return dd % 40, time.Month(mm)
}

// BirthYY returns the two-digit year YY; the century is not encoded.
func (n NIK) BirthYY() int {
	if n.IsZero() {
		return 0
	}
	yy, _ := atoiDigits(n.s[10:12])
	return yy
}

// BirthDate resolves the century and returns the encoded birth date: the
// latest of 20YY and 19YY that is a real date not after the calendar date of
// ref (docs/domain.md §2 edge case 2). If both lie after ref, the 19YY date is
// returned and ok is false. Prefer the person's stated birth date when
// there is one: Dukcapil does not re-issue a NIK when the birth date is
// corrected.
func (n NIK) BirthDate(ref time.Time) (d Date, ok bool) {
	if n.IsZero() {
		return Date{}, false
	}
	day, month := n.BirthDayMonth()
	today := DateOf(ref)
	yy := n.BirthYY()
	for _, y := range []int{2000 + yy, 1900 + yy} {
		c := Date{y, month, day}
		if c.valid() && !today.Before(c) {
			return c, true
		}
	}
	c := Date{1900 + yy, month, day}
	if !c.valid() {
		c = Date{2000 + yy, month, day}
	}
	return c, false
}

// CheckConsistency compares the NIK with a person's stated birth date and
// sex (docs/domain.md §8.5 soft rules): DDMMYY must equal the birth date's day,
// month and last two year digits, and the day+40 rule must match sex. A
// mismatch returns a *FieldError wrapping [ErrInconsistent]. Whether to
// reject or only warn is the caller's policy: Dukcapil keeps the NIK when a
// birth date is corrected, so legitimate mismatches exist.
func (n NIK) CheckConsistency(birth Date, sex Sex) error {
	if n.IsZero() {
		return fieldErr("nik", ErrMissing, "")
	}
	day, month := n.BirthDayMonth()
	if birth.Day != day || birth.Month != month || birth.Year%100 != n.BirthYY() {
		return fieldErr("nik", ErrInconsistent, "encoded birth date differs from the stated birth date")
	}
	if sex != 0 && sex != n.Sex() {
		return fieldErr("nik", ErrInconsistent, "encoded sex (day+40 rule) differs from the stated sex")
	}
	return nil
}
