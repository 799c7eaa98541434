package keys

import (
	"crypto"
	"errors"
	"testing"
)

type publicKey interface {
	Equal(crypto.PublicKey) bool
}

// FuzzParsePublicJWK checks that ParsePublicJWK either fails with an *Error
// and a nil key, or returns a supported key that re-encodes to a JWK that
// parses back to an equal key.
func FuzzParsePublicJWK(f *testing.F) {
	seeds := []string{
		rfc8037PublicJWK,
		rfc8037PrivateJWK,
		rfc7515ES256JWK,
		`{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`,
		`{"kty":"oct","k":"AAAA"}`,
		`{"kty":"OKP","crv":"X25519","x":"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08"}`,
		`{}`, `[]`, ``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pub, err := ParsePublicJWK(data)
		if err != nil {
			var e *Error
			if pub != nil || !errors.As(err, &e) {
				t.Fatalf("error %v with key %v", err, pub)
			}
			return
		}
		if _, err := AlgorithmFor(pub); err != nil {
			t.Fatalf("parsed key has no algorithm: %v", err)
		}
		out, err := MarshalPublicJWK(pub)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, err := ParsePublicJWK(out)
		if err != nil {
			t.Fatalf("re-parse %s: %v", out, err)
		}
		if !again.(publicKey).Equal(pub) {
			t.Fatal("round trip changed the key")
		}
	})
}

// FuzzParsePublicKeyPEM checks the same property for SPKI PEM.
func FuzzParsePublicKeyPEM(f *testing.F) {
	for _, alg := range Algorithms() {
		s := mustGenerate(f, alg)
		p, err := MarshalPublicKeyPEM(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p)
		priv, err := MarshalPrivateKeyPEM(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(priv)
	}
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pub, err := ParsePublicKeyPEM(data)
		if err != nil {
			var e *Error
			if pub != nil || !errors.As(err, &e) {
				t.Fatalf("error %v with key %v", err, pub)
			}
			return
		}
		out, err := MarshalPublicKeyPEM(pub)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, err := ParsePublicKeyPEM(out)
		if err != nil || !again.(publicKey).Equal(pub) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
