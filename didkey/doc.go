// Package didkey implements the did:key DID method: the W3C Credentials
// Community Group draft "The did:key Method" v0.7
// (https://w3c-ccg.github.io/did-method-key/), with verification methods of
// type Multikey (W3C Controlled Identifiers v1.0 §2.2.2) and JsonWebKey2020.
//
// A did:key is a public key written as a DID:
//
//	did:key:z<base58btc(varint(multicodec) || raw public key)>
//
// Use [Parse] to check a DID and get its key ([DID.PublicKey], [DID.JWK]),
// [Resolve] to get its DID document, and [Encode] or [New] to make a did:key
// from a public key. [ParseKeyID] accepts the "did:key:z…#z…" key IDs used as
// JWS "kid".
//
// # Key types
//
// Ed25519, X25519 (key agreement only), P-256, P-384, P-521 and secp256k1.
// EC points are stored compressed (SEC 1 v2 §2.3.3) and are decompressed and
// checked to lie on the curve when parsed. Ed25519 keys are checked to be
// canonical encodings of curve points (RFC 8032 §5.1.3). secp256k1 keys are
// returned as *ecdsa.PublicKey on the curve of
// github.com/decred/dcrd/dcrec/secp256k1/v4; a secp256k1 [jwk.Key] exists
// only when jwx is built with its jwx_es256k tag (otherwise [DID.JWK] gives
// [ErrRepresentationNotSupported]; [DID.PublicJWK] always works).
// RSA, BLS12-381, Ed448 and X448 keys are rejected with
// [ErrUnsupportedKeyType].
//
// # Strictness
//
// Parsing accepts exactly one encoding of each key: the did:key prefix in
// lower case, base58btc only, a minimal multicodec varint, the exact key
// length of the key type, and a valid point. Each rejection has its own
// sentinel error, wrapped in an [*Error] whose [Error.Code] gives the error
// name of the did:key specification. Input longer than [MaxLength] is
// rejected before any decoding.
//
// Resolving a did:key needs no network: the document is computed from the
// identifier. A did:key cannot be rotated or revoked; whether to trust one
// is the caller's decision.
package didkey
