package issuer

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them, usually inside an *Error that also names the operation, so callers
// branch with errors.Is and errors.As.
var (
	// ErrConfig: the issuer configuration is invalid.
	ErrConfig = errors.New("issuer: invalid configuration")
	// ErrInvalidInput: a request field is malformed or over a documented cap.
	ErrInvalidInput = errors.New("issuer: invalid input")
	// ErrNotFound: the registration, binding, credential or status list does
	// not exist.
	ErrNotFound = errors.New("issuer: not found")
	// ErrCodeInvalid: the tx_code of a credential offer is wrong. The
	// attempt is counted.
	ErrCodeInvalid = errors.New("issuer: wrong tx_code")
	// ErrCodeExpired: the pre-authorized code of a credential offer has
	// expired.
	ErrCodeExpired = errors.New("issuer: pre-authorized code expired")
	// ErrCodeUsed: the pre-authorized code was already redeemed (single
	// use), or its offer withdrawn by a new confirmation.
	ErrCodeUsed = errors.New("issuer: pre-authorized code already used")
	// ErrTooManyAttempts: the credential offer is dead after too many
	// wrong tx_codes; an operator must confirm the registration again.
	ErrTooManyAttempts = errors.New("issuer: too many wrong tx_codes")
	// ErrProof: the proof of possession is malformed, has the wrong typ,
	// algorithm, audience or time, or its signature does not verify.
	ErrProof = errors.New("issuer: invalid proof of possession")
	// ErrNonce: the proof's nonce is unknown, expired or already used.
	ErrNonce = errors.New("issuer: invalid or expired nonce")
	// ErrKeyMismatch: the proof was signed by a key other than the holder
	// key of the device binding.
	ErrKeyMismatch = errors.New("issuer: proof signed by another key")
	// ErrUnauthorizedType: the issuer is not authorised for the credential type.
	ErrUnauthorizedType = errors.New("issuer: credential type not authorised")
	// ErrBindingRevoked: the device binding was revoked (phone replaced or
	// reported lost); nothing more is issued to it.
	ErrBindingRevoked = errors.New("issuer: device binding revoked")
	// ErrListFull: no free status list index was found, even in new lists
	// (other processes sharing the store kept filling them).
	ErrListFull = errors.New("issuer: status list full")
	// ErrStore: the Store failed.
	ErrStore = errors.New("issuer: store failure")
	// ErrSigning: building or signing a credential failed.
	ErrSigning = errors.New("issuer: signing failed")
	// ErrInvalidToken: the access token of an OpenID4VCI request is
	// unknown, expired, or presented under the wrong scheme (Bearer for a
	// DPoP-bound token, or the reverse).
	ErrInvalidToken = errors.New("issuer: invalid access token")
	// ErrDPoP: a DPoP proof (RFC 9449) is missing where required, invalid,
	// or a replay of one already seen.
	ErrDPoP = errors.New("issuer: invalid DPoP proof")
	// ErrKeyAttestation: a key attestation (OpenID4VCI 1.0 Appendix D)
	// required for the credential type is missing, does not verify
	// against the attestation roots, does not attest the proof's key or
	// does not meet the required level.
	ErrKeyAttestation = errors.New("issuer: key attestation missing or not acceptable")
	// ErrRefreshToken: a refresh token (RFC 6749 §6) is unknown,
	// already used (its family is then revoked), revoked, expired, or of
	// a session that issued nothing.
	ErrRefreshToken = errors.New("issuer: invalid refresh token")
	// ErrDenied: the issuer will not issue this request (a configuration
	// already issued in the session, or a document the person does not
	// have).
	ErrDenied = errors.New("issuer: credential request denied")
)

// Error is the error type returned by this package. Op names the operation
// ("register", "confirm", "token", "credential", "issue", "revoke", ...), Err is one of
// the sentinel errors and Detail says what was wrong, for people, not for
// branching.
type Error struct {
	Op     string
	Err    error
	Detail string

	conflict bool // a uniqueness constraint of the store was violated
}

// isConflict reports whether err is a store uniqueness violation.
func isConflict(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.conflict
}

// Error implements error.
func (e *Error) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("%v (%s)", e.Err, e.Op)
	}
	return fmt.Sprintf("%v (%s): %s", e.Err, e.Op, e.Detail)
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error { return e.Err }

func errorf(op string, sentinel error, format string, args ...any) *Error {
	return &Error{Op: op, Err: sentinel, Detail: fmt.Sprintf(format, args...)}
}

// wrapStore turns an error from a Store into an *Error. Errors that are
// already *Error values of this package (for example ErrNotFound from the
// store) keep their sentinel.
func wrapStore(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Op == "" {
			e.Op = op
		}
		return e
	}
	return &Error{Op: op, Err: ErrStore, Detail: err.Error()}
}
