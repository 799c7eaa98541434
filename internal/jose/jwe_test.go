package jose

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/keys"
)

// The encrypted Authorization Response of OpenID4VP 1.0 §8.3 (the example
// "encrypted to the first key", ECDH-ES with A128GCM and kid "ac") and the
// private key the specification publishes to decrypt it. Copied from
// openid/OpenID4VP 1.0/openid-4-verifiable-presentations-1_0.md at commit
// 46f6965.
const (
	specJWE = "eyJhbGciOiJFQ0RILUVTIiwiZW5jIjoiQTEyOEdDTSIsImtpZCI6ImFjIiwiZXBrIjp7Imt0eSI6IkVDIiwieCI6Im5ubVZwbTNWM2piaGNhZlFhUkJrU1ZOSGx3Wkh3dC05ck9wSnVmeVlJdWsiLCJ5IjoicjRmakRxd0p5czlxVU9QLV9iM21SNVNaRy0tQ3dPMm1pYzVWU05UWU45ZyIsImNydiI6IlAtMjU2In19..uAYcHRUSSn2X0WPX.yVzlGSYG4qbg0bq18JcUiDRw56yVnbKR8E7S7YlEtzT00RqE3Pw5oTpUG3hdLN4taHZ9gC1kwak8JOnJgQ.1wR024_3-qtAlx1oFIUpQQ"
	specJWK = `{"kty":"EC","crv":"P-256","x":"YO4epjifD-KWeq1sL2tNmm36BhXnkJ0He-WqMYrp9Fk","y":"Hekpm0zfK7C-YccH5iBjcIXgf6YdUvNUac_0At55Okk","d":"Et-3ce0omz8_TuZ96Df9lp0GAaaDoUnDe6X-CRO7Aww"}`
)

var bothEnc = []string{EncA128GCM, EncA256GCM}

func specKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	s, err := keys.ParsePrivateJWK([]byte(specJWK))
	if err != nil {
		t.Fatal(err)
	}
	return s.(*ecdsa.PrivateKey)
}

