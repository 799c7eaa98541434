package sdjwt

import (
	"testing"
)

// BenchmarkVerifyPresentation verifies a KTP-el-like SD-JWT VC (20
// disclosable claims with a nested address, 6 disclosed, ES256 issuer and
// ES256 KB-JWT). Compare with BenchmarkFloorTwoES256Verify, the two bare
// signature verifications it cannot avoid; the target is within 1.3x.
//
// Measured (go1.26, 2-core amd64, -cpu 1, best of 12 runs of 400 ops each,
// both benchmarks in one run): VerifyPresentation 147 µs, 316 allocs;
// FloorTwoES256Verify 116 µs, 44 allocs: 1.27x. The rest is strict JSON
// decoding of header, payload and 6 disclosures, and the SHA-256 digests
// (the disclosures and sd_hash over the whole presentation).
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
	kbJWS, _ := parseCompactJWS(u.KeyBindingJWT(), "kb")
	b.ReportAllocs()
	for b.Loop() {
		if verifySignature(ES256, &f.issuer.PublicKey, issuerJWS.input, issuerJWS.signature) != nil ||
			verifySignature(ES256, &f.holder.PublicKey, kbJWS.input, kbJWS.signature) != nil {
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
