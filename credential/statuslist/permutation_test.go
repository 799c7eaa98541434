package statuslist

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"testing"
)

// testPermKey is a fixed key for deterministic tests (never for real use).
var testPermKey = bytes.Repeat([]byte{0x5a}, PermutationKeySize)

func newTestPermutation(t testing.TB, key []byte, size int) *Permutation {
	t.Helper()
	p, err := NewPermutation(key, size)
	if err != nil {
		t.Fatalf("NewPermutation(size %d): %v", size, err)
	}
	return p
}

// checkBijection walks every position of p and checks that Index hits every
// index exactly once and that Position inverts it.
func checkBijection(t *testing.T, p *Permutation) {
	t.Helper()
	size := p.Size()
	seen := make([]bool, size)
	for n := range uint64(size) {
		idx, err := p.Index(n)
		if err != nil {
			t.Fatalf("size %d: Index(%d): %v", size, n, err)
		}
		if idx >= uint64(size) || seen[idx] {
			t.Fatalf("size %d: Index(%d) = %d out of range or hit twice", size, n, idx)
		}
		seen[idx] = true
		back, err := p.Position(idx)
		if err != nil {
			t.Fatalf("size %d: Position(%d): %v", size, idx, err)
		}
		if back != n {
			t.Fatalf("size %d: Position(Index(%d)) = %d", size, n, back)
		}
	}
}

func TestPermutationBijection(t *testing.T) {
	for size := 1; size <= 1100; size++ {
		p := newTestPermutation(t, testPermKey, size)
		if p.Size() != size {
			t.Fatalf("Size = %d, want %d", p.Size(), size)
		}
		checkBijection(t, p)
	}
	for _, size := range []int{4095, 4096, 4097, 65536, 65537} {
		t.Run(fmt.Sprintf("size=%d", size), func(t *testing.T) {
			checkBijection(t, newTestPermutation(t, testPermKey, size))
		})
	}
}

func TestPermutationKeyed(t *testing.T) {
	const size = 1 << 16
	other := bytes.Repeat([]byte{0xa5}, PermutationKeySize)
	p1 := newTestPermutation(t, testPermKey, size)
	p2 := newTestPermutation(t, testPermKey, size) // same key, separate instance
	q := newTestPermutation(t, other, size)
	differ := 0
	for n := range uint64(size) {
		a, err := p1.Index(n)
		if err != nil {
			t.Fatal(err)
		}
		b, err := p2.Index(n)
		if err != nil {
			t.Fatal(err)
		}
		c, err := q.Index(n)
		if err != nil {
			t.Fatal(err)
		}
		if a != b {
			t.Fatalf("same key: Index(%d) = %d and %d", n, a, b)
		}
		if a != c {
			differ++
		}
	}
	if differ < size*9/10 {
		t.Fatalf("different keys agree on %d of %d positions", size-differ, size)
	}
}

func TestPermutationNotSequential(t *testing.T) {
	const size = 1 << 20
	p := newTestPermutation(t, testPermKey, size)
	var prev uint64
	descents, low, high := 0, 0, 0
	for n := range uint64(1000) {
		idx, err := p.Index(n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 && idx < prev {
			descents++
		}
		if idx < size/2 {
			low++
		} else {
			high++
		}
		prev = idx
	}
	// A random order has about 500 descents and 500 indices in each half;
	// the identity has no descents and all 1000 in the lower half.
	if descents < 100 {
		t.Fatalf("first 1000 indices nearly increasing: %d descents", descents)
	}
	if low < 100 || high < 100 {
		t.Fatalf("first 1000 indices not spread: %d in lower half, %d in upper", low, high)
	}
}

func TestPermutationErrors(t *testing.T) {
	for _, n := range []int{0, 15, 17, 24, 32} {
		if _, err := NewPermutation(make([]byte, n), 10); !errors.Is(err, ErrMalformed) {
			t.Errorf("key of %d bytes: err = %v, want ErrMalformed", n, err)
		}
	}
	sizes := []int{0, -1, math.MinInt}
	if tooLarge := uint64(MaxListBytes)*8 + 1; tooLarge <= math.MaxInt {
		sizes = append(sizes, int(tooLarge), math.MaxInt)
	}
	for _, size := range sizes {
		if _, err := NewPermutation(testPermKey, size); !errors.Is(err, ErrMalformed) {
			t.Errorf("size %d: err = %v, want ErrMalformed", size, err)
		}
	}
	if largest := uint64(MaxListBytes) * 8; largest <= math.MaxInt {
		p := newTestPermutation(t, testPermKey, int(largest))
		for _, n := range []uint64{0, largest / 2, largest - 1} {
			idx, err := p.Index(n)
			if err != nil || idx >= largest {
				t.Fatalf("largest list: Index(%d) = %d, %v", n, idx, err)
			}
			if back, err := p.Position(idx); err != nil || back != n {
				t.Fatalf("largest list: Position(%d) = %d, %v, want %d", idx, back, err, n)
			}
		}
	}
	p := newTestPermutation(t, testPermKey, 100)
	for _, n := range []uint64{100, 101, 128, math.MaxUint64} {
		if _, err := p.Index(n); !errors.Is(err, ErrIndexOutOfRange) {
			t.Errorf("Index(%d): err = %v, want ErrIndexOutOfRange", n, err)
		}
		if _, err := p.Position(n); !errors.Is(err, ErrIndexOutOfRange) {
			t.Errorf("Position(%d): err = %v, want ErrIndexOutOfRange", n, err)
		}
	}
	var e *Error
	if _, err := p.Index(100); !errors.As(err, &e) {
		t.Errorf("Index error %T is not *Error", err)
	}
}

func TestPermutationAllocs(t *testing.T) {
	// size 2^20+1 makes cycle-walking take several passes for some n.
	p := newTestPermutation(t, testPermKey, 1<<20+1)
	var n uint64
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := p.Index(n); err != nil {
			t.Fatal(err)
		}
		n++
	})
	if allocs > 1 {
		t.Fatalf("Index allocates %.1f times per call, want <= 1", allocs)
	}
}

func BenchmarkPermutationIndex(b *testing.B) {
	for _, size := range []int{1 << 20, 1<<20 + 1, 1 << 27} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			p := newTestPermutation(b, testPermKey, size)
			b.ReportAllocs()
			var n uint64
			for b.Loop() {
				if _, err := p.Index(n); err != nil {
					b.Fatal(err)
				}
				if n++; n == uint64(size) {
					n = 0
				}
			}
		})
	}
}
