package qr

import (
	"errors"
	"math/rand/v2"
	"testing"

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
