package issuer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ikdkit/ikdkit/credential"
)

// migrations are applied in order; the schema version is their count. Never
// edit an applied migration: append a new one, here and, in PostgreSQL's
// SQL, to postgresMigrations (postgres.go), whose first entry creates the
// schema of version 4 at once.
var migrations = []string{
	// 1: initial schema.
	`CREATE TABLE registrations (
		id TEXT PRIMARY KEY,
		nik TEXT NOT NULL,
		email TEXT NOT NULL,
		phone TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		confirmed_at INTEGER NOT NULL DEFAULT 0,
		confirmed_by TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX registrations_nik ON registrations(nik);
	CREATE TABLE activation_codes (
		registration_id TEXT PRIMARY KEY REFERENCES registrations(id),
		hash BLOB NOT NULL,
		created_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0,
		used_at INTEGER NOT NULL DEFAULT 0
	);
	CREATE TABLE nonces (
		hash BLOB PRIMARY KEY,
		expires_at INTEGER NOT NULL
	);
	CREATE TABLE bindings (
		id TEXT PRIMARY KEY,
		nik TEXT NOT NULL,
		registration_id TEXT NOT NULL REFERENCES registrations(id),
		key_thumbprint TEXT NOT NULL,
		public_jwk BLOB NOT NULL,
		state TEXT NOT NULL CHECK (state IN ('active', 'revoked')),
		created_at INTEGER NOT NULL,
		revoked_at INTEGER NOT NULL DEFAULT 0,
		revoke_reason TEXT NOT NULL DEFAULT ''
	);
	-- One NIK, one phone: at most one active binding per NIK.
	CREATE UNIQUE INDEX bindings_one_active ON bindings(nik) WHERE state = 'active';
	CREATE TABLE status_lists (
		number INTEGER PRIMARY KEY,
		uri TEXT NOT NULL UNIQUE,
		bits INTEGER NOT NULL,
		size INTEGER NOT NULL,
		created_at INTEGER NOT NULL
	);
	CREATE TABLE credentials (
		id TEXT PRIMARY KEY,
		binding_id TEXT NOT NULL REFERENCES bindings(id),
		vct TEXT NOT NULL,
		format TEXT NOT NULL,
		profile TEXT NOT NULL,
		list INTEGER NOT NULL REFERENCES status_lists(number),
		idx INTEGER NOT NULL,
		key_thumbprint TEXT NOT NULL,
		issued_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL,
		revoked_at INTEGER NOT NULL DEFAULT 0,
		claims BLOB,
		UNIQUE (list, idx)
	);
	CREATE INDEX credentials_binding ON credentials(binding_id);
	CREATE TABLE audit (
		seq INTEGER PRIMARY KEY AUTOINCREMENT,
		at INTEGER NOT NULL,
		actor TEXT NOT NULL,
		action TEXT NOT NULL,
		subject TEXT NOT NULL,
		outcome TEXT NOT NULL,
		detail TEXT NOT NULL
	);
	-- The audit log is append-only.
	CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
	CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
	-- A revocation is never undone.
	CREATE TRIGGER credentials_no_unrevoke BEFORE UPDATE OF revoked_at ON credentials
		WHEN OLD.revoked_at != 0 AND NEW.revoked_at != OLD.revoked_at
		BEGIN SELECT RAISE(ABORT, 'revocation cannot be undone'); END;
	CREATE TRIGGER credentials_no_delete BEFORE DELETE ON credentials BEGIN SELECT RAISE(ABORT, 'credential records are kept'); END;`,

	// 2: OpenID4VCI 1.0 issuance: credential offers with their
	// pre-authorized code and tx_code (hashes only) and tx_code attempts,
	// activation sessions (access tokens, hashed), the further keys of a
	// binding, DPoP jti values seen, notifications.
	`CREATE TABLE offers (
		id TEXT PRIMARY KEY,
		registration_id TEXT NOT NULL REFERENCES registrations(id),
		ref_hash BLOB NOT NULL UNIQUE,
		code_hash BLOB NOT NULL UNIQUE,
		tx_code_hash BLOB NOT NULL,
		tx_code_length INTEGER NOT NULL,
		configuration_ids TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0,
		used_at INTEGER NOT NULL DEFAULT 0,
		ended_at INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX offers_registration ON offers(registration_id);
	-- A pre-authorized code is used once (OpenID4VCI 1.0 §4.1.1).
	CREATE TRIGGER offers_single_use BEFORE UPDATE OF used_at ON offers
		WHEN OLD.used_at != 0 AND NEW.used_at != OLD.used_at
		BEGIN SELECT RAISE(ABORT, 'a pre-authorized code is used once'); END;
	CREATE TABLE sessions (
		token_hash BLOB PRIMARY KEY,
		id TEXT NOT NULL UNIQUE,
		-- One access token per offer.
		offer_id TEXT NOT NULL UNIQUE REFERENCES offers(id),
		registration_id TEXT NOT NULL REFERENCES registrations(id),
		nik TEXT NOT NULL,
		jkt TEXT NOT NULL,
		configuration_ids TEXT NOT NULL,
		issued TEXT NOT NULL DEFAULT '[]',
		binding_id TEXT NOT NULL DEFAULT '',
		created_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL
	);
	CREATE TABLE binding_keys (
		binding_id TEXT NOT NULL REFERENCES bindings(id),
		thumbprint TEXT NOT NULL,
		public_jwk BLOB NOT NULL,
		created_at INTEGER NOT NULL,
		PRIMARY KEY (binding_id, thumbprint)
	);
	CREATE TABLE dpop_jtis (
		hash BLOB PRIMARY KEY,
		expires_at INTEGER NOT NULL
	);
	CREATE INDEX dpop_jtis_expiry ON dpop_jtis(expires_at);
	CREATE TABLE notifications (
		id TEXT PRIMARY KEY,
		session_id TEXT NOT NULL REFERENCES sessions(id),
		configuration_id TEXT NOT NULL,
		credential_ids TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		event TEXT NOT NULL DEFAULT '',
		event_at INTEGER NOT NULL DEFAULT 0,
		event_description TEXT NOT NULL DEFAULT ''
	);`,

	// 3: the activation code of migration 1 is gone: a confirmation makes
	// only the credential offer of migration 2, whose tx_code is the
	// activation PIN. Codes still stored are dropped with their table;
	// the offers made with them stay redeemable.
	`DROP TABLE activation_codes;`,

	// 4: the refresh token grant (RFC 6749 §6): refresh tokens, hashed,
	// single use, rotated in families, bound to the DPoP key of their
	// session; and sessions made by them, which have no offer, so
	// sessions is rebuilt with offer_id nullable (still one session per
	// offer). Foreign keys are deferred while the table is rebuilt: the
	// notifications of the old sessions find their sessions again before
	// the commit.
	`PRAGMA defer_foreign_keys = ON;
	CREATE TABLE sessions_v3 AS SELECT * FROM sessions;
	DROP TABLE sessions;
	CREATE TABLE sessions (
		token_hash BLOB PRIMARY KEY,
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
		created_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL
	);
	INSERT INTO sessions (token_hash, id, offer_id, registration_id, nik, jkt, configuration_ids, issued, binding_id, created_at, expires_at)
		SELECT token_hash, id, offer_id, registration_id, nik, jkt, configuration_ids, issued, binding_id, created_at, expires_at FROM sessions_v3;
	DROP TABLE sessions_v3;
	CREATE TABLE refresh_tokens (
		hash BLOB PRIMARY KEY,
		id TEXT NOT NULL UNIQUE,
		family TEXT NOT NULL,
		session_id TEXT NOT NULL REFERENCES sessions(id),
		jkt TEXT NOT NULL,
		created_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL,
		used_at INTEGER NOT NULL DEFAULT 0,
		revoked_at INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX refresh_tokens_family ON refresh_tokens(family);
	-- A refresh token is exchanged once (rotation), and a revocation is
	-- never undone.
	CREATE TRIGGER refresh_tokens_single_use BEFORE UPDATE OF used_at ON refresh_tokens
		WHEN OLD.used_at != 0 AND NEW.used_at != OLD.used_at
		BEGIN SELECT RAISE(ABORT, 'a refresh token is used once'); END;
	CREATE TRIGGER refresh_tokens_no_unrevoke BEFORE UPDATE OF revoked_at ON refresh_tokens
		WHEN OLD.revoked_at != 0 AND NEW.revoked_at != OLD.revoked_at
		BEGIN SELECT RAISE(ABORT, 'revocation cannot be undone'); END;`,

	// 5: status indices in the order of a per-list sequence through a
	// keyed permutation (StatusListRecord). A list gets its permutation
	// key and the count of positions reserved; a credential its
	// sequence number, NULL for those drawn at random before, whose
	// indices the sequence skips. The unique key moves from (list, idx),
	// written at random places, to (list, seq), written in order; the
	// indices of the older credentials stay unique among themselves.
	// SQLite cannot drop a table's constraint, so credentials is rebuilt
	// (with its triggers); the foreign keys are deferred meanwhile.
	`PRAGMA defer_foreign_keys = ON;
	ALTER TABLE status_lists ADD COLUMN perm_key BLOB NOT NULL DEFAULT x'';
	ALTER TABLE status_lists ADD COLUMN reserved INTEGER NOT NULL DEFAULT 0;
	UPDATE status_lists SET perm_key = randomblob(16);
	-- A list's key never changes, and its reservations never go back.
	CREATE TRIGGER status_lists_key_fixed BEFORE UPDATE OF perm_key ON status_lists
		WHEN NEW.perm_key != OLD.perm_key
		BEGIN SELECT RAISE(ABORT, 'a status list keeps its key'); END;
	CREATE TRIGGER status_lists_reserved_grows BEFORE UPDATE OF reserved ON status_lists
		WHEN NEW.reserved < OLD.reserved OR NEW.reserved > OLD.size
		BEGIN SELECT RAISE(ABORT, 'status list reservations only grow, up to the size'); END;
	-- The lists with positions left: what an issuer reserves from.
	CREATE INDEX status_lists_open ON status_lists(number) WHERE reserved < size;
	DROP TRIGGER credentials_no_unrevoke;
	DROP TRIGGER credentials_no_delete;
	CREATE TABLE credentials_v4 AS SELECT * FROM credentials;
	DROP TABLE credentials;
	CREATE TABLE credentials (
		id TEXT PRIMARY KEY,
		binding_id TEXT NOT NULL REFERENCES bindings(id),
		vct TEXT NOT NULL,
		format TEXT NOT NULL,
		profile TEXT NOT NULL,
		list INTEGER NOT NULL REFERENCES status_lists(number),
		idx INTEGER NOT NULL,
		key_thumbprint TEXT NOT NULL,
		issued_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL,
		revoked_at INTEGER NOT NULL DEFAULT 0,
		claims BLOB,
		seq INTEGER CHECK (seq > 0),
		UNIQUE (list, seq)
	);
	INSERT INTO credentials (id, binding_id, vct, format, profile, list, idx, key_thumbprint, issued_at, expires_at, revoked_at, claims)
		SELECT id, binding_id, vct, format, profile, list, idx, key_thumbprint, issued_at, expires_at, revoked_at, claims FROM credentials_v4;
	DROP TABLE credentials_v4;
	CREATE UNIQUE INDEX credentials_legacy_idx ON credentials(list, idx) WHERE seq IS NULL;
	CREATE INDEX credentials_binding ON credentials(binding_id);
	CREATE TRIGGER credentials_no_unrevoke BEFORE UPDATE OF revoked_at ON credentials
		WHEN OLD.revoked_at != 0 AND NEW.revoked_at != OLD.revoked_at
		BEGIN SELECT RAISE(ABORT, 'revocation cannot be undone'); END;
	CREATE TRIGGER credentials_no_delete BEFORE DELETE ON credentials BEGIN SELECT RAISE(ABORT, 'credential records are kept'); END;`,
}

