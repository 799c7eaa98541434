package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// RFC 8037 Appendix A.1/A.2: the Ed25519 example key.
const (
	rfc8037PrivateJWK = `{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`
	rfc8037PublicJWK  = `{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`
	// RFC 8037 Appendix A.3.
	rfc8037Thumbprint = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
	// RFC 8037 Appendix A.4.
	rfc8037JWS = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)

// RFC 7515 Appendix A.3: the ES256 example key.
const rfc7515ES256JWK = `{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}`

func mustGenerate(t testing.TB, alg Algorithm) crypto.Signer {
	t.Helper()
	s, err := Generate(alg, nil)
	if err != nil {
		t.Fatalf("Generate(%s): %v", alg, err)
	}
	return s
}

func TestGenerateAndAlgorithmFor(t *testing.T) {
	tests := []struct {
		alg   Algorithm
		curve elliptic.Curve // nil for Ed25519
	}{
		{ES256, elliptic.P256()},
		{ES384, elliptic.P384()},
		{ES512, elliptic.P521()},
		{EdDSA, nil},
	}
	for _, tc := range tests {
		t.Run(string(tc.alg), func(t *testing.T) {
			s := mustGenerate(t, tc.alg)
			switch k := s.(type) {
			case *ecdsa.PrivateKey:
				if k.Curve != tc.curve {
					t.Fatalf("curve %v, want %v", k.Curve.Params().Name, tc.curve.Params().Name)
				}
			case ed25519.PrivateKey:
				if tc.curve != nil {
					t.Fatal("got Ed25519 key for an ECDSA algorithm")
				}
			default:
				t.Fatalf("unexpected type %T", s)
			}
			for _, k := range []any{s, s.Public(), Opaque(s)} {
				got, err := AlgorithmFor(k)
				if err != nil || got != tc.alg {
					t.Fatalf("AlgorithmFor(%T) = %q, %v; want %q", k, got, err, tc.alg)
				}
			}
		})
	}
}

