package holder

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/ikdkit/ikdkit/credential/mdoc"
)

// PIN rules: the IKD app uses a 6-digit PIN; longer numeric PINs are allowed.
const (
	MinPINLength = 6
	MaxPINLength = 16
)

// DefaultMaxPINAttempts is the number of consecutive wrong PINs after which
// the wallet is wiped, when Options.MaxPINAttempts is zero.
const DefaultMaxPINAttempts = 10

// MaxPINAttemptsLimit bounds Options.MaxPINAttempts.
const MaxPINAttemptsLimit = 100

// PlatformKey is a key held by the phone's keystore (Android Keystore,
// Secure Enclave via a wrapping key, a TPM) that never leaves it. When
// Options.Platform is set at Create, the PIN-wrapped data key is wrapped
// once more with it, so a copy of the wallet file alone cannot be attacked
// offline by trying every PIN. Unwrap does not depend on the PIN, though:
// code that can use the keystore as the app does can unwrap once and then
// try PINs offline. A PlatformKey that also implements [PINCounter] keeps
// the PIN attempt limit; without it the limit is only in the wallet file.
type PlatformKey interface {
	// Wrap encrypts (and authenticates) a small secret.
	Wrap(ctx context.Context, plaintext []byte) ([]byte, error)
	// Unwrap reverses Wrap; it fails if the ciphertext was changed.
	Unwrap(ctx context.Context, ciphertext []byte) ([]byte, error)
}

// PINCounter is an optional interface for a [PlatformKey]: the keystore
// keeps the count of consecutive wrong PINs (and the time of the last one)
// itself, outside the wallet file. When Options.Platform implements it, the
// wallet counts every PIN attempt there instead of in the file, takes the
// delays of [PINDelay] from it, and checks no PIN once it holds
// Options.MaxPINAttempts failures: the wallet is wiped (ErrWiped) instead.
// Resetting, deleting or rolling back the counter in the file, or restoring
// a copy of the whole file taken before a wipe, then gains nothing.
//
// Counts are kept per wallet id (a 16-byte random value made by Create).
// Implementations must make a change durable before returning, and must
// keep the count where writing the app's files cannot change it: a secure
// element, a TPM NV index, or a server. The wallet resets the count only
// after a right PIN, never when it wipes, so the count of a wiped wallet
// must stay for as long as a copy of its file could be restored.
//
// The limit is only as strong as the keystore's control of
// ResetPINFailures: a counter that any code running as the app can reset
// stops an attacker who can change the wallet's files, not one who runs
// code with the app's keystore access (who can also call Unwrap once and
// then try PINs offline at the Argon2id cost of [DefaultKDF]).
type PINCounter interface {
	// PINFailures returns the consecutive wrong PINs recorded for wallet
	// and the time of the last one (zero if none).
	PINFailures(ctx context.Context, wallet []byte) (failures int, last time.Time, err error)
	// AddPINFailure durably records one more attempt for wallet, made at
	// time at, before its PIN is checked, and returns the new count.
	AddPINFailure(ctx context.Context, wallet []byte, at time.Time) (failures int, err error)
	// ResetPINFailures sets the count for wallet to zero after a right PIN.
	ResetPINFailures(ctx context.Context, wallet []byte) error
}

