package statuslist

import (
	"bytes"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"io"
	"strconv"

	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/keys"
)

var b64 = base64.RawURLEncoding.Strict()

// maxJSONDepth bounds the nesting of a JWT header or payload.
const maxJSONDepth = 16

type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid,omitempty"`
	Typ string `json:"typ"`
}

type jsonStatusList struct {
	Bits           int    `json:"bits"`
	Lst            string `json:"lst"`
	AggregationURI string `json:"aggregation_uri,omitempty"`
}

type jwtPayload struct {
	Exp        int64          `json:"exp,omitempty"`
	Iat        int64          `json:"iat"`
	Iss        string         `json:"iss,omitempty"`
	StatusList jsonStatusList `json:"status_list"`
	Sub        string         `json:"sub"`
	TTL        int64          `json:"ttl,omitempty"`
}

// SignJWT returns a Status List Token in JWT format
// (draft-ietf-oauth-status-list-20 §5.1) for list, signed by signer with the
// algorithm of its key (ES256, ES384, ES512 or EdDSA). The header is {"alg",
// "kid" (if set), "typ": "statuslist+jwt"}; the payload holds sub, iat, exp
// and ttl (if set), iss (if set) and status_list {bits, lst}. The signer may
// be any crypto.Signer (an HSM key, say).
func SignJWT(rand io.Reader, signer crypto.Signer, list *List, p TokenParams) ([]byte, error) {
	const op = "sign jwt"
	if signer == nil || list == nil {
		return nil, errorf(op, ErrMalformed, "nil signer or list")
	}
	js, err := jose.NewSigner(signer)
	if err != nil {
		return nil, errorf(op, ErrAlgorithm, "%v", err)
	}
	if err := p.check(op); err != nil {
		return nil, err
	}
	hdr, err := json.Marshal(jwtHeader{Alg: string(js.Algorithm()), Kid: p.KeyID, Typ: JWTType})
	if err != nil {
		return nil, errorf(op, ErrMalformed, "header: %v", err)
	}
	pl := jwtPayload{
		Iat: p.IssuedAt.Unix(),
		Iss: p.Issuer,
		Sub: p.Subject,
		TTL: int64(p.TTL.Seconds()),
		StatusList: jsonStatusList{
			Bits:           list.Bits(),
			Lst:            b64.EncodeToString(list.Compress()),
			AggregationURI: p.AggregationURI,
		},
	}
	if !p.ExpiresAt.IsZero() {
		pl.Exp = p.ExpiresAt.Unix()
	}
	payload, err := json.Marshal(pl)
	if err != nil {
		return nil, errorf(op, ErrMalformed, "payload: %v", err)
	}
	tok, err := js.Sign(rand, hdr, payload)
	if err != nil {
		return nil, errorf(op, ErrSignature, "%v", err)
	}
	return []byte(tok), nil
}

// VerifyJWT verifies a Status List Token in JWT format (draft §5.1) and
// returns it. It checks, in order: the size cap; the compact serialization
// (three base64url parts, no padding or whitespace); the header ("alg" must
// be the algorithm of v.Key, "typ" must be "statuslist+jwt", "crit" is refused); the
// signature; the payload (strict JSON, duplicate member names rejected);
// the required claims sub, iat and status_list and the optional exp, nbf,
// ttl; exp/nbf/iat against the clock; and finally the list itself.
func (v *Verifier) VerifyJWT(token []byte) (*Token, error) {
	const op = "verify jwt"
	now, alg, maxTok, err := v.setup(op)
	if err != nil {
		return nil, err
	}
	if len(token) > maxTok {
		return nil, errorf(op, ErrTooLarge, "token is %d bytes, cap %d", len(token), maxTok)
	}
	// RFC 7515 §7.1: the compact serialization, decoded strictly
	// (package jose: canonical base64url, strict header JSON, no crit).
	if i := bytes.IndexByte(token, '.'); i < 0 || b64.DecodedLen(i) > maxHeaderBytes {
		if i >= 0 {
			return nil, errorf(op, ErrTooLarge, "header over %d bytes", maxHeaderBytes)
		}
		return nil, errorf(op, ErrMalformed, "not a compact JWS with three parts")
	}
	jws, err := jose.Parse(string(token), 0)
	if err != nil {
		return nil, errorf(op, ErrMalformed, "%v", err)
	}
	// RFC 8725 §3.1: the algorithm is the one of the caller's key.
	if jws.Alg != alg {
		return nil, errorf(op, ErrAlgorithm, "header alg %.16q, the key's is %s", jws.Alg, alg)
	}
	// draft §5.1: typ REQUIRED, MUST be statuslist+jwt (RFC 8725 §3.11).
	if err := jws.CheckType(JWTType); err != nil {
		return nil, errorf(op, ErrType, "%v", err)
	}
	kid, _ := jws.Header["kid"].(string)
	// draft §5.1 rule 2: Relying Parties MUST reject an invalid signature.
	if err := jws.Verify(v.Key, []keys.Algorithm{alg}); err != nil {
		return nil, errorf(op, ErrSignature, "")
	}
	payloadJSON := jws.Payload
	// RFC 8725 §3.12 / RFC 7519 §4: duplicate claim names are rejected.
	claims, err := strictjson.UnmarshalObject(payloadJSON, maxJSONDepth)
	if err != nil {
		return nil, errorf(op, ErrMalformed, "payload: %v", err)
	}
	c, err := jwtClaims(op, claims)
	if err != nil {
		return nil, err
	}
	return v.finish(op, TokenJWT, kid, c, now, len(token))
}

