package mdoc

import (
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/internal/cose"
	"github.com/ikdkit/ikdkit/internal/ecdsasig"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// The reflection-based reference decoder the hand-written decoders of
// wire.go replaced, kept for the tests: the differential tests require it
// to accept, with an equal result, whatever a hand decoder accepts.
var (
	decMode      = refDecMode(false)
	decModeExact = refDecMode(true) // also rejects members a struct does not declare
)

func refDecMode(exact bool) cbor.DecMode {
	opts := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TimeTag:           cbor.DecTagRequired,
		MaxNestedLevels:   MaxNestingDepth,
		MaxArrayElements:  MaxContainerItems,
		MaxMapPairs:       MaxContainerItems,
		IntDec:            cbor.IntDecConvertSigned,
		UTF8:              cbor.UTF8RejectInvalid,
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
		BignumTag:         cbor.BignumTagForbidden,
		DefaultMapType:    reflect.TypeOf(map[any]any(nil)),
	}
	if exact {
		opts.ExtraReturnErrors = cbor.ExtraDecErrorUnknownField
	}
	m, err := opts.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}

// decode decodes data into v with reflection after the strict pre-pass
// with the tag allow-list (the cbor library silently skips tags in front
// of typed struct fields, so the pre-pass must run first).
func decode(mode cbor.DecMode, data []byte, v any, allowedTags ...uint64) error {
	if len(data) > MaxMessageSize {
		return errorf(ErrTooLarge, "%d bytes, limit %d", len(data), MaxMessageSize)
	}
	if err := strictcbor.Check(data, allowedTags...); err != nil {
		return wrap(err)
	}
	if err := mode.Unmarshal(data, v); err != nil {
		var (
			nest *cbor.MaxNestedLevelError
			arr  *cbor.MaxArrayElementsError
			mp   *cbor.MaxMapPairsError
		)
		if errors.As(err, &nest) || errors.As(err, &arr) || errors.As(err, &mp) {
			return fmt.Errorf("%w: %v", ErrTooLarge, err)
		}
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// sign1 is the reference COSE_Sign1 signer the hand-written one in
// internal/cose is compared with: the Sig_structure (RFC 9052 §4.4) is
// assembled with the reflection encoder and signed in one piece. The
// protected header is {1: alg} with the algorithm of the key; a nil rnd
// means crypto/rand.
func sign1(rnd io.Reader, signer crypto.Signer, unprotected map[int64]any, payload []byte, detached bool) ([]byte, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	alg, err := cose.KeyAlgorithm(signer.Public())
	if err != nil {
		return nil, err
	}
	protected, err := marshal(map[int64]any{1: alg})
	if err != nil {
		return nil, err
	}
	tbs, err := marshal([]any{"Signature1", protected, []byte{}, payload})
	if err != nil {
		return nil, err
	}
	var sig []byte
	switch alg {
	case cose.AlgEdDSA:
		if sig, err = signer.Sign(rnd, tbs, crypto.Hash(0)); err != nil {
			return nil, err
		}
	default:
		h, size := map[int64]crypto.Hash{cose.AlgES256: crypto.SHA256, cose.AlgES384: crypto.SHA384, cose.AlgES512: crypto.SHA512}[alg],
			map[int64]int{cose.AlgES256: 32, cose.AlgES384: 48, cose.AlgES512: 66}[alg]
		d := h.New()
		d.Write(tbs)
		der, err := signer.Sign(rnd, d.Sum(nil), h)
		if err != nil {
			return nil, err
		}
		sig = make([]byte, 2*size)
		if !ecdsasig.ToRS(der, sig) {
			return nil, errors.New("malformed ECDSA signature")
		}
	}
	if unprotected == nil {
		unprotected = map[int64]any{}
	}
	var p any = payload
	if detached {
		p = nil
	}
	return marshal([]any{protected, unprotected, p, sig})
}

// coseMessage is a COSE_Sign1 or COSE_Mac0 taken apart for editing.
type coseMessage struct {
	_           struct{} `cbor:",toarray"`
	Protected   strictcbor.ByteString
	Unprotected map[any]cbor.RawMessage
	Payload     rawItem
	Signature   strictcbor.ByteString
}

func parseCOSEParts(t testing.TB, raw []byte) *coseMessage {
	t.Helper()
	var m coseMessage
	if err := decode(decMode, raw, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}
