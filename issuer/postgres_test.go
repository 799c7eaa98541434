package issuer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ikdkit/ikdkit/internal/pgtest"
)

// TestPostgresConcurrentOpen: openers of a new database at once migrate
// it once (the advisory lock), all at the current schema version, and the
// store works for each.
func TestPostgresConcurrentOpen(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	const n = 6
	stores := make([]*PostgresStore, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = OpenPostgres(ctx, dsn)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("opener %d: %v", i, err)
		}
		defer stores[i].Close()
		if v, err := stores[i].Version(ctx); err != nil || v != SchemaVersion {
			t.Errorf("opener %d: version %d, %v", i, v, err)
		}
	}
	for i, s := range stores {
		if err := s.Update(ctx, func(tx Tx) error { return tx.AppendAudit(&AuditEvent{Actor: "system", Action: "open", Outcome: "ok"}) }); err != nil {
			t.Fatalf("store %d: %v", i, err)
		}
	}
	var seqs int
	if err := stores[0].View(ctx, func(tx Tx) error {
		a, err := tx.Audit(0, 100)
		seqs = len(a)
		return err
	}); err != nil || seqs != n {
		t.Errorf("%d events, %v; want %d", seqs, err, n)
	}
	// Opening again is a no-op.
	s, err := OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// TestPostgresSchemaGuards: the invariants the schema keeps even against
// SQL that goes around the Tx methods (the audit log append-only and
// gapless, credential records kept, revocations and single uses final), a
// newer schema refused, and the PostgreSQL migrations tracking SQLite's
// schema version.
func TestPostgresSchemaGuards(t *testing.T) {
	if got := postgresBaseVersion + len(postgresMigrations) - 1; got != SchemaVersion {
		t.Fatalf("PostgreSQL migrations reach version %d, SQLite's %d: append the migration to both", got, SchemaVersion)
	}
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	s, err := OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, func(tx Tx) error {
		return errors.Join(
			tx.InsertRegistration(&Registration{ID: "reg1", NIK: testNIK, CreatedAt: ct}),
			tx.InsertBinding(&Binding{ID: "bind1", NIK: testNIK, RegistrationID: "reg1", KeyThumbprint: "tp", PublicJWK: []byte("{}"), State: BindingActive, CreatedAt: ct}),
			tx.InsertStatusList(StatusListRecord{Number: 1, URI: "u1", Bits: 1, Size: 16, CreatedAt: ct, Key: listKey(1)}),
			tx.InsertCredential(&CredentialRecord{ID: "c1", BindingID: "bind1", List: 1, Index: 1, IssuedAt: ct, ExpiresAt: ct, RevokedAt: ct}),
			tx.InsertOffer(&OfferRecord{ID: "off1", RegistrationID: "reg1", RefHash: []byte("r"), CodeHash: []byte("c"), TxCodeHash: []byte("t"), CreatedAt: ct, ExpiresAt: ct, UsedAt: ct}),
			tx.InsertSession(&Session{TokenHash: []byte("tok"), ID: "sess1", RegistrationID: "reg1", CreatedAt: ct, ExpiresAt: ct}),
			tx.InsertRefreshToken(&RefreshTokenRecord{Hash: []byte("h"), ID: "rt1", Family: "rt1", SessionID: "sess1", CreatedAt: ct, ExpiresAt: ct, UsedAt: ct, RevokedAt: ct}),
			tx.AppendAudit(&AuditEvent{At: ct, Actor: "system", Action: "test", Outcome: "ok"}),
		)
	})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE status_lists SET reserved = 5`); err != nil {
		t.Fatalf("reserving: %v", err)
	}
	for _, q := range []string{
		`UPDATE audit SET detail = 'x'`,
		`DELETE FROM audit`,
		`TRUNCATE audit`,
		`INSERT INTO audit (seq, at, actor, action, subject, outcome, detail) VALUES (0, 0, '', '', '', '', '')`,
		`UPDATE audit_seq SET last = last + 2`,
		`UPDATE audit_seq SET last = last - 1`,
		`DELETE FROM audit_seq`,
		`INSERT INTO audit_seq (one, last) VALUES (TRUE, 5)`,
		`DELETE FROM credentials`,
		`TRUNCATE credentials CASCADE`,
		`UPDATE credentials SET revoked_at = 0`,
		`UPDATE offers SET used_at = 0`,
		`UPDATE refresh_tokens SET used_at = 0`,
		`UPDATE refresh_tokens SET revoked_at = 0`,
		`INSERT INTO bindings (id, nik, registration_id, key_thumbprint, public_jwk, state, created_at) VALUES ('bind2', '` + testNIK + `', 'reg1', 'tp', '\x00', 'active', 1)`,
		`UPDATE bindings SET state = 'lost'`,
		`UPDATE status_lists SET perm_key = '\x00'`,
		`UPDATE status_lists SET reserved = 17`,
		`UPDATE status_lists SET reserved = 4`,
	} {
		if _, err := conn.Exec(ctx, q); err == nil {
			t.Errorf("%s: the schema allowed it", q)
		}
	}
	if _, err := conn.Exec(ctx, `UPDATE schema_version SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	if s, err := OpenPostgres(ctx, dsn); err == nil || !errors.Is(err, ErrStore) || !strings.Contains(err.Error(), "newer") {
		if s != nil {
			s.Close()
		}
		t.Errorf("newer schema: %v, want it refused", err)
	}
}