// SchemaVersion is the schema version a store opened by this version of the
// package has (the number of migrations).
var SchemaVersion = len(migrations)

// SQLiteStore is the default [Store]: one SQLite file through the pure-Go
// driver modernc.org/sqlite (no cgo), in WAL mode with synchronous=FULL,
// every Update an IMMEDIATE transaction so writers are serialized.
type SQLiteStore struct {
	db *sql.DB
}

var _ Store = (*SQLiteStore)(nil)

// OpenSQLite opens (creating if needed) the SQLite database at path and
// applies pending schema migrations in one transaction. A database whose
// schema is newer than this package knows is refused.
func OpenSQLite(ctx context.Context, path string) (*SQLiteStore, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, errorf("open", ErrConfig, "bad database path %q", path)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, wrapStore("open", err)
	}
	s := &SQLiteStore{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *SQLiteStore) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return wrapStore("migrate", err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return wrapStore("migrate", err)
	}
	if v > len(migrations) {
		return errorf("migrate", ErrStore, "database schema version %d is newer than this package (%d)", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return errorf("migrate", ErrStore, "migration %d: %v", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations))); err != nil {
		return wrapStore("migrate", err)
	}
	return wrapStore("migrate", tx.Commit())
}

// Version returns the schema version of the open database.
func (s *SQLiteStore) Version(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, wrapStore("version", err)
}

