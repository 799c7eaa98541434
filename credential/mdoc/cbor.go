package mdoc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"

	"github.com/fxamacker/cbor/v2"
)

// Caps on untrusted input. They are generous for real credentials (a KTP-el
// mdoc with a portrait is about 20 KiB) and bound the work an attacker can
// cause. Inputs over a cap fail with [ErrTooLarge].
const (
	// MaxMessageSize is the largest DeviceResponse or IssuerSigned
	// accepted, in bytes.
	MaxMessageSize = 4 << 20
	// MaxNestingDepth is the deepest nesting of CBOR arrays, maps and tags
	// accepted in any one decoded structure (embedded tag-24 items are
	// decoded separately, each with the same cap).
	MaxNestingDepth = 16
	// MaxContainerItems is the largest number of elements in one CBOR array
	// or pairs in one CBOR map.
	MaxContainerItems = 2048
	// MaxDocuments is the largest number of documents in one DeviceResponse.
	MaxDocuments = 16
	// MaxChainLength is the largest number of certificates in an x5chain.
	MaxChainLength = 8
)

// Tag numbers used by ISO/IEC 18013-5.
const (
	tagTDate        = 0    // tdate, RFC 8949 §3.4.1
	tagEncodedCBOR  = 24   // bstr .cbor, RFC 8949 §3.4.5.1
	tagFullDate     = 1004 // full-date, RFC 8943
	majorByteString = 2
)

// The modes are built once, at package initialization, and are immutable.
var (
	// encMode is the deterministic encoder (RFC 8949 §4.2.1 core
	// deterministic encoding): sorted map keys, definite lengths, shortest
	// floats, tdate as tag 0 text without fractions.
	encMode = mustEncMode()
	// decMode is the strict reflection-based decoder. The parsers of
	// untrusted input use the hand-written decoders in wire.go, which
	// follow the same rules; decMode checks caller-supplied CBOR in
	// Present and the transcript builders, and the tests use it (with
	// decode) as the reference the hand-written decoders must never be
	// more lenient than.
	decMode = mustDecMode(false)
	// decModeExact additionally rejects map members a struct does not
	// declare (the reference for structures whose member set is closed).
	decModeExact = mustDecMode(true)
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

func mustDecMode(exact bool) cbor.DecMode {
	opts := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TimeTag:           cbor.DecTagRequired,
		MaxNestedLevels:   MaxNestingDepth,
		MaxArrayElements:  MaxContainerItems,
		MaxMapPairs:       MaxContainerItems,
		IntDec:            cbor.IntDecConvertSigned,
		UTF8:              cbor.UTF8RejectInvalid,
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
		BignumTag:         cbor.BignumTagForbidden,
		DefaultMapType:    reflect.TypeOf(map[any]any(nil)),
	}
	if exact {
		opts.ExtraReturnErrors = cbor.ExtraDecErrorUnknownField
	}
	m, err := opts.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}

// decode strictly decodes data into v with reflection after checking the
// tag allow-list (the reference decoder; see decMode).
// The caller must discard v when an error is returned (with APF duplicate
// detection v may be partly filled).
func decode(mode cbor.DecMode, data []byte, v any, allowedTags ...uint64) error {
	if len(data) > MaxMessageSize {
		return errorf(ErrTooLarge, "%d bytes, limit %d", len(data), MaxMessageSize)
	}
	if err := checkItem(data, allowedTags); err != nil {
		return err
	}
	if err := mode.Unmarshal(data, v); err != nil {
		return classify(err)
	}
	return nil
}

// classify maps a cbor error to a package sentinel, hiding the library's
// error types behind %v.
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

// checkItem walks one complete CBOR data item and rejects indefinite
// lengths, reserved additional information, tags outside allowed, nesting
// beyond MaxNestingDepth, containers beyond MaxContainerItems and trailing
// bytes. It runs before the cbor library sees the bytes because the library
// silently skips tags in front of typed struct fields.
func checkItem(data []byte, allowed []uint64) error {
	w := walker{data: data, allowed: allowed}
	if err := w.item(0); err != nil {
		return err
	}
	if w.off != len(data) {
		return errorf(ErrMalformed, "%d trailing bytes", len(data)-w.off)
	}
	return nil
}

// walker reads CBOR heads and items from data. As the strict pre-pass
// (checkItem) it rejects tags outside allowed; the hand-written decoders
// in wire.go reuse it with anyTag set, on bytes the pre-pass accepted.
type walker struct {
	data    []byte
	off     int
	allowed []uint64
	anyTag  bool // accept every tag (decoding after the pre-pass, or a caller's SessionTranscript)
}

// head reads a CBOR initial byte and argument (RFC 8949 §3).
func (w *walker) head() (major byte, arg uint64, err error) {
	if w.off >= len(w.data) {
		return 0, 0, errorf(ErrMalformed, "unexpected end of data")
	}
	ib := w.data[w.off]
	w.off++
	major, ai := ib>>5, ib&0x1f
	var n int
	switch {
	case ai < 24:
		return major, uint64(ai), nil
	case ai == 24:
		// RFC 8949 §3.3: a one-byte simple value below 32 is not well-formed.
		if major == 7 && w.off < len(w.data) && w.data[w.off] < 32 {
			return 0, 0, errorf(ErrMalformed, "invalid simple value %d", w.data[w.off])
		}
		n = 1
	case ai == 25:
		n = 2
	case ai == 26:
		n = 4
	case ai == 27:
		n = 8
	case ai == 31:
		// RFC 8949 §3.2: indefinite lengths; mdoc encodings are definite.
		return 0, 0, errorf(ErrMalformed, "indefinite length or break at offset %d", w.off-1)
	default:
		return 0, 0, errorf(ErrMalformed, "reserved additional information %d", ai)
	}
	if len(w.data)-w.off < n {
		return 0, 0, errorf(ErrMalformed, "unexpected end of data")
	}
	var buf [8]byte
	copy(buf[8-n:], w.data[w.off:w.off+n])
	w.off += n
	return major, binary.BigEndian.Uint64(buf[:]), nil
}

