package issuer

import (
	"testing"

	"github.com/ikdkit/ikdkit/credential"
)

// TestQRProfileMetadataNamesEveryUnit: the compact QR profile's metadata
// describes each of its selectively disclosable units, in both formats, so
// a wallet can show every one before it is disclosed.
func TestQRProfileMetadataNamesEveryUnit(t *testing.T) {
	units := credential.QRType().SelectivelyDisclosable()
	if len(units) != 4 {
		t.Fatalf("the compact QR profile has %d units, want 4", len(units))
	}
	for _, f := range []credential.Format{credential.FormatSDJWT, credential.FormatMdoc} {
		md := qrProfileMetadata(f)
		for _, u := range units {
			name := u[len(u)-1].(string)
			found := false
			for _, c := range md.Claims {
				if last, _ := c.Path[len(c.Path)-1].(string); last == name && len(c.Display) == 2 {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: metadata lacks the unit %q", f, name)
			}
		}
	}
}
