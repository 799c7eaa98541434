package issuer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ikdkit/ikdkit/internal/sqldb"
)

// postgresBaseVersion is the schema version postgresMigrations[0] brings an
// empty PostgreSQL database to: the PostgreSQL store came with schema
// version 4, so a new database gets version 4's schema in one step, the
// same tables, constraints and triggers as migrations 1-4 of [OpenSQLite].
// postgresMigrations[i] (i > 0) brings it to version
// postgresBaseVersion+i: a migration appended to migrations (SQLite) is
// appended here too, so both stores have schema version [SchemaVersion].
// Never edit an applied migration.
const postgresBaseVersion = 4

var postgresMigrations = []string{
	// 4: the schema of SQLite version 4. Timestamps are Unix nanoseconds
	// (0 for "not yet"), lists of identifiers JSON text, as in SQLite.
	// ikdkit_refuse() raises the error of every trigger that guards an
	// invariant.
	`CREATE FUNCTION ikdkit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
	END $$;
	CREATE TABLE registrations (
		id TEXT PRIMARY KEY,
		nik TEXT NOT NULL,
		email TEXT NOT NULL,
		phone TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		confirmed_at BIGINT NOT NULL DEFAULT 0,
		confirmed_by TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX registrations_nik ON registrations(nik);
	CREATE TABLE nonces (
		hash BYTEA PRIMARY KEY,
		expires_at BIGINT NOT NULL
	);
	CREATE TABLE bindings (
		id TEXT PRIMARY KEY,
		nik TEXT NOT NULL,
		registration_id TEXT NOT NULL REFERENCES registrations(id),
		key_thumbprint TEXT NOT NULL,
		public_jwk BYTEA NOT NULL,
		state TEXT NOT NULL CHECK (state IN ('active', 'revoked')),
		created_at BIGINT NOT NULL,
		revoked_at BIGINT NOT NULL DEFAULT 0,
		revoke_reason TEXT NOT NULL DEFAULT ''
	);
	-- One NIK, one phone: at most one active binding per NIK.
	CREATE UNIQUE INDEX bindings_one_active ON bindings(nik) WHERE state = 'active';
	CREATE TABLE status_lists (
		number INTEGER PRIMARY KEY,
		uri TEXT NOT NULL UNIQUE,
		bits INTEGER NOT NULL,
		size INTEGER NOT NULL,
		created_at BIGINT NOT NULL
	);
	CREATE TABLE credentials (
		id TEXT PRIMARY KEY,
		binding_id TEXT NOT NULL REFERENCES bindings(id),
		vct TEXT NOT NULL,
		format TEXT NOT NULL,
		profile TEXT NOT NULL,
		list INTEGER NOT NULL REFERENCES status_lists(number),
		idx BIGINT NOT NULL,
		key_thumbprint TEXT NOT NULL,
		issued_at BIGINT NOT NULL,
		expires_at BIGINT NOT NULL,
		revoked_at BIGINT NOT NULL DEFAULT 0,
		claims BYTEA,
		UNIQUE (list, idx)
	);
	CREATE INDEX credentials_binding ON credentials(binding_id);
	-- A revocation is never undone, and credential records are kept.
	CREATE TRIGGER credentials_no_unrevoke BEFORE UPDATE OF revoked_at ON credentials FOR EACH ROW
		WHEN (OLD.revoked_at <> 0 AND NEW.revoked_at <> OLD.revoked_at)
		EXECUTE FUNCTION ikdkit_refuse('revocation cannot be undone');
	CREATE TRIGGER credentials_no_delete BEFORE DELETE ON credentials FOR EACH ROW
		EXECUTE FUNCTION ikdkit_refuse('credential records are kept');
	CREATE TRIGGER credentials_no_truncate BEFORE TRUNCATE ON credentials
		EXECUTE FUNCTION ikdkit_refuse('credential records are kept');
	-- The audit log is append-only, and its seq has no gaps: audit_seq's
	-- one row counts the events, and each is numbered by incrementing it
	-- in the transaction that appends it (a rolled-back append rolls the
	-- count back; two concurrent appends are serialized on the row).
	CREATE TABLE audit (
		seq BIGINT PRIMARY KEY CHECK (seq > 0),
		at BIGINT NOT NULL,
		actor TEXT NOT NULL,
		action TEXT NOT NULL,
		subject TEXT NOT NULL,
		outcome TEXT NOT NULL,
		detail TEXT NOT NULL
	);
	CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit FOR EACH ROW
		EXECUTE FUNCTION ikdkit_refuse('audit log is append-only');
	CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
		EXECUTE FUNCTION ikdkit_refuse('audit log is append-only');
	CREATE TABLE audit_seq (
		one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
		last BIGINT NOT NULL
	);
	INSERT INTO audit_seq (one, last) VALUES (TRUE, 0);
	CREATE TRIGGER audit_seq_step BEFORE UPDATE ON audit_seq FOR EACH ROW
		WHEN (NEW.last <> OLD.last + 1 OR NEW.one IS DISTINCT FROM OLD.one)
		EXECUTE FUNCTION ikdkit_refuse('the audit count only steps by one');
	CREATE TRIGGER audit_seq_no_delete BEFORE INSERT OR DELETE ON audit_seq FOR EACH ROW
		EXECUTE FUNCTION ikdkit_refuse('the audit count has one row');
	CREATE TRIGGER audit_seq_no_truncate BEFORE TRUNCATE ON audit_seq
		EXECUTE FUNCTION ikdkit_refuse('the audit count has one row');
	CREATE TABLE offers (
		id TEXT PRIMARY KEY,
		registration_id TEXT NOT NULL REFERENCES registrations(id),
		ref_hash BYTEA NOT NULL UNIQUE,
		code_hash BYTEA NOT NULL UNIQUE,
		tx_code_hash BYTEA NOT NULL,
		tx_code_length INTEGER NOT NULL,
		configuration_ids TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		expires_at BIGINT NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0,
		used_at BIGINT NOT NULL DEFAULT 0,
		ended_at BIGINT NOT NULL DEFAULT 0
	);
	CREATE INDEX offers_registration ON offers(registration_id);
	-- A pre-authorized code is used once (OpenID4VCI 1.0 §4.1.1).
	CREATE TRIGGER offers_single_use BEFORE UPDATE OF used_at ON offers FOR EACH ROW
		WHEN (OLD.used_at <> 0 AND NEW.used_at <> OLD.used_at)
		EXECUTE FUNCTION ikdkit_refuse('a pre-authorized code is used once');
	CREATE TABLE sessions (
		token_hash BYTEA PRIMARY KEY,
		id TEXT NOT NULL UNIQUE,
		-- One access token per offer; NULL for a session of the refresh
		-- token grant.
		offer_id TEXT UNIQUE REFERENCES offers(id),
		registration_id TEXT NOT NULL REFERENCES registrations(id),
		nik TEXT NOT NULL,
		jkt TEXT NOT NULL,
		configuration_ids TEXT NOT NULL,
		issued TEXT NOT NULL DEFAULT '[]',
		binding_id TEXT NOT NULL DEFAULT '',
		created_at BIGINT NOT NULL,
		expires_at BIGINT NOT NULL
	);
	CREATE TABLE binding_keys (
		binding_id TEXT NOT NULL REFERENCES bindings(id),
		thumbprint TEXT NOT NULL,
		public_jwk BYTEA NOT NULL,
		created_at BIGINT NOT NULL,
		PRIMARY KEY (binding_id, thumbprint)
	);
	CREATE TABLE dpop_jtis (
		hash BYTEA PRIMARY KEY,
		expires_at BIGINT NOT NULL
	);
	CREATE INDEX dpop_jtis_expiry ON dpop_jtis(expires_at);
	CREATE TABLE notifications (
		id TEXT PRIMARY KEY,
		session_id TEXT NOT NULL REFERENCES sessions(id),
		configuration_id TEXT NOT NULL,
		credential_ids TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		event TEXT NOT NULL DEFAULT '',
		event_at BIGINT NOT NULL DEFAULT 0,
		event_description TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE refresh_tokens (
		hash BYTEA PRIMARY KEY,
		id TEXT NOT NULL UNIQUE,
		family TEXT NOT NULL,
		session_id TEXT NOT NULL REFERENCES sessions(id),
		jkt TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		expires_at BIGINT NOT NULL,
		used_at BIGINT NOT NULL DEFAULT 0,
		revoked_at BIGINT NOT NULL DEFAULT 0
	);
	CREATE INDEX refresh_tokens_family ON refresh_tokens(family);
	-- A refresh token is exchanged once (rotation), and a revocation is
	-- never undone.
	CREATE TRIGGER refresh_tokens_single_use BEFORE UPDATE OF used_at ON refresh_tokens FOR EACH ROW
		WHEN (OLD.used_at <> 0 AND NEW.used_at <> OLD.used_at)
		EXECUTE FUNCTION ikdkit_refuse('a refresh token is used once');
	CREATE TRIGGER refresh_tokens_no_unrevoke BEFORE UPDATE OF revoked_at ON refresh_tokens FOR EACH ROW
		WHEN (OLD.revoked_at <> 0 AND NEW.revoked_at <> OLD.revoked_at)
		EXECUTE FUNCTION ikdkit_refuse('revocation cannot be undone');`,

	// 5: as SQLite's migration 5, status indices in the order of a
	// per-list sequence through a keyed permutation. The keys of the
	// lists there are are drawn by gen_random_uuid() (PostgreSQL 13,
	// 122 random bits from pg_strong_random).
	`ALTER TABLE status_lists ADD COLUMN perm_key BYTEA, ADD COLUMN reserved BIGINT NOT NULL DEFAULT 0;
	UPDATE status_lists SET perm_key = uuid_send(gen_random_uuid());
	ALTER TABLE status_lists ALTER COLUMN perm_key SET NOT NULL,
		ADD CONSTRAINT status_lists_reserved_range CHECK (reserved >= 0 AND reserved <= size);
	-- A list's key never changes, and its reservations never go back.
	CREATE TRIGGER status_lists_key_fixed BEFORE UPDATE OF perm_key ON status_lists FOR EACH ROW
		WHEN (NEW.perm_key <> OLD.perm_key)
		EXECUTE FUNCTION ikdkit_refuse('a status list keeps its key');
	CREATE TRIGGER status_lists_reserved_grows BEFORE UPDATE OF reserved ON status_lists FOR EACH ROW
		WHEN (NEW.reserved < OLD.reserved)
		EXECUTE FUNCTION ikdkit_refuse('status list reservations only grow');
	CREATE INDEX status_lists_open ON status_lists(number) WHERE reserved < size;
	ALTER TABLE credentials ADD COLUMN seq BIGINT CHECK (seq > 0),
		DROP CONSTRAINT credentials_list_idx_key,
		ADD CONSTRAINT credentials_list_seq_key UNIQUE (list, seq);
	CREATE UNIQUE INDEX credentials_legacy_idx ON credentials(list, idx) WHERE seq IS NULL;`,
}

