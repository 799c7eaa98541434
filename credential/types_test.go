package credential

import "testing"

// Every type has a number of one-time copies (issue 19): a type without
// one would be issued and kept as a single, linkable credential.
func TestTypesHaveCopies(t *testing.T) {
	for _, ti := range append(Types(), QRType(), QRFullType()) {
		if ti.Copies < 2 {
			t.Errorf("%s: Copies %d", ti.Name, ti.Copies)
		}
	}
	if KTPELType().Copies != DefaultCopiesFrequent || QRType().Copies != DefaultCopiesFrequent || KKType().Copies != DefaultCopiesRare {
		t.Error("defaults")
	}
}
