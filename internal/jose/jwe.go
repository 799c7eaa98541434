package jose

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwe"

	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// JWE: the JSON Web Encryption Compact Serialization (RFC 7516 §7.1) with
// one key management algorithm, ECDH-ES in Direct Key Agreement mode on
// P-256 (RFC 7518 §4.6), and the AES-GCM content encryption algorithms
// A128GCM and A256GCM (RFC 7518 §5.3). That is what an encrypted
// OpenID4VP response needs (OpenID4VP 1.0 §8.3; the OpenID4VC High
// Assurance Interoperability Profile requires ECDH-ES on P-256 with
// A128GCM and A256GCM). The cryptography is lestrrat-go/jwx's; this file
// decides what reaches it: [Decrypt] parses the compact JWE strictly and
// checks every header member before jwx sees the token.

// JWE algorithm names (RFC 7518 §4.1, §5.1).
const (
	// AlgECDHES is ECDH-ES in Direct Key Agreement mode (RFC 7518 §4.6):
	// the Concat KDF output is the content encryption key, and the JWE
	// Encrypted Key is empty.
	AlgECDHES = "ECDH-ES"
	// EncA128GCM is AES-GCM with a 128-bit key (RFC 7518 §5.3), the
	// default enc of an OpenID4VP encrypted response (§8.3).
	EncA128GCM = "A128GCM"
	// EncA256GCM is AES-GCM with a 256-bit key (RFC 7518 §5.3).
	EncA256GCM = "A256GCM"
)

// Sentinel errors of JWE; [ErrAlgorithm] is also used, for an alg, enc or
// key this package does not allow.
var (
	// ErrMalformedJWE: not a compact JWE, bad base64url, a bad protected
	// header (duplicate members, no epk, crit, zip), a wrong IV or tag
	// length, or too large.
	ErrMalformedJWE = errors.New("jose: malformed JWE")
	// ErrDecrypt: the JWE does not decrypt with the key (a wrong key, or
	// a ciphertext, tag or header altered).
	ErrDecrypt = errors.New("jose: JWE does not decrypt")
)

// Caps on a JWE.
const (
	// MaxJWESize caps the compact JWE [Decrypt] reads. Callers set their
	// own, tighter caps for their messages first.
	MaxJWESize = 8 << 20
	// MaxPartyInfo caps the decoded apu and apv (RFC 7518 §4.6.1.2,
	// §4.6.1.3).
	MaxPartyInfo = 1024
	// maxJWEHeaderSize caps the decoded protected header.
	maxJWEHeaderSize = 4096
	// maxJWEHeaderDepth is the header object and its epk.
	maxJWEHeaderDepth = 2
)

// gcmIVSize and gcmTagSize are the sizes RFC 7518 §5.3 fixes: a 96-bit IV
// and a 128-bit authentication tag.
const (
	gcmIVSize  = 12
	gcmTagSize = 16
)

// JWEHeader is what [Decrypt] read from the protected header of a JWE it
// decrypted. Every member is authenticated: the whole protected header is
// the additional authenticated data of AES-GCM (RFC 7516 §5.1 step 14).
type JWEHeader struct {
	// Alg is [AlgECDHES].
	Alg string
	// Enc is [EncA128GCM] or [EncA256GCM].
	Enc string
	// KeyID is the kid header, "" if absent (RFC 7516 §4.1.6).
	KeyID string
	// APU and APV are the decoded apu and apv headers, nil if absent
	// (RFC 7518 §4.6.1.2, §4.6.1.3); they were inputs to the key
	// derivation.
	APU, APV []byte
	// EPK is the sender's ephemeral public key (RFC 7518 §4.6.1.1).
	EPK *ecdh.PublicKey
	// Raw is the whole decoded protected header, members this package
	// does not interpret included.
	Raw map[string]any
}

// EncryptOptions are the header values of [Encrypt].
type EncryptOptions struct {
	// Enc is [EncA128GCM] or [EncA256GCM]; "" means EncA128GCM.
	Enc string
	// KeyID, when set, is the kid header: the kid of the recipient's JWK
	// (OpenID4VP §8.3 requires it when the key has one).
	KeyID string
	// APU and APV, when set, are the apu and apv headers, inputs to the
	// key derivation (RFC 7518 §4.6.1.2, §4.6.1.3); at most
	// [MaxPartyInfo] bytes each.
	APU, APV []byte
}

