package holder

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"io"

	"golang.org/x/crypto/argon2"
)

// KDFParams are the Argon2id parameters (RFC 9106 §3.1) that turn a PIN into
// the key that wraps the wallet's data key. They are stored with the wallet,
// so a wallet keeps the parameters it was created (or last re-keyed) with.
type KDFParams struct {
	// Time is the number of passes t.
	Time uint32
	// MemoryKiB is the memory size m in KiB.
	MemoryKiB uint32
	// Threads is the degree of parallelism p.
	Threads uint8
}

// DefaultKDF returns the second recommended option of RFC 9106 §4 ("uniformly
// safe" when much less memory is available): Argon2id with t=3 passes,
// m=64 MiB, p=4 lanes, a 16-byte random salt and a 32-byte output. One
// derivation costs about 125 ms of CPU time on one core of the 2-vCPU
// benchmark machine (BenchmarkDefaultKDF with -cpu 1); phones are typically
// slower. That is the cost of each unlock, and of each guess in an offline
// attack on a copied wallet file: a 6-digit PIN has only 10^6 values, all
// of them tried in about 35 hours on one such core (half that on average)
// and 35/N hours on N cores. Argon2id makes each guess cost time and
// memory; it does not limit the number of guesses. Without a PlatformKey
// the attempt counter protects only the app's own PIN screen, so use a
// PlatformKey (a non-exportable keystore key), with a [PINCounter] for the
// attempt limit, in a real app.
func DefaultKDF() KDFParams { return KDFParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 4} }

// Bounds on KDFParams, checked on Create/ChangePIN and on every value read
// back from disk (a tampered file cannot make Unlock allocate gigabytes).
// MinKDFMemoryKiB is far below DefaultKDF and exists for tests.
const (
	MinKDFTime      = 1
	MaxKDFTime      = 16
	MinKDFMemoryKiB = 1024
	MaxKDFMemoryKiB = 1 << 20 // 1 GiB
	MaxKDFThreads   = 16
)

const (
	dataKeySize = 32 // AES-256
	saltSize    = 16 // RFC 9106 §3.1 recommends 16 bytes
	gcmNonce    = 12
	wrapVersion = 1
)

func (p KDFParams) validate() error {
	if p.Time < MinKDFTime || p.Time > MaxKDFTime {
		return fmt.Errorf("argon2id time %d outside [%d, %d]", p.Time, MinKDFTime, MaxKDFTime)
	}
	if p.MemoryKiB < MinKDFMemoryKiB || p.MemoryKiB > MaxKDFMemoryKiB {
		return fmt.Errorf("argon2id memory %d KiB outside [%d, %d]", p.MemoryKiB, MinKDFMemoryKiB, MaxKDFMemoryKiB)
	}
	// RFC 9106 §3.1: m must be at least 8*p KiB; our floor already ensures it.
	if p.Threads < 1 || p.Threads > MaxKDFThreads {
		return fmt.Errorf("argon2id threads %d outside [1, %d]", p.Threads, MaxKDFThreads)
	}
	return nil
}

// encode serialises the parameters and salt for storage (and as part of the
// wrap's associated data, so they cannot be swapped without detection).
func (p KDFParams) encode(salt []byte) []byte {
	b := make([]byte, 0, 9+len(salt))
	b = binary.BigEndian.AppendUint32(b, p.Time)
	b = binary.BigEndian.AppendUint32(b, p.MemoryKiB)
	b = append(b, p.Threads)
	return append(b, salt...)
}

func decodeKDF(b []byte) (KDFParams, []byte, error) {
	if len(b) != 9+saltSize {
		return KDFParams{}, nil, fmt.Errorf("kdf record of %d bytes", len(b))
	}
	p := KDFParams{
		Time:      binary.BigEndian.Uint32(b[0:4]),
		MemoryKiB: binary.BigEndian.Uint32(b[4:8]),
		Threads:   b[8],
	}
	if err := p.validate(); err != nil {
		return KDFParams{}, nil, err
	}
	return p, b[9:], nil
}

func (p KDFParams) derive(pin string, salt []byte) []byte {
	return argon2.IDKey([]byte(pin), salt, p.Time, p.MemoryKiB, p.Threads, dataKeySize)
}

func newGCM(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("holder: AES key of wrong size") // programmer error: keys are always 32 bytes
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		panic("holder: GCM unavailable")
	}
	return g
}

// seal encrypts plaintext with AES-256-GCM under key with a fresh random
// 96-bit nonce (NIST SP 800-38D §8.2.2) and the given associated data. The
// result is nonce || ciphertext || tag.
func seal(r io.Reader, key, plaintext, aad []byte) ([]byte, error) {
	g := newGCM(key)
	out := make([]byte, gcmNonce, gcmNonce+len(plaintext)+g.Overhead())
	if _, err := io.ReadFull(r, out); err != nil {
		return nil, err
	}
	return g.Seal(out, out[:gcmNonce], plaintext, aad), nil
}

// open reverses seal; any change to the ciphertext, nonce, tag or aad fails.
func open(key, sealed, aad []byte) ([]byte, error) {
	g := newGCM(key)
	if len(sealed) < gcmNonce+g.Overhead() {
		return nil, fmt.Errorf("sealed data of %d bytes", len(sealed))
	}
	return g.Open(nil, sealed[:gcmNonce], sealed[gcmNonce:], aad)
}

// wrapAAD binds a wrapped data key to the wallet and the KDF parameters.
func wrapAAD(walletID []byte, kdf []byte) []byte {
	aad := []byte("ikdkit/holder/v1 data-key|")
	aad = append(aad, walletID...)
	aad = append(aad, '|')
	return append(aad, kdf...)
}

func zero(b []byte) {
	for i := range b {
		b[i] = 0
	}
}
