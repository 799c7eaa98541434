package verifier

import (
	"errors"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/credential/trustlist"
)

// qrSDJWT packs SD-JWT VC presentations into response QR text, each bound
// to this verifier with its own nonce.
func (f *fixture) qrSDJWT(t testing.TB, opts ...sdOpts) string {
	t.Helper()
	var ps []qr.Presentation
	for _, o := range opts {
		b, err := qr.NewBinding(audience, t0.Add(-5*time.Second), nil)
		if err != nil {
			t.Fatal(err)
		}
		u := f.issueSDJWT(t, o)
		reveal := o.reveal
		if reveal == nil {
			reveal = []sdjwt.Path{{"personal_administrative_number"}}
		}
		kb := o.kbSigner
		if kb == nil {
			kb = o.holder
		}
		p, err := qr.PresentSDJWT(u, reveal, b, kb, nil)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	code, err := qr.Encode(qr.Envelope{Presentations: ps})
	if err != nil {
		t.Fatal(err)
	}
	return string(code.Data)
}

func TestMultiCredential(t *testing.T) {
	f := newFixture(t)
	otherBPJS := func() sdOpts {
		o := f.bpjsOpts()
		o.claims["personal_administrative_number"] = "3174016508900011"
		return o
	}
	tests := []struct {
		name   string
		mod    func(*Config)
		qrText func(t *testing.T) string
		err    error
		types  []string
		// otherKey: the credentials are bound to different keys.
		otherKey bool
	}{
		{name: "KTP-el and BPJS, same holder and NIK", qrText: func(t *testing.T) string {
			return f.qrSDJWT(t, f.ktpOpts(), f.bpjsOpts())
		}, types: []string{credential.VCTKTPEL, credential.VCTBPJSKesehatan}},
		// One-time copies (issue 19): each copy has its own device key,
		// each proven by its own KB-JWT; the same NIK ties them.
		{name: "BPJS copy bound to another key of the holder, same NIK", otherKey: true, qrText: func(t *testing.T) string {
			b := f.bpjsOpts()
			b.holder = f.otherHolder
			return f.qrSDJWT(t, f.ktpOpts(), b)
		}, types: []string{credential.VCTKTPEL, credential.VCTBPJSKesehatan}},
		{name: "BPJS copy bound to another key, without its NIK, even with AllowMissingNIK", err: ErrHolderMismatch,
			mod: func(c *Config) { c.Policy.AllowMissingNIK = true }, qrText: func(t *testing.T) string {
				b := f.bpjsOpts()
				b.holder = f.otherHolder
				b.reveal = []sdjwt.Path{{"card_number"}}
				return f.qrSDJWT(t, f.ktpOpts(), b)
			}},
		{name: "BPJS of another NIK", err: ErrHolderMismatch, qrText: func(t *testing.T) string {
			return f.qrSDJWT(t, f.ktpOpts(), otherBPJS())
		}},
		{name: "BPJS without its NIK", err: ErrHolderMismatch, qrText: func(t *testing.T) string {
			b := f.bpjsOpts()
			b.reveal = []sdjwt.Path{{"card_number"}}
			return f.qrSDJWT(t, f.ktpOpts(), b)
		}},
		{name: "BPJS without its NIK, allowed by policy", mod: func(c *Config) { c.Policy.AllowMissingNIK = true },
			qrText: func(t *testing.T) string {
				b := f.bpjsOpts()
				b.reveal = []sdjwt.Path{{"card_number"}}
				return f.qrSDJWT(t, f.ktpOpts(), b)
			}, types: []string{credential.VCTKTPEL, credential.VCTBPJSKesehatan}},
		{name: "mdoc QR profile and BPJS mdoc", qrText: func(t *testing.T) string {
			b, _ := qr.NewBinding(audience, t0.Add(-5*time.Second), nil)
			k := f.profileMdoc(t)
			p1, err := qr.PresentMdoc(k, k.Elements(), b, f.holder, nil)
			if err != nil {
				t.Fatal(err)
			}
			bp := f.issueMdoc(t, f.bpjsMdoc())
			p2, err := qr.PresentMdoc(bp, map[string][]string{credential.DocTypeBPJSKesehatan: {"personal_administrative_number", "name"}}, b, f.holder, nil)
			if err != nil {
				t.Fatal(err)
			}
			code, err := qr.Encode(qr.Envelope{Presentations: []qr.Presentation{p1, p2}})
			if err != nil {
				t.Fatal(err)
			}
			return string(code.Data)
		}, types: []string{credential.DocTypeQR, credential.DocTypeBPJSKesehatan}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := f.verifier(t, tc.mod)
			res, err := v.VerifyQR(ctx, tc.qrText(t))
			if tc.err != nil {
				var ve *check.Error
				if !errors.Is(err, tc.err) || !errors.As(err, &ve) || ve.Check != check.Holder || ve.Credential != 1 {
					t.Fatalf("err = %v, want %v at check holder, credential 1", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.SameHolder() == tc.otherKey || res.NIK() != testNIK || len(res.Credentials()) != len(tc.types) {
				t.Fatalf("result %+v", res)
			}
			// Only the AllowMissingNIK case has a credential without NIK.
			if res.SameNIK() != (tc.mod == nil) {
				t.Fatalf("SameNIK = %v", res.SameNIK())
			}
			for i, typ := range tc.types {
				if res.Credentials()[i].Type() != typ {
					t.Errorf("credential %d is %s, want %s", i, res.Credentials()[i].Type(), typ)
				}
			}
		})
	}
}

func TestTrustListUpdateRemovesIssuer(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, nil)
	if _, err := v.VerifySDJWT(ctx, f.presentSDJWT(t, f.bpjsOpts()), "n-0123456789"); err != nil {
		t.Fatal(err)
	}
	// The operator drops BPJS; the verifier picks the new list up at once.
	if _, err := f.trust.Update(f.signList(t, 2, func(l *trustlist.List) { l.Issuers = l.Issuers[:2] })); err != nil {
		t.Fatal(err)
	}
	_, err := v.VerifySDJWT(ctx, f.presentSDJWT(t, f.bpjsOpts()), "n-0123456789")
	var ve *check.Error
	if !errors.As(err, &ve) || ve.Check != check.Trust || !errors.Is(err, ErrUntrustedIssuer) {
		t.Fatalf("err = %v", err)
	}
	// An mdoc under the dropped IACA fails the same way.
	st := transcript(t, "after-removal")
	_, err = v.VerifyMdoc(ctx, f.presentMdoc(t, f.bpjsMdoc(), st), st)
	if !errors.As(err, &ve) || ve.Check != check.Trust {
		t.Fatalf("mdoc err = %v", err)
	}
	// Replaying the old list is refused; the issuer stays removed.
	if _, err := f.trust.Update(f.signList(t, 1, nil)); !errors.Is(err, trustlist.ErrRollback) {
		t.Fatalf("rollback: %v", err)
	}
}

func TestNewRejects(t *testing.T) {
	f := newFixture(t)
	empty, _ := trustlist.NewStore(f.op.Public(), trustlist.StoreOptions{})
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no trust", Config{Status: f.status, Audience: audience}},
		{"no audience", Config{Trust: f.trust, Status: f.status}},
		{"no status cache", Config{Trust: f.trust, Audience: audience}},
		{"skew too large", Config{Trust: f.trust, Status: f.status, Audience: audience, ClockSkew: time.Hour}},
		{"window too large", Config{Trust: f.trust, Status: f.status, Audience: audience, Window: time.Hour}},
		{"negative replay cache", Config{Trust: f.trust, Status: f.status, Audience: audience, ReplayCacheSize: -1}},
		{"empty trust list", Config{Trust: empty, Status: f.status, Audience: audience}},
		{"unregistered verifier", Config{Trust: f.trust, Status: f.status, Audience: "https://shop.example"}},
		{"policy beyond what the trust list allows", Config{Trust: f.trust, Status: f.status, Audience: audience,
			Policy: Policy{Required: map[string][]string{credential.VCTKTPEL: {"religion"}}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); !errors.Is(err, ErrConfig) {
				t.Fatalf("err = %v", err)
			}
		})
	}
	if _, err := New(Config{Trust: f.trust, Audience: "https://shop.example", Policy: Policy{SkipStatus: true, AllowUnregistered: true}}); err != nil {
		t.Fatalf("loud opt-outs rejected: %v", err)
	}
}

func TestResultTyped(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, nil)
	// Partial disclosure: generic claims only, no typed document.
	o := f.ktpOpts()
	o.reveal = []sdjwt.Path{{"personal_administrative_number"}, {"birthdate"}}
	res, err := v.VerifySDJWT(ctx, f.presentSDJWT(t, o), o.nonce)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Credentials()[0]
	if c.Document() != nil || c.Claims()["birthdate"] != "1995-08-17" || c.NIK() != testNIK || c.StatusAge() != 10*time.Minute {
		t.Fatalf("partial: %+v", c)
	}
	if _, ok := c.Claims()["given_name"]; ok {
		t.Fatal("undisclosed claim present")
	}
	// Full NPWP and BPJS decode to their types.
	for _, o := range []sdOpts{f.npwpOpts(), f.bpjsOpts()} {
		res, err := v.VerifySDJWT(ctx, f.presentSDJWT(t, o), o.nonce)
		if err != nil {
			t.Fatal(err)
		}
		switch d := res.Credentials()[0].Document().(type) {
		case *credential.NPWP, *credential.BPJSKesehatan:
		default:
			t.Fatalf("%s decoded to %T", o.iss, d)
		}
	}
	// An mdoc BPJS decodes too.
	st := transcript(t, "typed")
	res, err = v.VerifyMdoc(ctx, f.presentMdoc(t, f.bpjsMdoc(), st), st)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.Credentials()[0].Document().(*credential.BPJSKesehatan); !ok {
		t.Fatalf("mdoc BPJS decoded to %T", res.Credentials()[0].Document())
	}
	if res.Credentials()[0].Format() != credential.FormatMdoc || res.Credentials()[0].IssuerName() != "BPJS Kesehatan" {
		t.Fatalf("%+v", res.Credentials()[0])
	}
}

