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
//	content   = Envelope tail      ; a CBOR item, then raw bytes
//	SDJWTPres = [0, JWT, [* Part], JWT / null]
//	JWT       = [header: Part, payload: Part, signature: uint]
//	MdocPres  = [1, deviceResponse: Part, Binding]
//	Part      = bstr / [bstr, holes: bstr]      ; holes: varints, holes.go
//
// The random bytes (signatures and the holeBase64 and mholeRaw holes) are
// in the tail, in the order the decoder restores: per presentation, the
// disclosures, the issuer JWT header, payload and signature, the KB-JWT
// header, payload and signature; the holes of a DeviceResponse in order.

// partItem is a part on the wire: the bytes alone when it has no holes.
func partItem(carried, holes []byte) any {
	if len(holes) == 0 {
		return carried
	}
	return []any{carried, holes}
}

// encodeContentV2 is encodeContent for envelope version 2: the CBOR item
// and the tail.
func encodeContentV2(env Envelope) ([]byte, []byte, error) {
	if len(env.Presentations) == 0 || len(env.Presentations) > MaxPresentations {
		return nil, nil, errorf("encode", ErrOptions, "%d presentations, want 1 to %d", len(env.Presentations), MaxPresentations)
	}
	items := make([]any, 0, len(env.Presentations))
	var tail []byte
	jsonPart := func(part []byte, digests []string, sdHash string) any {
		c, hv, t := cutJSON(part, findJSONHoles(part, digests, sdHash))
		tail = append(tail, t...)
		return partItem(c, hv)
	}
	var tooLong bool
	jwt := func(j *[3][]byte, digests []string, sdHash string) []any {
		tooLong = tooLong || len(j[2]) > maxSignatureSize
		hdr := jsonPart(j[0], nil, "")
		pl := jsonPart(j[1], digests, sdHash)
		tail = append(tail, j[2]...)
		return []any{hdr, pl, uint64(len(j[2]))}
	}
	for i, p := range env.Presentations {
		switch {
		case p.SDJWT != "" && p.Mdoc == nil:
			parts, err := splitSDJWT(p.SDJWT)
			if err != nil {
				return nil, nil, err
			}
			digests := make([]string, len(parts.Disclosures))
			ds := make([]any, len(parts.Disclosures))
			for k, d := range parts.Disclosures {
				digests[k] = disclosureDigest(d)
				ds[k] = jsonPart(d, nil, "")
			}
			issuer := jwt(&parts.JWT, digests, "")
			var kb any
			if parts.KB != nil {
				kb = jwt(parts.KB, nil, sdHashOf(p.SDJWT))
			}
			items = append(items, []any{wireSDJWT, issuer, ds, kb})
		case p.SDJWT == "" && p.Mdoc != nil:
			b := p.Mdoc.Binding
			if err := checkBinding(b); err != nil {
				return nil, nil, err
			}
			dr, err := stripChain(p.Mdoc.DeviceResponse)
			if err != nil {
				return nil, nil, err
			}
			c, hv, t := cutMdoc(dr, findMdocHoles(dr))
			tail = append(tail, t...)
			items = append(items, []any{wireMdoc, partItem(c, hv), wireBinding{Audience: b.Audience, IssuedAt: uint64(b.IssuedAt.Unix()), Nonce: b.Nonce}})
		default:
			return nil, nil, errorf("encode", ErrOptions, "presentation %d: set exactly one of SDJWT and Mdoc", i)
		}
	}
	if tooLong {
		return nil, nil, errorf("encode", ErrUnsupported, "a JWT signature over %d bytes", maxSignatureSize)
	}
	content, err := strictcbor.Marshal(items)
	return content, tail, err
}

// maxSignatureSize caps a JWT signature in the tail: 512 bytes, an RS512
// signature with a 4096-bit key (RFC 7518 §3.3); ES512 needs 132 (§3.4).
const maxSignatureSize = 512

// tailReader hands out the bytes of the tail in order.
type tailReader struct{ b []byte }

