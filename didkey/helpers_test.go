package didkey

import "github.com/lestrrat-go/jwx/v3/jwa"

func jwxHasSecp256k1() bool {
	_, ok := jwa.LookupEllipticCurveAlgorithm("secp256k1")
	return ok
}
