package oid4vci

import (
	"crypto"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/keys"
)

// dpopDir holds the example DPoP proofs of RFC 9449 (see its README).
const dpopDir = "../testdata/oid4vci/dpop"

// rfcAccessToken and rfcJKT are the access token of RFC 9449 Figure 12
// and the thumbprint of the examples' key (RFC 9449 §6.1).
const (
	rfcAccessToken = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"
	rfcJKT         = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
)

func TestRFC9449Examples(t *testing.T) {
	for _, tc := range []struct {
		file, method, url, accessToken, jti string
		iat                                 int64
	}{
		{"token-request.jwt", "POST", "https://server.example.com/token", "", "-BwC3ESc6acc2lTc", 1562262616},
		{"token-request-refresh.jwt", "POST", "https://server.example.com/token", "", "-BwC3ESc6acc2lTc", 1562265296},
		{"resource-request.jwt", "GET", "https://resource.example.org/protectedresource", rfcAccessToken, "e1j3V_bKic8-LAEB", 1562262618},
	} {
		t.Run(tc.file, func(t *testing.T) {
			proof := strings.TrimSpace(string(readSeed(t, dpopDir+"/"+tc.file)))
			o := DPoPOptions{Method: tc.method, URL: tc.url, Now: time.Unix(tc.iat, 0).Add(5 * time.Second),
				MaxAge: time.Minute, AccessToken: tc.accessToken, BoundKey: rfcJKT}
			p, err := VerifyDPoPProof(proof, o)
			if err != nil {
				t.Fatal(err)
			}
			if p.JKT() != rfcJKT || p.JTI() != tc.jti || p.Method() != tc.method || p.URL() != tc.url ||
				p.IssuedAt().Unix() != tc.iat || p.Nonce() != "" || p.Key() == nil {
				t.Fatalf("proof %+v", p)
			}
			if tc.accessToken != "" {
				o.AccessToken = "another-token"
				if _, err := VerifyDPoPProof(proof, o); dpopCheck(err) != DPoPCheckAccessToken {
					t.Fatalf("ath of another token accepted: %v", err)
				}
			}
		})
	}
}

// dpopCheck returns the Check of a *DPoPError, 0 for other errors.
func dpopCheck(err error) DPoPCheck {
	var de *DPoPError
	if errors.As(err, &de) {
		return de.Check
	}
	return 0
}

