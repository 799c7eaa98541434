package verifier

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// SQLiteReplayStore is a ReplayStore in one SQLite file that several
// processes (verifier instances behind a load balancer, on one host or a
// shared volume that supports SQLite locking) use at once: every Remember
// is one IMMEDIATE transaction, so the check and the record are atomic
// across processes, and it is durable (WAL, synchronous=FULL) before the
// verification succeeds, so a crash cannot re-open a replay.
//
// Like [MemoryReplayStore] it holds at most a maximum of unexpired entries
// and then refuses new presentations with [ErrReplayStoreFull].
type SQLiteReplayStore struct {
	db  *sql.DB
	max int
}

var _ ReplayStore = (*SQLiteReplayStore)(nil)

// DefaultSQLiteReplaySize is the entry bound OpenSQLiteReplayStore uses
// when max is zero.
const DefaultSQLiteReplaySize = 1 << 22

// replaySchema: one row per remembered key, with its expiry in Unix
// nanoseconds, and a count of the rows (so the bound costs no scan).
const replaySchema = `
CREATE TABLE IF NOT EXISTS replay (key BLOB PRIMARY KEY, exp INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS replay_exp ON replay(exp);
CREATE TABLE IF NOT EXISTS replay_count (one INTEGER PRIMARY KEY CHECK (one = 1), n INTEGER NOT NULL);
INSERT OR IGNORE INTO replay_count (one, n) VALUES (1, 0);`

// OpenSQLiteReplayStore opens (creating if needed) the replay store at
// path, bounded to max entries (zero means DefaultSQLiteReplaySize).
func OpenSQLiteReplayStore(ctx context.Context, path string, max int) (*SQLiteReplayStore, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fail(0, -1, ErrConfig, nil, "bad replay store path %.200q", path)
	}
	if max == 0 {
		max = DefaultSQLiteReplaySize
	}
	if max < 1 {
		return nil, fail(0, -1, ErrConfig, nil, "replay store size %d", max)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("verifier: replay store: %w", err)
	}
	if _, err := db.ExecContext(ctx, replaySchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("verifier: replay store schema: %w", err)
	}
	return &SQLiteReplayStore{db: db, max: max}, nil
}

// Close closes the database.
func (s *SQLiteReplayStore) Close() error { return s.db.Close() }

// Remember implements ReplayStore.
func (s *SQLiteReplayStore) Remember(ctx context.Context, key [32]byte, now, exp time.Time) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("verifier: replay store: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback() // after a Commit (store full) a no-op
		}
	}()
	// Forget what has expired; only those entries may go.
	res, err := tx.ExecContext(ctx, `DELETE FROM replay WHERE exp <= ?`, now.UnixNano())
	if err != nil {
		return fmt.Errorf("verifier: replay store: %w", err)
	}
	gone, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("verifier: replay store: %w", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `UPDATE replay_count SET n = n - ? RETURNING n`, gone).Scan(&n); err != nil {
		return fmt.Errorf("verifier: replay store: %w", err)
	}
	var seen int64
	switch err := tx.QueryRowContext(ctx, `SELECT exp FROM replay WHERE key = ?`, key[:]).Scan(&seen); {
	case err == nil:
		// Every row left has exp > now.
		return ErrReplay
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("verifier: replay store: %w", err)
	}
	if n >= s.max {
		if gone == 0 {
			return ErrReplayStoreFull
		}
		// Keep the deletions, refuse the insert.
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("verifier: replay store: %w", err)
		}
		return ErrReplayStoreFull
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO replay (key, exp) VALUES (?, ?)`, key[:], exp.UnixNano()); err != nil {
		return fmt.Errorf("verifier: replay store: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE replay_count SET n = n + 1`); err != nil {
		return fmt.Errorf("verifier: replay store: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("verifier: replay store: %w", err)
	}
	return nil
}
