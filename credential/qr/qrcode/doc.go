// Package qrcode draws and reads the QR code images of ikdkit's offline QR
// format (docs/qr-format.md §11): it renders a [qr.Code] as a PNG ([PNG])
// or as text for a terminal ([Terminal]), and scans a PNG or JPEG image, or
// a decoded camera frame, back to its payload ([ScanImage], [ScanDecoded],
// a [Scanner] for another time budget).
//
// # First steps
//
// Holder: make a Code with package qr (qr.Encode, qr.EncodeFrames) or
// package qr/request (request.Encode), and show it with [PNG] or
// [Terminal]. Verifier: scan with [ScanImage] and hand the payload to
// package verifier (verifier.Verifier.VerifyQR), or to qr.Decode or the
// wallet's request check, which decode and verify it.
//
// Rendering uses rsc.io/qr, whose coding package takes the exact mode,
// version and level, so the symbol is exactly the Code's and raw bytes stay
// raw; the mask is chosen by the ISO/IEC 18004 §7.8.3 penalty. Scanning
// uses github.com/makiuchi-d/gozxing, a pure-Go port of ZXing that returns
// byte-mode segments as raw bytes.
//
// # Untrusted input
//
// An image is untrusted input. The file is capped at [MaxImageSize] bytes
// and [MaxImagePixels] pixels, and the search at [MaxScanPixels] pixels
// ([MaxScanSide] on the longer side) and [MaxScanCandidates] finder-pattern
// candidates, with a time budget as a backstop ([DefaultScanBudget]), so
// every image is answered. Errors are *qr.Error values with Op "image"
// wrapping qr.ErrMalformed, qr.ErrTooLarge, qr.ErrOptions or
// [ErrImageTooComplex].
package qrcode

import (
	"fmt"

	"github.com/ikdkit/ikdkit/credential/qr"
)

func errorf(op string, sentinel error, format string, args ...any) *qr.Error {
	return &qr.Error{Op: op, Err: sentinel, Detail: fmt.Sprintf(format, args...)}
}

func wrapErr(op string, sentinel, cause error, format string, args ...any) *qr.Error {
	return &qr.Error{Op: op, Err: sentinel, Detail: fmt.Sprintf(format, args...), Cause: cause}
}
