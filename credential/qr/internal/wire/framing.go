package wire

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"io"
	"sync"
)

// Kind is the kind letter of a payload prefix (docs/qr-format.md §2).
type Kind byte

// The payload kinds.
const (
	KindPresentation Kind = 'P' // response envelope (§4)
	KindRequest      Kind = 'R' // signed request (§10)
	KindFrame        Kind = 'F' // one frame of a sequence (§9)
)

// Payload prefix (docs/qr-format.md §2): "IK", a kind letter, the envelope
// version digit and a separator that says how the body is carried.
const (
	prefixMagic = "IK"
	// PrefixLen is the length of the payload prefix.
	PrefixLen = 5

	// Version is the envelope version of request and frame payloads, and
	// the first version of response envelopes.
	Version = 1
	// VersionPresentation is the version of the response envelopes this
	// package writes (docs/qr-format.md §4.3); it still reads Version.
	VersionPresentation = 2

	// SepBase45 says base45 text follows (QR alphanumeric mode).
	SepBase45 byte = ':'
	// SepBinary says raw bytes follow (QR byte mode).
	SepBinary byte = '#'
)

// Body framing (docs/qr-format.md §3):
//
//	flags(1) | length(2, big endian) | crc8(flags|length)(1) | content | crc32(all before)(4)
const (
	// HeaderLen is the length of the body header: flags, length, crc8.
	HeaderLen = 4
	// TrailerLen is the length of the body trailer: crc32.
	TrailerLen = 4

	// CompressNone: the content is stored.
	CompressNone = 0
	// CompressDeflate: the content is raw DEFLATE (RFC 1951) with the
	// preset dictionary of version 1.
	CompressDeflate = 1
	// CompressDeflateTail: raw DEFLATE with the preset dictionary of
	// version 2, then stored bytes up to the end (the tail); the content
	// is the decompressed bytes followed by the tail. Only response envelopes of version 2
	// use it (docs/qr-format.md §4.4): their random bytes (signatures,
	// digests, keys, salts) cost more than a byte each in DEFLATE.
	CompressDeflateTail = 2
)

// DefaultNonceSize is the length of the random nonce of a one-way binding
// (qr.NewBinding) and of a request (request.NewNonce), docs/qr-format.md §5.
const DefaultNonceSize = 8

// Caps on untrusted input (docs/qr-format.md §7).
const (
	// MaxPayloadSize caps the length in bytes of a payload handed to a
	// decoder (one QR holds at most 4296 alphanumeric characters).
	MaxPayloadSize = 8 << 10
	// MaxBodySize caps the framed body, in bytes, also after reassembling
	// frames.
	MaxBodySize = 0xFFFF
	// MaxDecompressedSize caps the content after DEFLATE decompression, so
	// a compression bomb costs at most this much memory.
	MaxDecompressedSize = 64 << 10
)

// CRC8 is CRC-8 with polynomial x^8+x^2+x+1 (0x07), initial value 0. It
// detects every single-bit error in the 3 header bytes it protects, so a
// bit flip in the length field is reported as ErrChecksum, not truncation.
func CRC8(b []byte) byte {
	var c byte
	for _, x := range b {
		c ^= x
		for i := 0; i < 8; i++ {
			if c&0x80 != 0 {
				c = c<<1 ^ 0x07
			} else {
				c <<= 1
			}
		}
	}
	return c
}

// FrameBody compresses content when that makes it smaller and frames it
// (docs/qr-format.md §3).
func FrameBody(content []byte) ([]byte, error) {
	method := byte(CompressNone)
	data := content
	if z, err := Deflate(content); err == nil && len(z) < len(content) {
		method, data = CompressDeflate, z
	}
	if len(data) > MaxBodySize-HeaderLen-TrailerLen {
		return nil, errorf("encode", ErrTooLarge, "content of %d bytes exceeds the body cap", len(data))
	}
	return Frame(method, data), nil
}

// Frame frames data, already compressed with method or stored, as a body
// (docs/qr-format.md §3). The caller keeps len(data) within the body cap.
func Frame(method byte, data []byte) []byte {
	body := make([]byte, HeaderLen, HeaderLen+len(data)+TrailerLen)
	body[0] = method
	binary.BigEndian.PutUint16(body[1:3], uint16(len(data)))
	body[3] = CRC8(body[:3])
	body = append(body, data...)
	return binary.BigEndian.AppendUint32(body, crc32.ChecksumIEEE(body))
}

// FrameBodyTail frames content followed by tail (docs/qr-format.md §4.4):
// content compressed and tail stored (CompressDeflateTail) when that is
// smaller than storing both.
func FrameBodyTail(content, tail []byte) ([]byte, error) {
	method := byte(CompressNone)
	data := append(bytes.Clone(content), tail...)
	if z, err := DeflateV2(content); err == nil && len(z)+len(tail) < len(data) {
		method, data = CompressDeflateTail, append(z, tail...)
	}
	if len(data) > MaxBodySize-HeaderLen-TrailerLen {
		return nil, errorf("encode", ErrTooLarge, "content of %d bytes exceeds the body cap", len(data))
	}
	return Frame(method, data), nil
}

