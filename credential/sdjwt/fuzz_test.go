package sdjwt

import (
	"crypto"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// seedTokens returns every SD-JWT in testdata; it fails when there is none,
// so a moved testdata folder cannot silently empty the corpus.
func seedTokens(f *testing.F) []string {
	files, _ := filepath.Glob(filepath.Join(vectors, "*/*/sd_jwt_*.txt"))
	more, _ := filepath.Glob(filepath.Join(vectors, "ikdkit/*.txt"))
	files = append(files, more...)
	var out []string
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if s := strings.TrimSpace(string(b)); strings.Contains(s, "~") {
			out = append(out, s)
		}
	}
	if len(out) < 8 {
		f.Fatalf("only %d seed tokens found in %s", len(out), vectors)
	}
	return out
}

// FuzzParse checks that Parse never panics, returns nothing with an error,
// and that what it accepts re-serialises to a prefix of the input that
// parses again to the same disclosures.
func FuzzParse(f *testing.F) {
	for _, s := range seedTokens(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Parse(s)
		if err != nil {
			if u != nil {
				t.Fatal("value returned with error")
			}
			var e *check.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *check.Error", err)
			}
			return
		}
		sd := u.String()
		if !strings.HasPrefix(s, sd) {
			t.Fatalf("String() %q is not a prefix of the input", sd)
		}
		u2, err := Parse(sd)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if len(u2.Disclosures()) != len(u.Disclosures()) {
			t.Fatal("re-parse changed the disclosures")
		}
	})
}

// FuzzVerify checks that verification never panics, and that with key
// binding required nothing but the exact seed presentation verifies: any
// other input would need a forged signature or an sd_hash collision.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f) // for its options; the presentation comes from testdata
	pres := strings.TrimSpace(string(readFile(f, filepath.Join(vectors, "ikdkit/ktp_presentation.txt"))))
	if _, err := Verify(pres, fx.opts); err != nil {
		f.Fatalf("seed presentation does not verify: %v", err)
	}
	for _, s := range seedTokens(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Verify(s, fx.opts)
		if err != nil {
			if v != nil {
				t.Fatal("value returned with error")
			}
			var e *check.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *check.Error", err)
			}
			return
		}
		if s != pres {
			t.Fatalf("a modified presentation verified: %q", s)
		}
	})
}

// FuzzFromJSONSerialization: FromJSONSerialization never panics, returns
// "" and a *check.Error on failure, and on success returns a compact form
// whose issuer JWT is exactly the input's protected.payload.signature (three
// base64url parts) followed by its disclosures and KB-JWT; converting that
// back (ToJSONSerialization) and forward again gives the same compact form.
func FuzzFromJSONSerialization(f *testing.F) {
	files, err := filepath.Glob("../../testdata/sdjwt/*/json_serialization_*/sd_jwt_*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no JSON serialization seeds (%v)", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"protected":"a~b","payload":"c","signature":"d"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := FromJSONSerialization(data)
		if err != nil {
			var e *check.Error
			if c != "" || !errors.As(err, &e) {
				t.Fatalf("%q with error %v", c, err)
			}
			return
		}
		jwt, _, ok := strings.Cut(c, "~")
		if !ok || strings.Count(jwt, ".") != 2 {
			t.Fatalf("compact form %q has no three-part issuer JWT", c)
		}
		for _, part := range strings.Split(jwt, ".") {
			if _, err := decodeB64(part); err != nil {
				t.Fatalf("issuer JWT part %q is not base64url: %v", part, err)
			}
		}
		back, err := ToJSONSerialization(c)
		if err != nil {
			return // the parts need not decode to an SD-JWT
		}
		again, err := FromJSONSerialization(back)
		if err != nil || again != c {
			t.Fatalf("round trip: %q -> %q, %v", c, again, err)
		}
	})
}

