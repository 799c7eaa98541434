package didkey

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multiformats/go-multibase"
)

// seedDIDs returns every DID in the testdata vectors (positive and
// negative). It fails the test if there are none, so a moved testdata
// folder cannot silently empty the fuzz corpus.
func seedDIDs(f *testing.F) []string {
	f.Helper()
	var dids []string
	var rows []summaryRow
	readJSON(f, "did_key_summary.json", &rows)
	for _, r := range rows {
		dids = append(dids, r.DID)
	}
	files, err := filepath.Glob(filepath.Join(vectorDir, "did-key-test-suite", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var v struct {
			DID string `json:"did"`
		}
		if err := json.Unmarshal(b, &v); err != nil {
			f.Fatal(err)
		}
		dids = append(dids, v.DID)
	}
	if len(rows) == 0 || len(files) == 0 {
		f.Fatalf("empty seed corpus: %d summary rows, %d test-suite files", len(rows), len(files))
	}
	return dids
}

// FuzzResolve: Resolve either fails with an *Error carrying a spec error
// code and a nil document, or succeeds with a document for exactly that
// DID whose key encodes back to the identical DID (no second encoding of
// any key is accepted).
func FuzzResolve(f *testing.F) {
	for _, s := range seedDIDs(f) {
		f.Add(s)
	}
	f.Add(validEd + "#" + validEd[8:])
	f.Fuzz(func(t *testing.T, s string) {
		doc, err := Resolve(s)
		if err != nil {
			var e *Error
			if doc != nil || !errors.As(err, &e) || e.Code() == "" {
				t.Fatalf("Resolve(%q): doc %v, error %v", s, doc, err)
			}
			return
		}
		if doc.ID != s || len(doc.VerificationMethod) == 0 || doc.VerificationMethod[0].ID != s+"#"+s[len(prefix):] {
			t.Fatalf("document for %q: %+v", s, doc)
		}
		d, err := Parse(s)
		if err != nil {
			t.Fatalf("Resolve accepted but Parse rejected %q: %v", s, err)
		}
		again, err := Encode(d.PublicKey())
		if err != nil || again != s {
			t.Fatalf("round trip %q -> %q, %v", s, again, err)
		}
		if _, err := json.Marshal(doc); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzParseBytes fuzzes the decoded bytes (multicodec varint and key), which
// random strings rarely reach: a DID built from any byte string either is
// rejected with an *Error, or carries exactly those bytes.
func FuzzParseBytes(f *testing.F) {
	for _, s := range seedDIDs(f) {
		if _, b, err := multibase.Decode(s[min(len(s), len(prefix)):]); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 300 {
			return
		}
		mb, err := multibase.Encode(multibase.Base58BTC, data)
		if err != nil {
			t.Fatal(err)
		}
		s := prefix + mb
		d, err := Parse(s)
		if err != nil {
			var e *Error
			if d != nil || !errors.As(err, &e) {
				t.Fatalf("Parse: %v, %v", d, err)
			}
			return
		}
		if d.String() != s {
			t.Fatalf("Parse(%q).String() = %q", s, d.String())
		}
		if again, err := Encode(d.PublicKey()); err != nil || again != s {
			t.Fatalf("round trip %q -> %q, %v", s, again, err)
		}
	})
}

// FuzzParseKeyID checks that ParseKeyID either fails with an *Error and no
// DID, or accepts exactly a DID that Parse accepts, alone or followed by
// "#" and its own multibase value, and nothing else.
func FuzzParseKeyID(f *testing.F) {
	for _, s := range seedDIDs(f) {
		f.Add(s)
		if i := len(prefix); len(s) > i {
			f.Add(s + "#" + s[i:])
			f.Add(s + "#key-1")
		}
	}
	f.Fuzz(func(t *testing.T, kid string) {
		d, err := ParseKeyID(kid)
		if err != nil {
			var e *Error
			if d != nil || !errors.As(err, &e) {
				t.Fatalf("ParseKeyID(%q): %v, %v", kid, d, err)
			}
			return
		}
		did, frag, hasFrag := strings.Cut(kid, "#")
		p, err := Parse(did)
		if err != nil || p.String() != d.String() || d.String() != did {
			t.Fatalf("ParseKeyID(%q) = %v, but Parse(%q) = %v, %v", kid, d, did, p, err)
		}
		if hasFrag && frag != d.Multibase() {
			t.Fatalf("fragment %q accepted for %s", frag, d)
		}
	})
}
