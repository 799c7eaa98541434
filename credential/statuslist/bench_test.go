package statuslist

import (
	"crypto/rand"
	"github.com/ikdkit/ikdkit/keys"
	mrand "math/rand/v2"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

// BenchmarkListGet is the raw lookup in a decoded list (target < 50 ns,
// 0 allocs).
func BenchmarkListGet(b *testing.B) {
	l, _ := New(2, 1<<24)
	_ = l.Set(12345, Invalid)
	b.ReportAllocs()
	var sink Status
	for i := 0; b.Loop(); i++ {
		s, _ := l.Get(uint64(i*7919) & (1<<24 - 1))
		sink ^= s
	}
	_ = sink
}

// BenchmarkCacheLookup is a verifier's status check from the cache: map
// lookup by uri, exp/MaxAge/ttl checks and the bit read (target < 50 ns,
// 0 allocs).
func BenchmarkCacheLookup(b *testing.B) {
	key := testKey(b, keys.ES256)
	l, _ := New(1, 1<<20)
	_ = l.Set(999, Invalid)
	p := testParams()
	tok, err := SignJWT(rand.Reader, key, l, p)
	if err != nil {
		b.Fatal(err)
	}
	now := p.IssuedAt.Add(time.Hour)
	c, _ := NewCache(CacheConfig{
		Keys: func(string) (*Verifier, error) { return &Verifier{Key: key.Public()}, nil },
		Now:  func() time.Time { return now },
	})
	if err := c.Add(p.Subject, tok); err != nil {
		b.Fatal(err)
	}
	ref := Reference{Index: 999, URI: p.Subject}
	b.ReportAllocs()
	for b.Loop() {
		ans, err := c.Lookup(ref)
		if err != nil || ans.Status != Invalid {
			b.Fatal(err)
		}
	}
}

// benchPublish builds a 1-bit list of n entries with 1 % of them revoked at
// random, compresses it and signs a JWT Status List Token. It reports the
// token size and the peak heap in use during one build.
func benchPublish(b *testing.B, n int) {
	key := testKey(b, keys.ES256)
	r := mrand.New(mrand.NewPCG(1, 2))
	revoked := make([]uint64, n/100)
	for i := range revoked {
		revoked[i] = r.Uint64N(uint64(n))
	}
	p := testParams()
	b.ReportAllocs()
	var size int
	var peak, peakHeap uint64
	for b.Loop() {
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		stop := sampleHeap()
		l, err := New(1, n)
		if err != nil {
			b.Fatal(err)
		}
		for _, i := range revoked {
			_ = l.Set(i, Invalid)
		}
		tok, err := SignJWT(rand.Reader, key, l, p)
		if err != nil {
			b.Fatal(err)
		}
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		// Bytes allocated during one build: an upper bound on the extra
		// peak heap it needs.
		peak = max(peak, after.TotalAlloc-before.TotalAlloc)
		if h := stop(); h > before.HeapAlloc {
			peakHeap = max(peakHeap, h-before.HeapAlloc)
		}
		size = len(tok)
	}
	b.ReportMetric(float64(size), "token-bytes")
	b.ReportMetric(float64(peak)/(1<<20), "alloc-MiB/build")
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MiB")
}

// sampleHeap samples the heap's object bytes every 200 µs until the
// returned function is called, which returns the largest value seen: the
// peak heap during the work in between (sampling may miss a short spike;
// alloc-MiB/build is the upper bound).
func sampleHeap() func() uint64 {
	done := make(chan struct{})
	result := make(chan uint64)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-done:
				metrics.Read(s)
				result <- max(peak, s[0].Value.Uint64())
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); return <-result }
}

func BenchmarkPublish1M(b *testing.B)  { benchPublish(b, 1_000_000) }
func BenchmarkPublish10M(b *testing.B) { benchPublish(b, 10_000_000) }

// BenchmarkVerify10M verifies and decompresses the 10,000,000-entry token.
func BenchmarkVerify10M(b *testing.B) {
	key := testKey(b, keys.ES256)
	l, _ := New(1, 10_000_000)
	r := mrand.New(mrand.NewPCG(1, 2))
	for range 100_000 {
		_ = l.Set(r.Uint64N(10_000_000), Invalid)
	}
	p := testParams()
	tok, _ := SignJWT(rand.Reader, key, l, p)
	v := &Verifier{Key: key.Public(), Now: fixedClock(p.IssuedAt)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.VerifyJWT(tok); err != nil {
			b.Fatal(err)
		}
	}
}
