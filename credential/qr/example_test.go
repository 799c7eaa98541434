package qr_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ikdkit/ikdkit/credential/qr"
)

// A verifier tells a corrupted or foreign QR apart by the typed error.
func ExampleDecode_errors() {
	for _, payload := range []string{"HC1:6BFOXN", "IKP3:ABC", "IKP2:ABCD"} {
		_, err := qr.Decode([]byte(payload))
		var e *qr.Error
		fmt.Println(errors.As(err, &e), errors.Is(err, qr.ErrPrefix), errors.Is(err, qr.ErrVersion), errors.Is(err, qr.ErrTruncated))
	}
	// Output:
	// true true false false
	// true false true false
	// true false false true
}

// NewCode puts a payload held as text (here the start of a response QR's
// base45 text) into a QR code: alphanumeric mode, the smallest version at
// error correction level M.
func ExampleNewCode() {
	c, err := qr.NewCode([]byte("IKP1:" + strings.Repeat("6BFOXN", 150)))
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Mode, c.Version)
	// Output: alphanumeric 19
}
