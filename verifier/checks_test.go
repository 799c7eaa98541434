package verifier

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
)

type checkRow struct {
	name  string
	mod   func(*Config) // verifier configuration change
	run   func(t *testing.T, f *fixture, v *Verifier) (*Result, error)
	check check.Check
	err   error
}

func runRows(t *testing.T, rows []checkRow) {
	f := newFixture(t)
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			f.clock.Set(t0)
			v := f.verifier(t, r.mod)
			res, err := r.run(t, f, v)
			if r.err == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if res != nil {
				t.Fatal("result returned with an error")
			}
			var ve *check.Error
			if !errors.As(err, &ve) {
				t.Fatalf("error %v is not a *check.Error", err)
			}
			if ve.Check != r.check || !errors.Is(err, r.err) {
				t.Fatalf("got check %v / %v, want %v / %v", ve.Check, err, r.check, r.err)
			}
		})
	}
}

// TestChecksSDJWT has one row per check, each failing for exactly its
// reason, for SD-JWT VC presentations.
func TestChecksSDJWT(t *testing.T) {
	fromF := func(mod func(f *fixture, o *sdOpts)) func(t *testing.T, f *fixture, v *Verifier) (*Result, error) {
		return func(t *testing.T, f *fixture, v *Verifier) (*Result, error) {
			o := f.ktpOpts()
			if mod != nil {
				mod(f, &o)
			}
			return v.VerifySDJWT(ctx, f.presentSDJWT(t, o), "n-0123456789")
		}
	}
	rows := []checkRow{
		{name: "valid KTP-el", run: fromF(nil)},
		{name: "format: not an SD-JWT", check: check.Format, err: ErrMalformed,
			run: func(t *testing.T, f *fixture, v *Verifier) (*Result, error) {
				return v.VerifySDJWT(ctx, "not.an.sdjwt", "n")
			}},
		{name: "format: issuer JWT not base64url", check: check.Format, err: ErrMalformed,
			run: func(t *testing.T, f *fixture, v *Verifier) (*Result, error) {
				return v.VerifySDJWT(ctx, "e30=.e30.x~", "n")
			}},
		{name: "format: too large", check: check.Format, err: ErrMalformed,
			run: func(t *testing.T, f *fixture, v *Verifier) (*Result, error) {
				return v.VerifySDJWT(ctx, strings.Repeat("a", 300<<10), "n")
			}},
		{name: "trust: unknown issuer", check: check.Trust, err: ErrUntrustedIssuer,
			run: fromF(func(f *fixture, o *sdOpts) { o.iss, o.signer = "https://evil.example", f.evil })},
		{name: "trust: unknown kid", check: check.Trust, err: ErrUntrustedIssuer,
			run: fromF(func(f *fixture, o *sdOpts) { o.kid = "dk-9" })},
		{name: "authorization: NPWP signed by Dukcapil", check: check.Authorization, err: ErrUnauthorizedType,
			run: fromF(func(f *fixture, o *sdOpts) {
				n := f.npwpOpts()
				o.claims, o.sd = n.claims, n.sd
			})},
		{name: "signature: forged with another key", check: check.Signature, err: ErrSignature,
			run: fromF(func(f *fixture, o *sdOpts) { o.signer = f.evil })},
		{name: "disclosure: altered disclosure", check: check.Disclosure, err: ErrDisclosure,
			run: fromF(func(f *fixture, o *sdOpts) {
				o.tamper = func(p string) string {
					parts := strings.Split(p, "~")
					parts[1] = base64.RawURLEncoding.EncodeToString([]byte(`["c2FsdHNhbHRzYWx0","given_name","MALLORY"]`))
					return strings.Join(parts, "~")
				}
			})},
		{name: "holder binding: KB-JWT by another key", check: check.HolderBinding, err: ErrHolderBinding,
			run: fromF(func(f *fixture, o *sdOpts) { o.kbSigner = f.otherHolder })},
		{name: "holder binding: no KB-JWT", check: check.HolderBinding, err: ErrHolderBinding,
			run: func(t *testing.T, f *fixture, v *Verifier) (*Result, error) {
				p := f.presentSDJWT(t, f.ktpOpts())
				return v.VerifySDJWT(ctx, p[:strings.LastIndexByte(p, '~')+1], "n-0123456789")
			}},
		{name: "holder binding: made for another verifier", check: check.HolderBinding, err: ErrAudience,
			run: fromF(func(f *fixture, o *sdOpts) { o.aud = "https://other.example" })},
		{name: "freshness: older than the window", check: check.Freshness, err: ErrNotFresh,
			run: fromF(func(f *fixture, o *sdOpts) { o.kbAt = t0.Add(-2 * time.Minute) })},
		{name: "freshness: from the future beyond the skew", check: check.Freshness, err: ErrNotFresh,
			run: fromF(func(f *fixture, o *sdOpts) { o.kbAt = t0.Add(time.Minute) })},
		{name: "freshness: within the skew is accepted", run: fromF(func(f *fixture, o *sdOpts) { o.kbAt = t0.Add(4 * time.Second) })},
		{name: "freshness: wrong nonce", check: check.Freshness, err: ErrNotFresh,
			run: fromF(func(f *fixture, o *sdOpts) { o.nonce = "another-nonce" })},
		{name: "replay: same presentation twice", check: check.Replay, err: ErrReplay,
			run: func(t *testing.T, f *fixture, v *Verifier) (*Result, error) {
				p := f.presentSDJWT(t, f.ktpOpts())
				if _, err := v.VerifySDJWT(ctx, p, "n-0123456789"); err != nil {
					t.Fatal(err)
				}
				return v.VerifySDJWT(ctx, p, "n-0123456789")
			}},
		{name: "validity: expired", check: check.Validity, err: ErrExpired,
			run: fromF(func(f *fixture, o *sdOpts) { o.exp = t0.Add(-time.Hour) })},
		// The order of the checks: the credential's validity period (signed
		// by the issuer) comes before holder binding, freshness and replay;
		// replay before status.
		{name: "order: expired and made for another verifier", check: check.Validity, err: ErrExpired,
			run: fromF(func(f *fixture, o *sdOpts) { o.exp, o.aud = t0.Add(-time.Hour), "https://other.example" })},
		{name: "order: expired and older than the window", check: check.Validity, err: ErrExpired,
			run: fromF(func(f *fixture, o *sdOpts) { o.exp, o.kbAt = t0.Add(-time.Hour), t0.Add(-2*time.Minute) })},
		{name: "order: expired and replayed", check: check.Validity, err: ErrExpired,
			run: func(t *testing.T, f *fixture, v *Verifier) (*Result, error) {
				o := f.ktpOpts()
				o.exp = t0.Add(-time.Hour)
				p := f.presentSDJWT(t, o)
				if _, err := v.VerifySDJWT(ctx, p, "n-0123456789"); !errors.Is(err, ErrExpired) {
					t.Fatalf("first: %v, want ErrExpired", err)
				}
				return v.VerifySDJWT(ctx, p, "n-0123456789")
			}},
		{name: "order: revoked and replayed", check: check.Replay, err: ErrReplay,
			run: func(t *testing.T, f *fixture, v *Verifier) (*Result, error) {
				o := f.ktpOpts()
				o.statusIdx = idxRevoked
				p := f.presentSDJWT(t, o)
				if _, err := v.VerifySDJWT(ctx, p, "n-0123456789"); !errors.Is(err, ErrRevoked) {
					t.Fatalf("first: %v, want ErrRevoked", err)
				}
				return v.VerifySDJWT(ctx, p, "n-0123456789")
			}},
		{name: "status: revoked", check: check.Status, err: ErrRevoked,
			run: fromF(func(f *fixture, o *sdOpts) { o.statusIdx = idxRevoked })},
		{name: "status: suspended", check: check.Status, err: ErrSuspended,
			run: fromF(func(f *fixture, o *sdOpts) { o.statusIdx = idxSuspend })},
		{name: "status: too old for the policy", check: check.Status, err: ErrStatusStale,
			mod: func(c *Config) { c.Policy.MaxStatusAge = 5 * time.Minute }, run: fromF(nil)},
		{name: "status: index beyond the list", check: check.Status, err: ErrStatusUnavailable,
			run: fromF(func(f *fixture, o *sdOpts) { o.statusIdx = idxUnlisted })},
		{name: "status: no status claim", check: check.Status, err: ErrStatusUnavailable,
			run: fromF(func(f *fixture, o *sdOpts) { o.statusIdx = -1 })},
		{name: "status: no status claim allowed by policy", mod: func(c *Config) { c.Policy.AllowNoStatus = true },
			run: fromF(func(f *fixture, o *sdOpts) { o.statusIdx = -1 })},
		{name: "policy: required claim not disclosed", check: check.Policy, err: ErrPolicy,
			mod: func(c *Config) {
				c.Policy.Required = map[string][]string{credential.VCTKTPEL: {"personal_administrative_number", "given_name"}}
			},
			run: fromF(func(f *fixture, o *sdOpts) { o.reveal = []sdjwt.Path{{"personal_administrative_number"}} })},
		{name: "policy: required type missing", check: check.Policy, err: ErrPolicy,
			mod: func(c *Config) { c.Policy.RequiredTypes = []string{credential.VCTBPJSKesehatan} }, run: fromF(nil)},
	}
	runRows(t, rows)
}

