package holder

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr/request"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/issuer"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// bankID is a verifier whose presentations the tests do not verify (its
// credentials carry no status, which the hospital's verifier requires).
const bankID = "https://bank.example.co.id"

// credentialOf returns the stored credential of format and type (vct or
// doctype).
func (f *fixture) credentialOf(format credential.Format, typ string) *Credential {
	f.t.Helper()
	list, err := f.w.Credentials(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, c := range list {
		if c.Format == format && (c.VCT == typ || c.DocType == typ) {
			return c
		}
	}
	f.t.Fatalf("no %s %s in the wallet", format, typ)
	return nil
}

// presentTo presents claims of typ to verifier and returns the
// thumbprint of the holder key the verifier saw (the copy's device key).
func (f *fixture) presentTo(verifierID, typ string, opts PresentOptions, claims ...string) (string, error) {
	f.t.Helper()
	if opts.Consent == nil {
		opts.Consent = yes(nil)
	}
	p, err := f.w.Present(f.ctx, &Request{Verifier: verifierID, Items: []RequestItem{{Type: typ, Claims: claims}}}, opts)
	if err != nil {
		return "", err
	}
	if verifierID != hospital {
		return f.holderKeyOf(p), nil // only the hospital's verifier is set up
	}
	res, err := verifyQR(f.t.(*testing.T), f, p, f.clk.Now().Add(5*time.Second), nil)
	if err != nil {
		f.t.Fatalf("the presentation of %s does not verify: %v", typ, err)
	}
	tp, err := keys.Thumbprint(res.Credentials()[0].HolderKey())
	if err != nil {
		f.t.Fatal(err)
	}
	if got := f.holderKeyOf(p); got != tp {
		f.t.Fatalf("verified holder key %s, activity names %s", tp, got)
	}
	return tp, nil
}

// holderKeyOf is the key the activity history says the last presentation
// used, which must be p's.
func (f *fixture) holderKeyOf(p *Presentation) string {
	f.t.Helper()
	acts, err := f.w.Activity(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	a := acts[len(acts)-1]
	if a.Kind != ActivityPresentation || len(a.Copies) != 1 || !a.At.Equal(p.Binding.IssuedAt) {
		f.t.Fatalf("last activity %+v", a)
	}
	return a.Copies[0].Key
}

// TestReceiveBatch: each offered configuration arrives as a batch of
// copies in one credential request, min(the issuer's batch_size, the
// wallet's copies for the type), each bound to a device key of its own,
// and every copy verifies.
func TestReceiveBatch(t *testing.T) {
	ktpSD, bpjsMdoc := credential.VCTKTPEL, credential.DocTypeBPJSKesehatan
	for _, tc := range []struct {
		name   string
		wallet map[string]int // Options.Copies
		recv   map[string]int // ReceiveOptions.Copies
		batch  int            // the issuer's batch_size; 0: its default, the largest TypeInfo.Copies
	}{
		{"type defaults", nil, nil, 0},
		{"Options.Copies", map[string]int{ktpSD: 3, bpjsMdoc: 2}, nil, 0},
		{"ReceiveOptions.Copies first", map[string]int{ktpSD: 3}, map[string]int{ktpSD: 2}, 0},
		{"batch_size caps", nil, nil, 4},
		{"no batches", nil, nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(o *Options) { o.Copies = tc.wallet })
			h, err := issuer.NewHandler(f.is.iss, issuer.HandlerConfig{BatchSize: tc.batch})
			if err != nil {
				t.Fatal(err)
			}
			batch := tc.batch
			if batch == 0 {
				batch = credential.DefaultCopiesFrequent
			}
			want := func(c *Credential) int {
				n := 0
				for _, m := range []map[string]int{tc.wallet, tc.recv} {
					if k, ok := m[typeKey(c.Format, c.VCT, c.DocType)]; ok {
						n = k
					}
				}
				if n == 0 {
					ti, _ := typeInfo(c.VCT, c.DocType)
					n = ti.Copies
				}
				return min(n, batch)
			}
			var proofs []int
			spy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/credential" {
					b, _ := io.ReadAll(r.Body)
					var cr oid4vci.CredentialRequest
					if err := json.Unmarshal(b, &cr); err != nil {
						t.Error(err)
					}
					proofs = append(proofs, len(cr.Proofs.JWT))
					r.Body = io.NopCloser(bytes.NewReader(b))
				}
				h.ServeHTTP(w, r)
			})
			g := f.is.grant(t)
			link, _ := g.Offer.ReferenceLink()
			r, err := f.w.ReceiveOffer(f.ctx, link, ReceiveOptions{HTTPClient: handlerClient(spy), Copies: tc.recv,
				TxCode: func(context.Context, TxCodeRequest) (string, error) { return g.Offer.TxCode, nil }})
			if err != nil {
				t.Fatal(err)
			}
			// One credential request per configuration, a proof per copy.
			if len(proofs) != len(r.Credentials) {
				t.Fatalf("%d credential requests for %d credentials", len(proofs), len(r.Credentials))
			}
			all := map[string]bool{}
			for i, c := range r.Credentials {
				if n := want(c); len(c.Copies) != n || c.CopiesLeft() != n || proofs[i] != n {
					t.Errorf("%s (%s): %d copies, %d left, %d proofs; want %d", c.Name, c.Format, len(c.Copies), c.CopiesLeft(), proofs[i], n)
				}
				for j, cp := range c.Copies {
					if cp.Number != j+1 || cp.Spent || all[cp.KeyThumbprint] || cp.ExpiresAt.IsZero() || len(cp.GivenTo) != 0 {
						t.Errorf("%s copy %+v", c.Name, cp)
					}
					all[cp.KeyThumbprint] = true
				}
				if c.Policy != UseOnce || c.NeedsRefresh() {
					t.Errorf("%s: policy %s, needs refresh %v", c.Name, c.Policy, c.NeedsRefresh())
				}
			}
			// Every copy verifies, with its own key: present each once.
			for _, k := range []struct {
				format credential.Format
				typ    string
			}{{credential.FormatSDJWT, credential.VCTKTPEL}, {credential.FormatMdoc, credential.DocTypeKTPEL}} {
				c := f.credentialOf(k.format, k.typ)
				var used []string
				for range c.Copies {
					tp, err := f.presentTo(hospital, k.typ, PresentOptions{}, "name")
					if err != nil {
						t.Fatal(err)
					}
					used = append(used, tp)
				}
				if held := copyKeys([]*Credential{c}); !sameSet(used, held) {
					t.Errorf("%s: presented with %v, copies held with %v", k.typ, used, held)
				}
			}
		})
	}
}

