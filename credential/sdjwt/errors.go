package sdjwt

import (
	"errors"

	"github.com/ikdkit/ikdkit/credential/check"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them inside a *[check.Error] that also names the failed [check.Check]:
// check.Format (parsing, sizes, encodings, typ and SD-JWT VC profile rules),
// check.Trust (no key for the issuer), check.Signature (algorithm and issuer
// signature), check.Disclosure (digests and disclosures), check.Validity
// (exp, nbf, iat), check.HolderBinding (the KB-JWT: key, typ, signature,
// aud, sd_hash), check.Freshness (the KB-JWT's iat and nonce) and
// check.Input (the caller's options, issuance and presentation input).
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

// newErr returns a *check.Error for check c and sentinel, concerning no
// credential in particular (package verifier sets the index).
func newErr(c check.Check, sentinel error, format string, args ...any) *check.Error {
	return check.New(c, sentinel, format, args...)
}
