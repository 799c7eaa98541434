package sdjwt

import (
	"crypto"
	"crypto/ecdsa"
	"errors"
	"io"
	"testing"
)

// badSigner is a crypto.Signer for a P-256 key whose Sign returns a fixed,
// malformed ECDSA signature, as a broken HSM driver might.
type badSigner struct {
	key *ecdsa.PrivateKey
	der []byte
}

func (s badSigner) Public() crypto.PublicKey { return &s.key.PublicKey }
func (s badSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return s.der, nil
}

// TestMalformedSignerOutput: a signer returning a DER signature whose r is
// too long for P-256, negative, or not DER at all makes issuance and
// key-binding fail with an error, never panic.
func TestMalformedSignerOutput(t *testing.T) {
	f := newFixture(t)
	u, err := Parse(f.issued)
	if err != nil {
		t.Fatal(err)
	}
	sel, err := u.Select(P("nik"))
	if err != nil {
		t.Fatal(err)
	}
	long := append([]byte{0x30, 0x2a, 0x02, 0x25, 0x01}, make([]byte, 36)...)
	long = append(long, 0x02, 0x01, 0x01)
	for name, der := range map[string][]byte{
		"r too long": long,
		"negative r": {0x30, 0x06, 0x02, 0x01, 0x80, 0x02, 0x01, 0x01},
		"not DER":    []byte("signature"),
	} {
		t.Run(name, func(t *testing.T) {
			s := badSigner{key: f.holder, der: der}
			_, err := sel.Present(KeyBindingOptions{Signer: s, Audience: testAud, Nonce: testNonce, IssuedAt: ktpNow})
			if !errors.Is(err, ErrSigner) {
				t.Fatalf("Present: %v, want ErrSigner", err)
			}
			claims, sd := ktpClaims()
			if _, err := IssueVC(claims, IssueOptions{Signer: badSigner{key: f.issuer, der: der}, Disclosable: sd}); !errors.Is(err, ErrSigner) {
				t.Fatalf("IssueVC: %v, want ErrSigner", err)
			}
		})
	}
}