// Options configure a wallet. The zero value is usable: Argon2id with
// DefaultKDF, no platform key, a software device key, 10 PIN attempts.
type Options struct {
	// KDF is the Argon2id cost used by Create and ChangePIN; zero means
	// DefaultKDF. Opening a wallet uses the parameters stored with it.
	KDF KDFParams
	// Platform, if set at Create, also wraps the data key (see PlatformKey);
	// a wallet created with it cannot be unlocked without it. If it
	// implements PINCounter, PIN attempts are counted by it, not in the
	// file.
	Platform PlatformKey
	// DeviceKeys, if set, creates and holds the device keys in the
	// platform keystore (one per copy of a credential, and the device key
	// of Import); nil means software ECDSA P-256 keys stored encrypted in
	// the wallet.
	DeviceKeys DeviceKeyStore
	// MaxPINAttempts is the number of consecutive wrong PINs that wipes the
	// wallet; zero means DefaultMaxPINAttempts, at most MaxPINAttemptsLimit.
	// Delays between attempts follow PINDelay.
	//
	// The limit holds against tampering with the wallet file only when
	// Platform implements PINCounter. Otherwise the count is a value in the
	// file: it limits guesses made through the app's own PIN screen, but
	// whoever can write the file can reset it or restore an older copy, and
	// whoever holds a copy of a wallet without a PlatformKey can try every
	// PIN offline at the cost of DefaultKDF per guess, with no limit at all
	// (docs/security.md, "PIN guessing against the wallet file").
	MaxPINAttempts int
	// Trust verifies credentials at import (issuer keys and mdoc roots).
	// Required for Import and ReceiveOffer.
	Trust IssuerTrust
	// PINPerPresentation asks for the PIN again for every presentation, as
	// the IKD app does; Present then needs PresentOptions.PIN.
	PINPerPresentation bool
	// Copies is the number of one-time copies to ask an issuer for, per
	// credential type (the vct of an SD-JWT VC, the doctype of an mdoc;
	// ReceiveOptions.Copies takes precedence); a type not in it gets its
	// credential.TypeInfo.Copies (10 for the KTP-el and its QR profile, 5
	// for the others). The
	// issuer's batch_size caps it; an issuer that keeps fewer copies of a
	// type than asked for refuses the request (an ikdkit issuer answers
	// invalid_credential_request), so ask for more only from an issuer
	// that issues more. Each value is 1 to MaxCopies.
	Copies map[string]int
	// UsePolicies is the use policy per credential type (the vct of an
	// SD-JWT VC, the doctype of an mdoc) of credentials that have none of
	// their own ([Wallet.SetUsePolicy]); a type not in it gets UseOnce,
	// the policy that keeps presentations unlinkable.
	UsePolicies map[string]UsePolicy
	// RefreshThreshold is the number of copies left at or below which a
	// credential needs a refresh ([Credential.NeedsRefresh]); zero means
	// DefaultRefreshThreshold, negative means never.
	RefreshThreshold int
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Rand is the source of keys, nonces and salts; nil means crypto/rand.
	Rand io.Reader

	// hook is called at named points (crash-safety tests).
	hook func(point string)
}

// PINDelay is the wait imposed after failures consecutive wrong PINs before
// the next attempt: none for the first 3, then 30 s, 1 min, 5 min, 15 min,
// 30 min and 1 h for every further one. The counter and the time of the
// last attempt are persisted, so restarting the app does not reset them:
// by the platform's [PINCounter] if Options.Platform has one, else in the
// wallet file, where anyone who can write the file can reset them (the
// delays then only slow down guesses through the app's PIN screen).
func PINDelay(failures int) time.Duration {
	switch {
	case failures < 3:
		return 0
	case failures == 3:
		return 30 * time.Second
	case failures == 4:
		return time.Minute
	case failures == 5:
		return 5 * time.Minute
	case failures == 6:
		return 15 * time.Minute
	case failures == 7:
		return 30 * time.Minute
	default:
		return time.Hour
	}
}

// Wallet is an open wallet. It starts locked (Open) or unlocked (Create);
// reading or adding credentials needs it unlocked. It is safe for
// concurrent use; operations are serialised.
type Wallet struct {
	mu sync.Mutex
	// refreshMu serialises Refresh, network requests included: a refresh
	// token is spent by its use.
	refreshMu sync.Mutex
	dir       string
	db        *sql.DB
	opts      Options
	id        []byte
	dek       []byte // nil while locked
	device    *deviceKey
	closed    bool
	certs     mdoc.CertificateCache // issuers' DS certificates, parsed once per wallet
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *Options) rand() io.Reader {
	if o.Rand != nil {
		return o.Rand
	}
	return rand.Reader
}

func (o *Options) at(point string) {
	if o.hook != nil {
		o.hook(point)
	}
}

