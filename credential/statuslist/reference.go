package statuslist

import (
	"encoding/json"
	"strconv"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/internal/strictcbor"
	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// StatusClaim is the "status" claim of a Referenced Token
// (draft-ietf-oauth-status-list-20 §6.1): an object naming one or more status
// mechanisms. This package defines the "status_list" member.
//
// It is a plain type for other packages to embed: as JSON in an SD-JWT VC
// payload ({"status": {"status_list": {"idx": 0, "uri": "https://..."}}},
// §6.2), and as CBOR in a CWT (claim key [CWTClaimStatus], §6.3) or an mdoc
// MobileSecurityObject's "status" member (§6.3, ISO/IEC 18013-5 second
// edition), where the map keys are the same text strings.
//
// Decoding with encoding/json or a lax CBOR decoder does not check the
// draft's rules; use [ParseStatusClaimJSON], [ParseStatusClaimCBOR] or
// [StatusClaimFromJSONValue] for untrusted input.
type StatusClaim struct {
	// StatusList is the reference into a Token Status List. It is REQUIRED
	// when this mechanism is used; other mechanisms may appear beside it.
	StatusList *Reference `json:"status_list,omitempty" cbor:"status_list,omitempty"`
}

// Reference points at one entry of a Status List (draft §6.2, §6.3
// "StatusListInfo").
type Reference struct {
	// Index is "idx", the entry's index in the list.
	Index uint64 `json:"idx" cbor:"idx"`
	// URI is "uri", the URI of the Status List Token; it equals that
	// token's "sub".
	URI string `json:"uri" cbor:"uri"`
}

// Validate checks that the URI is an absolute URI (RFC 3986) of at most
// 2048 bytes without a fragment.
func (r Reference) Validate() error {
	if err := checkURI(r.URI); err != nil {
		return errorf("reference", ErrMalformed, "uri: %v", err)
	}
	return nil
}

// MarshalCBOR encodes the claim in deterministic CBOR (RFC 8949 §4.2.1).
func (s StatusClaim) MarshalCBOR() ([]byte, error) {
	type plain StatusClaim
	return strictcbor.Marshal(plain(s))
}

// MaxStatusClaimBytes caps the encoded "status" claim given to
// [ParseStatusClaimJSON] and [ParseStatusClaimCBOR].
const MaxStatusClaimBytes = 16 << 10

// ParseStatusClaimJSON parses the JSON value of a "status" claim (draft §6.2).
// Duplicate member names are rejected; "status_list" is required, with a
// non-negative integer "idx" and a URI "uri". Other members of "status"
// (other mechanisms) and of "status_list" are ignored.
func ParseStatusClaimJSON(data []byte) (StatusClaim, error) {
	if len(data) > MaxStatusClaimBytes {
		return StatusClaim{}, errorf("status claim", ErrTooLarge, "%d bytes", len(data))
	}
	v, err := strictjson.Unmarshal(data, maxJSONDepth)
	if err != nil {
		return StatusClaim{}, errorf("status claim", ErrMalformed, "%v", err)
	}
	return StatusClaimFromJSONValue(v)
}

// StatusClaimFromJSONValue checks and converts the "status" claim of an
// already strictly decoded JSON payload: v is a map[string]any whose
// numbers are json.Number (the form internal/strictjson produces).
func StatusClaimFromJSONValue(v any) (StatusClaim, error) {
	const op = "status claim"
	// draft §6.2: status MUST be a JSON object ...
	obj, ok := v.(map[string]any)
	if !ok {
		return StatusClaim{}, errorf(op, ErrMalformed, "status is not an object")
	}
	// ... and status_list is REQUIRED for this mechanism.
	sl, ok := obj["status_list"].(map[string]any)
	if !ok {
		return StatusClaim{}, errorf(op, ErrMalformed, "status_list missing or not an object")
	}
	// draft §6.2: idx REQUIRED, a non-negative integer.
	n, ok := sl["idx"].(json.Number)
	if !ok {
		return StatusClaim{}, errorf(op, ErrMalformed, "idx missing or not a number")
	}
	idx, err := strconv.ParseUint(n.String(), 10, 64)
	if err != nil {
		return StatusClaim{}, errorf(op, ErrMalformed, "idx %s is not a non-negative integer", n)
	}
	// draft §6.2: uri REQUIRED, a URI (RFC 3986).
	uri, ok := sl["uri"].(string)
	if !ok {
		return StatusClaim{}, errorf(op, ErrMalformed, "uri missing or not a string")
	}
	ref := Reference{Index: idx, URI: uri}
	if err := ref.Validate(); err != nil {
		return StatusClaim{}, err
	}
	return StatusClaim{StatusList: &ref}, nil
}

type cborReference struct {
	Idx *uint64 `cbor:"idx"`
	URI *string `cbor:"uri"`
}

// ParseStatusClaimCBOR parses the CBOR "Status" map (draft §6.3): the value
// of CWT claim 65535 or of the mdoc MSO's "status". Keys are text strings;
// "status_list" is required and is a map with "idx" (unsigned integer) and
// "uri" (text string). Duplicate keys, tags and indefinite lengths are
// rejected; unknown members are ignored.
func ParseStatusClaimCBOR(data []byte) (StatusClaim, error) {
	const op = "status claim"
	if len(data) > MaxStatusClaimBytes {
		return StatusClaim{}, errorf(op, ErrTooLarge, "%d bytes", len(data))
	}
	var m map[string]cbor.RawMessage
	// draft §6.3: the key MUST be a text string naming the mechanism.
	if err := strictcbor.Unmarshal(data, &m); err != nil {
		return StatusClaim{}, errorf(op, ErrMalformed, "%v", err)
	}
	raw, ok := m["status_list"]
	if !ok {
		return StatusClaim{}, errorf(op, ErrMalformed, "status_list missing")
	}
	var r cborReference
	if err := strictcbor.Unmarshal(raw, &r); err != nil {
		return StatusClaim{}, errorf(op, ErrMalformed, "status_list: %v", err)
	}
	// draft §6.3: idx (major type 0) and uri (major type 3) REQUIRED.
	if r.Idx == nil || r.URI == nil {
		return StatusClaim{}, errorf(op, ErrMalformed, "status_list needs idx and uri")
	}
	ref := Reference{Index: *r.Idx, URI: *r.URI}
	if err := ref.Validate(); err != nil {
		return StatusClaim{}, err
	}
	return StatusClaim{StatusList: &ref}, nil
}
