package trustlist

import (
	"context"
	"crypto"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ikdkit/ikdkit/keys"
)

// MaxClockSkew bounds StoreOptions.ClockSkew.
const MaxClockSkew = 10 * time.Minute

// StoreOptions configure a Store.
type StoreOptions struct {
	// Operator, if set, is the only operator identifier (iss) accepted.
	Operator string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// ClockSkew is how far in the future a list's iat may be; at most
	// [MaxClockSkew].
	ClockSkew time.Duration
}

// Store holds the current trust list of one operator. Updates are verified
// with the pinned operator key and never go back to an older or equal
// sequence number. A Store is safe for concurrent use; readers get an
// immutable *List and are never blocked by an update.
type Store struct {
	key  crypto.PublicKey
	opts StoreOptions
	mu   sync.Mutex // serialises updates
	cur  atomic.Pointer[List]
}

// NewStore returns an empty store that accepts lists signed by operatorKey.
func NewStore(operatorKey crypto.PublicKey, opts StoreOptions) (*Store, error) {
	if _, err := keys.AlgorithmFor(operatorKey); err != nil {
		return nil, errorf("store", ErrOptions, "operator key: %v", err)
	}
	if opts.ClockSkew < 0 || opts.ClockSkew > MaxClockSkew {
		return nil, errorf("store", ErrOptions, "ClockSkew must be 0 to %v", MaxClockSkew)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Store{key: operatorKey, opts: opts}, nil
}

// Current returns the current list, or nil if none has been loaded.
func (s *Store) Current() *List { return s.cur.Load() }

// Update verifies token (see [Verify]) and makes it the current list.
// It refuses a list of another operator than the pinned one or the current
// list's ([ErrOperator]), one issued in the future beyond the skew
// ([ErrNotYetValid]) and one whose sequence number is not greater than the
// current list's ([ErrRollback]). On error the current list is unchanged.
func (s *Store) Update(token []byte) (*List, error) {
	l, err := Verify(token, s.key)
	if err != nil {
		return nil, err
	}
	if s.opts.Operator != "" && l.Operator != s.opts.Operator {
		return nil, errorf("update", ErrOperator, "list by %.100q", l.Operator)
	}
	if l.IssuedAt.After(s.opts.Now().Add(s.opts.ClockSkew)) {
		return nil, errorf("update", ErrNotYetValid, "iat %v", l.IssuedAt)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.cur.Load(); cur != nil {
		if l.Operator != cur.Operator {
			return nil, errorf("update", ErrOperator, "list by %.100q, current by %.100q", l.Operator, cur.Operator)
		}
		if l.Sequence <= cur.Sequence {
			return nil, errorf("update", ErrRollback, "seq %d, current %d", l.Sequence, cur.Sequence)
		}
	}
	s.cur.Store(l)
	return l, nil
}

// Refresh fetches the trust list at rawURL with an HTTP GET and passes it to
// [Store.Update]. Only https URLs are fetched; the response must be 200 with
// content type application/trustlist+jwt or application/jwt, and the body is
// read up to MaxTokenSize. A list that is not newer than the current one
// fails with ErrRollback (the caller may treat that as "nothing new").
// Refresh is the only method that does I/O.
func (s *Store) Refresh(ctx context.Context, client *http.Client, rawURL string) (*List, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, errorf("refresh", ErrOptions, "not an https URL: %.200q", rawURL)
	}
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, errorf("refresh", ErrFetch, "%v", err)
	}
	req.Header.Set("Accept", MediaType)
	resp, err := client.Do(req)
	if err != nil {
		return nil, errorf("refresh", ErrFetch, "%v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, errorf("refresh", ErrFetch, "HTTP status %d", resp.StatusCode)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != MediaType && mt != "application/jwt" {
		return nil, errorf("refresh", ErrFetch, "content type %.64q", mt)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxTokenSize+1))
	if err != nil {
		return nil, errorf("refresh", ErrFetch, "%v", err)
	}
	if len(body) > MaxTokenSize {
		return nil, errorf("refresh", ErrTooLarge, "response over %d bytes", MaxTokenSize)
	}
	return s.Update(body)
}
