package cose

import (
	"fmt"

	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// Form is the outer form of a message: RFC 9052 §2 defines each message
// with and without its CBOR tag, and each protocol fixes which one it uses.
type Form int

// Message forms.
const (
	// Untagged is the bare array (ISO 18013-5 IssuerAuth, DeviceSignature
	// and DeviceMac; ikdkit's request QR).
	Untagged Form = iota + 1
	// Tagged is the array inside tag 18 (COSE_Sign1_Tagged) or tag 17
	// (COSE_Mac0_Tagged) (the status list CWT, draft-ietf-oauth-status-list
	// §5.2).
	Tagged
)

// Header is a decoded header map (RFC 9052 §3): each parameter's label
// (an int or a text string) and its value, raw and as received.
type Header struct {
	params []param
}

type param struct {
	label  int64
	text   string // a text label when isText
	isText bool
	value  []byte
}

// Len returns the number of parameters.
func (h Header) Len() int { return len(h.params) }

// Raw returns the encoded value of the parameter with the int label.
func (h Header) Raw(label int64) ([]byte, bool) {
	for i := range h.params {
		if p := &h.params[i]; !p.isText && p.label == label {
			return p.value, true
		}
	}
	return nil, false
}

// Has reports whether the int label is present.
func (h Header) Has(label int64) bool {
	_, ok := h.Raw(label)
	return ok
}

// Int returns the integer value of label; ok is false when it is absent.
func (h Header) Int(label int64) (v int64, ok bool, err error) {
	raw, ok := h.Raw(label)
	if !ok {
		return 0, false, nil
	}
	r := strictcbor.NewReader(raw)
	if v, err = r.Int(); err != nil {
		return 0, true, fmt.Errorf("%w: header %d: %w", ErrMalformed, label, err)
	}
	return v, true, nil
}

// Bytes returns the byte-string value of label, aliasing the message; ok
// is false when it is absent.
func (h Header) Bytes(label int64) (v []byte, ok bool, err error) {
	raw, ok := h.Raw(label)
	if !ok {
		return nil, false, nil
	}
	r := strictcbor.NewReader(raw)
	if v, err = r.Bytes(); err != nil {
		return nil, true, fmt.Errorf("%w: header %d: %w", ErrMalformed, label, err)
	}
	return v, true, nil
}

// Text returns the text-string value of label; ok is false when it is
// absent.
func (h Header) Text(label int64) (v string, ok bool, err error) {
	raw, ok := h.Raw(label)
	if !ok {
		return "", false, nil
	}
	r := strictcbor.NewReader(raw)
	if v, err = r.Text(); err != nil {
		return "", true, fmt.Errorf("%w: header %d: %w", ErrMalformed, label, err)
	}
	return v, true, nil
}

// Message is the part COSE_Sign1 and COSE_Mac0 share (RFC 9052 §4.2,
// §6.2): [protected, unprotected, payload, signature or tag]. It is parsed
// but NOT verified; its byte slices alias the input.
type Message struct {
	// RawProtected is the protected header bucket, the content of its byte
	// string exactly as received (what the signature covers).
	RawProtected []byte
	// Protected is the decoded protected header.
	Protected Header
	// Unprotected is the unprotected header.
	Unprotected Header
	// Payload is the attached payload; nil when Detached.
	Payload []byte
	// Detached reports a nil payload (RFC 9052 §2: the payload is
	// transported separately).
	Detached bool
	// Signature is the signature of a COSE_Sign1 or the tag of a
	// COSE_Mac0.
	Signature []byte
}

// Sign1 is a parsed, not yet verified COSE_Sign1 (RFC 9052 §4.2).
type Sign1 struct{ Message }

// Mac0 is a parsed, not yet verified COSE_Mac0 (RFC 9052 §6.2).
type Mac0 struct{ Message }

// ParseSign1 decodes a COSE_Sign1 of the given form strictly (see the
// package documentation). It verifies nothing.
func ParseSign1(data []byte, form Form) (*Sign1, error) {
	m := new(Sign1)
	if err := m.parse(data, form, strictcbor.TagCOSESign1); err != nil {
		return nil, err
	}
	return m, nil
}

// ParseMac0 decodes a COSE_Mac0 of the given form strictly (see the
// package documentation). It verifies nothing.
func ParseMac0(data []byte, form Form) (*Mac0, error) {
	m := new(Mac0)
	if err := m.parse(data, form, strictcbor.TagCOSEMac0); err != nil {
		return nil, err
	}
	return m, nil
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

func (m *Message) parse(data []byte, form Form, tag uint64) error {
	body := data
	switch form {
	case Tagged:
		// RFC 9052 §2: COSE_Sign1_Tagged = #6.18(COSE_Sign1), COSE_Mac0_Tagged
		// = #6.17(COSE_Mac0); no other tag (a CWT tag 61, say) in front.
		r := strictcbor.NewReader(data)
		major, num, err := r.Head()
		if err != nil || major != strictcbor.MajorTag || num != tag {
			return malformed("not tagged %d", tag)
		}
		body = data[r.Offset():]
	case Untagged:
	default:
		return malformed("unknown form %d", form)
	}
	// No tag anywhere inside the message (the payload is a byte string,
	// so what it embeds is not seen here).
	if err := strictcbor.Check(body); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	r := strictcbor.NewReader(body)
	// RFC 9052 §4.2, §6.2: an array of exactly four elements.
	if n, err := r.Container(strictcbor.MajorArray, "an array"); err != nil || n != 4 {
		return malformed("not an array of 4")
	}
	var err error
	if m.RawProtected, err = r.Bytes(); err != nil {
		return malformed("protected header: %v", err)
	}
	// RFC 9052 §3: the protected bucket is a serialized header map, or a
	// zero-length byte string for an empty one.
	if len(m.RawProtected) > 0 {
		if err := strictcbor.Check(m.RawProtected); err != nil {
			return fmt.Errorf("%w: protected header: %w", ErrMalformed, err)
		}
		pr := strictcbor.NewReader(m.RawProtected)
		if m.Protected, err = readHeader(&pr); err != nil {
			return err
		}
	}
	if m.Unprotected, err = readHeader(&r); err != nil {
		return err
	}
	// RFC 9052 §3: a label must not appear in both buckets.
	for _, p := range m.Unprotected.params {
		for _, q := range m.Protected.params {
			if p.isText == q.isText && p.label == q.label && p.text == q.text {
				return malformed("header label %s in both buckets", p.name())
			}
		}
	}
	// RFC 9052 §3.1: crit lists parameters a recipient must understand;
	// this implementation understands no extension.
	if m.Protected.Has(HeaderCrit) || m.Unprotected.Has(HeaderCrit) {
		return malformed("crit header not supported")
	}
	// RFC 9052 §4.2: payload : bstr / nil (null, not undefined).
	if b, _ := r.Peek(); b == 0xf6 {
		r.Nil()
		m.Detached = true
	} else if m.Payload, err = r.Bytes(); err != nil {
		return malformed("payload: %v", err)
	}
	if m.Signature, err = r.Bytes(); err != nil {
		return malformed("signature: %v", err)
	}
	if len(m.Signature) == 0 {
		return malformed("empty signature or tag")
	}
	return nil
}

// readHeader reads a header map (RFC 9052 §3): labels are int or tstr and
// unique.
func readHeader(r *strictcbor.Reader) (Header, error) {
	n, err := r.Container(strictcbor.MajorMap, "a map")
	if err != nil {
		return Header{}, malformed("header: %v", err)
	}
	if n == 0 {
		return Header{}, nil
	}
	h := Header{params: make([]param, n)}
	for i := range h.params {
		p := &h.params[i]
		ib, err := r.Peek()
		if err != nil {
			return Header{}, malformed("header: %v", err)
		}
		switch ib >> 5 {
		case strictcbor.MajorUint, strictcbor.MajorNeg:
			p.label, err = r.Int()
		case strictcbor.MajorText:
			p.isText = true
			p.text, err = r.Text()
		default:
			return Header{}, malformed("header label of major type %d", ib>>5)
		}
		if err != nil {
			return Header{}, malformed("header label: %v", err)
		}
		for _, q := range h.params[:i] {
			if q.isText == p.isText && q.label == p.label && q.text == p.text {
				return Header{}, malformed("duplicate header label %s", p.name())
			}
		}
		if p.value, err = r.Raw(); err != nil {
			return Header{}, malformed("header %s: %v", p.name(), err)
		}
	}
	return h, nil
}

func (p *param) name() string {
	if p.isText {
		return fmt.Sprintf("%q", p.text)
	}
	return fmt.Sprint(p.label)
}

// KeyID returns the kid (RFC 9052 §3.1, label 4) from either bucket, nil
// when there is none. It is a hint for finding a key, never a reason to
// trust one.
func (m *Message) KeyID() ([]byte, error) {
	h := m.Protected
	if !h.Has(HeaderKID) {
		h = m.Unprotected
	}
	kid, _, err := h.Bytes(HeaderKID)
	return kid, err
}

// X5Chain returns the DER certificates of the x5chain header (RFC 9360 §2:
// one certificate as a bstr, or an array of bstr, end entity first) from
// either bucket, aliasing the message; nil when there is none. More than
// max certificates fail with an error that also wraps strictcbor.ErrTooLarge. An array of one certificate is accepted although
// the CDDL asks for at least two, as several mdoc issuers write it.
func (m *Message) X5Chain(max int) ([][]byte, error) {
	h := m.Protected
	if !h.Has(HeaderX5Chain) {
		h = m.Unprotected
	}
	raw, ok := h.Raw(HeaderX5Chain)
	if !ok {
		return nil, nil
	}
	r := strictcbor.NewReader(raw)
	if b, err := r.Peek(); err == nil && b>>5 == strictcbor.MajorBytes {
		der, err := r.Bytes()
		if err != nil || len(der) == 0 {
			return nil, malformed("x5chain: empty certificate")
		}
		return [][]byte{der}, nil
	}
	n, err := r.Container(strictcbor.MajorArray, "a byte string or an array")
	if err != nil {
		return nil, malformed("x5chain: %v", err)
	}
	if n == 0 {
		return nil, malformed("empty x5chain")
	}
	if n > max {
		return nil, fmt.Errorf("%w: x5chain of %d certificates, limit %d: %w", ErrMalformed, n, max, strictcbor.ErrTooLarge)
	}
	ders := make([][]byte, n)
	for i := range ders {
		if ders[i], err = r.Bytes(); err != nil || len(ders[i]) == 0 {
			return nil, malformed("x5chain certificate %d is not a byte string", i)
		}
	}
	return ders, nil
}
