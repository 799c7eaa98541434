package keys

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them inside an [*Error].
var (
	// ErrUnsupportedAlgorithm: the algorithm name is not one of ES256,
	// ES384, ES512 or EdDSA.
	ErrUnsupportedAlgorithm = errors.New("keys: unsupported algorithm")
	// ErrUnsupportedKey: the key type or curve is not supported.
	ErrUnsupportedKey = errors.New("keys: unsupported key type")
	// ErrInvalidKey: the key material is malformed (bad length, point not
	// on the curve, inconsistent private and public parts).
	ErrInvalidKey = errors.New("keys: invalid key")
	// ErrMalformed: the PEM or JWK text is not well formed.
	ErrMalformed = errors.New("keys: malformed input")
	// ErrTooLarge: the input exceeds a documented size cap.
	ErrTooLarge = errors.New("keys: input too large")
	// ErrPrivateKeyMaterial: a public JWK carries private members.
	ErrPrivateKeyMaterial = errors.New("keys: private key material where a public key was expected")
)

// Error is the error type returned by this package. It wraps one of the
// sentinel errors; Detail says what exactly was wrong and is not meant for
// branching.
type Error struct {
	Err    error
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + ": " + e.Detail
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error { return e.Err }

func newErr(sentinel error, format string, args ...any) *Error {
	return &Error{Err: sentinel, Detail: fmt.Sprintf(format, args...)}
}
