package main

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/internal/demoworld"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/verifier"
)

// world is this example's stand-in for the outside: the issuer kits of
// Dukcapil (KTP-el) and BPJS Kesehatan, the trust-list operator, and one
// patient's activated wallet. A real hospital gets only the signed trust
// list and the status lists.
type world struct {
	dir     string
	now     func() time.Time
	parties []*demoworld.Party
	trust   *trustlist.Store
	status  *statuslist.Cache
	wallet  *holder.Wallet
}

const patientNIK = demoworld.ResidentNIK

// newWorld builds the world in a temporary directory; close it with Close.
func newWorld(ctx context.Context, now func() time.Time) (_ *world, err error) {
	w := &world{now: now}
	if w.dir, err = os.MkdirTemp("", "hospital-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			w.Close()
		}
	}()
	ktp, _, _, card, err := demoworld.ResidentDocuments()
	if err != nil {
		return nil, err
	}
	var entries []trustlist.Issuer
	for _, c := range []demoworld.PartyConfig{
		{ID: demoworld.DukcapilID, Name: "Ditjen Dukcapil", Types: []credential.TypeInfo{credential.KTPELType()}, Documents: []credential.Document{ktp}},
		{ID: demoworld.BPJSID, Name: "BPJS Kesehatan", Types: []credential.TypeInfo{credential.BPJSKesehatanType()}, Documents: []credential.Document{card}},
	} {
		c.Dir, c.Now = w.dir, now
		p, err := demoworld.NewParty(ctx, c)
		if err != nil {
			return nil, err
		}
		w.parties = append(w.parties, p)
		entries = append(entries, p.TrustEntry())
	}

	// The trust-list operator lists both issuers and registers the hospital
	// with the claims it may ask for.
	allowed := map[string][]string{}
	for _, it := range admissionRequest {
		allowed[it.Type] = it.Claims
	}
	op, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		return nil, err
	}
	list := &trustlist.List{Operator: demoworld.OperatorID, Sequence: 1, IssuedAt: now().Add(-time.Hour), NextUpdate: now().Add(24 * time.Hour),
		Issuers:   entries,
		Verifiers: []trustlist.Verifier{{ID: hospitalID, Name: "RSUD Contoh", Claims: allowed}},
	}
	if w.trust, _, err = demoworld.SignedTrust(list, op, "", now); err != nil {
		return nil, err
	}
	if w.status, err = statuslist.NewCache(statuslist.CacheConfig{Keys: verifier.StatusKeys(w.trust), Now: now}); err != nil {
		return nil, err
	}

	// The resident registers, the operator confirms, the wallet activates.
	if w.wallet, err = holder.Create(ctx, filepath.Join(w.dir, "wallet"), "135790", holder.Options{
		KDF:   holder.KDFParams{Time: 1, MemoryKiB: holder.MinKDFMemoryKiB, Threads: 1}, // cheap for the example; apps keep DefaultKDF
		Trust: holder.TrustList(w.trust.Current()), Now: now}); err != nil {
		return nil, err
	}
	for _, p := range w.parties {
		if _, err = p.Activate(ctx, w.wallet, "operator:loket-01"); err != nil {
			return nil, err
		}
	}
	return w, w.publish(ctx)
}

// publish hands the issuers' status lists to the hospital's cache, as its
// periodic refresh would (statuslist.Cache.Refresh over HTTP).
func (w *world) publish(ctx context.Context) error {
	for _, p := range w.parties {
		if _, err := p.Publish(ctx, w.status); err != nil {
			return err
		}
	}
	return nil
}

// Close removes the world.
func (w *world) Close() {
	if w.wallet != nil {
		w.wallet.Close()
	}
	for _, p := range w.parties {
		p.Close()
	}
	os.RemoveAll(w.dir)
}
