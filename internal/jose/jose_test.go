package jose

import (
	"crypto"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/keys"
)

func mustSigner(t testing.TB, alg keys.Algorithm) *Signer {
	t.Helper()
	k, err := keys.Generate(alg, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(keys.Opaque(k))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignVerifyEveryAlgorithm(t *testing.T) {
	for _, alg := range keys.Algorithms() {
		t.Run(string(alg), func(t *testing.T) {
			s := mustSigner(t, alg)
			if s.Algorithm() != alg {
				t.Fatalf("Algorithm() = %s", s.Algorithm())
			}
			h, err := Header(alg, "test+jwt", map[string]any{"kid": "k1", "alg": "none"})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := s.Sign(nil, h, []byte(`{"a":1}`))
			if err != nil {
				t.Fatal(err)
			}
			p, err := Parse(tok, 0)
			if err != nil {
				t.Fatal(err)
			}
			if p.Alg != alg || string(p.Payload) != `{"a":1}` || p.Header["kid"] != "k1" {
				t.Fatalf("parsed %+v", p)
			}
			if err := p.CheckType("test+jwt"); err != nil {
				t.Fatal(err)
			}
			if err := p.CheckType("other"); !errors.Is(err, ErrType) {
				t.Fatalf("CheckType(other) = %v, want ErrType", err)
			}
			if err := p.Verify(s.Public(), keys.Algorithms()); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			// The allow-list is the caller's: without alg on it, no verify.
			if err := p.Verify(s.Public(), nil); !errors.Is(err, ErrAlgorithm) {
				t.Fatalf("Verify with empty allow-list = %v, want ErrAlgorithm", err)
			}
			// A flipped signature bit fails.
			p.Signature[3] ^= 1
			if err := p.Verify(s.Public(), keys.Algorithms()); !errors.Is(err, ErrSignature) {
				t.Fatalf("Verify(tampered) = %v, want ErrSignature", err)
			}
		})
	}
}

// TestAlgorithmFromKeyNotMessage: a token whose alg names another
// algorithm than the verification key's fails at the algorithm, never
// verifies, for every pair.
func TestAlgorithmFromKeyNotMessage(t *testing.T) {
	for _, signAlg := range keys.Algorithms() {
		s := mustSigner(t, signAlg)
		h, _ := Header(signAlg, "", nil)
		tok, err := s.Sign(nil, h, []byte("{}"))
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse(tok, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, keyAlg := range keys.Algorithms() {
			if keyAlg == signAlg {
				continue
			}
			other := mustSigner(t, keyAlg)
			if err := p.Verify(other.Public(), keys.Algorithms()); !errors.Is(err, ErrAlgorithm) {
				t.Errorf("%s token with %s key: %v, want ErrAlgorithm", signAlg, keyAlg, err)
			}
		}
	}
}

func TestNeverAccepted(t *testing.T) {
	for _, alg := range []keys.Algorithm{"none", "HS256", "HS512", "RS256", ""} {
		if err := CheckAlgorithm(alg, append(keys.Algorithms(), alg)); !errors.Is(err, ErrAlgorithm) {
			t.Errorf("CheckAlgorithm(%q) = %v, want ErrAlgorithm", alg, err)
		}
	}
}

func TestParseRejects(t *testing.T) {
	s := mustSigner(t, keys.ES256)
	h, _ := Header(keys.ES256, "", nil)
	good, err := s.Sign(nil, h, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	enc := func(s string) string { return Encode([]byte(s)) }
	for _, tc := range []struct{ name, tok string }{
		{"two parts", parts[0] + "." + parts[1]},
		{"four parts", good + ".x"},
		{"padding", parts[0] + "=." + parts[1] + "." + parts[2]},
		{"newline in payload", parts[0] + "." + parts[1] + "\n." + parts[2]},
		{"standard base64 alphabet", parts[0] + "." + parts[1] + "." + strings.ReplaceAll(strings.ReplaceAll(parts[2], "-", "+"), "_", "/") + "+"},
		{"header not an object", enc(`["ES256"]`) + "." + parts[1] + "." + parts[2]},
		{"duplicate header member", enc(`{"alg":"ES256","alg":"none"}`) + "." + parts[1] + "." + parts[2]},
		{"no alg", enc(`{"typ":"x"}`) + "." + parts[1] + "." + parts[2]},
		{"alg not a string", enc(`{"alg":1}`) + "." + parts[1] + "." + parts[2]},
		{"crit", enc(`{"alg":"ES256","crit":["b64"],"b64":false}`) + "." + parts[1] + "." + parts[2]},
		{"deep header", enc(`{"alg":"ES256","x":[[[[1]]]]}`) + "." + parts[1] + "." + parts[2]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if p, err := Parse(tc.tok, 0); !errors.Is(err, ErrMalformed) || p != nil {
				t.Fatalf("Parse = %v, %v; want nil, ErrMalformed", p, err)
			}
			// ParseTo fails alike and leaves its Token as it was.
			kept := Token{Alg: "kept", SigningInput: "kept"}
			into := kept
			if err := ParseTo(&into, tc.tok, 0, nil); !errors.Is(err, ErrMalformed) || !reflect.DeepEqual(into, kept) {
				t.Fatalf("ParseTo = %v, left %+v; want ErrMalformed, the Token unchanged", err, into)
			}
		})
	}
	// On the good token ParseTo fills its Token as Parse returns one.
	want, err := Parse(good, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got Token
	if err := ParseTo(&got, good, 0, nil); err != nil || !reflect.DeepEqual(got, *want) {
		t.Fatalf("ParseTo = %v, %+v; want %+v", err, got, *want)
	}
}

// badSigner returns a fixed signature, whatever it is asked.
type badSigner struct {
	crypto.Signer
	sig []byte
}

func (b badSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) { return b.sig, nil }

// TestSignerReturnsGarbage: a crypto.Signer (an HSM, a keystore) that
// returns an over-long or malformed DER signature gives ErrSigner, never a
// panic and never a token.
func TestSignerReturnsGarbage(t *testing.T) {
	k, _ := keys.Generate(keys.ES256, nil)
	long := []byte{0x30, 0x46, 0x02, 0x21, 0x01}
	long = append(long, make([]byte, 32)...)
	long = append(long, 0x02, 0x21, 0x01)
	long = append(long, make([]byte, 32)...)
	for name, sig := range map[string][]byte{
		"over-long r and s": long,
		"empty":             nil,
		"not DER":           []byte("signature"),
	} {
		t.Run(name, func(t *testing.T) {
			s, err := NewSigner(badSigner{k, sig})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := s.Sign(nil, []byte(`{"alg":"ES256"}`), []byte("{}"))
			if !errors.Is(err, ErrSigner) || tok != "" {
				t.Fatalf("Sign = %q, %v; want ErrSigner", tok, err)
			}
		})
	}
	ed, _ := keys.Generate(keys.EdDSA, nil)
	s, _ := NewSigner(badSigner{ed, make([]byte, 65)})
	if _, err := s.Sign(nil, []byte(`{"alg":"EdDSA"}`), []byte("{}")); !errors.Is(err, ErrSigner) {
		t.Fatalf("65-byte Ed25519 signature: %v, want ErrSigner", err)
	}
}

// FuzzParse: Parse never panics; on error it returns nil; on success the
// signing input is a prefix of the token and re-encoding the parts gives
// the token back (the encoding is canonical, so no two strings parse to
// the same token).
func FuzzParse(f *testing.F) {
	s := mustSigner(f, keys.ES256)
	h, _ := Header(keys.ES256, "kb+jwt", map[string]any{"jwk": map[string]any{"kty": "EC"}})
	tok, _ := s.Sign(nil, h, []byte(`{"iat":1}`))
	for _, seed := range []string{tok, "a.b.c", "..", "e30.e30.", tok + "."} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := Parse(in, 0)
		if err != nil {
			if p != nil {
				t.Fatal("non-nil token with an error")
			}
			return
		}
		if !strings.HasPrefix(in, p.SigningInput+".") {
			t.Fatal("signing input is not the token's prefix")
		}
		if p.SigningInput+"."+Encode(p.Signature) != in {
			t.Fatal("token does not re-encode to itself")
		}
	})
}

// TestDecodeStrict: Decode and DecodeTo take only canonical unpadded
// base64url (RFC 7515 §2): no padding, no other alphabet, no line breaks
// (which encoding/base64 would skip), no non-zero unused bits.
func TestDecodeStrict(t *testing.T) {
	good := map[string]string{"": "", "YQ": "a", "YWI": "ab", "YWJj": "abc", "-_8": "\xfb\xff"}
	for in, want := range good {
		got, err := Decode(in)
		if err != nil || string(got) != want {
			t.Errorf("Decode(%q) = %q, %v; want %q", in, got, err, want)
		}
		buf := make([]byte, len(in))
		n, err := DecodeTo(buf, in)
		if err != nil || string(buf[:n]) != want {
			t.Errorf("DecodeTo(%q) = %q, %v; want %q", in, buf[:n], err, want)
		}
	}
	for _, in := range []string{"YQ==", "YQ=", "Y", "YR", "+/8", "YW\nJj", "YW\rJj", "YWJj\n", "\nYWJj", "YW Jj", "YW.Jj", "YWJ\x00"} {
		if got, err := Decode(in); err == nil {
			t.Errorf("Decode(%q) = %q, want an error", in, got)
		}
		if n, err := DecodeTo(make([]byte, len(in)), in); err == nil {
			t.Errorf("DecodeTo(%q) = %d bytes, want an error", in, n)
		}
	}
}
