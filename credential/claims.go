package credential

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// wire selects the target of a mapping.
type wire int

const (
	wireSDJWT wire = iota // JSON values
	wireMdoc              // CBOR values
)

// TagFullDate is the CBOR tag for an RFC 3339 full-date string (RFC 8943),
// used by ISO/IEC 18013-5 for birth_date, issue_date and expiry_date.
const TagFullDate = 1004

func (w wire) date(d Date) any {
	if w == wireMdoc {
		return cbor.Tag{Number: TagFullDate, Content: d.String()}
	}
	return d.String()
}

func (w wire) uint(n int) any {
	if w == wireMdoc {
		return uint64(n)
	}
	return int64(n)
}

// image is a data: URL in JSON (as the PID portrait claim "picture") and a
// byte string in CBOR.
func (w wire) image(b []byte) any {
	if w == wireMdoc {
		return slices.Clone(b)
	}
	return "data:" + imageType(b) + ";base64," + base64.StdEncoding.EncodeToString(b)
}

func strList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// technicalSDJWT are claims a verified SD-JWT VC payload may carry that are
// added by the issuer or the format layer, not by this package. Decoding
// ignores them.
var technicalSDJWT = []string{"iss", "sub", "iat", "nbf", "exp", "cnf", "status", "jti", "vct#integrity"}

// reader decodes one JSON or CBOR object strictly: every key must be
// consumed, values must have the right type, and the first failure is kept
// with its claim path.
type reader struct {
	w    wire
	path string
	m    map[string]any
	used map[string]bool
	err  *error
}

func newReader(w wire, m map[string]any) *reader {
	var err error
	return &reader{w: w, m: m, used: map[string]bool{}, err: &err}
}

func (r *reader) sub(key string, m map[string]any) *reader {
	return &reader{w: r.w, path: r.join(key), m: m, used: map[string]bool{}, err: r.err}
}

func (r *reader) join(key string) string {
	if r.path == "" {
		return key
	}
	if strings.HasPrefix(key, "[") {
		return r.path + key
	}
	return r.path + "." + key
}

func (r *reader) fail(key string, sentinel error, format string, args ...any) {
	if *r.err == nil {
		*r.err = fieldErr(r.join(key), sentinel, format, args...)
	}
}

func (r *reader) failed() bool { return *r.err != nil }

func (r *reader) get(key string, required bool) (any, bool) {
	v, ok := r.m[key]
	r.used[key] = true
	if !ok || v == nil {
		if ok {
			r.fail(key, ErrClaimType, "null")
		} else if required {
			r.fail(key, ErrMissing, "")
		}
		return nil, false
	}
	return v, true
}

func (r *reader) ignore(keys ...string) {
	for _, k := range keys {
		r.used[k] = true
	}
}

func (r *reader) str(key string, required bool) string {
	v, ok := r.get(key, required)
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		r.fail(key, ErrClaimType, "want a string")
		return ""
	}
	if s == "" && required {
		r.fail(key, ErrMissing, "empty string")
	}
	return s
}

func (r *reader) boolean(key string, required bool) bool {
	v, ok := r.get(key, required)
	if !ok {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		r.fail(key, ErrClaimType, "want a boolean")
	}
	return b
}

// uint accepts the integer representations produced by encoding/json
// (float64, json.Number), internal/strictjson (json.Number) and
// fxamacker/cbor (uint64, int64), and rejects fractions, negatives and
// values above max.
func (r *reader) uint(key string, required bool, max int) int {
	v, ok := r.get(key, required)
	if !ok {
		return 0
	}
	n, ok := toUint(v)
	if !ok {
		r.fail(key, ErrClaimType, "want a non-negative integer")
		return 0
	}
	if n > uint64(max) {
		r.fail(key, ErrUnknownCode, "value %d above %d", n, max)
		return 0
	}
	return int(n)
}

