package request

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"testing"
	"time"
)

// Speed (issue 12, docs/qr-format.md §8.1): verifying a request QR within
// 1.5× of the one bare signature verification it needs, decoding included.
// The floors are measured in the same run, so the ratios are comparable
// across machines.

const benchMsgSize = 1500 // about the signed content of a QR presentation

// signFloor is bare ES256 signing (SHA-256 + ECDSA P-256) in ns.
func signFloor(key crypto.Signer, n int) float64 {
	msg := make([]byte, benchMsgSize)
	start := time.Now()
	for range n {
		d := sha256.Sum256(msg)
		if _, err := key.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
			panic(err)
		}
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

// verifyFloor is one bare ES256 verification (SHA-256 + ECDSA P-256) in ns.
func verifyFloor(key *ecdsa.PrivateKey, n int) float64 {
	msg := make([]byte, benchMsgSize)
	d := sha256.Sum256(msg)
	sig, err := ecdsa.SignASN1(rand.Reader, key, d[:])
	if err != nil {
		panic(err)
	}
	start := time.Now()
	for range n {
		d := sha256.Sum256(msg)
		if !ecdsa.VerifyASN1(&key.PublicKey, d[:], sig) {
			panic("floor signature does not verify")
		}
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

// BenchmarkRequest: the verifier signing a request QR and the wallet
// verifying it (one ES256 verification).
func BenchmarkRequest(b *testing.B) {
	key := testVerifierKey(b)
	c, err := Encode(sampleRequest(), SignOptions{Signer: key, KeyID: testVerifierKID})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		floor := signFloor(key, 2000)
		b.ResetTimer()
		for b.Loop() {
			if _, err := Encode(sampleRequest(), SignOptions{Signer: key, KeyID: testVerifierKID}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/floor, "x-sign-floor")
	})
	b.Run("verify", func(b *testing.B) {
		opts := requestOptions(key.Public())
		floor := verifyFloor(key, 2000)
		b.ResetTimer()
		for b.Loop() {
			if _, err := Verify(c.Data, opts); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/floor, "x-verify-floor")
	})
}
