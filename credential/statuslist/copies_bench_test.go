package statuslist

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/keys"
)

// Issue 19: every credential is issued as a batch of N one-time copies
// (credential.TypeInfo.Copies), each with its own random status index. The
// benchmarks below build the Status Lists that result, the way the issuer
// builds them, and report the size of the signed Status List Tokens, for the
// national figures in docs/status-lists.md ("Batches of one-time copies").

// issuerListSize is issuer.DefaultStatusListSize, the issuer's entries per
// list (package issuer imports this one, so it cannot be named here).
const issuerListSize = 1 << 20

// nationalEnv enables the large and slow cases of [BenchmarkCopies]: lists
// of 8 Mi and 16 Mi entries, and 0.1 % and 5 % revoked. Without it, the
// benchmark runs only the cases that take well under a second each, so the
// CI run of every benchmark (-benchtime 1x) stays fast.
const nationalEnv = "IKDKIT_BENCH_NATIONAL"

// entriesPerHolder is the number of status entries one KTP-el holder takes
// in Dukcapil's lists when every credential has n copies: the KTP-el, its
// QR profile and the KK, each in two formats (dc+sd-jwt and mso_mdoc), n
// copies each: 6n. The default copies (10, 10 and 5) make 50, the batch
// of [BenchmarkCopiesFullFill].
func entriesPerHolder(n int) int { return 3 * 2 * n }

// copiesList is a Status List filled as the issuer fills one: holders take
// batches of perHolder entries at random unused indices (an [Allocator]),
// and a fraction of the holders lost their phone, which revokes every entry
// of their batch, at indices scattered over the list.
type copiesList struct {
	list      *List
	holders   int // holders whose batch is in the list
	revoked   int // holders whose batch is revoked
	perHolder int
}

