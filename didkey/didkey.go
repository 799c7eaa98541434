package didkey

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"math/big"
	"strings"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/multiformats/go-multibase"
)

// MaxLength caps the length in bytes of a DID or key ID given to [Parse],
// [ParseKeyID] and [Resolve]. The longest supported did:key (P-521) has 104
// characters; the cap is large enough that an RSA-4096 did:key (about 730)
// is reported as [ErrUnsupportedKeyType] rather than as too long, and small
// enough to bound the quadratic cost of base58 decoding.
const MaxLength = 1024

// prefix is the did:key scheme and method (did:key v0.7 §2: "did:key:"
// followed by the multibase value; DID Core v1.0 §3.1: the method name is
// lower case).
const prefix = "did:key:"

// DID is a parsed and validated did:key. Its zero value is not valid; get
// one from [Parse], [ParseKeyID] or [New]. A DID is immutable and safe for
// concurrent use.
type DID struct {
	s            string
	typ          KeyType
	raw          []byte // raw key as in the DID (compressed for EC keys)
	uncompressed []byte // 0x04 || x || y for EC keys, nil otherwise
}

// Parse checks that s is a did:key with a supported, valid public key
// (did:key v0.7 §3.1.3 "Decode Public Key Algorithm" and §3.1.2 steps 3-4)
// and returns it. s must be a DID, not a DID URL: a path, query or fragment
// is an error (use [ParseKeyID] for "did:key:z…#z…").
func Parse(s string) (*DID, error) {
	if len(s) > MaxLength {
		return nil, newErr(s, ErrInvalidDID, "longer than %d bytes", MaxLength)
	}
	mbv, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return nil, newErr(s, ErrInvalidDID, "does not start with %q", prefix)
	}
	if mbv == "" {
		return nil, newErr(s, ErrInvalidDID, "empty method-specific identifier")
	}
	if i := strings.IndexAny(mbv, ":/?#"); i >= 0 {
		// did:key v0.7 §2: the method-specific identifier is a single
		// multibase value; no version component, path, query or fragment.
		return nil, newErr(s, ErrInvalidDID, "unexpected %q in the identifier", mbv[i])
	}
	// did:key v0.7 §3.1.3 step 1: the multibase value MUST use the
	// base58-btc alphabet, i.e. start with "z".
	if mbv[0] != byte(multibase.Base58BTC) {
		return nil, newErr(s, ErrNotMultibase, "multibase prefix %q, want \"z\" (base58btc)", mbv[0])
	}
	enc, data, err := multibase.Decode(mbv)
	if err != nil || enc != multibase.Base58BTC {
		return nil, newErr(s, ErrNotMultibase, "invalid base58btc")
	}
	d, err := fromBytes(data, s)
	if err != nil {
		return nil, err
	}
	// Each key has one encoding; anything else would have failed above, so
	// this is a guard against a lax decoder.
	if d.s != s {
		return nil, newErr(s, ErrNotMultibase, "non-canonical encoding")
	}
	return d, nil
}

// fromBytes decodes varint(multicodec) || raw key. input is for errors.
func fromBytes(data []byte, input string) (*DID, error) {
	code, n, err := readUvarint(data)
	if err != nil {
		return nil, newErr(input, ErrMalformedMulticodec, "%v", err)
	}
	typ, ok := byCode[code]
	if !ok {
		if name, ok := knownUnsupported[code]; ok {
			return nil, newErr(input, ErrUnsupportedKeyType, "%s (0x%x)", name, code)
		}
		return nil, newErr(input, ErrUnknownMulticodec, "multicodec 0x%x", code)
	}
	info := keyTypes[typ]
	raw := data[n:]
	// did:key v0.7 §3.1.2 step 3: if the byte length of rawPublicKeyBytes
	// does not match the expected length for the multicodec value, an
	// invalidPublicKeyLength error MUST be raised.
	switch {
	case len(raw) < info.size:
		return nil, newErr(input, ErrKeyLength, "%s key is %d bytes, want %d", info.name, len(raw), info.size)
	case len(raw) > info.size:
		return nil, newErr(input, ErrTrailingBytes, "%d bytes after the %d-byte %s key", len(raw)-info.size, info.size, info.name)
	}
	raw = append([]byte(nil), raw...)
	// did:key v0.7 §3.1.2 step 4: rawPublicKeyBytes MUST be a proper
	// encoding of the key type (e.g. a point on the curve), else
	// invalidPublicKey.
	_, uncompressed, err := decodeKey(typ, raw)
	if err != nil {
		return nil, newErr(input, ErrInvalidPublicKey, "%s: %v", info.name, err)
	}
	return build(typ, raw, uncompressed), nil
}

