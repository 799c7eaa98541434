package issuer

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// The crash tests re-run this test binary as a child process selected by
// crashScenarioEnv. The child runs an operation against the parent's
// database and SIGKILLs itself at a hook point inside the transaction; the
// parent then reopens the store and checks the invariants.
const (
	crashScenarioEnv = "IKDKIT_ISSUER_CRASH_SCENARIO"
	crashDBEnv       = "IKDKIT_ISSUER_CRASH_DB"
	crashArgEnv      = "IKDKIT_ISSUER_CRASH_ARG"
	crashArg2Env     = "IKDKIT_ISSUER_CRASH_ARG2"
)

func TestMain(m *testing.M) {
	if sc := os.Getenv(crashScenarioEnv); sc != "" {
		err := crashChild(sc, os.Getenv(crashDBEnv), os.Getenv(crashArgEnv), os.Getenv(crashArg2Env))
		// Reaching here means the kill point was never hit.
		fmt.Fprintf(os.Stderr, "crash child %s finished without crashing: %v\n", sc, err)
		os.Exit(3)
	}
	os.Exit(m.Run())
}

// crashChild runs scenario and kills the process at its hook point.
func crashChild(scenario, db, arg, arg2 string) error {
	ctx := context.Background()
	s, err := OpenStore(ctx, db)
	if err != nil {
		return err
	}
	k, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		return err
	}
	_, leaf, err := makePKI(k)
	if err != nil {
		return err
	}
	hits := 0
	cfg := Config{
		Identifier: testIssuer, Signer: keys.Opaque(k), Chain: []*x509.Certificate{leaf},
		Types:      []credential.TypeInfo{credential.KTPELType()},
		StatusList: StatusListConfig{BaseURI: testIssuer + "/status", Size: 1024},
		Documents: DocumentsFunc(func(context.Context, credential.NIK) ([]credential.Document, error) {
			return []credential.Document{mustKTPEL()}, nil
		}),
		Store: s,
		Now:   (&clock{t: t0}).Now,
		hook: func(point string) {
			if point == scenarioPoint(scenario) {
				if hits++; hits == scenarioHits(scenario) {
					syscall.Kill(os.Getpid(), syscall.SIGKILL)
				}
			}
		},
	}
	iss, err := New(ctx, cfg)
	if err != nil {
		return err
	}
	switch scenario {
	case "batch":
		var reqs []IssueRequest
		for range 30 {
			reqs = append(reqs, IssueRequest{BindingID: arg, Document: mustKTPEL()})
		}
		_, err = iss.IssueBatch(ctx, "operator:batch", reqs)
	case "activation", "credential", "token", "refresh":
		h, herr := NewHandler(iss, HandlerConfig{})
		if herr != nil {
			return herr
		}
		var r *http.Request
		switch scenario {
		case "token", "refresh":
			form := tokenForm(arg, arg2)
			if scenario == "refresh" {
				form = refreshForm(arg)
			}
			r = httptest.NewRequest(http.MethodPost, testIssuer+"/token", strings.NewReader(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		default:
			// The session's first credential request, which makes the
			// NIK's binding: one key for an activation, a batch of three
			// for a credential request.
			n, _, nerr := iss.Nonce(ctx)
			if nerr != nil {
				return nerr
			}
			var proofs []string
			for range map[string]int{"activation": 1, "credential": 3}[scenario] {
				device, _ := keys.Generate(keys.ES256, nil)
				p, _ := oid4vci.SignProof(nil, device, testIssuer, n, t0)
				proofs = append(proofs, p)
			}
			b, _ := json.Marshal(credentialBody("ktpel_dc_sd_jwt", proofs...))
			r = httptest.NewRequest(http.MethodPost, testIssuer+"/credential", bytes.NewReader(b))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "Bearer "+arg)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		err = fmt.Errorf("HTTP %d: %s", rec.Code, rec.Body)
	}
	return err
}

// scenarioPoint is the hook point a scenario's child dies at, and
// scenarioHits at which hit of it.
func scenarioPoint(scenario string) string {
	switch scenario {
	case "batch":
		return "issue:after-credential"
	case "token":
		return "token:offer-used"
	case "refresh":
		return "refresh:token-used"
	case "activation":
		return "credential:old-revoked"
	}
	return "credential:after-credential"
}

func scenarioHits(scenario string) int {
	switch scenario {
	case "batch":
		return 10
	case "credential":
		return 2
	}
	return 1
}

// runCrashChild runs the scenario in a child and checks it died by SIGKILL.
func runCrashChild(t *testing.T, e *env, scenario, arg, arg2 string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashScenarioEnv+"="+scenario, crashDBEnv+"="+e.path, crashArgEnv+"="+arg, crashArg2Env+"="+arg2)
	out, err := cmd.CombinedOutput()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if err == nil || !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die by SIGKILL: %v\n%s", err, out)
	}
}

