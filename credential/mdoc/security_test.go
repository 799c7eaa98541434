package mdoc

// Bad-input suite (issue 12, docs/security.md): hostile DeviceResponses give
// a *check.Error whose Err is a sentinel, never a panic, and oversized
// input is refused before it is decoded.

import (
	"bytes"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential/check"
)

var securitySentinels = []error{
	ErrMalformed, ErrTooLarge, ErrUnsupportedAlgorithm, ErrUntrustedIssuer, ErrInvalidSignature,
	ErrInvalidMAC, ErrDocTypeMismatch, ErrDigestMismatch, ErrDuplicate, ErrNotYetValid, ErrExpired,
	ErrDeviceAuth, ErrInvalidArgument, ErrNoDocuments, ErrResponseStatus,
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
		if e.Err == s {
			return
		}
	}
	t.Fatalf("%s: %v wraps no mdoc sentinel", what, err)
}

// TestSecurityTruncationsAndFlips: every strict prefix of a valid
// DeviceResponse is refused with a typed error. A one-bit flip at any byte is
// refused with a typed error or, should it land on data the DeviceResponse
// does not authenticate and that Verify lets pass, accepted with no
// verified element added or changed. (Since finding 11 a flip in a member
// name, "nameSpaces" turning into an unknown key, is refused: every
// structure is closed.) A flip that removes "documents" or changes the
// status to an error or undefined value is refused.
func TestSecurityTruncationsAndFlips(t *testing.T) {
	_, _, resp, opts := newFixture(t)
	o := opts()
	want, err := Verify(resp, o)
	if err != nil {
		t.Fatalf("baseline: %v", err)
	}
	for n := 0; n < len(resp); n++ {
		got, err := Verify(resp[:n], o)
		if got != nil {
			t.Fatalf("prefix %d returned a result", n)
		}
		requireTyped(t, "prefix", err)
	}
	b := bytes.Clone(resp)
	for i := range b {
		c := b[i]
		b[i] ^= 1 << (i % 8)
		got, err := Verify(b, o)
		b[i] = c
		if err == nil {
			if !subsetOf(got, want) {
				t.Fatalf("flip at %d accepted with added or changed data", i)
			}
			continue
		}
		if got != nil {
			t.Fatalf("flip at %d: result and error", i)
		}
		requireTyped(t, "flip", err)
	}
}

// TestSecurityExpiredForgery: a document from an untrusted issuer is
// reported as a trust failure at any time, never as expired or not yet
// valid (claims are reported only on authenticated data).
func TestSecurityExpiredForgery(t *testing.T) {
	_, _, resp, _ := newFixture(t)
	other := newPKI(t)
	for name, at := range map[string]time.Time{
		"expired":       testNow.AddDate(5, 0, 0),
		"not yet valid": testNow.AddDate(-5, 0, 0),
	} {
		t.Run(name, func(t *testing.T) {
			o := verifyOpts(other)
			o.Now = func() time.Time { return at }
			_, err := Verify(resp, o)
			requireTyped(t, name, err)
			if errors.Is(err, ErrExpired) || errors.Is(err, ErrNotYetValid) {
				t.Fatalf("untrusted document reported as %v", err)
			}
		})
	}
}

// TestSecurityKeyConfusion: the issuer (DS) key cannot stand in for the
// device key. A response whose device signature is made with the DS key is
// a device-authentication failure.
func TestSecurityKeyConfusion(t *testing.T) {
	pki, cred, _, opts := newFixture(t)
	resp, err := Present(cred, threeElements, PresentOptions{SessionTranscript: testTranscript, DeviceKey: pki.dsKey})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Verify(resp, opts())
	requireTyped(t, "DS key as device key", err)
	var e *check.Error
	if errors.As(err, &e); e.Check != check.HolderBinding {
		t.Fatalf("check %v (%v), want check.HolderBinding", e.Check, err)
	}
	// And a device key does not issue: a chain naming the device key is
	// not under the trusted root.
	dev := newECKey(t, elliptic.P256())
	iss := &Issuer{Signer: dev, Chain: []*x509.Certificate{pki.ds}, Now: func() time.Time { return testNow }}
	c, err := iss.Issue(IssueRequest{DocType: ktpDocType, NameSpaces: ktpElements(), DeviceKey: dev.Public(), ValidUntil: testNow.AddDate(0, 1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Present(c, threeElements, PresentOptions{SessionTranscript: testTranscript, DeviceKey: dev})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Verify(r, opts())
	requireTyped(t, "device key as issuer key", err)
	if !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("%v, want ErrInvalidSignature", err)
	}
}

// TestSecurityOversizedAllocs: a response above MaxMessageSize is refused
// with a bounded number of allocations whatever its size.
func TestSecurityOversizedAllocs(t *testing.T) {
	_, _, _, opts := newFixture(t)
	o := opts()
	huge := make([]byte, 64<<20)
	var last error
	allocs := testing.AllocsPerRun(5, func() { _, last = Verify(huge, o) })
	if !errors.Is(last, ErrTooLarge) {
		t.Fatalf("%v, want ErrTooLarge", last)
	}
	if allocs > 10 {
		t.Fatalf("rejecting 64 MiB allocated %v times", allocs)
	}
	// A declared array length far past the input must not be preallocated.
	claim := append([]byte{0x9b, 0, 0, 0, 1, 0, 0, 0, 0}, 0x00) // array of 2^32 items, one present
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	_, err := Verify(claim, o)
	runtime.ReadMemStats(&ms1)
	requireTyped(t, "huge declared length", err)
	if grew := ms1.TotalAlloc - ms0.TotalAlloc; grew > 1<<20 {
		t.Fatalf("a 10-byte input declaring 2^32 items allocated %d bytes", grew)
	}
}

// subsetOf reports whether every document and element of got is in want
// with the same value and docType.
func subsetOf(got, want *VerifiedResponse) bool {
	if len(got.Documents()) > len(want.Documents()) {
		return false
	}
	for i, d := range got.Documents() {
		w := want.Documents()[i]
		if d.DocType() != w.DocType() || len(d.DeviceNameSpaces()) > len(w.DeviceNameSpaces()) {
			return false
		}
		for ns, els := range d.NameSpaces() {
			for id, v := range els {
				wv, ok := w.NameSpaces()[ns][id]
				if !ok || !reflect.DeepEqual(v, wv) {
					return false
				}
			}
		}
	}
	return true
}
