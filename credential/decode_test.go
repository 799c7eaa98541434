package credential

import (
	"errors"
	"reflect"
	"testing"
)

// TestDocumentFromClaimsAndMdoc: the dispatch by vct / doctype decodes
// every ikdkit type from both wire forms, refuses unknown types with
// ErrWrongType, and returns a nil Document (not a typed nil) on failure.
func TestDocumentFromClaimsAndMdoc(t *testing.T) {
	for _, doc := range []Document{sampleKTPEL(t), sampleKK(t), sampleNPWP(t), sampleBPJSKes(t), sampleBPJSTK(t)} {
		ti := doc.Type()
		t.Run(ti.Name, func(t *testing.T) {
			got, err := DocumentFromClaims(ti.VCT, jsonRoundTrip(t, doc.SDJWTClaims(issueTime)))
			if err != nil || reflect.TypeOf(got) != reflect.TypeOf(doc) {
				t.Fatalf("claims: %T, %v", got, err)
			}
			got, err = DocumentFromMdoc(ti.DocType, cborRoundTrip(t, doc.MdocElements(issueTime)))
			if err != nil || reflect.TypeOf(got) != reflect.TypeOf(doc) {
				t.Fatalf("mdoc: %T, %v", got, err)
			}
			if got, err := DocumentFromClaims(ti.VCT, map[string]any{"vct": ti.VCT}); err == nil || got != nil {
				t.Fatalf("partial claims: %v, %v", got, err)
			}
		})
	}
	if d, err := DocumentFromClaims("urn:other", map[string]any{}); !errors.Is(err, ErrWrongType) || d != nil {
		t.Fatalf("unknown vct: %v, %v", d, err)
	}
	if d, err := DocumentFromMdoc("org.iso.18013.5.1.mDL", nil); !errors.Is(err, ErrWrongType) || d != nil {
		t.Fatalf("unknown doctype: %v, %v", d, err)
	}
}
