package statuslist

import (
	"bytes"
	"compress/zlib"
	"errors"
	"math/rand/v2"
	"testing"
)

func TestListEachBitsSize(t *testing.T) {
	for _, bits := range []int{1, 2, 4, 8} {
		t.Run("bits="+string(rune('0'+bits)), func(t *testing.T) {
			const size = 1000
			l, err := New(bits, size)
			if err != nil {
				t.Fatal(err)
			}
			if l.Len() < size || l.Len()*bits%8 != 0 || l.Len()-size >= 8/bits {
				t.Fatalf("Len = %d for size %d", l.Len(), size)
			}
			r := rand.New(rand.NewPCG(1, uint64(bits)))
			want := make([]Status, l.Len())
			for i := range want {
				want[i] = Status(r.IntN(1 << bits))
				if err := l.Set(uint64(i), want[i]); err != nil {
					t.Fatal(err)
				}
			}
			// Overwrite some entries to check neighbours are untouched.
			for i := 0; i < len(want); i += 7 {
				want[i] = Status(r.IntN(1 << bits))
				if err := l.Set(uint64(i), want[i]); err != nil {
					t.Fatal(err)
				}
			}
			back, err := Decode(bits, l.Compress(), 0)
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range want {
				for _, list := range []*List{l, back} {
					if got, err := list.Get(uint64(i)); err != nil || got != w {
						t.Fatalf("entry %d = %v, %v; want %v", i, got, err, w)
					}
				}
			}
			// A value one bit too wide is refused, for every width but 8.
			if bits < 8 {
				if err := l.Set(0, Status(1<<bits)); !errors.Is(err, ErrStatusValue) {
					t.Fatalf("too-wide value: %v", err)
				}
			}
		})
	}
}

func TestListLayoutMatchesDraftFigures(t *testing.T) {
	// draft-20 §4.1, first figure: 16 entries, 1 bit -> b9 a3.
	l, _ := New(1, 16)
	for i, v := range []Status{1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1} {
		_ = l.Set(uint64(i), v)
	}
	if !bytes.Equal(l.Bytes(), []byte{0xb9, 0xa3}) {
		t.Fatalf("1-bit layout %x, want b9a3", l.Bytes())
	}
	// Second figure: 12 entries, 2 bits -> c9 44 f9.
	l, _ = New(2, 12)
	for i, v := range []Status{1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3} {
		_ = l.Set(uint64(i), v)
	}
	if !bytes.Equal(l.Bytes(), []byte{0xc9, 0x44, 0xf9}) {
		t.Fatalf("2-bit layout %x, want c944f9", l.Bytes())
	}
}

func zlibBytes(t testing.TB, data []byte) []byte {
	var b bytes.Buffer
	w, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
	_, _ = w.Write(data)
	_ = w.Close()
	return b.Bytes()
}

func TestDecodeRejects(t *testing.T) {
	good := zlibBytes(t, []byte{0xb9, 0xa3})
	badSum := bytes.Clone(good)
	badSum[len(badSum)-1] ^= 1
	tests := []struct {
		name     string
		bits     int
		lst      []byte
		maxBytes int
		want     error
	}{
		{"bits 0", 0, good, 0, ErrBits},
		{"bits 3", 3, good, 0, ErrBits},
		{"bits 16", 16, good, 0, ErrBits},
		{"empty input", 1, nil, 0, ErrMalformed},
		{"not zlib", 1, []byte("hello world"), 0, ErrMalformed},
		{"raw deflate without zlib wrapper", 1, good[2 : len(good)-4], 0, ErrMalformed},
		{"bad adler32", 1, badSum, 0, ErrMalformed},
		{"truncated", 1, good[:len(good)-2], 0, ErrMalformed},
		{"trailing bytes", 1, append(bytes.Clone(good), 0), 0, ErrMalformed},
		{"empty list", 1, zlibBytes(t, nil), 0, ErrMalformed},
		{"over caller cap", 1, zlibBytes(t, make([]byte, 1025)), 1024, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Decode(tt.bits, tt.lst, tt.maxBytes)
			if !errors.Is(err, tt.want) || l != nil {
				t.Fatalf("Decode = %v, %v; want %v", l, err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Op == "" {
				t.Fatalf("error %T is not *Error with an Op", err)
			}
		})
	}
	// Exactly at the cap is accepted.
	if _, err := Decode(1, zlibBytes(t, make([]byte, 1024)), 1024); err != nil {
		t.Fatalf("at cap: %v", err)
	}
}

// TestDecodeBombDoesNotAllocate checks that a stream inflating to 20 MiB is
// refused under a 256 KiB cap without the memory of the full output.
func TestDecodeBombDoesNotAllocate(t *testing.T) {
	// 20 MiB of zeros compresses to ~90 KiB at BestSpeed.
	var b bytes.Buffer
	w, _ := zlib.NewWriterLevel(&b, zlib.BestSpeed)
	zero := make([]byte, 1<<20)
	for range 20 {
		_, _ = w.Write(zero)
	}
	_ = w.Close()
	bomb := b.Bytes()
	var before, after runtimeMem
	before.read()
	_, err := Decode(1, bomb, 256<<10)
	after.read()
	if !errors.Is(err, ErrTooLarge) {
		t.Fatal(err)
	}
	// Unbounded inflation would allocate over 20 MiB; the capped decoder
	// needs the output buffer's growth (< 1 MiB) plus the inflater state.
	if grew := after.total - before.total; grew > 4<<20 {
		t.Fatalf("decoding a 20 MiB bomb under a 256 KiB cap allocated %d bytes", grew)
	}
	// The default cap (16 MiB) also stops it.
	if _, err := Decode(1, bomb, 0); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("default cap: %v", err)
	}
}

func TestIndexOutOfRange(t *testing.T) {
	l, _ := New(2, 8)
	for _, idx := range []uint64{8, 9, 1 << 40, ^uint64(0)} {
		if _, err := l.Get(idx); !errors.Is(err, ErrIndexOutOfRange) {
			t.Errorf("Get(%d) = %v", idx, err)
		}
		if err := l.Set(idx, 1); !errors.Is(err, ErrIndexOutOfRange) {
			t.Errorf("Set(%d) = %v", idx, err)
		}
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name       string
		bits, size int
		want       error
	}{
		{"bits 5", 5, 10, ErrBits},
		{"size 0", 1, 0, ErrMalformed},
		{"negative size", 1, -1, ErrMalformed},
		{"over 1 GiB", 8, MaxListBytes + 1, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.bits, tt.size); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[Status]string{
		Valid: "VALID", Invalid: "INVALID", Suspended: "SUSPENDED",
		3: "APPLICATION_SPECIFIC(0x03)", 0x0c: "APPLICATION_SPECIFIC(0x0c)", 0x04: "RESERVED(0x04)", 0xff: "RESERVED(0xff)",
	} {
		if got := s.String(); got != want {
			t.Errorf("%d: %q, want %q", s, got, want)
		}
	}
}
