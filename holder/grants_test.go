package holder

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/grantinfo"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
	"github.com/ikdkit/ikdkit/oid4vp"
	"github.com/ikdkit/ikdkit/verifier"
)

const (
	grantEndpoint   = vpBankID + "/grant"
	grantClientID   = "portal-pajak"
	grantClientName = "Portal Pajak"
)

// grantProvider is a fake IKD login provider at vpBankID: its OpenID4VP
// part is v; at /grant it withdraws grants as package internal/grantinfo
// says, finding them by the thumbprint of the DPoP key among the holder
// keys of the presentations v verified.
type grantProvider struct {
	t *testing.T
	v *vpVerifier

	mu      sync.Mutex
	answer  int // 0: as the grants say; else this status (500, 400)
	revoked map[string]bool
	calls   int
	jkts    []string
	known   []string // key thumbprints of grants made beyond v's verified presentations
}

func newGrantProvider(t *testing.T, f *fixture, until time.Time) *grantProvider {
	v := newVPVerifier(t, f, queryKTPSDJWT, oid4vp.ResponseModeDirectPost)
	gi := grantinfo.Info{Endpoint: grantEndpoint, ClientID: grantClientID, ClientName: grantClientName,
		Scopes: []string{"openid", "ikd:nik"}, ExpiresAt: until.Unix()}
	entry, err := gi.VerifierInfo()
	if err != nil {
		t.Fatal(err)
	}
	v.req.VerifierInfo = []oid4vp.VerifierInfo{entry}
	return &grantProvider{t: t, v: v, revoked: map[string]bool{}}
}

