package statuslist

// Bad-input suite (issue 12, docs/security.md): hostile Status List Tokens
// (JWT and CWT) give a typed *Error, never a panic, and oversized input is
// refused before it is decoded.

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"github.com/ikdkit/ikdkit/keys"
	"strings"
	"testing"
	"time"
)

// TestSecurityHMACWithPublicKey: a status list JWT MACed with HS256 keyed
// by the issuer's public key (SPKI DER) is an algorithm failure even though
// the MAC is genuine: the algorithm is pinned by Verifier.Alg.
func TestSecurityHMACWithPublicKey(t *testing.T) {
	key := testKey(t, keys.ES256)
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	in := b64.EncodeToString([]byte(`{"alg":"HS256","typ":"statuslist+jwt"}`)) + "." +
		b64.EncodeToString([]byte(`{`+okSub+`,"iat":1686920170,`+okLst+`}`))
	m := hmac.New(sha256.New, der)
	m.Write([]byte(in))
	forged := []byte(in + "." + b64.EncodeToString(m.Sum(nil)))
	v := &Verifier{Key: key.Public(), Now: fixedClock(vectorTime)}
	for name, verify := range map[string]func([]byte) (*Token, error){"VerifyJWT": v.VerifyJWT, "Verify": v.Verify} {
		tok, err := verify(forged)
		if tok != nil || !errors.Is(err, ErrAlgorithm) {
			t.Fatalf("%s: %v, want ErrAlgorithm", name, err)
		}
		checkTypedError(t, err)
	}
}

// TestSecurityTruncationsAndFlips: every strict prefix and a one-bit flip
// at every byte of a signed JWT and CWT status list token is refused with a
// typed error. The one exception is the CWT's unprotected header, which RFC
// 9052 §3 leaves unauthenticated: a flip there (kid 4 turned into an unknown
// label) may be accepted, but then every signed value must be unchanged and
// only KeyID may differ.
func TestSecurityTruncationsAndFlips(t *testing.T) {
	key := testKey(t, keys.ES256)
	l, _ := New(2, 1024)
	_ = l.Set(7, Invalid)
	p := testParams()
	v := &Verifier{Key: key.Public(), Now: fixedClock(testIat.Add(time.Hour))}
	for name, sign := range map[string]func() ([]byte, error){
		"jwt": func() ([]byte, error) { return SignJWT(rand.Reader, key, l, p) },
		"cwt": func() ([]byte, error) { return SignCWT(rand.Reader, key, l, p) },
	} {
		t.Run(name, func(t *testing.T) {
			tok, err := sign()
			if err != nil {
				t.Fatal(err)
			}
			want, err := v.Verify(tok)
			if err != nil {
				t.Fatalf("baseline: %v", err)
			}
			unprotected := 0
			for n := 0; n < len(tok); n++ {
				got, err := v.Verify(tok[:n])
				if got != nil || err == nil {
					t.Fatalf("prefix %d accepted", n)
				}
				checkTypedError(t, err)
			}
			b := bytes.Clone(tok)
			for i := range b {
				c := b[i]
				b[i] ^= 1 << (i % 8)
				got, err := v.Verify(b)
				b[i] = c
				if err == nil {
					if name != "cwt" || !sameSignedContent(got, want) {
						t.Fatalf("flip at %d accepted with changed content", i)
					}
					unprotected++
					continue
				}
				if got != nil {
					t.Fatalf("flip at %d: token and error", i)
				}
				checkTypedError(t, err)
			}
			if unprotected > 16 {
				t.Fatalf("%d accepted flips: more than the unprotected header can hold", unprotected)
			}
		})
	}
}

// sameSignedContent compares everything a Status List Token signs.
func sameSignedContent(a, b *Token) bool {
	if a.Subject() != b.Subject() || a.Issuer() != b.Issuer() || !a.IssuedAt().Equal(b.IssuedAt()) ||
		a.Bits() != b.Bits() || a.Len() != b.Len() || a.AggregationURI() != b.AggregationURI() {
		return false
	}
	ae, aok := a.ExpiresAt()
	be, bok := b.ExpiresAt()
	at, atok := a.TTL()
	bt, btok := b.TTL()
	if aok != bok || !ae.Equal(be) || atok != btok || at != bt {
		return false
	}
	for i := 0; i < a.Len(); i++ {
		sa, _ := a.Status(uint64(i))
		sb, _ := b.Status(uint64(i))
		if sa != sb {
			return false
		}
	}
	return true
}

// TestSecurityDeepNesting: deeply nested JSON and CBOR are refused.
func TestSecurityDeepNesting(t *testing.T) {
	key := testKey(t, keys.ES256)
	v := &Verifier{Key: key.Public(), Now: fixedClock(vectorTime)}
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	jwt := rawJWT(t, key, keys.ES256, okHeader, `{`+okSub+`,"iat":1686920170,`+okLst+`,"x":`+deep+`}`)
	_, err := v.Verify(jwt)
	checkTypedError(t, err)
	cbor := append(bytes.Repeat([]byte{0x81}, 100000), 0x00) // [[[...0]]]
	_, err = v.Verify(cbor)
	checkTypedError(t, err)
	_, err = v.VerifyCWT(cbor)
	checkTypedError(t, err)
}

// TestSecurityOversizedAllocs: a token above MaxTokenBytes is refused with
// a bounded number of allocations, whatever its size.
func TestSecurityOversizedAllocs(t *testing.T) {
	key := testKey(t, keys.ES256)
	v := &Verifier{Key: key.Public(), Now: fixedClock(vectorTime)}
	huge := bytes.Repeat([]byte{'e'}, DefaultMaxTokenBytes+1)
	var last error
	allocs := testing.AllocsPerRun(5, func() { _, last = v.Verify(huge) })
	if !errors.Is(last, ErrTooLarge) {
		t.Fatalf("%v, want ErrTooLarge", last)
	}
	if allocs > 10 {
		t.Fatalf("rejecting an oversized token allocated %v times", allocs)
	}
}
