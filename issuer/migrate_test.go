package issuer

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
)

// TestOpenSchema3: a store of schema 3 (before refresh tokens), with an
// activation in it (offer, session, binding and its keys, credential,
// notification), opens at the current schema with its data intact and
// its foreign keys consistent; its sessions then allow top-up sessions,
// which have no offer, and still one session per offer.
func TestOpenSchema3(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v3.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range migrations[:3] {
		if _, err := db.Exec(m); err != nil {
			t.Fatalf("migration %d: %v", i+1, err)
		}
	}
	for _, q := range []string{
		`PRAGMA user_version = 3`,
		`INSERT INTO registrations (id, nik, email, phone, created_at) VALUES ('reg1', '` + testNIK + `', 'rina@example.id', '+6281234567890', 1)`,
		`INSERT INTO offers (id, registration_id, ref_hash, code_hash, tx_code_hash, tx_code_length, configuration_ids, created_at, expires_at, used_at)
			VALUES ('off1', 'reg1', x'01', x'02', x'03', 6, '["ktpel_dc_sd_jwt"]', 1, 2, 3)`,
		`INSERT INTO bindings (id, nik, registration_id, key_thumbprint, public_jwk, state, created_at) VALUES ('bind1', '` + testNIK + `', 'reg1', 'tp1', x'7b7d', 'active', 1)`,
		`INSERT INTO sessions (token_hash, id, offer_id, registration_id, nik, jkt, configuration_ids, issued, binding_id, created_at, expires_at)
			VALUES (x'aa', 'sess1', 'off1', 'reg1', '` + testNIK + `', 'jkt1', '["ktpel_dc_sd_jwt"]', '["ktpel_dc_sd_jwt"]', 'bind1', 1, 2)`,
		`INSERT INTO binding_keys (binding_id, thumbprint, public_jwk, created_at) VALUES ('bind1', 'tp1', x'7b7d', 1)`,
		`INSERT INTO status_lists (number, uri, bits, size, created_at) VALUES (1, 'https://dukcapil.example.go.id/status/1', 1, 1024, 1)`,
		`INSERT INTO credentials (id, binding_id, vct, format, profile, list, idx, key_thumbprint, issued_at, expires_at) VALUES ('cred1', 'bind1', 'urn:x', 'dc+sd-jwt', 'full', 1, 7, 'tp1', 1, 2)`,
		`INSERT INTO notifications (id, session_id, configuration_id, credential_ids, created_at) VALUES ('note1', 'sess1', 'ktpel_dc_sd_jwt', '["cred1"]', 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.Version(ctx); err != nil || v != SchemaVersion || v != 5 {
		t.Fatalf("version %d, %v", v, err)
	}
	rows, err := s.db.Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	if rows.Next() {
		t.Fatal("foreign key violations after the migration")
	}
	rows.Close()
	err = s.View(ctx, func(tx Tx) error {
		sess, err := tx.Session([]byte{0xaa})
		if err != nil {
			return err
		}
		if sess.ID != "sess1" || sess.OfferID != "off1" || sess.BindingID != "bind1" || sess.JKT != "jkt1" ||
			!slices.Equal(sess.Issued, []string{"ktpel_dc_sd_jwt"}) || !sess.CreatedAt.Equal(time.Unix(0, 1)) {
			t.Fatalf("session %+v", sess)
		}
		if byID, err := tx.SessionByID("sess1"); err != nil || byID.OfferID != "off1" {
			t.Fatalf("session by ID %+v, %v", byID, err)
		}
		n, err := tx.Notification("note1")
		if err != nil || n.SessionID != "sess1" {
			t.Fatalf("notification %+v, %v", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Top-up sessions have no offer, as many as there are; an offer still
	// gives one session.
	err = s.Update(ctx, func(tx Tx) error {
		for i, h := range [][]byte{{0xb1}, {0xb2}} {
			if err := tx.InsertSession(&Session{TokenHash: h, ID: "top" + string(rune('a'+i)), RegistrationID: "reg1", NIK: testNIK,
				ConfigurationIDs: []string{"ktpel_dc_sd_jwt"}, BindingID: "bind1", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
				return err
			}
		}
		top, err := tx.SessionByID("topa")
		if err != nil || top.OfferID != "" {
			t.Fatalf("top-up session %+v, %v", top, err)
		}
		err = tx.InsertSession(&Session{TokenHash: []byte{0xb3}, ID: "again", OfferID: "off1", RegistrationID: "reg1", NIK: testNIK,
			CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
		if !isConflict(err) {
			t.Fatalf("a second session for an offer: %v", err)
		}
		return tx.InsertRefreshToken(&RefreshTokenRecord{Hash: []byte{0xc1}, ID: "rt1", Family: "rt1", SessionID: "topa", CreatedAt: t0,
			ExpiresAt: t0.Add(time.Hour)})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// rewindSchema5 takes a SQLite store of schema 5 back to schema 4's
// tables: the credentials' sequence numbers are dropped (every index
// there becomes one drawn at random), and so are the lists' keys and
// reservations.
var rewindSchema5 = []string{
	`DROP TRIGGER status_lists_key_fixed`,
	`DROP TRIGGER status_lists_reserved_grows`,
	`DROP INDEX status_lists_open`,
	`ALTER TABLE status_lists DROP COLUMN perm_key`,
	`ALTER TABLE status_lists DROP COLUMN reserved`,
	`DROP TRIGGER credentials_no_unrevoke`,
	`DROP TRIGGER credentials_no_delete`,
	`CREATE TABLE credentials_v5 AS SELECT * FROM credentials`,
	`DROP TABLE credentials`,
	`CREATE TABLE credentials (
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
	)`,
	`INSERT INTO credentials SELECT id, binding_id, vct, format, profile, list, idx, key_thumbprint, issued_at, expires_at, revoked_at, claims FROM credentials_v5`,
	`DROP TABLE credentials_v5`,
	`CREATE INDEX credentials_binding ON credentials(binding_id)`,
	`CREATE TRIGGER credentials_no_unrevoke BEFORE UPDATE OF revoked_at ON credentials
		WHEN OLD.revoked_at != 0 AND NEW.revoked_at != OLD.revoked_at
		BEGIN SELECT RAISE(ABORT, 'revocation cannot be undone'); END`,
	`CREATE TRIGGER credentials_no_delete BEFORE DELETE ON credentials BEGIN SELECT RAISE(ABORT, 'credential records are kept'); END`,
	`PRAGMA user_version = 4`,
}

// rewindPostgres5 is rewindSchema5 for PostgreSQL.
var rewindPostgres5 = []string{
	`DROP TRIGGER status_lists_key_fixed ON status_lists`,
	`DROP TRIGGER status_lists_reserved_grows ON status_lists`,
	`ALTER TABLE status_lists DROP COLUMN perm_key, DROP COLUMN reserved`,
	`DROP INDEX credentials_legacy_idx`,
	`ALTER TABLE credentials DROP CONSTRAINT credentials_list_seq_key, DROP COLUMN seq, ADD CONSTRAINT credentials_list_idx_key UNIQUE (list, idx)`,
	`UPDATE schema_version SET version = 4`,
}

// exec runs a statement on e's database outside the Store, as queryRow.
func (e *env) exec(q string, args ...any) {
	e.t.Helper()
	var err error
	if e.pg != nil {
		_, err = e.pg.pool.Exec(e.ctx, dollarParams(q), args...)
	} else {
		_, err = e.store.db.Exec(q, args...)
	}
	if err != nil {
		e.t.Fatalf("%.60s: %v", q, err)
	}
}

// A store of schema 4, whose status list indices were drawn at random,
// migrates to schema 5: its lists get keys, its credentials keep their
// indices without a sequence number, and the issuer then hands out the
// rest of each list's indices, skipping those, until the list is full.
func TestMigrateFromSchema4(t *testing.T) { forEachStore(t, testMigrateFromSchema4) }

func testMigrateFromSchema4(t *testing.T, kind backend) {
	const size = 16
	e := newEnvOn(t, kind, func(c *Config) { c.StatusList.Size = size; c.Formats = []credential.Format{credential.FormatSDJWT} })
	a := e.activate(newDevice(t))
	rewind := rewindSchema5
	if kind == postgresBackend {
		rewind = rewindPostgres5
	}
	for _, q := range rewind {
		e.exec(q)
	}
	// Half the list taken at random (the activation's indices, and more
	// records of schema 4), as the allocator of schema 4 left it.
	taken := map[uint64]bool{}
	for _, c := range a.Credentials {
		taken[c.Status.Index] = true
	}
	for i, idx := range rand.Perm(size) {
		if len(taken) == size/2 {
			break
		}
		if !taken[uint64(idx)] {
			taken[uint64(idx)] = true
			e.exec(`INSERT INTO credentials (id, binding_id, vct, format, profile, list, idx, key_thumbprint, issued_at, expires_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
				fmt.Sprintf("old%d", i), a.Binding.ID, credential.VCTKTPEL, "dc+sd-jwt", "full", 1, idx, a.Binding.KeyThumbprint, 1, 2)
		}
	}
	e.reopen()
	if v := e.version(); v != SchemaVersion {
		t.Fatalf("schema version %d after the migration, want %d", v, SchemaVersion)
	}
	var keyLen, reserved int
	if err := e.queryRow(`SELECT LENGTH(perm_key), reserved FROM status_lists WHERE number = 1`).Scan(&keyLen, &reserved); err != nil || keyLen != 16 || reserved != 0 {
		t.Fatalf("list 1 after the migration: key of %d bytes, %d reserved, %v", keyLen, reserved, err)
	}

	// The other half of the list, then one more in list 2.
	reqs := make([]IssueRequest, size/2+1)
	for i := range reqs {
		reqs[i] = IssueRequest{BindingID: a.Binding.ID, Document: sampleKTPEL(t)}
	}
	out, err := e.iss.IssueBatch(e.ctx, "operator:batch", reqs)
	if err != nil {
		t.Fatal(err)
	}
	inList := map[string]int{}
	for _, c := range out {
		inList[c.Status.URI]++
		if c.Status.URI != listURI(e.cfg.StatusList.BaseURI, 1) {
			continue
		}
		if taken[c.Status.Index] {
			t.Errorf("credential %s at index %d, taken before the migration", c.ID, c.Status.Index)
		}
		taken[c.Status.Index] = true
		if rec, err := e.iss.Credential(e.ctx, c.ID); err != nil || rec.Seq == 0 {
			t.Errorf("credential %s: record %+v, %v; want a sequence number", c.ID, rec, err)
		}
	}
	if inList[listURI(e.cfg.StatusList.BaseURI, 1)] != size/2 || inList[listURI(e.cfg.StatusList.BaseURI, 2)] != 1 {
		t.Errorf("credentials by list %v, want %d in list 1 and 1 in list 2", inList, size/2)
	}
	for _, c := range a.Credentials {
		if rec, err := e.iss.Credential(e.ctx, c.ID); err != nil || rec.Seq != 0 || rec.Index != c.Status.Index {
			t.Errorf("credential %s of schema 4: record %+v, %v; want its index, no sequence number", c.ID, rec, err)
		}
	}
	e.checkIssued(a.Binding.ID, out, size/2+len(out))
}

// version returns the schema version of e's store.
func (e *env) version() int {
	e.t.Helper()
	var v int
	var err error
	if e.pg != nil {
		v, err = e.pg.Version(e.ctx)
	} else {
		v, err = e.store.Version(e.ctx)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}
