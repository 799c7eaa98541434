// Package trustlist implements ikdkit's signed trust list: the document a
// trust-list operator publishes so that verifiers and wallets know, offline,
// which issuers to trust for which credential types and which verifiers
// ("pengguna data") may ask for which claims.
//
// # Format
//
// A trust list is a compact JWS (RFC 7515 §7.1) with typ "trustlist+jwt"
// ([Type]) whose payload is a JSON object (RFC 8259):
//
//	{
//	  "iss": "https://trust.example.go.id",   operator
//	  "seq": 7,                                sequence number, > 0, strictly increasing
//	  "iat": 1790000000, "next_update": ...,   NumericDate (RFC 7519 §2)
//	  "issuers": [{
//	    "id": "https://dukcapil.example.go.id", the iss of its SD-JWT VCs
//	    "name": "Ditjen Dukcapil",
//	    "keys": [{"kid": "k1", "jwk": {...}}, {"did": "did:key:z..."}],
//	    "iaca": ["<base64 DER>"],               IACA root certificates (mdoc)
//	    "ds":   ["<base64 DER>"],               document signer certificates (optional)
//	    "vct": ["urn:..."], "doctype": ["id.go..."]  authorised credential types
//	  }],
//	  "verifiers": [{
//	    "id": "https://bank.example.co.id", "name": "Bank Contoh",
//	    "keys": [...],
//	    "claims": {"<vct or doctype>": ["given_name", ...]}
//	  }]
//	}
//
// The format is specified by ikdkit; it borrows its shape from the ETSI TS
// 119 612 trusted lists and the EU Digital Identity trusted-list drafts, but
// is not either of them.
//
// # First steps
//
// A verifier or wallet pins the operator's public key and creates a [Store]
// with [NewStore], loads a list it already has with [Store.Update] (no
// network), and later calls [Store.Refresh] with a context when it is online.
// [Store.Current] returns the current [List], whose lookups answer the
// questions verification asks: [List.KeyResolver] (an sdjwt.KeyResolver by
// iss and kid), [List.IACARoots] for an mdoc doctype, [List.Authorized]
// ("may issuer X issue type T?") and [List.Verifier] (a registered verifier's
// keys and allowed claims). The operator signs lists with [Sign].
//
// A verifier that configures its trust itself (keys given to it out of
// band, a test) builds a [List] in code and validates it with [NewLocal]:
// the same rules and lookups, but no signature, so the caller vouches for
// it.
//
// # Security
//
// The signature algorithm follows from the pinned operator key, never from
// the token's header (RFC 8725 §3.1); "none" and HMAC are never accepted.
// A list whose sequence number is not greater than the current one is refused
// ([ErrRollback]), so an attacker who replays an old list cannot bring back a
// removed issuer. JSON is decoded strictly (duplicate or unknown members are
// rejected) and every size is capped ([MaxTokenSize], [MaxIssuers],
// [MaxVerifiers], [MaxKeys], [MaxCertificates], [MaxTypes], [MaxClaims],
// [MaxStringLen]).
//
// WARNING: a list loaded offline may be old. Callers that care compare
// [List.NextUpdate] with their clock; Update does not refuse an overdue list,
// because an offline verifier must keep working with the newest list it has.
package trustlist
