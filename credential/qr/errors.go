package qr

import (
	"errors"
	"fmt"

	"github.com/ikdkit/ikdkit/credential/qr/internal/wire"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them inside an *Error, so callers branch with errors.Is and errors.As.
// Packages qr/request and qr/qrcode use them too, for the same failures.
var (
	// ErrPrefix: the payload does not start with an ikdkit QR prefix of the
	// expected kind (presentation, request or frame).
	ErrPrefix = wire.ErrPrefix
	// ErrVersion: the prefix names an envelope version this package does
	// not implement.
	ErrVersion = wire.ErrVersion
	// ErrEncoding: the base45 text is not valid RFC 9285 base45.
	ErrEncoding = wire.ErrEncoding
	// ErrTruncated: the payload is shorter than its framing says.
	ErrTruncated = wire.ErrTruncated
	// ErrChecksum: a header or body checksum does not match (a bit flip or
	// other corruption in transit).
	ErrChecksum = wire.ErrChecksum
	// ErrTooLarge: a documented size cap was exceeded (payload length,
	// decompressed size, number of presentations, disclosures or frames).
	ErrTooLarge = wire.ErrTooLarge
	// ErrMalformed: the framing or the CBOR content is not well formed.
	ErrMalformed = wire.ErrMalformed
	// ErrUnsupported: a value cannot be carried by this envelope version
	// (for example non-canonical base64url in an SD-JWT).
	ErrUnsupported = errors.New("qr: value not representable in the envelope")
	// ErrUnknownSigner: no certificate chain was found for an mdoc's
	// document signer reference ([ChainResolver]).
	ErrUnknownSigner = errors.New("qr: unknown signer")
	// ErrFrame: a frame does not belong to the sequence being assembled or
	// contradicts a frame already received.
	ErrFrame = errors.New("qr: inconsistent frame")
	// ErrIncomplete: a frame sequence is missing frames.
	ErrIncomplete = errors.New("qr: frame sequence incomplete")
	// ErrOptions: the caller's arguments are invalid.
	ErrOptions = errors.New("qr: invalid options")
)

// Error is the error type of this package, and of packages qr/request and
// qr/qrcode: Op names the operation, Err is one of the sentinel errors
// (of this package, or ErrUnregisteredVerifier and the others of package
// qr/request, or qrcode.ErrImageTooComplex), Detail says what exactly was
// wrong, and Cause (when set) is the underlying error from package sdjwt,
// mdoc, the COSE signature check or the image decoder, reachable through
// errors.Is and errors.As as well.
type Error struct {
	Op     string // "decode", "encode", "verify", "frame"; "request" (qr/request); "image" (qr/qrcode)
	Err    error  // one of the sentinel errors
	Detail string // human-readable; not for branching
	Cause  error  // optional underlying error
}

// Error returns "op: sentinel: detail: cause", each part when set.
func (e *Error) Error() string { return wire.Describe(e.Op, e.Err, e.Detail, e.Cause) }

// Unwrap returns the sentinel and, when set, the underlying cause.
func (e *Error) Unwrap() []error { return wire.UnwrapAll(e.Err, e.Cause) }

func errorf(op string, sentinel error, format string, args ...any) *Error {
	return &Error{Op: op, Err: sentinel, Detail: fmt.Sprintf(format, args...)}
}

func wrapErr(op string, sentinel, cause error, format string, args ...any) *Error {
	return &Error{Op: op, Err: sentinel, Detail: fmt.Sprintf(format, args...), Cause: cause}
}