func (p *grantProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/grant" {
		p.v.ServeHTTP(w, r)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	fail := func(status int, code string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"error": code})
	}
	if p.answer != 0 {
		fail(p.answer, "server_error")
		return
	}
	proof, err := oid4vci.VerifyDPoPProof(r.Header.Get("DPoP"), oid4vci.DPoPOptions{Method: http.MethodPost, URL: grantEndpoint,
		Now: p.v.f.clk.Now(), MaxAge: time.Minute})
	if err != nil || r.Method != http.MethodPost || r.PostFormValue("client_id") == "" {
		fail(http.StatusBadRequest, "invalid_dpop_proof")
		return
	}
	p.jkts = append(p.jkts, proof.JKT())
	known := slices.Contains(p.known, proof.JKT())
	p.v.mu.Lock()
	for _, res := range p.v.verified {
		for _, c := range res.Credentials() {
			if tp, _ := keys.Thumbprint(c.HolderKey()); tp == proof.JKT() {
				known = true
			}
		}
	}
	p.v.mu.Unlock()
	key := r.PostFormValue("client_id") + " " + proof.JKT()
	if !known || r.PostFormValue("client_id") != grantClientID || p.revoked[key] {
		fail(http.StatusNotFound, "invalid_grant")
		return
	}
	p.revoked[key] = true
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"revoked":true}`))
}

// login reads and answers the provider's request; seen gets the consent
// prompt.
func (p *grantProvider) login(f *fixture, seen *ConsentRequest) (*VPRequest, error) {
	p.t.Helper()
	list := signedList(p.t, f.is, []string{credential.VCTKTPEL}, nil, p.v.registration(vpBankClaims))
	r, err := f.w.ReadVPRequest(f.ctx, p.v.linkByReference(""), VPOptions{Verifiers: list, HTTPClient: handlerClient(p)})
	if err != nil {
		return nil, err
	}
	_, err = f.w.AnswerVPRequest(f.ctx, r, PresentOptions{Consent: yes(seen)})
	return r, err
}

func (p *grantProvider) revoke(f *fixture, id string) error {
	return f.w.RevokeGrant(f.ctx, id, RevokeOptions{HTTPClient: handlerClient(p)})
}

func oneGrant(t *testing.T, f *fixture) Grant {
	t.Helper()
	gs, err := f.w.Grants(f.ctx)
	if err != nil || len(gs) != 1 {
		t.Fatalf("grants %+v, %v", gs, err)
	}
	return gs[0]
}

// TestGrantLogin: a login request shows its grant in the consent prompt,
// and answering it stores the grant with what was shared and the copy
// presented, in the same transaction as the activity entry that names it.
func TestGrantLogin(t *testing.T) {
	f := activated(t)
	until := f.clk.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)
	p := newGrantProvider(t, f, until)
	var seen ConsentRequest
	r, err := p.login(f, &seen)
	if err != nil {
		t.Fatalf("%v (verifier: %v)", err, p.v.vErr)
	}
	want := &GrantRequest{ClientID: grantClientID, ClientName: grantClientName, Scopes: []string{"openid", "ikd:nik"}, Until: until.UTC(), Endpoint: grantEndpoint}
	if !reflect.DeepEqual(r.Grant, want) || !reflect.DeepEqual(seen.Grant, want) {
		t.Fatalf("request grant %+v, consent grant %+v", r.Grant, seen.Grant)
	}
	g := oneGrant(t, f)
	acts, _ := f.w.Activity(f.ctx)
	last := acts[len(acts)-1]
	if g.ID == "" || g.Provider != vpBankID || g.ProviderName != "Bank Contoh" || g.ClientID != grantClientID || g.ClientName != grantClientName ||
		!slices.Equal(g.Scopes, want.Scopes) || !g.At.Equal(f.clk.Now()) || !g.Until.Equal(until) || g.Endpoint != grantEndpoint ||
		!g.RevokedAt.IsZero() || g.GoneAtProvider {
		t.Fatalf("grant %+v", g)
	}
	if last.Kind != ActivityPresentation || last.Grant != g.ID || !slices.Equal(g.Claims, last.Claims) || !slices.Equal(g.Credentials, last.Credentials) ||
		!reflect.DeepEqual(g.Copies, last.Copies) || len(g.Claims) != 2 {
		t.Fatalf("grant %+v, activity %+v", g, last)
	}
	holder, _ := keys.Thumbprint(p.v.verified[0].Credentials()[0].HolderKey())
	if g.Copies[0].Key != holder {
		t.Fatalf("grant copy key %s, presented %s", g.Copies[0].Key, holder)
	}
	if !g.Active(f.clk.Now()) || g.Active(until) {
		t.Fatal("Active")
	}
	// A plain presentation makes no grant; the grant survives reopening.
	plain := newVPVerifier(t, f, queryKTPSDJWT, oid4vp.ResponseModeDirectPost)
	list := signedList(t, f.is, []string{credential.VCTKTPEL}, nil, plain.registration(vpBankClaims))
	pr, err := f.w.ReadVPRequest(f.ctx, plain.linkByReference(""), VPOptions{Verifiers: list, HTTPClient: handlerClient(plain)})
	if err != nil || pr.Grant != nil {
		t.Fatalf("plain request: %+v, %v", pr, err)
	}
	var plainSeen ConsentRequest
	if _, err := f.w.AnswerVPRequest(f.ctx, pr, PresentOptions{Consent: yes(&plainSeen)}); err != nil || plainSeen.Grant != nil {
		t.Fatalf("plain answer: %v, consent grant %+v", err, plainSeen.Grant)
	}
	f.reopen()
	if err := f.w.Unlock(f.ctx, testPIN); err != nil {
		t.Fatal(err)
	}
	if again := oneGrant(t, f); !reflect.DeepEqual(again, g) {
		t.Fatalf("after reopening: %+v, want %+v", again, g)
	}
}

// TestGrantRefused: a refused login stores no grant.
func TestGrantRefused(t *testing.T) {
	f := activated(t)
	p := newGrantProvider(t, f, f.clk.Now().Add(time.Hour))
	list := signedList(t, f.is, []string{credential.VCTKTPEL}, nil, p.v.registration(vpBankClaims))
	r, err := f.w.ReadVPRequest(f.ctx, p.v.linkByReference(""), VPOptions{Verifiers: list, HTTPClient: handlerClient(p)})
	if err != nil {
		t.Fatal(err)
	}
	no := func(_ context.Context, req ConsentRequest) (bool, error) { return req.Grant == nil, nil }
	if _, err := f.w.AnswerVPRequest(f.ctx, r, PresentOptions{Consent: no}); !errors.Is(err, ErrConsentRefused) {
		t.Fatalf("err = %v", err)
	}
	if gs, err := f.w.Grants(f.ctx); err != nil || len(gs) != 0 {
		t.Fatalf("grants %+v, %v", gs, err)
	}
}

// TestGrantEntryChecked: a malformed grant entry, one whose endpoint is
// on another host than the verifier's, or one already expired, makes the
// request unusable.
func TestGrantEntryChecked(t *testing.T) {
	f := activated(t)
	for name, mod := range map[string]func(*oid4vp.VerifierInfo){
		"malformed": func(vi *oid4vp.VerifierInfo) {
			vi.Data = json.RawMessage(`{"grant_endpoint":"https://bank.example.co.id/grant"}`)
		},
		"other host": func(vi *oid4vp.VerifierInfo) {
			vi.Data = grantData(t, "https://elsewhere.example/grant", f.clk.Now().Add(time.Hour))
		},
		"expired": func(vi *oid4vp.VerifierInfo) { vi.Data = grantData(t, grantEndpoint, f.clk.Now().Add(-time.Second)) },
		"not https": func(vi *oid4vp.VerifierInfo) {
			vi.Data = json.RawMessage(`{"grant_endpoint":"http://bank.example.co.id/grant","client_id":"a","client_name":"A","scopes":["openid"],"expires_at":99999999999}`)
		},
		"two of them": nil,
	} {
		t.Run(name, func(t *testing.T) {
			p := newGrantProvider(t, f, f.clk.Now().Add(time.Hour))
			if mod == nil {
				p.v.req.VerifierInfo = append(p.v.req.VerifierInfo, p.v.req.VerifierInfo[0])
			} else {
				mod(&p.v.req.VerifierInfo[0])
			}
			list := signedList(t, f.is, []string{credential.VCTKTPEL}, nil, p.v.registration(vpBankClaims))
			_, err := f.w.ReadVPRequest(f.ctx, p.v.linkByReference(""), VPOptions{Verifiers: list, HTTPClient: handlerClient(p)})
			if !errors.Is(err, ErrVPRequest) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func grantData(t *testing.T, endpoint string, until time.Time) json.RawMessage {
	b, err := json.Marshal(grantinfo.Info{Endpoint: endpoint, ClientID: "a", ClientName: "A", Scopes: []string{"openid"}, ExpiresAt: until.Unix()})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRevokeGrant: the withdrawal is signed by the presented copy's key;
// the grant is then revoked, with an activity entry; a second one sends
// nothing.
func TestRevokeGrant(t *testing.T) {
	f := activated(t)
	p := newGrantProvider(t, f, f.clk.Now().Add(time.Hour))
	if _, err := p.login(f, nil); err != nil {
		t.Fatal(err)
	}
	g := oneGrant(t, f)
	f.clk.Advance(5 * time.Minute)
	if err := p.revoke(f, g.ID); err != nil {
		t.Fatal(err)
	}
	if p.calls != 1 || len(p.jkts) != 1 || p.jkts[0] != g.Copies[0].Key || !p.revoked[grantClientID+" "+g.Copies[0].Key] {
		t.Fatalf("provider saw %d calls, keys %v; grant key %s", p.calls, p.jkts, g.Copies[0].Key)
	}
	after := oneGrant(t, f)
	if !after.RevokedAt.Equal(f.clk.Now()) || after.GoneAtProvider || after.Active(f.clk.Now()) {
		t.Fatalf("after revoking: %+v", after)
	}
	acts, _ := f.w.Activity(f.ctx)
	last := acts[len(acts)-1]
	if last.Kind != ActivityGrantRevoked || last.Grant != g.ID || last.Counterparty != vpBankID || !last.At.Equal(f.clk.Now()) {
		t.Fatalf("activity %+v", last)
	}
	// The revoked grant keeps no key.
	rec, _ := f.w.getRecord(f.ctx, g.ID, kindGrant)
	var s storedGrant
	if err := json.Unmarshal(rec, &s); err != nil || len(s.Keys) != 0 {
		t.Fatalf("revoked grant record keeps %d keys, %v", len(s.Keys), err)
	}
	if err := p.revoke(f, g.ID); err != nil || p.calls != 1 {
		t.Fatalf("second revoke: %v, %d calls", err, p.calls)
	}
	if n := len(mustActivity(t, f)); n != len(acts) {
		t.Fatalf("second revoke recorded activity: %d entries, want %d", n, len(acts))
	}
}

func mustActivity(t *testing.T, f *fixture) []Activity {
	t.Helper()
	acts, err := f.w.Activity(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return acts
}

// TestRevokeGrantGone: a provider that has no such grant (404
// invalid_grant) gets the grant marked revoked, GoneAtProvider, and nil.
func TestRevokeGrantGone(t *testing.T) {
	f := activated(t)
	p := newGrantProvider(t, f, f.clk.Now().Add(time.Hour))
	if _, err := p.login(f, nil); err != nil {
		t.Fatal(err)
	}
	g := oneGrant(t, f)
	p.revoked[grantClientID+" "+g.Copies[0].Key] = true // withdrawn elsewhere
	if err := p.revoke(f, g.ID); err != nil {
		t.Fatal(err)
	}
	after := oneGrant(t, f)
	if after.RevokedAt.IsZero() || !after.GoneAtProvider || after.Active(f.clk.Now()) || p.calls != 1 {
		t.Fatalf("after a 404: %+v", after)
	}
	if last := mustActivity(t, f); last[len(last)-1].Kind != ActivityGrantRevoked {
		t.Fatalf("activity %+v", last[len(last)-1])
	}
}

// TestRevokeGrantFails: a failed withdrawal is ErrRevokeFailed and
// changes nothing; the retry succeeds. Unknown ids and a locked wallet
// are typed errors.
func TestRevokeGrantFails(t *testing.T) {
	f := activated(t)
	p := newGrantProvider(t, f, f.clk.Now().Add(time.Hour))
	if _, err := p.login(f, nil); err != nil {
		t.Fatal(err)
	}
	g := oneGrant(t, f)
	n := len(mustActivity(t, f))
	down := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("no route to host") })}
	for name, try := range map[string]func() error{
		"500": func() error { p.answer = 500; defer func() { p.answer = 0 }(); return p.revoke(f, g.ID) },
		"400": func() error { p.answer = 400; defer func() { p.answer = 0 }(); return p.revoke(f, g.ID) },
		"network": func() error {
			return f.w.RevokeGrant(f.ctx, g.ID, RevokeOptions{HTTPClient: down})
		},
		"redirect": func() error {
			h := http.RedirectHandler(grantEndpoint, http.StatusFound)
			return f.w.RevokeGrant(f.ctx, g.ID, RevokeOptions{HTTPClient: handlerClient(h)})
		},
		"200 without revoked": func() error {
			h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"ok":true}`)) })
			return f.w.RevokeGrant(f.ctx, g.ID, RevokeOptions{HTTPClient: handlerClient(h)})
		},
		"404 without invalid_grant": func() error {
			return f.w.RevokeGrant(f.ctx, g.ID, RevokeOptions{HTTPClient: handlerClient(http.NotFoundHandler())})
		},
	} {
		if err := try(); !errors.Is(err, ErrRevokeFailed) {
			t.Fatalf("%s: err = %v", name, err)
		}
		if now := oneGrant(t, f); !now.RevokedAt.IsZero() || !now.Active(f.clk.Now()) || len(mustActivity(t, f)) != n {
			t.Fatalf("%s: grant changed: %+v", name, now)
		}
	}
	if err := p.revoke(f, "grant-nope"); !errors.Is(err, ErrNoGrant) {
		t.Fatalf("unknown id: %v", err)
	}
	if err := p.revoke(f, ""); !errors.Is(err, ErrNoGrant) {
		t.Fatalf("empty id: %v", err)
	}
	// An id of another kind of record is no grant either.
	if err := p.revoke(f, mustActivity(t, f)[0].ID); !errors.Is(err, ErrNoGrant) {
		t.Fatalf("activity id: %v", err)
	}
	f.w.Lock()
	if err := p.revoke(f, g.ID); !errors.Is(err, ErrLocked) {
		t.Fatalf("locked: %v", err)
	}
	if _, err := f.w.Grants(f.ctx); !errors.Is(err, ErrLocked) {
		t.Fatalf("locked Grants: %v", err)
	}
	if err := f.w.Unlock(f.ctx, testPIN); err != nil {
		t.Fatal(err)
	}
	if err := p.revoke(f, g.ID); err != nil || !p.revoked[grantClientID+" "+g.Copies[0].Key] {
		t.Fatalf("retry: %v", err)
	}
}

