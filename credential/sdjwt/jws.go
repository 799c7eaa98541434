package sdjwt

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"

	"github.com/ikdkit/ikdkit/internal/ecdsasig"
	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// JWS algorithm names (RFC 7518 §3.1, RFC 8037 §3.1) this package signs and
// verifies. HMAC and "none" are deliberately absent.
const (
	ES256 = "ES256"
	ES384 = "ES384"
	ES512 = "ES512"
	EdDSA = "EdDSA"
)

// DefaultAlgorithms is the allow-list used when [VerifyOptions.Algorithms]
// is empty. Each algorithm is still bound to its key type: ES256 only
// verifies with a P-256 key, and so on.
var DefaultAlgorithms = []string{ES256, ES384, ES512, EdDSA}

// AlgorithmForKey returns the JWS algorithm that fits a public key: ES256,
// ES384 or ES512 for ECDSA P-256, P-384 or P-521, and EdDSA for Ed25519.
func AlgorithmForKey(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return ES256, nil
		case elliptic.P384():
			return ES384, nil
		case elliptic.P521():
			return ES512, nil
		}
		return "", fmt.Errorf("%w: unsupported ECDSA curve", ErrAlgorithm)
	case ed25519.PublicKey:
		return EdDSA, nil
	}
	return "", fmt.Errorf("%w: unsupported key type %T", ErrAlgorithm, pub)
}

// algHash returns the hash an ECDSA algorithm signs with; 0 for EdDSA.
func algHash(alg string) (crypto.Hash, int) {
	switch alg {
	case ES256:
		return crypto.SHA256, 32
	case ES384:
		return crypto.SHA384, 48
	case ES512:
		return crypto.SHA512, 66
	}
	return 0, 0
}

func digestOf(h crypto.Hash, data []byte) []byte {
	switch h {
	case crypto.SHA256:
		d := sha256.Sum256(data)
		return d[:]
	case crypto.SHA384:
		d := sha512.Sum384(data)
		return d[:]
	case crypto.SHA512:
		d := sha512.Sum512(data)
		return d[:]
	}
	panic("sdjwt: unreachable hash")
}

// sign produces a compact JWS over header and payload JSON. The signer is
// used only through crypto.Signer, so hardware-backed keys work.
func sign(signer crypto.Signer, alg string, header, payload []byte, rand io.Reader) (string, error) {
	b64 := base64.RawURLEncoding
	var sb strings.Builder
	sb.Grow(b64.EncodedLen(len(header)) + b64.EncodedLen(len(payload)) + 200)
	sb.WriteString(b64.EncodeToString(header))
	sb.WriteByte('.')
	sb.WriteString(b64.EncodeToString(payload))
	input := sb.String()

	var sig []byte
	switch alg {
	case EdDSA:
		s, err := signer.Sign(rand, []byte(input), crypto.Hash(0))
		if err != nil {
			return "", fmt.Errorf("sdjwt: signing: %w", err)
		}
		sig = s
	case ES256, ES384, ES512:
		h, size := algHash(alg)
		der, err := signer.Sign(rand, digestOf(h, []byte(input)), h)
		if err != nil {
			return "", fmt.Errorf("sdjwt: signing: %w", err)
		}
		// crypto.Signer returns ASN.1 DER for ECDSA; JWS wants R||S (RFC 7518 §3.4).
		sig = make([]byte, 2*size)
		if !ecdsasig.ToRS(der, sig) {
			return "", fmt.Errorf("sdjwt: signer returned a malformed ECDSA signature")
		}
	default:
		return "", fmt.Errorf("%w: cannot sign with %q", ErrAlgorithm, alg)
	}
	sb.WriteByte('.')
	sb.WriteString(b64.EncodeToString(sig))
	return sb.String(), nil
}

