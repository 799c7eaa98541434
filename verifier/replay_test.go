package verifier

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/internal/pgtest"
)

// replayStores returns a fresh store of each implementation holding at most
// max entries, and for the SQLite one a second handle on the same file (as
// a second verifier process would open it).
func replayStores(t *testing.T, max int) map[string][2]ReplayStore {
	t.Helper()
	mem, err := NewMemoryReplayStore(max)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "replay.db")
	a, err := OpenSQLiteReplayStore(ctx, path, max)
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenSQLiteReplayStore(ctx, path, max)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	out := map[string][2]ReplayStore{"memory": {mem, mem}, "sqlite": {a, b}}
	// PostgreSQL whenever a server is given (.ci/run always gives one).
	if os.Getenv(pgtest.EnvVar) != "" {
		dsn := pgtest.DSN(t)
		pa, err := OpenReplayStore(ctx, dsn, max)
		if err != nil {
			t.Fatal(err)
		}
		pb, err := OpenPostgresReplayStore(ctx, dsn, max)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pa.Close(); pb.Close() })
		out["postgres"] = [2]ReplayStore{pa, pb}
	}
	return out
}

// TestReplayStoreContract: both stores detect a replay (also through the
// other handle), refuse new entries when full of unexpired ones instead of
// forgetting any (fail closed), and forget entries once expired.
func TestReplayStoreContract(t *testing.T) {
	key := func(b byte) [32]byte { return [32]byte{b} }
	for name, st := range replayStores(t, 3) {
		t.Run(name, func(t *testing.T) {
			s, other := st[0], st[1]
			at := t0
			for i := byte(0); i < 3; i++ {
				if err := s.Remember(ctx, key(i), at, at.Add(time.Duration(i+1)*time.Minute)); err != nil {
					t.Fatalf("fresh key %d: %v", i, err)
				}
			}
			if err := other.Remember(ctx, key(2), at, at.Add(time.Hour)); !errors.Is(err, ErrReplay) {
				t.Fatalf("replay through the other handle: %v, want ErrReplay", err)
			}
			// Full of unexpired entries: refused, and nothing forgotten.
			if err := s.Remember(ctx, key(3), at, at.Add(time.Hour)); !errors.Is(err, ErrReplayStoreFull) {
				t.Fatalf("fourth key: %v, want ErrReplayStoreFull", err)
			}
			for i := byte(0); i < 3; i++ {
				if err := other.Remember(ctx, key(i), at.Add(30*time.Second), at.Add(time.Hour)); !errors.Is(err, ErrReplay) {
					t.Fatalf("key %d after the store filled: %v, want ErrReplay", i, err)
				}
			}
			// Key 0 expired at +1 min: forgotten, so there is room again.
			later := at.Add(90 * time.Second)
			if err := s.Remember(ctx, key(3), later, later.Add(time.Hour)); err != nil {
				t.Fatalf("after an expiry: %v", err)
			}
			if err := s.Remember(ctx, key(0), later, later.Add(time.Hour)); !errors.Is(err, ErrReplayStoreFull) {
				t.Fatalf("key 0 again while full: %v, want ErrReplayStoreFull", err)
			}
			// Everything expired: every key is new again.
			much := at.Add(3 * time.Hour)
			if err := other.Remember(ctx, key(2), much, much.Add(time.Minute)); err != nil {
				t.Fatalf("expired key: %v", err)
			}
		})
	}
}

// TestReplayStoreConcurrent: the same key remembered from many goroutines
// at once, half through each handle, succeeds exactly once.
func TestReplayStoreConcurrent(t *testing.T) {
	for name, st := range replayStores(t, 100) {
		t.Run(name, func(t *testing.T) {
			var ok atomic.Int32
			var wg sync.WaitGroup
			for i := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := st[i%2].Remember(ctx, [32]byte{7}, t0, t0.Add(time.Minute))
					switch {
					case err == nil:
						ok.Add(1)
					case !errors.Is(err, ErrReplay):
						t.Errorf("Remember: %v", err)
					}
				}()
			}
			wg.Wait()
			if ok.Load() != 1 {
				t.Fatalf("%d goroutines succeeded, want 1", ok.Load())
			}
		})
	}
}

func TestReplayStoreConfig(t *testing.T) {
	if _, err := NewMemoryReplayStore(0); !errors.Is(err, ErrConfig) {
		t.Fatalf("size 0: %v", err)
	}
	if _, err := OpenSQLiteReplayStore(ctx, "x.db?mode=memory", 0); !errors.Is(err, ErrConfig) {
		t.Fatalf("path with a query: %v", err)
	}
}

// BenchmarkReplayStoreRemember measures one Remember of a fresh key: the
// in-memory default against the SQLite store shared by several processes
// (an IMMEDIATE transaction, durable before it returns).
func BenchmarkReplayStoreRemember(b *testing.B) {
	mem, err := NewMemoryReplayStore(MaxReplayCacheSize)
	if err != nil {
		b.Fatal(err)
	}
	sq, err := OpenSQLiteReplayStore(ctx, filepath.Join(b.TempDir(), "replay.db"), 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sq.Close() })
	for name, s := range map[string]ReplayStore{"memory": mem, "sqlite": sq} {
		b.Run(name, func(b *testing.B) {
			var key [32]byte
			i := 0
			for b.Loop() {
				i++
				key[0], key[1], key[2], key[3] = byte(i), byte(i>>8), byte(i>>16), byte(i>>24)
				if err := s.Remember(ctx, key, t0, t0.Add(time.Minute)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
