// Package jose is ikdkit's one implementation of the JWS Compact
// Serialization (RFC 7515 §7.1) with the algorithms of package keys: ECDSA
// ES256, ES384, ES512 (RFC 7518 §3.4, signatures as fixed-width R||S) and
// EdDSA with Ed25519 (RFC 8037 §3.1). Every package that signs or verifies a
// JWS — SD-JWT and its Key Binding JWT, the trust list, the Status List
// Token, the OpenID4VCI key proof — goes through it.
//
// Signing goes through [crypto.Signer] only (an HSM or a phone keystore
// works); the DER signature a signer returns is converted by package
// ecdsasig, which refuses malformed or over-long encodings instead of
// panicking.
//
// Verifying takes the algorithm from the key, never from the message (RFC
// 8725 §3.1): [Token.Verify] needs the caller's allow-list, requires the
// header's alg to be on it and to be the algorithm of the key, and never
// accepts "none" or HMAC. [Parse] decodes strictly: canonical unpadded
// base64url (RFC 7515 §2), one JSON object per header without duplicate
// member names, a bounded size and nesting, and no "crit" (RFC 7515
// §4.1.11: no extension is understood). Explicit typing (RFC 8725 §3.11) is
// checked with [Token.CheckType].
//
// The package is also ikdkit's one JWE (RFC 7516), for the encrypted
// responses of OpenID4VP (direct_post.jwt, dc_api.jwt): [Encrypt] and
// [Decrypt] with ECDH-ES key agreement on P-256 and A128GCM or A256GCM
// only (RFC 7518 §4.6, §5.3; HAIP), a token checked strictly before it is
// decrypted (no zip, crit or key-bearing headers, a valid ephemeral
// point, fixed IV and tag sizes, size caps).
package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
	"unsafe"

	"github.com/ikdkit/ikdkit/internal/ecdsasig"
	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/keys"
)

// Sentinel errors; every error of this package wraps one of them. Callers
// map them to the sentinels of their own package.
var (
	// ErrMalformed: not a compact JWS, bad base64url, bad header JSON, no
	// alg, or an unsupported crit.
	ErrMalformed = errors.New("jose: malformed JWS")
	// ErrAlgorithm: the alg is not allowed, not supported, or does not fit
	// the key.
	ErrAlgorithm = errors.New("jose: algorithm not allowed")
	// ErrSignature: the signature does not verify (or has the wrong length).
	ErrSignature = errors.New("jose: invalid signature")
	// ErrType: the typ header is not the one required.
	ErrType = errors.New("jose: unexpected typ")
	// ErrSigner: the crypto.Signer failed or returned a malformed signature.
	ErrSigner = errors.New("jose: signer failed")
)

// MaxHeaderDepth bounds the JSON nesting of a protected header: the object
// and one level of members (a jwk, an x5c array).
const MaxHeaderDepth = 3

// b64 is unpadded base64url; its decoder is strict about unused bits.
var b64 = base64.RawURLEncoding.Strict()

// params returns the hash and the size of R and S of an ECDSA algorithm,
// or 0, 0 for EdDSA.
func params(alg keys.Algorithm) (crypto.Hash, int, bool) {
	switch alg {
	case keys.ES256:
		return crypto.SHA256, 32, true
	case keys.ES384:
		return crypto.SHA384, 48, true
	case keys.ES512:
		return crypto.SHA512, 66, true
	case keys.EdDSA:
		return 0, 0, true
	}
	return 0, 0, false
}

// HashOf returns the hash the ECDSA algorithm alg signs with (RFC 7518
// §3.4), or 0 for EdDSA and unknown algorithms.
func HashOf(alg keys.Algorithm) crypto.Hash {
	h, _, _ := params(alg)
	return h
}

// NewHash returns a fresh hash of the ECDSA algorithm alg, or nil for EdDSA
// (which signs the whole input) and for unknown algorithms.
func NewHash(alg keys.Algorithm) hash.Hash {
	switch alg {
	case keys.ES256:
		return sha256.New()
	case keys.ES384:
		return sha512.New384()
	case keys.ES512:
		return sha512.New()
	}
	return nil
}

