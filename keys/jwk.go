package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// MaxJWKSize caps the JSON text given to [ParsePublicJWK] and
// [ParsePrivateJWK]. A P-521 private JWK is about 400 bytes; 16 KiB leaves
// room for "x5c" chains of a few certificates.
const MaxJWKSize = 16 << 10

// maxJWKDepth is the JSON nesting allowed in a JWK: the object itself plus
// arrays such as "key_ops" and "x5c".
const maxJWKDepth = 2

// ParsePublicJWK parses a single public JWK (RFC 7517 §4) and returns the
// public key. The JSON must be one object without duplicate member names
// (RFC 7517 §4 / RFC 8259 §4: names SHOULD be unique; we require it). A JWK
// carrying the private member "d" is rejected with [ErrPrivateKeyMaterial],
// so a private key is never mistaken for, or published as, a public one.
func ParsePublicJWK(data []byte) (crypto.PublicKey, error) {
	obj, err := strictJWK(data)
	if err != nil {
		return nil, err
	}
	if _, ok := obj["d"]; ok {
		return nil, newErr(ErrPrivateKeyMaterial, `member "d" present`)
	}
	key, err := parseJWK(data)
	if err != nil {
		return nil, err
	}
	var raw any
	if err := jwk.Export(key, &raw); err != nil {
		return nil, newErr(ErrInvalidKey, "JWK: %v", err)
	}
	return publicOf(raw)
}

