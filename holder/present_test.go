package holder

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	mrand "math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/qr/request"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/verifier"
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

// hospitalVerifier is the hospital's verifier at time at (package
// verifier, the one place that decides "verified"): the test issuer in a
// trust list configured in code, its status lists in the cache.
func hospitalVerifier(t *testing.T, f *fixture, at time.Time) *verifier.Verifier {
	t.Helper()
	l, err := trustlist.NewLocal(&trustlist.List{Operator: hospital, Sequence: 1, IssuedAt: t0.Add(-time.Hour), NextUpdate: t0.Add(24 * time.Hour),
		Issuers: []trustlist.Issuer{{ID: testIssuer, Name: "Ditjen Dukcapil",
			Keys:      []trustlist.Key{{ID: "dukcapil-2026", Public: f.is.key.Public()}},
			IACARoots: []*x509.Certificate{f.is.root}, DocumentSigners: []*x509.Certificate{f.is.leaf},
			VCTs:     []string{credential.VCTKTPEL, credential.VCTBPJSKesehatan, credential.VCTQR, credential.VCTQRFull},
			DocTypes: []string{credential.DocTypeKTPEL, credential.DocTypeBPJSKesehatan, credential.DocTypeQR}}}})
	if err != nil {
		t.Fatal(err)
	}
	trust := fixedTrust{l}
	now := func() time.Time { return at }
	cache, err := statuslist.NewCache(statuslist.CacheConfig{Keys: verifier.StatusKeys(trust), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	lists, err := f.is.iss.StatusLists(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range lists {
		tok, err := f.is.iss.StatusListToken(f.ctx, r.Number)
		if err != nil {
			t.Fatal(err)
		}
		if err := cache.Add(r.URI, tok); err != nil {
			t.Fatal(err)
		}
	}
	v, err := verifier.New(verifier.Config{Trust: trust, Status: cache, Now: now, Audience: hospital,
		// The tests disclose minimally: a BPJS card_number alone is
		// accepted next to a KTP-el with the NIK.
		Policy: verifier.Policy{AllowUnregistered: true, AllowMissingNIK: true}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// fixedTrust is a verifier.TrustSource holding one list.
type fixedTrust struct{ l *trustlist.List }

func (f fixedTrust) Current() *trustlist.List { return f.l }

// verifyQR verifies a presentation's single QR as the hospital would.
// verifyQR verifies a presentation's QR, or its frames: two credentials
// bound to two device keys (one per copy) compress less well together than
// two bound to one key did, so two SD-JWT VCs may need frames.
func verifyQR(t *testing.T, f *fixture, p *Presentation, at time.Time, nonce []byte) (*verifier.Result, error) {
	t.Helper()
	if len(p.Codes) == 0 {
		t.Fatal("no QR code")
	}
	v := hospitalVerifier(t, f, at)
	if len(p.Codes) > 1 {
		frames := make([]string, len(p.Codes))
		for i, c := range p.Codes {
			frames[i] = string(c.Data)
		}
		if nonce != nil {
			return v.VerifyQRFramesResponse(f.ctx, nonce, frames...)
		}
		return v.VerifyQRFrames(f.ctx, frames...)
	}
	if nonce != nil {
		return v.VerifyQRResponse(f.ctx, string(p.Codes[0].Data), nonce)
	}
	return v.VerifyQR(f.ctx, string(p.Codes[0].Data))
}

// verifiedClaimNames returns the names of a verified credential's claims.
func verifiedClaimNames(c *verifier.Credential) []string {
	var out []string
	for k := range c.Claims() {
		out = append(out, k)
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
	// Each credential is presented from a copy of its own, bound to its
	// own device key: nothing in the two presentations links them but the
	// NIK disclosed. The verifier's rule that several credentials of one
	// response share one holder key (verifier.ErrHolderMismatch) predates
	// copies, so each presentation is verified in an envelope of its own.
	if len(p.Envelope.Presentations) != 2 {
		t.Fatalf("%d presentations", len(p.Envelope.Presentations))
	}
	var kbKeys []string
	var cs []*verifier.Credential
	for _, pr := range p.Envelope.Presentations {
		code, err := qr.Encode(qr.Envelope{Presentations: []qr.Presentation{pr}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := verifyQR(t, f, &Presentation{Codes: []qr.Code{code}}, t0.Add(10*time.Second), nil)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, res.Credentials()...)
		kbKeys = append(kbKeys, cnfThumbprint(t, pr.SDJWT))
	}
	if len(cs) != 2 || kbKeys[0] == kbKeys[1] {
		t.Fatalf("%d credentials, bound to %v", len(cs), kbKeys)
	}
	// Minimal disclosure: nothing beyond the request left the wallet (the
	// always-visible claims aside).
	always := []string{"cnf", "exp", "iat", "iss", "issuing_authority", "issuing_country", "status", "vct"}
	for i, want := range [][]string{{"name", "personal_administrative_number"}, {"card_number"}} {
		got := verifiedClaimNames(cs[i])
		for _, k := range got {
			if !slices.Contains(want, k) && !slices.Contains(always, k) {
				t.Errorf("credential %d: claim %q left the wallet", i, k)
			}
		}
		for _, k := range want {
			if !slices.Contains(got, k) {
				t.Errorf("credential %d: %q not disclosed", i, k)
			}
		}
	}
	// The QR is valid 90 seconds.
	code, _ := qr.Encode(qr.Envelope{Presentations: p.Envelope.Presentations[:1]})
	if _, err := verifyQR(t, f, &Presentation{Codes: []qr.Code{code}}, t0.Add(91*time.Second), nil); !errors.Is(err, verifier.ErrNotFresh) {
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
	res, err := verifyQR(t, f, p, t0.Add(5*time.Second), nonce)
	if err != nil {
		t.Fatal(err)
	}
	ns := res.Credentials()[0].NameSpaces()
	if len(ns) != 1 || len(ns[doctype]) != 2 || ns[doctype]["name"] != "RINA KARTIKA SARI" || ns[doctype]["age_over_18"] != true {
		t.Fatalf("disclosed %v", ns)
	}
	// Another nonce (a replay to a two-way verifier) fails.
	if _, err := verifyQR(t, f, p, t0.Add(5*time.Second), []byte("fedcba9876543210")); !errors.Is(err, verifier.ErrNotFresh) {
		t.Fatalf("wrong nonce: %v", err)
	}
}

func TestPresentQRProfileIdentityCheck(t *testing.T) {
	f := activated(t)
	for _, typ := range []string{credential.VCTQR, credential.DocTypeQR} {
		t.Run(typ, func(t *testing.T) {
			p, err := f.w.Present(f.ctx, &Request{Verifier: hospital, Items: []RequestItem{{Type: typ, Claims: []string{credential.QRClaimID}}}},
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
	lookup := request.TrustListVerifiers(signedList(t, f.is, []string{credential.VCTKTPEL}, nil, reg))
	nonce := []byte("request-nonce-01")
	signedRequest := func(signer crypto.Signer, q request.CredentialQuery) []byte {
		c, err := request.Encode(request.Request{Verifier: hospital, Nonce: nonce, IssuedAt: t0, Expires: t0.Add(5 * time.Minute),
			Query: request.Query{Credentials: []request.CredentialQuery{q}}}, request.SignOptions{Signer: signer, KeyID: "rs-1"})
		if err != nil {
			t.Fatal(err)
		}
		return c.Data
	}
	sdName := request.CredentialQuery{ID: "ktp", Format: credential.FormatSDJWT, VCTValues: []string{credential.VCTKTPEL}, Claims: []request.ClaimQuery{{Path: []any{"name"}}}}
	mdocName := request.CredentialQuery{ID: "ktp", Format: credential.FormatMdoc, DoctypeValue: doctype, Claims: []request.ClaimQuery{{Path: []any{doctype, "name"}}}}
	for name, q := range map[string]request.CredentialQuery{"SD-JWT VC": sdName, "mdoc": mdocName} {
		t.Run(name, func(t *testing.T) {
			req, err := f.w.ReadRequestQR(f.ctx, signedRequest(vkey, q), lookup)
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
	religion.Claims = []request.ClaimQuery{{Path: []any{"name"}}, {Path: []any{"religion"}}}
	other, _ := keys.Generate(keys.ES256, nil)
	// Finding 7 of issue 17: a type the verifier is not registered for,
	// even with no claims (the presentation would reveal iss, vct, cnf,
	// the status index and issuing_authority).
	npwp := request.CredentialQuery{ID: "npwp", Format: credential.FormatSDJWT, VCTValues: []string{credential.VCTNPWP}}
	for name, payload := range map[string][]byte{
		"claim beyond the registration":  signedRequest(vkey, religion),
		"type not registered, no claims": signedRequest(vkey, npwp),
		"signed by an unregistered key":  signedRequest(other, sdName),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := f.w.ReadRequestQR(f.ctx, payload, lookup); !errors.Is(err, ErrUntrustedVerifier) {
				t.Fatalf("got %v", err)
			}
		})
	}
	t.Run("request altered after verification", func(t *testing.T) {
		req, err := f.w.ReadRequestQR(f.ctx, signedRequest(vkey, sdName), lookup)
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
		if _, err := f.w.ReadRequestQR(f.ctx, signedRequest(vkey, sdName), lookup); !errors.Is(err, ErrInvalidInput) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestPresentLargeContentUsesFrames(t *testing.T) {
	// Incompressible, as a JPEG is: DEFLATE (and envelope version 2's
	// dictionary) shrinks a patterned stand-in below one QR's capacity.
	portrait := append(append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 6000)...), 0xFF, 0xD9)
	mrand.NewChaCha8([32]byte{23}).Read(portrait[4 : len(portrait)-2])
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
	if _, err := f.is.receive(f.ctx, f.w, g, ""); err != nil {
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
	frames := make([]string, len(p.Codes))
	for i, c := range p.Codes {
		frames[i] = string(c.Data)
	}
	res, err := hospitalVerifier(t, f, t0.Add(20*time.Second)).VerifyQRFrames(f.ctx, frames...)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := res.Credentials()[0].NameSpaces()[doctype]["portrait"].([]byte); len(got) != len(portrait) {
		t.Fatalf("portrait of %d bytes", len(got))
	}
}

// cnfThumbprint is the thumbprint of the cnf key of an SD-JWT VC (read
// without verifying: the test verified it).
func cnfThumbprint(t *testing.T, sdjwtVC string) string {
	t.Helper()
	jwt, _, _ := strings.Cut(sdjwtVC, "~")
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("issuer JWT of %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var pl struct {
		Cnf struct {
			JWK json.RawMessage `json:"jwk"`
		} `json:"cnf"`
	}
	if err := json.Unmarshal(b, &pl); err != nil {
		t.Fatal(err)
	}
	k, err := keys.ParsePublicJWK(pl.Cnf.JWK)
	if err != nil {
		t.Fatal(err)
	}
	tp, err := keys.Thumbprint(k)
	if err != nil {
		t.Fatal(err)
	}
	return tp
}
