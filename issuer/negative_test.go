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

func TestActivationFailures(t *testing.T) {
	type setup struct {
		e      *env
		g      *ActivationGrant
		device crypto.Signer
	}
	tests := []struct {
		name string
		// prepare returns the request to send.
		prepare func(t *testing.T, s *setup) ActivationRequest
		want    error
	}{
		{"expired code", func(t *testing.T, s *setup) ActivationRequest {
			s.e.clock.Advance(DefaultActivationCodeTTL + time.Second)
			return ActivationRequest{s.g.RegistrationID, s.g.Code, s.e.proof(s.device)}
		}, ErrCodeExpired},
		{"reused code", func(t *testing.T, s *setup) ActivationRequest {
			if _, err := s.e.iss.Activate(s.e.ctx, ActivationRequest{s.g.RegistrationID, s.g.Code, s.e.proof(s.device)}); err != nil {
				t.Fatal(err)
			}
			return ActivationRequest{s.g.RegistrationID, s.g.Code, s.e.proof(newDevice(t))}
		}, ErrCodeUsed},
		{"wrong code", func(t *testing.T, s *setup) ActivationRequest {
			return ActivationRequest{s.g.RegistrationID, strings.Repeat("A", 26), s.e.proof(s.device)}
		}, ErrCodeInvalid},
		{"garbage code", func(t *testing.T, s *setup) ActivationRequest {
			return ActivationRequest{s.g.RegistrationID, "not a code!", s.e.proof(s.device)}
		}, ErrCodeInvalid},
		{"too many attempts then right code", func(t *testing.T, s *setup) ActivationRequest {
			for i := 0; i < DefaultMaxCodeAttempts; i++ {
				_, err := s.e.iss.Activate(s.e.ctx, ActivationRequest{s.g.RegistrationID, strings.Repeat("B", 26), s.e.proof(s.device)})
				if !errors.Is(err, ErrCodeInvalid) && !errors.Is(err, ErrTooManyAttempts) {
					t.Fatalf("attempt %d: %v", i, err)
				}
			}
			return ActivationRequest{s.g.RegistrationID, s.g.Code, s.e.proof(s.device)}
		}, ErrTooManyAttempts},
		{"unconfirmed registration", func(t *testing.T, s *setup) ActivationRequest {
			r, err := s.e.iss.Register(s.e.ctx, RegisterRequest{NIK: testNIK, Email: "a@b.id", Phone: "+6281234567890"})
			if err != nil {
				t.Fatal(err)
			}
			return ActivationRequest{r.ID, s.g.Code, s.e.proof(s.device)}
		}, ErrNotConfirmed},
		{"unknown registration", func(t *testing.T, s *setup) ActivationRequest {
			return ActivationRequest{"nosuchregistration", s.g.Code, s.e.proof(s.device)}
		}, ErrNotFound},
		{"wrong proof nonce", func(t *testing.T, s *setup) ActivationRequest {
			p, _ := oid4vci.SignProof(nil, s.device, testIssuer, "a-nonce-we-never-issued", t0)
			return ActivationRequest{s.g.RegistrationID, s.g.Code, p}
		}, ErrNonce},
		{"reused nonce", func(t *testing.T, s *setup) ActivationRequest {
			p := s.e.proof(s.device)
			if _, err := s.e.iss.Activate(s.e.ctx, ActivationRequest{s.g.RegistrationID, "AAAA", p}); !errors.Is(err, ErrCodeInvalid) {
				t.Fatalf("first use: %v", err)
			}
			return ActivationRequest{s.g.RegistrationID, s.g.Code, p}
		}, ErrNonce},
		{"expired nonce", func(t *testing.T, s *setup) ActivationRequest {
			n, _, _ := s.e.iss.Nonce(s.e.ctx)
			s.e.clock.Advance(DefaultNonceTTL + time.Second)
			p, _ := oid4vci.SignProof(nil, s.device, testIssuer, n, s.e.clock.Now())
			return ActivationRequest{s.g.RegistrationID, s.g.Code, p}
		}, ErrNonce},
		{"proof by another key", func(t *testing.T, s *setup) ActivationRequest {
			return ActivationRequest{s.g.RegistrationID, s.g.Code, forgeProof(t, s.device, newDevice(t), nil, nil)}
		}, ErrProof},
		{"proof for another issuer", func(t *testing.T, s *setup) ActivationRequest {
			n, _, _ := s.e.iss.Nonce(s.e.ctx)
			p, _ := oid4vci.SignProof(nil, s.device, "https://evil.example", n, t0)
			return ActivationRequest{s.g.RegistrationID, s.g.Code, p}
		}, ErrProof},
		{"proof too old", func(t *testing.T, s *setup) ActivationRequest {
			n, _, _ := s.e.iss.Nonce(s.e.ctx)
			p, _ := oid4vci.SignProof(nil, s.device, testIssuer, n, t0.Add(-time.Hour))
			return ActivationRequest{s.g.RegistrationID, s.g.Code, p}
		}, ErrProof},
		{"proof from the future", func(t *testing.T, s *setup) ActivationRequest {
			n, _, _ := s.e.iss.Nonce(s.e.ctx)
			p, _ := oid4vci.SignProof(nil, s.device, testIssuer, n, t0.Add(time.Hour))
			return ActivationRequest{s.g.RegistrationID, s.g.Code, p}
		}, ErrProof},
		{"proof typ", func(t *testing.T, s *setup) ActivationRequest {
			return ActivationRequest{s.g.RegistrationID, s.g.Code, forgeProof(t, s.device, s.device, map[string]any{"typ": "JWT"}, nil)}
		}, ErrProof},
		{"proof alg none", func(t *testing.T, s *setup) ActivationRequest {
			return ActivationRequest{s.g.RegistrationID, s.g.Code, forgeProof(t, s.device, s.device, map[string]any{"alg": "none"}, nil)}
		}, ErrProof},
		{"proof with kid", func(t *testing.T, s *setup) ActivationRequest {
			return ActivationRequest{s.g.RegistrationID, s.g.Code, forgeProof(t, s.device, s.device, map[string]any{"kid": "k"}, nil)}
		}, ErrProof},
		{"proof without jwk", func(t *testing.T, s *setup) ActivationRequest {
			return ActivationRequest{s.g.RegistrationID, s.g.Code, forgeProof(t, s.device, s.device, map[string]any{"jwk": nil}, nil)}
		}, ErrProof},
		{"proof without nonce", func(t *testing.T, s *setup) ActivationRequest {
			return ActivationRequest{s.g.RegistrationID, s.g.Code, forgeProof(t, s.device, s.device, nil, map[string]any{"nonce": nil})}
		}, ErrNonce},
		{"proof with padding", func(t *testing.T, s *setup) ActivationRequest {
			return ActivationRequest{s.g.RegistrationID, s.g.Code, s.e.proof(s.device) + "="}
		}, ErrProof},
		{"proof too large", func(t *testing.T, s *setup) ActivationRequest {
			return ActivationRequest{s.g.RegistrationID, s.g.Code, strings.Repeat("a", oid4vci.MaxProofSize+1)}
		}, ErrProof},
		{"unauthorised document type", func(t *testing.T, s *setup) ActivationRequest {
			s.e.cfg.Documents = DocumentsFunc(func(context.Context, credential.NIK) ([]credential.Document, error) {
				return []credential.Document{sampleNPWP(t)}, nil
			})
			iss, err := New(s.e.ctx, s.e.cfg)
			if err != nil {
				t.Fatal(err)
			}
			s.e.iss = iss
			return ActivationRequest{s.g.RegistrationID, s.g.Code, s.e.proof(s.device)}
		}, ErrUnauthorizedType},
		{"document source returns a nil document", func(t *testing.T, s *setup) ActivationRequest {
			s.e.cfg.Documents = DocumentsFunc(func(context.Context, credential.NIK) ([]credential.Document, error) {
				var k *credential.KTPEL // a source that ignored NewKTPEL's error
				return []credential.Document{k}, nil
			})
			iss, err := New(s.e.ctx, s.e.cfg)
			if err != nil {
				t.Fatal(err)
			}
			s.e.iss = iss
			return ActivationRequest{s.g.RegistrationID, s.g.Code, s.e.proof(s.device)}
		}, ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			s := &setup{e: e, g: e.registerConfirm(), device: newDevice(t)}
			req := tc.prepare(t, s)
			a, err := e.iss.Activate(e.ctx, req)
			if !errors.Is(err, tc.want) || a != nil {
				t.Fatalf("got %v, %v; want %v", a, err, tc.want)
			}
			var ie *Error
			if !errors.As(err, &ie) || ie.Op == "" {
				t.Fatalf("error %v is not an *Error with Op", err)
			}
			// The failure is in the audit log, and nothing got bound.
			ev, err := e.iss.Audit(e.ctx, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			last := ev[len(ev)-1]
			if last.Action != "activate" || last.Outcome != tc.want.Error() {
				t.Fatalf("last audit event %+v", last)
			}
		})
	}
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
	if _, err := e.iss.Confirm(e.ctx, "", r.ID); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("confirm without operator: %v", err)
	}
	if _, err := e.iss.Confirm(e.ctx, "op", "nosuchregistration"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("confirm unknown: %v", err)
	}
}

