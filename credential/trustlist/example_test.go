package trustlist_test

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/keys"
)

// A verifier pins the operator key, loads the list it shipped with (offline)
// and asks it the questions verification needs.
func Example() {
	pem, _ := os.ReadFile("../../testdata/trustlist/operator.key.pem")
	operator, _ := keys.ParsePrivateKeyPEM(pem) // in production: an HSM-backed crypto.Signer

	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	dukcapilKey, _ := keys.Generate(keys.ES256, nil)
	list := &trustlist.List{
		Operator: "https://trust.example.go.id", Sequence: 1,
		IssuedAt: now, NextUpdate: now.Add(24 * time.Hour),
		Issuers: []trustlist.Issuer{{
			ID: "https://dukcapil.example.go.id", Name: "Ditjen Dukcapil",
			Keys: []trustlist.Key{{ID: "dk-1", Public: dukcapilKey.Public()}},
			VCTs: []string{"urn:id:kemendagri:dukcapil:ktp-el:1"},
		}},
	}
	token, err := trustlist.Sign(list, keys.Opaque(operator), trustlist.SignOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}

	store, _ := trustlist.NewStore(operator.Public(), trustlist.StoreOptions{Now: func() time.Time { return now }})
	if _, err := store.Update(token); err != nil {
		fmt.Println(err)
		return
	}
	cur := store.Current()
	_, err = cur.KeyResolver().ResolveIssuerKey(sdjwt.IssuerKeyInfo{Issuer: "https://dukcapil.example.go.id", KeyID: "dk-1"})
	fmt.Println("key found:", err == nil)
	fmt.Println("KTP-el authorised:", cur.Authorized("https://dukcapil.example.go.id", "urn:id:kemendagri:dukcapil:ktp-el:1"))
	fmt.Println("NPWP authorised:", cur.Authorized("https://dukcapil.example.go.id", "urn:id:kemenkeu:djp:npwp:1"))
	fmt.Println("mdoc roots for NPWP:", cur.IACARoots("id.go.pajak.djp.npwp.1") != (*x509.CertPool)(nil))

	// Loading the same list again is a rollback.
	_, err = store.Update(token)
	fmt.Println("reload refused:", errors.Is(err, trustlist.ErrRollback))
	// Output:
	// key found: true
	// KTP-el authorised: true
	// NPWP authorised: false
	// mdoc roots for NPWP: false
	// reload refused: true
}
