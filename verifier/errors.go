package verifier

import (
	"errors"
	"fmt"
)

// Check names a verification step. The values are in the order the checks
// run.
type Check int

// The checks, in the order they run (see the package documentation).
const (
	CheckFormat        Check = iota + 1 // size, envelope, structure
	CheckTrust                          // issuer in the trust list
	CheckAuthorization                  // issuer authorised for the credential type
	CheckSignature                      // issuer signature
	CheckDisclosure                     // disclosures, digests, docType
	CheckHolderBinding                  // KB-JWT / device authentication
	CheckFreshness                      // presentation time window
	CheckReplay                         // presentation seen before
	CheckValidity                       // credential validity period
	CheckStatus                         // revocation and suspension
	CheckHolder                         // one holder key and one NIK across credentials
	CheckPolicy                         // the verifier's request policy
	CheckConfig                         // the caller's configuration
)

var checkNames = [...]string{"", "format", "trust", "authorization", "signature", "disclosure",
	"holder binding", "freshness", "replay", "validity", "status", "holder", "policy", "config"}

// String returns the check's name.
func (c Check) String() string {
	if c > 0 && int(c) < len(checkNames) {
		return checkNames[c]
	}
	return fmt.Sprintf("check(%d)", int(c))
}

// Sentinel errors. Every error returned by this package is a
// *VerificationError wrapping one of them.
var (
	ErrMalformed         = errors.New("verifier: malformed presentation")
	ErrUntrustedIssuer   = errors.New("verifier: issuer not in the trust list")
	ErrUnauthorizedType  = errors.New("verifier: issuer not authorised for this credential type")
	ErrSignature         = errors.New("verifier: invalid issuer signature")
	ErrDisclosure        = errors.New("verifier: invalid disclosure or digest")
	ErrHolderBinding     = errors.New("verifier: holder binding failed")
	ErrAudience          = errors.New("verifier: presentation made for another verifier")
	ErrNotFresh          = errors.New("verifier: presentation not fresh")
	ErrReplay            = errors.New("verifier: presentation replayed")
	ErrExpired           = errors.New("verifier: credential expired")
	ErrNotYetValid       = errors.New("verifier: credential not yet valid")
	ErrRevoked           = errors.New("verifier: credential revoked")
	ErrSuspended         = errors.New("verifier: credential suspended")
	ErrStatusStale       = errors.New("verifier: status information too old")
	ErrStatusUnavailable = errors.New("verifier: no status information for credential")
	ErrHolderMismatch    = errors.New("verifier: credentials belong to different holders")
	ErrPolicy            = errors.New("verifier: presentation does not satisfy the request policy")
	ErrConfig            = errors.New("verifier: invalid configuration")
)

// VerificationError is the error type of this package: the check that
// failed, the index of the credential it concerns (-1 when not specific),
// and the sentinel error. Cause, when set, is the underlying error of
// package sdjwt, mdoc, statuslist, qr or trustlist, reachable through
// errors.Is and errors.As too.
type VerificationError struct {
	Check      Check
	Credential int
	Err        error
	Detail     string
	Cause      error
}

func (e *VerificationError) Error() string {
	s := e.Err.Error() + " [" + e.Check.String() + "]"
	if e.Credential >= 0 {
		s += fmt.Sprintf(" (credential %d)", e.Credential)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap returns the sentinel and, if any, the underlying cause.
func (e *VerificationError) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

func fail(c Check, idx int, sentinel error, cause error, format string, args ...any) *VerificationError {
	return &VerificationError{Check: c, Credential: idx, Err: sentinel, Cause: cause, Detail: fmt.Sprintf(format, args...)}
}
