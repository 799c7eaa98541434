package holder

import (
	"context"
	"crypto"
	"crypto/rand"
	"errors"
	"sync"
	"testing"

	"github.com/ikdkit/ikdkit/keys"
)

// fakePlatform stands in for a keystore wrapping key.
type fakePlatform struct {
	key   []byte
	calls int
}

func (p *fakePlatform) Wrap(_ context.Context, pt []byte) ([]byte, error) {
	p.calls++
	return seal(rand.Reader, p.key, pt, []byte("platform"))
}

func (p *fakePlatform) Unwrap(_ context.Context, ct []byte) ([]byte, error) {
	p.calls++
	return open(p.key, ct, []byte("platform"))
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
	if len(ks.keys) != 1 {
		t.Fatalf("keystore holds %d keys", len(ks.keys))
	}
	var rec []byte
	f.w.db.QueryRow("SELECT data FROM records WHERE id = ?", deviceKeyID).Scan(&rec)
	b, err := f.w.getRecord(f.ctx, deviceKeyID, kindDeviceKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 || containsPrivate(b) {
		t.Fatalf("keystore-backed device key record holds private material: %s", b)
	}
	if err := f.w.Delete(f.ctx); err != nil {
		t.Fatal(err)
	}
	if len(ks.keys) != 0 {
		t.Fatal("Delete left the device key in the keystore")
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