// take returns the next n bytes, 1 to limit.
func (t *tailReader) take(n uint64, limit int) ([]byte, bool) {
	if n == 0 || n > uint64(limit) || n > uint64(len(t.b)) {
		return nil, false
	}
	out := t.b[:n:n]
	t.b = t.b[n:]
	return out, true
}

// disclosureDigest is the base64url SHA-256 digest of a disclosure given as
// its decoded JSON (RFC 9901 §4.2.3: over the base64url text).
func disclosureDigest(d []byte) string {
	var buf [1024]byte
	h := sha256.Sum256(b64.AppendEncode(buf[:0], d))
	return b64.EncodeToString(h[:])
}

// sdHashOf is the base64url SHA-256 digest of the compact SD-JWT s up to
// and including its last '~' (RFC 9901 §4.3.1).
func sdHashOf(s string) string {
	h := sha256.Sum256([]byte(s[:strings.LastIndexByte(s, '~')+1]))
	return b64.EncodeToString(h[:])
}

// decodePartItem splits a Part into its carried bytes and holes, aliasing
// raw (which decodeItems has already checked as strict CBOR).
func decodePartItem(raw cbor.RawMessage) ([]byte, []byte, error) {
	const bad = errString("part must be a byte string or [bytes, holes], holes not empty")
	r := strictcbor.NewReader(raw)
	if len(raw) > 0 && raw[0]>>5 == strictcbor.MajorBytes {
		b, err := r.Bytes()
		if err != nil || !r.Done() {
			return nil, nil, bad
		}
		return b, nil, nil
	}
	n, err := r.Container(strictcbor.MajorArray, "part")
	if err != nil || n != 2 {
		return nil, nil, bad
	}
	b, err1 := r.Bytes()
	h, err2 := r.Bytes()
	if err1 != nil || err2 != nil || len(h) == 0 || !r.Done() {
		return nil, nil, bad
	}
	return b, h, nil
}

// rawItems reads an array of n items (any n when n < 0) as raw items
// aliasing raw.
func rawItems(raw []byte, n int) ([][]byte, bool) {
	r := strictcbor.NewReader(raw)
	m, err := r.Container(strictcbor.MajorArray, "array")
	if err != nil || (n >= 0 && m != n) {
		return nil, false
	}
	out := make([][]byte, m)
	for i := range out {
		if out[i], err = r.Raw(); err != nil {
			return nil, false
		}
	}
	return out, r.Done()
}

// restoreJSON fills the holes of a JSON part. digest gives the digest of
// disclosure i (nil: no digest holes allowed), sdHash the KB-JWT sd_hash
// (nil: no sd_hash hole allowed).
func restoreJSON(carried, holes []byte, tail *tailReader, digest func(uint64) (string, bool), sdHash func() string) ([]byte, error) {
	out := make([]byte, 0, len(carried)+len(holes)*b64Len43/2)
	b64Holes := make([][]byte, 0, len(holes)/2) // by hole index; nil for other kinds
	v := varints{holes}
	pos := 0
	for len(v.b) > 0 {
		if len(b64Holes) >= maxHoles {
			return nil, errString("too many holes")
		}
		gap, ok1 := v.next()
		code, ok2 := v.next()
		if !ok1 || !ok2 {
			return nil, errString("holes must be minimal varints below 2^21")
		}
		if gap > uint64(len(carried)-pos) {
			return nil, errString("hole beyond the part")
		}
		out = append(out, carried[pos:pos+int(gap)]...)
		pos += int(gap)
		var raw []byte
		switch {
		case code > holeBase64:
			r, ok := tail.take(code-holeBase64, maxHoleBytes)
			if !ok {
				return nil, errString("base64 hole must take 1 to 64 bytes of the tail")
			}
			raw, out = r, b64.AppendEncode(out, r)
		case code == holeSDHash && sdHash != nil:
			out = append(out, sdHash()...)
		case code == holeDisclosureDigest && digest != nil:
			arg, ok := v.next()
			d, ok2 := digest(arg)
			if !ok || !ok2 {
				return nil, errString("digest hole names no disclosure")
			}
			out = append(out, d...)
		case code == holeYEven || code == holeYOdd:
			arg, ok := v.next()
			if !ok || arg >= uint64(len(b64Holes)) || b64Holes[arg] == nil {
				return nil, errString("y hole names no earlier base64 hole")
			}
			y, ok := p256Y(b64Holes[arg], code == holeYOdd)
			if !ok {
				return nil, errString("y hole: x is not a P-256 coordinate")
			}
			out = b64.AppendEncode(out, y)
		default:
			return nil, errString("hole code not allowed in this part")
		}
		b64Holes = append(b64Holes, raw)
	}
	return append(out, carried[pos:]...), nil
}

