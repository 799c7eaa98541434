package holder_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/issuer"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
	"github.com/ikdkit/ikdkit/verifier"
)

// Example shows a wallet's life: create it with a PIN, receive credentials
// from an issuer over OpenID4VCI, show a credential, and answer a verifier
// with a QR after the user's consent. The issuer here is a test server on
// loopback; a real app scans its offer from the service desk's QR code.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "wallet")
	defer os.RemoveAll(dir)
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	// The issuing authority (Dukcapil) with its keys and one person's
	// KTP-el, serving OpenID4VCI (issuer.NewHandler) over HTTPS.
	var handler http.Handler
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	defer srv.Close()
	iss, trust, entry := exampleIssuer(ctx, dir, srv.URL, clock)
	handler, _ = issuer.NewHandler(iss, issuer.HandlerConfig{})
	// At the service desk: registration, the operator's confirmation, a
	// credential offer as a QR code and its tx_code by e-mail.
	reg, _ := iss.Register(ctx, issuer.RegisterRequest{NIK: "3174015708950021", Email: "rina@example.id", Phone: "081234567890"})
	grant, _ := iss.Confirm(ctx, "operator:kec-tebet-01", reg.ID)
	offerQR, _ := grant.Offer.ReferenceLink()

	// The wallet. Tests and examples may lower the Argon2id cost; apps keep
	// holder.DefaultKDF.
	w, err := holder.Create(ctx, filepath.Join(dir, "wallet"), "135790", holder.Options{
		KDF: holder.KDFParams{Time: 1, MemoryKiB: holder.MinKDFMemoryKiB, Threads: 1}, Trust: trust, Now: clock,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()
	received, err := w.ReceiveOffer(ctx, offerQR, holder.ReceiveOptions{
		HTTPClient: srv.Client(), // trusts the test server's certificate
		TxCode: func(context.Context, holder.TxCodeRequest) (string, error) {
			return grant.Offer.TxCode, nil // typed by the resident from the e-mail
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("credentials:", len(received.Credentials))
	for _, c := range received.Credentials {
		if c.Name == "KTP-el" && c.Format == credential.FormatSDJWT {
			d, _ := c.Document()
			fmt.Println("holder NIK:", d.(*credential.KTPEL).NIK())
		}
	}

	// A verifier asks for the name on the KTP-el.
	req := &holder.Request{Verifier: "https://bank.example.co.id", Items: []holder.RequestItem{
		{Type: credential.VCTKTPEL, Claims: []string{"name"}},
	}}
	p, err := w.Present(ctx, req, holder.PresentOptions{Consent: func(_ context.Context, r holder.ConsentRequest) (bool, error) {
		fmt.Printf("consent: %s asks for %s from %s\n", r.Verifier, r.Items[0].Claims[0].Name, r.Items[0].Credential)
		return true, nil
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("QR valid for:", p.ExpiresAt.Sub(p.Binding.IssuedAt))

	// The verifier scans the QR and verifies it with package verifier,
	// trusting the issuer (here a list configured in code; in production a
	// signed trust list) and checking revocation against the issuer's
	// status list.
	bank := exampleVerifier(ctx, iss, entry, clock)
	res, err := bank.VerifyQR(ctx, string(p.Codes[0].Data))
	if err != nil {
		fmt.Println(err)
		return
	}
	c := res.Credentials()[0]
	fmt.Println("verified name:", c.Claims()["name"], "status:", c.Status().Status)
	// Output:
	// credentials: 4
	// holder NIK: 3174015708950021
	// consent: https://bank.example.co.id asks for name from KTP-el
	// QR valid for: 1m30s
	// verified name: RINA KARTIKA SARI status: VALID
}

// exampleVerifier is the bank's verifier: the issuer in a trust list it
// configured itself, and the issuer's current status lists in its cache.
func exampleVerifier(ctx context.Context, iss *issuer.Issuer, entry trustlist.Issuer, clock func() time.Time) *verifier.Verifier {
	l, err := trustlist.NewLocal(&trustlist.List{Operator: "https://bank.example.co.id", Sequence: 1,
		IssuedAt: clock().Add(-time.Hour), NextUpdate: clock().Add(time.Hour), Issuers: []trustlist.Issuer{entry}})
	if err != nil {
		panic(err)
	}
	trust := localTrust{l}
	cache, _ := statuslist.NewCache(statuslist.CacheConfig{Keys: verifier.StatusKeys(trust), Now: clock})
	lists, _ := iss.StatusLists(ctx)
	for _, r := range lists {
		tok, _ := iss.StatusListToken(ctx, r.Number)
		if err := cache.Add(r.URI, tok); err != nil {
			panic(err)
		}
	}
	v, err := verifier.New(verifier.Config{Trust: trust, Status: cache, Now: clock, Audience: "https://bank.example.co.id",
		Policy: verifier.Policy{AllowUnregistered: true}})
	if err != nil {
		panic(err)
	}
	return v
}

// localTrust is a verifier.TrustSource holding one list.
type localTrust struct{ l *trustlist.List }

func (t localTrust) Current() *trustlist.List { return t.l }

func exampleIssuer(ctx context.Context, dir, id string, clock func() time.Time) (*issuer.Issuer, holder.StaticTrust, trustlist.Issuer) {
	key, _ := keys.Generate(keys.ES256, nil)
	iacaKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := clock()
	rootT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "IACA", Country: []string{"ID"}},
		NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(10, 0, 0), KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true, IsCA: true}
	rootDER, _ := x509.CreateCertificate(rand.Reader, rootT, rootT, iacaKey.Public(), iacaKey)
	root, _ := x509.ParseCertificate(rootDER)
	leafDER, _ := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(2),
		Subject: pkix.Name{CommonName: "DS", Country: []string{"ID"}}, NotBefore: now.AddDate(0, -1, 0), NotAfter: now.AddDate(3, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, UnknownExtKeyUsage: []asn1.ObjectIdentifier{{1, 0, 18013, 5, 1, 2}}}, root, key.Public(), iacaKey)
	leaf, _ := x509.ParseCertificate(leafDER)
	store, _ := issuer.OpenSQLite(ctx, filepath.Join(dir, "issuer.db"))
	ktp, ktpErr := credential.NewKTPEL(credential.KTPELFields{
		NIK: credential.MustParseNIK("3174015708950021"), Name: "RINA KARTIKA SARI", PlaceOfBirth: "BANDUNG",
		BirthDate: credential.Date{Year: 1995, Month: time.August, Day: 17}, Sex: credential.Female,
		Address: credential.Address{Street: "JL. KENANGA RAYA NO. 7", RT: "004", RW: "009", Village: "MENTENG DALAM",
			District: "TEBET", City: "KOTA JAKARTA SELATAN", Province: "DKI JAKARTA", RegionCode: "31.74.01.1003"},
		Religion: credential.Islam, MaritalStatus: credential.BelumKawin, Occupation: credential.Occupation{Text: "KARYAWAN SWASTA", Code: 15},
		Citizenship: credential.WNI, Portrait: []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 0x4A, 0x46, 0x49, 0x46, 0, 0xFF, 0xD9}, IssueDate: credential.Date{Year: 2021, Month: time.March, Day: 2},
		IssuingPlace: "JAKARTA SELATAN", Lifetime: true, IssuingOffice: "DISDUKCAPIL KOTA ADM. JAKARTA SELATAN",
	})
	if ktpErr != nil || store == nil {
		panic(fmt.Sprint(ktpErr))
	}
	iss, err := issuer.New(ctx, issuer.Config{
		Identifier: id, Signer: key, Chain: []*x509.Certificate{leaf},
		Types:      []credential.TypeInfo{credential.KTPELType()},
		StatusList: issuer.StatusListConfig{BaseURI: id + "/status", Size: 1024},
		Documents: issuer.DocumentsFunc(func(context.Context, credential.NIK) ([]credential.Document, error) {
			return []credential.Document{ktp}, nil
		}),
		Store: store, Now: clock,
	})
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(root)
	entry := trustlist.Issuer{ID: id, Name: "Ditjen Dukcapil",
		Keys:      []trustlist.Key{{ID: "k-1", Public: key.Public()}},
		IACARoots: []*x509.Certificate{root}, DocumentSigners: []*x509.Certificate{leaf},
		VCTs: []string{credential.VCTKTPEL, credential.VCTQR, credential.VCTQRFull}, DocTypes: []string{credential.DocTypeKTPEL, credential.DocTypeQR}}
	return iss, holder.StaticTrust{Issuers: map[string]crypto.PublicKey{id: key.Public()}, Roots: pool}, entry
}

// ExampleWallet_Unlock shows how an app tells the user what a wrong PIN
// costs, with errors.As on the package's typed error.
func ExampleWallet_Unlock() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "wallet")
	defer os.RemoveAll(dir)
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	opts := holder.Options{KDF: holder.KDFParams{Time: 1, MemoryKiB: holder.MinKDFMemoryKiB, Threads: 1}, Now: func() time.Time { return now }}
	w, _ := holder.Create(ctx, dir, "135790", opts)
	w.Close()

	w, _ = holder.Open(ctx, dir, opts) // the app restarts: the wallet opens locked
	defer w.Close()
	for _, pin := range []string{"111111", "222222", "333333", "135790"} {
		err := w.Unlock(ctx, pin)
		var he *holder.Error
		switch {
		case err == nil:
			fmt.Println("unlocked")
		case errors.Is(err, holder.ErrWrongPIN) && errors.As(err, &he):
			fmt.Println("wrong PIN, attempts left:", he.AttemptsLeft)
		case errors.Is(err, holder.ErrPINDelay) && errors.As(err, &he):
			fmt.Println("try again in", he.RetryAfter.Sub(now))
		default:
			fmt.Println(err)
		}
	}
	// Output:
	// wrong PIN, attempts left: 9
	// wrong PIN, attempts left: 8
	// wrong PIN, attempts left: 7
	// try again in 30s
}

// ExampleWallet_ReceiveOffer is the activation an app runs when the
// resident scans the QR code of the service desk: it asks for the
// activation PIN through the callback and tells the user what went wrong.
// (It needs an issuer on the network, so it is compiled but not run.)
func ExampleWallet_ReceiveOffer() {
	ctx := context.Background()
	var list *trustlist.List // the signed trust list the app keeps fresh (trustlist.Store)
	w, err := holder.Open(ctx, "/data/ikd-wallet", holder.Options{Trust: holder.TrustList(list)})
	if err != nil {
		return
	}
	defer w.Close()
	if err := w.Unlock(ctx, "135790"); err != nil {
		return
	}
	qrText := "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fdukcapil.example.go.id%2Foffers%2F5f1c0e"
	r, err := w.ReceiveOffer(ctx, qrText, holder.ReceiveOptions{
		Locale: "id",
		TxCode: func(ctx context.Context, req holder.TxCodeRequest) (string, error) {
			// Show req.IssuerName, req.Description and req.Length boxes;
			// return an error if the user cancels.
			return "482913", nil
		},
	})
	var pe *oid4vci.ProtocolError
	switch {
	case errors.As(err, &pe) && pe.Code == oid4vci.CodeInvalidGrant:
		fmt.Println("wrong, used or expired activation PIN")
	case errors.Is(err, holder.ErrTxCodeRefused):
		// The user cancelled: nothing was redeemed.
	case errors.Is(err, holder.ErrUntrustedIssuer), errors.Is(err, holder.ErrKeyMismatch):
		fmt.Println("the credentials did not verify; nothing was stored")
	case errors.Is(err, holder.ErrOffer):
		fmt.Println("this QR code is not a usable credential offer")
	case err != nil:
		fmt.Println("activation failed:", err)
	default:
		for _, c := range r.Credentials {
			fmt.Println("received", c.Name, c.Format)
		}
	}
}

// ExampleWallet_SetUsePolicy shows the one-time copies of a credential at
// work. Under UseOnce, the default, each presentation spends a copy of
// its own, so the bank and the shop cannot link what they saw; with no
// copy left the wallet presents a spent one again only if the app
// consents. Under UsePerVerifier a verifier gets the same copy each time.
func ExampleWallet_SetUsePolicy() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "wallet")
	defer os.RemoveAll(dir)
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var handler http.Handler
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	defer srv.Close()
	iss, trust, _ := exampleIssuer(ctx, dir, srv.URL, clock)
	handler, _ = issuer.NewHandler(iss, issuer.HandlerConfig{})
	reg, _ := iss.Register(ctx, issuer.RegisterRequest{NIK: "3174015708950021", Email: "rina@example.id", Phone: "081234567890"})
	grant, _ := iss.Confirm(ctx, "operator:kec-tebet-01", reg.ID)
	offerQR, _ := grant.Offer.ReferenceLink()

	w, err := holder.Create(ctx, filepath.Join(dir, "wallet"), "135790", holder.Options{
		KDF: holder.KDFParams{Time: 1, MemoryKiB: holder.MinKDFMemoryKiB, Threads: 1}, Trust: trust, Now: clock,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()
	received, err := w.ReceiveOffer(ctx, offerQR, holder.ReceiveOptions{
		HTTPClient: srv.Client(),
		TxCode:     func(context.Context, holder.TxCodeRequest) (string, error) { return grant.Offer.TxCode, nil },
		Copies:     map[string]int{credential.VCTKTPEL: 2}, // few, to run out here
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range received.Credentials {
		if c.Name == "KTP-el" {
			fmt.Printf("%s: %d copies, used %s\n", c.Format, c.CopiesLeft(), c.Policy)
		}
	}

	const bank, shop = "https://bank.example.co.id", "https://shop.example.co.id"
	// present shares the name and returns the copy the history names.
	present := func(verifier, typ string, opts holder.PresentOptions) (int, error) {
		opts.Consent = func(context.Context, holder.ConsentRequest) (bool, error) { return true, nil }
		req := &holder.Request{Verifier: verifier, Items: []holder.RequestItem{{Type: typ, Claims: []string{"name"}}}}
		if _, err := w.Present(ctx, req, opts); err != nil {
			return 0, err
		}
		acts, _ := w.Activity(ctx)
		return acts[len(acts)-1].Copies[0].Copy, nil
	}
	for _, v := range []string{bank, shop} {
		n, _ := present(v, credential.VCTKTPEL, holder.PresentOptions{})
		fmt.Println(v, "got copy", n)
	}
	if _, err := present(bank, credential.VCTKTPEL, holder.PresentOptions{}); errors.Is(err, holder.ErrNoCopyLeft) {
		fmt.Println("no copy left: nothing shared")
	}
	n, _ := present(bank, credential.VCTKTPEL, holder.PresentOptions{
		ReuseSpentCopy: func(_ context.Context, r holder.ReuseRequest) (bool, error) {
			// Ask the user: the bank could link this with its earlier visit.
			fmt.Println("reuse copy", r.Copy, "presented before to", r.GivenTo)
			return true, nil
		},
	})
	fmt.Println("the bank got copy", n, "again")

	// The mdoc, per verifier: the bank always gets the same copy.
	for _, c := range received.Credentials {
		if c.Name == "KTP-el" && c.Format == credential.FormatMdoc {
			if err := w.SetUsePolicy(ctx, c.ID, holder.UsePerVerifier); err != nil {
				fmt.Println(err)
				return
			}
		}
	}
	b1, _ := present(bank, credential.DocTypeKTPEL, holder.PresentOptions{})
	s1, _ := present(shop, credential.DocTypeKTPEL, holder.PresentOptions{})
	b2, _ := present(bank, credential.DocTypeKTPEL, holder.PresentOptions{})
	fmt.Println("mdoc: bank", b1, b2, "shop", s1)
	// Output:
	// dc+sd-jwt: 2 copies, used once
	// mso_mdoc: 10 copies, used once
	// https://bank.example.co.id got copy 1
	// https://shop.example.co.id got copy 2
	// no copy left: nothing shared
	// reuse copy 1 presented before to [https://bank.example.co.id]
	// the bank got copy 1 again
	// mdoc: bank 1 1 shop 2
}
