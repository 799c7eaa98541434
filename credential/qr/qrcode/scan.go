package qrcode

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"io"
	"math"
	"time"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"

	"github.com/ikdkit/ikdkit/credential/qr"
)

// Bounded scanning (issue 17, finding 10).
//
// gozxing's QR reader cannot be cancelled, and its finder-pattern search
// has no bound. Every 1:1:3:1:1 cross that passes the vertical,
// horizontal and diagonal checks becomes a candidate centre
// (FinderPatternFinder.HandlePossibleCenter, which searches the candidates
// linearly on every hit), the search stops early only once three confirmed
// centres of about one module size are found (HaveMultiplyConfirmedCenters),
// and SelectBestPatterns then tries every triple of candidates. A small PNG
// tiled with finder patterns of mixed module sizes never stops early and
// keeps thousands of candidates: billions of triples, minutes of CPU.
//
// The Scanner therefore bounds the work itself, in three ways, none of
// which leaves work running after it returns:
//
//   - pixels: the image is converted to luminance and downscaled by an
//     integer box filter to at most MaxScanPixels before the search, which
//     bounds the binarizer and every cross-check (each is linear in the
//     image side);
//   - candidates: the scanner runs ZXing's finder-pattern loop itself
//     (findFinderPatterns, the loop of FinderPatternFinder.Find with the
//     TRY_HARDER row step, calling gozxing's exported pieces) and stops with
//     ErrImageTooComplex as soon as there are more than MaxScanCandidates
//     candidates, so the triple search is at most MaxScanCandidates³/6;
//   - time: a budget (Scanner.Budget, DefaultScanBudget) is checked before
//     each stage and on every row of the luminance conversion and of the
//     finder search, the only loops whose length depends on the image. It
//     is a backstop: the caps above are what keep a scan short, and they
//     do not depend on how loaded the machine is.
//
// The steps after the search (sampling the grid of the chosen triple,
// Reed–Solomon decoding, the pure-barcode fallback) are bounded by QR
// version 40 and by the downscaled image, and are not interrupted.

// Scan bounds. The pixel and candidate caps are deterministic: an image
// over them fails the same way on every machine, and within them the
// slowest images found scan in about 0.5 s on a 2-core amd64 machine (a
// 25-megapixel 16-bit PNG, mostly decoding; stripes that make every row a
// 1:1:3:1:1 cross), the adversarial finder-pattern tilings in tens of
// milliseconds. The time budget is a backstop on top of them.
const (
	// MaxScanPixels is the most pixels the QR search looks at. Larger
	// images (up to MaxImagePixels) are downscaled by the smallest integer
	// factor that fits, averaging each k×k block: a 12-megapixel phone
	// photo (4032×3024) is searched at 2016×1512, where a version-27 symbol
	// filling a third of the frame still has 5 pixels per module.
	MaxScanPixels = 4_000_000
	// MaxScanSide is the longest side, in pixels, the QR search looks at;
	// a longer image is downscaled like one over MaxScanPixels. Each
	// cross-check of a candidate walks a row or column, so without it a
	// tall, narrow image of MaxScanPixels would cost the square of its
	// height.
	MaxScanSide = 2560
	// MaxScanCandidates is the most finder-pattern candidates (ISO/IEC
	// 18004 §6.3.3 1:1:3:1:1 crosses at distinct places or module sizes)
	// the search keeps. A photo of one QR code yields its three finder
	// patterns and some look-alikes (up to about 40 in the noisiest
	// photo-like test images); an image that yields more is rejected with
	// ErrImageTooComplex rather than trying every triple.
	MaxScanCandidates = 128
	// DefaultScanBudget is the time a Scanner with a zero Budget (and so
	// ScanImage and ScanDecoded) allows a scan, image decoding included:
	// a backstop against a slow path the caps above miss, generous
	// because a wall-clock limit also fires when the machine is merely
	// busy (a 1 s default failed a scan of the demo QR, milliseconds when
	// idle, under go test -race on a loaded 2-core machine). Set
	// Scanner.Budget for a tighter deadline, such as one per camera frame.
	DefaultScanBudget = 10 * time.Second
)

