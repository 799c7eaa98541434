package holder

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
)

func TestActivationImportsEveryCredential(t *testing.T) {
	f := activated(t)
	// KTP-el and BPJS in both formats, plus the KTP-el QR profile in both.
	if len(f.creds) != 6 {
		t.Fatalf("got %d credentials", len(f.creds))
	}
	f.reopen()
	if err := f.w.Unlock(f.ctx, testPIN); err != nil {
		t.Fatal(err)
	}
	list, err := f.w.Credentials(f.ctx)
	if err != nil || len(list) != 6 {
		t.Fatalf("after reopen: %d credentials, %v", len(list), err)
	}
	names := map[string]int{}
	for _, c := range list {
		names[c.Name+"/"+string(c.Format)]++
		if c.ExpiresAt.IsZero() || c.Issuer == "" {
			t.Errorf("%s: missing expiry or issuer", c.Name)
		}
	}
	for _, want := range []string{"KTP-el/dc+sd-jwt", "KTP-el/mso_mdoc", "BPJS Kesehatan/dc+sd-jwt", "BPJS Kesehatan/mso_mdoc", "QR KTP-el/dc+sd-jwt", "QR KTP-el/mso_mdoc"} {
		if names[want] != 1 {
			t.Errorf("%s: %d", want, names[want])
		}
	}
	acts, err := f.w.Activity(f.ctx)
	if err != nil || len(acts) != 1 || acts[0].Kind != ActivityActivation || acts[0].Counterparty != testIssuer {
		t.Fatalf("activity: %+v %v", acts, err)
	}
}

func TestShowTypedClaims(t *testing.T) {
	f := activated(t)
	want := mustKTPEL()
	for _, c := range f.creds {
		if c.Name != "KTP-el" {
			continue
		}
		t.Run(string(c.Format), func(t *testing.T) {
			got, err := f.w.Credential(f.ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			d, err := got.Document()
			if err != nil {
				t.Fatal(err)
			}
			k, ok := d.(*credential.KTPEL)
			if !ok || !want.Equal(k) {
				t.Fatalf("typed KTP-el differs")
			}
			if c.Format == credential.FormatSDJWT && got.Claims()["name"] != "RINA KARTIKA SARI" {
				t.Fatalf("claims: %v", got.Claims()["name"])
			}
			if c.Format == credential.FormatMdoc && got.Elements()[c.DocType]["name"] != "RINA KARTIKA SARI" {
				t.Fatalf("elements: %v", got.Elements())
			}
		})
	}
}

func TestPINLockoutSurvivesReopen(t *testing.T) {
	f := newFixture(t)
	f.w.Lock()
	for i := 1; i <= 3; i++ {
		err := f.w.Unlock(f.ctx, "000000")
		var he *Error
		if !errors.Is(err, ErrWrongPIN) || !errors.As(err, &he) || he.AttemptsLeft != DefaultMaxPINAttempts-i {
			t.Fatalf("attempt %d: %v", i, err)
		}
		f.reopen() // restarting the app must not reset the counter
	}
	// The fourth attempt, even with the right PIN, must wait.
	err := f.w.Unlock(f.ctx, testPIN)
	var he *Error
	if !errors.Is(err, ErrPINDelay) || !errors.As(err, &he) || !he.RetryAfter.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("want delay until t0+30s, got %v", err)
	}
	n, until, err := f.w.PINStatus(f.ctx)
	if err != nil || n != 3 || !until.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("status %d %v %v", n, until, err)
	}
	f.clk.Advance(30 * time.Second)
	if err := f.w.Unlock(f.ctx, testPIN); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := f.w.PINStatus(f.ctx); n != 0 {
		t.Fatalf("counter not reset: %d", n)
	}
}