// checkInvariants verifies the store after a crash.
func checkInvariants(t *testing.T, e *env) {
	t.Helper()
	var dup, active int
	if err := e.queryRow(`SELECT COUNT(*) FROM (SELECT list, idx FROM credentials GROUP BY list, idx HAVING COUNT(*) > 1) AS dup`).Scan(&dup); err != nil || dup != 0 {
		t.Fatalf("status index used twice: %d (%v)", dup, err)
	}
	if err := e.queryRow(`SELECT COUNT(*) FROM bindings WHERE nik = ? AND state = 'active'`, testNIK).Scan(&active); err != nil || active > 1 {
		t.Fatalf("%d active bindings (%v)", active, err)
	}
	var orphan int
	if err := e.queryRow(`SELECT COUNT(*) FROM credentials c JOIN bindings b ON c.binding_id = b.id WHERE b.state = 'revoked' AND c.revoked_at = 0`).Scan(&orphan); err != nil || orphan != 0 {
		t.Fatalf("%d unrevoked credentials of revoked bindings (%v)", orphan, err)
	}
	if e.store != nil {
		var ic string
		if err := e.queryRow(`PRAGMA integrity_check`).Scan(&ic); err != nil || ic != "ok" {
			t.Fatalf("integrity_check: %s %v", ic, err)
		}
	}
}

