package qr

// Bad-input suite (issue 12, docs/security.md): QR payloads that inflate
// far beyond MaxPayloadSize, or declare huge CBOR lengths, are refused with
// a typed error and bounded memory.

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"runtime"
	"testing"

	"github.com/ikdkit/ikdkit/credential/qr/internal/wire"
)

// secFrame builds a binary envelope frame around content, as TestDecodeErrors
// does.
func secFrame(method byte, content []byte) []byte {
	b := []byte{method, 0, 0, 0}
	binary.BigEndian.PutUint16(b[1:3], uint16(len(content)))
	b[3] = wire.CRC8(b[:3])
	b = append(b, content...)
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	return append([]byte("IKP1#"), b...)
}

// TestSecurityQRBombAllocs: a DEFLATE stream of 64 MiB of zeros (cut to
// what one frame can carry) is stopped at MaxPayloadSize: Decode allocates a
// small multiple of the cap, not of the inflated size.
func TestSecurityQRBombAllocs(t *testing.T) {
	var bomb bytes.Buffer
	w, _ := flate.NewWriterDict(&bomb, flate.BestCompression, wire.Dictionary())
	zeros := make([]byte, 1<<20)
	for range 64 {
		w.Write(zeros)
	}
	w.Close()
	content := bomb.Bytes()
	if len(content) > 0xffff {
		content = content[:0xffff]
	}
	data := secFrame(wire.CompressDeflate, content)
	// Decode runs once first so pooled state is warm.
	if _, err := Decode(data); !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrMalformed) {
		t.Fatalf("bomb: %v, want ErrTooLarge", err)
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	env, err := Decode(data)
	runtime.ReadMemStats(&ms1)
	if env != nil || err == nil {
		t.Fatal("bomb accepted")
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%T is not *qr.Error", err)
	}
	if grew := ms1.TotalAlloc - ms0.TotalAlloc; grew > 8*MaxPayloadSize+uint64(len(data))*4 {
		t.Fatalf("decoding a %d-byte bomb allocated %d bytes (cap %d)", len(data), grew, MaxPayloadSize)
	}
}

// TestSecurityHugeDeclaredLength: CBOR inside the envelope that declares
// 2^32 array items or a 4 GiB byte string is refused without preallocating.
func TestSecurityHugeDeclaredLength(t *testing.T) {
	for name, content := range map[string][]byte{
		"array 2^32":       {0x9b, 0, 0, 0, 1, 0, 0, 0, 0, 0x00},
		"bytes 4 GiB":      {0x81, 0x5b, 0, 0, 0, 1, 0, 0, 0, 0, 0x00},
		"map 2^32 pairs":   {0x81, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x01, 0x01},
		"text 2^63":        {0x81, 0x7b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'a'},
		"deep arrays":      append(bytes.Repeat([]byte{0x81}, 5000), 0x00),
		"indefinite array": {0x9f, 0x9f, 0xff, 0xff},
	} {
		t.Run(name, func(t *testing.T) {
			data := secFrame(wire.CompressNone, content)
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			env, err := Decode(data)
			runtime.ReadMemStats(&ms1)
			if env != nil || err == nil {
				t.Fatal("accepted")
			}
			var e *Error
			if !errors.As(err, &e) || !(errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge)) {
				t.Fatalf("%v: want a *qr.Error wrapping ErrMalformed or ErrTooLarge", err)
			}
			if grew := ms1.TotalAlloc - ms0.TotalAlloc; grew > 1<<20 {
				t.Fatalf("allocated %d bytes", grew)
			}
		})
	}
}

// TestSecurityOversizedAllocs: a 64 MiB QR text is refused by the size cap
// with a bounded number of allocations.
func TestSecurityOversizedAllocs(t *testing.T) {
	huge := bytes.Repeat([]byte{'A'}, 64<<20)
	copy(huge, "IKP1:")
	var last error
	allocs := testing.AllocsPerRun(5, func() { _, last = Decode(huge) })
	if !errors.Is(last, ErrTooLarge) {
		t.Fatalf("%v, want ErrTooLarge", last)
	}
	if allocs > 10 {
		t.Fatalf("rejecting 64 MiB allocated %v times", allocs)
	}
}
