package wire

import (
	"errors"
	"fmt"
)

// Sentinel errors of the byte layer. Package qr re-exports each under the
// same name (qr.ErrPrefix is ErrPrefix), so errors.Is works on either.
var (
	// ErrPrefix: the payload does not start with an ikdkit QR prefix of the
	// expected kind (presentation, request or frame).
	ErrPrefix = errors.New("qr: not an ikdkit QR payload")
	// ErrVersion: the prefix names an envelope version this package does
	// not implement.
	ErrVersion = errors.New("qr: unsupported envelope version")
	// ErrEncoding: the base45 text is not valid RFC 9285 base45.
	ErrEncoding = errors.New("qr: invalid base45")
	// ErrTruncated: the payload is shorter than its framing says.
	ErrTruncated = errors.New("qr: truncated payload")
	// ErrChecksum: a header or body checksum does not match (a bit flip or
	// other corruption in transit).
	ErrChecksum = errors.New("qr: checksum mismatch")
	// ErrTooLarge: a documented size cap was exceeded (payload length,
	// decompressed size, number of presentations, disclosures or frames).
	ErrTooLarge = errors.New("qr: input exceeds a size limit")
	// ErrMalformed: the framing or the CBOR content is not well formed.
	ErrMalformed = errors.New("qr: malformed envelope")
)

// Error is an error of the byte layer, with the fields of qr.Error: Op
// names the operation ("encode", "decode"), Err is one of the sentinels,
// Detail says what was wrong and Cause (when set) is the underlying error.
type Error struct {
	Op     string
	Err    error
	Detail string
	Cause  error
}

func (e *Error) Error() string { return Describe(e.Op, e.Err, e.Detail, e.Cause) }

// Unwrap returns the sentinel and, when set, the underlying cause.
func (e *Error) Unwrap() []error { return UnwrapAll(e.Err, e.Cause) }

// Describe is the message of an error of the QR packages: "op: sentinel:
// detail: cause", each part when set.
func Describe(op string, sentinel error, detail string, cause error) string {
	s := sentinel.Error()
	if op != "" {
		s = op + ": " + s
	}
	if detail != "" {
		s += ": " + detail
	}
	if cause != nil {
		s += ": " + cause.Error()
	}
	return s
}

// UnwrapAll is the Unwrap of an error of the QR packages: the sentinel and,
// when set, the cause.
func UnwrapAll(sentinel, cause error) []error {
	if cause != nil {
		return []error{sentinel, cause}
	}
	return []error{sentinel}
}

func errorf(op string, sentinel error, format string, args ...any) *Error {
	return &Error{Op: op, Err: sentinel, Detail: fmt.Sprintf(format, args...)}
}

func wrapErr(op string, sentinel, cause error, format string, args ...any) *Error {
	return &Error{Op: op, Err: sentinel, Detail: fmt.Sprintf(format, args...), Cause: cause}
}
