package holder

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// attackFile runs q against the closed wallet's file through its own
// connection, as an attacker with write access to the file would.
func attackFile(t *testing.T, dir, q string, args ...any) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+dbPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatal(err)
	}
}

// copyWallet copies the closed wallet's files from dir to dst (a rollback
// point an attacker keeps); files that do not exist are skipped in both
// directions, so restoring also removes a -wal written since.
func copyWallet(t *testing.T, dir, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		name := FileName + suffix
		os.Remove(filepath.Join(dst, name))
		src, err := os.Open(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		out, err := os.OpenFile(filepath.Join(dst, name), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err == nil {
			_, err = io.Copy(out, src)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
		}
		src.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func newFakePlatform(t testing.TB) *fakePlatform {
	p := &fakePlatform{key: make([]byte, 32)}
	if _, err := rand.Read(p.key); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFinding8PINCounterResetDoesNotGrantTries is finding 8 of issue 17:
// the PIN-failure counter was a plain SQLite column, so an attacker with
// write access to the wallet file (a stolen phone, the app's files) reset
// it between tries and got 45 wrong PINs without a wipe. With a platform
// keystore configured, resetting, deleting or rolling back the counter in
// the file must not buy a single extra PIN check, and restoring a copy of
// the file taken before the wipe must not bring the wallet back.
func TestFinding8PINCounterResetDoesNotGrantTries(t *testing.T) {
	const maxAttempts = 4
	tests := []struct {
		name string
		// attack tampers with the closed wallet's files after an attempt.
		attack func(t *testing.T, dir, snapshot string)
		// restore: the attacker also puts the copy back after a wipe.
		restore bool
	}{
		{"counter reset to zero", func(t *testing.T, dir, _ string) {
			attackFile(t, dir, "UPDATE meta SET v = CAST('0' AS BLOB) WHERE k IN (?, ?)", metaFailures, metaLastFailure)
		}, false},
		{"counter rows deleted", func(t *testing.T, dir, _ string) {
			attackFile(t, dir, "DELETE FROM meta WHERE k IN (?, ?)", metaFailures, metaLastFailure)
		}, false},
		{"whole file rolled back to a copy", func(t *testing.T, dir, snapshot string) {
			copyWallet(t, snapshot, dir)
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(o *Options) {
				o.Platform = newFakePlatform(t)
				o.MaxPINAttempts = maxAttempts
			})
			snapshot := filepath.Join(t.TempDir(), "copy")
			f.w.Close()
			copyWallet(t, f.dir, snapshot)

			wrong := 0 // attempts answered with ErrWrongPIN: PIN checks that left the wallet alive
			var last error
			for range 3 * maxAttempts {
				f.clk.Advance(2 * time.Hour) // past any PINDelay
				if tc.restore && !Exists(f.dir) {
					copyWallet(t, snapshot, f.dir)
				}
				w, err := Open(f.ctx, f.dir, f.opts)
				if err != nil {
					last = err
					break
				}
				f.w = w
				last = w.Unlock(f.ctx, "999999")
				w.Close()
				if errors.Is(last, ErrWrongPIN) {
					wrong++
				} else if !tc.restore {
					break
				}
				if Exists(f.dir) {
					tc.attack(t, f.dir, snapshot)
				}
			}
			if wrong > maxAttempts-1 {
				t.Errorf("attacker got %d wrong PINs checked without a wipe; MaxPINAttempts is %d", wrong, maxAttempts)
			}
			if !errors.Is(last, ErrWiped) {
				t.Errorf("after %d wrong PINs: %v, want ErrWiped", wrong, last)
			}

			// The wipe holds even against a copy of the file taken before it,
			// and even with the right PIN.
			copyWallet(t, snapshot, f.dir)
			w, err := Open(f.ctx, f.dir, f.opts)
			if err != nil {
				t.Fatal(err)
			}
			f.w = w
			if err := w.Unlock(f.ctx, testPIN); !errors.Is(err, ErrWiped) {
				t.Fatalf("right PIN on a copy restored after the wipe: %v, want ErrWiped", err)
			}
		})
	}
}

// failingCounter is a platform whose PIN counter is unavailable.
type failingCounter struct{ *fakePlatform }

var errKeystore = errors.New("keystore unavailable")

func (failingCounter) AddPINFailure(context.Context, []byte, time.Time) (int, error) {
	return 0, errKeystore
}

// wrapOnly is a platform key without a PIN counter.
type wrapOnly struct{ p *fakePlatform }

func (w wrapOnly) Wrap(ctx context.Context, b []byte) ([]byte, error)   { return w.p.Wrap(ctx, b) }
func (w wrapOnly) Unwrap(ctx context.Context, b []byte) ([]byte, error) { return w.p.Unwrap(ctx, b) }

func TestPlatformPINCounter(t *testing.T) {
	resetFile := func(t *testing.T, f *fixture) {
		t.Helper()
		f.w.Close()
		attackFile(t, f.dir, "UPDATE meta SET v = CAST('0' AS BLOB) WHERE k IN (?, ?)", metaFailures, metaLastFailure)
		f.reopen()
	}
	wrongPINs := func(t *testing.T, f *fixture, n int) {
		t.Helper()
		for i := range n {
			if err := f.w.Unlock(f.ctx, "999999"); !errors.Is(err, ErrWrongPIN) {
				t.Fatalf("wrong PIN %d: %v", i+1, err)
			}
		}
	}
	tests := []struct {
		name     string
		platform func(p *fakePlatform) PlatformKey
		run      func(t *testing.T, f *fixture, p *fakePlatform) error
		want     error
	}{
		{"delay kept by the platform despite a reset file", nil, func(t *testing.T, f *fixture, _ *fakePlatform) error {
			wrongPINs(t, f, 3)
			resetFile(t, f)
			err := f.w.Unlock(f.ctx, testPIN)
			var he *Error
			if errors.As(err, &he) && !he.RetryAfter.Equal(t0.Add(PINDelay(3))) {
				t.Errorf("RetryAfter %v, want t0+%v", he.RetryAfter, PINDelay(3))
			}
			return err
		}, ErrPINDelay},
		{"PINStatus reads the platform", nil, func(t *testing.T, f *fixture, _ *fakePlatform) error {
			wrongPINs(t, f, 2)
			resetFile(t, f)
			if n, _, err := f.w.PINStatus(f.ctx); err != nil || n != 2 {
				t.Errorf("PINStatus %d, %v; want 2", n, err)
			}
			return nil
		}, nil},
		{"right PIN resets the platform count", nil, func(t *testing.T, f *fixture, p *fakePlatform) error {
			wrongPINs(t, f, 2)
			if err := f.w.Unlock(f.ctx, testPIN); err != nil {
				return err
			}
			if n, _, _ := p.PINFailures(f.ctx, f.w.id); n != 0 {
				t.Errorf("platform count %d after the right PIN", n)
			}
			return nil
		}, nil},
		{"wrong old PIN in ChangePIN counted by the platform", nil, func(t *testing.T, f *fixture, p *fakePlatform) error {
			err := f.w.ChangePIN(f.ctx, "999999", newPIN)
			if n, _, _ := p.PINFailures(f.ctx, f.w.id); n != 1 {
				t.Errorf("platform count %d, want 1", n)
			}
			return err
		}, ErrWrongPIN},
		{"limit already reached: no PIN checked, wallet wiped", nil, func(t *testing.T, f *fixture, p *fakePlatform) error {
			// For example the process died during the last allowed attempt.
			for range DefaultMaxPINAttempts {
				p.AddPINFailure(f.ctx, f.w.id, t0)
			}
			err := f.w.Unlock(f.ctx, testPIN)
			if Exists(f.dir) {
				t.Error("wallet file still there")
			}
			return err
		}, ErrWiped},
		{"counter unavailable: no PIN checked", func(p *fakePlatform) PlatformKey { return failingCounter{p} },
			func(t *testing.T, f *fixture, _ *fakePlatform) error {
				err := f.w.Unlock(f.ctx, testPIN)
				if !errors.Is(err, errKeystore) {
					t.Errorf("cause not reachable: %v", err)
				}
				if f.w.Unlocked() {
					t.Error("unlocked without counting the attempt")
				}
				return err
			}, ErrStore},
		// Documented limit (docs/security.md, PIN guessing): without a
		// PINCounter the count is in the file, and a reset file is believed.
		{"platform without PINCounter: the file counts", func(p *fakePlatform) PlatformKey { return wrapOnly{p} },
			func(t *testing.T, f *fixture, _ *fakePlatform) error {
				wrongPINs(t, f, 2)
				resetFile(t, f)
				if n, _, err := f.w.PINStatus(f.ctx); err != nil || n != 0 {
					t.Errorf("PINStatus %d, %v; want the file's 0", n, err)
				}
				return nil
			}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newFakePlatform(t)
			var key PlatformKey = p
			if tc.platform != nil {
				key = tc.platform(p)
			}
			f := newFixture(t, func(o *Options) { o.Platform = key })
			f.w.Lock()
			err := tc.run(t, f, p)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err != nil {
				checkTyped(t, err)
			}
		})
	}
}
