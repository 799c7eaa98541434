package strictcbor

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// nested returns depth arrays of one element around 0.
func nested(depth int) []byte {
	return append(bytes.Repeat([]byte{0x81}, depth), 0x00)
}

func TestCheck(t *testing.T) {
	bigArray := AppendHead(nil, MajorArray, MaxContainerItems+1)
	for _, tc := range []struct {
		name    string
		in      []byte
		allowed []uint64
		want    error // nil: accepted
	}{
		{"uint", h("1903e8"), nil, nil},
		{"map", h("a2 6161 01 6162 82 0203"), nil, nil},
		{"nested at the cap", nested(MaxNestingDepth), nil, nil},
		{"nested beyond the cap", nested(MaxNestingDepth + 1), nil, ErrTooLarge},
		{"container beyond the cap", bigArray, nil, ErrTooLarge},
		{"allowed tag", h("d818 43 a10102"), []uint64{TagEncodedCBOR}, nil},
		{"tag not allowed", h("d818 43 a10102"), nil, ErrMalformed},
		{"other tag", h("c1 01"), []uint64{TagEncodedCBOR}, ErrMalformed},
		{"indefinite array", h("9f 01 ff"), nil, ErrMalformed},
		{"indefinite bstr", h("5f 41 00 ff"), nil, ErrMalformed},
		{"break alone", h("ff"), nil, ErrMalformed},
		{"reserved additional information", h("1c"), nil, ErrMalformed},
		{"simple value below 32 in two bytes", h("f8 10"), nil, ErrMalformed},
		{"string longer than the data", h("43 0102"), nil, ErrMalformed},
		{"truncated head", h("19 03"), nil, ErrMalformed},
		{"trailing bytes", h("01 02"), nil, ErrMalformed},
		{"empty", nil, nil, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.in, tc.allowed...)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Check = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestWellformed(t *testing.T) {
	if err := Wellformed(h("83 f6 f6 c1 01")); err != nil {
		t.Fatalf("any tag: %v", err)
	}
	for _, bad := range [][]byte{h("9f ff"), h("01 01"), nested(MaxNestingDepth + 1), nil} {
		if err := Wellformed(bad); err == nil {
			t.Errorf("%x accepted", bad)
		}
	}
}

func TestReader(t *testing.T) {
	in := h("86 43 010203 63 616263 18 2a 38 29 a1 01 f6 f6")
	if err := Check(in); err != nil {
		t.Fatal(err)
	}
	r := NewReader(in)
	if n, err := r.Container(MajorArray, "an array"); err != nil || n != 6 {
		t.Fatalf("array: %d %v", n, err)
	}
	b, err := r.Bytes()
	if err != nil || !bytes.Equal(b, []byte{1, 2, 3}) || cap(b) != 3 {
		t.Fatalf("bytes %x (cap %d), %v", b, cap(b), err)
	}
	if s, err := r.Text(); err != nil || s != "abc" {
		t.Fatalf("text %q %v", s, err)
	}
	if v, err := r.Uint(); err != nil || v != 42 {
		t.Fatalf("uint %d %v", v, err)
	}
	if v, err := r.Int(); err != nil || v != -42 {
		t.Fatalf("int %d %v", v, err)
	}
	raw, err := r.Raw()
	if err != nil || !bytes.Equal(raw, h("a1 01 f6")) {
		t.Fatalf("raw %x %v", raw, err)
	}
	if !r.Nil() || r.Nil() || !r.Done() || r.Rest() != 0 || r.Offset() != len(in) {
		t.Fatalf("end: offset %d of %d", r.Offset(), len(in))
	}
	if _, err := r.Peek(); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Peek at the end: %v", err)
	}

	for _, tc := range []struct {
		name string
		in   []byte
		read func(r *Reader) error
	}{
		{"bytes from text", h("6161"), func(r *Reader) error { _, err := r.Bytes(); return err }},
		{"text from bytes", h("4161"), func(r *Reader) error { _, err := r.Text(); return err }},
		{"invalid UTF-8", h("62 c328"), func(r *Reader) error { _, err := r.Text(); return err }},
		{"uint from negative", h("20"), func(r *Reader) error { _, err := r.Uint(); return err }},
		{"int beyond int64", h("1b ffffffffffffffff"), func(r *Reader) error { _, err := r.Int(); return err }},
		{"int from bytes", h("40"), func(r *Reader) error { _, err := r.Int(); return err }},
		{"map from array", h("80"), func(r *Reader) error { _, err := r.Container(MajorMap, "a map"); return err }},
		{"container beyond the cap", AppendHead(nil, MajorMap, MaxContainerItems+1), func(r *Reader) error { _, err := r.Container(MajorMap, "a map"); return err }},
		{"raw truncated", h("82 01"), func(r *Reader) error { _, err := r.Raw(); return err }},
		{"take beyond the data", h("01"), func(r *Reader) error { _, err := r.Take(2); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(tc.in)
			if err := tc.read(&r); err == nil {
				t.Fatal("accepted")
			} else if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("untyped error %v", err)
			}
		})
	}
}

