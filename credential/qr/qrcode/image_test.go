package qrcode

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"os"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/credential/qr"
)

// TestImageRoundTrip: payload → PNG → scan → the same payload, which
// decodes, in both modes (the seed payloads of testdata/qr: base45 text
// and raw bytes), plus JPEG and the terminal rendering.
func TestImageRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		file string
		mode qr.Mode
	}{
		{"seed-sdjwt.payload", qr.Alphanumeric},
		{"seed-mdoc.payload", qr.Byte},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			data, err := os.ReadFile("../../../testdata/qr/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			c, err := qr.NewCode(data)
			if err != nil {
				t.Fatal(err)
			}
			if c.Mode != tc.mode {
				t.Fatalf("%s is in %v mode, want %v", tc.file, c.Mode, tc.mode)
			}
			png, err := PNG(c, 4)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ScanImage(bytes.NewReader(png))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, c.Data) {
				t.Fatal("scanned payload differs")
			}
			if _, err := qr.Decode(got); err != nil {
				t.Fatal(err)
			}
			img, _, err := image.Decode(bytes.NewReader(png))
			if err != nil {
				t.Fatal(err)
			}
			var jb bytes.Buffer
			if err := jpeg.Encode(&jb, img, &jpeg.Options{Quality: 85}); err != nil {
				t.Fatal(err)
			}
			if got, err := ScanImage(&jb); err != nil || !bytes.Equal(got, c.Data) {
				t.Fatalf("JPEG: %v", err)
			}
			term, err := Terminal(c)
			if err != nil {
				t.Fatal(err)
			}
			side := 17 + 4*c.Version + 2*quietZone
			if lines := strings.Count(term, "\n"); lines != (side+1)/2 {
				t.Fatalf("terminal: %d lines, want %d", lines, (side+1)/2)
			}
		})
	}
	if _, err := ScanImage(strings.NewReader("not an image")); !errors.Is(err, qr.ErrMalformed) {
		t.Fatalf("garbage image: %v", err)
	}
}

// TestRenderRejects: a Code whose mode, version or data does not make a
// QR symbol is refused with ErrOptions (TooLarge for data over its
// version), never rendered wrong.
func TestRenderRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    qr.Code
		want error
	}{
		{"no mode", qr.Code{Data: []byte("A"), Version: 1}, qr.ErrOptions},
		{"version 0", qr.Code{Data: []byte("A"), Mode: qr.Alphanumeric}, qr.ErrOptions},
		{"version 41", qr.Code{Data: []byte("A"), Mode: qr.Alphanumeric, Version: 41}, qr.ErrOptions},
		{"lower case in alphanumeric mode", qr.Code{Data: []byte("a"), Mode: qr.Alphanumeric, Version: 1}, qr.ErrOptions},
		{"too much for the version", qr.Code{Data: make([]byte, 100), Mode: qr.Byte, Version: 1}, qr.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := PNG(tc.c, 4); !errors.Is(err, tc.want) {
				t.Fatalf("PNG: %v, want %v", err, tc.want)
			}
			if _, err := Terminal(tc.c); !errors.Is(err, tc.want) {
				t.Fatalf("Terminal: %v, want %v", err, tc.want)
			}
		})
	}
}