// TestChecksMdoc has one row per check for mdoc presentations: raw
// DeviceResponses with an OpenID4VP transcript, and offline QR envelopes
// for the checks that need the QR binding (audience, time).
func TestChecksMdoc(t *testing.T) {
	raw := func(mod func(f *fixture, o *mdOpts), request func(map[string][]string)) func(t *testing.T, f *fixture, v *Verifier) (*Result, error) {
		return func(t *testing.T, f *fixture, v *Verifier) (*Result, error) {
			o := f.ktpMdoc()
			if mod != nil {
				mod(f, &o)
			}
			st := transcript(t, "nonce-"+t.Name())
			c := f.issueMdoc(t, o)
			req := c.Elements()
			if request != nil {
				request(req)
			}
			dr, err := mdoc.Present(c, req, mdoc.PresentOptions{SessionTranscript: st, DeviceKey: o.device})
			if err != nil {
				t.Fatal(err)
			}
			return v.VerifyMdoc(ctx, dr, st)
		}
	}
	viaQR := func(b func(*qr.Binding)) func(t *testing.T, f *fixture, v *Verifier) (*Result, error) {
		return func(t *testing.T, f *fixture, v *Verifier) (*Result, error) {
			return v.VerifyQR(ctx, f.qrMdoc(t, f.profileMdoc(t), b))
		}
	}
	rows := []checkRow{
		{name: "valid KTP-el", run: raw(nil, nil)},
		{name: "valid QR profile", run: viaQR(nil)},
		{name: "format: not CBOR", check: check.Format, err: ErrMalformed,
			run: func(t *testing.T, f *fixture, v *Verifier) (*Result, error) {
				return v.VerifyMdoc(ctx, []byte{0xff, 0x00}, transcript(t, "x"))
			}},
		{name: "format: QR text not an envelope", check: check.Format, err: ErrMalformed,
			run: func(t *testing.T, f *fixture, v *Verifier) (*Result, error) { return v.VerifyQR(ctx, "HELLO") }},
		{name: "trust: IACA not in the trust list", check: check.Trust, err: ErrUntrustedIssuer,
			run: raw(func(f *fixture, o *mdOpts) { o.pki = f.evilPKI }, nil)},
		{name: "authorization: NPWP doctype under Dukcapil's IACA", check: check.Authorization, err: ErrUnauthorizedType,
			run: raw(func(f *fixture, o *mdOpts) {
				o.docType, o.ns = credential.DocTypeNPWP, f.npwp.MdocElements(t0)
			}, nil)},
		{name: "signature: DS certificate of another key", check: check.Signature, err: ErrSignature,
			run: raw(func(f *fixture, o *mdOpts) { o.pki.dsKey = f.evil }, nil)},
		{name: "disclosure: altered element value", check: check.Disclosure, err: ErrDisclosure,
			run: func(t *testing.T, f *fixture, v *Verifier) (*Result, error) {
				st := transcript(t, "tamper")
				dr := f.presentMdoc(t, f.ktpMdoc(), st)
				dr = bytes.Replace(dr, []byte("RINA KARTIKA SARI"), []byte("RINA KARTIKA SARA"), 1)
				return v.VerifyMdoc(ctx, dr, st)
			}},
		{name: "holder binding: device signature over another transcript", check: check.HolderBinding, err: ErrHolderBinding,
			run: func(t *testing.T, f *fixture, v *Verifier) (*Result, error) {
				dr := f.presentMdoc(t, f.ktpMdoc(), transcript(t, "a"))
				return v.VerifyMdoc(ctx, dr, transcript(t, "b"))
			}},
		{name: "holder binding: QR bound to another verifier", check: check.HolderBinding, err: ErrAudience,
			run: viaQR(func(b *qr.Binding) { b.Audience = "https://other.example" })},
		{name: "freshness: QR older than the window", check: check.Freshness, err: ErrNotFresh,
			run: viaQR(func(b *qr.Binding) { b.IssuedAt = t0.Add(-2 * time.Minute) })},
		{name: "freshness: QR from the future", check: check.Freshness, err: ErrNotFresh,
			run: viaQR(func(b *qr.Binding) { b.IssuedAt = t0.Add(time.Minute) })},
		{name: "replay: same response twice", check: check.Replay, err: ErrReplay,
			run: func(t *testing.T, f *fixture, v *Verifier) (*Result, error) {
				st := transcript(t, "replay")
				dr := f.presentMdoc(t, f.ktpMdoc(), st)
				if _, err := v.VerifyMdoc(ctx, dr, st); err != nil {
					t.Fatal(err)
				}
				return v.VerifyMdoc(ctx, dr, st)
			}},
		{name: "replay: same QR twice", check: check.Replay, err: ErrReplay,
			run: func(t *testing.T, f *fixture, v *Verifier) (*Result, error) {
				q := f.qrMdoc(t, f.profileMdoc(t), nil)
				if _, err := v.VerifyQR(ctx, q); err != nil {
					t.Fatal(err)
				}
				return v.VerifyQR(ctx, q)
			}},
		{name: "validity: expired", check: check.Validity, err: ErrExpired,
			run: raw(func(f *fixture, o *mdOpts) { o.validUntil = t0.Add(-time.Hour) }, nil)},
		{name: "order: expired and signed over another transcript", check: check.Validity, err: ErrExpired,
			run: func(t *testing.T, f *fixture, v *Verifier) (*Result, error) {
				o := f.ktpMdoc()
				o.validUntil = t0.Add(-time.Hour)
				dr := f.presentMdoc(t, o, transcript(t, "a"))
				return v.VerifyMdoc(ctx, dr, transcript(t, "b"))
			}},
		{name: "order: expired and replayed", check: check.Validity, err: ErrExpired,
			run: func(t *testing.T, f *fixture, v *Verifier) (*Result, error) {
				o := f.ktpMdoc()
				o.validUntil = t0.Add(-time.Hour)
				st := transcript(t, "replay-expired")
				dr := f.presentMdoc(t, o, st)
				if _, err := v.VerifyMdoc(ctx, dr, st); !errors.Is(err, ErrExpired) {
					t.Fatalf("first: %v, want ErrExpired", err)
				}
				return v.VerifyMdoc(ctx, dr, st)
			}},
		{name: "status: revoked", check: check.Status, err: ErrRevoked,
			run: raw(func(f *fixture, o *mdOpts) { o.statusIdx = idxRevoked }, nil)},
		{name: "status: suspended", check: check.Status, err: ErrSuspended,
			run: raw(func(f *fixture, o *mdOpts) { o.statusIdx = idxSuspend }, nil)},
		{name: "status: too old for the policy", check: check.Status, err: ErrStatusStale,
			mod: func(c *Config) { c.Policy.MaxStatusAge = 5 * time.Minute }, run: raw(nil, nil)},
		{name: "status: no status reference", check: check.Status, err: ErrStatusUnavailable,
			run: raw(func(f *fixture, o *mdOpts) { o.statusIdx = -1 }, nil)},
		{name: "policy: required element not disclosed", check: check.Policy, err: ErrPolicy,
			mod: func(c *Config) {
				c.Policy.Required = map[string][]string{credential.DocTypeKTPEL: {"personal_administrative_number", "birth_date"}}
			},
			run: raw(nil, func(req map[string][]string) {
				req[credential.DocTypeKTPEL] = []string{"personal_administrative_number", "name"}
			})},
	}
	runRows(t, rows)
}

func (f *fixture) profileMdoc(t testing.TB) *mdoc.IssuerSigned {
	t.Helper()
	return f.issueMdoc(t, mdOpts{pki: f.dukcapilPKI, docType: credential.DocTypeQR, ns: f.ktp.QRMdocElements(t0.Add(-24 * time.Hour)),
		device: f.holder, validUntil: t0.Add(credential.QRValidity - 24*time.Hour), statusIdx: idxValid})
}

// qrMdoc packs an mdoc presentation of every element into response QR text.
func (f *fixture) qrMdoc(t testing.TB, c *mdoc.IssuerSigned, mod func(*qr.Binding)) string {
	t.Helper()
	b, err := qr.NewBinding(audience, t0.Add(-5*time.Second), nil)
	if err != nil {
		t.Fatal(err)
	}
	if mod != nil {
		mod(&b)
	}
	p, err := qr.PresentMdoc(c, c.Elements(), b, f.holder, nil)
	if err != nil {
		t.Fatal(err)
	}
	code, err := qr.Encode(qr.Envelope{Presentations: []qr.Presentation{p}})
	if err != nil {
		t.Fatal(err)
	}
	return string(code.Data)
}