func (o *Options) check(op string) error {
	if o.KDF == (KDFParams{}) {
		o.KDF = DefaultKDF()
	}
	if err := o.KDF.validate(); err != nil {
		return errorf(op, ErrConfig, "%v", err)
	}
	if o.MaxPINAttempts == 0 {
		o.MaxPINAttempts = DefaultMaxPINAttempts
	}
	if o.MaxPINAttempts < 1 || o.MaxPINAttempts > MaxPINAttemptsLimit {
		return errorf(op, ErrConfig, "MaxPINAttempts %d outside [1, %d]", o.MaxPINAttempts, MaxPINAttemptsLimit)
	}
	if err := checkCopiesMap(op, "Options.Copies", o.Copies); err != nil {
		return err
	}
	for t, p := range o.UsePolicies {
		if t == "" || !p.valid() {
			return errorf(op, ErrConfig, "Options.UsePolicies[%q] = %q: want a type and UseOnce or UsePerVerifier", t, p)
		}
	}
	if o.RefreshThreshold == 0 {
		o.RefreshThreshold = DefaultRefreshThreshold
	}
	return nil
}

func checkPIN(op, pin string) error {
	if len(pin) < MinPINLength || len(pin) > MaxPINLength {
		return errorf(op, ErrInvalidInput, "PIN must have %d to %d digits", MinPINLength, MaxPINLength)
	}
	for i := 0; i < len(pin); i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return errorf(op, ErrInvalidInput, "PIN must be decimal digits")
		}
	}
	return nil
}

// Create makes a new wallet in dir (created if missing) protected by pin and
// returns it unlocked. It fails with ErrExists if dir already holds one.
//
// A random 256-bit data key encrypts every record; it is stored only wrapped
// by the Argon2id key of the PIN (and by Options.Platform when set).
func Create(ctx context.Context, dir, pin string, opts Options) (*Wallet, error) {
	const op = "create"
	if err := opts.check(op); err != nil {
		return nil, err
	}
	if err := checkPIN(op, pin); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, wrapErr(op, ErrStore, err, "make directory")
	}
	if ok, err := exists(dir); err != nil {
		return nil, wrapErr(op, ErrStore, err, "stat")
	} else if ok {
		if !wipedRemains(ctx, dir) {
			return nil, errorf(op, ErrExists, "%s", dbPath(dir))
		}
		// A wipe or delete died after destroying the key but before
		// removing the files: finish it.
		if err := removeFiles(dir); err != nil {
			return nil, wrapErr(op, ErrStore, err, "remove wiped wallet")
		}
	}
	db, err := openDB(dir)
	if err != nil {
		return nil, wrapErr(op, ErrStore, err, "open database")
	}
	w := &Wallet{dir: dir, db: db, opts: opts}
	fail := func(e error) (*Wallet, error) {
		db.Close()
		removeFiles(dir)
		return nil, e
	}
	w.id = make([]byte, 16)
	dek := make([]byte, dataKeySize)
	if _, err := io.ReadFull(opts.rand(), w.id); err != nil {
		return fail(wrapErr(op, ErrStore, err, "randomness"))
	}
	if _, err := io.ReadFull(opts.rand(), dek); err != nil {
		return fail(wrapErr(op, ErrStore, err, "randomness"))
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fail(wrapErr(op, ErrStore, err, "begin"))
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return fail(wrapErr(op, ErrStore, err, "schema"))
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return fail(wrapErr(op, ErrStore, err, "schema version"))
	}
	if err := setMeta(ctx, tx, metaWalletID, w.id); err != nil {
		return fail(wrapErr(op, ErrStore, err, "meta"))
	}
	if err := w.storeWrappedKey(ctx, tx, op, pin, dek); err != nil {
		return fail(err)
	}
	if err := tx.Commit(); err != nil {
		return fail(wrapErr(op, ErrStore, err, "commit"))
	}
	w.dek = dek
	return w, nil
}

// wipedRemains reports whether dir holds a database whose wallet key was
// destroyed (an interrupted wipe) or never committed (an interrupted Create).
func wipedRemains(ctx context.Context, dir string) bool {
	db, err := openDB(dir)
	if err != nil {
		return false
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'").Scan(&n); err != nil {
		return false
	}
	if n == 0 {
		return true // a Create that died before its commit
	}
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM meta WHERE k IN (?, ?)", metaWalletID, metaWrapped).Scan(&n); err != nil {
		return false
	}
	return n == 0
}

