package mdoc

import (
	"github.com/ikdkit/ikdkit/internal/strictcbor"
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
	MaxNestingDepth = strictcbor.MaxNestingDepth
	// MaxContainerItems is the largest number of elements in one CBOR array
	// or pairs in one CBOR map.
	MaxContainerItems = strictcbor.MaxContainerItems
	// MaxDocuments is the largest number of documents in one DeviceResponse.
	MaxDocuments = 16
	// MaxChainLength is the largest number of certificates in an x5chain.
	MaxChainLength = 8
)

// Tag numbers used by ISO/IEC 18013-5.
const (
	tagTDate       = strictcbor.TagTDate       // tdate, RFC 8949 §3.4.1
	tagEncodedCBOR = strictcbor.TagEncodedCBOR // bstr .cbor, RFC 8949 §3.4.5.1
	tagFullDate    = strictcbor.TagFullDate    // full-date, RFC 8943
)

// walker reads the ISO 18013-5 structures in place; the hand-written
// decoders of wire.go are its methods. It reads bytes that start (or the
// caller's own pre-pass) has checked.
type walker struct {
	strictcbor.Reader
}

func newWalker(data []byte) walker { return walker{strictcbor.NewReader(data)} }

// start checks the size cap and runs the strict pre-pass on data (tags
// only from allowedTags), and returns a reader at its start.
func start(data []byte, allowedTags ...uint64) (walker, error) {
	if len(data) > MaxMessageSize {
		return walker{}, errorf(ErrTooLarge, "%d bytes, limit %d", len(data), MaxMessageSize)
	}
	if err := strictcbor.Check(data, allowedTags...); err != nil {
		return walker{}, err
	}
	return newWalker(data), nil
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

// marshal encodes v deterministically (RFC 8949 §4.2.1).
func marshal(v any) ([]byte, error) {
	b, err := strictcbor.Marshal(v)
	if err != nil {
		return nil, errorf(ErrInvalidArgument, "%v", err)
	}
	return b, nil
}
