package demoworld

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/issuer"
	"github.com/ikdkit/ikdkit/keys"
)

// The linkability test of issue 19. Two presentations of one person to
// two verifiers are linkable by their bytes when they share a byte
// sequence that neither the person's disclosed values nor what every
// holder of the type shares (the issuer's fixed fields, the format's
// structure, the day of issue) explain.
//
// Each presentation is decoded into its leaf values — JSON and CBOR
// strings, byte strings, and integers as 8-byte big-endian numbers (so a
// status index or a digest ID compares whole) — with every embedded
// structure decoded too (JWT parts, tag-24 items, COSE headers). Names and
// structure are left out: they are the format's, the same for everyone.
// Disclosed values are left out (an SD-JWT disclosure keeps its salt and
// name, an mdoc item everything but its elementValue). Windows of gramLen
// bytes are taken within each leaf; the windows both presentations of the
// resident share, less those of the same requests answered by another
// resident of the same issuer on the same day, must be none.
const gramLen = 8

// segments are the leaf values a presentation is compared by.
type segments [][]byte

func (s segments) grams() map[string]bool {
	g := map[string]bool{}
	for _, b := range s {
		for i := 0; i+gramLen <= len(b); i++ {
			g[string(b[i:i+gramLen])] = true
		}
	}
	return g
}

func intLeaf(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// jsonLeaves adds the leaf values of a JSON text.
func jsonLeaves(t *testing.T, out *segments, data []byte) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("JSON %q: %v", data, err)
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case string:
			*out = append(*out, []byte(v))
		case json.Number:
			if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				*out = append(*out, intLeaf(uint64(n)))
			} else {
				*out = append(*out, []byte(v))
			}
		}
	}
	walk(v)
}

// jwtLeaves adds a compact JWT's header and payload leaves and its
// signature.
func jwtLeaves(t *testing.T, out *segments, jwt string) {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT of %d parts", len(parts))
	}
	for i, p := range parts {
		b, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			t.Fatalf("JWT part %q: %v", p, err)
		}
		if i < 2 {
			jsonLeaves(t, out, b)
		} else {
			*out = append(*out, b)
		}
	}
}

// sdjwtSegments decodes an SD-JWT presentation: the issuer JWT, the salt
// and name of each disclosure (not its value), and the KB-JWT.
func sdjwtSegments(t *testing.T, pres string) segments {
	t.Helper()
	parts := strings.Split(pres, "~")
	var out segments
	jwtLeaves(t, &out, parts[0])
	for _, d := range parts[1 : len(parts)-1] {
		b, err := base64.RawURLEncoding.DecodeString(d)
		if err != nil {
			t.Fatal(err)
		}
		var arr []any
		if err := json.Unmarshal(b, &arr); err != nil || len(arr) < 2 {
			t.Fatalf("disclosure %s: %v", b, err)
		}
		for _, x := range arr[:len(arr)-1] { // the disclosed value is last
			out = append(out, []byte(x.(string)))
		}
	}
	if kb := parts[len(parts)-1]; kb != "" {
		jwtLeaves(t, &out, kb)
	}
	return out
}