// postgresMigrateLock is the key of the transaction-level advisory lock
// (scoped to the database) that serializes concurrent openers' migrations.
const postgresMigrateLock = 0x696b646b69745f31 // "ikdkit_1"

// PostgresStore is a [Store] on a PostgreSQL database (PostgreSQL 13 or
// later) through github.com/jackc/pgx/v5's connection pool. Every Update
// is a SERIALIZABLE transaction, retried from the start (fn runs again) when
// PostgreSQL reports a serialization failure or a deadlock; View is a
// SERIALIZABLE READ ONLY transaction, retried alike. Several processes may
// share the database, as they may share a SQLite file.
//
// A statement that fails inside a transaction (other than the uniqueness
// conflicts the Tx methods report, which leave the transaction usable)
// aborts it in PostgreSQL: Update then returns that failure even if fn
// went on and returned nil, and nothing of the transaction is stored.
//
// InsertCredential also reports a record whose status list does not exist
// as a conflict (SQLite's foreign key refuses it as ErrStore): after a
// retry, a credential may still name a list that the failed attempt
// created, and the issuer then draws its index again from a list that
// exists.
type PostgresStore struct {
	pool     *pgxpool.Pool
	attempts int
}

var _ Store = (*PostgresStore)(nil)

// PostgresOption configures [OpenPostgres].
type PostgresOption func(*postgresOptions)

