package verifier

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/internal/sqldb"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver
)

// SQLReplayStore is a ReplayStore in a database that several processes
// (verifier instances behind a load balancer) use at once: a SQLite file
// ([OpenSQLiteReplayStore], on one host or a shared volume that supports
// SQLite locking) or a PostgreSQL database ([OpenPostgresReplayStore]).
// Every Remember is one transaction that first locks the entry count (an
// IMMEDIATE transaction in SQLite, the count row's lock in PostgreSQL), so
// the check and the record are atomic across processes, and it is durable
// (SQLite: WAL, synchronous=FULL) before the verification succeeds, so a
// crash cannot re-open a replay.
//
// Like [MemoryReplayStore] it holds at most a maximum of unexpired entries
// and then refuses new presentations with [ErrReplayStoreFull].
type SQLReplayStore struct {
	db  *sql.DB
	max int
	pg  bool
}

var _ ReplayStore = (*SQLReplayStore)(nil)

// DefaultSQLiteReplaySize is the entry bound OpenSQLiteReplayStore and
// OpenPostgresReplayStore use when max is zero.
const DefaultSQLiteReplaySize = 1 << 22

// replaySchema: one row per remembered key, with its expiry in Unix
// nanoseconds, and a count of the rows (so the bound costs no scan).
const replaySchema = `
CREATE TABLE IF NOT EXISTS replay (key BLOB PRIMARY KEY, exp INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS replay_exp ON replay(exp);
CREATE TABLE IF NOT EXISTS replay_count (one INTEGER PRIMARY KEY CHECK (one = 1), n INTEGER NOT NULL);
INSERT OR IGNORE INTO replay_count (one, n) VALUES (1, 0);`

// replaySchemaPostgres is replaySchema in PostgreSQL.
var replaySchemaPostgres = []string{
	`CREATE TABLE IF NOT EXISTS replay (key BYTEA PRIMARY KEY, exp BIGINT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS replay_exp ON replay (exp)`,
	`CREATE TABLE IF NOT EXISTS replay_count (one INTEGER PRIMARY KEY CHECK (one = 1), n BIGINT NOT NULL)`,
	`INSERT INTO replay_count (one, n) VALUES (1, 0) ON CONFLICT DO NOTHING`,
}

// replayLock is the PostgreSQL advisory lock key of the schema creation.
const replayLock = 0x696b647265706c79 // "ikdreply"

// OpenReplayStore opens the shared replay store of database: a
// postgres:// or postgresql:// DSN ([OpenPostgresReplayStore]) or a
// SQLite file path ([OpenSQLiteReplayStore]).
func OpenReplayStore(ctx context.Context, database string, max int) (*SQLReplayStore, error) {
	if sqldb.IsPostgres(database) {
		return OpenPostgresReplayStore(ctx, database, max)
	}
	return OpenSQLiteReplayStore(ctx, database, max)
}

// OpenPostgresReplayStore opens (creating the tables if needed) the replay
// store in the PostgreSQL database of dsn, bounded to max entries (zero
// means DefaultSQLiteReplaySize).
func OpenPostgresReplayStore(ctx context.Context, dsn string, max int) (*SQLReplayStore, error) {
	if max == 0 {
		max = DefaultSQLiteReplaySize
	}
	if max < 1 {
		return nil, fail(0, -1, ErrConfig, nil, "replay store size %d", max)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fail(0, -1, ErrConfig, err, "replay store DSN")
	}
	tx, err := db.BeginTx(ctx, nil)
	if err == nil {
		defer tx.Rollback()
		// Instances starting together do not race on the catalog.
		_, err = tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(replayLock))
		for _, stmt := range replaySchemaPostgres {
			if err == nil {
				_, err = tx.ExecContext(ctx, stmt)
			}
		}
		if err == nil {
			err = tx.Commit()
		}
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("verifier: replay store schema: %w", err)
	}
	return &SQLReplayStore{db: db, max: max, pg: true}, nil
}

// OpenSQLiteReplayStore opens (creating if needed) the replay store at
// path, bounded to max entries (zero means DefaultSQLiteReplaySize).
func OpenSQLiteReplayStore(ctx context.Context, path string, max int) (*SQLReplayStore, error) {
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
	return &SQLReplayStore{db: db, max: max}, nil
}

// Close closes the database.
func (s *SQLReplayStore) Close() error { return s.db.Close() }

// q is query with PostgreSQL's $n placeholders when the store is one.
func (s *SQLReplayStore) q(query string) string {
	if !s.pg {
		return query
	}
	return sqldb.Rebind(query)
}

// Remember implements ReplayStore.
func (s *SQLReplayStore) Remember(ctx context.Context, key [32]byte, now, exp time.Time) (err error) {
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
	if s.pg {
		// Serialise with the other instances from here: the count row's
		// lock is held to the commit, and each later statement sees what
		// the ones before committed.
		if _, err := tx.ExecContext(ctx, `SELECT n FROM replay_count WHERE one = 1 FOR UPDATE`); err != nil {
			return fmt.Errorf("verifier: replay store: %w", err)
		}
	}
	res, err := tx.ExecContext(ctx, s.q(`DELETE FROM replay WHERE exp <= ?`), now.UnixNano())
	if err != nil {
		return fmt.Errorf("verifier: replay store: %w", err)
	}
	gone, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("verifier: replay store: %w", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.q(`UPDATE replay_count SET n = n - ? RETURNING n`), gone).Scan(&n); err != nil {
		return fmt.Errorf("verifier: replay store: %w", err)
	}
	var seen int64
	switch err := tx.QueryRowContext(ctx, s.q(`SELECT exp FROM replay WHERE key = ?`), key[:]).Scan(&seen); {
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
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO replay (key, exp) VALUES (?, ?)`), key[:], exp.UnixNano()); err != nil {
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
