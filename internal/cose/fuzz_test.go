package cose

import (
	"crypto/rand"
	"errors"
	"testing"

	"github.com/ikdkit/ikdkit/internal/strictcbor"
	"github.com/ikdkit/ikdkit/keys"
)

// FuzzParse checks both parsers in both forms: no panic; on error a nil
// message and a typed error; whatever is accepted has every strict prefix
// rejected, and its header accessors and verification fail cleanly.
func FuzzParse(f *testing.F) {
	_, _, vs := loadVectors(f)
	for _, v := range vs {
		f.Add(h(v.CBOR))
	}
	for _, alg := range keys.Algorithms() {
		msg, err := newSigner(f, newKey(f, alg)).Sign1(rand.Reader, Sign1Params{Form: Untagged, Payload: []byte("p"),
			Unprotected: []HeaderParam{{Label: HeaderX5Chain, Value: [][]byte{{1}, {2}}}}})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(msg)
	}
	key := newKey(f, keys.ES256).Public()
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, form := range []Form{Untagged, Tagged} {
			s, err := ParseSign1(in, form)
			if err != nil {
				if s != nil || !errors.Is(err, ErrMalformed) {
					t.Fatalf("ParseSign1 = %v, %v", s, err)
				}
			} else {
				for i := range in {
					if _, err := ParseSign1(in[:i], form); err == nil {
						t.Fatalf("strict prefix of %d bytes accepted", i)
					}
				}
				_, _ = s.KeyID()
				_, _ = s.X5Chain(8)
				var verr error
				if s.Detached {
					verr = s.VerifyDetached(key, []byte("p"), nil)
				} else {
					verr = s.Verify(key, nil)
				}
				if !errors.Is(verr, ErrAlgorithm) && !errors.Is(verr, ErrSignature) && !errors.Is(verr, ErrMalformed) {
					t.Fatalf("fuzzed message verified or untyped error: %v", verr)
				}
			}
			m, err := ParseMac0(in, form)
			if err != nil {
				if m != nil || !errors.Is(err, ErrMalformed) {
					t.Fatalf("ParseMac0 = %v, %v", m, err)
				}
				continue
			}
			if err := m.VerifyDetached(make([]byte, 32), nil, nil); err == nil && !m.Detached {
				t.Fatal("attached Mac0 verified as detached")
			}
			if err := strictcbor.Check(in, strictcbor.TagCOSEMac0, strictcbor.TagCOSESign1); err != nil {
				t.Fatalf("accepted bytes fail the strict pre-pass: %v", err)
			}
		}
	})
}
