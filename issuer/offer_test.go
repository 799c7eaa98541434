package issuer

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr/qrcode"
	"github.com/ikdkit/ikdkit/oid4vci"
)

func TestConfirmMakesOffer(t *testing.T) {
	e := newEnv(t)
	g := e.registerConfirm()
	o := g.Offer
	if o == nil {
		t.Fatal("no offer")
	}
	want := []string{"ktpel_dc_sd_jwt", "ktpel_mso_mdoc", "ktpel_qr_dc_sd_jwt", "ktpel_qr_mso_mdoc"}
	if !slices.Equal(o.Offer.CredentialConfigurationIDs, want) {
		t.Fatalf("configurations %v, want %v", o.Offer.CredentialConfigurationIDs, want)
	}
	if len(o.TxCode) != DefaultTxCodeLength || strings.Trim(o.TxCode, "0123456789") != "" {
		t.Fatalf("tx_code %q", o.TxCode)
	}
	pg := o.Offer.Grants.PreAuthorizedCode
	if pg == nil || len(pg.PreAuthorizedCode) != 43 || pg.TxCode == nil || pg.TxCode.Length != 6 ||
		pg.TxCode.InputMode != oid4vci.InputModeNumeric || pg.TxCode.Description != DefaultTxCodeDescription {
		t.Fatalf("grant %+v", pg)
	}
	if !o.ExpiresAt.Equal(t0.Add(DefaultOfferTTL)) || !strings.HasPrefix(o.URI, testIssuer+"/offers/") {
		t.Fatalf("expires %v uri %s", o.ExpiresAt, o.URI)
	}
	// By value and by reference, both parse back.
	link, err := o.Link()
	if err != nil {
		t.Fatal(err)
	}
	back, uri, err := oid4vci.ParseOfferLink(link)
	if err != nil || uri != "" || back.Grants.PreAuthorizedCode.PreAuthorizedCode != pg.PreAuthorizedCode {
		t.Fatalf("by value: %v %q", err, uri)
	}
	ref, err := o.ReferenceLink()
	if err != nil {
		t.Fatal(err)
	}
	if _, uri, err := oid4vci.ParseOfferLink(ref); err != nil || uri != o.URI {
		t.Fatalf("by reference: %v %q", err, uri)
	}
	// The QR code scans back to the link.
	for _, byRef := range []bool{false, true} {
		png, err := o.QR(byRef, 2)
		if err != nil {
			t.Fatal(err)
		}
		got, err := qrcode.ScanImage(bytes.NewReader(png))
		wantLink := link
		if byRef {
			wantLink = ref
		}
		if err != nil || string(got) != wantLink {
			t.Fatalf("QR (by reference %v) scans to %q, %v", byRef, got, err)
		}
	}
	// The store keeps hashes only.
	var rows []byte
	r, err := e.store.db.Query(`SELECT ref_hash || code_hash || tx_code_hash || configuration_ids FROM offers`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var b []byte
		r.Scan(&b)
		rows = append(rows, b...)
	}
	r.Close()
	secret := o.URI[strings.LastIndex(o.URI, "/")+1:]
	for _, s := range []string{pg.PreAuthorizedCode, o.TxCode, secret} {
		if bytes.Contains(rows, []byte(s)) {
			t.Fatalf("secret %q stored in clear", s)
		}
	}
	// Confirming again withdraws the first offer.
	g2, err := e.iss.Confirm(e.ctx, "operator:2", g.RegistrationID)
	if err != nil {
		t.Fatal(err)
	}
	var ended int64
	if err := e.store.db.QueryRow(`SELECT ended_at FROM offers WHERE id = ?`, o.ID).Scan(&ended); err != nil || ended == 0 {
		t.Fatalf("first offer not ended: %d %v", ended, err)
	}
	if g2.Offer == nil || g2.Offer.Offer.Grants.PreAuthorizedCode.PreAuthorizedCode == pg.PreAuthorizedCode {
		t.Fatal("second offer reuses the code")
	}
}