func TestTwoWayNonce(t *testing.T) {
	f := newFixture(t)
	nonce := []byte("request-nonce-16")
	mk := func(t *testing.T, n []byte, asMdoc bool) string {
		b, err := qr.NewBinding(audience, t0.Add(-5*time.Second), nil)
		if err != nil {
			t.Fatal(err)
		}
		b.Nonce = n
		var p qr.Presentation
		if asMdoc {
			c := f.profileMdoc(t)
			p, err = qr.PresentMdoc(c, c.Elements(), b, f.holder, nil)
		} else {
			o := f.ktpOpts()
			p, err = qr.PresentSDJWT(f.issueSDJWT(t, o), []sdjwt.Path{{"personal_administrative_number"}}, b, f.holder, nil)
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
	for _, asMdoc := range []bool{false, true} {
		v := f.verifier(t, nil)
		res, err := v.VerifyQRResponse(ctx, mk(t, nonce, asMdoc), nonce)
		if err != nil {
			t.Fatalf("mdoc=%v: matching nonce: %v", asMdoc, err)
		}
		if !res.SameNIK() || res.NIK() != testNIK {
			t.Fatalf("mdoc=%v: %+v", asMdoc, res)
		}
		_, err = v.VerifyQRResponse(ctx, mk(t, []byte("another-nonce-16"), asMdoc), nonce)
		var ve *check.Error
		if !errors.As(err, &ve) || ve.Check != check.Freshness || !errors.Is(err, ErrNotFresh) {
			t.Fatalf("mdoc=%v: other nonce: %v", asMdoc, err)
		}
	}
	if _, err := f.verifier(t, nil).VerifyQRResponse(ctx, "x", []byte("short")); !errors.Is(err, ErrConfig) {
		t.Fatalf("short nonce: %v", err)
	}
	// The same as a frame sequence: the request's nonce is checked.
	frames := func(t *testing.T, n []byte) []string {
		env, err := qr.DecodeString(mk(t, n, false))
		if err != nil {
			t.Fatal(err)
		}
		codes, err := qr.EncodeFrames(*env)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range codes {
			out = append(out, string(c.Data))
		}
		return out
	}
	v := f.verifier(t, nil)
	if _, err := v.VerifyQRFramesResponse(ctx, nonce, frames(t, nonce)...); err != nil {
		t.Fatalf("frames, matching nonce: %v", err)
	}
	_, err := v.VerifyQRFramesResponse(ctx, nonce, frames(t, []byte("another-nonce-16"))...)
	var ve *check.Error
	if !errors.As(err, &ve) || ve.Check != check.Freshness || !errors.Is(err, ErrNotFresh) {
		t.Fatalf("frames, other nonce: %v", err)
	}
	if _, err := v.VerifyQRFramesResponse(ctx, []byte("short"), frames(t, nonce)...); !errors.Is(err, ErrConfig) {
		t.Fatalf("frames, short nonce: %v", err)
	}
}

func TestConcurrentVerification(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, nil)
	o := f.ktpOpts()
	p := f.presentSDJWT(t, o)
	// Eight goroutines verify the same presentation at once: exactly one
	// succeeds, the others see a replay.
	results := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			_, err := v.VerifySDJWT(ctx, p, o.nonce)
			results <- err
		}()
	}
	ok := 0
	for i := 0; i < 8; i++ {
		err := <-results
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrReplay):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d verifications succeeded, want 1", ok)
	}
}
