package statuslist

import (
	"crypto"
	"errors"
	"io"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/internal/cose"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// Claims sets and status claims are decoded with internal/strictcbor:
// duplicate map keys, indefinite lengths, tags and invalid UTF-8 are
// rejected, and the nesting and container sizes are capped
// (strictcbor.MaxNestingDepth, strictcbor.MaxContainerItems) — a Status
// List Token's claims set has a handful of members, the caps leave room for
// extra claims an issuer may add (draft §5.2 rule 1).

// cborStatusList is the StatusList CBOR map of draft §4.3.
type cborStatusList struct {
	Bits           *uint64 `cbor:"bits"`
	Lst            []byte  `cbor:"lst"`
	AggregationURI *string `cbor:"aggregation_uri,omitempty"`
}

// SignCWT returns a Status List Token in CWT format
// (draft-ietf-oauth-status-list-20 §5.2): a COSE_Sign1_Tagged (tag 18)
// message, not wrapped in the CWT tag 61, whose protected header holds alg
// and type (16) "application/statuslist+cwt", whose unprotected header holds
// kid (4) if set, and whose payload is the claims set {2: sub, 6: iat,
// 4: exp, 65534: ttl, 65533: {bits, lst}} in deterministic CBOR.
func SignCWT(rand io.Reader, signer crypto.Signer, list *List, p TokenParams) ([]byte, error) {
	const op = "sign cwt"
	if signer == nil || list == nil {
		return nil, errorf(op, ErrMalformed, "nil signer or list")
	}
	cs, err := cose.NewSigner(signer)
	if err != nil {
		return nil, errorf(op, ErrAlgorithm, "%v", err)
	}
	if err := p.check(op); err != nil {
		return nil, err
	}
	bits := uint64(list.Bits())
	sl := cborStatusList{Bits: &bits, Lst: list.Compress()}
	if p.AggregationURI != "" {
		sl.AggregationURI = &p.AggregationURI
	}
	claims := map[int64]any{
		cwtSub:        p.Subject,
		cwtIat:        p.IssuedAt.Unix(),
		cwtStatusList: sl,
	}
	if p.Issuer != "" {
		claims[cwtIss] = p.Issuer
	}
	if !p.ExpiresAt.IsZero() {
		claims[cwtExp] = p.ExpiresAt.Unix()
	}
	if p.TTL > 0 {
		claims[cwtTTL] = uint64(p.TTL.Seconds())
	}
	payload, err := strictcbor.Marshal(claims)
	if err != nil {
		return nil, errorf(op, ErrMalformed, "claims: %v", err)
	}
	var unprotected []cose.HeaderParam
	if p.KeyID != "" {
		unprotected = []cose.HeaderParam{{Label: cose.HeaderKID, Value: []byte(p.KeyID)}}
	}
	out, err := cs.Sign1(rand, cose.Sign1Params{Form: cose.Tagged, Payload: payload,
		Protected:   []cose.HeaderParam{{Label: cose.HeaderType, Value: CWTType}},
		Unprotected: unprotected})
	if err != nil {
		return nil, errorf(op, ErrSignature, "%v", err)
	}
	return out, nil
}

// VerifyCWT verifies a Status List Token in CWT format (draft §5.2) and
// returns it. The message must be COSE_Sign1_Tagged (tag 18; a COSE_Mac0 or
// a CWT-tagged message is refused) with an attached payload, parsed
// strictly by internal/cose (crit refused); its protected header must name
// the algorithm of v.Key. After the signature verifies, the protected type
// (16) must be "application/statuslist+cwt", the claims set is decoded
// strictly (duplicate keys, tags and indefinite lengths rejected) and sub
// (2), iat (6) and status_list (65533) are required; exp (4), nbf (5) and
// ttl (65534) are checked when present.
func (v *Verifier) VerifyCWT(token []byte) (*Token, error) {
	const op = "verify cwt"
	now, alg, maxTok, err := v.setup(op)
	if err != nil {
		return nil, err
	}
	if len(token) > maxTok {
		return nil, errorf(op, ErrTooLarge, "token is %d bytes, cap %d", len(token), maxTok)
	}
	// draft §5.2: MUST be COSE_Sign1_Tagged (18) and MUST NOT carry the
	// CWT tag (61). COSE_Mac0 (17) is allowed by the draft but not here: a
	// MAC cannot bind the list to the Status Issuer (draft §11.6).
	if len(token) == 0 || token[0] != 0xd2 {
		return nil, errorf(op, ErrMalformed, "not a COSE_Sign1_Tagged message")
	}
	// RFC 9052 §4.2, strictly (internal/cose): crit and duplicate or
	// doubly placed header labels are refused.
	msg, err := cose.ParseSign1(token, cose.Tagged)
	if err != nil {
		return nil, errorf(op, ErrMalformed, "COSE_Sign1: %v", err)
	}
	// RFC 8725-style pinning: alg MUST be protected and name the algorithm
	// of v.Key (internal/cose takes it from the key); draft §5.2 rule 2:
	// Relying Parties MUST reject an invalid signature.
	if err := msg.Verify(v.Key, nil); err != nil {
		switch {
		case errors.Is(err, cose.ErrSignature):
			return nil, errorf(op, ErrSignature, "")
		case errors.Is(err, cose.ErrMalformed):
			return nil, errorf(op, ErrMalformed, "%v", err) // a detached payload
		}
		return nil, errorf(op, ErrAlgorithm, "%v (the key's is %s)", err, alg)
	}
	// draft §5.2: protected type (16) REQUIRED, application/statuslist+cwt.
	// (The CoAP Content-TokenFormat ID is not yet assigned, so none is accepted.)
	if typ, _, _ := msg.Protected.Text(cose.HeaderType); typ != CWTType {
		return nil, errorf(op, ErrType, "type is not %q", CWTType)
	}
	kid, err := msg.KeyID()
	if err != nil {
		return nil, errorf(op, ErrMalformed, "kid: %v", err)
	}
	c, err := cwtClaims(op, msg.Payload)
	if err != nil {
		return nil, err
	}
	return v.finish(op, TokenCWT, string(kid), c, now, len(token))
}

func cwtClaims(op string, payload []byte) (*claimSet, error) {
	var claims map[any]cbor.RawMessage
	if err := strictcbor.Unmarshal(payload, &claims); err != nil {
		return nil, errorf(op, ErrMalformed, "claims set: %v", err)
	}
	get := func(k int64) (cbor.RawMessage, bool) {
		v, ok := claims[k]
		return v, ok
	}
	var c claimSet
	// draft §5.2: subject (2) REQUIRED, the URI of the token.
	raw, ok := get(cwtSub)
	if !ok || strictcbor.Unmarshal(raw, &c.sub) != nil {
		return nil, errorf(op, ErrMalformed, "sub (2) missing or not a text string")
	}
	if err := checkURI(c.sub); err != nil {
		return nil, errorf(op, ErrMalformed, "sub: %v", err)
	}
	if raw, ok := get(cwtIss); ok && strictcbor.Unmarshal(raw, &c.iss) != nil {
		return nil, errorf(op, ErrMalformed, "iss (1) is not a text string")
	}
	var err error
	// draft §5.2: issued at (6) REQUIRED.
	var has bool
	if c.iat, has, err = cborNumericDate(get(cwtIat)); err != nil || !has {
		return nil, errorf(op, ErrMalformed, "iat (6) missing or not a NumericDate")
	}
	if c.exp, c.hasExp, err = cborNumericDate(get(cwtExp)); err != nil {
		return nil, errorf(op, ErrMalformed, "exp (4) is not a NumericDate")
	}
	if c.nbf, c.hasNbf, err = cborNumericDate(get(cwtNbf)); err != nil {
		return nil, errorf(op, ErrMalformed, "nbf (5) is not a NumericDate")
	}
	if raw, ok := get(cwtTTL); ok {
		// draft §5.2: ttl is an unsigned integer (major type 0), positive.
		var ttl uint64
		if strictcbor.Unmarshal(raw, &ttl) != nil || ttl == 0 || ttl > maxTTLSeconds {
			return nil, errorf(op, ErrMalformed, "ttl (65534) is not a positive unsigned integer")
		}
		c.ttl = int64(ttl)
	}
	raw, ok = get(cwtStatusList)
	if !ok {
		return nil, errorf(op, ErrMalformed, "status_list (65533) missing")
	}
	var sl cborStatusList
	if err := strictcbor.Unmarshal(raw, &sl); err != nil {
		return nil, errorf(op, ErrMalformed, "status_list: %v", err)
	}
	// draft §4.3: bits (uint) and lst (bstr) REQUIRED; bits in {1,2,4,8}.
	if sl.Bits == nil || sl.Lst == nil {
		return nil, errorf(op, ErrMalformed, "status_list needs bits and lst")
	}
	if *sl.Bits > 8 || !validBits(int(*sl.Bits)) {
		return nil, errorf(op, ErrBits, "status_list.bits = %d", *sl.Bits)
	}
	c.bits = int(*sl.Bits)
	c.lst = sl.Lst
	if sl.AggregationURI != nil {
		c.aggURI = *sl.AggregationURI
	}
	return &c, nil
}

// cborNumericDate decodes a NumericDate (RFC 8392 §2): an integer or a
// floating-point number of seconds, untagged; negative values are refused.
func cborNumericDate(raw cbor.RawMessage, present bool) (int64, bool, error) {
	if !present {
		return 0, false, nil
	}
	var v any
	if err := strictcbor.Unmarshal(raw, &v); err != nil {
		return 0, true, err
	}
	switch n := v.(type) {
	case int64:
		if n >= 0 && validSeconds(float64(n)) {
			return n, true, nil
		}
	case float64:
		if validSeconds(n) {
			return int64(n), true, nil
		}
	}
	return 0, true, errorf("claims", ErrMalformed, "not a non-negative NumericDate")
}
