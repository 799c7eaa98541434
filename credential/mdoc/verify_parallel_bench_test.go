package mdoc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"testing"
)

// BenchmarkVerifyParallel runs BenchmarkVerifyDeviceResponse's Verify (6
// elements with a 12 kB portrait, 2-certificate chain, deviceSignature)
// from GOMAXPROCS goroutines, next to the three bare ECDSA verifications run
// the same way. Run with -cpu 1,2: near-linear scaling shows as ns/op at
// -cpu 2 close to half of -cpu 1. Verify takes no lock: the decoding modes
// are immutable and the roots pool is only read.
func BenchmarkVerifyParallel(b *testing.B) {
	pki := newPKI(b)
	device := newECKey(b, elliptic.P256())
	cred := issueKTP(b, pki, device.Public())
	req := map[string][]string{ktpDocType: {"name", "birth_date", "personal_administrative_number", "sex", "age_over_18", "portrait"}}
	resp, err := Present(cred, req, PresentOptions{SessionTranscript: testTranscript, DeviceKey: device})
	if err != nil {
		b.Fatal(err)
	}
	opts := verifyOpts(pki)
	if _, err := Verify(resp, opts); err != nil {
		b.Fatal(err)
	}
	b.Run("Verify", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := Verify(resp, opts); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	key := newECKey(b, elliptic.P256())
	msg := sha256.Sum256([]byte("message"))
	sig, _ := ecdsa.SignASN1(rand.Reader, key, msg[:])
	b.Run("BareECDSAx3", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				for range 3 {
					if !ecdsa.VerifyASN1(&key.PublicKey, msg[:], sig) {
						b.Error("verify")
						return
					}
				}
			}
		})
	})
}
