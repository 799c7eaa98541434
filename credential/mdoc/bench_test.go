package mdoc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"testing"
)

// BenchmarkVerifyDeviceResponse verifies a KTP-el-sized presentation (6
// elements disclosed, 2-certificate chain, deviceSignature) and, in the
// same run, the bare ECDSA P-256 work Verify cannot avoid: the issuer
// signature, the device signature and the DS certificate signature.
func BenchmarkVerifyDeviceResponse(b *testing.B) {
	pki := newPKI(b)
	device := newECKey(b, elliptic.P256())
	cred := issueKTP(b, pki, device.Public())
	req := map[string][]string{ktpDocType: {"name", "birth_date", "personal_administrative_number", "sex", "age_over_18", "portrait"}}
	resp, err := Present(cred, req, PresentOptions{SessionTranscript: testTranscript, DeviceKey: device})
	if err != nil {
		b.Fatal(err)
	}
	opts := verifyOpts(pki)
	b.Run("Verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			got, err := Verify(resp, opts)
			if err != nil || len(got.Documents[0].NameSpaces[ktpDocType]) != 6 {
				b.Fatal(err)
			}
		}
	})
	b.Run("BareECDSAx3", func(b *testing.B) {
		key := newECKey(b, elliptic.P256())
		msg := sha256.Sum256([]byte("message"))
		sig, _ := ecdsa.SignASN1(rand.Reader, key, msg[:])
		b.ReportAllocs()
		for b.Loop() {
			for range 3 {
				if !ecdsa.VerifyASN1(&key.PublicKey, msg[:], sig) {
					b.Fatal("verify")
				}
			}
		}
	})
}