// Close closes the database.
func (s *SQLiteStore) Close() error { return s.db.Close() }

// Update implements Store.
func (s *SQLiteStore) Update(ctx context.Context, fn func(Tx) error) error {
	return s.run(ctx, false, fn)
}

// View implements Store.
func (s *SQLiteStore) View(ctx context.Context, fn func(Tx) error) error {
	return s.run(ctx, true, fn)
}

func (s *SQLiteStore) run(ctx context.Context, readOnly bool, fn func(Tx) error) error {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly})
	if err != nil {
		return wrapStore("begin", err)
	}
	if err := fn(&sqliteTx{ctx: ctx, tx: tx}); err != nil {
		tx.Rollback()
		return err
	}
	if readOnly {
		return wrapStore("commit", tx.Rollback())
	}
	return wrapStore("commit", tx.Commit())
}

type sqliteTx struct {
	ctx   context.Context
	tx    *sql.Tx
	stmts map[string]*sql.Stmt // prepared once per transaction
}

// stmt returns q prepared in this transaction; the statements are closed
// when the transaction ends.
func (t *sqliteTx) stmt(q string) (*sql.Stmt, error) {
	if st, ok := t.stmts[q]; ok {
		return st, nil
	}
	st, err := t.tx.PrepareContext(t.ctx, q)
	if err != nil {
		return nil, err
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[q] = st
	return st, nil
}

func ts(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromTS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (t *sqliteTx) exec(op, q string, args ...any) (sql.Result, error) {
	st, err := t.stmt(q)
	if err != nil {
		return nil, storeErr(op, err)
	}
	r, err := st.ExecContext(t.ctx, args...)
	if err != nil {
		return nil, storeErr(op, err)
	}
	return r, nil
}

func storeErr(op string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return &Error{Op: op, Err: ErrNotFound}
	}
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		return &Error{Op: op, Err: ErrStore, Detail: err.Error(), conflict: true}
	}
	return &Error{Op: op, Err: ErrStore, Detail: err.Error()}
}

