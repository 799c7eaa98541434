package sdjwt_test

import (
	"fmt"
	"sync"
	"time"

	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/keys"
)

// A verifier that checks presentations as they arrive keeps one Workspace
// per goroutine: each verification reads the presentation in the buffers
// the one before used, and nothing it returns points into them.
func ExampleWorkspace() {
	issued, err := sdjwt.IssueVC(map[string]any{
		"vct":  "https://ikd.example.go.id/vct/ktp-el",
		"iss":  "https://dukcapil.example.go.id",
		"exp":  now.Add(365 * 24 * time.Hour).Unix(),
		"nama": "RINA KARTIKA SARI",
		"nik":  "3174015708950021",
	}, sdjwt.IssueOptions{
		Signer:      keys.Opaque(issuerKey),
		Disclosable: []sdjwt.Path{sdjwt.P("nama"), sdjwt.P("nik")},
		HolderKey:   holderKey.Public(),
	})
	if err != nil {
		panic(err)
	}
	u, err := sdjwt.Parse(issued)
	if err != nil {
		panic(err)
	}
	pres, err := u.Present(sdjwt.KeyBindingOptions{Signer: keys.Opaque(holderKey), Audience: "https://bank.example.co.id", Nonce: "n-1", IssuedAt: now})
	if err != nil {
		panic(err)
	}

	var wg sync.WaitGroup
	names := make([]string, 2)
	for g := range names {
		wg.Go(func() {
			ws := new(sdjwt.Workspace) // this goroutine's
			for range 3 {
				v, err := sdjwt.VerifyVC(pres, sdjwt.VerifyOptions{
					IssuerKey: issuerKey.Public(),
					Now:       func() time.Time { return now },
					Audience:  "https://bank.example.co.id",
					Nonce:     "n-1",
					Workspace: ws,
				})
				if err != nil {
					panic(err)
				}
				names[g] = v.StringClaim("nama")
			}
		})
	}
	wg.Wait()
	fmt.Println(names)
	// Output: [RINA KARTIKA SARI RINA KARTIKA SARI]
}
