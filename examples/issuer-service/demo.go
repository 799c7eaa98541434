package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"

	"github.com/ikdkit/ikdkit/credential"
)

// demoNIK is the NIK of the demo's one resident.
const demoNIK = "3174015708950021"

// demoKeyID is the kid of the demo issuer's key.
const demoKeyID = "dukcapil-demo-1"

// demoDocuments is the demo's stand-in for SIAK: one sample person.
func demoDocuments(_ context.Context, nik credential.NIK) ([]credential.Document, error) {
	if nik.String() != demoNIK {
		return nil, fmt.Errorf("no documents for this NIK in the demo")
	}
	k, err := credential.NewKTPEL(credential.KTPELFields{
		NIK: nik, Name: "RINA KARTIKA SARI", PlaceOfBirth: "BANDUNG",
		BirthDate: credential.Date{Year: 1995, Month: time.August, Day: 17}, Sex: credential.Female,
		BloodType: credential.BloodO,
		Address: credential.Address{Street: "JL. KENANGA RAYA NO. 7", RT: "004", RW: "009", Village: "MENTENG DALAM",
			District: "TEBET", City: "KOTA JAKARTA SELATAN", Province: "DKI JAKARTA", RegionCode: "31.74.01.1003"},
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

// demoKeys makes a throw-away issuer key and a document signer certificate
// for it under a throw-away IACA root. Never do this in production.
func demoKeys() (key crypto.Signer, chain []*x509.Certificate, root *x509.Certificate, err error) {
	dsKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	iacaKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	now := time.Now()
	iaca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Demo IACA", Country: []string{"ID"}},
		NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, iaca, iaca, iacaKey.Public(), iacaKey)
	if err != nil {
		return nil, nil, nil, err
	}
	if root, err = x509.ParseCertificate(der); err != nil {
		return nil, nil, nil, err
	}
	// ISO/IEC 18013-5 Annex B.1.4: the document signer certificate.
	ds := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Demo DS", Country: []string{"ID"}},
		NotBefore: now.AddDate(0, -1, 0), NotAfter: now.AddDate(3, 0, 0),
		KeyUsage:           x509.KeyUsageDigitalSignature,
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{{1, 0, 18013, 5, 1, 2}}, // id-mdl-kp-mdlDS
	}
	if der, err = x509.CreateCertificate(rand.Reader, ds, root, dsKey.Public(), iacaKey); err != nil {
		return nil, nil, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, err
	}
	return dsKey, []*x509.Certificate{leaf}, root, nil
}
