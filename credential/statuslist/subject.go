package statuslist

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/internal/cose"
	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// unverifiedSubject reads the sub claim of a Status List Token, JWT or CWT,
// without verifying anything: only to choose the key the token is then
// verified with. The token is size-capped and decoded with the same strict
// decoders as verification.
func unverifiedSubject(token []byte) (string, error) {
	if len(token) > DefaultMaxTokenBytes {
		return "", fmt.Errorf("token is %d bytes, cap %d", len(token), DefaultMaxTokenBytes)
	}
	var sub string
	if len(token) > 0 && token[0] == 0xd2 { // COSE_Sign1_Tagged (draft §5.2)
		msg, err := cose.ParseSign1(token, cose.Tagged)
		if err != nil {
			return "", fmt.Errorf("COSE_Sign1: %v", err)
		}
		var claims map[any]cbor.RawMessage
		if err := strictcbor.Unmarshal(msg.Payload, &claims); err != nil {
			return "", fmt.Errorf("claims set: %v", err)
		}
		raw, ok := claims[int64(cwtSub)]
		if !ok || strictcbor.Unmarshal(raw, &sub) != nil {
			return "", errors.New("sub (2) missing or not a text string")
		}
	} else {
		if i := bytes.IndexByte(token, '.'); i < 0 || b64.DecodedLen(i) > maxHeaderBytes {
			return "", errors.New("not a compact JWS with three parts")
		}
		jws, err := jose.Parse(string(token), 0)
		if err != nil {
			return "", err
		}
		claims, err := strictjson.UnmarshalObject(jws.Payload, maxJSONDepth)
		if err != nil {
			return "", fmt.Errorf("payload: %v", err)
		}
		s, ok := claims["sub"].(string)
		if !ok {
			return "", errors.New("sub missing or not a string")
		}
		sub = s
	}
	if err := checkURI(sub); err != nil {
		return "", fmt.Errorf("sub: %v", err)
	}
	return sub, nil
}
