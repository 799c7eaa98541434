package trustlist

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"strings"

	"github.com/ikdkit/ikdkit/internal/keys"
	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// Type is the typ header of a trust list token.
const Type = "trustlist+jwt"

// MediaType is the HTTP content type of a trust list token.
const MediaType = "application/trustlist+jwt"

var b64 = base64.RawURLEncoding.Strict()

// SignOptions configure Sign.
type SignOptions struct {
	// KeyID is the optional kid header.
	KeyID string
	// Rand is the signing randomness; nil means crypto/rand.
	Rand io.Reader
}

// Sign validates l and returns it as a compact JWS signed by the operator
// key, with the algorithm that fits the key (ES256, ES384, ES512 or EdDSA).
// The signer is used only through crypto.Signer, so an HSM key works.
func Sign(l *List, signer crypto.Signer, opts SignOptions) ([]byte, error) {
	if l == nil || signer == nil {
		return nil, errorf("sign", ErrOptions, "list and signer are required")
	}
	cp := *l
	if err := validate(&cp); err != nil {
		return nil, err
	}
	alg, err := keys.AlgorithmFor(signer.Public())
	if err != nil {
		return nil, errorf("sign", ErrAlgorithm, "%v", err)
	}
	hdr := map[string]any{"alg": alg, "typ": Type}
	if opts.KeyID != "" {
		hdr["kid"] = opts.KeyID
	}
	hb, err := json.Marshal(hdr)
	if err != nil {
		return nil, errorf("sign", ErrOptions, "%v", err)
	}
	pb, err := encodePayload(&cp)
	if err != nil {
		return nil, err
	}
	if len(pb) > MaxTokenSize*3/4-len(hb) {
		return nil, errorf("sign", ErrTooLarge, "payload of %d bytes", len(pb))
	}
	input := b64.EncodeToString(hb) + "." + b64.EncodeToString(pb)
	r := opts.Rand
	if r == nil {
		r = rand.Reader
	}
	sig, err := signJWS(r, signer, alg, []byte(input))
	if err != nil {
		return nil, err
	}
	return []byte(input + "." + b64.EncodeToString(sig)), nil
}

func signJWS(r io.Reader, signer crypto.Signer, alg string, input []byte) ([]byte, error) {
	if alg == keys.EdDSA {
		sig, err := signer.Sign(r, input, crypto.Hash(0))
		if err != nil {
			return nil, errorf("sign", ErrOptions, "signer: %v", err)
		}
		return sig, nil
	}
	h, size := hashFor(alg)
	d := digest(h, input)
	der, err := signer.Sign(r, d, h)
	if err != nil {
		return nil, errorf("sign", ErrOptions, "signer: %v", err)
	}
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(der, &rs); err != nil || len(rest) != 0 {
		return nil, errorf("sign", ErrOptions, "signer returned a malformed ECDSA signature")
	}
	// RFC 7518 §3.4: R and S as fixed-size big-endian octet strings.
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out, nil
}

func hashFor(alg string) (crypto.Hash, int) {
	switch alg {
	case keys.ES384:
		return crypto.SHA384, 48
	case keys.ES512:
		return crypto.SHA512, 66
	default:
		return crypto.SHA256, 32
	}
}

func digest(h crypto.Hash, b []byte) []byte {
	switch h {
	case crypto.SHA384:
		s := sha512.Sum384(b)
		return s[:]
	case crypto.SHA512:
		s := sha512.Sum512(b)
		return s[:]
	default:
		s := sha256.Sum256(b)
		return s[:]
	}
}

// Verify checks a trust list token with the pinned operator key and returns
// the list. It checks, in order: size, the compact JWS shape and encodings,
// the header (alg equal to the algorithm of operatorKey, typ trustlist+jwt,
// no crit), the signature, then the payload strictly. Time and sequence
// checks against a current list are [Store.Update]'s job.
func Verify(token []byte, operatorKey crypto.PublicKey) (*List, error) {
	const op = "verify"
	alg, err := keys.AlgorithmFor(operatorKey)
	if err != nil {
		return nil, errorf(op, ErrOptions, "operator key: %v", err)
	}
	if len(token) > MaxTokenSize {
		return nil, errorf(op, ErrTooLarge, "token of %d bytes (max %d)", len(token), MaxTokenSize)
	}
	s := string(token)
	// RFC 7515 §7.1: exactly three base64url parts; strings.Cut keeps the
	// split bounded.
	h, rest, ok1 := strings.Cut(s, ".")
	p, sg, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(sg, ".") {
		return nil, errorf(op, ErrMalformed, "not a compact JWS")
	}
	hb, err := b64.DecodeString(h)
	if err != nil {
		return nil, errorf(op, ErrMalformed, "header: %v", err)
	}
	hdr, err := strictjson.UnmarshalObject(hb, 2)
	if err != nil {
		return nil, errorf(op, ErrMalformed, "header: %v", err)
	}
	for k := range hdr {
		switch k {
		case "alg", "typ", "kid":
		default:
			// RFC 7515 §4.1.11: crit and other extensions are not understood,
			// so they are refused.
			return nil, errorf(op, ErrMalformed, "header parameter %.32q not allowed", k)
		}
	}
	// RFC 8725 §3.1: the algorithm comes from the pinned key; the header
	// must agree.
	if a, _ := hdr["alg"].(string); a != alg {
		return nil, errorf(op, ErrAlgorithm, "header alg %.16q, operator key needs %s", a, alg)
	}
	// RFC 8725 §3.11: explicit typing.
	if t, _ := hdr["typ"].(string); t != Type {
		return nil, errorf(op, ErrType, "typ %.32q", t)
	}
	if k, ok := hdr["kid"]; ok {
		if _, isStr := k.(string); !isStr {
			return nil, errorf(op, ErrMalformed, "kid is not a string")
		}
	}
	sig, err := b64.DecodeString(sg)
	if err != nil {
		return nil, errorf(op, ErrMalformed, "signature: %v", err)
	}
	if !verifyJWS(operatorKey, alg, []byte(s[:len(h)+1+len(p)]), sig) {
		return nil, errorf(op, ErrSignature, "")
	}
	pb, err := b64.DecodeString(p)
	if err != nil {
		return nil, errorf(op, ErrMalformed, "payload: %v", err)
	}
	m, err := strictjson.UnmarshalObject(pb, maxDepth)
	if err != nil {
		return nil, errorf(op, ErrMalformed, "payload: %v", err)
	}
	return decodePayload(m)
}

func verifyJWS(pub crypto.PublicKey, alg string, input, sig []byte) bool {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return alg == keys.EdDSA && ed25519.Verify(k, input, sig)
	case *ecdsa.PublicKey:
		h, size := hashFor(alg)
		if len(sig) != 2*size {
			return false
		}
		r := new(big.Int).SetBytes(sig[:size])
		s := new(big.Int).SetBytes(sig[size:])
		return ecdsa.Verify(k, digest(h, input), r, s)
	}
	return false
}
