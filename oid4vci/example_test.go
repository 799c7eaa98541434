package oid4vci_test

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// An issuer shows a Credential Offer as a link; the wallet reads it back.
func ExampleCredentialOffer_Link() {
	offer := &oid4vci.CredentialOffer{
		CredentialIssuer:           "https://dukcapil.example.go.id",
		CredentialConfigurationIDs: []string{"ktpel_sd_jwt"},
		Grants: &oid4vci.Grants{PreAuthorizedCode: &oid4vci.PreAuthorizedCodeGrant{
			PreAuthorizedCode: "Zt0mEbQx1yX4t6sO8fB9aA",
			TxCode:            &oid4vci.TxCode{InputMode: oid4vci.InputModeNumeric, Length: 6, Description: "PIN dari e-mail"},
		}},
	}
	link, err := offer.Link()
	if err != nil {
		panic(err)
	}
	fmt.Println(link)

	// The wallet, after scanning the QR code:
	got, uri, err := oid4vci.ParseOfferLink(link)
	if err != nil {
		panic(err)
	}
	g := got.Grants.PreAuthorizedCode
	fmt.Println(uri == "", got.CredentialIssuer, g.PreAuthorizedCode, g.TxCode.Length)

	// An offer by reference gives the URI to fetch it from.
	link, _ = oid4vci.OfferURILink("https://dukcapil.example.go.id/offers/3f9a")
	_, uri, _ = oid4vci.ParseOfferLink(link)
	fmt.Println(uri)
	// Output:
	// openid-credential-offer://?credential_offer=%7B%22credential_issuer%22%3A%22https%3A%2F%2Fdukcapil.example.go.id%22%2C%22credential_configuration_ids%22%3A%5B%22ktpel_sd_jwt%22%5D%2C%22grants%22%3A%7B%22urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code%22%3A%7B%22pre-authorized_code%22%3A%22Zt0mEbQx1yX4t6sO8fB9aA%22%2C%22tx_code%22%3A%7B%22input_mode%22%3A%22numeric%22%2C%22length%22%3A6%2C%22description%22%3A%22PIN%20dari%20e-mail%22%7D%7D%7D%7D
	// true https://dukcapil.example.go.id Zt0mEbQx1yX4t6sO8fB9aA 6
	// https://dukcapil.example.go.id/offers/3f9a
}

// The wallet proves possession of its device keys; the issuer checks the
// batch of proofs and learns which keys to bind the credentials to.
func ExampleVerifyProofs() {
	const issuer = "https://dukcapil.example.go.id"
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	nonce := "wKI4LT17ac15ES9bw8ac4" // from the nonce endpoint

	// Wallet: one proof per device key (any crypto.Signer: a keystore key).
	var proofs []string
	for range 2 {
		device, _ := keys.Generate(keys.ES256, nil)
		p, err := oid4vci.SignProof(nil, device, issuer, nonce, now)
		if err != nil {
			panic(err)
		}
		proofs = append(proofs, p)
	}

	// Issuer, at the credential endpoint.
	verified, err := oid4vci.VerifyProofs(proofs, oid4vci.ProofOptions{
		Audience: issuer, Now: now.Add(3 * time.Second), MaxAge: 5 * time.Minute, ClockSkew: 30 * time.Second, BatchSize: 4,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(verified), verified[0].Nonce() == nonce, verified[0].Thumbprint() != verified[1].Thumbprint())

	// A proof for another issuer is refused with invalid_proof.
	device, _ := keys.Generate(keys.ES256, nil)
	wrong, _ := oid4vci.SignProof(nil, device, "https://evil.example", nonce, now)
	_, err = oid4vci.VerifyProofs([]string{wrong}, oid4vci.ProofOptions{Audience: issuer, Now: now, MaxAge: 5 * time.Minute})
	fmt.Println(oid4vci.ProofErrorResponse(err).Code)
	// Output:
	// 2 true true
	// invalid_proof
}

// The wallet binds its access token to a DPoP key; the server checks the
// proof at the token endpoint, then at the credential endpoint with the
// token bound to that key.
func ExampleVerifyDPoPProof() {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	dpopKey, _ := keys.Generate(keys.ES256, nil)

	// Token request.
	proof, _ := oid4vci.NewDPoPProof(nil, dpopKey, "POST", "https://dukcapil.example.go.id/token", "", "", now)
	p, err := oid4vci.VerifyDPoPProof(proof, oid4vci.DPoPOptions{
		Method: "POST", URL: "https://dukcapil.example.go.id/token", Now: now, MaxAge: time.Minute,
	})
	if err != nil {
		panic(err)
	}
	jkt := p.JKT() // the access token is bound to this key (cnf.jkt)
	accessToken := "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"

	// Credential request: a new proof, with the token's hash.
	proof, _ = oid4vci.NewDPoPProof(nil, dpopKey, "POST", "https://dukcapil.example.go.id/credential", accessToken, "", now)
	opts := oid4vci.DPoPOptions{Method: "POST", URL: "https://dukcapil.example.go.id/credential", Now: now, MaxAge: time.Minute,
		AccessToken: accessToken, BoundKey: jkt}
	_, err = oid4vci.VerifyDPoPProof(proof, opts)
	fmt.Println(err == nil)

	// The same proof replayed at another endpoint fails the htu check.
	opts.URL = "https://dukcapil.example.go.id/notification"
	_, err = oid4vci.VerifyDPoPProof(proof, opts)
	var de *oid4vci.DPoPError
	fmt.Println(errors.As(err, &de), de.Check)

	// What the credential endpoint answers.
	rec := httptest.NewRecorder()
	oid4vci.WriteError(rec, oid4vci.DPoPErrorResponse(err, true, ""))
	challenge, _, _ := strings.Cut(rec.Header().Get("WWW-Authenticate"), ",")
	fmt.Println(rec.Code, challenge)
	// Output:
	// true
	// true htu
	// 401 DPoP error="invalid_dpop_proof"
}

// A server writes a protocol error; a client reads it back.
func ExampleWriteError() {
	rec := httptest.NewRecorder()
	oid4vci.WriteError(rec, oid4vci.NewError(oid4vci.CodeInvalidGrant, "wrong tx_code"))
	fmt.Println(rec.Code, rec.Header().Get("Cache-Control"), rec.Body.String())

	e := oid4vci.ReadError(rec.Result())
	fmt.Println(e.Code == oid4vci.CodeInvalidGrant, e.Description)
	// Output:
	// 400 no-store {"error":"invalid_grant","error_description":"wrong tx_code"}
	// true wrong tx_code
}