func (t *sqliteTx) InsertRegistration(r *Registration) error {
	_, err := t.exec("insert registration", `INSERT INTO registrations (id, nik, email, phone, created_at, confirmed_at, confirmed_by) VALUES (?,?,?,?,?,?,?)`,
		r.ID, r.NIK, r.Email, r.Phone, ts(r.CreatedAt), ts(r.ConfirmedAt), r.ConfirmedBy)
	return err
}

func (t *sqliteTx) Registration(id string) (*Registration, error) {
	var r Registration
	var c, cf int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT id, nik, email, phone, created_at, confirmed_at, confirmed_by FROM registrations WHERE id = ?`, id).
		Scan(&r.ID, &r.NIK, &r.Email, &r.Phone, &c, &cf, &r.ConfirmedBy)
	if err != nil {
		return nil, storeErr("registration", err)
	}
	r.CreatedAt, r.ConfirmedAt = fromTS(c), fromTS(cf)
	return &r, nil
}

func (t *sqliteTx) UpdateRegistration(r *Registration) error {
	return t.one("update registration", `UPDATE registrations SET confirmed_at = ?, confirmed_by = ? WHERE id = ?`, ts(r.ConfirmedAt), r.ConfirmedBy, r.ID)
}

// one runs a statement that must change exactly one row.
func (t *sqliteTx) one(op, q string, args ...any) error {
	res, err := t.exec(op, q, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return storeErr(op, err)
	}
	if n != 1 {
		return &Error{Op: op, Err: ErrNotFound}
	}
	return nil
}

func (t *sqliteTx) InsertNonce(hash []byte, expires time.Time) error {
	_, err := t.exec("insert nonce", `INSERT INTO nonces (hash, expires_at) VALUES (?,?)`, hash, ts(expires))
	return err
}

func (t *sqliteTx) ConsumeNonce(hash []byte) (time.Time, error) {
	var ex int64
	err := t.tx.QueryRowContext(t.ctx, `DELETE FROM nonces WHERE hash = ? RETURNING expires_at`, hash).Scan(&ex)
	if err != nil {
		return time.Time{}, storeErr("consume nonce", err)
	}
	return fromTS(ex), nil
}

func (t *sqliteTx) DeleteExpiredNonces(at time.Time) error {
	_, err := t.exec("delete nonces", `DELETE FROM nonces WHERE expires_at < ?`, ts(at))
	return err
}

func (t *sqliteTx) InsertBinding(b *Binding) error {
	_, err := t.exec("insert binding", `INSERT INTO bindings (id, nik, registration_id, key_thumbprint, public_jwk, state, created_at, revoked_at, revoke_reason) VALUES (?,?,?,?,?,?,?,?,?)`,
		b.ID, b.NIK, b.RegistrationID, b.KeyThumbprint, b.PublicJWK, string(b.State), ts(b.CreatedAt), ts(b.RevokedAt), b.RevokeReason)
	return err
}

const bindingCols = `id, nik, registration_id, key_thumbprint, public_jwk, state, created_at, revoked_at, revoke_reason`

func scanBinding(row *sql.Row, op string) (*Binding, error) {
	var b Binding
	var st string
	var c, r int64
	if err := row.Scan(&b.ID, &b.NIK, &b.RegistrationID, &b.KeyThumbprint, &b.PublicJWK, &st, &c, &r, &b.RevokeReason); err != nil {
		return nil, storeErr(op, err)
	}
	b.State, b.CreatedAt, b.RevokedAt = BindingState(st), fromTS(c), fromTS(r)
	return &b, nil
}

func (t *sqliteTx) Binding(id string) (*Binding, error) {
	return scanBinding(t.tx.QueryRowContext(t.ctx, `SELECT `+bindingCols+` FROM bindings WHERE id = ?`, id), "binding")
}

func (t *sqliteTx) ActiveBinding(nik string) (*Binding, error) {
	return scanBinding(t.tx.QueryRowContext(t.ctx, `SELECT `+bindingCols+` FROM bindings WHERE nik = ? AND state = 'active'`, nik), "active binding")
}

func (t *sqliteTx) RevokeBinding(id string, at time.Time, reason string) error {
	return t.one("revoke binding", `UPDATE bindings SET state = 'revoked', revoked_at = ?, revoke_reason = ? WHERE id = ? AND state = 'active'`, ts(at), reason, id)
}

func (t *sqliteTx) StatusLists() ([]StatusListRecord, error) {
	return t.statusLists(`SELECT ` + listCols + ` FROM status_lists ORDER BY number`)
}

func (t *sqliteTx) OpenStatusLists() ([]StatusListRecord, int, error) {
	var last int
	if err := t.tx.QueryRowContext(t.ctx, `SELECT COALESCE(MAX(number), 0) FROM status_lists`).Scan(&last); err != nil {
		return nil, 0, storeErr("status lists", err)
	}
	open, err := t.statusLists(`SELECT ` + listCols + ` FROM status_lists WHERE reserved < size ORDER BY number`)
	return open, last, err
}

const listCols = `number, uri, bits, size, created_at, perm_key, reserved`

func (t *sqliteTx) statusLists(q string) ([]StatusListRecord, error) {
	rows, err := t.tx.QueryContext(t.ctx, q)
	if err != nil {
		return nil, storeErr("status lists", err)
	}
	defer rows.Close()
	var out []StatusListRecord
	for rows.Next() {
		var l StatusListRecord
		var c, r int64
		if err := rows.Scan(&l.Number, &l.URI, &l.Bits, &l.Size, &c, &l.Key, &r); err != nil {
			return nil, storeErr("status lists", err)
		}
		l.CreatedAt, l.Reserved = fromTS(c), uint64(r)
		out = append(out, l)
	}
	return out, storeErrOrNil("status lists", rows.Err())
}

func storeErrOrNil(op string, err error) error {
	if err == nil {
		return nil
	}
	return storeErr(op, err)
}

func (t *sqliteTx) InsertStatusList(l StatusListRecord) error {
	var max int
	if err := t.tx.QueryRowContext(t.ctx, `SELECT COALESCE(MAX(number), 0) FROM status_lists`).Scan(&max); err != nil {
		return storeErr("insert status list", err)
	}
	if l.Number != max+1 {
		return &Error{Op: "insert status list", Err: ErrStore, Detail: fmt.Sprintf("list number %d after %d", l.Number, max), conflict: true}
	}
	if err := checkListRecord(l); err != nil {
		return err
	}
	_, err := t.exec("insert status list", `INSERT INTO status_lists (number, uri, bits, size, created_at, perm_key, reserved) VALUES (?,?,?,?,?,?,?)`,
		l.Number, l.URI, l.Bits, l.Size, ts(l.CreatedAt), l.Key, int64(l.Reserved))
	return err
}

func (t *sqliteTx) ReserveSequence(list int, n int) (uint64, int, error) {
	var reserved, size int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT reserved, size FROM status_lists WHERE number = ?`, list).Scan(&reserved, &size)
	if err != nil {
		return 0, 0, storeErr("reserve sequence", err)
	}
	count := min(int64(max(n, 0)), size-reserved)
	if count <= 0 {
		return uint64(reserved), 0, nil
	}
	err = t.one("reserve sequence", `UPDATE status_lists SET reserved = ? WHERE number = ?`, reserved+count, list)
	return uint64(reserved), int(count), err
}

