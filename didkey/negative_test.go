package didkey

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/multiformats/go-multibase"
)

const validEd = "did:key:z6MktKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b"

// didOf builds "did:key:z" + base58btc(data) without any checks.
func didOf(t testing.TB, data []byte) string {
	t.Helper()
	s, err := multibase.Encode(multibase.Base58BTC, data)
	if err != nil {
		t.Fatal(err)
	}
	return prefix + s
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func rep(b byte, n int) []byte { return []byte(strings.Repeat(string([]byte{b}), n)) }

// offCurveX returns a compressed point 0x02 || x of the given size whose x
// has no point on the curve (by trial from x = 1, deterministic).
func offCurveX(t testing.TB, size int, onCurve func([]byte) bool) []byte {
	t.Helper()
	for i := int64(1); i < 1000; i++ {
		p := make([]byte, 1+size)
		p[0] = 2
		big.NewInt(i).FillBytes(p[1:])
		if !onCurve(p) {
			return p
		}
	}
	t.Fatal("no off-curve x found")
	return nil
}

func nistOnCurve(c elliptic.Curve) func([]byte) bool {
	return func(p []byte) bool { x, _ := elliptic.UnmarshalCompressed(c, p); return x != nil }
}

func k1OnCurve(p []byte) bool { _, err := secp256k1.ParsePubKey(p); return err == nil }

// edNotOnCurve returns a canonical 32-byte y whose x² has no square root.
func edNotOnCurve(t testing.TB) []byte {
	t.Helper()
	for i := byte(2); i < 200; i++ {
		raw := make([]byte, 32)
		raw[0] = i
		if checkEd25519(raw) == errEd25519Point {
			return raw
		}
	}
	t.Fatal("no off-curve y found")
	return nil
}

// TestParseRejects covers every rejection of Parse with the sentinel and
// the did:key specification error code it must carry.
func TestParseRejects(t *testing.T) {
	ed := []byte{0xed, 0x01}
	x25519 := []byte{0xec, 0x01}
	p256 := []byte{0x80, 0x24}
	p384 := []byte{0x81, 0x24}
	p521 := []byte{0x82, 0x24}
	k1 := []byte{0xe7, 0x01}

	edP := edP.FillBytes(make([]byte, 32)) // big endian p
	edPLE := make([]byte, 32)
	for i := range 32 {
		edPLE[i] = edP[31-i]
	}
	edIdentityNegZero := make([]byte, 32) // y = 1, x = 0 with the sign bit set
	edIdentityNegZero[0], edIdentityNegZero[31] = 1, 0x80

	p256Off := offCurveX(t, 32, nistOnCurve(elliptic.P256()))
	k1Off := offCurveX(t, 32, k1OnCurve)
	validP256 := (func() []byte {
		d, err := Parse("did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv")
		if err != nil {
			t.Fatal(err)
		}
		return d.RawPublicKey()
	})()
	uncompressedP256 := (func() []byte {
		d, _ := Parse("did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv")
		b, _ := d.PublicKey().(*ecdsa.PublicKey).Bytes()
		return b
	})()

	tests := []struct {
		name string
		in   string
		want error
		code string
	}{
		// Syntax (did:key v0.7 §2).
		{"empty", "", ErrInvalidDID, "invalidDid"},
		{"prefix only", "did:key:", ErrInvalidDID, "invalidDid"},
		{"other method", "did:web:example.com", ErrInvalidDID, "invalidDid"},
		{"upper case method", "did:KEY:" + validEd[8:], ErrInvalidDID, "invalidDid"},
		{"upper case scheme", "DID:key:" + validEd[8:], ErrInvalidDID, "invalidDid"},
		{"leading space", " " + validEd, ErrInvalidDID, "invalidDid"},
		{"version component", "did:key:1:" + validEd[8:], ErrInvalidDID, "invalidDid"},
		{"fragment", validEd + "#" + validEd[8:], ErrInvalidDID, "invalidDid"},
		{"query", validEd + "?versionId=1", ErrInvalidDID, "invalidDid"},
		{"path", validEd + "/path", ErrInvalidDID, "invalidDid"},
		{"too long", "did:key:z" + strings.Repeat("2", MaxLength), ErrInvalidDID, "invalidDid"},
		// Multibase (did:key v0.7 §3.1.3 step 1).
		{"base64url multibase", "did:key:u7QE", ErrNotMultibase, "invalidDid"},
		{"base16 multibase", "did:key:fed01" + strings.Repeat("00", 32), ErrNotMultibase, "invalidDid"},
		{"upper Z", "did:key:Z" + validEd[9:], ErrNotMultibase, "invalidDid"},
		{"z only", "did:key:z", ErrNotMultibase, "invalidDid"},
		{"zero digit", validEd[:20] + "0" + validEd[21:], ErrNotMultibase, "invalidDid"},
		{"letter O", validEd[:20] + "O" + validEd[21:], ErrNotMultibase, "invalidDid"},
		{"letter I", validEd[:20] + "I" + validEd[21:], ErrNotMultibase, "invalidDid"},
		{"letter l", validEd[:20] + "l" + validEd[21:], ErrNotMultibase, "invalidDid"},
		{"padding", validEd + "=", ErrNotMultibase, "invalidDid"},
		{"trailing newline", validEd + "\n", ErrNotMultibase, "invalidDid"},
		{"non-ASCII", validEd + "é", ErrNotMultibase, "invalidDid"},
		// Multicodec varint.
		{"truncated varint", didOf(t, []byte{0xed}), ErrMalformedMulticodec, "invalidDid"},
		{"non-minimal varint", didOf(t, cat([]byte{0xed, 0x81, 0x00}, rep(1, 32))), ErrMalformedMulticodec, "invalidDid"},
		{"overlong varint", didOf(t, rep(0xff, 12)), ErrMalformedMulticodec, "invalidDid"},
		{"leading zero bytes", didOf(t, cat([]byte{0}, ed, validP256[1:])), ErrUnknownMulticodec, "unsupportedPublicKeyType"},
		// Unknown and unsupported key types.
		{"unknown multicodec raw", didOf(t, cat([]byte{0x55}, rep(1, 32))), ErrUnknownMulticodec, "unsupportedPublicKeyType"},
		{"unknown multicodec sha2-256", didOf(t, cat([]byte{0x12, 0x20}, rep(1, 32))), ErrUnknownMulticodec, "unsupportedPublicKeyType"},
		{"ed448", didOf(t, cat([]byte{0x83, 0x24}, rep(1, 57))), ErrUnsupportedKeyType, "unsupportedPublicKeyType"},
		{"x448", didOf(t, cat([]byte{0x84, 0x24}, rep(1, 56))), ErrUnsupportedKeyType, "unsupportedPublicKeyType"},
		{"bls12-381 g2", didOf(t, cat([]byte{0xeb, 0x01}, rep(1, 96))), ErrUnsupportedKeyType, "unsupportedPublicKeyType"},
		{"rsa", didOf(t, cat([]byte{0x85, 0x24}, rep(1, 270))), ErrUnsupportedKeyType, "unsupportedPublicKeyType"},
		// Key length (did:key v0.7 §3.1.2 step 3).
		{"no key bytes", didOf(t, ed), ErrKeyLength, "invalidPublicKeyLength"},
		{"ed25519 31 bytes", didOf(t, cat(ed, rep(1, 31))), ErrKeyLength, "invalidPublicKeyLength"},
		{"x25519 16 bytes", didOf(t, cat(x25519, rep(9, 16))), ErrKeyLength, "invalidPublicKeyLength"},
		{"p256 32 bytes", didOf(t, cat(p256, validP256[:32])), ErrKeyLength, "invalidPublicKeyLength"},
		{"p384 33 bytes", didOf(t, cat(p384, validP256)), ErrKeyLength, "invalidPublicKeyLength"},
		{"secp256k1 20 bytes", didOf(t, cat(k1, rep(2, 20))), ErrKeyLength, "invalidPublicKeyLength"},
		// Trailing bytes.
		{"ed25519 33 bytes", didOf(t, cat(ed, rep(1, 33))), ErrTrailingBytes, "invalidPublicKeyLength"},
		{"x25519 33 bytes", didOf(t, cat(x25519, rep(9, 33))), ErrTrailingBytes, "invalidPublicKeyLength"},
		{"p256 plus one byte", didOf(t, cat(p256, validP256, []byte{0})), ErrTrailingBytes, "invalidPublicKeyLength"},
		{"p256 uncompressed", didOf(t, cat(p256, uncompressedP256)), ErrTrailingBytes, "invalidPublicKeyLength"},
		{"p521 plus one byte", didOf(t, cat(p521, []byte{2}, rep(0, 66), []byte{0})), ErrTrailingBytes, "invalidPublicKeyLength"},
		// Invalid points (did:key v0.7 §3.1.2 step 4).
		{"p256 not on curve", didOf(t, cat(p256, p256Off)), ErrInvalidPublicKey, "invalidPublicKey"},
		{"p256 x >= p", didOf(t, cat(p256, []byte{2}, rep(0xff, 32))), ErrInvalidPublicKey, "invalidPublicKey"},
		{"p256 prefix 04", didOf(t, cat(p256, []byte{4}, validP256[1:])), ErrInvalidPublicKey, "invalidPublicKey"},
		{"p256 prefix 00", didOf(t, cat(p256, []byte{0}, validP256[1:])), ErrInvalidPublicKey, "invalidPublicKey"},
		{"p384 not on curve", didOf(t, cat(p384, offCurveX(t, 48, nistOnCurve(elliptic.P384())))), ErrInvalidPublicKey, "invalidPublicKey"},
		{"p521 not on curve", didOf(t, cat(p521, offCurveX(t, 66, nistOnCurve(elliptic.P521())))), ErrInvalidPublicKey, "invalidPublicKey"},
		{"p521 x >= p", didOf(t, cat(p521, []byte{3}, rep(0xff, 66))), ErrInvalidPublicKey, "invalidPublicKey"},
		{"secp256k1 not on curve", didOf(t, cat(k1, k1Off)), ErrInvalidPublicKey, "invalidPublicKey"},
		{"secp256k1 x >= p", didOf(t, cat(k1, []byte{3}, rep(0xff, 32))), ErrInvalidPublicKey, "invalidPublicKey"},
		{"secp256k1 prefix 05", didOf(t, cat(k1, []byte{5}, k1Off[1:])), ErrInvalidPublicKey, "invalidPublicKey"},
		{"ed25519 y = p", didOf(t, cat(ed, edPLE)), ErrInvalidPublicKey, "invalidPublicKey"},
		{"ed25519 y > p", didOf(t, cat(ed, rep(0xff, 31), []byte{0x7f})), ErrInvalidPublicKey, "invalidPublicKey"},
		{"ed25519 x = 0 negative", didOf(t, cat(ed, edIdentityNegZero)), ErrInvalidPublicKey, "invalidPublicKey"},
		{"ed25519 not on curve", didOf(t, cat(ed, edNotOnCurve(t))), ErrInvalidPublicKey, "invalidPublicKey"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse(tc.in)
			if err == nil || d != nil {
				t.Fatalf("Parse(%q) accepted", tc.in)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error", err)
			}
			if e.Code() != tc.code {
				t.Fatalf("code %s, want %s", e.Code(), tc.code)
			}
			// Resolve and ParseKeyID reject the same input the same way.
			if doc, err2 := Resolve(tc.in); doc != nil || !errors.Is(err2, tc.want) {
				t.Fatalf("Resolve: %v, want %v", err2, tc.want)
			}
		})
	}
}