type postgresOptions struct {
	attempts int
	maxConns int32
}

// PostgresAttempts sets how many times Update and View run a transaction
// that keeps failing with a serialization failure or deadlock (SQLSTATE
// 40001, 40P01) before they give up with [ErrStore]; default 10, at least 1.
func PostgresAttempts(n int) PostgresOption {
	return func(o *postgresOptions) { o.attempts = max(n, 1) }
}

// PostgresMaxConns sets the size of the connection pool (pgxpool's
// default, the larger of 4 and the number of CPUs, when unset or below 1).
// A pool_max_conns parameter in the DSN is overridden.
func PostgresMaxConns(n int) PostgresOption {
	return func(o *postgresOptions) { o.maxConns = int32(n) }
}

// OpenPostgres connects to the PostgreSQL database of dsn (a postgres://
// URL or a keyword/value string, as pgx accepts) and applies pending schema
// migrations in one transaction, holding an advisory lock so that of two
// processes opening a new database at once one migrates and the other then
// finds it migrated. A database whose schema is newer than this package
// knows is refused.
func OpenPostgres(ctx context.Context, dsn string, opts ...PostgresOption) (*PostgresStore, error) {
	o := postgresOptions{attempts: 10}
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The parse error may quote the password; say only what failed.
		return nil, errorf("open", ErrConfig, "bad PostgreSQL DSN")
	}
	if o.maxConns > 0 {
		cfg.MaxConns = o.maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrapStore("open", err)
	}
	s := &PostgresStore{pool: pool, attempts: o.attempts}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

func (s *PostgresStore) migrate(ctx context.Context) error {
	// READ COMMITTED: each statement after the lock sees what a migration
	// committed while this opener waited for it.
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return wrapStore("migrate", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(postgresMigrateLock)); err != nil {
		return wrapStore("migrate", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
		version INTEGER NOT NULL
	)`); err != nil {
		return wrapStore("migrate", err)
	}
	v := 0
	err = tx.QueryRow(ctx, "SELECT version FROM schema_version").Scan(&v)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return wrapStore("migrate", err)
	}
	if v > SchemaVersion {
		return errorf("migrate", ErrStore, "database schema version %d is newer than this package (%d)", v, SchemaVersion)
	}
	if v != 0 && v < postgresBaseVersion {
		return errorf("migrate", ErrStore, "PostgreSQL database at schema version %d, below the first PostgreSQL schema (%d)", v, postgresBaseVersion)
	}
	if v == SchemaVersion {
		return nil
	}
	first := 0
	if v != 0 {
		first = v - postgresBaseVersion + 1
	}
	for i := first; i < len(postgresMigrations); i++ {
		if _, err := tx.Exec(ctx, postgresMigrations[i]); err != nil {
			return errorf("migrate", ErrStore, "migration %d: %v", postgresBaseVersion+i, err)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_version (one, version) VALUES (TRUE, $1)
		ON CONFLICT (one) DO UPDATE SET version = EXCLUDED.version`, SchemaVersion); err != nil {
		return wrapStore("migrate", err)
	}
	return wrapStore("migrate", tx.Commit(ctx))
}

// Version returns the schema version of the open database.
func (s *PostgresStore) Version(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, "SELECT version FROM schema_version").Scan(&v)
	return v, wrapStore("version", err)
}

// Close closes the connection pool.
func (s *PostgresStore) Close() error {
	s.pool.Close()
	return nil
}

// Update implements Store.
func (s *PostgresStore) Update(ctx context.Context, fn func(Tx) error) error {
	return s.run(ctx, pgx.ReadWrite, fn)
}