// UnframeBodyTail is UnframeBody that also accepts CompressDeflateTail; it
// returns the decompressed content with the tail appended, at most
// MaxDecompressedSize bytes in all.
func UnframeBodyTail(body []byte) ([]byte, error) {
	return unframe(body, true)
}

// UnframeBody checks the framing of a body and returns its decompressed
// content. The checks run in an order that gives each failure its own
// error: header checksum (ErrChecksum), length (ErrTruncated for too short,
// ErrMalformed for trailing bytes), body checksum (ErrChecksum), then
// decompression with its cap (ErrTooLarge).
func UnframeBody(body []byte) ([]byte, error) {
	return unframe(body, false)
}

func unframe(body []byte, tail bool) ([]byte, error) {
	if len(body) > MaxBodySize {
		return nil, errorf("decode", ErrTooLarge, "body of %d bytes", len(body))
	}
	if len(body) < HeaderLen {
		return nil, errorf("decode", ErrTruncated, "body of %d bytes is shorter than its header", len(body))
	}
	if CRC8(body[:3]) != body[3] {
		return nil, errorf("decode", ErrChecksum, "header checksum")
	}
	if body[0]&0xF0 != 0 {
		return nil, errorf("decode", ErrMalformed, "reserved flag bits set (0x%02x)", body[0])
	}
	n := int(binary.BigEndian.Uint16(body[1:3]))
	want := HeaderLen + n + TrailerLen
	if len(body) < want {
		return nil, errorf("decode", ErrTruncated, "body is %d bytes, framing says %d", len(body), want)
	}
	if len(body) > want {
		return nil, errorf("decode", ErrMalformed, "%d bytes after the body", len(body)-want)
	}
	if crc32.ChecksumIEEE(body[:want-TrailerLen]) != binary.BigEndian.Uint32(body[want-TrailerLen:]) {
		return nil, errorf("decode", ErrChecksum, "body checksum")
	}
	data := body[HeaderLen : HeaderLen+n]
	switch body[0] {
	case CompressNone:
		return data, nil
	case CompressDeflate:
		return Inflate(data)
	case CompressDeflateTail:
		if !tail {
			break
		}
		out, rest, err := inflatePrefix(data, MaxDecompressedSize, inflatersV2, dictionaryV2)
		if err != nil {
			return nil, err
		}
		if len(out)+len(rest) > MaxDecompressedSize {
			return nil, errorf("decode", ErrTooLarge, "content exceeds %d bytes", MaxDecompressedSize)
		}
		return append(out, rest...), nil
	}
	return nil, errorf("decode", ErrMalformed, "unknown compression method %d", body[0])
}

// Pools of DEFLATE state. A flate writer with a preset dictionary costs
// about 600 KB and ten times the rest of Encode to set up; Reset keeps the
// level and the dictionary. The pools are caches only: a pooled writer or
// reader is always Reset before use, so no state leaks between calls.
var (
	deflaters   = deflaterPool(dictionaryV1)
	deflatersV2 = deflaterPool(dictionaryV2)
	inflaters   = inflaterPool(dictionaryV1)
	inflatersV2 = inflaterPool(dictionaryV2)
)

func deflaterPool(dict []byte) *sync.Pool {
	return &sync.Pool{New: func() any {
		w, err := flate.NewWriterDict(io.Discard, flate.BestCompression, dict)
		if err != nil {
			panic(err) // only for an invalid level, a constant
		}
		return w
	}}
}

func inflaterPool(dict []byte) *sync.Pool {
	return &sync.Pool{New: func() any {
		return flate.NewReaderDict(bytes.NewReader(nil), dict)
	}}
}

// Deflate compresses b with raw DEFLATE at the best compression and the
// preset dictionary of version 1.
func Deflate(b []byte) ([]byte, error) { return deflate(b, deflaters) }

// DeflateV2 is Deflate with the preset dictionary of version 2
// (CompressDeflateTail).
func DeflateV2(b []byte) ([]byte, error) { return deflate(b, deflatersV2) }

func deflate(b []byte, pool *sync.Pool) ([]byte, error) {
	var buf bytes.Buffer
	w := pool.Get().(*flate.Writer)
	defer pool.Put(w)
	w.Reset(&buf)
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Inflate decompresses raw DEFLATE with the v1 dictionary, reading at most
// MaxDecompressedSize+1 bytes (bomb-safe) and requiring the stream to end
// exactly at the end of data.
func Inflate(data []byte) ([]byte, error) {
	out, rest, err := inflatePrefix(data, MaxDecompressedSize, inflaters, dictionaryV1)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, errorf("decode", ErrMalformed, "%d bytes after the end of the DEFLATE stream", len(rest))
	}
	return out, nil
}

