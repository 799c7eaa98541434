package sdjwt

import (
	"encoding/json"
	"fmt"
)

// Path names a claim by the keys and array indices that lead to it from the
// top of the payload, as in the claims path pointers of SD-JWT VC
// (draft-ietf-oauth-sd-jwt-vc-18 §"Claim Path"): a string selects an object
// member, a non-negative int an array element, and nil every element of an
// array. Examples: {"address", "locality"}, {"nationalities", 0},
// {"nationalities", nil}.
//
// Array indices always refer to positions in the array as issued, so a path
// stays valid when earlier elements are not disclosed.
type Path []any

// P builds a Path; it is shorthand for Path{elems...}.
func P(elems ...any) Path { return Path(elems) }

// String returns the path as a JSON array, e.g. ["address","locality"].
func (p Path) String() string {
	b, err := json.Marshal([]any(p))
	if err != nil {
		return fmt.Sprintf("%v", []any(p))
	}
	return string(b)
}

// validate checks the element types.
func (p Path) validate() error {
	if len(p) == 0 {
		return fmt.Errorf("empty claim path")
	}
	for _, e := range p {
		switch v := e.(type) {
		case string, nil:
		case int:
			if v < 0 {
				return fmt.Errorf("negative array index in path %v", p)
			}
		default:
			return fmt.Errorf("path element %v (%T) is not a string, int or nil", e, e)
		}
	}
	return nil
}

// elemMatches reports whether pattern element pe selects concrete element ce.
func elemMatches(pe, ce any) bool {
	if pe == nil {
		_, isIndex := ce.(int)
		return isIndex
	}
	return pe == ce
}

// prefixOf reports whether pattern p (which may contain nil wildcards) is a
// prefix of the concrete path q (or equal to it).
func (p Path) prefixOf(q Path) bool {
	if len(p) > len(q) {
		return false
	}
	for i := range p {
		if !elemMatches(p[i], q[i]) {
			return false
		}
	}
	return true
}

// Equal reports whether two paths are the same.
func (p Path) Equal(q Path) bool { return len(p) == len(q) && p.prefixOf(q) }

func (p Path) with(e any) Path {
	q := make(Path, len(p)+1)
	copy(q, p)
	q[len(p)] = e
	return q
}

// lookup finds the value at concrete path p in processed claims. Array
// indices here are positions in the given (processed) arrays.
func lookup(v any, p Path) (any, bool) {
	for _, e := range p {
		switch k := e.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[k]; !ok {
				return nil, false
			}
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil, false
			}
			v = a[k]
		default:
			return nil, false
		}
	}
	return v, true
}
