package didkey

// Bad-input suite (issue 12, docs/security.md): every strict prefix and
// every single-character change of valid did:key identifiers is refused
// with a typed error (or, for a change, yields a different valid key — never
// the same key under a different string), and oversized input is refused
// before it is decoded.

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
)

var securitySentinels = []error{
	ErrInvalidDID, ErrNotMultibase, ErrMalformedMulticodec, ErrUnknownMulticodec,
	ErrUnsupportedKeyType, ErrKeyLength, ErrTrailingBytes, ErrInvalidPublicKey,
}

func requireTyped(t *testing.T, what string, err error) {
	t.Helper()
	var e *Error
	if err == nil {
		t.Fatalf("%s: accepted", what)
	}
	if !errors.As(err, &e) {
		t.Fatalf("%s: %T is not *didkey.Error: %v", what, err, err)
	}
	for _, s := range securitySentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("%s: %v wraps no didkey sentinel", what, err)
}

// TestSecurityTruncationsAndFlips checks every prefix and a one-bit flip
// at every character of did:key strings for three key types.
func TestSecurityTruncationsAndFlips(t *testing.T) {
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	for name, pub := range map[string]any{"Ed25519": edPub, "P-256": &p256.PublicKey, "X25519": x.PublicKey()} {
		t.Run(name, func(t *testing.T) {
			did, err := Encode(pub)
			if err != nil {
				t.Fatal(err)
			}
			orig, err := Parse(did)
			if err != nil {
				t.Fatal(err)
			}
			for n := 0; n < len(did); n++ {
				_, err := Parse(did[:n])
				requireTyped(t, "prefix "+did[:n], err)
				_, err = Resolve(did[:n])
				requireTyped(t, "resolve prefix", err)
			}
			b := []byte(did)
			for i := range b {
				c := b[i]
				b[i] ^= 1 << (i % 7)
				flipped := string(b)
				d, err := Parse(flipped)
				b[i] = c
				if err == nil {
					// A changed base58 digit can decode to another
					// valid key; it must then be a different key, and
					// its string must be canonical.
					if d.String() != flipped {
						t.Fatalf("flip at %d: non-canonical or same DID accepted", i)
					}
					if samePublicKey(d.PublicKey(), orig.PublicKey()) {
						t.Fatalf("flip at %d: same key under another string", i)
					}
					continue
				}
				requireTyped(t, "flip", err)
			}
		})
	}
}

// samePublicKey compares two public keys with their Equal methods.
func samePublicKey(a, b any) bool {
	if e, ok := a.(interface{ Equal(x any) bool }); ok {
		return e.Equal(b)
	}
	return false
}

// TestSecurityOversizedAllocs: a 64 MiB did:key is refused by MaxLength with a
// bounded number of allocations.
func TestSecurityOversizedAllocs(t *testing.T) {
	huge := "did:key:z" + strings.Repeat("6", 64<<20)
	var last error
	allocs := testing.AllocsPerRun(5, func() { _, last = Parse(huge) })
	requireTyped(t, "64 MiB DID", last)
	if allocs > 10 {
		t.Fatalf("rejecting a 64 MiB DID allocated %v times", allocs)
	}
	_, err := Resolve(huge)
	requireTyped(t, "resolve 64 MiB", err)
}
