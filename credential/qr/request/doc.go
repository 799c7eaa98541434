// Package request implements the verifier's signed request QR of ikdkit's
// offline QR format (docs/qr-format.md §10), for the two-way flow: the
// verifier shows a request QR saying who asks, for which credentials and
// claims, with a fresh nonce; the holder's wallet checks it against its
// trust list before asking for consent, and answers with a response QR
// (package qr) bound to the request.
//
// The request is a compact subset of the OpenID4VP 1.0 Digital Credentials
// Query Language (DCQL): [Query], [CredentialQuery], [ClaimQuery]. It is
// signed as an untagged COSE_Sign1 (RFC 9052) whose protected header names
// the algorithm and the kid of the verifier's trust-list entry, and
// carried like a response: framed, compressed with the preset dictionary,
// as base45 or raw bytes behind the prefix "IKR1".
//
// # First steps
//
// Verifier: make a [Request] with a nonce from [NewNonce], sign it with
// [Encode] (the key is a crypto.Signer, so an HSM key works) and show the
// Code with package qr/qrcode. Keep the nonce: package verifier's
// VerifyQRResponse checks the response against it.
//
// Wallet: check a scanned request with [Verify] against the caller's
// registered verifiers ([VerifierLookup]: [TrustListVerifiers] over a
// verified trust list, or [StaticVerifiers]). A [Verified] request names
// the registered verifier to show the holder ([Verified.Verifier]) and
// what it asks for ([Verified.Request]); answer with qr.PresentSDJWT or
// qr.PresentMdoc under [Verified.Binding].
//
// # Authorisation
//
// Verify refuses a verifier that is not registered ([ErrUnregisteredVerifier]),
// a signature that does not verify with the registered key, the algorithm
// following from the key and never from the request ([ErrSignature]), a
// request outside its validity period ([ErrExpired]), and a request for a
// credential type the verifier is not registered for — even one asking for
// no claims, as a presentation without disclosures still reveals iss, vct,
// cnf, the status index and issuing_authority — or for a claim its
// registration does not allow ([ErrNotAllowed]). Expiry and authorisation
// are reported only for an authentic request. Every error is a *qr.Error
// with Op "request" wrapping one sentinel.
package request