func TestParseKeyID(t *testing.T) {
	d, err := Parse(validEd)
	if err != nil {
		t.Fatal(err)
	}
	for _, ok := range []string{validEd, d.KeyID()} {
		got, err := ParseKeyID(ok)
		if err != nil || !got.Equal(d) {
			t.Fatalf("ParseKeyID(%q) = %v, %v", ok, got, err)
		}
	}
	x, _ := d.DeriveX25519()
	for _, bad := range []string{
		validEd + "#",
		validEd + "#key-1",
		validEd + "#" + x.Multibase(),
		validEd + "#" + d.Multibase() + "#" + d.Multibase(),
		"did:key:z6Mk#" + d.Multibase(),
		validEd + "#" + strings.Repeat("z", MaxLength),
	} {
		if got, err := ParseKeyID(bad); got != nil || err == nil {
			t.Errorf("ParseKeyID(%q) accepted", bad)
		}
	}
}

// TestNewRejects covers Encode/New with keys that have no did:key.
func TestNewRejects(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	offCurve := &ecdsa.PublicKey{Curve: elliptic.P256(), X: big.NewInt(1), Y: big.NewInt(1)}
	k1Off := &ecdsa.PublicKey{Curve: secp256k1.S256(), X: big.NewInt(1), Y: big.NewInt(1)}
	tests := []struct {
		name string
		key  any
		want error
	}{
		{"nil", nil, ErrUnsupportedKeyType},
		{"rsa", &rsaKey.PublicKey, ErrUnsupportedKeyType},
		{"p224", &p224.PublicKey, ErrUnsupportedKeyType},
		{"ed25519 private", edPriv, ErrUnsupportedKeyType},
		{"ecdh private", x, ErrUnsupportedKeyType},
		{"ecdsa private", p224, ErrUnsupportedKeyType},
		{"short ed25519", ed25519.PublicKey(make([]byte, 31)), ErrKeyLength},
		{"ed25519 not on curve", ed25519.PublicKey(edNotOnCurve(t)), ErrInvalidPublicKey},
		{"p256 off curve", offCurve, ErrInvalidPublicKey},
		{"secp256k1 off curve", k1Off, ErrInvalidPublicKey},
		{"secp256k1 negative", &ecdsa.PublicKey{Curve: secp256k1.S256(), X: big.NewInt(-1), Y: big.NewInt(1)}, ErrInvalidPublicKey},
		{"nil ecdsa", (*ecdsa.PublicKey)(nil), ErrUnsupportedKeyType},
		{"bytes", []byte{1, 2, 3}, ErrUnsupportedKeyType},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Encode(tc.key)
			if s != "" || !errors.Is(err, tc.want) {
				t.Fatalf("Encode = %q, %v; want %v", s, err, tc.want)
			}
		})
	}
}

