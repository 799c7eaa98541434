package issuer

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"testing"
	"time"
)

// esFloor measures bare ES256 signing (SHA-256 + ECDSA P-256) of a
// KTP-el-sized message with key: wall and CPU time per signature, in ns.
func esFloor(key crypto.Signer, n int) (wall, cpu float64) {
	msg := make([]byte, 2500)
	c0, _ := cpuTime()
	start := time.Now()
	for range n {
		d := sha256.Sum256(msg)
		if _, err := key.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
			panic(err)
		}
	}
	wall = float64(time.Since(start).Nanoseconds()) / float64(n)
	c1, _ := cpuTime()
	return wall, float64((c1 - c0).Nanoseconds()) / float64(n)
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
// format, and reports credentials/s per core and the ratio of the time per
// credential to bare ES256 signing measured in the same run.
func BenchmarkIssueKTPEL(b *testing.B) {
	for _, f := range []Format{FormatSDJWT, FormatMdoc} {
		b.Run(string(f), func(b *testing.B) {
			e := newEnv(b, func(c *Config) { c.StatusList.Size = 1 << 22 })
			a := e.activate(newDevice(b))
			const batch = 100
			reqs := make([]IssueRequest, batch)
			for i := range reqs {
				reqs[i] = IssueRequest{BindingID: a.Binding.ID, Document: mustKTPEL(), Formats: []Format{f}}
			}
			floor, floorCPU := esFloor(e.key, 2000)
			var spec sdFloorWork
			var specWall, specCPU float64
			if f == FormatSDJWT {
				cs, err := e.iss.Issue(e.ctx, "bench", reqs[0])
				if err != nil {
					b.Fatal(err)
				}
				spec = sdFloorOf(string(cs[0].Data))
				specWall, specCPU = sdFloor(e.key, spec, 2000)
			}
			b.ResetTimer()
			c0, haveCPU := cpuTime()
			n := 0
			for b.Loop() {
				if _, err := e.iss.IssueBatch(e.ctx, "bench", reqs); err != nil {
					b.Fatal(err)
				}
				n += batch
			}
			c1, _ := cpuTime()
			perCred := float64(b.Elapsed().Nanoseconds()) / float64(n)
			b.ReportMetric(perCred, "ns/credential")
			b.ReportMetric(1e9/perCred, "credentials/s")
			b.ReportMetric(perCred/floor, "x-ES256-floor")
			if haveCPU {
				// CPU time (user + system, every goroutine: GC and the
				// SQLite driver included, waiting for fsync not) is what
				// "per core" means; it is steadier than wall time on a
				// shared machine.
				cpu := float64((c1 - c0).Nanoseconds()) / float64(n)
				b.ReportMetric(1e9/cpu, "credentials/cpu-s")
				b.ReportMetric(cpu/floorCPU, "x-ES256-floor-cpu")
			}
			if f == FormatSDJWT {
				// The least RFC 9901 lets any implementation do for this
				// very credential (see sdFloor), against bare ES256.
				b.ReportMetric(float64(len(spec.disclosures)), "disclosures")
				b.ReportMetric(specWall/floor, "rfc9901-floor-x-ES256")
				if haveCPU {
					b.ReportMetric(specCPU/floorCPU, "rfc9901-floor-x-ES256-cpu")
					b.ReportMetric(float64((c1-c0).Nanoseconds())/float64(n)/specCPU, "x-rfc9901-floor-cpu")
				}
			}
		})
	}
}
