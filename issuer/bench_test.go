package issuer

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
)

// esFloor signs n times with key the way bare ES256 signing does:
// SHA-256 of a KTP-el-sized message, then ECDSA P-256.
func esFloor(key crypto.Signer, n int) {
	msg := make([]byte, 2500)
	for range n {
		d := sha256.Sum256(msg)
		if _, err := key.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
			panic(err)
		}
	}
}

// BenchmarkES256Sign is the signing floor on its own.
func BenchmarkES256Sign(b *testing.B) {
	e := newEnv(b)
	msg := make([]byte, 2500)
	for b.Loop() {
		d := sha256.Sum256(msg)
		if _, err := e.key.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIssueKTPEL measures issuance throughput through IssueBatch
// (batches of 100, one SQLite transaction each, synchronous=FULL), per
// format, and reports credentials/s, credentials per CPU-second (per core),
// and the ratio of the time per credential to bare ES256 signing. The
// floors are measured in the same run, interleaved with the batches (a few
// signatures after every batch, timer stopped), so a change of machine load
// moves both sides of each ratio alike. For SD-JWT VC it also measures the
// RFC 9901 lower bound for the very token issued (sdFloor) and reports it
// against ES256 (rfc9901-floor-x-ES256) and the issuance against it.
//
// dc+sd-jwt/store=Postgres does the same into PostgreSQL (skipped unless
// IKDKIT_TEST_POSTGRES_DSN is set); its CPU time is this process's only,
// not the server's.
func BenchmarkIssueKTPEL(b *testing.B) {
	for _, f := range []credential.Format{credential.FormatSDJWT, credential.FormatMdoc} {
		b.Run(string(f), func(b *testing.B) { benchIssueKTPEL(b, sqliteBackend, f) })
	}
	b.Run(string(credential.FormatSDJWT)+"/store="+string(postgresBackend), func(b *testing.B) {
		benchIssueKTPEL(b, postgresBackend, credential.FormatSDJWT)
	})
}

// benchIssueKTPEL is BenchmarkIssueKTPEL for format f on store be.
func benchIssueKTPEL(b *testing.B, be backend, f credential.Format) {
	e := newEnvOn(b, be, func(c *Config) { c.StatusList.Size = 1 << 22 })
	a := e.activate(newDevice(b))
	const batch, floorRuns = 100, 20
	reqs := make([]IssueRequest, batch)
	for i := range reqs {
		reqs[i] = IssueRequest{BindingID: a.Binding.ID, Document: mustKTPEL(), Formats: []credential.Format{f}}
	}
	var spec sdFloorWork
	if f == credential.FormatSDJWT {
		cs, err := e.iss.Issue(e.ctx, "bench", reqs[0])
		if err != nil {
			b.Fatal(err)
		}
		spec = sdFloorOf(string(cs[0].Data))
	}
	var es, rfc, iss phase
	start := time.Now()
	for b.Loop() {
		b.StopTimer()
		e.clock.Follow(start)
		es.add(floorRuns, func() { esFloor(e.key, floorRuns) })
		if f == credential.FormatSDJWT {
			rfc.add(floorRuns, func() { sdFloor(e.key, spec, floorRuns) })
		}
		b.StartTimer()
		iss.add(batch, func() {
			if _, err := e.iss.IssueBatch(e.ctx, "bench", reqs); err != nil {
				b.Fatal(err)
			}
		})
	}
	b.ReportMetric(iss.wall(), "ns/credential")
	b.ReportMetric(1e9/iss.wall(), "credentials/s")
	b.ReportMetric(iss.wall()/es.wall(), "x-ES256-floor")
	if iss.haveCPU {
		// CPU time (user + system, every goroutine: GC and the
		// SQLite driver included, waiting for fsync not) is what
		// "per core" means; it is steadier than wall time on a
		// shared machine.
		b.ReportMetric(1e9/iss.cpuPer(), "credentials/cpu-s")
		b.ReportMetric(iss.cpuPer()/es.cpuPer(), "x-ES256-floor-cpu")
	}
	if f == credential.FormatSDJWT {
		// The least RFC 9901 lets any implementation do for this
		// very credential (see sdFloor), against bare ES256.
		b.ReportMetric(float64(len(spec.disclosures)), "disclosures")
		b.ReportMetric(rfc.wall()/es.wall(), "rfc9901-floor-x-ES256")
		if iss.haveCPU {
			b.ReportMetric(rfc.cpuPer()/es.cpuPer(), "rfc9901-floor-x-ES256-cpu")
			b.ReportMetric(iss.cpuPer()/rfc.cpuPer(), "x-rfc9901-floor-cpu")
		}
	}
}

// phase accumulates the wall and CPU time of repeated runs of one kind of
// work.
type phase struct {
	n       int
	wallNS  time.Duration
	cpuNS   time.Duration
	haveCPU bool
}

// add runs fn, which does n units of work, and adds its times.
func (p *phase) add(n int, fn func()) {
	c0, ok := cpuTime()
	start := time.Now()
	fn()
	p.wallNS += time.Since(start)
	c1, _ := cpuTime()
	p.cpuNS += c1 - c0
	p.n += n
	p.haveCPU = ok
}

func (p *phase) wall() float64   { return float64(p.wallNS) / float64(p.n) }
func (p *phase) cpuPer() float64 { return float64(p.cpuNS) / float64(p.n) }

// BenchmarkIssueBatchAllocs is IssueBatch of 100 KTP-el SD-JWT VCs (the
// batches of BenchmarkIssueKTPEL) with the bytes and objects it allocates
// per batch reported, without the floors.
func BenchmarkIssueBatchAllocs(b *testing.B) {
	e := newEnv(b, func(c *Config) { c.StatusList.Size = 1 << 22 })
	a := e.activate(newDevice(b))
	reqs := make([]IssueRequest, 100)
	for i := range reqs {
		reqs[i] = IssueRequest{BindingID: a.Binding.ID, Document: mustKTPEL(), Formats: []credential.Format{credential.FormatSDJWT}}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.iss.IssueBatch(e.ctx, "bench", reqs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIssueCopies is IssueBatch of 100 KTP-el SD-JWT VCs as wallets
// receive them: 10 documents, 10 one-time copies of each
// (credential.TypeInfo.Copies), with the CPU time per credential and the
// allocations per batch.
func BenchmarkIssueCopies(b *testing.B) {
	e := newEnv(b, func(c *Config) { c.StatusList.Size = 1 << 22 })
	a := e.activate(newDevice(b))
	const documents, copies = 10, 10
	var reqs []IssueRequest
	for range documents {
		doc := mustKTPEL()
		for range copies {
			reqs = append(reqs, IssueRequest{BindingID: a.Binding.ID, Document: doc, Formats: []credential.Format{credential.FormatSDJWT}})
		}
	}
	b.ReportAllocs()
	var iss phase
	start := time.Now()
	for b.Loop() {
		e.clock.Follow(start)
		iss.add(len(reqs), func() {
			if _, err := e.iss.IssueBatch(e.ctx, "bench", reqs); err != nil {
				b.Fatal(err)
			}
		})
	}
	if iss.haveCPU {
		b.ReportMetric(iss.cpuPer(), "cpu-ns/credential")
	}
}
