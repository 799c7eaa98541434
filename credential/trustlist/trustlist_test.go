package trustlist

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"github.com/ikdkit/ikdkit/internal/jose"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/keys"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	f := newFixture(t)
	tok := f.sign(t, f.list)
	l, err := Verify(tok, f.op.Public())
	if err != nil {
		t.Fatal(err)
	}
	if l.Operator != f.list.Operator || l.Sequence != 10 || !l.IssuedAt.Equal(t0) || !l.NextUpdate.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("header fields differ: %+v", l)
	}
	if len(l.Issuers) != 3 || len(l.Verifiers) != 1 {
		t.Fatalf("got %d issuers, %d verifiers", len(l.Issuers), len(l.Verifiers))
	}
	// Re-signing the decoded list gives the same payload.
	tok2 := f.sign(t, l)
	if strings.Split(string(tok), ".")[1] != strings.Split(string(tok2), ".")[1] {
		t.Fatal("payload not stable under decode/encode")
	}
}

func TestLookups(t *testing.T) {
	f := newFixture(t)
	l, err := Verify(f.sign(t, f.list), f.op.Public())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		iss, kid string
		want     crypto.PublicKey
		err      error
	}{
		{"jwk by kid", "https://dukcapil.example.go.id", "dk-1", f.dukcapil.Public(), nil},
		{"only key without kid", "https://dukcapil.example.go.id", "", f.dukcapil.Public(), nil},
		{"did:key URL", "https://djp.example.go.id", f.did.KeyID(), f.djpDID.Public(), nil},
		{"did:key without fragment", "https://djp.example.go.id", f.did.String(), f.djpDID.Public(), nil},
		{"unknown kid", "https://dukcapil.example.go.id", "dk-2", nil, ErrUnknownKey},
		{"other issuer's kid", "https://djp.example.go.id", "dk-1", nil, ErrUnknownKey},
		{"unknown issuer", "https://evil.example", "dk-1", nil, ErrUnknownIssuer},
		{"issuer without keys", "https://bpjs.example.go.id", "", nil, ErrUnknownKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, k, err := l.IssuerKey(tc.iss, tc.kid)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if tc.err == nil && !keyEqual(k, tc.want) {
				t.Fatal("wrong key")
			}
			k2, err := l.KeyResolver().ResolveIssuerKey(sdjwt.IssuerKeyInfo{Issuer: tc.iss, KeyID: tc.kid})
			if !errors.Is(err, tc.err) || (tc.err == nil && !keyEqual(k2, tc.want)) {
				t.Fatalf("resolver: %v", err)
			}
		})
	}
	authz := []struct {
		iss, typ string
		want     bool
	}{
		{"https://dukcapil.example.go.id", "urn:id:kemendagri:dukcapil:ktp-el:1", true},
		{"https://dukcapil.example.go.id", "id.go.kemendagri.dukcapil.kk.1", true},
		{"https://dukcapil.example.go.id", "urn:id:kemenkeu:djp:npwp:1", false},
		{"https://djp.example.go.id", "urn:id:kemenkeu:djp:npwp:1", true},
		{"https://djp.example.go.id", "urn:id:kemendagri:dukcapil:ktp-el:1", false},
		{"https://nobody.example", "urn:id:kemenkeu:djp:npwp:1", false},
	}
	for _, a := range authz {
		if got := l.Authorized(a.iss, a.typ); got != a.want {
			t.Errorf("Authorized(%s, %s) = %v", a.iss, a.typ, got)
		}
	}
	if l.IACARoots("id.go.kemendagri.dukcapil.ktpel.1") == nil || l.IACARoots("id.go.pajak.djp.npwp.1") != nil {
		t.Error("IACARoots by doctype wrong")
	}
	if is, ok := l.IssuerByRoot(f.bpjsRoot); !ok || is.Name != "BPJS Kesehatan" {
		t.Error("IssuerByRoot(bpjs) failed")
	}
	if _, ok := l.IssuerByRoot(newCA(t, "other", true)); ok {
		t.Error("IssuerByRoot matched an unlisted root")
	}
	// The DS-to-root relation holds through the per-doctype pool.
	if _, err := f.iaca.Verify(x509.VerifyOptions{Roots: l.IACARoots("id.go.kemendagri.dukcapil.ktpel.1"), CurrentTime: t0}); err != nil {
		t.Errorf("IACA not in its doctype pool: %v", err)
	}
	v, ok := l.Verifier("https://bank.example.co.id")
	if !ok || !v.MayRequest("urn:id:kemendagri:dukcapil:ktp-el:1", "given_name") || v.MayRequest("urn:id:kemendagri:dukcapil:ktp-el:1", "religion") {
		t.Error("verifier claims wrong")
	}
	if _, ok := l.Verifier("https://unknown.example"); ok {
		t.Error("unknown verifier found")
	}
	if l.Stale(t0) || !l.Stale(t0.Add(25*time.Hour)) {
		t.Error("Stale wrong")
	}
}