func TestCodeFormat(t *testing.T) {
	raw := []byte("0123456789abcdef")
	code := formatCode(raw)
	for _, in := range []string{code, strings.ToLower(code), strings.ReplaceAll(code, "-", " "), strings.ReplaceAll(code, "-", "")} {
		got, ok := parseCode(in)
		if !ok || string(got) != string(raw) {
			t.Fatalf("parseCode(%q) = %x, %v", in, got, ok)
		}
	}
	if _, ok := parseCode(code + "A"); ok {
		t.Fatal("longer code accepted")
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
	if want := "register,confirm,offer,create status list,activate,issue,issue,issue,issue"; got != want {
		t.Fatalf("actions %s, want %s", got, want)
	}
	if ev[1].Actor != "operator:kec-tebet-01" || ev[2].Actor != "operator:kec-tebet-01" || !strings.HasPrefix(ev[4].Actor, "holder:") {
		t.Fatalf("actors %q %q %q", ev[1].Actor, ev[2].Actor, ev[4].Actor)
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

func TestRefresh(t *testing.T) {
	e := newEnv(t)
	device := newDevice(t)
	a := e.activate(device)
	tests := []struct {
		name   string
		signer crypto.Signer
		want   error
	}{
		{"proof by another key", newDevice(t), ErrKeyMismatch},
		{"bound key", device, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := e.iss.Refresh(e.ctx, RefreshRequest{BindingID: a.Binding.ID, Proof: e.proof(tc.signer)})
			if !errors.Is(err, tc.want) || (err == nil) != (len(out) == 4) {
				t.Fatalf("got %d credentials, %v; want %v", len(out), err, tc.want)
			}
		})
	}
	if _, err := e.iss.ReportLost(e.ctx, "op", testNIK); err != nil {
		t.Fatal(err)
	}
	if _, err := e.iss.Refresh(e.ctx, RefreshRequest{BindingID: a.Binding.ID, Proof: e.proof(device)}); !errors.Is(err, ErrBindingRevoked) {
		t.Fatalf("refresh of a revoked binding: %v", err)
	}
}