func TestDecryptSpecExample(t *testing.T) {
	h, pt, err := Decrypt(specJWE, specKey(t), bothEnc)
	if err != nil {
		t.Fatal(err)
	}
	if h.Alg != AlgECDHES || h.Enc != EncA128GCM || h.KeyID != "ac" || h.APU != nil || h.APV != nil {
		t.Fatalf("header %+v", h)
	}
	var v map[string]any
	if err := json.Unmarshal(pt, &v); err != nil {
		t.Fatalf("plaintext %q: %v", pt, err)
	}
	if _, ok := v["vp_token"]; !ok {
		t.Fatalf("plaintext %s has no vp_token", pt)
	}
	// The enc allow-list is the caller's.
	if _, _, err := Decrypt(specJWE, specKey(t), []string{EncA256GCM}); !errors.Is(err, ErrAlgorithm) {
		t.Fatalf("A128GCM not allowed: %v", err)
	}
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range bothEnc {
		for _, opts := range []EncryptOptions{
			{Enc: enc},
			{Enc: enc, KeyID: "k-1", APU: []byte("wallet nonce"), APV: []byte("n-0S6_WzA2Mj")},
		} {
			tok, err := Encrypt(priv.PublicKey(), []byte(`{"vp_token":{"a":["b"]}}`), opts)
			if err != nil {
				t.Fatal(err)
			}
			h, pt, err := Decrypt(tok, priv, []string{enc})
			if err != nil {
				t.Fatalf("%s: %v", enc, err)
			}
			if string(pt) != `{"vp_token":{"a":["b"]}}` || h.Enc != enc || h.KeyID != opts.KeyID ||
				string(h.APU) != string(opts.APU) || string(h.APV) != string(opts.APV) {
				t.Fatalf("got %+v %s", h, pt)
			}
		}
	}
	// The default enc is A128GCM; an *ecdsa key works on both sides.
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tok, err := Encrypt(&ek.PublicKey, []byte("x"), EncryptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if h, _, err := Decrypt(tok, ek, bothEnc); err != nil || h.Enc != EncA128GCM {
		t.Fatalf("default enc: %+v %v", h, err)
	}
}

// reheader replaces the protected header of a compact JWE (which breaks
// the tag, unless the check under test comes first).
func reheader(t testing.TB, tok string, edit func(m map[string]any)) string {
	t.Helper()
	parts := strings.SplitN(tok, ".", 2)
	hb, _ := Decode(parts[0])
	m, err := strictjson.UnmarshalObject(hb, 3)
	if err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ := strictjson.Marshal(m)
	return Encode(b) + "." + parts[1]
}

func TestDecryptRefusals(t *testing.T) {
	priv, _ := ecdh.P256().GenerateKey(rand.Reader)
	other, _ := ecdh.P256().GenerateKey(rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	tok, err := Encrypt(priv.PublicKey(), []byte(`{"a":1}`), EncryptOptions{Enc: EncA256GCM, KeyID: "k"})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	join := func(p ...string) string { return strings.Join(p, ".") }
	flip := func(s string) string {
		b, _ := Decode(s)
		b[0] ^= 1
		return Encode(b)
	}
	for _, tc := range []struct {
		name string
		tok  string
		key  any
		encs []string
		want error
	}{
		{"wrong key", tok, other, bothEnc, ErrDecrypt},
		{"P-384 key", tok, p384, bothEnc, ErrAlgorithm},
		{"RSA-like key type", tok, "not a key", bothEnc, ErrAlgorithm},
		{"enc not allowed", tok, priv, []string{EncA128GCM}, ErrAlgorithm},
		{"enc never allowed", tok, priv, []string{"A128CBC-HS256"}, ErrAlgorithm},
		{"alg RSA-OAEP", reheader(t, tok, func(m map[string]any) { m["alg"] = "RSA-OAEP" }), priv, bothEnc, ErrAlgorithm},
		{"alg ECDH-ES+A128KW", reheader(t, tok, func(m map[string]any) { m["alg"] = "ECDH-ES+A128KW" }), priv, bothEnc, ErrAlgorithm},
		{"alg dir", reheader(t, tok, func(m map[string]any) { m["alg"] = "dir" }), priv, bothEnc, ErrAlgorithm},
		{"enc CBC", reheader(t, tok, func(m map[string]any) { m["enc"] = "A128CBC-HS256" }), priv, append(bothEnc[:0:0], bothEnc...), ErrAlgorithm},
		{"zip", reheader(t, tok, func(m map[string]any) { m["zip"] = "DEF" }), priv, bothEnc, ErrMalformedJWE},
		{"crit", reheader(t, tok, func(m map[string]any) { m["crit"] = []any{"x"}; m["x"] = 1 }), priv, bothEnc, ErrMalformedJWE},
		{"jwk", reheader(t, tok, func(m map[string]any) { m["jwk"] = m["epk"] }), priv, bothEnc, ErrMalformedJWE},
		{"no epk", reheader(t, tok, func(m map[string]any) { delete(m, "epk") }), priv, bothEnc, ErrMalformedJWE},
		{"epk off curve", reheader(t, tok, func(m map[string]any) {
			e := m["epk"].(map[string]any)
			e["y"] = e["x"]
		}), priv, bothEnc, ErrMalformedJWE},
		{"epk private", reheader(t, tok, func(m map[string]any) { m["epk"].(map[string]any)["d"] = "AA" }), priv, bothEnc, ErrMalformedJWE},
		{"epk P-384", reheader(t, tok, func(m map[string]any) { m["epk"].(map[string]any)["crv"] = "P-384" }), priv, bothEnc, ErrMalformedJWE},
		{"kid altered", reheader(t, tok, func(m map[string]any) { m["kid"] = "other" }), priv, bothEnc, ErrDecrypt},
		{"apu added", reheader(t, tok, func(m map[string]any) { m["apu"] = "AAAA" }), priv, bothEnc, ErrDecrypt},
		{"apu not base64url", reheader(t, tok, func(m map[string]any) { m["apu"] = "A+A=" }), priv, bothEnc, ErrMalformedJWE},
		{"duplicate member", Encode([]byte(`{"alg":"ECDH-ES","alg":"ECDH-ES"}`)) + "." + strings.SplitN(tok, ".", 2)[1], priv, bothEnc, ErrMalformedJWE},
		{"encrypted key", join(parts[0], "AAAA", parts[2], parts[3], parts[4]), priv, bothEnc, ErrMalformedJWE},
		{"short IV", join(parts[0], "", "AAAA", parts[3], parts[4]), priv, bothEnc, ErrMalformedJWE},
		{"short tag", join(parts[0], "", parts[2], parts[3], "AAAA"), priv, bothEnc, ErrMalformedJWE},
		{"tag altered", join(parts[0], "", parts[2], parts[3], flip(parts[4])), priv, bothEnc, ErrDecrypt},
		{"ciphertext altered", join(parts[0], "", parts[2], flip(parts[3]), parts[4]), priv, bothEnc, ErrDecrypt},
		{"padding", join(parts[0], "", parts[2], parts[3]+"=", parts[4]), priv, bothEnc, ErrMalformedJWE},
		{"four parts", join(parts[0], "", parts[2], parts[3]), priv, bothEnc, ErrMalformedJWE},
		{"six parts", tok + ".", priv, bothEnc, ErrMalformedJWE},
		{"JWS", "eyJhbGciOiJFUzI1NiJ9.e30.AAAA", priv, bothEnc, ErrMalformedJWE},
		{"oversized", strings.Repeat("A", MaxJWESize+1), priv, bothEnc, ErrMalformedJWE},
		{"empty", "", priv, bothEnc, ErrMalformedJWE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, pt, err := Decrypt(tc.tok, tc.key, tc.encs)
			if !errors.Is(err, tc.want) || h != nil || pt != nil {
				t.Fatalf("Decrypt = %v, %q, %v; want %v", h, pt, err, tc.want)
			}
		})
	}
}

func TestEncryptRefusals(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p256, _ := ecdh.P256().GenerateKey(rand.Reader)
	x25519, _ := ecdh.X25519().GenerateKey(rand.Reader)
	for _, tc := range []struct {
		name string
		key  any
		opts EncryptOptions
		want error
	}{
		{"P-384", &p384.PublicKey, EncryptOptions{}, ErrAlgorithm},
		{"X25519", x25519.PublicKey(), EncryptOptions{}, ErrAlgorithm},
		{"nil", nil, EncryptOptions{}, ErrAlgorithm},
		{"enc CBC", p256.PublicKey(), EncryptOptions{Enc: "A128CBC-HS256"}, ErrAlgorithm},
		{"apu too long", p256.PublicKey(), EncryptOptions{APU: make([]byte, MaxPartyInfo+1)}, ErrMalformedJWE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tok, err := Encrypt(tc.key, []byte("x"), tc.opts); !errors.Is(err, tc.want) || tok != "" {
				t.Fatalf("Encrypt = %q, %v; want %v", tok, err, tc.want)
			}
		})
	}
}

