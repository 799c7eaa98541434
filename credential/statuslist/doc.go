// Package statuslist implements the IETF Token Status List,
// draft-ietf-oauth-status-list-20 (April 2026; approved by the IESG and in
// the RFC Editor queue, not yet an RFC): revocation and suspension of SD-JWT
// VCs and mdocs through a compressed, signed list with one small status per
// credential.
//
// The package serves three roles. Section numbers below are those of
// draft-20.
//
// # Status Issuer
//
// Create a [List] with [New] (1, 2, 4 or 8 bits per entry, §4.1), give each
// new credential an index that does not reveal when it was issued — from a
// [Permutation] of a counter (no state but the counter) or an [Allocator]
// (random among the unused indices, one bit per index) — mark
// revocations with [List.Set], and publish a Status List Token with
// [SignJWT] (§5.1, typ statuslist+jwt) or [SignCWT] (§5.2, COSE_Sign1). Both
// sign through a crypto.Signer, so the key can stay in an HSM.
//
// # Referenced Token
//
// A credential points at its entry with the "status" claim: [StatusClaim]
// holding a [Reference] {idx, uri}. The same types encode the JSON claim of
// an SD-JWT VC (§6.2) and the CBOR map of a CWT (claim 65535) or an mdoc
// MobileSecurityObject (§6.3). Parse untrusted claims with
// [ParseStatusClaimJSON], [StatusClaimFromJSONValue] or [ParseStatusClaimCBOR].
//
// # Relying Party
//
// [Verifier] checks a Status List Token with the key and algorithm the caller
// trusts (the token's own "alg" is only compared, never obeyed) and returns a
// verified [Token]. For offline-first checking, a [Cache] keeps verified
// tokens by uri; [Cache.Lookup] answers from memory and reports how old the
// answer is, under a [Policy] that honours exp and ttl; [Cache.Refresh]
// fetches over HTTP with a caller-supplied context and client, and is never
// called during verification; [Cache.Add] and [Cache.AddToken] store tokens
// that arrived another way (a sync bundle, a file).
//
// # Untrusted input
//
// Every size an attacker controls is capped: the token
// ([DefaultMaxTokenBytes]), the decompressed list ([DefaultMaxListBytes]; a
// zlib bomb fails after at most the cap is inflated), the status claim
// ([MaxStatusClaimBytes]), CBOR nesting and container sizes, and URIs. JSON
// with duplicate member names and CBOR with duplicate keys are rejected. An
// index beyond the list is [ErrIndexOutOfRange], never a panic. All errors
// are [*Error] values wrapping one of the package's sentinel errors.
//
// # Caveats
//
// The CWT claim keys 65533 (status_list), 65534 (ttl) and 65535 (status) are
// the assignments the draft requests from IANA. COSE_Mac0 and JWS MACs are not
// supported. Byte-exact compressed output differs from other zlib encoders;
// only the decompressed bytes are canonical.
package statuslist
