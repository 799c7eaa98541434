package issuer

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
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
	s, err := OpenSQLite(ctx, db)
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
				if hits++; hits == 10 || scenario == "activation" {
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
	case "activation":
		device, _ := keys.Generate(keys.ES256, nil)
		n, _, nerr := iss.Nonce(ctx)
		if nerr != nil {
			return nerr
		}
		p, _ := oid4vci.SignProof(nil, device, testIssuer, n, t0)
		_, err = iss.Activate(ctx, ActivationRequest{RegistrationID: arg, Code: arg2, Proof: p})
	}
	return err
}

func scenarioPoint(scenario string) string {
	if scenario == "batch" {
		return "issue:after-credential"
	}
	return "activate:after-credential"
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
	if err := e.store.db.QueryRow(`SELECT COUNT(*) FROM (SELECT list, idx FROM credentials GROUP BY list, idx HAVING COUNT(*) > 1)`).Scan(&dup); err != nil || dup != 0 {
		t.Fatalf("status index used twice: %d (%v)", dup, err)
	}
	if err := e.store.db.QueryRow(`SELECT COUNT(*) FROM bindings WHERE nik = ? AND state = 'active'`, testNIK).Scan(&active); err != nil || active > 1 {
		t.Fatalf("%d active bindings (%v)", active, err)
	}
	var orphan int
	if err := e.store.db.QueryRow(`SELECT COUNT(*) FROM credentials c JOIN bindings b ON c.binding_id = b.id WHERE b.state = 'revoked' AND c.revoked_at = 0`).Scan(&orphan); err != nil || orphan != 0 {
		t.Fatalf("%d unrevoked credentials of revoked bindings (%v)", orphan, err)
	}
	var ic string
	if err := e.store.db.QueryRow(`PRAGMA integrity_check`).Scan(&ic); err != nil || ic != "ok" {
		t.Fatalf("integrity_check: %s %v", ic, err)
	}
}

func countCredentials(t *testing.T, e *env) (total, revoked int) {
	t.Helper()
	if err := e.store.db.QueryRow(`SELECT COUNT(*), COALESCE(SUM(revoked_at != 0), 0) FROM credentials`).Scan(&total, &revoked); err != nil {
		t.Fatal(err)
	}
	return total, revoked
}

func TestCrashDuringBatchIssuance(t *testing.T) {
	e := newEnv(t)
	a := e.activate(newDevice(t))
	extra, err := e.iss.IssueBatch(e.ctx, "operator:1", []IssueRequest{{BindingID: a.Binding.ID, Document: mustKTPEL()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.iss.Revoke(e.ctx, "operator:1", extra[0].ID); err != nil {
		t.Fatal(err)
	}
	total, revoked := countCredentials(t, e)
	e.store.Close()

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

func TestCrashDuringActivation(t *testing.T) {
	e := newEnv(t)
	first := e.activate(newDevice(t))
	g := e.registerConfirm()
	total, revoked := countCredentials(t, e)
	e.store.Close()

	runCrashChild(t, e, "activation", g.RegistrationID, g.Code)

	e.open()
	checkInvariants(t, e)
	// Nothing of the activation happened: old binding active, its
	// credentials valid, the code unused, no new binding.
	if t2, r2 := countCredentials(t, e); t2 != total || r2 != revoked {
		t.Fatalf("after crash %d credentials (%d revoked), before %d (%d)", t2, r2, total, revoked)
	}
	b, err := e.iss.Binding(e.ctx, first.Binding.ID)
	if err != nil || b.State != BindingActive {
		t.Fatalf("old binding %+v %v: half-done activation", b, err)
	}
	var used, attempts int64
	if err := e.store.db.QueryRow(`SELECT used_at, attempts FROM activation_codes WHERE registration_id = ?`, g.RegistrationID).Scan(&used, &attempts); err != nil || used != 0 || attempts != 0 {
		t.Fatalf("code used_at %d attempts %d (%v)", used, attempts, err)
	}
	var bindings int
	e.store.db.QueryRow(`SELECT COUNT(*) FROM bindings`).Scan(&bindings)
	if bindings != 1 {
		t.Fatalf("%d bindings", bindings)
	}
	// The same code still works, and the switch happens completely.
	second, err := e.iss.Activate(e.ctx, ActivationRequest{RegistrationID: g.RegistrationID, Code: g.Code, Proof: e.proof(newDevice(t))})
	if err != nil {
		t.Fatal(err)
	}
	if second.Replaced == nil || second.Replaced.ID != first.Binding.ID || second.Revoked != len(first.Credentials) {
		t.Fatalf("second activation %+v", second)
	}
	checkInvariants(t, e)
}
