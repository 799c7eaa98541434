package didkey_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/ikdkit/ikdkit/didkey"
)

// An issuer with a P-256 key publishes it as a did:key; a verifier resolves
// the DID from the credential's "kid" and checks a signature with it.
func Example() {
	// The issuer's key. Here it is the P-256 key of the did:key test
	// vectors; a real issuer keeps its key in an HSM behind crypto.Signer.
	d, _ := base64.RawURLEncoding.DecodeString("gPh-VvVS8MbvKQ9LSVVmfnxnKjHn4Tqj0bmbpehRlpc")
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		panic(err)
	}
	var issuer crypto.Signer = priv

	// Issuer side: the did:key and the kid to put in the JWS header.
	id, err := didkey.New(issuer.Public())
	if err != nil {
		panic(err)
	}
	fmt.Println("did:", id)
	fmt.Println("kid:", id.KeyID())

	digest := sha256.Sum256([]byte("credential"))
	sig, err := issuer.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		panic(err)
	}

	// Verifier side: resolve the kid to a key and a DID document.
	got, err := didkey.ParseKeyID(id.KeyID())
	if err != nil {
		panic(err)
	}
	pub := got.PublicKey().(*ecdsa.PublicKey)
	fmt.Println("signature valid:", ecdsa.VerifyASN1(pub, digest[:], sig))

	doc, err := got.Document(didkey.DocumentOptions{Type: didkey.JsonWebKey2020})
	if err != nil {
		panic(err)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(doc.VerificationMethod[0])
	// Output:
	// did: did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv
	// kid: did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv#zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv
	// signature valid: true
	// {
	//   "id": "did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv#zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv",
	//   "type": "JsonWebKey2020",
	//   "controller": "did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv",
	//   "publicKeyJwk": {
	//     "kty": "EC",
	//     "crv": "P-256",
	//     "x": "igrFmi0whuihKnj9R3Om1SoMph72wUGeFaBbzG2vzns",
	//     "y": "efsX5b10x8yjyrj4ny3pGfLcY7Xby1KzgqOdqnsrJIM"
	//   }
	// }
}

// Resolve gives a Multikey DID document; a bad DID gives a typed error with
// the did:key specification's error code.
func ExampleResolve() {
	doc, err := didkey.Resolve("did:key:z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b")
	if err != nil {
		panic(err)
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	fmt.Println(string(b))

	// Not base58btc multibase (from the did-key-test-suite).
	_, err = didkey.Resolve("did:key:tKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b")
	var e *didkey.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code(), errors.Is(err, didkey.ErrNotMultibase))
	}
	// Output:
	// {
	//   "@context": [
	//     "https://www.w3.org/ns/did/v1",
	//     "https://w3id.org/security/multikey/v1"
	//   ],
	//   "id": "did:key:z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b",
	//   "verificationMethod": [
	//     {
	//       "id": "did:key:z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b#z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b",
	//       "type": "Multikey",
	//       "controller": "did:key:z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b",
	//       "publicKeyMultibase": "z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b"
	//     }
	//   ],
	//   "authentication": [
	//     "did:key:z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b#z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b"
	//   ],
	//   "assertionMethod": [
	//     "did:key:z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b#z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b"
	//   ],
	//   "capabilityInvocation": [
	//     "did:key:z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b#z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b"
	//   ],
	//   "capabilityDelegation": [
	//     "did:key:z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b#z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b"
	//   ]
	// }
	// invalidDid true
}