func TestConfirmOfferOptions(t *testing.T) {
	t.Run("no document source: nothing to offer", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.Documents = nil })
		r, err := e.iss.Register(e.ctx, RegisterRequest{NIK: testNIK, Email: "rina@example.id", Phone: "081234567890"})
		if err != nil {
			t.Fatal(err)
		}
		if g, err := e.iss.Confirm(e.ctx, "operator:1", r.ID); !errors.Is(err, ErrConfig) || g != nil {
			t.Fatalf("Confirm: %+v, %v; want ErrConfig", g, err)
		}
		var confirmed int64
		if err := e.store.db.QueryRow(`SELECT confirmed_at FROM registrations WHERE id = ?`, r.ID).Scan(&confirmed); err != nil || confirmed != 0 {
			t.Fatalf("registration confirmed at %d (%v) without an offer", confirmed, err)
		}
	})
	t.Run("tx_code length and TTL", func(t *testing.T) {
		e := newEnv(t, func(c *Config) {
			c.TxCodeLength = 8
			c.OfferTTL = 3600e9
			c.Formats = []credential.Format{credential.FormatSDJWT}
		})
		g := e.registerConfirm()
		if len(g.Offer.TxCode) != 8 || g.Offer.Offer.Grants.PreAuthorizedCode.TxCode.Length != 8 || !g.Offer.ExpiresAt.Equal(t0.Add(3600e9)) {
			t.Fatalf("offer %+v", g.Offer)
		}
		if !slices.Equal(g.Offer.Offer.CredentialConfigurationIDs, []string{"ktpel_dc_sd_jwt", "ktpel_qr_dc_sd_jwt"}) {
			t.Fatalf("configurations %v", g.Offer.Offer.CredentialConfigurationIDs)
		}
	})
	t.Run("several documents", func(t *testing.T) {
		e := newEnv(t, func(c *Config) {
			c.Types = append(c.Types, credential.NPWPType())
			c.Documents = DocumentsFunc(func(context.Context, credential.NIK) ([]credential.Document, error) {
				return []credential.Document{sampleNPWP(t), mustKTPEL()}, nil
			})
		})
		want := []string{"ktpel_dc_sd_jwt", "ktpel_mso_mdoc", "ktpel_qr_dc_sd_jwt", "ktpel_qr_mso_mdoc", "npwp_dc_sd_jwt", "npwp_mso_mdoc"}
		if got := e.registerConfirm().Offer.Offer.CredentialConfigurationIDs; !slices.Equal(got, want) {
			t.Fatalf("configurations %v, want %v", got, want)
		}
	})
	for _, tc := range []struct {
		name string
		docs DocumentsFunc
		want error
	}{
		{"document source fails", func(context.Context, credential.NIK) ([]credential.Document, error) {
			return nil, errors.New("SIAK down")
		}, ErrNotFound},
		{"no documents", func(context.Context, credential.NIK) ([]credential.Document, error) { return nil, nil }, ErrNotFound},
		{"unauthorised type", func(context.Context, credential.NIK) ([]credential.Document, error) {
			return []credential.Document{sampleNPWP(t)}, nil
		}, ErrUnauthorizedType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Documents = tc.docs })
			r, err := e.iss.Register(e.ctx, RegisterRequest{NIK: testNIK, Email: "rina@example.id", Phone: "081234567890"})
			if err != nil {
				t.Fatal(err)
			}
			if g, err := e.iss.Confirm(e.ctx, "operator:1", r.ID); !errors.Is(err, tc.want) || g != nil {
				t.Fatalf("Confirm: %v, want %v", err, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"tx_code too short", func(c *Config) { c.TxCodeLength = 3 }},
		{"tx_code too long", func(c *Config) { c.TxCodeLength = 13 }},
		{"description too long", func(c *Config) { c.TxCodeDescription = strings.Repeat("x", 301) }},
		{"negative offer TTL", func(c *Config) { c.OfferTTL = -1 }},
		{"http identifier", func(c *Config) { c.Identifier = "http://dukcapil.example.go.id" }},
		{"identifier with final slash", func(c *Config) { c.Identifier = testIssuer + "/" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			cfg := e.cfg
			tc.mod(&cfg)
			if _, err := New(e.ctx, cfg); !errors.Is(err, ErrConfig) {
				t.Fatalf("New: %v, want ErrConfig", err)
			}
		})
	}
}

