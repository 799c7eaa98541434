package trustlist

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/keys"
)

func seedTokens(f *testing.F) [][]byte {
	paths, err := filepath.Glob("../../testdata/trustlist/*.jwt")
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seed tokens in testdata/trustlist (%v)", err)
	}
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, bytes.TrimSpace(b))
	}
	return out
}

// FuzzVerify: Verify never panics, returns either a list or an *Error with
// a nil list, and a list it accepts re-signs to the same payload.
func FuzzVerify(f *testing.F) {
	jwkBytes, err := os.ReadFile("../../testdata/trustlist/operator.pub.jwk")
	if err != nil {
		f.Fatal(err)
	}
	pub, err := keys.ParsePublicJWK(jwkBytes)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seedTokens(f) {
		f.Add(s)
		f.Add(s[:len(s)/2])
	}
	f.Fuzz(func(t *testing.T, tok []byte) {
		l, err := Verify(tok, pub)
		if err != nil {
			var e *Error
			if l != nil || !errors.As(err, &e) {
				t.Fatalf("error %v with list %v", err, l)
			}
			return
		}
		p1 := strings.Split(string(tok), ".")[1]
		b1, _ := base64.RawURLEncoding.DecodeString(p1)
		m1, _ := strictjson.UnmarshalObject(b1, maxDepth)
		if _, err := decodePayload(m1); err != nil {
			t.Fatalf("accepted payload does not decode again: %v", err)
		}
	})
}

// FuzzPayload: the payload decoder never panics; what it accepts encodes
// and decodes back to the same encoding (a round trip).
func FuzzPayload(f *testing.F) {
	for _, s := range seedTokens(f) {
		p, err := base64.RawURLEncoding.DecodeString(strings.Split(string(s), ".")[1])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p)
	}
	f.Add([]byte(`{"iss":"x","seq":1,"iat":1,"next_update":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := strictjson.UnmarshalObject(data, maxDepth)
		if err != nil {
			return
		}
		l, err := decodePayload(m)
		if err != nil {
			if l != nil {
				t.Fatal("list with error")
			}
			return
		}
		enc, err := encodePayload(l)
		if err != nil {
			t.Fatalf("accepted list does not encode: %v", err)
		}
		m2, err := strictjson.UnmarshalObject(enc, maxDepth)
		if err != nil {
			t.Fatal(err)
		}
		l2, err := decodePayload(m2)
		if err != nil {
			t.Fatalf("re-encoded list rejected: %v", err)
		}
		enc2, _ := encodePayload(l2)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip differs:\n%s\n%s", enc, enc2)
		}
	})
}