// sumString appends alg's digest of input to dst (which has room for a
// SHA-512 digest, so the digest stays on the caller's stack). input is
// hashed in place, read through unsafe and never written: no copy of a
// signing input that can be tens of kilobytes.
func sumString(alg keys.Algorithm, input string, dst []byte) []byte {
	b := unsafe.Slice(unsafe.StringData(input), len(input))
	switch alg {
	case keys.ES256:
		d := sha256.Sum256(b)
		return append(dst, d[:]...)
	case keys.ES384:
		d := sha512.Sum384(b)
		return append(dst, d[:]...)
	}
	d := sha512.Sum512(b)
	return append(dst, d[:]...)
}

// Signer signs JWS with one crypto.Signer, whose public key fixes the
// algorithm. It is safe for concurrent use if the crypto.Signer is.
type Signer struct {
	s    crypto.Signer
	alg  keys.Algorithm
	hash crypto.Hash
	size int
}

// NewSigner returns a Signer for s, with the algorithm that fits its public
// key (keys.AlgorithmFor).
func NewSigner(s crypto.Signer) (*Signer, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: no signer", ErrSigner)
	}
	alg, err := keys.AlgorithmFor(s.Public())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAlgorithm, err)
	}
	h, size, _ := params(alg)
	return &Signer{s: s, alg: alg, hash: h, size: size}, nil
}

// Algorithm returns the JWS alg this Signer signs with.
func (s *Signer) Algorithm() keys.Algorithm { return s.alg }

// Public returns the public key of the signer.
func (s *Signer) Public() crypto.PublicKey { return s.s.Public() }

// Sign returns the compact JWS BASE64URL(header).BASE64URL(payload).
// BASE64URL(signature) (RFC 7515 §7.1). header is the protected header JSON
// and must carry "alg" equal to [Signer.Algorithm]; the caller builds it
// (see [Header]).
func (s *Signer) Sign(rand io.Reader, header, payload []byte) (string, error) {
	var sb strings.Builder
	sb.Grow(b64.EncodedLen(len(header)) + b64.EncodedLen(len(payload)) + 2 + b64.EncodedLen(2*66))
	sb.WriteString(b64.EncodeToString(header))
	sb.WriteByte('.')
	sb.WriteString(b64.EncodeToString(payload))
	var buf [2 * 66]byte
	sig, err := s.SignInput(rand, sb.String(), nil, buf[:0])
	if err != nil {
		return "", err
	}
	sb.WriteByte('.')
	sb.WriteString(b64.EncodeToString(sig))
	return sb.String(), nil
}

// SignInput signs a JWS signing input (ASCII(BASE64URL(header) || '.' ||
// BASE64URL(payload)), RFC 7515 §5.1) and appends the JWS signature to out.
// For ECDSA a caller that already streamed input into h, a hash from
// [NewHash] of this algorithm, passes it so the input is not hashed again;
// h nil hashes input here. EdDSA signs input itself and ignores h.
func (s *Signer) SignInput(rand io.Reader, input string, h hash.Hash, out []byte) ([]byte, error) {
	if s.alg == keys.EdDSA {
		sig, err := s.s.Sign(rand, []byte(input), crypto.Hash(0))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrSigner, err)
		}
		if len(sig) != ed25519.SignatureSize {
			return nil, fmt.Errorf("%w: Ed25519 signature of %d bytes", ErrSigner, len(sig))
		}
		return append(out, sig...), nil
	}
	// JWS carries R||S, each half the size of the curve order (RFC 7518
	// §3.4).
	var sum [sha512.Size]byte
	var digest []byte
	if h == nil {
		digest = sumString(s.alg, input, sum[:0])
	} else {
		digest = h.Sum(sum[:0])
	}
	out, err := ecdsasig.Sign(rand, s.s, s.hash, s.size, digest, out)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSigner, err)
	}
	return out, nil
}

// Header returns the protected header JSON {"alg": alg, "typ": typ} with
// extra members (typ omitted when empty). Members of extra named alg or typ
// are overwritten.
func Header(alg keys.Algorithm, typ string, extra map[string]any) ([]byte, error) {
	h := make(map[string]any, len(extra)+2)
	for k, v := range extra {
		h[k] = v
	}
	h["alg"] = string(alg)
	if typ != "" {
		h["typ"] = typ
	} else {
		delete(h, "typ")
	}
	return strictjson.Marshal(h)
}

