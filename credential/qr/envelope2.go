package qr

import (
	"crypto/sha256"
	"strings"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// Envelope version 2 (docs/qr-format.md §4.3) is version 1 with holes: each
// part of a presentation is carried without the bytes the decoder derives
// (holes.go).
//
//	SDJWTPres = [0, JWT, [* Part], JWT / null]
//	JWT       = [header: Part, payload: Part, signature: bstr]
//	MdocPres  = [1, deviceResponse: Part, Binding]
//	Part      = bstr / [bstr, [+ hole items]]

// partItem is a part on the wire: the bytes alone when it has no holes.
func partItem(carried []byte, flat any, n int) any {
	if n == 0 {
		return carried
	}
	return []any{carried, flat}
}

// encodeContentV2 is encodeContent for envelope version 2.
func encodeContentV2(env Envelope) ([]byte, error) {
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
			digests := make([]string, len(parts.Disclosures))
			ds := make([]any, len(parts.Disclosures))
			for k, d := range parts.Disclosures {
				digests[k] = disclosureDigest(d)
				h := findJSONHoles(d, nil, "")
				c, flat := cutJSON(d, h)
				ds[k] = partItem(c, flat, len(h))
			}
			jwt := func(j *[3][]byte, digests []string, sdHash string) []any {
				hh := findJSONHoles(j[0], nil, "")
				ch, fh := cutJSON(j[0], hh)
				hp := findJSONHoles(j[1], digests, sdHash)
				cp, fp := cutJSON(j[1], hp)
				return []any{partItem(ch, fh, len(hh)), partItem(cp, fp, len(hp)), j[2]}
			}
			var kb any
			if parts.KB != nil {
				kb = jwt(parts.KB, nil, sdHashOf(p.SDJWT))
			}
			items = append(items, []any{wireSDJWT, jwt(&parts.JWT, digests, ""), ds, kb})
		case p.SDJWT == "" && p.Mdoc != nil:
			b := p.Mdoc.Binding
			if err := checkBinding(b); err != nil {
				return nil, err
			}
			dr, err := stripChain(p.Mdoc.DeviceResponse)
			if err != nil {
				return nil, err
			}
			h := findMdocHoles(dr)
			c, flat := cutMdoc(dr, h)
			items = append(items, []any{wireMdoc, partItem(c, flat, len(h)), wireBinding{Audience: b.Audience, IssuedAt: uint64(b.IssuedAt.Unix()), Nonce: b.Nonce}})
		default:
			return nil, errorf("encode", ErrOptions, "presentation %d: set exactly one of SDJWT and Mdoc", i)
		}
	}
	return strictcbor.Marshal(items)
}

// disclosureDigest is the base64url SHA-256 digest of a disclosure given as
// its decoded JSON (RFC 9901 §4.2.3: over the base64url text).
func disclosureDigest(d []byte) string {
	h := sha256.Sum256(b64.AppendEncode(nil, d))
	return b64.EncodeToString(h[:])
}

// sdHashOf is the base64url SHA-256 digest of the compact SD-JWT s up to
// and including its last '~' (RFC 9901 §4.3.1).
func sdHashOf(s string) string {
	h := sha256.Sum256([]byte(s[:strings.LastIndexByte(s, '~')+1]))
	return b64.EncodeToString(h[:])
}

// decodePartItem splits a Part into its carried bytes and hole items.
func decodePartItem(raw cbor.RawMessage) ([]byte, []cbor.RawMessage, error) {
	var b []byte
	if err := strictcbor.Unmarshal(raw, &b); err == nil {
		return b, nil, nil
	}
	var pair []cbor.RawMessage
	if err := strictcbor.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return nil, nil, errString("part must be a byte string or [bytes, holes]")
	}
	if err := strictcbor.Unmarshal(pair[0], &b); err != nil {
		return nil, nil, errString("part bytes must be a byte string")
	}
	var holes []cbor.RawMessage
	if err := strictcbor.Unmarshal(pair[1], &holes); err != nil || len(holes) == 0 {
		return nil, nil, errString("part holes must be a non-empty array")
	}
	return b, holes, nil
}

