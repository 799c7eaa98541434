package wire

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// dictionaryV1SHA256 pins the preset DEFLATE dictionary of envelope
// version 1 (docs/qr-format.md §3.2). Every payload compressed with it
// depends on each of its bytes, so a change needs a new envelope version
// (and prefix digit), never an edit of this constant.
const (
	dictionaryV1SHA256 = "a95e5794b32e106091013516be940b7cd9859f7b37495b6fa05413e79c65fab1"
	dictionaryV1Len    = 2391
)

func TestDictionaryPinned(t *testing.T) {
	if len(dictionaryV1) != dictionaryV1Len {
		t.Errorf("dictionary v1 is %d bytes, pinned %d", len(dictionaryV1), dictionaryV1Len)
	}
	sum := sha256.Sum256(dictionaryV1)
	if got := hex.EncodeToString(sum[:]); got != dictionaryV1SHA256 {
		t.Errorf("dictionary v1 SHA-256 = %s, pinned %s: the dictionary is part of format v1", got, dictionaryV1SHA256)
	}
	// RFC 1951 §3.2.4 / zlib FDICT: only the last 32 KiB of a preset
	// dictionary are reachable by back references.
	if len(dictionaryV1) > 32<<10 {
		t.Errorf("dictionary of %d bytes exceeds the 32 KiB DEFLATE window", len(dictionaryV1))
	}
}

func TestDictionaryDeterministic(t *testing.T) {
	if string(buildDictionaryV1()) != string(dictionaryV1) {
		t.Fatal("buildDictionaryV1 is not deterministic")
	}
}

// TestDeflatePooled: a pooled (Reset) DEFLATE writer gives exactly the
// bytes of a fresh one with the v1 dictionary, call after call, and the
// pooled reader inflates them back.
func TestDeflatePooled(t *testing.T) {
	inputs := [][]byte{[]byte(`{"alg":"ES256","typ":"dc+sd-jwt"}`), bytes.Repeat([]byte("age_over_18"), 50), {0, 1, 2, 3}}
	for i := 0; i < 3; i++ {
		for _, in := range inputs {
			var fresh bytes.Buffer
			w, err := flate.NewWriterDict(&fresh, flate.BestCompression, dictionaryV1)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(in); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := Deflate(in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, fresh.Bytes()) {
				t.Fatalf("pooled deflate of %q differs from a fresh writer", in)
			}
			back, err := Inflate(got)
			if err != nil || !bytes.Equal(back, in) {
				t.Fatalf("inflate: %v", err)
			}
		}
	}
}