// storeWrappedKey wraps dek under a fresh salt and the PIN (and the platform
// key) and writes the KDF record and the wrapped key in tx.
func (w *Wallet) storeWrappedKey(ctx context.Context, tx *sql.Tx, op, pin string, dek []byte) error {
	salt := make([]byte, saltSize)
	if _, err := io.ReadFull(w.opts.rand(), salt); err != nil {
		return wrapErr(op, ErrStore, err, "randomness")
	}
	kdf := w.opts.KDF.encode(salt)
	kek := w.opts.KDF.derive(pin, salt)
	defer zero(kek)
	wrapped, err := seal(w.opts.rand(), kek, dek, wrapAAD(w.id, kdf))
	if err != nil {
		return wrapErr(op, ErrStore, err, "wrap data key")
	}
	platform := []byte("0")
	if w.opts.Platform != nil {
		if wrapped, err = w.opts.Platform.Wrap(ctx, wrapped); err != nil {
			return wrapErr(op, ErrConfig, err, "platform key wrap")
		}
		platform = []byte("1")
	}
	for _, kv := range []struct {
		k string
		v []byte
	}{{metaKDF, kdf}, {metaWrapped, wrapped}, {metaPlatform, platform}, {metaFailures, itob(0)}, {metaLastFailure, itob(0)}} {
		if err := setMeta(ctx, tx, kv.k, kv.v); err != nil {
			return wrapErr(op, ErrStore, err, "meta")
		}
	}
	return nil
}

// Exists reports whether dir holds a wallet.
func Exists(dir string) bool {
	ok, _ := exists(dir)
	return ok
}

// Open opens the wallet in dir, locked. It fails with ErrNoWallet if there
// is none (never created, deleted, or wiped).
func Open(ctx context.Context, dir string, opts Options) (*Wallet, error) {
	const op = "open"
	if err := opts.check(op); err != nil {
		return nil, err
	}
	if ok, err := exists(dir); err != nil {
		return nil, wrapErr(op, ErrStore, err, "stat")
	} else if !ok {
		return nil, errorf(op, ErrNoWallet, "%s", dir)
	}
	db, err := openDB(dir)
	if err != nil {
		return nil, wrapErr(op, ErrStore, err, "open database")
	}
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		db.Close()
		return nil, wrapErr(op, ErrStore, err, "schema version")
	}
	if v == 0 {
		db.Close() // a Create that died before its commit
		return nil, errorf(op, ErrNoWallet, "%s holds no committed wallet", dir)
	}
	if v < 1 || v > schemaVersion {
		db.Close()
		return nil, errorf(op, ErrCorrupt, "schema version %d, want 1 to %d", v, schemaVersion)
	}
	if v < schemaVersion {
		// Version 1 stored a credential as one record bound to the
		// device key; version 2 reads those as batches of one copy
		// (credentialFrom) and rewrites each when it first changes.
		// Version 3 adds grant records (kind grant), which hold the
		// keystore keys of copies an older ikdkit would delete with
		// them. The records table is the same: the upgrade is the
		// version, set in one transaction, which tells an older ikdkit
		// not to open the file.
		if err := migrate(ctx, db, &opts); err != nil {
			db.Close()
			return nil, wrapErr(op, ErrStore, err, "schema upgrade from version %d", v)
		}
	}
	id, ok, err := getMeta(ctx, db, metaWalletID)
	if err != nil {
		db.Close()
		return nil, wrapErr(op, ErrStore, err, "meta")
	}
	if !ok {
		// A wipe interrupted between clearing meta and removing the file.
		db.Close()
		return nil, errorf(op, ErrNoWallet, "%s holds no wallet key", dir)
	}
	if len(id) != 16 {
		db.Close()
		return nil, errorf(op, ErrCorrupt, "wallet id")
	}
	return &Wallet{dir: dir, db: db, opts: opts, id: id}, nil
}