// cborLeaves adds the leaf values of CBOR data, decoding embedded items
// (tag 24) and byte strings that hold a CBOR map or array (COSE headers
// and payloads), and leaving out every elementValue.
func cborLeaves(t *testing.T, out *segments, data []byte) {
	t.Helper()
	var v any
	if err := cbor.Unmarshal(data, &v); err != nil {
		t.Fatalf("CBOR: %v", err)
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[any]any:
			for k, x := range v {
				if k == "elementValue" {
					continue
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case cbor.Tag:
			walk(v.Content)
		case []byte:
			var inner any
			if len(v) > 0 && (v[0]>>5 == 4 || v[0]>>5 == 5 || v[0] == 0xd8) && cbor.Unmarshal(v, &inner) == nil {
				walk(inner)
				return
			}
			*out = append(*out, v)
		case string:
			*out = append(*out, []byte(v))
		case uint64:
			*out = append(*out, intLeaf(v))
		case int64:
			*out = append(*out, intLeaf(uint64(v)))
		}
	}
	walk(v)
}

// mdocSegments decodes a DeviceResponse.
func mdocSegments(t *testing.T, dr []byte) segments {
	t.Helper()
	var out segments
	cborLeaves(t, &out, dr)
	return out
}

// envelopeSegments decodes a response QR's text and returns the segments
// of each presentation in it and of its binding.
func envelopeSegments(t *testing.T, code qr.Code) segments {
	t.Helper()
	env, err := qr.Decode(code.Data)
	if err != nil {
		t.Fatal(err)
	}
	var out segments
	for _, p := range env.Presentations {
		if p.SDJWT != "" {
			out = append(out, sdjwtSegments(t, p.SDJWT)...)
			continue
		}
		out = append(out, mdocSegments(t, p.Mdoc.DeviceResponse)...)
		b := p.Mdoc.Binding
		out = append(out, []byte(b.Audience), b.Nonce, intLeaf(uint64(b.IssuedAt.Unix())))
	}
	return out
}

// linking returns the windows a and b share that baseline does not have.
func linking(a, b, baseline segments) []string {
	ga, gb, gbase := a.grams(), b.grams(), baseline.grams()
	var out []string
	for g := range ga {
		if gb[g] && !gbase[g] {
			out = append(out, g)
		}
	}
	slices.Sort(out)
	return out
}

// linkWorld is Dukcapil issuing to the resident and her husband, each
// with a wallet, on one clock.
type linkWorld struct {
	ctx             context.Context
	clk             *Clock
	party           *Party
	resident, other *holder.Wallet
}

func newLinkWorld(t *testing.T) *linkWorld {
	t.Helper()
	ctx := context.Background()
	clk := NewClock(time.Date(2026, 12, 3, 9, 12, 7, 0, time.UTC))
	dir := t.TempDir()
	ktp, _, _, _, err := ResidentDocuments()
	if err != nil {
		t.Fatal(err)
	}
	husband, err := HusbandKTPEL()
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewParty(ctx, PartyConfig{Dir: dir, ID: DukcapilID, Name: "Ditjen Dukcapil", Now: clk.Now,
		Types: []credential.TypeInfo{credential.KTPELType()}, Documents: []credential.Document{ktp},
		Others: map[string][]credential.Document{HusbandNIK: {husband}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	op, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	trust, _, err := SignedTrust(&trustlist.List{Operator: OperatorID, Sequence: 1, IssuedAt: clk.Now().Add(-time.Hour),
		NextUpdate: clk.Now().Add(30 * 24 * time.Hour), Issuers: []trustlist.Issuer{p.TrustEntry()}}, op, "op", clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	lw := &linkWorld{ctx: ctx, clk: clk, party: p}
	for i, req := range []issuer.RegisterRequest{RegisterRequest(),
		{NIK: HusbandNIK, Email: "andi@example.id", Phone: "0813-1111-2222"}} {
		w, err := holder.Create(ctx, filepath.Join(dir, fmt.Sprint("wallet", i)), "135790", holder.Options{
			KDF:   holder.KDFParams{Time: 1, MemoryKiB: holder.MinKDFMemoryKiB, Threads: 1},
			Trust: holder.TrustList(trust.Current()), Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close() })
		if _, err := p.ActivateResident(ctx, w, "operator:test", req); err != nil {
			t.Fatal(err)
		}
		// The second resident activates hours later on the same day.
		clk.Advance(7 * time.Hour)
		if i == 0 {
			lw.resident = w
		} else {
			lw.other = w
		}
	}
	return lw
}

// present answers verifier with the claims of typ from w, a minute later.
func (lw *linkWorld) present(t *testing.T, w *holder.Wallet, verifier, typ string, claims ...string) *holder.Presentation {
	t.Helper()
	lw.clk.Advance(time.Minute)
	p, err := w.Present(lw.ctx, &holder.Request{Verifier: verifier, Items: []holder.RequestItem{{Type: typ, Claims: claims}}},
		holder.PresentOptions{Consent: func(context.Context, holder.ConsentRequest) (bool, error) { return true, nil }})
	if err != nil {
		t.Fatalf("present %s to %s: %v", typ, verifier, err)
	}
	return p
}

const (
	bank     = "https://bank.example.co.id"
	hospital = "https://rs.example.co.id"
)

// TestLinkability: two presentations of the resident's credentials to a
// bank and to a hospital share no window of 8 bytes that her disclosed
// values, or what her husband's presentation of the same request shares,
// do not explain — for the SD-JWT VC, the mdoc and the response QR of
// the KTP-el and of its compact QR profile.
func TestLinkability(t *testing.T) {
	lw := newLinkWorld(t)
	for _, tc := range []struct {
		name, typ string
		claims    []string
		segs      func(*testing.T, *holder.Presentation) segments
	}{
		{"KTP-el SD-JWT VC", credential.VCTKTPEL, []string{"name", "birthdate"}, func(t *testing.T, p *holder.Presentation) segments {
			return sdjwtSegments(t, p.Envelope.Presentations[0].SDJWT)
		}},
		{"KTP-el mdoc", credential.DocTypeKTPEL, []string{"name", "birth_date"}, func(t *testing.T, p *holder.Presentation) segments {
			return mdocSegments(t, p.Envelope.Presentations[0].Mdoc.DeviceResponse)
		}},
		{"QR envelope, QR profile SD-JWT VC", credential.VCTQR, []string{credential.QRClaimID}, func(t *testing.T, p *holder.Presentation) segments {
			return envelopeSegments(t, p.Codes[0])
		}},
		{"QR envelope, QR profile mdoc", credential.DocTypeQR, []string{credential.QRClaimID}, func(t *testing.T, p *holder.Presentation) segments {
			return envelopeSegments(t, p.Codes[0])
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			toBank := tc.segs(t, lw.present(t, lw.resident, bank, tc.typ, tc.claims...))
			toHospital := tc.segs(t, lw.present(t, lw.resident, hospital, tc.typ, tc.claims...))
			var baseline segments
			for _, v := range []string{bank, hospital} {
				baseline = append(baseline, tc.segs(t, lw.present(t, lw.other, v, tc.typ, tc.claims...))...)
			}
			if l := linking(toBank, toHospital, baseline); len(l) > 0 {
				t.Errorf("%d windows of %d bytes link the two presentations, e.g. %q", len(l), gramLen, sample(l))
			}
		})
	}
}

// TestLinkabilityPerVerifier: under UsePerVerifier the bank gets the same
// copy every time — the history says so, and the measure of
// TestLinkability finds the two presentations linked (the copy's key,
// signature and status index), which shows the measure can fail — while
// the hospital gets another copy, unlinkable to the bank's.
func TestLinkabilityPerVerifier(t *testing.T) {
	lw := newLinkWorld(t)
	creds, err := lw.resident.Credentials(lw.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range creds {
		if c.VCT == credential.VCTKTPEL && c.Format == credential.FormatSDJWT {
			if err := lw.resident.SetUsePolicy(lw.ctx, c.ID, holder.UsePerVerifier); err != nil {
				t.Fatal(err)
			}
		}
	}
	seg := func(p *holder.Presentation) segments { return sdjwtSegments(t, p.Envelope.Presentations[0].SDJWT) }
	bank1 := seg(lw.present(t, lw.resident, bank, credential.VCTKTPEL, "name"))
	bank2 := seg(lw.present(t, lw.resident, bank, credential.VCTKTPEL, "name"))
	hosp := seg(lw.present(t, lw.resident, hospital, credential.VCTKTPEL, "name"))
	var baseline segments
	for _, v := range []string{bank, hospital} {
		baseline = append(baseline, seg(lw.present(t, lw.other, v, credential.VCTKTPEL, "name"))...)
	}
	if l := linking(bank1, bank2, baseline); len(l) < 32 {
		t.Errorf("the bank's two presentations of one copy share only %d windows", len(l))
	}
	if l := linking(bank1, hosp, baseline); len(l) > 0 {
		t.Errorf("the bank's and the hospital's copies share %d windows, e.g. %q", len(l), sample(l))
	}
	acts, err := lw.resident.Activity(lw.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var used []holder.CopyUse
	for _, a := range acts {
		if len(a.Copies) == 1 {
			used = append(used, a.Copies[0])
		}
	}
	// Newest first or oldest first: find the three presentations' copies.
	keys := map[string]int{}
	for _, u := range used {
		keys[u.Key]++
	}
	if len(used) != 3 || len(keys) != 2 {
		t.Fatalf("history records copies %+v, want the bank's twice and the hospital's once", used)
	}
}

// sample shows a few linking windows, merged where they overlap.
func sample(l []string) []string {
	if len(l) > 6 {
		l = l[:6]
	}
	return l
}
