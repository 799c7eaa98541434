package mdoc

import (
	"bytes"
	"math"
	"reflect"
	"testing"
)

// annexDSeeds returns the seed corpus from testdata; an empty corpus fails
// the fuzz target instead of silently fuzzing nothing.
func annexDSeeds(t testing.TB) [][]byte {
	resp := readHex(t, "device_response.hex")
	var r deviceResponseWire
	if err := decode(decMode, resp, &r, tagEncodedCBOR); err != nil {
		t.Fatal(err)
	}
	var d documentWire
	if err := decode(decMode, r.Documents[0], &d, tagEncodedCBOR); err != nil {
		t.Fatal(err)
	}
	is, err := marshal(d.IssuerSigned)
	if err != nil {
		t.Fatal(err)
	}
	seeds := [][]byte{resp, r.Documents[0], is}
	if len(seeds[0]) == 0 {
		t.Fatal("empty seed corpus")
	}
	return seeds
}

// FuzzVerify checks that Verify never panics, returns no result with an
// error, and that anything it accepts in the Annex D context discloses only
// elements of the genuine response with their genuine values (the digests
// and signatures bind them).
func FuzzVerify(f *testing.F) {
	seeds := annexDSeeds(f)
	for _, s := range seeds {
		f.Add(s)
	}
	resp, opts := annexD(f)
	genuine, err := Verify(resp, opts)
	if err != nil {
		f.Fatal(err)
	}
	want := genuine.Documents()[0].NameSpaces()
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := Verify(in, opts)
		if err != nil {
			if got != nil {
				t.Fatal("result returned with an error")
			}
			return
		}
		for _, doc := range got.Documents() {
			for ns, elems := range doc.NameSpaces() {
				for name, v := range elems {
					if !reflect.DeepEqual(v, want[ns][name]) {
						t.Fatalf("accepted %s/%s = %#v, not the signed value", ns, name, v)
					}
				}
			}
		}
	})
}

// FuzzParseIssuerSigned checks that parsing never panics and that an
// accepted IssuerSigned re-encodes to a stable form that parses again.
func FuzzParseIssuerSigned(f *testing.F) {
	for _, s := range annexDSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := ParseIssuerSigned(in)
		if err != nil {
			if s != nil {
				t.Fatal("result returned with an error")
			}
			return
		}
		enc, err := s.MarshalCBOR()
		if err != nil {
			t.Fatal(err)
		}
		s2, err := ParseIssuerSigned(enc)
		if err != nil {
			t.Fatalf("re-encoding does not parse: %v", err)
		}
		enc2, _ := s2.MarshalCBOR()
		if !bytes.Equal(enc, enc2) || s2.DocType() != s.DocType() {
			t.Fatal("re-encoding is not stable")
		}
	})
}

// FuzzElementValue checks that element values decode to the documented Go
// types and survive an encode/decode round trip unchanged.
func FuzzElementValue(f *testing.F) {
	resp, opts := annexD(f)
	genuine, err := Verify(resp, opts)
	if err != nil {
		f.Fatal(err)
	}
	n := 0
	for _, v := range genuine.Documents()[0].NameSpaces()["org.iso.18013.5.1"] {
		b, err := marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		n++
	}
	if n == 0 {
		f.Fatal("empty seed corpus")
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := decodeValue(in)
		if err != nil {
			return
		}
		b, err := marshal(v)
		if err != nil {
			t.Fatalf("decoded value %#v does not encode: %v", v, err)
		}
		v2, err := decodeValue(b)
		if err != nil {
			t.Fatalf("re-encoded value does not decode: %v", err)
		}
		if !equalValues(v, v2) {
			t.Fatalf("round trip changed %#v to %#v", v, v2)
		}
	})
}

// equalValues is reflect.DeepEqual for decoded element values, except
// that a NaN equals any NaN (the deterministic encoder writes the one
// canonical NaN, RFC 8949 §4.2.2).
func equalValues(a, b any) bool {
	return equalWith(a, b, func(x, y float64) bool {
		return x == y && math.Signbit(x) == math.Signbit(y) || math.IsNaN(x) && math.IsNaN(y)
	})
}

// equalWith is reflect.DeepEqual for decoded element values, with floats
// compared by same, at any depth of arrays and maps: DeepEqual itself never
// finds two NaNs equal.
func equalWith(a, b any, same func(x, y float64) bool) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && same(x, y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalWith(x[i], y[i], same) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, e := range x {
			if f, ok := y[k]; !ok || !equalWith(e, f, same) {
				return false
			}
		}
		return true
	case map[any]any:
		y, ok := b.(map[any]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, e := range x {
			if f, ok := y[k]; !ok || !equalWith(e, f, same) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// TestAnnexDPrefixesRejected: every strict prefix of the DeviceResponse
// fails to decode.
func TestAnnexDPrefixesRejected(t *testing.T) {
	resp, opts := annexD(t)
	for i := 0; i < len(resp); i++ {
		if got, err := Verify(resp[:i], opts); err == nil || got != nil {
			t.Fatalf("prefix of %d bytes accepted", i)
		}
	}
}

// FuzzDocTypes: DocTypes never panics, returns nil with an error, and on
// any input that Verify accepts names exactly the verified docTypes.
func FuzzDocTypes(f *testing.F) {
	for _, s := range annexDSeeds(f) {
		f.Add(s)
	}
	resp, opts := annexD(f)
	if dts, err := DocTypes(resp); err != nil || len(dts) != 1 || dts[0] != "org.iso.18013.5.1.mDL" {
		f.Fatalf("Annex D: %v, %v", dts, err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		dts, err := DocTypes(in)
		if err != nil {
			if dts != nil {
				t.Fatal("docTypes with an error")
			}
			return
		}
		if len(dts) > MaxDocuments {
			t.Fatalf("%d docTypes", len(dts))
		}
		v, err := Verify(in, opts)
		if err != nil {
			return
		}
		docs := v.Documents()
		if len(docs) != len(dts) {
			t.Fatalf("%d docTypes, %d verified documents", len(dts), len(docs))
		}
		for i, d := range docs {
			if d.DocType() != dts[i] {
				t.Fatalf("docType %d: %q, verified %q", i, dts[i], d.DocType())
			}
		}
	})
}
