package statuslist

import (
	"crypto"

	"github.com/ikdkit/ikdkit/keys"
)

// keyAlgorithm returns the algorithm of a Status Issuer's key (keys.AlgorithmFor):
// ES256, ES384 or ES512 for ECDSA on P-256, P-384 or P-521, EdDSA for
// Ed25519. The algorithm of a token is always this one, never the one the
// token names (RFC 8725 §3.1); "none", HMAC and RSA are not supported.
func keyAlgorithm(op string, pub crypto.PublicKey) (keys.Algorithm, error) {
	alg, err := keys.AlgorithmFor(pub)
	if err != nil {
		return "", errorf(op, ErrAlgorithm, "%v", err)
	}
	return alg, nil
}
