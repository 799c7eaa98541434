package issuer

import (
	"crypto"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// refreshForm is a token request of the refresh token grant.
func refreshForm(token string) url.Values {
	return url.Values{"grant_type": {oid4vci.GrantTypeRefreshToken}, "refresh_token": {token}}
}

// refreshRequest sends the refresh token of s with a DPoP proof by dpop
// (none when nil).
func (he *hEnv) refreshRequest(token string, dpop crypto.Signer) *http.Response {
	proof := ""
	if dpop != nil {
		proof = he.dpopProof(dpop, http.MethodPost, "/token", "")
	}
	return he.do(he.tokenRequest(refreshForm(token), proof))
}

// topUp exchanges the refresh token of s (with a DPoP proof by its key if
// it is DPoP-bound) and returns the top-up session.
func (he *hEnv) topUp(s *session) *session {
	he.t.Helper()
	resp := he.refreshRequest(s.refresh, s.dpop)
	b := body(he.t, resp)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		he.t.Fatalf("refresh: %d %s", resp.StatusCode, b)
	}
	tr, err := oid4vci.ParseTokenResponse(b)
	if err != nil {
		he.t.Fatal(err)
	}
	if tr.RefreshToken == "" || tr.RefreshToken == s.refresh || tr.AccessToken == s.token {
		he.t.Fatalf("refresh response %+v: tokens not rotated", tr)
	}
	return &session{offer: s.offer, token: tr.AccessToken, typ: tr.TokenType, dpop: s.dpop, refresh: tr.RefreshToken}
}

// count runs a COUNT query on e's store.
func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.queryRow(q, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestTopUp: the refresh token of an activation gives a top-up session of
// the same binding (DPoP-bound with the same key, or Bearer), whose
// credential requests add their keys to the binding and issue new copies
// of the offered configurations, once each per session; the rotated
// refresh token tops up again; a lost phone revokes every copy, top-ups
// included, and ends the refresh tokens.
func TestTopUp(t *testing.T) {
	for _, dpop := range []bool{true, false} {
		t.Run(map[bool]string{true: "DPoP", false: "Bearer"}[dpop], func(t *testing.T) {
			he := newHandlerEnv(t, HandlerConfig{})
			var key crypto.Signer
			if dpop {
				key = newDevice(t)
			}
			s, resps, _ := he.activateCopies(t, key)
			var refs []statuslist.Reference
			for id, cr := range resps {
				for _, c := range cr.Credentials {
					refs = append(refs, he.parts(t, id, c).status)
				}
			}
			bindingID := ""
			he.store.db.QueryRow(`SELECT id FROM bindings WHERE state = 'active'`).Scan(&bindingID)
			keysBefore := he.count(`SELECT COUNT(*) FROM binding_keys WHERE binding_id = ?`, bindingID)

			he.clock.Advance(20 * 24 * time.Hour)
			top := he.topUp(s)
			if want := map[bool]string{true: oid4vci.SchemeDPoP, false: oid4vci.SchemeBearer}[dpop]; top.typ != want {
				t.Fatalf("token_type %q, want %q", top.typ, want)
			}
			for _, id := range s.offer.Offer.CredentialConfigurationIDs {
				ds := devices(t, he.iss.Copies(he.iss.configs[id].vct()))
				cr := he.issue(top, id, ds...)
				for i, c := range cr.Credentials {
					he.verifyIssued(he.iss.configs[id], c, ds[i])
					refs = append(refs, he.parts(t, id, c).status)
				}
				// Once per configuration per session.
				wantError(t, he.request(top, id, newDevice(t)), http.StatusBadRequest, oid4vci.CodeCredentialRequestDenied)
			}
			// Only what the activation's offer named.
			wantError(t, he.request(top, "kk_dc_sd_jwt", newDevice(t)), http.StatusForbidden, oid4vci.CodeInsufficientScope)
			if n := he.count(`SELECT COUNT(*) FROM binding_keys WHERE binding_id = ?`, bindingID); n != keysBefore+40 {
				t.Fatalf("%d binding keys after the top-up, %d before", n, keysBefore)
			}
			if n := he.count(`SELECT COUNT(*) FROM bindings`); n != 1 {
				t.Fatalf("%d bindings", n)
			}
			if n := he.count(`SELECT COUNT(*) FROM credentials WHERE binding_id = ? AND revoked_at = 0`, bindingID); n != 80 {
				t.Fatalf("%d valid credentials of the binding", n)
			}
			// The audit log names the refresh and the top-up.
			if he.lastOutcome("refresh") != "ok" || he.lastOutcome("top-up") != "ok" {
				t.Fatalf("audit: refresh %q, top-up %q", he.lastOutcome("refresh"), he.lastOutcome("top-up"))
			}
			// The rotated token tops up again; the top-up's notification
			// works like any other.
			again := he.topUp(top)
			cr := he.issue(again, "ktpel_qr_dc_sd_jwt", newDevice(t))
			resp := he.do(he.resourceRequest(again, "/notification", map[string]any{"notification_id": cr.NotificationID, "event": "credential_accepted"}))
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("notification: %d %s", resp.StatusCode, body(t, resp))
			}
			refs = append(refs, he.parts(t, "ktpel_qr_dc_sd_jwt", cr.Credentials[0]).status)

			n, err := he.iss.ReportLost(he.ctx, "operator:kec-tebet-01", testNIK)
			if err != nil || n != 81 {
				t.Fatalf("ReportLost revoked %d: %v", n, err)
			}
			for _, ref := range refs {
				if st := he.publishedStatus(t, ref); st != statuslist.Invalid {
					t.Fatalf("copy %d: status %v after the lost phone", ref.Index, st)
				}
			}
			wantError(t, he.refreshRequest(again.refresh, again.dpop), http.StatusBadRequest, oid4vci.CodeInvalidGrant)
			if o := he.lastOutcome("refresh"); o != ErrBindingRevoked.Error() {
				t.Fatalf("audit %q", o)
			}
			// The top-up session itself is refused too.
			wantError(t, he.request(again, "ktpel_dc_sd_jwt", newDevice(t)), http.StatusBadRequest, oid4vci.CodeCredentialRequestDenied)
		})
	}
}

