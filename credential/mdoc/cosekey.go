package mdoc

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
)

// COSE_Key labels and values, RFC 9052 §7 and RFC 9053 §7.
const (
	keyLabelKty = 1
	keyLabelKid = 2
	keyLabelAlg = 3
	keyLabelCrv = -1
	keyLabelX   = -2
	keyLabelY   = -3
	keyLabelD   = -4

	ktyOKP = 1
	ktyEC2 = 2

	crvP256    = 1
	crvP384    = 2
	crvP521    = 3
	crvEd25519 = 6
)

// encodeCOSEKey encodes a public key as a COSE_Key (RFC 9053 §7.1.1 EC2
// with uncompressed x and y, §7.2 OKP).
func encodeCOSEKey(pub crypto.PublicKey) ([]byte, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		var crv int64
		switch k.Curve {
		case elliptic.P256():
			crv = crvP256
		case elliptic.P384():
			crv = crvP384
		case elliptic.P521():
			crv = crvP521
		default:
			return nil, errorf(ErrUnsupportedAlgorithm, "curve %v", k.Curve.Params().Name)
		}
		raw, err := k.Bytes()
		if err != nil {
			return nil, errorf(ErrInvalidArgument, "device key: %v", err)
		}
		n := (len(raw) - 1) / 2
		return marshal(map[int64]any{
			keyLabelKty: ktyEC2,
			keyLabelCrv: crv,
			keyLabelX:   raw[1 : 1+n],
			keyLabelY:   raw[1+n:],
		})
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, errorf(ErrInvalidArgument, "ed25519 key of %d bytes", len(k))
		}
		return marshal(map[int64]any{
			keyLabelKty: ktyOKP,
			keyLabelCrv: crvEd25519,
			keyLabelX:   []byte(k),
		})
	}
	return nil, errorf(ErrUnsupportedAlgorithm, "key type %T", pub)
}

// parseCOSEKey decodes a COSE_Key holding a public key. Only EC2 keys on
// P-256/384/521 with both coordinates (no point compression) and OKP
// Ed25519 keys are accepted; a private part (-4) is rejected.
func parseCOSEKey(raw []byte) (crypto.PublicKey, error) {
	w, err := start(raw)
	if err != nil {
		return nil, err
	}
	m, err := w.intKeyed()
	if err != nil {
		return nil, err
	}
	intParam := func(label int64) (int64, bool, error) {
		v, ok := m[label]
		if !ok {
			return 0, false, nil
		}
		i, err := rawInt(v)
		if err != nil {
			return 0, true, errorf(ErrMalformed, "COSE_Key label %d: %v", label, err)
		}
		return i, true, nil
	}
	bytesParam := func(label int64) ([]byte, error) {
		v, ok := m[label]
		if !ok {
			return nil, errorf(ErrMalformed, "COSE_Key label %d missing", label)
		}
		r := newWalker(v)
		b, err := r.Bytes()
		if err != nil {
			return nil, err
		}
		return b, nil
	}
	if _, ok := m[keyLabelD]; ok {
		return nil, errorf(ErrMalformed, "COSE_Key holds a private key")
	}
	kty, ok, err := intParam(keyLabelKty)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errorf(ErrMalformed, "COSE_Key without kty")
	}
	crv, ok, err := intParam(keyLabelCrv)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errorf(ErrMalformed, "COSE_Key without crv")
	}
	x, err := bytesParam(keyLabelX)
	if err != nil {
		return nil, err
	}
	switch kty {
	case ktyEC2:
		var curve elliptic.Curve
		switch crv {
		case crvP256:
			curve = elliptic.P256()
		case crvP384:
			curve = elliptic.P384()
		case crvP521:
			curve = elliptic.P521()
		default:
			return nil, errorf(ErrUnsupportedAlgorithm, "EC2 curve %d", crv)
		}
		// RFC 9053 §7.1.1: y is a bstr, or a bool for point compression,
		// which ISO 18013-5 does not use; bytesParam rejects the bool.
		y, err := bytesParam(keyLabelY)
		if err != nil {
			return nil, err
		}
		size := (curve.Params().BitSize + 7) / 8
		if len(x) != size || len(y) != size {
			return nil, errorf(ErrMalformed, "EC2 coordinates of %d and %d bytes, want %d", len(x), len(y), size)
		}
		pt := make([]byte, 0, 1+2*size)
		pt = append(append(append(pt, 4), x...), y...)
		// ParseUncompressedPublicKey rejects points not on the curve.
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, pt)
		if err != nil {
			return nil, errorf(ErrMalformed, "EC2 point: %v", err)
		}
		return pub, nil
	case ktyOKP:
		if crv != crvEd25519 {
			return nil, errorf(ErrUnsupportedAlgorithm, "OKP curve %d", crv)
		}
		if len(x) != ed25519.PublicKeySize {
			return nil, errorf(ErrMalformed, "Ed25519 key of %d bytes", len(x))
		}
		return ed25519.PublicKey(bytes.Clone(x)), nil
	}
	return nil, errorf(ErrUnsupportedAlgorithm, "COSE key type %d", kty)
}