// restoreJSON fills the holes of a JSON part. digest gives the digest of
// disclosure i (nil: no digest holes allowed), sdHash the KB-JWT sd_hash
// (nil: no sd_hash hole allowed).
func restoreJSON(carried []byte, holes []cbor.RawMessage, digest func(uint64) (string, bool), sdHash func() string) ([]byte, error) {
	if len(holes)%3 != 0 || len(holes)/3 > maxHoles {
		return nil, errString("holes must be [gap, kind, arg] triples, at most 272")
	}
	out := make([]byte, 0, len(carried)+len(holes)/3*b64Len43)
	b64Holes := map[int][]byte{}
	pos := 0
	for i := 0; i < len(holes); i += 3 {
		var gap, kind uint64
		if strictcbor.Unmarshal(holes[i], &gap) != nil || strictcbor.Unmarshal(holes[i+1], &kind) != nil {
			return nil, errString("hole gap and kind must be unsigned integers")
		}
		if gap > uint64(len(carried)-pos) {
			return nil, errString("hole beyond the part")
		}
		out = append(out, carried[pos:pos+int(gap)]...)
		pos += int(gap)
		var text string
		switch kind {
		case holeBase64:
			var raw []byte
			if strictcbor.Unmarshal(holes[i+2], &raw) != nil || len(raw) == 0 || len(raw) > maxHoleBytes {
				return nil, errString("base64 hole must hold 1 to 64 bytes")
			}
			b64Holes[i/3] = raw
			text = b64.EncodeToString(raw)
		default:
			var arg uint64
			if strictcbor.Unmarshal(holes[i+2], &arg) != nil {
				return nil, errString("hole argument must be an unsigned integer")
			}
			switch {
			case kind == holeDisclosureDigest && digest != nil:
				d, ok := digest(arg)
				if !ok {
					return nil, errString("digest hole names no disclosure")
				}
				text = d
			case kind == holeYEven || kind == holeYOdd:
				x, ok := b64Holes[int(min(arg, maxHoles))]
				if !ok || arg >= uint64(i/3) {
					return nil, errString("y hole names no earlier base64 hole")
				}
				y, ok := p256Y(x, kind == holeYOdd)
				if !ok {
					return nil, errString("y hole: x is not a P-256 coordinate")
				}
				text = b64.EncodeToString(y)
			case kind == holeSDHash && sdHash != nil && arg == 0:
				text = sdHash()
			default:
				return nil, errString("hole kind not allowed in this part")
			}
		}
		out = append(out, text...)
	}
	return append(out, carried[pos:]...), nil
}

// restoreMdoc fills the holes of a DeviceResponse: first every hole is
// placed, then each is filled in order from bytes no hole overlaps.
func restoreMdoc(carried []byte, holes []cbor.RawMessage) ([]byte, error) {
	if len(holes)%4 != 0 || len(holes)/4 > maxHoles {
		return nil, errString("holes must be [gap, kind, from, length] quadruples, at most 272")
	}
	type hole struct{ at, kind, from, n int }
	hs := make([]hole, 0, len(holes)/4)
	out := make([]byte, 0, len(carried)+len(holes)/4*32)
	pos := 0
	for i := 0; i < len(holes); i += 4 {
		var v [4]uint64
		for j := range v {
			if strictcbor.Unmarshal(holes[i+j], &v[j]) != nil {
				return nil, errString("mdoc hole items must be unsigned integers")
			}
		}
		if v[0] > uint64(len(carried)-pos) {
			return nil, errString("hole beyond the DeviceResponse")
		}
		out = append(out, carried[pos:pos+int(v[0])]...)
		pos += int(v[0])
		if v[1] > mholeYOdd || v[2] > MaxPayloadSize*8 || v[3] > MaxPayloadSize*8 {
			return nil, errString("mdoc hole kind or range out of range")
		}
		hs = append(hs, hole{at: len(out), kind: int(v[1]), from: int(v[2]), n: int(v[3])})
		out = append(out, make([]byte, 32)...)
	}
	out = append(out, carried[pos:]...)
	for _, h := range hs {
		if h.from+h.n > len(out) || h.n == 0 {
			return nil, errString("hole source beyond the DeviceResponse")
		}
		for _, o := range hs {
			if h.from < o.at+32 && o.at < h.from+h.n {
				return nil, errString("hole source overlaps a hole")
			}
		}
		src := out[h.from : h.from+h.n]
		switch h.kind {
		case mholeDigest:
			d := sha256.Sum256(src)
			copy(out[h.at:], d[:])
		default:
			y, ok := p256Y(src, h.kind == mholeYOdd)
			if !ok {
				return nil, errString("y hole: source is not a P-256 x coordinate")
			}
			copy(out[h.at:], y)
		}
	}
	return out, nil
}