// TestRefreshErrors covers every refusal of the refresh token grant:
// each row sends one request and gets its status and code, and the audit
// log names the sentinel where the store decided.
func TestRefreshErrors(t *testing.T) {
	type setup struct {
		he *hEnv
		s  *session // a DPoP-bound activation that issued a credential
	}
	for _, tc := range []struct {
		name   string
		hc     HandlerConfig
		send   func(t *testing.T, st *setup) *http.Response
		status int
		code   string
		audit  error // the outcome of the last "refresh" audit event; nil: none checked
	}{
		{"unknown refresh token", HandlerConfig{}, func(t *testing.T, st *setup) *http.Response {
			return st.he.refreshRequest("not-a-token-of-ours", st.s.dpop)
		}, http.StatusBadRequest, oid4vci.CodeInvalidGrant, ErrRefreshToken},
		{"access token as refresh token", HandlerConfig{}, func(t *testing.T, st *setup) *http.Response {
			return st.he.refreshRequest(st.s.token, st.s.dpop)
		}, http.StatusBadRequest, oid4vci.CodeInvalidGrant, ErrRefreshToken},
		{"used refresh token", HandlerConfig{}, func(t *testing.T, st *setup) *http.Response {
			st.he.topUp(st.s)
			return st.he.refreshRequest(st.s.refresh, st.s.dpop)
		}, http.StatusBadRequest, oid4vci.CodeInvalidGrant, ErrRefreshToken},
		{"expired refresh token", HandlerConfig{}, func(t *testing.T, st *setup) *http.Response {
			st.he.clock.Advance(DefaultRefreshTokenTTL)
			return st.he.refreshRequest(st.s.refresh, st.s.dpop)
		}, http.StatusBadRequest, oid4vci.CodeInvalidGrant, ErrRefreshToken},
		{"wrong DPoP key", HandlerConfig{}, func(t *testing.T, st *setup) *http.Response {
			return st.he.refreshRequest(st.s.refresh, newDevice(t))
		}, http.StatusBadRequest, oid4vci.CodeInvalidGrant, ErrDPoP},
		{"DPoP-bound refresh token without a DPoP proof", HandlerConfig{}, func(t *testing.T, st *setup) *http.Response {
			return st.he.refreshRequest(st.s.refresh, nil)
		}, http.StatusBadRequest, oid4vci.CodeInvalidDPoPProof, ErrDPoP},
		{"DPoP proof replayed", HandlerConfig{}, func(t *testing.T, st *setup) *http.Response {
			proof := st.he.dpopProof(st.s.dpop, http.MethodPost, "/token", "")
			st.he.do(st.he.tokenRequest(refreshForm("unknown"), proof))
			return st.he.do(st.he.tokenRequest(refreshForm(st.s.refresh), proof))
		}, http.StatusBadRequest, oid4vci.CodeInvalidDPoPProof, ErrDPoP},
		{"DPoP proof for another endpoint", HandlerConfig{}, func(t *testing.T, st *setup) *http.Response {
			proof := st.he.dpopProof(st.s.dpop, http.MethodPost, "/credential", "")
			return st.he.do(st.he.tokenRequest(refreshForm(st.s.refresh), proof))
		}, http.StatusBadRequest, oid4vci.CodeInvalidDPoPProof, nil},
		{"DPoP required", HandlerConfig{RequireDPoP: true}, func(t *testing.T, st *setup) *http.Response {
			return st.he.refreshRequest(st.s.refresh, nil)
		}, http.StatusBadRequest, oid4vci.CodeInvalidDPoPProof, nil},
		{"lost phone", HandlerConfig{}, func(t *testing.T, st *setup) *http.Response {
			if _, err := st.he.iss.ReportLost(st.he.ctx, "operator:kec-tebet-01", testNIK); err != nil {
				t.Fatal(err)
			}
			return st.he.refreshRequest(st.s.refresh, st.s.dpop)
		}, http.StatusBadRequest, oid4vci.CodeInvalidGrant, ErrBindingRevoked},
		{"NIK on a new phone", HandlerConfig{}, func(t *testing.T, st *setup) *http.Response {
			st.he.activate(newDevice(t))
			return st.he.refreshRequest(st.s.refresh, st.s.dpop)
		}, http.StatusBadRequest, oid4vci.CodeInvalidGrant, ErrBindingRevoked},
		{"session that issued nothing", HandlerConfig{}, func(t *testing.T, st *setup) *http.Response {
			s := st.he.redeem(nil) // a new offer: no credential request
			return st.he.refreshRequest(s.refresh, nil)
		}, http.StatusBadRequest, oid4vci.CodeInvalidGrant, ErrRefreshToken},
		{"refresh_token missing", HandlerConfig{}, func(t *testing.T, st *setup) *http.Response {
			return st.he.do(st.he.tokenRequest(url.Values{"grant_type": {oid4vci.GrantTypeRefreshToken}}, st.he.dpopProof(st.s.dpop, http.MethodPost, "/token", "")))
		}, http.StatusBadRequest, oid4vci.CodeInvalidRequest, nil},
		{"refresh_token empty", HandlerConfig{}, func(t *testing.T, st *setup) *http.Response {
			return st.he.refreshRequest("", st.s.dpop)
		}, http.StatusBadRequest, oid4vci.CodeInvalidRequest, nil},
		{"refresh_token with a tx_code", HandlerConfig{}, func(t *testing.T, st *setup) *http.Response {
			f := refreshForm(st.s.refresh)
			f.Set("tx_code", "123456")
			return st.he.do(st.he.tokenRequest(f, st.he.dpopProof(st.s.dpop, http.MethodPost, "/token", "")))
		}, http.StatusBadRequest, oid4vci.CodeInvalidRequest, nil},
		{"refresh_token repeated", HandlerConfig{}, func(t *testing.T, st *setup) *http.Response {
			f := refreshForm(st.s.refresh)
			f.Add("refresh_token", st.s.refresh)
			return st.he.do(st.he.tokenRequest(f, st.he.dpopProof(st.s.dpop, http.MethodPost, "/token", "")))
		}, http.StatusBadRequest, oid4vci.CodeInvalidRequest, nil},
		{"refresh_token not printable", HandlerConfig{}, func(t *testing.T, st *setup) *http.Response {
			return st.he.refreshRequest(st.s.refresh+"\n", st.s.dpop)
		}, http.StatusBadRequest, oid4vci.CodeInvalidGrant, nil},
		{"unknown client", HandlerConfig{ClientIDs: []string{"wallet-1"}}, func(t *testing.T, st *setup) *http.Response {
			return st.he.refreshRequest(st.s.refresh, st.s.dpop)
		}, http.StatusBadRequest, oid4vci.CodeInvalidClient, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			he := newHandlerEnv(t, tc.hc)
			key := newDevice(t)
			// The activation runs without client_id restrictions: only
			// the refresh faces tc.hc.
			h, err := NewHandler(he.iss, HandlerConfig{})
			if err != nil {
				t.Fatal(err)
			}
			act := &hEnv{env: he.env, h: h}
			s := act.redeem(key)
			act.issue(s, "ktpel_dc_sd_jwt", newDevice(t))
			before := he.count(`SELECT COUNT(*) FROM sessions`)
			resp := tc.send(t, &setup{he: he, s: s})
			wantError(t, resp, tc.status, tc.code)
			if tc.audit != nil {
				if o := he.lastOutcome("refresh"); o != tc.audit.Error() {
					t.Fatalf("audit outcome %q, want %q", o, tc.audit)
				}
			}
			// A refused refresh makes no session (the rows that top up
			// successfully first, or activate, made theirs before).
			if strings.HasPrefix(tc.name, "used") || strings.HasPrefix(tc.name, "NIK") || strings.HasPrefix(tc.name, "session") {
				return
			}
			if after := he.count(`SELECT COUNT(*) FROM sessions`); after != before {
				t.Fatalf("%d sessions after a refused refresh, %d before", after, before)
			}
		})
	}
}