// inflatePrefix decompresses the raw DEFLATE stream at the start of data
// (with dict, readers from pool, at most limit bytes) and returns the bytes
// after it.
func inflatePrefix(data []byte, limit int, pool *sync.Pool, dict []byte) ([]byte, []byte, error) {
	src := bytes.NewReader(data)
	r := pool.Get().(io.ReadCloser)
	defer pool.Put(r)
	if err := r.(flate.Resetter).Reset(src, dict); err != nil {
		return nil, nil, wrapErr("decode", ErrMalformed, err, "deflate")
	}
	// Our payloads inflate about 2:1; start there, grow up to the cap.
	buf := bytes.NewBuffer(make([]byte, 0, min(4*len(data)+512, limit+1)))
	if _, err := buf.ReadFrom(io.LimitReader(r, int64(limit)+1)); err != nil {
		return nil, nil, wrapErr("decode", ErrMalformed, err, "deflate")
	}
	out := buf.Bytes()
	if len(out) > limit {
		return nil, nil, errorf("decode", ErrTooLarge, "decompressed content exceeds %d bytes", MaxDecompressedSize)
	}
	// src is an io.ByteReader, so the decompressor has read exactly the
	// stream.
	return out, data[len(data)-src.Len():], nil
}

// Payload is a payload with its prefix, ready for one QR code: Data in
// Mode at the smallest QR Version (level M) that holds it.
type Payload struct {
	Data    []byte
	Mode    Mode
	Version int
}

// Wrap adds the prefix of kind to a framed body in the mode that gives the
// smaller QR version at level M (docs/qr-format.md §2); on a tie it picks
// Alphanumeric, because base45 text survives scanner APIs that return
// strings. A limit above 0 is the largest QR version allowed.
func Wrap(kind Kind, body []byte, limit int) (Payload, error) {
	return WrapVersion(kind, Version, body, limit)
}

// WrapVersion is Wrap with the version digit version (1 to 9).
func WrapVersion(kind Kind, version int, body []byte, limit int) (Payload, error) {
	if version < 1 || version > 9 {
		return Payload{}, errorf("encode", ErrVersion, "version %d", version)
	}
	prefix := []byte{prefixMagic[0], prefixMagic[1], byte(kind), byte('0' + version)}
	text := append(append(append([]byte{}, prefix...), SepBase45), Base45Encode(body)...)
	bin := append(append(append([]byte{}, prefix...), SepBinary), body...)
	vt, vb := VersionFor(Alphanumeric, len(text)), VersionFor(Byte, len(bin))
	var p Payload
	switch {
	case vt == 0 && vb == 0:
		return Payload{}, errorf("encode", ErrTooLarge, "%d-byte body does not fit a QR code", len(body))
	case vb == 0 || (vt != 0 && vt <= vb):
		p = Payload{Data: text, Mode: Alphanumeric, Version: vt}
	default:
		p = Payload{Data: bin, Mode: Byte, Version: vb}
	}
	if limit > 0 && p.Version > limit {
		return Payload{}, errorf("encode", ErrTooLarge, "needs QR version %d, limit %d", p.Version, limit)
	}
	return p, nil
}

// CheckSize refuses a payload of n bytes over MaxPayloadSize.
func CheckSize(n int) error {
	if n > MaxPayloadSize {
		return errorf("decode", ErrTooLarge, "payload of %d bytes, limit %d", n, MaxPayloadSize)
	}
	return nil
}

// Unwrap checks the prefix of a payload of the given kind and version
// Version and returns the framed body (docs/qr-format.md §2).
func Unwrap(kind Kind, data []byte) ([]byte, error) {
	body, _, err := UnwrapVersion(kind, data, Version, Version)
	return body, err
}

// UnwrapVersion checks the prefix of a payload of the given kind with a
// version from lo to hi and returns the framed body and the version.
func UnwrapVersion(kind Kind, data []byte, lo, hi int) ([]byte, int, error) {
	if err := CheckSize(len(data)); err != nil {
		return nil, 0, err
	}
	if len(data) < PrefixLen || string(data[:2]) != prefixMagic {
		return nil, 0, errorf("decode", ErrPrefix, "missing %q prefix", prefixMagic)
	}
	if data[2] != byte(kind) {
		return nil, 0, errorf("decode", ErrPrefix, "payload kind %q, want %q", data[2], kind)
	}
	v := int(data[3]) - '0'
	if v < lo || v > hi {
		return nil, 0, errorf("decode", ErrVersion, "envelope version %q, this package reads %d to %d", data[3], lo, hi)
	}
	var body []byte
	var err error
	switch data[4] {
	case SepBase45:
		body, err = Base45Decode(string(data[PrefixLen:]))
	case SepBinary:
		body = data[PrefixLen:]
	default:
		err = errorf("decode", ErrMalformed, "unknown separator %q", data[4])
	}
	if err != nil {
		return nil, 0, err
	}
	return body, v, nil
}
