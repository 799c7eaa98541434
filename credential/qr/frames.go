package qr

import (
	"bytes"
	"crypto/sha256"

	"github.com/ikdkit/ikdkit/credential/qr/internal/wire"
)

// Frame sequences (docs/qr-format.md §9): content too large for one QR —
// the full KTP-el with its portrait — is split into frames of at most
// MaxFrameVersion that a verifier scans in any order.
const (
	// MaxFrameVersion is the largest QR version (level M) of one frame.
	MaxFrameVersion = 15
	// maxFrames caps the frames of one sequence.
	maxFrames      = 64
	frameHeaderLen = 6 // set id (4) | index (1) | total (1)
)

// EncodeFrames packs an envelope like Encode, then splits the framed body
// into a sequence of frame payloads, each fitting QR version
// MaxFrameVersion at level M. Each frame carries the sequence id (the first
// 4 bytes of SHA-256 over the whole body), its index and the frame count.
// A sequence has at most 64 frames (ErrTooLarge beyond).
func EncodeFrames(env Envelope) ([]Code, error) {
	body, err := encodeBody(env)
	if err != nil {
		return nil, err
	}
	// The largest chunk whose frame still fits MaxFrameVersion.
	chunk := wire.CapacityM(wire.Byte, MaxFrameVersion) - wire.PrefixLen - wire.HeaderLen - wire.TrailerLen - frameHeaderLen
	n := (len(body) + chunk - 1) / chunk
	if n > maxFrames {
		return nil, errorf("encode", ErrTooLarge, "%d frames needed, limit %d", n, maxFrames)
	}
	id := sha256.Sum256(body)
	codes := make([]Code, 0, n)
	for i := 0; i < n; i++ {
		part := body[i*chunk : min((i+1)*chunk, len(body))]
		content := append([]byte{id[0], id[1], id[2], id[3], byte(i), byte(n)}, part...)
		c, err := wrap(wire.KindFrame, wire.Frame(wire.CompressNone, content), MaxFrameVersion)
		if err != nil {
			return nil, err
		}
		codes = append(codes, c)
	}
	return codes, nil
}

// Assembler collects the frames of one sequence in any order. The zero
// value is ready to use; it is not safe for concurrent use.
type Assembler struct {
	id    [4]byte
	parts [][]byte
	have  int
}

// Add decodes one scanned frame payload and stores it. It reports whether
// the sequence is complete. A frame of another sequence, or one that
// contradicts a frame already received, fails with ErrFrame and changes
// nothing; a repeated identical frame is accepted.
func (a *Assembler) Add(data []byte) (complete bool, err error) {
	return a.add(data)
}

// AddString is Add for a frame payload held as a string; a string over
// MaxPayloadSize is refused before it is copied.
func (a *Assembler) AddString(text string) (complete bool, err error) {
	if err := wire.CheckSize(len(text)); err != nil {
		return false, fromWire(err)
	}
	return a.add([]byte(text))
}

func (a *Assembler) add(data []byte) (complete bool, err error) {
	body, err := wire.Unwrap(wire.KindFrame, data)
	if err != nil {
		return false, fromWire(err)
	}
	content, err := wire.UnframeBody(body)
	if err != nil {
		return false, fromWire(err)
	}
	if body[0] != wire.CompressNone || len(content) <= frameHeaderLen {
		return false, errorf("frame", ErrMalformed, "frame must be stored and non-empty")
	}
	var id [4]byte
	copy(id[:], content[:4])
	idx, total := int(content[4]), int(content[5])
	if total == 0 || total > maxFrames || idx >= total {
		return false, errorf("frame", ErrMalformed, "frame %d of %d (limit %d)", idx, total, maxFrames)
	}
	part := content[frameHeaderLen:]
	if a.parts == nil {
		a.id, a.parts = id, make([][]byte, total)
	}
	if id != a.id || total != len(a.parts) {
		return false, errorf("frame", ErrFrame, "frame of sequence %x/%d, assembling %x/%d", id, total, a.id, len(a.parts))
	}
	if prev := a.parts[idx]; prev != nil {
		if !bytes.Equal(prev, part) {
			return false, errorf("frame", ErrFrame, "frame %d differs from the one already received", idx)
		}
		return a.have == len(a.parts), nil
	}
	a.parts[idx] = bytes.Clone(part)
	a.have++
	return a.have == len(a.parts), nil
}

// Missing lists the indices of the frames not yet received.
func (a *Assembler) Missing() []int {
	var out []int
	for i, p := range a.parts {
		if p == nil {
			out = append(out, i)
		}
	}
	return out
}

// Envelope reassembles the sequence and decodes it with the same checks as
// Decode; the body must also hash to the sequence id.
func (a *Assembler) Envelope() (*Envelope, error) {
	if a.parts == nil || a.have != len(a.parts) {
		return nil, errorf("frame", ErrIncomplete, "missing frames %v", a.Missing())
	}
	body := bytes.Join(a.parts, nil)
	if h := sha256.Sum256(body); !bytes.Equal(h[:4], a.id[:]) {
		return nil, errorf("frame", ErrFrame, "reassembled body does not match the sequence id")
	}
	return decodeBody(body)
}
