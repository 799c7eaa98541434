package verifier

import (
	"container/heap"
	"sync"
	"time"
)

// replayCache remembers presentation hashes until they expire. It is
// bounded: at most size entries; when full, expired entries go first, then
// the entry closest to expiry.
type replayCache struct {
	mu   sync.Mutex
	size int
	seen map[[32]byte]time.Time
	h    expiryHeap
}

func newReplayCache(size int) *replayCache {
	return &replayCache{size: size, seen: make(map[[32]byte]time.Time)}
}

// checkAndAdd reports whether key was already seen (and not expired) at
// now; if not, it records key until exp.
func (c *replayCache) checkAndAdd(key [32]byte, now, exp time.Time) (replayed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.h) > 0 && !c.h[0].exp.After(now) {
		e := heap.Pop(&c.h).(expiryEntry)
		if c.seen[e.key].Equal(e.exp) {
			delete(c.seen, e.key)
		}
	}
	if e, ok := c.seen[key]; ok && e.After(now) {
		return true
	}
	for len(c.seen) >= c.size && len(c.h) > 0 {
		e := heap.Pop(&c.h).(expiryEntry)
		delete(c.seen, e.key)
	}
	c.seen[key] = exp
	heap.Push(&c.h, expiryEntry{exp: exp, key: key})
	return false
}

func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

type expiryEntry struct {
	exp time.Time
	key [32]byte
}

type expiryHeap []expiryEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].exp.Before(h[j].exp) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiryEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