func countCredentials(t *testing.T, e *env) (total, revoked int) {
	t.Helper()
	if err := e.queryRow(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN revoked_at <> 0 THEN 1 ELSE 0 END), 0) FROM credentials`).Scan(&total, &revoked); err != nil {
		t.Fatal(err)
	}
	return total, revoked
}

func TestCrashDuringBatchIssuance(t *testing.T) { forEachStore(t, testCrashDuringBatchIssuance) }

func testCrashDuringBatchIssuance(t *testing.T, kind backend) {
	e := newEnvOn(t, kind)
	a := e.activate(newDevice(t))
	extra, err := e.iss.IssueBatch(e.ctx, "operator:1", []IssueRequest{{BindingID: a.Binding.ID, Document: mustKTPEL()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.iss.Revoke(e.ctx, "operator:1", extra[0].ID); err != nil {
		t.Fatal(err)
	}
	total, revoked := countCredentials(t, e)
	e.st.Close()

	runCrashChild(t, e, "batch", a.Binding.ID, "")

	e.open()
	checkInvariants(t, e)
	if t2, r2 := countCredentials(t, e); t2 != total || r2 != revoked {
		t.Fatalf("after crash %d credentials (%d revoked), before %d (%d): half a batch or a lost revocation", t2, r2, total, revoked)
	}
	if e.statusOf(extra[0].Status) != 1 {
		t.Fatal("revocation lost")
	}
	// The issuer works after the crash, with fresh indices.
	var reqs []IssueRequest
	for range 30 {
		reqs = append(reqs, IssueRequest{BindingID: a.Binding.ID, Document: mustKTPEL()})
	}
	if _, err := e.iss.IssueBatch(e.ctx, "operator:batch", reqs); err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, e)
	if t3, _ := countCredentials(t, e); t3 != total+60 {
		t.Fatalf("%d credentials, want %d", t3, total+60)
	}
}

// The process dies in a session's first credential request (the
// activation: one key proof) right after the NIK's old binding was
// revoked, before the new binding is made: nothing of it happened (old
// binding active, its credentials valid, no new binding, the session
// unbound, the nonce unspent), and the same session then activates with
// the switch done completely.
func TestCrashDuringActivation(t *testing.T) { forEachStore(t, testCrashDuringActivation) }

func testCrashDuringActivation(t *testing.T, kind backend) {
	he := newHandlerEnvOn(t, kind, HandlerConfig{})
	first := he.activate(newDevice(t))
	s := he.redeem(nil)
	total, revoked := countCredentials(t, he.env)
	var nonces int
	he.queryRow(`SELECT COUNT(*) FROM nonces`).Scan(&nonces)
	he.st.Close()

	runCrashChild(t, he.env, "activation", s.token, "")

	he.reopenAfterCrash()
	checkInvariants(t, he.env)
	if t2, r2 := countCredentials(t, he.env); t2 != total || r2 != revoked {
		t.Fatalf("after crash %d credentials (%d revoked), before %d (%d)", t2, r2, total, revoked)
	}
	b, err := he.iss.Binding(he.ctx, first.Binding.ID)
	if err != nil || b.State != BindingActive {
		t.Fatalf("old binding %+v %v: half-done activation", b, err)
	}
	var bindings, nonces2 int
	var sessionBinding string
	he.queryRow(`SELECT COUNT(*) FROM bindings`).Scan(&bindings)
	he.queryRow(`SELECT COUNT(*) FROM nonces`).Scan(&nonces2)
	he.queryRow(`SELECT binding_id FROM sessions WHERE token_hash = ?`, accessTokenHash(s.token)).Scan(&sessionBinding)
	if bindings != 1 || sessionBinding != "" || nonces2 != nonces+1 {
		t.Fatalf("%d bindings, session binding %q, %d nonces (before %d + the child's)", bindings, sessionBinding, nonces2, nonces)
	}
	// The same session still works, and the switch happens completely.
	device := newDevice(t)
	he.issue(s, "ktpel_dc_sd_jwt", device)
	b, err = he.iss.Binding(he.ctx, first.Binding.ID)
	if err != nil || b.State != BindingRevoked {
		t.Fatalf("old binding %+v %v after the activation", b, err)
	}
	if t3, r3 := countCredentials(t, he.env); t3 != total+1 || r3 != revoked+len(first.Credentials) {
		t.Fatalf("%d credentials (%d revoked), want %d (%d)", t3, r3, total+1, revoked+len(first.Credentials))
	}
	checkInvariants(t, he.env)
}

// The process dies in the token transaction after the offer was marked
// used: nothing of it happened (offer unused, no tx_code attempt counted,
// no session), and the same code and tx_code work afterwards.
func TestCrashDuringTokenRequest(t *testing.T) { forEachStore(t, testCrashDuringTokenRequest) }

func testCrashDuringTokenRequest(t *testing.T, kind backend) {
	he := newHandlerEnvOn(t, kind, HandlerConfig{})
	g := he.registerConfirm()
	he.st.Close()

	runCrashChild(t, he.env, "token", g.Offer.Offer.Grants.PreAuthorizedCode.PreAuthorizedCode, g.Offer.TxCode)

	he.reopenAfterCrash()
	var used, attempts, sessions int64
	he.queryRow(`SELECT used_at, attempts FROM offers WHERE id = ?`, g.Offer.ID).Scan(&used, &attempts)
	he.queryRow(`SELECT COUNT(*) FROM sessions`).Scan(&sessions)
	if used != 0 || attempts != 0 || sessions != 0 {
		t.Fatalf("after the crash: offer used_at %d attempts %d, %d sessions", used, attempts, sessions)
	}
	s := he.redeemOffer(g.Offer, nil)
	he.issue(s, "ktpel_dc_sd_jwt", newDevice(t))
	checkInvariants(t, he.env)
}

// The process dies in the session's first credential request, after the
// first of a batch of three credentials was recorded and the NIK's old
// binding revoked: nothing of it happened (old binding and its
// credentials valid, no new binding or key, the nonce unspent), and the
// session then issues with the switch done completely.
func TestCrashDuringCredentialRequest(t *testing.T) {
	forEachStore(t, testCrashDuringCredentialRequest)
}

func testCrashDuringCredentialRequest(t *testing.T, kind backend) {
	he := newHandlerEnvOn(t, kind, HandlerConfig{})
	first := he.activate(newDevice(t))
	s := he.redeem(nil)
	total, revoked := countCredentials(t, he.env)
	var nonces, bkeys int
	he.queryRow(`SELECT COUNT(*) FROM nonces`).Scan(&nonces)
	he.queryRow(`SELECT COUNT(*) FROM binding_keys`).Scan(&bkeys)
	he.st.Close()

	runCrashChild(t, he.env, "credential", s.token, "")

	he.reopenAfterCrash()
	checkInvariants(t, he.env)
	if t2, r2 := countCredentials(t, he.env); t2 != total || r2 != revoked {
		t.Fatalf("after the crash %d credentials (%d revoked), before %d (%d)", t2, r2, total, revoked)
	}
	b, err := he.iss.Binding(he.ctx, first.Binding.ID)
	if err != nil || b.State != BindingActive {
		t.Fatalf("old binding %+v %v: half-done activation", b, err)
	}
	var bindings, bkeys2, nonces2 int
	var sessionBinding string
	he.queryRow(`SELECT COUNT(*) FROM bindings`).Scan(&bindings)
	he.queryRow(`SELECT COUNT(*) FROM binding_keys`).Scan(&bkeys2)
	he.queryRow(`SELECT COUNT(*) FROM nonces`).Scan(&nonces2)
	he.queryRow(`SELECT binding_id FROM sessions WHERE token_hash = ?`, accessTokenHash(s.token)).Scan(&sessionBinding)
	if bindings != 1 || bkeys2 != bkeys || sessionBinding != "" || nonces2 != nonces+1 {
		t.Fatalf("%d bindings, %d binding keys (before %d), session binding %q, %d nonces (before %d + the child's)", bindings, bkeys2, bkeys, sessionBinding, nonces2, nonces)
	}
	devices := []crypto.Signer{newDevice(t), newDevice(t), newDevice(t)}
	he.issue(s, "ktpel_dc_sd_jwt", devices...)
	if t3, r3 := countCredentials(t, he.env); t3 != total+3 || r3 != revoked+len(first.Credentials) {
		t.Fatalf("%d credentials (%d revoked), want %d (%d)", t3, r3, total+3, revoked+len(first.Credentials))
	}
	checkInvariants(t, he.env)
}

// The process dies in a token request of the refresh token grant, after
// the refresh token was spent: nothing of it happened (the token unspent,
// no top-up session, no new refresh token), and the same refresh token
// tops up afterwards, once.
func TestCrashDuringRefresh(t *testing.T) { forEachStore(t, testCrashDuringRefresh) }

func testCrashDuringRefresh(t *testing.T, kind backend) {
	he := newHandlerEnvOn(t, kind, HandlerConfig{})
	s := he.redeem(nil)
	he.issue(s, "ktpel_dc_sd_jwt", newDevice(t))
	sessions, tokens := he.count(`SELECT COUNT(*) FROM sessions`), he.count(`SELECT COUNT(*) FROM refresh_tokens`)
	he.st.Close()

	runCrashChild(t, he.env, "refresh", s.refresh, "")

	he.reopenAfterCrash()
	if n, m := he.count(`SELECT COUNT(*) FROM sessions`), he.count(`SELECT COUNT(*) FROM refresh_tokens`); n != sessions || m != tokens {
		t.Fatalf("after the crash %d sessions, %d refresh tokens; before %d, %d", n, m, sessions, tokens)
	}
	if n := he.count(`SELECT COUNT(*) FROM refresh_tokens WHERE used_at != 0 OR revoked_at != 0`); n != 0 {
		t.Fatal("refresh token spent by a transaction that died")
	}
	top := he.topUp(s)
	he.issue(top, "ktpel_dc_sd_jwt", newDevice(t))
	wantError(t, he.refreshRequest(s.refresh, nil), http.StatusBadRequest, oid4vci.CodeInvalidGrant)
	checkInvariants(t, he.env)
}

// reopenAfterCrash opens the store and the handler again.
func (he *hEnv) reopenAfterCrash() {
	he.t.Helper()
	he.env.open()
	h, err := NewHandler(he.iss, HandlerConfig{})
	if err != nil {
		he.t.Fatal(err)
	}
	he.h = h
}