// migrate sets the schema version to schemaVersion in one transaction:
// a crash before its commit leaves the file as it was.
func migrate(ctx context.Context, db *sql.DB, opts *Options) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return err
	}
	opts.at("open:migrate")
	return tx.Commit()
}

// Close locks the wallet and closes the database.
func (w *Wallet) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.lockLocked()
	w.closed = true
	return w.db.Close()
}

// Lock forgets the data key and the device key until the next Unlock.
func (w *Wallet) Lock() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lockLocked()
}

func (w *Wallet) lockLocked() {
	zero(w.dek)
	w.dek = nil
	w.device = nil
}

// Unlocked reports whether the wallet is unlocked.
func (w *Wallet) Unlocked() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.dek != nil
}

// PINStatus reports the consecutive wrong PINs so far and the earliest time
// of the next accepted attempt (zero if none is pending), as the platform's
// PINCounter holds them if Options.Platform has one, else as the file does.
func (w *Wallet) PINStatus(ctx context.Context) (failures int, retryAfter time.Time, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, time.Time{}, errorf("pin status", ErrNoWallet, "closed")
	}
	failures, last, err := w.attempts(ctx)
	if err != nil {
		return 0, time.Time{}, wrapErr("pin status", ErrStore, err, "attempt counter")
	}
	if d := PINDelay(failures); d > 0 {
		retryAfter = last.Add(d)
	}
	return failures, retryAfter, nil
}

// attempts returns the consecutive wrong PINs and the time of the last one,
// from the platform's PINCounter if there is one, else from the file.
func (w *Wallet) attempts(ctx context.Context) (failures int, last time.Time, err error) {
	if c, ok := w.opts.Platform.(PINCounter); ok {
		return c.PINFailures(ctx, w.id)
	}
	n, err := metaInt(ctx, w.db, metaFailures)
	if err != nil {
		return 0, time.Time{}, err
	}
	at, err := metaInt(ctx, w.db, metaLastFailure)
	if err != nil {
		return 0, time.Time{}, err
	}
	return int(n), time.Unix(0, at), nil
}

// Unlock checks pin and, if right, unlocks the wallet. Every attempt is
// counted durably (by the platform's PINCounter, else in the file) before
// the PIN is checked, so killing the app during the check does not give a
// free guess. After 3 wrong PINs in a row further attempts are delayed
// (PINDelay, ErrPINDelay); after Options.MaxPINAttempts the wallet is wiped
// (ErrWiped). A right PIN resets the counter. With a PINCounter, an attempt
// made when it already holds MaxPINAttempts failures (a copy of the file
// restored after the wipe, or a process killed during the last allowed
// attempt) checks no PIN and wipes the wallet.
func (w *Wallet) Unlock(ctx context.Context, pin string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	dek, err := w.checkPINLocked(ctx, "unlock", pin)
	if err != nil {
		return err
	}
	if w.dek != nil {
		zero(w.dek)
	}
	w.dek = dek
	return nil
}

