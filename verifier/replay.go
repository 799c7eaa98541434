package verifier

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// ReplayStore remembers the presentations a verifier accepted until they
// can no longer be fresh, so that a captured presentation is refused when it
// is shown again. Several Verifiers (several instances behind a load
// balancer) that share one ReplayStore refuse a replay to any of them.
//
// Keys are SHA-256 digests that identify one holder-signed unit: the
// signing input of an SD-JWT's Key Binding JWT, or the DeviceAuthentication
// of one mdoc document (ISO/IEC 18013-5 §9.1.3.4). A presentation of
// several credentials is remembered credential by credential, so a
// captured presentation cannot be shown again as a subset, reordered or
// with a credential repeated.
//
// [NewMemoryReplayStore] is the default; [OpenSQLiteReplayStore] and [OpenPostgresReplayStore] are shared
// across processes.
type ReplayStore interface {
	// Remember records key until exp, atomically with the check that key
	// is not already recorded with an expiry after now. It returns
	// [ErrReplay] if it is, and [ErrReplayStoreFull] if it cannot record
	// key without forgetting an entry that has not expired (a store must
	// fail closed: forgetting would re-open a replay). Any other error
	// (I/O) also fails the verification.
	Remember(ctx context.Context, key [32]byte, now, exp time.Time) error
}

// MemoryReplayStore is a ReplayStore in memory, bounded by the number of
// entries. It is safe for concurrent use; its one mutex is held for a map
// lookup and a heap operation per call.
//
// When it holds its maximum of unexpired entries it refuses new
// presentations with [ErrReplayStoreFull] until entries expire: someone who
// makes that many presentations of their own credentials within the window
// (a credential and its key are enough) can keep the verifier refusing
// others for that long, but can never make it accept a replay. Size it for
// the expected presentations per window, or share a larger store
// ([OpenSQLiteReplayStore]).
type MemoryReplayStore struct {
	mu   sync.Mutex
	max  int
	seen map[[32]byte]time.Time
	h    expiryHeap
}

// NewMemoryReplayStore returns an empty MemoryReplayStore holding at most
// max entries (1 to MaxReplayCacheSize).
func NewMemoryReplayStore(max int) (*MemoryReplayStore, error) {
	if max < 1 || max > MaxReplayCacheSize {
		return nil, fail(0, -1, ErrConfig, nil, "replay store size %d outside [1, %d]", max, MaxReplayCacheSize)
	}
	return &MemoryReplayStore{max: max, seen: make(map[[32]byte]time.Time)}, nil
}

// Remember implements ReplayStore.
func (c *MemoryReplayStore) Remember(_ context.Context, key [32]byte, now, exp time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Forget what has expired: only those entries may go.
	for len(c.h) > 0 && !c.h[0].exp.After(now) {
		e := heap.Pop(&c.h).(expiryEntry)
		if c.seen[e.key].Equal(e.exp) {
			delete(c.seen, e.key)
		}
	}
	if e, ok := c.seen[key]; ok && e.After(now) {
		return ErrReplay
	}
	if len(c.seen) >= c.max {
		return ErrReplayStoreFull
	}
	c.seen[key] = exp
	heap.Push(&c.h, expiryEntry{exp: exp, key: key})
	return nil
}

// Len returns the number of entries held, expired ones included until the
// next Remember forgets them.
func (c *MemoryReplayStore) Len() int {
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
