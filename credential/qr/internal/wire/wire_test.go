package wire

import (
	"errors"
	"strings"
	"testing"

	"rsc.io/qr"
)

// FuzzBase45: decode(encode(b)) == b, and every accepted text is canonical.
func FuzzBase45(f *testing.F) {
	f.Add([]byte("ietf!"))
	f.Add([]byte{0xff, 0xff, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Base45Decode(Base45Encode(b))
		if err != nil || string(got) != string(b) {
			t.Fatalf("round trip: %v", err)
		}
		if d, err := Base45Decode(string(b)); err == nil && Base45Encode(d) != string(b) {
			t.Fatal("non-canonical base45 accepted")
		}
	})
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

// TestWrapUnwrap: a framed body wraps into the mode with the smaller QR,
// unwraps to the same body in both modes, and a wrong kind, version or
// separator is refused with its sentinel.
func TestWrapUnwrap(t *testing.T) {
	for _, content := range [][]byte{[]byte("hello"), make([]byte, 600), []byte(strings.Repeat("age_over_18", 40))} {
		body, err := FrameBody(content)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Wrap(KindPresentation, body, 0)
		if err != nil {
			t.Fatal(err)
		}
		text := "IKP1:" + Base45Encode(body)
		bin := append([]byte("IKP1#"), body...)
		if want := min(VersionFor(Alphanumeric, len(text)), VersionFor(Byte, len(bin))); p.Version != want {
			t.Fatalf("version %d, want %d", p.Version, want)
		}
		for _, data := range [][]byte{[]byte(text), bin} {
			got, err := Unwrap(KindPresentation, data)
			if err != nil {
				t.Fatal(err)
			}
			back, err := UnframeBody(got)
			if err != nil || string(back) != string(content) {
				t.Fatalf("round trip: %v", err)
			}
		}
		for data, want := range map[string]error{
			"IKR1" + text[4:]:  ErrPrefix,
			"XKP1" + text[4:]:  ErrPrefix,
			"IKP2" + text[4:]:  ErrVersion,
			"IKP1!" + text[5:]: ErrMalformed,
		} {
			var e *Error
			if _, err := Unwrap(KindPresentation, []byte(data)); !errors.Is(err, want) || !errors.As(err, &e) {
				t.Fatalf("%.5s: %v, want %v", data, err, want)
			}
		}
		if _, err := Wrap(KindFrame, body, 1); p.Version > 1 && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("over the version limit: %v", err)
		}
	}
}
