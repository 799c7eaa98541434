// Package strictjson decodes untrusted JSON (RFC 8259) strictly: duplicate
// object member names, invalid UTF-8, lone surrogates, trailing data and
// nesting beyond a caller-given depth are all errors.
//
// encoding/json silently keeps the last of duplicate names ("last wins") and
// matches struct fields case-insensitively. For signed credentials that is a
// malleability hazard (RFC 9901 §7.1 step 5 and RFC 8725 §3.12), so every
// parser of signed JSON in ikdkit goes through this package.
//
// Values decode to map[string]any, []any, string, bool, nil and json.Number
// (the number's exact text, so large integers survive).
//
// [Fields] reads the members of a decoded object into typed values,
// recording the first failure with its JSON path, and [CheckURL] is the
// https-only URL rule of the protocol messages: the one reader and the one
// URL check of oid4vci and oid4vp.
package strictjson

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Errors returned by [Unmarshal]. A *SyntaxError unwraps to one of them.
var (
	// ErrSyntax reports input that is not JSON text.
	ErrSyntax = errors.New("strictjson: invalid JSON")
	// ErrDuplicateKey reports an object with the same member name twice.
	ErrDuplicateKey = errors.New("strictjson: duplicate object member name")
	// ErrTooDeep reports nesting deeper than the caller's limit.
	ErrTooDeep = errors.New("strictjson: nesting too deep")
)

// SyntaxError describes where decoding failed.
type SyntaxError struct {
	Offset int    // byte offset in the input
	Msg    string // what was wrong there
	Err    error  // ErrSyntax, ErrDuplicateKey or ErrTooDeep
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%v at offset %d: %s", e.Err, e.Offset, e.Msg)
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// Unmarshal decodes one JSON value that must fill data entirely (surrounding
// whitespace allowed). maxDepth bounds the nesting of arrays and objects; a
// scalar has depth 0.
func Unmarshal(data []byte, maxDepth int) (any, error) {
	return unmarshal(decoder{data: data, maxDepth: maxDepth})
}

// UnmarshalOwned is [Unmarshal] for input the caller hands over: data must
// never be modified afterwards, because the decoded strings that needed no
// unescaping share its memory instead of copying it (one allocation fewer
// per string). For buffers the caller decoded itself and keeps read-only,
// such as a base64url-decoded disclosure or JWS payload.
func UnmarshalOwned(data []byte, maxDepth int) (any, error) {
	return unmarshal(decoder{data: data, maxDepth: maxDepth, owned: true})
}

func unmarshal(d decoder) (any, error) {
	d.skipSpace()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, d.fail(ErrSyntax, "trailing data after the value")
	}
	return v, nil
}

// UnmarshalObject is [Unmarshal] for input that must be a JSON object.
func UnmarshalObject(data []byte, maxDepth int) (map[string]any, error) {
	return asObject(Unmarshal(data, maxDepth))
}

// UnmarshalObjectOwned is [UnmarshalOwned] for input that must be a JSON
// object.
func UnmarshalObjectOwned(data []byte, maxDepth int) (map[string]any, error) {
	return asObject(UnmarshalOwned(data, maxDepth))
}

// UnmarshalObjectBoxed is [UnmarshalObjectOwned] with the string and
// number values boxed from b (see [Boxes]).
func UnmarshalObjectBoxed(data []byte, maxDepth int, b *Boxes) (map[string]any, error) {
	return asObject(unmarshal(decoder{data: data, maxDepth: maxDepth, owned: true, boxes: b}))
}

func asObject(v any, err error) (map[string]any, error) {
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &SyntaxError{Offset: 0, Msg: "value is not an object", Err: ErrSyntax}
	}
	return m, nil
}

type decoder struct {
	data     []byte
	pos      int
	maxDepth int
	owned    bool   // strings may share data's memory (UnmarshalOwned)
	boxes    *Boxes // where string and number values are boxed (nil: one allocation each)
	stack    *[]any // the elements of the arrays being read, when boxes is nil (made by the first)
}

