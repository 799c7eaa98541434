package request

import (
	"crypto"
	"slices"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/trustlist"
)

// RegisteredVerifier is what the caller's trust list says about a
// verifier key: who it is and which claims it may ask for.
type RegisteredVerifier struct {
	// ID is the verifier identifier.
	ID string
	// Name is its display name, for the wallet to show who is asking.
	Name string
	// KeyID is the kid of Key.
	KeyID string
	// Key is the public key that signs its requests: an *ecdsa.PublicKey
	// (P-256, P-384, P-521) or ed25519.PublicKey. The signature algorithm
	// follows from it, never from the request.
	Key crypto.PublicKey
	// Claims maps a credential type (vct or doctype) to the claim names it
	// may request: SD-JWT top-level claim names or mdoc element
	// identifiers. A type that is not a key may not be requested at all,
	// not even with no claims (an empty list registers a type for holder
	// binding only).
	Claims map[string][]string
}

// MayRequest reports whether the verifier may ask for claim path of a
// credential of type typ (docs/qr-format.md §10.3): the top-level claim
// name for an SD-JWT VC, the element identifier for an mdoc.
func (v *RegisteredVerifier) MayRequest(format credential.Format, typ string, path []any) bool {
	var name string
	switch {
	case format == credential.FormatSDJWT && len(path) > 0:
		name, _ = path[0].(string)
	case format == credential.FormatMdoc && len(path) == 2:
		name, _ = path[1].(string)
	}
	return name != "" && slices.Contains(v.Claims[typ], name)
}

// VerifierLookup finds a registered verifier by identifier and key id,
// typically in the caller's trust list. It returns an error when the
// verifier or the key is not registered.
type VerifierLookup func(verifierID, kid string) (*RegisteredVerifier, error)

// StaticVerifiers is a VerifierLookup over a fixed set of registrations,
// found by ID and KeyID.
func StaticVerifiers(vs ...RegisteredVerifier) VerifierLookup {
	m := make(map[[2]string]RegisteredVerifier, len(vs))
	for _, v := range vs {
		m[[2]string{v.ID, v.KeyID}] = v
	}
	return func(id, kid string) (*RegisteredVerifier, error) {
		if v, ok := m[[2]string{id, kid}]; ok {
			return &v, nil
		}
		return nil, errorf("request", ErrUnregisteredVerifier, "no verifier %q with key %q", id, kid)
	}
}

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

// clone returns a copy of v whose Claims can be changed without changing
// v's.
func (v RegisteredVerifier) clone() RegisteredVerifier {
	out := v
	if v.Claims != nil {
		out.Claims = make(map[string][]string, len(v.Claims))
		for typ, names := range v.Claims {
			out.Claims[typ] = slices.Clone(names)
		}
	}
	return out
}