// TestRefreshReplayRevokesFamily: a spent refresh token presented again
// is refused and revokes every refresh token of its activation, the one it
// was exchanged for included (RFC 9700 §4.14.2); a top-up session already
// given keeps its access token until it expires. Another activation's
// family is untouched.
func TestRefreshReplayRevokesFamily(t *testing.T) {
	he := newHandlerEnv(t, HandlerConfig{})
	key := newDevice(t)
	s := he.redeem(key)
	he.issue(s, "ktpel_dc_sd_jwt", newDevice(t))
	top := he.topUp(s)
	next := he.topUp(top)
	// The replay of the first, spent token.
	wantError(t, he.refreshRequest(s.refresh, key), http.StatusBadRequest, oid4vci.CodeInvalidGrant)
	if o := he.lastOutcome("revoke refresh tokens"); o != "ok" {
		t.Fatalf("audit %q", o)
	}
	for _, tok := range []string{top.refresh, next.refresh} {
		wantError(t, he.refreshRequest(tok, key), http.StatusBadRequest, oid4vci.CodeInvalidGrant)
	}
	if n := he.count(`SELECT COUNT(*) FROM refresh_tokens WHERE revoked_at = 0`); n != 0 {
		t.Fatalf("%d refresh tokens left unrevoked", n)
	}
	he.issue(next, "ktpel_mso_mdoc", newDevice(t))
	// A new activation starts a new family.
	s2 := he.redeem(key)
	he.issue(s2, "ktpel_dc_sd_jwt", newDevice(t))
	he.topUp(s2)
}

