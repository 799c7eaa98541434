package request

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/qr/internal/wire"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

func addRequestSeeds(f *testing.F) {
	files, err := filepath.Glob("../../../testdata/qr/request-*.payload")
	if err != nil {
		f.Fatal(err)
	}
	if len(files) == 0 {
		f.Fatal("empty seed corpus: no ../../../testdata/qr/request-*.payload")
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzVerifyRequest: Verify never panics; on error the result is nil
// and the error an *Error; a request it accepts is valid, signed by the
// registered verifier and asks only for types registered for it and
// claims its registration allows, and its payload encodes back to a request that decodes to the same value.
func FuzzVerifyRequest(f *testing.F) {
	addRequestSeeds(f)
	key := testVerifierKey(f)
	opts := requestOptions(key.Public())
	f.Fuzz(func(t *testing.T, data []byte) {
		vr, err := Verify(data, opts)
		if err != nil {
			var e *qr.Error
			if vr != nil || !errors.As(err, &e) {
				t.Fatalf("error %v with result %v", err, vr)
			}
			return
		}
		req, reg := vr.Request(), vr.Verifier()
		if err := checkRequest(&req); err != nil {
			t.Fatalf("accepted an invalid request: %v", err)
		}
		for _, c := range req.Query.Credentials {
			for _, typ := range c.Types() {
				if _, ok := reg.Claims[typ]; !ok {
					t.Fatalf("accepted a type the verifier is not registered for: %s", typ)
				}
				for _, cl := range c.Claims {
					if !reg.MayRequest(c.Format, typ, cl.Path) {
						t.Fatalf("accepted a claim the verifier may not request: %v", cl.Path)
					}
				}
			}
		}
		again, err := decodeRequestPayload(mustMarshal(t, wireRequestOf(&req)))
		if err != nil || !reflect.DeepEqual(*again, req) {
			t.Fatalf("request does not round trip: %v", err)
		}
	})
}

// FuzzRequestPayload: the unauthenticated payload decoder (run before the
// signature check) never panics, returns nil with an *Error on error, and
// every payload it accepts round trips.
func FuzzRequestPayload(f *testing.F) {
	addRequestSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		// Seeds are whole payloads: dig out the COSE payload when possible
		// so mutations explore the payload decoder.
		if body, err := wire.Unwrap(wire.KindRequest, data); err == nil {
			if content, err := wire.UnframeBody(body); err == nil {
				if m, err := parseSign1(content); err == nil {
					data = m.payload
				}
			}
		}
		r, err := decodeRequestPayload(data)
		if err != nil {
			var e *qr.Error
			if r != nil || !errors.As(err, &e) {
				t.Fatalf("error %v with result %v", err, r)
			}
			return
		}
		again, err := decodeRequestPayload(mustMarshal(t, wireRequestOf(r)))
		if err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("payload does not round trip: %v", err)
		}
	})
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := strictcbor.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