// P256ECDHPublicKey returns pub, an *ecdsa.PublicKey or *ecdh.PublicKey on
// P-256, as an *ecdh.PublicKey. Other curves and key types are refused
// with [ErrAlgorithm].
func P256ECDHPublicKey(pub any) (*ecdh.PublicKey, error) {
	switch k := pub.(type) {
	case *ecdh.PublicKey:
		if k != nil && k.Curve() == ecdh.P256() {
			return k, nil
		}
	case *ecdsa.PublicKey:
		if k != nil && k.Curve == elliptic.P256() {
			e, err := k.ECDH()
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrAlgorithm, err)
			}
			return e, nil
		}
	}
	return nil, fmt.Errorf("%w: ECDH-ES needs a P-256 key, not %T", ErrAlgorithm, pub)
}

// p256ECDHPrivateKey is [P256ECDHPublicKey] for private keys.
func p256ECDHPrivateKey(priv any) (*ecdh.PrivateKey, error) {
	switch k := priv.(type) {
	case *ecdh.PrivateKey:
		if k != nil && k.Curve() == ecdh.P256() {
			return k, nil
		}
	case *ecdsa.PrivateKey:
		if k != nil && k.Curve == elliptic.P256() {
			e, err := k.ECDH()
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrAlgorithm, err)
			}
			return e, nil
		}
	}
	return nil, fmt.Errorf("%w: ECDH-ES needs a P-256 private key, not %T", ErrAlgorithm, priv)
}

// Encrypt encrypts payload to pub (an *ecdsa.PublicKey or *ecdh.PublicKey
// on P-256) and returns the compact JWE: alg ECDH-ES, the enc of opts, a
// fresh ephemeral key in epk, and kid, apu and apv when opts sets them,
// all in the protected header (RFC 7516 §7.1). The ephemeral key, the IV
// and the content encryption come from crypto/rand (inside jwx).
func Encrypt(pub any, payload []byte, opts EncryptOptions) (string, error) {
	key, err := P256ECDHPublicKey(pub)
	if err != nil {
		return "", err
	}
	enc := opts.Enc
	if enc == "" {
		enc = EncA128GCM
	}
	var calg jwa.ContentEncryptionAlgorithm
	switch enc {
	case EncA128GCM:
		calg = jwa.A128GCM()
	case EncA256GCM:
		calg = jwa.A256GCM()
	default:
		return "", fmt.Errorf("%w: enc %.32q is not A128GCM or A256GCM", ErrAlgorithm, enc)
	}
	if len(opts.APU) > MaxPartyInfo || len(opts.APV) > MaxPartyInfo {
		return "", fmt.Errorf("%w: apu or apv over %d bytes", ErrMalformedJWE, MaxPartyInfo)
	}
	ph := jwe.NewHeaders()
	rh := jwe.NewHeaders()
	if opts.KeyID != "" {
		if err := ph.Set(jwe.KeyIDKey, opts.KeyID); err != nil {
			return "", fmt.Errorf("%w: kid: %v", ErrMalformedJWE, err)
		}
	}
	// jwx takes apu and apv for the key derivation from the recipient's
	// headers; compact serialization merges them into the protected
	// header, which Decrypt checks below.
	if opts.APU != nil {
		if err := rh.Set(jwe.AgreementPartyUInfoKey, opts.APU); err != nil {
			return "", fmt.Errorf("%w: apu: %v", ErrMalformedJWE, err)
		}
	}
	if opts.APV != nil {
		if err := rh.Set(jwe.AgreementPartyVInfoKey, opts.APV); err != nil {
			return "", fmt.Errorf("%w: apv: %v", ErrMalformedJWE, err)
		}
	}
	out, err := jwe.Encrypt(payload,
		jwe.WithKey(jwa.ECDH_ES(), key, jwe.WithPerRecipientHeaders(rh)),
		jwe.WithContentEncryption(calg),
		jwe.WithProtectedHeaders(ph),
		jwe.WithCompact())
	if err != nil {
		return "", fmt.Errorf("jose: JWE encryption: %v", err)
	}
	// What we send must be what our own Decrypt accepts: apu, apv and kid
	// in the protected header, where they are authenticated.
	h, err := parseJWEHeader(string(out), []string{enc})
	if err != nil {
		return "", fmt.Errorf("jose: JWE encryption produced an unexpected token: %v", err)
	}
	if h.KeyID != opts.KeyID || !bytesEqualNil(h.APU, opts.APU) || !bytesEqualNil(h.APV, opts.APV) {
		return "", errors.New("jose: JWE encryption did not protect kid, apu or apv")
	}
	return string(out), nil
}

