package mdoc

import (
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"time"
	"unicode/utf8"

	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// Hand-written encoders for the structures the issuer writes: the
// IssuerSignedItem, the MobileSecurityObject and their tag-24 wrappers
// (the issuerAuth COSE_Sign1 is internal/cose's). They write the same bytes
// as the deterministic encoder strictcbor.Marshal (RFC 8949 §4.2.1 core
// deterministic encoding: shortest heads, definite lengths, map keys sorted
// bytewise by their encodings), which the tests check on random inputs,
// without reflection and without copying an element value more than once.

// itemSizeHint estimates the encoded size of an item, tag-24 head
// included, so one buffer can hold them all.
func itemSizeHint(name string, v any) int {
	n := strictcbor.MaxTag24Head + 1 + 7 + 2 + randomSize + 9 + 5 + 13 + 18 + 9 + len(name)
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
	b = strictcbor.AppendBytes(b, salt)
	b = append(b, "\x68digestID"...)
	b = strictcbor.AppendHead(b, 0, id)
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
	return strictcbor.AppendText(b, name), nil
}

// appendValue appends an element value: the common types directly, any
// other through strictcbor.Marshal.
func appendValue(b []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case string:
		if utf8.ValidString(t) {
			return strictcbor.AppendText(b, t), nil
		}
	case []byte:
		return strictcbor.AppendBytes(b, t), nil
	case bool:
		if t {
			return append(b, 0xf5), nil
		}
		return append(b, 0xf4), nil
	case int:
		return strictcbor.AppendInt(b, int64(t)), nil
	case int64:
		return strictcbor.AppendInt(b, t), nil
	case uint64:
		return strictcbor.AppendHead(b, 0, t), nil
	case FullDate:
		if _, err := ParseFullDate(t.String()); err != nil {
			return nil, err
		}
		var d [10]byte
		b = append(b, 0xd9, tagFullDate>>8, tagFullDate&0xff)
		return append(strictcbor.AppendHead(b, 3, 10), t.appendDate(d[:0])...), nil
	}
	enc, err := marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, enc...), nil
}

func appendInt(b []byte, v int64) []byte {
	if v < 0 {
		return strictcbor.AppendHead(b, 1, uint64(-1-v))
	}
	return strictcbor.AppendHead(b, 0, uint64(v))
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
		b = strictcbor.AppendHead(b, 0, uint64(m.status.Index))
		b = append(b, "\x63uri"...)
		b = strictcbor.AppendText(b, m.status.URI)
	} else {
		b = append(b, 0xa6)
	}
	b = append(b, "\x67docType"...)
	b = strictcbor.AppendText(b, m.docType)
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
	b = strictcbor.AppendHead(b, 5, uint64(len(m.nss)))
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
		b = strictcbor.AppendText(b, m.nss[n])
		b = strictcbor.AppendHead(b, 5, uint64(m.nsItems[n]))
		pairs = pairs[:0]
		for i := range m.nsItems[n] {
			pairs = append(pairs, [2]uint64{m.ids[start[n]+i], uint64(start[n] + i)})
		}
		// Unsigned keys encode in numeric order.
		sortPairs(pairs)
		for _, p := range pairs {
			b = strictcbor.AppendHead(b, 0, p[0])
			b = strictcbor.AppendBytes(b, m.digests[int(p[1])*m.hsize:int(p[1]+1)*m.hsize])
		}
	}

	b = append(b, "\x6ddeviceKeyInfo\xa1\x69deviceKey"...)
	b = append(b, m.deviceKey...)
	b = append(b, "\x6fdigestAlgorithm"...)
	return strictcbor.AppendText(b, m.digestAlgorithm), nil
}

// appendTDate appends #6.0(tstr) in RFC 3339 form for a UTC time with whole
// seconds, as strictcbor.Marshal writes it (RFC 8949 §3.4.1).
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
	return append(strictcbor.AppendHead(append(b, 0xc0), 3, uint64(len(s))), s...), nil
}

// sortByEncoding sorts the indices in order by the deterministic encoding
// of keys[i] as a text string (insertion sort: there are a few namespaces).
func sortByEncoding(order []int, keys []string) {
	less := func(a, b string) bool {
		if len(a) != len(b) {
			// The shorter string has the smaller head, up to heads of equal
			// form; compare the encodings to be exact.
			ea := strictcbor.AppendText(nil, a)
			eb := strictcbor.AppendText(nil, b)
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