// TestOpenStore: a postgres:// or postgresql:// DSN opens PostgreSQL,
// anything else SQLite; a bad PostgreSQL DSN is a configuration error
// that does not repeat the DSN (it may hold a password).
func TestOpenStore(t *testing.T) {
	ctx := context.Background()
	s, err := OpenStore(ctx, filepath.Join(t.TempDir(), "issuer.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*SQLiteStore); !ok {
		t.Errorf("a path opened %T", s)
	}
	s.Close()
	_, err = OpenStore(ctx, "postgres://u:s3cret@127.0.0.1:bad/db")
	if !errors.Is(err, ErrConfig) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("bad DSN: %v", err)
	}
	dsn := pgtest.DSN(t)
	for _, d := range []string{dsn, "postgresql" + strings.TrimPrefix(dsn, "postgres")} {
		s, err := OpenStore(ctx, d)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if _, ok := s.(*PostgresStore); !ok {
			t.Errorf("%s opened %T", d, s)
		}
		s.Close()
	}
}

// TestPostgresRetry: an Update whose transaction cannot be serialized (a
// row it read was changed and committed by another before it writes the
// row) runs fn again and then succeeds on the other's result; with
// PostgresAttempts(1) it fails with ErrStore instead, and nothing of it is
// stored.
func TestPostgresRetry(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	for _, attempts := range []int{1, 10} {
		s, err := OpenPostgres(ctx, dsn, PostgresAttempts(attempts), PostgresMaxConns(2))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		id := fmt.Sprint("reg", attempts)
		if err := s.Update(ctx, func(tx Tx) error { return tx.InsertRegistration(&Registration{ID: id, NIK: testNIK, CreatedAt: ct}) }); err != nil {
			t.Fatal(err)
		}
		runs := 0
		err = s.Update(ctx, func(tx Tx) error {
			runs++
			r, err := tx.Registration(id)
			if err != nil {
				return err
			}
			if runs == 1 {
				// Another transaction confirms the registration and
				// commits between this one's read and write: a client
				// outside the store's writer queue (an operator's SQL, a
				// read-only anomaly of SSI), since a second Update of
				// this store would wait for the first (the queue).
				conn, err := pgx.Connect(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close(ctx)
				if _, err := conn.Exec(ctx, `UPDATE registrations SET confirmed_at = $1, confirmed_by = 'operator:other' WHERE id = $2`,
					ct.UnixNano(), id); err != nil {
					t.Errorf("the other transaction: %v", err)
				}
			}
			if r.ConfirmedBy != "" {
				return nil // confirmed already: nothing to do
			}
			r.ConfirmedAt, r.ConfirmedBy = ct, "operator:first"
			if err := tx.UpdateRegistration(r); err != nil {
				return err
			}
			return tx.AppendAudit(&AuditEvent{At: ct, Actor: "operator:first", Action: "confirm", Subject: id, Outcome: "ok"})
		})
		var by string
		if err := s.View(ctx, func(tx Tx) error {
			r, err := tx.Registration(id)
			if err == nil {
				by = r.ConfirmedBy
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		switch attempts {
		case 1:
			if !errors.Is(err, ErrStore) || !strings.Contains(err.Error(), "serialization failure") || runs != 1 {
				t.Errorf("1 attempt: %v after %d runs, want ErrStore after 1", err, runs)
			}
		default:
			if err != nil || runs != 2 {
				t.Errorf("%d attempts: %v after %d runs, want success after 2", attempts, err, runs)
			}
		}
		if by != "operator:other" {
			t.Errorf("%d attempts: confirmed by %q, want the other transaction's only", attempts, by)
		}
	}
	// No audit event of a failed or repeated attempt was kept.
	s, err := OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.View(ctx, func(tx Tx) error {
		a, err := tx.Audit(0, 100)
		if len(a) != 0 {
			t.Errorf("audit %+v, want none", a)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
