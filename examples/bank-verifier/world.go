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
	"github.com/ikdkit/ikdkit/issuer"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/verifier"
)

// world is this example's stand-in for the outside: Dukcapil's issuer kit,
// the trust-list operator, and one resident's activated wallet. A real
// bank gets only the signed trust list and the status lists.
type world struct {
	dir      string
	now      func() time.Time
	dukcapil *demoworld.Party
	iss      *issuer.Issuer
	trust    *trustlist.Store
	status   *statuslist.Cache
	wallet   *holder.Wallet
}

// newWorld builds the world in a temporary directory; close it with Close.
func newWorld(ctx context.Context, now func() time.Time) (_ *world, err error) {
	w := &world{now: now}
	if w.dir, err = os.MkdirTemp("", "bank-verifier-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			w.Close()
		}
	}()
	ktp, _, _, _, err := demoworld.ResidentDocuments()
	if err != nil {
		return nil, err
	}
	if w.dukcapil, err = demoworld.NewParty(ctx, demoworld.PartyConfig{Dir: w.dir, ID: demoworld.DukcapilID, Name: "Ditjen Dukcapil",
		Types: []credential.TypeInfo{credential.KTPELType()}, Documents: []credential.Document{ktp}, Now: now}); err != nil {
		return nil, err
	}
	w.iss = w.dukcapil.Issuer

	// The trust-list operator lists Dukcapil and registers the bank.
	op, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		return nil, err
	}
	list := &trustlist.List{Operator: demoworld.OperatorID, Sequence: 1, IssuedAt: now().Add(-time.Hour), NextUpdate: now().Add(24 * time.Hour),
		Issuers:   []trustlist.Issuer{w.dukcapil.TrustEntry()},
		Verifiers: []trustlist.Verifier{{ID: bankID, Name: "Bank Contoh", Claims: map[string][]string{credential.VCTQR: {credential.QRClaimID}}}},
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
	if _, err = w.dukcapil.Activate(ctx, w.wallet, "operator:kec-tebet-01"); err != nil {
		return nil, err
	}
	return w, w.publish(ctx)
}

// publish hands Dukcapil's status lists to the bank's cache, as the bank's
// periodic refresh would (statuslist.Cache.Refresh over HTTP).
func (w *world) publish(ctx context.Context) error {
	_, err := w.dukcapil.Publish(ctx, w.status)
	return err
}

// customerQR is what the customer's phone shows: an identity check for the
// bank, valid 90 seconds.
func (w *world) customerQR(ctx context.Context) (string, error) {
	p, err := w.wallet.Present(ctx, &holder.Request{Verifier: bankID, Items: []holder.RequestItem{{Type: credential.VCTQR, Claims: []string{credential.QRClaimID}}}},
		holder.PresentOptions{Consent: func(context.Context, holder.ConsentRequest) (bool, error) { return true, nil }})
	if err != nil {
		return "", err
	}
	return string(p.Codes[0].Data), nil
}

// Close removes the world.
func (w *world) Close() {
	if w.wallet != nil {
		w.wallet.Close()
	}
	if w.dukcapil != nil {
		w.dukcapil.Close()
	}
	os.RemoveAll(w.dir)
}
