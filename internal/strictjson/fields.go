package strictjson

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Fields reads the members of one untrusted JSON object, as decoded by
// [UnmarshalObject], into typed values. The first problem is recorded,
// with the member's path, in an error shared by the object and every
// object read from it ([Fields.Object], [Fields.Elem], [Fields.Entry]);
// after that, reads return zero values and [Fields.Err] reports it.
// Members not read are ignored, as OpenID4VCI and OpenID4VP require for
// unrecognized parameters.
//
// The recorded error is a plain error ("path: problem"); a caller wraps it
// in its own error type or sentinel.
type Fields struct {
	m    map[string]any
	path string
	doc  *fieldsDoc
}

// fieldsDoc is what the Fields of one document share.
type fieldsDoc struct {
	err    error
	maxStr int // cap of Str, Strs and URL in bytes; 0: none
}

// NewFields returns a reader of the object m, whose failures are reported
// under path ("" for a document's top level). maxString caps the length
// in bytes of the strings that [Fields.Str], [Fields.Strs] and
// [Fields.URL] read, here and in every object read from m; 0 means no cap.
func NewFields(m map[string]any, path string, maxString int) *Fields {
	return &Fields{m: m, path: path, doc: &fieldsDoc{maxStr: maxString}}
}

// DecodeFields checks that data is at most max bytes, decodes it as a JSON
// object with [UnmarshalObject] (at most depth levels) and returns its
// reader, see [NewFields]. what names the document in the error.
func DecodeFields(what string, data []byte, max, depth, maxString int) (*Fields, error) {
	if len(data) > max {
		return nil, fmt.Errorf("%s is %d bytes, over the %d-byte cap", what, len(data), max)
	}
	m, err := UnmarshalObject(data, depth)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	return NewFields(m, "", maxString), nil
}

// Err returns the first problem recorded, or nil.
func (f *Fields) Err() error { return f.doc.err }

// Map returns the decoded object itself (nil for a nil f).
func (f *Fields) Map() map[string]any {
	if f == nil {
		return nil
	}
	return f.m
}

// Sub returns the path of member name.
func (f *Fields) Sub(name string) string {
	if f.path == "" {
		return name
	}
	return f.path + "." + name
}

// Failf records a problem with member name ("" for the object itself),
// unless one is recorded already.
func (f *Fields) Failf(name, format string, args ...any) {
	if f.doc.err != nil {
		return
	}
	where := f.path
	if name != "" {
		where = f.Sub(name)
	}
	if where == "" {
		f.doc.err = fmt.Errorf(format, args...)
		return
	}
	f.doc.err = fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...))
}

// Has reports whether member name is present.
func (f *Fields) Has(name string) bool {
	_, ok := f.m[name]
	return ok
}

// Get returns member name; a missing required one is a failure. After a
// failure it returns nothing.
func (f *Fields) Get(name string, required bool) (any, bool) {
	if f.doc.err != nil {
		return nil, false
	}
	v, ok := f.m[name]
	if !ok {
		if required {
			f.Failf(name, "required member missing")
		}
		return nil, false
	}
	return v, true
}

// Str reads a non-empty string, of at most the maxString bytes given to
// [NewFields] when that is not 0.
func (f *Fields) Str(name string, required bool) string {
	return f.str(name, required, f.doc.maxStr)
}

// StrMax reads a non-empty string of at most max bytes.
func (f *Fields) StrMax(name string, required bool, max int) string {
	return f.str(name, required, max)
}

func (f *Fields) str(name string, required bool, max int) string {
	v, ok := f.Get(name, required)
	if !ok {
		return ""
	}
	s, ok := v.(string)
	switch {
	case !ok:
		f.Failf(name, "not a string")
		return ""
	case s == "":
		f.Failf(name, "empty string")
	case max > 0 && len(s) > max:
		f.Failf(name, "over %d bytes", max)
		return ""
	}
	return s
}

// Text reads an optional string that may be empty (free text for people).
func (f *Fields) Text(name string) string {
	v, ok := f.Get(name, false)
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		f.Failf(name, "not a string")
	}
	return s
}

// URL reads a string ([Fields.Str]) that must pass [CheckURL].
func (f *Fields) URL(name string, required bool) string {
	s := f.Str(name, required)
	if s != "" {
		if err := CheckURL(s); err != nil {
			f.Failf(name, "%v", err)
			return ""
		}
	}
	return s
}

// Bool reads true or false.
func (f *Fields) Bool(name string, required bool) bool {
	v, ok := f.Get(name, required)
	if !ok {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		f.Failf(name, "not a boolean")
	}
	return b
}

// Int reads an integer in [min, max]: a number without fraction or
// exponent that fits an int64.
func (f *Fields) Int(name string, required bool, min, max int64) int64 {
	v, ok := f.Get(name, required)
	if !ok {
		return 0
	}
	n, ok := AsInt(v)
	if !ok {
		f.Failf(name, "not an integer")
		return 0
	}
	if n < min || n > max {
		f.Failf(name, "%d is out of range [%d, %d]", n, min, max)
		return 0
	}
	return n
}

