package keys_test

import (
	"bytes"
	"crypto"
	"fmt"

	"github.com/ikdkit/ikdkit/keys"
)

// Generate an Ed25519 key (from a fixed seed, for a reproducible example;
// real code passes nil to use crypto/rand), name it by its RFC 7638
// thumbprint, and sign through an opaque crypto.Signer as an HSM would.
func Example() {
	seed := bytes.NewReader(make([]byte, 32)) // DO NOT use a fixed seed in real code
	priv, err := keys.Generate(keys.EdDSA, seed)
	if err != nil {
		panic(err)
	}
	alg, _ := keys.AlgorithmFor(priv.Public())
	kid, _ := keys.Thumbprint(priv.Public())
	fmt.Println("alg:", alg)
	fmt.Println("kid:", kid)

	signer := keys.Opaque(priv) // only Public and Sign are visible
	_, isConcrete := signer.(interface{ Seed() []byte })
	fmt.Println("concrete type visible:", isConcrete)
	sig, _ := signer.Sign(nil, []byte("hello"), crypto.Hash(0))
	fmt.Println("signature bytes:", len(sig))
	// Output:
	// alg: EdDSA
	// kid: 9ZP03Nu8GrXPAUkbKNxHOKBzxPX83SShgFkRNK-f2lw
	// concrete type visible: false
	// signature bytes: 64
}