// signJWS signs header and payload with signer, as an attacker could.
func signJWS(t testing.TB, signer crypto.Signer, hdr, pl map[string]any) string {
	t.Helper()
	js, err := jose.NewSigner(signer)
	if err != nil {
		t.Fatal(err)
	}
	hb, _ := json.Marshal(hdr)
	pb, _ := json.Marshal(pl)
	tok, err := js.Sign(nil, hb, pb)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func jwkOf(t testing.TB, k any) map[string]any {
	t.Helper()
	b, err := keys.MarshalPublicJWK(k)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

func TestDPoPRoundTrip(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for _, alg := range keys.Algorithms() {
		t.Run(string(alg), func(t *testing.T) {
			k, err := keys.Generate(alg, nil)
			if err != nil {
				t.Fatal(err)
			}
			proof, err := NewDPoPProof(nil, keys.Opaque(k), "POST", "https://dukcapil.example.go.id/credential?x=1#f", "at-123", "n-1", now)
			if err != nil {
				t.Fatal(err)
			}
			jkt, _ := keys.Thumbprint(k.Public())
			p, err := VerifyDPoPProof(proof, DPoPOptions{Method: "POST", URL: "https://dukcapil.example.go.id/credential",
				Now: now, MaxAge: time.Minute, AccessToken: "at-123", BoundKey: jkt,
				AcceptNonce: func(n string) bool { return n == "n-1" }})
			if err != nil {
				t.Fatal(err)
			}
			if p.URL() != "https://dukcapil.example.go.id/credential" || p.Nonce() != "n-1" || len(p.JTI()) != 22 || p.JKT() != jkt {
				t.Fatalf("proof %+v", p)
			}
			again, _ := NewDPoPProof(nil, k, "POST", "https://dukcapil.example.go.id/credential", "", "", now)
			q, err := VerifyDPoPProof(again, DPoPOptions{Method: "POST", URL: "https://dukcapil.example.go.id/credential", Now: now, MaxAge: time.Minute})
			if err != nil || q.JTI() == p.JTI() {
				t.Fatalf("second proof %+v, %v: the jti must be fresh", q, err)
			}
		})
	}
	for _, tc := range []struct {
		name, method, url, nonce string
		signer                   crypto.Signer
	}{
		{"no signer", "POST", "https://a.example/t", "", nil},
		{"no method", "", "https://a.example/t", "", keys.Opaque(mustKey(t))},
		{"method with a space", "PO ST", "https://a.example/t", "", keys.Opaque(mustKey(t))},
		{"relative url", "POST", "/token", "", keys.Opaque(mustKey(t))},
		{"ftp url", "POST", "ftp://a.example/t", "", keys.Opaque(mustKey(t))},
		{"bad nonce", "POST", "https://a.example/t", "a b", keys.Opaque(mustKey(t))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if p, err := NewDPoPProof(nil, tc.signer, tc.method, tc.url, "", tc.nonce, now); !errors.Is(err, ErrInvalidDPoPProof) || p != "" {
				t.Fatalf("got %q, %v", p, err)
			}
		})
	}
}

func mustKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestVerifyDPoPProof(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	const u = "https://dukcapil.example.go.id/token"
	k, other, ed := mustKey(t), mustKey(t), func() crypto.Signer { s, _ := keys.Generate(keys.EdDSA, nil); return s }()
	jkt, _ := keys.Thumbprint(k.Public())
	priv, _ := keys.MarshalPrivateJWK(k)
	var privJWK map[string]any
	json.Unmarshal(priv, &privJWK)
	hdr := func(edit map[string]any) map[string]any {
		h := map[string]any{"typ": DPoPType, "alg": "ES256", "jwk": jwkOf(t, k)}
		for n, v := range edit {
			if v == nil {
				delete(h, n)
			} else {
				h[n] = v
			}
		}
		return h
	}
	claims := func(edit map[string]any) map[string]any {
		c := map[string]any{"jti": "j-1", "htm": "POST", "htu": u, "iat": now.Unix()}
		for n, v := range edit {
			if v == nil {
				delete(c, n)
			} else {
				c[n] = v
			}
		}
		return c
	}
	base := DPoPOptions{Method: "POST", URL: u, Now: now, MaxAge: time.Minute, ClockSkew: 5 * time.Second}
	with := func(f func(o *DPoPOptions)) DPoPOptions { o := base; f(&o); return o }
	good := signJWS(t, k, hdr(nil), claims(nil))
	for _, tc := range []struct {
		name  string
		proof string
		opts  DPoPOptions
		want  DPoPCheck // 0 means accepted
	}{
		{"good", good, base, 0},
		{"htu with query and fragment", signJWS(t, k, hdr(nil), claims(map[string]any{"htu": u + "?a=b#c"})), base, 0},
		{"htu normalized", signJWS(t, k, hdr(nil), claims(map[string]any{"htu": "HTTPS://Dukcapil.Example.go.id:443/./%74oken"})), base, 0},
		{"iat within skew", signJWS(t, k, hdr(nil), claims(map[string]any{"iat": now.Unix() + 5})), base, 0},
		{"nonce accepted", signJWS(t, k, hdr(nil), claims(map[string]any{"nonce": "n-2"})),
			with(func(o *DPoPOptions) { o.AcceptNonce = func(n string) bool { return n == "n-1" || n == "n-2" } }), 0},
		{"not a JWT", "abc", base, DPoPCheckSyntax},
		{"too large", good + strings.Repeat("A", MaxDPoPProofSize), base, DPoPCheckSyntax},
		{"typ JWT", signJWS(t, k, hdr(map[string]any{"typ": "JWT"}), claims(nil)), base, DPoPCheckType},
		{"no typ", signJWS(t, k, hdr(map[string]any{"typ": nil}), claims(nil)), base, DPoPCheckType},
		{"alg none", signJWS(t, k, hdr(map[string]any{"alg": "none"}), claims(nil)), base, DPoPCheckAlgorithm},
		{"alg HS256", signJWS(t, k, hdr(map[string]any{"alg": "HS256"}), claims(nil)), base, DPoPCheckAlgorithm},
		{"alg not the key's", signJWS(t, k, hdr(map[string]any{"alg": "ES384"}), claims(nil)), base, DPoPCheckAlgorithm},
		{"alg not allowed", signJWS(t, ed, hdr(map[string]any{"alg": "EdDSA", "jwk": jwkOf(t, ed)}), claims(nil)),
			with(func(o *DPoPOptions) { o.Algorithms = []keys.Algorithm{keys.ES256} }), DPoPCheckAlgorithm},
		{"no jwk", signJWS(t, k, hdr(map[string]any{"jwk": nil}), claims(nil)), base, DPoPCheckKey},
		{"private jwk", signJWS(t, k, hdr(map[string]any{"jwk": privJWK}), claims(nil)), base, DPoPCheckKey},
		{"jwk a string", signJWS(t, k, hdr(map[string]any{"jwk": "k"}), claims(nil)), base, DPoPCheckKey},
		{"signed by another key", signJWS(t, other, hdr(nil), claims(nil)), base, DPoPCheckSignature},
		{"no jti", signJWS(t, k, hdr(nil), claims(map[string]any{"jti": nil})), base, DPoPCheckClaims},
		{"jti too long", signJWS(t, k, hdr(nil), claims(map[string]any{"jti": strings.Repeat("j", maxJTILen+1)})), base, DPoPCheckClaims},
		{"no htm", signJWS(t, k, hdr(nil), claims(map[string]any{"htm": nil})), base, DPoPCheckClaims},
		{"no htu", signJWS(t, k, hdr(nil), claims(map[string]any{"htu": nil})), base, DPoPCheckClaims},
		{"iat a string", signJWS(t, k, hdr(nil), claims(map[string]any{"iat": "1"})), base, DPoPCheckClaims},
		{"nonce not a nonce", signJWS(t, k, hdr(nil), claims(map[string]any{"nonce": "a\"b"})), base, DPoPCheckClaims},
		{"other method", signJWS(t, k, hdr(nil), claims(map[string]any{"htm": "GET"})), base, DPoPCheckMethod},
		{"method case", signJWS(t, k, hdr(nil), claims(map[string]any{"htm": "post"})), base, DPoPCheckMethod},
		{"other path", signJWS(t, k, hdr(nil), claims(map[string]any{"htu": "https://dukcapil.example.go.id/credential"})), base, DPoPCheckURI},
		{"other host", signJWS(t, k, hdr(nil), claims(map[string]any{"htu": "https://evil.example/token"})), base, DPoPCheckURI},
		{"http instead of https", signJWS(t, k, hdr(nil), claims(map[string]any{"htu": "http://dukcapil.example.go.id/token"})), base, DPoPCheckURI},
		{"other port", signJWS(t, k, hdr(nil), claims(map[string]any{"htu": "https://dukcapil.example.go.id:8443/token"})), base, DPoPCheckURI},
		{"too old", good, with(func(o *DPoPOptions) { o.Now = now.Add(2 * time.Minute) }), DPoPCheckTime},
		{"from the future", good, with(func(o *DPoPOptions) { o.Now = now.Add(-time.Minute) }), DPoPCheckTime},
		{"no ath with a token", good, with(func(o *DPoPOptions) { o.AccessToken = "at" }), DPoPCheckAccessToken},
		{"ath of another token", signJWS(t, k, hdr(nil), claims(map[string]any{"ath": accessTokenHash("other")})),
			with(func(o *DPoPOptions) { o.AccessToken = "at" }), DPoPCheckAccessToken},
		{"bound to another key", good, with(func(o *DPoPOptions) { o.BoundKey = rfcJKT }), DPoPCheckKeyBinding},
		{"bound to this key", good, with(func(o *DPoPOptions) { o.BoundKey = jkt }), 0},
		{"nonce required, none", good, with(func(o *DPoPOptions) { o.AcceptNonce = func(string) bool { return true } }), DPoPCheckNonce},
		{"nonce required, stale", signJWS(t, k, hdr(nil), claims(map[string]any{"nonce": "old"})),
			with(func(o *DPoPOptions) { o.AcceptNonce = func(n string) bool { return n == "n-1" } }), DPoPCheckNonce},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := VerifyDPoPProof(tc.proof, tc.opts)
			if tc.want == 0 {
				if err != nil || p == nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			if got := dpopCheck(err); got != tc.want || p != nil {
				t.Fatalf("got %v (%v), %v; want check %v", got, err, p, tc.want)
			}
			wantSentinel := ErrInvalidDPoPProof
			if tc.want == DPoPCheckNonce {
				wantSentinel = ErrUseDPoPNonce
			}
			if !errors.Is(err, wantSentinel) {
				t.Fatalf("%v does not unwrap to %v", err, wantSentinel)
			}
		})
	}
	for _, tc := range []struct {
		name string
		opts DPoPOptions
	}{
		{"no method", with(func(o *DPoPOptions) { o.Method = "" })},
		{"no URL", with(func(o *DPoPOptions) { o.URL = "" })},
		{"relative URL", with(func(o *DPoPOptions) { o.URL = "/token" })},
		{"no time", with(func(o *DPoPOptions) { o.Now = time.Time{} })},
		{"no max age", with(func(o *DPoPOptions) { o.MaxAge = 0 })},
		{"skew over 10 minutes", with(func(o *DPoPOptions) { o.ClockSkew = 11 * time.Minute })},
	} {
		t.Run("options/"+tc.name, func(t *testing.T) {
			p, err := VerifyDPoPProof(good, tc.opts)
			if err == nil || p != nil || errors.Is(err, ErrInvalidDPoPProof) || dpopCheck(err) != 0 {
				t.Fatalf("got %v, %v; want an options error", p, err)
			}
		})
	}
}

