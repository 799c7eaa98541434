package credential

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on untrusted values. They bound memory and keep values within what
// the documents and ISO/IEC 18013-5 (tstr ≤ 150 characters) allow.
const (
	// MaxTextLen is the maximum length, in characters, of a text field
	// (docs/domain.md §8 conventions; the PID rulebook's 150-character limit).
	MaxTextLen = 150
	// MaxImageSize is the maximum size in bytes of a portrait or signature
	// image.
	MaxImageSize = 512 << 10
	// MaxKKMembers is the maximum number of members of a KK.
	MaxKKMembers = 64
	// MaxNationalities is the maximum number of nationalities of a person.
	MaxNationalities = 8
)

// checkText validates printed text: valid UTF-8, 1..MaxTextLen characters,
// no control characters, no leading, trailing or doubled spaces, and no
// lowercase letters (text stays as printed, in capitals).
func checkText(field, s string, required bool) error {
	if s == "" {
		if required {
			return fieldErr(field, ErrMissing, "")
		}
		return nil
	}
	if !utf8.ValidString(s) {
		return fieldErr(field, ErrSyntax, "invalid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > MaxTextLen {
		return fieldErr(field, ErrSyntax, "%d characters, at most %d", n, MaxTextLen)
	}
	if strings.TrimSpace(s) != s || strings.Contains(s, "  ") {
		return fieldErr(field, ErrSyntax, "leading, trailing or doubled spaces")
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return fieldErr(field, ErrSyntax, "control character")
		}
		if unicode.IsLower(r) {
			return fieldErr(field, ErrSyntax, "lowercase letter; text is kept as printed, in capitals")
		}
	}
	return nil
}

// checkName applies the name rule of docs/domain.md §8.1: 1–150 characters from
// [A-Z .,'-] (Permendagri 73/2022: Latin script; titles kept, abbreviated).
func checkName(field, s string, required bool) error {
	if err := checkText(field, s, required); err != nil {
		return err
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c == ' ' || c == '.' || c == ',' || c == '\'' || c == '-') {
			return fieldErr(field, ErrSyntax, "name may only contain A-Z, space and . , ' -")
		}
	}
	return nil
}

// checkDigits checks a string of exactly n ASCII digits (min..max if max>0).
func checkDigits(field, s string, min, max int, required bool) error {
	if s == "" {
		if required {
			return fieldErr(field, ErrMissing, "")
		}
		return nil
	}
	if _, ok := atoiDigits(s); !ok || len(s) > 32 {
		return fieldErr(field, ErrSyntax, "digits only")
	}
	if len(s) < min || len(s) > max {
		if min == max {
			return fieldErr(field, ErrSyntax, "want %d digits", min)
		}
		return fieldErr(field, ErrSyntax, "want %d to %d digits", min, max)
	}
	return nil
}

func checkDate(field string, d Date, required bool) error {
	if d.IsZero() {
		if required {
			return fieldErr(field, ErrMissing, "")
		}
		return nil
	}
	if !d.valid() {
		return fieldErr(field, ErrInvalidDate, "%04d-%02d-%02d does not exist", d.Year, int(d.Month), d.Day)
	}
	return nil
}

// checkCountry checks an ISO 3166-1 alpha-2 shape (two capital letters).
func checkCountry(field, s string) error {
	if len(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' {
		return fieldErr(field, ErrSyntax, "want an ISO 3166-1 alpha-2 code")
	}
	return nil
}

func checkNationalities(field string, c Citizenship, ns []string) error {
	if len(ns) == 0 {
		return fieldErr(field, ErrMissing, "")
	}
	if len(ns) > MaxNationalities {
		return fieldErr(field, ErrSyntax, "more than %d nationalities", MaxNationalities)
	}
	seen := map[string]bool{}
	for _, n := range ns {
		if err := checkCountry(field, n); err != nil {
			return err
		}
		if seen[n] {
			return fieldErr(field, ErrSyntax, "duplicate nationality")
		}
		seen[n] = true
	}
	// A WNI is an Indonesian citizen; a WNA is not (docs/domain.md §8.1).
	if c == WNI && !seen["ID"] {
		return fieldErr(field, ErrInconsistent, "WNI without ID")
	}
	if c == WNA && seen["ID"] {
		return fieldErr(field, ErrInconsistent, "WNA with ID")
	}
	return nil
}

// defaultNationalities returns ["ID"] for a WNI when none were given.
func defaultNationalities(c Citizenship, ns []string) []string {
	if len(ns) == 0 && c == WNI {
		return []string{"ID"}
	}
	return append([]string(nil), ns...)
}

// Image media types accepted for portraits and signatures.
const (
	mediaJPEG = "image/jpeg"
	mediaPNG  = "image/png"
)

// imageType sniffs JPEG (FF D8 FF) or PNG; "" otherwise.
func imageType(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return mediaJPEG
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return mediaPNG
	}
	return ""
}

func checkImage(field string, b []byte, jpegOnly, required bool) error {
	if len(b) == 0 {
		if required {
			return fieldErr(field, ErrMissing, "")
		}
		return nil
	}
	if len(b) > MaxImageSize {
		return fieldErr(field, ErrSyntax, "image larger than %d bytes", MaxImageSize)
	}
	t := imageType(b)
	if t == "" || (jpegOnly && t != mediaJPEG) {
		return fieldErr(field, ErrSyntax, "not a JPEG%s image", map[bool]string{false: " or PNG", true: ""}[jpegOnly])
	}
	return nil
}

// Occupation is the pekerjaan: the printed text and, when known, the SIAK
// code (1–89, OpenSID table tweb_penduduk_pekerjaan). Code 0 means the
// occupation is only known as free text.
type Occupation struct {
	Text string
	Code int
}

func (o Occupation) check(field string) error {
	if err := checkText(field, o.Text, true); err != nil {
		return err
	}
	if o.Code < 0 || o.Code > 89 {
		return fieldErr(field, ErrUnknownCode, "occupation code %d not in 1–89", o.Code)
	}
	return nil
}

// cloneOrNil copies b, normalising empty to nil so values compare equal.
func cloneOrNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return bytes.Clone(b)
}
