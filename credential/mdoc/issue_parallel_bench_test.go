package mdoc

import (
	"crypto"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"testing"
	"time"
)

// BenchmarkIssueParallel issues the KTP-el mdoc (the ktpElements name
// space with its portrait, status reference, ES256 DS key) from GOMAXPROCS
// goroutines sharing one Issuer, next to bare ES256 signing (SHA-256 of an
// MSO-sized message and one ECDSA P-256 signature) run the same way. At
// -cpu 1 the ratio Issue/FloorES256Sign is the issuance-to-signing ratio of
// issue 12 (target 1.5x); -cpu 1,2 shows the scaling of an issuer's
// signing service. Issuer holds no state between calls.
func BenchmarkIssueParallel(b *testing.B) {
	pki := newPKI(b)
	device := newECKey(b, elliptic.P256())
	iss := &Issuer{Signer: pki.dsKey, Chain: []*x509.Certificate{pki.ds}, Now: func() time.Time { return testNow }}
	req := IssueRequest{
		DocType:    ktpDocType,
		NameSpaces: ktpElements(),
		DeviceKey:  device.Public(),
		ValidUntil: testNow.AddDate(0, 0, 30),
		Status:     &StatusReference{Index: 42, URI: "https://status.example.id/ktp/1"},
	}
	if _, err := iss.Issue(req); err != nil {
		b.Fatal(err)
	}
	b.Run("Issue", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := iss.Issue(req); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	msg := make([]byte, 1500)
	b.Run("FloorES256Sign", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				d := sha256.Sum256(msg)
				if _, err := pki.dsKey.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
