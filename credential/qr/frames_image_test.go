package qr

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"strings"
	"testing"

	"rsc.io/qr"

	"github.com/ikdkit/ikdkit/credential"
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

// TestVersionTable checks VersionFor against rsc.io/qr's own choice of
// version at level M, at and just past each version's capacity.
func TestVersionTable(t *testing.T) {
	for v := 1; v <= MaxVersion; v++ {
		for _, m := range []Mode{Alphanumeric, Byte} {
			n := CapacityM(m, v)
			for _, l := range []int{n, n + 1} {
				want := v
				if l > n {
					want = v + 1
				}
				if want > MaxVersion {
					continue
				}
				ch := "A"
				if m == Byte {
					ch = "a"
				}
				code, err := qr.Encode(strings.Repeat(ch, l), qr.M)
				if err != nil {
					t.Fatal(err)
				}
				lib := (code.Size - 17) / 4
				if got := VersionFor(m, l); got != want || lib != want {
					t.Fatalf("%v, %d chars: VersionFor %d, rsc.io/qr %d, want %d", m, l, got, lib, want)
				}
			}
		}
	}
	// Published capacities (ISO/IEC 18004 Table 7, level M).
	for _, c := range []struct {
		m       Mode
		v, want int
	}{{Byte, 15, 412}, {Byte, 18, 560}, {Byte, 20, 666}, {Byte, 27, 1125}, {Byte, 40, 2331}, {Alphanumeric, 20, 970}, {Alphanumeric, 40, 3391}} {
		if got := CapacityM(c.m, c.v); got != c.want {
			t.Errorf("%v v%d: %d, want %d", c.m, c.v, got, c.want)
		}
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
	text := "IKP1:" + Base45Encode(body)
	bin := append([]byte("IKP1#"), body...)
	for _, c := range []Code{
		{Data: []byte(text), Mode: Alphanumeric, Version: VersionFor(Alphanumeric, len(text))},
		{Data: bin, Mode: Byte, Version: VersionFor(Byte, len(bin))},
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
