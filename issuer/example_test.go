package issuer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/issuer"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// Example runs the IKD activation over OpenID4VCI 1.0: registration,
// operator confirmation (a credential offer, and its tx_code to e-mail),
// then a wallet's requests to the issuer's Handler — token, nonce,
// credential — written and read with package oid4vci; a second activation
// on a new phone revokes the first phone's credentials. The issuer key is
// used only through crypto.Signer, as an HSM key would be.
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
	// The handler is mounted at https://dukcapil.example.go.id; here the
	// wallet's requests are served in process.
	h, err := issuer.NewHandler(iss, issuer.HandlerConfig{})
	if err != nil {
		panic(err)
	}
	post := func(path, contentType, authorization, body string) *http.Response {
		r := httptest.NewRequest(http.MethodPost, "https://dukcapil.example.go.id"+path, strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		if authorization != "" {
			r.Header.Set("Authorization", authorization)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Result()
	}
	read := func(resp *http.Response) []byte {
		if resp.StatusCode != http.StatusOK {
			panic(oid4vci.ReadError(resp))
		}
		b, _ := io.ReadAll(resp.Body)
		return b
	}

	var offers []*issuer.Offer
	activate := func() []oid4vci.IssuedCredential {
		// Step 3: the person registers in the app.
		reg, err := iss.Register(ctx, issuer.RegisterRequest{NIK: "3174015708950021", Email: "rina@example.id", Phone: "081234567890"})
		if err != nil {
			panic(err)
		}
		// Step 4: an operator confirms the person in front of them and
		// shows the offer as a QR code (grant.Offer.QR); the tx_code goes
		// to the person's e-mail.
		grant, err := iss.Confirm(ctx, "operator:kec-tebet-01", reg.ID)
		if err != nil {
			panic(err)
		}
		offers = append(offers, grant.Offer)
		// Step 5: the wallet redeems the offer with the tx_code and proves
		// possession of its device key for each credential.
		offer := grant.Offer.Offer
		tr := oid4vci.TokenRequest{GrantType: oid4vci.GrantTypePreAuthorizedCode,
			PreAuthorizedCode: offer.Grants.PreAuthorizedCode.PreAuthorizedCode, TxCode: grant.Offer.TxCode}
		tok, err := oid4vci.ParseTokenResponse(read(post("/token", "application/x-www-form-urlencoded", "", tr.Encode())))
		if err != nil {
			panic(err)
		}
		device, _ := keys.Generate(keys.ES256, nil)
		var out []oid4vci.IssuedCredential
		for _, id := range offer.CredentialConfigurationIDs {
			n, err := oid4vci.ParseNonceResponse(read(post("/nonce", "", "", "")))
			if err != nil {
				panic(err)
			}
			proof, err := oid4vci.SignProof(nil, device, offer.CredentialIssuer, n.CNonce, now)
			if err != nil {
				panic(err)
			}
			req, _ := json.Marshal(oid4vci.CredentialRequest{CredentialConfigurationID: id, Proofs: &oid4vci.Proofs{JWT: []string{proof}}})
			cr, err := oid4vci.ParseCredentialResponse(read(post("/credential", "application/json", tok.TokenType+" "+tok.AccessToken, string(req))))
			if err != nil {
				panic(err)
			}
			issued, err := cr.Issued(credential.FormatSDJWT)
			if err != nil {
				panic(err)
			}
			fmt.Println("issued:", id)
			out = append(out, issued...)
		}
		return out
	}

	first := activate()
	activate() // the same NIK on a new phone

	// The first phone's credentials are revoked in the status list.
	tok, _ := iss.StatusListToken(ctx, 1)
	list, err := (&statuslist.Verifier{Key: hsm.Public(), Now: func() time.Time { return now }}).VerifyJWT(tok)
	if err != nil {
		panic(err)
	}
	for _, c := range first {
		v, err := sdjwt.VerifyVC(string(c.Data), sdjwt.VerifyOptions{IssuerKey: hsm.Public(), AllowNoKeyBinding: true, Now: func() time.Time { return now }})
		if err != nil {
			panic(err)
		}
		claim, _ := v.Get(sdjwt.P("status"))
		sc, err := statuslist.StatusClaimFromJSONValue(claim)
		if err != nil {
			panic(err)
		}
		st, _ := list.Status(sc.StatusList.Index)
		fmt.Println("old credential status:", st)
	}

	// A pre-authorized code works once.
	used := offers[0]
	tr := oid4vci.TokenRequest{GrantType: oid4vci.GrantTypePreAuthorizedCode,
		PreAuthorizedCode: used.Offer.Grants.PreAuthorizedCode.PreAuthorizedCode, TxCode: used.TxCode}
	fmt.Println("offer again:", oid4vci.ReadError(post("/token", "application/x-www-form-urlencoded", "", tr.Encode())).Code)
	// Output:
	// issued: ktpel_dc_sd_jwt
	// issued: ktpel_qr_dc_sd_jwt
	// issued: ktpel_dc_sd_jwt
	// issued: ktpel_qr_dc_sd_jwt
	// old credential status: INVALID
	// old credential status: INVALID
	// offer again: invalid_grant
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
