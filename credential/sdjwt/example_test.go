package sdjwt_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/ikdkit/ikdkit/credential/check"
	"io"
	"sort"
	"time"

	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/keys"
)

// exampleKey builds a fixed P-256 key from the RFC 9901 example settings.
// DO NOT hard-code private keys in real code: keep them in an HSM or the
// phone's keystore and pass a crypto.Signer.
func exampleKey(d string) *ecdsa.PrivateKey {
	raw, err := base64.RawURLEncoding.DecodeString(d)
	if err != nil {
		panic(err)
	}
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), raw)
	if err != nil {
		panic(err)
	}
	return k
}

var (
	issuerKey = exampleKey("Ur2bNKuBPOrAaxsRnbSH6hIhmNTxSGXshDSUD1a1y7g")
	holderKey = exampleKey("5K5SCos8zf9zRemGGUl6yfok-_NiiryNZsvANWMhF-I")
	now       = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
)

// hsmKey stands for a key held in hardware: only crypto.Signer is exposed.
type hsmKey struct{ k crypto.Signer }

func (h hsmKey) Public() crypto.PublicKey { return h.k.Public() }
func (h hsmKey) Sign(r io.Reader, digest []byte, o crypto.SignerOpts) ([]byte, error) {
	return h.k.Sign(r, digest, o)
}

// An issuer issues a KTP-el SD-JWT VC bound to the holder's key; the holder
// discloses three claims to a bank; the bank verifies offline.
func Example() {
	claims := map[string]any{
		"vct":           "https://ikd.example.go.id/vct/ktp-el",
		"iss":           "https://dukcapil.example.go.id",
		"iat":           now.Add(-24 * time.Hour).Unix(),
		"exp":           now.Add(365 * 24 * time.Hour).Unix(),
		"nik":           "3174015708950021",
		"nama":          "RINA KARTIKA SARI",
		"tanggal_lahir": "1995-08-17",
		"agama":         "ISLAM",
		"alamat":        map[string]any{"kecamatan": "TEBET", "kab_kota": "KOTA JAKARTA SELATAN"},
	}
	issued, err := sdjwt.IssueVC(claims, sdjwt.IssueOptions{
		Signer:    hsmKey{issuerKey}, // any crypto.Signer: an HSM, a KMS, a keystore
		KeyID:     "dukcapil-2026",
		HolderKey: holderKey.Public(),
		Disclosable: []sdjwt.Path{
			sdjwt.P("nik"), sdjwt.P("nama"), sdjwt.P("tanggal_lahir"), sdjwt.P("agama"),
			sdjwt.P("alamat"), sdjwt.P("alamat", "kecamatan"), sdjwt.P("alamat", "kab_kota"),
		},
	})
	if err != nil {
		panic(err)
	}

	// Holder: choose what to disclose and sign a Key Binding JWT.
	u, err := sdjwt.Parse(issued)
	if err != nil {
		panic(err)
	}
	sel, err := u.Select(sdjwt.P("nik"), sdjwt.P("nama"), sdjwt.P("alamat", "kab_kota"))
	if err != nil {
		panic(err)
	}
	presentation, err := sel.Present(sdjwt.KeyBindingOptions{
		Signer: hsmKey{holderKey}, Audience: "https://bank.example.co.id", Nonce: "8c1f2a", IssuedAt: now,
	})
	if err != nil {
		panic(err)
	}

	// Verifier: check everything, offline, with a fixed clock.
	v, err := sdjwt.VerifyVC(presentation, sdjwt.VerifyOptions{
		IssuerKey:        issuerKey.Public(),
		Algorithms:       []keys.Algorithm{keys.ES256},
		Now:              func() time.Time { return now.Add(10 * time.Second) },
		Audience:         "https://bank.example.co.id",
		Nonce:            "8c1f2a",
		KeyBindingMaxAge: 90 * time.Second,
	})
	if err != nil {
		panic(err)
	}
	c := v.Claims()
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "cnf" {
			continue
		}
		fmt.Printf("%s: %v\n", k, c[k])
	}
	// Output:
	// alamat: map[kab_kota:KOTA JAKARTA SELATAN]
	// exp: 1827046800
	// iat: 1795424400
	// iss: https://dukcapil.example.go.id
	// nama: RINA KARTIKA SARI
	// nik: 3174015708950021
	// vct: https://ikd.example.go.id/vct/ktp-el
}

// A verifier learns exactly which check failed: here the presentation was
// made for another verifier.
func ExampleVerify_errors() {
	issued, _ := sdjwt.Issue(map[string]any{"exp": now.Add(time.Hour).Unix(), "nik": "3174015708950021"},
		sdjwt.IssueOptions{Signer: issuerKey, HolderKey: holderKey.Public(), Disclosable: []sdjwt.Path{sdjwt.P("nik")}})
	u, _ := sdjwt.Parse(issued)
	presentation, _ := u.Present(sdjwt.KeyBindingOptions{
		Signer: holderKey, Audience: "https://other.example", Nonce: "n1", IssuedAt: now,
	})

	_, err := sdjwt.Verify(presentation, sdjwt.VerifyOptions{
		IssuerKey: issuerKey.Public(),
		Now:       func() time.Time { return now },
		Audience:  "https://bank.example.co.id",
		Nonce:     "n1",
	})
	var e *check.Error
	if errors.As(err, &e) {
		fmt.Println("failed check:", e.Check)
	}
	fmt.Println("wrong audience:", errors.Is(err, sdjwt.ErrAudience))
	fmt.Println("bad signature:", errors.Is(err, sdjwt.ErrSignature))
	// Output:
	// failed check: holder binding
	// wrong audience: true
	// bad signature: false
}
