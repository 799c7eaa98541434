package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/qr/qrcode"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
)

// maxInput caps any input file the CLI reads: the largest thing it reads
// is a trust list (trustlist.MaxTokenSize) or an image (qrcode.MaxImageSize).
const maxInput = qrcode.MaxImageSize

// Kinds of verify input.
const (
	kindQR     = "qr"     // a response QR's payload
	kindFrames = "frames" // the frames of one response too large for one QR
	kindSDJWT  = "sdjwt"  // a compact SD-JWT VC presentation
	kindMdoc   = "mdoc"   // a CBOR mdoc DeviceResponse
)

// presentation is one presentation to verify: one INPUT, or the frames of
// one sequence.
type presentation struct {
	kind  string
	names []string // the INPUTs it came from
	data  []string // the QR payload, the SD-JWT, the DeviceResponse; the frames
}

// name names the presentation in messages.
func (p *presentation) name() string { return strings.Join(p.names, ", ") }

// frameMagic starts the payload of a frame QR (docs/qr-format.md §2).
const frameMagic = "IKF"

// readPresentations reads the INPUTs, scans QR images to their payload and
// groups the frames of a sequence (recognised by their prefix) into one
// presentation, placed where its first frame was given.
func readPresentations(e *env, names []string) ([]*presentation, error) {
	var out []*presentation
	var frames *presentation
	for _, name := range names {
		in, err := readInput(e, name)
		if err != nil {
			return nil, err
		}
		if classify(in) == "image" {
			if in, err = qrcode.ScanImage(bytes.NewReader(in)); err != nil {
				return nil, fmt.Errorf("reading the QR image %s: %w", name, err)
			}
		}
		in = trimText(in)
		switch kind := classify(in); {
		case kind == kindQR && bytes.HasPrefix(in, []byte(frameMagic)):
			if frames == nil {
				frames = &presentation{kind: kindFrames}
				out = append(out, frames)
			}
			frames.names = append(frames.names, name)
			frames.data = append(frames.data, string(in))
		case kind == kindQR, kind == kindSDJWT, kind == kindMdoc:
			out = append(out, &presentation{kind: kind, names: []string{name}, data: []string{string(in)}})
		default:
			return nil, fmt.Errorf("%s: neither QR text, a QR image, an SD-JWT VC nor a CBOR DeviceResponse", name)
		}
	}
	return out, nil
}

// trimText drops the white space around a text input (a file written with
// a final newline); binary inputs, a byte-mode QR payload among them, are
// kept byte for byte.
func trimText(in []byte) []byte {
	t := bytes.TrimSpace(in)
	switch {
	case len(t) > 4 && string(t[:2]) == "IK" && t[4] == ':': // base45 QR text
		return t
	case bytes.HasPrefix(t, []byte("ey")):
		return t
	}
	return in
}

// classify tells the input forms apart by their first bytes.
func classify(in []byte) string {
	switch {
	case bytes.HasPrefix(in, []byte("\x89PNG\r\n\x1a\n")), bytes.HasPrefix(in, []byte{0xFF, 0xD8, 0xFF}):
		return "image"
	case bytes.HasPrefix(in, []byte("IK")):
		return kindQR
	case bytes.HasPrefix(in, []byte("ey")) && bytes.Contains(in, []byte("~")):
		return kindSDJWT
	case len(in) > 0 && in[0]>>5 == 5: // CBOR major type 5: a map (DeviceResponse)
		return kindMdoc
	}
	return ""
}

// note records what a presentation names (its issuers, types, doctypes)
// for the local trust list of bare keys. Nothing here is verified and
// nothing is decided: what cannot be read is left out, and the verifier
// reports it.
func (p *presentation) note(to *presented) {
	switch p.kind {
	case kindSDJWT:
		noteSDJWT(to, p.data[0])
	case kindMdoc:
		noteMdoc(to, []byte(p.data[0]))
	case kindQR, kindFrames:
		var env *qr.Envelope
		var err error
		if p.kind == kindQR {
			env, err = qr.DecodeString(p.data[0])
		} else {
			var a qr.Assembler
			for _, f := range p.data {
				if _, err = a.AddString(f); err != nil {
					return
				}
			}
			env, err = a.Envelope()
		}
		if err != nil {
			return
		}
		for _, pr := range env.Presentations {
			if pr.SDJWT != "" {
				noteSDJWT(to, pr.SDJWT)
			} else if pr.Mdoc != nil {
				noteMdoc(to, pr.Mdoc.DeviceResponse)
			}
		}
	}
}

// noteSDJWT reads iss, kid and vct of an SD-JWT VC's issuer-signed JWT.
func noteSDJWT(to *presented, pres string) {
	iss, vct, kid, err := sdjwt.PeekIssuer(pres)
	if err != nil {
		return // the verifier reports it
	}
	to.addSDJWT(iss, kid, vct)
}

// noteMdoc reads the doctypes of a DeviceResponse (ISO/IEC 18013-5
// §8.3.2.1.2.2: documents, each with its docType).
func noteMdoc(to *presented, dr []byte) {
	docTypes, err := mdoc.DocTypes(dr)
	if err != nil {
		return // the verifier reports it
	}
	for _, dt := range docTypes {
		if dt != "" {
			to.addDocType(dt)
		}
	}
}

// readInput reads a file, or stdin for "-", up to maxInput bytes.
func readInput(e *env, name string) ([]byte, error) {
	if name == "-" {
		return readLimited(e.stdin, "stdin")
	}
	return readFile(name)
}

func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, name)
}

func readLimited(r io.Reader, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxInput {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxInput)
	}
	return b, nil
}