// View implements Store.
func (s *PostgresStore) View(ctx context.Context, fn func(Tx) error) error {
	return s.run(ctx, pgx.ReadOnly, fn)
}

// run runs fn in a SERIALIZABLE transaction, again from the start after a
// serialization failure or deadlock, at most s.attempts times, waiting a
// jittered, doubling backoff between attempts.
func (s *PostgresStore) run(ctx context.Context, mode pgx.TxAccessMode, fn func(Tx) error) error {
	backoff := 2 * time.Millisecond
	for attempt := 1; ; attempt++ {
		retry, err := s.try(ctx, mode, fn)
		if !retry {
			return err
		}
		if attempt >= s.attempts {
			return &Error{Op: "commit", Err: ErrStore, Detail: fmt.Sprintf("still a serialization failure after %d attempts: %v", attempt, err)}
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		backoff = min(2*backoff, 250*time.Millisecond)
		select {
		case <-ctx.Done():
			return wrapStore("begin", ctx.Err())
		case <-time.After(wait):
		}
	}
}

// try runs fn in one transaction; retry reports a serialization failure or
// deadlock, after which the transaction has been rolled back.
func (s *PostgresStore) try(ctx context.Context, mode pgx.TxAccessMode, fn func(Tx) error) (retry bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, wrapStore("begin", err)
	}
	defer conn.Release()
	if mode == pgx.ReadWrite {
		// Writers queue here, on every instance, before their snapshot
		// is taken: each appends to the audit log's one gapless sequence
		// (audit_seq), and SERIALIZABLE writers that took their
		// snapshots together fail on that row, however often they are
		// retried (TestSharedStoreManyWriters, BenchmarkScaleInstances).
		// Queued, they do not conflict; the signing happens before the
		// transaction, so the queue holds only the writes. A session
		// lock, released after the commit or rollback (and by the server
		// if the connection dies).
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, writerLock); err != nil {
			return false, wrapStore("begin", err)
		}
		defer func() {
			// A fresh context: the caller's may be done, and a lock left
			// on a pooled connection would block every writer.
			uctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, uerr := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, writerLock); uerr != nil {
				conn.Conn().Close(uctx) // the server drops the lock with the session
			}
		}()
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable, AccessMode: mode})
	if err != nil {
		return isSerializationFailure(err), wrapStore("begin", err)
	}
	// Rolls back if fn panics; a no-op after Commit or Rollback.
	defer tx.Rollback(ctx)
	t := &pgTx{ctx: ctx, tx: tx}
	ferr := fn(t)
	if ferr != nil || t.failed != nil || mode == pgx.ReadOnly {
		tx.Rollback(ctx)
		switch {
		case t.retry:
			return true, t.failed
		case ferr != nil:
			return false, ferr
		case t.failed != nil:
			// fn went on after a failed statement; PostgreSQL aborted
			// the transaction there.
			return false, t.failed
		}
		return false, nil
	}
	if err := tx.Commit(ctx); err != nil {
		return isSerializationFailure(err), pgErr("commit", err)
	}
	return false, nil
}

// writerLock is the advisory lock key of the writers' queue ("ikdissuw").
const writerLock int64 = 0x696b646973737577

func isSerializationFailure(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// pgErr maps a pgx error to this package's errors: ErrNotFound for no
// row, a conflict for a uniqueness violation (as storeErr does for
// SQLite), ErrStore otherwise.
func pgErr(op string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return &Error{Op: op, Err: ErrNotFound}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return &Error{Op: op, Err: ErrStore, Detail: err.Error(), conflict: true}
	}
	return &Error{Op: op, Err: ErrStore, Detail: err.Error()}
}

type pgTx struct {
	ctx context.Context
	tx  pgx.Tx
	// failed is the first statement failure (not ErrNoRows): PostgreSQL
	// aborted the transaction there. retry is set if it was a
	// serialization failure or deadlock.
	failed error
	retry  bool
}

// err maps err (from a statement of t) with pgErr, noting a failure that
// aborted the transaction.
func (t *pgTx) err(op string, err error) error {
	if err == nil {
		return nil
	}
	e := pgErr(op, err)
	if !errors.Is(err, pgx.ErrNoRows) && t.failed == nil {
		t.failed = e
		t.retry = isSerializationFailure(err)
	}
	return e
}

func (t *pgTx) exec(op, q string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(t.ctx, q, args...)
	if err != nil {
		return 0, t.err(op, err)
	}
	return tag.RowsAffected(), nil
}

// one runs a statement that must change exactly one row.
func (t *pgTx) one(op, q string, args ...any) error {
	n, err := t.exec(op, q, args...)
	if err != nil {
		return err
	}
	if n != 1 {
		return &Error{Op: op, Err: ErrNotFound}
	}
	return nil
}

// insert runs an INSERT ... ON CONFLICT DO NOTHING, reporting a conflict
// when it inserted nothing. The transaction stays usable, as after a
// refused INSERT in SQLite.
func (t *pgTx) insert(op, what, q string, args ...any) error {
	n, err := t.exec(op, q, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return &Error{Op: op, Err: ErrStore, Detail: what, conflict: true}
	}
	return nil
}

func (t *pgTx) InsertRegistration(r *Registration) error {
	return t.insert("insert registration", "registration ID taken",
		`INSERT INTO registrations (id, nik, email, phone, created_at, confirmed_at, confirmed_by) VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING`,
		r.ID, r.NIK, r.Email, r.Phone, ts(r.CreatedAt), ts(r.ConfirmedAt), r.ConfirmedBy)
}