// mangle is the real issuer's handler with the credential responses
// rewritten by fn.
func mangle(h http.Handler, fn func(*oid4vci.CredentialResponse)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/credential" {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var cr oid4vci.CredentialResponse
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &cr) != nil {
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		fn(&cr)
		oid4vci.WriteJSON(w, http.StatusOK, cr)
	})
}

// TestReceiveBatchMisbehaving: copies are matched to keys by their cnf or
// MSO deviceKey, not by position; a batch with a copy bound twice to one
// key, or with a copy missing, stores nothing.
func TestReceiveBatchMisbehaving(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(*oid4vci.CredentialResponse)
		err  error
	}{
		{"copies in reverse order", func(cr *oid4vci.CredentialResponse) { slices.Reverse(cr.Credentials) }, nil},
		{"one copy twice", func(cr *oid4vci.CredentialResponse) { cr.Credentials[1] = cr.Credentials[0] }, ErrKeyMismatch},
		{"a copy missing", func(cr *oid4vci.CredentialResponse) { cr.Credentials = cr.Credentials[1:] }, ErrActivation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(o *Options) { o.Copies = map[string]int{credential.VCTKTPEL: 3, credential.DocTypeKTPEL: 3} })
			h, err := issuer.NewHandler(f.is.iss, issuer.HandlerConfig{})
			if err != nil {
				t.Fatal(err)
			}
			g := f.is.grant(t)
			link, _ := g.Offer.ReferenceLink()
			_, err = f.w.ReceiveOffer(f.ctx, link, ReceiveOptions{HTTPClient: handlerClient(mangle(h, tc.fn)),
				TxCode: func(context.Context, TxCodeRequest) (string, error) { return g.Offer.TxCode, nil }})
			if !errors.Is(err, tc.err) && (tc.err != nil || err != nil) {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
			list, _ := f.w.Credentials(f.ctx)
			if (tc.err == nil) != (len(list) > 0) {
				t.Fatalf("%d credentials stored", len(list))
			}
			for _, c := range list {
				for i := range c.Copies {
					if _, _, err := f.w.openCopy(f.ctx, "test", c, i); err != nil {
						t.Errorf("%s %s copy %d: %v", c.Name, c.Format, i+1, err)
					}
				}
			}
		})
	}
}

