package credential

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// fuzzDocuments are the seed documents of the decoders' fuzz targets, one
// of each ikdkit type; a fuzz input names its type by index.
func fuzzDocuments(f *testing.F) []Document {
	docs := []Document{sampleKTPEL(f), sampleKK(f), sampleNPWP(f), sampleBPJSKes(f), sampleBPJSTK(f)}
	if len(docs) != len(Types()) {
		f.Fatalf("%d seed documents for %d types", len(docs), len(Types()))
	}
	return docs
}

// sameClaims reports whether two documents encode to the same claims.
func sameClaims(t *testing.T, a, b Document) bool {
	ja, err := json.Marshal(a.SDJWTClaims(issueTime))
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b.SDJWTClaims(issueTime))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ja, jb)
}

// FuzzDocumentFromClaims: every *FromClaims decoder (through
// DocumentFromClaims) never panics on an arbitrary JSON claim set, returns a
// nil Document on error, and what it accepts re-encodes to claims that
// decode to the same document.
func FuzzDocumentFromClaims(f *testing.F) {
	for i, d := range fuzzDocuments(f) {
		b, err := json.Marshal(d.SDJWTClaims(issueTime))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b)
		f.Add(uint8(i), []byte(`{"vct":"`+d.Type().VCT+`"}`))
	}
	types := Types()
	f.Fuzz(func(t *testing.T, typ uint8, b []byte) {
		vct := types[int(typ)%len(types)].VCT
		m, err := strictjson.UnmarshalObject(b, 16)
		if err != nil {
			return
		}
		d, err := DocumentFromClaims(vct, m)
		if err != nil {
			if d != nil {
				t.Fatal("document with an error")
			}
			return
		}
		again, err := DocumentFromClaims(vct, jsonRoundTrip(t, d.SDJWTClaims(issueTime)))
		if err != nil || !sameClaims(t, d, again) {
			t.Fatalf("re-decode: %v", err)
		}
	})
}

// FuzzDocumentFromMdoc: every *FromMdoc decoder (through DocumentFromMdoc)
// never panics on arbitrary CBOR element values, returns a nil Document on
// error, and what it accepts re-encodes to elements that decode to the
// same document.
func FuzzDocumentFromMdoc(f *testing.F) {
	for i, d := range fuzzDocuments(f) {
		b, err := cbor.Marshal(d.MdocElements(issueTime))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b)
	}
	dm, err := cbor.DecOptions{MaxNestedLevels: 16, MaxArrayElements: 1024, MaxMapPairs: 1024}.DecMode()
	if err != nil {
		f.Fatal(err)
	}
	types := Types()
	f.Fuzz(func(t *testing.T, typ uint8, b []byte) {
		docType := types[int(typ)%len(types)].DocType
		var ns map[string]map[string]any
		if dm.Unmarshal(b, &ns) != nil {
			return
		}
		d, err := DocumentFromMdoc(docType, ns)
		if err != nil {
			if d != nil {
				t.Fatal("document with an error")
			}
			return
		}
		again, err := DocumentFromMdoc(docType, cborRoundTrip(t, d.MdocElements(issueTime)))
		if err != nil || !sameClaims(t, d, again) {
			t.Fatalf("re-decode: %v", err)
		}
	})
}