// checkPINLocked runs one counted PIN attempt and returns the data key.
func (w *Wallet) checkPINLocked(ctx context.Context, op, pin string) ([]byte, error) {
	if w.closed {
		return nil, errorf(op, ErrNoWallet, "closed")
	}
	if err := checkPIN(op, pin); err != nil {
		return nil, err
	}
	kdfRec, ok, err := getMeta(ctx, w.db, metaKDF)
	if err != nil {
		return nil, wrapErr(op, ErrStore, err, "meta")
	}
	wrapped, ok2, err := getMeta(ctx, w.db, metaWrapped)
	if err != nil {
		return nil, wrapErr(op, ErrStore, err, "meta")
	}
	if !ok || !ok2 {
		return nil, errorf(op, ErrNoWallet, "no wrapped key")
	}
	params, salt, err := decodeKDF(kdfRec)
	if err != nil {
		return nil, errorf(op, ErrCorrupt, "%v", err)
	}
	plat, _, err := getMeta(ctx, w.db, metaPlatform)
	if err != nil {
		return nil, wrapErr(op, ErrStore, err, "meta")
	}
	if string(plat) == "1" {
		if w.opts.Platform == nil {
			return nil, errorf(op, ErrConfig, "wallet is wrapped by a platform key and Options.Platform is nil")
		}
		if wrapped, err = w.opts.Platform.Unwrap(ctx, wrapped); err != nil {
			return nil, wrapErr(op, ErrCorrupt, err, "platform key unwrap")
		}
	}

	// Count the attempt first: a killed process must not give a free guess.
	attempt, err := w.countAttempt(ctx, op)
	if err != nil {
		return nil, err
	}
	w.opts.at("unlock:counted")

	kek := params.derive(pin, salt)
	dek, err := open(kek, wrapped, wrapAAD(w.id, kdfRec))
	zero(kek)
	if err != nil || len(dek) != dataKeySize {
		left := w.opts.MaxPINAttempts - attempt
		if left <= 0 {
			return nil, w.wipeAfterWrongPINs(ctx, op, attempt)
		}
		return nil, &Error{Op: op, Err: ErrWrongPIN, Detail: "attempts left before wipe: " + string(itob(int64(left))), AttemptsLeft: left}
	}
	w.opts.at("unlock:checked")
	if c, ok := w.opts.Platform.(PINCounter); ok {
		err = c.ResetPINFailures(ctx, w.id)
	} else {
		var tx *sql.Tx
		if tx, err = w.db.BeginTx(ctx, nil); err == nil {
			if err = setMeta(ctx, tx, metaFailures, itob(0)); err == nil {
				err = tx.Commit()
			} else {
				tx.Rollback()
			}
		}
	}
	if err != nil {
		zero(dek)
		return nil, wrapErr(op, ErrStore, err, "reset attempt counter")
	}
	return dek, nil
}

// countAttempt durably counts one PIN attempt before the PIN is checked and
// returns the consecutive failures including it. It refuses an attempt
// inside the delay of PINDelay (ErrPINDelay). With a PINCounter the count
// is the platform's; if that already reached MaxPINAttempts (this file is
// a copy restored after the wipe, or the process died during the last
// attempt) no PIN is checked and the wallet is wiped (ErrWiped).
func (w *Wallet) countAttempt(ctx context.Context, op string) (int, error) {
	now := w.opts.now()
	if c, ok := w.opts.Platform.(PINCounter); ok {
		failures, last, err := c.PINFailures(ctx, w.id)
		if err != nil {
			return 0, wrapErr(op, ErrStore, err, "platform PIN counter")
		}
		if failures >= w.opts.MaxPINAttempts {
			return 0, w.wipeAfterWrongPINs(ctx, op, failures)
		}
		if err := delayed(op, failures, last, now); err != nil {
			return 0, err
		}
		attempt, err := c.AddPINFailure(ctx, w.id, now)
		if err != nil {
			return 0, wrapErr(op, ErrStore, err, "platform PIN counter")
		}
		if attempt < 1 {
			return 0, errorf(op, ErrStore, "platform PIN counter returned %d after an attempt", attempt)
		}
		if attempt > w.opts.MaxPINAttempts {
			return 0, w.wipeAfterWrongPINs(ctx, op, attempt-1)
		}
		return attempt, nil
	}

	// Without a PINCounter: in the file, in its own committed transaction.
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, wrapErr(op, ErrStore, err, "begin")
	}
	failures, err := metaInt(ctx, tx, metaFailures)
	if err != nil {
		tx.Rollback()
		return 0, wrapErr(op, ErrCorrupt, err, "attempt counter")
	}
	last, err := metaInt(ctx, tx, metaLastFailure)
	if err != nil {
		tx.Rollback()
		return 0, wrapErr(op, ErrCorrupt, err, "attempt time")
	}
	if err := delayed(op, int(failures), time.Unix(0, last), now); err != nil {
		tx.Rollback()
		return 0, err
	}
	if err := setMeta(ctx, tx, metaFailures, itob(failures+1)); err == nil {
		err = setMeta(ctx, tx, metaLastFailure, itob(now.UnixNano()))
	}
	if err != nil {
		tx.Rollback()
		return 0, wrapErr(op, ErrStore, err, "count attempt")
	}
	if err := tx.Commit(); err != nil {
		return 0, wrapErr(op, ErrStore, err, "count attempt")
	}
	return int(failures + 1), nil
}

