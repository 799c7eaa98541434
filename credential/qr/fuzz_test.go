package qr

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func addSeeds(f *testing.F) {
	files, err := filepath.Glob("../../testdata/qr/seed-*.payload")
	if err != nil {
		f.Fatal(err)
	}
	if len(files) == 0 {
		f.Fatal("empty seed corpus: no ../../testdata/qr/seed-*.payload")
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzDecode: Decode never panics; on error it returns a nil envelope and
// an *Error wrapping a sentinel; on success the envelope re-encodes and
// decodes to the same presentations (SD-JWTs reassembled exactly).
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := Decode(data)
		if err != nil {
			var e *Error
			if env != nil || !errors.As(err, &e) {
				t.Fatalf("error %v with env %v", err, env)
			}
			return
		}
		// Mdoc presentations decode with an x5t and cannot be re-encoded
		// without their chain; compare the SD-JWTs only.
		var sd Envelope
		for _, p := range env.Presentations {
			if p.SDJWT != "" {
				sd.Presentations = append(sd.Presentations, p)
			}
		}
		if len(sd.Presentations) == 0 {
			return
		}
		c, err := Encode(sd)
		if err != nil {
			t.Fatalf("decoded SD-JWT does not re-encode: %v", err)
		}
		again, err := Decode(c.Data)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range sd.Presentations {
			if again.Presentations[i].SDJWT != p.SDJWT {
				t.Fatal("SD-JWT not reproduced exactly")
			}
		}
	})
}

// FuzzAssembler: Add never panics and reports errors as *Error.
func FuzzAssembler(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var a Assembler
		if _, err := a.Add(data); err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T", err)
			}
			return
		}
		if _, err := a.Envelope(); err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T", err)
			}
		}
	})
}

// FuzzDecodeContentV2 fuzzes the version 2 content (the CBOR item, hole
// lists and tail of docs/qr-format.md §4.3, §4.4) behind the framing, which
// FuzzDecode's mutations rarely get past (CRC-32): decoding never panics,
// fails only with an *Error, and a decoded SD-JWT re-encodes to content
// that decodes to the same SD-JWT.
func FuzzDecodeContentV2(f *testing.F) {
	fx := newFixture(f)
	for _, env := range samplePresentationsTB(f, fx) {
		c, tail, err := encodeContentV2(env)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append(c, tail...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > MaxPayloadSize {
			return
		}
		env, err := decodeContent(data, 2)
		if err != nil {
			var e *Error
			if env != nil || !errors.As(err, &e) {
				t.Fatalf("error %v with env %v", err, env)
			}
			return
		}
		for _, p := range env.Presentations {
			if p.SDJWT == "" {
				continue
			}
			c, tail, err := encodeContentV2(Envelope{Presentations: []Presentation{p}})
			if err != nil {
				continue // not every decodable string is a presentation the encoder takes
			}
			again, err := decodeContent(append(c, tail...), 2)
			if err != nil || again.Presentations[0].SDJWT != p.SDJWT {
				t.Fatalf("SD-JWT not reproduced: %v", err)
			}
		}
	})
}
