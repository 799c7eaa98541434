// Package holder is the wallet a phone app embeds for Indonesia's digital
// identity (IKD): everything apart from the screens. It receives SD-JWT VCs
// (RFC 9901, draft-ietf-oauth-sd-jwt-vc) and ISO/IEC 18013-5 mdocs from an
// issuer over OpenID for Verifiable Credential Issuance 1.0 (OpenID4VCI),
// keeps them in an encrypted store, and presents them with minimal
// disclosure as SD-JWT+KB or mdoc DeviceResponse, packed into the offline
// QR of package credential/qr.
//
// # First steps
//
// Create a wallet in a directory with a PIN ([Create]), or [Open] an
// existing one and [Wallet.Unlock] it, with Options.Trust set (the signed
// trust list, [TrustList]). Then activate it with a credential offer, as
// below. List credentials with [Wallet.Credentials] and show one with
// [Credential.Document]. Answer a verifier with [Wallet.Present], for a
// request the app builds or one read from a verifier's signed request QR
// with [Wallet.ReadRequestQR].
//
// # Activation: receiving credentials from an offer
//
// At the service desk the operator confirms the resident's registration;
// the issuer shows a credential offer as a QR code
// (openid-credential-offer://...) and e-mails a one-time activation PIN.
// The app scans the QR and hands its text to [Wallet.ReceiveOffer]:
//
//	r, err := w.ReceiveOffer(ctx, qrText, holder.ReceiveOptions{
//		TxCode: func(ctx context.Context, req holder.TxCodeRequest) (string, error) {
//			return askUser(req.IssuerName, req.Description, req.Length) // the PIN from the e-mail
//		},
//	})
//
// ReceiveOffer runs the Pre-Authorized Code Flow: it fetches the offer (when
// it is by reference) and the issuer's metadata over https only, checks
// that it can do what the offer asks before redeeming anything, asks the
// app for the tx_code, redeems the offer at the token endpoint (the access
// token bound by DPoP, RFC 9449, to a key made for this call, never a
// device key), and asks for each offered credential as a batch of
// one-time copies (see below) with a fresh c_nonce and one key proof per
// copy, each signed by a new device key of that copy. Everything that
// arrives is verified against Options.Trust exactly as [Wallet.Import]
// verifies (issuer key or IACA root, authorisation for the type, binding
// of each copy to its own device key, validity) before anything is stored;
// then all of it is stored in one transaction, with an entry in the
// activity history, and the issuer is notified (credential_accepted, or
// credential_failure when the wallet refused what it sent).
//
// A failure is an [*Error] whose Step names where it happened and whose
// sentinel says what to tell the user: [ErrOffer] (not a usable offer),
// [ErrTxCodeRefused] (the user gave no code), [ErrActivation] (the issuer
// said no, or the network failed: an *oid4vci.ProtocolError in the chain
// carries the error code, invalid_grant for a wrong or used code),
// [ErrUntrustedIssuer] or [ErrKeyMismatch] (what arrived did not verify;
// nothing was stored).
//
// # One-time copies and use policies
//
// A credential presented twice would carry the same issuer signature,
// digests, cnf key and status index both times, so verifiers comparing
// notes could link the person. The wallet therefore holds each
// credential as a batch of one-time copies: [Credential] is what the user
// sees (one KTP-el as an SD-JWT VC, the same KTP-el as an mdoc, its QR
// profile, ...) and Credential.Copies are its copies, each issued for a
// device key of its own with its own salts, status index and signature.
// ReceiveOffer asks, per offered configuration, for the wallet's number
// of copies of the type (Options.Copies, else credential.TypeInfo.Copies:
// 10 for a KTP-el and its QR profile, 5 for the others), at most the
// issuer's batch_size, in one credential request.
//
// [Wallet.Present] picks the copy by the credential's [UsePolicy]:
//
//   - UseOnce, the default: each presentation uses a copy never
//     presented, which is then spent. No two presentations share bytes a
//     verifier could link them by (apart from what they disclose).
//   - UsePerVerifier: a verifier always gets the same copy (by its
//     registered identity for a signed request, else the audience the
//     request names); a new verifier gets an unspent one. Each verifier
//     can recognise the person; two verifiers still cannot link their
//     presentations.
//
// Set the policy per type with Options.UsePolicies, or per credential
// with [Wallet.SetUsePolicy]. A spent copy is never presented again
// silently: when no copy is left, Present fails with [ErrNoCopyLeft]
// unless PresentOptions.ReuseSpentCopy consents (ask the user, and say
// that the presentations become linkable). The copy is marked spent in
// the transaction that records the presentation, with the copy's number
// and key thumbprint, in the activity history ([Activity].Copies).
//
// [Credential.CopiesLeft] says how many copies are unspent;
// [Credential.NeedsRefresh] whether that is at or below
// Options.RefreshThreshold (2 by default), and
// [Wallet.CredentialsNeedingRefresh] lists those the wallet can top up.
// [Wallet.Refresh] does so over OpenID4VCI with the refresh token the
// issuer gave at activation (kept sealed with the DPoP key it is bound
// to): new copies with new keys replace the spent ones, whose records
// and keys are deleted, in one transaction. A refresh token the issuer
// refuses (the phone reported lost, the NIK activated on another phone)
// is [ErrRefreshDenied]: only a new offer at the desk gives new copies.
//
// Presenting several credentials at once uses a copy of each, bound to
// different keys: the response proves possession of each key, and only
// the claims disclosed (the NIK) tie them together. A verifier that
// requires one holder key for all credentials of a response refuses such
// a response.
//
// Credentials stored by an ikdkit before copies (schema version 1) open
// as batches of one copy bound to the wallet's device key, unspent, and
// are rewritten in the new form when first presented; [Wallet.Import]
// stores a batch of one as well. Neither can be refreshed.
//
// # Answering a verifier over the network (OpenID4VP)
//
// [Wallet.ReadVPRequest] takes an openid4vp:// link (a QR code or a deep
// link), fetches and verifies the signed Request Object (x509_san_dns or
// x509_hash client identifiers), and accepts it only from a verifier
// registered in the trust list whose key signed it, and only for the
// types and claims it is registered for ([ErrUntrustedVerifier]).
// [Wallet.AnswerVPRequest] matches the DCQL query against the stored
// credentials (the smallest disclosure that satisfies it), asks the
// app's consent with exactly what will be shared, picks each copy by its
// use policy, binds every presentation to the request (KB-JWT aud and
// nonce, the mdoc OpenID4VP session transcript), posts the response
// (encrypted when the request asks) and records it in the activity
// history. A refusal posts access_denied.
//
// In the browser, a page asks through the W3C Digital Credentials API;
// the app gets the request's protocol and data and the origin the
// platform asserts, and [Wallet.ReadDCAPIRequest] accepts a signed request
// of a registered verifier that lists that origin, or an unsigned one
// from a registered verifier's own host. The answer is bound to the
// origin and handed back to the platform (VPAnswer.DCAPIData).
//
// # Logins that last: grants ("Log in with IKD")
//
// An IKD login provider (an OpenID Connect provider whose user
// authentication is an OpenID4VP presentation) marks its request with an
// ikdkit_login_grant entry in verifier_info: the presentation signs the
// resident in to a relying party, which keeps access until a set time
// unless the resident withdraws it. [Wallet.ReadVPRequest] and
// [Wallet.ReadDCAPIRequest] read the entry into VPRequest.Grant (a
// malformed one, one whose grant endpoint is not on the host of the
// registered verifier's identifier, one already expired, or one in an
// unsigned Digital Credentials API request is [ErrVPRequest]); the consent callback sees it as ConsentRequest.Grant, so
// the screen can say "Portal X will keep access until …". Answering it
// stores a [Grant] in the same transaction as the spent copies and the
// activity entry: the provider and the relying party, the scopes, the
// claim names shared, when, until when, and the copies presented with
// their device keys.
//
// [Wallet.Grants] lists them, oldest first. [Wallet.RevokeGrant]
// withdraws one: it posts the relying party's client_id to the provider's
// grant endpoint with a DPoP proof (RFC 9449) signed by the key of the
// first copy presented, so only this wallet can withdraw it. The grant
// keeps that key even after its copy was refreshed away or its credential
// removed (a keystore key stays in the keystore until the grant is
// revoked). A confirmed withdrawal, or a provider answering that it has no
// such grant (Grant.GoneAtProvider), marks it revoked and is recorded as
// [ActivityGrantRevoked]; any other outcome is [ErrRevokeFailed] and the
// grant stays active, to try again. Wallets from before grants (schema
// version 2) are upgraded by [Open] in one transaction.
//
// # Trust
//
// Imports are verified against an [IssuerTrust]: [TrustList] adapts a signed
// trust list (package credential/trustlist), which also decides which issuer
// may issue which type; [StaticTrust] pins keys and roots. Signed request QRs
// are checked against the trust list's registered verifiers
// ([request.TrustListVerifiers]); the consent screen shows a verifier's registered
// name only for such a request.
//
// # Storage and keys
//
// One SQLite file (wallet.db, WAL, synchronous=FULL) holds everything. A
// random 256-bit data key seals each record with AES-256-GCM (NIST SP
// 800-38D), a fresh 96-bit random nonce per write and the record id as
// associated data, so a record cannot be altered or moved to another id
// undetected. The data key is stored only wrapped: by a key derived from the
// PIN with Argon2id (RFC 9106; parameters in [DefaultKDF]) and, when
// [Options].Platform is set, additionally by a platform keystore key, which
// is what stops offline PIN guessing on a copied file (not on the phone
// itself; see [PlatformKey]). [Wallet.ChangePIN] re-wraps the data key only.
//
// # PIN attempts
//
// Every PIN attempt is counted durably before the PIN is checked; after 3
// wrong PINs in a row attempts are delayed ([PINDelay]) and after
// [Options].MaxPINAttempts the wallet is wiped. Both survive restarts.
//
// Where the count is kept decides what the limit is worth. If
// [Options].Platform implements [PINCounter], the keystore keeps it, and
// resetting or rolling back the wallet file gains no attempt. Otherwise it
// is a value in the wallet file: it limits guesses through the app's own
// PIN screen and nothing else. Whoever can write the file can reset it;
// whoever holds a copy of a wallet made without a PlatformKey can try all
// 10^6 six-digit PINs offline, about 35 hours on one core at the cost of
// [DefaultKDF] and proportionally less on many (docs/security.md, "PIN
// guessing against the wallet file").
//
// # Crash safety
//
// Every change is one SQLite transaction: after a crash while a credential
// is stored or the PIN is changed, the wallet opens with its PIN (the old or
// the new one, never neither) and holds every credential stored before. A
// presentation is returned only after its copy is marked spent and the
// activity entry written, in one transaction; a crash before that commit
// leaves the copy unspent and no QR was shown. A refresh stores the
// rotated refresh token before anything else, then replaces the copies in
// one transaction. Keystore keys are created before, and deleted after,
// the transactions that store or delete their copies: a crash between
// leaves an unused key in the keystore, never a copy without its key.
//
// # Errors
//
// Every error is an [*Error] wrapping one sentinel ([ErrWrongPIN],
// [ErrKeyMismatch], [ErrConsentRefused], [ErrNoCopyLeft], ...); branch
// with errors.Is.
package holder