func (t *pgTx) Registration(id string) (*Registration, error) {
	var r Registration
	var c, cf int64
	err := t.tx.QueryRow(t.ctx, `SELECT id, nik, email, phone, created_at, confirmed_at, confirmed_by FROM registrations WHERE id = $1`, id).
		Scan(&r.ID, &r.NIK, &r.Email, &r.Phone, &c, &cf, &r.ConfirmedBy)
	if err != nil {
		return nil, t.err("registration", err)
	}
	r.CreatedAt, r.ConfirmedAt = fromTS(c), fromTS(cf)
	return &r, nil
}

func (t *pgTx) UpdateRegistration(r *Registration) error {
	return t.one("update registration", `UPDATE registrations SET confirmed_at = $1, confirmed_by = $2 WHERE id = $3`, ts(r.ConfirmedAt), r.ConfirmedBy, r.ID)
}

func (t *pgTx) InsertNonce(hash []byte, expires time.Time) error {
	return t.insert("insert nonce", "nonce taken", `INSERT INTO nonces (hash, expires_at) VALUES ($1,$2) ON CONFLICT DO NOTHING`, hash, ts(expires))
}

func (t *pgTx) ConsumeNonce(hash []byte) (time.Time, error) {
	var ex int64
	if err := t.tx.QueryRow(t.ctx, `DELETE FROM nonces WHERE hash = $1 RETURNING expires_at`, hash).Scan(&ex); err != nil {
		return time.Time{}, t.err("consume nonce", err)
	}
	return fromTS(ex), nil
}

func (t *pgTx) DeleteExpiredNonces(at time.Time) error {
	_, err := t.exec("delete nonces", `DELETE FROM nonces WHERE expires_at < $1`, ts(at))
	return err
}

func (t *pgTx) InsertBinding(b *Binding) error {
	return t.insert("insert binding", "binding ID taken, or the NIK has an active binding",
		`INSERT INTO bindings (id, nik, registration_id, key_thumbprint, public_jwk, state, created_at, revoked_at, revoke_reason) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT DO NOTHING`,
		b.ID, b.NIK, b.RegistrationID, b.KeyThumbprint, b.PublicJWK, string(b.State), ts(b.CreatedAt), ts(b.RevokedAt), b.RevokeReason)
}

func (t *pgTx) binding(op, where, arg string) (*Binding, error) {
	var b Binding
	var st string
	var c, r int64
	err := t.tx.QueryRow(t.ctx, `SELECT `+bindingCols+` FROM bindings WHERE `+where, arg).
		Scan(&b.ID, &b.NIK, &b.RegistrationID, &b.KeyThumbprint, &b.PublicJWK, &st, &c, &r, &b.RevokeReason)
	if err != nil {
		return nil, t.err(op, err)
	}
	b.State, b.CreatedAt, b.RevokedAt = BindingState(st), fromTS(c), fromTS(r)
	return &b, nil
}

func (t *pgTx) Binding(id string) (*Binding, error) {
	return t.binding("binding", "id = $1", id)
}

func (t *pgTx) ActiveBinding(nik string) (*Binding, error) {
	return t.binding("active binding", "nik = $1 AND state = 'active'", nik)
}

func (t *pgTx) RevokeBinding(id string, at time.Time, reason string) error {
	return t.one("revoke binding", `UPDATE bindings SET state = 'revoked', revoked_at = $1, revoke_reason = $2 WHERE id = $3 AND state = 'active'`, ts(at), reason, id)
}

func (t *pgTx) StatusLists() ([]StatusListRecord, error) {
	return t.statusLists(`SELECT ` + listCols + ` FROM status_lists ORDER BY number`)
}

func (t *pgTx) OpenStatusLists() ([]StatusListRecord, int, error) {
	var last int
	if err := t.tx.QueryRow(t.ctx, `SELECT COALESCE(MAX(number), 0) FROM status_lists`).Scan(&last); err != nil {
		return nil, 0, t.err("status lists", err)
	}
	open, err := t.statusLists(`SELECT ` + listCols + ` FROM status_lists WHERE reserved < size ORDER BY number`)
	return open, last, err
}

func (t *pgTx) statusLists(q string) ([]StatusListRecord, error) {
	rows, err := t.tx.Query(t.ctx, q)
	if err != nil {
		return nil, t.err("status lists", err)
	}
	defer rows.Close()
	var out []StatusListRecord
	for rows.Next() {
		var l StatusListRecord
		var c, r int64
		if err := rows.Scan(&l.Number, &l.URI, &l.Bits, &l.Size, &c, &l.Key, &r); err != nil {
			return nil, t.err("status lists", err)
		}
		l.CreatedAt, l.Reserved = fromTS(c), uint64(r)
		out = append(out, l)
	}
	return out, t.err("status lists", rows.Err())
}

