package verifier_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/oid4vp"
	"github.com/ikdkit/ikdkit/verifier"
)

// A bank mounts the OpenID4VP handler and opens a transaction of each
// kind: a QR code for a wallet on another device, a button for the wallet
// on this phone, and the wallet in the browser (Digital Credentials API).
func ExampleVPHandler() {
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	// The bank's request-signing key and certificate (from its CA in
	// production; self-signed here), naming its host.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(1),
		Subject: pkix.Name{CommonName: "Bank Contoh"}, DNSNames: []string{"bank.example.co.id"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour)}, &x509.Certificate{SerialNumber: big.NewInt(1),
		Subject: pkix.Name{CommonName: "Bank Contoh"}}, &key.PublicKey, key)
	cert, _ := x509.ParseCertificate(der)

	// The verifier that decides "verified", on the bank's trust list.
	trust, err := trustlist.NewLocal(&trustlist.List{Operator: "https://trust.example.go.id", Sequence: 1,
		IssuedAt: now.Add(-time.Hour), NextUpdate: now.Add(23 * time.Hour),
		Verifiers: []trustlist.Verifier{{ID: "https://bank.example.co.id", Name: "Bank Contoh",
			Keys:   []trustlist.Key{{ID: "bank-1", Public: key.Public()}},
			Claims: map[string][]string{credential.VCTKTPEL: {"name"}}}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	// (Its status cache is filled by the bank's status sync.)
	status, _ := statuslist.NewCache(statuslist.CacheConfig{Keys: verifier.StatusKeys(staticTrust{trust}), Now: clock})
	v, err := verifier.New(verifier.Config{Trust: staticTrust{trust}, Status: status, Now: clock,
		Audience: "https://bank.example.co.id"})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := verifier.NewVPHandler(v, verifier.VPHandlerConfig{BaseURL: "https://bank.example.co.id/oid4vp",
		Signer: key, Chain: []*x509.Certificate{cert}, ResponseMode: oid4vp.ResponseModeDirectPostJWT, Now: clock})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/oid4vp/", h) // served over HTTPS by the bank

	q, _ := oid4vp.ParseQuery([]byte(`{"credentials":[{"id":"pid","format":"dc+sd-jwt",
		"meta":{"vct_values":["` + credential.VCTKTPEL + `"]},"claims":[{"path":["name"]}]}]}`))
	ctx := context.Background()
	cross, _ := h.NewRequest(ctx, q)
	same, _ := h.NewSameDeviceRequest(ctx, q, "https://bank.example.co.id/account/new")
	dc, _ := h.NewDCAPIRequest(ctx, q, false)
	fmt.Println(h.ClientID())
	fmt.Println(strings.HasPrefix(cross.Link, "openid4vp://?client_id="), same.SameDevice)
	fmt.Println(dc.DCAPI.Protocol, strings.HasPrefix(dc.DCAPI.ResponseURL, "https://bank.example.co.id/oid4vp/dcapi/"))

	// Later: the outcome, once the wallet has answered.
	if o, err := h.Result(ctx, cross.ID); err == nil && o.Pending {
		fmt.Println("waiting for the wallet")
	}
	// Output:
	// x509_san_dns:bank.example.co.id
	// true true
	// openid4vp-v1-signed true
	// waiting for the wallet
}

// staticTrust is a trust list configured in code, as a verifier.TrustSource
// (a *trustlist.Store is the one that follows the operator's updates).
type staticTrust struct{ l *trustlist.List }

func (s staticTrust) Current() *trustlist.List { return s.l }
