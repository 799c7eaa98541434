package statuslist

import (
	"bytes"
	"compress/zlib"
	"io"
	"math/bits"
)

// Status is the status of one Referenced Token (draft §7). With bits = 1 only
// [Valid] and [Invalid] fit; 2 bits add [Suspended] and the
// application-specific value 0x03; 4 and 8 bits allow 16 and 256 values.
type Status uint8

// Status Type values (draft-ietf-oauth-status-list-20 §7.1 and §14.5).
const (
	// Valid (0x00): the Referenced Token is valid.
	Valid Status = 0x00
	// Invalid (0x01): the Referenced Token is revoked. When a phone is lost
	// and Dukcapil deactivates the account, its credentials become Invalid.
	Invalid Status = 0x01
	// Suspended (0x02): the Referenced Token is temporarily invalid.
	Suspended Status = 0x02
	// ApplicationSpecific (0x03) is permanently reserved for application
	// use, as are 0x0C to 0x0F.
	ApplicationSpecific Status = 0x03
)

// String returns the registered name of s, or a hex form for other values.
func (s Status) String() string {
	switch s {
	case Valid:
		return "VALID"
	case Invalid:
		return "INVALID"
	case Suspended:
		return "SUSPENDED"
	}
	if s == ApplicationSpecific || (s >= 0x0C && s <= 0x0F) {
		return "APPLICATION_SPECIFIC(0x" + hex2(uint8(s)) + ")"
	}
	return "RESERVED(0x" + hex2(uint8(s)) + ")"
}

func hex2(b uint8) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&0xf]})
}

// Size caps. A decoder never allocates more than the cap it was given, even
// for a zlib stream that would inflate to far more (a "zlib bomb").
const (
	// DefaultMaxListBytes is the default cap on the decompressed byte array
	// of a Status List: 16 MiB, i.e. 134,217,728 entries at 1 bit or
	// 67,108,864 at 2 bits. The largest list in the national plan
	// (docs/status-lists.md) is 4 MiB.
	DefaultMaxListBytes = 16 << 20
	// MaxListBytes is the hard upper bound for any list this package creates
	// or decodes (1 GiB), whatever a caller asks for.
	MaxListBytes = 1 << 30
)

// List is an uncompressed Status List (draft-ietf-oauth-status-list-20 §4.1):
// a byte array holding one status of bits bits per Referenced Token.
//
// Entry i lives in byte i*bits/8 at bit offset (i*bits) mod 8, counted from
// the least significant bit (§4.1 step 3): the entries of a byte are packed
// from bit 0 ("right") to bit 7 ("left"), bytes in natural order.
//
// A List is not safe for concurrent mutation; concurrent [List.Get] calls are
// safe when nothing calls [List.Set].
type List struct {
	b     []byte
	bits  uint8 // 1, 2, 4 or 8
	shift uint8 // log2(bits)
	mask  uint8 // (1 << bits) - 1
}

func validBits(b int) bool { return b == 1 || b == 2 || b == 4 || b == 8 }

func newList(b int, data []byte) *List {
	return &List{
		b:     data,
		bits:  uint8(b),
		shift: uint8(bits.TrailingZeros8(uint8(b))),
		mask:  uint8(1<<b - 1),
	}
}

// New returns a List of at least size entries of the given bits (1, 2, 4 or
// 8), all [Valid]. The size is rounded up so the list fills whole bytes, as
// the draft recommends (§13.4: size in bits divisible by 8); [List.Len]
// reports the rounded size.
func New(bits, size int) (*List, error) {
	const op = "new"
	// draft §4.1 step 1: bits MUST be 1, 2, 4 or 8.
	if !validBits(bits) {
		return nil, errorf(op, ErrBits, "bits = %d", bits)
	}
	if size <= 0 {
		return nil, errorf(op, ErrMalformed, "size %d is not positive", size)
	}
	if uint64(size) > uint64(MaxListBytes)*8/uint64(bits) {
		return nil, errorf(op, ErrTooLarge, "size %d exceeds %d bytes", size, MaxListBytes)
	}
	nbytes := (size*bits + 7) / 8
	return newList(bits, make([]byte, nbytes)), nil
}

// FromBytes returns a List over a copy of an uncompressed byte array.
func FromBytes(bits int, data []byte) (*List, error) {
	const op = "new"
	if !validBits(bits) {
		return nil, errorf(op, ErrBits, "bits = %d", bits)
	}
	if len(data) == 0 {
		return nil, errorf(op, ErrMalformed, "empty byte array")
	}
	if len(data) > MaxListBytes {
		return nil, errorf(op, ErrTooLarge, "%d bytes", len(data))
	}
	return newList(bits, bytes.Clone(data)), nil
}

// Bits returns the number of bits per entry: 1, 2, 4 or 8.
func (l *List) Bits() int { return int(l.bits) }

