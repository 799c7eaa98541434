package issuer

import (
	"strings"
	"testing"
)

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
