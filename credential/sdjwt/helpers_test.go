package sdjwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/keys"
	"gopkg.in/yaml.v3"
)

const vectors = "../../testdata/sdjwt"

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

// ktpClaims is a KTP-el-like SD-JWT VC claim set for a fictitious resident:
// 20 selectively disclosable claims, among them a nested address.
func ktpClaims() (map[string]any, []Path) {
	claims := map[string]any{
		"vct":               "https://ikd.example.go.id/vct/ktp-el",
		"iss":               "https://dukcapil.example.go.id",
		"iat":               1780000000,
		"exp":               1880000000,
		"nik":               "3174015708950021",
		"nama":              "RINA KARTIKA SARI",
		"tempat_lahir":      "BANDUNG",
		"tanggal_lahir":     "1995-08-17",
		"jenis_kelamin":     "PEREMPUAN",
		"golongan_darah":    "O",
		"agama":             "ISLAM",
		"status_perkawinan": "BELUM KAWIN",
		"pekerjaan":         "KARYAWAN SWASTA",
		"kewarganegaraan":   "WNI",
		"berlaku_hingga":    "SEUMUR HIDUP",
		"age_over_17":       true,
		"age_over_18":       true,
		"alamat": map[string]any{
			"jalan":     "JL. KENANGA RAYA NO. 7",
			"rt_rw":     "004/009",
			"kel_desa":  "MENTENG DALAM",
			"kecamatan": "TEBET",
			"kab_kota":  "KOTA JAKARTA SELATAN",
			"provinsi":  "DKI JAKARTA",
		},
	}
	var sd []Path
	for _, k := range []string{"nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "golongan_darah",
		"agama", "status_perkawinan", "pekerjaan", "kewarganegaraan", "berlaku_hingga", "age_over_17", "age_over_18", "alamat"} {
		sd = append(sd, P(k))
	}
	for _, k := range []string{"jalan", "rt_rw", "kel_desa", "kecamatan", "kab_kota", "provinsi"} {
		sd = append(sd, P("alamat", k))
	}
	return claims, sd
}

// ktpNow is a fixed verification time inside the ktpClaims validity.
var ktpNow = time.Unix(1790000000, 0)

const (
	testAud   = "https://bank.example.co.id"
	testNonce = "n-0S6_WzA2Mj"
)

// fixture issues the KTP-el credential and presents 6 claims with a KB-JWT.
type fixture struct {
	issuer, holder *ecdsa.PrivateKey
	issued         string
	presentation   string
	opts           VerifyOptions
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	issuer, holder := testKeys(t)
	claims, sd := ktpClaims()
	issued, err := IssueVC(claims, IssueOptions{Signer: keys.Opaque(issuer), Disclosable: sd, HolderKey: &holder.PublicKey, Decoys: 2})
	if err != nil {
		t.Fatal(err)
	}
	u, err := Parse(issued)
	if err != nil {
		t.Fatal(err)
	}
	sel, err := u.Select(P("nik"), P("nama"), P("tanggal_lahir"), P("jenis_kelamin"), P("alamat", "kab_kota"))
	if err != nil {
		t.Fatal(err)
	}
	pres, err := sel.Present(KeyBindingOptions{Signer: keys.Opaque(holder), Audience: testAud, Nonce: testNonce, IssuedAt: ktpNow})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{issuer: issuer, holder: holder, issued: issued, presentation: pres,
		opts: VerifyOptions{IssuerKey: &issuer.PublicKey, Now: func() time.Time { return ktpNow }, Audience: testAud, Nonce: testNonce}}
}

// parseDisclosure decodes one disclosure with buffers of its own, as split
// does with the buffers it shares among all disclosures.
func parseDisclosure(encoded string, h crypto.Hash) (*Disclosure, error) {
	d := new(Disclosure)
	raw := make([]byte, base64.RawURLEncoding.DecodedLen(len(encoded)))
	if _, err := d.decode(encoded, h, raw, make([]byte, b64DigestLen(h)), new(strictjson.Boxes)); err != nil {
		return nil, err
	}
	return d, nil
}
