// Package holder is the wallet a phone app embeds for Indonesia's digital
// identity (IKD): everything apart from the screens. It keeps SD-JWT VCs
// (RFC 9901, draft-ietf-oauth-sd-jwt-vc) and ISO/IEC 18013-5 mdocs in an
// encrypted store, activates against an issuer (package issuer, OpenID4VCI
// 1.0 key proofs), and presents credentials with minimal disclosure as
// SD-JWT+KB or mdoc DeviceResponse, packed into the offline QR of package
// credential/qr.
//
// # First steps
//
// Create a wallet in a directory with a PIN ([Create]), or [Open] an
// existing one and [Wallet.Unlock] it. Run [Wallet.Activate] with the
// activation code the operator's confirmation produced; it creates the device
// key, proves possession of it to the issuer and imports what comes back.
// List credentials with [Wallet.Credentials] and show one with
// [Credential.Document]. Answer a verifier with [Wallet.Present], for a
// request the app builds or one read from a verifier's signed request QR
// with [Wallet.ReadRequestQR].
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
