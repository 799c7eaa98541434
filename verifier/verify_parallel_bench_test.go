package verifier

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
)

// BenchmarkVerifyQRParallel verifies distinct KTP-el QR codes (SD-JWT and
// mdoc) from GOMAXPROCS goroutines sharing one Verifier, as a bank's server
// would. Each iteration takes the next QR from a pool of b.N codes made
// before the timer starts (each QR is accepted once: the replay cache is
// live and shared). Run with -cpu 1,2: near-linear scaling shows as ns/op at
// -cpu 2 close to half of -cpu 1. The only shared mutable state is the
// replay cache (one short critical section per QR); the trust list,
// status cache and policy are read-only during verification.
func BenchmarkVerifyQRParallel(b *testing.B) {
	f := newFixture(b)
	run := func(b *testing.B, mk func() string) {
		pool := make([]string, b.N)
		for i := range pool {
			pool[i] = mk()
		}
		f.clock.Set(t0)
		v := f.verifier(b, nil)
		var next atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := next.Add(1) - 1
				if _, err := v.VerifyQR(ctx, pool[i]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.Run("sdjwt", func(b *testing.B) {
		o := f.ktpOpts()
		o.claims = f.ktp.QRSDJWTClaims(t0.Add(-24 * time.Hour))
		o.sd = disclosable(credential.QRType(), o.claims)
		u := f.issueSDJWT(b, o)
		run(b, func() string {
			bd, err := qr.NewBinding(audience, t0.Add(-5*time.Second), nil)
			if err != nil {
				b.Fatal(err)
			}
			p, err := qr.PresentSDJWT(u, []sdjwt.Path{{credential.QRClaimID}}, bd, f.holder, nil)
			if err != nil {
				b.Fatal(err)
			}
			c, err := qr.Encode(qr.Envelope{Presentations: []qr.Presentation{p}})
			if err != nil {
				b.Fatal(err)
			}
			return string(c.Data)
		})
	})
	b.Run("mdoc", func(b *testing.B) {
		c := f.profileMdoc(b)
		run(b, func() string { return f.qrMdoc(b, c, nil) })
	})
	b.Run("floor-2-sig", func(b *testing.B) { floorParallel(b, 2) })
}

// floorParallel is floor run from GOMAXPROCS goroutines: n bare ECDSA
// P-256 verifications of a SHA-256 digest per iteration.
func floorParallel(b *testing.B, n int) {
	k, err := ecdsa.GenerateKey(ecdsaCurve(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, 1500)
	d := sha256.Sum256(msg)
	sig, err := ecdsa.SignASN1(rand.Reader, k, d[:])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			for range n {
				h := sha256.Sum256(msg)
				if !ecdsa.VerifyASN1(&k.PublicKey, h[:], sig) {
					b.Error("verify failed")
					return
				}
			}
		}
	})
}
