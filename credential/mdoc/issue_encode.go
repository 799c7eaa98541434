package mdoc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"io"
	"time"
	"unicode/utf8"

	"github.com/ikdkit/ikdkit/internal/ecdsasig"
	"github.com/veraison/go-cose"
)

// Hand-written encoders for the structures the issuer writes: the
// IssuerSignedItem, the MobileSecurityObject, their tag-24 wrappers and
// the issuerAuth COSE_Sign1. They write the same bytes as encMode (RFC
// 8949 §4.2.1 core deterministic encoding: shortest heads, definite
// lengths, map keys sorted bytewise by their encodings), which the tests
// check against encMode on random inputs, without reflection and without
// copying an element value more than once.

// maxTag24Head is the longest tag-24 head: 0xd8 0x18 and a 9-byte bstr head.
const maxTag24Head = 2 + 9

// tag24Head returns the head of #6.24(bstr) for content of n bytes
// (RFC 8949 §3.4.5.1).
func tag24Head(n int) []byte {
	var b [maxTag24Head]byte
	return appendHead(append(b[:0], 0xd8, tagEncodedCBOR), majorByteString, uint64(n))
}

func appendText(b []byte, s string) []byte {
	return append(appendHead(b, 3, uint64(len(s))), s...)
}

func appendBytes(b, s []byte) []byte {
	return append(appendHead(b, majorByteString, uint64(len(s))), s...)
}

// itemSizeHint estimates the encoded size of an item, tag-24 head
// included, so one buffer can hold them all.
func itemSizeHint(name string, v any) int {
	n := maxTag24Head + 1 + 7 + 2 + randomSize + 9 + 5 + 13 + 18 + 9 + len(name)
	switch t := v.(type) {
	case []byte:
		return n + len(t)
	case string:
		return n + len(t)
	}
	return n + 16
}

// appendItem appends the IssuerSignedItem (ISO 18013-5 §8.3.2.1.2.2)
// {digestID, random, elementIdentifier, elementValue}, members in core
// deterministic order.
func appendItem(b []byte, id uint64, salt []byte, name string, value any) ([]byte, error) {
	b = append(b, 0xa4)
	b = append(b, "\x66random"...)
	b = appendBytes(b, salt)
	b = append(b, "\x68digestID"...)
	b = appendHead(b, 0, id)
	b = append(b, "\x6celementValue"...)
	var err error
	if b, err = appendValue(b, value); err != nil {
		return nil, errorf(ErrInvalidArgument, "element %q: %v", name, err)
	}
	b = append(b, "\x71elementIdentifier"...)
	if !utf8.ValidString(name) {
		enc, err := marshal(name)
		if err != nil {
			return nil, err
		}
		return append(b, enc...), nil
	}
	return appendText(b, name), nil
}

// appendValue appends an element value: the common types directly, any
// other through encMode.
func appendValue(b []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case string:
		if utf8.ValidString(t) {
			return appendText(b, t), nil
		}
	case []byte:
		return appendBytes(b, t), nil
	case bool:
		if t {
			return append(b, 0xf5), nil
		}
		return append(b, 0xf4), nil
	case int:
		return appendInt(b, int64(t)), nil
	case int64:
		return appendInt(b, t), nil
	case uint64:
		return appendHead(b, 0, t), nil
	case FullDate:
		if _, err := ParseFullDate(t.String()); err != nil {
			return nil, err
		}
		var d [10]byte
		b = append(b, 0xd9, tagFullDate>>8, tagFullDate&0xff)
		return append(appendHead(b, 3, 10), t.appendDate(d[:0])...), nil
	}
	enc, err := marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, enc...), nil
}

func appendInt(b []byte, v int64) []byte {
	if v < 0 {
		return appendHead(b, 1, uint64(-1-v))
	}
	return appendHead(b, 0, uint64(v))
}

// appendDate appends "YYYY-MM-DD" for a date ParseFullDate accepted.
func (d FullDate) appendDate(b []byte) []byte {
	two := func(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }
	b = two(two(b, d.Year/100), d.Year%100)
	b = two(append(b, '-'), int(d.Month))
	return two(append(b, '-'), d.Day)
}