// TestAppendMatchesEncoder checks the hand-written heads against the
// deterministic encoder at every length boundary and on random values.
func TestAppendMatchesEncoder(t *testing.T) {
	vals := []uint64{0, 23, 24, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxUint64}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		vals = append(vals, rnd.Uint64()>>rnd.IntN(64))
	}
	for _, v := range vals {
		want, err := Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendHead(nil, MajorUint, v); !bytes.Equal(got, want) {
			t.Fatalf("%d: %x, encoder %x", v, got, want)
		}
		if v <= math.MaxInt64 {
			want, _ := Marshal(-int64(v) - 1)
			if got := AppendInt(nil, -int64(v)-1); !bytes.Equal(got, want) {
				t.Fatalf("-%d-1: %x, encoder %x", v, got, want)
			}
		}
	}
	for _, n := range []int{0, 1, 23, 24, 300, 70000} {
		s := strings.Repeat("x", n)
		want, _ := Marshal(s)
		if got := AppendText(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("text of %d", n)
		}
		want, _ = Marshal([]byte(s))
		if got := AppendBytes(nil, []byte(s)); !bytes.Equal(got, want) {
			t.Fatalf("bytes of %d", n)
		}
		want, _ = Marshal(cbor.Tag{Number: TagEncodedCBOR, Content: []byte(s)})
		if got := WrapTag24([]byte(s)); !bytes.Equal(got, want) {
			t.Fatalf("tag 24 of %d", n)
		}
		inner, err := UnwrapTag24(want)
		if err != nil || string(inner) != s || cap(inner) != n {
			t.Fatalf("unwrap tag 24 of %d: %v", n, err)
		}
	}
}

func TestTag24(t *testing.T) {
	if !IsTag24(WrapTag24([]byte{0xa0})) || IsTag24(h("d819 41 00")) {
		t.Fatal("IsTag24")
	}
	for _, bad := range [][]byte{h("d819 41 00"), h("d818 61 00"), h("d818 41 00 00"), h("41 00"), h("d818")} {
		if _, err := UnwrapTag24(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("%x: %v", bad, err)
		}
	}
}

func TestUnmarshal(t *testing.T) {
	var m map[any]any
	if err := Unmarshal(h("a2 01 02 6161 f5"), &m); err != nil || m[int64(1)] != int64(2) || m["a"] != true {
		t.Fatalf("%v %v", m, err)
	}
	var s struct {
		A int `cbor:"a"`
	}
	for _, tc := range []struct {
		name string
		in   []byte
		v    any
		want error
	}{
		{"duplicate key", h("a2 01 02 01 03"), new(map[any]any), ErrMalformed},
		{"tag", h("c1 01"), new(any), ErrMalformed},
		{"indefinite", h("9f ff"), new(any), ErrMalformed},
		{"invalid UTF-8", h("62 c328"), new(any), ErrMalformed},
		{"trailing", h("01 01"), new(any), ErrMalformed},
		{"member case", h("a1 6141 01"), &s, nil}, // "A" is not "a": ignored, A stays 0
		{"too deep", nested(MaxNestingDepth + 2), new(any), ErrTooLarge},
		{"too many items", append(AppendHead(nil, MajorArray, MaxContainerItems+1), make([]byte, MaxContainerItems+1)...), new(any), ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Unmarshal(tc.in, tc.v)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Unmarshal = %v, want %v", err, tc.want)
			}
		})
	}
	if s.A != 0 {
		t.Fatalf("member matched case-insensitively: %+v", s)
	}
}