// delayed returns ErrPINDelay if an attempt at now, after failures wrong
// PINs the last of which was at last, comes too early.
func delayed(op string, failures int, last, now time.Time) error {
	if d := PINDelay(failures); d > 0 {
		if until := last.Add(d); now.Before(until) {
			return &Error{Op: op, Err: ErrPINDelay, Detail: "wait " + until.Sub(now).Round(time.Second).String(), RetryAfter: until}
		}
	}
	return nil
}

// wipeAfterWrongPINs wipes the wallet and returns ErrWiped.
func (w *Wallet) wipeAfterWrongPINs(ctx context.Context, op string, failures int) error {
	if err := w.wipeLocked(ctx); err != nil {
		return wrapErr(op, ErrStore, err, "wipe after too many wrong PINs")
	}
	return errorf(op, ErrWiped, "%d wrong PINs", failures)
}

// ChangePIN replaces the PIN. Only the wrapping of the data key changes (a
// new salt, the current Options.KDF cost, one transaction); records are not
// re-encrypted. The old PIN is checked as a counted attempt. After a crash
// during ChangePIN exactly one of the two PINs opens the wallet.
func (w *Wallet) ChangePIN(ctx context.Context, oldPIN, newPIN string) error {
	const op = "change pin"
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := checkPIN(op, newPIN); err != nil {
		return err
	}
	dek, err := w.checkPINLocked(ctx, op, oldPIN)
	if err != nil {
		return err
	}
	defer zero(dek)
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return wrapErr(op, ErrStore, err, "begin")
	}
	defer tx.Rollback()
	if err := w.storeWrappedKey(ctx, tx, op, newPIN, dek); err != nil {
		return err
	}
	w.opts.at("changepin:before-commit")
	if err := tx.Commit(); err != nil {
		return wrapErr(op, ErrStore, err, "commit")
	}
	w.opts.at("changepin:committed")
	return nil
}

// Delete erases the account: every credential, the activity history, the
// device keys (also from Options.DeviceKeys) and the wallet files. The wallet
// must be unlocked. The Wallet is closed afterwards.
func (w *Wallet) Delete(ctx context.Context) error {
	const op = "delete"
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.unlockedLocked(op); err != nil {
		return err
	}
	if w.opts.DeviceKeys != nil {
		var aliases []string
		if dk, err := w.loadDeviceKeyRecord(ctx); err == nil && dk.Alias != "" {
			aliases = append(aliases, dk.Alias)
		}
		copies, err := w.listRecords(ctx, kindCopy)
		if err != nil {
			return storeErr(op, err)
		}
		for _, r := range copies {
			var c copyRecord
			if json.Unmarshal(r.data, &c) == nil && !c.DeviceKey && c.Key.Alias != "" {
				aliases = append(aliases, c.Key.Alias)
			}
		}
		held, err := w.grantAliases(ctx, w.db, "")
		if err != nil {
			return storeErr(op, err)
		}
		for a := range held {
			if !slices.Contains(aliases, a) {
				aliases = append(aliases, a)
			}
		}
		if err := w.deleteKeystoreKeys(ctx, aliases); err != nil {
			return wrapErr(op, ErrStore, err, "delete platform device keys")
		}
	}
	if err := w.wipeLocked(ctx); err != nil {
		return wrapErr(op, ErrStore, err, "wipe")
	}
	return nil
}

// wipeLocked destroys the wrapped key first (so nothing can be decrypted
// even if removing the files fails half-way), then removes the files.
func (w *Wallet) wipeLocked(ctx context.Context) error {
	w.lockLocked()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, q := range []string{"DELETE FROM meta", "DELETE FROM records"} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	w.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	w.closed = true
	w.db.Close()
	return removeFiles(w.dir)
}

func (w *Wallet) unlockedLocked(op string) error {
	if w.closed {
		return errorf(op, ErrNoWallet, "closed")
	}
	if w.dek == nil {
		return errorf(op, ErrLocked, "unlock with the PIN first")
	}
	return nil
}

var errNoRecord = errors.New("no record")
