package qr

import (
	"bytes"
	"errors"

	"github.com/ikdkit/ikdkit/credential/qr/internal/wire"
)

// Mode is the QR data encoding mode a payload is carried in.
type Mode int

const (
	// Alphanumeric is QR alphanumeric mode (ISO/IEC 18004 §7.4.4):
	// the payload is base45 text (RFC 9285), 5.5 bits per character.
	Alphanumeric Mode = iota + 1
	// Byte is QR byte mode (ISO/IEC 18004 §7.4.5): raw bytes, 8 bits each.
	Byte
)

// String returns "alphanumeric" or "byte".
func (m Mode) String() string {
	switch m {
	case Alphanumeric:
		return "alphanumeric"
	case Byte:
		return "byte"
	}
	return "unknown"
}

// Code is a payload ready to be put into one QR code.
type Code struct {
	// Data is the payload: ASCII base45 text for Alphanumeric, arbitrary
	// bytes for Byte.
	Data []byte
	// Mode is the QR mode Data must be encoded in.
	Mode Mode
	// Version is the smallest QR version at error correction level M that
	// holds Data in Mode.
	Version int
}

// String returns Data as a string (the text for an Alphanumeric code).
func (c Code) String() string { return string(c.Data) }

// wrap adds the prefix of kind to a framed body in the mode that gives the
// smaller QR version at level M (docs/qr-format.md §2); limit, when above
// 0, is the largest version allowed.
func wrap(kind wire.Kind, body []byte, limit int) (Code, error) {
	p, err := wire.Wrap(kind, body, limit)
	if err != nil {
		return Code{}, fromWire(err)
	}
	return codeOf(p), nil
}

// codeOf is the Code of a wire payload.
func codeOf(p wire.Payload) Code {
	m := Byte
	if p.Mode == wire.Alphanumeric {
		m = Alphanumeric
	}
	return Code{Data: p.Data, Mode: m, Version: p.Version}
}

// fromWire turns an error of the byte layer into an *Error with the same
// operation, sentinel, detail and cause.
func fromWire(err error) error {
	var we *wire.Error
	if errors.As(err, &we) {
		return &Error{Op: we.Op, Err: we.Err, Detail: we.Detail, Cause: we.Cause}
	}
	return err
}

// NewCode puts data into one QR code at error correction level M: in
// alphanumeric mode when every byte is a QR alphanumeric character (so
// base45 text, such as the payload of a Code that [Encode] made, stays
// alphanumeric), in byte mode otherwise, at the smallest version that
// holds it. It fails with ErrOptions for empty data and with ErrTooLarge
// when even version 40 is too small. [Encode], [EncodeFrames] and package
// qr/request already return Codes; NewCode is for a payload held
// elsewhere, such as scanned text to show again.
func NewCode(data []byte) (Code, error) {
	if len(data) == 0 {
		return Code{}, errorf("encode", ErrOptions, "no data")
	}
	m, wm := Byte, wire.Byte
	if wire.InAlphabet(data) {
		m, wm = Alphanumeric, wire.Alphanumeric
	}
	v := wire.VersionFor(wm, len(data))
	if v == 0 {
		return Code{}, errorf("encode", ErrTooLarge, "%d bytes do not fit one QR code (version 40, level M)", len(data))
	}
	return Code{Data: bytes.Clone(data), Mode: m, Version: v}, nil
}
