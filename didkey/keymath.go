package didkey

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"math/big"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// nistCurve returns the Go curve for a NIST key type.
func nistCurve(t KeyType) elliptic.Curve {
	switch t {
	case P256:
		return elliptic.P256()
	case P384:
		return elliptic.P384()
	case P521:
		return elliptic.P521()
	}
	return nil
}

// decodeKey turns the raw key bytes of a did:key into a Go public key. raw
// has exactly the length of its key type. It returns the key and, for EC
// keys, the uncompressed SEC 1 point (used for the JWK).
func decodeKey(t KeyType, raw []byte) (any, []byte, error) {
	switch t {
	case Ed25519:
		if err := checkEd25519(raw); err != nil {
			return nil, nil, err
		}
		return ed25519.PublicKey(raw), nil, nil
	case X25519:
		// RFC 7748 §5: every 32-byte string is a valid u-coordinate.
		k, err := ecdh.X25519().NewPublicKey(raw)
		if err != nil {
			return nil, nil, err
		}
		return k, nil, nil
	case P256, P384, P521:
		// SEC 1 v2 §2.3.4: a compressed point is 0x02 or 0x03 followed by
		// x; UnmarshalCompressed rejects other prefixes, x >= p and an x
		// with no point on the curve.
		curve := nistCurve(t)
		x, y := elliptic.UnmarshalCompressed(curve, raw)
		if x == nil {
			return nil, nil, errNotOnCurve
		}
		size := keyTypes[t].coordLen
		uncompressed := make([]byte, 1+2*size)
		uncompressed[0] = 4
		x.FillBytes(uncompressed[1 : 1+size])
		y.FillBytes(uncompressed[1+size:])
		k, err := ecdsa.ParseUncompressedPublicKey(curve, uncompressed)
		if err != nil {
			return nil, nil, err
		}
		return k, uncompressed, nil
	case Secp256k1:
		if raw[0] != 2 && raw[0] != 3 {
			return nil, nil, errNotOnCurve
		}
		k, err := secp256k1.ParsePubKey(raw)
		if err != nil {
			return nil, nil, err
		}
		return k.ToECDSA(), k.SerializeUncompressed(), nil
	}
	return nil, nil, errNotOnCurve
}

type keyError string

func (e keyError) Error() string { return string(e) }

const (
	errNotOnCurve    = keyError("not a compressed point on the curve")
	errEd25519Point  = keyError("not the encoding of a point on edwards25519")
	errEd25519NonCan = keyError("non-canonical edwards25519 encoding")
)

// compress returns the SEC 1 v2 §2.3.3 compressed form of an uncompressed
// point 0x04 || x || y.
func compress(uncompressed []byte) []byte {
	size := (len(uncompressed) - 1) / 2
	out := make([]byte, 1+size)
	out[0] = 2 | uncompressed[len(uncompressed)-1]&1
	copy(out[1:], uncompressed[1:1+size])
	return out
}

// Field constants of edwards25519 (RFC 8032 §5.1, RFC 7748 §4.1).
var (
	edP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	// d = -121665/121666 mod p
	edD = func() *big.Int {
		inv := new(big.Int).ModInverse(big.NewInt(121666), edP)
		d := new(big.Int).Mul(big.NewInt(-121665), inv)
		return d.Mod(d, edP)
	}()
	one = big.NewInt(1)
)

// edY returns the y coordinate and the sign bit of an encoded Ed25519 point.
func edY(raw []byte) (*big.Int, byte) {
	le := make([]byte, 32)
	for i := range 32 {
		le[31-i] = raw[i]
	}
	sign := le[0] >> 7
	le[0] &= 0x7f
	return new(big.Int).SetBytes(le), sign
}

// checkEd25519 applies the point decoding of RFC 8032 §5.1.3 to a public
// key, strictly: y must be below p (step 1, canonical), x² = (y²-1)/(dy²+1)
// must be a square (steps 2-3), and x = 0 with the sign bit set is rejected
// (step 4). x² = u/v is a square exactly when u·v is (v ≠ 0), which the
// Jacobi symbol decides without a modular square root. Public data only,
// so math/big timing is fine.
func checkEd25519(raw []byte) error {
	y, sign := edY(raw)
	if y.Cmp(edP) >= 0 {
		return errEd25519NonCan
	}
	y2 := new(big.Int).Mul(y, y)
	u := new(big.Int).Sub(y2, one)
	u.Mod(u, edP)
	if u.Sign() == 0 { // x = 0
		if sign == 1 {
			return errEd25519NonCan
		}
		return nil
	}
	v := y2.Mul(edD, y2)
	v.Add(v, one)
	uv := v.Mul(v, u)
	uv.Mod(uv, edP)
	if big.Jacobi(uv, edP) != 1 {
		return errEd25519Point
	}
	return nil
}

// ed25519ToX25519 maps an Ed25519 public key to the birationally equivalent
// X25519 public key, u = (1 + y) / (1 - y) mod p (RFC 7748 §4.1), as the
// did:key Encryption Method Creation Algorithm (v0.7 §3.1.4) requires.
func ed25519ToX25519(pub ed25519.PublicKey) ([]byte, bool) {
	y, _ := edY(pub)
	den := new(big.Int).Sub(one, y)
	den.Mod(den, edP)
	inv := new(big.Int).ModInverse(den, edP)
	if inv == nil { // y = 1: the identity, which has no Montgomery form
		return nil, false
	}
	u := new(big.Int).Add(one, y)
	u.Mul(u, inv)
	u.Mod(u, edP)
	be := u.FillBytes(make([]byte, 32))
	out := make([]byte, 32)
	for i := range 32 {
		out[i] = be[31-i]
	}
	return out, true
}
