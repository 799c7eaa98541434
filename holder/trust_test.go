package holder

import (
	"context"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/keys"
)

// signedList builds a trust list listing the test issuer for types.
func signedList(t *testing.T, is *testIssuerEnv, vcts, docTypes []string, verifiers ...trustlist.Verifier) *trustlist.List {
	t.Helper()
	op, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		t.Fatal(err)
	}
	l := &trustlist.List{Operator: "https://trust.example.go.id", Sequence: 1, IssuedAt: t0, NextUpdate: t0.AddDate(0, 1, 0),
		Issuers: []trustlist.Issuer{{ID: testIssuer, Name: "Ditjen Dukcapil", Keys: []trustlist.Key{{ID: "dukcapil-2026", Public: is.key.Public()}},
			IACARoots: []*x509.Certificate{is.root}, VCTs: vcts, DocTypes: docTypes}}, Verifiers: verifiers}
	tok, err := trustlist.Sign(l, op, trustlist.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := trustlist.Verify(tok, op.Public())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestTrustListAuthorisesTypes(t *testing.T) {
	allV := []string{credential.VCTKTPEL, credential.BPJSKesehatanType().VCT, credential.VCTQR}
	allD := []string{credential.KTPELType().DocType, credential.BPJSKesehatanType().DocType, credential.DocTypeQR}
	tests := []struct {
		name        string
		vcts, docts []string
		err         error
	}{
		{"every type authorised", allV, allD, nil},
		{"BPJS SD-JWT VC not authorised", allV[:1:1], allD, ErrUntrustedIssuer},
		{"QR profile mdoc not authorised", allV, allD[:2], ErrUntrustedIssuer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.w.opts.Trust = TrustList(signedList(t, f.is, append([]string(nil), tc.vcts...), tc.docts))
			g := f.is.grant(t)
			_, err := f.is.receive(context.Background(), f.w, g, "")
			if !errors.Is(err, tc.err) && !(tc.err == nil && err == nil) {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
		})
	}
}
