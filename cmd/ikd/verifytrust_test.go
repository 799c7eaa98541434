package main

import (
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/internal/demoworld"
	"github.com/ikdkit/ikdkit/keys"
)

// TestLocalList: the trust list bare --trust values stand for covers
// exactly the issuers and types the presentations name, with the keys
// listed so the presentation's kid finds them.
func TestLocalList(t *testing.T) {
	k1, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	root, leaf, err := demoworld.NewPKI("Test", ds, t0)
	if err != nil {
		t.Fatal(err)
	}
	otherRoot, _, err := demoworld.NewPKI("Other", ds, t0)
	if err != nil {
		t.Fatal(err)
	}
	one := []bareKey{{id: "thumb-1", pub: k1.Public()}}
	two := []bareKey{{id: "thumb-1", pub: k1.Public()}, {id: "thumb-2", pub: k2.Public()}}
	const iss, vct, dt = "https://dukcapil.example.go.id", "urn:id:kemendagri:dukcapil:ktp-el:1", "id.go.kemendagri.dukcapil.ktpel.1"
	type lookup struct {
		iss, kid string
		ok       bool
	}
	tests := []struct {
		name     string
		ts       *trustSet
		seen     func(*presented)
		lookups  []lookup
		authz    map[string]bool // type -> authorised for iss
		roots    int             // issuers with IACA roots
		usageErr bool
	}{
		{"one key, pinned under the presented kid", &trustSet{keys: one},
			func(p *presented) { p.addSDJWT(iss, "k-2026", vct) },
			[]lookup{{iss, "k-2026", true}, {iss, "", true}, {iss, "other", false}, {"https://other.example", "k-2026", false}},
			map[string]bool{vct: true, "urn:id:kemenkeu:djp:npwp:1": false}, 0, false},
		{"one key, no kid", &trustSet{keys: one},
			func(p *presented) { p.addSDJWT(iss, "", vct) },
			[]lookup{{iss, "", true}, {iss, "thumb-1", true}}, map[string]bool{vct: true}, 0, false},
		{"two keys, by their own ids", &trustSet{keys: two},
			func(p *presented) { p.addSDJWT(iss, "k-2026", vct) },
			[]lookup{{iss, "thumb-2", true}, {iss, "k-2026", false}, {iss, "", false}}, map[string]bool{vct: true}, 0, false},
		{"iss not an https URL is left out", &trustSet{keys: one},
			func(p *presented) { p.addSDJWT("did:example:1", "", vct); p.addSDJWT(iss, "", vct) },
			[]lookup{{"did:example:1", "", false}, {iss, "", true}}, nil, 0, false},
		{"no key: no SD-JWT issuer", &trustSet{roots: []*x509.Certificate{root}},
			func(p *presented) { p.addSDJWT(iss, "", vct); p.addDocType(dt) },
			[]lookup{{iss, "", false}}, nil, 1, false},
		{"root with its document signer", &trustSet{roots: []*x509.Certificate{root}, signers: []*x509.Certificate{leaf}},
			func(p *presented) { p.addDocType(dt) }, nil, nil, 1, false},
		{"root without mdoc presented", &trustSet{roots: []*x509.Certificate{root}},
			func(p *presented) { p.addSDJWT(iss, "", vct) }, nil, nil, 0, false},
		{"document signer without its root", &trustSet{roots: []*x509.Certificate{otherRoot}, signers: []*x509.Certificate{leaf}},
			func(p *presented) { p.addDocType(dt) }, nil, nil, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var seen presented
			tc.seen(&seen)
			l, err := localList(tc.ts, &seen, t0)
			var ue *usageError
			if tc.usageErr {
				if !errors.As(err, &ue) {
					t.Fatalf("got %v, want a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.Operator != localOperator || l.Stale(t0.Add(time.Hour)) {
				t.Fatalf("list %q, next update %v", l.Operator, l.NextUpdate)
			}
			for _, lk := range tc.lookups {
				if _, _, err := l.IssuerKey(lk.iss, lk.kid); (err == nil) != lk.ok {
					t.Errorf("IssuerKey(%q, %q): %v, want found %v", lk.iss, lk.kid, err, lk.ok)
				}
			}
			for typ, want := range tc.authz {
				if got := l.Authorized(iss, typ); got != want {
					t.Errorf("Authorized(%s) = %v", typ, got)
				}
			}
			n := 0
			for _, is := range l.Issuers {
				if len(is.IACARoots) > 0 {
					n++
					if !l.Authorized(is.ID, dt) || l.Authorized(is.ID, "other.doctype") {
						t.Errorf("root issuer %s authorised for %v", is.ID, is.DocTypes)
					}
					if len(tc.ts.signers) > 0 && len(l.DocumentSigners()) != len(tc.ts.signers) {
						t.Errorf("%d document signers listed", len(l.DocumentSigners()))
					}
				}
			}
			if n != tc.roots {
				t.Errorf("%d root issuers, want %d", n, tc.roots)
			}
		})
	}
}
