package issuer

import (
	"strings"
	"testing"
)

// FuzzTxCode checks that an offer's tx_code, stored only as a hash bound
// to the offer, matches exactly the tx_code made for it: no other input,
// and not the same tx_code for another offer.
func FuzzTxCode(f *testing.F) {
	const txCode = "042917"
	for _, s := range []string{txCode, "", "42917", "0429170", "042918", " 042917", "\x00", strings.Repeat("9", 70)} {
		f.Add(s)
	}
	o := &OfferRecord{ID: "offer1", TxCodeHash: txCodeHash("offer1", txCode)}
	other := &OfferRecord{ID: "offer2", TxCodeHash: txCodeHash("offer2", txCode)}
	f.Fuzz(func(t *testing.T, s string) {
		if checkTxCode(o, s) != (s == txCode) {
			t.Fatalf("tx_code %q: match %v", s, !(s == txCode))
		}
		if checkTxCode(other, s) != (s == txCode) || checkTxCode(&OfferRecord{ID: "offer2", TxCodeHash: o.TxCodeHash}, s) {
			t.Fatalf("tx_code %q: the hash is not bound to its offer", s)
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
