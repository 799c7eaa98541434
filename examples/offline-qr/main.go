// Command offline-qr is the whole offline QR flow at library level, in one
// file: an issuer signs a KTP-el QR profile SD-JWT VC (RFC 9901,
// draft-ietf-oauth-sd-jwt-vc) bound to the phone's device key; the phone
// presents the identity check (NIK, name, birth date, sex) with a
// key-binding JWT packed into a response QR (docs/qr-format.md); the
// verifier scans the QR image and verifies it offline with package verifier,
// the one place ikdkit decides "verified".
//
// Issuer and phone use only packages credential, credential/sdjwt and
// credential/qr, the calls the issuer and holder kits build on; the
// verifier needs its trust (package credential/trustlist) and a status
// cache (package credential/statuslist).
//
//	go run ./examples/offline-qr
package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/qr/qrcode"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/verifier"
)

const (
	issuerID   = "https://dukcapil.example.go.id"
	verifierID = "https://bank.example.co.id"
)

func main() {
	if err := run(os.Stdout, time.Now()); err != nil {
		fmt.Fprintln(os.Stderr, "offline-qr:", err)
		os.Exit(1)
	}
}

// run runs the flow at time now and narrates it to w.
func run(w io.Writer, now time.Time) error {
	now = now.UTC().Truncate(time.Second)

	// Issuer: a KTP-el record and the issuer's key (an HSM in production).
	issuerKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	ktp, err := credential.NewKTPEL(credential.KTPELFields{
		NIK: credential.MustParseNIK("3174015708950021"), Name: "RINA KARTIKA SARI", PlaceOfBirth: "BANDUNG",
		BirthDate: credential.Date{Year: 1995, Month: time.August, Day: 17}, Sex: credential.Female,
		Address: credential.Address{Street: "JL. KENANGA RAYA NO. 7", RT: "004", RW: "009", Village: "MENTENG DALAM",
			District: "TEBET", City: "KOTA JAKARTA SELATAN", Province: "DKI JAKARTA", RegionCode: "31.74.01.1003"},
		Religion: credential.Islam, MaritalStatus: credential.BelumKawin, Occupation: credential.Occupation{Text: "KARYAWAN SWASTA", Code: 15},
		Citizenship: credential.WNI, IssueDate: credential.Date{Year: 2021, Month: time.March, Day: 2},
		Portrait:     []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0xFF, 0xD9}, // a stub JPEG
		IssuingPlace: "JAKARTA SELATAN", Lifetime: true, IssuingOffice: "DISDUKCAPIL KOTA ADM. JAKARTA SELATAN",
	})
	if err != nil {
		return err
	}

	// The phone's device key (Android Keystore / Secure Enclave in an app).
	deviceKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}

	// 1. Issue: the QR profile claims, iss/iat/exp added by the issuer,
	// the profile's groups selectively disclosable, bound to the device key.
	claims := ktp.QRSDJWTClaims(now)
	claims["iss"] = issuerID
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(credential.QRValidity).Unix()
	issued, err := sdjwt.IssueVC(claims, sdjwt.IssueOptions{
		Signer: issuerKey, KeyID: "dukcapil-2026", HolderKey: deviceKey.Public(), Disclosable: sdjwtPaths(credential.QRType().SelectivelyDisclosable()),
	})
	if err != nil {
		return fmt.Errorf("issue: %w", err)
	}
	fmt.Fprintf(w, "1. issued a QR profile SD-JWT VC: %d bytes\n", len(issued))

	// 2. Present: only the identity-check group, bound to the verifier and
	// this moment, packed into one QR valid for 90 seconds.
	cred, err := sdjwt.Parse(issued)
	if err != nil {
		return err
	}
	idCheck, _ := credential.QRIdentityCheck()
	paths := sdjwtPaths(idCheck)
	binding, err := qr.NewBinding(verifierID, now, nil)
	if err != nil {
		return err
	}
	p, err := qr.PresentSDJWT(cred, paths, binding, deviceKey, nil)
	if err != nil {
		return fmt.Errorf("present: %w", err)
	}
	code, err := qr.Encode(qr.Envelope{Presentations: []qr.Presentation{p}})
	if err != nil {
		return fmt.Errorf("encode QR: %w", err)
	}
	png, err := qrcode.PNG(code, 4)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "2. presented %v as a QR: %d characters, version %d, PNG %d bytes\n", paths, len(code.Data), code.Version, len(png))

	// 3. Verify: the verifier scans the image 15 s later and verifies it
	// offline with package verifier: the issuer must be in its trust list
	// and authorised for the type (here a list configured in code; in
	// production the operator's signed list, trustlist.Store), then the
	// issuer signature, disclosures, holder binding, the 90-second window,
	// replay and status.
	scanned, err := qrcode.ScanImage(bytes.NewReader(png))
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	list, err := trustlist.NewLocal(&trustlist.List{Operator: verifierID, Sequence: 1, IssuedAt: now, NextUpdate: now.Add(24 * time.Hour),
		Issuers: []trustlist.Issuer{{ID: issuerID, Name: "Ditjen Dukcapil", VCTs: []string{credential.VCTQR},
			Keys: []trustlist.Key{{ID: "dukcapil-2026", Public: issuerKey.Public()}}}}})
	if err != nil {
		return err
	}
	trust := fixedTrust{list}
	clock := now.Add(15 * time.Second)
	status, err := statuslist.NewCache(statuslist.CacheConfig{Keys: verifier.StatusKeys(trust), Now: func() time.Time { return clock }})
	if err != nil {
		return err
	}
	v, err := verifier.New(verifier.Config{Trust: trust, Status: status, Now: func() time.Time { return clock }, Audience: verifierID,
		Policy: verifier.Policy{
			// This example's credential carries no status reference (the
			// issuer kit adds one, see examples/bank-verifier), and the
			// bank is not registered in the list configured above.
			AllowNoStatus: true, AllowUnregistered: true,
		}})
	if err != nil {
		return err
	}
	res, err := v.VerifyQR(context.Background(), string(scanned))
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	c := res.Credentials()[0]
	fmt.Fprintf(w, "3. verified, issued by %s: %v\n", c.Issuer(), c.Claims()[credential.QRClaimID])
	if _, ok := c.Claims()[credential.QRClaimAgeOver18]; ok {
		return errors.New("an undisclosed claim is visible")
	}

	// The same QR again is a replay; two minutes later it is outside the
	// 90-second window.
	if _, err := v.VerifyQR(context.Background(), string(scanned)); !errors.Is(err, verifier.ErrReplay) {
		return fmt.Errorf("a replayed QR: %v", err)
	}
	clock = now.Add(2 * time.Minute)
	if _, err := v.VerifyQR(context.Background(), string(scanned)); !errors.Is(err, verifier.ErrNotFresh) {
		return fmt.Errorf("a stale QR: %v", err)
	} else {
		fmt.Fprintf(w, "4. the same QR again is refused as a replay; 2 minutes later: %v\n", err)
	}
	return nil
}

// fixedTrust is a verifier.TrustSource holding one list.
type fixedTrust struct{ l *trustlist.List }

func (f fixedTrust) Current() *trustlist.List { return f.l }

// sdjwtPaths converts the claim paths of package credential to package
// sdjwt's.
func sdjwtPaths(cps []credential.ClaimPath) []sdjwt.Path {
	out := make([]sdjwt.Path, len(cps))
	for i, p := range cps {
		out[i] = sdjwt.Path(p)
	}
	return out
}
