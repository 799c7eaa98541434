package verifier

// Regression tests for the findings of issue 17 that concern package
// verifier; each failed on the main of 2026-11-24 (issue 17 lists them).

import (
	"crypto"
	"errors"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/keys"
)

// spliceDocs builds a DeviceResponse holding the documents of drs, in order.
func spliceDocs(t testing.TB, drs ...[]byte) []byte {
	t.Helper()
	var docs []cbor.RawMessage
	for _, dr := range drs {
		var m map[string]cbor.RawMessage
		if err := cbor.Unmarshal(dr, &m); err != nil {
			t.Fatal(err)
		}
		var ds []cbor.RawMessage
		if err := cbor.Unmarshal(m["documents"], &ds); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, ds...)
	}
	em, _ := cbor.CoreDetEncOptions().EncMode()
	out, err := em.Marshal(map[string]any{"version": "1.0", "documents": docs, "status": 0})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wantCheck fails t unless err is a *check.Error of check c wrapping want.
func wantCheck(t *testing.T, err error, c check.Check, want error) {
	t.Helper()
	var e *check.Error
	if !errors.As(err, &e) || e.Check != c || !errors.Is(err, want) {
		t.Fatalf("got %v, want [%v] %v", err, c, want)
	}
}

// TestFinding2StaleTrustList: a trust list past its next_update was
// accepted. It is refused at check.Trust with ErrTrustListStale, unless the
// verifier sets an explicit grace.
func TestFinding2StaleTrustList(t *testing.T) {
	f := newFixture(t)
	noStatus := func(c *Config) { c.Status, c.Policy.SkipStatus = nil, true }
	at := t0.Add(24 * time.Hour) // next_update is t0+23h
	f.clock.Set(at)
	present := func() string {
		o := f.ktpOpts()
		o.kbAt = f.clock.Now()
		return f.presentSDJWT(t, o)
	}
	v := f.verifier(t, noStatus)
	_, err := v.VerifySDJWT(ctx, present(), "")
	wantCheck(t, err, check.Trust, ErrTrustListStale)

	// An explicit grace of two hours covers the hour it is overdue...
	g := f.verifier(t, func(c *Config) { noStatus(c); c.TrustListGrace = 2 * time.Hour })
	if _, err := g.VerifySDJWT(ctx, present(), ""); err != nil {
		t.Fatalf("within the grace: %v", err)
	}
	// ...and no more.
	f.clock.Set(at.Add(2 * time.Hour))
	_, err = g.VerifySDJWT(ctx, present(), "")
	wantCheck(t, err, check.Trust, ErrTrustListStale)

	if _, err := New(Config{Trust: f.trust, Audience: audience, Policy: Policy{SkipStatus: true}, TrustListGrace: MaxTrustListGrace + 1}); !errors.Is(err, ErrConfig) {
		t.Fatalf("grace over the cap: %v", err)
	}
}

// TestFinding4FullReplayCacheFailsClosed: a full replay cache evicted
// entries that had not expired, so filling it with one's own presentations
// re-opened the replay of someone else's inside its window. A full cache
// now refuses new presentations instead, and the victim's stays refused.
func TestFinding4FullReplayCacheFailsClosed(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, func(c *Config) { c.ReplayCacheSize = 2 })
	victim := f.presentSDJWT(t, f.ktpOpts())
	if _, err := v.VerifySDJWT(ctx, victim, ""); err != nil {
		t.Fatal(err)
	}
	own := func(i int) string {
		o := f.ktpOpts()
		o.kbAt = t0.Add(-time.Duration(i+1) * time.Second)
		return f.presentSDJWT(t, o)
	}
	if _, err := v.VerifySDJWT(ctx, own(0), ""); err != nil {
		t.Fatal(err)
	}
	_, err := v.VerifySDJWT(ctx, own(1), "")
	wantCheck(t, err, check.Replay, ErrReplayStoreFull)
	_, err = v.VerifySDJWT(ctx, victim, "")
	wantCheck(t, err, check.Replay, ErrReplay)
	// Once the window has passed the entries expire and there is room.
	f.clock.Set(t0.Add(DefaultWindow + time.Minute))
	o := f.ktpOpts()
	o.kbAt = f.clock.Now()
	if _, err := v.VerifySDJWT(ctx, f.presentSDJWT(t, o), ""); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// TestFinding5MdocReplayPerDocument: the mdoc replay key was the transcript