func (d *decoder) fail(err error, msg string) error {
	return &SyntaxError{Offset: d.pos, Msg: msg, Err: err}
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		if d.data[d.pos] > ' ' { // compact JSON: nothing to skip
			return
		}
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) value(depth int) (any, error) {
	if d.pos >= len(d.data) {
		return nil, d.fail(ErrSyntax, "unexpected end of input")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		if depth >= d.maxDepth {
			return nil, d.fail(ErrTooDeep, fmt.Sprintf("more than %d levels", d.maxDepth))
		}
		return d.object(depth + 1)
	case c == '[':
		if depth >= d.maxDepth {
			return nil, d.fail(ErrTooDeep, fmt.Sprintf("more than %d levels", d.maxDepth))
		}
		return d.array(depth + 1)
	case c == '"':
		s, err := d.str()
		switch {
		case err != nil:
			return nil, err
		case d.boxes != nil:
			return d.boxes.String(s), nil
		}
		return s, nil
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		n, err := d.number()
		switch {
		case err != nil:
			return nil, err
		case d.boxes != nil:
			return d.boxes.num(n), nil
		}
		return n, nil
	default:
		return nil, d.fail(ErrSyntax, fmt.Sprintf("unexpected character %q", c))
	}
}

func (d *decoder) literal(lit string) error {
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		return d.fail(ErrSyntax, "invalid literal")
	}
	d.pos += len(lit)
	return nil
}

func (d *decoder) object(depth int) (any, error) {
	d.pos++ // '{'
	m := make(map[string]any)
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return m, nil
	}
	for {
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.fail(ErrSyntax, "expected a member name")
		}
		start := d.pos
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.fail(ErrSyntax, "expected ':'")
		}
		d.pos++
		d.skipSpace()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		// One map operation: a name seen before leaves the size unchanged.
		n := len(m)
		if m[k] = v; len(m) == n {
			d.pos = start
			return nil, d.fail(ErrDuplicateKey, strconv.Quote(k))
		}
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.fail(ErrSyntax, "unexpected end of object")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return m, nil
		default:
			return nil, d.fail(ErrSyntax, "expected ',' or '}'")
		}
	}
}

func (d *decoder) array(depth int) (any, error) {
	d.pos++ // '['
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return []any{}, nil
	}
	// The elements go into room on the goroutine's stack first, where
	// writing them costs no write barrier and nothing needs wiping
	// afterwards, then, past its size, on the decode's shared stack
	// (nested arrays above them); the array gets a slice of its exact
	// length at the end: one allocation of the right size instead of one
	// per doubling.
	var local [localElems]any
	n := 0
	var st *[]any // the shared stack, once the local room is full
	base := 0
	for {
		d.skipSpace()
		v, err := d.value(depth)
		if err != nil {
			return nil, d.dropShared(st, base, err)
		}
		switch {
		case n < len(local):
			local[n] = v
		case n == len(local):
			st = d.shared()
			base = len(*st)
			*st = append(append(*st, local[:]...), v)
		default:
			*st = append(*st, v)
		}
		n++
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.dropShared(st, base, d.fail(ErrSyntax, "unexpected end of array"))
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			a := make([]any, n)
			if st == nil {
				copy(a, local[:n])
				return a, nil
			}
			s := *st
			copy(a, s[base:])
			*st = wipe(s, base)
			return a, nil
		default:
			return nil, d.dropShared(st, base, d.fail(ErrSyntax, "expected ',' or ']'"))
		}
	}
}

// localElems is how many elements of an array the decoder holds on the
// goroutine's stack before it moves to the shared stack.
const localElems = 24

// shared returns the stack arrays longer than localElems are read on.
func (d *decoder) shared() *[]any {
	switch {
	case d.boxes != nil:
		return &d.boxes.stack
	case d.stack == nil:
		d.stack = new([]any)
	}
	return d.stack
}

// dropShared cuts the shared stack, if the array had moved there, back to
// base and returns err.
func (d *decoder) dropShared(st *[]any, base int, err error) error {
	if st != nil {
		*st = wipe(*st, base)
	}
	return err
}

// wipe returns s cut to n elements, those beyond set to nil so that the
// room keeps nothing reachable.
func wipe(s []any, n int) []any {
	clear(s[n:])
	return s[:n]
}

