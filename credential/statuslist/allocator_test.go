package statuslist

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// detRand is a deterministic io.Reader for tests (never for real use).
type detRand struct{ r *rand.ChaCha8 }

func newDetRand(seed byte) *detRand {
	var s [32]byte
	s[0] = seed
	return &detRand{rand.NewChaCha8(s)}
}
func (d *detRand) Read(p []byte) (int, error) { return d.r.Read(p) }

func TestAllocatorNoDuplicatesAllReachable(t *testing.T) {
	for _, size := range []int{1, 7, 64, 100, 1000} {
		a, err := NewAllocator(size, nil, newDetRand(1))
		if err != nil {
			t.Fatal(err)
		}
		seen := make([]bool, size)
		for i := range size {
			idx, err := a.Allocate()
			if err != nil {
				t.Fatalf("size %d, allocation %d: %v", size, i, err)
			}
			if idx >= uint64(size) || seen[idx] {
				t.Fatalf("size %d: index %d out of range or given twice", size, idx)
			}
			seen[idx] = true
		}
		if a.Free() != 0 {
			t.Fatalf("Free = %d after allocating all", a.Free())
		}
		if _, err := a.Allocate(); !errors.Is(err, ErrListFull) {
			t.Fatalf("full list: %v", err)
		}
	}
}

// TestAllocatorOrderIsRandom checks that the first allocations do not come
// out in issuance order and are spread over the whole list.
func TestAllocatorOrderIsRandom(t *testing.T) {
	const size = 1 << 16
	a, _ := NewAllocator(size, nil, nil) // crypto/rand
	var prev uint64
	ascending, high := 0, 0
	for i := range 1000 {
		idx, err := a.Allocate()
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && idx > prev {
			ascending++
		}
		if idx >= size/2 {
			high++
		}
		prev = idx
	}
	// For a random order both are about 500; the bounds are > 10 sigma.
	if ascending < 350 || ascending > 650 || high < 350 || high > 650 {
		t.Fatalf("allocation looks ordered: %d ascending steps, %d in the upper half", ascending, high)
	}
}

// TestAllocatorUniformWhenNearlyFull exercises the rank fallback: with 3 free
// indices left in 4096, each must come out first about equally often.
func TestAllocatorUniformWhenNearlyFull(t *testing.T) {
	const size = 4096
	free := []uint64{5, 2000, 4095}
	var used []uint64
	for i := uint64(0); i < size; i++ {
		if i != free[0] && i != free[1] && i != free[2] {
			used = append(used, i)
		}
	}
	r := newDetRand(2)
	counts := map[uint64]int{}
	for range 600 {
		a, err := NewAllocator(size, used, r)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := a.Allocate()
		if err != nil {
			t.Fatal(err)
		}
		counts[idx]++
	}
	for _, f := range free {
		if counts[f] < 120 || counts[f] > 280 { // expected 200
			t.Fatalf("counts %v not uniform over %v", counts, free)
		}
	}
	if len(counts) != 3 {
		t.Fatalf("allocated a used index: %v", counts)
	}
}

func TestAllocatorPersistence(t *testing.T) {
	a, _ := NewAllocator(100, []uint64{3, 99}, newDetRand(3))
	for range 40 {
		if _, err := a.Allocate(); err != nil {
			t.Fatal(err)
		}
	}
	bm, _ := a.MarshalBinary()
	b, err := UnmarshalAllocator(100, bm, newDetRand(4))
	if err != nil {
		t.Fatal(err)
	}
	if b.Free() != a.Free() || b.Free() != 58 {
		t.Fatalf("Free %d vs %d", b.Free(), a.Free())
	}
	for i := uint64(0); i < 100; i++ {
		if a.IsAllocated(i) != b.IsAllocated(i) {
			t.Fatalf("index %d differs after restore", i)
		}
	}
	bm2, _ := b.MarshalBinary()
	if !bytes.Equal(bm, bm2) {
		t.Fatal("bitmap round trip differs")
	}
}

func TestAllocatorRejects(t *testing.T) {
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"size 0", func() error { _, err := NewAllocator(0, nil, nil); return err }, ErrMalformed},
		{"used out of range", func() error { _, err := NewAllocator(10, []uint64{10}, nil); return err }, ErrIndexOutOfRange},
		{"used twice", func() error { _, err := NewAllocator(10, []uint64{1, 1}, nil); return err }, ErrMalformed},
		{"bitmap wrong length", func() error { _, err := UnmarshalAllocator(10, []byte{0}, nil); return err }, ErrMalformed},
		{"bitmap bits beyond size", func() error { _, err := UnmarshalAllocator(10, []byte{0, 0x04}, nil); return err }, ErrMalformed},
		{"randomness fails", func() error {
			a, _ := NewAllocator(10, nil, bytes.NewReader(nil))
			_, err := a.Allocate()
			return err
		}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}