func TestGenerateEd25519UsesReader(t *testing.T) {
	// The all-zero seed gives the first did:key Ed25519 test vector's key.
	s, err := Generate(EdDSA, bytes.NewReader(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	want := "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"
	if got := hexOf(s.Public().(ed25519.PublicKey)); got != want {
		t.Fatalf("public key %s, want %s", got, want)
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestGenerateRejects(t *testing.T) {
	for _, alg := range []Algorithm{"", "RS256", "ES256K", "none", "HS256", "es256", "Ed25519"} {
		t.Run(string(alg), func(t *testing.T) {
			s, err := Generate(alg, nil)
			if !errors.Is(err, ErrUnsupportedAlgorithm) || s != nil {
				t.Fatalf("Generate(%q) = %v, %v; want ErrUnsupportedAlgorithm", alg, s, err)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error", err)
			}
		})
	}
}

func TestAlgorithmForRejects(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	x, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		key  any
		want error
	}{
		{"nil", nil, ErrUnsupportedKey},
		{"rsa public", &rsaKey.PublicKey, ErrUnsupportedKey},
		{"rsa signer", rsaKey, ErrUnsupportedKey},
		{"x25519", x.PublicKey(), ErrUnsupportedKey},
		{"p224", &p224.PublicKey, ErrUnsupportedKey},
		{"short ed25519", ed25519.PublicKey(make([]byte, 31)), ErrInvalidKey},
		{"nil ecdsa", (*ecdsa.PublicKey)(nil), ErrUnsupportedKey},
		{"bytes", []byte("secret"), ErrUnsupportedKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := AlgorithmFor(tc.key); !errors.Is(err, tc.want) {
				t.Fatalf("AlgorithmFor = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestOpaqueHidesConcreteType(t *testing.T) {
	s := mustGenerate(t, ES256)
	o := Opaque(s)
	if _, ok := o.(*ecdsa.PrivateKey); ok {
		t.Fatal("Opaque signer is an *ecdsa.PrivateKey")
	}
	if _, ok := o.(interface{ Bytes() ([]byte, error) }); ok {
		t.Fatal("Opaque signer exposes Bytes")
	}
	if _, ok := o.(interface{ Equal(crypto.PrivateKey) bool }); ok {
		t.Fatal("Opaque signer exposes Equal")
	}
	if !s.Public().(*ecdsa.PublicKey).Equal(o.Public()) {
		t.Fatal("Public differs")
	}
	digest := sha256.Sum256([]byte("msg"))
	sig, err := o.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(s.Public().(*ecdsa.PublicKey), digest[:], sig) {
		t.Fatal("signature from Opaque does not verify")
	}
	if Opaque(nil) != nil {
		t.Fatal("Opaque(nil) != nil")
	}
	if _, err := MarshalPrivateKeyPEM(o); !errors.Is(err, ErrUnsupportedKey) {
		t.Fatalf("exporting an opaque key: %v, want ErrUnsupportedKey", err)
	}
	if _, err := MarshalPrivateJWK(o); !errors.Is(err, ErrUnsupportedKey) {
		t.Fatalf("exporting an opaque key as JWK: %v, want ErrUnsupportedKey", err)
	}
}

// TestOpaqueSignsJWS proves that jwx signs with a signer that is only a
// crypto.Signer, for every algorithm, and that RFC 8037 A.4 is reproduced.
func TestOpaqueSignsJWS(t *testing.T) {
	for _, alg := range Algorithms() {
		t.Run(string(alg), func(t *testing.T) {
			s := mustGenerate(t, alg)
			ja, ok := jwa.LookupSignatureAlgorithm(string(alg))
			if !ok {
				t.Fatalf("jwa has no %s", alg)
			}
			msg, err := jws.Sign([]byte("payload"), jws.WithKey(ja, Opaque(s)))
			if err != nil {
				t.Fatalf("jws.Sign with opaque signer: %v", err)
			}
			got, err := jws.Verify(msg, jws.WithKey(ja, s.Public()))
			if err != nil || string(got) != "payload" {
				t.Fatalf("verify: %q, %v", got, err)
			}
		})
	}
	t.Run("RFC 8037 A.4", func(t *testing.T) {
		s, err := ParsePrivateJWK([]byte(rfc8037PrivateJWK))
		if err != nil {
			t.Fatal(err)
		}
		msg, err := jws.Sign([]byte("Example of Ed25519 signing"), jws.WithKey(jwa.EdDSA(), Opaque(s)))
		if err != nil {
			t.Fatal(err)
		}
		if string(msg) != rfc8037JWS {
			t.Fatalf("got  %s\nwant %s", msg, rfc8037JWS)
		}
	})
}

func TestThumbprint(t *testing.T) {
	pub, err := ParsePublicJWK([]byte(rfc8037PublicJWK))
	if err != nil {
		t.Fatal(err)
	}
	tp, err := Thumbprint(pub)
	if err != nil {
		t.Fatal(err)
	}
	if tp != rfc8037Thumbprint {
		t.Fatalf("thumbprint %s, want %s (RFC 8037 A.3)", tp, rfc8037Thumbprint)
	}
	// The same for the private key, a signer and an opaque signer.
	priv, err := ParsePrivateJWK([]byte(rfc8037PrivateJWK))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []any{priv, Opaque(priv)} {
		if got, err := Thumbprint(k); err != nil || got != rfc8037Thumbprint {
			t.Fatalf("Thumbprint(%T) = %s, %v", k, got, err)
		}
	}
	// An EC thumbprint computed independently per RFC 7638 §3.2.
	ec, err := ParsePrivateJWK([]byte(rfc7515ES256JWK))
	if err != nil {
		t.Fatal(err)
	}
	canon := `{"crv":"P-256","kty":"EC","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`
	sum := sha256.Sum256([]byte(canon))
	want := b64(sum[:])
	if got, err := Thumbprint(ec); err != nil || got != want {
		t.Fatalf("EC thumbprint %s, %v; want %s", got, err, want)
	}
	if _, err := Thumbprint(nil); !errors.Is(err, ErrUnsupportedKey) {
		t.Fatalf("Thumbprint(nil): %v", err)
	}
}

func b64(b []byte) string {
	const enc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var out strings.Builder
	var acc, n uint
	for _, c := range b {
		acc = acc<<8 | uint(c)
		n += 8
		for n >= 6 {
			n -= 6
			out.WriteByte(enc[(acc>>n)&63])
		}
	}
	if n > 0 {
		out.WriteByte(enc[(acc<<(6-n))&63])
	}
	return out.String()
}

func TestJWKRoundTrip(t *testing.T) {
	for _, alg := range Algorithms() {
		t.Run(string(alg), func(t *testing.T) {
			s := mustGenerate(t, alg)
			privJSON, err := MarshalPrivateJWK(s)
			if err != nil {
				t.Fatal(err)
			}
			s2, err := ParsePrivateJWK(privJSON)
			if err != nil {
				t.Fatal(err)
			}
			if !s2.(interface{ Equal(crypto.PrivateKey) bool }).Equal(s) {
				t.Fatal("private JWK round trip changed the key")
			}
			pubJSON, err := MarshalPublicJWK(s)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(pubJSON, []byte(`"d"`)) {
				t.Fatalf("public JWK contains d: %s", pubJSON)
			}
			pub, err := ParsePublicJWK(pubJSON)
			if err != nil {
				t.Fatal(err)
			}
			if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(s.Public()) {
				t.Fatal("public JWK round trip changed the key")
			}
			if _, err := ParsePublicJWK(privJSON); !errors.Is(err, ErrPrivateKeyMaterial) {
				t.Fatalf("ParsePublicJWK(private) = %v, want ErrPrivateKeyMaterial", err)
			}
			if _, err := ParsePrivateJWK(pubJSON); !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParsePrivateJWK(public) = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestParseJWKRejects(t *testing.T) {
	// A P-256 key pair whose public part belongs to another key.
	a := mustGenerate(t, ES256).(*ecdsa.PrivateKey)
	b := mustGenerate(t, ES256).(*ecdsa.PrivateKey)
	var aj, bj map[string]any
	mustJSON(t, a, &aj)
	mustJSON(t, b, &bj)
	aj["x"], aj["y"] = bj["x"], bj["y"]
	mismatched, _ := json.Marshal(aj)

	// The Ed25519 example with the public x of another key.
	edOther := mustGenerate(t, EdDSA)
	var ej map[string]any
	mustJSON(t, edOther, &ej)
	edMismatch := strings.Replace(rfc8037PrivateJWK, "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", ej["x"].(string), 1)

	offCurve := `{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5b0"}`
	// The same y with the unused low bits of the last character set:
	// RFC 7515 §2 base64url must be canonical.
	nonCanonical := strings.Replace(rfc8037PublicJWK, "HURo", "HURp", 1)

	tests := []struct {
		name    string
		in      string
		private bool
		want    error
	}{
		{"empty", ``, false, ErrMalformed},
		{"not an object", `[]`, false, ErrMalformed},
		{"duplicate member", `{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`, false, ErrMalformed},
		{"trailing data", rfc8037PublicJWK + `{}`, false, ErrMalformed},
		{"too large", `{"kty":"OKP","pad":"` + strings.Repeat("a", MaxJWKSize) + `"}`, false, ErrTooLarge},
		{"symmetric", `{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}`, false, ErrUnsupportedKey},
		{"x25519", `{"kty":"OKP","crv":"X25519","x":"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08"}`, false, ErrUnsupportedKey},
		{"off curve", offCurve, false, ErrInvalidKey},
		{"non-canonical base64", nonCanonical, false, ErrMalformed},
		{"padded base64", strings.Replace(rfc8037PublicJWK, "HURo", "HURo=", 1), false, ErrMalformed},
		{"x not a string", `{"kty":"OKP","crv":"Ed25519","x":5}`, false, ErrMalformed},
		{"private in public", rfc7515ES256JWK, false, ErrPrivateKeyMaterial},
		{"ec mismatch", string(mismatched), true, ErrInvalidKey},
		{"ed25519 mismatch", edMismatch, true, ErrInvalidKey},
		{"missing d", rfc8037PublicJWK, true, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			var got any
			if tc.private {
				got, err = ParsePrivateJWK([]byte(tc.in))
			} else {
				got, err = ParsePublicJWK([]byte(tc.in))
			}
			if err == nil {
				t.Fatalf("accepted: %v", got)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error", err)
			}
		})
	}
}

func mustJSON(t *testing.T, s crypto.Signer, v any) {
	t.Helper()
	b, err := MarshalPrivateJWK(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func TestPEMRoundTrip(t *testing.T) {
	for _, alg := range Algorithms() {
		t.Run(string(alg), func(t *testing.T) {
			s := mustGenerate(t, alg)
			privPEM, err := MarshalPrivateKeyPEM(s)
			if err != nil {
				t.Fatal(err)
			}
			s2, err := ParsePrivateKeyPEM(privPEM)
			if err != nil {
				t.Fatal(err)
			}
			if !s2.(interface{ Equal(crypto.PrivateKey) bool }).Equal(s) {
				t.Fatal("PKCS #8 round trip changed the key")
			}
			pubPEM, err := MarshalPublicKeyPEM(Opaque(s))
			if err != nil {
				t.Fatal(err)
			}
			pub, err := ParsePublicKeyPEM(pubPEM)
			if err != nil {
				t.Fatal(err)
			}
			if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(s.Public()) {
				t.Fatal("SPKI round trip changed the key")
			}
			// Wrong block type in each direction.
			if _, err := ParsePublicKeyPEM(privPEM); !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParsePublicKeyPEM(private) = %v", err)
			}
			if _, err := ParsePrivateKeyPEM(pubPEM); !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParsePrivateKeyPEM(public) = %v", err)
			}
		})
	}
}

func selfSigned(t *testing.T, s crypto.Signer, cn string) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, s.Public(), Opaque(s))
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCertificatesPEM(t *testing.T) {
	c1 := selfSigned(t, mustGenerate(t, ES256), "leaf")
	c2 := selfSigned(t, mustGenerate(t, EdDSA), "root")
	chain := MarshalCertificatesPEM(c1, c2)
	got, err := ParseCertificatesPEM(chain)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].Equal(c1) || !got[1].Equal(c2) {
		t.Fatalf("chain round trip: got %d certificates", len(got))
	}

	one := MarshalCertificatesPEM(c1)
	keyPEM, err := MarshalPublicKeyPEM(c1.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	withHeader := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: c1.Raw})
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"whitespace only", []byte(" \n"), ErrMalformed},
		{"key block in chain", append(append([]byte{}, one...), keyPEM...), ErrMalformed},
		{"trailing text", append(append([]byte{}, one...), "junk"...), ErrMalformed},
		{"headers", withHeader, ErrMalformed},
		{"bad DER", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x00}}), ErrMalformed},
		{"too many", bytes.Repeat(one, MaxCertificates+1), ErrTooLarge},
		{"too large", make([]byte, MaxPEMSize+1), ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if certs, err := ParseCertificatesPEM(tc.in); !errors.Is(err, tc.want) || certs != nil {
				t.Fatalf("got %d certs, %v; want %v", len(certs), err, tc.want)
			}
		})
	}
	if got, err := ParseCertificatesPEM(bytes.Repeat(one, MaxCertificates)); err != nil || len(got) != MaxCertificates {
		t.Fatalf("exactly MaxCertificates: %d, %v", len(got), err)
	}
}

func TestParseKeyPEMRejects(t *testing.T) {
	s := mustGenerate(t, ES256)
	privPEM, err := MarshalPrivateKeyPEM(s)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(s.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	rsaDER, err := x509.MarshalPKCS8PrivateKey(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaPub, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		in      []byte
		private bool
		want    error
	}{
		{"empty", nil, true, ErrMalformed},
		{"not pem", []byte("hello"), true, ErrMalformed},
		{"sec1 block", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), true, ErrMalformed},
		{"two blocks", append(append([]byte{}, privPEM...), privPEM...), true, ErrMalformed},
		{"trailing text", append(append([]byte{}, privPEM...), "x"...), true, ErrMalformed},
		{"headers", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Headers: map[string]string{"DEK-Info": "x"}, Bytes: sec1}), true, ErrMalformed},
		{"bad DER", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}), true, ErrMalformed},
		{"rsa private", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: rsaDER}), true, ErrUnsupportedKey},
		{"rsa public", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaPub}), false, ErrUnsupportedKey},
		{"too large", append([]byte("\n"), make([]byte, MaxPEMSize)...), true, ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			var got any
			if tc.private {
				got, err = ParsePrivateKeyPEM(tc.in)
			} else {
				got, err = ParsePublicKeyPEM(tc.in)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	// Leading and trailing whitespace is fine.
	if _, err := ParsePrivateKeyPEM(append(append([]byte("\n\n"), privPEM...), "\n  \n"...)); err != nil {
		t.Fatalf("whitespace around block: %v", err)
	}
}