// TestRefreshConcurrent: the same refresh token sent twice at once gives
// one access token; the other request finds it spent, a replay, and the
// family is revoked, so the winner's new refresh token is refused too.
func TestRefreshConcurrent(t *testing.T) {
	he := newHandlerEnv(t, HandlerConfig{})
	key := newDevice(t)
	s := he.redeem(key)
	he.issue(s, "ktpel_dc_sd_jwt", newDevice(t))
	const n = 4
	proofs := make([]string, n)
	for i := range proofs {
		proofs[i] = he.dpopProof(key, http.MethodPost, "/token", "")
	}
	var wg sync.WaitGroup
	resps := make([]*http.Response, n)
	for i := range n {
		wg.Go(func() { resps[i] = he.do(he.tokenRequest(refreshForm(s.refresh), proofs[i])) })
	}
	wg.Wait()
	var won []*oid4vci.TokenResponse
	for _, resp := range resps {
		if resp.StatusCode == http.StatusOK {
			tr, err := oid4vci.ParseTokenResponse(body(t, resp))
			if err != nil {
				t.Fatal(err)
			}
			won = append(won, tr)
			continue
		}
		wantError(t, resp, http.StatusBadRequest, oid4vci.CodeInvalidGrant)
	}
	if len(won) != 1 {
		t.Fatalf("%d of %d concurrent refreshes succeeded", len(won), n)
	}
	if c := he.count(`SELECT COUNT(*) FROM sessions WHERE offer_id IS NULL`); c != 1 {
		t.Fatalf("%d top-up sessions", c)
	}
	wantError(t, he.refreshRequest(won[0].RefreshToken, key), http.StatusBadRequest, oid4vci.CodeInvalidGrant)
}