// ErrImageTooComplex: the image holds more finder-pattern look-alikes than
// MaxScanCandidates, or the scan did not finish within its time budget.
// It is returned inside a *qr.Error with Op "image", like the other
// errors of this package; the Detail says which bound was hit.
var ErrImageTooComplex = errors.New("qr: image too complex to scan")

// Scanner reads a QR code from an image within the bounds above. The zero
// value is ready to use and is what ScanImage and ScanDecoded use. A
// Scanner is safe for concurrent use if its Now is.
type Scanner struct {
	// Budget is the most time one scan may take, measured from the call
	// (for ScanImage, reading and decoding the image file included). Zero
	// means DefaultScanBudget; negative is a qr.ErrOptions error. A scan
	// that runs out returns ErrImageTooComplex. The budget is checked on
	// every row of the luminance conversion and of the finder search and
	// between the other stages, which cannot be interrupted (decoding the
	// image file, binarizing, decoding the symbol), so a scan can overrun
	// it by one of those stages.
	Budget time.Duration
	// Now is the clock the budget is measured with; nil means time.Now.
	Now func() time.Time
}

// ScanImage decodes a PNG or JPEG image holding one QR code and returns its
// payload, like the package-level ScanImage, within s's bounds.
func (s Scanner) ScanImage(r io.Reader) ([]byte, error) {
	b, err := s.start()
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxImageSize+1))
	if err != nil {
		return nil, wrapErr("image", qr.ErrMalformed, err, "read")
	}
	if len(data) > MaxImageSize {
		return nil, errorf("image", qr.ErrTooLarge, "image over %d bytes", MaxImageSize)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, wrapErr("image", qr.ErrMalformed, err, "image header")
	}
	if err := checkPixels(cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, wrapErr("image", qr.ErrMalformed, err, "image")
	}
	return scan(img, b)
}

// ScanDecoded is ScanImage for an image already decoded, such as a camera
// frame. Images over MaxImagePixels are rejected with qr.ErrTooLarge.
func (s Scanner) ScanDecoded(img image.Image) ([]byte, error) {
	b, err := s.start()
	if err != nil {
		return nil, err
	}
	return scan(img, b)
}

// budget is one scan's deadline.
type budget struct {
	now      func() time.Time
	deadline time.Time
	limit    time.Duration
}

func (s Scanner) start() (*budget, error) {
	if s.Budget < 0 {
		return nil, errorf("image", qr.ErrOptions, "scan budget %v", s.Budget)
	}
	b := &budget{now: s.Now, limit: s.Budget}
	if b.now == nil {
		b.now = time.Now
	}
	if b.limit == 0 {
		b.limit = DefaultScanBudget
	}
	b.deadline = b.now().Add(b.limit)
	return b, nil
}

// check fails once the deadline has passed; stage names the step for the
// error's Detail.
func (b *budget) check(stage string) error {
	if b.now().After(b.deadline) {
		return errorf("image", ErrImageTooComplex, "scan budget of %v used up (%s)", b.limit, stage)
	}
	return nil
}

func checkPixels(w, h int) error {
	if w <= 0 || h <= 0 {
		return errorf("image", qr.ErrMalformed, "empty image (%d×%d pixels)", w, h)
	}
	if int64(w)*int64(h) > MaxImagePixels {
		return errorf("image", qr.ErrTooLarge, "image of %d×%d pixels", w, h)
	}
	return nil
}

