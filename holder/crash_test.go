package holder

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/issuer"
	"github.com/ikdkit/ikdkit/keys"
)

// The crash tests re-run this test binary as a child process selected by
// crashScenarioEnv. The child opens the parent's wallet, runs an operation
// and SIGKILLs itself at a hook point; the parent then reopens the wallet
// with its PIN and checks what survived.
const (
	crashScenarioEnv = "IKDKIT_HOLDER_CRASH_SCENARIO"
	crashDirEnv      = "IKDKIT_HOLDER_CRASH_DIR"
)

const newPIN = "864209"

func TestMain(m *testing.M) {
	if sc := os.Getenv(crashScenarioEnv); sc != "" {
		err := crashChild(sc, os.Getenv(crashDirEnv))
		fmt.Fprintf(os.Stderr, "crash child %s finished without crashing: %v\n", sc, err)
		os.Exit(3)
	}
	os.Exit(m.Run())
}

// crashChild runs scenario against the wallet in dir/wallet. The files
// dir/issuer.jwk and dir/cred-N.sdjwt hold what the parent prepared.
func crashChild(scenario, dir string) error {
	ctx := context.Background()
	jwk, err := os.ReadFile(filepath.Join(dir, "issuer.jwk"))
	if err != nil {
		return err
	}
	pub, err := keys.ParsePublicJWK(jwk)
	if err != nil {
		return err
	}
	point, killAt := "", 1
	switch scenario {
	case "import":
		point, killAt = "import:before-commit", 4 // three imports commit, the fourth dies
	case "changepin":
		point = "changepin:before-commit"
	case "changepin-committed":
		point = "changepin:committed"
	case "activation":
		point = "import:stored-first" // inside the transaction, after the first of six credentials
	case "activation-committed":
		point = "import:committed"
	case "unlock-counted":
		point = "unlock:counted" // a wrong PIN, after counting, before checking
	case "unlock-checked":
		point = "unlock:checked" // the right PIN, before the count is reset
	case "present":
		point = "present:before-commit" // the copy marked spent, the activity entry written
	case "present-committed":
		point = "present:committed"
	case "migrate":
		point = "open:migrate" // inside the schema upgrade's transaction
	default:
		return errors.New("unknown scenario")
	}
	hits := 0
	opts := Options{KDF: testKDF, Trust: StaticTrust{Issuers: map[string]crypto.PublicKey{testIssuer: pub}},
		Now: (&clock{t: t0}).Now,
		hook: func(p string) {
			if p == point {
				if hits++; hits == killAt {
					syscall.Kill(os.Getpid(), syscall.SIGKILL)
				}
			}
		}}
	if _, err := os.Stat(filepath.Join(dir, platformFile)); err == nil {
		p, err := persistedPlatform(filepath.Join(dir, platformFile))
		if err != nil {
			return err
		}
		opts.Platform = p
	}
	w, err := Open(ctx, filepath.Join(dir, "wallet"), opts)
	if err != nil {
		return err
	}
	switch scenario {
	case "unlock-counted":
		return w.Unlock(ctx, "999999")
	case "unlock-checked":
		return w.Unlock(ctx, testPIN)
	}
	if err := w.Unlock(ctx, testPIN); err != nil {
		return err
	}
	switch scenario {
	case "present", "present-committed":
		_, err := w.Present(ctx, &Request{Verifier: hospital, Items: []RequestItem{{Type: credential.VCTKTPEL, Claims: []string{"name"}}}},
			PresentOptions{Consent: yes(nil)})
		return err
	case "activation", "activation-committed":
		clk := &clock{t: t0}
		is, _, err := buildIssuer(dir, clk, mustKTPEL(), mustBPJS())
		if err != nil {
			return err
		}
		w.opts.Trust = is.trust
		r, err := is.iss.Register(ctx, issuer.RegisterRequest{NIK: testNIK, Email: "rina@example.id", Phone: "081234567890"})
		if err != nil {
			return err
		}
		g, err := is.iss.Confirm(ctx, "operator:1", r.ID)
		if err != nil {
			return err
		}
		_, err = is.receive(ctx, w, g, "")
		return err
	case "import":
		for i := 0; ; i++ {
			b, err := os.ReadFile(filepath.Join(dir, "cred-"+strconv.Itoa(i)+".sdjwt"))
			if err != nil {
				return err
			}
			if _, err := w.Import(ctx, credential.FormatSDJWT, b); err != nil {
				return err
			}
		}
	default:
		return w.ChangePIN(ctx, testPIN, newPIN)
	}
}

