package statuslist

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

const vectorDir = "../../testdata/statuslist"

func readVector(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readHexVector(t testing.TB, name string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimSpace(string(readVector(t, name))))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// loadP256 reads a P-256 JWK from testdata; d is optional.
func loadP256(t testing.TB, name string) (*ecdsa.PublicKey, *ecdsa.PrivateKey) {
	t.Helper()
	var jwk struct{ X, Y, D string }
	if err := json.Unmarshal(readVector(t, name), &jwk); err != nil {
		t.Fatal(err)
	}
	dec := func(s string) *big.Int {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return new(big.Int).SetBytes(b)
	}
	pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: dec(jwk.X), Y: dec(jwk.Y)}
	if jwk.D == "" {
		return pub, nil
	}
	return pub, &ecdsa.PrivateKey{PublicKey: *pub, D: dec(jwk.D)}
}

// vectorTime is a moment inside the example tokens' validity
// (iat 1686920170 = 2023-06-16, exp 2291720170 = 2042-08-15).
var vectorTime = time.Unix(1700000000, 0)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func vectorVerifier(t testing.TB) *Verifier {
	pub, _ := loadP256(t, "key.json")
	return &Verifier{Key: pub, Now: fixedClock(vectorTime)}
}

type runtimeMem struct{ total uint64 }

func (m *runtimeMem) read() {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	m.total = s.TotalAlloc
}
