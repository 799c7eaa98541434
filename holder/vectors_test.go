package holder

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/keys"
)

const vectorDir = "../testdata/holder/draft18-01"

func readVector(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(b)
}

// draft18Keys returns the example issuer public key and holder private key.
func draft18Keys(t testing.TB) (crypto.PublicKey, crypto.Signer) {
	t.Helper()
	var k struct{ Issuer, Holder json.RawMessage }
	if err := json.Unmarshal(readVector(t, "keys.json"), &k); err != nil {
		t.Fatal(err)
	}
	iss, err := keys.ParsePublicJWK(k.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	h, err := keys.ParsePrivateJWK(k.Holder)
	if err != nil {
		t.Fatal(err)
	}
	return iss, h
}

// fixedKeystore hands out one given key as the device key.
type fixedKeystore struct{ key crypto.Signer }

func (k fixedKeystore) CreateKey(context.Context, string) (crypto.Signer, error) {
	return keys.Opaque(k.key), nil
}
func (k fixedKeystore) LoadKey(context.Context, string) (crypto.Signer, error) {
	return keys.Opaque(k.key), nil
}
func (fixedKeystore) DeleteKey(context.Context, string) error { return nil }

func TestImportDraft18Vector(t *testing.T) {
	issuerKey, holderKey := draft18Keys(t)
	otherDevice, _ := keys.Generate(keys.ES256, nil)
	otherIssuer, _ := keys.Generate(keys.ES256, nil)
	at := time.Unix(1785785053, 0)
	tests := []struct {
		name      string
		file      string
		device    crypto.Signer
		issuerKey crypto.PublicKey
		err       error
	}{
		{"signature and binding pass, type unknown", "sd_jwt_issuance.txt", holderKey, issuerKey, ErrInvalidInput},
		{"bound to another device key", "sd_jwt_issuance.txt", otherDevice, issuerKey, ErrKeyMismatch},
		{"issuer key not the trusted one", "sd_jwt_issuance.txt", holderKey, otherIssuer.Public(), ErrUntrustedIssuer},
		{"presentation with KB-JWT", "sd_jwt_presentation.txt", holderKey, issuerKey, ErrInvalidInput},
		{"no cnf", "sd_jwt_02_no_cnf.txt", holderKey, issuerKey, ErrKeyMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			w, err := Create(ctx, t.TempDir(), testPIN, Options{KDF: testKDF, DeviceKeys: fixedKeystore{tc.device},
				Trust: StaticTrust{Issuers: map[string]crypto.PublicKey{"https://example.com/issuer": tc.issuerKey}},
				Now:   func() time.Time { return at }})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if _, err := w.CreateDeviceKey(ctx); err != nil {
				t.Fatal(err)
			}
			_, err = w.Import(ctx, credential.FormatSDJWT, readVector(t, tc.file))
			if !errors.Is(err, tc.err) {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
			if tc.err == ErrInvalidInput && tc.file == "sd_jwt_issuance.txt" {
				var he *Error
				if !errors.As(err, &he) || he.Detail != `unknown credential type "https://credentials.example.com/identity_credential"` {
					t.Fatalf("refused for another reason: %v", err)
				}
			}
		})
	}
}