// TestBatchCopiesMustAgree: the copies of one credential must carry the
// same type, issuer and claims (their own cnf, status and times aside);
// otherwise the consent screen, which shows one copy's claims, could
// show what another copy does not disclose.
func TestBatchCopiesMustAgree(t *testing.T) {
	k1, k2 := &proofKey{thumbprint: "a"}, &proofKey{thumbprint: "b"}
	base := func(k *proofKey, same string) *verified {
		return &verified{s: &storedCredential{Format: credential.FormatSDJWT, VCT: credential.VCTKTPEL, Issuer: testIssuer, Name: "KTP-el"},
			raw: []byte(same + k.thumbprint), key: k, same: []byte(same)}
	}
	if _, err := batchOf("test", []*verified{base(k1, `{"name":"A"}`), base(k2, `{"name":"A"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := batchOf("test", []*verified{base(k1, `{"name":"A"}`), base(k2, `{"name":"B"}`)}); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("different claims: %v", err)
	}
	other := base(k2, `{"name":"A"}`)
	other.s.Issuer = "https://elsewhere.example"
	if _, err := batchOf("test", []*verified{base(k1, `{"name":"A"}`), other}); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("different issuer: %v", err)
	}
	if _, err := batchOf("test", []*verified{base(k1, `{"name":"A"}`), base(k1, `{"name":"A"}`)}); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("one key twice: %v", err)
	}
}

// TestUseOnce: every presentation uses a copy not presented before, in
// both formats and in the QR profile; with none left Present fails with
// ErrNoCopyLeft, discloses nothing and asks no consent, unless
// ReuseSpentCopy consents, and the history says which copy was reused.
func TestUseOnce(t *testing.T) {
	const n = 3
	f := activated(t, func(o *Options) {
		o.Copies = map[string]int{credential.VCTKTPEL: n, credential.DocTypeKTPEL: n, credential.VCTQR: n, credential.DocTypeQR: n}
	})
	for _, tc := range []struct {
		format credential.Format
		typ    string
		claim  string
	}{
		{credential.FormatSDJWT, credential.VCTKTPEL, "name"},
		{credential.FormatMdoc, credential.DocTypeKTPEL, "name"},
		{credential.FormatSDJWT, credential.VCTQR, credential.QRClaimID},
		{credential.FormatMdoc, credential.DocTypeQR, credential.QRClaimID},
	} {
		t.Run(string(tc.format)+" "+tc.typ, func(t *testing.T) {
			seen := map[string]bool{}
			for i := range n {
				// The same verifier each time: UseOnce gives it a new copy
				// all the same.
				tp, err := f.presentTo(hospital, tc.typ, PresentOptions{}, tc.claim)
				if err != nil {
					t.Fatal(err)
				}
				if seen[tp] {
					t.Fatalf("presentation %d reused the key %s", i+1, tp)
				}
				seen[tp] = true
				if c := f.credentialOf(tc.format, tc.typ); c.CopiesLeft() != n-1-i {
					t.Fatalf("after %d presentations: %d copies left", i+1, c.CopiesLeft())
				}
			}
			acts, _ := f.w.Activity(f.ctx)
			asked := false
			consent := func(context.Context, ConsentRequest) (bool, error) { asked = true; return true, nil }
			_, err := f.presentTo(hospital, tc.typ, PresentOptions{Consent: consent}, tc.claim)
			var e *Error
			if !errors.Is(err, ErrNoCopyLeft) || !errors.As(err, &e) || asked {
				t.Fatalf("no copy left: %v (consent asked: %v)", err, asked)
			}
			refuse := func(context.Context, ReuseRequest) (bool, error) { return false, nil }
			if _, err := f.presentTo(hospital, tc.typ, PresentOptions{Consent: consent, ReuseSpentCopy: refuse}, tc.claim); !errors.Is(err, ErrNoCopyLeft) || asked {
				t.Fatalf("reuse refused: %v (consent asked: %v)", err, asked)
			}
			if after, _ := f.w.Activity(f.ctx); len(after) != len(acts) {
				t.Fatalf("%d activity entries after the refusals, %d before", len(after), len(acts))
			}
			// The app consents to reuse: a spent copy is presented again.
			var got ReuseRequest
			var prompt ConsentRequest
			reuse := func(_ context.Context, r ReuseRequest) (bool, error) { got = r; return true, nil }
			tp, err := f.presentTo(hospital, tc.typ, PresentOptions{Consent: yes(&prompt), ReuseSpentCopy: reuse}, tc.claim)
			if err != nil {
				t.Fatal(err)
			}
			c := f.credentialOf(tc.format, tc.typ)
			if !seen[tp] || got.Credential != c.ID || got.Verifier != hospital || got.Verified || got.Copy < 1 ||
				!slices.Equal(got.GivenTo, []string{hospital}) || !got.Refreshable {
				t.Fatalf("reused key %s; asked %+v", tp, got)
			}
			if it := prompt.Items[0]; !it.Reused || it.CopiesLeft != 0 {
				t.Fatalf("consent item %+v", it)
			}
			acts, _ = f.w.Activity(f.ctx)
			last := acts[len(acts)-1]
			if len(last.Copies) != 1 || !last.Copies[0].Reused || last.Copies[0].Credential != c.ID || last.Copies[0].Copy != got.Copy || last.Copies[0].Key != tp {
				t.Fatalf("history %+v", last.Copies)
			}
			if cp := c.Copies[got.Copy-1]; !cp.Spent || !slices.Equal(cp.GivenTo, []string{hospital}) {
				t.Fatalf("copy %d given to %v", got.Copy, cp.GivenTo)
			}
		})
	}
}

// TestUsePerVerifier: a verifier always gets the same copy, another
// verifier another copy; a signed request's registered verifier and a
// request that merely names the same identifier are different verifiers.
func TestUsePerVerifier(t *testing.T) {
	f := activated(t, func(o *Options) {
		o.Copies = map[string]int{credential.VCTKTPEL: 3, credential.DocTypeKTPEL: 3}
		o.UsePolicies = map[string]UsePolicy{credential.DocTypeKTPEL: UsePerVerifier}
	})
	sd := f.credentialOf(credential.FormatSDJWT, credential.VCTKTPEL)
	if sd.Policy != UseOnce || f.credentialOf(credential.FormatMdoc, credential.DocTypeKTPEL).Policy != UsePerVerifier {
		t.Fatal("Options.UsePolicies not applied")
	}
	if err := f.w.SetUsePolicy(f.ctx, sd.ID, UsePerVerifier); err != nil {
		t.Fatal(err)
	}
	if err := f.w.SetUsePolicy(f.ctx, sd.ID, "sometimes"); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("unknown policy: %v", err)
	}
	if err := f.w.SetUsePolicy(f.ctx, "cred-nope", UseOnce); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown credential: %v", err)
	}
	const bank, shop = "https://bank.example.co.id", "https://shop.example.co.id"
	for _, typ := range []string{credential.VCTKTPEL, credential.DocTypeKTPEL} {
		t.Run(typ, func(t *testing.T) {
			present := func(v string) string {
				t.Helper()
				tp, err := f.presentTo(v, typ, PresentOptions{}, "name")
				if err != nil {
					t.Fatal(err)
				}
				return tp
			}
			h1, h2 := present(hospital), present(hospital)
			b1 := present(bank)
			h3, b2 := present(hospital), present(bank)
			if h1 != h2 || h2 != h3 || b1 != b2 || h1 == b1 {
				t.Fatalf("hospital got %s %s %s, bank %s %s", h1, h2, h3, b1, b2)
			}
			// The third verifier gets the last copy; a fourth finds none.
			s1 := present(shop)
			if s1 == h1 || s1 == b1 {
				t.Fatalf("shop got a copy already given: %s", s1)
			}
			if _, err := f.presentTo("https://fourth.example.co.id", typ, PresentOptions{}, "name"); !errors.Is(err, ErrNoCopyLeft) {
				t.Fatalf("fourth verifier: %v", err)
			}
			if present(bank) != b1 {
				t.Fatal("the bank's copy changed")
			}
		})
	}
	t.Run("signed request", func(t *testing.T) {
		g := activated(t, func(o *Options) {
			o.Copies = map[string]int{credential.VCTKTPEL: 3}
			o.UsePolicies = map[string]UsePolicy{credential.VCTKTPEL: UsePerVerifier}
		})
		vkey, _ := keys.Generate(keys.ES256, nil)
		reg := trustlist.Verifier{ID: hospital, Name: "RS Sehat", Keys: []trustlist.Key{{ID: "rs-1", Public: vkey.Public()}},
			Claims: map[string][]string{credential.VCTKTPEL: {"name"}}}
		lookup := request.TrustListVerifiers(signedList(t, g.is, []string{credential.VCTKTPEL}, nil, reg))
		signed := func() string {
			c, err := request.Encode(request.Request{Verifier: hospital, Nonce: []byte("request-nonce-01"), IssuedAt: t0, Expires: t0.Add(5 * time.Minute),
				Query: request.Query{Credentials: []request.CredentialQuery{{ID: "ktp", Format: credential.FormatSDJWT,
					VCTValues: []string{credential.VCTKTPEL}, Claims: []request.ClaimQuery{{Path: []any{"name"}}}}}}},
				request.SignOptions{Signer: vkey, KeyID: "rs-1"})
			if err != nil {
				t.Fatal(err)
			}
			req, err := g.w.ReadRequestQR(g.ctx, c.Data, lookup)
			if err != nil {
				t.Fatal(err)
			}
			p, err := g.w.Present(g.ctx, req, PresentOptions{Consent: yes(nil)})
			if err != nil {
				t.Fatal(err)
			}
			return g.holderKeyOf(p)
		}
		v1, v2 := signed(), signed()
		u1, err := g.presentTo(hospital, credential.VCTKTPEL, PresentOptions{}, "name")
		if err != nil {
			t.Fatal(err)
		}
		if v1 != v2 || u1 == v1 {
			t.Fatalf("registered verifier got %s then %s; the same identifier unsigned got %s", v1, v2, u1)
		}
	})
}

// TestCopiesSurviveReopen: spent state, the verifiers a copy went to and
// the policy set on a credential are stored.
func TestCopiesSurviveReopen(t *testing.T) {
	f := activated(t, func(o *Options) { o.Copies = map[string]int{credential.VCTKTPEL: 3} })
	c := f.credentialOf(credential.FormatSDJWT, credential.VCTKTPEL)
	if err := f.w.SetUsePolicy(f.ctx, c.ID, UsePerVerifier); err != nil {
		t.Fatal(err)
	}
	tp, err := f.presentTo(hospital, credential.VCTKTPEL, PresentOptions{}, "name")
	if err != nil {
		t.Fatal(err)
	}
	f.reopen()
	if err := f.w.Unlock(f.ctx, testPIN); err != nil {
		t.Fatal(err)
	}
	c = f.credentialOf(credential.FormatSDJWT, credential.VCTKTPEL)
	if c.Policy != UsePerVerifier || c.CopiesLeft() != 2 || !c.Copies[0].Spent || !slices.Equal(c.Copies[0].GivenTo, []string{hospital}) || c.Copies[0].KeyThumbprint != tp {
		t.Fatalf("after reopening: %+v", c)
	}
	if again, err := f.presentTo(hospital, credential.VCTKTPEL, PresentOptions{}, "name"); err != nil || again != tp {
		t.Fatalf("the hospital got %s, %v; want its copy %s", again, err, tp)
	}
}

// TestRemoveCredentialDeletesCopies: removing a credential deletes its
// copy records and their keystore keys.
func TestRemoveCredentialDeletesCopies(t *testing.T) {
	ks := &fakeKeystore{}
	f := activated(t, func(o *Options) { o.DeviceKeys = ks })
	c := f.credentialOf(credential.FormatSDJWT, credential.VCTKTPEL)
	before, _ := f.w.listRecords(f.ctx, kindCopy)
	keysBefore := len(ks.keys)
	if err := f.w.RemoveCredential(f.ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	after, _ := f.w.listRecords(f.ctx, kindCopy)
	if len(before)-len(after) != len(c.Copies) || keysBefore-len(ks.keys) != len(c.Copies) {
		t.Fatalf("%d copy records and %d keys deleted for %d copies", len(before)-len(after), keysBefore-len(ks.keys), len(c.Copies))
	}
	for _, cp := range c.Copies {
		for _, k := range ks.keys {
			if tp, _ := keys.Thumbprint(k.Public()); tp == cp.KeyThumbprint {
				t.Fatalf("copy %d's key is still in the keystore", cp.Number)
			}
		}
	}
	if err := f.w.RemoveCredential(f.ctx, c.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed twice: %v", err)
	}
}

// TestOldRecordIsABatchOfOne: a credential record written before copies
// existed (schema version 1: one record with the raw credential, bound to
// the device key) opens as a batch of one unspent copy, presents with the
// device key, is rewritten in the new form when it is spent, and then
// needs ReuseSpentCopy.
func TestOldRecordIsABatchOfOne(t *testing.T) {
	f := newFixture(t)
	dev, err := f.w.CreateDeviceKey(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.w.Import(f.ctx, credential.FormatSDJWT, issueSD(t, f.is.key, testIssuer, mustKTPEL(), dev.Public(), t0))
	if err != nil {
		t.Fatal(err)
	}
	raw, _, err := f.w.openCopy(f.ctx, "test", c, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Rewrite it as version 1 wrote it: the fields of its storedCredential
	// then, and no copy record.
	old, _ := json.Marshal(map[string]any{"format": c.Format, "name": c.Name, "vct": c.VCT, "doctype": c.DocType, "issuer": c.Issuer,
		"imported_at": c.ImportedAt, "expires_at": c.ExpiresAt, "raw": raw, "claims": c.claims})
	if err := f.w.update(f.ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(f.ctx, "DELETE FROM records WHERE kind = ?", kindCopy); err != nil {
			return err
		}
		if _, err := tx.ExecContext(f.ctx, "PRAGMA user_version = 1"); err != nil {
			return err
		}
		return f.w.putRecord(f.ctx, tx, c.ID, kindCredential, old)
	}); err != nil {
		t.Fatal(err)
	}
	f.reopen()
	var v int
	if err := f.w.db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != schemaVersion {
		t.Fatalf("schema version %d after Open, %v", v, err)
	}
	if err := f.w.Unlock(f.ctx, testPIN); err != nil {
		t.Fatal(err)
	}
	got := f.credentialOf(credential.FormatSDJWT, credential.VCTKTPEL)
	devTP, _ := keys.Thumbprint(dev.Public())
	if got.ID != c.ID || len(got.Copies) != 1 || got.CopiesLeft() != 1 || got.Copies[0].KeyThumbprint != devTP || got.Policy != UseOnce || got.Refreshable {
		t.Fatalf("old record read as %+v", got)
	}
	if d, err := got.Document(); err != nil || d.(*credential.KTPEL).NIK().String() != testNIK {
		t.Fatalf("document %v, %v", d, err)
	}
	tp, err := f.presentTo(bankID, credential.VCTKTPEL, PresentOptions{}, "name")
	if err != nil || tp != devTP {
		t.Fatalf("presented with %s, %v; want the device key %s", tp, err, devTP)
	}
	copies, _ := f.w.listRecords(f.ctx, kindCopy)
	rec, _ := f.w.getRecord(f.ctx, c.ID, kindCredential)
	var s storedCredential
	if json.Unmarshal(rec, &s) != nil || len(copies) != 1 || len(s.Raw) != 0 || len(s.Copies) != 1 || !s.Copies[0].Spent || s.Copies[0].ID != copies[0].id {
		t.Fatalf("not rewritten: %d copy records, record %s", len(copies), rec)
	}
	if _, err := f.presentTo(bankID, credential.VCTKTPEL, PresentOptions{}, "name"); !errors.Is(err, ErrNoCopyLeft) {
		t.Fatalf("second presentation: %v", err)
	}
	f.reopen()
	if err := f.w.Unlock(f.ctx, testPIN); err != nil {
		t.Fatal(err)
	}
	if c := f.credentialOf(credential.FormatSDJWT, credential.VCTKTPEL); c.CopiesLeft() != 0 {
		t.Fatalf("%d copies left after reopening", c.CopiesLeft())
	}
	reuse := func(context.Context, ReuseRequest) (bool, error) { return true, nil }
	if tp, err := f.presentTo(bankID, credential.VCTKTPEL, PresentOptions{ReuseSpentCopy: reuse}, "name"); err != nil || tp != devTP {
		t.Fatalf("reuse: %s, %v", tp, err)
	}
}

// TestImportAgainKeepsSpentState: importing a credential the wallet holds
// changes nothing, so it cannot turn a spent copy into an unspent one.
func TestImportAgainKeepsSpentState(t *testing.T) {
	f := newFixture(t)
	dev, err := f.w.CreateDeviceKey(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	sd := issueSD(t, f.is.key, testIssuer, mustKTPEL(), dev.Public(), t0)
	if _, err := f.w.Import(f.ctx, credential.FormatSDJWT, sd); err != nil {
		t.Fatal(err)
	}
	if _, err := f.presentTo(bankID, credential.VCTKTPEL, PresentOptions{}, "name"); err != nil {
		t.Fatal(err)
	}
	c, err := f.w.Import(f.ctx, credential.FormatSDJWT, sd)
	if err != nil || c.CopiesLeft() != 0 || !c.Copies[0].Spent {
		t.Fatalf("imported again: %+v, %v", c, err)
	}
	if _, err := f.presentTo(bankID, credential.VCTKTPEL, PresentOptions{}, "name"); !errors.Is(err, ErrNoCopyLeft) {
		t.Fatalf("after importing again: %v", err)
	}
}

// TestOptionsCopiesChecked: copies and policies in Options and
// ReceiveOptions are checked.
func TestOptionsCopiesChecked(t *testing.T) {
	for name, o := range map[string]Options{
		"zero copies":     {Copies: map[string]int{credential.VCTKTPEL: 0}},
		"too many copies": {Copies: map[string]int{credential.VCTKTPEL: MaxCopies + 1}},
		"no type":         {Copies: map[string]int{"": 2}},
		"unknown policy":  {UsePolicies: map[string]UsePolicy{credential.VCTKTPEL: "twice"}},
	} {
		t.Run(name, func(t *testing.T) {
			o.KDF = testKDF
			if _, err := Create(context.Background(), t.TempDir(), testPIN, o); !errors.Is(err, ErrConfig) {
				t.Fatalf("got %v", err)
			}
		})
	}
	e := newFixture(t)
	if _, err := e.w.ReceiveOffer(e.ctx, "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fx", ReceiveOptions{Copies: map[string]int{credential.VCTKTPEL: -1}}); !errors.Is(err, ErrConfig) {
		t.Fatalf("ReceiveOptions.Copies: %v", err)
	}
}
