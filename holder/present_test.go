package holder

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"io"
	"sort"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/keys"
)

const hospital = "https://rs-sehat.example.co.id"

func yes(got *ConsentRequest) ConsentFunc {
	return func(_ context.Context, r ConsentRequest) (bool, error) {
		if got != nil {
			*got = r
		}
		return true, nil
	}
}

// verifyQR verifies a presentation's single QR as a verifier would.
func verifyQR(t *testing.T, f *fixture, p *Presentation, at time.Time, nonce []byte) ([]qr.VerifiedPresentation, error) {
	t.Helper()
	if len(p.Codes) != 1 {
		t.Fatalf("%d QR codes", len(p.Codes))
	}
	return qr.Verify(p.Codes[0].Data, qr.VerifyOptions{
		Audience: hospital, Nonce: nonce, Now: func() time.Time { return at },
		SDJWT:           sdjwt.VerifyOptions{KeyResolver: f.is.trust},
		Mdoc:            mdocOpts(f),
		DocumentSigners: qr.StaticChains([]*x509.Certificate{f.is.leaf}),
	})
}

// disclosedSD returns the top-level claims revealed by disclosures.
func disclosedSD(v *sdjwt.Verified) []string {
	var out []string
	for _, p := range v.Disclosed() {
		out = append(out, p[0].(string))
	}
	sort.Strings(out)
	return out
}