func keyEqual(a, b crypto.PublicKey) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}

func TestStoreUpdate(t *testing.T) {
	f := newFixture(t)
	s := f.store(t)
	if s.Current() != nil {
		t.Fatal("new store not empty")
	}
	if _, err := s.Update(f.sign(t, f.list)); err != nil {
		t.Fatal(err)
	}
	newer := *f.list
	newer.Sequence = 11
	newer.Issuers = newer.Issuers[:1]
	older := *f.list
	older.Sequence = 9
	future := *f.list
	future.Sequence = 12
	future.IssuedAt, future.NextUpdate = t0.Add(time.Hour), t0.Add(48*time.Hour)
	otherOp := *f.list
	otherOp.Sequence = 13
	otherOp.Operator = "https://other.example"
	other, _ := keys.Generate(keys.ES256, nil)
	foreign, err := Sign(&newer, other, SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		token []byte
		err   error
		seq   uint64 // current sequence afterwards
	}{
		{"equal sequence is a rollback", f.sign(t, f.list), ErrRollback, 10},
		{"older sequence is a rollback", f.sign(t, &older), ErrRollback, 10},
		{"other operator key", foreign, ErrSignature, 10},
		{"issued in the future", f.sign(t, &future), ErrNotYetValid, 10},
		{"other operator name", f.sign(t, &otherOp), ErrOperator, 10},
		{"newer list replaces", f.sign(t, &newer), nil, 11},
		{"then the first list is a rollback", f.sign(t, f.list), ErrRollback, 11},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Update(tc.token)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if got := s.Current().Sequence; got != tc.seq {
				t.Fatalf("current seq %d, want %d", got, tc.seq)
			}
		})
	}
	if _, ok := s.Current().Issuer("https://djp.example.go.id"); ok {
		t.Fatal("removed issuer still present after update")
	}
}