func bytesEqualNil(a, b []byte) bool {
	return string(a) == string(b) && (a == nil) == (b == nil)
}

// Decrypt decrypts a compact JWE with priv (an *ecdh.PrivateKey or
// *ecdsa.PrivateKey on P-256), allowing only alg ECDH-ES and an enc in
// encs (A128GCM, A256GCM or both; any other value is never allowed). It
// parses strictly first: at most [MaxJWESize] bytes, five parts of
// canonical base64url, a protected header that is one JSON object without
// duplicate members, without crit (RFC 7516 §4.1.13: no extension is
// understood) or zip (no decompression of attacker input), with an epk
// that is a public P-256 key on the curve, apu and apv of at most
// [MaxPartyInfo] bytes; an empty JWE Encrypted Key (RFC 7518 §4.6: Direct
// Key Agreement), a 96-bit IV and a 128-bit tag (RFC 7518 §5.3). It
// returns the header and the plaintext; a JWE for another key, or one
// altered, fails with [ErrDecrypt].
func Decrypt(token string, priv any, encs []string) (*JWEHeader, []byte, error) {
	key, err := p256ECDHPrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range encs {
		if e != EncA128GCM && e != EncA256GCM {
			return nil, nil, fmt.Errorf("%w: enc %.32q is never allowed", ErrAlgorithm, e)
		}
	}
	h, err := parseJWEHeader(token, encs)
	if err != nil {
		return nil, nil, err
	}
	if h.EPK.Curve() != key.Curve() {
		return nil, nil, fmt.Errorf("%w: epk is not on the key's curve", ErrAlgorithm)
	}
	pt, err := jwe.Decrypt([]byte(token), jwe.WithKey(jwa.ECDH_ES(), key))
	if err != nil {
		// The cause stays inside (a tag mismatch says nothing useful).
		return nil, nil, ErrDecrypt
	}
	return h, pt, nil
}