// TestGrantKeyOutlivesCopy: with keys in the platform keystore, removing
// the credential whose copy signed in keeps that copy's key for the
// grant; withdrawing it still works and then deletes the key.
func TestGrantKeyOutlivesCopy(t *testing.T) {
	ks := &fakeKeystore{}
	f := activated(t, func(o *Options) { o.DeviceKeys = ks })
	p := newGrantProvider(t, f, f.clk.Now().Add(time.Hour))
	if _, err := p.login(f, nil); err != nil {
		t.Fatal(err)
	}
	g := oneGrant(t, f)
	held := func() bool {
		for _, k := range ks.keys {
			if tp, _ := keys.Thumbprint(k.Public()); tp == g.Copies[0].Key {
				return true
			}
		}
		return false
	}
	before := len(ks.keys)
	if err := f.w.RemoveCredential(f.ctx, g.Copies[0].Credential); err != nil {
		t.Fatal(err)
	}
	if !held() || len(ks.keys) >= before {
		t.Fatalf("keystore: %d keys before, %d after; grant key held: %v", before, len(ks.keys), held())
	}
	if err := p.revoke(f, g.ID); err != nil {
		t.Fatal(err)
	}
	if held() || p.jkts[0] != g.Copies[0].Key {
		t.Fatalf("after revoking: key still held %v, signed by %v", held(), p.jkts)
	}
}