// scan finds and decodes the QR code in img.
func scan(img image.Image, b *budget) ([]byte, error) {
	r := img.Bounds()
	if err := checkPixels(r.Dx(), r.Dy()); err != nil {
		return nil, err
	}
	lum, w, h, err := scanLuminance(img, b)
	if err != nil {
		return nil, err
	}
	src, err := gozxing.NewPlanarYUVLuminanceSource(lum, w, h, 0, 0, w, h, false)
	if err != nil {
		return nil, wrapErr("image", qr.ErrMalformed, err, "bitmap")
	}
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
	if err != nil {
		return nil, wrapErr("image", qr.ErrMalformed, err, "bitmap")
	}
	matrix, err := bmp.GetBlackMatrix()
	if err != nil {
		return nil, wrapErr("image", qr.ErrMalformed, err, "no QR code found")
	}
	if err := b.check("binarize"); err != nil {
		return nil, err
	}
	out, err := detectAndDecode(matrix, b)
	if err == nil {
		return out, nil
	}
	if errors.Is(err, ErrImageTooComplex) && b.check("search") != nil {
		return nil, err
	}
	// The finder-pattern detector occasionally misjudges a clean,
	// axis-aligned symbol (a screenshot or a rendered PNG); ZXing's
	// pure-barcode path reads those directly, in time linear in the image.
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true}
	if res, err2 := zxqr.NewQRCodeReader().Decode(bmp, hints); err2 == nil {
		segs, _ := res.GetResultMetadata()[gozxing.ResultMetadataType_BYTE_SEGMENTS].([][]byte)
		return payload(res.GetText(), segs)
	}
	return nil, err
}

// detectAndDecode locates a QR code with the bounded finder-pattern search
// and decodes it.
func detectAndDecode(matrix *gozxing.BitMatrix, b *budget) ([]byte, error) {
	info, err := findFinderPatterns(matrix, b)
	if err != nil {
		return nil, err
	}
	det, err := detector.NewDetector(matrix).ProcessFinderPatternInfo(info)
	if err != nil {
		return nil, wrapErr("image", qr.ErrMalformed, err, "no QR code found")
	}
	res, err := decoder.NewDecoder().Decode(det.GetBits(), nil)
	if err != nil {
		return nil, wrapErr("image", qr.ErrMalformed, err, "no QR code found")
	}
	return payload(res.GetText(), res.GetByteSegments())
}

// payload is the scanned data: the raw bytes of the byte-mode segments
// when there are any, the text otherwise.
func payload(text string, segs [][]byte) ([]byte, error) {
	var out []byte
	if len(segs) > 0 {
		out = bytes.Join(segs, nil)
	} else {
		out = []byte(text)
	}
	if len(out) == 0 {
		return nil, errorf("image", qr.ErrMalformed, "the QR code holds no data")
	}
	return out, nil
}

