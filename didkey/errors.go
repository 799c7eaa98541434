package didkey

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them inside an [*Error].
var (
	// ErrInvalidDID: the string is not a did:key DID (wrong scheme or
	// method, empty or extra parts, path, query, or too long).
	ErrInvalidDID = errors.New("didkey: not a valid did:key")
	// ErrNotMultibase: the method-specific identifier is not base58btc
	// multibase: it does not start with "z" or has characters outside the
	// base58btc alphabet.
	ErrNotMultibase = errors.New("didkey: identifier is not base58btc multibase")
	// ErrMalformedMulticodec: the multicodec varint prefix is truncated,
	// too long or not minimally encoded.
	ErrMalformedMulticodec = errors.New("didkey: malformed multicodec prefix")
	// ErrUnknownMulticodec: the multicodec code is not a public key type
	// this package knows.
	ErrUnknownMulticodec = errors.New("didkey: unknown multicodec")
	// ErrUnsupportedKeyType: the key type is known but not supported (RSA,
	// BLS12-381, Ed448, X448, ...), or a Go key type has no did:key form.
	ErrUnsupportedKeyType = errors.New("didkey: unsupported key type")
	// ErrKeyLength: the raw key is shorter than its key type requires.
	ErrKeyLength = errors.New("didkey: wrong public key length")
	// ErrTrailingBytes: there are bytes after the raw key of its key type.
	ErrTrailingBytes = errors.New("didkey: trailing bytes after the public key")
	// ErrInvalidPublicKey: the key bytes have the right length but are not
	// a valid key: a bad point-format byte, a coordinate out of range, a
	// point not on the curve, or a non-canonical encoding.
	ErrInvalidPublicKey = errors.New("didkey: invalid public key")
	// ErrRepresentationNotSupported: the key cannot be given in the asked
	// form, e.g. a secp256k1 jwk.Key when jwx is built without its
	// jwx_es256k tag, or an unknown verification method type.
	ErrRepresentationNotSupported = errors.New("didkey: representation not supported")
)

// Error is the error type returned by this package. It wraps one of the
// sentinel errors. Detail says what exactly was wrong; it is for people, not
// for branching.
type Error struct {
	// Input is the DID (or key ID) being parsed, cut to 128 bytes; empty
	// when encoding a key.
	Input  string
	Err    error
	Detail string
}

func (e *Error) Error() string {
	msg := e.Err.Error()
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Input != "" {
		msg += fmt.Sprintf(" (in %q)", e.Input)
	}
	return msg
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error { return e.Err }

// Code returns the name of the error in the did:key specification
// (v0.7 §3.1 and §4 "Errors" of the W3C CCG draft): "invalidDid",
// "invalidPublicKeyLength", "invalidPublicKey", "unsupportedPublicKeyType"
// or "representationNotSupported". DID resolvers report this code in the
// resolution metadata.
func (e *Error) Code() string {
	switch e.Err {
	case ErrKeyLength, ErrTrailingBytes:
		return "invalidPublicKeyLength"
	case ErrInvalidPublicKey:
		return "invalidPublicKey"
	case ErrUnknownMulticodec, ErrUnsupportedKeyType:
		return "unsupportedPublicKeyType"
	case ErrRepresentationNotSupported:
		return "representationNotSupported"
	default:
		return "invalidDid"
	}
}

const maxInputInError = 128

func newErr(input string, sentinel error, format string, args ...any) *Error {
	if len(input) > maxInputInError {
		input = input[:maxInputInError] + "..."
	}
	return &Error{Input: input, Err: sentinel, Detail: fmt.Sprintf(format, args...)}
}