// restoreMdoc fills the holes of a DeviceResponse: first every hole is
// placed and each raw hole filled from the tail, then each derived hole is
// filled in order from bytes no derived hole overlaps.
func restoreMdoc(carried, holes []byte, tail *tailReader) ([]byte, error) {
	var derived []mdocHole
	out := make([]byte, 0, len(carried)+len(holes)*16)
	v := varints{holes}
	pos, n := 0, 0
	for ; len(v.b) > 0; n++ {
		if n >= maxHoles {
			return nil, errString("too many holes")
		}
		gap, ok1 := v.next()
		code, ok2 := v.next()
		if !ok1 || !ok2 {
			return nil, errString("holes must be minimal varints below 2^21")
		}
		if gap > uint64(len(carried)-pos) {
			return nil, errString("hole beyond the DeviceResponse")
		}
		out = append(out, carried[pos:pos+int(gap)]...)
		pos += int(gap)
		if code > mholeRaw {
			raw, ok := tail.take(code-mholeRaw, maxHoleBytes)
			if !ok {
				return nil, errString("raw hole must take 1 to 64 bytes of the tail")
			}
			out = append(out, raw...)
			continue
		}
		arg, ok := v.next()
		if !ok {
			return nil, errString("mdoc hole code or argument out of range")
		}
		derived = append(derived, mdocHole{at: len(out), n: 32, kind: int(code), arg: int(arg)})
		out = append(out, make([]byte, 32)...)
	}
	out = append(out, carried[pos:]...)
	for _, h := range derived {
		n := 32
		if h.kind == mholeDigest {
			n = tag24Len(out, h.arg)
		} else if h.arg+n > len(out) {
			n = 0
		}
		if n == 0 {
			return nil, errString("hole source is not in the DeviceResponse")
		}
		if overlapsAny(h.arg, n, derived) {
			return nil, errString("hole source overlaps a derived hole")
		}
		src := out[h.arg : h.arg+n]
		if h.kind == mholeDigest {
			d := sha256.Sum256(src)
			copy(out[h.at:], d[:])
			continue
		}
		y, ok := p256Y(src, h.kind == mholeYOdd)
		if !ok {
			return nil, errString("y hole: source is not a P-256 x coordinate")
		}
		copy(out[h.at:], y)
	}
	return out, nil
}

// decodeSDJWTV2 decodes [JWT, [* Part], JWT / null] of version 2.
func decodeSDJWTV2(f []cbor.RawMessage, tail *tailReader) (string, error) {
	var p sdjwtParts
	rawDs, ok := rawItems(f[1], -1)
	if !ok {
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
		d, err := restoreJSON(c, h, tail, nil, nil)
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
		items, ok := rawItems(raw, 3)
		if !ok {
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
			if out[k], err = restoreJSON(c, h, tail, dg, sh); err != nil {
				return nil, err
			}
		}
		r := strictcbor.NewReader(items[2])
		n, err := r.Uint()
		if err != nil || !r.Done() {
			return nil, errString("JWT signature must be its length in the tail")
		}
		sig, ok := tail.take(n, maxSignatureSize)
		if !ok {
			return nil, errString("JWT signature must take 1 to 512 bytes of the tail")
		}
		out[2] = sig
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
func decodeMdocPartV2(raw cbor.RawMessage, tail *tailReader) ([]byte, error) {
	c, h, err := decodePartItem(raw)
	if err != nil {
		return nil, err
	}
	if h == nil {
		return c, nil
	}
	return restoreMdoc(c, h, tail)
}
