package oid4vci

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// ErrMalformed is wrapped by every error of a parser of this package:
// the message is not what the specification allows (bad JSON, duplicate
// member names, a missing or mistyped member, an unknown enum value, a
// non-https URL, too large).
var ErrMalformed = errors.New("oid4vci: malformed message")

// decodeObject checks the size and decodes a JSON object strictly:
// duplicate member names, invalid UTF-8, trailing data and nesting beyond
// depth are refused (internal/strictjson).
func decodeObject(what string, data []byte, max, depth int) (fields, error) {
	if len(data) > max {
		return fields{}, fmt.Errorf("%s is %d bytes, over the %d-byte cap", what, len(data), max)
	}
	m, err := strictjson.UnmarshalObject(data, depth)
	if err != nil {
		return fields{}, fmt.Errorf("%s: %v", what, err)
	}
	return newFields(m, ""), nil
}

// fields reads the members of one untrusted JSON object, as decoded by
// strictjson, into typed values. The first problem is recorded (with the
// member's path) in an error shared by the object and all objects read
// from it; after that, reads return zero values. Members not read are
// ignored: every message of OpenID4VCI says that unrecognized parameters
// MUST be ignored.
type fields struct {
	m    map[string]any
	path string
	errp *error
}

func newFields(m map[string]any, path string) fields {
	return fields{m: m, path: path, errp: new(error)}
}

func (f fields) err() error { return *f.errp }

func (f fields) sub(name string) string {
	if f.path == "" {
		return name
	}
	return f.path + "." + name
}

// failf records a problem with member name ("" for the object itself).
func (f fields) failf(name, format string, args ...any) {
	if *f.errp != nil {
		return
	}
	where := f.path
	if name != "" {
		where = f.sub(name)
	}
	if where == "" {
		*f.errp = fmt.Errorf(format, args...)
		return
	}
	*f.errp = fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...))
}

func (f fields) has(name string) bool {
	_, ok := f.m[name]
	return ok
}

// get returns a member; a missing required one is a failure.
func (f fields) get(name string, required bool) (any, bool) {
	if *f.errp != nil {
		return nil, false
	}
	v, ok := f.m[name]
	if !ok {
		if required {
			f.failf(name, "required member missing")
		}
		return nil, false
	}
	return v, true
}

// str reads a non-empty string.
func (f fields) str(name string, required bool) string {
	v, ok := f.get(name, required)
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		f.failf(name, "not a string")
		return ""
	}
	if s == "" {
		f.failf(name, "empty string")
	}
	return s
}

// text reads a string that may be empty (free text for people).
func (f fields) text(name string) string {
	v, ok := f.get(name, false)
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		f.failf(name, "not a string")
	}
	return s
}

// url reads a string that must pass [CheckURL].
func (f fields) url(name string, required bool) string {
	s := f.str(name, required)
	if s != "" {
		if err := CheckURL(s); err != nil {
			f.failf(name, "%v", err)
			return ""
		}
	}
	return s
}

// boolean reads a true or false.
func (f fields) boolean(name string, required bool) bool {
	v, ok := f.get(name, required)
	if !ok {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		f.failf(name, "not a boolean")
	}
	return b
}

// integer reads an integer (no fraction or exponent) in [min, max].
func (f fields) integer(name string, required bool, min, max int64) int64 {
	v, ok := f.get(name, required)
	if !ok {
		return 0
	}
	n, ok := asInt(v)
	if !ok {
		f.failf(name, "not an integer")
		return 0
	}
	if n < min || n > max {
		f.failf(name, "%d is out of range [%d, %d]", n, min, max)
		return 0
	}
	return n
}

func asInt(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	return i, err == nil
}

// array reads a non-empty array of at most max elements.
func (f fields) array(name string, required bool, max int) []any {
	v, ok := f.get(name, required)
	if !ok {
		return nil
	}
	a, ok := v.([]any)
	if !ok {
		f.failf(name, "not an array")
		return nil
	}
	if len(a) == 0 {
		f.failf(name, "empty array")
		return nil
	}
	if len(a) > max {
		f.failf(name, "%d elements, over the cap of %d", len(a), max)
		return nil
	}
	return a
}

// strs reads a non-empty array of non-empty strings; unique requires
// them to differ.
func (f fields) strs(name string, required, unique bool, max int) []string {
	a := f.array(name, required, max)
	if a == nil {
		return nil
	}
	out := make([]string, len(a))
	seen := make(map[string]bool, len(a))
	for i, v := range a {
		s, ok := v.(string)
		if !ok || s == "" {
			f.failf(name, "element %d is not a non-empty string", i)
			return nil
		}
		if unique && seen[s] {
			f.failf(name, "%.64q appears twice", s)
			return nil
		}
		seen[s] = true
		out[i] = s
	}
	return out
}

// object reads a member that must be an object.
func (f fields) object(name string, required bool) (fields, bool) {
	v, ok := f.get(name, required)
	if !ok {
		return fields{}, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		f.failf(name, "not an object")
		return fields{}, false
	}
	return fields{m: m, path: f.sub(name), errp: f.errp}, true
}

// elem reads element i of the array member name as an object.
func (f fields) elem(name string, i int, v any) (fields, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		f.failf(name, "element %d is not an object", i)
		return fields{}, false
	}
	return fields{m: m, path: fmt.Sprintf("%s[%d]", f.sub(name), i), errp: f.errp}, true
}

// entry reads the value of key in the object member name ("" for f
// itself) as an object.
func (f fields) entry(name, key string, v any) (fields, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		f.failf(name, "%.64q is not an object", key)
		return fields{}, false
	}
	base := f.path
	if name != "" {
		base = f.sub(name)
	}
	return fields{m: m, path: fmt.Sprintf("%s[%.64q]", base, key), errp: f.errp}, true
}

// raw re-encodes a member as compact JSON text.
func (f fields) raw(name string, required bool) json.RawMessage {
	v, ok := f.get(name, required)
	if !ok {
		return nil
	}
	b, err := marshal(v)
	if err != nil {
		f.failf(name, "%v", err)
		return nil
	}
	return b
}
