package qr

import (
	"slices"

	"github.com/ikdkit/ikdkit/credential/trustlist"
)

// TrustListVerifiers is a VerifierLookup over the registered verifiers
// ("pengguna data") of a verified trust list: the verifier with that
// identifier, its key with that kid, and the claims the list allows it per
// credential type. A nil list registers nobody.
func TrustListVerifiers(l *trustlist.List) VerifierLookup {
	return func(id, kid string) (*RegisteredVerifier, error) {
		if l == nil {
			return nil, errorf("request", ErrUnregisteredVerifier, "no trust list")
		}
		v, ok := l.Verifier(id)
		if !ok {
			return nil, errorf("request", ErrUnregisteredVerifier, "verifier %q is not in the trust list", id)
		}
		i := slices.IndexFunc(v.Keys, func(k trustlist.Key) bool { return k.ID == kid })
		if i < 0 {
			return nil, errorf("request", ErrUnregisteredVerifier, "verifier %q has no key %q", id, kid)
		}
		claims := make(map[string][]string, len(v.Claims))
		for typ, names := range v.Claims {
			claims[typ] = slices.Clone(names)
		}
		return &RegisteredVerifier{ID: v.ID, Name: v.Name, KeyID: kid, Key: v.Keys[i].Public, Claims: claims}, nil
	}
}
