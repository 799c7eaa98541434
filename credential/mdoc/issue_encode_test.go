package mdoc

import (
	"bytes"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"math"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// seededReader returns a deterministic byte stream for seed.
func seededReader(seed uint64) *mrand.ChaCha8 {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return mrand.NewChaCha8(s)
}

// valueGen makes random element values of every kind the encoders meet.
type valueGen struct{ r *mrand.Rand }

func (g valueGen) text() string {
	return []string{"", "a", "RINA KARTIKA SARI", "é太郎😀", "bad\xffutf8", strings.Repeat("x", 23),
		strings.Repeat("y", 24), strings.Repeat("z", 300)}[g.r.IntN(8)]
}

func (g valueGen) value(depth int) any {
	switch g.r.IntN(16) {
	case 0:
		return g.text()
	case 1:
		return make([]byte, []int{0, 1, 23, 24, 255, 256, 65535, 65536, 12000}[g.r.IntN(9)])
	case 2:
		return g.r.IntN(2) == 0
	case 3:
		return []int{0, 1, 23, 24, 255, 256, -1, -24, -25, -256, -257, math.MaxInt32, math.MinInt64, math.MaxInt64}[g.r.IntN(14)]
	case 4:
		return int64(g.r.Int64()) - math.MaxInt64/2
	case 5:
		return g.r.Uint64()
	case 6:
		return FullDate{1900 + g.r.IntN(200), time.Month(1 + g.r.IntN(12)), 1 + g.r.IntN(28)}
	case 7:
		return time.Date(2000+g.r.IntN(50), 1, 2, 3, 4, 5, 0, time.UTC)
	case 8:
		return []float64{0, 1.5, -0.25, 1e300, 65504}[g.r.IntN(5)]
	case 9:
		return nil
	case 10:
		return FullDate{2023, 2, 30} // not a date: an error in both encoders
	case 11:
		if depth < 3 {
			m := map[string]any{}
			for range g.r.IntN(4) {
				m[g.text()] = g.value(depth + 1)
			}
			return m
		}
	case 12:
		if depth < 3 {
			a := make([]any, g.r.IntN(4))
			for i := range a {
				a[i] = g.value(depth + 1)
			}
			return a
		}
	case 13:
		return uint8(7)
	}
	return "plain"
}

// TestItemEncodingMatchesEncMode checks appendItem against encMode on
// IssuerSignedItems with random values.
func TestItemEncodingMatchesEncMode(t *testing.T) {
	g := valueGen{mrand.New(mrand.NewPCG(1, 2))}
	salt := make([]byte, randomSize)
	errs := 0
	for i := range 3000 {
		v := g.value(0)
		name := g.text()
		id := []uint64{0, 23, 24, 255, 256, 65536, 1<<31 - 1}[i%7]
		got, gerr := appendItem(nil, id, salt, name, v)
		value, werr := marshal(v)
		var want []byte
		if werr == nil {
			want, werr = marshal(issuerSignedItemWire{DigestID: &id, Random: salt, ElementIdentifier: name, ElementValue: value})
		}
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("%#v: error %v, encMode %v", v, gerr, werr)
		}
		if gerr != nil {
			if !errors.Is(gerr, ErrInvalidArgument) {
				t.Fatalf("%#v: error %v is not ErrInvalidArgument", v, gerr)
			}
			errs++
			continue
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%#v (name %q):\n got %x\nwant %x", v, name, got, want)
		}
	}
	if errs == 0 || errs > 1000 {
		t.Fatalf("%d errors in 3000 cases", errs)
	}
}

// TestMSOEncodingMatchesEncMode checks the MSO encoder against encMode on
// random MSOs: several namespaces (names up to and past 24 bytes, whose
// heads differ), random digest IDs, optional expectedUpdate and status.
func TestMSOEncodingMatchesEncMode(t *testing.T) {
	r := mrand.New(mrand.NewPCG(3, 4))
	deviceKey, err := encodeCOSEKey(newECKey(t, elliptic.P384()).Public())
	if err != nil {
		t.Fatal(err)
	}
	nsNames := []string{"org.iso.18013.5.1", "id.go.kemendagri.dukcapil.ktpel.1", "a", "b", "ab", "z",
		strings.Repeat("n", 23), strings.Repeat("n", 24), strings.Repeat("m", 24), strings.Repeat("n", 256)}
	for i := range 500 {
		hsize := []int{32, 48, 64}[r.IntN(3)]
		m := msoFields{
			digestAlgorithm: "SHA-256", docType: "id.go.kemendagri.dukcapil.ktpel.1", deviceKey: deviceKey,
			signed:     time.Unix(1700000000+r.Int64N(1e9), 0).UTC(),
			validFrom:  time.Unix(1700000000+r.Int64N(1e9), 0).UTC(),
			validUntil: time.Unix(1700000000+r.Int64N(1e9), 0).UTC(), hsize: hsize,
		}
		if r.IntN(2) == 0 {
			m.expectedUpdate = time.Unix(1700000000+r.Int64N(1e9), 0).UTC()
		}
		if r.IntN(2) == 0 {
			m.status = &StatusReference{Index: r.Uint64N(1 << 33), URI: "https://status.example.id/" + strings.Repeat("x", r.IntN(40))}
		}
		wire := msoWire{Version: "1.0", DigestAlgorithm: m.digestAlgorithm, DocType: m.docType,
			ValueDigests:  map[string]map[uint64]strictcbor.ByteString{},
			DeviceKeyInfo: deviceKeyInfoWire{DeviceKey: deviceKey},
			ValidityInfo:  validityInfoWire{Signed: m.signed, ValidFrom: m.validFrom, ValidUntil: m.validUntil}}
		if !m.expectedUpdate.IsZero() {
			e := m.expectedUpdate
			wire.ValidityInfo.ExpectedUpdate = &e
		}
		if m.status != nil {
			idx := m.status.Index
			wire.Status = &statusWire{StatusList: &statusListWire{Idx: &idx, URI: m.status.URI}}
		}
		perm := r.Perm(len(nsNames))[:1+r.IntN(4)]
		for _, p := range perm {
			m.nss = append(m.nss, nsNames[p])
		}
		for _, ns := range m.nss {
			n := 1 + r.IntN(30)
			m.nsItems = append(m.nsItems, n)
			wire.ValueDigests[ns] = map[uint64]strictcbor.ByteString{}
			for range n {
				id := []uint64{r.Uint64N(24), r.Uint64N(1 << 31), r.Uint64N(300)}[r.IntN(3)]
				if _, dup := wire.ValueDigests[ns][id]; dup {
					id = 1<<31 + uint64(len(m.ids)) // unique
				}
				d := make([]byte, hsize)
				for j := range d {
					d[j] = byte(r.Uint32())
				}
				m.ids = append(m.ids, id)
				m.digests = append(m.digests, d...)
				wire.ValueDigests[ns][id] = d
			}
		}
		got, err := m.append(nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := marshal(wire)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d (namespaces %q):\n got %x\nwant %x", i, m.nss, got, want)
		}
	}
}

