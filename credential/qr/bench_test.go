package qr

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"testing"
	"time"
)

// Speed (issue 12, docs/qr-format.md §8.1): what encoding a QR costs next
// to the one bare signature it needs, measured in the same run, so the
// ratios are comparable across machines. (Full QR verification is package
// verifier's BenchmarkVerifyQR.)

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

// BenchmarkQREncode: what the holder's phone does per QR — bind, make the
// presentation (one ES256 signature: KB-JWT or deviceSignature), pack the
// envelope and choose base45 or byte mode — for an identity check from the
// QR profile. x-sign-floor is the time over one bare ES256 signature.
func BenchmarkQREncode(b *testing.B) {
	f := newFixture(b)
	sd, md := f.profileSDJWT(b, true), f.profileMdoc(b, true)
	idp, idm := identityCheck()
	for _, format := range []string{"sdjwt", "mdoc"} {
		b.Run(format, func(b *testing.B) {
			floor := signFloor(f.holderKey, 2000)
			b.ResetTimer()
			for b.Loop() {
				bind, err := NewBinding(testAudience, testNow, nil)
				if err != nil {
					b.Fatal(err)
				}
				var p Presentation
				if format == "sdjwt" {
					p, err = PresentSDJWT(sd, idp, bind, f.holderKey, nil)
				} else {
					p, err = PresentMdoc(md, idm, bind, f.holderKey, nil)
				}
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Encode(Envelope{Presentations: []Presentation{p}}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/floor, "x-sign-floor")
		})
	}
}
