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
// cache, clock, skew, QR window, this verifier's identifier, its [Policy]
// and, to share replay protection between instances, a [ReplayStore]),
// then call [Verifier.VerifyQR] on scanned QR text, or [Verifier.VerifySDJWT]
// / [Verifier.VerifyMdoc] on presentations received another way. Package
// verifier is the only place in ikdkit that decides "verified": the CLI,
// the examples and the HTTP handlers all call it.
//
// # Checks
//
// Every presentation goes through these checks, in this order; the first
// failure is returned as a *[check.Error] naming the [check.Check] and
// wrapping one of the sentinel errors of this package (with the error of
// package sdjwt, mdoc, statuslist or trustlist as its Cause):
//
//  1. check.Format: size, envelope and structure ([ErrMalformed]).
//  2. check.Trust: the trust list is not past its next_update (plus
//     [Config.TrustListGrace]; [ErrTrustListStale]) and the issuer is in it
//     ([ErrUntrustedIssuer]).
//  3. check.Authorization: the issuer is authorised for the credential
//     type ([ErrUnauthorizedType]; an NPWP signed by Dukcapil's key is
//     refused).
//  4. check.Signature: the issuer's signature ([ErrSignature]).
//  5. check.Disclosure: disclosures and digests ([ErrDisclosure]).
//  6. check.Validity: the credential's validity period ([ErrExpired],
//     [ErrNotYetValid]).
//  7. check.HolderBinding: KB-JWT or mdoc device signature, bound to this
//     verifier ([ErrHolderBinding], [ErrAudience]).
//  8. check.Freshness: made within the window and not in the future beyond
//     the skew, with the request's nonce ([ErrNotFresh]).
//  9. check.Replay: not seen before within the window ([ErrReplay]; a full
//     replay store refuses, [ErrReplayStoreFull]).
//  10. check.Status: the status list says valid ([ErrRevoked],
//     [ErrSuspended], [ErrStatusStale], [ErrStatusUnavailable]).
//  11. check.Holder: several credentials carry one NIK; only credentials
//     bound to one holder key may leave it out, with
//     Policy.AllowMissingNIK ([ErrHolderMismatch]). One-time copies are
//     bound to a key each, so the NIK is what ties them to one person.
//  12. check.Policy: every claim the policy requires is present ([ErrPolicy]).
//
// Configuration and argument errors are check.Input ([ErrConfig]).
//
// One ordering detail follows from ISO 18013-5: for mdoc the trust-list
// authorisation (step 3) is decided on the verified certificate chain,
// after package mdoc has checked the document (steps 4 to 7), because the
// doctype and chain are only known once the document is decoded. For
// SD-JWT VC, trust and authorisation are decided on the still unverified
// iss, kid and vct, as the order above requires; they can only reject, and
// the key they select is the only one the signature is then checked with.
// Nothing about claims (validity, status, policy) is reported before the
// issuer signature verified.
//
// # Entry points
//
// [Verifier.VerifyQR] (one-way offline QR), [Verifier.VerifyQRResponse]
// (two-way, with the request's nonce), [Verifier.VerifyQRFrames] and
// [Verifier.VerifyQRFramesResponse] (a frame sequence),
// [Verifier.VerifySDJWT] and [Verifier.VerifyMdoc]. [StatusKeys]
// wires a statuslist.Cache to the trust list.
//
// # Replay
//
// Each holder-signed unit that passes holder binding and freshness is
// remembered until its freshness window has passed — the signing input of
// each SD-JWT's Key Binding JWT and the DeviceAuthentication of each mdoc
// document, one by one, so a captured presentation cannot come back whole,
// as a subset, reordered or with a credential repeated — also when a later
// check (status, policy) fails it. The check and the record are atomic, so
// two concurrent scans of one QR cannot both pass. The [ReplayStore] is
// bounded and fails closed: when full of entries that have not expired it
// refuses new presentations ([ErrReplayStoreFull]) rather than forget one.
// [MemoryReplayStore] is the default, private to one Verifier;
// [SQLiteReplayStore] is shared by several verifier processes.
//
// # Trust list and status freshness
//
// A trust list past its next_update is refused: an operator removes an
// issuer (a stolen key, a withdrawn authorisation) by publishing a new
// list, and a verifier that keeps an overdue one would never learn of it.
// A verifier knowingly offline sets [Config.TrustListGrace] explicitly.
// Status answers are as fresh as the status cache's policy and
// [Policy.MaxStatusAge] allow.
//
// # OpenID4VP
//
// [Verifier.VerifyVPToken] verifies the vp_token of an OpenID for
// Verifiable Presentations 1.0 response with the same checks as a QR: the
// KB-JWT's aud is the request's client identifier and its nonce the
// request's, an mdoc's device signature covers the OpenID4VP session
// transcript, and the disclosed claims must answer the request's DCQL
// query (oid4vp.Query.CheckPresented). [NewVPHandler] is the verifier's
// side of the protocol as an http.Handler: [VPHandler.NewRequest] makes a
// signed Request Object by reference (an openid4vp:// link for a QR
// code), the handler serves it, takes the response (direct_post or
// direct_post.jwt, encrypted to a key of the transaction), verifies it,
// and [VPHandler.Result] (or the result URL a page polls) gives the
// outcome.
//
// WARNING: the verifier relies on the trust list and status list cache it is
// given; refreshing them (trustlist.Store.Refresh, statuslist.Cache.Refresh)
// is the application's job.
//
// # Operating
//
// [Config.Logger] and [VPHandlerConfig.Logger] take a *slog.Logger:
// refused presentations at Debug (the check, the sentinel; Warn when a
// stale trust list or status cache or a full replay store is at fault),
// the VPHandler's server errors at Error and refused requests at Debug
// (route, OpenID4VP error code); never a nonce, a state, a presentation,
// a claim or a NIK. [Config.Metrics] takes a [Metrics]: the outcome of
// every verification, Outcome("verify", [OutcomeName](err)), "ok" or the
// failed check ("holder_binding", "status", ...); the VPHandler reports
// its requests by route name ("request", "response", "result", ...). A
// VPHandler's nil Logger and Metrics are its Verifier's. See
// docs/operations.md.
package verifier
