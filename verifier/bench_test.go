package verifier

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
)

// benchPool makes n QR texts with mk and verifies them in turn; the replay
// cache is reset (outside the timer) when the pool wraps around.
func benchPool(b *testing.B, f *fixture, n int, mk func() string) {
	pool := make([]string, n)
	for i := range pool {
		pool[i] = mk()
	}
	v := f.verifier(b, nil)
	f.clock.Set(t0)
	if _, err := v.VerifyQR(ctx, pool[0]); err != nil {
		b.Fatal(err)
	}
	v.replay, _ = NewMemoryReplayStore(DefaultReplayCacheSize)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % n
		if j == 0 && i > 0 {
			b.StopTimer()
			v.replay, _ = NewMemoryReplayStore(DefaultReplayCacheSize)
			b.StartTimer()
		}
		if _, err := v.VerifyQR(ctx, pool[j]); err != nil {
			b.Fatal(err)
		}
	}
}

// floor measures n bare ECDSA P-256 verifications of a SHA-256 digest: the
// signature work a verification cannot avoid (SD-JWT QR: issuer JWT and
// KB-JWT; mdoc QR: DS certificate, issuerAuth and deviceSignature).
func floor(b *testing.B, n int) {
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
	for i := 0; i < b.N; i++ {
		for j := 0; j < n; j++ {
			h := sha256.Sum256(msg)
			if !ecdsa.VerifyASN1(&k.PublicKey, h[:], sig) {
				b.Fatal("verify failed")
			}
		}
	}
}

// BenchmarkVerifyQR measures full verification of the KTP-el QR (the QR
// profile credential, identity group disclosed) in both formats, envelope
// decoding included, next to the bare signature floor of the same run.
// Target: within 1.5x of the floor.
func BenchmarkVerifyQR(b *testing.B) {
	f := newFixture(b)
	b.Run("floor-2-sig", func(b *testing.B) { floor(b, 2) })
	b.Run("sdjwt", func(b *testing.B) {
		o := f.ktpOpts()
		o.claims = f.ktp.QRSDJWTClaims(t0.Add(-24 * time.Hour))
		o.sd = disclosable(credential.QRType(), o.claims)
		u := f.issueSDJWT(b, o)
		benchPool(b, f, 512, func() string {
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
	b.Run("floor-3-sig", func(b *testing.B) { floor(b, 3) })
	b.Run("mdoc", func(b *testing.B) {
		c := f.profileMdoc(b)
		benchPool(b, f, 512, func() string {
			return f.qrMdoc(b, c, nil)
		})
	})
}
