package strictjson

import (
	"encoding/json"

	"github.com/ikdkit/ikdkit/internal/box"
)

// Boxes gives the decoded strings and numbers of one or more owned decodes
// (an SD-JWT's payload and all its disclosures, say) their interface
// values from shared slabs (package box), one allocation per slab instead
// of one per value.
//
// The zero Boxes is ready to use; [Boxes.Reserve] sizes its first slabs.
// A Boxes is used by one goroutine at a time, and is not copied once used:
// a copy would hand out the same room again.
type Boxes struct {
	strs  box.Slab[string]
	nums  box.Slab[json.Number]
	stack []any // room the decodes read the elements of long arrays into
}

// UseStack gives the decodes that use b the room of s (its length is
// ignored) to read the elements of arrays longer than the decoder holds on
// the goroutine's stack (24) into before each array gets a slice of its
// exact length, so that room can be kept from one use of a Boxes to the
// next.
func (b *Boxes) UseStack(s []any) { b.stack = wipe(s, 0) }

// Stack returns the room b's decodes read long arrays' elements into, grown as
// they needed and holding nothing, and stops using it.
func (b *Boxes) Stack() []any {
	s := wipe(b.stack, 0)
	b.stack = nil
	return s
}

// Reserve makes room for about n strings and n/4 numbers, in one slab
// each, if there is less.
func (b *Boxes) Reserve(n int) {
	b.strs.Reserve(n)
	b.nums.Reserve(n / 4)
}

// String returns s as an interface value from b's slab, as the decodes
// that use b box the strings they read.
func (b *Boxes) String(s string) any { return b.strs.Box(s) }

func (b *Boxes) num(n json.Number) any { return b.nums.Box(n) }
