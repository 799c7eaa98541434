package mdoc

import (
	"errors"
	"testing"
	"time"
)

// TestDeferValidity: with DeferValidity a document outside its validity
// window passes Verify (signatures and device authentication still
// checked) and fails VerifiedDocument.CheckValidity with the error Verify
// reports without it.
func TestDeferValidity(t *testing.T) {
	_, _, resp, opts := newFixture(t)
	for name, tc := range map[string]struct {
		at   time.Time
		want error
	}{
		"expired":       {testNow.AddDate(0, 0, 31), ErrExpired},
		"not yet valid": {testNow.Add(-time.Minute), ErrNotYetValid},
		"valid":         {testNow, nil},
	} {
		t.Run(name, func(t *testing.T) {
			o := opts()
			o.Now = func() time.Time { return tc.at }
			_, direct := Verify(resp, o)
			if (tc.want == nil) != (direct == nil) || !errors.Is(direct, tc.want) {
				t.Fatalf("Verify: %v, want %v", direct, tc.want)
			}
			o.DeferValidity = true
			got, err := Verify(resp, o)
			if err != nil {
				t.Fatalf("Verify with DeferValidity: %v", err)
			}
			err = got.Documents[0].CheckValidity(tc.at)
			if (tc.want == nil) != (err == nil) || !errors.Is(err, tc.want) {
				t.Fatalf("CheckValidity: %v, want %v", err, tc.want)
			}
			var ve *VerificationError
			if err != nil && (!errors.As(err, &ve) || ve.Check != CheckValidity || ve.Document != 0 || ve.DocType == "") {
				t.Fatalf("CheckValidity error %#v", err)
			}
		})
	}
	// Deferring validity defers nothing else: a tampered response still fails.
	o := opts()
	o.DeferValidity = true
	bad := append([]byte(nil), resp...)
	bad[len(bad)-10] ^= 1
	if _, err := Verify(bad, o); err == nil {
		t.Fatal("tampered response accepted with DeferValidity")
	}
}
