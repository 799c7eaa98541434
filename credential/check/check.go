// Package check names the steps in which ikdkit verifies a credential, and
// holds the one error type of the packages that verify: credential/sdjwt,
// credential/mdoc and verifier. A failed verification is an *[Error] that
// names the [Check] that failed and the credential it concerns, and wraps
// a sentinel error of the package that returned it, so callers branch with
// errors.Is on the sentinel and errors.As on *Error:
//
//	var e *check.Error
//	if errors.As(err, &e) && e.Check == check.Status { ... }
//
// The checks are listed in the order package verifier runs them.
package check

import "fmt"

// Check names a verification step.
type Check int

// The checks, in the order package verifier runs them.
const (
	// Format: size, encoding and structure of the presentation.
	Format Check = iota + 1
	// Trust: the issuer (its key or certificate chain) is one the
	// verifier trusts.
	Trust
	// Authorization: the issuer is authorised for the credential type.
	Authorization
	// Signature: the issuer's signature and its algorithm.
	Signature
	// Disclosure: disclosures, digests and docType match what the issuer
	// signed.
	Disclosure
	// Validity: the credential's own validity period.
	Validity
	// HolderBinding: the holder's key binding (SD-JWT KB-JWT, mdoc device
	// authentication) and the audience it names.
	HolderBinding
	// Freshness: the presentation's time and nonce.
	Freshness
	// Replay: the presentation was not verified before.
	Replay
	// Status: revocation and suspension (Token Status List).
	Status
	// Holder: the credentials of one presentation belong to one holder.
	Holder
	// Policy: the verifier's request policy.
	Policy
	// Input: the caller's options or arguments (not the presentation).
	Input
)

var names = [...]string{"", "format", "trust", "authorization", "signature", "disclosure", "validity",
	"holder binding", "freshness", "replay", "status", "holder", "policy", "input"}

// String returns the check's name, as error messages show it.
func (c Check) String() string {
	if c > 0 && int(c) < len(names) {
		return names[c]
	}
	return fmt.Sprintf("check(%d)", int(c))
}

// Error is a failed check. Err is a sentinel of the package that returned
// the error (sdjwt.ErrSignature, mdoc.ErrDigestMismatch,
// verifier.ErrRevoked, ...); Cause, when set, is an underlying error
// (another package's, or a crypto/x509 one), reachable through errors.Is
// and errors.As as well. Detail is for people, not for branching.
type Error struct {
	// Check is the step that failed.
	Check Check
	// Credential is the index of the credential the failure concerns in
	// the presentation (an mdoc document, an SD-JWT in a QR envelope), or
	// -1 when it concerns none in particular.
	Credential int
	// Err is the sentinel error.
	Err error
	// Detail says what exactly was wrong.
	Detail string
	// Cause is the underlying error, if any.
	Cause error
}

// Error describes the failure: the sentinel, the check, the credential, the
// detail and the cause.
func (e *Error) Error() string {
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

// Unwrap returns the sentinel and, if set, the cause.
func (e *Error) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

// New returns an *Error for check c and sentinel err with a formatted
// detail, concerning no credential in particular.
func New(c Check, err error, format string, args ...any) *Error {
	return &Error{Check: c, Credential: -1, Err: err, Detail: fmt.Sprintf(format, args...)}
}
