package qrcode

import (
	"bytes"
	"image"
	"image/color"
	_ "image/jpeg" // JPEG decoding for ScanImage
	"image/png"
	"io"
	"strings"

	rscqr "rsc.io/qr"
	"rsc.io/qr/coding"

	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/qr/internal/wire"
)

// Encoding uses rsc.io/qr (pure Go, no dependencies): its coding package
// takes an explicit version, level and segment mode, so the symbol is
// exactly the Code's Mode and Version and raw bytes stay raw. Decoding uses
// github.com/makiuchi-d/gozxing, the maintained pure-Go port of ZXing,
// which reports byte-mode segments as raw bytes.

// Image limits for ScanImage.
const (
	// MaxImageSize caps the encoded image read by ScanImage, in bytes.
	MaxImageSize = 16 << 20
	// MaxImagePixels caps the width × height of a scanned image, for
	// ScanImage before the file is decoded and for ScanDecoded. Decoding
	// takes up to 8 bytes per pixel (a 16-bit RGBA PNG), so 200 MB at the
	// cap; the search itself runs on at most MaxScanPixels.
	MaxImagePixels = 25_000_000
	// quietZone is the white border in modules (ISO/IEC 18004 §9.1).
	quietZone = 4
)

// symbol renders c as a QR symbol at level M in c's mode and version.
func symbol(c qr.Code) (*rscqr.Code, error) {
	var enc coding.Encoding
	switch c.Mode {
	case qr.Alphanumeric:
		enc = coding.Alpha(c.Data)
	case qr.Byte:
		enc = coding.String(c.Data)
	default:
		return nil, errorf("image", qr.ErrOptions, "unknown mode %d", c.Mode)
	}
	if err := enc.Check(); err != nil {
		return nil, wrapErr("image", qr.ErrOptions, err, "data does not fit mode %v", c.Mode)
	}
	if c.Version < 1 || c.Version > wire.MaxVersion {
		return nil, errorf("image", qr.ErrOptions, "version %d", c.Version)
	}
	// ISO/IEC 18004 §7.8.3: evaluate all eight masks, keep the one with
	// the lowest penalty (rsc.io/qr's Encode always uses mask 0).
	var best *coding.Code
	bestScore := -1
	for m := coding.Mask(0); m < 8; m++ {
		p, err := coding.NewPlan(coding.Version(c.Version), coding.M, m)
		if err != nil {
			return nil, wrapErr("image", qr.ErrOptions, err, "plan")
		}
		cc, err := p.Encode(enc)
		if err != nil {
			return nil, wrapErr("image", qr.ErrTooLarge, err, "version %d", c.Version)
		}
		if score := maskPenalty(cc); bestScore < 0 || score < bestScore {
			best, bestScore = cc, score
		}
	}
	return &rscqr.Code{Bitmap: best.Bitmap, Size: best.Size, Stride: best.Stride, Scale: 1}, nil
}

// maskPenalty is the penalty score of ISO/IEC 18004 §7.8.3.1 (features
// N1 to N4) of a symbol.
func maskPenalty(c *coding.Code) int {
	n := c.Size
	dark := func(x, y int) bool { return c.Black(x, y) }
	score, darkCount := 0, 0
	for i := 0; i < n; i++ {
		// N1: runs of five or more same-colour modules in a row/column.
		for _, horiz := range []bool{true, false} {
			run := 1
			for j := 1; j <= n; j++ {
				same := false
				if j < n {
					if horiz {
						same = dark(j, i) == dark(j-1, i)
					} else {
						same = dark(i, j) == dark(i, j-1)
					}
				}
				if same {
					run++
					continue
				}
				if run >= 5 {
					score += 3 + run - 5
				}
				run = 1
			}
		}
	}
	pattern := []bool{true, false, true, true, true, false, true, false, false, false, false}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if dark(x, y) {
				darkCount++
			}
			// N2: 2×2 blocks of one colour.
			if x+1 < n && y+1 < n {
				d := dark(x, y)
				if dark(x+1, y) == d && dark(x, y+1) == d && dark(x+1, y+1) == d {
					score += 3
				}
			}
			// N3: 1:1:3:1:1 finder-like patterns with 4 light modules.
			if x+len(pattern) <= n {
				fwd, rev := true, true
				for k, p := range pattern {
					fwd = fwd && dark(x+k, y) == p
					rev = rev && dark(x+k, y) == pattern[len(pattern)-1-k]
				}
				if fwd || rev {
					score += 40
				}
			}
			if y+len(pattern) <= n {
				fwd, rev := true, true
				for k, p := range pattern {
					fwd = fwd && dark(x, y+k) == p
					rev = rev && dark(x, y+k) == pattern[len(pattern)-1-k]
				}
				if fwd || rev {
					score += 40
				}
			}
		}
	}
	// N4: deviation of the dark proportion from 50%, 10 points per 5%.
	pct := darkCount * 100 / (n * n)
	dev := pct - 50
	if dev < 0 {
		dev = -dev
	}
	return score + dev/5*10
}

