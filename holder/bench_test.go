package holder

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ikdkit/ikdkit/credential"
)

// BenchmarkUnlock measures one Unlock with DefaultKDF (Argon2id t=3,
// m=64 MiB, p=4): the cost a user waits for and an offline attacker pays
// per PIN guess (without a PlatformKey).
func BenchmarkUnlock(b *testing.B) {
	ctx := context.Background()
	dir := filepath.Join(b.TempDir(), "wallet")
	w, err := Create(ctx, dir, testPIN, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	b.ResetTimer()
	for b.Loop() {
		w.Lock()
		if err := w.Unlock(ctx, testPIN); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPresent measures a whole presentation: choosing the
// disclosures, the consent callback, the KB-JWT or deviceSignature, the
// QR payload (qr.Encode) and the activity entry.
func BenchmarkPresent(b *testing.B) {
	f := activated(b)
	cases := map[string]*Request{
		"KTP-el SD-JWT name+NIK": {Verifier: hospital, Items: []RequestItem{{Type: credential.VCTKTPEL, Claims: []string{"name", "personal_administrative_number"}}}},
		"KTP-el mdoc name+NIK":   {Verifier: hospital, Items: []RequestItem{{Type: credential.KTPELType().DocType, Claims: []string{"name", "personal_administrative_number"}}}},
		"KTP-el + BPJS SD-JWT": {Verifier: hospital, Items: []RequestItem{
			{Type: credential.VCTKTPEL, Claims: []string{"name"}},
			{Type: credential.BPJSKesehatanType().VCT, Claims: []string{"card_number"}}}},
	}
	for name, req := range cases {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := f.w.Present(f.ctx, req, PresentOptions{Consent: yes(nil)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDefaultKDF measures one Argon2id derivation with DefaultKDF
// alone: what an attacker holding a copy of a wallet file without a
// PlatformKey pays per PIN guess (Unlock adds the counted attempt's commit).
// Run it with -cpu 1 for the cost on one core.
func BenchmarkDefaultKDF(b *testing.B) {
	p := DefaultKDF()
	salt := make([]byte, saltSize)
	for b.Loop() {
		p.derive(testPIN, salt)
	}
}