func toUint(v any) (uint64, bool) {
	switch x := v.(type) {
	case uint64:
		return x, true
	case int64:
		return uint64(x), x >= 0
	case int:
		return uint64(x), x >= 0
	case uint:
		return uint64(x), true
	case float64:
		if x < 0 || x > 1<<53 || x != math.Trunc(x) {
			return 0, false
		}
		return uint64(x), true
	case json.Number:
		n, err := strconv.ParseUint(string(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}

// date accepts "YYYY-MM-DD" in SD-JWT; in mdoc it requires tag 1004 around
// that string (ISO/IEC 18013-5 full-date), or a time.Time at midnight UTC
// (what a decoder with tag-1004 support produces).
func (r *reader) date(key string, required bool) Date {
	v, ok := r.get(key, required)
	if !ok {
		return Date{}
	}
	var s string
	switch x := v.(type) {
	case string:
		if r.w == wireMdoc {
			r.fail(key, ErrClaimType, "mdoc full-date must be tag 1004")
			return Date{}
		}
		s = x
	case cbor.Tag:
		c, isStr := x.Content.(string)
		if r.w != wireMdoc || x.Number != TagFullDate || !isStr {
			r.fail(key, ErrClaimType, "want a full-date (tag 1004 text)")
			return Date{}
		}
		s = c
	case time.Time:
		if r.w != wireMdoc || x.Location() != time.UTC || x.Hour() != 0 || x.Minute() != 0 || x.Second() != 0 || x.Nanosecond() != 0 {
			r.fail(key, ErrClaimType, "want a full-date")
			return Date{}
		}
		s = x.Format(time.DateOnly)
	case encoding.TextMarshaler:
		// A date type of an mdoc library (such as mdoc.FullDate) that
		// writes itself as "YYYY-MM-DD"; ParseDate below checks the text.
		b, err := x.MarshalText()
		if r.w != wireMdoc || err != nil {
			r.fail(key, ErrClaimType, "want a full-date")
			return Date{}
		}
		s = string(b)
	default:
		r.fail(key, ErrClaimType, "want a date")
		return Date{}
	}
	d, err := ParseDate(s)
	if err != nil {
		r.fail(key, ErrInvalidDate, "want YYYY-MM-DD")
	}
	return d
}

func (r *reader) obj(key string, required bool) *reader {
	v, ok := r.get(key, required)
	if !ok {
		return nil
	}
	m, ok := toMap(v)
	if !ok {
		r.fail(key, ErrClaimType, "want an object")
		return nil
	}
	return r.sub(key, m)
}

// toMap accepts map[string]any (JSON) and map[any]any with text keys (CBOR).
func toMap(v any) (map[string]any, bool) {
	switch x := v.(type) {
	case map[string]any:
		return x, true
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			ks, ok := k.(string)
			if !ok {
				return nil, false
			}
			m[ks] = e
		}
		return m, true
	}
	return nil, false
}

func (r *reader) arr(key string, required bool, max int) []any {
	v, ok := r.get(key, required)
	if !ok {
		return nil
	}
	a, ok := v.([]any)
	if !ok {
		r.fail(key, ErrClaimType, "want an array")
		return nil
	}
	if len(a) > max {
		r.fail(key, ErrSyntax, "more than %d entries", max)
		return nil
	}
	return a
}

func (r *reader) strs(key string, required bool, max int) []string {
	a := r.arr(key, required, max)
	if a == nil {
		return nil
	}
	out := make([]string, len(a))
	for i, e := range a {
		s, ok := e.(string)
		if !ok {
			r.fail(key, ErrClaimType, "want an array of strings")
			return nil
		}
		out[i] = s
	}
	return out
}

// image decodes a data: URL (SD-JWT) or a byte string (mdoc).
func (r *reader) image(key string, required bool) []byte {
	v, ok := r.get(key, required)
	if !ok {
		return nil
	}
	if r.w == wireMdoc {
		b, ok := v.([]byte)
		if !ok {
			r.fail(key, ErrClaimType, "want a byte string")
			return nil
		}
		return slices.Clone(b)
	}
	s, ok := v.(string)
	if !ok {
		r.fail(key, ErrClaimType, "want a data: URL string")
		return nil
	}
	if len(s) > MaxImageSize*4/3+64 {
		r.fail(key, ErrSyntax, "image larger than %d bytes", MaxImageSize)
		return nil
	}
	rest, ok1 := strings.CutPrefix(s, "data:")
	mt, data, ok2 := strings.Cut(rest, ";base64,")
	if !ok1 || !ok2 || (mt != mediaJPEG && mt != mediaPNG) {
		r.fail(key, ErrSyntax, "want data:image/jpeg;base64,... or data:image/png;base64,...")
		return nil
	}
	b, err := base64.StdEncoding.Strict().DecodeString(data)
	if err != nil {
		r.fail(key, ErrSyntax, "bad base64")
		return nil
	}
	if imageType(b) != mt {
		r.fail(key, ErrInconsistent, "media type does not match the image bytes")
		return nil
	}
	return b
}

// constant requires key to hold exactly want (or be absent if !required).
func (r *reader) constant(key, want string, required bool) {
	if s := r.str(key, required); s != "" && s != want {
		r.fail(key, ErrWrongType, "want %q", want)
	}
}

// ageClaims validates the derived age claims if present: well-typed, and
// age_birth_year equal to the birth year. Their truth depends on the
// issuance time, which the claims do not carry, so they are not recomputed.
func (r *reader) ageClaims(birth Date) {
	if r.w == wireSDJWT {
		if o := r.obj("age_equal_or_over", false); o != nil {
			for _, n := range AgeThresholds() {
				o.boolean(strconv.Itoa(n), false)
			}
			o.done()
		}
	} else {
		for _, n := range AgeThresholds() {
			r.boolean("age_over_"+strconv.Itoa(n), false)
		}
	}
	r.uint("age_in_years", false, 200)
	if _, ok := r.m["age_birth_year"]; ok {
		if y := r.uint("age_birth_year", true, 9999); !r.failed() && !birth.IsZero() && y != birth.Year {
			r.fail("age_birth_year", ErrInconsistent, "differs from the birth date")
		}
	}
}

// done reports the first unknown key. Keys are checked in sorted order so
// the error is deterministic.
func (r *reader) done() {
	if r.failed() {
		return
	}
	keys := make([]string, 0, len(r.m))
	for k := range r.m {
		if !r.used[k] {
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		slices.Sort(keys)
		r.fail(keys[0], ErrUnknownClaim, "not defined for this credential type")
	}
}

func (r *reader) error() error { return *r.err }