// findFinderPatterns is FinderPatternFinder.Find of gozxing v0.1.1 (ZXing's
// FinderPatternFinder.find) with the TRY_HARDER row step, bounded: it
// fails with ErrImageTooComplex once there are more than MaxScanCandidates
// candidate centres or the budget is used up, and only then runs
// SelectBestPatterns, whose triple search is cubic in the candidates.
func findFinderPatterns(m *gozxing.BitMatrix, b *budget) (*detector.FinderPatternInfo, error) {
	f := detector.NewFinderPatternFinder(m, nil)
	maxI, maxJ := m.GetHeight(), m.GetWidth()
	// handle cross-checks the pattern ending at column j of row i and
	// reports whether it was confirmed as a candidate centre.
	handle := func(sc []int, i, j int) (bool, error) {
		ok := f.HandlePossibleCenter(sc, i, j)
		if n := len(f.GetPossibleCenters()); n > MaxScanCandidates {
			return false, errorf("image", ErrImageTooComplex, "over %d finder-pattern candidates", MaxScanCandidates)
		}
		return ok, nil
	}
	iSkip := detector.FinderPatternFinder_MIN_SKIP
	done, hasSkipped := false, false
	sc := make([]int, 5) // run lengths: dark, light, dark (centre), light, dark
	for i := iSkip - 1; i < maxI && !done; i += iSkip {
		if err := b.check("finder search"); err != nil {
			return nil, err
		}
		clear(sc)
		state := 0
		for j := 0; j < maxJ; j++ {
			if m.Get(j, i) { // dark
				if state&1 == 1 {
					state++
				}
				sc[state]++
				continue
			}
			switch {
			case state&1 == 1: // a light run goes on
				sc[state]++
				continue
			case state < 4: // a dark run ends inside the pattern
				state++
				sc[state]++
				continue
			}
			// Light after the fifth run: a possible pattern ends here.
			if !detector.FinderPatternFinder_foundPatternCross(sc) {
				detector.FinderPatternFinder_ShiftCounts2(sc)
				state = 3
				continue
			}
			confirmed, err := handle(sc, i, j)
			if err != nil {
				return nil, err
			}
			if !confirmed {
				detector.FinderPatternFinder_ShiftCounts2(sc)
				state = 3
				continue
			}
			// From the first confirmed centre on, ZXing looks at every
			// other row.
			iSkip = 2
			if hasSkipped {
				done = f.HaveMultiplyConfirmedCenters()
			} else if skip, ok := rowSkip(f.GetPossibleCenters()); ok {
				hasSkipped = true
				if skip > sc[2] {
					i += skip - sc[2] - iSkip
					j = maxJ - 1
				}
			}
			state = 0
			clear(sc)
		}
		if detector.FinderPatternFinder_foundPatternCross(sc) {
			confirmed, err := handle(sc, i, maxJ)
			if err != nil {
				return nil, err
			}
			if confirmed {
				iSkip = sc[0]
				if hasSkipped {
					done = f.HaveMultiplyConfirmedCenters()
				}
			}
		}
	}
	if err := b.check("finder search"); err != nil {
		return nil, err
	}
	fps, err := f.SelectBestPatterns()
	if err != nil {
		return nil, wrapErr("image", qr.ErrMalformed, err, "no QR code found")
	}
	bl, tl, tr := gozxing.ResultPoint_OrderBestPatterns(fps[0], fps[1], fps[2])
	return detector.NewFinderPatternInfo(bl.(*detector.FinderPattern), tl.(*detector.FinderPattern), tr.(*detector.FinderPattern)), nil
}

// rowSkip is FinderPatternFinder.FindRowSkip: once two candidates are
// confirmed, how many rows can be skipped (ok reports that there are two).
func rowSkip(centers []*detector.FinderPattern) (skip int, ok bool) {
	var first *detector.FinderPattern
	for _, c := range centers {
		if c.GetCount() < detector.FinderPatternFinder_CENTER_QUORUM {
			continue
		}
		if first == nil {
			first = c
			continue
		}
		return int((math.Abs(first.GetX()-c.GetX()) - math.Abs(first.GetY()-c.GetY())) / 2), true
	}
	return 0, false
}