// Token is a parsed, not yet verified, compact JWS.
type Token struct {
	// Header is the decoded protected header.
	Header map[string]any
	// Alg is the header's alg, unverified until [Token.Verify] succeeds.
	Alg keys.Algorithm
	// Payload is the decoded payload bytes (not parsed: each caller parses
	// them with its own rules, after the signature verified).
	Payload []byte
	// SigningInput is the JWS signing input, a substring of the token.
	SigningInput string
	// Signature is the decoded signature.
	Signature []byte
}

// Parse splits and decodes a compact JWS without verifying it. The header
// is parsed strictly with at most depth levels of nesting (0 means
// [MaxHeaderDepth]); it must hold a string "alg" and no "crit". The token
// is split with strings.Cut, so an input with many dots costs no more than
// its length.
func Parse(token string, depth int) (*Token, error) {
	return ParseBoxed(token, depth, nil)
}

// ParseBoxed is [Parse] with the header's string and number values boxed
// from b (see [strictjson.Boxes]; nil boxes each one).
func ParseBoxed(token string, depth int, b *strictjson.Boxes) (*Token, error) {
	t := new(Token)
	if err := ParseTo(t, token, depth, b); err != nil {
		return nil, err
	}
	return t, nil
}

// ParseTo is [ParseBoxed] into t, for a caller that keeps the Token inside
// a value of its own instead of in an allocation of its own. On an error t
// is left unchanged.
func ParseTo(t *Token, token string, depth int, b *strictjson.Boxes) error {
	if depth <= 0 {
		depth = MaxHeaderDepth
	}
	h, rest, ok1 := strings.Cut(token, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.IndexByte(s, '.') >= 0 {
		return fmt.Errorf("%w: not three dot-separated parts", ErrMalformed)
	}
	// Header, payload and signature are decoded into one buffer, each part
	// capped at its length so that appending to one cannot reach the next.
	nh, np := b64.DecodedLen(len(h)), b64.DecodedLen(len(p))
	buf := make([]byte, nh+np+b64.DecodedLen(len(s)))
	n, err := DecodeTo(buf, h)
	if err != nil {
		return fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	hb := buf[:n:n]
	header, err := strictjson.UnmarshalObjectBoxed(hb, depth, b) // this call's own bytes, never written again
	if err != nil {
		return fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if n, err = DecodeTo(buf[nh:], p); err != nil {
		return fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	pb := buf[nh : nh+n : nh+n]
	if n, err = DecodeTo(buf[nh+np:], s); err != nil {
		return fmt.Errorf("%w: signature: %v", ErrMalformed, err)
	}
	sig := buf[nh+np : nh+np+n : nh+np+n]
	alg, ok := header["alg"].(string)
	if !ok || alg == "" {
		return fmt.Errorf("%w: header has no alg", ErrMalformed)
	}
	if _, ok := header["crit"]; ok {
		// RFC 7515 §4.1.11: an extension we do not understand must fail.
		return fmt.Errorf("%w: crit header not supported", ErrMalformed)
	}
	*t = Token{Header: header, Alg: keys.Algorithm(alg), Payload: pb,
		SigningInput: token[:len(h)+1+len(p)], Signature: sig}
	return nil
}

// Decode decodes canonical unpadded base64url (RFC 7515 §2): only the
// base64url alphabet (no padding, no white space, which the standard
// decoder would skip), and zero unused bits.
func Decode(s string) ([]byte, error) { return decode(s) }

// DecodeTo is [Decode] into dst, which must hold
// base64.RawURLEncoding.DecodedLen(len(s)) bytes; it returns the number
// of bytes written. s is only read.
func DecodeTo(dst []byte, s string) (int, error) {
	if err := noLineBreaks(s); err != nil {
		return 0, err
	}
	if len(s) == 0 {
		return 0, nil
	}
	// The strict decoder rejects every byte outside the alphabet except
	// the line breaks refused above; s is read, never written.
	return b64.Decode(dst, unsafe.Slice(unsafe.StringData(s), len(s)))
}

func decode(s string) ([]byte, error) {
	if err := noLineBreaks(s); err != nil {
		return nil, err
	}
	return b64.DecodeString(s)
}

// noLineBreaks refuses '\r' and '\n', the two bytes outside the alphabet
// that encoding/base64 skips instead of rejecting.
func noLineBreaks(s string) error {
	if strings.IndexByte(s, '\n') >= 0 || strings.IndexByte(s, '\r') >= 0 {
		return errors.New("invalid base64url character")
	}
	return nil
}

// Encode encodes b as unpadded base64url.
func Encode(b []byte) string { return b64.EncodeToString(b) }

// CheckAlgorithm checks alg against the caller's allow-list: "none" and
// the HMAC algorithms never pass whatever the list says (RFC 8725 §3.1,
// RFC 9901 §7.1 step 2.2), an empty list allows nothing, and alg must be
// one this package implements.
func CheckAlgorithm(alg keys.Algorithm, allowed []keys.Algorithm) error {
	if alg == "none" || strings.HasPrefix(string(alg), "HS") {
		return fmt.Errorf("%w: %.16q is never accepted", ErrAlgorithm, alg)
	}
	if !slices.Contains(allowed, alg) {
		return fmt.Errorf("%w: %.16q is not in the allow-list", ErrAlgorithm, alg)
	}
	if _, _, ok := params(alg); !ok {
		return fmt.Errorf("%w: %.16q is not supported", ErrAlgorithm, alg)
	}
	return nil
}

// Verify checks the token's signature with pub: the header's alg must pass
// [CheckAlgorithm] with allowed and be the algorithm of pub (RFC 7518 §3.4
// ties each ECDSA algorithm to its curve).
func (t *Token) Verify(pub crypto.PublicKey, allowed []keys.Algorithm) error {
	if err := CheckAlgorithm(t.Alg, allowed); err != nil {
		return err
	}
	return VerifySignature(t.Alg, pub, t.SigningInput, t.Signature, nil)
}

// VerifySignature checks a JWS signature over input with pub, which must be
// a key of alg. For ECDSA, h may be a hash from [NewHash] that already
// consumed input (nil hashes input here).
func VerifySignature(alg keys.Algorithm, pub crypto.PublicKey, input string, sig []byte, h hash.Hash) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		// RFC 7518 §3.4: the algorithm fixes the curve.
		if k == nil || curveAlg(k.Curve) != alg {
			return fmt.Errorf("%w: %.16q does not fit the key", ErrAlgorithm, alg)
		}
		_, size, _ := params(alg)
		if len(sig) != 2*size {
			return fmt.Errorf("%w: ECDSA signature of %d bytes, want %d", ErrSignature, len(sig), 2*size)
		}
		var sum [sha512.Size]byte
		var digest []byte
		if h == nil {
			digest = sumString(alg, input, sum[:0])
		} else {
			digest = h.Sum(sum[:0])
		}
		if !ecdsasig.Verify(k, digest, sig) {
			return ErrSignature
		}
		return nil
	case ed25519.PublicKey:
		if alg != keys.EdDSA || len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: %.16q does not fit the key", ErrAlgorithm, alg)
		}
		if !ed25519.Verify(k, []byte(input), sig) {
			return ErrSignature
		}
		return nil
	}
	return fmt.Errorf("%w: key type %T", ErrAlgorithm, pub)
}

// curveAlg is the ECDSA algorithm of a curve, "" for other curves.
func curveAlg(c elliptic.Curve) keys.Algorithm {
	switch c {
	case elliptic.P256():
		return keys.ES256
	case elliptic.P384():
		return keys.ES384
	case elliptic.P521():
		return keys.ES512
	}
	return ""
}

// CheckType requires the typ header to be one of want (RFC 8725 §3.11).
func (t *Token) CheckType(want ...string) error {
	typ, _ := t.Header["typ"].(string)
	if !slices.Contains(want, typ) {
		return fmt.Errorf("%w: typ %.64q, want %q", ErrType, typ, want)
	}
	return nil
}
