package verifier

import (
	"errors"

	"github.com/ikdkit/ikdkit/credential/check"
)

// Sentinel errors. Every error returned by this package is a *check.Error
// naming the failed check.Check and wrapping one of them (and, as Cause,
// the error of package sdjwt, mdoc, statuslist, qr or trustlist it comes
// from, if any).
var (
	// ErrMalformed: the presentation or its envelope is not well formed.
	ErrMalformed = errors.New("verifier: malformed presentation")
	// ErrUntrustedIssuer: the issuer (key or IACA root) is not in the trust list.
	ErrUntrustedIssuer = errors.New("verifier: issuer not in the trust list")
	// ErrTrustListStale: the trust list is past its next_update (plus
	// Config.TrustListGrace): refresh it. Reported at check.Trust.
	ErrTrustListStale = errors.New("verifier: trust list past its next update")
	// ErrUnauthorizedType: the issuer is listed but not for this credential type.
	ErrUnauthorizedType = errors.New("verifier: issuer not authorised for this credential type")
	// ErrSignature: the issuer signature does not verify.
	ErrSignature = errors.New("verifier: invalid issuer signature")
	// ErrDisclosure: a disclosure, digest or docType does not match what the issuer signed.
	ErrDisclosure = errors.New("verifier: invalid disclosure or digest")
	// ErrExpired: the credential's validity period has ended.
	ErrExpired = errors.New("verifier: credential expired")
	// ErrNotYetValid: the credential's validity period has not begun.
	ErrNotYetValid = errors.New("verifier: credential not yet valid")
	// ErrHolderBinding: the KB-JWT or device authentication is missing or invalid.
	ErrHolderBinding = errors.New("verifier: holder binding failed")
	// ErrAudience: the presentation is bound to another verifier.
	ErrAudience = errors.New("verifier: presentation made for another verifier")
	// ErrNotFresh: the presentation is older than the window, from the
	// future beyond the skew, or carries another nonce than the request's.
	ErrNotFresh = errors.New("verifier: presentation not fresh")
	// ErrReplay: the presentation (or one of its documents) was already
	// verified within its window.
	ErrReplay = errors.New("verifier: presentation replayed")
	// ErrReplayStoreFull: the replay store has no room for this
	// presentation without forgetting one that could still be replayed, so
	// the presentation is refused (fail closed). Reported at check.Replay.
	ErrReplayStoreFull = errors.New("verifier: replay store full")
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
	// ErrConfig: the verifier's configuration or a call argument is invalid
	// (check.Input).
	ErrConfig = errors.New("verifier: invalid configuration")
)

// fail returns the *check.Error of check c for credential idx (-1: none in
// particular).
func fail(c check.Check, idx int, sentinel error, cause error, format string, args ...any) *check.Error {
	e := check.New(c, sentinel, format, args...)
	e.Credential, e.Cause = idx, cause
	return e
}

// fromFormat turns an error of package sdjwt or mdoc (a *check.Error
// naming the failed check) into this package's: the same check, for
// credential idx, with the verifier's sentinel; the original is the Cause.
// expired and notYet are the format package's validity sentinels.
func fromFormat(idx int, err, audience, expired, notYet error) error {
	var e *check.Error
	if !errors.As(err, &e) {
		return fail(check.Format, idx, ErrMalformed, err, "")
	}
	if e.Credential > 0 {
		idx += e.Credential
	}
	var s error
	switch e.Check {
	case check.Trust:
		s = ErrUntrustedIssuer
	case check.Signature:
		s = ErrSignature
	case check.Disclosure:
		s = ErrDisclosure
	case check.Validity:
		switch {
		case errors.Is(err, expired):
			s = ErrExpired
		case errors.Is(err, notYet):
			s = ErrNotYetValid
		default:
			s = ErrMalformed // exp missing or not a NumericDate
		}
	case check.HolderBinding:
		s = ErrHolderBinding
		if audience != nil && errors.Is(err, audience) {
			s = ErrAudience
		}
	case check.Freshness:
		s = ErrNotFresh
	case check.Input:
		s = ErrConfig
	default:
		return fail(check.Format, idx, ErrMalformed, err, "")
	}
	return fail(e.Check, idx, s, err, "")
}