func jwtClaims(op string, claims map[string]any) (*claimSet, error) {
	var c claimSet
	var ok bool
	// draft §5.1: sub REQUIRED, the URI of the Status List Token.
	if c.sub, ok = claims["sub"].(string); !ok {
		return nil, errorf(op, ErrMalformed, "sub missing or not a string")
	}
	if err := checkURI(c.sub); err != nil {
		return nil, errorf(op, ErrMalformed, "sub: %v", err)
	}
	if v, has := claims["iss"]; has {
		if c.iss, ok = v.(string); !ok {
			return nil, errorf(op, ErrMalformed, "iss is not a string")
		}
	}
	// draft §5.1: iat REQUIRED.
	iat, has, err := numericDate(claims, "iat")
	if err != nil || !has {
		return nil, errorf(op, ErrMalformed, "iat missing or not a NumericDate")
	}
	c.iat = iat
	if c.exp, c.hasExp, err = numericDate(claims, "exp"); err != nil {
		return nil, errorf(op, ErrMalformed, "exp: %v", err)
	}
	if c.nbf, c.hasNbf, err = numericDate(claims, "nbf"); err != nil {
		return nil, errorf(op, ErrMalformed, "nbf: %v", err)
	}
	ttl, hasTTL, err := numericDate(claims, "ttl")
	if err != nil {
		return nil, errorf(op, ErrMalformed, "ttl: %v", err)
	}
	// draft §5.1: ttl, if present, MUST be a positive number.
	if hasTTL && (ttl <= 0 || ttl > maxTTLSeconds) {
		return nil, errorf(op, ErrMalformed, "ttl %d is not a positive number of seconds", ttl)
	}
	c.ttl = ttl
	// draft §5.1: status_list REQUIRED, the object of §4.2.
	sl, ok := claims["status_list"].(map[string]any)
	if !ok {
		return nil, errorf(op, ErrMalformed, "status_list missing or not an object")
	}
	bitsNum, ok := sl["bits"].(json.Number)
	if !ok {
		return nil, errorf(op, ErrMalformed, "status_list.bits missing or not a number")
	}
	bits, err := strconv.Atoi(bitsNum.String())
	// draft §4.2: the allowed values for bits are 1, 2, 4 and 8.
	if err != nil || !validBits(bits) {
		return nil, errorf(op, ErrBits, "status_list.bits = %s", bitsNum)
	}
	c.bits = bits
	lst, ok := sl["lst"].(string)
	if !ok {
		return nil, errorf(op, ErrMalformed, "status_list.lst missing or not a string")
	}
	// draft §4.2: lst is the base64url-encoded compressed byte array.
	if c.lst, err = b64.DecodeString(lst); err != nil {
		return nil, errorf(op, ErrMalformed, "status_list.lst base64url: %v", err)
	}
	if v, has := sl["aggregation_uri"]; has {
		if c.aggURI, ok = v.(string); !ok {
			return nil, errorf(op, ErrMalformed, "aggregation_uri is not a string")
		}
	}
	return &c, nil
}

// numericDate reads a non-negative JSON number of seconds (RFC 7519 §2
// NumericDate); a fractional value is truncated.
func numericDate(claims map[string]any, name string) (int64, bool, error) {
	v, has := claims[name]
	if !has {
		return 0, false, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, true, errorf("claims", ErrMalformed, "%s is not a number", name)
	}
	if i, err := strconv.ParseInt(n.String(), 10, 64); err == nil {
		if i < 0 || !validSeconds(float64(i)) {
			return 0, true, errorf("claims", ErrMalformed, "%s out of range", name)
		}
		return i, true, nil
	}
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil || !validSeconds(f) {
		return 0, true, errorf("claims", ErrMalformed, "%s out of range", name)
	}
	return int64(f), true, nil
}