func build(typ KeyType, raw, uncompressed []byte) *DID {
	b := appendUvarint(make([]byte, 0, 3+len(raw)), keyTypes[typ].code)
	b = append(b, raw...)
	mbv, err := multibase.Encode(multibase.Base58BTC, b)
	if err != nil {
		panic("didkey: base58btc encoding failed: " + err.Error()) // cannot happen
	}
	return &DID{s: prefix + mbv, typ: typ, raw: raw, uncompressed: uncompressed}
}

// ParseKeyID parses a did:key key ID as used in a JWS "kid" or a
// verification method id: either the DID alone, or the DID followed by
// "#" and a fragment equal to the DID's multibase value (did:key v0.7
// §3.1.2 step 6). Any other fragment is rejected with [ErrInvalidDID].
func ParseKeyID(kid string) (*DID, error) {
	if len(kid) > MaxLength {
		return nil, newErr(kid, ErrInvalidDID, "longer than %d bytes", MaxLength)
	}
	did, frag, hasFrag := strings.Cut(kid, "#")
	d, err := Parse(did)
	if err != nil {
		return nil, err
	}
	if hasFrag && frag != d.Multibase() {
		return nil, newErr(kid, ErrInvalidDID, "fragment is not the key's multibase value")
	}
	return d, nil
}

// Encode returns the did:key of a public key. See [New].
func Encode(pub any) (string, error) {
	d, err := New(pub)
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// New returns the did:key of a public key: ed25519.PublicKey, an
// *ecdsa.PublicKey on P-256, P-384, P-521 or secp256k1, an *ecdh.PublicKey
// on X25519, P-256, P-384 or P-521, a *secp256k1.PublicKey of
// github.com/decred/dcrd/dcrec/secp256k1/v4, or a [jwk.Key] (its public
// part is used). Private keys are rejected: pass signer.Public().
func New(pub any) (*DID, error) {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, newErr("", ErrKeyLength, "Ed25519 key is %d bytes, want %d", len(k), ed25519.PublicKeySize)
		}
		raw := append([]byte(nil), k...)
		if err := checkEd25519(raw); err != nil {
			return nil, newErr("", ErrInvalidPublicKey, "Ed25519: %v", err)
		}
		return build(Ed25519, raw, nil), nil
	case *ecdh.PublicKey:
		if k == nil {
			break
		}
		switch k.Curve() {
		case ecdh.X25519():
			return build(X25519, k.Bytes(), nil), nil
		case ecdh.P256():
			return fromUncompressed(P256, k.Bytes())
		case ecdh.P384():
			return fromUncompressed(P384, k.Bytes())
		case ecdh.P521():
			return fromUncompressed(P521, k.Bytes())
		}
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			break
		}
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			u, err := k.Bytes()
			if err != nil {
				return nil, newErr("", ErrInvalidPublicKey, "%v", err)
			}
			return fromUncompressed(map[elliptic.Curve]KeyType{
				elliptic.P256(): P256, elliptic.P384(): P384, elliptic.P521(): P521,
			}[k.Curve], u)
		}
		if p := k.Curve.Params(); p != nil && p.Name == "secp256k1" && p.P.Cmp(secp256k1.S256().P) == 0 {
			return secp256k1FromXY(k.X, k.Y)
		}
		return nil, newErr("", ErrUnsupportedKeyType, "ECDSA curve %s", curveName(k.Curve))
	case *secp256k1.PublicKey:
		if k == nil {
			break
		}
		return secp256k1FromXY(k.X(), k.Y())
	case jwk.Key:
		return fromJWK(k)
	}
	return nil, newErr("", ErrUnsupportedKeyType, "key type %T", pub)
}

func curveName(c elliptic.Curve) string {
	if p := c.Params(); p != nil {
		return p.Name
	}
	return "unknown"
}

func fromUncompressed(t KeyType, u []byte) (*DID, error) {
	return build(t, compress(u), u), nil
}

func secp256k1FromXY(x, y *big.Int) (*DID, error) {
	if x == nil || y == nil || x.Sign() < 0 || y.Sign() < 0 || x.BitLen() > 256 || y.BitLen() > 256 {
		return nil, newErr("", ErrInvalidPublicKey, "secp256k1 coordinates out of range")
	}
	u := make([]byte, 65)
	u[0] = 4
	x.FillBytes(u[1:33])
	y.FillBytes(u[33:])
	k, err := secp256k1.ParsePubKey(u) // checks range and that the point is on the curve
	if err != nil {
		return nil, newErr("", ErrInvalidPublicKey, "secp256k1: %v", err)
	}
	return build(Secp256k1, k.SerializeCompressed(), k.SerializeUncompressed()), nil
}