func (t *pgTx) InsertStatusList(l StatusListRecord) error {
	var last int
	if err := t.tx.QueryRow(t.ctx, `SELECT COALESCE(MAX(number), 0) FROM status_lists`).Scan(&last); err != nil {
		return t.err("insert status list", err)
	}
	if l.Number != last+1 {
		return &Error{Op: "insert status list", Err: ErrStore, Detail: fmt.Sprintf("list number %d after %d", l.Number, last), conflict: true}
	}
	if err := checkListRecord(l); err != nil {
		return err
	}
	return t.insert("insert status list", "list number or URI taken",
		`INSERT INTO status_lists (number, uri, bits, size, created_at, perm_key, reserved) VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING`,
		l.Number, l.URI, l.Bits, l.Size, ts(l.CreatedAt), l.Key, int64(l.Reserved))
}

func (t *pgTx) ReserveSequence(list int, n int) (uint64, int, error) {
	var reserved, size int64
	err := t.tx.QueryRow(t.ctx, `SELECT reserved, size FROM status_lists WHERE number = $1 FOR UPDATE`, list).Scan(&reserved, &size)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, &Error{Op: "reserve sequence", Err: ErrNotFound}
	} else if err != nil {
		return 0, 0, t.err("reserve sequence", err)
	}
	count := min(int64(max(n, 0)), size-reserved)
	if count <= 0 {
		return uint64(reserved), 0, nil
	}
	err = t.one("reserve sequence", `UPDATE status_lists SET reserved = $1 WHERE number = $2`, reserved+count, list)
	return uint64(reserved), int(count), err
}

func (t *pgTx) indices(op, q string, list int) ([]uint64, error) {
	rows, err := t.tx.Query(t.ctx, q, list)
	if err != nil {
		return nil, t.err(op, err)
	}
	defer rows.Close()
	var out []uint64
	for rows.Next() {
		var i int64
		if err := rows.Scan(&i); err != nil {
			return nil, t.err(op, err)
		}
		out = append(out, uint64(i))
	}
	return out, t.err(op, rows.Err())
}

func (t *pgTx) LegacyIndices(list int) ([]uint64, error) {
	return t.indices("legacy indices", `SELECT idx FROM credentials WHERE list = $1 AND seq IS NULL`, list)
}

func (t *pgTx) RevokedIndices(list int) ([]uint64, error) {
	return t.indices("revoked indices", `SELECT idx FROM credentials WHERE list = $1 AND revoked_at <> 0`, list)
}

// InsertCredential reports a conflict, as for a taken (list, idx) or ID,
// when the status list does not exist: an Update that created the list
// and then failed with a serialization failure runs again without it, and
// the caller then draws an index from a list that exists (see
// Issuer.record). In SQLite, which never runs an Update twice, the foreign
// key refuses such a record.
func (t *pgTx) InsertCredential(c *CredentialRecord) error {
	return t.insert("insert credential", "status index or record ID taken, or no such status list",
		`INSERT INTO credentials (id, binding_id, vct, format, profile, list, idx, key_thumbprint, issued_at, expires_at, revoked_at, claims, seq)
		SELECT $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13 WHERE EXISTS (SELECT 1 FROM status_lists WHERE number = $6)
		ON CONFLICT DO NOTHING`,
		c.ID, c.BindingID, c.VCT, string(c.Format), string(c.Profile), c.List, int64(c.Index), c.KeyThumbprint, ts(c.IssuedAt), ts(c.ExpiresAt), ts(c.RevokedAt), c.Claims, seqValue(c.Seq))
}

func (t *pgTx) credentials(op, where, arg string) ([]CredentialRecord, error) {
	rows, err := t.tx.Query(t.ctx, `SELECT `+credentialCols+` FROM credentials WHERE `+where, arg)
	if err != nil {
		return nil, t.err(op, err)
	}
	defer rows.Close()
	var out []CredentialRecord
	for rows.Next() {
		c, err := scanCredential(rows)
		if err != nil {
			return nil, t.err(op, err)
		}
		out = append(out, *c)
	}
	return out, t.err(op, rows.Err())
}

func (t *pgTx) Credential(id string) (*CredentialRecord, error) {
	l, err := t.credentials("credential", "id = $1", id)
	if err != nil {
		return nil, err
	}
	if len(l) == 0 {
		return nil, &Error{Op: "credential", Err: ErrNotFound}
	}
	return &l[0], nil
}

func (t *pgTx) CredentialsOfBinding(bindingID string) ([]CredentialRecord, error) {
	return t.credentials("credentials", "binding_id = $1 ORDER BY issued_at, id", bindingID)
}

func (t *pgTx) RevokeCredentialsOfBinding(bindingID string, at time.Time) (int, error) {
	n, err := t.exec("revoke credentials", `UPDATE credentials SET revoked_at = $1 WHERE binding_id = $2 AND revoked_at = 0`, ts(at), bindingID)
	return int(n), err
}

func (t *pgTx) RevokeCredential(id string, at time.Time) (bool, error) {
	if _, err := t.Credential(id); err != nil {
		return false, err
	}
	n, err := t.exec("revoke credential", `UPDATE credentials SET revoked_at = $1 WHERE id = $2 AND revoked_at = 0`, ts(at), id)
	return n == 1, err
}

func (t *pgTx) AppendAudit(e *AuditEvent) error {
	var seq int64
	err := t.tx.QueryRow(t.ctx, `WITH n AS (UPDATE audit_seq SET last = last + 1 RETURNING last)
		INSERT INTO audit (seq, at, actor, action, subject, outcome, detail) SELECT last, $1, $2, $3, $4, $5, $6 FROM n RETURNING seq`,
		ts(e.At), e.Actor, e.Action, e.Subject, e.Outcome, e.Detail).Scan(&seq)
	if err != nil {
		return t.err("append audit", err)
	}
	e.Seq = seq
	return nil
}

