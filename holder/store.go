package holder

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, as package issuer uses
)

// FileName is the wallet database inside the wallet directory. SQLite keeps
// "-wal" and "-shm" files beside it.
const FileName = "wallet.db"

// schemaVersion is the version of the records (PRAGMA user_version): 2
// since credentials are batches of copies (kinds copy and vci_session),
// 3 since logins make grants (kind grant); Open upgrades a version 1 or 2
// file, whose records version 3 still reads.
const schemaVersion = 3

// The store is one SQLite file (the same embedded database as the issuer's
// default store) in WAL mode with synchronous=FULL: a committed transaction
// survives a crash or power loss, an interrupted one leaves no trace, which
// a single file rewritten atomically would also give, but SQLite does it
// without rewriting every record on each change. secure_delete zeroes freed
// pages, so a wiped data key does not linger in the file.
//
// meta holds the unencrypted state Unlock needs before it has the data key:
// the wallet id, the KDF parameters and salt, the wrapped data key and the
// PIN attempt counter (used only when the platform has no PINCounter;
// anyone who can write the file can change it). records holds everything else, each row sealed with
// the data key and its id as associated data; kind and seq (ordering) are
// visible, so the file reveals how many credentials and activity entries
// it holds, not what they are.
const schema = `
CREATE TABLE meta (k TEXT PRIMARY KEY, v BLOB NOT NULL) STRICT;
CREATE TABLE records (
	id   TEXT PRIMARY KEY,
	kind TEXT NOT NULL,
	seq  INTEGER NOT NULL,
	data BLOB NOT NULL
) STRICT;
CREATE INDEX records_kind ON records (kind, seq);
`

// Meta keys.
const (
	metaWalletID    = "wallet_id"
	metaKDF         = "kdf"
	metaWrapped     = "wrapped_key"
	metaPlatform    = "platform_wrapped"
	metaFailures    = "pin_failures"
	metaLastFailure = "pin_last_failure"
)

// Record kinds.
const (
	kindCredential = "credential"
	kindActivity   = "activity"
	kindDeviceKey  = "device_key"
	kindCopy       = "copy"        // one copy of a credential: raw and key
	kindSession    = "vci_session" // an OpenID4VCI session to refresh from
	kindGrant      = "grant"       // a login's standing authorisation (grants.go)
)

func dbPath(dir string) string { return filepath.Join(dir, FileName) }

func openDB(dir string) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "secure_delete(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+dbPath(dir)+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

func exists(dir string) (bool, error) {
	_, err := os.Stat(dbPath(dir))
	if err == nil {
		return true, nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return false, err
}

// removeFiles deletes the database and its WAL and shared-memory files.
func removeFiles(dir string) error {
	var first error
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		if err := os.Remove(dbPath(dir) + suffix); err != nil && !errors.Is(err, os.ErrNotExist) && first == nil {
			first = err
		}
	}
	return first
}

func getMeta(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, k string) ([]byte, bool, error) {
	var v []byte
	err := q.QueryRowContext(ctx, "SELECT v FROM meta WHERE k = ?", k).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	return v, err == nil, err
}

func setMeta(ctx context.Context, tx *sql.Tx, k string, v []byte) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", k, v)
	return err
}

func metaInt(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, k string) (int64, error) {
	v, ok, err := getMeta(ctx, q, k)
	if err != nil || !ok {
		return 0, err
	}
	return strconv.ParseInt(string(v), 10, 64)
}

func itob(n int64) []byte { return []byte(strconv.FormatInt(n, 10)) }
