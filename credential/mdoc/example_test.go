package mdoc_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"time"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/mdoc"
)

// Example issues a KTP-el mdoc, presents three of its elements over an
// OpenID4VP session and verifies the presentation, then shows the error
// Verify gives once the document has expired.
func Example() {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

	// Demo PKI: an IACA root and a document signer (Annex B profile). Real
	// deployments load these; never generate trust anchors at run time.
	iacaKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	iaca := mustCert(&x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Demo IACA", Country: []string{"ID"}},
		NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true,
	}, nil, iacaKey.Public(), iacaKey)
	dsKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ds := mustCert(&x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Demo DS", Country: []string{"ID"}},
		NotBefore: now.AddDate(0, -1, 0), NotAfter: now.AddDate(1, 0, 0),
		KeyUsage:           x509.KeyUsageDigitalSignature,
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{{1, 0, 18013, 5, 1, 2}}, // id-mdl-kp-mdlDS
	}, iaca, dsKey.Public(), iacaKey)

	// The holder's device key (in a wallet: a hardware-backed crypto.Signer).
	deviceKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

	// Issue.
	const docType = "id.go.kemendagri.dukcapil.ktpel.1"
	issuer := &mdoc.Issuer{Signer: dsKey, Chain: []*x509.Certificate{ds}, Now: func() time.Time { return now }}
	cred, err := issuer.Issue(mdoc.IssueRequest{
		DocType: docType,
		NameSpaces: map[string]map[string]any{docType: {
			"personal_administrative_number": "3174015708950021",
			"name":                           "RINA KARTIKA SARI",
			"birth_date":                     mdoc.FullDate{Year: 1995, Month: 8, Day: 17},
			"sex":                            2,
			"age_over_18":                    true,
			"issuing_country":                "ID",
		}},
		DeviceKey:  deviceKey.Public(),
		ValidUntil: now.AddDate(0, 0, 30),
	})
	if err != nil {
		panic(err)
	}

	// Present three elements for an OpenID4VP request.
	transcript, _ := mdoc.OpenID4VPSessionTranscript("x509_san_dns:verifier.example.id", "nonce-123", nil, "https://verifier.example.id/response")
	response, err := mdoc.Present(cred, map[string][]string{docType: {"name", "birth_date", "age_over_18"}},
		mdoc.PresentOptions{SessionTranscript: transcript, DeviceKey: deviceKey})
	if err != nil {
		panic(err)
	}

	// Verify.
	roots := x509.NewCertPool()
	roots.AddCert(iaca)
	verified, err := mdoc.Verify(response, mdoc.VerifyOptions{
		Roots:             roots,
		SessionTranscript: transcript,
		DocType:           docType,
		Now:               func() time.Time { return now.Add(time.Hour) },
	})
	if err != nil {
		panic(err)
	}
	elems := verified.Documents()[0].NameSpaces()[docType]
	names := make([]string, 0, len(elems))
	for n := range elems {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Printf("%s: %v\n", n, elems[n])
	}

	// Two months later the MSO has expired. The error is a *check.Error
	// naming the check and the document; its Err is the mdoc sentinel.
	_, err = mdoc.Verify(response, mdoc.VerifyOptions{Roots: roots, SessionTranscript: transcript,
		Now: func() time.Time { return now.AddDate(0, 2, 0) }})
	var ce *check.Error
	if errors.As(err, &ce) {
		fmt.Printf("%s check failed for document %d, expired: %v\n", ce.Check, ce.Credential, ce.Err == mdoc.ErrExpired)
	}
	// Output:
	// age_over_18: true
	// birth_date: 1995-08-17
	// name: RINA KARTIKA SARI
	// validity check failed for document 0, expired: true
}

func mustCert(tmpl, parent *x509.Certificate, pub any, signer any) *x509.Certificate {
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		panic(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return c
}
