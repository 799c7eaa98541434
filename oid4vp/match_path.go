package oid4vp

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"math"
	"math/big"
	"strconv"
)

// node is one selected element of a claims tree and its concrete path.
type node struct {
	path ClaimsPath
	v    any
}

func (p ClaimsPath) with(e any) ClaimsPath {
	q := make(ClaimsPath, len(p)+1)
	copy(q, p)
	q[len(p)] = e
	return q
}

// selectJSON processes a claims path pointer on a JSON-based credential
// (§7.1) and returns the selected elements; false when processing fails
// or selects nothing.
//
// With presented, the claims are a presentation's: an SD-JWT presentation
// removes the array elements it does not disclose (RFC 9901 §7.1), so the
// positions of the issued credential are lost, and an index selects each
// element of the array for which the rest of the path succeeds.
func selectJSON(root map[string]any, p ClaimsPath, presented bool) ([]node, bool) {
	// §7.1 step 1: select the root element, the top-level object.
	sel, ok := walk([]node{{nil, root}}, p, presented)
	// §7.1 step 3: an empty selection is an error.
	return sel, ok && len(sel) > 0
}

// walk applies the components of p to the selection (§7.1 step 2). A
// selection never holds two elements with one concrete path, so it holds
// at most as many elements as the tree has values.
func walk(sel []node, p ClaimsPath, presented bool) ([]node, bool) {
	for k, comp := range p {
		var next []node
		switch c := comp.(type) {
		case string:
			for _, n := range sel {
				// §7.1 2.1: if any selected element is not an object,
				// abort; an element without the key leaves the
				// selection.
				m, ok := n.v.(map[string]any)
				if !ok {
					return nil, false
				}
				if v, ok := m[c]; ok {
					next = append(next, node{n.path.with(c), v})
				}
			}
		case nil:
			for _, n := range sel {
				// §7.1 2.2: all elements of the selected arrays; abort if
				// one is not an array.
				a, ok := n.v.([]any)
				if !ok {
					return nil, false
				}
				for i, e := range a {
					next = append(next, node{n.path.with(i), e})
				}
			}
		case int:
			if presented {
				for _, n := range sel {
					a, ok := n.v.([]any)
					if !ok {
						return nil, false
					}
					for i, e := range a {
						if sub, ok := walk([]node{{n.path.with(i), e}}, p[k+1:], true); ok {
							next = append(next, sub...)
						}
					}
				}
				return next, true
			}
			for _, n := range sel {
				// §7.1 2.3: the element at the index of each selected
				// array; abort if one is not an array; an array without
				// the index leaves the selection.
				a, ok := n.v.([]any)
				if !ok {
					return nil, false
				}
				if c >= 0 && c < len(a) {
					next = append(next, node{n.path.with(c), a[c]})
				}
			}
		default:
			// §7.1 2.4: anything else is an error.
			return nil, false
		}
		sel = next
	}
	return sel, true
}

// isScalar reports whether v is a value of a claims tree other than an
// object or array.
func isScalar(v any) bool {
	switch v.(type) {
	case nil, string, bool, json.Number, float64, float32,
		int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, []byte:
		return true
	}
	_, ok := v.(encoding.TextMarshaler)
	return ok
}

// valueEqual reports whether a claim value v equals want (a string, int64
// or bool of a Claims Query's values) in type and value (§6.3). The claim
// is compared in its JSON form (RFC 8949 §6.1 for mdoc values): a byte
// string as unpadded base64url, a TextMarshaler as its text.
func valueEqual(v, want any) bool {
	switch w := want.(type) {
	case string:
		s, ok := textOf(v)
		return ok && s == w
	case bool:
		b, ok := v.(bool)
		return ok && b == w
	case int64:
		return intEqual(v, w)
	}
	return false
}

func textOf(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return "", false
	case []byte:
		return base64.RawURLEncoding.EncodeToString(x), true
	case encoding.TextMarshaler:
		b, err := x.MarshalText()
		return string(b), err == nil
	}
	return "", false
}

// intEqual reports whether the number v equals w exactly.
func intEqual(v any, w int64) bool {
	switch n := v.(type) {
	case int:
		return int64(n) == w
	case int8:
		return int64(n) == w
	case int16:
		return int64(n) == w
	case int32:
		return int64(n) == w
	case int64:
		return n == w
	case uint:
		return w >= 0 && uint64(n) == uint64(w)
	case uint8:
		return int64(n) == w
	case uint16:
		return int64(n) == w
	case uint32:
		return int64(n) == w
	case uint64:
		return w >= 0 && n == uint64(w)
	case float32:
		return floatEqual(float64(n), w)
	case float64:
		return floatEqual(n, w)
	case json.Number:
		return decimalEqual(string(n), w)
	}
	return false
}

// floatEqual reports whether f is exactly the integer w.
func floatEqual(f float64, w int64) bool {
	if f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return false // also NaN and ±Inf
	}
	return int64(f) == w
}

// maxExponent bounds the exponent of a JSON number compared exactly (a
// larger one is never an int64).
const maxExponent = 400

// decimalEqual reports whether the JSON number text s (RFC 8259 §6) is
// exactly the integer w: 7, 7.0 and 70e-1 are.
func decimalEqual(s string, w int64) bool {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i == w
	}
	if !jsonNumber(s) {
		return false
	}
	r, ok := new(big.Rat).SetString(s)
	return ok && r.IsInt() && r.Num().IsInt64() && r.Num().Int64() == w
}

// jsonNumber reports whether s is a JSON number (RFC 8259 §6) whose
// exponent is at most maxExponent in magnitude.
func jsonNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		if digits() == 0 {
			return false
		}
		e, err := strconv.Atoi(s[start:i])
		if err != nil || e > maxExponent {
			return false
		}
	}
	return i == len(s)
}
