package trustlist

import (
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"io"

	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/keys"
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
// The signer is used only through crypto.Signer, so an HSM key works; a
// signer that returns a malformed signature gives ErrOptions.
func Sign(l *List, signer crypto.Signer, opts SignOptions) ([]byte, error) {
	if l == nil || signer == nil {
		return nil, errorf("sign", ErrOptions, "list and signer are required")
	}
	cp := *l
	if err := validate(&cp); err != nil {
		return nil, err
	}
	js, err := jose.NewSigner(signer)
	if err != nil {
		return nil, errorf("sign", ErrAlgorithm, "%v", err)
	}
	var extra map[string]any
	if opts.KeyID != "" {
		extra = map[string]any{"kid": opts.KeyID}
	}
	hb, err := jose.Header(js.Algorithm(), Type, extra)
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
	r := opts.Rand
	if r == nil {
		r = rand.Reader
	}
	tok, err := js.Sign(r, hb, pb)
	if err != nil {
		return nil, errorf("sign", ErrOptions, "%v", err)
	}
	return []byte(tok), nil
}

// Verify checks a trust list token with the pinned operator key and returns
// the list. It checks, in order: size, the compact JWS shape and encodings,
// the header (alg equal to the algorithm of operatorKey, typ trustlist+jwt,
// no crit, no other members than alg, typ and kid), the signature, then the
// payload strictly. Time and sequence checks against a current list are
// [Store.Update]'s job.
func Verify(token []byte, operatorKey crypto.PublicKey) (*List, error) {
	const op = "verify"
	alg, err := keys.AlgorithmFor(operatorKey)
	if err != nil {
		return nil, errorf(op, ErrOptions, "operator key: %v", err)
	}
	if len(token) > MaxTokenSize {
		return nil, errorf(op, ErrTooLarge, "token of %d bytes (max %d)", len(token), MaxTokenSize)
	}
	// RFC 7515 §7.1, decoded strictly by package jose.
	jws, err := jose.Parse(string(token), 2)
	if err != nil {
		return nil, errorf(op, ErrMalformed, "%v", err)
	}
	for k := range jws.Header {
		switch k {
		case "alg", "typ", "kid":
		default:
			// RFC 7515 §4.1.11: extensions are not understood, so they
			// are refused.
			return nil, errorf(op, ErrMalformed, "header parameter %.32q not allowed", k)
		}
	}
	// RFC 8725 §3.1: the algorithm comes from the pinned key; the header
	// must agree.
	if jws.Alg != alg {
		return nil, errorf(op, ErrAlgorithm, "header alg %.16q, operator key needs %s", jws.Alg, alg)
	}
	// RFC 8725 §3.11: explicit typing.
	if err := jws.CheckType(Type); err != nil {
		return nil, errorf(op, ErrType, "%v", err)
	}
	if k, ok := jws.Header["kid"]; ok {
		if _, isStr := k.(string); !isStr {
			return nil, errorf(op, ErrMalformed, "kid is not a string")
		}
	}
	if err := jws.Verify(operatorKey, []keys.Algorithm{alg}); err != nil {
		return nil, errorf(op, ErrSignature, "")
	}
	m, err := strictjson.UnmarshalObject(jws.Payload, maxDepth)
	if err != nil {
		return nil, errorf(op, ErrMalformed, "payload: %v", err)
	}
	return decodePayload(m)
}
