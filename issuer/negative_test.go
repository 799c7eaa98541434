package issuer

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// forgeProof signs a proof whose jwk header is claimed but whose signature
// comes from signer, with header and payload members overridden.
func forgeProof(t *testing.T, jwkOf, signer crypto.Signer, hdr, pl map[string]any) string {
	t.Helper()
	jwk, _ := keys.MarshalPublicJWK(jwkOf.Public())
	h := map[string]any{"alg": "ES256", "typ": oid4vci.ProofType, "jwk": json.RawMessage(jwk)}
	for k, v := range hdr {
		if v == nil {
			delete(h, k)
		} else {
			h[k] = v
		}
	}
	p := map[string]any{"aud": testIssuer, "iat": t0.Unix(), "nonce": "x"}
	for k, v := range pl {
		if v == nil {
			delete(p, k)
		} else {
			p[k] = v
		}
	}
	hb, _ := json.Marshal(h)
	pb, _ := json.Marshal(p)
	js, err := jose.NewSigner(signer)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := js.Sign(nil, hb, pb)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestIssueFailures(t *testing.T) {
	e := newEnv(t)
	a := e.activate(newDevice(t))
	tests := []struct {
		name string
		req  IssueRequest
		want error
	}{
		{"unauthorised type", IssueRequest{BindingID: a.Binding.ID, Document: sampleNPWP(t)}, ErrUnauthorizedType},
		{"unknown binding", IssueRequest{BindingID: "nosuchbinding", Document: sampleKTPEL(t)}, ErrNotFound},
		{"bad binding id", IssueRequest{BindingID: "Robert'); DROP", Document: sampleKTPEL(t)}, ErrInvalidInput},
		{"no document", IssueRequest{BindingID: a.Binding.ID}, ErrInvalidInput},
		{"format not offered", IssueRequest{BindingID: a.Binding.ID, Document: sampleKTPEL(t), Formats: []credential.Format{"jwt_vc_json"}}, ErrInvalidInput},
		{"qr profile of an NPWP", IssueRequest{BindingID: a.Binding.ID, Document: sampleNPWP(t), Profile: ProfileQR}, ErrUnauthorizedType},
		{"unknown profile", IssueRequest{BindingID: a.Binding.ID, Document: sampleKTPEL(t), Profile: "tiny"}, ErrInvalidInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.iss.Issue(e.ctx, "operator:1", tc.req); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	// A batch with one bad binding issues nothing.
	before, _ := e.iss.Audit(e.ctx, 0, 1000)
	_, err := e.iss.IssueBatch(e.ctx, "operator:1", []IssueRequest{
		{BindingID: a.Binding.ID, Document: sampleKTPEL(t)},
		{BindingID: "nosuchbinding", Document: sampleKTPEL(t)},
	})
	if !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	after, _ := e.iss.Audit(e.ctx, before[len(before)-1].Seq, 1000)
	for _, ev := range after {
		if ev.Action == "issue" && ev.Outcome == "ok" {
			t.Fatalf("half a batch issued: %+v", ev)
		}
	}
}

func TestRegisterValidation(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		req  RegisterRequest
	}{
		{"bad nik", RegisterRequest{"3174015708950000", "a@b.id", "081234567890"}},
		{"short nik", RegisterRequest{"317401", "a@b.id", "081234567890"}},
		{"email with name", RegisterRequest{testNIK, "Rina <a@b.id>", "081234567890"}},
		{"email too long", RegisterRequest{testNIK, strings.Repeat("a", 250) + "@b.id", "081234567890"}},
		{"landline", RegisterRequest{testNIK, "a@b.id", "0215551234"}},
		{"foreign phone", RegisterRequest{testNIK, "a@b.id", "+6591234567"}},
		{"phone letters", RegisterRequest{testNIK, "a@b.id", "08123456789x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.iss.Register(e.ctx, tc.req); !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("got %v", err)
			}
		})
	}
	r, err := e.iss.Register(e.ctx, RegisterRequest{testNIK, "a@b.id", "62 812-3456-7890"})
	if err != nil || r.Phone != "+6281234567890" {
		t.Fatalf("%+v %v", r, err)
	}
	// Until an operator confirms it, a registration has no offer, so
	// nothing to redeem at the token endpoint.
	var offers int
	if err := e.store.db.QueryRow(`SELECT COUNT(*) FROM offers WHERE registration_id = ?`, r.ID).Scan(&offers); err != nil || offers != 0 {
		t.Fatalf("%d offers for an unconfirmed registration (%v)", offers, err)
	}
	if _, err := e.iss.Confirm(e.ctx, "", r.ID); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("confirm without operator: %v", err)
	}
	if _, err := e.iss.Confirm(e.ctx, "op", "nosuchregistration"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("confirm unknown: %v", err)
	}
}