func (t *sqliteTx) indices(op, q string, list int) ([]uint64, error) {
	rows, err := t.tx.QueryContext(t.ctx, q, list)
	if err != nil {
		return nil, storeErr(op, err)
	}
	defer rows.Close()
	var out []uint64
	for rows.Next() {
		var i int64
		if err := rows.Scan(&i); err != nil {
			return nil, storeErr(op, err)
		}
		out = append(out, uint64(i))
	}
	return out, storeErrOrNil(op, rows.Err())
}

func (t *sqliteTx) LegacyIndices(list int) ([]uint64, error) {
	return t.indices("legacy indices", `SELECT idx FROM credentials WHERE list = ? AND seq IS NULL`, list)
}

func (t *sqliteTx) RevokedIndices(list int) ([]uint64, error) {
	return t.indices("revoked indices", `SELECT idx FROM credentials WHERE list = ? AND revoked_at != 0`, list)
}

func (t *sqliteTx) InsertCredential(c *CredentialRecord) error {
	_, err := t.exec("insert credential", `INSERT INTO credentials (id, binding_id, vct, format, profile, list, idx, key_thumbprint, issued_at, expires_at, revoked_at, claims, seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		c.ID, c.BindingID, c.VCT, string(c.Format), string(c.Profile), c.List, int64(c.Index), c.KeyThumbprint, ts(c.IssuedAt), ts(c.ExpiresAt), ts(c.RevokedAt), c.Claims, seqValue(c.Seq))
	return err
}

// seqValue is the column value of a CredentialRecord's Seq: NULL for 0.
func seqValue(seq uint64) any {
	if seq == 0 {
		return nil
	}
	return int64(seq)
}

const credentialCols = `id, binding_id, vct, format, profile, list, idx, key_thumbprint, issued_at, expires_at, revoked_at, claims, COALESCE(seq, 0)`

type scanner interface{ Scan(...any) error }

func scanCredential(s scanner) (*CredentialRecord, error) {
	var c CredentialRecord
	var f, p string
	var idx, is, ex, rv, seq int64
	if err := s.Scan(&c.ID, &c.BindingID, &c.VCT, &f, &p, &c.List, &idx, &c.KeyThumbprint, &is, &ex, &rv, &c.Claims, &seq); err != nil {
		return nil, err
	}
	c.Format, c.Profile, c.Index, c.Seq = credential.Format(f), Profile(p), uint64(idx), uint64(seq)
	c.IssuedAt, c.ExpiresAt, c.RevokedAt = fromTS(is), fromTS(ex), fromTS(rv)
	return &c, nil
}

func (t *sqliteTx) Credential(id string) (*CredentialRecord, error) {
	c, err := scanCredential(t.tx.QueryRowContext(t.ctx, `SELECT `+credentialCols+` FROM credentials WHERE id = ?`, id))
	if err != nil {
		return nil, storeErr("credential", err)
	}
	return c, nil
}

func (t *sqliteTx) CredentialsOfBinding(bindingID string) ([]CredentialRecord, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+credentialCols+` FROM credentials WHERE binding_id = ? ORDER BY issued_at, id`, bindingID)
	if err != nil {
		return nil, storeErr("credentials", err)
	}
	defer rows.Close()
	var out []CredentialRecord
	for rows.Next() {
		c, err := scanCredential(rows)
		if err != nil {
			return nil, storeErr("credentials", err)
		}
		out = append(out, *c)
	}
	return out, storeErrOrNil("credentials", rows.Err())
}

func (t *sqliteTx) RevokeCredentialsOfBinding(bindingID string, at time.Time) (int, error) {
	res, err := t.exec("revoke credentials", `UPDATE credentials SET revoked_at = ? WHERE binding_id = ? AND revoked_at = 0`, ts(at), bindingID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), storeErrOrNil("revoke credentials", err)
}

func (t *sqliteTx) RevokeCredential(id string, at time.Time) (bool, error) {
	if _, err := t.Credential(id); err != nil {
		return false, err
	}
	res, err := t.exec("revoke credential", `UPDATE credentials SET revoked_at = ? WHERE id = ? AND revoked_at = 0`, ts(at), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, storeErrOrNil("revoke credential", err)
}

func (t *sqliteTx) AppendAudit(e *AuditEvent) error {
	res, err := t.exec("append audit", `INSERT INTO audit (at, actor, action, subject, outcome, detail) VALUES (?,?,?,?,?,?)`,
		ts(e.At), e.Actor, e.Action, e.Subject, e.Outcome, e.Detail)
	if err != nil {
		return err
	}
	// seq is INTEGER PRIMARY KEY, so the rowid: the id of the row just
	// inserted on this transaction's connection.
	seq, err := res.LastInsertId()
	if err != nil {
		return storeErr("append audit", err)
	}
	e.Seq = seq
	return nil
}

func (t *sqliteTx) Audit(after int64, limit int) ([]AuditEvent, error) {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT seq, at, actor, action, subject, outcome, detail FROM audit WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, storeErr("audit", err)
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		var e AuditEvent
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Subject, &e.Outcome, &e.Detail); err != nil {
			return nil, storeErr("audit", err)
		}
		e.At = fromTS(at)
		out = append(out, e)
	}
	return out, storeErrOrNil("audit", rows.Err())
}

// jsonList encodes a list of identifiers for a TEXT column.
func jsonList(l []string) string {
	if l == nil {
		l = []string{}
	}
	b, _ := json.Marshal(l)
	return string(b)
}

func parseList(op, s string) ([]string, error) {
	var l []string
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, &Error{Op: op, Err: ErrStore, Detail: "stored list: " + err.Error()}
	}
	return l, nil
}

func (t *sqliteTx) InsertOffer(o *OfferRecord) error {
	_, err := t.exec("insert offer", `INSERT INTO offers (id, registration_id, ref_hash, code_hash, tx_code_hash, tx_code_length, configuration_ids, created_at, expires_at, attempts, used_at, ended_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		o.ID, o.RegistrationID, o.RefHash, o.CodeHash, o.TxCodeHash, o.TxCodeLength, jsonList(o.ConfigurationIDs), ts(o.CreatedAt), ts(o.ExpiresAt), o.Attempts, ts(o.UsedAt), ts(o.EndedAt))
	return err
}

const offerCols = `id, registration_id, ref_hash, code_hash, tx_code_hash, tx_code_length, configuration_ids, created_at, expires_at, attempts, used_at, ended_at`

func (t *sqliteTx) offer(op, where string, arg any) (*OfferRecord, error) {
	var o OfferRecord
	var ids string
	var cr, ex, used, ended int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT `+offerCols+` FROM offers WHERE `+where+` = ?`, arg).
		Scan(&o.ID, &o.RegistrationID, &o.RefHash, &o.CodeHash, &o.TxCodeHash, &o.TxCodeLength, &ids, &cr, &ex, &o.Attempts, &used, &ended)
	if err != nil {
		return nil, storeErr(op, err)
	}
	if o.ConfigurationIDs, err = parseList(op, ids); err != nil {
		return nil, err
	}
	o.CreatedAt, o.ExpiresAt, o.UsedAt, o.EndedAt = fromTS(cr), fromTS(ex), fromTS(used), fromTS(ended)
	return &o, nil
}

func (t *sqliteTx) OfferByCode(codeHash []byte) (*OfferRecord, error) {
	return t.offer("offer", "code_hash", codeHash)
}

func (t *sqliteTx) OfferByRef(refHash []byte) (*OfferRecord, error) {
	return t.offer("offer", "ref_hash", refHash)
}

func (t *sqliteTx) UpdateOffer(o *OfferRecord) error {
	return t.one("update offer", `UPDATE offers SET attempts = ?, used_at = ?, ended_at = ? WHERE id = ?`, o.Attempts, ts(o.UsedAt), ts(o.EndedAt), o.ID)
}

func (t *sqliteTx) EndOffers(registrationID string, at time.Time) (int, error) {
	res, err := t.exec("end offers", `UPDATE offers SET ended_at = ? WHERE registration_id = ? AND used_at = 0 AND ended_at = 0`, ts(at), registrationID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), storeErrOrNil("end offers", err)
}

func (t *sqliteTx) InsertSession(s *Session) error {
	// A session of the refresh token grant has no offer: NULL, which
	// UNIQUE (offer_id) allows more than once.
	offer := sql.NullString{String: s.OfferID, Valid: s.OfferID != ""}
	_, err := t.exec("insert session", `INSERT INTO sessions (token_hash, id, offer_id, registration_id, nik, jkt, configuration_ids, issued, binding_id, created_at, expires_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
		s.TokenHash, s.ID, offer, s.RegistrationID, s.NIK, s.JKT, jsonList(s.ConfigurationIDs), jsonList(s.Issued), s.BindingID, ts(s.CreatedAt), ts(s.ExpiresAt))
	return err
}

func (t *sqliteTx) Session(tokenHash []byte) (*Session, error) {
	return t.session("token_hash", tokenHash)
}

func (t *sqliteTx) SessionByID(id string) (*Session, error) {
	return t.session("id", id)
}

func (t *sqliteTx) session(where string, arg any) (*Session, error) {
	var s Session
	var ids, issued string
	var offer sql.NullString
	var cr, ex int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT token_hash, id, offer_id, registration_id, nik, jkt, configuration_ids, issued, binding_id, created_at, expires_at FROM sessions WHERE `+where+` = ?`, arg).
		Scan(&s.TokenHash, &s.ID, &offer, &s.RegistrationID, &s.NIK, &s.JKT, &ids, &issued, &s.BindingID, &cr, &ex)
	if err != nil {
		return nil, storeErr("session", err)
	}
	s.OfferID = offer.String
	if s.ConfigurationIDs, err = parseList("session", ids); err != nil {
		return nil, err
	}
	if s.Issued, err = parseList("session", issued); err != nil {
		return nil, err
	}
	s.CreatedAt, s.ExpiresAt = fromTS(cr), fromTS(ex)
	return &s, nil
}

func (t *sqliteTx) UpdateSession(s *Session) error {
	return t.one("update session", `UPDATE sessions SET issued = ?, binding_id = ? WHERE token_hash = ?`, jsonList(s.Issued), s.BindingID, s.TokenHash)
}

func (t *sqliteTx) InsertRefreshToken(r *RefreshTokenRecord) error {
	_, err := t.exec("insert refresh token", `INSERT INTO refresh_tokens (hash, id, family, session_id, jkt, created_at, expires_at, used_at, revoked_at) VALUES (?,?,?,?,?,?,?,?,?)`,
		r.Hash, r.ID, r.Family, r.SessionID, r.JKT, ts(r.CreatedAt), ts(r.ExpiresAt), ts(r.UsedAt), ts(r.RevokedAt))
	return err
}

func (t *sqliteTx) RefreshToken(hash []byte) (*RefreshTokenRecord, error) {
	var r RefreshTokenRecord
	var cr, ex, used, rv int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT hash, id, family, session_id, jkt, created_at, expires_at, used_at, revoked_at FROM refresh_tokens WHERE hash = ?`, hash).
		Scan(&r.Hash, &r.ID, &r.Family, &r.SessionID, &r.JKT, &cr, &ex, &used, &rv)
	if err != nil {
		return nil, storeErr("refresh token", err)
	}
	r.CreatedAt, r.ExpiresAt, r.UsedAt, r.RevokedAt = fromTS(cr), fromTS(ex), fromTS(used), fromTS(rv)
	return &r, nil
}

