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
	// ErrMalformed: the presentation or its envelope is not well formed.
	ErrMalformed = errors.New("verifier: malformed presentation")
	// ErrUntrustedIssuer: the issuer (key or IACA root) is not in the trust list.
	ErrUntrustedIssuer = errors.New("verifier: issuer not in the trust list")
	// ErrUnauthorizedType: the issuer is listed but not for this credential type.
	ErrUnauthorizedType = errors.New("verifier: issuer not authorised for this credential type")
	// ErrSignature: the issuer signature does not verify.
	ErrSignature = errors.New("verifier: invalid issuer signature")
	// ErrDisclosure: a disclosure, digest or docType does not match what the issuer signed.
	ErrDisclosure = errors.New("verifier: invalid disclosure or digest")
	// ErrHolderBinding: the KB-JWT or device authentication is missing or invalid.
	ErrHolderBinding = errors.New("verifier: holder binding failed")
	// ErrAudience: the presentation is bound to another verifier.
	ErrAudience = errors.New("verifier: presentation made for another verifier")
	// ErrNotFresh: the presentation is older than the window, from the
	// future beyond the skew, or carries another nonce than the request's.
	ErrNotFresh = errors.New("verifier: presentation not fresh")
	// ErrReplay: the presentation was already verified within its window.
	ErrReplay = errors.New("verifier: presentation replayed")
	// ErrExpired: the credential's validity period has ended.
	ErrExpired = errors.New("verifier: credential expired")
	// ErrNotYetValid: the credential's validity period has not begun.
	ErrNotYetValid = errors.New("verifier: credential not yet valid")
	// ErrRevoked: the status list says the credential is revoked (Invalid),
	// or holds a status value without a defined meaning.
	ErrRevoked = errors.New("verifier: credential revoked")
	// ErrSuspended: the status list says the credential is suspended.
	ErrSuspended = errors.New("verifier: credential suspended")
	// ErrStatusStale: the cached status list is older than the policy allows
	// (or expired); refresh the status cache.
	ErrStatusStale = errors.New("verifier: status information too old")
	// ErrStatusUnavailable: no status answer: the credential has no status
	// reference, or its list is not cached or does not cover its index.
	ErrStatusUnavailable = errors.New("verifier: no status information for credential")
	// ErrHolderMismatch: credentials in one presentation are bound to
	// different holder keys or carry different (or missing) NIKs.
	ErrHolderMismatch = errors.New("verifier: credentials belong to different holders")
	// ErrPolicy: a claim or credential type the policy requires is missing.
	ErrPolicy = errors.New("verifier: presentation does not satisfy the request policy")
	// ErrConfig: the verifier's configuration or a call argument is invalid.
	ErrConfig = errors.New("verifier: invalid configuration")
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

// Error describes the failed check, the credential and the cause.
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