// TestRefreshTokenStoredHashed: the store keeps no refresh token, only
// its hash, with the configured lifetime, and the Authorization Server
// metadata offer the grant.
func TestRefreshTokenStoredHashed(t *testing.T) {
	he := newHandlerEnv(t, HandlerConfig{RefreshTokenTTL: 30 * 24 * time.Hour})
	s := he.redeem(nil)
	var hash []byte
	var exp int64
	if err := he.store.db.QueryRow(`SELECT hash, expires_at FROM refresh_tokens`).Scan(&hash, &exp); err != nil {
		t.Fatal(err)
	}
	if string(hash) != string(refreshTokenHash(s.refresh)) || strings.Contains(string(hash), s.refresh) {
		t.Fatal("refresh token not stored as its hash")
	}
	if !fromTS(exp).Equal(he.clock.Now().Add(30 * 24 * time.Hour)) {
		t.Fatalf("expires %v", fromTS(exp))
	}
	as, err := oid4vci.ParseAuthorizationServerMetadata(he.h.AuthorizationServerMetadata(), testIssuer)
	if err != nil || !as.SupportsGrant(oid4vci.GrantTypeRefreshToken) {
		t.Fatal(as, err)
	}
}

// TestSharedStoreRefresh: the same refresh token sent at once to two
// issuer processes sharing the store gives one access token.
func TestSharedStoreRefresh(t *testing.T) { forEachStore(t, testSharedStoreRefresh) }

func testSharedStoreRefresh(t *testing.T, kind backend) {
	he := newHandlerEnvOn(t, kind, HandlerConfig{})
	s := he.redeem(nil)
	he.issue(s, "ktpel_dc_sd_jwt", newDevice(t))
	var hs []*Handler
	for range 2 {
		h, err := NewHandler(he.process(), HandlerConfig{})
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	statuses := make([]int, len(hs))
	start := newBarrier(len(hs))
	var wg sync.WaitGroup
	for i, h := range hs {
		wg.Go(func() {
			start.wait()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, he.tokenRequest(refreshForm(s.refresh), ""))
			statuses[i] = rec.Code
		})
	}
	wg.Wait()
	slices.Sort(statuses)
	if !slices.Equal(statuses, []int{http.StatusOK, http.StatusBadRequest}) {
		t.Fatalf("statuses %v, want one access token", statuses)
	}
	if c := he.count(`SELECT COUNT(*) FROM sessions WHERE offer_id IS NULL`); c != 1 {
		t.Fatalf("%d top-up sessions", c)
	}
}