// TestSchemaUpgradeToGrants: a version 2 wallet opens as version 3 with
// everything it held, and then stores grants.
func TestSchemaUpgradeToGrants(t *testing.T) {
	f := activated(t)
	p := newGrantProvider(t, f, f.clk.Now().Add(time.Hour))
	credsBefore, _ := f.w.Credentials(f.ctx)
	actsBefore := mustActivity(t, f)
	setVersion(t, f, 2)
	f.reopen()
	if v := userVersion(t, f.dir); v != 3 {
		t.Fatalf("schema version %d after Open", v)
	}
	if err := f.w.Unlock(f.ctx, testPIN); err != nil {
		t.Fatal(err)
	}
	credsAfter, _ := f.w.Credentials(f.ctx)
	if !reflect.DeepEqual(copyKeys(credsBefore), copyKeys(credsAfter)) || !reflect.DeepEqual(mustActivity(t, f), actsBefore) {
		t.Fatal("records changed by the upgrade")
	}
	if gs, err := f.w.Grants(f.ctx); err != nil || len(gs) != 0 {
		t.Fatalf("grants %v, %v", gs, err)
	}
	if _, err := p.login(f, nil); err != nil {
		t.Fatal(err)
	}
	oneGrant(t, f)
	// A newer version is refused, not read.
	setVersion(t, f, schemaVersion+1)
	f.w.Close()
	if _, err := Open(f.ctx, f.dir, f.opts); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("version %d: %v", schemaVersion+1, err)
	}
}

