package holder

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/keys"
)

// fakePlatform stands in for a keystore wrapping key with a PIN attempt
// counter. The counts live in the fake, not in the wallet file, as they
// would in a secure element; with path set (crash tests, where the keystore
// must outlive the process) they are also saved to that file, outside the
// wallet directory, before a change returns.
type fakePlatform struct {
	key   []byte
	calls int // Wrap and Unwrap calls

	mu     sync.Mutex
	path   string
	counts map[string]fakeCount // by hex wallet id
}

type fakeCount struct {
	Failures int
	Last     time.Time
}

var _ PINCounter = (*fakePlatform)(nil)

func (p *fakePlatform) Wrap(_ context.Context, pt []byte) ([]byte, error) {
	p.calls++
	return seal(rand.Reader, p.key, pt, []byte("platform"))
}

func (p *fakePlatform) Unwrap(_ context.Context, ct []byte) ([]byte, error) {
	p.calls++
	return open(p.key, ct, []byte("platform"))
}

func (p *fakePlatform) PINFailures(_ context.Context, wallet []byte) (int, time.Time, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.counts[hex.EncodeToString(wallet)]
	return c.Failures, c.Last, nil
}

func (p *fakePlatform) AddPINFailure(_ context.Context, wallet []byte, at time.Time) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := hex.EncodeToString(wallet)
	c := p.counts[id]
	c.Failures++
	c.Last = at
	return c.Failures, p.setLocked(id, c)
}

func (p *fakePlatform) ResetPINFailures(_ context.Context, wallet []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.setLocked(hex.EncodeToString(wallet), fakeCount{})
}

func (p *fakePlatform) setLocked(id string, c fakeCount) error {
	if p.counts == nil {
		p.counts = map[string]fakeCount{}
	}
	p.counts[id] = c
	if p.path == "" {
		return nil
	}
	return p.saveLocked()
}

// fakePlatformState is what a persisted fakePlatform keeps in its file.
type fakePlatformState struct {
	Key    []byte
	Counts map[string]fakeCount
}

func (p *fakePlatform) saveLocked() error {
	b, err := json.Marshal(fakePlatformState{Key: p.key, Counts: p.counts})
	if err != nil {
		return err
	}
	tmp := p.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err = f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, p.path)
}

// persistedPlatform returns a fakePlatform saved at path, loading it if
// the file exists.
func persistedPlatform(path string) (*fakePlatform, error) {
	p := &fakePlatform{path: path}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		p.key = make([]byte, 32)
		if _, err := rand.Read(p.key); err != nil {
			return nil, err
		}
		return p, p.saveLocked()
	} else if err != nil {
		return nil, err
	}
	var st fakePlatformState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, err
	}
	p.key, p.counts = st.Key, st.Counts
	return p, nil
}

// fakeKeystore stands in for Android Keystore / Secure Enclave: keys are
// handed out only as opaque signers.
type fakeKeystore struct {
	mu   sync.Mutex
	keys map[string]crypto.Signer
}

func (k *fakeKeystore) CreateKey(_ context.Context, alias string) (crypto.Signer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		return nil, err
	}
	if k.keys == nil {
		k.keys = map[string]crypto.Signer{}
	}
	k.keys[alias] = keys.Opaque(s)
	return k.keys[alias], nil
}

func (k *fakeKeystore) LoadKey(_ context.Context, alias string) (crypto.Signer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if s, ok := k.keys[alias]; ok {
		return s, nil
	}
	return nil, errors.New("no such key")
}

func (k *fakeKeystore) DeleteKey(_ context.Context, alias string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.keys, alias)
	return nil
}

func TestPlatformKeyWrapsDataKey(t *testing.T) {
	p := &fakePlatform{key: make([]byte, 32)}
	rand.Read(p.key)
	f := newFixture(t, func(o *Options) { o.Platform = p })
	f.reopen()
	if err := f.w.Unlock(f.ctx, testPIN); err != nil {
		t.Fatal(err)
	}
	if p.calls != 2 {
		t.Fatalf("platform key used %d times, want wrap + unwrap", p.calls)
	}
	// Another phone's keystore cannot unwrap the copied file.
	other := &fakePlatform{key: make([]byte, 32)}
	f.opts.Platform = other
	f.reopen()
	if err := f.w.Unlock(f.ctx, testPIN); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("foreign platform key: %v", err)
	}
}

func TestKeystoreDeviceKey(t *testing.T) {
	ks := &fakeKeystore{}
	f := activated(t, func(o *Options) { o.DeviceKeys = ks })
	if _, err := f.w.CreateDeviceKey(f.ctx); err != nil {
		t.Fatal(err)
	}
	// A key per copy of every credential received, and the device key.
	held := copyKeys(f.creds)
	if len(ks.keys) != len(held)+1 || len(held) <= len(f.creds) {
		t.Fatalf("keystore holds %d keys for %d copies of %d credentials", len(ks.keys), len(held), len(f.creds))
	}
	recs, err := f.w.listRecords(f.ctx, kindCopy)
	if err != nil || len(recs) != len(held) {
		t.Fatalf("%d copy records: %v", len(recs), err)
	}
	dk, err := f.w.getRecord(f.ctx, deviceKeyID, kindDeviceKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range append([][]byte{dk}, recordData(recs)...) {
		if len(b) == 0 || containsPrivate(b) {
			t.Fatalf("keystore-backed key record holds private material: %s", b)
		}
	}
	if err := f.w.Delete(f.ctx); err != nil {
		t.Fatal(err)
	}
	if len(ks.keys) != 0 {
		t.Fatalf("Delete left %d device keys in the keystore", len(ks.keys))
	}
}

func containsPrivate(b []byte) bool {
	for i := 0; i+4 < len(b); i++ {
		if string(b[i:i+5]) == `"d":"` {
			return true
		}
	}
	return false
}

func recordData(rs []record) [][]byte {
	var out [][]byte
	for _, r := range rs {
		out = append(out, r.data)
	}
	return out
}
