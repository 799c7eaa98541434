package strictjson

import (
	"encoding/json"
	"unsafe"
)

// Boxes gives the decoded strings and numbers of one or more owned decodes
// (an SD-JWT's payload and all its disclosures, say) their interface
// values from shared slabs: a conversion to any copies a string header
// into an allocation of its own, and decoding a presentation makes dozens
// of them. Each value is written into its slab once and never again, and
// the interface value points at it, which keeps the slab alive as long as
// any value from it is.
//
// The zero Boxes is ready to use; [Boxes.Reserve] sizes its first slabs.
// A Boxes is used by one goroutine at a time, and is not copied once used:
// a copy would hand out the same room again.
type Boxes struct {
	strs []string      // unused room for string values
	nums []json.Number // unused room for number values
}

// boxSlab is the size of a slab made when the reserved room runs out.
const boxSlab = 32

// Reserve makes room for about n strings and n/4 numbers, in one slab
// each, if there is less.
func (b *Boxes) Reserve(n int) {
	if len(b.strs) < n {
		b.strs = make([]string, n)
	}
	if n /= 4; len(b.nums) < n {
		b.nums = make([]json.Number, n)
	}
}

// String returns s as an interface value from b's slab, as the decodes
// that use b box the strings they read.
func (b *Boxes) String(s string) any { return b.str(s) }

func (b *Boxes) str(s string) any {
	if len(b.strs) == 0 {
		b.strs = make([]string, boxSlab)
	}
	p := &b.strs[0]
	*p = s
	b.strs = b.strs[1:]
	return anyAt(p)
}

func (b *Boxes) num(n json.Number) any {
	if len(b.nums) == 0 {
		b.nums = make([]json.Number, boxSlab)
	}
	p := &b.nums[0]
	*p = n
	b.nums = b.nums[1:]
	return anyAt(p)
}

// anyAt returns the interface value holding *p whose data word is p: what
// any(*p) returns, without copying *p into an allocation of its own. The
// dynamic type comes from converting T's zero value, which allocates
// nothing; the data word of an interface holding a non-pointer type
// points at an immutable copy of the value, which *p is from here on.
func anyAt[T ~string](p *T) any {
	v := any(*new(T))
	(*[2]unsafe.Pointer)(unsafe.Pointer(&v))[1] = unsafe.Pointer(p)
	return v
}
