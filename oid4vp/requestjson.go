package oid4vp

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// reader reads the members of one untrusted JSON object, as decoded by
// strictjson, into typed values. The first problem is recorded (with the
// member's path) in an error shared by the object and the objects read
// from it; after that, reads return zero values. Members not read are
// ignored: OpenID4VP requires unrecognized parameters to be ignored
// (§5.1, §8.1, §11.1).
type reader struct {
	m    map[string]any
	path string
	errp *error
}

func newReader(m map[string]any, path string) *reader {
	return &reader{m: m, path: path, errp: new(error)}
}

// readObject checks the size and decodes a JSON object strictly (no
// duplicate member names, valid UTF-8, no trailing data, at most depth
// levels).
func readObject(what string, data []byte, max, depth int) (*reader, error) {
	if len(data) > max {
		return nil, malformed("%s is %d bytes, over the %d-byte cap", what, len(data), max)
	}
	m, err := strictjson.UnmarshalObject(data, depth)
	if err != nil {
		return nil, malformed("%s: %v", what, err)
	}
	return newReader(m, ""), nil
}

func (r *reader) err() error { return *r.errp }

func (r *reader) sub(name string) string {
	if r.path == "" {
		return name
	}
	return r.path + "." + name
}

// failf records a problem with member name ("" for the object itself).
func (r *reader) failf(name, format string, args ...any) {
	if *r.errp != nil {
		return
	}
	where := r.path
	if name != "" {
		where = r.sub(name)
	}
	if where == "" {
		*r.errp = fmt.Errorf(format, args...)
		return
	}
	*r.errp = fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...))
}

func (r *reader) has(name string) bool {
	_, ok := r.m[name]
	return ok
}

// get returns a member; a missing required one is a failure.
func (r *reader) get(name string, required bool) (any, bool) {
	if *r.errp != nil {
		return nil, false
	}
	v, ok := r.m[name]
	if !ok {
		if required {
			r.failf(name, "required member missing")
		}
		return nil, false
	}
	return v, true
}

// str reads a non-empty string of at most MaxStringLen bytes.
func (r *reader) str(name string, required bool) string {
	return r.strMax(name, required, MaxStringLen)
}

// strMax reads a non-empty string of at most max bytes.
func (r *reader) strMax(name string, required bool, max int) string {
	v, ok := r.get(name, required)
	if !ok {
		return ""
	}
	s, ok := v.(string)
	switch {
	case !ok:
		r.failf(name, "not a string")
		return ""
	case s == "":
		r.failf(name, "empty string")
	case len(s) > max:
		r.failf(name, "over %d bytes", max)
		return ""
	}
	return s
}

// text reads a string that may be empty.
func (r *reader) text(name string) string {
	v, ok := r.get(name, false)
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		r.failf(name, "not a string")
	}
	return s
}

// integer reads an integer (no fraction or exponent) in [min, max].
func (r *reader) integer(name string, required bool, min, max int64) int64 {
	v, ok := r.get(name, required)
	if !ok {
		return 0
	}
	n, ok := v.(json.Number)
	var i int64
	var err error
	if ok {
		i, err = strconv.ParseInt(string(n), 10, 64)
	}
	if !ok || err != nil {
		r.failf(name, "not an integer")
		return 0
	}
	if i < min || i > max {
		r.failf(name, "%d is out of range [%d, %d]", i, min, max)
		return 0
	}
	return i
}

// array reads a non-empty array of at most max elements.
func (r *reader) array(name string, required bool, max int) []any {
	v, ok := r.get(name, required)
	if !ok {
		return nil
	}
	a, ok := v.([]any)
	switch {
	case !ok:
		r.failf(name, "not an array")
		return nil
	case len(a) == 0:
		r.failf(name, "empty array")
		return nil
	case len(a) > max:
		r.failf(name, "%d elements, over the cap of %d", len(a), max)
		return nil
	}
	return a
}

// strs reads a non-empty array of non-empty strings; unique requires them
// to differ.
func (r *reader) strs(name string, required, unique bool, max int) []string {
	a := r.array(name, required, max)
	if a == nil {
		return nil
	}
	out := make([]string, len(a))
	seen := make(map[string]bool, len(a))
	for i, v := range a {
		s, ok := v.(string)
		if !ok || s == "" || len(s) > MaxStringLen {
			r.failf(name, "element %d is not a non-empty string of at most %d bytes", i, MaxStringLen)
			return nil
		}
		if unique && seen[s] {
			r.failf(name, "%.64q appears twice", s)
			return nil
		}
		seen[s] = true
		out[i] = s
	}
	return out
}

// ints reads a non-empty array of integers.
func (r *reader) ints(name string, max int) []int64 {
	a := r.array(name, false, max)
	if a == nil {
		return nil
	}
	out := make([]int64, len(a))
	for i, v := range a {
		n, ok := v.(json.Number)
		var err error
		if ok {
			out[i], err = strconv.ParseInt(string(n), 10, 64)
		}
		if !ok || err != nil {
			r.failf(name, "element %d is not an integer", i)
			return nil
		}
	}
	return out
}

// object reads a member that must be an object.
func (r *reader) object(name string, required bool) (*reader, bool) {
	v, ok := r.get(name, required)
	if !ok {
		return nil, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		r.failf(name, "not an object")
		return nil, false
	}
	return &reader{m: m, path: r.sub(name), errp: r.errp}, true
}

// elem reads element i of the array member name as an object.
func (r *reader) elem(name string, i int, v any) (*reader, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		r.failf(name, "element %d is not an object", i)
		return nil, false
	}
	return &reader{m: m, path: fmt.Sprintf("%s[%d]", r.sub(name), i), errp: r.errp}, true
}

// raw re-encodes a member as compact JSON text.
func (r *reader) raw(name string) json.RawMessage {
	v, ok := r.get(name, false)
	if !ok {
		return nil
	}
	b, err := strictjson.Marshal(v)
	if err != nil {
		r.failf(name, "%v", err)
		return nil
	}
	return b
}

// MaxURLLen caps every URL a message may carry.
const MaxURLLen = 4096

// CheckURL checks a URL a Verifier sends: response_uri, redirect_uri,
// request_uri and the URL of a redirect_uri Client Identifier. It must be
// an absolute https URL with a host, no userinfo and no fragment (RFC
// 9700 §2.1, §4.1: exact, TLS-protected redirect URIs), at most
// [MaxURLLen] bytes. http is accepted for a loopback host only
// (localhost, 127.0.0.1, ::1), for tests and the demo; a Wallet following
// such a URL from an untrusted request reaches the phone itself.
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
	case u.Scheme == "http" && isLoopback(u.Hostname()):
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

func isLoopback(host string) bool {
	switch strings.ToLower(host) {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

// url reads a string that must pass CheckURL.
func (r *reader) url(name string, required bool) string {
	s := r.str(name, required)
	if s != "" {
		if err := CheckURL(s); err != nil {
			r.failf(name, "%v", err)
			return ""
		}
	}
	return s
}

// urlSafe reports whether s holds only the ASCII URL safe characters that
// nonce and state may use: letters, digits, '-', '.', '_', '~' (§5.2).
func urlSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}
