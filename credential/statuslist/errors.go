package statuslist

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them, usually inside an [*Error] that also names the operation.
var (
	// ErrMalformed: the input is not a well-formed Status List, Status List
	// Token or status claim.
	ErrMalformed = errors.New("statuslist: malformed input")
	// ErrTooLarge: a documented size cap was exceeded (token size,
	// decompressed list size, number of entries).
	ErrTooLarge = errors.New("statuslist: input exceeds a size limit")
	// ErrBits: bits is not one of 1, 2, 4 or 8.
	ErrBits = errors.New("statuslist: bits must be 1, 2, 4 or 8")
	// ErrStatusValue: a status value does not fit in the list's bits.
	ErrStatusValue = errors.New("statuslist: status value does not fit in bits")
	// ErrIndexOutOfRange: the index is beyond the end of the Status List.
	// The draft (§8.3 step 6) requires the Referenced Token to be rejected.
	ErrIndexOutOfRange = errors.New("statuslist: index out of range")
	// ErrAlgorithm: the algorithm is not supported, does not fit the key,
	// or differs from the algorithm in the token header.
	ErrAlgorithm = errors.New("statuslist: algorithm not allowed")
	// ErrUntrusted: the cache's key lookup has no trusted key for the uri.
	ErrUntrusted = errors.New("statuslist: no trusted key for status list uri")
	// ErrSignature: the token signature did not verify.
	ErrSignature = errors.New("statuslist: invalid signature")
	// ErrType: the JWT typ or CWT type (16) header is not the Status List
	// Token type.
	ErrType = errors.New("statuslist: unexpected token type")
	// ErrExpired: the Status List Token's exp has passed.
	ErrExpired = errors.New("statuslist: status list token expired")
	// ErrNotYetValid: the token's nbf or iat is in the future.
	ErrNotYetValid = errors.New("statuslist: status list token not yet valid")
	// ErrSubject: the token's sub differs from the uri that referenced it.
	ErrSubject = errors.New("statuslist: subject does not match uri")
	// ErrNotCached: the cache holds no verified token for the uri.
	ErrNotCached = errors.New("statuslist: no cached status list for uri")
	// ErrStale: the cached token is older than the policy allows.
	ErrStale = errors.New("statuslist: cached status list too old")
	// ErrRollback: a fetched token is older than the one already cached.
	ErrRollback = errors.New("statuslist: fetched token older than cached token")
	// ErrFetch: the HTTP request for a Status List Token failed.
	ErrFetch = errors.New("statuslist: fetching status list token failed")
	// ErrListFull: every index of the list has been allocated.
	ErrListFull = errors.New("statuslist: no unused index left")
)

// Error is the error type returned by this package. It wraps one of the
// sentinel errors; Op names the operation ("decode", "verify jwt", "verify
// cwt", "lookup", ...) and Detail says what exactly was wrong. Detail is for
// people, not for branching: use [errors.Is] with the sentinels.
type Error struct {
	Op     string
	Detail string
	Err    error
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("%v (%s)", e.Err, e.Op)
	}
	return fmt.Sprintf("%v (%s): %s", e.Err, e.Op, e.Detail)
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error { return e.Err }

func errorf(op string, sentinel error, format string, args ...any) error {
	return &Error{Op: op, Err: sentinel, Detail: fmt.Sprintf(format, args...)}
}