func (t *pgTx) Audit(after int64, limit int) ([]AuditEvent, error) {
	var lim any = limit
	if limit < 0 { // as SQLite's LIMIT -1: no limit
		lim = nil
	}
	rows, err := t.tx.Query(t.ctx, `SELECT seq, at, actor, action, subject, outcome, detail FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2`, after, lim)
	if err != nil {
		return nil, t.err("audit", err)
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		var e AuditEvent
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Subject, &e.Outcome, &e.Detail); err != nil {
			return nil, t.err("audit", err)
		}
		e.At = fromTS(at)
		out = append(out, e)
	}
	return out, t.err("audit", rows.Err())
}

func (t *pgTx) InsertOffer(o *OfferRecord) error {
	return t.insert("insert offer", "offer ID, reference or code taken",
		`INSERT INTO offers (id, registration_id, ref_hash, code_hash, tx_code_hash, tx_code_length, configuration_ids, created_at, expires_at, attempts, used_at, ended_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT DO NOTHING`,
		o.ID, o.RegistrationID, o.RefHash, o.CodeHash, o.TxCodeHash, o.TxCodeLength, jsonList(o.ConfigurationIDs), ts(o.CreatedAt), ts(o.ExpiresAt), o.Attempts, ts(o.UsedAt), ts(o.EndedAt))
}

func (t *pgTx) offer(where string, arg []byte) (*OfferRecord, error) {
	const op = "offer"
	var o OfferRecord
	var ids string
	var cr, ex, used, ended int64
	err := t.tx.QueryRow(t.ctx, `SELECT `+offerCols+` FROM offers WHERE `+where+` = $1`, arg).
		Scan(&o.ID, &o.RegistrationID, &o.RefHash, &o.CodeHash, &o.TxCodeHash, &o.TxCodeLength, &ids, &cr, &ex, &o.Attempts, &used, &ended)
	if err != nil {
		return nil, t.err(op, err)
	}
	if o.ConfigurationIDs, err = parseList(op, ids); err != nil {
		return nil, err
	}
	o.CreatedAt, o.ExpiresAt, o.UsedAt, o.EndedAt = fromTS(cr), fromTS(ex), fromTS(used), fromTS(ended)
	return &o, nil
}

func (t *pgTx) OfferByCode(codeHash []byte) (*OfferRecord, error) {
	return t.offer("code_hash", codeHash)
}

func (t *pgTx) OfferByRef(refHash []byte) (*OfferRecord, error) {
	return t.offer("ref_hash", refHash)
}

func (t *pgTx) UpdateOffer(o *OfferRecord) error {
	return t.one("update offer", `UPDATE offers SET attempts = $1, used_at = $2, ended_at = $3 WHERE id = $4`, o.Attempts, ts(o.UsedAt), ts(o.EndedAt), o.ID)
}

func (t *pgTx) EndOffers(registrationID string, at time.Time) (int, error) {
	n, err := t.exec("end offers", `UPDATE offers SET ended_at = $1 WHERE registration_id = $2 AND used_at = 0 AND ended_at = 0`, ts(at), registrationID)
	return int(n), err
}

func (t *pgTx) InsertSession(s *Session) error {
	// A session of the refresh token grant has no offer: NULL, which
	// UNIQUE (offer_id) allows more than once.
	var offer *string
	if s.OfferID != "" {
		offer = &s.OfferID
	}
	return t.insert("insert session", "token, session ID or offer taken",
		`INSERT INTO sessions (token_hash, id, offer_id, registration_id, nik, jkt, configuration_ids, issued, binding_id, created_at, expires_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT DO NOTHING`,
		s.TokenHash, s.ID, offer, s.RegistrationID, s.NIK, s.JKT, jsonList(s.ConfigurationIDs), jsonList(s.Issued), s.BindingID, ts(s.CreatedAt), ts(s.ExpiresAt))
}

func (t *pgTx) Session(tokenHash []byte) (*Session, error) {
	return t.session("token_hash", tokenHash)
}

func (t *pgTx) SessionByID(id string) (*Session, error) {
	return t.session("id", id)
}

func (t *pgTx) session(where string, arg any) (*Session, error) {
	var s Session
	var ids, issued string
	var offer *string
	var cr, ex int64
	err := t.tx.QueryRow(t.ctx, `SELECT token_hash, id, offer_id, registration_id, nik, jkt, configuration_ids, issued, binding_id, created_at, expires_at FROM sessions WHERE `+where+` = $1`, arg).
		Scan(&s.TokenHash, &s.ID, &offer, &s.RegistrationID, &s.NIK, &s.JKT, &ids, &issued, &s.BindingID, &cr, &ex)
	if err != nil {
		return nil, t.err("session", err)
	}
	if offer != nil {
		s.OfferID = *offer
	}
	if s.ConfigurationIDs, err = parseList("session", ids); err != nil {
		return nil, err
	}
	if s.Issued, err = parseList("session", issued); err != nil {
		return nil, err
	}
	s.CreatedAt, s.ExpiresAt = fromTS(cr), fromTS(ex)
	return &s, nil
}

func (t *pgTx) UpdateSession(s *Session) error {
	return t.one("update session", `UPDATE sessions SET issued = $1, binding_id = $2 WHERE token_hash = $3`, jsonList(s.Issued), s.BindingID, s.TokenHash)
}

