package statuslist

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/asn1"
	"io"
	"math/big"

	"github.com/veraison/go-cose"
)

// Algorithm is a signature algorithm for Status List Tokens, named as in the
// JOSE registry (RFC 7518 §3.1, RFC 8037 §3.1). The verifier's algorithm
// always comes from the caller's key or policy, never from the token
// (RFC 8725 §3.1); "none", HMAC and RSA are not supported.
type Algorithm string

// Supported algorithms.
const (
	ES256 Algorithm = "ES256" // ECDSA P-256 with SHA-256; COSE -7
	ES384 Algorithm = "ES384" // ECDSA P-384 with SHA-384; COSE -35
	ES512 Algorithm = "ES512" // ECDSA P-521 with SHA-512; COSE -36
	EdDSA Algorithm = "EdDSA" // Ed25519; COSE -8
)

// coseAlg maps a to its COSE algorithm identifier (RFC 9053 §2.1, §2.2).
func (a Algorithm) coseAlg() (cose.Algorithm, bool) {
	switch a {
	case ES256:
		return cose.AlgorithmES256, true
	case ES384:
		return cose.AlgorithmES384, true
	case ES512:
		return cose.AlgorithmES512, true
	case EdDSA:
		return cose.AlgorithmEdDSA, true
	}
	return 0, false
}

// params returns the curve and hash of an ECDSA algorithm.
func (a Algorithm) ecParams() (elliptic.Curve, crypto.Hash, bool) {
	switch a {
	case ES256:
		return elliptic.P256(), crypto.SHA256, true
	case ES384:
		return elliptic.P384(), crypto.SHA384, true
	case ES512:
		return elliptic.P521(), crypto.SHA512, true
	}
	return nil, 0, false
}

// checkKey reports whether pub is a key for alg: the curve must be the one
// alg names (RFC 7518 §3.4), Ed25519 for EdDSA (RFC 8037 §3.1).
func checkKey(op string, alg Algorithm, pub crypto.PublicKey) error {
	if curve, _, ok := alg.ecParams(); ok {
		k, isEC := pub.(*ecdsa.PublicKey)
		if !isEC || k == nil || k.Curve != curve {
			return errorf(op, ErrAlgorithm, "%s needs an ECDSA %s key, got %T", alg, curve.Params().Name, pub)
		}
		return nil
	}
	if alg == EdDSA {
		k, isEd := pub.(ed25519.PublicKey)
		if !isEd || len(k) != ed25519.PublicKeySize {
			return errorf(op, ErrAlgorithm, "EdDSA needs an Ed25519 key, got %T", pub)
		}
		return nil
	}
	return errorf(op, ErrAlgorithm, "unsupported algorithm %q", string(alg))
}

// signJOSE signs msg and returns a JWS signature (RFC 7515 §5.1): the raw
// R||S form of RFC 7518 §3.4 for ECDSA, the 64-byte signature for Ed25519.
func signJOSE(rand io.Reader, signer crypto.Signer, alg Algorithm, msg []byte) ([]byte, error) {
	const op = "sign"
	if curve, hash, ok := alg.ecParams(); ok {
		h := hash.New()
		h.Write(msg)
		der, err := signer.Sign(rand, h.Sum(nil), hash)
		if err != nil {
			return nil, errorf(op, ErrSignature, "signer: %v", err)
		}
		var rs struct{ R, S *big.Int }
		rest, err := asn1.Unmarshal(der, &rs)
		if err != nil || len(rest) != 0 || rs.R == nil || rs.S == nil || rs.R.Sign() <= 0 || rs.S.Sign() <= 0 {
			return nil, errorf(op, ErrSignature, "signer returned a malformed ECDSA signature")
		}
		size := (curve.Params().BitSize + 7) / 8
		if rs.R.BitLen() > size*8 || rs.S.BitLen() > size*8 {
			return nil, errorf(op, ErrSignature, "signer returned an oversized ECDSA signature")
		}
		out := make([]byte, 2*size)
		rs.R.FillBytes(out[:size])
		rs.S.FillBytes(out[size:])
		return out, nil
	}
	if alg == EdDSA {
		sig, err := signer.Sign(rand, msg, crypto.Hash(0))
		if err != nil {
			return nil, errorf(op, ErrSignature, "signer: %v", err)
		}
		if len(sig) != ed25519.SignatureSize {
			return nil, errorf(op, ErrSignature, "signer returned %d bytes", len(sig))
		}
		return sig, nil
	}
	return nil, errorf(op, ErrAlgorithm, "unsupported algorithm %q", string(alg))
}

// verifyJOSE checks a JWS signature made with alg; checkKey must have
// accepted pub for alg.
func verifyJOSE(alg Algorithm, pub crypto.PublicKey, msg, sig []byte) bool {
	if curve, hash, ok := alg.ecParams(); ok {
		size := (curve.Params().BitSize + 7) / 8
		// RFC 7518 §3.4: the signature is R||S, each exactly size octets.
		if len(sig) != 2*size {
			return false
		}
		h := hash.New()
		h.Write(msg)
		r := new(big.Int).SetBytes(sig[:size])
		s := new(big.Int).SetBytes(sig[size:])
		return ecdsa.Verify(pub.(*ecdsa.PublicKey), h.Sum(nil), r, s)
	}
	if alg == EdDSA {
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(pub.(ed25519.PublicKey), msg, sig)
	}
	return false
}
