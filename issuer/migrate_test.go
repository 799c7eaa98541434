package issuer

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"time"
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
	if v, err := s.Version(ctx); err != nil || v != SchemaVersion || v != 4 {
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