// tamper re-encodes a token with a modified header or payload and a
// signature by key (nil keeps the original signature).
func tamper(t *testing.T, tok []byte, key crypto.Signer, hdr func(map[string]any), pl func(map[string]any)) []byte {
	t.Helper()
	parts := strings.Split(string(tok), ".")
	dec := func(s string) map[string]any {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		d := json.NewDecoder(strings.NewReader(string(b)))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	enc := func(m map[string]any) string {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	h, p := dec(parts[0]), dec(parts[1])
	if hdr != nil {
		hdr(h)
	}
	if pl != nil {
		pl(p)
	}
	in := enc(h) + "." + enc(p)
	sig := parts[2]
	if key != nil {
		sig = base64.RawURLEncoding.EncodeToString(signInput(t, key, in))
	}
	return []byte(in + "." + sig)
}

func TestVerifyRejects(t *testing.T) {
	f := newFixture(t)
	tok := f.sign(t, f.list)
	edOp, _ := keys.Generate(keys.EdDSA, nil)
	edTok, err := Sign(f.list, edOp, SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	issuer0 := func(p map[string]any) map[string]any { return p["issuers"].([]any)[0].(map[string]any) }
	tests := []struct {
		name  string
		token []byte
		key   crypto.PublicKey
		err   error
	}{
		{"empty", nil, f.op.Public(), ErrMalformed},
		{"two parts", []byte("a.b"), f.op.Public(), ErrMalformed},
		{"four parts", append(append([]byte{}, tok...), ".x"...), f.op.Public(), ErrMalformed},
		{"padded signature", append(append([]byte{}, tok...), '='), f.op.Public(), ErrMalformed},
		{"too large", make([]byte, MaxTokenSize+1), f.op.Public(), ErrTooLarge},
		{"alg none", tamper(t, tok, nil, func(h map[string]any) { h["alg"] = "none" }, nil), f.op.Public(), ErrAlgorithm},
		{"alg HS256", tamper(t, tok, nil, func(h map[string]any) { h["alg"] = "HS256" }, nil), f.op.Public(), ErrAlgorithm},
		{"EdDSA token for an ES256 key", edTok, f.op.Public(), ErrAlgorithm},
		{"wrong typ", tamper(t, tok, f.op, func(h map[string]any) { h["typ"] = "JWT" }, nil), f.op.Public(), ErrType},
		{"crit header", tamper(t, tok, f.op, func(h map[string]any) { h["crit"] = []any{"x"} }, nil), f.op.Public(), ErrMalformed},
		{"payload changed after signing", tamper(t, tok, nil, nil, func(p map[string]any) { p["seq"] = json.Number("99") }), f.op.Public(), ErrSignature},
		{"other key", tok, edOp.Public(), ErrAlgorithm},
		{"unknown member", tamper(t, tok, f.op, nil, func(p map[string]any) { p["extra"] = true }), f.op.Public(), ErrMalformed},
		{"seq zero", tamper(t, tok, f.op, nil, func(p map[string]any) { p["seq"] = json.Number("0") }), f.op.Public(), ErrMalformed},
		{"seq negative", tamper(t, tok, f.op, nil, func(p map[string]any) { p["seq"] = json.Number("-1") }), f.op.Public(), ErrMalformed},
		{"seq float", tamper(t, tok, f.op, nil, func(p map[string]any) { p["seq"] = json.Number("1.5") }), f.op.Public(), ErrMalformed},
		{"next_update before iat", tamper(t, tok, f.op, nil, func(p map[string]any) { p["next_update"] = json.Number("1") }), f.op.Public(), ErrMalformed},
		{"issuer id not https", tamper(t, tok, f.op, nil, func(p map[string]any) { issuer0(p)["id"] = "http://dukcapil.example.go.id" }), f.op.Public(), ErrMalformed},
		{"duplicate issuer", tamper(t, tok, f.op, nil, func(p map[string]any) {
			p["issuers"] = append(p["issuers"].([]any), issuer0(p))
		}), f.op.Public(), ErrMalformed},
		{"issuer without types", tamper(t, tok, f.op, nil, func(p map[string]any) {
			delete(issuer0(p), "vct")
			delete(issuer0(p), "doctype")
		}), f.op.Public(), ErrMalformed},
		{"bad certificate", tamper(t, tok, f.op, nil, func(p map[string]any) { issuer0(p)["iaca"] = []any{"AAAA"} }), f.op.Public(), ErrMalformed},
		{"IACA root not a CA", tamper(t, tok, f.op, nil, func(p map[string]any) {
			issuer0(p)["iaca"] = []any{base64.StdEncoding.EncodeToString(newCA(t, "leaf", false).Raw)}
		}), f.op.Public(), ErrMalformed},
		{"jwk without kid", tamper(t, tok, f.op, nil, func(p map[string]any) {
			delete(issuer0(p)["keys"].([]any)[0].(map[string]any), "kid")
		}), f.op.Public(), ErrMalformed},
		{"private jwk", tamper(t, tok, f.op, nil, func(p map[string]any) {
			issuer0(p)["keys"].([]any)[0].(map[string]any)["jwk"].(map[string]any)["d"] = "AAAA"
		}), f.op.Public(), ErrMalformed},
		{"bad did", tamper(t, tok, f.op, nil, func(p map[string]any) {
			p["issuers"].([]any)[1].(map[string]any)["keys"].([]any)[0].(map[string]any)["did"] = "did:key:zzz"
		}), f.op.Public(), ErrMalformed},
		{"too many keys", tamper(t, tok, f.op, nil, func(p map[string]any) {
			k := issuer0(p)["keys"].([]any)[0]
			ks := make([]any, MaxKeys+1)
			for i := range ks {
				ks[i] = k
			}
			issuer0(p)["keys"] = ks
		}), f.op.Public(), ErrTooLarge},
		{"duplicate kid", tamper(t, tok, f.op, nil, func(p map[string]any) {
			k := issuer0(p)["keys"].([]any)[0]
			issuer0(p)["keys"] = []any{k, k}
		}), f.op.Public(), ErrMalformed},
		{"claims not a list", tamper(t, tok, f.op, nil, func(p map[string]any) {
			p["verifiers"].([]any)[0].(map[string]any)["claims"] = map[string]any{"x": "y"}
		}), f.op.Public(), ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Verify(tc.token, tc.key)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			var te *Error
			if !errors.As(err, &te) || l != nil {
				t.Fatalf("want *Error and nil list, got %T %v", err, l)
			}
		})
	}
}

func TestDuplicateMemberRejected(t *testing.T) {
	f := newFixture(t)
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","typ":"trustlist+jwt"}`))
	p := base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"https://a","iss":"https://b","seq":1,"iat":1,"next_update":2}`))
	sig := signInput(t, f.op, h+"."+p)
	_, err := Verify([]byte(h+"."+p+"."+base64.RawURLEncoding.EncodeToString(sig)), f.op.Public())
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v", err)
	}
}

func TestSignRejects(t *testing.T) {
	f := newFixture(t)
	bad := *f.list
	bad.Issuers = append([]Issuer{}, f.list.Issuers...)
	bad.Issuers[0].Keys = []Key{{ID: "rsa", Public: "not a key"}}
	if _, err := Sign(&bad, f.op, SignOptions{}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("bad key: %v", err)
	}
	if _, err := Sign(nil, f.op, SignOptions{}); !errors.Is(err, ErrOptions) {
		t.Fatalf("nil list: %v", err)
	}
}

func TestRefresh(t *testing.T) {
	f := newFixture(t)
	first := f.sign(t, f.list)
	newer := *f.list
	newer.Sequence = 11
	second := f.sign(t, &newer)
	serve := first
	contentType := MediaType
	status := http.StatusOK
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.Write(serve)
	}))
	defer srv.Close()
	s := f.store(t)
	ctx := context.Background()
	if _, err := s.Refresh(ctx, srv.Client(), srv.URL+"/list"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Refresh(ctx, srv.Client(), srv.URL+"/list"); !errors.Is(err, ErrRollback) {
		t.Fatalf("same list again: %v", err)
	}
	serve = second
	if l, err := s.Refresh(ctx, srv.Client(), srv.URL+"/list"); err != nil || l.Sequence != 11 {
		t.Fatalf("newer list: %v", err)
	}
	contentType = "text/html"
	if _, err := s.Refresh(ctx, srv.Client(), srv.URL); !errors.Is(err, ErrFetch) {
		t.Fatalf("content type: %v", err)
	}
	contentType, status = MediaType, http.StatusNotFound
	if _, err := s.Refresh(ctx, srv.Client(), srv.URL); !errors.Is(err, ErrFetch) {
		t.Fatalf("404: %v", err)
	}
	if _, err := s.Refresh(ctx, srv.Client(), strings.Replace(srv.URL, "https", "http", 1)); !errors.Is(err, ErrOptions) {
		t.Fatalf("http URL: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	status = http.StatusOK
	if _, err := s.Refresh(cctx, srv.Client(), srv.URL); !errors.Is(err, ErrFetch) {
		t.Fatalf("cancelled: %v", err)
	}
	if s.Current().Sequence != 11 {
		t.Fatal("failed refreshes changed the list")
	}
}

func TestNewStoreRejects(t *testing.T) {
	if _, err := NewStore("key", StoreOptions{}); !errors.Is(err, ErrOptions) {
		t.Fatal(err)
	}
	f := newFixture(t)
	if _, err := NewStore(f.op.Public(), StoreOptions{ClockSkew: time.Hour}); !errors.Is(err, ErrOptions) {
		t.Fatal(err)
	}
}

func TestStoreConcurrent(t *testing.T) {
	f := newFixture(t)
	s := f.store(t)
	toks := make([][]byte, 8)
	for i := range toks {
		l := *f.list
		l.Sequence = uint64(10 + i)
		toks[i] = f.sign(t, &l)
	}
	if _, err := s.Update(toks[0]); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 200; i++ {
				if _, _, err := s.Current().IssuerKey("https://dukcapil.example.go.id", "dk-1"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	// Updates race with each other; only increasing sequence numbers win.
	for g := 0; g < 2; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for _, tok := range toks[1:] {
				_, err := s.Update(tok)
				if err != nil && !errors.Is(err, ErrRollback) {
					t.Error(err)
				}
			}
		}()
	}
	for g := 0; g < 6; g++ {
		<-done
	}
	if s.Current().Sequence != 17 {
		t.Fatalf("final sequence %d", s.Current().Sequence)
	}
}

// signInput signs a JWS signing input with key, for tokens the tests build
// by hand.
func signInput(t testing.TB, key crypto.Signer, in string) []byte {
	t.Helper()
	js, err := jose.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := js.SignInput(nil, in, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// TestNewLocal: a list built in code is validated like a signed one and
// indexed, so its lookups work; it does not alias the caller's slices.
func TestNewLocal(t *testing.T) {
	f := newFixture(t)
	l, err := NewLocal(f.list)
	if err != nil {
		t.Fatal(err)
	}
	if _, k, err := l.IssuerKey("https://dukcapil.example.go.id", "dk-1"); err != nil || !keyEqual(k, f.dukcapil.Public()) {
		t.Fatalf("IssuerKey: %v", err)
	}
	if !l.Authorized("https://dukcapil.example.go.id", f.list.Issuers[0].VCTs[0]) {
		t.Fatal("not authorised for its own vct")
	}
	if _, ok := l.IssuerByRoot(f.iaca); !ok {
		t.Fatal("IACA root not indexed")
	}
	f.list.Issuers[0].ID = "https://changed.example"
	if _, ok := l.Issuer("https://dukcapil.example.go.id"); !ok || l.Issuers[0].ID != "https://dukcapil.example.go.id" {
		t.Fatal("the local list aliases the caller's Issuers")
	}

	bad := func(mod func(*List)) *List {
		g := newFixture(t)
		mod(g.list)
		return g.list
	}
	tests := []struct {
		name string
		list *List
		err  error
	}{
		{"nil", nil, ErrOptions},
		{"no operator", bad(func(l *List) { l.Operator = "" }), ErrMalformed},
		{"next update before iat", bad(func(l *List) { l.NextUpdate = l.IssuedAt }), ErrMalformed},
		{"issuer id not https", bad(func(l *List) { l.Issuers[0].ID = "did:example:1" }), ErrMalformed},
		{"duplicate issuer", bad(func(l *List) { l.Issuers[1].ID = l.Issuers[0].ID }), ErrMalformed},
		{"no type", bad(func(l *List) { l.Issuers[0].VCTs, l.Issuers[0].DocTypes = nil, nil }), ErrMalformed},
		{"root not a CA", bad(func(l *List) { l.Issuers[0].IACARoots = []*x509.Certificate{newCA(t, "leaf", false)} }), ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewLocal(tc.list); !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
		})
	}
}