func (t *sqliteTx) UseRefreshToken(hash []byte, at time.Time) error {
	return t.one("use refresh token", `UPDATE refresh_tokens SET used_at = ? WHERE hash = ? AND used_at = 0`, ts(at), hash)
}

func (t *sqliteTx) RevokeRefreshTokens(family string, at time.Time) (int, error) {
	res, err := t.exec("revoke refresh tokens", `UPDATE refresh_tokens SET revoked_at = ? WHERE family = ? AND revoked_at = 0`, ts(at), family)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), storeErrOrNil("revoke refresh tokens", err)
}

func (t *sqliteTx) InsertBindingKey(k *BindingKey) error {
	_, err := t.exec("insert binding key", `INSERT OR IGNORE INTO binding_keys (binding_id, thumbprint, public_jwk, created_at) VALUES (?,?,?,?)`,
		k.BindingID, k.Thumbprint, k.PublicJWK, ts(k.CreatedAt))
	return err
}

func (t *sqliteTx) BindingKey(bindingID, thumbprint string) (*BindingKey, error) {
	var k BindingKey
	var cr int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT binding_id, thumbprint, public_jwk, created_at FROM binding_keys WHERE binding_id = ? AND thumbprint = ?`, bindingID, thumbprint).
		Scan(&k.BindingID, &k.Thumbprint, &k.PublicJWK, &cr)
	if err != nil {
		return nil, storeErr("binding key", err)
	}
	k.CreatedAt = fromTS(cr)
	return &k, nil
}

func (t *sqliteTx) UseDPoPJTI(hash []byte, now, expires time.Time) (bool, error) {
	if _, err := t.exec("dpop jti", `DELETE FROM dpop_jtis WHERE expires_at < ?`, ts(now)); err != nil {
		return false, err
	}
	res, err := t.exec("dpop jti", `INSERT OR IGNORE INTO dpop_jtis (hash, expires_at) VALUES (?,?)`, hash, ts(expires))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, storeErrOrNil("dpop jti", err)
}

func (t *sqliteTx) InsertNotification(n *NotificationRecord) error {
	_, err := t.exec("insert notification", `INSERT INTO notifications (id, session_id, configuration_id, credential_ids, created_at, event, event_at, event_description) VALUES (?,?,?,?,?,?,?,?)`,
		n.ID, n.SessionID, n.ConfigurationID, jsonList(n.CredentialIDs), ts(n.CreatedAt), n.Event, ts(n.EventAt), n.EventDescription)
	return err
}

func (t *sqliteTx) Notification(id string) (*NotificationRecord, error) {
	var n NotificationRecord
	var ids string
	var cr, at int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT id, session_id, configuration_id, credential_ids, created_at, event, event_at, event_description FROM notifications WHERE id = ?`, id).
		Scan(&n.ID, &n.SessionID, &n.ConfigurationID, &ids, &cr, &n.Event, &at, &n.EventDescription)
	if err != nil {
		return nil, storeErr("notification", err)
	}
	if n.CredentialIDs, err = parseList("notification", ids); err != nil {
		return nil, err
	}
	n.CreatedAt, n.EventAt = fromTS(cr), fromTS(at)
	return &n, nil
}

func (t *sqliteTx) UpdateNotification(n *NotificationRecord) error {
	return t.one("update notification", `UPDATE notifications SET event = ?, event_at = ?, event_description = ? WHERE id = ?`, n.Event, ts(n.EventAt), n.EventDescription, n.ID)
}
