// Package box gives decoded string values their interface values from
// shared slabs. Converting a string to any copies its header into an
// allocation of its own; a decoder that turns a credential into claims
// makes dozens of such conversions per credential, and a slab makes them
// one allocation per slab instead.
//
// A value is written into its slab once and never again, and the
// interface value points at it, which keeps the slab alive as long as any
// value from it is.
package box

import "unsafe"

// Slab hands out interface values of type T from slabs. The zero Slab is
// ready to use; Reserve sizes its first slab. A Slab is used by one
// goroutine at a time, and is not copied once used: a copy would hand out
// the same room again.
type Slab[T ~string] struct {
	room []T // unused room
}

// size is the length of a slab made when the room runs out.
const size = 32

// Reserve makes room for n values in one slab, if there is less.
func (s *Slab[T]) Reserve(n int) {
	if len(s.room) < n {
		s.room = make([]T, n)
	}
}

// Box returns v as an interface value, what any(v) returns, from the slab.
func (s *Slab[T]) Box(v T) any {
	if len(s.room) == 0 {
		s.room = make([]T, size)
	}
	p := &s.room[0]
	*p = v
	s.room = s.room[1:]
	return at(p)
}

// at returns the interface value holding *p whose data word is p, without
// copying *p into an allocation of its own. The dynamic type comes from
// converting T's zero value, which allocates nothing; the data word of an
// interface holding a non-pointer type points at an immutable copy of the
// value, which *p is from here on.
func at[T ~string](p *T) any {
	v := any(*new(T))
	(*[2]unsafe.Pointer)(unsafe.Pointer(&v))[1] = unsafe.Pointer(p)
	return v
}
