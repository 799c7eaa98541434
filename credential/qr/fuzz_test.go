package qr

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ikdkit/ikdkit/credential/qr/internal/wire"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

func addSeeds(f *testing.F) {
	files, err := filepath.Glob("../../testdata/qr/seed-*.payload")
	if err != nil {
		f.Fatal(err)
	}
	if len(files) == 0 {
		f.Fatal("empty seed corpus: no ../../testdata/qr/seed-*.payload")
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzDecode: Decode never panics; on error it returns a nil envelope and
// an *Error wrapping a sentinel; on success the envelope re-encodes and
// decodes to the same presentations (SD-JWTs reassembled exactly).
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := Decode(data)
		if err != nil {
			var e *Error
			if env != nil || !errors.As(err, &e) {
				t.Fatalf("error %v with env %v", err, env)
			}
			return
		}
		// Mdoc presentations decode with an x5t and cannot be re-encoded
		// without their chain; compare the SD-JWTs only.
		var sd Envelope
		for _, p := range env.Presentations {
			if p.SDJWT != "" {
				sd.Presentations = append(sd.Presentations, p)
			}
		}
		if len(sd.Presentations) == 0 {
			return
		}
		c, err := Encode(sd)
		if err != nil {
			t.Fatalf("decoded SD-JWT does not re-encode: %v", err)
		}
		again, err := Decode(c.Data)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range sd.Presentations {
			if again.Presentations[i].SDJWT != p.SDJWT {
				t.Fatal("SD-JWT not reproduced exactly")
			}
		}
	})
}

// FuzzAssembler: Add never panics and reports errors as *Error.
func FuzzAssembler(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var a Assembler
		if _, err := a.Add(data); err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T", err)
			}
			return
		}
		if _, err := a.Envelope(); err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T", err)
			}
		}
	})
}

func addRequestSeeds(f *testing.F) {
	files, err := filepath.Glob("../../testdata/qr/request-*.payload")
	if err != nil {
		f.Fatal(err)
	}
	if len(files) == 0 {
		f.Fatal("empty seed corpus: no ../../testdata/qr/request-*.payload")
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzVerifyRequest: VerifyRequest never panics; on error the result is nil
// and the error an *Error; a request it accepts is valid, signed by the
// registered verifier and asks only for types registered for it and
// claims its registration allows, and its payload encodes back to a request that decodes to the same value.
func FuzzVerifyRequest(f *testing.F) {
	addRequestSeeds(f)
	key := testVerifierKey(f)
	opts := requestOptions(key.Public())
	f.Fuzz(func(t *testing.T, data []byte) {
		vr, err := VerifyRequest(data, opts)
		if err != nil {
			var e *Error
			if vr != nil || !errors.As(err, &e) {
				t.Fatalf("error %v with result %v", err, vr)
			}
			return
		}
		if err := checkRequest(&vr.Request); err != nil {
			t.Fatalf("accepted an invalid request: %v", err)
		}
		for _, c := range vr.Request.Query.Credentials {
			for _, typ := range c.Types() {
				if _, ok := vr.Verifier.Claims[typ]; !ok {
					t.Fatalf("accepted a type the verifier is not registered for: %s", typ)
				}
				for _, cl := range c.Claims {
					if !vr.Verifier.MayRequest(c.Format, typ, cl.Path) {
						t.Fatalf("accepted a claim the verifier may not request: %v", cl.Path)
					}
				}
			}
		}
		again, err := decodeRequestPayload(mustMarshal(t, wireRequestOf(&vr.Request)))
		if err != nil || !reflect.DeepEqual(*again, vr.Request) {
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
			var e *Error
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
