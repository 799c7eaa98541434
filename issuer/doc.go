// Package issuer is the kit an issuing authority (Dukcapil for KTP-el and KK,
// DJP for NPWP, BPJS) embeds in its service: registration and operator
// confirmation (the IKD procedure, SOP 400.8.3/21790/Dukcapil, summarised in
// docs/domain.md §6), issuance over OpenID for Verifiable Credential
// Issuance 1.0 (OpenID4VCI, the Pre-Authorized Code Flow) with device
// binding by key proofs (Appendix F.1, proof_type "jwt"), SD-JWT VCs
// (draft-ietf-oauth-sd-jwt-vc) and ISO/IEC 18013-5 mdocs with Token Status
// List entries (draft-ietf-oauth-status-list-20), revocation and an
// append-only audit log.
//
// # First steps
//
// Open a [Store] ([OpenSQLite] is the default: one SQLite file, pure Go;
// [OpenPostgres] for PostgreSQL; [OpenStore] picks by the DSN),
// build an [Issuer] with [New] (its [Config.Documents] looks the person's
// documents up), mount its [Handler] from [NewHandler] at the Credential
// Issuer Identifier's host, then follow the activation:
//
//  1. [Issuer.Register]: the person's NIK, email and phone.
//  2. [Issuer.Confirm]: an operator who has seen the person confirms; the
//     result is a credential offer ([Offer], OpenID4VCI 1.0 §4) for every
//     configuration of the person's documents. Show it at the desk as a QR
//     code ([Offer.QR]) or a link; e-mail its tx_code, the activation PIN,
//     to the registered address. The pre-authorized code (256 bits) and
//     the tx_code are stored only as hashes, work once, expire after
//     [Config.OfferTTL] (10 minutes by default), and the offer is dead after
//     [Config.MaxCodeAttempts] wrong tx_codes (5 by default).
//  3. The wallet redeems the offer at the [Handler]: token endpoint
//     (pre-authorized code and tx_code; a Bearer or DPoP-bound access
//     token, and a refresh token), nonce endpoint (a c_nonce), then one
//     credential request per configuration with one key proof per copy
//     (see "One-time copies"). The session's first credential request
//     makes the NIK's device binding; every credential of the session is
//     bound to a proven key, a KTP-el also issued in its QR profile.
//  4. Later, the wallet tops up its copies without a new offer: the
//     refresh token at the token endpoint (grant_type refresh_token, RFC
//     6749 §6) gives a new access token, of the same binding, and a new
//     refresh token; its credential requests add their keys to the
//     binding and issue new copies of the configurations first offered.
//
// [Issuer.Issue] and [Issuer.IssueBatch] issue further documents to an
// active binding, and [Issuer.StatusListToken] publishes the status lists
// (the Handler also serves them).
//
// # One-time copies
//
// A credential shown twice links its two verifiers: the same signature,
// digests, device key and status index. So each credential is issued as
// a batch of one-time copies ([Config.Copies]: 10 of a KTP-el and of its
// QR profile, 5 of the other documents, by default), one per key proof of
// a Credential Request (OpenID4VCI 1.0 §8.2 proofs), each under its own
// device key, with its own salts, decoy digests ([Config.Decoys]), mdoc
// digest IDs, status list index and signature; a wallet shows each copy
// once. Their times are floored to [Config.TimeGranularity] (the start of
// the UTC day by default: SD-JWT VC iat and exp, mdoc signed, validFrom
// and validUntil), so the copies of a batch, and every credential issued
// that day, carry the same times. A request with more proofs than its
// type's copies is refused; the Credential Issuer Metadata announce the
// largest as batch_size.
//
// # Refresh tokens
//
// Every Token Response carries a refresh token: 256 random bits, stored
// as a hash, valid for [HandlerConfig.RefreshTokenTTL] (180 days by
// default), bound to the DPoP key of its access token if that was
// DPoP-bound (RFC 9449 §5), and single use: each exchange spends it and
// gives a new one (rotation). A spent refresh token presented again
// revokes every refresh token descended from the same activation,
// including the one it was exchanged for (OAuth 2.0 Security BCP, RFC
// 9700 §4.14.2): the issuer cannot tell the wallet from a thief, so both
// lose it, and the wallet needs a new offer at the desk. A wallet must
// therefore store the new refresh token before it uses the access token,
// and never retry with a spent one. A refresh token tops up only an
// active binding: a lost phone ([Issuer.ReportLost]) or the NIK on a new
// phone makes it invalid_grant.
//
// # One NIK, one phone
//
// A NIK has at most one active device binding (enforced by the store
// schema). The first credential request of a session for the NIK on a new
// device revokes the old binding and every credential bound to it in the
// same transaction; a session whose binding was since replaced gets
// nothing more. [Issuer.ReportLost] revokes by NIK when a phone is lost; a
// new confirmation and offer activate a new phone afterwards.
//
// # Key attestation
//
// [HandlerConfig.KeyAttestation] may require, per credential type, that
// every device key be attested (OpenID4VCI 1.0 Appendix D) by a wallet
// provider whose CA certificate is one of its Roots, at a given attack
// potential resistance. The wallet provider checks the platform's own
// evidence (Android Key Attestation, Apple App Attest) and signs the key
// attestation; the issuer trusts the wallet provider, not the platform
// (see oid4vci.KeyAttestation). No type requires it by default.
//
// # Transactions and crash safety
//
// Every state change happens inside one [Store.Update] transaction. A
// token request records the DPoP proof's jti, counts a wrong tx_code or
// marks the offer used (or spends the refresh token), and stores the
// session and its refresh token. A credential request
// consumes the c_nonce, makes or checks the binding (revoking the old
// one), records the proven keys, allocates status indices, records the
// credentials and the notification_id. If the process dies in the middle,
// none of it happened.
//
// Status list indices follow a sequence per list through a keyed
// permutation (statuslist.Permutation, the key secret in the store):
// position n of list l gives index π_l(n), so the published list shows no
// order of issuance (draft-ietf-oauth-status-list-20 §12.2, §13.2), while
// the store's unique key (list, seq) is written in order, at the end of
// its index, instead of at a random page of it. Each process reserves
// runs of positions in a committed transaction before it signs (a run is
// the batch's need, at least 1/64 of a list and at most 1024 positions
// beyond it), so processes never draw the same position and a batch does
// not touch the store until it records. The store refuses a position used
// twice (UNIQUE (list, seq)). A position drawn by a batch that failed, and
// what is left of a process's runs when it stops, is never used: that
// wastes an index, never reuses one. Credentials recorded before schema
// version 5 have indices drawn at random and no position; the sequence
// skips those indices.
//
// Signing is not store state, and it is the slow part, so it happens on
// [Config.SigningWorkers] goroutines at once. [Issuer.IssueBatch] signs
// before its transaction: the write lock is held only while the records
// are written, and the transaction checks again that every binding is
// still active, so a binding revoked while its batch was being signed
// fails the batch with nothing recorded or returned. A credential request
// signs inside its transaction, after the nonce and the binding have been
// checked, so a refused request costs no signatures.
//
// # Several processes, one store
//
// Several Issuers (and their Handlers) may share one store (issuer
// processes on one SQLite file or one PostgreSQL database): an offer redeemed at two processes
// at once gives one access token, a DPoP proof's jti seen by one is a
// replay at the other, and wrong tx_codes count across them. Each Issuer
// draws status indices from the runs of positions it reserved, which no
// other process has. A batch whose reserved positions other batches of
// its process used up, or a credential whose record the store refused (a
// taken record ID), gets a position reserved in the recording transaction
// (in a new list, created in the same transaction, if every list is full)
// and is signed again. The redraws of one credential are bounded
// (ErrStore past the bound), and so are the new lists tried when another
// process keeps filling them (ErrListFull). Two processes creating the
// same new list, or binding the same NIK, are serialized by the store like
// any two transactions: one creates the list or replaces the other's
// binding.
//
// # Stores
//
// Two implementations of [Store] come with the package, with the same
// schema, constraints and behaviour (one conformance suite tests both):
//
//   - [SQLiteStore] ([OpenSQLite]), the default: one file, WAL mode,
//     synchronous=FULL, every Update an IMMEDIATE transaction, so writers
//     queue for the file's lock (10 s busy timeout). Several processes on
//     one machine may share the file.
//   - [PostgresStore] ([OpenPostgres]), for issuer processes on several
//     machines: every Update a SERIALIZABLE transaction, run again from
//     the start after a serialization failure or deadlock (SQLSTATE 40001,
//     40P01), at most [PostgresAttempts] times with a jittered backoff,
//     then ErrStore. So fn may run more than once: it must reset what it
//     reports (as the package's own do) and have no effect outside the
//     transaction.
//
// [OpenStore] takes a DSN: a postgres:// or postgresql:// URL opens
// PostgreSQL, anything else is a SQLite file's path.
//
// The invariants are the schema's, not only the code's: one active
// binding per NIK (a partial unique index), a status list position given
// out once (UNIQUE (list, seq)), positions reserved only forward and a
// list's permutation key never changed (triggers), one session per offer, an append-only audit log
// (triggers refuse updates and deletes; in PostgreSQL its seq comes from a
// one-row counter incremented in the appending transaction, so it has no
// gaps), credential records kept and revocations never undone,
// pre-authorized codes and refresh tokens used once. A uniqueness conflict
// inside a transaction is reported to the caller (the issuer then draws
// another status index) and leaves the transaction usable in both stores.
//
// Schema versions: both stores are at [SchemaVersion]. SQLite migrations
// 1-5 are in sqlite.go (the version in PRAGMA user_version); a new
// PostgreSQL database gets version 4's schema in one step, the version in
// its schema_version table, and each later migration is appended to both
// lists. Opening a store applies the pending migrations in one
// transaction (PostgreSQL: under an advisory lock, so one of several
// processes opening a new database migrates it) and refuses a schema newer
// than the package.
//
// # Personal data
//
// Credential records hold type, format, status index, holder key thumbprint
// and dates, not the claims, unless [Config.StoreClaims] is set.
// Registrations and bindings keep the NIK (and the registration the email
// and phone), because the procedure needs them. Offers, sessions, refresh
// tokens, nonces and DPoP jti values are kept as hashes.
//
// # QR profile
//
// A KTP-el is offered and issued twice in each format: as the full
// credential and as the compact QR-profile credential (credential.QRType,
// [ProfileQR]: vct urn:ikd:qr:1, at most 30 days). Other documents have no
// QR profile.
//
// # Operating
//
// [Config.Logger] and [HandlerConfig.Logger] take a *slog.Logger: server
// errors at Error (route, method, error), refused requests and operations
// at Debug (route, OAuth error code, reason); never a token, a code, a
// tx_code, a nonce, a claim or a NIK. [Config.Metrics] and
// [HandlerConfig.Metrics] take a [Metrics]: every request of the Handler
// by route name ("token", "credential", ...), with its status and
// latency, and the outcome of every operation ("register", "confirm",
// "activate", "refresh", "issue", "revoke", "report_lost": "ok" or a
// sentinel's name such as "code_invalid"). A Handler's nil Logger and
// Metrics are its Issuer's. The routes, outcomes and log attributes are
// listed in docs/operations.md.
package issuer
