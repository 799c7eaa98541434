package sdjwt

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// appendJSON appends the JSON encoding of a decoded-JSON value (map[string]any
// with sorted keys, []any, string, json.Number, bool, nil, and the Go
// numbers normalize leaves in place) to buf. It is the
// issuance hot path's encoder: no reflection, no HTML escaping (so "<", ">"
// and "&" stay themselves, as in other SD-JWT implementations).
func appendJSON(buf []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case bool:
		return strconv.AppendBool(buf, t), nil
	case string:
		return appendString(buf, t), nil
	case json.Number:
		return append(buf, t...), nil
	// The Go numbers normalize lets through, written as normalize would
	// convert them.
	case int:
		return strconv.AppendInt(buf, int64(t), 10), nil
	case int64:
		return strconv.AppendInt(buf, t, 10), nil
	case int32:
		return strconv.AppendInt(buf, int64(t), 10), nil
	case uint64:
		return strconv.AppendUint(buf, t, 10), nil
	case uint32:
		return strconv.AppendUint(buf, uint64(t), 10), nil
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, fmt.Errorf("sdjwt: %v is not a JSON number", t)
		}
		return strconv.AppendFloat(buf, t, 'g', -1, 64), nil
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		buf = append(buf, '{')
		for i, k := range keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendString(buf, k)
			buf = append(buf, ':')
			var err error
			if buf, err = appendJSON(buf, t[k]); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	case []any:
		buf = append(buf, '[')
		for i, e := range t {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = appendJSON(buf, e); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	}
	return nil, fmt.Errorf("sdjwt: cannot encode %T as JSON", v)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string (RFC 8259 §7): quotes, backslash
// and control characters escaped, invalid UTF-8 replaced by U+FFFD as
// encoding/json does.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// normalize turns caller claims into decoded-JSON values (map[string]any,
// []any, string, json.Number, bool, nil). Common Go types are converted
// directly; anything else (structs, custom marshalers) goes through
// encoding/json and strict decoding.
func normalize(v any, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("claims nested deeper than %d", MaxDepth)
	}
	switch t := v.(type) {
	case nil, bool, string, json.Number:
		return t, nil
	case int:
		return json.Number(strconv.Itoa(t)), nil
	case int64:
		return json.Number(strconv.FormatInt(t, 10)), nil
	case int32:
		return json.Number(strconv.FormatInt(int64(t), 10)), nil
	case uint64:
		return json.Number(strconv.FormatUint(t, 10)), nil
	case uint32:
		return json.Number(strconv.FormatUint(uint64(t), 10)), nil
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, fmt.Errorf("%v is not a JSON number", t)
		}
		return json.Number(strconv.FormatFloat(t, 'g', -1, 64)), nil
	case map[string]any:
		if isJSONValue(t, depth) {
			return t, nil // already decoded-JSON shaped: share it, do not copy
		}
		out := make(map[string]any, len(t))
		for k, e := range t {
			n, err := normalize(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	case []any:
		if isJSONValue(t, depth) {
			return t, nil
		}
		out := make([]any, len(t))
		for i, e := range t {
			n, err := normalize(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case []string:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = e
		}
		return out, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return strictjson.Unmarshal(raw, MaxDepth)
}

// isJSONValue reports whether v holds only decoded-JSON types, or Go
// numbers appendJSON writes the way normalize would convert them, within
// the depth limit, so normalize can use it as it is.
func isJSONValue(v any, depth int) bool {
	if depth > MaxDepth {
		return false
	}
	switch t := v.(type) {
	case nil, bool, string, json.Number, int, int64, int32, uint64, uint32:
		return true
	case float64:
		return !math.IsNaN(t) && !math.IsInf(t, 0)
	case map[string]any:
		for _, e := range t {
			if !isJSONValue(e, depth+1) {
				return false
			}
		}
		return true
	case []any:
		for _, e := range t {
			if !isJSONValue(e, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}
