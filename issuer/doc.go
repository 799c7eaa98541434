// Package issuer is the kit an issuing authority (Dukcapil for KTP-el and KK,
// DJP for NPWP, BPJS) embeds in its service: registration, operator
// confirmation and one-time activation codes (the IKD procedure, SOP
// 400.8.3/21790/Dukcapil, summarised in docs/domain.md §6), device binding by
// proof of possession (OpenID4VCI 1.0 Appendix F.1, proof_type "jwt"),
// issuance of SD-JWT VCs (draft-ietf-oauth-sd-jwt-vc) and ISO/IEC 18013-5
// mdocs with Token Status List entries (draft-ietf-oauth-status-list-20),
// revocation and an append-only audit log.
//
// # First steps
//
// Open a [Store] ([OpenSQLite] is the default: one SQLite file, pure Go),
// build an [Issuer] with [New], then follow the activation:
//
//  1. [Issuer.Register]: the person's NIK, email and phone.
//  2. [Issuer.Confirm]: an operator who has seen the person confirms; the
//     result is a one-time activation code (128 bits, stored only as a hash,
//     single use, 10 minutes by default, locked after 5 wrong attempts).
//  3. [Issuer.Nonce]: the wallet gets a c_nonce and signs a proof JWT over
//     it with its device key ([SignProof] is the wallet side).
//  4. [Issuer.Activate]: code + proof; the documents from
//     [Config.Documents] are issued bound to the device key, in both
//     formats, a KTP-el also in its QR profile.
//
// Later, [Issuer.Issue] and [Issuer.IssueBatch] issue further documents to
// an active binding; [Issuer.StatusListToken] publishes the status lists.
//
// # One NIK, one phone
//
// A NIK has at most one active device binding (enforced by the store
// schema). Activating on a new device revokes the old binding and every
// credential bound to it in the same transaction; [Issuer.ReportLost]
// revokes by NIK when a phone is lost; activation works again afterwards.
//
// # Transactions and crash safety
//
// Every state change happens inside one [Store.Update] transaction:
// consuming the nonce, using the code, revoking the old binding, creating the
// new one, allocating status indices and recording the credentials. If the
// process dies in the middle, none of it happened. Status list indices are
// chosen at random among unused ones (statuslist.Allocator) and the store
// refuses an index used twice (UNIQUE (list, idx)). An index drawn by a
// transaction that rolled back is not reused until restart; that wastes an
// index, never reuses one.
//
// Signing is not store state, and it is the slow part, so it happens on
// [Config.SigningWorkers] goroutines at once. [Issuer.IssueBatch] signs
// before its transaction: the write lock is held only while the records
// are written, and the transaction checks again that every binding is
// still active, so a binding revoked while its batch was being signed
// fails the batch with nothing recorded or returned. [Issuer.Activate] and
// [Issuer.Refresh] sign inside their transaction, after the code or the
// proof has been checked, so a failed attempt costs no signatures.
//
// # Several processes, one store
//
// Several Issuers may share one store (issuer processes on one SQLite
// file, say). Each keeps its own in-memory allocators, which know only the
// indices its own process drew, so the store may refuse a record whose
// index another process took in the meantime. The recording transaction
// then reads the lists it can still draw from (at most one read of their
// used indices per transaction), draws an index free there (in a new list,
// created in the same transaction, if every list is full), and signs that
// credential again. The redraws of one credential are bounded (ErrStore
// past the bound), and so are the new lists tried when another process
// keeps filling them (ErrListFull). Two processes creating the same new
// list, or activating the same NIK, are serialized by the store like any
// two transactions: one creates the list or replaces the other's binding.
//
// # Personal data
//
// Credential records hold type, format, status index, holder key thumbprint
// and dates, not the claims, unless [Config.StoreClaims] is set.
// Registrations and bindings keep the NIK (and the registration the email
// and phone), because the procedure needs them.
//
// # QR profile
//
// At activation a KTP-el is issued twice in each format: as the full
// credential and as the compact QR-profile credential
// (credential.QRType, [ProfileQR]: vct urn:ikd:qr:1, at most 30 days). Other
// documents have no QR profile.
package issuer
