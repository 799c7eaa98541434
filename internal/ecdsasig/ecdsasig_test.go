package ecdsasig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"io"
	"math/big"
	"testing"
)

// TestToRS converts real signatures of every curve and refuses the
// encodings a signer must not return.
func TestToRS(t *testing.T) {
	for _, c := range []struct {
		curve elliptic.Curve
		hash  crypto.Hash
	}{{elliptic.P256(), crypto.SHA256}, {elliptic.P384(), crypto.SHA384}, {elliptic.P521(), crypto.SHA512}} {
		key, err := ecdsa.GenerateKey(c.curve, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		size := (c.curve.Params().BitSize + 7) / 8
		digest := make([]byte, c.hash.Size())
		for range 20 { // short r or s (leading zero bytes) come up now and then
			der, err := key.Sign(rand.Reader, digest, c.hash)
			if err != nil {
				t.Fatal(err)
			}
			rs := make([]byte, 2*size)
			if !ToRS(der, rs) {
				t.Fatalf("%s: a real signature was rejected", c.curve.Params().Name)
			}
			r, s := new(big.Int).SetBytes(rs[:size]), new(big.Int).SetBytes(rs[size:])
			if !ecdsa.Verify(&key.PublicKey, digest, r, s) {
				t.Fatalf("%s: converted signature does not verify", c.curve.Params().Name)
			}
		}
	}
	var rs [64]byte
	for _, tc := range []struct {
		name string
		der  []byte
	}{
		{"empty", nil},
		{"trailing data", []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00}},
		{"negative r", []byte{0x30, 0x06, 0x02, 0x01, 0x80, 0x02, 0x01, 0x01}},
		{"negative s", []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0xff}},
		{"non-minimal r", []byte{0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01}},
		{"empty r", []byte{0x30, 0x05, 0x02, 0x00, 0x02, 0x01, 0x01}},
		{"r too long", append([]byte{0x30, 0x26, 0x02, 0x21, 0x01}, append(make([]byte, 32), 0x02, 0x01, 0x01)...)},
		{"one integer", []byte{0x30, 0x03, 0x02, 0x01, 0x01}},
		{"three integers", []byte{0x30, 0x09, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}},
		{"not a sequence", []byte{0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if ToRS(tc.der, rs[:]) {
				t.Fatalf("accepted %x", tc.der)
			}
		})
	}
	if !ToRS([]byte{0x30, 0x07, 0x02, 0x02, 0x00, 0x80, 0x02, 0x01, 0x05}, rs[:]) || rs[31] != 0x80 || rs[63] != 5 || rs[0] != 0 {
		t.Fatal("a minimal integer with a leading zero was not decoded")
	}
	if ToRS([]byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}, rs[:63]) {
		t.Fatal("an odd output length was accepted")
	}
}

// FuzzToRS: ToRS never panics, and what it accepts is a DER encoding that
// round-trips through big.Int.
func FuzzToRS(f *testing.F) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := key.Sign(rand.Reader, make([]byte, 32), crypto.SHA256)
	f.Add(der)
	f.Add([]byte{0x30, 0x07, 0x02, 0x02, 0x00, 0x80, 0x02, 0x01, 0x05})
	f.Fuzz(func(t *testing.T, der []byte) {
		var rs [64]byte
		if !ToRS(der, rs[:]) {
			return
		}
		r, s := new(big.Int).SetBytes(rs[:32]), new(big.Int).SetBytes(rs[32:])
		if r.Sign() < 0 || s.Sign() < 0 || len(der) < 8 || der[0] != 0x30 {
			t.Fatalf("accepted %x", der)
		}
	})
}

// TestAppendDERInvertsToRS: for real signatures of every curve, AppendDER
// rebuilds exactly the DER the signer returned (Go's signer encodes
// minimally), and the result verifies with ecdsa.VerifyASN1.
func TestAppendDERInvertsToRS(t *testing.T) {
	for _, c := range []struct {
		curve elliptic.Curve
		hash  crypto.Hash
	}{{elliptic.P256(), crypto.SHA256}, {elliptic.P384(), crypto.SHA384}, {elliptic.P521(), crypto.SHA512}} {
		key, err := ecdsa.GenerateKey(c.curve, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		size := (c.curve.Params().BitSize + 7) / 8
		digest := make([]byte, c.hash.Size())
		for range 50 {
			der, err := key.Sign(rand.Reader, digest, c.hash)
			if err != nil {
				t.Fatal(err)
			}
			rs := make([]byte, 2*size)
			if !ToRS(der, rs) {
				t.Fatal("ToRS refused a real signature")
			}
			back := AppendDER(nil, rs)
			if string(back) != string(der) {
				t.Fatalf("%s: AppendDER(ToRS(der)) = %x, want %x", c.curve.Params().Name, back, der)
			}
			if !ecdsa.VerifyASN1(&key.PublicKey, digest, back) {
				t.Fatalf("%s: rebuilt DER does not verify", c.curve.Params().Name)
			}
		}
	}
	// Halves with the top bit set get a zero byte; a zero half is INTEGER 0.
	got := AppendDER(nil, []byte{0x80, 0x01, 0x00, 0x00})
	want := []byte{0x30, 0x08, 0x02, 0x03, 0x00, 0x80, 0x01, 0x02, 0x01, 0x00}
	if string(got) != string(want) {
		t.Fatalf("AppendDER = %x, want %x", got, want)
	}
}

type fixedSigner struct {
	crypto.Signer
	sig []byte
	err error
}

func (f fixedSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) { return f.sig, f.err }

// TestSignVerify: Sign makes r||s that Verify accepts for the digest and
// refuses for another; a signer that fails or returns a DER signature that
// does not fit the curve gives ErrSigner, and Verify refuses an r||s longer
// than P-521's.
func TestSignVerify(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	digest := make([]byte, 32)
	rs, err := Sign(rand.Reader, key, crypto.SHA256, 32, digest, []byte{0xAA})
	if err != nil || len(rs) != 65 || rs[0] != 0xAA {
		t.Fatalf("Sign = %x, %v; want the prefix and 64 bytes", rs, err)
	}
	if !Verify(&key.PublicKey, digest, rs[1:]) {
		t.Fatal("a good signature was refused")
	}
	if Verify(&key.PublicKey, append([]byte{1}, digest[1:]...), rs[1:]) {
		t.Fatal("a signature over another digest verified")
	}
	if Verify(&key.PublicKey, digest, make([]byte, 2*66+2)) {
		t.Fatal("an over-long r||s verified")
	}
	long := append([]byte{0x30, 0x46, 0x02, 0x21, 0x01}, make([]byte, 32)...)
	long = append(long, 0x02, 0x21, 0x01)
	long = append(long, make([]byte, 32)...)
	for name, s := range map[string]fixedSigner{
		"signer error": {key, nil, errors.New("HSM offline")},
		"over-long":    {key, long, nil},
		"not DER":      {key, []byte("sig"), nil},
	} {
		if out, err := Sign(nil, s, crypto.SHA256, 32, digest, nil); !errors.Is(err, ErrSigner) || out != nil {
			t.Errorf("%s: Sign = %x, %v; want ErrSigner", name, out, err)
		}
	}
}
