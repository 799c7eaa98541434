// Package oid4vci holds the wire types and checks of OpenID for Verifiable
// Credential Issuance 1.0 (OpenID4VCI) that both sides of issuance use: the
// issuer (package issuer) and the wallet (package holder). Neither side
// imports the other; both import this package.
//
// # Key proofs
//
// A wallet proves possession of the device key the credential will be bound
// to with a key proof JWT of proof type "jwt" (Appendix F.1): [SignProof] on
// the wallet, [VerifyProof] on the issuer. The proof carries the public key
// in its jwk header; the issuer binds the credential to exactly that key.
// [VerifyProof] checks the JWS with package keys' algorithms only (ES256,
// ES384, ES512, EdDSA; the algorithm follows from the key, RFC 8725 §3.1),
// typ, aud, iat and the presence of a nonce; whether the nonce is one the
// issuer handed out and still unused is the issuer's to decide, since only
// it keeps the nonces (Appendix F.4, §7).
//
// # Errors
//
// Errors wrap [ErrInvalidProof] or [ErrInvalidNonce], named after the
// error codes of the Credential Error Response (§8.3.1.2) an issuer sends
// for them.
package oid4vci