func (w *walker) item(depth int) error {
	if depth > MaxNestingDepth {
		return errorf(ErrTooLarge, "nesting deeper than %d", MaxNestingDepth)
	}
	major, arg, err := w.head()
	if err != nil {
		return err
	}
	switch major {
	case 0, 1, 7:
		return nil
	case 2, 3:
		if arg > uint64(len(w.data)-w.off) {
			return errorf(ErrMalformed, "string longer than the data")
		}
		w.off += int(arg)
		return nil
	case 4, 5:
		if arg > MaxContainerItems {
			return errorf(ErrTooLarge, "container of %d items, limit %d", arg, MaxContainerItems)
		}
		n := int(arg)
		if major == 5 {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := w.item(depth + 1); err != nil {
				return err
			}
		}
		return nil
	default: // 6: tag
		if w.anyTag {
			return w.item(depth + 1)
		}
		ok := false
		for _, t := range w.allowed {
			if t == arg {
				ok = true
				break
			}
		}
		if !ok {
			return errorf(ErrMalformed, "unexpected tag %d", arg)
		}
		return w.item(depth + 1)
	}
}

// byteString is a CBOR bstr that refuses any other major type (the cbor
// library would otherwise accept an array of small integers for []byte).
type byteString []byte

// UnmarshalCBOR implements cbor.Unmarshaler. data is one complete,
// well-formed item (the cbor library guarantees it), so the head is parsed
// here directly instead of through a second decoder.
func (b *byteString) UnmarshalCBOR(data []byte) error {
	if len(data) == 0 || data[0]>>5 != majorByteString {
		return errorf(ErrMalformed, "expected a byte string")
	}
	w := walker{data: data}
	_, n, err := w.head()
	if err != nil {
		return err
	}
	if n != uint64(len(data)-w.off) {
		return errorf(ErrMalformed, "byte string length %d does not match its item", n)
	}
	*b = append(byteString(nil), data[w.off:]...)
	return nil
}

// MarshalCBOR implements cbor.Marshaler.
func (b byteString) MarshalCBOR() ([]byte, error) {
	return encMode.Marshal([]byte(b))
}

// unwrapTag24 returns the content of a tag-24 wrapped byte string
// (`#6.24(bstr .cbor X)`, ISO 18013-5 §8.1 "tagged as embedded CBOR") from
// raw, the complete encoded data item. The result aliases raw (with its
// capacity cut, so appending to it never writes into raw): the embedded
// bytes are hashed and decoded exactly as received.
func unwrapTag24(raw []byte) ([]byte, error) {
	w := walker{data: raw}
	major, num, err := w.head()
	if err != nil {
		return nil, err
	}
	if major != 6 {
		return nil, errorf(ErrMalformed, "expected tag 24")
	}
	if num != tagEncodedCBOR {
		return nil, errorf(ErrMalformed, "expected tag 24, got tag %d", num)
	}
	inner, err := w.bstr()
	if err != nil {
		return nil, err
	}
	if w.off != len(raw) {
		return nil, errorf(ErrMalformed, "%d trailing bytes after tag 24", len(raw)-w.off)
	}
	return inner, nil
}

// rawItem is like cbor.RawMessage but aliases the input instead of copying
// it. It is used only for transient views of buffers owned by the current
// call; anything kept beyond the call is copied.
type rawItem []byte

// UnmarshalCBOR implements cbor.Unmarshaler.
func (r *rawItem) UnmarshalCBOR(data []byte) error {
	*r = data
	return nil
}

// MarshalCBOR implements cbor.Marshaler.
func (r rawItem) MarshalCBOR() ([]byte, error) {
	if len(r) == 0 {
		return []byte{0xf6}, nil
	}
	return r, nil
}

// wrapTag24 encodes inner as #6.24(bstr), deterministically.
func wrapTag24(inner []byte) ([]byte, error) {
	out := make([]byte, 0, 2+9+len(inner))
	out = append(out, 0xd8, tagEncodedCBOR)
	out = appendHead(out, majorByteString, uint64(len(inner)))
	return append(out, inner...), nil
}

// appendHead appends the shortest CBOR head for major type major and
// argument arg (RFC 8949 §3 and §4.2.1 preferred serialization).
func appendHead(b []byte, major byte, arg uint64) []byte {
	m := major << 5
	switch {
	case arg < 24:
		return append(b, m|byte(arg))
	case arg <= 0xff:
		return append(b, m|24, byte(arg))
	case arg <= 0xffff:
		return append(b, m|25, byte(arg>>8), byte(arg))
	case arg <= 0xffffffff:
		return append(b, m|26, byte(arg>>24), byte(arg>>16), byte(arg>>8), byte(arg))
	}
	return binary.BigEndian.AppendUint64(append(b, m|27), arg)
}

// marshal encodes v deterministically.
func marshal(v any) ([]byte, error) {
	b, err := encMode.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("mdoc: encode: %w", err)
	}
	return b, nil
}

// isTag24 reports whether raw starts with the tag-24 head.
func isTag24(raw []byte) bool {
	return bytes.HasPrefix(raw, []byte{0xd8, 0x18})
}
