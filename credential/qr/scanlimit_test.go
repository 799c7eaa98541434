package qr

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"testing"
)

// Adversarial and realistic images for the scan bound (issue 17,
// finding 10).

// finderTiles renders a w×h image tiled with QR finder patterns (ISO/IEC
// 18004 §6.3.3: a 7×7-module square, dark ring, light ring, 3×3 dark core,
// so that every line through the centre reads 1:1:3:1:1). Tile (i, j) uses
// module size modules[(i+j)%len(modules)], so neighbouring patterns have
// different sizes: ZXing's finder never sees three similar confirmed centres
// (HaveMultiplyConfirmedCenters), scans the whole image, and keeps every
// tile as a separate candidate. Each tile is a cell of 8×max(modules)
// pixels, the pattern centred in it on a light background.
// Deterministic: the same arguments give the same pixels.
func finderTiles(w, h int, modules []int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	maxM := 0
	for _, m := range modules {
		maxM = max(maxM, m)
	}
	cell := 8 * maxM
	for ty := 0; ty*cell < h; ty++ {
		for tx := 0; tx*cell < w; tx++ {
			m := modules[(tx+ty)%len(modules)]
			x0, y0 := tx*cell+(cell-7*m)/2, ty*cell+(cell-7*m)/2
			for my := 0; my < 7; my++ {
				for mx := 0; mx < 7; mx++ {
					if min(mx, my, 6-mx, 6-my) == 1 { // the light ring
						continue
					}
					for py := 0; py < m; py++ {
						for px := 0; px < m; px++ {
							if x, y := x0+mx*m+px, y0+my*m+py; x < w && y < h {
								img.SetGray(x, y, color.Gray{})
							}
						}
					}
				}
			}
		}
	}
	return img
}

// encodePNG encodes img as a PNG at best compression.
func encodePNG(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// adversarialPNGs are the finding's two images: finder patterns of
// module sizes 1 and 2 pixels, 1400 and 2400 pixels square, about 10 KB
// and 18 KB of PNG (the sizes in the issue). Before the bound, the first
// took minutes to scan and the second did not finish.
func adversarialPNGs(tb testing.TB) []struct {
	name string
	png  []byte
} {
	tb.Helper()
	var out []struct {
		name string
		png  []byte
	}
	for _, c := range []struct {
		name string
		side int
	}{{"10KB", 1400}, {"18KB", 2400}} {
		out = append(out, struct {
			name string
			png  []byte
		}{c.name, encodePNG(tb, finderTiles(c.side, c.side, []int{1, 2}))})
	}
	return out
}

// demoCode is the response QR of testdata/qr/seed-sdjwt.payload, as the
// demo shows it.
func demoCode(tb testing.TB) Code {
	tb.Helper()
	data, err := os.ReadFile("../../testdata/qr/seed-sdjwt.payload")
	if err != nil {
		tb.Fatal(err)
	}
	mode := Byte
	if bytes.HasPrefix(data, []byte("IKP1:")) {
		mode = Alphanumeric
	}
	return Code{Data: data, Mode: mode, Version: VersionFor(mode, len(data))}
}

// demoPNG renders demoCode at scale pixels per module.
func demoPNG(tb testing.TB, scale int) []byte {
	tb.Helper()
	b, err := demoCode(tb).PNG(scale)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// photoLike renders src roughly as a phone camera sees a QR on a screen
// or on paper: scaled by scale, rotated by deg degrees, on a mid-grey
// background, contrast reduced, lit unevenly (a gradient from left to
// right) and with uniform noise of ±noise levels (deterministic, from
// seed). Bilinear sampling.
func photoLike(src image.Image, scale, deg float64, noise int, seed uint64) *image.Gray {
	sb := src.Bounds()
	sw, sh := float64(sb.Dx()), float64(sb.Dy())
	rad := deg * math.Pi / 180
	sin, cos := math.Sin(rad), math.Cos(rad)
	margin := 0.15 * scale * max(sw, sh)
	w := int(scale*(sw*math.Abs(cos)+sh*math.Abs(sin)) + 2*margin)
	h := int(scale*(sw*math.Abs(sin)+sh*math.Abs(cos)) + 2*margin)
	lum := func(x, y int) float64 {
		if x < sb.Min.X || y < sb.Min.Y || x >= sb.Max.X || y >= sb.Max.Y {
			return -1
		}
		g := color.GrayModel.Convert(src.At(x, y)).(color.Gray)
		return float64(g.Y)
	}
	rng := detRand(seed)
	out := image.NewGray(image.Rect(0, 0, w, h))
	cx, cy := float64(w)/2, float64(h)/2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			// Inverse mapping: output pixel → source coordinates.
			dx, dy := (float64(x)+0.5-cx)/scale, (float64(y)+0.5-cy)/scale
			sx := cos*dx + sin*dy + sw/2 - 0.5 + float64(sb.Min.X)
			sy := -sin*dx + cos*dy + sh/2 - 0.5 + float64(sb.Min.Y)
			x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
			fx, fy := sx-float64(x0), sy-float64(y0)
			v, wsum := 0.0, 0.0
			for _, p := range [4]struct {
				x, y int
				w    float64
			}{{x0, y0, (1 - fx) * (1 - fy)}, {x0 + 1, y0, fx * (1 - fy)}, {x0, y0 + 1, (1 - fx) * fy}, {x0 + 1, y0 + 1, fx * fy}} {
				if l := lum(p.x, p.y); l >= 0 {
					v += l * p.w
					wsum += p.w
				}
			}
			const bg = 120.0
			v += bg * (1 - wsum)
			// Contrast 40..210, lighting gradient -20..+20.
			v = 40 + v*170/255 + 40*(float64(x)/float64(w)-0.5)
			if noise > 0 {
				v += float64(int(rng.Uint64()%uint64(2*noise+1)) - noise)
			}
			out.SetGray(x, y, color.Gray{Y: uint8(max(0, min(255, math.Round(v))))})
		}
	}
	return out
}

// BenchmarkScanAdversarial: scanning the finding's adversarial images
// next to the demo QR, plain and as a phone-photo-like image (1.3×
// module scale, rotated 7°, noise ±20).
func BenchmarkScanAdversarial(b *testing.B) {
	demo := demoPNG(b, 4)
	src, err := png.Decode(bytes.NewReader(demoPNG(b, 3)))
	if err != nil {
		b.Fatal(err)
	}
	photo := encodePNG(b, photoLike(src, 1.3, 7, 20, 1))
	cases := []struct {
		name string
		png  []byte
		ok   bool
	}{{"demo", demo, true}, {"photo", photo, true}}
	for _, a := range adversarialPNGs(b) {
		cases = append(cases, struct {
			name string
			png  []byte
			ok   bool
		}{"finders-" + a.name, a.png, false})
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.png)))
			for b.Loop() {
				_, err := ScanImage(bytes.NewReader(c.png))
				if (err == nil) != c.ok {
					b.Fatalf("scan: %v", err)
				}
			}
		})
	}
}