// TestIssueMatchesReference holds Issue to the bytes of the reflection-based
// issuer (referenceIssue) for random single-namespace requests (the old
// issuer drew randomness for several namespaces in map order, so only one
// namespace gives it a reproducible output). Ed25519 signatures are
// deterministic, so the whole IssuerSigned is compared.
func TestIssueMatchesReference(t *testing.T) {
	pki := newPKI(t)
	_, edKey, _ := ed25519.GenerateKey(seededReader(1))
	device := newECKey(t, elliptic.P256())
	g := valueGen{mrand.New(mrand.NewPCG(5, 6))}
	compared := 0
	for i := range 300 {
		elems := map[string]any{}
		for range 1 + g.r.IntN(12) {
			elems[g.text()+"_"+strings.Repeat("e", g.r.IntN(30))] = g.value(0)
		}
		chain := []*x509.Certificate{pki.ds}
		if g.r.IntN(2) == 0 {
			chain = append(chain, pki.root)
		}
		req := IssueRequest{DocType: ktpDocType, NameSpaces: map[string]map[string]any{ktpDocType: elems},
			DeviceKey: device.Public(), ValidUntil: testNow.AddDate(0, 0, 30)}
		if g.r.IntN(2) == 0 {
			req.Status = &StatusReference{Index: g.r.Uint64N(1 << 20), URI: "https://status.example.id/1"}
		}
		if g.r.IntN(3) == 0 {
			req.ExpectedUpdate = testNow.AddDate(0, 0, 7)
		}
		newIss := &Issuer{Signer: edKey, Chain: chain, Now: func() time.Time { return testNow }, Rand: seededReader(uint64(i))}
		refIss := *newIss
		refIss.Rand = seededReader(uint64(i))
		got, gerr := newIss.Issue(req)
		want, werr := referenceIssue(&refIss, req)
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("case %d: error %v, reference %v", i, gerr, werr)
		}
		if gerr != nil {
			continue
		}
		gb, _ := got.MarshalCBOR()
		wb, _ := want.MarshalCBOR()
		if !bytes.Equal(gb, wb) {
			t.Fatalf("case %d: IssuerSigned differs\n got %x\nwant %x", i, gb, wb)
		}
		compared++
	}
	if compared < 100 {
		t.Fatalf("only %d outputs compared", compared)
	}
}

// TestIssueMatchesReferenceES256 compares the KTP-el mdoc signed with
// ECDSA, whose signatures are randomised: everything but the signature
// must be the same, and the new one must verify.
func TestIssueMatchesReferenceES256(t *testing.T) {
	pki := newPKI(t)
	device := newECKey(t, elliptic.P256())
	req := IssueRequest{DocType: ktpDocType, NameSpaces: ktpElements(), DeviceKey: device.Public(),
		ValidUntil: testNow.AddDate(0, 0, 30), Status: &StatusReference{Index: 42, URI: "https://status.example.id/ktp/1"}}
	iss := &Issuer{Signer: pki.dsKey, Chain: []*x509.Certificate{pki.ds}, Now: func() time.Time { return testNow }, Rand: seededReader(7)}
	ref := *iss
	ref.Rand = seededReader(7)
	got, err := iss.Issue(req)
	if err != nil {
		t.Fatal(err)
	}
	want, err := referenceIssue(&ref, req)
	if err != nil {
		t.Fatal(err)
	}
	ga, wa := got.issuerAuth, want.issuerAuth
	if len(ga) != len(wa) || !bytes.Equal(ga[:len(ga)-64], wa[:len(wa)-64]) {
		t.Fatalf("issuerAuth differs before the signature")
	}
	got.issuerAuth, want.issuerAuth = nil, nil
	gb, _ := got.MarshalCBOR()
	wb, _ := want.MarshalCBOR()
	if !bytes.Equal(gb, wb) {
		t.Fatalf("items differ")
	}
	got.issuerAuth = ga
	gb, _ = got.MarshalCBOR()
	if _, err := ParseIssuerSigned(gb); err != nil {
		t.Fatal(err)
	}
	msg, _, err := parseIssuerAuth(got.issuerAuth, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := msg.Verify(pki.dsKey.Public(), nil); err != nil {
		t.Fatal(err)
	}
}
