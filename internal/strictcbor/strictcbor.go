// Package strictcbor is ikdkit's one set of CBOR (RFC 8949) rules for
// signed and untrusted data. Package mdoc, the COSE core (internal/cose),
// the QR envelope and the status list code all encode and decode through
// it; none of them builds a CBOR mode of its own.
//
// It offers two layers:
//
//   - Reflection, over github.com/fxamacker/cbor/v2 with modes built once
//     at package initialization (immutable, safe for concurrent use):
//     [Marshal] is the core deterministic encoding of RFC 8949 §4.2.1, and
//     [Unmarshal] decodes strictly — no tags, no duplicate map keys (§5.6),
//     no indefinite lengths, valid UTF-8 only, struct members matched
//     case-sensitively, nesting and container sizes capped by
//     [MaxNestingDepth] and [MaxContainerItems], no trailing bytes.
//   - Hand-written reading for the hot paths that must not copy or reflect
//     (COSE messages, the mdoc DeviceResponse): [Check] is the strict
//     pre-pass over one complete item (definite lengths, allow-listed tags,
//     the same caps, no trailing bytes) and a [Reader] then reads the
//     checked bytes in place. [AppendHead] and the tag-24 helpers
//     ([WrapTag24], [UnwrapTag24]) write and unwrap the preferred
//     serialization by hand.
//
// Every error wraps [ErrMalformed] or [ErrTooLarge]; callers map them to
// the sentinels of their own package.
package strictcbor

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/fxamacker/cbor/v2"
)

// Caps on every decoded item. They are generous for ikdkit's structures
// (an mdoc DeviceResponse nests about 8 deep and holds tens of elements per
// namespace) and bound the work an attacker can cause.
const (
	// MaxNestingDepth is the deepest nesting of arrays, maps and tags in
	// one item (embedded tag-24 items are decoded separately, each with
	// the same cap).
	MaxNestingDepth = 16
	// MaxContainerItems is the largest number of elements in one array or
	// of pairs in one map.
	MaxContainerItems = 2048
)

// Sentinel errors; every error of this package wraps one of them.
var (
	// ErrMalformed reports bytes that are not one well-formed, strictly
	// encoded item of the expected shape.
	ErrMalformed = errors.New("strictcbor: malformed CBOR")
	// ErrTooLarge reports an item over [MaxNestingDepth] or
	// [MaxContainerItems].
	ErrTooLarge = errors.New("strictcbor: CBOR exceeds a size limit")
)

// Tag numbers ikdkit uses (RFC 8949 §3.4, RFC 9052 §2, RFC 8943).
const (
	TagTDate       = 0    // tdate, RFC 8949 §3.4.1
	TagCOSEMac0    = 17   // COSE_Mac0_Tagged, RFC 9052 §2
	TagCOSESign1   = 18   // COSE_Sign1_Tagged, RFC 9052 §2
	TagEncodedCBOR = 24   // bstr .cbor, RFC 8949 §3.4.5.1
	TagFullDate    = 1004 // full-date, RFC 8943 §2.1
)

// Major types (RFC 8949 §3.1).
const (
	MajorUint   = 0
	MajorNeg    = 1
	MajorBytes  = 2
	MajorText   = 3
	MajorArray  = 4
	MajorMap    = 5
	MajorTag    = 6
	MajorSimple = 7
)

var (
	// enc is the core deterministic encoder (RFC 8949 §4.2.1): map keys
	// sorted bytewise by their encodings, definite lengths, shortest
	// integers and floats, tdate as tag 0 over RFC 3339 text.
	enc = mustEncMode()
	// dec is the strict decoder: tags forbidden.
	dec = mustDecMode()
)

func mustEncMode() cbor.EncMode {
	m, err := cbor.EncOptions{
		Sort:          cbor.SortCoreDeterministic,
		IndefLength:   cbor.IndefLengthForbidden,
		ShortestFloat: cbor.ShortestFloat16,
		Time:          cbor.TimeRFC3339,
		TimeTag:       cbor.EncTagRequired,
		BigIntConvert: cbor.BigIntConvertShortest,
	}.EncMode()
	if err != nil {
		panic(err)
	}
	return m
}

func mustDecMode() cbor.DecMode {
	m, err := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		MaxNestedLevels:   MaxNestingDepth,
		MaxArrayElements:  MaxContainerItems,
		MaxMapPairs:       MaxContainerItems,
		IntDec:            cbor.IntDecConvertSigned,
		UTF8:              cbor.UTF8RejectInvalid,
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
		BignumTag:         cbor.BignumTagForbidden,
		DefaultMapType:    reflect.TypeOf(map[any]any(nil)),
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}

// Marshal encodes v with the core deterministic encoding (RFC 8949
// §4.2.1).
func Marshal(v any) ([]byte, error) {
	b, err := enc.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: encode: %v", ErrMalformed, err)
	}
	return b, nil
}

// Unmarshal decodes data, which must be exactly one item, strictly into v:
// no tags, no duplicate map keys, no indefinite lengths, valid UTF-8, the
// nesting and container caps. The caller must discard v on error (with
// duplicate detection v may be partly filled).
func Unmarshal(data []byte, v any) error {
	if err := dec.Unmarshal(data, v); err != nil {
		return classify(err)
	}
	return nil
}

// classify maps a cbor library error to a sentinel of this package, keeping
// the library's error types out of callers' reach (%v).
func classify(err error) error {
	var (
		nest *cbor.MaxNestedLevelError
		arr  *cbor.MaxArrayElementsError
		mp   *cbor.MaxMapPairsError
	)
	if errors.As(err, &nest) || errors.As(err, &arr) || errors.As(err, &mp) {
		return fmt.Errorf("%w: %v", ErrTooLarge, err)
	}
	return fmt.Errorf("%w: %v", ErrMalformed, err)
}

func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}

// ByteString is a byte string for reflection decoding that refuses every
// other major type (the cbor library would otherwise accept an array of
// small integers for a []byte).
type ByteString []byte

// UnmarshalCBOR implements cbor.Unmarshaler. data is one complete,
// well-formed item (the cbor library guarantees it); it is copied.
func (b *ByteString) UnmarshalCBOR(data []byte) error {
	if len(data) == 0 || data[0]>>5 != MajorBytes {
		return errorf(ErrMalformed, "expected a byte string")
	}
	r := NewReader(data)
	v, err := r.Bytes()
	if err != nil {
		return err
	}
	if !r.Done() {
		return errorf(ErrMalformed, "byte string length does not match its item")
	}
	*b = append(ByteString(nil), v...)
	return nil
}

// MarshalCBOR implements cbor.Marshaler: a byte string, or null for a nil
// ByteString (as the encoder writes a nil []byte).
func (b ByteString) MarshalCBOR() ([]byte, error) {
	if b == nil {
		return []byte{0xf6}, nil
	}
	return AppendBytes(nil, b), nil
}