func TestWipeAfterMaxAttempts(t *testing.T) {
	f := activated(t, func(o *Options) { o.MaxPINAttempts = 4 })
	f.w.Lock()
	for i := 1; i <= 4; i++ {
		f.clk.Advance(2 * time.Hour)
		err := f.w.Unlock(f.ctx, "999999")
		if i < 4 && !errors.Is(err, ErrWrongPIN) {
			t.Fatalf("attempt %d: %v", i, err)
		}
		if i == 4 && !errors.Is(err, ErrWiped) {
			t.Fatalf("attempt 4: %v", err)
		}
		if i < 4 {
			f.reopen()
		}
	}
	if Exists(f.dir) {
		t.Fatal("wallet file still there after wipe")
	}
	if _, err := Open(f.ctx, f.dir, f.opts); !errors.Is(err, ErrNoWallet) {
		t.Fatalf("open after wipe: %v", err)
	}
	if err := f.w.Unlock(f.ctx, testPIN); !errors.Is(err, ErrNoWallet) {
		t.Fatalf("unlock of wiped wallet: %v", err)
	}
}

func TestChangePIN(t *testing.T) {
	f := activated(t)
	if err := f.w.ChangePIN(f.ctx, "111111", "246801"); !errors.Is(err, ErrWrongPIN) {
		t.Fatalf("wrong old PIN: %v", err)
	}
	if err := f.w.ChangePIN(f.ctx, testPIN, "12a456"); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("bad new PIN: %v", err)
	}
	var before []byte
	f.w.db.QueryRow("SELECT data FROM records WHERE kind = ? ORDER BY seq LIMIT 1", kindCredential).Scan(&before)
	if err := f.w.ChangePIN(f.ctx, testPIN, "246801"); err != nil {
		t.Fatal(err)
	}
	var after []byte
	f.w.db.QueryRow("SELECT data FROM records WHERE kind = ? ORDER BY seq LIMIT 1", kindCredential).Scan(&after)
	if !bytes.Equal(before, after) {
		t.Fatal("ChangePIN re-encrypted records; it must only re-wrap the data key")
	}
	f.reopen()
	if err := f.w.Unlock(f.ctx, testPIN); !errors.Is(err, ErrWrongPIN) {
		t.Fatalf("old PIN still works: %v", err)
	}
	if err := f.w.Unlock(f.ctx, "246801"); err != nil {
		t.Fatal(err)
	}
	if list, err := f.w.Credentials(f.ctx); err != nil || len(list) != 6 {
		t.Fatalf("%d %v", len(list), err)
	}
}

func TestDeleteAccount(t *testing.T) {
	f := activated(t)
	if err := f.w.Delete(f.ctx); err != nil {
		t.Fatal(err)
	}
	if Exists(f.dir) {
		t.Fatal("wallet still exists")
	}
	entries, _ := os.ReadDir(f.dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), FileName) {
			t.Fatalf("left behind: %s", e.Name())
		}
	}
	if _, err := Open(f.ctx, f.dir, f.opts); !errors.Is(err, ErrNoWallet) {
		t.Fatal(err)
	}
	// A new wallet can be created in its place.
	w, err := Create(f.ctx, f.dir, testPIN, f.opts)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
}

func TestTamperedCiphertextDetected(t *testing.T) {
	cases := map[string]string{
		// Byte 21 becomes 0x00, or 0x01 if it was 0x00 (the ciphertext is
		// random: a fixed 0x00 left it unchanged one time in 256).
		"flip a byte":      "UPDATE records SET data = CAST(substr(data, 1, 20) || CASE WHEN substr(data, 21, 1) = X'00' THEN X'01' ELSE X'00' END || substr(data, 22) AS BLOB) WHERE seq = (SELECT MIN(seq) FROM records WHERE kind = 'credential')",
		"swap two records": "UPDATE records SET data = (SELECT data FROM records r2 WHERE r2.kind = 'credential' AND r2.id <> records.id LIMIT 1) WHERE seq = (SELECT MIN(seq) FROM records WHERE kind = 'credential')",
		"truncate":         "UPDATE records SET data = substr(data, 1, 10) WHERE kind = 'activity'",
	}
	for name, q := range cases {
		t.Run(name, func(t *testing.T) {
			f := activated(t)
			if _, err := f.w.db.Exec(q); err != nil {
				t.Fatal(err)
			}
			_, err1 := f.w.Credentials(f.ctx)
			_, err2 := f.w.Activity(f.ctx)
			if !errors.Is(err1, ErrCorrupt) && !errors.Is(err2, ErrCorrupt) {
				t.Fatalf("tampering not detected: %v / %v", err1, err2)
			}
		})
	}
	t.Run("wrapped key", func(t *testing.T) {
		f := newFixture(t)
		// Byte 31 becomes 0x55, or 0x56 if it was 0x55 (the wrapped key
		// is random: a fixed 0x55 left it unchanged one time in 256).
		f.w.db.Exec("UPDATE meta SET v = CAST(substr(v, 1, 30) || CASE WHEN substr(v, 31, 1) = X'55' THEN X'56' ELSE X'55' END || substr(v, 32) AS BLOB) WHERE k = ?", metaWrapped)
		f.reopen()
		if err := f.w.Unlock(f.ctx, testPIN); !errors.Is(err, ErrWrongPIN) {
			t.Fatalf("tampered wrapped key: %v", err)
		}
	})
	t.Run("kdf parameters", func(t *testing.T) {
		f := newFixture(t)
		f.w.db.Exec("UPDATE meta SET v = X'00' WHERE k = ?", metaKDF)
		f.reopen()
		if err := f.w.Unlock(f.ctx, testPIN); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("tampered KDF record: %v", err)
		}
	})
}