// str decodes a string at d.pos (which is '"').
func (d *decoder) str() (string, error) {
	d.pos++
	start := d.pos
	// Fast path: no escapes, all ASCII or valid UTF-8. Eight plain ASCII
	// bytes at a time first, then byte by byte from the first byte that
	// needs a look, which the lowest flag of special8 marks.
	for d.pos+8 <= len(d.data) {
		if m := special8(binary.LittleEndian.Uint64(d.data[d.pos:])); m != 0 {
			d.pos += bits.TrailingZeros64(m) >> 3
			break
		}
		d.pos += 8
	}
	ascii := true
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '"' {
			s := d.data[start:d.pos]
			if !ascii && !utf8.Valid(s) {
				return "", d.fail(ErrSyntax, "invalid UTF-8 in string")
			}
			d.pos++
			if d.owned && len(s) > 0 {
				// The caller never writes data again (UnmarshalOwned).
				return unsafe.String(&s[0], len(s)), nil
			}
			return string(s), nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", d.fail(ErrSyntax, "control character in string")
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
		d.pos++
	}
	if d.pos >= len(d.data) {
		return "", d.fail(ErrSyntax, "unterminated string")
	}
	buf := append([]byte(nil), d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			if !utf8.Valid(buf) {
				return "", d.fail(ErrSyntax, "invalid UTF-8 in string")
			}
			d.pos++
			return string(buf), nil
		case c < 0x20:
			return "", d.fail(ErrSyntax, "control character in string")
		case c != '\\':
			buf = append(buf, c)
			d.pos++
			continue
		}
		d.pos++ // '\\'
		if d.pos >= len(d.data) {
			break
		}
		e := d.data[d.pos]
		d.pos++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", d.fail(ErrSyntax, "invalid \\u escape")
			}
			if utf16.IsSurrogate(r) {
				// A high surrogate must be followed by an escaped low one.
				if r >= 0xDC00 || len(d.data)-d.pos < 6 || d.data[d.pos] != '\\' || d.data[d.pos+1] != 'u' {
					return "", d.fail(ErrSyntax, "lone surrogate in \\u escape")
				}
				d.pos += 2
				r2, ok := d.hex4()
				if !ok || r2 < 0xDC00 || r2 > 0xDFFF {
					return "", d.fail(ErrSyntax, "lone surrogate in \\u escape")
				}
				r = utf16.DecodeRune(r, r2)
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", d.fail(ErrSyntax, "invalid escape")
		}
	}
	return "", d.fail(ErrSyntax, "unterminated string")
}

// special8 flags, in the high bit of each byte, the bytes of x (eight
// bytes read little-endian from a string's body) that str must look at:
// '"', '\\', a control character (< 0x20) or a byte of a multi-byte UTF-8
// sequence (>= 0x80). It is zero only when none is there, and its lowest
// flag is the first such byte: a byte without one may be flagged only
// after a byte that is one (the subtraction's borrow runs upwards).
func special8(x uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - lo) &^ v & hi }
	return x&hi | (x-0x20*lo)&^x&hi | zero(x^'"'*lo) | zero(x^'\\'*lo)
}

func (d *decoder) hex4() (rune, bool) {
	if len(d.data)-d.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.data[d.pos : d.pos+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	d.pos += 4
	return r, true
}

// number scans an RFC 8259 §6 number.
func (d *decoder) number() (json.Number, error) {
	start := d.pos
	if d.data[d.pos] == '-' {
		d.pos++
	}
	if d.pos >= len(d.data) {
		return "", d.fail(ErrSyntax, "invalid number")
	}
	if d.data[d.pos] == '0' {
		d.pos++
	} else if !d.digits() {
		return "", d.fail(ErrSyntax, "invalid number")
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if !d.digits() {
			return "", d.fail(ErrSyntax, "invalid number fraction")
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if !d.digits() {
			return "", d.fail(ErrSyntax, "invalid number exponent")
		}
	}
	if d.owned {
		// The caller never writes data again (UnmarshalOwned).
		return json.Number(unsafe.String(&d.data[start], d.pos-start)), nil
	}
	return json.Number(d.data[start:d.pos]), nil
}

func (d *decoder) digits() bool {
	start := d.pos
	for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
		d.pos++
	}
	return d.pos > start
}

// Marshal encodes v as compact JSON without HTML escaping, so that signed
// headers, payloads and disclosures carry "<", ">" and "&" as themselves
// (encoding/json would write \u003c and friends).
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
