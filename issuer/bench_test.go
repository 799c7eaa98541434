package issuer

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"testing"
	"time"
)

// esFloor measures bare ES256 signing (SHA-256 + ECDSA P-256) of a
// KTP-el-sized message with key, in ns per signature.
func esFloor(key crypto.Signer, n int) float64 {
	msg := make([]byte, 2500)
	start := time.Now()
	for range n {
		d := sha256.Sum256(msg)
		if _, err := key.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
			panic(err)
		}
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
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
			floor := esFloor(e.key, 2000)
			b.ResetTimer()
			n := 0
			for b.Loop() {
				if _, err := e.iss.IssueBatch(e.ctx, "bench", reqs); err != nil {
					b.Fatal(err)
				}
				n += batch
			}
			perCred := float64(b.Elapsed().Nanoseconds()) / float64(n)
			b.ReportMetric(perCred, "ns/credential")
			b.ReportMetric(1e9/perCred, "credentials/s")
			b.ReportMetric(perCred/floor, "x-ES256-floor")
		})
	}
}