// parseJWEHeader splits a compact JWE and checks everything but the
// ciphertext, as [Decrypt] documents.
func parseJWEHeader(token string, encs []string) (*JWEHeader, error) {
	if len(token) > MaxJWESize {
		return nil, fmt.Errorf("%w: %d bytes, over the %d-byte cap", ErrMalformedJWE, len(token), MaxJWESize)
	}
	// RFC 7516 §7.1: five parts; strings.Cut keeps a token full of dots
	// as cheap as its length.
	hdr, rest, ok1 := strings.Cut(token, ".")
	ek, rest, ok2 := strings.Cut(rest, ".")
	iv, rest, ok3 := strings.Cut(rest, ".")
	ct, tag, ok4 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || !ok3 || !ok4 || strings.IndexByte(tag, '.') >= 0 {
		return nil, fmt.Errorf("%w: not five dot-separated parts", ErrMalformedJWE)
	}
	if len(hdr) > b64.EncodedLen(maxJWEHeaderSize) {
		return nil, fmt.Errorf("%w: protected header over %d bytes", ErrMalformedJWE, maxJWEHeaderSize)
	}
	hb, err := decode(hdr)
	if err != nil {
		return nil, fmt.Errorf("%w: protected header: %v", ErrMalformedJWE, err)
	}
	m, err := strictjson.UnmarshalObject(hb, maxJWEHeaderDepth)
	if err != nil {
		return nil, fmt.Errorf("%w: protected header: %v", ErrMalformedJWE, err)
	}
	for _, name := range []string{"crit", "zip", "jku", "jwk", "x5u", "x5c"} {
		if _, ok := m[name]; ok {
			// crit: RFC 7516 §4.1.13, no extension is understood. zip: a
			// decompression bomb is the attacker's to write. The others
			// would name a key other than the one we decrypt with.
			return nil, fmt.Errorf("%w: header %s not supported", ErrMalformedJWE, name)
		}
	}
	h := &JWEHeader{Raw: m}
	h.Alg, _ = m["alg"].(string)
	h.Enc, _ = m["enc"].(string)
	if h.Alg != AlgECDHES {
		return nil, fmt.Errorf("%w: alg %.32q, only ECDH-ES is allowed", ErrAlgorithm, h.Alg)
	}
	if !slices.Contains(encs, h.Enc) {
		return nil, fmt.Errorf("%w: enc %.32q is not among %q", ErrAlgorithm, h.Enc, encs)
	}
	if v, ok := m["kid"]; ok {
		if h.KeyID, ok = v.(string); !ok || h.KeyID == "" {
			return nil, fmt.Errorf("%w: kid is not a non-empty string", ErrMalformedJWE)
		}
	}
	for _, p := range []struct {
		name string
		dst  *[]byte
	}{{"apu", &h.APU}, {"apv", &h.APV}} {
		v, ok := m[p.name]
		if !ok {
			continue
		}
		s, ok := v.(string)
		if !ok || len(s) > b64.EncodedLen(MaxPartyInfo) {
			return nil, fmt.Errorf("%w: %s is not a string of at most %d bytes", ErrMalformedJWE, p.name, MaxPartyInfo)
		}
		if *p.dst, err = decode(s); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrMalformedJWE, p.name, err)
		}
	}
	// RFC 7518 §4.6.1.1: epk REQUIRED, a public key on the recipient's
	// curve (checked by the caller).
	if h.EPK, err = epk(m["epk"]); err != nil {
		return nil, fmt.Errorf("%w: epk: %v", ErrMalformedJWE, err)
	}
	// RFC 7518 §4.6: with Direct Key Agreement the JWE Encrypted Key is
	// the empty octet sequence.
	if ek != "" {
		return nil, fmt.Errorf("%w: ECDH-ES has an empty JWE Encrypted Key", ErrMalformedJWE)
	}
	if b, err := decode(iv); err != nil || len(b) != gcmIVSize {
		return nil, fmt.Errorf("%w: the IV is not %d bytes of base64url", ErrMalformedJWE, gcmIVSize)
	}
	if b, err := decode(tag); err != nil || len(b) != gcmTagSize {
		return nil, fmt.Errorf("%w: the tag is not %d bytes of base64url", ErrMalformedJWE, gcmTagSize)
	}
	if !validB64(ct) || len(ct)%4 == 1 {
		return nil, fmt.Errorf("%w: the ciphertext is not base64url", ErrMalformedJWE)
	}
	if _, err := decode(ct); err != nil {
		return nil, fmt.Errorf("%w: ciphertext: %v", ErrMalformedJWE, err)
	}
	return h, nil
}

func validB64(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// epk reads an ephemeral public key: an EC JWK on P-256 with canonical x
// and y of 32 bytes each, no private member, and a point on the curve.
func epk(v any) (*ecdh.PublicKey, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("missing or not an object")
	}
	if _, ok := m["d"]; ok {
		return nil, errors.New("has a private member d")
	}
	if m["kty"] != "EC" || m["crv"] != "P-256" {
		return nil, errors.New("not an EC key on P-256")
	}
	xs, _ := m["x"].(string)
	ys, _ := m["y"].(string)
	x, err1 := decode(xs)
	y, err2 := decode(ys)
	if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
		return nil, errors.New("x and y are not 32 bytes of base64url each")
	}
	// SEC 1 §2.3.3 uncompressed point; NewPublicKey refuses a point not on
	// the curve or the point at infinity.
	k, err := ecdh.P256().NewPublicKey(append(append([]byte{4}, x...), y...))
	if err != nil {
		return nil, errors.New("not a point on P-256")
	}
	return k, nil
}
