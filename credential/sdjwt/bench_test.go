package sdjwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"github.com/ikdkit/ikdkit/internal/ecdsasig"
)

// BenchmarkVerifyPresentation verifies a KTP-el-like SD-JWT VC (20
// disclosable claims with a nested address, 6 disclosed, ES256 issuer and
// ES256 KB-JWT). Compare with BenchmarkFloorTwoES256Verify, the two bare
// signature verifications it cannot avoid; the target is within 1.3x.
//
// Measured (go1.26, 2-core amd64 shared with other jobs, -cpu 1, both
// benchmarks in one run, best of 5-12 runs): VerifyPresentation 147-180 µs
// and 316 allocs against FloorTwoES256Verify 115-132 µs, a ratio between
// 1.27x and 1.4x from run to run on this noisy machine. A CPU profile of
// VerifyPresentation alone is steadier: 81.5% of its time is in the two
// ecdsa.Verify calls (1.23x); the rest is strict JSON decoding of header,
// payload and 6 disclosures (about 10%), SHA-256 for the disclosure digests
// and sd_hash (4%), and disclosure processing (3%).
func BenchmarkVerifyPresentation(b *testing.B) {
	f := newFixture(b)
	if _, err := VerifyVC(f.presentation, f.opts); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(f.presentation)))
	for b.Loop() {
		if _, err := VerifyVC(f.presentation, f.opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorTwoES256Verify is the floor for BenchmarkVerifyPresentation:
// two ES256 verifications (SHA-256 of the signing inputs included) with keys
// parsed once.
func BenchmarkFloorTwoES256Verify(b *testing.B) {
	f := newFixture(b)
	u, _ := Parse(f.presentation)
	issuerJWS := u.p.jws
	kbJWS, _ := parseCompactJWS(u.KeyBindingJWT(), "kb", nil)
	// The signatures in the DER form crypto/ecdsa takes, converted once:
	// the floor is the hashing and the two curve operations alone.
	issuerSig := ecdsasig.AppendDER(nil, issuerJWS.Signature)
	kbSig := ecdsasig.AppendDER(nil, kbJWS.Signature)
	b.ReportAllocs()
	for b.Loop() {
		d1 := sha256.Sum256([]byte(issuerJWS.SigningInput))
		d2 := sha256.Sum256([]byte(kbJWS.SigningInput))
		if !ecdsa.VerifyASN1(&f.issuer.PublicKey, d1[:], issuerSig) ||
			!ecdsa.VerifyASN1(&f.holder.PublicKey, d2[:], kbSig) {
			b.Fatal("verify failed")
		}
	}
}

// BenchmarkIssue issues the KTP-el-like SD-JWT VC (20 disclosures, ES256).
func BenchmarkIssue(b *testing.B) {
	issuer, holder := testKeys(b)
	claims, sd := ktpClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := IssueVC(claims, IssueOptions{Signer: issuer, Disclosable: sd, HolderKey: &holder.PublicKey}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPresent selects 6 claims and signs the KB-JWT.
func BenchmarkPresent(b *testing.B) {
	f := newFixture(b)
	b.ReportAllocs()
	for b.Loop() {
		u, err := Parse(f.issued)
		if err != nil {
			b.Fatal(err)
		}
		sel, err := u.Select(P("nik"), P("nama"), P("tanggal_lahir"), P("jenis_kelamin"), P("alamat", "kab_kota"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sel.Present(KeyBindingOptions{Signer: f.holder, Audience: testAud, Nonce: testNonce, IssuedAt: ktpNow}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorES256Sign is the floor for BenchmarkIssue: one ES256
// signature over a KTP-el-sized signing input, through crypto.Signer,
// with crypto/rand as the randomness, as Issue signs when
// IssueOptions.Rand is nil. (With a nil reader crypto/ecdsa signs
// deterministically, RFC 6979, which is ~15 % cheaper on this machine
// but not the signature Issue makes.)
func BenchmarkFloorES256Sign(b *testing.B) {
	issuer, _ := testKeys(b)
	f := newFixture(b)
	u, _ := Parse(f.issued)
	input := []byte(u.p.jws.SigningInput)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := issuer.Sign(rand.Reader, digestOf(crypto.SHA256, input), crypto.SHA256); err != nil {
			b.Fatal(err)
		}
	}
}

// digestOf hashes data with h (a hash of _sd_alg).
func digestOf(h crypto.Hash, data []byte) []byte {
	return digestInto(h, nil, data)
}