func TestCreateAndOpenErrors(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		err  error
		run  func() error
	}{
		{"create over existing", ErrExists, func() error { _, err := Create(f.ctx, f.dir, testPIN, f.opts); return err }},
		{"open missing", ErrNoWallet, func() error { _, err := Open(f.ctx, t.TempDir(), f.opts); return err }},
		{"short PIN", ErrInvalidInput, func() error { _, err := Create(f.ctx, t.TempDir(), "1234", f.opts); return err }},
		{"long PIN", ErrInvalidInput, func() error { _, err := Create(f.ctx, t.TempDir(), strings.Repeat("1", 17), f.opts); return err }},
		{"weak KDF", ErrConfig, func() error {
			_, err := Create(f.ctx, t.TempDir(), testPIN, Options{KDF: KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}})
			return err
		}},
		{"too many attempts", ErrConfig, func() error {
			_, err := Create(f.ctx, t.TempDir(), testPIN, Options{KDF: testKDF, MaxPINAttempts: 1000})
			return err
		}},
		{"locked", ErrLocked, func() error { f.w.Lock(); _, err := f.w.Credentials(f.ctx); return err }},
		{"no device key", ErrNoDeviceKey, func() error {
			f.w.Unlock(f.ctx, testPIN)
			_, err := f.w.DeviceKey(f.ctx)
			return err
		}},
		{"platform wallet without platform key", ErrConfig, func() error {
			dir := t.TempDir()
			o := f.opts
			o.Platform = &fakePlatform{key: bytes.Repeat([]byte{7}, 32)}
			w, err := Create(f.ctx, dir, testPIN, o)
			if err != nil {
				return err
			}
			w.Close()
			o.Platform = nil
			w, err = Open(f.ctx, dir, o)
			if err != nil {
				return err
			}
			defer w.Close()
			return w.Unlock(f.ctx, testPIN)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); !errors.Is(err, tc.err) {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
		})
	}
}

func TestInterruptedWipeIsFinished(t *testing.T) {
	f := activated(t)
	// Simulate a wipe that died after destroying the key, before removing the files.
	if _, err := f.w.db.Exec("DELETE FROM meta"); err != nil {
		t.Fatal(err)
	}
	f.w.Close()
	if _, err := Open(f.ctx, f.dir, f.opts); !errors.Is(err, ErrNoWallet) {
		t.Fatalf("open: %v", err)
	}
	w, err := Create(f.ctx, f.dir, testPIN, f.opts)
	if err != nil {
		t.Fatalf("create over a wiped wallet: %v", err)
	}
	f.w = w
	if list, err := w.Credentials(f.ctx); err != nil || len(list) != 0 {
		t.Fatalf("%d credentials, %v", len(list), err)
	}
}

func TestInterruptedCreateIsRedone(t *testing.T) {
	dir := t.TempDir()
	// An empty database file, as a Create killed before its commit leaves.
	if err := os.WriteFile(filepath.Join(dir, FileName), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), dir, Options{KDF: testKDF}); !errors.Is(err, ErrNoWallet) {
		t.Fatal("opened a wallet that was never created")
	}
	w, err := Create(context.Background(), dir, testPIN, Options{KDF: testKDF})
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
}