// TestCrashDuringUpgrade: killed inside the upgrade's transaction, the
// file stays at version 2 with everything in it; the next Open upgrades
// it.
func TestCrashDuringUpgrade(t *testing.T) {
	f, dir, n := crashFixture(t, false)
	f.reopen()
	setVersion(t, f, 2)
	f.w.Close()
	runCrashChild(t, "migrate", dir)
	if v := userVersion(t, f.dir); v != 2 {
		t.Fatalf("schema version %d after the crash", v)
	}
	f.reopen()
	if v := userVersion(t, f.dir); v != schemaVersion {
		t.Fatalf("schema version %d after Open", v)
	}
	if err := f.w.Unlock(f.ctx, testPIN); err != nil {
		t.Fatal(err)
	}
	if creds, err := f.w.Credentials(f.ctx); err != nil || len(creds) != n {
		t.Fatalf("%d credentials, want %d: %v", len(creds), n, err)
	}
}

func setVersion(t *testing.T, f *fixture, v int) {
	t.Helper()
	if err := f.w.update(f.ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(f.ctx, "PRAGMA user_version = "+itoa(v))
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func itoa(v int) string { return string(itob(int64(v))) }

// userVersion reads the file's schema version without Open.
func userVersion(t *testing.T, dir string) int {
	t.Helper()
	if _, err := os.Stat(dbPath(dir)); err != nil {
		t.Fatal(err)
	}
	db, err := openDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestGrantDCAPI: a signed request over the Digital Credentials API
// carries its grant like a link does; an unsigned one may not.
func TestGrantDCAPI(t *testing.T) {
	f := activated(t)
	p := newGrantProvider(t, f, f.clk.Now().Add(time.Hour))
	list := signedList(t, f.is, []string{credential.VCTKTPEL}, []string{credential.DocTypeKTPEL}, p.v.registration(vpBankClaims))
	h, err := verifier.NewVPHandler(hospitalVerifier(t, f, t0), verifier.VPHandlerConfig{BaseURL: vpBankID, Signer: p.v.key, Chain: p.v.chain,
		ResponseMode: oid4vp.ResponseModeDirectPost, Now: f.clk.Now, VerifierInfo: p.v.req.VerifierInfo})
	if err != nil {
		t.Fatal(err)
	}
	q, err := oid4vp.ParseQuery([]byte(queryKTPMdoc))
	if err != nil {
		t.Fatal(err)
	}
	for _, unsigned := range []bool{false, true} {
		tx, err := h.NewDCAPIRequest(f.ctx, q, unsigned)
		if err != nil {
			t.Fatal(err)
		}
		r, err := f.w.ReadDCAPIRequest(f.ctx, tx.DCAPI.Protocol, tx.DCAPI.Data, h.Origin(), VPOptions{Verifiers: list})
		if unsigned {
			if !errors.Is(err, ErrVPRequest) {
				t.Fatalf("unsigned: %v", err)
			}
			continue
		}
		if err != nil || r.Grant == nil || r.Grant.ClientID != grantClientID {
			t.Fatalf("signed: %+v, %v", r, err)
		}
		var seen ConsentRequest
		ans, err := f.w.AnswerVPRequest(f.ctx, r, PresentOptions{Consent: yes(&seen)})
		if err != nil || seen.Grant == nil {
			t.Fatalf("answer: %v, consent grant %+v", err, seen.Grant)
		}
		if code, body := postDCAPIData(t, h, tx, ans.DCAPIData); code != http.StatusOK {
			t.Fatalf("bank answered %d %s", code, body)
		}
		if g := oneGrant(t, f); g.ClientID != grantClientID || len(g.Copies) != 1 || g.Credentials[0] != seen.Items[0].Credential {
			t.Fatalf("grant %+v", g)
		}
	}
}

// TestGrantMdocLogin: a login with an mdoc, withdrawn with its copy's
// key (the MSO's deviceKey).
func TestGrantMdocLogin(t *testing.T) {
	f := activated(t)
	p := newGrantProvider(t, f, f.clk.Now().Add(time.Hour))
	q, err := oid4vp.ParseQuery([]byte(queryKTPMdoc))
	if err != nil {
		t.Fatal(err)
	}
	p.v.req.DCQLQuery = q
	list := signedList(t, f.is, nil, []string{credential.DocTypeKTPEL}, p.v.registration(vpBankClaims))
	r, err := f.w.ReadVPRequest(f.ctx, p.v.linkByReference(""), VPOptions{Verifiers: list, HTTPClient: handlerClient(p)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.w.AnswerVPRequest(f.ctx, r, PresentOptions{Consent: yes(nil)}); err != nil {
		t.Fatalf("%v (verifier: %v)", err, p.v.vErr)
	}
	g := oneGrant(t, f)
	if err := p.revoke(f, g.ID); err != nil {
		t.Fatal(err)
	}
	if len(p.jkts) != 1 || p.jkts[0] != g.Copies[0].Key || oneGrant(t, f).RevokedAt.IsZero() {
		t.Fatalf("withdrawal signed by %v; grant key %s", p.jkts, g.Copies[0].Key)
	}
}

// TestDeleteWalletDeletesGrantKeys: deleting the wallet also deletes the
// keystore keys only grants still held.
func TestDeleteWalletDeletesGrantKeys(t *testing.T) {
	ks := &fakeKeystore{}
	f := activated(t, func(o *Options) { o.DeviceKeys = ks })
	p := newGrantProvider(t, f, f.clk.Now().Add(time.Hour))
	if _, err := p.login(f, nil); err != nil {
		t.Fatal(err)
	}
	g := oneGrant(t, f)
	if err := f.w.RemoveCredential(f.ctx, g.Copies[0].Credential); err != nil {
		t.Fatal(err)
	}
	if err := f.w.Delete(f.ctx); err != nil {
		t.Fatal(err)
	}
	if len(ks.keys) != 0 {
		t.Fatalf("%d keys left in the keystore", len(ks.keys))
	}
}

// TestGrantDeviceKey: a login with a credential bound to the wallet's
// device key (Import) is withdrawn with the device key.
func TestGrantDeviceKey(t *testing.T) {
	f := newFixture(t)
	dev, err := f.w.CreateDeviceKey(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.w.Import(f.ctx, credential.FormatSDJWT, issueSD(t, f.is.key, testIssuer, mustKTPEL(), dev.Public(), t0)); err != nil {
		t.Fatal(err)
	}
	p := newGrantProvider(t, f, f.clk.Now().Add(time.Hour))
	// The test verifier refuses a credential without a status reference,
	// as the imported one is: the grant is stored all the same (the
	// presentation left the wallet), and the provider is told of it here.
	if _, err := p.login(f, nil); !errors.Is(err, ErrResponseFailed) {
		t.Fatalf("%v (verifier: %v)", err, p.v.vErr)
	}
	g := oneGrant(t, f)
	devTP, _ := keys.Thumbprint(dev.Public())
	p.known = append(p.known, devTP)
	if g.Copies[0].Key != devTP {
		t.Fatalf("grant key %s, device key %s", g.Copies[0].Key, devTP)
	}
	f.reopen() // the device key is loaded again
	if err := f.w.Unlock(f.ctx, testPIN); err != nil {
		t.Fatal(err)
	}
	if err := p.revoke(f, g.ID); err != nil {
		t.Fatal(err)
	}
	if len(p.jkts) != 1 || p.jkts[0] != devTP || oneGrant(t, f).GoneAtProvider {
		t.Fatalf("withdrawal signed by %v, want the device key %s", p.jkts, devTP)
	}
}