// plus the joined docTypes, so a captured [KTP-el, BPJS] response was
// accepted again as a subset, reordered or with a document repeated. Each
// document's device authentication is remembered now.
func TestFinding5MdocReplayPerDocument(t *testing.T) {
	f := newFixture(t)
	st := transcript(t, "n-1")
	ktp := f.presentMdoc(t, f.ktpMdoc(), st)
	bpjs := f.presentMdoc(t, f.bpjsMdoc(), st)
	v := f.verifier(t, func(c *Config) { c.Policy.AllowMissingNIK = true })
	if _, err := v.VerifyMdoc(ctx, spliceDocs(t, ktp, bpjs), st); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		dr   []byte
	}{
		{"subset", spliceDocs(t, ktp)},
		{"other subset", spliceDocs(t, bpjs)},
		{"reordered", spliceDocs(t, bpjs, ktp)},
		{"repeated", spliceDocs(t, ktp, ktp)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.VerifyMdoc(ctx, tc.dr, st)
			wantCheck(t, err, check.Replay, ErrReplay)
		})
	}
	// A fresh verifier (another replay store) sees [KTP-el, KTP-el] for
	// the first time: the second copy is a replay of the first.
	fresh := f.verifier(t, func(c *Config) { c.Policy.AllowMissingNIK = true })
	_, err := fresh.VerifyMdoc(ctx, spliceDocs(t, ktp, ktp), st)
	wantCheck(t, err, check.Replay, ErrReplay)
}

// TestFinding6StatusKeysMostSpecificIssuer: StatusKeys picked the first
// issuer whose identifier is a path prefix of the status URI, so an issuer
// at https://gov.example listed first answered for the lists of
// https://gov.example/dukcapil. The most specific issuer answers now.
func TestFinding6StatusKeysMostSpecificIssuer(t *testing.T) {
	op, _ := keys.Generate(keys.ES256, nil)
	parent, _ := keys.Generate(keys.ES256, nil)
	child, _ := keys.Generate(keys.ES256, nil)
	l := &trustlist.List{Operator: "https://trust.example", Sequence: 1, IssuedAt: t0, NextUpdate: t0.Add(time.Hour),
		Issuers: []trustlist.Issuer{
			{ID: "https://gov.example", Name: "Gov", Keys: []trustlist.Key{{ID: "g", Public: parent.Public()}}, VCTs: []string{"urn:x"}},
			{ID: "https://gov.example/dukcapil", Name: "Dukcapil", Keys: []trustlist.Key{{ID: "d", Public: child.Public()}}, VCTs: []string{"urn:y"}},
		}}
	tok, err := trustlist.Sign(l, op, trustlist.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := trustlist.NewStore(op.Public(), trustlist.StoreOptions{Now: func() time.Time { return t0 }})
	if _, err := st.Update(tok); err != nil {
		t.Fatal(err)
	}
	keyOf := StatusKeys(st)
	for uri, want := range map[string]crypto.PublicKey{
		"https://gov.example/dukcapil/status/1": child.Public(),
		"https://gov.example/status/1":          parent.Public(),
		"https://gov.example/dukcapilx/1":       parent.Public(), // a path prefix, not a path segment prefix
	} {
		sv, err := keyOf(uri)
		if err != nil {
			t.Fatalf("%s: %v", uri, err)
		}
		if !sv.Key.(interface{ Equal(crypto.PublicKey) bool }).Equal(want) {
			t.Errorf("%s: trusted with the wrong issuer's key", uri)
		}
	}
	for _, uri := range []string{"http://gov.example/dukcapil/1", "https://other.example/1", "https://gov.example/dukcapil/1?x=1"} {
		if _, err := keyOf(uri); err == nil {
			t.Errorf("%s: a key was returned", uri)
		}
	}
}