func TestAuditLog(t *testing.T) {
	e := newEnv(t)
	e.activate(newDevice(t))
	ev, err := e.iss.Audit(e.ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for i, x := range ev {
		if i > 0 && x.Seq <= ev[i-1].Seq {
			t.Fatal("sequence not increasing")
		}
		actions = append(actions, x.Action)
	}
	got := strings.Join(actions, ",")
	// The session's first credential request makes the binding
	// (activate); each request records its credential (issue) and
	// itself (credential).
	if want := "register,confirm,offer,token,create status list,activate,issue,credential,issue,credential,issue,credential,issue,credential"; got != want {
		t.Fatalf("actions %s, want %s", got, want)
	}
	if ev[1].Actor != "operator:kec-tebet-01" || ev[2].Actor != "operator:kec-tebet-01" || ev[3].Actor != "holder" || !strings.HasPrefix(ev[5].Actor, "holder:") {
		t.Fatalf("actors %q %q %q %q", ev[1].Actor, ev[2].Actor, ev[3].Actor, ev[5].Actor)
	}
	// Paging.
	page, _ := e.iss.Audit(e.ctx, ev[1].Seq, 2)
	if len(page) != 2 || page[0].Seq != ev[2].Seq {
		t.Fatalf("page %+v", page)
	}
	// Append-only: the schema refuses updates and deletes.
	for _, q := range []string{"UPDATE audit SET outcome = 'ok'", "DELETE FROM audit", "DELETE FROM credentials", "UPDATE credentials SET revoked_at = 0"} {
		if q == "UPDATE credentials SET revoked_at = 0" {
			if _, err := e.iss.ReportLost(e.ctx, "op", testNIK); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.store.db.Exec(q); err == nil {
			t.Fatalf("%q succeeded", q)
		}
	}
	if _, err := e.iss.Audit(e.ctx, 0, 0); !errors.Is(err, ErrInvalidInput) {
		t.Fatal("limit 0 accepted")
	}
}

func TestMigrations(t *testing.T) {
	e := newEnv(t)
	v, err := e.store.Version(e.ctx)
	if err != nil || v != SchemaVersion {
		t.Fatalf("version %d, %v", v, err)
	}
	e.activate(newDevice(t))
	e.reopen() // migrations are idempotent and data survives
	if lists, _ := e.iss.StatusLists(e.ctx); len(lists) != 1 {
		t.Fatal("status list lost on reopen")
	}
	if _, err := e.store.db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	e.store.Close()
	if _, err := OpenSQLite(e.ctx, e.path); !errors.Is(err, ErrStore) {
		t.Fatalf("newer schema accepted: %v", err)
	}
	e.store, _ = OpenSQLite(e.ctx, e.path+"-other") // for Cleanup
}

func TestConfigValidation(t *testing.T) {
	base := newEnv(t).cfg
	tests := []struct {
		name string
		mod  func(*Config)
	}{
		{"no identifier", func(c *Config) { c.Identifier = "" }},
		{"relative identifier", func(c *Config) { c.Identifier = "/x" }},
		{"no signer", func(c *Config) { c.Signer = nil }},
		{"no types", func(c *Config) { c.Types = nil }},
		{"mdoc without chain", func(c *Config) { c.Chain = nil }},
		{"validity too long", func(c *Config) { c.Validity = MaxValidity + 1 }},
		{"decoys", func(c *Config) { c.Decoys = MaxDecoys + 1 }},
		{"negative decoys", func(c *Config) { c.Decoys = -2 }},
		{"copies zero", func(c *Config) { c.Copies = map[string]int{credential.VCTKTPEL: 0} }},
		{"copies over MaxProofs", func(c *Config) { c.Copies = map[string]int{credential.VCTQR: oid4vci.MaxProofs + 1} }},
		{"copies of a type not issued", func(c *Config) { c.Copies = map[string]int{credential.VCTNPWP: 3} }},
		{"copies of the QR profile without a KTP-el", func(c *Config) {
			c.Types = []credential.TypeInfo{credential.KKType()}
			c.Copies = map[string]int{credential.VCTQR: 3}
		}},
		{"granularity not dividing a day", func(c *Config) { c.TimeGranularity = 7 * time.Hour }},
		{"granularity not whole days", func(c *Config) { c.TimeGranularity = 36 * time.Hour }},
		{"granularity too coarse", func(c *Config) { c.TimeGranularity = 14 * 24 * time.Hour }},
		{"granularity under a second", func(c *Config) { c.TimeGranularity = time.Millisecond }},
		{"negative granularity", func(c *Config) { c.TimeGranularity = -time.Hour }},
		{"list bits", func(c *Config) { c.StatusList.Bits = 4 }},
		{"list size", func(c *Config) { c.StatusList.Size = MaxStatusListSize + 1 }},
		{"list uri", func(c *Config) { c.StatusList.BaseURI = "status" }},
		{"skew", func(c *Config) { c.ClockSkew = time.Hour }},
		{"unknown format", func(c *Config) { c.Formats = []credential.Format{"ldp_vc"} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.mod(&c)
			if _, err := New(context.Background(), c); !errors.Is(err, ErrConfig) {
				t.Fatalf("got %v", err)
			}
		})
	}
}
