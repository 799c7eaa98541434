package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
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

// FuzzParsePrivateJWK checks that ParsePrivateJWK either fails with an
// *Error and no signer, or returns a signer of a supported algorithm whose
// private JWK parses back to a signer with the same public key, and that
// signs something its public key verifies.
func FuzzParsePrivateJWK(f *testing.F) {
	seeds := []string{rfc8037PrivateJWK, rfc7515ES256JWK, rfc8037PublicJWK, `{"kty":"EC","crv":"P-256","d":"AAAA"}`, `{}`, ``}
	for _, alg := range Algorithms() {
		b, err := MarshalPrivateJWK(mustGenerate(f, alg))
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, string(b))
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParsePrivateJWK(data)
		if err != nil {
			var e *Error
			if s != nil || !errors.As(err, &e) {
				t.Fatalf("error %v with signer %v", err, s)
			}
			return
		}
		alg, err := AlgorithmFor(s.Public())
		if err != nil {
			t.Fatalf("parsed key has no algorithm: %v", err)
		}
		out, err := MarshalPrivateJWK(s)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, err := ParsePrivateJWK(out)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if !again.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(s.Public()) {
			t.Fatal("round trip changed the key")
		}
		if !signsAndVerifies(s, alg) {
			t.Fatal("the parsed key does not sign for its own public key")
		}
	})
}

// signsAndVerifies signs a fixed message with s and verifies the signature
// with s's public key.
func signsAndVerifies(s crypto.Signer, alg Algorithm) bool {
	msg := []byte("ikdkit")
	if alg == EdDSA {
		sig, err := s.Sign(nil, msg, crypto.Hash(0))
		return err == nil && ed25519.Verify(s.Public().(ed25519.PublicKey), msg, sig)
	}
	h := map[Algorithm]crypto.Hash{ES256: crypto.SHA256, ES384: crypto.SHA384, ES512: crypto.SHA512}[alg]
	hh := h.New()
	hh.Write(msg)
	d := hh.Sum(nil)
	sig, err := s.Sign(rand.Reader, d, h)
	return err == nil && ecdsa.VerifyASN1(s.Public().(*ecdsa.PublicKey), d, sig)
}