// ParsePrivateJWK parses a single private JWK (RFC 7517 §4, RFC 7518 §6.2.2,
// RFC 8037 §2) and returns it as a [crypto.Signer]. The public members must
// match the private key: a JWK whose "x"/"y" do not belong to "d" is
// rejected with [ErrInvalidKey].
func ParsePrivateJWK(data []byte) (crypto.Signer, error) {
	obj, err := strictJWK(data)
	if err != nil {
		return nil, err
	}
	if _, ok := obj["d"]; !ok {
		return nil, newErr(ErrMalformed, `private JWK without member "d"`)
	}
	key, err := parseJWK(data)
	if err != nil {
		return nil, err
	}
	var raw any
	if err := jwk.Export(key, &raw); err != nil {
		return nil, newErr(ErrInvalidKey, "JWK: %v", err)
	}
	s, err := signerOf(raw)
	if err != nil {
		return nil, err
	}
	// The public key as written in the JWK ("x", "y")...
	pubKey, err := key.PublicKey()
	if err != nil {
		return nil, newErr(ErrInvalidKey, "JWK: %v", err)
	}
	var claimed any
	if err := jwk.Export(pubKey, &claimed); err != nil {
		return nil, newErr(ErrInvalidKey, "JWK: %v", err)
	}
	// ...must equal the one computed from the private scalar or seed.
	derived, err := derivePublic(s)
	if err != nil {
		return nil, err
	}
	if eq, ok := claimed.(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(derived) {
		return nil, newErr(ErrInvalidKey, "public members do not match the private key")
	}
	return s, nil
}

// derivePublic recomputes the public key from the private scalar or seed
// alone, ignoring any cached public part.
func derivePublic(s crypto.Signer) (crypto.PublicKey, error) {
	switch k := s.(type) {
	case *ecdsa.PrivateKey:
		d, err := k.Bytes()
		if err != nil {
			return nil, newErr(ErrInvalidKey, "ECDSA private key: %v", err)
		}
		fresh, err := ecdsa.ParseRawPrivateKey(k.Curve, d)
		if err != nil {
			return nil, newErr(ErrInvalidKey, "ECDSA private key: %v", err)
		}
		return &fresh.PublicKey, nil
	case ed25519.PrivateKey:
		return ed25519.NewKeyFromSeed(k.Seed()).Public(), nil
	}
	return nil, newErr(ErrUnsupportedKey, "private key type %T", s)
}

// PublicJWK returns the public JWK of key (a public key, a private key or a
// [crypto.Signer]). No "kid", "alg" or "use" is set; use [Thumbprint] for a
// kid.
func PublicJWK(key any) (jwk.Key, error) {
	pub, err := publicOf(key)
	if err != nil {
		return nil, err
	}
	k, err := jwk.Import(pub)
	if err != nil {
		return nil, newErr(ErrInvalidKey, "JWK: %v", err)
	}
	return k, nil
}

// MarshalPublicJWK returns the JSON text of [PublicJWK].
func MarshalPublicJWK(key any) ([]byte, error) {
	k, err := PublicJWK(key)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(k)
	if err != nil {
		return nil, newErr(ErrInvalidKey, "JWK: %v", err)
	}
	return b, nil
}

// MarshalPrivateJWK returns the private JWK JSON of an *ecdsa.PrivateKey or
// ed25519.PrivateKey. The output contains secret material; handle it as
// such. Signers whose key cannot be exported give [ErrUnsupportedKey].
func MarshalPrivateJWK(key crypto.Signer) ([]byte, error) {
	s, err := signerOf(key)
	if err != nil {
		return nil, err
	}
	k, err := jwk.Import(s)
	if err != nil {
		return nil, newErr(ErrInvalidKey, "JWK: %v", err)
	}
	b, err := json.Marshal(k)
	if err != nil {
		return nil, newErr(ErrInvalidKey, "JWK: %v", err)
	}
	return b, nil
}

// Thumbprint returns the RFC 7638 JWK SHA-256 thumbprint of the public half
// of key, base64url-encoded without padding (RFC 7638 §3.1), as used for
// "kid" values and in RFC 9278 thumbprint URIs.
func Thumbprint(key any) (string, error) {
	k, err := PublicJWK(key)
	if err != nil {
		return "", err
	}
	// RFC 7638 §3.2/§3.3: only the required members, in lexicographic
	// order, without whitespace; jwx implements exactly that.
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", newErr(ErrInvalidKey, "thumbprint: %v", err)
	}
	if len(tp) != sha256.Size {
		return "", newErr(ErrInvalidKey, "thumbprint has %d bytes", len(tp))
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// strictJWK enforces the size cap and strict JSON before jwx sees the text
// (jwx uses encoding/json, which keeps the last of duplicate members).
func strictJWK(data []byte) (map[string]any, error) {
	if len(data) > MaxJWKSize {
		return nil, newErr(ErrTooLarge, "JWK is %d bytes, limit %d", len(data), MaxJWKSize)
	}
	obj, err := strictjson.UnmarshalObject(data, maxJWKDepth)
	if err != nil {
		return nil, newErr(ErrMalformed, "JWK: %v", err)
	}
	// RFC 7518 §6.2.1.2, §6.2.2.1 and RFC 8037 §2: key members are
	// base64url without padding (RFC 7515 §2). jwx also accepts padding and
	// non-zero unused bits, which would give one key many encodings.
	for _, name := range []string{"x", "y", "d"} {
		v, ok := obj[name]
		if !ok {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return nil, newErr(ErrMalformed, "JWK member %q is not a string", name)
		}
		if _, err := base64.RawURLEncoding.Strict().DecodeString(s); err != nil {
			return nil, newErr(ErrMalformed, "JWK member %q is not canonical base64url: %v", name, err)
		}
	}
	return obj, nil
}

// parseJWK calls jwx and classifies its errors: a key that parses but fails
// validation (e.g. an EC point not on its curve, RFC 7518 §6.2.1) is
// ErrInvalidKey, anything else ErrMalformed.
func parseJWK(data []byte) (jwk.Key, error) {
	key, err := jwk.ParseKey(data)
	if err != nil {
		if jwk.IsKeyValidationError(err) {
			return nil, newErr(ErrInvalidKey, "JWK: %v", err)
		}
		return nil, newErr(ErrMalformed, "JWK: %v", err)
	}
	return key, nil
}
