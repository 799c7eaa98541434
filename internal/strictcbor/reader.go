package strictcbor

import (
	"encoding/binary"
	"math"
	"slices"
	"unicode/utf8"
)

// Check is the strict pre-pass over data, which must be exactly one
// complete item: it rejects indefinite lengths (RFC 8949 §3.2.2),
// reserved additional information (§3), one-byte simple values below 32
// (§3.3), tags not in allowed, nesting beyond [MaxNestingDepth], containers
// beyond [MaxContainerItems] and trailing bytes. It reads no value, so it
// allocates nothing; a [Reader] then reads the checked bytes.
func Check(data []byte, allowed ...uint64) error {
	c := checker{Reader: Reader{data: data}, allowed: allowed}
	if err := c.item(0); err != nil {
		return err
	}
	if !c.Done() {
		return errorf(ErrMalformed, "%d trailing bytes", c.Rest())
	}
	return nil
}

// Wellformed is [Check] with every tag allowed: one complete item with
// definite lengths within the caps. It is for caller-supplied CBOR that
// embeds tagged items (an ISO 18013-5 SessionTranscript, say).
func Wellformed(data []byte) error {
	c := checker{Reader: Reader{data: data}, anyTag: true}
	if err := c.item(0); err != nil {
		return err
	}
	if !c.Done() {
		return errorf(ErrMalformed, "%d trailing bytes", c.Rest())
	}
	return nil
}

// checker walks items for Check and for Reader.Raw.
type checker struct {
	Reader
	allowed []uint64
	anyTag  bool
}

func (c *checker) item(depth int) error {
	if depth > MaxNestingDepth {
		return errorf(ErrTooLarge, "nesting deeper than %d", MaxNestingDepth)
	}
	major, arg, err := c.Head()
	if err != nil {
		return err
	}
	switch major {
	case MajorUint, MajorNeg, MajorSimple:
		return nil
	case MajorBytes, MajorText:
		if arg > uint64(c.Rest()) {
			return errorf(ErrMalformed, "string longer than the data")
		}
		c.off += int(arg)
		return nil
	case MajorArray, MajorMap:
		if arg > MaxContainerItems {
			return errorf(ErrTooLarge, "container of %d items, limit %d", arg, MaxContainerItems)
		}
		n := int(arg)
		if major == MajorMap {
			n *= 2
		}
		for range n {
			if err := c.item(depth + 1); err != nil {
				return err
			}
		}
		return nil
	}
	// Major type 6, a tag.
	if !c.anyTag && !slices.Contains(c.allowed, arg) {
		return errorf(ErrMalformed, "unexpected tag %d", arg)
	}
	return c.item(depth + 1)
}

// Reader reads CBOR items from a byte slice in place: byte and text
// strings alias the input (with their capacity cut, so appending to one
// never writes into the input). It checks the shape of what it reads
// (major types, lengths, UTF-8, [MaxContainerItems]) but not tags: run
// [Check] on the bytes first. The zero Reader reads nothing; make one with
// [NewReader].
type Reader struct {
	data []byte
	off  int
}

// NewReader returns a Reader at the start of data.
func NewReader(data []byte) Reader { return Reader{data: data} }

// Offset returns how many bytes have been read.
func (r *Reader) Offset() int { return r.off }

// Rest returns how many bytes are left.
func (r *Reader) Rest() int { return len(r.data) - r.off }

// Done reports whether every byte has been read.
func (r *Reader) Done() bool { return r.off == len(r.data) }

// Peek returns the initial byte of the next item without reading it.
func (r *Reader) Peek() (byte, error) {
	if r.off >= len(r.data) {
		return 0, errorf(ErrMalformed, "unexpected end of data")
	}
	return r.data[r.off], nil
}

// Nil reads a null or undefined (RFC 8949 §3.3) and reports whether it
// did; anything else is left unread.
func (r *Reader) Nil() bool {
	if r.off < len(r.data) && (r.data[r.off] == 0xf6 || r.data[r.off] == 0xf7) {
		r.off++
		return true
	}
	return false
}

