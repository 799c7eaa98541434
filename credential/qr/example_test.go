package qr_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr"
)

// A verifier tells a corrupted or foreign QR apart by the typed error.
func ExampleDecode_errors() {
	for _, payload := range []string{"HC1:6BFOXN", "IKP2:ABC", "IKP1:ABCD"} {
		_, err := qr.Decode([]byte(payload))
		var e *qr.Error
		fmt.Println(errors.As(err, &e), errors.Is(err, qr.ErrPrefix), errors.Is(err, qr.ErrVersion), errors.Is(err, qr.ErrTruncated))
	}
	// Output:
	// true true false false
	// true false true false
	// true false false true
}

// NewCode puts a payload held as text (here the start of a response QR's
// base45 text) into a QR code: alphanumeric mode, the smallest version at
// error correction level M.
func ExampleNewCode() {
	c, err := qr.NewCode([]byte("IKP1:" + strings.Repeat("6BFOXN", 150)))
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Mode, c.Version)
	// Output: alphanumeric 19
}

// A verifier signs a request QR; the wallet verifies it against its trust
// list, shows who is asking and for what, and refuses a verifier asking
// for more than its registration allows.
func ExampleVerifyRequest() {
	// The verifier's registered key (in practice an HSM-backed crypto.Signer).
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	registered := qr.StaticVerifiers(qr.RegisteredVerifier{
		ID: "https://kasir.tokobuku.co.id", Name: "Toko Buku Contoh", KeyID: "k1", Key: key.Public(),
		Claims: map[string][]string{credential.VCTQR: {credential.QRClaimAgeOver18}},
	})

	ask := func(claim string) []byte {
		code, err := qr.EncodeRequest(qr.Request{
			Verifier: "https://kasir.tokobuku.co.id",
			Nonce:    []byte("fresh-nonce-1234"),
			IssuedAt: now, Expires: now.Add(2 * time.Minute),
			Query: qr.Query{Credentials: []qr.CredentialQuery{{
				ID: "ktp", Format: qr.FormatSDJWT, VCTValues: []string{credential.VCTQR},
				Claims: []qr.ClaimQuery{{Path: []any{claim}}},
			}}},
		}, qr.RequestSignOptions{Signer: key, KeyID: "k1"})
		if err != nil {
			panic(err)
		}
		return code.Data
	}

	// Wallet side.
	opts := qr.RequestOptions{Verifiers: registered, Now: func() time.Time { return now.Add(10 * time.Second) }}
	vr, err := qr.VerifyRequest(ask(credential.QRClaimAgeOver18), opts)
	if err != nil {
		panic(err)
	}
	fmt.Println(vr.Verifier.Name, "asks for", vr.Request.Query.Credentials[0].SDJWTPaths())
	fmt.Println("respond to", vr.Binding(now).Audience)

	_, err = qr.VerifyRequest(ask(credential.QRClaimID), opts)
	fmt.Println(errors.Is(err, qr.ErrNotAllowed))
	opts.Verifiers = qr.StaticVerifiers() // an empty trust list
	_, err = qr.VerifyRequest(ask(credential.QRClaimAgeOver18), opts)
	fmt.Println(errors.Is(err, qr.ErrUnregisteredVerifier))
	// Output:
	// Toko Buku Contoh asks for [["age_over_18"]]
	// respond to https://kasir.tokobuku.co.id
	// true
	// true
}
