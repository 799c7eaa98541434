package holder

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"io"
	"os"
	"sync"
	"time"
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
// once more with it, so a copy of the wallet file cannot be attacked offline
// by trying every PIN: each guess would need the phone's keystore.
type PlatformKey interface {
	// Wrap encrypts (and authenticates) a small secret.
	Wrap(ctx context.Context, plaintext []byte) ([]byte, error)
	// Unwrap reverses Wrap; it fails if the ciphertext was changed.
	Unwrap(ctx context.Context, ciphertext []byte) ([]byte, error)
}

// Options configure a wallet. The zero value is usable: Argon2id with
// DefaultKDF, no platform key, a software device key, 10 PIN attempts.
type Options struct {
	// KDF is the Argon2id cost used by Create and ChangePIN; zero means
	// DefaultKDF. Opening a wallet uses the parameters stored with it.
	KDF KDFParams
	// Platform, if set at Create, also wraps the data key (see PlatformKey);
	// a wallet created with it cannot be unlocked without it.
	Platform PlatformKey
	// DeviceKeys, if set, creates and holds the device key in the platform
	// keystore; nil means a software ECDSA P-256 key stored encrypted in the
	// wallet.
	DeviceKeys DeviceKeyStore
	// MaxPINAttempts is the number of consecutive wrong PINs that wipes the
	// wallet; zero means DefaultMaxPINAttempts, at most MaxPINAttemptsLimit.
	// Delays between attempts follow PINDelay.
	MaxPINAttempts int
	// Trust verifies credentials at import (issuer keys and mdoc roots).
	// Required for Import and Activate.
	Trust IssuerTrust
	// PINPerPresentation asks for the PIN again for every presentation, as
	// the IKD app does; Present then needs PresentOptions.PIN.
	PINPerPresentation bool
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
// last attempt are persisted, so restarting the app does not reset them.
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
	mu     sync.Mutex
	dir    string
	db     *sql.DB
	opts   Options
	id     []byte
	dek    []byte // nil while locked
	device *deviceKey
	closed bool
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
	if _, err := tx.ExecContext(ctx, "PRAGMA user_version = 1"); err != nil {
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
	if v != schemaVersion {
		db.Close()
		return nil, errorf(op, ErrCorrupt, "schema version %d, want %d", v, schemaVersion)
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
// of the next accepted attempt (zero if none is pending).
func (w *Wallet) PINStatus(ctx context.Context) (failures int, retryAfter time.Time, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, time.Time{}, errorf("pin status", ErrNoWallet, "closed")
	}
	f, last, err := w.attempts(ctx)
	if err != nil {
		return 0, time.Time{}, wrapErr("pin status", ErrStore, err, "meta")
	}
	if d := PINDelay(int(f)); d > 0 {
		retryAfter = time.Unix(0, last).Add(d)
	}
	return int(f), retryAfter, nil
}

func (w *Wallet) attempts(ctx context.Context) (failures, last int64, err error) {
	if failures, err = metaInt(ctx, w.db, metaFailures); err != nil {
		return
	}
	last, err = metaInt(ctx, w.db, metaLastFailure)
	return
}

// Unlock checks pin and, if right, unlocks the wallet. Every attempt is
// counted on disk before the PIN is checked, so killing the app during the
// check does not give a free guess. After 3 wrong PINs in a row further
// attempts are delayed (PINDelay, ErrPINDelay); after Options.MaxPINAttempts
// the wallet is wiped (ErrWiped). A right PIN resets the counter.
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

	// Count the attempt first, in its own committed transaction.
	now := w.opts.now()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, wrapErr(op, ErrStore, err, "begin")
	}
	failures, err := metaInt(ctx, tx, metaFailures)
	if err != nil {
		tx.Rollback()
		return nil, wrapErr(op, ErrCorrupt, err, "attempt counter")
	}
	last, err := metaInt(ctx, tx, metaLastFailure)
	if err != nil {
		tx.Rollback()
		return nil, wrapErr(op, ErrCorrupt, err, "attempt time")
	}
	if d := PINDelay(int(failures)); d > 0 {
		if until := time.Unix(0, last).Add(d); now.Before(until) {
			tx.Rollback()
			return nil, &Error{Op: op, Err: ErrPINDelay, Detail: "wait " + until.Sub(now).Round(time.Second).String(), RetryAfter: until}
		}
	}
	if err := setMeta(ctx, tx, metaFailures, itob(failures+1)); err == nil {
		err = setMeta(ctx, tx, metaLastFailure, itob(now.UnixNano()))
	}
	if err != nil {
		tx.Rollback()
		return nil, wrapErr(op, ErrStore, err, "count attempt")
	}
	if err := tx.Commit(); err != nil {
		return nil, wrapErr(op, ErrStore, err, "count attempt")
	}
	w.opts.at("unlock:counted")

	kek := params.derive(pin, salt)
	dek, err := open(kek, wrapped, wrapAAD(w.id, kdfRec))
	zero(kek)
	if err != nil || len(dek) != dataKeySize {
		left := w.opts.MaxPINAttempts - int(failures+1)
		if left <= 0 {
			if werr := w.wipeLocked(ctx); werr != nil {
				return nil, wrapErr(op, ErrStore, werr, "wipe after too many wrong PINs")
			}
			return nil, errorf(op, ErrWiped, "%d wrong PINs", failures+1)
		}
		return nil, &Error{Op: op, Err: ErrWrongPIN, Detail: "attempts left before wipe: " + string(itob(int64(left))), AttemptsLeft: left}
	}
	tx, err = w.db.BeginTx(ctx, nil)
	if err == nil {
		if err = setMeta(ctx, tx, metaFailures, itob(0)); err == nil {
			err = tx.Commit()
		} else {
			tx.Rollback()
		}
	}
	if err != nil {
		zero(dek)
		return nil, wrapErr(op, ErrStore, err, "reset attempt counter")
	}
	return dek, nil
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
// device key (also from Options.DeviceKeys) and the wallet files. The wallet
// must be unlocked. The Wallet is closed afterwards.
func (w *Wallet) Delete(ctx context.Context) error {
	const op = "delete"
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.unlockedLocked(op); err != nil {
		return err
	}
	if w.opts.DeviceKeys != nil {
		if dk, err := w.loadDeviceKeyRecord(ctx); err == nil && dk.Alias != "" {
			if err := w.opts.DeviceKeys.DeleteKey(ctx, dk.Alias); err != nil {
				return wrapErr(op, ErrStore, err, "delete platform device key")
			}
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
