package statuslist

import (
	"context"
	"crypto"
	"crypto/rand"
	"errors"
	"github.com/ikdkit/ikdkit/keys"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type testClock struct{ t time.Time }

func (c *testClock) Now() time.Time          { return c.t }
func (c *testClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

type cacheFixture struct {
	key   crypto.Signer
	clock *testClock
	cache *Cache
	list  *List
}

func newCacheFixture(t *testing.T, policy Policy) *cacheFixture {
	t.Helper()
	f := &cacheFixture{key: testKey(t, keys.ES256), clock: &testClock{testIat}}
	f.list, _ = New(1, 1024)
	_ = f.list.Set(5, Invalid)
	var err error
	f.cache, err = NewCache(CacheConfig{
		Keys: func(uri string) (*Verifier, error) {
			if !strings.HasPrefix(uri, "https://") {
				return nil, errors.New("untrusted")
			}
			return &Verifier{Key: f.key.Public()}, nil
		},
		Policy: policy,
		Now:    f.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *cacheFixture) token(t *testing.T, p TokenParams, format TokenFormat) []byte {
	t.Helper()
	sign := SignJWT
	if format == TokenCWT {
		sign = SignCWT
	}
	raw, err := sign(rand.Reader, f.key, f.list, p)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestCacheAgeing walks a fixed clock through a token's life: fresh, past
// ttl (refused by default), past MaxAge, past exp.
func TestCacheAgeing(t *testing.T) {
	p := testParams() // iat testIat, ttl 12h, exp +7d
	ref := Reference{Index: 5, URI: p.Subject}
	t.Run("default policy", func(t *testing.T) {
		f := newCacheFixture(t, Policy{})
		if err := f.cache.Add(p.Subject, f.token(t, p, TokenJWT)); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(3 * time.Hour)
		ans, err := f.cache.Lookup(ref)
		if err != nil {
			t.Fatal(err)
		}
		if ans.Status != Invalid || ans.Age != 3*time.Hour || !ans.IssuedAt.Equal(testIat) || !ans.FetchedAt.Equal(testIat) || ans.RefreshDue {
			t.Fatalf("answer %+v", ans)
		}
		if a2, _ := f.cache.Lookup(Reference{Index: 6, URI: p.Subject}); a2.Status != Valid {
			t.Fatalf("index 6: %v", a2.Status)
		}
		f.clock.Advance(9*time.Hour + time.Second) // 12h01s after fetch: ttl ran out
		if _, err := f.cache.Lookup(ref); !errors.Is(err, ErrStale) {
			t.Fatalf("past ttl: %v", err)
		}
	})
	t.Run("offline policy", func(t *testing.T) {
		f := newCacheFixture(t, Policy{MaxAge: 72 * time.Hour, AllowBeyondTTL: true})
		_ = f.cache.Add(p.Subject, f.token(t, p, TokenCWT))
		f.clock.Advance(13 * time.Hour)
		ans, err := f.cache.Lookup(ref)
		if err != nil || !ans.RefreshDue || ans.Age != 13*time.Hour {
			t.Fatalf("past ttl, offline: %+v, %v", ans, err)
		}
		if due := f.cache.RefreshDue(); len(due) != 1 || due[0] != p.Subject {
			t.Fatalf("RefreshDue = %v", due)
		}
		f.clock.Advance(59*time.Hour + time.Second) // 72h01s after iat
		if _, err := f.cache.Lookup(ref); !errors.Is(err, ErrStale) {
			t.Fatalf("past MaxAge: %v", err)
		}
	})
	t.Run("exp always honoured", func(t *testing.T) {
		f := newCacheFixture(t, Policy{MaxAge: 30 * 24 * time.Hour, AllowBeyondTTL: true})
		_ = f.cache.Add(p.Subject, f.token(t, p, TokenJWT))
		f.clock.Advance(7 * 24 * time.Hour)
		if _, err := f.cache.Lookup(ref); !errors.Is(err, ErrExpired) {
			t.Fatalf("at exp: %v", err)
		}
	})
	t.Run("age counts from iat, ttl from fetch", func(t *testing.T) {
		f := newCacheFixture(t, Policy{MaxAge: 24 * time.Hour})
		f.clock.Advance(10 * time.Hour) // token obtained 10h after it was issued
		_ = f.cache.Add(p.Subject, f.token(t, p, TokenJWT))
		f.clock.Advance(11 * time.Hour)
		ans, err := f.cache.Lookup(ref)
		if err != nil || ans.Age != 21*time.Hour || !ans.FetchedAt.Equal(testIat.Add(10*time.Hour)) {
			t.Fatalf("%+v, %v", ans, err)
		}
	})
}

func TestCacheRejects(t *testing.T) {
	p := testParams()
	f := newCacheFixture(t, Policy{})
	if err := f.cache.Add(p.Subject, f.token(t, p, TokenJWT)); err != nil {
		t.Fatal(err)
	}
	older := p
	older.IssuedAt = p.IssuedAt.Add(-time.Hour)
	other := p
	other.Subject = "https://status.ikd.example.id/lists/32/8"
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"not cached", func() error {
			_, err := f.cache.Lookup(Reference{URI: "https://status.ikd.example.id/none"})
			return err
		}, ErrNotCached},
		{"index out of range", func() error { _, err := f.cache.Lookup(Reference{Index: 1024, URI: p.Subject}); return err }, ErrIndexOutOfRange},
		{"rollback to older token", func() error { return f.cache.Add(p.Subject, f.token(t, older, TokenJWT)) }, ErrRollback},
		{"sub differs from uri", func() error { return f.cache.Add(p.Subject, f.token(t, other, TokenJWT)) }, ErrSubject},
		{"untrusted uri", func() error { return f.cache.Add("http://evil.example/1", f.token(t, p, TokenJWT)) }, ErrUntrusted},
		{"relative uri", func() error { return f.cache.Add("/lists/1", f.token(t, p, TokenJWT)) }, ErrMalformed},
		{"garbage", func() error { return f.cache.Add(p.Subject, []byte("x.y.z")) }, ErrMalformed},
		{"other key", func() error {
			g := newCacheFixture(t, Policy{})
			return f.cache.Add(p.Subject, g.token(t, p, TokenJWT))
		}, ErrSignature},
		{"no Keys", func() error { _, err := NewCache(CacheConfig{}); return err }, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
	// A rejected update leaves the cached token in place.
	if _, err := f.cache.Lookup(Reference{Index: 5, URI: p.Subject}); err != nil {
		t.Fatalf("cached token lost: %v", err)
	}
	f.cache.Remove(p.Subject)
	if _, err := f.cache.Lookup(Reference{Index: 5, URI: p.Subject}); !errors.Is(err, ErrNotCached) {
		t.Fatalf("after Remove: %v", err)
	}
}

func TestCacheMaxEntries(t *testing.T) {
	f := newCacheFixture(t, Policy{})
	c, _ := NewCache(CacheConfig{Keys: f.cache.keys, Now: f.clock.Now, MaxEntries: 1})
	p := testParams()
	if err := c.Add(p.Subject, f.token(t, p, TokenJWT)); err != nil {
		t.Fatal(err)
	}
	p.Subject += "x"
	if err := c.Add(p.Subject, f.token(t, p, TokenJWT)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
}

// TestCacheRefresh fetches from an httptest TLS server on loopback.
func TestCacheRefresh(t *testing.T) {
	f := newCacheFixture(t, Policy{})
	p := testParams()
	var body atomic.Value
	var ctype atomic.Value
	var status atomic.Int32
	var accept atomic.Value
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		accept.Store(r.Header.Get("Accept"))
		if s := status.Load(); s != 0 {
			w.WriteHeader(int(s))
			return
		}
		w.Header().Set("Content-Type", ctype.Load().(string))
		_, _ = w.Write(body.Load().([]byte))
	}))
	defer srv.Close()
	uri := srv.URL + "/lists/32/7"
	p.Subject = uri
	set := func(b []byte, ct string, st int) { body.Store(b); ctype.Store(ct); status.Store(int32(st)) }
	ctx := context.Background()

	set(append(f.token(t, p, TokenJWT), '\n'), MediaTypeJWT, 0)
	tok, err := f.cache.Refresh(ctx, srv.Client(), uri)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Format() != TokenJWT || accept.Load() != MediaTypeJWT+", "+MediaTypeCWT {
		t.Fatalf("format %v, Accept %q", tok.Format(), accept.Load())
	}
	if ans, err := f.cache.Lookup(Reference{Index: 5, URI: uri}); err != nil || ans.Status != Invalid {
		t.Fatalf("lookup after refresh: %+v %v", ans, err)
	}
	// A newer CWT replaces it; the revocation of index 6 becomes visible.
	_ = f.list.Set(6, Invalid)
	p.IssuedAt = p.IssuedAt.Add(time.Hour)
	f.clock.Advance(2 * time.Hour)
	set(f.token(t, p, TokenCWT), MediaTypeCWT+"; charset=binary", 0)
	if tok, err = f.cache.Refresh(ctx, srv.Client(), uri); err != nil || tok.Format() != TokenCWT {
		t.Fatalf("CWT refresh: %v", err)
	}
	if ans, _ := f.cache.Lookup(Reference{Index: 6, URI: uri}); ans.Status != Invalid || ans.Age != time.Hour {
		t.Fatalf("after CWT refresh: %+v", ans)
	}
	older := p
	older.IssuedAt = testIat
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	tests := []struct {
		name   string
		setup  func()
		ctx    context.Context
		client *http.Client
		uri    string
		want   error
	}{
		{"HTTP 404", func() { set(nil, MediaTypeJWT, 404) }, ctx, srv.Client(), uri, ErrFetch},
		{"wrong content type", func() { set(f.token(t, p, TokenJWT), "application/jwt", 0) }, ctx, srv.Client(), uri, ErrFetch},
		{"JWT served as CWT", func() { set(f.token(t, p, TokenJWT), MediaTypeCWT, 0) }, ctx, srv.Client(), uri, ErrMalformed},
		{"body over cap", func() { set(make([]byte, DefaultMaxTokenBytes+1), MediaTypeJWT, 0) }, ctx, srv.Client(), uri, ErrTooLarge},
		{"rollback", func() { set(f.token(t, older, TokenJWT), MediaTypeJWT, 0) }, ctx, srv.Client(), uri, ErrRollback},
		{"not https", func() {}, ctx, srv.Client(), strings.Replace(uri, "https:", "http:", 1), ErrFetch},
		{"nil client", func() {}, ctx, nil, uri, ErrFetch},
		{"canceled context", func() { set(f.token(t, p, TokenJWT), MediaTypeJWT, 0) }, canceled, srv.Client(), uri, ErrFetch},
		{"untrusted server certificate", func() { set(f.token(t, p, TokenJWT), MediaTypeJWT, 0) }, ctx, &http.Client{}, uri, ErrFetch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.setup()
			if _, err := f.cache.Refresh(tt.ctx, tt.client, tt.uri); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
	if ans, err := f.cache.Lookup(Reference{Index: 6, URI: uri}); err != nil || ans.Status != Invalid {
		t.Fatalf("failed refreshes must keep the cached token: %+v %v", ans, err)
	}
}

// TestCacheAddToken: a token that arrives without its uri is stored under
// its own sub, verified with the key Keys trusts for that sub.
func TestCacheAddToken(t *testing.T) {
	p := testParams()
	f := newCacheFixture(t, Policy{})
	only := func(uri string) (*Verifier, error) {
		if uri != p.Subject {
			return nil, errors.New("untrusted")
		}
		return &Verifier{Key: f.key.Public()}, nil
	}
	other := p
	other.Subject = "https://status.ikd.example.id/lists/32/8"
	g := newCacheFixture(t, Policy{})
	tests := []struct {
		name  string
		token []byte
		want  error
	}{
		{"jwt", f.token(t, p, TokenJWT), nil},
		{"cwt", f.token(t, p, TokenCWT), nil},
		{"jwt with a newline", append(f.token(t, p, TokenJWT), '\n'), ErrMalformed},
		{"sub not trusted", f.token(t, other, TokenJWT), ErrUntrusted},
		{"cwt sub not trusted", f.token(t, other, TokenCWT), ErrUntrusted},
		{"other key", g.token(t, p, TokenJWT), ErrSignature},
		{"other key cwt", g.token(t, p, TokenCWT), ErrSignature},
		{"garbage", []byte("x.y.z"), ErrMalformed},
		{"cbor garbage", []byte{0xd2, 0x84}, ErrMalformed},
		{"empty", nil, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewCache(CacheConfig{Keys: only, Now: f.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := c.AddToken(tc.token)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			_, lerr := c.Lookup(Reference{Index: 5, URI: p.Subject})
			if tc.want != nil {
				if tok != nil || !errors.Is(lerr, ErrNotCached) {
					t.Fatalf("a refused token was stored (%v)", lerr)
				}
				return
			}
			if tok.Subject() != p.Subject || lerr != nil {
				t.Fatalf("sub %q, lookup %v", tok.Subject(), lerr)
			}
		})
	}
}
