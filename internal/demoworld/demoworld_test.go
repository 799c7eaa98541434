package demoworld

import (
	"context"
	"crypto/x509"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/verifier"
)

func TestWorld(t *testing.T) {
	ctx := context.Background()
	clk := NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	dir := t.TempDir()
	ktp, kk, npwp, bpjs, err := ResidentDocuments()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []credential.Document{ktp, kk, npwp, bpjs} {
		if d == nil {
			t.Fatal("nil resident document")
		}
	}
	if _, err := NewParty(ctx, PartyConfig{ID: DukcapilID}); !errors.Is(err, ErrConfig) {
		t.Fatalf("incomplete config: %v, want ErrConfig", err)
	}
	p, err := NewParty(ctx, PartyConfig{Dir: dir, ID: DukcapilID, Name: "Ditjen Dukcapil", Now: clk.Now,
		Types: []credential.TypeInfo{credential.KTPELType()}, Documents: []credential.Document{ktp}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.DS.Verify(x509VerifyOptions(p, clk.Now())); err != nil {
		t.Fatalf("DS does not chain to IACA root: %v", err)
	}
	e := p.TrustEntry()
	if len(e.VCTs) != 3 || e.VCTs[0] != credential.VCTKTPEL {
		t.Fatalf("trust entry VCTs %v", e.VCTs)
	}
	op, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	trust, tok, err := SignedTrust(&trustlist.List{Operator: OperatorID, Sequence: 1, IssuedAt: clk.Now().Add(-time.Hour),
		NextUpdate: clk.Now().Add(time.Hour), Issuers: []trustlist.Issuer{e}}, op, "op", clk.Now)
	if err != nil || len(tok) == 0 {
		t.Fatal(err)
	}
	w, err := holder.Create(ctx, filepath.Join(dir, "wallet"), "135790", holder.Options{
		KDF:   holder.KDFParams{Time: 1, MemoryKiB: holder.MinKDFMemoryKiB, Threads: 1},
		Trust: holder.TrustList(trust.Current()), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	a, err := p.Activate(ctx, w, "operator:test")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Received.Credentials) == 0 || a.Grant.Offer == nil || len(a.Grant.Offer.TxCode) != 6 {
		t.Fatalf("activation imported %d credentials", len(a.Received.Credentials))
	}
	cache, err := statuslist.NewCache(statuslist.CacheConfig{Keys: verifier.StatusKeys(trust), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := p.Publish(ctx, cache); err != nil || n < 1 {
		t.Fatalf("Publish = %d, %v", n, err)
	}
	clk.Advance(time.Minute)
	if got := clk.Now(); !got.Equal(time.Date(2026, 3, 1, 10, 1, 0, 0, time.UTC)) {
		t.Fatalf("clock %v", got)
	}
}

func x509VerifyOptions(p *Party, now time.Time) x509.VerifyOptions {
	return x509.VerifyOptions{Roots: Pool(p.Root), CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
}

// TestSampleDocuments: one document of each credential type, in order.
func TestSampleDocuments(t *testing.T) {
	docs, err := SampleDocuments()
	if err != nil {
		t.Fatal(err)
	}
	types := credential.Types()
	if len(docs) != len(types) {
		t.Fatalf("%d documents for %d types", len(docs), len(types))
	}
	for i, d := range docs {
		if d.Type().VCT != types[i].VCT {
			t.Errorf("document %d is a %s, want %s", i, d.Type().Name, types[i].Name)
		}
	}
}
