package verifier

// Bad-input suite (issue 12, docs/security.md): the verifier's public entry
// points given hostile bytes return a *check.Error wrapping a
// sentinel, never panic, and refuse oversized input with bounded
// allocation.

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/qr"
)

var securitySentinels = []error{
	ErrMalformed, ErrUntrustedIssuer, ErrUnauthorizedType, ErrSignature, ErrDisclosure,
	ErrHolderBinding, ErrAudience, ErrNotFresh, ErrReplay, ErrExpired, ErrNotYetValid,
	ErrRevoked, ErrSuspended, ErrStatusStale, ErrStatusUnavailable, ErrHolderMismatch, ErrPolicy,
}

func requireTyped(t *testing.T, what string, err error) {
	t.Helper()
	var e *check.Error
	if err == nil {
		t.Fatalf("%s: accepted", what)
	}
	if !errors.As(err, &e) {
		t.Fatalf("%s: %T is not *check.Error: %v", what, err, err)
	}
	for _, s := range securitySentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("%s: %v wraps no verifier sentinel", what, err)
}

// TestSecurityEntryPoints feeds every public verification entry point
// empty, junk, oversized and deeply nested input.
func TestSecurityEntryPoints(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, nil)
	huge := "IKP1:" + strings.Repeat("0", 64<<20)
	deepJSON := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	deepCBOR := string(append([]byte(strings.Repeat("\x81", 100000)), 0))
	inputs := map[string]string{
		"empty": "", "junk": "hello", "other QR scheme": "HC1:6BFOXN%TS3DH0",
		"huge": huge, "deep JSON": deepJSON, "deep CBOR": deepCBOR,
		"tilde flood": strings.Repeat("~", 1<<20),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			_, err := v.VerifyQR(ctx, in)
			requireTyped(t, "VerifyQR", err)
			_, err = v.VerifyQRFrames(ctx, in, in)
			requireTyped(t, "VerifyQRFrames", err)
			_, err = v.VerifyQRFramesResponse(ctx, []byte("0123456789abcdef"), in, in)
			requireTyped(t, "VerifyQRFramesResponse", err)
			_, err = v.VerifyQRResponse(ctx, in, []byte("0123456789abcdef"))
			requireTyped(t, "VerifyQRResponse", err)
			_, err = v.VerifySDJWT(ctx, in, "nonce")
			requireTyped(t, "VerifySDJWT", err)
			_, err = v.VerifyMdoc(ctx, []byte(in), []byte{0x80})
			requireTyped(t, "VerifyMdoc", err)
		})
	}
}

// TestSecurityOversizedAllocs: a 64 MiB QR text or SD-JWT is refused with a
// bounded number of allocations.
func TestSecurityOversizedAllocs(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, nil)
	huge := "IKP1:" + strings.Repeat("0", 64<<20)
	for name, fn := range map[string]func() error{
		"VerifyQR":    func() error { _, err := v.VerifyQR(ctx, huge); return err },
		"VerifySDJWT": func() error { _, err := v.VerifySDJWT(ctx, huge, "n"); return err },
		"VerifyMdoc":  func() error { _, err := v.VerifyMdoc(ctx, []byte(huge), []byte{0x80}); return err },
	} {
		var last error
		allocs := testing.AllocsPerRun(3, func() { last = fn() })
		requireTyped(t, name, last)
		if allocs > 20 {
			t.Errorf("%s: rejecting 64 MiB allocated %v times", name, allocs)
		}
	}
	if qr.MaxPayloadSize >= len(huge) {
		t.Fatal("test input not above the QR cap")
	}
}

// TestSecurityOversizedQRNotCopied checks that an oversized QR text is
// refused before it is copied: rejecting 64 MiB allocates far less than
// the input (docs/security.md, finding 4, fixed).
func TestSecurityOversizedQRNotCopied(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, nil)
	huge := "IKP1:" + strings.Repeat("0", 64<<20)
	nonce := make([]byte, 16)
	for name, fn := range map[string]func() error{
		"VerifyQR":         func() error { _, err := v.VerifyQR(ctx, huge); return err },
		"VerifyQRResponse": func() error { _, err := v.VerifyQRResponse(ctx, huge, nonce); return err },
		"VerifyQRFrames":   func() error { _, err := v.VerifyQRFrames(ctx, huge); return err },
		"VerifyQRFramesResponse": func() error {
			_, err := v.VerifyQRFramesResponse(ctx, nonce, huge)
			return err
		},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := fn()
		runtime.ReadMemStats(&after)
		requireTyped(t, name, err)
		if !errors.Is(err, qr.ErrTooLarge) {
			t.Errorf("%s: %v, want qr.ErrTooLarge", name, err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("%s: rejecting 64 MiB allocated %d bytes", name, n)
		}
	}
}