// scanLuminance returns img's luminance composited over white, one byte
// per pixel, downscaled by the smallest integer factor k that brings it to
// at most MaxScanPixels and MaxScanSide (each output pixel the mean of a
// k×k block).
func scanLuminance(img image.Image, b *budget) (lum []byte, w, h int, err error) {
	r := img.Bounds()
	k := 1
	for ceilDiv(r.Dx(), k)*ceilDiv(r.Dy(), k) > MaxScanPixels || max(ceilDiv(r.Dx(), k), ceilDiv(r.Dy(), k)) > MaxScanSide {
		k++
	}
	w, h = ceilDiv(r.Dx(), k), ceilDiv(r.Dy(), k)
	lum = make([]byte, w*h)
	read := rowReader(img)
	if k == 1 {
		for y := range h {
			if err := b.check("luminance"); err != nil {
				return nil, 0, 0, err
			}
			read(r.Min.Y+y, lum[y*w:(y+1)*w])
		}
		return lum, w, h, nil
	}
	row := make([]byte, r.Dx())
	sum := make([]uint32, w)
	for oy := range h {
		clear(sum)
		y0 := r.Min.Y + oy*k
		y1 := min(y0+k, r.Max.Y)
		for y := y0; y < y1; y++ {
			if err := b.check("luminance"); err != nil {
				return nil, 0, 0, err
			}
			read(y, row)
			for ox := range sum {
				for _, v := range row[ox*k : min((ox+1)*k, len(row))] {
					sum[ox] += uint32(v)
				}
			}
		}
		out := lum[oy*w : (oy+1)*w]
		for ox := range out {
			n := uint32(min(k, r.Dx()-ox*k) * (y1 - y0))
			out[ox] = byte((sum[ox] + n/2) / n)
		}
	}
	return lum, w, h, nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// rowReader returns a function that writes the luminance of row y of img
// (composited over white, as ZXing's luminance sources do) to dst, whose
// length is img's width. PNG and JPEG decode to the types with a fast
// path; others go through At.
func rowReader(img image.Image) func(y int, dst []byte) {
	r := img.Bounds()
	switch m := img.(type) {
	case *image.Gray:
		return func(y int, dst []byte) {
			copy(dst, m.Pix[m.PixOffset(r.Min.X, y):])
		}
	case *image.YCbCr: // JPEG: the Y plane is the luminance
		return func(y int, dst []byte) {
			copy(dst, m.Y[m.YOffset(r.Min.X, y):])
		}
	case *image.RGBA: // premultiplied: over white, c + (1-α)·255
		return func(y int, dst []byte) {
			p := m.Pix[m.PixOffset(r.Min.X, y):]
			for x := range dst {
				q := p[4*x : 4*x+4]
				dst[x] = byte(min((uint32(q[0])+2*uint32(q[1])+uint32(q[2]))/4+255-uint32(q[3]), 255))
			}
		}
	case *image.NRGBA: // not premultiplied: over white, c·α + (1-α)·255
		return func(y int, dst []byte) {
			p := m.Pix[m.PixOffset(r.Min.X, y):]
			for x := range dst {
				q := p[4*x : 4*x+4]
				l, a := (uint32(q[0])+2*uint32(q[1])+uint32(q[2]))/4, uint32(q[3])
				dst[x] = byte((l*a + 255*(255-a) + 127) / 255)
			}
		}
	case *image.Gray16:
		return func(y int, dst []byte) {
			p := m.Pix[m.PixOffset(r.Min.X, y):]
			for x := range dst {
				dst[x] = p[2*x] // big-endian: the high byte
			}
		}
	case *image.RGBA64: // premultiplied, big-endian 16 bits
		return func(y int, dst []byte) {
			p := m.Pix[m.PixOffset(r.Min.X, y):]
			for x := range dst {
				q := p[8*x : 8*x+8]
				dst[x] = byte(min((uint32(q[0])+2*uint32(q[2])+uint32(q[4]))/4+255-uint32(q[6]), 255))
			}
		}
	case *image.NRGBA64: // not premultiplied, big-endian 16 bits
		return func(y int, dst []byte) {
			p := m.Pix[m.PixOffset(r.Min.X, y):]
			for x := range dst {
				q := p[8*x : 8*x+8]
				l, a := (uint32(q[0])+2*uint32(q[2])+uint32(q[4]))/4, uint32(q[6])
				dst[x] = byte((l*a + 255*(255-a) + 127) / 255)
			}
		}
	case *image.Paletted:
		var table [256]byte // indices past the palette read as black, as image/png does
		for i, c := range m.Palette {
			if i < len(table) {
				table[i] = colorLuminance(c)
			}
		}
		return func(y int, dst []byte) {
			p := m.Pix[m.PixOffset(r.Min.X, y):]
			for x := range dst {
				dst[x] = table[p[x]]
			}
		}
	}
	return func(y int, dst []byte) {
		for x := range dst {
			dst[x] = colorLuminance(img.At(r.Min.X+x, y))
		}
	}
}

// colorLuminance is (R+2G+B)/4 of c composited over white.
func colorLuminance(c color.Color) byte {
	if c == nil {
		return 0
	}
	r, g, b, a := c.RGBA() // premultiplied, 16 bits
	return byte(min((r+2*g+b)/4+0xffff-a, 0xffff) >> 8)
}
