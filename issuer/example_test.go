package issuer_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/issuer"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// Example runs the IKD activation: registration, operator confirmation,
// proof of possession and issuance; then a second activation on a new phone
// revokes the first phone's credential. The issuer key is used only through
// crypto.Signer, as an HSM key would be.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	dir, _ := os.MkdirTemp("", "issuer-example")
	defer os.RemoveAll(dir)

	store, err := issuer.OpenSQLite(ctx, filepath.Join(dir, "issuer.db"))
	if err != nil {
		panic(err)
	}
	defer store.Close()
	key, _ := keys.Generate(keys.ES256, nil)
	hsm := keys.Opaque(key) // stands in for an HSM-backed crypto.Signer
	iss, err := issuer.New(ctx, issuer.Config{
		Identifier: "https://dukcapil.example.go.id",
		Signer:     hsm,
		Types:      []credential.TypeInfo{credential.KTPELType()},
		Formats:    []credential.Format{credential.FormatSDJWT}, // mdoc also needs Config.Chain
		StatusList: issuer.StatusListConfig{BaseURI: "https://dukcapil.example.go.id/status"},
		Documents:  issuer.DocumentsFunc(siak),
		Store:      store,
		Now:        func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}

	activate := func() *issuer.Activation {
		// Step 3: the person registers in the app.
		reg, err := iss.Register(ctx, issuer.RegisterRequest{NIK: "3174015708950021", Email: "rina@example.id", Phone: "081234567890"})
		if err != nil {
			panic(err)
		}
		// Step 4: an operator confirms the person in front of them.
		grant, err := iss.Confirm(ctx, "operator:kec-tebet-01", reg.ID)
		if err != nil {
			panic(err)
		}
		// Step 5: the wallet proves possession of its device key.
		device, _ := keys.Generate(keys.ES256, nil)
		nonce, _, _ := iss.Nonce(ctx)
		proof, _ := oid4vci.SignProof(nil, device, "https://dukcapil.example.go.id", nonce, now)
		a, err := iss.Activate(ctx, issuer.ActivationRequest{RegistrationID: reg.ID, Code: grant.Code, Proof: proof})
		if err != nil {
			panic(err)
		}
		return a
	}

	first := activate()
	for _, c := range first.Credentials {
		fmt.Println("issued:", c.Format, c.Profile, c.VCT)
	}
	c := first.Credentials[0]

	second := activate() // the same NIK on a new phone
	fmt.Println("revoked on the old phone:", second.Revoked)

	tok, _ := iss.StatusListToken(ctx, 1)
	verified, err := (&statuslist.Verifier{Key: hsm.Public(), Now: func() time.Time { return now }}).VerifyJWT(tok)
	if err != nil {
		panic(err)
	}
	old, _ := verified.Status(c.Status.Index)
	fmt.Println("old credential status:", old)

	// A code works once.
	_, err = iss.Activate(ctx, issuer.ActivationRequest{RegistrationID: first.Binding.RegistrationID, Code: "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-A", Proof: "x.y.z"})
	fmt.Println("bad proof:", errors.Is(err, issuer.ErrProof))
	// Output:
	// issued: dc+sd-jwt full urn:id:kemendagri:dukcapil:ktp-el:1
	// issued: dc+sd-jwt qr urn:ikd:qr:1
	// revoked on the old phone: 2
	// old credential status: INVALID
	// bad proof: true
}

// siak stands in for the population register.
func siak(_ context.Context, nik credential.NIK) ([]credential.Document, error) {
	k, err := credential.NewKTPEL(credential.KTPELFields{
		NIK: nik, Name: "RINA KARTIKA SARI", PlaceOfBirth: "BANDUNG",
		BirthDate: credential.Date{Year: 1995, Month: time.August, Day: 17}, Sex: credential.Female,
		Address: credential.Address{Street: "JL. KENANGA RAYA NO. 7", RT: "004", RW: "009", Village: "MENTENG DALAM",
			District: "TEBET", City: "KOTA JAKARTA SELATAN", Province: "DKI JAKARTA"},
		Religion: credential.Islam, MaritalStatus: credential.BelumKawin,
		Occupation:  credential.Occupation{Text: "KARYAWAN SWASTA", Code: 15},
		Citizenship: credential.WNI, IssueDate: credential.Date{Year: 2021, Month: time.March, Day: 2},
		IssuingPlace: "JAKARTA SELATAN", Lifetime: true, IssuingOffice: "DISDUKCAPIL KOTA ADM. JAKARTA SELATAN",
		Portrait: []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0xFF, 0xD9},
	})
	if err != nil {
		return nil, err
	}
	return []credential.Document{k}, nil
}