// verifySignature checks a JWS signature with a key whose type must fit alg.
func verifySignature(alg string, pub crypto.PublicKey, input, sig []byte) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		h, size := algHash(alg)
		if h == 0 {
			return ErrAlgorithm
		}
		if want, _ := AlgorithmForKey(k); want != alg {
			// RFC 7518 §3.4: the curve is fixed by the algorithm.
			return ErrAlgorithm
		}
		if len(sig) != 2*size {
			return ErrSignature
		}
		r := new(big.Int).SetBytes(sig[:size])
		s := new(big.Int).SetBytes(sig[size:])
		if !ecdsa.Verify(k, digestOf(h, input), r, s) {
			return ErrSignature
		}
		return nil
	case ed25519.PublicKey:
		if alg != EdDSA {
			return ErrAlgorithm
		}
		if len(k) != ed25519.PublicKeySize || !ed25519.Verify(k, input, sig) {
			return ErrSignature
		}
		return nil
	}
	return ErrAlgorithm
}

// compactJWS is a parsed, not yet verified, compact JWS.
type compactJWS struct {
	header    map[string]any
	payload   map[string]any
	input     []byte // ASCII of header.payload (what is signed)
	signature []byte
	alg       string
}

// isB64URL reports whether s uses only the base64url alphabet: no padding,
// no whitespace (decoders would otherwise skip CR and LF).
func isB64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// decodeB64 decodes strict, unpadded base64url (RFC 7515 §2; RFC 9901 §4.2.1).
func decodeB64(s string) ([]byte, error) {
	if !isB64URL(s) {
		return nil, fmt.Errorf("invalid base64url character")
	}
	return base64.RawURLEncoding.Strict().DecodeString(s)
}

// parseCompactJWS splits and decodes a compact JWS without verifying it.
func parseCompactJWS(tok string, what string) (*compactJWS, *Error) {
	h, rest, ok1 := strings.Cut(tok, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(s, ".") {
		return nil, newErr(CheckFormat, ErrMalformed, "%s is not a compact JWS", what)
	}
	hb, err := decodeB64(h)
	if err != nil {
		return nil, newErr(CheckFormat, ErrMalformed, "%s header: %v", what, err)
	}
	header, err := strictjson.UnmarshalObject(hb, MaxDepth)
	if err != nil {
		return nil, newErr(CheckFormat, ErrMalformed, "%s header: %v", what, err)
	}
	pb, err := decodeB64(p)
	if err != nil {
		return nil, newErr(CheckFormat, ErrMalformed, "%s payload: %v", what, err)
	}
	payload, err := strictjson.UnmarshalObject(pb, MaxDepth)
	if err != nil {
		return nil, newErr(CheckFormat, ErrMalformed, "%s payload: %v", what, err)
	}
	sig, err := decodeB64(s)
	if err != nil {
		return nil, newErr(CheckFormat, ErrMalformed, "%s signature: %v", what, err)
	}
	alg, _ := header["alg"].(string)
	if alg == "" {
		return nil, newErr(CheckFormat, ErrMalformed, "%s header has no alg", what)
	}
	if crit, ok := header["crit"]; ok {
		// RFC 7515 §4.1.11: unknown critical extensions must be rejected; we know none.
		return nil, newErr(CheckFormat, ErrMalformed, "%s header has unsupported crit %v", what, crit)
	}
	return &compactJWS{header: header, payload: payload, input: []byte(tok[:len(h)+1+len(p)]), signature: sig, alg: alg}, nil
}

// checkAlg enforces the caller's allow-list. "none" and HMAC algorithms
// never pass, whatever the list says (RFC 9901 §7.1 step 2.2, RFC 8725 §3.1).
func checkAlg(alg string, allowed []string) *Error {
	if alg == "none" || strings.HasPrefix(alg, "HS") {
		return newErr(CheckAlgorithm, ErrAlgorithm, "%q is never accepted", alg)
	}
	if len(allowed) == 0 {
		allowed = DefaultAlgorithms
	}
	if !slices.Contains(allowed, alg) {
		return newErr(CheckAlgorithm, ErrAlgorithm, "%q is not in the allow-list", alg)
	}
	if h, _ := algHash(alg); h == 0 && alg != EdDSA {
		return newErr(CheckAlgorithm, ErrAlgorithm, "%q is not supported", alg)
	}
	return nil
}

// marshalJSON encodes v without HTML escaping, so that disclosures and
// payloads carry "<", ">" and "&" as themselves.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
