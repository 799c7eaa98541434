package statuslist_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"

	"github.com/ikdkit/ikdkit/credential/statuslist"
)

// exampleKey loads the draft's example P-256 key (kid 12) from testdata.
// DO NOT hardcode or ship private keys like this; in production the Status
// Issuer's key is a crypto.Signer backed by an HSM.
func exampleKey() *ecdsa.PrivateKey {
	raw, err := os.ReadFile("../../testdata/statuslist/key.json")
	if err != nil {
		panic(err)
	}
	var jwk struct{ X, Y, D string }
	if err := json.Unmarshal(raw, &jwk); err != nil {
		panic(err)
	}
	n := func(s string) *big.Int {
		b, _ := base64.RawURLEncoding.DecodeString(s)
		return new(big.Int).SetBytes(b)
	}
	return &ecdsa.PrivateKey{
		PublicKey: ecdsa.PublicKey{Curve: elliptic.P256(), X: n(jwk.X), Y: n(jwk.Y)},
		D:         n(jwk.D),
	}
}

// Example shows the whole flow: the Status Issuer allocates an index for a
// new credential, revokes it when the phone is reported lost, and publishes
// a token; an offline verifier answers from its cache.
func Example() {
	key := exampleKey()
	const uri = "https://status.ikd.example.id/lists/32/7"
	issued := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

	// Status Issuer.
	list, _ := statuslist.New(2, 1<<16) // VALID / INVALID / SUSPENDED
	alloc, _ := statuslist.NewAllocator(list.Len(), nil, rand.Reader)
	idx, _ := alloc.Allocate()
	ref := statuslist.Reference{Index: idx, URI: uri} // goes into the credential
	_ = list.Set(idx, statuslist.Invalid)             // phone lost: revoke
	token, err := statuslist.SignJWT(rand.Reader, key, list, statuslist.TokenParams{
		Subject: uri, IssuedAt: issued, ExpiresAt: issued.Add(7 * 24 * time.Hour), TTL: 12 * time.Hour, KeyID: "12",
	})
	if err != nil {
		panic(err)
	}

	// Verifier: trusts this key for this list, fixed clock for the example.
	now := issued.Add(90 * time.Minute)
	cache, _ := statuslist.NewCache(statuslist.CacheConfig{
		Keys: func(string) (*statuslist.Verifier, error) {
			return &statuslist.Verifier{Key: &key.PublicKey}, nil
		},
		Now: func() time.Time { return now },
	})
	if err := cache.Add(uri, token); err != nil { // or cache.Refresh(ctx, client, uri) when online
		panic(err)
	}
	ans, err := cache.Lookup(ref)
	if err != nil {
		panic(err)
	}
	fmt.Println(ans.Status, "as of", ans.Age, "ago")
	// Output: INVALID as of 1h30m0s ago
}

// ExampleVerifier_VerifyJWT verifies the draft's example Status List Token
// with a key chosen by the caller; the algorithm is the key's, never the
// one the token names.
func ExampleVerifier_VerifyJWT() {
	raw, _ := os.ReadFile("../../testdata/statuslist/status_list_token.jwt")
	v := &statuslist.Verifier{
		Key: &exampleKey().PublicKey,
		Now: func() time.Time { return time.Unix(1700000000, 0) },
	}
	tok, err := v.VerifyJWT(bytes.TrimSpace(raw))
	if err != nil {
		panic(err)
	}
	fmt.Println(tok.Subject(), tok.Bits(), tok.Len())
	for i := uint64(0); i < 4; i++ {
		s, _ := tok.Status(i)
		fmt.Println(i, s)
	}
	// Output:
	// https://example.com/statuslists/1 1 16
	// 0 INVALID
	// 1 VALID
	// 2 VALID
	// 3 INVALID
}

// ExampleCache_Lookup_errors shows how a verifier tells the outcomes apart
// with errors.Is and errors.As.
func ExampleCache_Lookup_errors() {
	key := exampleKey()
	raw, _ := os.ReadFile("../../testdata/statuslist/status_list_token.jwt")
	now := time.Unix(1700000000, 0) // long after the token's iat (2023-06-16)
	cache, _ := statuslist.NewCache(statuslist.CacheConfig{
		Keys: func(string) (*statuslist.Verifier, error) {
			return &statuslist.Verifier{Key: &key.PublicKey}, nil
		},
		Policy: statuslist.Policy{MaxAge: 30 * 24 * time.Hour, AllowBeyondTTL: true},
		Now:    func() time.Time { return now },
	})
	_ = cache.Add("https://example.com/statuslists/1", bytes.TrimSpace(raw))

	_, err := cache.Lookup(statuslist.Reference{Index: 0, URI: "https://example.com/statuslists/1"})
	var e *statuslist.Error
	if errors.Is(err, statuslist.ErrStale) && errors.As(err, &e) {
		fmt.Println("stale, op:", e.Op)
	}
	_, err = cache.Lookup(statuslist.Reference{Index: 0, URI: "https://example.com/statuslists/2"})
	fmt.Println(errors.Is(err, statuslist.ErrNotCached))
	// Output:
	// stale, op: lookup
	// true
}