func (t *pgTx) InsertRefreshToken(r *RefreshTokenRecord) error {
	return t.insert("insert refresh token", "refresh token or its ID taken",
		`INSERT INTO refresh_tokens (hash, id, family, session_id, jkt, created_at, expires_at, used_at, revoked_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT DO NOTHING`,
		r.Hash, r.ID, r.Family, r.SessionID, r.JKT, ts(r.CreatedAt), ts(r.ExpiresAt), ts(r.UsedAt), ts(r.RevokedAt))
}

func (t *pgTx) RefreshToken(hash []byte) (*RefreshTokenRecord, error) {
	var r RefreshTokenRecord
	var cr, ex, used, rv int64
	err := t.tx.QueryRow(t.ctx, `SELECT hash, id, family, session_id, jkt, created_at, expires_at, used_at, revoked_at FROM refresh_tokens WHERE hash = $1`, hash).
		Scan(&r.Hash, &r.ID, &r.Family, &r.SessionID, &r.JKT, &cr, &ex, &used, &rv)
	if err != nil {
		return nil, t.err("refresh token", err)
	}
	r.CreatedAt, r.ExpiresAt, r.UsedAt, r.RevokedAt = fromTS(cr), fromTS(ex), fromTS(used), fromTS(rv)
	return &r, nil
}

func (t *pgTx) UseRefreshToken(hash []byte, at time.Time) error {
	return t.one("use refresh token", `UPDATE refresh_tokens SET used_at = $1 WHERE hash = $2 AND used_at = 0`, ts(at), hash)
}

func (t *pgTx) RevokeRefreshTokens(family string, at time.Time) (int, error) {
	n, err := t.exec("revoke refresh tokens", `UPDATE refresh_tokens SET revoked_at = $1 WHERE family = $2 AND revoked_at = 0`, ts(at), family)
	return int(n), err
}

func (t *pgTx) InsertBindingKey(k *BindingKey) error {
	_, err := t.exec("insert binding key", `INSERT INTO binding_keys (binding_id, thumbprint, public_jwk, created_at) VALUES ($1,$2,$3,$4) ON CONFLICT (binding_id, thumbprint) DO NOTHING`,
		k.BindingID, k.Thumbprint, k.PublicJWK, ts(k.CreatedAt))
	return err
}

func (t *pgTx) BindingKey(bindingID, thumbprint string) (*BindingKey, error) {
	var k BindingKey
	var cr int64
	err := t.tx.QueryRow(t.ctx, `SELECT binding_id, thumbprint, public_jwk, created_at FROM binding_keys WHERE binding_id = $1 AND thumbprint = $2`, bindingID, thumbprint).
		Scan(&k.BindingID, &k.Thumbprint, &k.PublicJWK, &cr)
	if err != nil {
		return nil, t.err("binding key", err)
	}
	k.CreatedAt = fromTS(cr)
	return &k, nil
}

func (t *pgTx) UseDPoPJTI(hash []byte, now, expires time.Time) (bool, error) {
	if _, err := t.exec("dpop jti", `DELETE FROM dpop_jtis WHERE expires_at < $1`, ts(now)); err != nil {
		return false, err
	}
	n, err := t.exec("dpop jti", `INSERT INTO dpop_jtis (hash, expires_at) VALUES ($1,$2) ON CONFLICT (hash) DO NOTHING`, hash, ts(expires))
	return n == 1, err
}

func (t *pgTx) InsertNotification(n *NotificationRecord) error {
	return t.insert("insert notification", "notification ID taken",
		`INSERT INTO notifications (id, session_id, configuration_id, credential_ids, created_at, event, event_at, event_description) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT DO NOTHING`,
		n.ID, n.SessionID, n.ConfigurationID, jsonList(n.CredentialIDs), ts(n.CreatedAt), n.Event, ts(n.EventAt), n.EventDescription)
}

func (t *pgTx) Notification(id string) (*NotificationRecord, error) {
	var n NotificationRecord
	var ids string
	var cr, at int64
	err := t.tx.QueryRow(t.ctx, `SELECT id, session_id, configuration_id, credential_ids, created_at, event, event_at, event_description FROM notifications WHERE id = $1`, id).
		Scan(&n.ID, &n.SessionID, &n.ConfigurationID, &ids, &cr, &n.Event, &at, &n.EventDescription)
	if err != nil {
		return nil, t.err("notification", err)
	}
	if n.CredentialIDs, err = parseList("notification", ids); err != nil {
		return nil, err
	}
	n.CreatedAt, n.EventAt = fromTS(cr), fromTS(at)
	return &n, nil
}

func (t *pgTx) UpdateNotification(n *NotificationRecord) error {
	return t.one("update notification", `UPDATE notifications SET event = $1, event_at = $2, event_description = $3 WHERE id = $4`, n.Event, ts(n.EventAt), n.EventDescription, n.ID)
}

// OpenStore opens the store named by dsn: a postgres:// or postgresql://
// URL opens PostgreSQL ([OpenPostgres]); anything else is the path of a
// SQLite file ([OpenSQLite], the default).
func OpenStore(ctx context.Context, dsn string) (Store, error) {
	if sqldb.IsPostgres(dsn) {
		return OpenPostgres(ctx, dsn)
	}
	return OpenSQLite(ctx, dsn)
}
