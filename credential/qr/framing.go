package qr

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"io"
	"sync"
)

// Payload prefix (docs/qr-format.md §2): "IK", a kind letter, the envelope
// version digit and a separator that says how the body is carried.
const (
	prefixMagic = "IK"
	prefixLen   = 5

	kindPresentation byte = 'P'
	kindRequest      byte = 'R'
	kindFrame        byte = 'F'

	// FormatVersion is the envelope version this package writes and reads.
	FormatVersion = 1
	versionChar   = '0' + FormatVersion

	sepBase45 byte = ':' // base45 text follows (QR alphanumeric mode)
	sepBinary byte = '#' // raw bytes follow (QR byte mode)
)

// Body framing (docs/qr-format.md §3):
//
//	flags(1) | length(2, big endian) | crc8(flags|length)(1) | content | crc32(all before)(4)
const (
	headerLen  = 4
	trailerLen = 4

	compressNone    = 0 // content stored
	compressDeflate = 1 // content is raw DEFLATE (RFC 1951) with preset dictionary v1
)

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
	// MaxPresentations caps the presentations in one envelope.
	MaxPresentations = 8
	// MaxDisclosures caps the disclosures of one SD-JWT in an envelope.
	MaxDisclosures = 256
)

// crc8 is CRC-8 with polynomial x^8+x^2+x+1 (0x07), initial value 0. It
// detects every single-bit error in the 3 header bytes it protects, so a
// bit flip in the length field is reported as ErrChecksum, not truncation.
func crc8(b []byte) byte {
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

// frameBody compresses content when that makes it smaller and frames it.
func frameBody(content []byte) ([]byte, error) {
	method := byte(compressNone)
	data := content
	if z, err := deflate(content); err == nil && len(z) < len(content) {
		method, data = compressDeflate, z
	}
	if len(data) > MaxBodySize-headerLen-trailerLen {
		return nil, errorf("encode", ErrTooLarge, "content of %d bytes exceeds the body cap", len(data))
	}
	body := make([]byte, headerLen, headerLen+len(data)+trailerLen)
	body[0] = method
	binary.BigEndian.PutUint16(body[1:3], uint16(len(data)))
	body[3] = crc8(body[:3])
	body = append(body, data...)
	body = binary.BigEndian.AppendUint32(body, crc32.ChecksumIEEE(body))
	return body, nil
}

// unframeBody checks the framing of a body and returns its decompressed
// content. The checks run in an order that gives each failure its own
// error: header checksum (ErrChecksum), length (ErrTruncated for too short,
// ErrMalformed for trailing bytes), body checksum (ErrChecksum), then
// decompression with its cap (ErrTooLarge).
func unframeBody(body []byte) ([]byte, error) {
	if len(body) > MaxBodySize {
		return nil, errorf("decode", ErrTooLarge, "body of %d bytes", len(body))
	}
	if len(body) < headerLen {
		return nil, errorf("decode", ErrTruncated, "body of %d bytes is shorter than its header", len(body))
	}
	if crc8(body[:3]) != body[3] {
		return nil, errorf("decode", ErrChecksum, "header checksum")
	}
	if body[0]&0xF0 != 0 {
		return nil, errorf("decode", ErrMalformed, "reserved flag bits set (0x%02x)", body[0])
	}
	n := int(binary.BigEndian.Uint16(body[1:3]))
	want := headerLen + n + trailerLen
	if len(body) < want {
		return nil, errorf("decode", ErrTruncated, "body is %d bytes, framing says %d", len(body), want)
	}
	if len(body) > want {
		return nil, errorf("decode", ErrMalformed, "%d bytes after the body", len(body)-want)
	}
	if crc32.ChecksumIEEE(body[:want-trailerLen]) != binary.BigEndian.Uint32(body[want-trailerLen:]) {
		return nil, errorf("decode", ErrChecksum, "body checksum")
	}
	data := body[headerLen : headerLen+n]
	switch body[0] {
	case compressNone:
		return data, nil
	case compressDeflate:
		return inflate(data)
	default:
		return nil, errorf("decode", ErrMalformed, "unknown compression method %d", body[0])
	}
}

// Pools of DEFLATE state. A flate writer with a preset dictionary costs
// about 600 KB and ten times the rest of Encode to set up; Reset keeps the
// level and the dictionary. The pools are caches only: a pooled writer or
// reader is always Reset before use, so no state leaks between calls.
var (
	deflaters = sync.Pool{New: func() any {
		w, err := flate.NewWriterDict(io.Discard, flate.BestCompression, dictionaryV1)
		if err != nil {
			panic(err) // only for an invalid level, a constant
		}
		return w
	}}
	inflaters = sync.Pool{New: func() any {
		return flate.NewReaderDict(bytes.NewReader(nil), dictionaryV1)
	}}
)

func deflate(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w := deflaters.Get().(*flate.Writer)
	defer deflaters.Put(w)
	w.Reset(&buf)
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// inflate decompresses raw DEFLATE with the v1 dictionary, reading at most
// MaxDecompressedSize+1 bytes (bomb-safe) and requiring the stream to end
// exactly at the end of data.
func inflate(data []byte) ([]byte, error) {
	src := bytes.NewReader(data)
	r := inflaters.Get().(io.ReadCloser)
	defer inflaters.Put(r)
	if err := r.(flate.Resetter).Reset(src, dictionaryV1); err != nil {
		return nil, wrapErr("decode", ErrMalformed, err, "deflate")
	}
	// Our payloads inflate about 2:1; start there, grow up to the cap.
	buf := bytes.NewBuffer(make([]byte, 0, min(4*len(data)+512, MaxDecompressedSize+1)))
	if _, err := buf.ReadFrom(io.LimitReader(r, MaxDecompressedSize+1)); err != nil {
		return nil, wrapErr("decode", ErrMalformed, err, "deflate")
	}
	out := buf.Bytes()
	if len(out) > MaxDecompressedSize {
		return nil, errorf("decode", ErrTooLarge, "decompressed content exceeds %d bytes", MaxDecompressedSize)
	}
	if src.Len() != 0 {
		return nil, errorf("decode", ErrMalformed, "%d bytes after the end of the DEFLATE stream", src.Len())
	}
	return out, nil
}

// Code is a payload ready to be put into one QR code.
type Code struct {
	// Data is the payload: ASCII base45 text for Alphanumeric, arbitrary
	// bytes for Byte.
	Data []byte
	// Mode is the QR mode Data must be encoded in.
	Mode Mode
	// Version is the smallest QR version at error correction level M that
	// holds Data in Mode.
	Version int
}

// String returns Data as a string (the text for an Alphanumeric code).
func (c Code) String() string { return string(c.Data) }

// wrap adds the prefix to a framed body in the mode that gives the smaller
// QR version at level M; on a tie it picks Alphanumeric, because base45
// text survives scanner APIs that return strings.
func wrap(kind byte, body []byte, limit int) (Code, error) {
	prefix := []byte{prefixMagic[0], prefixMagic[1], kind, versionChar}
	text := append(append(append([]byte{}, prefix...), sepBase45), Base45Encode(body)...)
	bin := append(append(append([]byte{}, prefix...), sepBinary), body...)
	vt, vb := VersionFor(Alphanumeric, len(text)), VersionFor(Byte, len(bin))
	var c Code
	switch {
	case vt == 0 && vb == 0:
		return Code{}, errorf("encode", ErrTooLarge, "%d-byte body does not fit a QR code", len(body))
	case vb == 0 || (vt != 0 && vt <= vb):
		c = Code{Data: text, Mode: Alphanumeric, Version: vt}
	default:
		c = Code{Data: bin, Mode: Byte, Version: vb}
	}
	if limit > 0 && c.Version > limit {
		return Code{}, errorf("encode", ErrTooLarge, "needs QR version %d, limit %d", c.Version, limit)
	}
	return c, nil
}

// checkSize refuses a payload of n bytes over MaxPayloadSize.
func checkSize(n int) error {
	if n > MaxPayloadSize {
		return errorf("decode", ErrTooLarge, "payload of %d bytes, limit %d", n, MaxPayloadSize)
	}
	return nil
}

// unwrap checks the prefix of a payload of the given kind and returns the
// framed body.
func unwrap(kind byte, data []byte) ([]byte, error) {
	if err := checkSize(len(data)); err != nil {
		return nil, err
	}
	if len(data) < prefixLen || string(data[:2]) != prefixMagic {
		return nil, errorf("decode", ErrPrefix, "missing %q prefix", prefixMagic)
	}
	if data[2] != kind {
		return nil, errorf("decode", ErrPrefix, "payload kind %q, want %q", data[2], kind)
	}
	if data[3] != versionChar {
		return nil, errorf("decode", ErrVersion, "envelope version %q, this package reads %q", data[3], versionChar)
	}
	switch data[4] {
	case sepBase45:
		return Base45Decode(string(data[prefixLen:]))
	case sepBinary:
		return data[prefixLen:], nil
	default:
		return nil, errorf("decode", ErrMalformed, "unknown separator %q", data[4])
	}
}
