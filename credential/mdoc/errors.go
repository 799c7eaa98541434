package mdoc

import (
	"errors"
	"fmt"

	"github.com/ikdkit/ikdkit/internal/cose"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// Sentinel errors. Every error returned by this package wraps one of them, so
// callers branch with [errors.Is]; [Verify] fails with a *[check.Error]
// whose Err is one of them and whose Check names the step that failed.
var (
	// ErrMalformed reports input that is not the expected CBOR structure:
	// wrong types, missing members, duplicate map keys, indefinite lengths,
	// unexpected tags or trailing bytes.
	ErrMalformed = errors.New("mdoc: malformed input")
	// ErrTooLarge reports input over one of the documented caps
	// ([MaxMessageSize], [MaxNestingDepth], [MaxContainerItems], ...).
	ErrTooLarge = errors.New("mdoc: input exceeds a size limit")
	// ErrUnsupportedAlgorithm reports a key, curve, digest or COSE
	// algorithm this package does not accept.
	ErrUnsupportedAlgorithm = errors.New("mdoc: unsupported algorithm")
	// ErrUntrustedIssuer reports a document signer certificate that does not
	// chain to a caller-given trust anchor at the verification time, or
	// that violates the ISO 18013-5 Annex B certificate profile.
	ErrUntrustedIssuer = errors.New("mdoc: untrusted issuer")
	// ErrInvalidSignature reports an issuerAuth or deviceSignature whose
	// signature does not verify.
	ErrInvalidSignature = errors.New("mdoc: invalid signature")
	// ErrInvalidMAC reports a deviceMac whose tag does not verify.
	ErrInvalidMAC = errors.New("mdoc: invalid MAC")
	// ErrDocTypeMismatch reports a document whose docType differs from the
	// MobileSecurityObject's docType (or from the docType the caller asked
	// for).
	ErrDocTypeMismatch = errors.New("mdoc: docType mismatch")
	// ErrDigestMismatch reports a disclosed IssuerSignedItem whose digest is
	// absent from, or differs from, the MSO valueDigests.
	ErrDigestMismatch = errors.New("mdoc: value digest mismatch")
	// ErrDuplicate reports a repeated digestID or elementIdentifier within
	// a namespace.
	ErrDuplicate = errors.New("mdoc: duplicate digestID or elementIdentifier")
	// ErrNotYetValid reports a document whose validFrom is after the
	// verification time.
	ErrNotYetValid = errors.New("mdoc: document not yet valid")
	// ErrExpired reports a document whose validUntil is before the
	// verification time.
	ErrExpired = errors.New("mdoc: document expired")
	// ErrDeviceAuth reports missing or unusable device authentication
	// (for example deviceMac without a reader key, or device-signed
	// elements the MSO does not authorize).
	ErrDeviceAuth = errors.New("mdoc: device authentication failed")
	// ErrElementNotFound reports, on the holder side, a requested data
	// element the credential does not contain.
	ErrElementNotFound = errors.New("mdoc: requested element not in credential")
	// ErrInvalidArgument reports a caller error such as a missing signer,
	// an empty docType or a validity window that ends before it starts.
	ErrInvalidArgument = errors.New("mdoc: invalid argument")

	// ErrNoDocuments reports a DeviceResponse that carries no document:
	// nothing was presented, so there is nothing to verify.
	ErrNoDocuments = errors.New("mdoc: DeviceResponse holds no documents")

	// ErrResponseStatus reports a DeviceResponse whose status is not 0
	// (OK): the mdoc itself reports an error (ISO/IEC 18013-5 §8.3.2.1.2.3).
	ErrResponseStatus = errors.New("mdoc: DeviceResponse reports an error status")
)

// failure is the error of this package's steps: a sentinel, what was
// wrong, and an optional underlying error (a crypto/x509 error, say).
type failure struct {
	err    error
	detail string
	cause  error
}

// Error returns the sentinel's text, the detail and the cause.
func (f *failure) Error() string {
	s := f.err.Error()
	if f.detail != "" {
		s += ": " + f.detail
	}
	if f.cause != nil {
		s += ": " + f.cause.Error()
	}
	return s
}

// Unwrap returns the sentinel and, if set, the cause.
func (f *failure) Unwrap() []error {
	if f.cause != nil {
		return []error{f.err, f.cause}
	}
	return []error{f.err}
}

// errorf returns a failure wrapping sentinel with a formatted detail.
func errorf(sentinel error, format string, args ...any) error {
	return &failure{err: sentinel, detail: fmt.Sprintf(format, args...)}
}

// asFailure returns err as a failure of this package: the errors of
// internal/strictcbor and internal/cose are mapped to this package's
// sentinels (with the original text as the detail).
func asFailure(err error) *failure {
	var f *failure
	if errors.As(err, &f) {
		return f
	}
	sentinel := ErrMalformed
	switch {
	case errors.Is(err, strictcbor.ErrTooLarge):
		sentinel = ErrTooLarge
	case errors.Is(err, cose.ErrAlgorithm):
		sentinel = ErrUnsupportedAlgorithm
	case errors.Is(err, cose.ErrSignature):
		sentinel = ErrInvalidSignature
	case errors.Is(err, cose.ErrMAC):
		sentinel = ErrInvalidMAC
	case errors.Is(err, cose.ErrSigner):
		sentinel = ErrInvalidArgument
	}
	return &failure{err: sentinel, detail: err.Error()}
}

// wrap maps err with asFailure, so every error an exported function
// returns wraps a sentinel of this package; nil stays nil.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	return asFailure(err)
}
