package keys

import (
	"crypto"
	"errors"
	"testing"

	"github.com/ikdkit/ikdkit/didkey"
)

// TestParseAnyForm: ParsePublicKey reads the same key from a JWK, a PEM
// block and a did:key (with or without its fragment, surrounded by white
// space); ParsePrivateKey reads a private JWK and PEM; private material is
// refused where a public key is read, and anything else is ErrMalformed.
func TestParseAnyForm(t *testing.T) {
	for _, alg := range Algorithms() {
		t.Run(string(alg), func(t *testing.T) {
			s := mustGenerate(t, alg)
			jwk, _ := MarshalPublicJWK(s)
			pem, _ := MarshalPublicKeyPEM(s)
			privJWK, _ := MarshalPrivateJWK(s)
			privPEM, _ := MarshalPrivateKeyPEM(s)
			did, err := didkey.Encode(s.Public())
			if err != nil {
				t.Fatal(err)
			}
			d, _ := didkey.Parse(did)
			for name, in := range map[string][]byte{
				"JWK": jwk, "PEM": pem, "did:key": []byte(did),
				"did:key#fragment": []byte(did + "#" + d.Multibase()), "padded JWK": []byte("\n  " + string(jwk) + "\n"),
			} {
				pub, err := ParsePublicKey(in)
				if err != nil || !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(s.Public()) {
					t.Fatalf("%s: %v, %v", name, pub, err)
				}
			}
			for name, in := range map[string][]byte{"JWK": privJWK, "PEM": privPEM} {
				got, err := ParsePrivateKey(in)
				if err != nil || !got.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(s.Public()) {
					t.Fatalf("private %s: %v", name, err)
				}
			}
			if _, err := ParsePublicKey(privJWK); !errors.Is(err, ErrPrivateKeyMaterial) {
				t.Fatalf("private JWK as a public key: %v", err)
			}
			if _, err := ParsePublicKey(privPEM); !errors.Is(err, ErrMalformed) {
				t.Fatalf("private PEM as a public key: %v", err)
			}
			if _, err := ParsePrivateKey(jwk); !errors.Is(err, ErrMalformed) {
				t.Fatalf("public JWK as a private key: %v", err)
			}
		})
	}
	for _, in := range []string{"", "hello", "did:key:zNotAKey", "did:web:example.com", "[]"} {
		if k, err := ParsePublicKey([]byte(in)); err == nil || k != nil {
			t.Errorf("ParsePublicKey(%q) = %v, %v", in, k, err)
		}
		if k, err := ParsePrivateKey([]byte(in)); err == nil || k != nil {
			t.Errorf("ParsePrivateKey(%q) = %v, %v", in, k, err)
		}
	}
}

// FuzzParsePublicKey: ParsePublicKey never panics, gives an *Error and no
// key on failure, and a key of a supported algorithm on success.
func FuzzParsePublicKey(f *testing.F) {
	for _, alg := range Algorithms() {
		s := mustGenerate(f, alg)
		jwk, _ := MarshalPublicJWK(s)
		pem, _ := MarshalPublicKeyPEM(s)
		did, _ := didkey.Encode(s.Public())
		f.Add(jwk)
		f.Add(pem)
		f.Add([]byte(did))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		pub, err := ParsePublicKey(in)
		if err != nil {
			var e *Error
			if pub != nil || !errors.As(err, &e) {
				t.Fatalf("%v with key %v", err, pub)
			}
			return
		}
		if _, err := AlgorithmFor(pub); err != nil {
			t.Fatalf("parsed key has no algorithm: %v", err)
		}
	})
}
