package qr

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
)

// Size budgets (docs/qr-format.md §8), QR version at level M: issue 7's
// age check and any 4 claims, issue 23's identity check of the sample
// resident (the ikd demo's) and the long cases: a 60-character name
// (identity check) and the longest address (address check).
const (
	budgetIdentity = 17
	budgetAge      = 18
	budgetAny4     = 27
	budgetLong     = 19
)

type sizeRow struct {
	name, format string
	compact      int // presentation size as usually transmitted (compact SD-JWT / DeviceResponse with x5chain)
	content      int // CBOR envelope content
	code         Code
}

func (f *fixture) measure(t *testing.T, name string, sdPaths []sdjwt.Path, sd *sdjwt.Unverified, mreq map[string][]string, cred func() any) (rows []sizeRow) {
	t.Helper()
	b := f.binding(t)
	p, err := PresentSDJWT(sd, sdPaths, b, f.holderKey, detRand(9))
	if err != nil {
		t.Fatal(err)
	}
	rows = append(rows, f.row(t, name, "SD-JWT VC", p, len(p.SDJWT)))
	return rows
}

func (f *fixture) row(t *testing.T, name, format string, p Presentation, compact int) sizeRow {
	t.Helper()
	env := Envelope{Presentations: []Presentation{p}}
	content, tail, err := encodeContentV2(env)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Encode(env)
	if err != nil {
		t.Fatalf("%s %s: %v", name, format, err)
	}
	// Every measured payload must also decode to what was encoded.
	got, err := Decode(c.Data)
	if err != nil {
		t.Fatalf("%s %s: decode: %v", name, format, err)
	}
	f.sameEnvelope(t, got, env)
	return sizeRow{name: name, format: format, compact: compact, content: len(content) + len(tail), code: c}
}

