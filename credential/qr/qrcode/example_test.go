package qrcode_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/qr/qrcode"
)

// A payload is drawn as a PNG (for a phone screen) and read back from the
// image, byte for byte; an image without a QR code is a typed error.
func Example() {
	// In practice the Code comes from qr.Encode (the holder's response)
	// or request.Encode (the verifier's request).
	code, err := qr.NewCode([]byte("IKP1:" + strings.Repeat("6BFOXN", 20)))
	if err != nil {
		panic(err)
	}
	png, err := qrcode.PNG(code, 4)
	if err != nil {
		panic(err)
	}
	scanned, err := qrcode.ScanImage(bytes.NewReader(png))
	if err != nil {
		panic(err)
	}
	fmt.Println(code.Mode, code.Version, bytes.Equal(scanned, code.Data))

	_, err = qrcode.ScanImage(strings.NewReader("not an image"))
	var e *qr.Error
	fmt.Println(errors.As(err, &e), e.Op, errors.Is(err, qr.ErrMalformed))
	// Output:
	// alphanumeric 6 true
	// true image true
}