func FuzzDecrypt(f *testing.F) {
	priv := specKey(f)
	f.Add(specJWE)
	ek, _ := priv.ECDH()
	for _, enc := range bothEnc {
		tok, err := Encrypt(ek.PublicKey(), []byte(`{"vp_token":{}}`), EncryptOptions{Enc: enc, KeyID: "ac", APV: []byte("n")})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		h, pt, err := Decrypt(tok, priv, bothEnc)
		if err != nil {
			if h != nil || pt != nil {
				t.Fatalf("result with error %v", err)
			}
			if !errors.Is(err, ErrMalformedJWE) && !errors.Is(err, ErrAlgorithm) && !errors.Is(err, ErrDecrypt) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		// Only an authentic JWE decrypts: re-encrypting is not a round trip
		// (fresh epk and IV), but every member read must be what the header
		// says.
		if h.Alg != AlgECDHES || (h.Enc != EncA128GCM && h.Enc != EncA256GCM) || h.EPK == nil {
			t.Fatalf("accepted header %+v", h)
		}
	})
}

// TestEncryptIndependently decrypts what Encrypt produces without jwx:
// ECDH on P-256, the Concat KDF of RFC 7518 §4.6.2 (NIST SP 800-56A
// §5.8.1 with SHA-256, AlgorithmID the enc value for Direct Key
// Agreement, PartyUInfo and PartyVInfo the apu and apv, SuppPubInfo the
// key length in bits), then AES-GCM with the protected header as AAD
// (RFC 7516 §5.2).
func TestEncryptIndependently(t *testing.T) {
	priv, _ := ecdh.P256().GenerateKey(rand.Reader)
	for _, tc := range []struct {
		enc    string
		keyLen int
	}{{EncA128GCM, 16}, {EncA256GCM, 32}} {
		apu, apv := []byte("Alice"), []byte("n-0S6_WzA2Mj")
		tok, err := Encrypt(priv.PublicKey(), []byte(`{"vp_token":{"x":["y"]}}`), EncryptOptions{Enc: tc.enc, KeyID: "k", APU: apu, APV: apv})
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(tok, ".")
		hb, _ := Decode(parts[0])
		var h struct {
			EPK struct{ X, Y string } `json:"epk"`
		}
		if err := json.Unmarshal(hb, &h); err != nil {
			t.Fatal(err)
		}
		x, _ := Decode(h.EPK.X)
		y, _ := Decode(h.EPK.Y)
		epk, err := ecdh.P256().NewPublicKey(append(append([]byte{4}, x...), y...))
		if err != nil {
			t.Fatal(err)
		}
		z, err := priv.ECDH(epk)
		if err != nil {
			t.Fatal(err)
		}
		lenPrefixed := func(b []byte) []byte {
			return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
		}
		kdf := sha256.New()
		kdf.Write([]byte{0, 0, 0, 1})
		kdf.Write(z)
		kdf.Write(lenPrefixed([]byte(tc.enc)))
		kdf.Write(lenPrefixed(apu))
		kdf.Write(lenPrefixed(apv))
		kdf.Write(binary.BigEndian.AppendUint32(nil, uint32(tc.keyLen*8)))
		cek := kdf.Sum(nil)[:tc.keyLen]
		block, _ := aes.NewCipher(cek)
		gcm, _ := cipher.NewGCM(block)
		iv, _ := Decode(parts[2])
		ct, _ := Decode(parts[3])
		tag, _ := Decode(parts[4])
		pt, err := gcm.Open(nil, iv, append(ct, tag...), []byte(parts[0]))
		if err != nil || string(pt) != `{"vp_token":{"x":["y"]}}` {
			t.Fatalf("%s: independent decryption: %q %v", tc.enc, pt, err)
		}
	}
}
