package verifier_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/verifier"
)

// A bank verifies a KTP-el QR offline, then sees the same QR replayed.
func Example() {
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	const dukcapil = "https://dukcapil.example.go.id"
	const bank = "https://bank.example.co.id"

	// The trust list operator (HSM-backed in production) and Dukcapil's key.
	pem, _ := os.ReadFile("../testdata/trustlist/operator.key.pem")
	operator, _ := keys.ParsePrivateKeyPEM(pem)
	issuerKey, _ := keys.Generate(keys.ES256, nil)
	token, _ := trustlist.Sign(&trustlist.List{
		Operator: "https://trust.example.go.id", Sequence: 1, IssuedAt: now.Add(-time.Hour), NextUpdate: now.Add(23 * time.Hour),
		Issuers: []trustlist.Issuer{{ID: dukcapil, Name: "Ditjen Dukcapil",
			Keys: []trustlist.Key{{ID: "dk-1", Public: issuerKey.Public()}}, VCTs: []string{credential.VCTQR}}},
		Verifiers: []trustlist.Verifier{{ID: bank, Name: "Bank Contoh", Claims: map[string][]string{credential.VCTQR: {credential.QRClaimID}}}},
	}, keys.Opaque(operator), trustlist.SignOptions{})
	trust, _ := trustlist.NewStore(operator.Public(), trustlist.StoreOptions{Now: clock})
	if _, err := trust.Update(token); err != nil {
		fmt.Println(err)
		return
	}

	// Dukcapil's status list, as the bank's last sync fetched it.
	list, _ := statuslist.New(1, 1024)
	slt, _ := statuslist.SignJWT(nil, issuerKey, list, statuslist.TokenParams{
		Subject: dukcapil + "/status/1", IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(23 * time.Hour)})
	status, _ := statuslist.NewCache(statuslist.CacheConfig{Keys: verifier.StatusKeys(trust), Now: clock})
	if err := status.Add(dukcapil+"/status/1", slt); err != nil {
		fmt.Println(err)
		return
	}

	// The holder's QR profile credential and the QR it shows the bank.
	ktp, err := credential.NewKTPEL(credential.KTPELFields{
		NIK: credential.MustParseNIK("3174015708950021"), Name: "RINA KARTIKA SARI", PlaceOfBirth: "BANDUNG",
		BirthDate: credential.Date{Year: 1995, Month: time.August, Day: 17}, Sex: credential.Female,
		Address: credential.Address{Street: "JL. KENANGA RAYA NO. 7", RT: "004", RW: "009", Village: "MENTENG DALAM",
			District: "TEBET", City: "KOTA JAKARTA SELATAN", Province: "DKI JAKARTA", RegionCode: "31.74.01.1003"},
		Religion: credential.Islam, MaritalStatus: credential.BelumKawin, Citizenship: credential.WNI,
		Occupation: credential.Occupation{Text: "KARYAWAN SWASTA"}, Portrait: []byte{0xFF, 0xD8, 0xFF, 0xD9}, IssueDate: credential.Date{Year: 2021, Month: 3, Day: 2},
		IssuingPlace: "JAKARTA SELATAN", Lifetime: true, IssuingOffice: "DISDUKCAPIL KOTA ADM. JAKARTA SELATAN",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	holderKey, _ := keys.Generate(keys.ES256, nil)
	claims := ktp.QRSDJWTClaims(now.Add(-24 * time.Hour))
	claims["iss"], claims["exp"] = dukcapil, now.Add(29*24*time.Hour).Unix()
	claims["status"] = map[string]any{"status_list": map[string]any{"idx": 7, "uri": dukcapil + "/status/1"}}
	var disclosable []sdjwt.Path // the QR profile's groups
	for _, p := range credential.QRType().SelectivelyDisclosable() {
		disclosable = append(disclosable, sdjwt.Path(p))
	}
	issued, _ := sdjwt.IssueVC(claims, sdjwt.IssueOptions{Signer: issuerKey, KeyID: "dk-1",
		Disclosable: disclosable, HolderKey: holderKey.Public()})
	cred, _ := sdjwt.Parse(issued)
	binding, _ := qr.NewBinding(bank, now.Add(-10*time.Second), nil)
	p, _ := qr.PresentSDJWT(cred, []sdjwt.Path{{credential.QRClaimID}}, binding, keys.Opaque(holderKey), nil)
	code, _ := qr.Encode(qr.Envelope{Presentations: []qr.Presentation{p}})

	// The bank's verifier.
	v, err := verifier.New(verifier.Config{Trust: trust, Status: status, Now: clock, Audience: bank,
		Policy: verifier.Policy{Required: map[string][]string{credential.VCTQR: {credential.QRClaimID}}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	res, err := v.VerifyQR(ctx, string(code.Data))
	if err != nil {
		fmt.Println(err)
		return
	}
	c := res.Credentials()[0]
	id := c.Claims()[credential.QRClaimID].(map[string]any)
	fmt.Println(c.Format(), "from", c.IssuerName())
	fmt.Println(id["name"], res.NIK())
	fmt.Println("status age:", c.StatusAge())

	// The same QR again, inside the 90 s window, is a replay.
	_, err = v.VerifyQR(ctx, string(code.Data))
	var ve *check.Error
	if errors.As(err, &ve) {
		fmt.Println("second scan:", ve.Check, errors.Is(err, verifier.ErrReplay))
	}
	// Output:
	// dc+sd-jwt from Ditjen Dukcapil
	// RINA KARTIKA SARI 3174015708950021
	// status age: 1h0m0s
	// second scan: replay true
}
