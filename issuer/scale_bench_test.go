package issuer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
)

// BenchmarkScale is the unit cost of national-scale issuance on each
// store (docs/scale.md): KTP-el SD-JWT VCs issued as IssueBatch issues
// them — batches of 100 in one transaction, each signed (ES256), recorded
// with its status index and its audit event, durably committed — into
// SQLite and PostgreSQL (the latter when IKDKIT_TEST_POSTGRES_DSN is set).
// Reported per credential: wall time and credentials/s over all cores,
// CPU time of this process (the PostgreSQL server's own CPU is not in it),
// and bytes the database grew by. publish-ms is the time to make the
// Status List Token of the fullest list once the batches are in (read
// its indices, build and compress the list, sign it).
//
// The national figures come from one run of 10^6 credentials per store:
//
//	go test -run '^$' -bench BenchmarkScale -benchtime 10000x ./issuer   # 10^4 batches of 100
func BenchmarkScale(b *testing.B) {
	for _, be := range []backend{sqliteBackend, postgresBackend} {
		b.Run("store="+string(be), func(b *testing.B) {
			// Lists of the production size: publication is measured on
			// a list as full as 10^6 credentials make it.
			e := newEnvOn(b, be, func(c *Config) { c.StatusList.Size = DefaultStatusListSize })
			a := e.activate(newDevice(b))
			const batch = 100
			reqs := make([]IssueRequest, batch)
			for i := range reqs {
				reqs[i] = IssueRequest{BindingID: a.Binding.ID, Document: mustKTPEL(), Formats: []credential.Format{credential.FormatSDJWT}}
			}
			before := e.dbBytes(b)
			var iss phase
			n := 0
			start := time.Now()
			for b.Loop() {
				e.clock.Follow(start)
				iss.add(batch, func() {
					if _, err := e.iss.IssueBatch(e.ctx, "bench", reqs); err != nil {
						b.Fatal(err)
					}
				})
				n += batch
			}
			b.StopTimer()
			grown := e.dbBytes(b) - before
			lists, err := e.iss.StatusLists(e.ctx)
			if err != nil || len(lists) == 0 {
				b.Fatal(lists, err)
			}
			pubStart := time.Now()
			if _, err := e.iss.StatusListToken(e.ctx, lists[len(lists)-1].Number); err != nil {
				b.Fatal(err)
			}
			publish := time.Since(pubStart)
			b.ReportMetric(iss.wall(), "ns/credential")
			b.ReportMetric(1e9/iss.wall(), "credentials/s")
			if iss.haveCPU {
				b.ReportMetric(iss.cpuPer(), "cpu-ns/credential")
			}
			b.ReportMetric(float64(grown)/float64(n), "bytes/credential")
			b.ReportMetric(float64(publish.Microseconds())/1000, "publish-ms")
			b.ReportMetric(float64(len(lists)), "lists")
		})
	}
}

// dbBytes is the size of the store on disk: the SQLite file and its WAL,
// or the PostgreSQL database (pg_database_size).
func (e *env) dbBytes(b *testing.B) int64 {
	b.Helper()
	if e.pg != nil {
		var n int64
		if err := e.queryRow(`SELECT pg_database_size(current_database())`).Scan(&n); err != nil {
			b.Fatal(err)
		}
		return n
	}
	var total int64
	matches, _ := filepath.Glob(e.path + "*")
	for _, m := range matches {
		if strings.HasSuffix(m, "-shm") {
			continue
		}
		if fi, err := os.Stat(m); err == nil {
			total += fi.Size()
		}
	}
	return total
}

// BenchmarkScaleInstances: several issuer instances (each an Issuer on its
// own store connection, as separate processes would be) issue batches of
// 100 concurrently into one database. Every transaction appends to the
// one gapless audit sequence and draws from the same status lists, so
// this measures what the shared state costs: credentials/s over all
// instances against one instance on the same machine.
func BenchmarkScaleInstances(b *testing.B) {
	for _, be := range []backend{sqliteBackend, postgresBackend} {
		for _, n := range []int{1, 2, 4} {
			b.Run(fmt.Sprintf("store=%s/instances=%d", be, n), func(b *testing.B) {
				e := newEnvOn(b, be, func(c *Config) { c.StatusList.Size = DefaultStatusListSize })
				a := e.activate(newDevice(b))
				const batch = 100
				reqs := make([]IssueRequest, batch)
				for i := range reqs {
					reqs[i] = IssueRequest{BindingID: a.Binding.ID, Document: mustKTPEL(), Formats: []credential.Format{credential.FormatSDJWT}}
				}
				insts := make([]*Issuer, n)
				for i := range insts {
					insts[i] = e.process()
				}
				var next atomic.Int64
				b.ResetTimer()
				start := time.Now()
				var wg sync.WaitGroup
				for _, iss := range insts {
					wg.Go(func() {
						for next.Add(1) <= int64(b.N) {
							e.clock.Follow(start)
							if _, err := iss.IssueBatch(e.ctx, "bench", reqs); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				el := time.Since(start)
				b.ReportMetric(float64(b.N*batch)/el.Seconds(), "credentials/s")
			})
		}
	}
}
