package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential/sdjwt"
)

// demo runs the story with fresh keys: Dukcapil issues a KTP-el SD-JWT VC
// to a fictitious resident's phone, the resident discloses four claims to a
// bank, and the bank verifies offline. A tampered copy must then fail.
func demo(w io.Writer, now time.Time) error {
	const (
		issuerID = "https://dukcapil.example.go.id"
		bankID   = "https://bank.example.co.id"
	)
	say := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }

	say("== 1. Dukcapil issues a KTP-el credential (SD-JWT VC, RFC 9901 + draft-ietf-oauth-sd-jwt-vc-18)")
	issuerKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	deviceKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	claims := map[string]any{
		"vct":               "https://ikd.example.go.id/vct/ktp-el",
		"iss":               issuerID,
		"iat":               now.Unix(),
		"exp":               now.AddDate(1, 0, 0).Unix(),
		"nik":               "3174015708950021",
		"nama":              "RINA KARTIKA SARI",
		"tempat_lahir":      "BANDUNG",
		"tanggal_lahir":     "1995-08-17",
		"jenis_kelamin":     "PEREMPUAN",
		"agama":             "ISLAM",
		"status_perkawinan": "BELUM KAWIN",
		"pekerjaan":         "KARYAWAN SWASTA",
		"kewarganegaraan":   "WNI",
		"berlaku_hingga":    "SEUMUR HIDUP",
		"age_over_17":       true,
		"alamat": map[string]any{
			"jalan": "JL. KENANGA RAYA NO. 7", "rt_rw": "004/009", "kel_desa": "MENTENG DALAM",
			"kecamatan": "TEBET", "kab_kota": "KOTA JAKARTA SELATAN", "provinsi": "DKI JAKARTA",
		},
	}
	var disclosable []sdjwt.Path
	for k := range claims {
		switch k {
		case "vct", "iss", "iat", "exp":
			continue
		}
		disclosable = append(disclosable, sdjwt.P(k))
	}
	for _, k := range []string{"jalan", "rt_rw", "kel_desa", "kecamatan", "kab_kota", "provinsi"} {
		disclosable = append(disclosable, sdjwt.P("alamat", k))
	}
	issued, err := sdjwt.IssueVC(claims, sdjwt.IssueOptions{
		Signer: issuerKey, KeyID: "dukcapil-demo-1", HolderKey: deviceKey.Public(), Disclosable: disclosable, Decoys: 2,
	})
	if err != nil {
		return fmt.Errorf("issuing: %w", err)
	}
	u, err := sdjwt.Parse(issued)
	if err != nil {
		return err
	}
	say("   fictitious resident: RINA KARTIKA SARI, NIK 3174015708950021 (synthetic data)")
	say("   credential: %d bytes, %d selectively disclosable claims, bound to the phone's device key (cnf)", len(issued), len(u.Disclosures()))

	say("== 2. The wallet presents 4 claims to the bank, with a key-binding JWT")
	say("   (alamat.kab_kota needs alamat's own disclosure too, and nothing else of the address)")
	sel, err := u.Select(sdjwt.P("nik"), sdjwt.P("nama"), sdjwt.P("tanggal_lahir"), sdjwt.P("alamat", "kab_kota"))
	if err != nil {
		return err
	}
	nonce := rand.Text()
	presentation, err := sel.Present(sdjwt.KeyBindingOptions{Signer: deviceKey, Audience: bankID, Nonce: nonce, IssuedAt: now})
	if err != nil {
		return fmt.Errorf("presenting: %w", err)
	}
	for _, d := range sel.Disclosures() {
		say("   disclosing %v", d.Path())
	}
	say("   presentation: %d bytes (aud %s, nonce %s)", len(presentation), bankID, nonce)

	say("== 3. The bank verifies offline (issuer key pinned, ES256 only, 90 s window)")
	opts := sdjwt.VerifyOptions{
		IssuerKey: issuerKey.Public(), Algorithms: []string{sdjwt.ES256},
		Now: func() time.Time { return now.Add(5 * time.Second) }, Audience: bankID, Nonce: nonce,
		KeyBindingMaxAge: 90 * time.Second,
	}
	v, err := sdjwt.VerifyVC(presentation, opts)
	if err != nil {
		return fmt.Errorf("verification failed: %w", err)
	}
	c := v.Claims()
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	say("   verified; the bank sees:")
	for _, k := range keys {
		if k == "cnf" {
			continue
		}
		say("     %-14s %v", k, c[k])
	}
	say("   not disclosed: agama, pekerjaan, status_perkawinan, ... (the bank cannot see them)")

	say("== 4. Tampering is caught")
	var agama string
	for _, d := range u.Disclosures() {
		if d.Path().Equal(sdjwt.P("agama")) {
			agama = d.Encoded()
		}
	}
	first := sel.Disclosures()[0].Encoded()
	tampered := strings.Replace(presentation, first, first+"~"+agama, 1)
	_, err = sdjwt.VerifyVC(tampered, opts)
	var e *sdjwt.Error
	if !errors.As(err, &e) || !errors.Is(err, sdjwt.ErrSDHash) {
		return fmt.Errorf("a disclosure added after key binding was not rejected (err %v)", err)
	}
	say("   a man in the middle adds the agama disclosure -> rejected at the %q check: %v", e.Check, e.Err)
	late := opts
	late.Now = func() time.Time { return now.Add(2 * time.Minute) }
	if _, err := sdjwt.VerifyVC(presentation, late); !errors.Is(err, sdjwt.ErrFreshness) {
		return fmt.Errorf("a 2-minute-old presentation was not rejected as stale (err %v)", err)
	}
	say("   replayed 2 minutes later -> rejected: %v", sdjwt.ErrFreshness)
	say("== done: every step behaved as expected")
	return nil
}