// AsInt returns v, a decoded value, as an integer: a number without
// fraction or exponent that fits an int64.
func AsInt(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	return i, err == nil
}

// Array reads a non-empty array of at most max elements.
func (f *Fields) Array(name string, required bool, max int) []any {
	v, ok := f.Get(name, required)
	if !ok {
		return nil
	}
	a, ok := v.([]any)
	switch {
	case !ok:
		f.Failf(name, "not an array")
		return nil
	case len(a) == 0:
		f.Failf(name, "empty array")
		return nil
	case len(a) > max:
		f.Failf(name, "%d elements, over the cap of %d", len(a), max)
		return nil
	}
	return a
}

// Strs reads a non-empty array ([Fields.Array]) of non-empty strings, each
// of at most the maxString bytes given to [NewFields] when that is not 0;
// unique requires them to differ.
func (f *Fields) Strs(name string, required, unique bool, max int) []string {
	a := f.Array(name, required, max)
	if a == nil {
		return nil
	}
	out := make([]string, len(a))
	seen := make(map[string]bool, len(a))
	for i, v := range a {
		s, ok := v.(string)
		if !ok || s == "" || f.doc.maxStr > 0 && len(s) > f.doc.maxStr {
			if f.doc.maxStr > 0 {
				f.Failf(name, "element %d is not a non-empty string of at most %d bytes", i, f.doc.maxStr)
			} else {
				f.Failf(name, "element %d is not a non-empty string", i)
			}
			return nil
		}
		if unique && seen[s] {
			f.Failf(name, "%.64q appears twice", s)
			return nil
		}
		seen[s] = true
		out[i] = s
	}
	return out
}

// Ints reads a non-empty array ([Fields.Array]) of integers (see
// [Fields.Int]).
func (f *Fields) Ints(name string, required bool, max int) []int64 {
	a := f.Array(name, required, max)
	if a == nil {
		return nil
	}
	out := make([]int64, len(a))
	for i, v := range a {
		n, ok := AsInt(v)
		if !ok {
			f.Failf(name, "element %d is not an integer", i)
			return nil
		}
		out[i] = n
	}
	return out
}

// Object reads a member that must be an object; its reader shares f's
// error and string cap.
func (f *Fields) Object(name string, required bool) (*Fields, bool) {
	v, ok := f.Get(name, required)
	if !ok {
		return nil, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		f.Failf(name, "not an object")
		return nil, false
	}
	return &Fields{m: m, path: f.Sub(name), doc: f.doc}, true
}

// Elem reads v, element i of the array member name, as an object.
func (f *Fields) Elem(name string, i int, v any) (*Fields, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		f.Failf(name, "element %d is not an object", i)
		return nil, false
	}
	return &Fields{m: m, path: fmt.Sprintf("%s[%d]", f.Sub(name), i), doc: f.doc}, true
}

// Entry reads v, the value of key in the object member name ("" for f
// itself), as an object.
func (f *Fields) Entry(name, key string, v any) (*Fields, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		f.Failf(name, "%.64q is not an object", key)
		return nil, false
	}
	base := f.path
	if name != "" {
		base = f.Sub(name)
	}
	return &Fields{m: m, path: fmt.Sprintf("%s[%.64q]", base, key), doc: f.doc}, true
}

// Raw re-encodes a member as compact JSON text ([Marshal]).
func (f *Fields) Raw(name string, required bool) json.RawMessage {
	v, ok := f.Get(name, required)
	if !ok {
		return nil
	}
	b, err := Marshal(v)
	if err != nil {
		f.Failf(name, "%v", err)
		return nil
	}
	return b
}

// MaxURLLen caps every URL [CheckURL] accepts.
const MaxURLLen = 4096

// CheckURL checks a URL of the protocols: it must be an absolute https URL
// with a host, without userinfo (a phishing aid) and without a fragment
// (RFC 9700 §2.1, §4.1: exact, TLS-protected redirect URIs), at most
// [MaxURLLen] bytes. http is accepted only for a loopback host
// ([IsLoopbackHost]), so that tests and the demos work without TLS; a
// wallet following such a URL from an untrusted message reaches the
// phone itself.
func CheckURL(s string) error {
	if len(s) > MaxURLLen {
		return fmt.Errorf("URL of %d bytes, over %d", len(s), MaxURLLen)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%.200q is not a URL", s)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && IsLoopbackHost(u.Hostname()):
	default:
		return fmt.Errorf("%.200q is not https", s)
	}
	if u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
		return fmt.Errorf("%.200q has no host", s)
	}
	if u.User != nil {
		return fmt.Errorf("%.200q has userinfo", s)
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		return fmt.Errorf("%.200q has a fragment", s)
	}
	return nil
}

// IsLoopbackHost reports whether host (a URL's Hostname) names the
// loopback interface: localhost, 127.0.0.1 or ::1, in any case.
func IsLoopbackHost(host string) bool {
	switch strings.ToLower(host) {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}
