package cose

import (
	"crypto/rand"
	"errors"
	"testing"

	gocose "github.com/veraison/go-cose"

	"github.com/ikdkit/ikdkit/keys"
)

// go-cose (github.com/veraison/go-cose) is an independent implementation,
// kept as a test dependency only: these tests sign with this package and
// verify with go-cose, and the other way round, for every algorithm, in
// both forms, with an external_aad and with a detached payload.

func goAlg(t *testing.T, alg keys.Algorithm) gocose.Algorithm {
	t.Helper()
	id, ok := AlgorithmID(alg)
	if !ok {
		t.Fatalf("no COSE id for %s", alg)
	}
	return gocose.Algorithm(id)
}

func TestPeerGoCOSEVerifiesOurs(t *testing.T) {
	payload := []byte("signed by ikdkit")
	aad := []byte("external")
	for _, alg := range keys.Algorithms() {
		key := newKey(t, alg)
		ver, err := gocose.NewVerifier(goAlg(t, alg), key.Public())
		if err != nil {
			t.Fatal(err)
		}
		for _, detached := range []bool{false, true} {
			p := Sign1Params{Payload: payload, Detached: detached, ExternalAAD: aad,
				Protected:   []HeaderParam{{Label: HeaderType, Value: "application/x"}},
				Unprotected: []HeaderParam{{Label: HeaderKID, Value: []byte("kid")}}}
			p.Form = Tagged
			tagged, err := newSigner(t, key).Sign1(rand.Reader, p)
			if err != nil {
				t.Fatal(err)
			}
			var m gocose.Sign1Message
			if err := m.UnmarshalCBOR(tagged); err != nil {
				t.Fatalf("%s: go-cose cannot parse ours: %v", alg, err)
			}
			if detached {
				if m.Payload != nil {
					t.Fatal("detached payload on the wire")
				}
				m.Payload = payload
			}
			if err := m.Verify(aad, ver); err != nil {
				t.Fatalf("%s detached %v: go-cose rejects ours: %v", alg, detached, err)
			}
			if err := m.Verify([]byte("other"), ver); err == nil {
				t.Fatalf("%s: go-cose accepts ours with another external_aad", alg)
			}

			p.Form = Untagged
			untagged, err := newSigner(t, key).Sign1(rand.Reader, p)
			if err != nil {
				t.Fatal(err)
			}
			var u gocose.UntaggedSign1Message
			if err := u.UnmarshalCBOR(untagged); err != nil {
				t.Fatalf("%s: go-cose cannot parse our untagged message: %v", alg, err)
			}
			if detached {
				u.Payload = payload
			}
			if err := u.Verify(aad, ver); err != nil {
				t.Fatalf("%s untagged detached %v: go-cose rejects ours: %v", alg, detached, err)
			}
		}
	}
}

func TestPeerWeVerifyGoCOSE(t *testing.T) {
	payload := []byte("signed by go-cose")
	aad := []byte("external")
	for _, alg := range keys.Algorithms() {
		key := newKey(t, alg)
		signer, err := gocose.NewSigner(goAlg(t, alg), key)
		if err != nil {
			t.Fatal(err)
		}
		headers := gocose.Headers{
			Protected:   gocose.ProtectedHeader{gocose.HeaderLabelAlgorithm: goAlg(t, alg)},
			Unprotected: gocose.UnprotectedHeader{gocose.HeaderLabelKeyID: []byte("kid")},
		}
		tagged, err := gocose.Sign1(rand.Reader, signer, headers, payload, aad)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ParseSign1(tagged, Tagged)
		if err != nil {
			t.Fatalf("%s: we cannot parse go-cose's: %v", alg, err)
		}
		if err := m.Verify(key.Public(), aad); err != nil {
			t.Fatalf("%s: we reject go-cose's: %v", alg, err)
		}
		if err := m.Verify(key.Public(), nil); !errors.Is(err, ErrSignature) {
			t.Fatalf("%s: go-cose's verifies without its external_aad: %v", alg, err)
		}

		untagged, err := gocose.Sign1Untagged(rand.Reader, signer, headers, payload, aad)
		if err != nil {
			t.Fatal(err)
		}
		mu, err := ParseSign1(untagged, Untagged)
		if err != nil {
			t.Fatalf("%s: we cannot parse go-cose's untagged: %v", alg, err)
		}
		if err := mu.Verify(key.Public(), aad); err != nil {
			t.Fatalf("%s: we reject go-cose's untagged: %v", alg, err)
		}

		// Detached: go-cose signs the payload and we drop it from the wire.
		d := gocose.NewSign1Message()
		d.Headers = headers
		d.Payload = payload
		if err := d.Sign(rand.Reader, aad, signer); err != nil {
			t.Fatal(err)
		}
		d.Payload = nil
		det, err := d.MarshalCBOR()
		if err != nil {
			t.Fatal(err)
		}
		md, err := ParseSign1(det, Tagged)
		if err != nil || !md.Detached {
			t.Fatalf("%s: detached parse: %v", alg, err)
		}
		if err := md.VerifyDetached(key.Public(), payload, aad); err != nil {
			t.Fatalf("%s: we reject go-cose's detached: %v", alg, err)
		}
	}
}