// decodeSDJWTV2 decodes [JWT, [* Part], JWT / null] of version 2.
func decodeSDJWTV2(f []cbor.RawMessage) (string, error) {
	var p sdjwtParts
	var rawDs []cbor.RawMessage
	if err := strictcbor.Unmarshal(f[1], &rawDs); err != nil {
		return "", errString("disclosures must be an array")
	}
	if len(rawDs) > maxDisclosures {
		return "", errString("too many disclosures")
	}
	digests := make([]string, len(rawDs))
	for i, r := range rawDs {
		c, h, err := decodePartItem(r)
		if err != nil {
			return "", err
		}
		d, err := restoreJSON(c, h, nil, nil)
		if err != nil {
			return "", err
		}
		if len(d) == 0 {
			return "", errString("empty disclosure")
		}
		p.Disclosures = append(p.Disclosures, d)
		digests[i] = disclosureDigest(d)
	}
	jwt := func(raw cbor.RawMessage, digest func(uint64) (string, bool), sdHash func() string) (*[3][]byte, error) {
		var items []cbor.RawMessage
		if err := strictcbor.Unmarshal(raw, &items); err != nil || len(items) != 3 {
			return nil, errString("JWT must be [header, payload, signature]")
		}
		var out [3][]byte
		for k := 0; k < 2; k++ {
			c, h, err := decodePartItem(items[k])
			if err != nil {
				return nil, err
			}
			dg, sh := digest, sdHash
			if k == 0 {
				dg, sh = nil, nil
			}
			if out[k], err = restoreJSON(c, h, dg, sh); err != nil {
				return nil, err
			}
		}
		if err := strictcbor.Unmarshal(items[2], &out[2]); err != nil {
			return nil, errString("JWT signature must be a byte string")
		}
		for _, part := range out {
			if len(part) == 0 {
				return nil, errString("empty JWT part")
			}
		}
		return &out, nil
	}
	j, err := jwt(f[0], func(i uint64) (string, bool) {
		if i >= uint64(len(digests)) {
			return "", false
		}
		return digests[i], true
	}, nil)
	if err != nil {
		return "", err
	}
	p.JWT = *j
	if string(f[2]) != "\xf6" {
		// The sd_hash covers the issuer JWT and the disclosures, known now.
		prefix := p.String()
		kb, err := jwt(f[2], nil, func() string { return sdHashOf(prefix) })
		if err != nil {
			return "", err
		}
		p.KB = kb
	}
	return p.String(), nil
}

// decodeMdocPartV2 restores the DeviceResponse Part of version 2.
func decodeMdocPartV2(raw cbor.RawMessage) ([]byte, error) {
	c, h, err := decodePartItem(raw)
	if err != nil {
		return nil, err
	}
	if h == nil {
		return c, nil
	}
	return restoreMdoc(c, h)
}
