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
// token bound by DPoP, RFC 9449, to a key made for this call, never the
// device key), and asks for each offered credential with a fresh c_nonce
// and a key proof signed by the device key, which it creates on first use.
// Everything that arrives is verified against Options.Trust exactly as
// [Wallet.Import] verifies (issuer key or IACA root, authorisation for the
// type, binding to the device key, validity) before anything is stored;
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
// the new one, never neither) and holds every credential stored before.
//
// # Errors
//
// Every error is an [*Error] wrapping one sentinel ([ErrWrongPIN],
// [ErrKeyMismatch], [ErrConsentRefused], ...); branch with errors.Is.
package holder
