// Package verifier is the offline verifier kit a relying party (a bank, a
// hospital, a "pengguna data") embeds: one call turns a scanned QR, an SD-JWT
// VC presentation (RFC 9901, draft-ietf-oauth-sd-jwt-vc-18) or an ISO/IEC
// 18013-5 mdoc DeviceResponse into verified, typed claims, or into an error
// that names the check that failed. It never calls SIAK or an issuer: trust
// comes from a signed trust list (package credential/trustlist) and
// revocation from a status list cache (package credential/statuslist), both
// held in memory and refreshed by the application when it is online.
//
// # First steps
//
// Build a [Verifier] with [New] from a [Config] (trust list store, status
// cache, clock, skew, QR window, this verifier's identifier and its [Policy]),
// then call [Verifier.VerifyQR] on scanned QR text, or [Verifier.VerifySDJWT]
// / [Verifier.VerifyMdoc] on presentations received another way.
//
// # Checks
//
// Every presentation goes through these checks, in this order; the first
// failure is returned as a *[VerificationError] naming the [Check] and
// wrapping one of the sentinel errors:
//
//  1. [CheckFormat]: size, envelope and structure ([ErrMalformed]).
//  2. [CheckTrust]: the issuer is in the trust list ([ErrUntrustedIssuer]).
//  3. [CheckAuthorization]: the issuer is authorised for the credential type
//     ([ErrUnauthorizedType]; an NPWP signed by Dukcapil's key is refused).
//  4. [CheckSignature]: the issuer's signature ([ErrSignature]).
//  5. [CheckDisclosure]: disclosures and digests ([ErrDisclosure]).
//  6. [CheckHolderBinding]: KB-JWT or mdoc device signature, bound to this
//     verifier ([ErrHolderBinding], [ErrAudience]).
//  7. [CheckFreshness]: made within the window and not in the future beyond
//     the skew ([ErrNotFresh]).
//  8. [CheckReplay]: not seen before within the window ([ErrReplay]).
//  9. [CheckValidity]: the credential's validity period ([ErrExpired],
//     [ErrNotYetValid]).
//  10. [CheckStatus]: the status list says valid ([ErrRevoked],
//     [ErrSuspended], [ErrStatusStale], [ErrStatusUnavailable]).
//  11. [CheckHolder]: several credentials are bound to one holder key and
//     carry one NIK ([ErrHolderMismatch]).
//  12. [CheckPolicy]: every claim the policy requires is present ([ErrPolicy]).
//
// One ordering detail follows from ISO 18013-5: for mdoc the trust-list
// authorisation (step 3) is decided on the verified certificate chain,
// after the signature, because the doctype and chain are only known once the
// document is decoded. For SD-JWT VC, trust and authorisation are decided on
// the still unverified iss, kid and vct, as the order above requires; they
// can only reject, and the key they select is the only one the signature is
// then checked with. Package sdjwt is asked to defer the validity period
// (DeferValidity), so for SD-JWT VC step 9 comes after 6-8; mdoc.Verify
// always checks the MSO validity window itself, after the issuer signature
// and before device authentication, so for mdoc step 9 is reported before
// 6-8. Nothing about claims (validity, status, policy) is reported before
// the issuer signature verified.
//
// # Entry points
//
// [Verifier.VerifyQR] (one-way offline QR), [Verifier.VerifyQRResponse]
// (two-way, with the request's nonce), [Verifier.VerifyQRFrames] (a frame
// sequence), [Verifier.VerifySDJWT] and [Verifier.VerifyMdoc]. [StatusKeys]
// wires a statuslist.Cache to the trust list.
//
// # Replay
//
// Each presentation that passes holder binding and freshness is remembered
// (a hash of its holder-signed content, atomically checked and recorded, so
// two concurrent scans of one QR cannot both pass) until its freshness
// window has passed, also when a later check (status, policy) fails it, in a bounded in-memory
// cache ([Config.ReplayCacheSize]). When the cache is full the entry closest
// to expiry is dropped, which may let a replay of that entry through; size
// the cache for the expected number of presentations per window.
//
// WARNING: the verifier relies on the trust list and status list cache it is
// given; refreshing them (trustlist.Store.Refresh, statuslist.Cache.Refresh)
// is the application's job.
package verifier