// Len returns the number of entries: the byte array's length times 8/bits.
func (l *List) Len() int { return len(l.b) << 3 >> l.shift }

// Get returns the status at idx. An index beyond the end is an error
// ([ErrIndexOutOfRange]), never a panic: draft §8.3 step 6 says no statement
// can be made and the Referenced Token MUST be rejected.
//
// Get does not allocate unless it fails.
func (l *List) Get(idx uint64) (Status, error) {
	if idx >= uint64(len(l.b))<<3>>l.shift {
		return 0, errorf("get", ErrIndexOutOfRange, "index %d, list has %d entries", idx, l.Len())
	}
	pos := idx << l.shift // bit position
	return Status(l.b[pos>>3] >> (pos & 7) & l.mask), nil
}

// Set sets the status at idx. The value must fit in the list's bits
// ([ErrStatusValue]); the index must be in range ([ErrIndexOutOfRange]).
func (l *List) Set(idx uint64, s Status) error {
	const op = "set"
	if idx >= uint64(len(l.b))<<3>>l.shift {
		return errorf(op, ErrIndexOutOfRange, "index %d, list has %d entries", idx, l.Len())
	}
	// draft §7: the issuer MUST choose bits able to describe its values.
	if uint8(s)&^l.mask != 0 {
		return errorf(op, ErrStatusValue, "status 0x%02x with bits = %d", uint8(s), l.bits)
	}
	pos := idx << l.shift
	sh := pos & 7
	l.b[pos>>3] = l.b[pos>>3]&^(l.mask<<sh) | uint8(s)<<sh
	return nil
}

// Bytes returns a copy of the uncompressed byte array.
func (l *List) Bytes() []byte { return bytes.Clone(l.b) }

// Equal reports whether l and m have the same bits and the same entries.
func (l *List) Equal(m *List) bool {
	return l.bits == m.bits && bytes.Equal(l.b, m.b)
}

// Compress returns the byte array compressed with DEFLATE (RFC 1951) in the
// ZLIB format (RFC 1950) at the best compression level, as draft §4.1 step 4
// recommends. The output is the value of "lst" (raw bytes; base64url in the
// JSON form).
//
// Compression is not canonical: other encoders (the draft's examples come
// from Python's zlib) produce different but equally valid bytes.
func (l *List) Compress() []byte {
	var buf bytes.Buffer
	buf.Grow(len(l.b)/64 + 64)
	w, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if err != nil {
		panic(err) // constant, valid level
	}
	// Writes to a bytes.Buffer cannot fail.
	_, _ = w.Write(l.b)
	_ = w.Close()
	return buf.Bytes()
}

// Decode decompresses lst (a ZLIB stream, draft §4.1 step 4) into a List of
// the given bits. maxBytes caps the decompressed size; zero or negative means
// [DefaultMaxListBytes], and it is never more than [MaxListBytes]. A stream
// that would inflate beyond the cap fails with [ErrTooLarge] after reading at
// most maxBytes+1 bytes of output, so a zlib bomb costs no more memory than
// the cap. Trailing bytes after the ZLIB stream, a bad checksum and an empty
// list are [ErrMalformed].
func Decode(bits int, lst []byte, maxBytes int) (*List, error) {
	const op = "decode"
	// draft §4.2 / §4.3: the allowed values for bits are 1, 2, 4 and 8.
	if !validBits(bits) {
		return nil, errorf(op, ErrBits, "bits = %d", bits)
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxListBytes
	}
	maxBytes = min(maxBytes, MaxListBytes)
	src := bytes.NewReader(lst)
	zr, err := zlib.NewReader(src)
	if err != nil {
		return nil, errorf(op, ErrMalformed, "zlib header: %v", err)
	}
	// Grow the output as data arrives, never beyond maxBytes+1, so the
	// allocation tracks the real stream rather than a claimed size.
	var out bytes.Buffer
	n, err := out.ReadFrom(io.LimitReader(zr, int64(maxBytes)+1))
	if err != nil {
		return nil, errorf(op, ErrMalformed, "zlib stream: %v", err)
	}
	if n > int64(maxBytes) {
		return nil, errorf(op, ErrTooLarge, "decompressed list exceeds %d bytes", maxBytes)
	}
	if err := zr.Close(); err != nil {
		return nil, errorf(op, ErrMalformed, "zlib stream: %v", err)
	}
	// A ZLIB stream is self-delimiting; anything after its Adler-32 checksum
	// is not part of "lst".
	if src.Len() != 0 {
		return nil, errorf(op, ErrMalformed, "%d bytes after the zlib stream", src.Len())
	}
	if n == 0 {
		return nil, errorf(op, ErrMalformed, "empty status list")
	}
	data := out.Bytes()
	if cap(data)-len(data) > len(data)/4 {
		data = bytes.Clone(data) // drop the buffer's slack
	}
	return newList(bits, data), nil
}
