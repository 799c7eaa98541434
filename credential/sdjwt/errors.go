package sdjwt

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them, usually inside an [*Error] that also names the failed [Check].
var (
	// ErrMalformed: the input is not a well-formed SD-JWT, JWT or JSON.
	ErrMalformed = errors.New("sdjwt: malformed input")
	// ErrTooLarge: a documented size cap was exceeded.
	ErrTooLarge = errors.New("sdjwt: input exceeds a size limit")
	// ErrAlgorithm: the JWS algorithm is not allowed or does not fit the key.
	ErrAlgorithm = errors.New("sdjwt: algorithm not allowed")
	// ErrUnknownKey: no verification key could be found for the issuer.
	ErrUnknownKey = errors.New("sdjwt: no key for issuer")
	// ErrSignature: a signature did not verify.
	ErrSignature = errors.New("sdjwt: invalid signature")
	// ErrType: the typ header is not the one required.
	ErrType = errors.New("sdjwt: unexpected typ")
	// ErrHashAlgorithm: _sd_alg names an unsupported hash function.
	ErrHashAlgorithm = errors.New("sdjwt: unsupported _sd_alg")
	// ErrMalformedDisclosure: a disclosure is not a valid 2- or 3-element array.
	ErrMalformedDisclosure = errors.New("sdjwt: malformed disclosure")
	// ErrDuplicateDigest: a digest appears more than once in the payload and disclosures.
	ErrDuplicateDigest = errors.New("sdjwt: digest referenced more than once")
	// ErrDuplicateDisclosure: the same disclosure was presented twice.
	ErrDuplicateDisclosure = errors.New("sdjwt: duplicate disclosure")
	// ErrUnreferencedDisclosure: a disclosure's digest is not referenced anywhere.
	ErrUnreferencedDisclosure = errors.New("sdjwt: disclosure not referenced")
	// ErrClaimCollision: a disclosed claim name already exists at its level.
	ErrClaimCollision = errors.New("sdjwt: disclosed claim collides with an existing claim")
	// ErrReservedClaimName: a disclosure uses _sd or ... as its claim name.
	ErrReservedClaimName = errors.New("sdjwt: reserved claim name in disclosure")
	// ErrDisclosureKind: an object-property disclosure was referenced from an
	// array, or an array-element disclosure from an object.
	ErrDisclosureKind = errors.New("sdjwt: disclosure used in the wrong place")
	// ErrExpired: the issuer JWT's exp has passed.
	ErrExpired = errors.New("sdjwt: expired")
	// ErrNotYetValid: the issuer JWT's nbf or iat is in the future.
	ErrNotYetValid = errors.New("sdjwt: not yet valid")
	// ErrKeyBindingMissing: key binding was required but no KB-JWT was presented.
	ErrKeyBindingMissing = errors.New("sdjwt: key binding JWT missing")
	// ErrKeyBindingUnexpected: a KB-JWT was presented where none may be.
	ErrKeyBindingUnexpected = errors.New("sdjwt: unexpected key binding JWT")
	// ErrHolderKey: the cnf claim does not hold a usable holder key.
	ErrHolderKey = errors.New("sdjwt: no usable holder key in cnf")
	// ErrNonce: the KB-JWT nonce differs from the expected one.
	ErrNonce = errors.New("sdjwt: key binding nonce mismatch")
	// ErrAudience: the KB-JWT aud differs from the expected one.
	ErrAudience = errors.New("sdjwt: key binding audience mismatch")
	// ErrFreshness: the KB-JWT iat is outside the accepted window.
	ErrFreshness = errors.New("sdjwt: key binding JWT not fresh")
	// ErrSDHash: the KB-JWT sd_hash does not match the presentation.
	ErrSDHash = errors.New("sdjwt: sd_hash mismatch")
	// ErrMissingClaim: a claim required by the profile is absent.
	ErrMissingClaim = errors.New("sdjwt: required claim missing")
	// ErrNotDisclosable: a claim that must not be selectively disclosable was.
	ErrNotDisclosable = errors.New("sdjwt: claim must not be selectively disclosable")
	// ErrOptions: the caller's options or disclosure policy are invalid.
	ErrOptions = errors.New("sdjwt: invalid options")
	// ErrSigner: the issuer's or holder's crypto.Signer failed or returned
	// a malformed signature (a broken HSM or keystore driver).
	ErrSigner = errors.New("sdjwt: signer failed")
	// ErrSelection: a holder asked to disclose a claim the SD-JWT does not have.
	ErrSelection = errors.New("sdjwt: no such disclosable claim")
)

// Check names the verification step that failed.
type Check int

// The checks, in the order [Verify] performs them.
const (
	CheckFormat      Check = iota + 1 // parsing, sizes, encodings
	CheckAlgorithm                    // JWS alg allow-list and key fit
	CheckKey                          // issuer key resolution
	CheckSignature                    // issuer JWT signature
	CheckType                         // typ header
	CheckDisclosures                  // digests, disclosures, recursive processing
	CheckValidity                     // exp, nbf, iat of the issuer JWT
	CheckKeyBinding                   // KB-JWT: key, typ, signature, iat, nonce, aud, sd_hash
	CheckProfile                      // SD-JWT VC rules
	CheckOptions                      // the caller's options
	CheckIssue                        // issuance-side validation
	CheckPresent                      // holder-side selection and presentation
)

var checkNames = map[Check]string{
	CheckFormat:      "format",
	CheckAlgorithm:   "algorithm",
	CheckKey:         "issuer key",
	CheckSignature:   "issuer signature",
	CheckType:        "typ",
	CheckDisclosures: "disclosures",
	CheckValidity:    "validity",
	CheckKeyBinding:  "key binding",
	CheckProfile:     "sd-jwt vc profile",
	CheckOptions:     "options",
	CheckIssue:       "issuance",
	CheckPresent:     "presentation",
}

// String returns the check's name.
func (c Check) String() string {
	if s, ok := checkNames[c]; ok {
		return s
	}
	return fmt.Sprintf("check(%d)", int(c))
}

// Error is the error type returned by this package. It names the failed
// check and wraps a sentinel error; Detail says what exactly was wrong.
type Error struct {
	Check  Check
	Err    error  // one of the sentinel errors
	Detail string // human-readable detail; not for branching
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("%v (%v check)", e.Err, e.Check)
	}
	return fmt.Sprintf("%v (%v check): %s", e.Err, e.Check, e.Detail)
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error { return e.Err }

func newErr(c Check, sentinel error, format string, args ...any) *Error {
	return &Error{Check: c, Err: sentinel, Detail: fmt.Sprintf(format, args...)}
}