// FuzzPeekIssuer: PeekIssuer never panics, returns nothing but a
// *check.Error on failure, non-empty iss and vct on success, and on a
// presentation that verifies it names exactly the verified iss and vct.
func FuzzPeekIssuer(f *testing.F) {
	fx := newFixture(f)
	pres := strings.TrimSpace(string(readFile(f, filepath.Join(vectors, "ikdkit/ktp_presentation.txt"))))
	if iss, vct, _, err := PeekIssuer(pres); err != nil || iss == "" || vct == "" {
		f.Fatalf("seed presentation: %q %q %v", iss, vct, err)
	}
	for _, s := range seedTokens(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		iss, vct, kid, err := PeekIssuer(s)
		if err != nil {
			var e *check.Error
			if iss != "" || vct != "" || kid != "" || !errors.As(err, &e) {
				t.Fatalf("%q %q %q with error %v", iss, vct, kid, err)
			}
			return
		}
		if iss == "" || vct == "" {
			t.Fatal("success without iss or vct")
		}
		v, err := VerifyVC(s, fx.opts)
		if err != nil {
			return
		}
		if v.Issuer() != iss || v.StringClaim("vct") != vct {
			t.Fatalf("peeked %q %q, verified %q %q", iss, vct, v.Issuer(), v.StringClaim("vct"))
		}
	})
}

// referenceDisclosure is the disclosure reader this package had before
// Disclosure.decode: the whole JSON decoded as a generic array, then its
// shape checked. FuzzDisclosureDecode holds decode to it.
func referenceDisclosure(encoded string) (salt, name string, hasName bool, value any, err error) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(encoded)
	if err != nil || strings.ContainsAny(encoded, "\r\n") {
		return "", "", false, nil, errors.New("base64url")
	}
	v, err := strictjson.Unmarshal(raw, MaxDepth)
	if err != nil {
		return "", "", false, nil, err
	}
	arr, ok := v.([]any)
	if !ok {
		return "", "", false, nil, errors.New("not a JSON array")
	}
	switch len(arr) {
	case 3:
		if name, ok = arr[1].(string); !ok {
			return "", "", false, nil, errors.New("claim name is not a string")
		}
		hasName, value = true, arr[2]
	case 2:
		value = arr[1]
	default:
		return "", "", false, nil, errors.New("wrong length")
	}
	if salt, ok = arr[0].(string); !ok {
		return "", "", false, nil, errors.New("salt is not a string")
	}
	return salt, name, hasName, value, nil
}

// FuzzDisclosureDecode is differential: Disclosure.decode, which reads the
// disclosure array in place, accepts exactly what the generic decoder and
// shape check accept, with the same salt, name and value, and a digest
// over the string as received.
func FuzzDisclosureDecode(f *testing.F) {
	for _, s := range []string{
		`["salt","given_name","Budi"]`, `["salt","x"]`, `["s",{"_sd":["a"]}]`, `["s","n",[1,{"...":"d"}]]`,
		`[ "s" , "n" , null ]`, `["s"]`, `[]`, `["s","n","v",4]`, `[1,"n","v"]`, `["s",2,"v"]`, `{"a":1}`,
		`["s\u0041","n\n","\ud83d\ude00"]`, `["s","n",1e400]`, `["s","n",{"a":1,"a":2}]`, `["s","n","v"] x`,
		`["s","n",[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
	} {
		f.Add(base64.RawURLEncoding.EncodeToString([]byte(s)))
	}
	f.Add("WyJzIiwibiIsInYiXQ\n")
	f.Add("WyJzIiwibiIsInYiXQ==")
	f.Fuzz(func(t *testing.T, encoded string) {
		if encoded == "" {
			return // split refuses "~~" before decoding
		}
		salt, name, hasName, value, werr := referenceDisclosure(encoded)
		d, err := parseDisclosure(encoded, crypto.SHA256)
		if (werr == nil) != (err == nil) {
			t.Fatalf("%q: reference error %v, decode error %v", encoded, werr, err)
		}
		if err != nil {
			return
		}
		n, ok := d.Name()
		if d.Salt() != salt || n != name || ok != hasName || !reflect.DeepEqual(d.Value(), value) {
			t.Fatalf("%q: decode (%q, %q, %v, %#v), reference (%q, %q, %v, %#v)", encoded, d.Salt(), n, ok, d.Value(), salt, name, hasName, value)
		}
		if d.Encoded() != encoded || d.Digest() != b64Digest(crypto.SHA256, encoded) {
			t.Fatalf("%q: encoded %q, digest %q", encoded, d.Encoded(), d.Digest())
		}
	})
}
