package holder

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/issuer"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// tokenSpy is the real issuer's handler, recording each token request's
// grant type and the thumbprint of its DPoP proof's key ("" without one).
type tokenSpy struct {
	h      http.Handler
	mu     sync.Mutex
	grants []string
	jkts   []string
	reqs   int
}

func (s *tokenSpy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.reqs++
	if r.URL.Path == "/token" {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		form, _ := url.ParseQuery(string(b))
		s.grants = append(s.grants, form.Get("grant_type"))
		jkt := ""
		if p := r.Header.Get("DPoP"); p != "" {
			h, _, _ := strings.Cut(p, ".")
			b, _ := base64.RawURLEncoding.DecodeString(h)
			var hdr struct {
				JWK json.RawMessage `json:"jwk"`
			}
			if json.Unmarshal(b, &hdr) == nil {
				if k, err := keys.ParsePublicJWK(hdr.JWK); err == nil {
					jkt, _ = keys.Thumbprint(k)
				}
			}
		}
		s.jkts = append(s.jkts, jkt)
	}
	s.mu.Unlock()
	s.h.ServeHTTP(w, r)
}

// refreshFixture is a wallet activated with n copies of each KTP-el
// credential (and a keystore), and the issuer's handler behind a spy.
func refreshFixture(t *testing.T, n int, mod ...func(*Options)) (*fixture, *tokenSpy, *fakeKeystore) {
	t.Helper()
	ks := &fakeKeystore{}
	f := newFixture(t, append([]func(*Options){func(o *Options) {
		o.DeviceKeys = ks
		o.Copies = map[string]int{credential.VCTKTPEL: n, credential.DocTypeKTPEL: n}
	}}, mod...)...)
	h, err := issuer.NewHandler(f.is.iss, issuer.HandlerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	spy := &tokenSpy{h: h}
	g := f.is.grant(t)
	link, _ := g.Offer.ReferenceLink()
	r, err := f.w.ReceiveOffer(f.ctx, link, ReceiveOptions{HTTPClient: handlerClient(spy),
		TxCode: func(context.Context, TxCodeRequest) (string, error) { return g.Offer.TxCode, nil }})
	if err != nil {
		t.Fatal(err)
	}
	f.creds = r.Credentials
	return f, spy, ks
}

func (f *fixture) session(id string) *issuerSession {
	f.t.Helper()
	s, err := f.w.loadSession(f.ctx, f.w.db, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// TestRefresh: a credential whose copies ran low is topped up over
// OpenID4VCI with the refresh token (DPoP-bound by the key of the first
// token): the spent copies and their keystore keys are deleted, new
// copies with new keys replace them, the refresh token is rotated, the
// history says which copies came, and the new copies verify.
func TestRefresh(t *testing.T) {
	const n = 4
	f, spy, ks := refreshFixture(t, n)
	c := f.credentialOf(credential.FormatSDJWT, credential.VCTKTPEL)
	if !c.Refreshable || c.NeedsRefresh() {
		t.Fatalf("fresh credential: refreshable %v, needs refresh %v", c.Refreshable, c.NeedsRefresh())
	}
	firstToken := f.session(c.rec.Refresh.Session).RefreshToken

	// Enough copies left: Refresh does nothing, and asks nobody.
	before := spy.reqs
	if got, err := f.w.Refresh(f.ctx, c.ID, RefreshOptions{HTTPClient: handlerClient(spy)}); err != nil || got.CopiesLeft() != n || spy.reqs != before {
		t.Fatalf("refresh of a full credential: %v, %d requests", err, spy.reqs-before)
	}

	// Spend down to the threshold (DefaultRefreshThreshold, 2 left).
	var spentKeys []string
	for range n - DefaultRefreshThreshold {
		tp, err := f.presentTo(hospital, credential.VCTKTPEL, PresentOptions{}, "name")
		if err != nil {
			t.Fatal(err)
		}
		spentKeys = append(spentKeys, tp)
	}
	c = f.credentialOf(credential.FormatSDJWT, credential.VCTKTPEL)
	due, err := f.w.CredentialsNeedingRefresh(f.ctx)
	if err != nil || !c.NeedsRefresh() || len(due) != 1 || due[0].ID != c.ID {
		t.Fatalf("needs refresh %v; due %v, %v", c.NeedsRefresh(), due, err)
	}
	keysBefore := len(ks.keys)
	acts, _ := f.w.Activity(f.ctx)

	got, err := f.w.Refresh(f.ctx, c.ID, RefreshOptions{HTTPClient: handlerClient(spy)})
	if err != nil {
		t.Fatal(err)
	}
	// The kept copies, then the new ones, numbered on.
	var nums []int
	for _, cp := range got.Copies {
		nums = append(nums, cp.Number)
		if cp.Spent || slices.Contains(spentKeys, cp.KeyThumbprint) {
			t.Errorf("copy %+v after the refresh", cp)
		}
	}
	if !slices.Equal(nums, []int{3, 4, 5, 6}) || got.CopiesLeft() != n || got.NeedsRefresh() {
		t.Fatalf("after the refresh: copies %v, %d left", nums, got.CopiesLeft())
	}
	if stored := f.credentialOf(credential.FormatSDJWT, credential.VCTKTPEL); !slices.EqualFunc(stored.Copies, got.Copies, func(a, b CopyInfo) bool {
		return a.Number == b.Number && a.KeyThumbprint == b.KeyThumbprint
	}) {
		t.Fatalf("returned %+v, stored %+v", got.Copies, stored.Copies)
	}
	// The spent copies' records and keystore keys are gone; the new keys
	// are there.
	if len(ks.keys) != keysBefore {
		t.Errorf("%d keystore keys before, %d after replacing %d copies", keysBefore, len(ks.keys), len(spentKeys))
	}
	for _, k := range ks.keys {
		if tp, _ := keys.Thumbprint(k.Public()); slices.Contains(spentKeys, tp) {
			t.Errorf("the spent copy's key %s is still in the keystore", tp)
		}
	}
	copies, _ := f.w.listRecords(f.ctx, kindCopy)
	total := 0
	for _, cr := range f.creds {
		total += len(cr.Copies)
	}
	if len(copies) != total {
		t.Errorf("%d copy records, want %d", len(copies), total)
	}
	// Rotated, with the same DPoP key as the first token.
	if f.session(got.rec.Refresh.Session).RefreshToken == firstToken {
		t.Error("the refresh token was not replaced")
	}
	if !slices.Equal(spy.grants, []string{oid4vci.GrantTypePreAuthorizedCode, oid4vci.GrantTypeRefreshToken}) || spy.jkts[0] == "" || spy.jkts[1] != spy.jkts[0] {
		t.Fatalf("token requests %v with DPoP keys %v", spy.grants, spy.jkts)
	}
	// One history entry, naming the new copies.
	after, _ := f.w.Activity(f.ctx)
	if len(after) != len(acts)+1 {
		t.Fatalf("%d activity entries, want %d", len(after), len(acts)+1)
	}
	a := after[len(after)-1]
	if a.Kind != ActivityRefresh || a.Counterparty != testIssuer || len(a.Copies) != 2 || a.Copies[0].Copy != 5 || a.Copies[1].Key != got.Copies[3].KeyThumbprint {
		t.Fatalf("activity %+v", a)
	}
	// Every copy now presents and verifies, the new ones with their keys.
	var used []string
	for range got.Copies {
		tp, err := f.presentTo(hospital, credential.VCTKTPEL, PresentOptions{}, "name")
		if err != nil {
			t.Fatal(err)
		}
		used = append(used, tp)
	}
	if !sameSet(used, copyKeys([]*Credential{got})) {
		t.Fatalf("presented with %v, held %v", used, copyKeys([]*Credential{got}))
	}
	// And again: the rotated refresh token works (the mdoc refreshes from
	// the same issuer session).
	if _, err := f.w.Refresh(f.ctx, got.ID, RefreshOptions{HTTPClient: handlerClient(spy)}); err != nil {
		t.Fatal(err)
	}
	m := f.credentialOf(credential.FormatMdoc, credential.DocTypeKTPEL)
	for range n {
		if _, err := f.presentTo(hospital, credential.DocTypeKTPEL, PresentOptions{}, "name"); err != nil {
			t.Fatal(err)
		}
	}
	if m, err = f.w.Refresh(f.ctx, m.ID, RefreshOptions{HTTPClient: handlerClient(spy)}); err != nil || m.CopiesLeft() != n || m.Copies[0].Number != n+1 {
		t.Fatalf("mdoc refresh: %+v, %v", m, err)
	}
	if _, err := f.presentTo(hospital, credential.DocTypeKTPEL, PresentOptions{}, "name"); err != nil {
		t.Fatal(err)
	}
}

// TestRefreshRevokedBinding: once the phone is reported lost (or the NIK
// activated elsewhere), the issuer refuses the refresh token; Refresh
// fails with ErrRefreshDenied, keeps the credential as it was, and
// forgets the token, so the credentials of that activation are no longer
// Refreshable and the next Refresh asks nobody.
func TestRefreshRevokedBinding(t *testing.T) {
	f, spy, _ := refreshFixture(t, 3)
	if _, err := f.presentTo(hospital, credential.VCTKTPEL, PresentOptions{}, "name"); err != nil {
		t.Fatal(err)
	}
	c := f.credentialOf(credential.FormatSDJWT, credential.VCTKTPEL)
	if _, err := f.is.iss.ReportLost(f.ctx, "operator:kec-tebet-01", testNIK); err != nil {
		t.Fatal(err)
	}
	_, err := f.w.Refresh(f.ctx, c.ID, RefreshOptions{HTTPClient: handlerClient(spy)})
	var e *Error
	var pe *oid4vci.ProtocolError
	if !errors.Is(err, ErrRefreshDenied) || !errors.As(err, &e) || e.Step != StepToken || !errors.As(err, &pe) || pe.Code != oid4vci.CodeInvalidGrant {
		t.Fatalf("refresh after a lost phone: %v", err)
	}
	checkTyped(t, err)
	after := f.credentialOf(credential.FormatSDJWT, credential.VCTKTPEL)
	if after.Refreshable || after.CopiesLeft() != c.CopiesLeft() || len(after.Copies) != len(c.Copies) {
		t.Fatalf("after the refusal: %+v", after)
	}
	for _, other := range []*Credential{f.credentialOf(credential.FormatMdoc, credential.DocTypeKTPEL), f.credentialOf(credential.FormatSDJWT, credential.VCTQR)} {
		if other.Refreshable {
			t.Errorf("%s %s still refreshable", other.Name, other.Format)
		}
	}
	if s, _ := f.w.listRecords(f.ctx, kindSession); len(s) != 0 {
		t.Errorf("%d sessions kept", len(s))
	}
	before := spy.reqs
	if _, err := f.w.Refresh(f.ctx, c.ID, RefreshOptions{HTTPClient: handlerClient(spy)}); !errors.Is(err, ErrRefreshDenied) || spy.reqs != before {
		t.Fatalf("second refresh: %v after %d requests", err, spy.reqs-before)
	}
	if due, err := f.w.CredentialsNeedingRefresh(f.ctx); err != nil || len(due) != 0 {
		t.Fatalf("due %v, %v", due, err)
	}
}

// TestRefreshNotRefreshable: an imported credential has no refresh token.
func TestRefreshNotRefreshable(t *testing.T) {
	f := newFixture(t)
	dev, err := f.w.CreateDeviceKey(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.w.Import(f.ctx, credential.FormatSDJWT, issueSD(t, f.is.key, testIssuer, mustKTPEL(), dev.Public(), t0))
	if err != nil {
		t.Fatal(err)
	}
	if c.Refreshable {
		t.Fatal("an imported credential is refreshable")
	}
	if _, err := f.presentTo(bankID, credential.VCTKTPEL, PresentOptions{}, "name"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.w.Refresh(f.ctx, c.ID, RefreshOptions{}); !errors.Is(err, ErrRefreshDenied) {
		t.Fatalf("refresh of an imported credential: %v", err)
	}
	if _, err := f.w.Refresh(f.ctx, "cred-nope", RefreshOptions{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("refresh of no credential: %v", err)
	}
	f.w.Lock()
	if _, err := f.w.Refresh(f.ctx, c.ID, RefreshOptions{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("locked: %v", err)
	}
}

// TestRefreshRefusedCopiesKeepTheCredential: when the new copies do not
// verify, nothing changes but the refresh token, which was rotated and
// stored first, so the next refresh works; the keystore keys made for the
// refused copies are deleted.
func TestRefreshRefusedCopiesKeepTheCredential(t *testing.T) {
	f, spy, ks := refreshFixture(t, 3)
	for range 2 {
		if _, err := f.presentTo(hospital, credential.VCTKTPEL, PresentOptions{}, "name"); err != nil {
			t.Fatal(err)
		}
	}
	c := f.credentialOf(credential.FormatSDJWT, credential.VCTKTPEL)
	keysBefore := len(ks.keys)
	bad := mangle(spy, func(cr *oid4vci.CredentialResponse) { cr.Credentials[1] = cr.Credentials[0] })
	_, err := f.w.Refresh(f.ctx, c.ID, RefreshOptions{HTTPClient: handlerClient(bad)})
	if !errors.Is(err, ErrKeyMismatch) || stepOf(err) != StepVerify {
		t.Fatalf("refresh with a copy twice: %v (step %s)", err, stepOf(err))
	}
	after := f.credentialOf(credential.FormatSDJWT, credential.VCTKTPEL)
	if len(after.Copies) != len(c.Copies) || after.CopiesLeft() != 1 || len(ks.keys) != keysBefore {
		t.Fatalf("after a refused refresh: %d copies, %d left, %d keys (before %d)", len(after.Copies), after.CopiesLeft(), len(ks.keys), keysBefore)
	}
	if got, err := f.w.Refresh(f.ctx, c.ID, RefreshOptions{HTTPClient: handlerClient(spy)}); err != nil || got.CopiesLeft() != 3 {
		t.Fatalf("the next refresh: %v", err)
	}
}

// TestRefreshReissued: when the issuer's data changed (a new address),
// the new copies differ from the old ones; every old copy is replaced and
// the credential shows the new claims.
func TestRefreshReissued(t *testing.T) {
	f, spy, _ := refreshFixture(t, 3)
	if _, err := f.presentTo(hospital, credential.VCTKTPEL, PresentOptions{}, "name"); err != nil {
		t.Fatal(err)
	}
	c := f.credentialOf(credential.FormatSDJWT, credential.VCTKTPEL)
	fields := mustKTPEL().Fields()
	fields.Address.Street = "JL. MELATI NO. 1"
	moved, err := credential.NewKTPEL(fields)
	if err != nil {
		t.Fatal(err)
	}
	f.is.setDocs(moved, mustBPJS())
	got, err := f.w.Refresh(f.ctx, c.ID, RefreshOptions{HTTPClient: handlerClient(spy)})
	if err != nil {
		t.Fatal(err)
	}
	for _, cp := range got.Copies {
		for _, old := range c.Copies {
			if cp.KeyThumbprint == old.KeyThumbprint {
				t.Fatalf("old copy %d kept", old.Number)
			}
		}
	}
	d, err := got.Document()
	if err != nil || d.(*credential.KTPEL).Fields().Address.Street != "JL. MELATI NO. 1" || got.CopiesLeft() != len(got.Copies) {
		t.Fatalf("re-issued credential %+v, %v", d, err)
	}
	stored := f.credentialOf(credential.FormatSDJWT, credential.VCTKTPEL)
	if d, err := stored.Document(); err != nil || d.(*credential.KTPEL).Fields().Address.Street != "JL. MELATI NO. 1" {
		t.Fatalf("stored document %+v, %v", d, err)
	}
	if _, err := f.presentTo(hospital, credential.VCTKTPEL, PresentOptions{}, "name"); err != nil {
		t.Fatal(err)
	}
}

// TestRefreshDiesBeforeCommit: a refresh that dies inside its store
// transaction (a panic at the hook, which unwinds through the rollback as
// a killed process would leave an uncommitted transaction) changes
// nothing: no copy deleted or added, no history entry; the rotated
// refresh token was stored before, so the next refresh works.
func TestRefreshDiesBeforeCommit(t *testing.T) {
	armed := false
	f, spy, _ := refreshFixture(t, 3, func(o *Options) {
		o.hook = func(p string) {
			if armed && p == "refresh:before-commit" {
				panic("killed")
			}
		}
	})
	for range 2 {
		if _, err := f.presentTo(hospital, credential.VCTKTPEL, PresentOptions{}, "name"); err != nil {
			t.Fatal(err)
		}
	}
	c := f.credentialOf(credential.FormatSDJWT, credential.VCTKTPEL)
	copies, _ := f.w.listRecords(f.ctx, kindCopy)
	acts, _ := f.w.Activity(f.ctx)
	armed = true
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the refresh did not reach its hook")
			}
		}()
		f.w.Refresh(f.ctx, c.ID, RefreshOptions{HTTPClient: handlerClient(spy)})
	}()
	armed = false
	after := f.credentialOf(credential.FormatSDJWT, credential.VCTKTPEL)
	copiesAfter, _ := f.w.listRecords(f.ctx, kindCopy)
	actsAfter, _ := f.w.Activity(f.ctx)
	if !slices.EqualFunc(after.Copies, c.Copies, func(a, b CopyInfo) bool { return a.Number == b.Number && a.Spent == b.Spent }) ||
		len(copiesAfter) != len(copies) || len(actsAfter) != len(acts) {
		t.Fatalf("after the failed refresh: copies %+v, %d copy records (before %d), %d history entries (before %d)",
			after.Copies, len(copiesAfter), len(copies), len(actsAfter), len(acts))
	}
	if got, err := f.w.Refresh(f.ctx, c.ID, RefreshOptions{HTTPClient: handlerClient(spy)}); err != nil || got.CopiesLeft() != 3 {
		t.Fatalf("the next refresh: %v", err)
	}
}
