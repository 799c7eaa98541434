package didkey

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/multiformats/go-multibase"
)

const vectorDir = "../testdata/didkey"

func readJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorDir, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// b58 decodes a bare base58btc string (the vectors' publicKeyBase58).
func b58(t testing.TB, s string) []byte {
	t.Helper()
	_, b, err := multibase.Decode("z" + s)
	if err != nil {
		t.Fatalf("base58 %q: %v", s, err)
	}
	return b
}

type summaryRow struct {
	SourceFile     string            `json:"source_file"`
	DID            string            `json:"did"`
	Multicodec     string            `json:"multicodec"`
	MulticodecName string            `json:"multicodec_name"`
	PublicKeyHex   string            `json:"public_key_hex"`
	ExpectedJWK    map[string]string `json:"expected_jwk"`
}

// TestSummaryVectors: every did:key of the upstream vectors resolves to the
// expected key and JWK, and encode -> parse -> encode is exact.
func TestSummaryVectors(t *testing.T) {
	var rows []summaryRow
	readJSON(t, "did_key_summary.json", &rows)
	seen := map[KeyType]int{}
	unsupported := 0
	for _, r := range rows {
		t.Run(r.MulticodecName+"/"+r.DID[:20], func(t *testing.T) {
			d, err := Parse(r.DID)
			switch r.MulticodecName {
			case "rsa-pub", "bls12_381-g2-pub", "bls12_381-g1g2-pub":
				if !errors.Is(err, ErrUnsupportedKeyType) {
					t.Fatalf("Parse = %v, want ErrUnsupportedKeyType", err)
				}
				unsupported++
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			seen[d.KeyType()]++
			if got := d.KeyType().String(); got != r.MulticodecName {
				t.Errorf("key type %s, want %s", got, r.MulticodecName)
			}
			if got := "0x" + strings.TrimLeft(hexUint(d.KeyType().Multicodec()), "0"); got != r.Multicodec {
				t.Errorf("multicodec %s, want %s", got, r.Multicodec)
			}
			if got := hex.EncodeToString(d.RawPublicKey()); got != r.PublicKeyHex {
				t.Errorf("raw key %s, want %s", got, r.PublicKeyHex)
			}
			j := d.PublicJWK()
			want := PublicJWK{Kty: r.ExpectedJWK["kty"], Crv: r.ExpectedJWK["crv"], X: r.ExpectedJWK["x"], Y: r.ExpectedJWK["y"]}
			if j != want {
				t.Errorf("JWK %+v, want %+v", j, want)
			}
			// Round trips: the Go key, the raw bytes and the jwk.Key all
			// encode back to the identical DID.
			again, err := Encode(d.PublicKey())
			if err != nil || again != r.DID {
				t.Errorf("Encode(PublicKey()) = %q, %v; want %q", again, err, r.DID)
			}
			k, err := d.JWK()
			if d.KeyType() == Secp256k1 && !jwxHasSecp256k1() {
				if !errors.Is(err, ErrRepresentationNotSupported) {
					t.Errorf("secp256k1 JWK without jwx support: %v", err)
				}
			} else {
				if err != nil {
					t.Fatalf("JWK: %v", err)
				}
				if again, err := Encode(k); err != nil || again != r.DID {
					t.Errorf("Encode(JWK()) = %q, %v", again, err)
				}
				var got map[string]string
				b, _ := json.Marshal(k)
				if err := json.Unmarshal(b, &got); err != nil || !equalMaps(got, r.ExpectedJWK) {
					t.Errorf("jwk.Key JSON %s, want %v", b, r.ExpectedJWK)
				}
			}
			doc, err := Resolve(r.DID)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if doc.ID != r.DID || doc.VerificationMethod[0].ID != d.KeyID() || doc.VerificationMethod[0].PublicKeyMultibase != d.Multibase() {
				t.Errorf("document %+v", doc)
			}
		})
	}
	for _, kt := range []KeyType{Ed25519, X25519, P256, P384, P521, Secp256k1} {
		if seen[kt] == 0 {
			t.Errorf("no vector for %v", kt)
		}
	}
	if unsupported == 0 {
		t.Error("no unsupported-key-type vector")
	}
}

func hexUint(v uint64) string {
	b := []byte{byte(v >> 56), byte(v >> 48), byte(v >> 40), byte(v >> 32), byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
	return hex.EncodeToString(b)
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

type keyPair struct {
	ID                string            `json:"id"`
	PublicKeyBase58   string            `json:"publicKeyBase58"`
	PrivateKeyBase58  string            `json:"privateKeyBase58"`
	PublicKeyJwk      map[string]string `json:"publicKeyJwk"`
	PrivateKeyJwkJSON json.RawMessage   `json:"privateKeyJwk"`
}

// fragment returns the part of the id after "#".
func (kp *keyPair) fragment() string {
	_, f, _ := strings.Cut(kp.ID, "#")
	return f
}

// publicBytes returns the OKP public key from publicKeyBase58 or publicKeyJwk.
func (kp *keyPair) publicBytes(t testing.TB) []byte {
	t.Helper()
	if kp.PublicKeyBase58 != "" {
		return b58(t, kp.PublicKeyBase58)
	}
	b, err := base64.RawURLEncoding.DecodeString(kp.PublicKeyJwk["x"])
	if err != nil || len(b) == 0 {
		t.Fatalf("no public key in %+v", kp)
	}
	return b
}

// privateBytes returns the OKP private key from privateKeyBase58 or privateKeyJwk.
func (kp *keyPair) privateBytes(t testing.TB) []byte {
	t.Helper()
	if kp.PrivateKeyBase58 != "" {
		return b58(t, kp.PrivateKeyBase58)
	}
	var j struct {
		D string `json:"d"`
	}
	if err := json.Unmarshal(kp.PrivateKeyJwkJSON, &j); err != nil {
		t.Fatal(err)
	}
	b, err := base64.RawURLEncoding.DecodeString(j.D)
	if err != nil || len(b) == 0 {
		t.Fatalf("no private key in %+v", kp)
	}
	return b
}

type vector struct {
	Seed                string   `json:"seed"`
	VerificationKeyPair *keyPair `json:"verificationKeyPair"`
	VerificationMethod  *keyPair `json:"verificationMethod"`
	KeyAgreementKeyPair *keyPair `json:"keyAgreementKeyPair"`
}

// TestEd25519SeedVectors: seed -> Ed25519 key -> DID, and the X25519
// keyAgreement key derived from it (did:key v0.7 §3.1.4).
func TestEd25519SeedVectors(t *testing.T) {
	var vs map[string]vector
	readJSON(t, "test-vectors/ed25519-x25519.json", &vs)
	n := 0
	for did, v := range vs {
		t.Run(did, func(t *testing.T) {
			if v.Seed == "" || v.VerificationKeyPair == nil || v.KeyAgreementKeyPair == nil {
				t.Fatalf("vector without seed or key pairs: %+v", v)
			}
			n++
			seed, err := hex.DecodeString(v.Seed)
			if err != nil {
				t.Fatal(err)
			}
			priv := ed25519.NewKeyFromSeed(seed)
			got, err := Encode(priv.Public())
			if err != nil || got != did {
				t.Fatalf("seed -> %q, %v; want %q", got, err, did)
			}
			d, _ := Parse(did)
			if !ed25519.PublicKey(v.VerificationKeyPair.publicBytes(t)).Equal(d.PublicKey()) {
				t.Error("publicKeyBase58 differs from the DID's key")
			}
			// The derived X25519 key matches the vector, and the vector's
			// X25519 private key independently gives the same public key.
			x, ok := d.DeriveX25519()
			if !ok {
				t.Fatal("DeriveX25519 failed")
			}
			ka := v.KeyAgreementKeyPair
			if x.Multibase() != ka.fragment() {
				t.Errorf("derived %s, want %s", x.Multibase(), ka.ID)
			}
			xpriv, err := ecdh.X25519().NewPrivateKey(ka.privateBytes(t))
			if err != nil {
				t.Fatal(err)
			}
			if !xpriv.PublicKey().Equal(x.PublicKey()) || hex.EncodeToString(x.RawPublicKey()) != hex.EncodeToString(ka.publicBytes(t)) {
				t.Error("X25519 private key does not match the derived public key")
			}
			doc, err := d.Document(DocumentOptions{EncryptionKeyDerivation: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(doc.VerificationMethod) != 2 || len(doc.KeyAgreement) != 1 || doc.KeyAgreement[0] != did+"#"+ka.fragment() {
				t.Errorf("keyAgreement %v, want [%s]", doc.KeyAgreement, did+"#"+ka.fragment())
			}
			if doc.VerificationMethod[1].Controller != did || doc.VerificationMethod[1].PublicKeyMultibase != x.Multibase() {
				t.Errorf("encryption method %+v", doc.VerificationMethod[1])
			}
		})
	}
	if n == 0 {
		t.Fatal("no seeded Ed25519 vectors")
	}
}

// TestX25519Vectors: X25519 DIDs resolve to their key, for key agreement only.
func TestX25519Vectors(t *testing.T) {
	var f struct {
		DIDDocument map[string]struct {
			VerificationMethod []keyPair `json:"verificationMethod"`
		} `json:"didDocument"`
	}
	readJSON(t, "test-vectors/x25519.json", &f)
	if len(f.DIDDocument) == 0 {
		t.Fatal("no X25519 vectors")
	}
	for did, doc := range f.DIDDocument {
		t.Run(did, func(t *testing.T) {
			d, err := Parse(did)
			if err != nil {
				t.Fatal(err)
			}
			want := doc.VerificationMethod[0].publicBytes(t)
			if !strings.EqualFold(hex.EncodeToString(d.RawPublicKey()), hex.EncodeToString(want)) {
				t.Fatal("raw key differs")
			}
			if _, ok := d.PublicKey().(*ecdh.PublicKey); !ok {
				t.Fatalf("PublicKey is %T", d.PublicKey())
			}
			got, err := Resolve(did)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.KeyAgreement) != 1 || got.Authentication != nil || got.AssertionMethod != nil {
				t.Fatalf("X25519 document relationships: %+v", got)
			}
			if got.KeyAgreement[0] != doc.VerificationMethod[0].ID {
				t.Fatalf("keyAgreement %s, want %s", got.KeyAgreement[0], doc.VerificationMethod[0].ID)
			}
		})
	}
}

// TestSecp256k1Vectors: the private key of each vector gives the DID, and
// the DID gives the vector's compressed public key.
func TestSecp256k1Vectors(t *testing.T) {
	var vs map[string]vector
	readJSON(t, "test-vectors/secp256k1.json", &vs)
	n := 0
	for did, v := range vs {
		if v.VerificationKeyPair == nil || v.VerificationKeyPair.PrivateKeyBase58 == "" {
			continue
		}
		n++
		t.Run(did, func(t *testing.T) {
			priv := secp256k1.PrivKeyFromBytes(b58(t, v.VerificationKeyPair.PrivateKeyBase58))
			for _, pub := range []any{priv.PubKey(), priv.PubKey().ToECDSA()} {
				got, err := Encode(pub)
				if err != nil || got != did {
					t.Fatalf("Encode(%T) = %q, %v; want %q", pub, got, err, did)
				}
			}
			d, err := Parse(did)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(d.RawPublicKey()) != hex.EncodeToString(b58(t, v.VerificationKeyPair.PublicKeyBase58)) {
				t.Fatal("raw key differs from publicKeyBase58")
			}
			// A signature by the vector's private key verifies under the
			// resolved key.
			digest := sha256.Sum256([]byte("did:key"))
			ep := priv.ToECDSA()
			sig, err := ecdsa.SignASN1(nil, ep, digest[:])
			if err != nil {
				t.Fatalf("signing on secp256k1: %v", err)
			}
			if !ecdsa.VerifyASN1(d.PublicKey().(*ecdsa.PublicKey), digest[:], sig) {
				t.Fatal("signature does not verify under the resolved key")
			}
		})
	}
	if n == 0 {
		t.Fatal("no secp256k1 vectors with a private key")
	}
}

// TestDIDKeyTestSuite runs the did-key-test-suite resolver inputs.
func TestDIDKeyTestSuite(t *testing.T) {
	tests := []struct {
		file string
		want error // nil: must resolve
	}{
		{"validDid.json", nil},
		{"invalidDid.json", ErrNotMultibase},
		{"notMultibase.json", ErrNotMultibase},
		{"incorrectEncoding.json", ErrNotMultibase},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			var v struct {
				Negative bool   `json:"negative"`
				DID      string `json:"did"`
			}
			readJSON(t, "did-key-test-suite/"+tc.file, &v)
			if v.DID == "" || v.Negative != (tc.want != nil) {
				t.Fatalf("unexpected vector %+v", v)
			}
			doc, err := Resolve(v.DID)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				d, _ := Parse(v.DID)
				if hex.EncodeToString(d.RawPublicKey()) != "ce242179003dc5244010114d51c23f1a85f678a79b9f1fd0191bb8c1af0f4df6" || d.KeyType() != Ed25519 || doc.ID != v.DID {
					t.Fatalf("wrong key: %x", d.RawPublicKey())
				}
				return
			}
			if doc != nil || !errors.Is(err, tc.want) {
				t.Fatalf("Resolve = %v, %v; want %v", doc, err, tc.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Code() != "invalidDid" {
				t.Fatalf("error %v has no invalidDid code", err)
			}
		})
	}
}
