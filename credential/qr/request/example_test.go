package request_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr/request"
)

// A verifier signs a request QR; the wallet verifies it against its trust
// list, shows who is asking and for what, and refuses a verifier asking
// for more than its registration allows: a claim it is not registered
// for, or a credential type it is not registered for, even with no claims.
func ExampleVerify() {
	// The verifier's registered key (in practice an HSM-backed crypto.Signer).
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	registered := request.StaticVerifiers(request.RegisteredVerifier{
		ID: "https://kasir.tokobuku.co.id", Name: "Toko Buku Contoh", KeyID: "k1", Key: key.Public(),
		Claims: map[string][]string{credential.VCTQR: {credential.QRClaimAgeOver18}},
	})

	ask := func(vct string, claims ...string) []byte {
		q := request.CredentialQuery{ID: "ktp", Format: credential.FormatSDJWT, VCTValues: []string{vct}}
		for _, c := range claims {
			q.Claims = append(q.Claims, request.ClaimQuery{Path: []any{c}})
		}
		code, err := request.Encode(request.Request{
			Verifier: "https://kasir.tokobuku.co.id",
			Nonce:    []byte("fresh-nonce-1234"),
			IssuedAt: now, Expires: now.Add(2 * time.Minute),
			Query: request.Query{Credentials: []request.CredentialQuery{q}},
		}, request.SignOptions{Signer: key, KeyID: "k1"})
		if err != nil {
			panic(err)
		}
		return code.Data
	}

	// Wallet side.
	opts := request.Options{Verifiers: registered, Now: func() time.Time { return now.Add(10 * time.Second) }}
	vr, err := request.Verify(ask(credential.VCTQR, credential.QRClaimAgeOver18), opts)
	if err != nil {
		panic(err)
	}
	fmt.Println(vr.Verifier().Name, "asks for", vr.Request().Query.Credentials[0].SDJWTPaths())
	fmt.Println("respond to", vr.Binding(now).Audience)

	_, err = request.Verify(ask(credential.VCTQR, credential.QRClaimID), opts)
	fmt.Println("another claim:", errors.Is(err, request.ErrNotAllowed))
	_, err = request.Verify(ask(credential.VCTNPWP), opts) // no claims
	fmt.Println("another type:", errors.Is(err, request.ErrNotAllowed))
	opts.Verifiers = request.StaticVerifiers() // an empty trust list
	_, err = request.Verify(ask(credential.VCTQR, credential.QRClaimAgeOver18), opts)
	fmt.Println("unregistered:", errors.Is(err, request.ErrUnregisteredVerifier))
	// Output:
	// Toko Buku Contoh asks for [["age_over_18"]]
	// respond to https://kasir.tokobuku.co.id
	// another claim: true
	// another type: true
	// unregistered: true
}
