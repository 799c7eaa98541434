package sdjwt

import (
	mrand "math/rand/v2"
	"testing"
)

// BenchmarkSortDigests sorts the KTP-el's top-level _sd array.
func BenchmarkSortDigests(b *testing.B) {
	r := mrand.New(mrand.NewPCG(1, 2))
	const n, w = 45, 43 // 30 digests and 15 decoys of SHA-256
	src := make([]byte, n*w)
	for i := range src {
		src[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[r.IntN(64)]
	}
	digs := make([]byte, len(src))
	var tmp [][]byte
	for b.Loop() {
		copy(digs, src)
		sortDigests(digs, w, &tmp)
	}
}
