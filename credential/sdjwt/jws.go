package sdjwt

import (
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"hash"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/keys"
)

// JWS is package jose's (internal/jose): compact JWS over crypto.Signer with
// the algorithms of package keys. This file adapts it to this package's
// errors.

// digestInto appends the h digest (a hash of _sd_alg) of data to dst;
// data is only read.
func digestInto(h crypto.Hash, dst, data []byte) []byte {
	switch h {
	case crypto.SHA256:
		d := sha256.Sum256(data)
		return append(dst, d[:]...)
	case crypto.SHA384:
		d := sha512.Sum384(data)
		return append(dst, d[:]...)
	case crypto.SHA512:
		d := sha512.Sum512(data)
		return append(dst, d[:]...)
	}
	panic("sdjwt: unreachable hash")
}

// compactJWS is a parsed, not yet verified, compact JWS with its payload
// decoded as a JSON object.
type compactJWS struct {
	jose.Token
	payload map[string]any
}

// decodeB64 decodes strict, unpadded base64url (RFC 7515 §2; RFC 9901 §4.2.1).
func decodeB64(s string) ([]byte, error) { return jose.Decode(s) }

// parseCompactJWS splits and decodes a compact JWS without verifying it.
func parseCompactJWS(tok string, what string, boxes *strictjson.Boxes) (*compactJWS, *check.Error) {
	jws := new(compactJWS)
	if err := jws.parse(tok, what, boxes); err != nil {
		return nil, err
	}
	return jws, nil
}

// parse is parseCompactJWS into jws, which a caller keeps inside a value
// of its own.
func (jws *compactJWS) parse(tok string, what string, boxes *strictjson.Boxes) *check.Error {
	if err := jose.ParseTo(&jws.Token, tok, MaxDepth, boxes); err != nil {
		return newErr(check.Format, ErrMalformed, "%s: %v", what, err)
	}
	// Payload is jose.ParseTo's decoded buffer, never written again.
	payload, err := strictjson.UnmarshalObjectBoxed(jws.Payload, MaxDepth, boxes)
	if err != nil {
		return newErr(check.Format, ErrMalformed, "%s payload: %v", what, err)
	}
	jws.payload = payload
	return nil
}

// checkAlg enforces the caller's allow-list; an empty list means every
// algorithm of package keys. "none" and HMAC algorithms never pass,
// whatever the list says (RFC 9901 §7.1 step 2.2, RFC 8725 §3.1).
func checkAlg(alg keys.Algorithm, allowed []keys.Algorithm) *check.Error {
	if len(allowed) == 0 {
		allowed = keys.Algorithms()
	}
	if err := jose.CheckAlgorithm(alg, allowed); err != nil {
		return newErr(check.Signature, ErrAlgorithm, "%v", err)
	}
	return nil
}

// verifyJWS checks the signature of jws with key: c names the check a
// failure belongs to (the issuer JWT or the KB-JWT), what the key.
// h, if not nil, is the algorithm's hash having consumed the signing input.
func verifyJWS(jws *compactJWS, key crypto.PublicKey, c check.Check, what string, h hash.Hash) *check.Error {
	err := jose.VerifySignature(jws.Alg, key, jws.SigningInput, jws.Signature, h)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jose.ErrAlgorithm):
		return newErr(c, ErrAlgorithm, "%s does not fit the %s key", jws.Alg, what)
	}
	return newErr(c, ErrSignature, "%s", what)
}

// marshalJSON encodes v without HTML escaping, so that disclosures and
// payloads carry "<", ">" and "&" as themselves.
func marshalJSON(v any) ([]byte, error) { return strictjson.Marshal(v) }
