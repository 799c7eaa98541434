package sdjwt

import (
	"errors"
	"testing"
	"time"
)

// TestDeferValidity: with DeferValidity an expired or not-yet-valid
// credential passes Verify and fails Verified.CheckValidity with the same
// error Verify reports without it; malformed time claims still fail Verify.
func TestDeferValidity(t *testing.T) {
	f := newFixture(t)
	opts := func(defer_ bool, skew time.Duration) VerifyOptions {
		return VerifyOptions{IssuerKey: &f.issuer.PublicKey, Now: f.opts.Now, AllowNoKeyBinding: true,
			DeferValidity: defer_, ClockSkew: skew}
	}
	expired := basePayload()
	expired["exp"] = 1700000000
	early := basePayload()
	early["nbf"] = 1880000000 - 1
	noExp := basePayload()
	delete(noExp, "exp")
	tests := []struct {
		name    string
		payload map[string]any
		want    error
	}{
		{"expired", expired, ErrExpired},
		{"not yet valid", early, ErrNotYetValid},
		{"valid", basePayload(), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := craft(t, f.issuer, nil, tc.payload)
			_, direct := Verify(s, opts(false, 0))
			if !errors.Is(direct, tc.want) || (tc.want == nil) != (direct == nil) {
				t.Fatalf("Verify: %v, want %v", direct, tc.want)
			}
			v, err := Verify(s, opts(true, 0))
			if err != nil {
				t.Fatalf("Verify with DeferValidity: %v", err)
			}
			err = v.CheckValidity(ktpNow)
			if (tc.want == nil) != (err == nil) || !errors.Is(err, tc.want) {
				t.Fatalf("CheckValidity: %v, want %v", err, tc.want)
			}
			var e *Error
			if err != nil && (!errors.As(err, &e) || e.Check != CheckValidity) {
				t.Fatalf("CheckValidity error %#v is not a CheckValidity *Error", err)
			}
		})
	}
	// The skew Verify was given applies: one second late passes with 2 s.
	p := basePayload()
	p["exp"] = ktpNow.Add(-time.Second).Unix()
	v, err := Verify(craft(t, f.issuer, nil, p), opts(true, 2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.CheckValidity(ktpNow); err != nil {
		t.Fatalf("within skew: %v", err)
	}
	if err := v.CheckValidity(ktpNow.Add(2 * time.Second)); !errors.Is(err, ErrExpired) {
		t.Fatalf("past skew: %v", err)
	}
	// Presence and form are still checked when the comparison is deferred.
	if _, err := Verify(craft(t, f.issuer, nil, noExp), opts(true, 0)); !errors.Is(err, ErrMissingClaim) {
		t.Fatalf("missing exp with DeferValidity: %v", err)
	}
	p = basePayload()
	p["exp"] = "tomorrow"
	if _, err := Verify(craft(t, f.issuer, nil, p), opts(true, 0)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("malformed exp with DeferValidity: %v", err)
	}
}
