// Package oid4vci implements the messages and checks of OpenID for
// Verifiable Credential Issuance 1.0 (OpenID4VCI, final) that both sides of
// issuance share: the issuer's HTTP handler (package issuer) and the
// wallet's client (package holder). Neither side imports the other; both
// import this package. With it come DPoP (RFC 9449), to bind access tokens
// to a wallet key, and the key attestations of OpenID4VCI Appendix D.
//
// The package keeps no state and does no I/O beyond reading the request
// body it is handed: the caller makes the HTTP calls, stores what must be
// single-use (pre-authorized codes, tx_code attempts, c_nonce values, DPoP
// jti values, access tokens) and passes the clock. Section numbers (§) are
// those of OpenID4VCI 1.0.
//
// # The flow
//
// ikdkit runs the Pre-Authorized Code Flow (§3.5): the resident has
// already registered and been confirmed by an operator, so no browser
// login is needed. Each step, with what belongs to it:
//
//  1. Offer (§4). The issuer makes a [CredentialOffer] with a
//     [PreAuthorizedCodeGrant], and a [TxCode] when the End-User must
//     enter a code sent over another channel (the activation PIN), and
//     shows it as a QR code or link: by value with [CredentialOffer.Link],
//     or by reference with [OfferURILink], serving the offer's JSON at
//     that URI. The wallet reads the link with [ParseOfferLink], which
//     returns the offer or the URI to fetch; a fetched offer is read with
//     [ParseCredentialOffer].
//  2. Metadata (§12.2, RFC 8414). The issuer serves its
//     [CredentialIssuerMetadata] (check it with
//     [CredentialIssuerMetadata.Validate]) at [CredentialIssuerMetadataURL]
//     and its [AuthorizationServerMetadata] at
//     [AuthorizationServerMetadataURL]. The wallet reads them with
//     [ParseCredentialIssuerMetadata] and [ParseAuthorizationServerMetadata],
//     naming the identifier it fetched them for; it checks the offer with
//     [CredentialOffer.Check] and finds the Authorization Server with
//     [CredentialOffer.AuthorizationServer].
//  3. Token (§6). The wallet posts a [TokenRequest]
//     ([TokenRequest.Encode]) with a DPoP proof from [NewDPoPProof] in the
//     DPoP header. The server reads it with [ReadTokenRequest], checks the
//     tx_code's presence with [TokenRequest.CheckTxCode] and the code
//     itself, reads the proof with [ReadDPoPHeader] and checks it with
//     [VerifyDPoPProof], binds the access token to [DPoPProof.JKT], and
//     answers a [TokenResponse] with [WriteJSON]. The wallet reads it with
//     [ParseTokenResponse]. A [TokenResponse.RefreshToken] lets the wallet
//     come back later without a new offer: a [TokenRequest] of the
//     [GrantTypeRefreshToken] grant (RFC 6749 §6), with a DPoP proof by
//     the same key when the first token was DPoP-bound, gets a new access
//     token for further credentials (new copies of a batch, say).
//  4. Nonce (§7). The wallet posts to the nonce endpoint; the issuer
//     answers a fresh, unpredictable [NonceResponse] with [WriteJSON]
//     (which sets Cache-Control: no-store, as §7.2 requires); the wallet
//     reads it with [ParseNonceResponse].
//  5. Credential (§8). The wallet signs one key proof per device key with
//     [SignProof] and posts a [CredentialRequest] with "Authorization: DPoP
//     <token>" and a new DPoP proof carrying the token's hash. The issuer
//     reads the token with [ReadAccessToken] and the request with
//     [ReadCredentialRequest]; checks the DPoP proof with
//     [DPoPOptions].AccessToken and BoundKey set; checks the proofs with
//     [VerifyProofs] (its [ProofOptions] also verify or require key
//     attestations); spends the nonce; issues; and answers
//     [NewCredentialResponse]. The wallet reads it with
//     [ParseCredentialResponse] and [CredentialResponse.Issued] and verifies
//     every credential before storing it.
//  6. Notification (§11). The wallet posts a [NotificationRequest]; the
//     issuer reads it with [ReadNotificationRequest] and answers 204.
//
// # Errors
//
// An error response of the protocol is a [*ProtocolError]: HTTP status,
// error code (the Code* constants, one per code of §6.3, §8.3.1.2, §11.3,
// RFC 6749 §5.2, RFC 6750 §3.1 and RFC 9449), description. On the server,
// the Read* and Parse* functions of requests return one with the right
// code, and [ProofErrorResponse] and [DPoPErrorResponse] make one from a
// verification error; [WriteError] writes any of them (an error that is
// not one becomes a bare HTTP 500, so internal details stay in the
// server's logs). On the client, [ReadError] turns an HTTP error response
// into one, keeping codes it does not know.
//
// Parsers fail with errors wrapping [ErrMalformed]. Verification fails
// with [ErrInvalidProof] or [ErrInvalidNonce] (key proofs),
// [ErrKeyAttestation], and a [*DPoPError] naming the failed check of RFC
// 9449 §4.3, which unwraps to [ErrInvalidDPoPProof] or [ErrUseDPoPNonce].
//
// # Strict parsing
//
// Every message comes from the network and is parsed as untrusted: one
// JSON object without duplicate member names (internal/strictjson), a
// size cap per message (the Max* constants), required members present,
// types and enumerations checked, URLs https only ([CheckURL]; plain http
// only to a loopback host, for tests and the demo), and, as the
// specification requires, unknown members ignored. Parsed values encode
// back to JSON with their exact wire names and parse again to the same
// value.
//
// # Security notes
//
//   - A Credential Offer is not authenticated (§13.5): the wallet checks it
//     against metadata it fetched itself, and should show the End-User
//     where the tx_code will be sent (§13.6.2).
//   - The tx_code is short: the Authorization Server must limit failed
//     attempts per pre-authorized code and then invalidate the code
//     (§13.6.3); a pre-authorized code is short-lived and single-use
//     (§4.1.1).
//   - Key proofs name the issuer (aud) and carry its c_nonce; the issuer
//     accepts each c_nonce once (§13.8). [VerifyProofs] requires one
//     nonce per request and one credential per key.
//   - Access tokens are bound to the wallet's DPoP key (§13.2, §13.10):
//     the server stores the jti of every DPoP proof for its acceptance
//     window (RFC 9449 §11.1), checks ath and the bound key at the
//     credential endpoint, and refuses a DPoP-bound token sent as a
//     Bearer token (RFC 9449 §7.2). DPoPOptions.URL must be the public
//     URL the wallet used, built from the server's configuration.
//   - Key attestations (Appendix D) are trusted through the wallet
//     provider's CA, which vouches for the platform's evidence; see
//     [KeyAttestation] for how Android Key Attestation and Apple App
//     Attest fit. Without roots configured, a key_attestation header is
//     ignored, never trusted.
//   - ikdkit implements no JWE (§10): encrypted requests and a
//     credential_response_encryption are refused rather than answered in
//     clear.
//   - Credentials that arrive are not verified here: the wallet verifies
//     them against its trust list (package holder) before storing them.
package oid4vci