func fromJWK(k jwk.Key) (*DID, error) {
	if k == nil {
		return nil, newErr("", ErrUnsupportedKeyType, "nil jwk.Key")
	}
	pk, err := k.PublicKey()
	if err != nil {
		return nil, newErr("", ErrUnsupportedKeyType, "jwk.Key has no public key: %v", err)
	}
	var raw any
	if err := jwk.Export(pk, &raw); err != nil {
		return nil, newErr("", ErrInvalidPublicKey, "jwk.Key: %v", err)
	}
	if _, isJWK := raw.(jwk.Key); isJWK {
		return nil, newErr("", ErrUnsupportedKeyType, "jwk.Key exports to a jwk.Key")
	}
	return New(raw)
}

// String returns the DID, "did:key:z…".
func (d *DID) String() string { return d.s }

// KeyType returns the key type.
func (d *DID) KeyType() KeyType { return d.typ }

// Multibase returns the method-specific identifier, "z…", which is also the
// fragment of the DID's verification method.
func (d *DID) Multibase() string { return d.s[len(prefix):] }

// KeyID returns the id of the DID's verification method, "did:key:z…#z…"
// (did:key v0.7 §3.1.2 step 6), the usual JWS "kid" for a did:key.
func (d *DID) KeyID() string { return d.s + "#" + d.Multibase() }

// RawPublicKey returns a copy of the raw key bytes as carried in the DID
// (after the multicodec prefix): 32 bytes for Ed25519 and X25519, a
// compressed SEC 1 point for EC keys.
func (d *DID) RawPublicKey() []byte { return append([]byte(nil), d.raw...) }

// PublicKey returns a new copy of the public key: ed25519.PublicKey for
// Ed25519, *ecdh.PublicKey for X25519, *ecdsa.PublicKey for P-256, P-384,
// P-521 and secp256k1 (on the decred secp256k1 curve).
func (d *DID) PublicKey() any {
	switch d.typ {
	case Ed25519:
		return ed25519.PublicKey(d.RawPublicKey())
	case X25519:
		k, _ := ecdh.X25519().NewPublicKey(d.raw)
		return k
	case P256, P384, P521:
		k, _ := ecdsa.ParseUncompressedPublicKey(nistCurve(d.typ), d.uncompressed)
		return k
	case Secp256k1:
		k, _ := secp256k1.ParsePubKey(d.raw)
		return k.ToECDSA()
	}
	return nil
}

// JWK returns the public key as a jwx [jwk.Key] without "kid", "alg" or
// "use". For secp256k1 this needs jwx built with its jwx_es256k tag;
// without it the error is [ErrRepresentationNotSupported].
func (d *DID) JWK() (jwk.Key, error) {
	if d.typ == Secp256k1 {
		if _, ok := jwa.LookupEllipticCurveAlgorithm("secp256k1"); !ok {
			return nil, newErr(d.s, ErrRepresentationNotSupported, "jwx was built without secp256k1 support (build tag jwx_es256k)")
		}
	}
	k, err := jwk.Import(d.PublicKey())
	if err != nil {
		return nil, newErr(d.s, ErrRepresentationNotSupported, "jwk: %v", err)
	}
	return k, nil
}

// PublicJWK is a public key in JWK form (RFC 7517), with exactly the
// members RFC 7638 §3.2 requires: "kty", "crv", "x" and, for EC keys, "y".
// Its JSON encoding is what DID documents carry as publicKeyJwk.
type PublicJWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y,omitempty"`
}

// PublicJWK returns the key as a [PublicJWK]. EC coordinates are
// left-padded to the curve size (RFC 7518 §6.2.1.2). Unlike [DID.JWK] this
// works for every key type.
func (d *DID) PublicJWK() PublicJWK {
	info := keyTypes[d.typ]
	j := PublicJWK{Kty: info.kty, Crv: info.crv}
	b64 := base64.RawURLEncoding.EncodeToString
	if info.coordLen == 0 {
		j.X = b64(d.raw)
		return j
	}
	j.X = b64(d.uncompressed[1 : 1+info.coordLen])
	j.Y = b64(d.uncompressed[1+info.coordLen:])
	return j
}

// Equal reports whether d and other are the same did:key.
func (d *DID) Equal(other *DID) bool {
	return d != nil && other != nil && d.s == other.s
}
