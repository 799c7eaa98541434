package qr

import (
	"encoding/base64"
	"strings"
)

// sdjwtParts is an SD-JWT(+KB) with every base64url part decoded to raw
// bytes (docs/qr-format.md §4.1). Reassembling re-encodes each part with
// unpadded base64url; splitting only accepts input for which that gives
// back the original text exactly.
type sdjwtParts struct {
	JWT         [3][]byte // header JSON, payload JSON, signature
	Disclosures [][]byte  // disclosure JSON, in order
	KB          *[3][]byte
}

var b64 = base64.RawURLEncoding.Strict()

func decodePart(s string) ([]byte, bool) {
	b, err := b64.DecodeString(s)
	if err != nil || b64.EncodeToString(b) != s {
		// The decoder skips CR and LF; re-encoding catches that and any
		// other non-canonical form, so reassembly is exact.
		return nil, false
	}
	return b, true
}

func splitJWT(s string) ([3][]byte, bool) {
	var out [3][]byte
	h, rest, ok1 := strings.Cut(s, ".")
	p, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(sig, ".") || h == "" || p == "" || sig == "" {
		return out, false
	}
	for i, part := range []string{h, p, sig} {
		b, ok := decodePart(part)
		if !ok {
			return out, false
		}
		out[i] = b
	}
	return out, true
}

// splitSDJWT splits <JWT>~<D1>~...~<Dn>~[<KB-JWT>] (RFC 9901 §4).
func splitSDJWT(s string) (*sdjwtParts, error) {
	if !strings.Contains(s, "~") {
		return nil, errorf("encode", ErrUnsupported, "not an SD-JWT: no '~'")
	}
	if strings.Count(s, "~") > maxDisclosures+1 {
		return nil, errorf("encode", ErrTooLarge, "more than %d disclosures", maxDisclosures)
	}
	fields := strings.Split(s, "~")
	jwt, ok := splitJWT(fields[0])
	if !ok {
		return nil, errorf("encode", ErrUnsupported, "issuer JWT is not three canonical base64url parts")
	}
	out := &sdjwtParts{JWT: jwt}
	for i, d := range fields[1 : len(fields)-1] {
		b, ok := decodePart(d)
		if !ok || len(b) == 0 {
			return nil, errorf("encode", ErrUnsupported, "disclosure %d is not canonical base64url", i)
		}
		out.Disclosures = append(out.Disclosures, b)
	}
	if last := fields[len(fields)-1]; last != "" {
		kb, ok := splitJWT(last)
		if !ok {
			return nil, errorf("encode", ErrUnsupported, "KB-JWT is not three canonical base64url parts")
		}
		out.KB = &kb
	}
	return out, nil
}

func (p *sdjwtParts) String() string {
	// One allocation: the exact length is known.
	n := 0
	for _, part := range p.JWT {
		n += b64.EncodedLen(len(part)) + 1
	}
	for _, d := range p.Disclosures {
		n += b64.EncodedLen(len(d)) + 1
	}
	if p.KB != nil {
		for _, part := range p.KB {
			n += b64.EncodedLen(len(part)) + 1
		}
		n--
	}
	out := make([]byte, 0, n)
	appendJWT := func(j *[3][]byte) {
		for i, part := range j {
			if i > 0 {
				out = append(out, '.')
			}
			out = b64.AppendEncode(out, part)
		}
	}
	appendJWT(&p.JWT)
	out = append(out, '~')
	for _, d := range p.Disclosures {
		out = b64.AppendEncode(out, d)
		out = append(out, '~')
	}
	if p.KB != nil {
		appendJWT(p.KB)
	}
	return string(out)
}