func TestMarshalDeterministic(t *testing.T) {
	got, err := Marshal(map[any]any{"bb": 1, "a": 2, 10: 3, -1: 4, 1.5: nil})
	if err != nil {
		t.Fatal(err)
	}
	// RFC 8949 §4.2.1: keys sorted bytewise by their encodings.
	want := h("a5 0a 03 20 04 6161 02 626262 01 f93e00 f6")
	if !bytes.Equal(got, want) {
		t.Fatalf("%x, want %x", got, want)
	}
	tm, err := Marshal(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	if err != nil || !bytes.Equal(tm, append(h("c0 74"), "2026-03-01T10:00:00Z"...)) {
		t.Fatalf("tdate %x %v", tm, err)
	}
}

func TestByteString(t *testing.T) {
	var b ByteString
	if err := Unmarshal(h("42 0102"), &b); err != nil || !bytes.Equal(b, []byte{1, 2}) {
		t.Fatalf("%x %v", b, err)
	}
	if err := Unmarshal(h("82 01 02"), &b); !errors.Is(err, ErrMalformed) {
		t.Fatalf("array of integers as a byte string: %v", err)
	}
	if enc, _ := Marshal(ByteString{1}); !bytes.Equal(enc, h("41 01")) {
		t.Fatalf("marshal %x", enc)
	}
	if enc, _ := Marshal(ByteString(nil)); !bytes.Equal(enc, h("f6")) {
		t.Fatalf("marshal nil %x", enc)
	}
}

// FuzzCheck: Check never panics; whatever it accepts Wellformed accepts,
// a Reader's Raw returns whole, and every strict prefix is rejected.
func FuzzCheck(f *testing.F) {
	seeds := [][]byte{h("a2 6161 01 6162 82 0203"), h("d818 43 a10102"), nested(MaxNestingDepth), h("9f ff"), h("f8 10")}
	if len(seeds) == 0 {
		f.Fatal("empty seed corpus")
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		err := Check(in, TagEncodedCBOR)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if err := Wellformed(in); err != nil {
			t.Fatalf("Check accepts, Wellformed rejects: %v", err)
		}
		r := NewReader(in)
		raw, err := r.Raw()
		if err != nil || !bytes.Equal(raw, in) || !r.Done() {
			t.Fatalf("Raw = %x, %v", raw, err)
		}
		for i := range in {
			if Check(in[:i], TagEncodedCBOR) == nil {
				t.Fatalf("strict prefix of %d bytes accepted", i)
			}
		}
	})
}

// TestRawNested: RawNested checks an item as Check checks it nested depth
// levels deep with the allowed tags only, and reads exactly that item.
func TestRawNested(t *testing.T) {
	deep := func(n int) []byte { return append(bytes.Repeat([]byte{0x81}, n), 0x00) }
	tests := []struct {
		name  string
		in    []byte
		depth int
		ok    bool
	}{
		{"allowed tag", []byte{0xc0, 0x60}, 1, true},
		{"other tag", []byte{0xc2, 0x41, 0x01}, 1, false},
		{"nested other tag", []byte{0x81, 0xd8, 0x18, 0x41, 0x00}, 1, false},
		{"at the limit", deep(MaxNestingDepth - 1), 1, true},
		{"too deep", deep(MaxNestingDepth), 1, false},
		{"too deep from 0", deep(MaxNestingDepth + 1), 0, false},
		{"indefinite", []byte{0x9f, 0xff}, 1, false},
	}
	for _, tc := range tests {
		r := NewReader(append(tc.in, 0x01)) // one more item after it
		raw, err := r.RawNested(tc.depth, 0)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok %v", tc.name, err, tc.ok)
			continue
		}
		// Check agrees at depth 0 (the item wrapped in depth arrays).
		wrapped := append(bytes.Repeat([]byte{0x81}, tc.depth), tc.in...)
		if chk := Check(wrapped, 0); (chk == nil) != tc.ok {
			t.Errorf("%s: Check err = %v, RawNested err = %v", tc.name, chk, err)
		}
		if tc.ok && (!bytes.Equal(raw, tc.in) || r.Rest() != 1) {
			t.Errorf("%s: read %x, %d bytes left", tc.name, raw, r.Rest())
		}
	}
}
