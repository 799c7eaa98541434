package strictcbor

import (
	"bytes"
	"encoding/binary"
)

// AppendHead appends the shortest head for major type major and argument
// arg (RFC 8949 §3 and the preferred serialization of §4.2.1).
func AppendHead(b []byte, major byte, arg uint64) []byte {
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

// AppendInt appends the integer v (major type 0 or 1).
func AppendInt(b []byte, v int64) []byte {
	if v < 0 {
		return AppendHead(b, MajorNeg, uint64(-1-v))
	}
	return AppendHead(b, MajorUint, uint64(v))
}

// AppendBytes appends v as a byte string.
func AppendBytes(b, v []byte) []byte {
	return append(AppendHead(b, MajorBytes, uint64(len(v))), v...)
}

// AppendText appends s as a text string; s must be valid UTF-8.
func AppendText(b []byte, s string) []byte {
	return append(AppendHead(b, MajorText, uint64(len(s))), s...)
}

// MaxTag24Head is the length of the longest tag-24 head: 0xd8 0x18 and a
// 9-byte byte-string head.
const MaxTag24Head = 2 + 9

// AppendTag24Head appends the head of #6.24(bstr) for content of n bytes
// (RFC 8949 §3.4.5.1).
func AppendTag24Head(b []byte, n int) []byte {
	return AppendHead(append(b, 0xd8, TagEncodedCBOR), MajorBytes, uint64(n))
}

// WrapTag24 returns #6.24(bstr) around inner, the embedded-CBOR form
// (RFC 8949 §3.4.5.1) that ISO 18013-5 §8.1 calls "tagged as embedded
// CBOR".
func WrapTag24(inner []byte) []byte {
	out := make([]byte, 0, MaxTag24Head+len(inner))
	return append(AppendTag24Head(out, len(inner)), inner...)
}

// IsTag24 reports whether raw starts with the tag-24 head.
func IsTag24(raw []byte) bool {
	return bytes.HasPrefix(raw, []byte{0xd8, TagEncodedCBOR})
}

// UnwrapTag24 returns the content of the tag-24 byte string raw, which
// must be exactly #6.24(bstr) (RFC 8949 §3.4.5.1). The result aliases raw
// with its capacity cut: embedded bytes are hashed and decoded exactly as
// received. The content itself is not checked.
func UnwrapTag24(raw []byte) ([]byte, error) {
	r := NewReader(raw)
	major, num, err := r.Head()
	if err != nil {
		return nil, err
	}
	if major != MajorTag || num != TagEncodedCBOR {
		return nil, errorf(ErrMalformed, "expected tag 24")
	}
	inner, err := r.Bytes()
	if err != nil {
		return nil, err
	}
	if !r.Done() {
		return nil, errorf(ErrMalformed, "%d trailing bytes after tag 24", r.Rest())
	}
	return inner, nil
}
