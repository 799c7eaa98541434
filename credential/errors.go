package credential

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them (usually inside a [*FieldError]), so callers branch with errors.Is.
var (
	// ErrSyntax reports a value with the wrong shape: wrong length, a
	// non-digit where digits are required, a string that is too long or uses
	// characters outside the allowed set.
	ErrSyntax = errors.New("credential: malformed value")
	// ErrUnknownRegion reports a region code that is not in the embedded
	// Kemendagri table (any historical list).
	ErrUnknownRegion = errors.New("credential: unknown region code")
	// ErrInvalidDate reports a date that does not exist in the calendar, or
	// a date outside the range the field allows.
	ErrInvalidDate = errors.New("credential: invalid date")
	// ErrUnknownCode reports a value outside a closed code list (religion,
	// marital status, blood type, ...).
	ErrUnknownCode = errors.New("credential: unknown code")
	// ErrMissing reports a required field or claim that is absent or empty.
	ErrMissing = errors.New("credential: required value missing")
	// ErrInconsistent reports fields that contradict each other, for example
	// an expiry date on a lifetime KTP-el, or a NIK whose encoded birth date
	// or sex differs from the stated ones (see [NIK.CheckConsistency]).
	ErrInconsistent = errors.New("credential: inconsistent values")
	// ErrClaimType reports a claim or mdoc element whose value has the wrong
	// JSON/CBOR type.
	ErrClaimType = errors.New("credential: claim has the wrong type")
	// ErrUnknownClaim reports a claim or mdoc element that the credential
	// type does not define. Decoding is strict so that data a verifier does
	// not understand is never silently dropped.
	ErrUnknownClaim = errors.New("credential: unknown claim")
	// ErrWrongType reports claims whose vct (or an mdoc doctype/namespace)
	// is not the one of the credential type being decoded.
	ErrWrongType = errors.New("credential: wrong credential type")
)

// FieldError says which field (or claim path) failed and why. It unwraps to
// one of the package's sentinel errors.
type FieldError struct {
	// Field is the Go field name or claim path, e.g. "NIK", "address.rt",
	// "members[2].relationship".
	Field string
	// Err is the sentinel (ErrSyntax, ErrUnknownCode, ...).
	Err error
	// Detail is a short human-readable explanation; it never contains the
	// personal value itself beyond what is needed to locate the problem.
	Detail string
}

// Error implements error.
func (e *FieldError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("%v: %s", e.Err, e.Field)
	}
	return fmt.Sprintf("%v: %s: %s", e.Err, e.Field, e.Detail)
}

// Unwrap returns the sentinel.
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field string, sentinel error, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Err: sentinel, Detail: fmt.Sprintf(format, args...)}
}

// within re-roots a *FieldError under a parent path ("address" + "rt" →
// "address.rt"); other errors are returned unchanged.
func within(parent string, err error) error {
	var fe *FieldError
	if err == nil || parent == "" || !errors.As(err, &fe) {
		return err
	}
	f := parent
	if fe.Field != "" {
		if fe.Field[0] == '[' {
			f += fe.Field
		} else {
			f += "." + fe.Field
		}
	}
	return &FieldError{Field: f, Err: fe.Err, Detail: fe.Detail}
}
