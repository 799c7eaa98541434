package qrcode

import (
	"bytes"
	"errors"
	"image/png"
	"testing"

	"github.com/ikdkit/ikdkit/credential/qr"
)

// TestPNGEveryScale: a PNG at scale 1 (then Code.PNG(1)) panicked inside
// rsc.io/qr's PNG writer ("invalid flate repeat"); every scale from 1 to 32
// now gives a PNG of (size + 2 quiet zones) × scale pixels that scans back
// to the payload, and a scale outside it is ErrOptions.
func TestPNGEveryScale(t *testing.T) {
	c := demoCode(t)
	for _, scale := range []int{1, 2, 3, 8, 32} {
		var b []byte
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("PNG(%d) panicked: %v", scale, r)
				}
			}()
			b, err = PNG(c, scale)
		}()
		if err != nil {
			t.Fatalf("PNG(%d): %v", scale, err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("PNG(%d) is not a PNG: %v", scale, err)
		}
		s, err := symbol(c)
		if err != nil {
			t.Fatal(err)
		}
		if want := (s.Size + 2*quietZone) * scale; img.Bounds().Dx() != want || img.Bounds().Dy() != want {
			t.Fatalf("PNG(%d) is %v, want %d×%d", scale, img.Bounds(), want, want)
		}
		if scale < 2 {
			continue // one pixel a module is below what a camera-oriented scanner reads
		}
		got, err := ScanImage(bytes.NewReader(b))
		if err != nil || !bytes.Equal(got, []byte(c.Data)) {
			t.Fatalf("PNG(%d) scans to %q, %v", scale, got, err)
		}
	}
	for _, scale := range []int{0, 33} {
		if _, err := PNG(c, scale); !errors.Is(err, qr.ErrOptions) {
			t.Fatalf("PNG(%d): %v, want qr.ErrOptions", scale, err)
		}
	}
}