func runCrashChild(t *testing.T, scenario, dir string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashScenarioEnv+"="+scenario, crashDirEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child did not fail: %v\n%s", err, out)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child was not killed at the hook point: %v\n%s", err, out)
	}
}

// platformFile, in the crash fixture's directory, holds the state of a
// persisted fakePlatform; the child uses it as Options.Platform.
const platformFile = "platform.json"

// crashFixture is an activated wallet in dir/wallet, closed, with five
// further credentials for it prepared in dir. With platform, the wallet is
// made with a fakePlatform persisted in dir/platform.json, which the parent
// must reload (reloadPlatform) after the child ran.
func crashFixture(t *testing.T, platform bool) (*fixture, string, int) {
	var p *fakePlatform
	if platform {
		p = newFakePlatform(t)
	}
	f := activated(t, func(o *Options) {
		if p != nil {
			o.Platform = p
		}
	})
	dir := filepath.Dir(f.dir)
	if p != nil {
		p.mu.Lock()
		p.path = filepath.Join(dir, platformFile)
		err := p.saveLocked()
		p.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
	}
	dev, err := f.w.CreateDeviceKey(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := os.WriteFile(filepath.Join(dir, "cred-"+strconv.Itoa(i)+".sdjwt"), issueSD(t, f.is.key, testIssuer, mustBPJS(), dev.Public(), t0), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	jwk, err := keys.MarshalPublicJWK(f.is.key.Public())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "issuer.jwk"), jwk, 0o600); err != nil {
		t.Fatal(err)
	}
	n := len(f.creds)
	f.w.Close()
	return f, dir, n
}

// reloadPlatform makes f use the platform state the child left behind.
func reloadPlatform(t *testing.T, f *fixture, dir string) {
	t.Helper()
	if f.opts.Platform == nil {
		return
	}
	p, err := persistedPlatform(filepath.Join(dir, platformFile))
	if err != nil {
		t.Fatal(err)
	}
	f.opts.Platform = p
}

func TestCrashWhileStoringCredential(t *testing.T) {
	f, dir, n := crashFixture(t, false)
	runCrashChild(t, "import", dir)
	w, err := Open(f.ctx, f.dir, f.opts)
	if err != nil {
		t.Fatal(err)
	}
	f.w = w
	if err := w.Unlock(f.ctx, testPIN); err != nil {
		t.Fatalf("wallet does not open with its PIN after the crash: %v", err)
	}
	list, err := w.Credentials(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Every credential stored before, the three committed imports, not the
	// one being stored when the process died.
	if len(list) != n+3 {
		t.Fatalf("%d credentials after the crash, want %d", len(list), n+3)
	}
	acts, err := w.Activity(f.ctx)
	if err != nil || len(acts) != 1+3 {
		t.Fatalf("activity after crash: %d entries, %v", len(acts), err)
	}
	for _, c := range list {
		if _, err := c.Document(); err != nil && c.Name != "QR KTP-el" {
			t.Fatalf("%s unreadable: %v", c.Name, err)
		}
	}
}

func TestCrashWhileChangingPIN(t *testing.T) {
	tests := []struct {
		name, scenario string
		platform       bool
		works, refuse  string
	}{
		{"changepin", "changepin", false, testPIN, newPIN},
		{"changepin-committed", "changepin-committed", false, newPIN, testPIN},
		{"changepin with a platform key", "changepin", true, testPIN, newPIN},
		{"changepin-committed with a platform key", "changepin-committed", true, newPIN, testPIN},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, dir, n := crashFixture(t, tc.platform)
			runCrashChild(t, tc.scenario, dir)
			reloadPlatform(t, f, dir)
			w, err := Open(f.ctx, f.dir, f.opts)
			if err != nil {
				t.Fatal(err)
			}
			f.w = w
			if err := w.Unlock(f.ctx, tc.refuse); !errors.Is(err, ErrWrongPIN) {
				t.Fatalf("PIN %s: %v", tc.refuse, err)
			}
			if err := w.Unlock(f.ctx, tc.works); err != nil {
				t.Fatalf("PIN %s: %v", tc.works, err)
			}
			if list, err := w.Credentials(f.ctx); err != nil || len(list) != n {
				t.Fatalf("%d credentials, %v", len(list), err)
			}
		})
	}
}

