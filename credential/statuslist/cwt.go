package statuslist

import (
	"crypto"
	"io"
	"reflect"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"

	"github.com/ikdkit/ikdkit/keys"
)

// CBOR limits for claims sets and status claims. A Status List Token's
// claims set has a handful of members; the caps leave room for extra claims
// an issuer may add (draft §5.2 rule 1) and stop pathological nesting.
const (
	maxCBORNesting = 16
	maxCBORItems   = 1024
)

var (
	// encMode is core deterministic encoding (RFC 8949 §4.2.1).
	encMode cbor.EncMode
	// decMode is strict: duplicate map keys, indefinite lengths, tags and
	// invalid UTF-8 are rejected, and sizes are capped.
	decMode cbor.DecMode
)

func init() {
	var err error
	encMode, err = cbor.EncOptions{
		Sort:        cbor.SortCoreDeterministic,
		IndefLength: cbor.IndefLengthForbidden,
	}.EncMode()
	if err != nil {
		panic(err)
	}
	decMode, err = cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		MaxNestedLevels:   maxCBORNesting,
		MaxArrayElements:  maxCBORItems,
		MaxMapPairs:       maxCBORItems,
		IntDec:            cbor.IntDecConvertSigned,
		UTF8:              cbor.UTF8RejectInvalid,
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
		DefaultMapType:    reflect.TypeOf(map[any]any(nil)),
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

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
	alg, err := keyAlgorithm(op, signer.Public())
	if err != nil {
		return nil, err
	}
	if err := p.check(op); err != nil {
		return nil, err
	}
	calg, _ := coseAlg(alg)
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
	payload, err := encMode.Marshal(claims)
	if err != nil {
		return nil, errorf(op, ErrMalformed, "claims: %v", err)
	}
	s, err := cose.NewSigner(calg, signer)
	if err != nil {
		return nil, errorf(op, ErrAlgorithm, "%v", err)
	}
	msg := cose.Sign1Message{
		Headers: cose.Headers{
			Protected: cose.ProtectedHeader{
				cose.HeaderLabelAlgorithm: calg,
				cose.HeaderLabelType:      CWTType,
			},
			Unprotected: cose.UnprotectedHeader{},
		},
		Payload: payload,
	}
	if p.KeyID != "" {
		msg.Headers.Unprotected[cose.HeaderLabelKeyID] = []byte(p.KeyID)
	}
	if err := msg.Sign(rand, nil, s); err != nil {
		return nil, errorf(op, ErrSignature, "%v", err)
	}
	out, err := msg.MarshalCBOR()
	if err != nil {
		return nil, errorf(op, ErrMalformed, "%v", err)
	}
	return out, nil
}

// VerifyCWT verifies a Status List Token in CWT format (draft §5.2) and
// returns it. The message must be COSE_Sign1_Tagged (tag 18; a COSE_Mac0 or
// a CWT-tagged message is refused); the protected header must name the
// algorithm of v.Key and
// type (16) "application/statuslist+cwt"; crit is refused. After the
// signature verifies, the claims set is decoded strictly (duplicate keys,
// tags and indefinite lengths rejected) and sub (2), iat (6) and
// status_list (65533) are required; exp (4), nbf (5) and ttl (65534) are
// checked when present.
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
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(token); err != nil {
		return nil, errorf(op, ErrMalformed, "COSE_Sign1: %v", err)
	}
	calg, _ := coseAlg(alg)
	// RFC 8725-style pinning: alg MUST be protected and equal the policy's.
	if got, err := msg.Headers.Protected.Algorithm(); err != nil || got != calg {
		return nil, errorf(op, ErrAlgorithm, "protected alg %v, expected %v", msg.Headers.Protected[cose.HeaderLabelAlgorithm], calg)
	}
	if _, has := msg.Headers.Unprotected[cose.HeaderLabelAlgorithm]; has {
		return nil, errorf(op, ErrAlgorithm, "alg in the unprotected header")
	}
	// draft §5.2: protected type (16) REQUIRED, application/statuslist+cwt.
	// (The CoAP Content-Format ID is not yet assigned, so none is accepted.)
	if typ, _ := msg.Headers.Protected[cose.HeaderLabelType].(string); typ != CWTType {
		return nil, errorf(op, ErrType, "type %v", msg.Headers.Protected[cose.HeaderLabelType])
	}
	// RFC 9052 §3.1: crit lists labels we must understand; we understand none.
	if _, has := msg.Headers.Protected[cose.HeaderLabelCritical]; has {
		return nil, errorf(op, ErrMalformed, "unsupported crit header")
	}
	verifier, err := cose.NewVerifier(calg, v.Key)
	if err != nil {
		return nil, errorf(op, ErrAlgorithm, "%v", err)
	}
	// draft §5.2 rule 2: Relying Parties MUST reject an invalid signature.
	if err := msg.Verify(nil, verifier); err != nil {
		return nil, errorf(op, ErrSignature, "")
	}
	kid := headerKID(msg.Headers)
	c, err := cwtClaims(op, msg.Payload)
	if err != nil {
		return nil, err
	}
	return v.finish(op, FormatCWT, kid, c, now, len(token))
}

func headerKID(h cose.Headers) string {
	if k, ok := h.Protected[cose.HeaderLabelKeyID].([]byte); ok {
		return string(k)
	}
	if k, ok := h.Unprotected[cose.HeaderLabelKeyID].([]byte); ok {
		return string(k)
	}
	return ""
}

func cwtClaims(op string, payload []byte) (*claimSet, error) {
	var claims map[any]cbor.RawMessage
	if err := decMode.Unmarshal(payload, &claims); err != nil {
		return nil, errorf(op, ErrMalformed, "claims set: %v", err)
	}
	get := func(k int64) (cbor.RawMessage, bool) {
		v, ok := claims[k]
		return v, ok
	}
	var c claimSet
	// draft §5.2: subject (2) REQUIRED, the URI of the token.
	raw, ok := get(cwtSub)
	if !ok || decMode.Unmarshal(raw, &c.sub) != nil {
		return nil, errorf(op, ErrMalformed, "sub (2) missing or not a text string")
	}
	if err := checkURI(c.sub); err != nil {
		return nil, errorf(op, ErrMalformed, "sub: %v", err)
	}
	if raw, ok := get(cwtIss); ok && decMode.Unmarshal(raw, &c.iss) != nil {
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
		if decMode.Unmarshal(raw, &ttl) != nil || ttl == 0 || ttl > maxTTLSeconds {
			return nil, errorf(op, ErrMalformed, "ttl (65534) is not a positive unsigned integer")
		}
		c.ttl = int64(ttl)
	}
	raw, ok = get(cwtStatusList)
	if !ok {
		return nil, errorf(op, ErrMalformed, "status_list (65533) missing")
	}
	var sl cborStatusList
	if err := decMode.Unmarshal(raw, &sl); err != nil {
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
	if err := decMode.Unmarshal(raw, &v); err != nil {
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

// coseAlg maps a to its COSE algorithm identifier (RFC 9053 §2.1, §2.2).
func coseAlg(a keys.Algorithm) (cose.Algorithm, bool) {
	switch a {
	case keys.ES256:
		return cose.AlgorithmES256, true
	case keys.ES384:
		return cose.AlgorithmES384, true
	case keys.ES512:
		return cose.AlgorithmES512, true
	case keys.EdDSA:
		return cose.AlgorithmEdDSA, true
	}
	return 0, false
}
