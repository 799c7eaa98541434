package statuslist

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"time"
)

// Cache defaults.
const (
	// DefaultMaxAge is the default [Policy.MaxAge]: a cached answer whose
	// token was issued more than 24 hours ago is refused.
	DefaultMaxAge = 24 * time.Hour
	// DefaultMaxEntries is the default cap on the number of Status List
	// Tokens a [Cache] holds.
	DefaultMaxEntries = 1024
	// MinRefreshInterval is the shortest interval [Cache.RefreshDue]
	// schedules for one uri, whatever the token's ttl says (draft §11.5:
	// clients SHOULD bound ttl so an issuer cannot make them flood the
	// Status Provider).
	MinRefreshInterval = time.Minute
)

// Policy is a verifier's freshness policy for cached Status List Tokens
// (draft §13.7 "Status List Update Interval and Caching").
//
// A token's exp is always honoured: after it, the token "MUST NOT be relied
// upon any longer" and lookups fail with [ErrExpired]. MaxAge bounds how old
// the status information may be, counted from the token's iat. The token's
// ttl bounds how long it may be used after it was fetched; by default a
// lookup past ttl fails with [ErrStale].
type Policy struct {
	// MaxAge is the largest accepted age of the status information, now
	// minus the token's iat. Zero means [DefaultMaxAge].
	MaxAge time.Duration
	// AllowBeyondTTL lets lookups keep answering after the token's ttl has
	// run out since it was fetched, for verifiers that are offline; the
	// [Answer] then has RefreshDue set. MaxAge and exp still apply.
	AllowBeyondTTL bool
}

// CacheConfig configures a [Cache].
type CacheConfig struct {
	// Keys returns the verifier (algorithm and public key) trusted for the
	// Status List Token at uri, or an error if none is ([ErrUntrusted]).
	// Required. Its Now
	// is replaced by the cache's clock.
	Keys func(uri string) (*Verifier, error)
	// Policy is the freshness policy for lookups.
	Policy Policy
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxEntries caps the number of cached tokens; zero means
	// [DefaultMaxEntries].
	MaxEntries int
}

// Cache holds verified Status List Tokens keyed by their uri, for
// offline-first status checks. [Cache.Lookup] answers only from memory and
// never does I/O; [Cache.Refresh] fetches over HTTP and is a separate call
// the application makes when it has a network; [Cache.Add] stores a token
// that arrived by other means (a sync bundle, the holder), and
// [Cache.AddToken] one whose uri is only its own sub (a file). Every token is
// verified before it is stored, and a token older than the cached one is
// refused ([ErrRollback]).
//
// A Cache is safe for concurrent use. It holds no global state: create one
// per trust configuration.
type Cache struct {
	keys       func(string) (*Verifier, error)
	now        func() time.Time
	maxAge     time.Duration
	beyondTTL  bool
	maxEntries int

	mu sync.RWMutex
	m  map[string]*cacheEntry
}

// cacheEntry is immutable once stored; a refresh replaces the pointer.
type cacheEntry struct {
	tok       *Token
	fetchedAt time.Time
	iat       int64 // unix seconds
	exp       int64 // unix seconds; 0 = none
	ttlEnd    int64 // unix nanoseconds at which ttl runs out; 0 = no ttl
}

// Answer is the result of a [Cache.Lookup].
type Answer struct {
	// Status is the status of the Referenced Token.
	Status Status
	// IssuedAt is the iat of the Status List Token the answer came from:
	// the moment the status was true.
	IssuedAt time.Time
	// FetchedAt is when that token was verified and stored in the cache.
	FetchedAt time.Time
	// Age is how old the answer is: now minus IssuedAt.
	Age time.Duration
	// RefreshDue reports that the token's ttl has run out since it was
	// fetched, so a fresh copy SHOULD be retrieved (draft §8.3 step 4d).
	// Only possible with [Policy.AllowBeyondTTL].
	RefreshDue bool
}

