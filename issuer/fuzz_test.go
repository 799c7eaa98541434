package issuer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func proofSeeds(t testing.TB) map[string]string {
	t.Helper()
	files, err := filepath.Glob("../testdata/issuer/proofs/*.jwt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no proof seeds found (%v)", err)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = string(b)
	}
	return out
}

func TestProofSeeds(t *testing.T) {
	for name, p := range proofSeeds(t) {
		t.Run(name, func(t *testing.T) {
			pr, err := verifyProof(p, testIssuer, t0, DefaultProofMaxAge, DefaultClockSkew)
			if strings.HasPrefix(name, "valid-") {
				if err != nil || pr.nonce == "" || pr.thumbprint == "" {
					t.Fatalf("valid proof rejected: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrProof) || pr != nil {
				t.Fatalf("got %v, %v; want ErrProof", pr, err)
			}
		})
	}
}

// FuzzVerifyProof checks that an accepted proof really is one: it names this
// issuer, carries a nonce and a key, and no strict prefix of it is accepted;
// a rejected proof yields a typed error and no result.
func FuzzVerifyProof(f *testing.F) {
	for _, p := range proofSeeds(f) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, token string) {
		pr, err := verifyProof(token, testIssuer, t0, DefaultProofMaxAge, DefaultClockSkew)
		if err != nil {
			var e *Error
			if pr != nil || !errors.As(err, &e) || (!errors.Is(err, ErrProof) && !errors.Is(err, ErrNonce)) {
				t.Fatalf("rejection %v with result %v", err, pr)
			}
			return
		}
		if pr.nonce == "" || pr.key == nil || len(pr.jwk) == 0 || pr.issuedAt.After(t0.Add(DefaultClockSkew)) {
			t.Fatalf("accepted proof %+v", pr)
		}
		for i := 0; i < len(token); i += 1 + len(token)/64 {
			if _, err := verifyProof(token[:i], testIssuer, t0, DefaultProofMaxAge, DefaultClockSkew); err == nil {
				t.Fatalf("prefix of length %d accepted", i)
			}
		}
		if _, err := verifyProof(token, "https://other.example", t0, DefaultProofMaxAge, DefaultClockSkew); err == nil {
			t.Fatal("accepted for another audience")
		}
		if _, err := verifyProof(token, testIssuer, t0.Add(time.Hour), DefaultProofMaxAge, DefaultClockSkew); err == nil {
			t.Fatal("accepted an hour later")
		}
	})
}

// FuzzParseCode checks that an accepted activation code is 128 bits whose
// canonical form parses back to the same bits.
func FuzzParseCode(f *testing.F) {
	seeds := []string{formatCode([]byte("0123456789abcdef")), "", "AAAA", strings.Repeat("A", 26), "aaaaa-aaaaa-aaaaa-aaaaa-aaaaa-a", strings.Repeat("Z", 70)}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		raw, ok := parseCode(s)
		if !ok {
			if raw != nil {
				t.Fatal("rejected code returned bytes")
			}
			return
		}
		if len(raw) != codeBytes {
			t.Fatalf("%d bytes", len(raw))
		}
		again, ok := parseCode(formatCode(raw))
		if !ok || string(again) != string(raw) {
			t.Fatal("canonical form does not round-trip")
		}
	})
}

// FuzzRegister checks that registration input is either rejected with
// ErrInvalidInput or stored in normalized form.
func FuzzRegister(f *testing.F) {
	f.Add(testNIK, "rina@example.id", "081234567890")
	f.Add("3174 0157 0895 0021", "a@b.c", "+62 812 3456 7890")
	f.Add("x", "not-an-email", "12")
	f.Fuzz(func(t *testing.T, nik, email, phone string) {
		if _, ok := normalizePhone(phone); ok {
			p, _ := normalizePhone(phone)
			if !strings.HasPrefix(p, "+628") || len(p) > 16 {
				t.Fatalf("phone %q normalized to %q", phone, p)
			}
		}
		if checkEmail(email) && (len(email) > MaxEmailLen || strings.Count(email, "@") != 1) {
			t.Fatalf("email %q accepted", email)
		}
	})
}
