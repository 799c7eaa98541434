package sdjwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"fmt"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// StaticKey is a [KeyResolver] that always returns one key, for a verifier
// that pins a single issuer key.
func StaticKey(pub crypto.PublicKey) KeyResolver {
	return KeyResolverFunc(func(IssuerKeyInfo) (crypto.PublicKey, error) { return pub, nil })
}

// JWKSetResolver is a [KeyResolver] over a JWK Set, such as the jwks of an
// issuer's JWT VC Issuer Metadata (draft-ietf-oauth-sd-jwt-vc-18 §5). It
// requires a kid header and accepts only public EC (P-256/384/521) and
// Ed25519 keys. If issuer is not empty, the payload's iss must equal it, as
// the metadata's issuer must (draft-18 §5.3).
//
// The set is read once; the resolver does no I/O.
func JWKSetResolver(set jwk.Set, issuer string) (KeyResolver, error) {
	keys := make(map[string]crypto.PublicKey, set.Len())
	for i := range set.Len() {
		k, _ := set.Key(i)
		kid, ok := k.KeyID()
		if !ok || kid == "" {
			return nil, fmt.Errorf("%w: JWK without kid in set", ErrOptions)
		}
		var raw any
		if err := jwk.Export(k, &raw); err != nil {
			return nil, fmt.Errorf("%w: JWK %q: %v", ErrOptions, kid, err)
		}
		switch raw.(type) {
		case *ecdsa.PublicKey, ed25519.PublicKey:
		default:
			return nil, fmt.Errorf("%w: JWK %q is %T, not a public EC or Ed25519 key", ErrOptions, kid, raw)
		}
		if _, dup := keys[kid]; dup {
			return nil, fmt.Errorf("%w: kid %q twice in set", ErrOptions, kid)
		}
		keys[kid] = raw
	}
	return KeyResolverFunc(func(info IssuerKeyInfo) (crypto.PublicKey, error) {
		if issuer != "" && info.Issuer != issuer {
			return nil, fmt.Errorf("iss %q is not %q", info.Issuer, issuer)
		}
		if info.KeyID == "" {
			return nil, fmt.Errorf("issuer JWT has no kid")
		}
		k, ok := keys[info.KeyID]
		if !ok {
			return nil, fmt.Errorf("kid %q not in the key set", info.KeyID)
		}
		return k, nil
	}), nil
}