// NewCache returns an empty cache.
func NewCache(cfg CacheConfig) (*Cache, error) {
	if cfg.Keys == nil {
		return nil, errorf("cache", ErrMalformed, "CacheConfig.Keys is required")
	}
	if cfg.Policy.MaxAge < 0 || cfg.MaxEntries < 0 {
		return nil, errorf("cache", ErrMalformed, "negative MaxAge or MaxEntries")
	}
	c := &Cache{
		keys:       cfg.Keys,
		now:        cfg.Now,
		maxAge:     cfg.Policy.MaxAge,
		beyondTTL:  cfg.Policy.AllowBeyondTTL,
		maxEntries: cfg.MaxEntries,
		m:          make(map[string]*cacheEntry),
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.maxAge == 0 {
		c.maxAge = DefaultMaxAge
	}
	if c.maxEntries == 0 {
		c.maxEntries = DefaultMaxEntries
	}
	return c, nil
}

// Lookup returns the status of the entry ref points at, from the cache
// only. It fails with [ErrNotCached] if no token for ref.URI is held,
// [ErrExpired] past the token's exp, [ErrStale] if the answer is older than
// the policy's MaxAge or (without AllowBeyondTTL) the ttl has run out, and
// [ErrIndexOutOfRange] if the index is beyond the list.
//
// Lookup checks only the Status List side; the Referenced Token itself must
// already have been verified (draft §8.3: its own rules come first).
func (c *Cache) Lookup(ref Reference) (Answer, error) {
	const op = "lookup"
	c.mu.RLock()
	e := c.m[ref.URI]
	c.mu.RUnlock()
	if e == nil {
		return Answer{}, errorf(op, ErrNotCached, "%q", ref.URI)
	}
	now := c.now()
	nowS := now.Unix()
	// draft §13.7: after exp the list MUST NOT be relied upon.
	if e.exp != 0 && nowS >= e.exp {
		return Answer{}, errorf(op, ErrExpired, "%q", ref.URI)
	}
	age := now.Sub(e.tok.iat)
	if age > c.maxAge {
		return Answer{}, errorf(op, ErrStale, "%q issued %v ago, policy allows %v", ref.URI, age, c.maxAge)
	}
	due := e.ttlEnd != 0 && now.UnixNano() > e.ttlEnd
	// draft §8.3 step 4d: past fetch time + ttl a fresh copy SHOULD be used.
	if due && !c.beyondTTL {
		return Answer{}, errorf(op, ErrStale, "%q: ttl ran out", ref.URI)
	}
	s, err := e.tok.list.Get(ref.Index)
	if err != nil {
		return Answer{}, err
	}
	return Answer{Status: s, IssuedAt: e.tok.iat, FetchedAt: e.fetchedAt, Age: age, RefreshDue: due}, nil
}

// Add verifies token (JWT or CWT) with the verifier cfg.Keys returns for
// uri and stores it. The token's sub must equal uri (draft §8.3 step 4a),
// and its iat must not be older than a token already cached for uri.
func (c *Cache) Add(uri string, token []byte) error {
	_, err := c.add("add", uri, token, 0)
	return err
}

// AddToken is [Cache.Add] for a token that arrived without its uri (a file,
// a sync bundle): the uri is the token's own sub (draft §5.1, §5.2). The sub
// is read before verification only to ask cfg.Keys which key is trusted for
// that uri; the token is then verified with that key and stored exactly as
// Add does, so a token is only ever stored under a uri whose trusted key
// signed it. It returns the verified token.
func (c *Cache) AddToken(token []byte) (*Token, error) {
	const op = "add"
	sub, err := unverifiedSubject(token)
	if err != nil {
		return nil, errorf(op, ErrMalformed, "%v", err)
	}
	return c.add(op, sub, token, 0)
}

func (c *Cache) verifier(op, uri string) (*Verifier, error) {
	if err := checkURI(uri); err != nil {
		return nil, errorf(op, ErrMalformed, "uri: %v", err)
	}
	v, err := c.keys(uri)
	if err != nil {
		return nil, &Error{Op: op, Err: ErrUntrusted, Detail: uri + ": " + err.Error()}
	}
	if v == nil {
		return nil, errorf(op, ErrUntrusted, "%s", uri)
	}
	vv := *v
	vv.Now = c.now
	return &vv, nil
}

func (c *Cache) add(op, uri string, token []byte, format TokenFormat) (*Token, error) {
	v, err := c.verifier(op, uri)
	if err != nil {
		return nil, err
	}
	var tok *Token
	switch format {
	case TokenJWT:
		tok, err = v.VerifyJWT(token)
	case TokenCWT:
		tok, err = v.VerifyCWT(token)
	default:
		tok, err = v.Verify(token)
	}
	if err != nil {
		return nil, err
	}
	// draft §5.1/§5.2 and §8.3 step 4a: sub MUST equal the uri.
	if tok.subject != uri {
		return nil, errorf(op, ErrSubject, "sub %q, uri %q", tok.subject, uri)
	}
	now := c.now()
	e := &cacheEntry{tok: tok, fetchedAt: now, iat: tok.iat.Unix()}
	if exp, ok := tok.ExpiresAt(); ok {
		e.exp = exp.Unix()
	}
	if tok.ttl > 0 {
		e.ttlEnd = now.Add(tok.ttl).UnixNano()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[uri]; old != nil {
		if e.iat < old.iat {
			return nil, errorf(op, ErrRollback, "%q: iat %v before cached %v", uri, tok.iat, old.tok.iat)
		}
	} else if len(c.m) >= c.maxEntries {
		return nil, errorf(op, ErrTooLarge, "cache holds %d tokens", len(c.m))
	}
	c.m[uri] = e
	return tok, nil
}

// Remove drops the token cached for uri, if any.
func (c *Cache) Remove(uri string) {
	c.mu.Lock()
	delete(c.m, uri)
	c.mu.Unlock()
}

// RefreshDue returns, sorted, the uris whose token's ttl (at least
// [MinRefreshInterval]) has run out since it was fetched, or that expire
// within that interval: the ones to [Cache.Refresh] next.
func (c *Cache) RefreshDue() []string {
	now := c.now()
	c.mu.RLock()
	var due []string
	for uri, e := range c.m {
		ttl := max(e.tok.ttl, MinRefreshInterval)
		if (e.ttlEnd != 0 && !now.Before(e.fetchedAt.Add(ttl))) ||
			(e.exp != 0 && now.Add(MinRefreshInterval).Unix() >= e.exp) {
			due = append(due, uri)
		}
	}
	c.mu.RUnlock()
	sort.Strings(due)
	return due
}

// Refresh fetches the Status List Token at uri with an HTTP GET (draft §8.1,
// §8.2), verifies it and stores it, returning the verified token. Only
// https URIs are fetched. The response must be 2xx with content type
// application/statuslist+jwt or application/statuslist+cwt, and the body is
// read up to the verifier's MaxTokenBytes. Redirects follow client's policy
// (draft §11.4: it must stop redirect loops; Go's default client stops after
// 10). Caching headers are ignored: exp and ttl in the token take priority
// (draft §8.2).
//
// Refresh is the only method that does I/O; verification never calls it.
func (c *Cache) Refresh(ctx context.Context, client *http.Client, uri string) (*Token, error) {
	const op = "refresh"
	if client == nil {
		return nil, errorf(op, ErrFetch, "nil http.Client")
	}
	if u, err := url.Parse(uri); err != nil || u.Scheme != "https" {
		return nil, errorf(op, ErrFetch, "refusing non-https uri %q", uri)
	}
	v, err := c.verifier(op, uri)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, errorf(op, ErrFetch, "%v", err)
	}
	req.Header.Set("Accept", MediaTypeJWT+", "+MediaTypeCWT)
	resp, err := client.Do(req)
	if err != nil {
		return nil, &Error{Op: op, Err: ErrFetch, Detail: err.Error()}
	}
	defer resp.Body.Close()
	// draft §8.2: a successful response MUST use a 2xx status code.
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, errorf(op, ErrFetch, "HTTP status %d", resp.StatusCode)
	}
	// draft §8.2: the content type MUST be one of the two media types.
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var format TokenFormat
	switch {
	case err != nil:
		return nil, errorf(op, ErrFetch, "bad content type %q", resp.Header.Get("Content-Type"))
	case mt == MediaTypeJWT:
		format = TokenJWT
	case mt == MediaTypeCWT:
		format = TokenCWT
	default:
		return nil, errorf(op, ErrFetch, "content type %q", mt)
	}
	maxTok := v.MaxTokenBytes
	if maxTok <= 0 {
		maxTok = DefaultMaxTokenBytes
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(maxTok)+1))
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, &Error{Op: op, Err: ErrFetch, Detail: err.Error()}
		}
		return nil, errorf(op, ErrFetch, "reading body: %v", err)
	}
	if len(body) > maxTok {
		return nil, errorf(op, ErrTooLarge, "response body over %d bytes", maxTok)
	}
	if format == TokenJWT {
		// The JWS Compact Serialization may end with a newline on the wire.
		for len(body) > 0 && (body[len(body)-1] == '\n' || body[len(body)-1] == '\r') {
			body = body[:len(body)-1]
		}
	}
	return c.add(op, uri, body, format)
}