// PNG renders c as a PNG image with scale pixels per module (1 to 32) and
// the 4-module quiet zone: a two-colour image, one bit a pixel, of the
// symbol at error correction level M in c's Mode and Version. A scale out
// of range, or a Code whose Mode, Version and Data do not make a symbol,
// fails with qr.ErrOptions (qr.ErrTooLarge for Data beyond its Version).
func PNG(c qr.Code, scale int) ([]byte, error) {
	if scale < 1 || scale > 32 {
		return nil, errorf("image", qr.ErrOptions, "scale %d, want 1 to 32", scale)
	}
	s, err := symbol(c)
	if err != nil {
		return nil, err
	}
	// A two-colour paletted image, written by image/png at one bit a
	// pixel. (rsc.io/qr's own PNG writer panics at scale 1.)
	n := (s.Size + 2*quietZone) * scale
	img := image.NewPaletted(image.Rect(0, 0, n, n), color.Palette{color.White, color.Black})
	for y := range s.Size {
		for x := range s.Size {
			if !s.Black(x, y) {
				continue
			}
			for dy := range scale {
				row := img.Pix[((y+quietZone)*scale+dy)*img.Stride:]
				for dx := range scale {
					row[(x+quietZone)*scale+dx] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		return nil, wrapErr("image", qr.ErrOptions, err, "PNG")
	}
	return buf.Bytes(), nil
}

// Terminal renders c as text for a terminal: two modules per character
// cell using the Unicode half blocks, dark modules as spaces on a light
// background (so it scans on a dark terminal), with the quiet zone. It
// fails like [PNG] for a Code that does not make a symbol.
func Terminal(c qr.Code) (string, error) {
	s, err := symbol(c)
	if err != nil {
		return "", err
	}
	// light reports whether module (x, y) is light, the quiet zone included.
	light := func(x, y int) bool {
		return !s.Black(x-quietZone, y-quietZone)
	}
	n := s.Size + 2*quietZone
	var sb strings.Builder
	for y := 0; y < n; y += 2 {
		for x := 0; x < n; x++ {
			top, bottom := light(x, y), y+1 < n && light(x, y+1)
			switch {
			case top && bottom:
				sb.WriteString("█")
			case top:
				sb.WriteString("▀")
			case bottom:
				sb.WriteString("▄")
			default:
				sb.WriteByte(' ')
			}
		}
		sb.WriteByte('\n')
	}
	return sb.String(), nil
}

// ScanImage decodes a PNG or JPEG image holding one QR code and returns its
// payload: raw bytes for a byte-mode symbol, the text otherwise. Pass the
// result to package verifier (verifier.Verifier.VerifyQR), or to qr.Decode
// or qr.Assembler.Add to read it unverified.
//
// The image is untrusted input: the file is capped at MaxImageSize bytes
// and MaxImagePixels pixels, and the search at MaxScanPixels pixels
// (MaxScanSide on the longer side) and MaxScanCandidates finder-pattern
// candidates, with DefaultScanBudget of time as a backstop, so every image
// is answered (an image over a bound with qr.ErrTooLarge or
// ErrImageTooComplex). Use a Scanner for another time budget.
func ScanImage(r io.Reader) ([]byte, error) {
	return Scanner{}.ScanImage(r)
}

// ScanDecoded is ScanImage for an image already decoded, such as a camera
// frame, with the same bounds.
func ScanDecoded(img image.Image) ([]byte, error) {
	return Scanner{}.ScanDecoded(img)
}
