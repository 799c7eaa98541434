package statuslist_test

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/ikdkit/ikdkit/credential/statuslist"
)

// ExamplePermutation shows an issuer handing out status list indices in the
// order of a counter: credential number n gets index Index(n). Over all
// positions of a list of 8 entries every index comes out exactly once.
func ExamplePermutation() {
	// In production the key is a secret from a key store, fixed for the
	// lifetime of the list; never hardcode it like this.
	key := bytes.Repeat([]byte{0x42}, statuslist.PermutationKeySize)
	p, err := statuslist.NewPermutation(key, 8)
	if err != nil {
		panic(err)
	}
	var indices []uint64
	for counter := range uint64(p.Size()) {
		idx, err := p.Index(counter)
		if err != nil {
			panic(err)
		}
		if n, _ := p.Position(idx); n != counter {
			panic("Position is not the inverse of Index")
		}
		indices = append(indices, idx)
	}
	slices.Sort(indices)
	fmt.Println(indices)
	// Output: [0 1 2 3 4 5 6 7]
}