func TestNewFromECDH(t *testing.T) {
	for _, c := range []ecdh.Curve{ecdh.P256(), ecdh.P384(), ecdh.P521(), ecdh.X25519()} {
		k, err := c.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		d, err := New(k.PublicKey())
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		again, err := Parse(d.String())
		if err != nil || !again.Equal(d) {
			t.Fatalf("%v: round trip %v", c, err)
		}
		var pubBytes []byte
		switch p := again.PublicKey().(type) {
		case *ecdh.PublicKey:
			pubBytes = p.Bytes()
		case *ecdsa.PublicKey:
			pubBytes, _ = p.Bytes()
		}
		if string(pubBytes) != string(k.PublicKey().Bytes()) {
			t.Fatalf("%v: key changed", c)
		}
	}
}

func TestDocumentOptions(t *testing.T) {
	d, err := Parse(validEd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Document(DocumentOptions{Type: "Ed25519VerificationKey2018"}); !errors.Is(err, ErrRepresentationNotSupported) {
		t.Fatalf("unknown type: %v", err)
	}
	doc, err := d.Document(DocumentOptions{Type: JsonWebKey2020})
	if err != nil {
		t.Fatal(err)
	}
	vm := doc.VerificationMethod[0]
	if vm.Type != "JsonWebKey2020" || vm.PublicKeyJwk == nil || vm.PublicKeyMultibase != "" || doc.Context[1] != ContextJsonWebKey2020 {
		t.Fatalf("JsonWebKey2020 document: %+v", doc)
	}
	doc, err = d.Document(DocumentOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vm = doc.VerificationMethod[0]
	if vm.Type != "Multikey" || vm.PublicKeyJwk != nil || vm.PublicKeyMultibase != d.Multibase() || doc.Context[1] != ContextMultikeyV1 || doc.KeyAgreement != nil {
		t.Fatalf("Multikey document: %+v", doc)
	}
	// Derivation is ignored for non-Ed25519 keys.
	p, err := Parse("did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv")
	if err != nil {
		t.Fatal(err)
	}
	doc, err = p.Document(DocumentOptions{EncryptionKeyDerivation: true})
	if err != nil || len(doc.VerificationMethod) != 1 || doc.KeyAgreement != nil {
		t.Fatalf("P-256 with derivation: %+v, %v", doc, err)
	}
	if _, ok := p.DeriveX25519(); ok {
		t.Fatal("DeriveX25519 on P-256")
	}
	// The returned key is a copy.
	pub := d.PublicKey().(ed25519.PublicKey)
	pub[0] ^= 1
	if d.PublicKey().(ed25519.PublicKey)[0] == pub[0] {
		t.Fatal("PublicKey shares memory with the DID")
	}
}
