package holder

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them, inside an *Error that also names the operation, so callers branch
// with errors.Is and errors.As.
var (
	// ErrConfig: the Options are invalid or do not fit the wallet on disk
	// (for example a platform-wrapped wallet opened without its PlatformKey).
	ErrConfig = errors.New("holder: invalid configuration")
	// ErrInvalidInput: an argument is malformed or over a documented cap.
	ErrInvalidInput = errors.New("holder: invalid input")
	// ErrNoWallet: there is no wallet in the directory (never created,
	// deleted, or wiped after too many wrong PINs).
	ErrNoWallet = errors.New("holder: no wallet")
	// ErrExists: Create found a wallet already in the directory.
	ErrExists = errors.New("holder: wallet already exists")
	// ErrLocked: the operation needs an unlocked wallet.
	ErrLocked = errors.New("holder: wallet locked")
	// ErrWrongPIN: the PIN is wrong. The attempt was counted; the *Error's
	// AttemptsLeft says how many remain before the wallet is wiped.
	ErrWrongPIN = errors.New("holder: wrong PIN")
	// ErrPINDelay: too many wrong PINs in a row; no attempt is accepted
	// before the *Error's RetryAfter.
	ErrPINDelay = errors.New("holder: PIN entry delayed after wrong attempts")
	// ErrWiped: the last allowed wrong PIN was entered and the wallet was
	// erased, or the platform's PINCounter already holds the limit and the
	// wallet file (for example a restored copy) was erased again.
	ErrWiped = errors.New("holder: wallet wiped after too many wrong PINs")
	// ErrCorrupt: stored data failed authentication (tampered or damaged
	// ciphertext, a record moved to another id) or is not what this
	// version wrote.
	ErrCorrupt = errors.New("holder: stored data corrupt or tampered")
	// ErrStore: the storage layer failed.
	ErrStore = errors.New("holder: storage failure")
	// ErrNoDeviceKey: the wallet has no device key yet (not activated).
	ErrNoDeviceKey = errors.New("holder: no device key")
	// ErrUntrustedIssuer: a credential's issuer signature did not verify
	// against the trust list, or the credential is otherwise invalid
	// (expired, malformed, unknown type).
	ErrUntrustedIssuer = errors.New("holder: credential not verifiable against the trust list")
	// ErrKeyMismatch: the credential is bound (cnf / MSO deviceKey) to a key
	// other than this wallet's device key.
	ErrKeyMismatch = errors.New("holder: credential bound to another key")
	// ErrActivation: the issuer refused or failed the activation: an
	// OpenID4VCI token, nonce, credential or notification request of
	// [Wallet.ReceiveOffer] failed on the network or got an error
	// response, or a response was malformed. The *Error's Step says which;
	// an error response is an *oid4vci.ProtocolError in its chain, whose
	// Code is the error code (invalid_grant, invalid_proof, ...).
	ErrActivation = errors.New("holder: activation failed")
	// ErrOffer: a credential offer cannot be used: it is malformed, its
	// credential_offer_uri or the issuer's metadata cannot be fetched or
	// is malformed, over its cap, not https, or does not match the offer,
	// or the offer asks for what this wallet does not do (the
	// authorization code flow, encrypted responses, unknown formats or
	// types, key attestations). Nothing was redeemed.
	ErrOffer = errors.New("holder: credential offer not usable")
	// ErrTxCodeRefused: the app gave no transaction code (tx_code) for an
	// offer that needs one; nothing was redeemed.
	ErrTxCodeRefused = errors.New("holder: transaction code refused")
	// ErrNotFound: no credential or activity entry with that id.
	ErrNotFound = errors.New("holder: not found")
	// ErrNoMatch: the wallet holds no credential that can answer a request
	// item (type, format or claim not available).
	ErrNoMatch = errors.New("holder: no credential matches the request")
	// ErrConsentRefused: the consent callback refused; nothing was disclosed.
	ErrConsentRefused = errors.New("holder: consent refused")
	// ErrUntrustedVerifier: a signed request did not verify, or its verifier
	// asks for claims its registration does not allow.
	ErrUntrustedVerifier = errors.New("holder: request from an untrusted or unauthorised verifier")
	// ErrNoCopyLeft: a credential to present has no copy its use policy
	// allows (every copy was presented, or under UsePerVerifier given to
	// other verifiers) and PresentOptions.ReuseSpentCopy did not allow
	// presenting a spent one again; nothing was disclosed. Refresh the
	// credential ([Wallet.Refresh]) for new copies.
	ErrNoCopyLeft = errors.New("holder: no unspent copy of the credential left")
	// ErrRefreshDenied: a credential cannot be refreshed
	// ([Wallet.Refresh]): the wallet holds no refresh token for it
	// (imported, or stored before copies), or the issuer refused the
	// token (invalid_grant: the device binding was revoked by a lost
	// phone or the NIK activated on another phone, or the token expired
	// or was used before). Only a new offer gives new copies.
	ErrRefreshDenied = errors.New("holder: refresh denied")
	// ErrPresentation: building the presentation or its QR failed.
	ErrPresentation = errors.New("holder: presentation failed")
)

// Error is the error type of this package. Op names the operation ("open",
// "unlock", "import", "present", ...), Err is one of the sentinel errors and
// Detail says what was wrong, for people, not for branching.
type Error struct {
	Op     string
	Err    error
	Detail string
	// AttemptsLeft is set with ErrWrongPIN: wrong PINs left before the wipe.
	AttemptsLeft int
	// RetryAfter is set with ErrPINDelay: the earliest time of the next
	// accepted attempt.
	RetryAfter time.Time
	// Step is set by [Wallet.ReceiveOffer]: the step of the OpenID4VCI
	// flow that failed.
	Step Step
	// Cause is the underlying error (from package sdjwt, mdoc, issuer, the
	// platform key, ...), if any; reachable through errors.Is and errors.As.
	Cause error
}

// Error implements error.
func (e *Error) Error() string {
	s := "holder: " + e.Op + ": " + e.Err.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap returns the sentinel and, when set, the underlying cause.
func (e *Error) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

func errorf(op string, sentinel error, format string, args ...any) *Error {
	return &Error{Op: op, Err: sentinel, Detail: fmt.Sprintf(format, args...)}
}

func wrapErr(op string, sentinel error, cause error, format string, args ...any) *Error {
	return &Error{Op: op, Err: sentinel, Detail: fmt.Sprintf(format, args...), Cause: cause}
}