func appendDigest(b []byte, h crypto.Hash, data []byte) []byte {
	switch h {
	case crypto.SHA256:
		d := sha256.Sum256(data)
		return append(b, d[:]...)
	case crypto.SHA384:
		d := sha512.Sum384(data)
		return append(b, d[:]...)
	}
	d := sha512.Sum512(data)
	return append(b, d[:]...)
}

// msoFields is what the MobileSecurityObject (ISO 18013-5 §9.1.2.4)
// holds. ids and digests list the items of nss[0], then nss[1], ...,
// nsItems[i] of them for nss[i]; nss is sorted.
type msoFields struct {
	digestAlgorithm, docType      string
	deviceKey                     []byte // COSE_Key
	signed, validFrom, validUntil time.Time
	expectedUpdate                time.Time // zero: absent
	status                        *StatusReference
	nss                           []string
	nsItems                       []int
	ids                           []uint64
	digests                       []byte
	hsize                         int
}

// append appends the MSO map. Its keys in core deterministic order are
// status, docType, version, validityInfo, valueDigests, deviceKeyInfo,
// digestAlgorithm (shorter encodings first, then bytewise).
func (m *msoFields) append(b []byte) ([]byte, error) {
	if m.status != nil {
		b = append(b, 0xa7)
		// draft-ietf-oauth-status-list §6.3: {"status_list": {"idx", "uri"}}.
		b = append(b, "\x66status\xa1\x6bstatus_list\xa2\x63idx"...)
		b = appendHead(b, 0, uint64(m.status.Index))
		b = append(b, "\x63uri"...)
		b = appendText(b, m.status.URI)
	} else {
		b = append(b, 0xa6)
	}
	b = append(b, "\x67docType"...)
	b = appendText(b, m.docType)
	b = append(b, "\x67version\x631.0"...)

	b = append(b, "\x6cvalidityInfo"...)
	if m.expectedUpdate.IsZero() {
		b = append(b, 0xa3)
	} else {
		b = append(b, 0xa4)
	}
	var err error
	b = append(b, "\x66signed"...)
	if b, err = appendTDate(b, m.signed); err != nil {
		return nil, err
	}
	b = append(b, "\x69validFrom"...)
	if b, err = appendTDate(b, m.validFrom); err != nil {
		return nil, err
	}
	b = append(b, "\x6avalidUntil"...)
	if b, err = appendTDate(b, m.validUntil); err != nil {
		return nil, err
	}
	if !m.expectedUpdate.IsZero() {
		b = append(b, "\x6eexpectedUpdate"...)
		if b, err = appendTDate(b, m.expectedUpdate); err != nil {
			return nil, err
		}
	}

	b = append(b, "\x6cvalueDigests"...)
	b = appendHead(b, 5, uint64(len(m.nss)))
	// Namespace keys sorted by their encodings: by length first (the head
	// grows with it), then bytewise. ISO 18013-5 namespaces are far below
	// 24 bytes, where that is exactly the text order by (length, bytes).
	order := make([]int, len(m.nss))
	start := make([]int, len(m.nss))
	for i, k := 0, 0; i < len(m.nss); i++ {
		order[i], start[i] = i, k
		k += m.nsItems[i]
	}
	sortByEncoding(order, m.nss)
	var pairs [][2]uint64 // (id, index)
	for _, n := range order {
		b = appendText(b, m.nss[n])
		b = appendHead(b, 5, uint64(m.nsItems[n]))
		pairs = pairs[:0]
		for i := range m.nsItems[n] {
			pairs = append(pairs, [2]uint64{m.ids[start[n]+i], uint64(start[n] + i)})
		}
		// Unsigned keys encode in numeric order.
		sortPairs(pairs)
		for _, p := range pairs {
			b = appendHead(b, 0, p[0])
			b = appendBytes(b, m.digests[int(p[1])*m.hsize:int(p[1]+1)*m.hsize])
		}
	}

	b = append(b, "\x6ddeviceKeyInfo\xa1\x69deviceKey"...)
	b = append(b, m.deviceKey...)
	b = append(b, "\x6fdigestAlgorithm"...)
	return appendText(b, m.digestAlgorithm), nil
}