func TestCrashDuringActivation(t *testing.T) {
	tests := []struct {
		scenario string
		added    int // credentials the activation stored
	}{
		{"activation", 0},
		{"activation-committed", 6},
	}
	for _, tc := range tests {
		t.Run(tc.scenario, func(t *testing.T) {
			f, dir, n := crashFixture(t, false)
			runCrashChild(t, tc.scenario, dir)
			w, err := Open(f.ctx, f.dir, f.opts)
			if err != nil {
				t.Fatal(err)
			}
			f.w = w
			if err := w.Unlock(f.ctx, testPIN); err != nil {
				t.Fatal(err)
			}
			list, err := w.Credentials(f.ctx)
			if err != nil || len(list) != n+tc.added {
				t.Fatalf("%d credentials, want %d: %v", len(list), n+tc.added, err)
			}
			acts, err := w.Activity(f.ctx)
			if err != nil || len(acts) != 1+tc.added/6 {
				t.Fatalf("%d activity entries: %v", len(acts), err)
			}
		})
	}
}

// TestCrashDuringUnlock kills the process during a PIN attempt, with the
// count in the file and in a platform PINCounter: the attempt stays
// counted (no free guess), and the wallet still opens with its PIN and
// holds every credential.
func TestCrashDuringUnlock(t *testing.T) {
	tests := []struct {
		name, scenario string
		platform       bool
	}{
		{"wrong PIN after counting", "unlock-counted", false},
		{"right PIN before the reset", "unlock-checked", false},
		{"platform counter: wrong PIN after counting", "unlock-counted", true},
		{"platform counter: right PIN before the reset", "unlock-checked", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, dir, n := crashFixture(t, tc.platform)
			runCrashChild(t, tc.scenario, dir)
			reloadPlatform(t, f, dir)
			w, err := Open(f.ctx, f.dir, f.opts)
			if err != nil {
				t.Fatal(err)
			}
			f.w = w
			if failures, _, err := w.PINStatus(f.ctx); err != nil || failures != 1 {
				t.Fatalf("after the crash: %d failures counted, %v; want 1", failures, err)
			}
			if err := w.Unlock(f.ctx, testPIN); err != nil {
				t.Fatalf("wallet does not open with its PIN after the crash: %v", err)
			}
			if failures, _, err := w.PINStatus(f.ctx); err != nil || failures != 0 {
				t.Fatalf("after the right PIN: %d failures, %v", failures, err)
			}
			if list, err := w.Credentials(f.ctx); err != nil || len(list) != n {
				t.Fatalf("%d credentials, want %d: %v", len(list), n, err)
			}
		})
	}
}

// TestCrashWhilePresenting kills the process while a presentation's copy
// is being spent: before the commit, the copy is unspent and there is no
// activity entry (and the QR was never returned); after it, both.
func TestCrashWhilePresenting(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		spent    int
	}{
		{"present", 0},
		{"present-committed", 1},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			f, dir, _ := crashFixture(t, false)
			runCrashChild(t, tc.scenario, dir)
			w, err := Open(f.ctx, f.dir, f.opts)
			if err != nil {
				t.Fatal(err)
			}
			f.w = w
			if err := w.Unlock(f.ctx, testPIN); err != nil {
				t.Fatal(err)
			}
			c := f.credentialOf(credential.FormatSDJWT, credential.VCTKTPEL)
			spent := 0
			for _, cp := range c.Copies {
				if cp.Spent {
					spent++
				}
			}
			acts, err := w.Activity(f.ctx)
			if err != nil {
				t.Fatal(err)
			}
			presented := 0
			for _, a := range acts {
				if a.Kind == ActivityPresentation {
					presented++
					if len(a.Copies) != 1 || a.Copies[0].Credential != c.ID || !c.Copies[a.Copies[0].Copy-1].Spent {
						t.Errorf("activity %+v does not name the spent copy", a.Copies)
					}
				}
			}
			if spent != tc.spent || presented != tc.spent || c.CopiesLeft() != len(c.Copies)-tc.spent {
				t.Fatalf("%d copies spent, %d presentations recorded, %d left; want %d", spent, presented, c.CopiesLeft(), tc.spent)
			}
		})
	}
}
