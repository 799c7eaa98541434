package qr

import "github.com/fxamacker/cbor/v2"

// The CBOR modes are built once and are immutable (safe for concurrent use).
var (
	// encMode is RFC 8949 §4.2.1 core deterministic encoding.
	encMode = mustEncMode()
	// decMode decodes the envelope content: no tags, no duplicate keys,
	// no indefinite lengths, tight container caps.
	decMode = mustDecMode(true)
	// decModeTags is decMode with tags allowed, for walking an mdoc
	// DeviceResponse (tag 24 and tag 1004 items are kept as raw bytes).
	decModeTags = mustDecMode(false)
)

func mustEncMode() cbor.EncMode {
	m, err := cbor.EncOptions{
		Sort:        cbor.SortCoreDeterministic,
		IndefLength: cbor.IndefLengthForbidden,
	}.EncMode()
	if err != nil {
		panic(err)
	}
	return m
}

func mustDecMode(noTags bool) cbor.DecMode {
	opts := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		MaxNestedLevels:   maxCBORNesting,
		MaxArrayElements:  2048,
		MaxMapPairs:       2048,
		IntDec:            cbor.IntDecConvertSigned,
		UTF8:              cbor.UTF8RejectInvalid,
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
	}
	if noTags {
		opts.TagsMd = cbor.TagsForbidden
	}
	m, err := opts.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}
