package qr

import (
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/credential/qr/internal/wire"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// Caps on untrusted input (docs/qr-format.md §7).
const (
	// MaxPayloadSize caps the length of a payload handed to a decoder:
	// 8 KiB (one QR holds at most 4296 alphanumeric characters).
	MaxPayloadSize = wire.MaxPayloadSize
	// MaxPresentations caps the presentations in one envelope.
	MaxPresentations = 8
	// maxDisclosures caps the disclosures of one SD-JWT in an envelope.
	maxDisclosures = 256
)

// Presentation kinds in the envelope (docs/qr-format.md §4).
const (
	wireSDJWT = 0
	wireMdoc  = 1
)

// Envelope is the content of a response QR: 1 to MaxPresentations
// presentations.
type Envelope struct {
	Presentations []Presentation
}

// Presentation is one presentation in an envelope. Exactly one of SDJWT and
// Mdoc is set.
type Presentation struct {
	// SDJWT is an SD-JWT VC presentation in compact form,
	// <issuer-JWT>~<disclosure>~...~<KB-JWT>, exactly as package sdjwt
	// produces it. Decode gives back the identical string.
	SDJWT string
	// Mdoc is an mdoc DeviceResponse with its offline-QR binding.
	Mdoc *MdocPresentation
}

// MdocPresentation is an ISO 18013-5 DeviceResponse bound to a verifier and
// a time by the offline-QR SessionTranscript (see [OfflineSessionTranscript]).
type MdocPresentation struct {
	// DeviceResponse is the CBOR DeviceResponse. On Encode it must carry
	// the x5chain, which the envelope replaces by its x5t
	// ([DocumentSignerRef]); on Decode it carries that x5t, and
	// [MdocPresentation.WithChain] (as package verifier does) puts the
	// chain back.
	DeviceResponse []byte
	// Binding is what the device signature is bound to.
	Binding Binding
}

// Binding is the one-way freshness binding of a presentation
// (docs/qr-format.md §5): the verifier the holder chose and the time it
// showed the QR, plus a nonce (the request's nonce in the two-way flow, a
// fresh random one otherwise).
type Binding struct {
	Audience string    // the verifier's identifier (KB-JWT aud)
	IssuedAt time.Time // when the presentation was made (KB-JWT iat), whole seconds
	Nonce    []byte    // 8 to 32 bytes
}

// Nonce length bounds for a Binding.
const (
	MinNonceSize = 8
	MaxNonceSize = 32
)

// WithChain returns the DeviceResponse with each document's x5t replaced by
// the x5chain the resolver returns, ready for mdoc.Verify. Nothing signed
// changes: the x5chain sits in the COSE unprotected header.
func (m *MdocPresentation) WithChain(resolve ChainResolver) ([]byte, error) {
	return restoreChain(m.DeviceResponse, resolve)
}

type wireBinding struct {
	_        struct{} `cbor:",toarray"`
	Audience string
	IssuedAt uint64
	Nonce    []byte
}

// EncodeContent returns the CBOR content of an envelope before compression
// and framing (docs/qr-format.md §4); Encode uses it, and it is exported for
// measuring.
func encodeContent(env Envelope) ([]byte, error) {
	if len(env.Presentations) == 0 || len(env.Presentations) > MaxPresentations {
		return nil, errorf("encode", ErrOptions, "%d presentations, want 1 to %d", len(env.Presentations), MaxPresentations)
	}
	items := make([]any, 0, len(env.Presentations))
	for i, p := range env.Presentations {
		switch {
		case p.SDJWT != "" && p.Mdoc == nil:
			parts, err := splitSDJWT(p.SDJWT)
			if err != nil {
				return nil, err
			}
			var kb any
			if parts.KB != nil {
				kb = parts.KB[:]
			}
			ds := parts.Disclosures
			if ds == nil {
				ds = [][]byte{}
			}
			items = append(items, []any{wireSDJWT, parts.JWT[:], ds, kb})
		case p.SDJWT == "" && p.Mdoc != nil:
			b := p.Mdoc.Binding
			if err := checkBinding(b); err != nil {
				return nil, err
			}
			dr, err := stripChain(p.Mdoc.DeviceResponse)
			if err != nil {
				return nil, err
			}
			items = append(items, []any{wireMdoc, dr, wireBinding{Audience: b.Audience, IssuedAt: uint64(b.IssuedAt.Unix()), Nonce: b.Nonce}})
		default:
			return nil, errorf("encode", ErrOptions, "presentation %d: set exactly one of SDJWT and Mdoc", i)
		}
	}
	return strictcbor.Marshal(items)
}

func checkBinding(b Binding) error {
	if b.Audience == "" || len(b.Audience) > 256 {
		return errorf("encode", ErrOptions, "binding audience must be 1 to 256 bytes")
	}
	if b.IssuedAt.Unix() <= 0 {
		return errorf("encode", ErrOptions, "binding time must be set")
	}
	if len(b.Nonce) < MinNonceSize || len(b.Nonce) > MaxNonceSize {
		return errorf("encode", ErrOptions, "nonce of %d bytes, want %d to %d", len(b.Nonce), MinNonceSize, MaxNonceSize)
	}
	return nil
}

// Encode packs an envelope into a response QR payload (docs/qr-format.md):
// SD-JWT parts as raw bytes, CBOR framing, DEFLATE with the preset
// dictionary when that is smaller, then base45 in alphanumeric mode or raw
// bytes in byte mode, whichever needs the smaller QR version at level M.
// It fails with ErrTooLarge when the result needs more than version 40;
// use [EncodeFrames] for larger content.
func Encode(env Envelope) (Code, error) {
	body, err := encodeBodyV2(env)
	if err != nil {
		return Code{}, err
	}
	p, err := wire.WrapVersion(wire.KindPresentation, wire.VersionPresentation, body, 0)
	if err != nil {
		return Code{}, fromWire(err)
	}
	return codeOf(p), nil
}

// encodeBodyV2 is the framed body of version 2 content (docs/qr-format.md
// §4.3), which Encode writes.
func encodeBodyV2(env Envelope) ([]byte, error) {
	content, tail, err := encodeContentV2(env)
	if err != nil {
		return nil, err
	}
	body, err := wire.FrameBodyTail(content, tail)
	return body, fromWire(err)
}

// encodeBody is the framed body of version 1 content, which frame
// sequences carry (docs/qr-format.md §9).

func encodeBody(env Envelope) ([]byte, error) {
	content, err := encodeContent(env)
	if err != nil {
		return nil, err
	}
	body, err := wire.FrameBody(content)
	return body, fromWire(err)
}

// Decode unpacks a response QR payload, as scanned (base45 text or raw
// bytes), into its presentations. It verifies nothing cryptographic: it
// checks the prefix and version, the checksums, the framing, the
// decompressed size and the CBOR structure (at most 256 disclosures per
// SD-JWT). Presentations are verified by package verifier
// (verifier.Verifier.VerifyQR), never from a decoded Envelope alone.
func Decode(data []byte) (*Envelope, error) {
	body, v, err := wire.UnwrapVersion(wire.KindPresentation, data, wire.Version, wire.VersionPresentation)
	if err != nil {
		return nil, fromWire(err)
	}
	unframe := wire.UnframeBody
	if v == 2 {
		unframe = wire.UnframeBodyTail
	}
	content, err := unframe(body)
	if err != nil {
		return nil, fromWire(err)
	}
	return decodeContent(content, v)
}

// DecodeString is Decode for a payload held as a string, the form a QR
// scanner library returns. A string over MaxPayloadSize is refused before
// it is copied, so an oversized input costs nothing.
func DecodeString(text string) (*Envelope, error) {
	if err := wire.CheckSize(len(text)); err != nil {
		return nil, fromWire(err)
	}
	return Decode([]byte(text))
}

func decodeBody(body []byte) (*Envelope, error) {
	content, err := wire.UnframeBody(body)
	if err != nil {
		return nil, fromWire(err)
	}
	return decodeContent(content, wire.Version)
}

// decodeContent decodes the CBOR content of an envelope of version v (1 or
// 2, docs/qr-format.md §4).
func decodeContent(content []byte, v int) (*Envelope, error) {
	tail := &tailReader{}
	if v == 2 {
		// A CBOR item, then the tail (docs/qr-format.md §4.4).
		r := strictcbor.NewReader(content)
		item, err := r.Raw()
		if err != nil {
			return nil, wrapErr("decode", ErrMalformed, err, "envelope")
		}
		content, tail.b = item, content[r.Offset():]
	}
	env, err := decodeItems(content, v, tail)
	if err == nil && len(tail.b) != 0 {
		return nil, errorf("decode", ErrMalformed, "%d tail bytes left over", len(tail.b))
	}
	return env, err
}

func decodeItems(content []byte, v int, tail *tailReader) (*Envelope, error) {
	var items []cbor.RawMessage
	if err := strictcbor.Unmarshal(content, &items); err != nil {
		return nil, wrapErr("decode", ErrMalformed, err, "envelope")
	}
	if len(items) == 0 || len(items) > MaxPresentations {
		return nil, errorf("decode", ErrMalformed, "%d presentations, want 1 to %d", len(items), MaxPresentations)
	}
	env := &Envelope{Presentations: make([]Presentation, 0, len(items))}
	for i, it := range items {
		var fields []cbor.RawMessage
		if err := strictcbor.Unmarshal(it, &fields); err != nil || len(fields) == 0 {
			return nil, errorf("decode", ErrMalformed, "presentation %d is not a non-empty array", i)
		}
		var kind uint64
		if err := strictcbor.Unmarshal(fields[0], &kind); err != nil {
			return nil, errorf("decode", ErrMalformed, "presentation %d kind", i)
		}
		switch {
		case kind == wireSDJWT && len(fields) == 4:
			var p string
			var err error
			if v == 2 {
				p, err = decodeSDJWTV2(fields[1:], tail)
			} else {
				p, err = decodeSDJWT(fields[1:])
			}
			if err != nil {
				return nil, wrapErr("decode", ErrMalformed, err, "presentation %d", i)
			}
			env.Presentations = append(env.Presentations, Presentation{SDJWT: p})
		case kind == wireMdoc && len(fields) == 3:
			var m MdocPresentation
			var wb wireBinding
			if v == 2 {
				dr, err := decodeMdocPartV2(fields[1], tail)
				if err != nil {
					return nil, wrapErr("decode", ErrMalformed, err, "presentation %d DeviceResponse", i)
				}
				m.DeviceResponse = dr
			} else if err := strictcbor.Unmarshal(fields[1], &m.DeviceResponse); err != nil {
				return nil, errorf("decode", ErrMalformed, "presentation %d: DeviceResponse must be a bstr", i)
			}
			if len(m.DeviceResponse) == 0 {
				return nil, errorf("decode", ErrMalformed, "presentation %d: empty DeviceResponse", i)
			}
			if err := strictcbor.Unmarshal(fields[2], &wb); err != nil {
				return nil, wrapErr("decode", ErrMalformed, err, "presentation %d binding", i)
			}
			if wb.IssuedAt > 1<<40 {
				return nil, errorf("decode", ErrMalformed, "presentation %d binding time out of range", i)
			}
			m.Binding = Binding{Audience: wb.Audience, IssuedAt: time.Unix(int64(wb.IssuedAt), 0).UTC(), Nonce: wb.Nonce}
			if err := checkBinding(m.Binding); err != nil {
				return nil, errorf("decode", ErrMalformed, "presentation %d: %s", i, err.(*Error).Detail)
			}
			env.Presentations = append(env.Presentations, Presentation{Mdoc: &m})
		default:
			return nil, errorf("decode", ErrMalformed, "presentation %d: unknown kind %d with %d fields", i, kind, len(fields))
		}
	}
	return env, nil
}

type errString string

func (e errString) Error() string { return string(e) }

func decodeSDJWT(f []cbor.RawMessage) (string, error) {
	var p sdjwtParts
	var jwt [][]byte
	if err := strictcbor.Unmarshal(f[0], &jwt); err != nil || len(jwt) != 3 {
		return "", errString("issuer JWT must be 3 byte strings")
	}
	p.JWT = [3][]byte(jwt)
	if err := strictcbor.Unmarshal(f[1], &p.Disclosures); err != nil {
		return "", errString("disclosures must be an array of byte strings")
	}
	if len(p.Disclosures) > maxDisclosures {
		return "", errString("too many disclosures")
	}
	for _, d := range p.Disclosures {
		if len(d) == 0 {
			return "", errString("empty disclosure")
		}
	}
	var kb [][]byte
	if err := strictcbor.Unmarshal(f[2], &kb); err != nil || (kb != nil && len(kb) != 3) {
		return "", errString("KB-JWT must be null or 3 byte strings")
	}
	if kb != nil {
		k := [3][]byte(kb)
		p.KB = &k
	}
	for _, part := range append(p.JWT[:], kbParts(p.KB)...) {
		if len(part) == 0 {
			return "", errString("empty JWT part")
		}
	}
	return p.String(), nil
}

func kbParts(kb *[3][]byte) [][]byte {
	if kb == nil {
		return nil
	}
	return kb[:]
}