func TestConfigurationID(t *testing.T) {
	for _, tc := range []struct {
		vct  string
		f    credential.Format
		want string
	}{
		{credential.VCTKTPEL, credential.FormatSDJWT, "ktpel_dc_sd_jwt"},
		{credential.VCTKTPEL, credential.FormatMdoc, "ktpel_mso_mdoc"},
		{credential.VCTQR, credential.FormatMdoc, "ktpel_qr_mso_mdoc"},
		{credential.VCTBPJSKetenagakerja, credential.FormatSDJWT, "bpjs_ketenagakerjaan_dc_sd_jwt"},
		{"urn:other", credential.FormatSDJWT, ""},
		{credential.VCTKK, "jwt_vc_json", ""},
	} {
		if got := ConfigurationID(tc.vct, tc.f); got != tc.want {
			t.Errorf("ConfigurationID(%s, %s) = %q, want %q", tc.vct, tc.f, got, tc.want)
		}
	}
}

// schemaAt makes a database at path with the schema of an earlier
// version of the package: the first version migrations, applied as that
// version applied them.
func schemaAt(t *testing.T, path string, version int, fill ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range append(append(migrations[:version:version], fmt.Sprintf("PRAGMA user_version = %d", version)), fill...) {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
}

// tableExists reports whether the database of s has the table.
func tableExists(t *testing.T, s *SQLiteStore, table string) bool {
	t.Helper()
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// A store made by the first version of the package (schema 1) gains the
// OpenID4VCI tables, loses the activation codes and keeps its records.
func TestMigrateFromSchema1(t *testing.T) {
	path := t.TempDir() + "/v1.db"
	schemaAt(t, path, 1,
		`INSERT INTO registrations (id, nik, email, phone, created_at) VALUES ('r1', '`+testNIK+`', 'a@b.id', '+6281234567890', 1)`,
		`INSERT INTO activation_codes (registration_id, hash, created_at, expires_at) VALUES ('r1', x'00', 1, 2)`)
	s, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.Version(context.Background()); err != nil || v != SchemaVersion || SchemaVersion != 5 {
		t.Fatalf("version %d %v", v, err)
	}
	if !tableExists(t, s, "offers") || !tableExists(t, s, "sessions") || !tableExists(t, s, "refresh_tokens") || tableExists(t, s, "activation_codes") {
		t.Fatal("schema 4 tables missing, or activation_codes kept")
	}
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM registrations`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d registrations %v", n, err)
	}
}

// A store of schema 2 (offers and activation codes side by side) opens:
// the activation codes are dropped, and an offer made before still works
// through the handler, as does everything else.
func TestMigrateFromSchema2(t *testing.T) {
	he := newHandlerEnv(t, HandlerConfig{})
	first := he.activate(newDevice(t))
	g := he.registerConfirm()
	// Back to schema 2, with the confirmation's activation code and
	// without the refresh tokens of schema 4 or the sequences of schema 5.
	for _, q := range append(rewindSchema5, []string{
		`DROP TABLE refresh_tokens`,
		`CREATE TABLE activation_codes (
			registration_id TEXT PRIMARY KEY REFERENCES registrations(id),
			hash BLOB NOT NULL,
			created_at INTEGER NOT NULL,
			expires_at INTEGER NOT NULL,
			attempts INTEGER NOT NULL DEFAULT 0,
			used_at INTEGER NOT NULL DEFAULT 0
		)`,
		`INSERT INTO activation_codes (registration_id, hash, created_at, expires_at) VALUES ('` + g.RegistrationID + `', x'00', 1, 2)`,
		`PRAGMA user_version = 2`,
	}...) {
		if _, err := he.store.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	he.reopen(HandlerConfig{})
	if v, err := he.store.Version(he.ctx); err != nil || v != SchemaVersion {
		t.Fatalf("version %d %v", v, err)
	}
	if tableExists(t, he.store, "activation_codes") {
		t.Fatal("activation_codes kept")
	}
	// The offer of schema 2 is redeemed, and its session replaces the
	// binding made before.
	second := he.activateOffer(g.Offer, newDevice(t))
	if second.Replaced == nil || second.Replaced.ID != first.Binding.ID || second.Revoked != len(first.Credentials) || len(second.Credentials) != 4 {
		t.Fatalf("activation after the migration: replaced %+v, revoked %d, %d credentials", second.Replaced, second.Revoked, len(second.Credentials))
	}
	checkInvariants(t, he.env)
}