func TestPresentSeveralCredentialsMinimalDisclosure(t *testing.T) {
	f := activated(t)
	var prompt ConsentRequest
	req := &Request{Verifier: hospital, Items: []RequestItem{
		{Type: credential.VCTKTPEL, Claims: []string{"name", "personal_administrative_number"}},
		{Type: credential.BPJSKesehatanType().VCT, Claims: []string{"card_number"}},
	}}
	p, err := f.w.Present(f.ctx, req, PresentOptions{Consent: yes(&prompt)})
	if err != nil {
		t.Fatal(err)
	}
	// The consent screen saw who asks and exactly what is shared.
	if prompt.Verifier != hospital || prompt.Verified || len(prompt.Items) != 2 || prompt.ValidFor != 90*time.Second {
		t.Fatalf("prompt %+v", prompt)
	}
	if c := prompt.Items[0].Claims; len(c) != 2 || c[0].Name != "name" || c[0].Value != "RINA KARTIKA SARI" || c[1].Value != testNIK {
		t.Fatalf("prompt claims %+v", c)
	}
	if c := prompt.Items[1].Claims; len(c) != 1 || c[0].Value != "0001234567890" {
		t.Fatalf("prompt claims %+v", c)
	}
	if !p.ExpiresAt.Equal(t0.Add(90 * time.Second)) {
		t.Fatalf("expires %v", p.ExpiresAt)
	}
	vps, err := verifyQR(t, f, p, t0.Add(10*time.Second), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(vps) != 2 {
		t.Fatalf("%d presentations", len(vps))
	}
	// Minimal disclosure: nothing beyond the request left the wallet.
	if got := disclosedSD(vps[0].SDJWT); len(got) != 2 || got[0] != "name" || got[1] != "personal_administrative_number" {
		t.Fatalf("KTP-el disclosed %v", got)
	}
	if got := disclosedSD(vps[1].SDJWT); len(got) != 1 || got[0] != "card_number" {
		t.Fatalf("BPJS disclosed %v", got)
	}
	for _, vp := range vps {
		for k := range vp.SDJWT.Claims() {
			switch k {
			case "name", "personal_administrative_number", "card_number", "vct", "iss", "iat", "exp", "cnf", "status", "issuing_country", "issuing_authority":
			default:
				t.Errorf("claim %q left the wallet", k)
			}
		}
	}
	// The QR is valid 90 seconds.
	if _, err := verifyQR(t, f, p, t0.Add(91*time.Second), nil); !errors.Is(err, qr.ErrNotFresh) {
		t.Fatalf("after 91 s: %v", err)
	}
	acts, _ := f.w.Activity(f.ctx)
	last := acts[len(acts)-1]
	if last.Kind != ActivityPresentation || last.Counterparty != hospital || len(last.Claims) != 3 || last.Format != credential.FormatSDJWT {
		t.Fatalf("activity %+v", last)
	}
}

func TestPresentMdocMinimal(t *testing.T) {
	f := activated(t)
	nonce := []byte("0123456789abcdef")
	doctype := credential.KTPELType().DocType
	req := &Request{Verifier: hospital, Nonce: nonce, Items: []RequestItem{{Type: doctype, Claims: []string{"name", "age_over_18"}}}}
	p, err := f.w.Present(f.ctx, req, PresentOptions{Consent: yes(nil)})
	if err != nil {
		t.Fatal(err)
	}
	vps, err := verifyQR(t, f, p, t0.Add(5*time.Second), nonce)
	if err != nil {
		t.Fatal(err)
	}
	ns := vps[0].Mdoc.Documents()[0].NameSpaces()
	if len(ns) != 1 || len(ns[doctype]) != 2 || ns[doctype]["name"] != "RINA KARTIKA SARI" || ns[doctype]["age_over_18"] != true {
		t.Fatalf("disclosed %v", ns)
	}
	// Another nonce (a replay to a two-way verifier) fails.
	if _, err := verifyQR(t, f, p, t0.Add(5*time.Second), []byte("fedcba9876543210")); err == nil {
		t.Fatal("wrong nonce accepted")
	}
}

func TestPresentQRProfileIdentityCheck(t *testing.T) {
	f := activated(t)
	for _, typ := range []string{qr.ProfileVCT, qr.ProfileDocType} {
		t.Run(typ, func(t *testing.T) {
			p, err := f.w.Present(f.ctx, &Request{Verifier: hospital, Items: []RequestItem{{Type: typ, Claims: []string{qr.ProfileID}}}},
				PresentOptions{Consent: yes(nil)})
			if err != nil {
				t.Fatal(err)
			}
			if p.Codes[0].Version > 20 { // the identity-check budget of docs/qr-format.md §8
				t.Errorf("identity check QR needs version %d", p.Codes[0].Version)
			}
			if _, err := verifyQR(t, f, p, t0.Add(time.Second), nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// countingKeystore counts the device key's signatures.
type countingKeystore struct {
	fakeKeystore
	signs int
}

type countingSigner struct {
	crypto.Signer
	n *int
}

func (s countingSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	*s.n++
	return s.Signer.Sign(r, d, o)
}

func (k *countingKeystore) CreateKey(ctx context.Context, alias string) (crypto.Signer, error) {
	s, err := k.fakeKeystore.CreateKey(ctx, alias)
	return countingSigner{s, &k.signs}, err
}

func (k *countingKeystore) LoadKey(ctx context.Context, alias string) (crypto.Signer, error) {
	s, err := k.fakeKeystore.LoadKey(ctx, alias)
	return countingSigner{s, &k.signs}, err
}

func TestConsentRefusedDisclosesNothing(t *testing.T) {
	ks := &countingKeystore{}
	f := activated(t, func(o *Options) { o.DeviceKeys = ks })
	signsBefore := ks.signs
	before, _ := f.w.Activity(f.ctx)
	for name, consent := range map[string]ConsentFunc{
		"refused": func(context.Context, ConsentRequest) (bool, error) { return false, nil },
		"error":   func(context.Context, ConsentRequest) (bool, error) { return true, errors.New("screen closed") },
	} {
		t.Run(name, func(t *testing.T) {
			p, err := f.w.Present(f.ctx, &Request{Verifier: hospital, Items: []RequestItem{{Type: credential.VCTKTPEL, Claims: []string{"name"}}}},
				PresentOptions{Consent: consent})
			if !errors.Is(err, ErrConsentRefused) || p != nil {
				t.Fatalf("got %v, %v", p, err)
			}
		})
	}
	after, _ := f.w.Activity(f.ctx)
	if len(after) != len(before)+2 || after[len(after)-1].Kind != ActivityConsentRefused {
		t.Fatalf("activity %+v", after)
	}
	if ks.signs != signsBefore {
		t.Fatalf("the device key signed %d times after consent was refused", ks.signs-signsBefore)
	}
	// A presentation that is agreed to does sign: the counter works.
	if _, err := f.w.Present(f.ctx, &Request{Verifier: hospital, Items: []RequestItem{{Type: credential.VCTKTPEL, Claims: []string{"name"}}}},
		PresentOptions{Consent: yes(nil)}); err != nil || ks.signs != signsBefore+1 {
		t.Fatalf("signatures %d, %v", ks.signs-signsBefore, err)
	}
}

func TestPresentErrors(t *testing.T) {
	f := activated(t)
	ktp := []RequestItem{{Type: credential.VCTKTPEL, Claims: []string{"name"}}}
	tests := []struct {
		name string
		req  *Request
		opts PresentOptions
		err  error
	}{
		{"no consent callback", &Request{Verifier: hospital, Items: ktp}, PresentOptions{}, ErrConfig},
		{"no verifier", &Request{Items: ktp}, PresentOptions{Consent: yes(nil)}, ErrInvalidInput},
		{"short nonce", &Request{Verifier: hospital, Nonce: []byte{1}, Items: ktp}, PresentOptions{Consent: yes(nil)}, ErrInvalidInput},
		{"no items", &Request{Verifier: hospital}, PresentOptions{Consent: yes(nil)}, ErrInvalidInput},
		{"repeated claim", &Request{Verifier: hospital, Items: []RequestItem{{Type: credential.VCTKTPEL, Claims: []string{"name", "name"}}}}, PresentOptions{Consent: yes(nil)}, ErrInvalidInput},
		{"unknown type", &Request{Verifier: hospital, Items: []RequestItem{{Type: credential.NPWPType().VCT, Claims: []string{"name"}}}}, PresentOptions{Consent: yes(nil)}, ErrNoMatch},
		{"unknown claim", &Request{Verifier: hospital, Items: []RequestItem{{Type: credential.VCTKTPEL, Claims: []string{"shoe_size"}}}}, PresentOptions{Consent: yes(nil)}, ErrNoMatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.w.Present(f.ctx, tc.req, tc.opts); !errors.Is(err, tc.err) {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
		})
	}
	t.Run("expired credential", func(t *testing.T) {
		f.clk.Advance(2 * 365 * 24 * time.Hour)
		defer f.clk.Advance(-2 * 365 * 24 * time.Hour)
		if _, err := f.w.Present(f.ctx, &Request{Verifier: hospital, Items: ktp}, PresentOptions{Consent: yes(nil)}); !errors.Is(err, ErrNoMatch) {
			t.Fatal(err)
		}
	})
	t.Run("locked", func(t *testing.T) {
		f.w.Lock()
		defer f.w.Unlock(f.ctx, testPIN)
		if _, err := f.w.Present(f.ctx, &Request{Verifier: hospital, Items: ktp}, PresentOptions{Consent: yes(nil)}); !errors.Is(err, ErrLocked) {
			t.Fatal(err)
		}
	})
}

func TestPINPerPresentation(t *testing.T) {
	f := activated(t, func(o *Options) { o.PINPerPresentation = true })
	req := &Request{Verifier: hospital, Items: []RequestItem{{Type: credential.VCTKTPEL, Claims: []string{"name"}}}}
	if _, err := f.w.Present(f.ctx, req, PresentOptions{Consent: yes(nil), PIN: "000000"}); !errors.Is(err, ErrWrongPIN) {
		t.Fatalf("wrong PIN: %v", err)
	}
	if _, err := f.w.Present(f.ctx, req, PresentOptions{Consent: yes(nil), PIN: testPIN}); err != nil {
		t.Fatal(err)
	}
}

func TestSignedRequestFromRegisteredVerifier(t *testing.T) {
	f := activated(t)
	vkey, _ := keys.Generate(keys.ES256, nil)
	doctype := credential.KTPELType().DocType
	reg := trustlist.Verifier{ID: hospital, Name: "RS Sehat", Keys: []trustlist.Key{{ID: "rs-1", Public: vkey.Public()}},
		Claims: map[string][]string{credential.VCTKTPEL: {"name"}, doctype: {"name"}}}
	lookup := TrustListVerifiers(signedList(t, f.is, []string{credential.VCTKTPEL}, nil, reg))
	nonce := []byte("request-nonce-01")
	request := func(signer crypto.Signer, q qr.CredentialQuery) []byte {
		c, err := qr.EncodeRequest(qr.Request{Verifier: hospital, Nonce: nonce, IssuedAt: t0, Expires: t0.Add(5 * time.Minute),
			Query: qr.Query{Credentials: []qr.CredentialQuery{q}}}, qr.RequestSignOptions{Signer: signer, KeyID: "rs-1"})
		if err != nil {
			t.Fatal(err)
		}
		return c.Data
	}
	sdName := qr.CredentialQuery{ID: "ktp", Format: qr.FormatSDJWT, VCTValues: []string{credential.VCTKTPEL}, Claims: []qr.ClaimQuery{{Path: []any{"name"}}}}
	mdocName := qr.CredentialQuery{ID: "ktp", Format: qr.FormatMdoc, DoctypeValue: doctype, Claims: []qr.ClaimQuery{{Path: []any{doctype, "name"}}}}
	for name, q := range map[string]qr.CredentialQuery{"SD-JWT VC": sdName, "mdoc": mdocName} {
		t.Run(name, func(t *testing.T) {
			req, err := f.w.ReadRequestQR(f.ctx, request(vkey, q), lookup)
			if err != nil {
				t.Fatal(err)
			}
			var prompt ConsentRequest
			p, err := f.w.Present(f.ctx, req, PresentOptions{Consent: yes(&prompt)})
			if err != nil {
				t.Fatal(err)
			}
			if !prompt.Verified || prompt.VerifierName != "RS Sehat" || len(prompt.Items[0].Claims) != 1 {
				t.Fatalf("prompt %+v", prompt)
			}
			// The verifier checks the response carries its request's nonce.
			if _, err := verifyQR(t, f, p, t0.Add(5*time.Second), nonce); err != nil {
				t.Fatal(err)
			}
		})
	}
	religion := sdName
	religion.Claims = []qr.ClaimQuery{{Path: []any{"name"}}, {Path: []any{"religion"}}}
	other, _ := keys.Generate(keys.ES256, nil)
	for name, payload := range map[string][]byte{
		"claim beyond the registration": request(vkey, religion),
		"signed by an unregistered key": request(other, sdName),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := f.w.ReadRequestQR(f.ctx, payload, lookup); !errors.Is(err, ErrUntrustedVerifier) {
				t.Fatalf("got %v", err)
			}
		})
	}
	t.Run("request altered after verification", func(t *testing.T) {
		req, err := f.w.ReadRequestQR(f.ctx, request(vkey, sdName), lookup)
		if err != nil {
			t.Fatal(err)
		}
		req.Items[0].Claims = append(req.Items[0].Claims, "religion")
		asked := false
		_, err = f.w.Present(f.ctx, req, PresentOptions{Consent: func(context.Context, ConsentRequest) (bool, error) { asked = true; return true, nil }})
		if !errors.Is(err, ErrUntrustedVerifier) || asked {
			t.Fatalf("got %v (consent asked: %v)", err, asked)
		}
	})
	t.Run("expired request", func(t *testing.T) {
		f.clk.Advance(time.Hour)
		defer f.clk.Advance(-time.Hour)
		if _, err := f.w.ReadRequestQR(f.ctx, request(vkey, sdName), lookup); !errors.Is(err, ErrInvalidInput) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestPresentLargeContentUsesFrames(t *testing.T) {
	portrait := append(append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 6000)...), 0xFF, 0xD9)
	for i := range portrait[4 : len(portrait)-2] {
		portrait[4+i] = byte(i*7919 + i/3) // incompressible enough
	}
	fields := mustKTPEL().Fields()
	fields.Portrait = portrait
	k, err := credential.NewKTPEL(fields)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: context.Background(), dir: t.TempDir() + "/wallet", clk: &clock{t: t0}}
	f.is = newIssuer(t, f.clk, k)
	f.opts = Options{KDF: testKDF, Trust: f.is.trust, Now: f.clk.Now}
	if f.w, err = Create(f.ctx, f.dir, testPIN, f.opts); err != nil {
		t.Fatal(err)
	}
	defer f.w.Close()
	g := f.is.grant(t)
	if _, err := f.w.Activate(f.ctx, f.is.iss, testIssuer, g.RegistrationID, g.Code); err != nil {
		t.Fatal(err)
	}
	doctype := credential.KTPELType().DocType
	p, err := f.w.Present(f.ctx, &Request{Verifier: hospital, Items: []RequestItem{{Type: doctype, Claims: []string{"name", "portrait"}}}},
		PresentOptions{Consent: yes(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Codes) < 2 {
		t.Fatalf("%d codes for a 6 KB portrait", len(p.Codes))
	}
	var a qr.Assembler
	for i := len(p.Codes) - 1; i >= 0; i-- { // any order
		if p.Codes[i].Version > qr.MaxFrameVersion {
			t.Fatalf("frame of version %d", p.Codes[i].Version)
		}
		if _, err := a.Add(p.Codes[i].Data); err != nil {
			t.Fatal(err)
		}
	}
	vps, err := a.Verify(qr.VerifyOptions{Audience: hospital, Now: func() time.Time { return t0.Add(20 * time.Second) },
		Mdoc: mdocOpts(f), DocumentSigners: qr.StaticChains([]*x509.Certificate{f.is.leaf})})
	if err != nil {
		t.Fatal(err)
	}
	if got := vps[0].Mdoc.Documents()[0].NameSpaces()[doctype]["portrait"]; len(got.([]byte)) != len(portrait) {
		t.Fatalf("portrait of %d bytes", len(got.([]byte)))
	}
}