// Head reads an initial byte and its argument (RFC 8949 §3). Indefinite
// lengths (§3.2.2), reserved additional information and one-byte simple
// values below 32 (§3.3) are malformed.
func (r *Reader) Head() (major byte, arg uint64, err error) {
	if r.off >= len(r.data) {
		return 0, 0, errorf(ErrMalformed, "unexpected end of data")
	}
	ib := r.data[r.off]
	r.off++
	major, ai := ib>>5, ib&0x1f
	var n int
	switch {
	case ai < 24:
		return major, uint64(ai), nil
	case ai == 24:
		// RFC 8949 §3.3: a one-byte simple value below 32 is not well-formed.
		if major == MajorSimple && r.off < len(r.data) && r.data[r.off] < 32 {
			return 0, 0, errorf(ErrMalformed, "invalid simple value %d", r.data[r.off])
		}
		n = 1
	case ai == 25:
		n = 2
	case ai == 26:
		n = 4
	case ai == 27:
		n = 8
	case ai == 31:
		// RFC 8949 §3.2: indefinite lengths; ikdkit's encodings are definite.
		return 0, 0, errorf(ErrMalformed, "indefinite length or break at offset %d", r.off-1)
	default:
		return 0, 0, errorf(ErrMalformed, "reserved additional information %d", ai)
	}
	if len(r.data)-r.off < n {
		return 0, 0, errorf(ErrMalformed, "unexpected end of data")
	}
	b := r.data[r.off : r.off+n]
	r.off += n
	switch n {
	case 1:
		arg = uint64(b[0])
	case 2:
		arg = uint64(binary.BigEndian.Uint16(b))
	case 4:
		arg = uint64(binary.BigEndian.Uint32(b))
	default:
		arg = binary.BigEndian.Uint64(b)
	}
	return major, arg, nil
}

// Expect reads a head of the given major type; what names the expected
// item in the error.
func (r *Reader) Expect(major byte, what string) (uint64, error) {
	ib, err := r.Peek()
	if err != nil {
		return 0, err
	}
	if ib>>5 != major {
		return 0, errorf(ErrMalformed, "expected %s, got major type %d", what, ib>>5)
	}
	_, arg, err := r.Head()
	return arg, err
}

// Take returns the next n bytes, aliased with the capacity cut.
func (r *Reader) Take(n uint64) ([]byte, error) {
	if n > uint64(len(r.data)-r.off) {
		return nil, errorf(ErrMalformed, "string longer than the data")
	}
	end := r.off + int(n)
	b := r.data[r.off:end:end]
	r.off = end
	return b, nil
}

// Bytes reads a byte string (major type 2).
func (r *Reader) Bytes() ([]byte, error) {
	n, err := r.Expect(MajorBytes, "a byte string")
	if err != nil {
		return nil, err
	}
	return r.Take(n)
}

// TextBytes reads a text string (major type 3), which must be valid UTF-8
// (RFC 8949 §3.1).
func (r *Reader) TextBytes() ([]byte, error) {
	n, err := r.Expect(MajorText, "a text string")
	if err != nil {
		return nil, err
	}
	b, err := r.Take(n)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(b) {
		return nil, errorf(ErrMalformed, "text string is not valid UTF-8")
	}
	return b, nil
}

// Text reads a text string into a new Go string.
func (r *Reader) Text() (string, error) {
	b, err := r.TextBytes()
	return string(b), err
}

// Uint reads an unsigned integer (major type 0).
func (r *Reader) Uint() (uint64, error) {
	return r.Expect(MajorUint, "an unsigned integer")
}

// Int reads an integer (major type 0 or 1) that fits an int64.
func (r *Reader) Int() (int64, error) {
	ib, err := r.Peek()
	if err != nil {
		return 0, err
	}
	major := ib >> 5
	if major != MajorUint && major != MajorNeg {
		return 0, errorf(ErrMalformed, "expected an integer, got major type %d", major)
	}
	_, arg, err := r.Head()
	if err != nil {
		return 0, err
	}
	if arg > math.MaxInt64 {
		return 0, errorf(ErrMalformed, "integer out of int64 range")
	}
	if major == MajorNeg {
		return -1 - int64(arg), nil
	}
	return int64(arg), nil
}

// Container reads an array or map head (major type 4 or 5) and returns its
// number of elements or pairs, at most [MaxContainerItems].
func (r *Reader) Container(major byte, what string) (int, error) {
	n, err := r.Expect(major, what)
	if err != nil {
		return 0, err
	}
	if n > MaxContainerItems {
		return 0, errorf(ErrTooLarge, "container of %d items, limit %d", n, MaxContainerItems)
	}
	return int(n), nil
}

// Raw returns the next complete item, any tags included, aliased with the
// capacity cut. It checks well-formedness and the caps as [Check] does.
func (r *Reader) Raw() ([]byte, error) {
	start := r.off
	c := checker{Reader: *r, anyTag: true}
	if err := c.item(0); err != nil {
		return nil, err
	}
	r.off = c.off
	return r.data[start:r.off:r.off], nil
}

// RawNested returns the next complete item as [Reader.Raw] does, but
// checked as [Check] with allowed checks an item nested depth levels deep
// in the one it checks (arrays, maps and tags count) and allowing only the
// tags of allowed. A decoder that reads a container member by member
// strictly can use it for a member it keeps raw, in place of a [Check] of
// the whole container first.
func (r *Reader) RawNested(depth int, allowed ...uint64) ([]byte, error) {
	start := r.off
	c := checker{Reader: *r, allowed: allowed}
	if err := c.item(depth); err != nil {
		return nil, err
	}
	r.off = c.off
	return r.data[start:r.off:r.off], nil
}

// Skip reads past the next complete item.
func (r *Reader) Skip() error {
	_, err := r.Raw()
	return err
}