// TestSizeBudget fails if a QR check exceeds its budget, and logs the table
// in docs/qr-format.md §8 (go test -run TestSizeBudget -v). The cases are
// measured with values the version 2 dictionary does not hold (its
// templates are of another resident, verifier and time).
func TestSizeBudget(t *testing.T) {
	f := newFixture(t)
	b := f.binding(t)
	var rows []sizeRow
	check := func(r sizeRow, budget int) {
		t.Helper()
		rows = append(rows, r)
		if r.code.Version > budget {
			t.Errorf("%s (%s): QR version %d at level M, budget %d", r.name, r.format, r.code.Version, budget)
		}
	}
	for _, st := range []bool{true, false} {
		suffix := ""
		if !st {
			suffix = ", no status"
		}
		sdProfile, mdProfile := f.profileSDJWT(t, st), f.profileMdoc(t, st)
		idp, idm := identityCheck()
		p, err := PresentSDJWT(sdProfile, idp, b, f.holderKey, nil)
		if err != nil {
			t.Fatal(err)
		}
		check(f.row(t, "identity check"+suffix, "SD-JWT VC", p, len(p.SDJWT)), budgetIdentity)
		pm, err := PresentMdoc(mdProfile, idm, b, f.holderKey, nil)
		if err != nil {
			t.Fatal(err)
		}
		check(f.row(t, "identity check"+suffix, "mdoc", pm, len(pm.Mdoc.DeviceResponse)), budgetIdentity)
		for _, years := range []int{17, 18} {
			ap, am := ageCheck(years)
			p, err := PresentSDJWT(sdProfile, ap, b, f.holderKey, nil)
			if err != nil {
				t.Fatal(err)
			}
			check(f.row(t, fmt.Sprintf("age check %d%s", years, suffix), "SD-JWT VC", p, len(p.SDJWT)), budgetAge)
			pm, err := PresentMdoc(mdProfile, am, b, f.holderKey, nil)
			if err != nil {
				t.Fatal(err)
			}
			check(f.row(t, fmt.Sprintf("age check %d%s", years, suffix), "mdoc", pm, len(pm.Mdoc.DeviceResponse)), budgetAge)
		}
	}
	// The long cases: a 60-character name (identity check) and the
	// longest address (address check), compact profile.
	long := *f
	long.ktp = sampleKTPELWith(t, func(k *credential.KTPELFields) { k.Name = longName })
	idp, idm := identityCheck()
	p, err := PresentSDJWT(long.profileSDJWT(t, true), idp, b, f.holderKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	check(f.row(t, "identity check, 60-character name", "SD-JWT VC", p, len(p.SDJWT)), budgetLong)
	pm, err := PresentMdoc(long.profileMdoc(t, true), idm, b, f.holderKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	check(f.row(t, "identity check, 60-character name", "mdoc", pm, len(pm.Mdoc.DeviceResponse)), budgetLong)
	for _, c := range []struct {
		name string
		ktp  *credential.KTPEL
	}{
		{"address check", f.ktp},
		{"address check, longest address", sampleKTPELWith(t, func(k *credential.KTPELFields) { k.Address = longAddress })},
	} {
		ap, am := addressCheck()
		g := *f
		g.ktp = c.ktp
		p, err := PresentSDJWT(g.profileSDJWT(t, true), ap, b, f.holderKey, nil)
		if err != nil {
			t.Fatal(err)
		}
		check(f.row(t, c.name, "SD-JWT VC", p, len(p.SDJWT)), budgetLong)
		pm, err := PresentMdoc(g.profileMdoc(t, true), am, b, f.holderKey, nil)
		if err != nil {
			t.Fatal(err)
		}
		check(f.row(t, c.name, "mdoc", pm, len(pm.Mdoc.DeviceResponse)), budgetLong)
	}

	// Any 4 claims of the full KTP-el, through the full QR profile: every
	// claim is in one group (credential.TestQRFullCoversKTPEL), so 4 claims
	// disclose at most 4 groups; every 4-group combination is measured.
	sdFull := f.ktp.QRFullSDJWTClaims(testNow)
	sdCred := f.issueSDJWT(t, sdFull, fullDisclosable(sdFull), true)
	mdCred := f.issueMdoc(t, credential.DocTypeQRFull, f.ktp.QRFullMdocElements(testNow), true)
	groups := fullGroups()
	worst := map[string]sizeRow{}
	combos := 0
	for i := 0; i < len(groups); i++ {
		for j := i + 1; j < len(groups); j++ {
			for k := j + 1; k < len(groups); k++ {
				for l := k + 1; l < len(groups); l++ {
					combos++
					sel := []string{groups[i], groups[j], groups[k], groups[l]}
					name := "any 4 claims: " + strings.Join(sel, "+")
					var paths []sdjwt.Path
					for _, g := range sel {
						paths = append(paths, sdjwt.Path{g})
					}
					p, err := PresentSDJWT(sdCred, paths, b, f.holderKey, nil)
					if err != nil {
						t.Fatal(err)
					}
					r := f.row(t, name, "SD-JWT VC", p, len(p.SDJWT))
					if w, ok := worst[r.format]; !ok || r.code.Version > w.code.Version || (r.code.Version == w.code.Version && len(r.code.Data) > len(w.code.Data)) {
						worst[r.format] = r
					}
					pm, err := PresentMdoc(mdCred, map[string][]string{credential.DocTypeQRFull: sel}, b, f.holderKey, nil)
					if err != nil {
						t.Fatal(err)
					}
					r = f.row(t, name, "mdoc", pm, len(pm.Mdoc.DeviceResponse))
					if w, ok := worst[r.format]; !ok || r.code.Version > w.code.Version || (r.code.Version == w.code.Version && len(r.code.Data) > len(w.code.Data)) {
						worst[r.format] = r
					}
				}
			}
		}
	}
	if n := len(groups); combos != n*(n-1)*(n-2)*(n-3)/24 || combos == 0 {
		t.Fatalf("measured %d combinations of %d groups", combos, n)
	}
	for _, format := range []string{"SD-JWT VC", "mdoc"} {
		check(worst[format], budgetAny4)
	}

	var sb strings.Builder
	sb.WriteString("\n| case | format | presentation bytes | envelope CBOR bytes | QR payload | QR mode | version (M) |\n|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&sb, "| %s | %s | %d | %d | %d | %s | %d |\n", r.name, r.format, r.compact, r.content, len(r.code.Data), r.code.Mode, r.code.Version)
	}
	t.Log(sb.String())
}