// appendTDate appends #6.0(tstr) in RFC 3339 form for a UTC time with whole
// seconds, as encMode writes it (RFC 8949 §3.4.1).
func appendTDate(b []byte, t time.Time) ([]byte, error) {
	if t.Year() < 0 || t.Year() > 9999 {
		enc, err := marshal(t)
		if err != nil {
			return nil, err
		}
		return append(b, enc...), nil
	}
	var buf [32]byte
	s := t.AppendFormat(buf[:0], time.RFC3339)
	return append(appendHead(append(b, 0xc0), 3, uint64(len(s))), s...), nil
}

// sortByEncoding sorts the indices in order by the deterministic encoding
// of keys[i] as a text string (insertion sort: there are a few namespaces).
func sortByEncoding(order []int, keys []string) {
	less := func(a, b string) bool {
		if len(a) != len(b) {
			// The shorter string has the smaller head, up to heads of equal
			// form; compare the encodings to be exact.
			ea := appendText(nil, a)
			eb := appendText(nil, b)
			return string(ea) < string(eb)
		}
		return a < b
	}
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && less(keys[order[j]], keys[order[j-1]]); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
}

// sortPairs sorts (id, index) pairs by id.
func sortPairs(p [][2]uint64) {
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j][0] < p[j-1][0]; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}

// signIssuerAuth signs payload (the tag-24 MSO) as the untagged COSE_Sign1
// [protected {1: alg}, unprotected {33: x5chain}, payload, signature]
// (ISO 18013-5 §9.1.2.4, RFC 9052 §4.2, RFC 9360 §2). For ECDSA the
// Sig_structure is hashed as it is streamed, never assembled; other keys go
// through the generic sign1.
func signIssuerAuth(rnd io.Reader, signer crypto.Signer, chain []*x509.Certificate, payload []byte) ([]byte, error) {
	var x5 any
	if len(chain) == 1 {
		x5 = chain[0].Raw
	} else {
		ders := make([][]byte, len(chain))
		for i, c := range chain {
			ders[i] = c.Raw
		}
		x5 = ders
	}
	alg, err := algorithmFor(signer.Public())
	if err != nil {
		return nil, err
	}
	var hf crypto.Hash
	switch alg {
	case cose.AlgorithmES256:
		hf = crypto.SHA256
	case cose.AlgorithmES384:
		hf = crypto.SHA384
	case cose.AlgorithmES512:
		hf = crypto.SHA512
	default:
		return sign1(rnd, signer, map[int64]any{headerX5Chain: x5}, payload, false)
	}
	var pbuf [4]byte
	protected := appendInt(append(pbuf[:0], 0xa1, headerAlg), int64(alg))
	hw := hf.New()
	writeToBeSigned(hw, contextSignature1, protected, payload)
	var sum [sha512.Size]byte
	der, err := signer.Sign(rnd, hw.Sum(sum[:0]), hf)
	if err != nil {
		return nil, err
	}
	// RFC 9053 §2.1: the signature is r||s, each the size of the curve's order.
	size := (signer.Public().(*ecdsa.PublicKey).Curve.Params().BitSize + 7) / 8
	var rs [2 * 66]byte
	if !ecdsasig.ToRS(der, rs[:2*size]) {
		return nil, errorf(ErrInvalidSignature, "signer returned a malformed ECDSA signature")
	}

	n := 1 + 1 + len(protected) + 3 + 9*(1+len(chain)) + 9 + len(payload) + 2 + 2*size
	for _, c := range chain {
		n += len(c.Raw)
	}
	out := make([]byte, 0, n)
	out = append(out, 0x84)
	out = appendBytes(out, protected)
	out = append(out, 0xa1, 0x18, headerX5Chain)
	if len(chain) == 1 {
		out = appendBytes(out, chain[0].Raw)
	} else {
		out = appendHead(out, 4, uint64(len(chain)))
		for _, c := range chain {
			out = appendBytes(out, c.Raw)
		}
	}
	out = appendBytes(out, payload)
	return appendBytes(out, rs[:2*size]), nil
}
