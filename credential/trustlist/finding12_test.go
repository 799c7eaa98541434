package trustlist

import (
	"crypto"
	"errors"
	"io"
	"testing"
)

// overlongSigner is an HSM-like crypto.Signer that returns a DER ECDSA
// signature whose r and s are longer than the curve's order.
type overlongSigner struct{ crypto.Signer }

func (o overlongSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	sig := []byte{0x30, 0x46, 0x02, 0x21, 0x01}
	sig = append(sig, make([]byte, 32)...)
	sig = append(sig, 0x02, 0x21, 0x01)
	return append(sig, make([]byte, 32)...), nil
}

// TestFinding12OverlongSignatureIsAnError: issue 17 finding 12 — Sign
// panicked when the operator's crypto.Signer returned an over-long DER
// signature (r and s of 33 significant bytes on P-256). It must fail with
// ErrOptions and return no token.
func TestFinding12OverlongSignatureIsAnError(t *testing.T) {
	f := newFixture(t)
	var tok []byte
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("Sign panicked: %v", r)
			}
		}()
		tok, err = Sign(f.list, overlongSigner{f.op}, SignOptions{})
	}()
	if !errors.Is(err, ErrOptions) || tok != nil {
		t.Fatalf("Sign = %q, %v; want nil, ErrOptions", tok, err)
	}
}
