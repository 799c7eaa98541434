package statuslist

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"math/bits"
)

// PermutationKeySize is the size of a Permutation key in bytes (AES-128).
const PermutationKeySize = 16

// permutationRounds is the number of Feistel rounds of [Permutation].
const permutationRounds = 10

// Permutation is a keyed pseudorandom permutation of the indices [0, size)
// of a Status List. It is the stateless alternative to [Allocator]: an
// issuer that hands out status list indices in the order of a counter,
// index = Index(counter), needs neither a bitmap of used indices nor a
// random draw, and its database can keep its unique key in issuance order,
// while the list still shows indices in an order that does not reveal the
// order of issuance to anyone without the key (draft-20 §12.2 "Issuer
// Tracking", §13.2 "Linkability Mitigation"). No index is handed out twice
// (§13.3) as long as the counter does not repeat: a permutation is a
// bijection. The key must stay secret and must not change for the lifetime
// of the list.
//
// Construction: the smallest domain D = 2^bits >= size with bits >= 2 (so
// D < 2*size) is permuted by a 10-round unbalanced Feistel network with
// modular addition, splitting x into a high half L of (bits+1)/2 bits and a
// low half R of bits/2 bits; even rounds add F(r, R) to L, odd rounds add
// F(r, L) to R. The round function F(r, v) is the first 8 bytes, read
// big-endian, of AES-128 under the key of the block
//
//	r (1 byte) || v (8 bytes, big-endian) || size (low 7 bytes, big-endian)
//
// so lists of different sizes get unrelated orders even under one key.
// Values of D not below size are skipped by cycle-walking (apply the
// network again until the result is below size), which keeps the map a
// bijection on [0, size) and takes under two passes on average.
//
// A Permutation is safe for concurrent use.
type Permutation struct {
	block cipher.Block
	size  uint64
	a, b  uint // bit widths of the high (L) and low (R) halves
	tweak [7]byte
}

// NewPermutation returns the permutation of [0, size) under key
// ([PermutationKeySize] bytes). size must be between 1 and MaxListBytes*8,
// as for [NewAllocator] (use [List.Len]).
func NewPermutation(key []byte, size int) (*Permutation, error) {
	const op = "permutation"
	if len(key) != PermutationKeySize {
		return nil, errorf(op, ErrMalformed, "key is %d bytes, want %d", len(key), PermutationKeySize)
	}
	if size <= 0 || uint64(size) > uint64(MaxListBytes)*8 {
		return nil, errorf(op, ErrMalformed, "size %d out of range", size)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, errorf(op, ErrMalformed, "key: %v", err)
	}
	n := uint(max(2, bits.Len64(uint64(size)-1)))
	p := &Permutation{block: block, size: uint64(size), a: (n + 1) / 2, b: n / 2}
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], uint64(size))
	copy(p.tweak[:], s[1:])
	return p, nil
}

// Size returns the number of indices permuted.
func (p *Permutation) Size() int { return int(p.size) }

// Index returns the index at position n (n < Size()): the n-th index an
// issuer that counts positions hands out. It fails with
// [ErrIndexOutOfRange] if n >= Size().
func (p *Permutation) Index(n uint64) (uint64, error) {
	if n >= p.size {
		return 0, errorf("permutation index", ErrIndexOutOfRange, "position %d, size %d", n, p.size)
	}
	buf := p.scratch()
	y := p.encrypt(n, buf)
	for y >= p.size {
		y = p.encrypt(y, buf)
	}
	return y, nil
}

// Position is the inverse of Index: it returns the position n with
// Index(n) == idx. It fails with [ErrIndexOutOfRange] if idx >= Size().
func (p *Permutation) Position(idx uint64) (uint64, error) {
	if idx >= p.size {
		return 0, errorf("permutation position", ErrIndexOutOfRange, "index %d, size %d", idx, p.size)
	}
	buf := p.scratch()
	x := p.decrypt(idx, buf)
	for x >= p.size {
		x = p.decrypt(x, buf)
	}
	return x, nil
}

// scratch returns the AES input (first 16 bytes) and output (last 16 bytes)
// of one call, with the size tweak already in place. It is the call's only
// allocation: buffers passed through the cipher.Block interface escape.
func (p *Permutation) scratch() *[32]byte {
	buf := new([32]byte)
	copy(buf[9:16], p.tweak[:])
	return buf
}

// round returns F(r, v) of the Feistel network.
func (p *Permutation) round(r int, v uint64, buf *[32]byte) uint64 {
	buf[0] = byte(r)
	binary.BigEndian.PutUint64(buf[1:9], v)
	p.block.Encrypt(buf[16:32], buf[0:16])
	return binary.BigEndian.Uint64(buf[16:24])
}

// encrypt applies the Feistel network to x in [0, 2^(a+b)).
func (p *Permutation) encrypt(x uint64, buf *[32]byte) uint64 {
	maskA, maskB := uint64(1)<<p.a-1, uint64(1)<<p.b-1
	l, r := x>>p.b, x&maskB
	for i := range permutationRounds {
		if i%2 == 0 {
			l = (l + p.round(i, r, buf)) & maskA
		} else {
			r = (r + p.round(i, l, buf)) & maskB
		}
	}
	return l<<p.b | r
}

// decrypt is the inverse of encrypt.
func (p *Permutation) decrypt(y uint64, buf *[32]byte) uint64 {
	maskA, maskB := uint64(1)<<p.a-1, uint64(1)<<p.b-1
	l, r := y>>p.b, y&maskB
	for i := permutationRounds - 1; i >= 0; i-- {
		if i%2 == 0 {
			l = (l - p.round(i, r, buf)) & maskA
		} else {
			r = (r - p.round(i, l, buf)) & maskB
		}
	}
	return l<<p.b | r
}
