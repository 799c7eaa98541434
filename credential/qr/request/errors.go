package request

import (
	"errors"
	"fmt"

	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/qr/internal/wire"
)

// Sentinel errors of a request's verification, each returned inside a
// *qr.Error with Op "request" (decoding errors wrap the sentinels of
// package qr: qr.ErrPrefix, qr.ErrMalformed, ...; bad arguments
// qr.ErrOptions), so callers branch with errors.Is and errors.As.
var (
	// ErrUnregisteredVerifier: the request's verifier, or its key id, is
	// not registered in the caller's trust list.
	ErrUnregisteredVerifier = errors.New("qr: verifier not registered")
	// ErrSignature: the request's signature does not verify with the
	// registered key.
	ErrSignature = errors.New("qr: invalid signature")
	// ErrExpired: the request is outside its validity period (expired, or
	// issued in the future).
	ErrExpired = errors.New("qr: request expired")
	// ErrNotAllowed: the verifier asks for a credential type it is not
	// registered for, or for claims its registration does not allow.
	ErrNotAllowed = errors.New("qr: verifier not allowed to request these claims")
)

func errorf(op string, sentinel error, format string, args ...any) *qr.Error {
	return &qr.Error{Op: op, Err: sentinel, Detail: fmt.Sprintf(format, args...)}
}

func wrapErr(op string, sentinel, cause error, format string, args ...any) *qr.Error {
	return &qr.Error{Op: op, Err: sentinel, Detail: fmt.Sprintf(format, args...), Cause: cause}
}

// fromWire turns an error of the byte layer into a *qr.Error with the same
// operation, sentinel, detail and cause.
func fromWire(err error) error {
	var we *wire.Error
	if errors.As(err, &we) {
		return &qr.Error{Op: we.Op, Err: we.Err, Detail: we.Detail, Cause: we.Cause}
	}
	return err
}
