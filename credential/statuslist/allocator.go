package statuslist

import (
	"crypto/rand"
	"encoding/binary"
	"io"
	"math/bits"
)

// maxRejections bounds the random probes of [Allocator.Allocate] before it
// falls back to picking the k-th unused index directly.
const maxRejections = 32

// Allocator hands out the indices of a Status List at random among the
// unused ones, so the order of indices does not reveal the order of
// issuance (draft-20 §12.2 "Issuer Tracking", §13.2 "Linkability
// Mitigation") and no index is given out twice (§13.3: the Status Issuer
// MUST prevent unintended double allocation).
//
// Every unused index is equally likely: Allocate draws a uniform index and
// retries if it is taken; after 32 misses (a nearly full list) it draws a
// uniform rank among the unused indices and scans for it. Memory is one bit
// per index. An Allocator is not safe for concurrent use.
type Allocator struct {
	used []uint64 // bitmap, bit i set = index i allocated
	size uint64
	free uint64
	rand io.Reader
	rbuf [8]byte
}

// NewAllocator returns an allocator for a list of size entries (use
// [List.Len]). used lists indices already given out, for instance restored
// from storage; it may be nil. rand is the source of randomness; nil means
// crypto/rand.Reader.
func NewAllocator(size int, used []uint64, rand io.Reader) (*Allocator, error) {
	const op = "allocator"
	if size <= 0 || uint64(size) > uint64(MaxListBytes)*8 {
		return nil, errorf(op, ErrMalformed, "size %d out of range", size)
	}
	a := &Allocator{
		used: make([]uint64, (size+63)/64),
		size: uint64(size),
		free: uint64(size),
		rand: rand,
	}
	if a.rand == nil {
		a.rand = cryptoRand
	}
	for _, idx := range used {
		if idx >= a.size {
			return nil, errorf(op, ErrIndexOutOfRange, "used index %d, size %d", idx, size)
		}
		if a.isUsed(idx) {
			return nil, errorf(op, ErrMalformed, "used index %d listed twice", idx)
		}
		a.mark(idx)
	}
	return a, nil
}

var cryptoRand = rand.Reader

func (a *Allocator) isUsed(i uint64) bool { return a.used[i>>6]&(1<<(i&63)) != 0 }
func (a *Allocator) mark(i uint64)        { a.used[i>>6] |= 1 << (i & 63); a.free-- }

// Size returns the number of indices the allocator manages.
func (a *Allocator) Size() int { return int(a.size) }

// Free returns the number of indices not yet allocated.
func (a *Allocator) Free() int { return int(a.free) }

// IsAllocated reports whether idx has been given out.
func (a *Allocator) IsAllocated(idx uint64) bool { return idx < a.size && a.isUsed(idx) }

// uniform returns a uniform random integer in [0, n), n > 0.
func (a *Allocator) uniform(n uint64) (uint64, error) {
	limit := -(-n % n) // 2^64 - (2^64 mod n), modulo 2^64
	for {
		if _, err := io.ReadFull(a.rand, a.rbuf[:]); err != nil {
			return 0, errorf("allocate", ErrMalformed, "randomness: %v", err)
		}
		r := binary.LittleEndian.Uint64(a.rbuf[:])
		if limit == 0 || r < limit {
			return r % n, nil
		}
	}
}

// Allocate returns an unused index, chosen uniformly at random, and marks it
// used. It fails with [ErrListFull] when none is left.
func (a *Allocator) Allocate() (uint64, error) {
	if a.free == 0 {
		return 0, errorf("allocate", ErrListFull, "all %d indices allocated", a.size)
	}
	for range maxRejections {
		i, err := a.uniform(a.size)
		if err != nil {
			return 0, err
		}
		if !a.isUsed(i) {
			a.mark(i)
			return i, nil
		}
	}
	// Nearly full: pick the k-th unused index, k uniform in [0, free).
	k, err := a.uniform(a.free)
	if err != nil {
		return 0, err
	}
	for w, word := range a.used {
		unused := ^word
		if w == len(a.used)-1 && a.size%64 != 0 {
			unused &= 1<<(a.size%64) - 1
		}
		n := uint64(bits.OnesCount64(unused))
		if k >= n {
			k -= n
			continue
		}
		for ; k > 0; k-- {
			unused &= unused - 1 // clear lowest set bit
		}
		i := uint64(w)*64 + uint64(bits.TrailingZeros64(unused))
		a.mark(i)
		return i, nil
	}
	panic("statuslist: allocator bitmap inconsistent with free count")
}

// MarshalBinary returns the allocation bitmap (bit i of byte i/8, least
// significant bit first, as in a 1-bit Status List), for storage.
func (a *Allocator) MarshalBinary() ([]byte, error) {
	out := make([]byte, (a.size+7)/8)
	var tmp [8]byte
	for w, word := range a.used {
		binary.LittleEndian.PutUint64(tmp[:], word)
		copy(out[w*8:], tmp[:])
	}
	return out, nil
}

// UnmarshalAllocator restores an allocator from [Allocator.MarshalBinary]
// output for a list of size entries.
func UnmarshalAllocator(size int, bitmap []byte, rand io.Reader) (*Allocator, error) {
	a, err := NewAllocator(size, nil, rand)
	if err != nil {
		return nil, err
	}
	if len(bitmap) != int((a.size+7)/8) {
		return nil, errorf("allocator", ErrMalformed, "bitmap is %d bytes, want %d", len(bitmap), (a.size+7)/8)
	}
	padded := make([]byte, len(a.used)*8)
	copy(padded, bitmap)
	for w := range a.used {
		a.used[w] = binary.LittleEndian.Uint64(padded[w*8:])
	}
	if last := a.size % 64; last != 0 && a.used[len(a.used)-1]>>last != 0 {
		return nil, errorf("allocator", ErrMalformed, "bits set beyond size")
	}
	n := uint64(0)
	for _, word := range a.used {
		n += uint64(bits.OnesCount64(word))
	}
	a.free = a.size - n
	return a, nil
}
