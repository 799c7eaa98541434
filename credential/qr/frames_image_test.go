package qr

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr/internal/wire"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
)

func fullEnvelope(t *testing.T, f *fixture) Envelope {
	t.Helper()
	b := f.binding(t)
	u := f.fullSDJWT(t, true)
	var all []sdjwt.Path
	for _, d := range u.Disclosures() {
		all = append(all, d.Path())
	}
	sd, err := PresentSDJWT(u, all, b, f.holderKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	cred := f.fullMdoc(t, true)
	md, err := PresentMdoc(cred, cred.Elements(), b, f.holderKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	return Envelope{Presentations: []Presentation{sd, md}}
}

func TestFramesAnyOrder(t *testing.T) {
	f := newFixture(t)
	env := fullEnvelope(t, f)
	codes, err := EncodeFrames(env)
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) < 2 {
		t.Fatalf("%d frames; the full KTP-el should need several", len(codes))
	}
	for i, c := range codes {
		if c.Version > MaxFrameVersion {
			t.Fatalf("frame %d needs version %d", i, c.Version)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 3; trial++ {
		var a Assembler
		order := rng.Perm(len(codes))
		for k, i := range order {
			done, err := a.Add(codes[i].Data)
			if err != nil {
				t.Fatal(err)
			}
			if k == 0 {
				if _, err := a.Envelope(); !errors.Is(err, ErrIncomplete) {
					t.Fatalf("incomplete sequence: %v", err)
				}
				// A repeated frame is accepted.
				if _, err := a.Add(codes[i].Data); err != nil {
					t.Fatal(err)
				}
			}
			if done != (k == len(codes)-1) {
				t.Fatalf("done=%v after %d of %d", done, k+1, len(codes))
			}
		}
		got, err := a.Envelope()
		if err != nil {
			t.Fatal(err)
		}
		f.sameEnvelope(t, got, env)
	}
	// Frames of another sequence and corrupted frames are rejected.
	other, err := EncodeFrames(samplePresentations(t, f)["sd-jwt"])
	if err != nil {
		t.Fatal(err)
	}
	var a Assembler
	if _, err := a.Add(codes[0].Data); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Add(other[0].Data); !errors.Is(err, ErrFrame) {
		t.Fatalf("foreign frame: %v", err)
	}
	if _, err := a.Add(codes[1].Data[:len(codes[1].Data)-3]); !errors.Is(err, ErrTruncated) {
		t.Fatalf("truncated frame: %v", err)
	}
	if _, err := a.Add(codes[1].Data); err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(codes[0].Data); !errors.Is(err, ErrPrefix) {
		t.Fatalf("a frame is not a presentation payload: %v", err)
	}
}

// TestImageRoundTrip: payload text → PNG → scan → payload → the same
// presentation, for both modes, plus JPEG and the terminal rendering.
func TestImageRoundTrip(t *testing.T) {
	f := newFixture(t)
	env := samplePresentations(t, f)["sd-jwt"]
	body, err := encodeBody(env)
	if err != nil {
		t.Fatal(err)
	}
	text := "IKP1:" + wire.Base45Encode(body)
	bin := append([]byte("IKP1#"), body...)
	for _, c := range []Code{
		{Data: []byte(text), Mode: Alphanumeric, Version: wire.VersionFor(wire.Alphanumeric, len(text))},
		{Data: bin, Mode: Byte, Version: wire.VersionFor(wire.Byte, len(bin))},
	} {
		t.Run(c.Mode.String(), func(t *testing.T) {
			png, err := c.PNG(4)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ScanImage(bytes.NewReader(png))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, c.Data) {
				t.Fatal("scanned payload differs")
			}
			dec, err := Decode(got)
			if err != nil {
				t.Fatal(err)
			}
			f.sameEnvelope(t, dec, env)
			img, _, err := image.Decode(bytes.NewReader(png))
			if err != nil {
				t.Fatal(err)
			}
			var jb bytes.Buffer
			if err := jpeg.Encode(&jb, img, &jpeg.Options{Quality: 85}); err != nil {
				t.Fatal(err)
			}
			if got, err := ScanImage(&jb); err != nil || !bytes.Equal(got, c.Data) {
				t.Fatalf("JPEG: %v", err)
			}
			term, err := c.Terminal()
			if err != nil {
				t.Fatal(err)
			}
			side := 17 + 4*c.Version + 2*quietZone
			if lines := strings.Count(term, "\n"); lines != (side+1)/2 {
				t.Fatalf("terminal: %d lines, want %d", lines, (side+1)/2)
			}
		})
	}
	if _, err := ScanImage(strings.NewReader("not an image")); !errors.Is(err, ErrMalformed) {
		t.Fatalf("garbage image: %v", err)
	}
}

var _ = credential.DocTypeKTPEL
