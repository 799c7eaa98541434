package sdjwt

import (
	"testing"

	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/keys"
)

// BenchmarkVerifyParallel runs BenchmarkVerifyPresentation's verification
// from GOMAXPROCS goroutines at once, next to the same two-signature floor
// run in parallel. Run with -cpu 1,2: ns/op is wall time per verification
// over all goroutines, so near-linear scaling shows as ns/op at -cpu 2 close
// to half of -cpu 1. Verify shares no lock or mutable state between calls
// (the options value and the keys are read-only), so the only shared cost is
// the garbage collector.
func BenchmarkVerifyParallel(b *testing.B) {
	f := newFixture(b)
	if _, err := VerifyVC(f.presentation, f.opts); err != nil {
		b.Fatal(err)
	}
	b.Run("Verify", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := VerifyVC(f.presentation, f.opts); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	u, _ := Parse(f.presentation)
	issuerJWS := u.p.jws
	kbJWS, _ := parseCompactJWS(u.KeyBindingJWT(), "kb", nil)
	b.Run("FloorTwoES256Verify", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if jose.VerifySignature(keys.ES256, &f.issuer.PublicKey, issuerJWS.SigningInput, issuerJWS.Signature, nil) != nil ||
					jose.VerifySignature(keys.ES256, &f.holder.PublicKey, kbJWS.SigningInput, kbJWS.Signature, nil) != nil {
					b.Error("verify failed")
					return
				}
			}
		})
	})
}
