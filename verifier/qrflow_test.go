package verifier

import (
	"errors"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/qr/request"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
)

// profileSDJWT issues the QR profile credential (the KTP-el QR) as an
// SD-JWT VC.
func (f *fixture) profileSDJWT(t testing.TB) *sdjwt.Unverified {
	t.Helper()
	o := f.ktpOpts()
	o.claims = f.ktp.QRSDJWTClaims(t0.Add(-24 * time.Hour))
	o.sd = disclosable(credential.QRType(), o.claims)
	return f.issueSDJWT(t, o)
}

// TestQRFreshnessBoundary: a response QR made exactly the window (plus the
// configured skew) ago verifies; one second older it fails at freshness,
// in both formats. (Moved here from package qr with qr.Verify.)
func TestQRFreshnessBoundary(t *testing.T) {
	f := newFixture(t)
	const skew = 5 * time.Second // f.verifier's ClockSkew
	mk := func(t *testing.T, format string, age time.Duration) string {
		b, err := qr.NewBinding(audience, t0.Add(-age), nil)
		if err != nil {
			t.Fatal(err)
		}
		var p qr.Presentation
		if format == "mdoc" {
			c := f.profileMdoc(t)
			p, err = qr.PresentMdoc(c, c.Elements(), b, f.holder, nil)
		} else {
			p, err = qr.PresentSDJWT(f.profileSDJWT(t), []sdjwt.Path{{credential.QRClaimID}}, b, f.holder, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		code, err := qr.Encode(qr.Envelope{Presentations: []qr.Presentation{p}})
		if err != nil {
			t.Fatal(err)
		}
		return string(code.Data)
	}
	for _, format := range []string{"sd-jwt", "mdoc"} {
		for _, tc := range []struct {
			name string
			age  time.Duration
			err  error
		}{
			{"fresh", 0, nil},
			{"at the window", DefaultWindow + skew, nil},
			{"a second past the window", DefaultWindow + skew + time.Second, ErrNotFresh},
			{"in the future within the skew", -skew, nil},
		} {
			t.Run(format+"/"+tc.name, func(t *testing.T) {
				_, err := f.verifier(t, nil).VerifyQR(ctx, mk(t, format, tc.age))
				if tc.err == nil {
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				var ve *check.Error
				if !errors.As(err, &ve) || ve.Check != check.Freshness || !errors.Is(err, tc.err) {
					t.Fatalf("got %v, want %v at the freshness check", err, tc.err)
				}
			})
		}
	}
}

// TestTwoWayFromRequestQR: the whole two-way flow — the bank's signed
// request QR, read by the wallet (request.Verify), answered in both
// formats with the binding the request gives — verifies with the
// request's nonce and fails at freshness with another. (Moved here from
// package qr with qr.Verify.)
func TestTwoWayFromRequestQR(t *testing.T) {
	f := newFixture(t)
	bankKey := mustKey(t)
	req := request.Request{Verifier: audience, Nonce: []byte("request-nonce-16"), IssuedAt: t0.Add(-time.Minute), Expires: t0.Add(4 * time.Minute),
		Query: request.Query{Credentials: []request.CredentialQuery{
			{ID: "ktp", Format: credential.FormatSDJWT, VCTValues: []string{credential.VCTQR}, Claims: []request.ClaimQuery{{Path: []any{credential.QRClaimID}}}},
			{ID: "ktp_mdoc", Format: credential.FormatMdoc, DoctypeValue: credential.DocTypeQR,
				Claims: []request.ClaimQuery{{Path: []any{credential.DocTypeQR, credential.QRClaimID}}}},
		}}}
	reqCode, err := request.Encode(req, request.SignOptions{Signer: bankKey, KeyID: "bank-1"})
	if err != nil {
		t.Fatal(err)
	}
	// The wallet.
	vr, err := request.Verify(reqCode.Data, request.Options{
		Verifiers: request.StaticVerifiers(request.RegisteredVerifier{ID: audience, Name: "Bank Contoh", KeyID: "bank-1", Key: bankKey.Public(),
			Claims: map[string][]string{credential.VCTQR: {credential.QRClaimID}, credential.DocTypeQR: {credential.QRClaimID}}}),
		Now: func() time.Time { return t0.Add(-50 * time.Second) }})
	if err != nil {
		t.Fatal(err)
	}
	b := vr.Binding(t0.Add(-40 * time.Second))
	var env qr.Envelope
	for _, q := range vr.Request().Query.Credentials {
		var p qr.Presentation
		if q.Format == credential.FormatSDJWT {
			p, err = qr.PresentSDJWT(f.profileSDJWT(t), q.SDJWTPaths(), b, f.holder, nil)
		} else {
			c := f.profileMdoc(t)
			p, err = qr.PresentMdoc(c, q.MdocRequest(), b, f.holder, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		env.Presentations = append(env.Presentations, p)
	}
	resp, err := qr.Encode(env)
	if err != nil {
		t.Fatal(err)
	}
	// The bank.
	res, err := f.verifier(t, nil).VerifyQRResponse(ctx, string(resp.Data), req.Nonce)
	if err != nil {
		t.Fatal(err)
	}
	if cs := res.Credentials(); len(cs) != 2 || cs[0].Type() != credential.VCTQR || cs[1].Type() != credential.DocTypeQR || res.NIK() != testNIK {
		t.Fatalf("verified %d credentials, NIK %q", len(cs), res.NIK())
	}
	_, err = f.verifier(t, nil).VerifyQRResponse(ctx, string(resp.Data), []byte("another-request!"))
	var ve *check.Error
	if !errors.As(err, &ve) || ve.Check != check.Freshness || !errors.Is(err, ErrNotFresh) {
		t.Fatalf("response to another request: %v, want ErrNotFresh at freshness", err)
	}
}
