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
	strs box.Slab[string]
	nums box.Slab[json.Number]
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