func TestNormalizeHTU(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://server.example.com/token", "https://server.example.com/token"},
		{"HTTPS://Server.Example.COM:443/token?x#y", "https://server.example.com/token"},
		{"http://127.0.0.1:80", "http://127.0.0.1/"},
		{"http://[::1]:8080/a", "http://[::1]:8080/a"},
		{"https://a.example/%7e%41%2f%2F", "https://a.example/~A%2F%2F"},
		{"https://a.example/a/./b/../c/", "https://a.example/a/c/"},
		{"https://a.example/a/..", "https://a.example/"},
		{"https://a.example:8443/", "https://a.example:8443/"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := normalizeHTU(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	for _, bad := range []string{"/token", "ftp://a.example/", "https://u@a.example/", "mailto:a@b", ":"} {
		if got, err := normalizeHTU(bad); err == nil {
			t.Fatalf("%q normalized to %q", bad, got)
		}
	}
}

func TestReadDPoPHeader(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []string
		want   string
		ok     bool
	}{
		{"none", nil, "", true},
		{"one", []string{"eyJ.eyJ.sig"}, "eyJ.eyJ.sig", true},
		{"two", []string{"a.b.c", "d.e.f"}, "", false},
		{"not token68", []string{"a b"}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tc.values {
				h.Add("Dpop", v)
			}
			got, err := ReadDPoPHeader(h)
			if tc.ok != (err == nil) || got != tc.want || (err != nil && dpopCheck(err) != DPoPCheckSyntax) {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}

func TestDPoPErrorResponse(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        error
		atResource bool
		nonce      string
		want       ProtocolError
	}{
		{"token endpoint", &DPoPError{Check: DPoPCheckSignature, Detail: "d"}, false, "",
			ProtocolError{Status: 400, Code: CodeInvalidDPoPProof, Description: "d"}},
		{"token endpoint nonce", &DPoPError{Check: DPoPCheckNonce, Detail: "d"}, false, "n-9",
			ProtocolError{Status: 400, Code: CodeUseDPoPNonce, Description: "d", DPoPNonce: "n-9"}},
		{"resource", &DPoPError{Check: DPoPCheckURI, Detail: "d"}, true, "",
			ProtocolError{Status: 401, Code: CodeInvalidDPoPProof, Description: "d", Scheme: SchemeDPoP}},
		{"resource nonce", &DPoPError{Check: DPoPCheckNonce, Detail: "d"}, true, "n-9",
			ProtocolError{Status: 401, Code: CodeUseDPoPNonce, Description: "d", Scheme: SchemeDPoP, DPoPNonce: "n-9"}},
		{"resource key binding", &DPoPError{Check: DPoPCheckKeyBinding, Detail: "d"}, true, "",
			ProtocolError{Status: 401, Code: CodeInvalidToken, Description: "d", Scheme: SchemeDPoP}},
		{"not a DPoP error", errors.New("db down"), false, "", ProtocolError{Status: 500, Code: CodeServerError}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := DPoPErrorResponse(tc.err, tc.atResource, tc.nonce)
			if got.Err != tc.err {
				t.Fatalf("cause %v", got.Err)
			}
			got.Err = nil
			if *got != tc.want {
				t.Fatalf("got %+v, want %+v", *got, tc.want)
			}
			rec := httptest.NewRecorder()
			WriteError(rec, DPoPErrorResponse(tc.err, tc.atResource, tc.nonce))
			if rec.Code != tc.want.Status || rec.Header().Get("DPoP-Nonce") != tc.nonce ||
				(tc.atResource && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "DPoP error=")) {
				t.Fatalf("written: %d %v", rec.Code, rec.Header())
			}
		})
	}
}

func TestDPoPCheckString(t *testing.T) {
	if DPoPCheckNonce.String() != "nonce" || DPoPCheckSyntax.String() != "syntax" || DPoPCheck(99).String() != "DPoPCheck(99)" {
		t.Fatal(DPoPCheckNonce, DPoPCheckSyntax, DPoPCheck(99))
	}
	e := &DPoPError{Check: DPoPCheckURI, Detail: "x"}
	if e.Error() != "oid4vci: invalid DPoP proof [htu]: x" {
		t.Fatal(e.Error())
	}
}

// FuzzVerifyDPoPProof checks that an accepted DPoP proof is one: its htm
// and htu are the request's, iat is in the window, its jkt is its key's
// thumbprint, and neither a strict prefix of it nor the same proof for
// another method, URI or time is accepted; a rejection is a *DPoPError
// and no result.
func FuzzVerifyDPoPProof(f *testing.F) {
	files, _ := filepath.Glob(dpopDir + "/*.jwt")
	if len(files) == 0 {
		f.Fatal("no DPoP seeds in " + dpopDir)
	}
	for _, file := range files {
		f.Add(strings.TrimSpace(string(readSeed(f, file))))
	}
	opts := DPoPOptions{Method: "POST", URL: "https://server.example.com/token", Now: time.Unix(1562262616, 0), MaxAge: time.Minute}
	f.Fuzz(func(t *testing.T, proof string) {
		p, err := VerifyDPoPProof(proof, opts)
		if err != nil {
			var de *DPoPError
			if p != nil || !errors.As(err, &de) || !errors.Is(err, ErrInvalidDPoPProof) {
				t.Fatalf("rejection %v with result %v", err, p)
			}
			return
		}
		if p.Method() != "POST" || p.JTI() == "" || p.IssuedAt().After(opts.Now) || p.IssuedAt().Before(opts.Now.Add(-opts.MaxAge)) {
			t.Fatalf("accepted %+v", p)
		}
		if tp, err := keys.Thumbprint(p.Key()); err != nil || tp != p.JKT() {
			t.Fatalf("jkt %s, key thumbprint %s", p.JKT(), tp)
		}
		for i := 0; i < len(proof); i += 1 + len(proof)/64 {
			if _, err := VerifyDPoPProof(proof[:i], opts); err == nil {
				t.Fatalf("prefix of length %d accepted", i)
			}
		}
		for _, o := range []DPoPOptions{
			{Method: "GET", URL: opts.URL, Now: opts.Now, MaxAge: opts.MaxAge},
			{Method: "POST", URL: "https://server.example.com/credential", Now: opts.Now, MaxAge: opts.MaxAge},
			{Method: "POST", URL: opts.URL, Now: opts.Now.Add(2 * time.Minute), MaxAge: opts.MaxAge},
		} {
			if _, err := VerifyDPoPProof(proof, o); err == nil {
				t.Fatalf("accepted with %+v", o)
			}
		}
	})
}
