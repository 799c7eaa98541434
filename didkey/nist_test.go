package didkey_test

// This test lives outside package didkey because package keys, which reads
// the vectors' private JWKs, imports didkey.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/json"
	"os"
	"testing"

	"github.com/ikdkit/ikdkit/didkey"
	"github.com/ikdkit/ikdkit/keys"
)

// TestNISTVectors: the P-256/384/521 DIDs give the vector's publicKeyJwk,
// and a JWS made with privateKeyJwk verifies under the resolved key.
func TestNISTVectors(t *testing.T) {
	var vs map[string]struct {
		VerificationMethod *struct {
			PrivateKeyJwkJSON json.RawMessage `json:"privateKeyJwk"`
		} `json:"verificationMethod"`
	}
	b, err := os.ReadFile("../testdata/didkey/test-vectors/nist-curves.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	n := 0
	for did, v := range vs {
		vm := v.VerificationMethod
		if vm == nil || vm.PrivateKeyJwkJSON == nil {
			continue
		}
		n++
		t.Run(did, func(t *testing.T) {
			d, err := didkey.Parse(did)
			if err != nil {
				t.Fatal(err)
			}
			signer, err := keys.ParsePrivateJWK(vm.PrivateKeyJwkJSON)
			if err != nil {
				t.Fatal(err)
			}
			if !signer.Public().(*ecdsa.PublicKey).Equal(d.PublicKey()) {
				t.Fatal("privateKeyJwk does not belong to the DID")
			}
			if got, err := didkey.Encode(keys.Opaque(signer).Public()); err != nil || got != did {
				t.Fatalf("Encode = %q, %v", got, err)
			}
			doc, err := d.Document(didkey.DocumentOptions{Type: didkey.JsonWebKey2020})
			if err != nil {
				t.Fatal(err)
			}
			var want didkey.PublicJWK
			if err := json.Unmarshal(vm.PrivateKeyJwkJSON, &want); err != nil {
				t.Fatal(err)
			}
			if *doc.VerificationMethod[0].PublicKeyJwk != want {
				t.Fatalf("publicKeyJwk %+v, want %+v", *doc.VerificationMethod[0].PublicKeyJwk, want)
			}
			digest := sha256.Sum256([]byte("hello"))
			sig, err := keys.Opaque(signer).Sign(nil, digest[:], crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if !ecdsa.VerifyASN1(d.PublicKey().(*ecdsa.PublicKey), digest[:], sig) {
				t.Fatal("signature does not verify under the resolved key")
			}
		})
	}
	if n == 0 {
		t.Fatal("no NIST vectors with a private key")
	}
}
