package sdjwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const vectors = "../../testdata/sdjwt"

// opaqueSigner hides the concrete key type behind crypto.Signer, as an HSM
// or a phone keystore would.
type opaqueSigner struct{ s crypto.Signer }

func (o opaqueSigner) Public() crypto.PublicKey { return o.s.Public() }
func (o opaqueSigner) Sign(r io.Reader, d []byte, op crypto.SignerOpts) ([]byte, error) {
	return o.s.Sign(r, d, op)
}

type jwkYAML struct {
	Kty string `yaml:"kty"`
	Crv string `yaml:"crv"`
	D   string `yaml:"d"`
	X   string `yaml:"x"`
	Y   string `yaml:"y"`
	Kid string `yaml:"kid"`
}

type settingsYAML struct {
	Identifiers struct {
		Issuer   string `yaml:"issuer"`
		Verifier string `yaml:"verifier"`
	} `yaml:"identifiers"`
	KeySettings struct {
		IssuerKeys []jwkYAML `yaml:"issuer_keys"`
		HolderKey  jwkYAML   `yaml:"holder_key"`
	} `yaml:"key_settings"`
	Nonce string `yaml:"key_binding_nonce"`
	Iat   int64  `yaml:"iat"`
	Exp   int64  `yaml:"exp"`
}

func (k jwkYAML) private(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	d, err := base64.RawURLEncoding.DecodeString(k.D)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func loadSettings(t testing.TB, path string) settingsYAML {
	t.Helper()
	var s settingsYAML
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// testKeys returns the RFC 9901 example issuer and holder keys.
func testKeys(t testing.TB) (issuer, holder *ecdsa.PrivateKey) {
	s := loadSettings(t, filepath.Join(vectors, "rfc9901/settings.yml"))
	return s.KeySettings.IssuerKeys[0].private(t), s.KeySettings.HolderKey.private(t)
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// normJSON maps any JSON-like value to encoding/json's generic form so
// values decoded in different ways compare with reflect.DeepEqual.
func normJSON(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func assertJSONEqual(t testing.TB, got, want any) {
	t.Helper()
	g, w := normJSON(t, got), normJSON(t, want)
	if !reflect.DeepEqual(g, w) {
		gb, _ := json.MarshalIndent(g, "", " ")
		wb, _ := json.MarshalIndent(w, "", " ")
		t.Fatalf("claims differ\n got: %s\nwant: %s", gb, wb)
	}
}

func fixedClock(unix int64) func() time.Time {
	return func() time.Time { return time.Unix(unix, 0) }
}
