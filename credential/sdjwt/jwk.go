package sdjwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"fmt"

	"github.com/ikdkit/ikdkit/internal/jose"
)

// publicJWK returns the RFC 7517 JWK members of an ECDSA (P-256/384/521) or
// Ed25519 public key, as used in cnf.jwk (RFC 7800 §3.2).
func publicJWK(pub crypto.PublicKey) (map[string]any, error) {
	b64 := base64.RawURLEncoding
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		raw, err := k.Bytes() // 0x04 || X || Y
		if err != nil {
			return nil, fmt.Errorf("sdjwt: holder key: %w", err)
		}
		size := (len(raw) - 1) / 2
		return map[string]any{
			"kty": "EC",
			"crv": k.Curve.Params().Name,
			"x":   b64.EncodeToString(raw[1 : 1+size]),
			"y":   b64.EncodeToString(raw[1+size:]),
		}, nil
	case ed25519.PublicKey:
		return map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64.EncodeToString(k)}, nil
	}
	return nil, fmt.Errorf("%w: unsupported holder key type %T", ErrAlgorithm, pub)
}

// parsePublicJWK reads an EC or OKP public JWK from decoded JSON. It checks
// exact coordinate lengths and that the point is on the curve, and rejects
// JWKs that carry private key material.
func parsePublicJWK(m map[string]any) (crypto.PublicKey, error) {
	if _, ok := m["d"]; ok {
		return nil, fmt.Errorf("JWK contains a private key")
	}
	str := func(name string) ([]byte, error) {
		s, ok := m[name].(string)
		if !ok {
			return nil, fmt.Errorf("JWK member %q missing or not a string", name)
		}
		return decodeB64(s)
	}
	kty, _ := m["kty"].(string)
	crv, _ := m["crv"].(string)
	switch kty {
	case "EC":
		var curve elliptic.Curve
		switch crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, fmt.Errorf("unsupported EC curve %q", crv)
		}
		// The uncompressed point 04 || x || y, the coordinates decoded in
		// place.
		size := (curve.Params().BitSize + 7) / 8
		var buf [1 + 2*66]byte
		raw := buf[:1+2*size]
		raw[0] = 4
		for i, name := range [2]string{"x", "y"} {
			s, ok := m[name].(string)
			if !ok {
				return nil, fmt.Errorf("JWK member %q missing or not a string", name)
			}
			// RFC 7518 §6.2.1.2: x and y MUST be the full coordinate length.
			dst := raw[1+i*size : 1+(i+1)*size]
			if base64.RawURLEncoding.DecodedLen(len(s)) != size {
				return nil, fmt.Errorf("EC coordinates have the wrong length")
			}
			if n, err := jose.DecodeTo(dst, s); err != nil || n != size {
				return nil, fmt.Errorf("JWK member %q: not base64url of %d bytes", name, size)
			}
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, raw)
		if err != nil {
			return nil, fmt.Errorf("EC point: %v", err)
		}
		return pub, nil
	case "OKP":
		if crv != "Ed25519" {
			return nil, fmt.Errorf("unsupported OKP curve %q", crv)
		}
		x, err := str("x")
		if err != nil {
			return nil, err
		}
		if len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("Ed25519 key has the wrong length")
		}
		return ed25519.PublicKey(x), nil
	}
	return nil, fmt.Errorf("unsupported key type %q", kty)
}
