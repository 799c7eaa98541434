package trustlist

// Bad-input suite (issue 12, docs/security.md): hostile trust-list tokens
// give a typed *Error wrapping a sentinel, never a panic, and oversized input
// is refused before it is decoded.

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

var securitySentinels = []error{ErrMalformed, ErrTooLarge, ErrAlgorithm, ErrType, ErrSignature, ErrOperator, ErrNotYetValid}

func requireTyped(t *testing.T, what string, err error) {
	t.Helper()
	var e *Error
	if err == nil {
		t.Fatalf("%s: accepted", what)
	}
	if !errors.As(err, &e) {
		t.Fatalf("%s: %T is not *trustlist.Error: %v", what, err, err)
	}
	for _, s := range securitySentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("%s: %v wraps no trustlist sentinel", what, err)
}

// TestSecurityHMACWithPublicKey: the trust list's genuine payload re-signed
// as HS256 with the operator's public key (SPKI DER) as the MAC secret is an
// algorithm failure: the algorithm comes from the operator key.
func TestSecurityHMACWithPublicKey(t *testing.T) {
	f := newFixture(t)
	tok := string(f.sign(t, f.list))
	der, err := x509.MarshalPKIXPublicKey(f.op.Public())
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	payload := strings.Split(tok, ".")[1]
	in := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"`+Type+`"}`)) + "." + payload
	m := hmac.New(sha256.New, der)
	m.Write([]byte(in))
	forged := in + "." + enc.EncodeToString(m.Sum(nil))
	_, err = Verify([]byte(forged), f.op.Public())
	requireTyped(t, "HS256", err)
	if !errors.Is(err, ErrAlgorithm) {
		t.Fatalf("%v, want ErrAlgorithm", err)
	}
}

// TestSecurityTruncationsAndFlips: every strict prefix and a one-bit flip at
// every byte of a signed trust list is refused with a typed error.
func TestSecurityTruncationsAndFlips(t *testing.T) {
	f := newFixture(t)
	tok := f.sign(t, f.list)
	for n := 0; n < len(tok); n++ {
		_, err := Verify(tok[:n], f.op.Public())
		requireTyped(t, "prefix", err)
	}
	b := append([]byte(nil), tok...)
	for i := range b {
		c := b[i]
		b[i] ^= 1 << (i % 7)
		_, err := Verify(b, f.op.Public())
		b[i] = c
		requireTyped(t, "flip", err)
	}
}

// TestSecurityDeepNesting: nesting far beyond the depth cap in header or
// payload is refused without exhausting the stack.
func TestSecurityDeepNesting(t *testing.T) {
	f := newFixture(t)
	enc := base64.RawURLEncoding
	deep := strings.Repeat("[", 200000) + strings.Repeat("]", 200000)
	for name, tok := range map[string]string{
		"header":  enc.EncodeToString([]byte(`{"alg":"ES256","x":`+deep+`}`)) + "." + enc.EncodeToString([]byte(`{}`)) + ".AAAA",
		"payload": enc.EncodeToString([]byte(`{"alg":"ES256","typ":"`+Type+`"}`)) + "." + enc.EncodeToString([]byte(`{"x":`+deep+`}`)) + ".AAAA",
	} {
		_, err := Verify([]byte(tok), f.op.Public())
		requireTyped(t, name, err)
	}
}

// TestSecurityOversizedAllocs: a 64 MiB token is refused by the
// MaxTokenSize check with a bounded number of allocations.
func TestSecurityOversizedAllocs(t *testing.T) {
	f := newFixture(t)
	huge := make([]byte, 64<<20)
	var last error
	allocs := testing.AllocsPerRun(5, func() { _, last = Verify(huge, f.op.Public()) })
	if !errors.Is(last, ErrTooLarge) {
		t.Fatalf("64 MiB: %v, want ErrTooLarge", last)
	}
	if allocs > 10 {
		t.Fatalf("rejecting 64 MiB allocated %v times", allocs)
	}
}
