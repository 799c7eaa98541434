package mdoc

import (
	"math"
)

// Element values are returned as these Go types:
//
//	CBOR                         Go
//	tstr                         string
//	int (major type 0 or 1)      int64 (values outside int64 are rejected)
//	bstr                         []byte
//	bool                         bool
//	null / undefined             nil
//	float                        float64
//	#6.0(tdate)                  time.Time (UTC)
//	#6.1004(full-date)           FullDate
//	array                        []any
//	map with only tstr keys      map[string]any
//	other map                    map[any]any (keys int64 or string)
//
// Any other tag is rejected with ErrMalformed.

// elementTags are the tags allowed inside element values.
var elementTags = []uint64{tagTDate, tagFullDate}

// decodeValue strictly decodes one element value to the types above.
func decodeValue(raw []byte) (any, error) {
	w, err := start(raw, elementTags...)
	if err != nil {
		return nil, err
	}
	v, err := w.value()
	if err != nil {
		return nil, err // never a partial value
	}
	return v, nil
}

// checkedValue decodes an element value that the pre-pass of its
// enclosing item (with elementTags) has already accepted.
func checkedValue(raw []byte) (any, error) {
	w := newWalker(raw)
	v, err := w.value()
	if err == nil && !w.Done() {
		err = errorf(ErrMalformed, "%d trailing bytes", w.Rest())
	}
	if err != nil {
		return nil, err // never a partial value
	}
	return v, nil
}

// value decodes the next item to the Go types in the table above. Byte
// and text strings are copied.
func (w *walker) value() (any, error) {
	ib, err := w.Peek()
	if err != nil {
		return nil, err
	}
	switch ib >> 5 {
	case 0, 1:
		return w.Int()
	case 2:
		b, err := w.Bytes()
		if err != nil {
			return nil, err
		}
		return append([]byte{}, b...), nil
	case 3:
		return w.text()
	case 4:
		n, err := w.Container(4, "an array")
		if err != nil {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = w.value(); err != nil {
				return nil, err
			}
		}
		return out, nil
	case 5:
		return w.valueMap()
	case 6:
		_, num, err := w.Head()
		if err != nil {
			return nil, err
		}
		switch num {
		case tagTDate:
			t, err := w.tdateContent()
			if err != nil {
				return nil, err
			}
			return t.UTC(), nil
		case tagFullDate:
			// RFC 8943 §2.1: tag 1004 over a text string "YYYY-MM-DD".
			s, err := w.TextBytes()
			if err != nil {
				return nil, errorf(ErrMalformed, "tag 1004: %v", err)
			}
			return ParseFullDate(string(s))
		}
		return nil, errorf(ErrMalformed, "unexpected tag %d", num)
	}
	// Major type 7, RFC 8949 §3.3.
	_, arg, err := w.Head()
	if err != nil {
		return nil, err
	}
	switch ib & 0x1f {
	case 20:
		return false, nil
	case 21:
		return true, nil
	case 22, 23:
		return nil, nil
	case 25:
		return float16(uint16(arg)), nil
	case 26:
		return float64(math.Float32frombits(uint32(arg))), nil
	case 27:
		return math.Float64frombits(arg), nil
	}
	return nil, errorf(ErrMalformed, "unsupported simple value %d", arg)
}

// valueMap decodes a map value: map[string]any when every key is text,
// otherwise map[any]any with int64 and string keys. Duplicate keys
// (compared by decoded value) are rejected.
func (w *walker) valueMap() (any, error) {
	n, err := w.Container(5, "a map")
	if err != nil {
		return nil, err
	}
	text := make(map[string]any, n)
	var mixed map[any]any
	for i := 0; i < n; i++ {
		ib, err := w.Peek()
		if err != nil {
			return nil, err
		}
		var key any
		switch ib >> 5 {
		case 3:
			key, err = w.text()
		case 0, 1:
			key, err = w.Int()
		default:
			return nil, errorf(ErrMalformed, "map key of major type %d", ib>>5)
		}
		if err != nil {
			return nil, err
		}
		v, err := w.value()
		if err != nil {
			return nil, err
		}
		if s, ok := key.(string); ok && mixed == nil {
			if _, dup := text[s]; dup {
				return nil, errorf(ErrMalformed, "duplicate map key %q", s)
			}
			text[s] = v
			continue
		}
		if mixed == nil {
			mixed = make(map[any]any, n)
			for k, e := range text {
				mixed[k] = e
			}
		}
		if _, dup := mixed[key]; dup {
			return nil, errorf(ErrMalformed, "duplicate map key %v", key)
		}
		mixed[key] = v
	}
	if mixed != nil {
		return mixed, nil
	}
	return text, nil
}

// float16 converts an IEEE 754 half-precision value (RFC 8949 §3.3,
// Appendix D) to float64.
func float16(h uint16) float64 {
	sign, exp, frac := h>>15, int(h>>10)&0x1f, uint32(h&0x3ff)
	var f float64
	switch exp {
	case 0:
		f = math.Ldexp(float64(frac), -24)
	case 0x1f:
		// Infinity or NaN: widen the bits through float32 so a NaN keeps
		// its payload.
		return float64(math.Float32frombits(uint32(sign)<<31 | 0xff<<23 | frac<<13))
	default:
		f = math.Ldexp(float64(frac|0x400), exp-25)
	}
	if sign != 0 {
		f = -f
	}
	return f
}
