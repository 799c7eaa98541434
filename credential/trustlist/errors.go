package trustlist

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them inside an *Error.
var (
	// ErrMalformed: the token or its JSON payload is not well formed, or a
	// member has the wrong type or an invalid value.
	ErrMalformed = errors.New("trustlist: malformed trust list")
	// ErrTooLarge: a documented size cap was exceeded.
	ErrTooLarge = errors.New("trustlist: trust list exceeds a size limit")
	// ErrAlgorithm: the header alg is not the algorithm of the pinned key.
	ErrAlgorithm = errors.New("trustlist: algorithm not allowed")
	// ErrType: the typ header is not trustlist+jwt.
	ErrType = errors.New("trustlist: unexpected typ")
	// ErrSignature: the signature does not verify with the operator key.
	ErrSignature = errors.New("trustlist: invalid signature")
	// ErrOperator: the list names a different operator than the one pinned.
	ErrOperator = errors.New("trustlist: unexpected operator")
	// ErrNotYetValid: the list's iat is in the future beyond the skew.
	ErrNotYetValid = errors.New("trustlist: trust list not yet valid")
	// ErrRollback: the list's sequence number is not greater than the
	// current list's.
	ErrRollback = errors.New("trustlist: sequence number not newer than current list")
	// ErrFetch: fetching the list over HTTP failed.
	ErrFetch = errors.New("trustlist: fetching trust list failed")
	// ErrUnknownIssuer: no issuer with that id (or no key with that kid).
	ErrUnknownIssuer = errors.New("trustlist: issuer not in trust list")
	// ErrUnknownKey: the issuer has no key with that kid.
	ErrUnknownKey = errors.New("trustlist: no such key for issuer")
	// ErrOptions: the caller's arguments are invalid (programmer error).
	ErrOptions = errors.New("trustlist: invalid options")
)

// Error is the error type of this package. Op names the operation ("verify",
// "decode", "update", "refresh", "sign", "lookup"), Err is one of the
// sentinel errors and Detail says what exactly was wrong (for people, not for
// branching).
type Error struct {
	Op     string
	Err    error
	Detail string
}

// Error returns the sentinel message with the operation and detail.
func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Err.Error() + " (" + e.Op + ")"
	}
	return e.Err.Error() + " (" + e.Op + "): " + e.Detail
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error { return e.Err }

func errorf(op string, sentinel error, format string, args ...any) error {
	return &Error{Op: op, Err: sentinel, Detail: fmt.Sprintf(format, args...)}
}
