package qr_test

import (
	"errors"
	"fmt"

	"github.com/ikdkit/ikdkit/credential/qr"
)

// A verifier tells a corrupted or foreign QR apart by the typed error.
func ExampleDecode_errors() {
	for _, payload := range []string{"HC1:6BFOXN", "IKP2:ABC", "IKP1:ABCD"} {
		_, err := qr.Decode([]byte(payload))
		var e *qr.Error
		fmt.Println(errors.As(err, &e), errors.Is(err, qr.ErrPrefix), errors.Is(err, qr.ErrVersion), errors.Is(err, qr.ErrTruncated))
	}
	// Output:
	// true true false false
	// true false true false
	// true false false true
}

// VersionFor says how large a QR a payload needs at error correction
// level M.
func ExampleVersionFor() {
	fmt.Println(qr.VersionFor(qr.Byte, 560), qr.VersionFor(qr.Byte, 561), qr.VersionFor(qr.Alphanumeric, 970))
	// Output: 18 19 20
}
