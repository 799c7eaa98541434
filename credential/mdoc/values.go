package mdoc

import (
	"math"
	"time"

	"github.com/fxamacker/cbor/v2"
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
	var v any
	if err := decode(decMode, raw, &v, elementTags...); err != nil {
		return nil, err
	}
	return convertValue(v)
}

func convertValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, int64, float64:
		return x, nil
	case float32:
		return float64(x), nil
	case []byte:
		return x, nil
	case time.Time:
		return x.UTC(), nil
	case cbor.Tag:
		if x.Number == tagFullDate {
			s, ok := x.Content.(string)
			if !ok {
				return nil, errorf(ErrMalformed, "tag 1004 over %T", x.Content)
			}
			return ParseFullDate(s)
		}
		return nil, errorf(ErrMalformed, "unexpected tag %d", x.Number)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := convertValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case map[any]any:
		allText := true
		for k := range x {
			if _, ok := k.(string); !ok {
				allText = false
				break
			}
		}
		if allText {
			out := make(map[string]any, len(x))
			for k, e := range x {
				c, err := convertValue(e)
				if err != nil {
					return nil, err
				}
				out[k.(string)] = c
			}
			return out, nil
		}
		out := make(map[any]any, len(x))
		for k, e := range x {
			switch k.(type) {
			case string, int64:
			default:
				return nil, errorf(ErrMalformed, "map key of type %T", k)
			}
			c, err := convertValue(e)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, errorf(ErrMalformed, "integer %d out of int64 range", x)
		}
		return int64(x), nil
	}
	return nil, errorf(ErrMalformed, "unsupported CBOR value %T", v)
}