// buildCopiesList builds a list of size entries of bits bits, holding
// size/perHolder batches, of which round(frac × batches) are revoked.
//
// If full, every batch is drawn from the Allocator in turn, as the issuer
// does, and the revoked holders are picked at random afterwards. Otherwise
// only the revoked holders' batches are drawn (from a fresh Allocator):
// since each draw is uniform among the unused indices, the set of indices
// of any given batches is a uniformly random subset either way, so the list
// bytes have the same distribution. Filling a list completely costs the
// Allocator a scan per index once the list is nearly full
// ([BenchmarkCopiesFullFill] reports it), which lists of 8 Mi and 16 Mi
// entries cannot afford in a benchmark.
func buildCopiesList(tb testing.TB, bits, size, perHolder int, frac float64, full bool, rng io.Reader) *copiesList {
	tb.Helper()
	l, err := New(bits, size)
	if err != nil {
		tb.Fatal(err)
	}
	c := &copiesList{list: l, holders: l.Len() / perHolder, perHolder: perHolder}
	c.revoked = int(math.Round(frac * float64(c.holders)))
	a, err := NewAllocator(l.Len(), nil, rng)
	if err != nil {
		tb.Fatal(err)
	}
	revoke := func(idx []uint64) {
		for _, i := range idx {
			if err := l.Set(i, Invalid); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if !full {
		batch := make([]uint64, perHolder)
		for range c.revoked {
			for j := range batch {
				if batch[j], err = a.Allocate(); err != nil {
					tb.Fatal(err)
				}
			}
			revoke(batch)
		}
		return c
	}
	// Every holder's batch, in issuance order, as issuer.IssueBatch draws
	// them; the entries left over (fewer than a batch) are allocated too,
	// to a batch the next list would complete.
	idx := make([]uint64, l.Len())
	for i := range idx {
		if idx[i], err = a.Allocate(); err != nil {
			tb.Fatal(err)
		}
	}
	// The lost phones: distinct holders at random.
	pick, err := NewAllocator(c.holders, nil, rng)
	if err != nil {
		tb.Fatal(err)
	}
	for range c.revoked {
		h, err := pick.Allocate()
		if err != nil {
			tb.Fatal(err)
		}
		revoke(idx[int(h)*perHolder : int(h+1)*perHolder])
	}
	return c
}

// copiesRand is the deterministic randomness of the benchmarks, so that
// every run measures the same lists.
func copiesRand(seed uint64) io.Reader {
	var s [32]byte
	s[0] = byte(seed)
	s[1] = byte(seed >> 8)
	return mrand.NewChaCha8(s)
}

// encodeCopiesList signs l as a JWT and as a CWT Status List Token and
// reports their sizes: per list, per Mi (2^20) entries and per thousand
// holders whose batches the list holds.
func encodeCopiesList(b *testing.B, key crypto.Signer, c *copiesList) {
	p := testParams()
	var jwt, cwt []byte
	var err error
	for b.Loop() {
		if jwt, err = SignJWT(rand.Reader, key, c.list, p); err != nil {
			b.Fatal(err)
		}
		if cwt, err = SignCWT(rand.Reader, key, c.list, p); err != nil {
			b.Fatal(err)
		}
	}
	perMi := float64(1<<20) / float64(c.list.Len())
	b.ReportMetric(float64(len(jwt)), "jwt-bytes")
	b.ReportMetric(float64(len(cwt)), "cwt-bytes")
	b.ReportMetric(float64(len(jwt))*perMi, "jwt-bytes/Mi-entries")
	b.ReportMetric(float64(len(cwt))*perMi, "cwt-bytes/Mi-entries")
	b.ReportMetric(float64(len(cwt))*1000/float64(c.holders), "cwt-bytes/1k-holders")
	b.ReportMetric(float64(c.holders), "holders")
	b.ReportMetric(float64(c.revoked*c.perHolder), "revoked-entries")
}

// BenchmarkCopies builds one Status List of the issuer's (entries=1Mi, the
// issuer's default size) or a larger size, filled with batches of one-time
// copies (N copies of the KTP-el, its QR profile and the KK, in both
// formats: 6N entries per holder), with a fraction of the holders' batches
// revoked at once (a lost phone), and signs it as a JWT and a CWT Status
// List Token (zlib at the best level, ES256). time/op is both signatures,
// compression included; the metrics are the token sizes.
//
// Without IKDKIT_BENCH_NATIONAL=1 only entries=1Mi with 1 % revoked runs;
// with it, also 0.1 % and 5 %, and N=10 at 8Mi and 16Mi entries (about two
// minutes on 2 cores), which show that the size is linear in the entries.
func BenchmarkCopies(b *testing.B) {
	national := os.Getenv(nationalEnv) == "1"
	key := testKey(b, keys.ES256)
	type sizeCase struct {
		name string
		n    int
		ns   []int
	}
	sizes := []sizeCase{{"1Mi", issuerListSize, []int{1, 5, 10}}}
	if national {
		sizes = append(sizes, sizeCase{"8Mi", 8 << 20, []int{10}}, sizeCase{"16Mi", 16 << 20, []int{10}})
	}
	fracs := []struct {
		name string
		f    float64
	}{{"0.1%", 0.001}, {"1%", 0.01}, {"5%", 0.05}}
	seed := uint64(0)
	for _, sz := range sizes {
		for _, n := range sz.ns {
			for _, bits := range []int{1, 2} {
				for _, fr := range fracs {
					seed++
					if !national && fr.f != 0.01 {
						continue
					}
					name := fmt.Sprintf("entries=%s/N=%d/bits=%d/revoked=%s", sz.name, n, bits, fr.name)
					b.Run(name, func(b *testing.B) {
						c := buildCopiesList(b, bits, sz.n, entriesPerHolder(n), fr.f, false, copiesRand(seed))
						encodeCopiesList(b, key, c)
					})
				}
			}
		}
	}
}

// BenchmarkCopiesFullFill fills one list of the issuer's default size
// completely through the Allocator, batch by batch, as the issuer does
// (50 entries per holder: the default copies, 10 of the KTP-el, 10 of its
// QR profile and 5 of the KK, in both formats), revokes 1 % of the holders,
// and signs it. Its sizes agree with BenchmarkCopies' list built from the
// revoked batches alone (reported here as draw-only-cwt-bytes), which is
// what justifies that shortcut; fill-ms is the Allocator's cost of the
// complete fill.
func BenchmarkCopiesFullFill(b *testing.B) {
	key := testKey(b, keys.ES256)
	per := 2 * (10 + 10 + 5) // both formats × (KTP-el + QR profile + KK)
	b.Run("N=default/bits=1/revoked=1%", func(b *testing.B) {
		start := time.Now()
		c := buildCopiesList(b, 1, issuerListSize, per, 0.01, true, copiesRand(100))
		fill := time.Since(start)
		draw := buildCopiesList(b, 1, issuerListSize, per, 0.01, false, copiesRand(101))
		cwt, err := SignCWT(rand.Reader, key, draw.list, testParams())
		if err != nil {
			b.Fatal(err)
		}
		encodeCopiesList(b, key, c)
		b.ReportMetric(float64(fill.Microseconds())/1000, "fill-ms")
		b.ReportMetric(float64(len(cwt)), "draw-only-cwt-bytes")
	})
}

// TestBuildCopiesList checks the benchmarks' list builder: exactly the
// revoked holders' batches are Invalid, whether the list is filled
// completely or only the revoked batches are drawn, and nothing else is.
func TestBuildCopiesList(t *testing.T) {
	const size, per = 1 << 12, 50
	for _, full := range []bool{true, false} {
		for _, bits := range []int{1, 2} {
			c := buildCopiesList(t, bits, size, per, 0.05, full, copiesRand(7))
			if c.holders != size/per || c.revoked != 4 {
				t.Fatalf("full=%v: %d holders, %d revoked", full, c.holders, c.revoked)
			}
			invalid := 0
			for i := range uint64(c.list.Len()) {
				s, err := c.list.Get(i)
				if err != nil {
					t.Fatal(err)
				}
				switch s {
				case Invalid:
					invalid++
				case Valid:
				default:
					t.Fatalf("entry %d is %v", i, s)
				}
			}
			if invalid != c.revoked*per {
				t.Errorf("full=%v bits=%d: %d entries revoked, want %d", full, bits, invalid, c.revoked*per)
			}
		}
	}
}

// BenchmarkCopiesCacheMemory is the memory an offline verifier's [Cache]
// needs per Status List of the issuer's default size: it adds 4 signed
// CWT Status List Tokens of 1 % revoked batches (N=10) and reports the live
// heap per list after a GC (heap-bytes/list), against the list's raw size
// (raw-bytes/list). A Cache keeps lists decompressed, so a verifier holding
// all of an issuer's lists needs their raw size in memory, whatever their
// compressed size. time/op is adding (verifying and inflating) one token.
func BenchmarkCopiesCacheMemory(b *testing.B) {
	const lists = 4
	key := testKey(b, keys.ES256)
	for _, bits := range []int{1, 2} {
		b.Run(fmt.Sprintf("entries=1Mi/bits=%d", bits), func(b *testing.B) {
			c := buildCopiesList(b, bits, issuerListSize, entriesPerHolder(10), 0.01, false, copiesRand(200))
			p := testParams()
			tokens := make([][]byte, lists)
			uris := make([]string, lists)
			for i := range tokens {
				uris[i] = fmt.Sprintf("https://status.ikd.example.id/sl/%d", i)
				p.Subject = uris[i]
				var err error
				if tokens[i], err = SignCWT(rand.Reader, key, c.list, p); err != nil {
					b.Fatal(err)
				}
			}
			now := p.IssuedAt.Add(time.Minute)
			newCache := func() *Cache {
				cache, err := NewCache(CacheConfig{
					Keys: func(string) (*Verifier, error) { return &Verifier{Key: key.Public()}, nil },
					Now:  func() time.Time { return now },
				})
				if err != nil {
					b.Fatal(err)
				}
				return cache
			}
			var heap float64
			for b.Loop() {
				b.StopTimer()
				cache := newCache()
				var before, after runtime.MemStats
				runtime.GC() // twice: sync.Pool victims go on the second
				runtime.GC()
				runtime.ReadMemStats(&before)
				b.StartTimer()
				for i, tok := range tokens {
					if err := cache.Add(uris[i], tok); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				runtime.GC()
				runtime.GC()
				runtime.ReadMemStats(&after)
				heap = float64(after.HeapAlloc-before.HeapAlloc) / lists
				runtime.KeepAlive(cache)
				b.StartTimer()
			}
			runtime.KeepAlive(c)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*lists), "ns/list")
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(heap, "heap-bytes/list")
			b.ReportMetric(float64(issuerListSize*bits/8), "raw-bytes/list")
		})
	}
}

// BenchmarkCopiesAllocateNearlyFull is the cost of one [Allocator.Allocate]
// in a list that is 90 % or 99 % allocated (uniformly at random), at the
// issuer's default size and at 16 Mi entries: past about 90 %, most random
// probes hit used indices and the Allocator falls back to a scan of its
// bitmap, whose length grows with the list. It prices larger lists, which
// widen the anonymity set (docs/status-lists.md).
func BenchmarkCopiesAllocateNearlyFull(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"1Mi", issuerListSize}, {"16Mi", 16 << 20}} {
		for _, fill := range []float64{0.90, 0.99} {
			b.Run(fmt.Sprintf("entries=%s/allocated=%.0f%%", size.name, fill*100), func(b *testing.B) {
				// All allocated, then exactly (1-fill) of the indices
				// freed at random.
				r := mrand.New(mrand.NewPCG(uint64(size.n), uint64(fill*100)))
				bitmap := bytes.Repeat([]byte{0xff}, size.n/8)
				for free := int(math.Round((1 - fill) * float64(size.n))); free > 0; {
					i := r.IntN(size.n)
					if bitmap[i/8]&(1<<(i%8)) != 0 {
						bitmap[i/8] &^= 1 << (i % 8)
						free--
					}
				}
				a, err := UnmarshalAllocator(size.n, bitmap, copiesRand(300))
				if err != nil {
					b.Fatal(err)
				}
				// Each Allocate takes one more index; a few thousand leave
				// the fill where it was.
				for b.Loop() {
					if _, err := a.Allocate(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
