package cose

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/internal/strictcbor"
	"github.com/ikdkit/ikdkit/keys"
)

func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func newKey(t testing.TB, alg keys.Algorithm) crypto.Signer {
	t.Helper()
	k, err := keys.Generate(alg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newSigner(t testing.TB, k crypto.Signer) *Signer {
	t.Helper()
	s, err := NewSigner(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSignVerify signs and verifies every algorithm in every shape the
// callers use: tagged and untagged, attached and detached, with and
// without external_aad, kid in either bucket, an x5chain.
func TestSignVerify(t *testing.T) {
	payload := []byte("This is the content.")
	aad := []byte("IKDQRRequest1")
	for _, alg := range keys.Algorithms() {
		key := newKey(t, alg)
		s := newSigner(t, key)
		if s.Algorithm() != alg {
			t.Fatalf("Algorithm() = %s, want %s", s.Algorithm(), alg)
		}
		for _, form := range []Form{Untagged, Tagged} {
			for _, detached := range []bool{false, true} {
				p := Sign1Params{Form: form, Payload: payload, Detached: detached, ExternalAAD: aad,
					Protected:   []HeaderParam{{Label: HeaderType, Value: "application/test"}},
					Unprotected: []HeaderParam{{Label: HeaderKID, Value: []byte("k1")}, {Label: HeaderX5Chain, Value: [][]byte{{1}, {2}}}}}
				msg, err := s.Sign1(rand.Reader, p)
				if err != nil {
					t.Fatal(err)
				}
				m, err := ParseSign1(msg, form)
				if err != nil {
					t.Fatalf("%s form %d detached %v: %v", alg, form, detached, err)
				}
				if kid, err := m.KeyID(); err != nil || string(kid) != "k1" {
					t.Fatalf("kid %q %v", kid, err)
				}
				if typ, ok, err := m.Protected.Text(HeaderType); !ok || err != nil || typ != "application/test" {
					t.Fatalf("type %q %v %v", typ, ok, err)
				}
				if ch, err := m.X5Chain(8); err != nil || len(ch) != 2 || ch[1][0] != 2 {
					t.Fatalf("x5chain %x %v", ch, err)
				}
				verify := func(pub crypto.PublicKey, pl, ad []byte) error {
					if detached {
						return m.VerifyDetached(pub, pl, ad)
					}
					if !bytes.Equal(pl, payload) {
						// An attached payload is what it is: change the message.
						c := *m
						c.Payload = pl
						return c.Verify(pub, ad)
					}
					return m.Verify(pub, ad)
				}
				if err := verify(key.Public(), payload, aad); err != nil {
					t.Fatalf("%s form %d detached %v: %v", alg, form, detached, err)
				}
				if err := verify(key.Public(), payload, nil); !errors.Is(err, ErrSignature) {
					t.Fatalf("without the external_aad: %v", err)
				}
				if err := verify(key.Public(), payload[1:], aad); !errors.Is(err, ErrSignature) {
					t.Fatalf("other payload: %v", err)
				}
				if err := verify(newKey(t, alg).Public(), payload, aad); !errors.Is(err, ErrSignature) {
					t.Fatalf("other key: %v", err)
				}
				other := keys.ES256
				if alg == keys.ES256 {
					other = keys.EdDSA
				}
				if err := verify(newKey(t, other).Public(), payload, aad); !errors.Is(err, ErrAlgorithm) {
					t.Fatalf("key of another algorithm: %v", err)
				}
				if detached {
					if err := m.Verify(key.Public(), aad); !errors.Is(err, ErrMalformed) {
						t.Fatalf("Verify on a detached message: %v", err)
					}
				} else if err := m.VerifyDetached(key.Public(), payload, aad); !errors.Is(err, ErrMalformed) {
					t.Fatalf("VerifyDetached on an attached message: %v", err)
				}
				other1 := Tagged
				if form == Tagged {
					other1 = Untagged
				}
				if _, err := ParseSign1(msg, other1); !errors.Is(err, ErrMalformed) {
					t.Fatalf("parsed in the other form: %v", err)
				}
			}
		}
	}
}

// TestSignEncoding pins the bytes around the signature: the header maps in
// core deterministic order and the ECDSA signature as r||s of the curve's
// size.
func TestSignEncoding(t *testing.T) {
	s := newSigner(t, newKey(t, keys.ES256))
	msg, err := s.Sign1(rand.Reader, Sign1Params{Form: Tagged, Payload: []byte{0xa0},
		Protected:   []HeaderParam{{Label: HeaderType, Value: "t"}, {Label: HeaderKID, Value: []byte("k")}},
		Unprotected: []HeaderParam{{Label: -1, Value: 1}, {Label: 24, Value: 2}, {Label: 1 - 24 - 1, Value: 3}, {Label: 3, Value: 4}}})
	if err != nil {
		t.Fatal(err)
	}
	// 18([h'A3 01 26 04 41 6B 10 61 74', {3: 4, 24: 2, -1: 1, -24: 3}, h'A0', sig])
	want := h("d2 84 49 a3 0126 04416b 106174 a4 0304 181802 2001 3703 41a0 5840")
	if !bytes.HasPrefix(msg, want) || len(msg) != len(want)+64 {
		t.Fatalf("%x\nwant prefix %x", msg, want)
	}
	want, _ = strictcbor.Marshal(map[int64]any{1: -7, 4: []byte("k"), 16: "t"})
	if m, err := ParseSign1(msg, Tagged); err != nil || !bytes.Equal(m.RawProtected, want) {
		t.Fatalf("protected %x, encoder %x (%v)", m.RawProtected, want, err)
	}
	for _, bad := range []Sign1Params{
		{Form: Untagged, Protected: []HeaderParam{{Label: HeaderAlg, Value: -7}}},
		{Form: Untagged, Protected: []HeaderParam{{Label: HeaderCrit, Value: []byte{}}}},
		{Form: Untagged, Unprotected: []HeaderParam{{Label: 4, Value: []byte{}}, {Label: 4, Value: []byte{}}}},
		{Form: Untagged, Unprotected: []HeaderParam{{Label: 4, Value: 1.5}}},
		{Form: Untagged, Unprotected: []HeaderParam{{Label: 4, Value: "\xff"}}},
		{Form: 0},
	} {
		if _, err := s.Sign1(rand.Reader, bad); !errors.Is(err, ErrSigner) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

// failingSigner returns what it is told to, to check that a broken
// crypto.Signer gives an error, not a panic or a bad message.
type failingSigner struct {
	crypto.Signer
	sig []byte
	err error
}

func (f failingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return f.sig, f.err
}

func TestSignerFailures(t *testing.T) {
	if _, err := NewSigner(nil); !errors.Is(err, ErrSigner) {
		t.Fatalf("nil signer: %v", err)
	}
	k, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if _, err := NewSigner(k); !errors.Is(err, ErrAlgorithm) {
		t.Fatalf("P-224: %v", err)
	}
	for _, alg := range []keys.Algorithm{keys.ES256, keys.EdDSA} {
		key := newKey(t, alg)
		for _, f := range []failingSigner{
			{Signer: key, err: errors.New("HSM unplugged")},
			{Signer: key, sig: []byte{0x30, 0x03, 0x02, 0x01}},
			{Signer: key, sig: make([]byte, 63)},
		} {
			if _, err := newSigner(t, f).Sign1(rand.Reader, Sign1Params{Form: Untagged, Payload: []byte("x")}); !errors.Is(err, ErrSigner) {
				t.Errorf("%s: %v", alg, err)
			}
		}
	}
}

// vectors loads the cose-wg examples (testdata/README.md).
type vector struct {
	File, Title, Form, Kind, External, Expect, Why, CBOR string
}

func loadVectors(t testing.TB) (crypto.PublicKey, []byte, []vector) {
	t.Helper()
	b, err := os.ReadFile("testdata/cose-wg.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Key     struct{ X, Y string }
		HMACKey string
		Vectors []vector
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	coord := func(s string) *big.Int {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return new(big.Int).SetBytes(b)
	}
	pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: coord(f.Key.X), Y: coord(f.Key.Y)}
	return pub, h(f.HMACKey), f.Vectors
}

func TestCOSEWGVectors(t *testing.T) {
	pub, macKey, vs := loadVectors(t)
	for _, v := range vs {
		t.Run(v.Title, func(t *testing.T) {
			form := Untagged
			if v.Form == "tagged" {
				form = Tagged
			}
			var err error
			if v.Kind == "mac0" {
				var m *Mac0
				if m, err = ParseMac0(h(v.CBOR), form); err != nil {
					t.Fatal(err)
				}
				err = m.Verify(macKey, h(v.External))
			} else {
				var m *Sign1
				if m, err = ParseSign1(h(v.CBOR), form); err != nil {
					t.Fatal(err)
				}
				err = m.Verify(pub, h(v.External))
			}
			want := map[string]error{"pass": nil, "signature": ErrSignature, "algorithm": ErrAlgorithm}[v.Expect]
			if want == nil && err != nil || want != nil && !errors.Is(err, want) {
				t.Fatalf("%s: got %v, want %s (%s)", v.File, err, v.Expect, v.Why)
			}
		})
	}
}

// mac0 builds a COSE_Mac0 by hand (this package only verifies them).
func mac0(key, protected, unprotected, payload []byte, detached bool) []byte {
	m := hmac.New(sha256.New, key)
	writeToBeSigned(m, contextMAC0, protected, nil, payload)
	out := append([]byte{0x84}, strictcbor.AppendBytes(nil, protected)...)
	out = append(out, unprotected...)
	if detached {
		out = append(out, 0xf6)
	} else {
		out = strictcbor.AppendBytes(out, payload)
	}
	return strictcbor.AppendBytes(out, m.Sum(nil))
}

func TestMac0(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	payload := []byte("DeviceAuthenticationBytes")
	hs256 := h("a10105")
	m, err := ParseMac0(mac0(key, hs256, h("a0"), payload, true), Untagged)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.VerifyDetached(key, payload, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Verify(key, nil); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Verify on detached: %v", err)
	}
	for name, err := range map[string]error{
		"other key":     m.VerifyDetached(bytes.Repeat([]byte{8}, 32), payload, nil),
		"other payload": m.VerifyDetached(key, payload[1:], nil),
		"external_aad":  m.VerifyDetached(key, payload, []byte{1}),
	} {
		if !errors.Is(err, ErrMAC) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := m.VerifyDetached(nil, payload, nil); !errors.Is(err, ErrMAC) {
		t.Errorf("empty key: %v", err)
	}
	// RFC 9053 §3.1: only HMAC 256/256 (5); HMAC 256/64 (4) is refused.
	m4, err := ParseMac0(mac0(key, h("a10104"), h("a0"), payload, true), Untagged)
	if err != nil {
		t.Fatal(err)
	}
	if err := m4.VerifyDetached(key, payload, nil); !errors.Is(err, ErrAlgorithm) {
		t.Fatalf("HMAC 256/64: %v", err)
	}
	ma, err := ParseMac0(mac0(key, hs256, h("a0"), payload, false), Untagged)
	if err != nil {
		t.Fatal(err)
	}
	if err := ma.Verify(key, nil); err != nil {
		t.Fatal(err)
	}
	if err := ma.VerifyDetached(key, payload, nil); !errors.Is(err, ErrMalformed) {
		t.Fatalf("VerifyDetached on attached: %v", err)
	}
	// A truncated tag fails.
	full := mac0(key, hs256, h("a0"), payload, true)
	short := strictcbor.AppendBytes(bytes.Clone(full[:len(full)-34]), full[len(full)-32:len(full)-16])
	if ms, err := ParseMac0(short, Untagged); err != nil {
		t.Fatal(err)
	} else if err := ms.VerifyDetached(key, payload, nil); !errors.Is(err, ErrMAC) {
		t.Fatalf("16-byte tag: %v", err)
	}
}

// sig64 is a syntactically fine ES256 signature.
var sig64 = "5840" + strings.Repeat("01", 64)

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		form Form
	}{
		{"empty", "", Untagged},
		{"array of 3", "83 43a10126 a0 40", Untagged},
		{"array of 5", "85 43a10126 a0 40 " + sig64 + " 00", Untagged},
		{"map, not an array", "a0", Untagged},
		{"trailing byte", "84 43a10126 a0 40 " + sig64 + " 00", Untagged},
		{"tag where untagged", "d2 84 43a10126 a0 40 " + sig64, Untagged},
		{"untagged where tagged", "84 43a10126 a0 40 " + sig64, Tagged},
		{"COSE_Mac0 tag for a COSE_Sign1", "d1 84 43a10126 a0 40 " + sig64, Tagged},
		{"CWT tag around it", "d83d d2 84 43a10126 a0 40 " + sig64, Tagged},
		{"tag inside", "84 43a10126 a0 c1 40 " + sig64, Untagged},
		{"protected not a bstr", "84 a10126 a0 40 " + sig64, Untagged},
		{"protected not a map", "84 42 0126 a0 40 " + sig64, Untagged},
		{"protected with trailing bytes", "84 44a1012600 a0 40 " + sig64, Untagged},
		{"unprotected null", "84 43a10126 f6 40 " + sig64, Untagged},
		{"unprotected an array", "84 43a10126 80 40 " + sig64, Untagged},
		{"byte-string label", "84 43a10126 a1 4101 00 40 " + sig64, Untagged},
		{"duplicate label", "84 43a10126 a2 04 40 04 40 40 " + sig64, Untagged},
		{"duplicate text label", "84 43a10126 a2 6161 00 6161 00 40 " + sig64, Untagged},
		{"duplicate protected label", "84 45a201260126 a0 40 " + sig64, Untagged},
		{"label in both buckets", "84 43a10126 a1 0126 40 " + sig64, Untagged},
		{"crit protected", "84 46a2012602 8104 a0 40 " + sig64, Untagged},
		{"crit unprotected", "84 43a10126 a1 02 8104 40 " + sig64, Untagged},
		{"payload text", "84 43a10126 a0 60 " + sig64, Untagged},
		{"payload undefined", "84 43a10126 a0 f7 " + sig64, Untagged},
		{"signature text", "84 43a10126 a0 40 60", Untagged},
		{"empty signature", "84 43a10126 a0 40 40", Untagged},
		{"indefinite array", "9f 43a10126 a0 40 " + sig64 + " ff", Untagged},
		{"unknown form", "84 43a10126 a0 40 " + sig64, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseSign1(h(tc.in), tc.form)
			if m != nil || !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseSign1 = %v, %v", m, err)
			}
			if m, err := ParseMac0(h(tc.in), tc.form); tc.name != "COSE_Mac0 tag for a COSE_Sign1" && (m != nil || err == nil) {
				t.Fatalf("ParseMac0 = %v, %v", m, err)
			}
		})
	}
	deep := "84 43a10126 a1 04 " + strings.Repeat("81", strictcbor.MaxNestingDepth) + "00 40 " + sig64
	if _, err := ParseSign1(h(deep), Untagged); !errors.Is(err, ErrMalformed) || !errors.Is(err, strictcbor.ErrTooLarge) {
		t.Fatalf("nesting beyond the cap: %v", err)
	}
}

func TestVerifyAlgorithmPinning(t *testing.T) {
	key := newKey(t, keys.ES256)
	good, err := newSigner(t, key).Sign1(rand.Reader, Sign1Params{Form: Untagged, Payload: []byte("p")})
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseSign1(good, Untagged)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name         string
		prot, unprot []byte
	}{
		{"no alg", nil, nil},
		{"other alg", h("a1 01 38 22"), nil},
		{"alg as text", h("a1 01 65 4553323536"), nil},
		{"alg only unprotected", nil, h("a1 01 26")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := *m
			c.RawProtected = tc.prot
			c.Protected = Header{}
			if tc.prot != nil {
				r := strictcbor.NewReader(tc.prot)
				if c.Protected, err = readHeader(&r); err != nil {
					t.Fatal(err)
				}
			}
			c.Unprotected = Header{}
			if tc.unprot != nil {
				r := strictcbor.NewReader(tc.unprot)
				if c.Unprotected, err = readHeader(&r); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.Verify(key.Public(), nil); !errors.Is(err, ErrAlgorithm) {
				t.Fatalf("got %v", err)
			}
		})
	}
	// A wrong-length signature and an unsupported key type.
	c := *m
	c.Signature = c.Signature[:63]
	if err := c.Verify(key.Public(), nil); !errors.Is(err, ErrSignature) {
		t.Fatalf("63-byte signature: %v", err)
	}
	if err := m.Verify([]byte("not a key"), nil); !errors.Is(err, ErrAlgorithm) {
		t.Fatalf("byte slice as key: %v", err)
	}
	if err := m.Verify((*ecdsa.PublicKey)(nil), nil); !errors.Is(err, ErrAlgorithm) {
		t.Fatalf("nil key: %v", err)
	}
}

func TestX5Chain(t *testing.T) {
	for _, tc := range []struct {
		name   string
		unprot string
		n      int
		fail   bool
	}{
		{"none", "a0", 0, false},
		{"one bstr", "a1 1821 43 010203", 1, false},
		{"array of one", "a1 1821 81 43 010203", 1, false},
		{"array of two", "a1 1821 82 41 01 41 02", 2, false},
		{"empty bstr", "a1 1821 40", 0, true},
		{"empty array", "a1 1821 80", 0, true},
		{"array with text", "a1 1821 82 41 01 61 02", 0, true},
		{"over the cap", "a1 1821 83 41 01 41 02 41 03", 0, true},
		{"a map", "a1 1821 a0", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseSign1(h("84 43a10126 "+tc.unprot+" 40 "+sig64), Untagged)
			if err != nil {
				t.Fatal(err)
			}
			ch, err := m.X5Chain(2)
			if tc.fail != (err != nil) || len(ch) != tc.n || (err != nil && !errors.Is(err, ErrMalformed)) {
				t.Fatalf("X5Chain = %x, %v", ch, err)
			}
			if tc.name == "over the cap" && !errors.Is(err, strictcbor.ErrTooLarge) {
				t.Fatalf("over the cap: %v", err)
			}
		})
	}
	// In the protected bucket too.
	m, err := ParseSign1(h("84 47a1182143010203 a0 40 "+sig64), Untagged)
	if err != nil {
		t.Fatal(err)
	}
	if ch, err := m.X5Chain(2); err != nil || len(ch) != 1 {
		t.Fatalf("protected x5chain %x %v", ch, err)
	}
}

func TestAlgorithmIDs(t *testing.T) {
	for _, alg := range keys.Algorithms() {
		id, ok := AlgorithmID(alg)
		back, ok2 := Algorithm(id)
		if !ok || !ok2 || back != alg {
			t.Fatalf("%s -> %d -> %s", alg, id, back)
		}
		kid, err := KeyAlgorithm(newKey(t, alg).Public())
		if err != nil || kid != id {
			t.Fatalf("KeyAlgorithm(%s) = %d %v", alg, kid, err)
		}
	}
	if _, ok := AlgorithmID("HS256"); ok {
		t.Fatal("HS256 mapped")
	}
	if _, ok := Algorithm(AlgHMAC256); ok {
		t.Fatal("HMAC mapped to a signature algorithm")
	}
}
