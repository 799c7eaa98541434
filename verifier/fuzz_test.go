package verifier

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/keys"
)

// seedTrust is the trust list matching the keys in testdata/verifier.
func seedTrust(tb testing.TB) *trustlist.Store {
	tb.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("../testdata", name))
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	op, err := keys.ParsePrivateKeyPEM(read("trustlist/operator.key.pem"))
	if err != nil {
		tb.Fatal(err)
	}
	iss, err := keys.ParsePrivateKeyPEM(read("verifier/issuer.key.pem"))
	if err != nil {
		tb.Fatal(err)
	}
	root, err := keys.ParseCertificatesPEM(read("verifier/iaca.pem"))
	if err != nil {
		tb.Fatal(err)
	}
	ds, err := keys.ParseCertificatesPEM(read("verifier/ds.pem"))
	if err != nil {
		tb.Fatal(err)
	}
	tok, err := trustlist.Sign(&trustlist.List{Operator: "https://trust.example.go.id", Sequence: 1,
		IssuedAt: t0.Add(-time.Hour), NextUpdate: t0.Add(time.Hour),
		Issuers: []trustlist.Issuer{{ID: "https://dukcapil.example.go.id", Name: "Ditjen Dukcapil",
			Keys: []trustlist.Key{{ID: "dk-1", Public: iss.Public()}}, IACARoots: []*x509.Certificate{root[0]},
			DocumentSigners: []*x509.Certificate{ds[0]}, VCTs: []string{credential.VCTQR}, DocTypes: []string{credential.DocTypeQR}}},
	}, op, trustlist.SignOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	s, err := trustlist.NewStore(op.Public(), trustlist.StoreOptions{Now: func() time.Time { return t0 }})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := s.Update(tok); err != nil {
		tb.Fatal(err)
	}
	return s
}

func seedVerifier(tb testing.TB, trust *trustlist.Store) *Verifier {
	tb.Helper()
	v, err := New(Config{Trust: trust, Now: func() time.Time { return t0.Add(10 * time.Second) }, Audience: audience,
		Policy: Policy{SkipStatus: true, AllowUnregistered: true}})
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func seedQRs(tb testing.TB) map[string][]byte {
	paths, err := filepath.Glob("../testdata/verifier/*.qr")
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no seed QR payloads in testdata/verifier (%v)", err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

// TestSeedsVerify makes sure the fuzz seeds are valid presentations, so the
// fuzzer starts from inputs that reach every check.
func TestSeedsVerify(t *testing.T) {
	trust := seedTrust(t)
	for name, q := range seedQRs(t) {
		t.Run(name, func(t *testing.T) {
			if _, err := seedVerifier(t, trust).VerifyQR(ctx, string(q)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// FuzzVerifyQR: VerifyQR never panics; a failure is a *check.Error
// with a nil result; a success holds only credentials of issuers the trust
// list authorises for their type, and the same input again is a replay.
func FuzzVerifyQR(f *testing.F) {
	trust := seedTrust(f)
	for _, q := range seedQRs(f) {
		f.Add(q)
		f.Add(q[:len(q)-1])
	}
	l := trust.Current()
	f.Fuzz(func(t *testing.T, data []byte) {
		v := seedVerifier(t, trust)
		res, err := v.VerifyQR(ctx, string(data))
		if err != nil {
			var ve *check.Error
			if res != nil || !errors.As(err, &ve) || ve.Check < check.Format || ve.Check > check.Input || ve.Err == nil {
				t.Fatalf("bad failure: %v (%T), result %v", err, err, res)
			}
			return
		}
		if len(res.Credentials()) == 0 {
			t.Fatal("success without credentials")
		}
		for _, c := range res.Credentials() {
			if !l.Authorized(c.Issuer(), c.Type()) || c.HolderKey() == nil {
				t.Fatalf("accepted %s from %s", c.Type(), c.Issuer())
			}
		}
		if _, err := v.VerifyQR(ctx, string(data)); !errors.Is(err, ErrReplay) {
			t.Fatalf("second verification: %v", err)
		}
	})
}

// FuzzVerifySDJWT: the SD-JWT entry point on arbitrary strings.
func FuzzVerifySDJWT(f *testing.F) {
	trust := seedTrust(f)
	for _, q := range seedQRs(f) {
		env, err := qr.Decode(q)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range env.Presentations {
			if p.SDJWT != "" {
				f.Add(p.SDJWT)
			}
		}
	}
	f.Add("e30.e30.e30~")
	f.Fuzz(func(t *testing.T, s string) {
		res, err := seedVerifier(t, trust).VerifySDJWT(ctx, s, "")
		var ve *check.Error
		if err != nil && (res != nil || !errors.As(err, &ve)) {
			t.Fatalf("bad failure: %v", err)
		}
		if err == nil && (len(res.Credentials()) != 1 || res.Credentials()[0].HolderKey() == nil) {
			t.Fatal("bad success")
		}
	})
}

// mdocSeeds returns the DeviceResponses (with their document signer chains
// restored) and SessionTranscripts of the mdoc presentations in the seed
// QRs.
func mdocSeeds(tb testing.TB, trust *trustlist.Store) (drs, transcripts [][]byte) {
	for _, q := range seedQRs(tb) {
		env, err := qr.Decode(q)
		if err != nil {
			tb.Fatal(err)
		}
		for _, p := range env.Presentations {
			if p.Mdoc == nil {
				continue
			}
			dr, err := p.Mdoc.WithChain(chainResolver(trust.Current()))
			if err != nil {
				tb.Fatal(err)
			}
			st, err := qr.OfflineSessionTranscript(p.Mdoc.Binding)
			if err != nil {
				tb.Fatal(err)
			}
			drs, transcripts = append(drs, dr), append(transcripts, st)
		}
	}
	if len(drs) == 0 {
		tb.Fatal("no mdoc presentation in the seed QRs")
	}
	return drs, transcripts
}

// FuzzVerifyMdoc: VerifyMdoc on an arbitrary DeviceResponse and
// SessionTranscript never panics; a failure is a *check.Error with a nil
// result; a success holds only documents of issuers the trust list
// authorises for their doctype, bound to a device key, and the same
// response again is a replay.
func FuzzVerifyMdoc(f *testing.F) {
	trust := seedTrust(f)
	drs, sts := mdocSeeds(f, trust)
	for i := range drs {
		f.Add(drs[i], sts[i])
		f.Add(drs[i], sts[(i+1)%len(sts)][1:])
	}
	l := trust.Current()
	f.Fuzz(func(t *testing.T, dr, st []byte) {
		v := seedVerifier(t, trust)
		res, err := v.VerifyMdoc(ctx, dr, st)
		if err != nil {
			var ve *check.Error
			if res != nil || !errors.As(err, &ve) || ve.Check < check.Format || ve.Check > check.Input || ve.Err == nil {
				t.Fatalf("bad failure: %v (%T), result %v", err, err, res)
			}
			return
		}
		for _, c := range res.Credentials() {
			if !l.Authorized(c.Issuer(), c.Type()) || c.HolderKey() == nil {
				t.Fatalf("accepted %s from %s", c.Type(), c.Issuer())
			}
		}
		if _, err := v.VerifyMdoc(ctx, dr, st); !errors.Is(err, ErrReplay) {
			t.Fatalf("second verification: %v", err)
		}
	})
}

// seedFrames re-encodes a decoded seed envelope (document signer chains
// restored) as a frame sequence.
func seedFrames(tb testing.TB, trust *trustlist.Store, env *qr.Envelope) []qr.Code {
	for i, p := range env.Presentations {
		if p.Mdoc == nil {
			continue
		}
		dr, err := p.Mdoc.WithChain(chainResolver(trust.Current()))
		if err != nil {
			tb.Fatal(err)
		}
		m := *p.Mdoc
		m.DeviceResponse = dr
		env.Presentations[i].Mdoc = &m
	}
	codes, err := qr.EncodeFrames(*env)
	if err != nil {
		tb.Fatal(err)
	}
	return codes
}

// TestSeedsVerifyMdocAndFrames: the seeds of FuzzVerifyMdoc and
// FuzzVerifyQRFrames verify, so the fuzzer starts from inputs that reach
// every check.
func TestSeedsVerifyMdocAndFrames(t *testing.T) {
	trust := seedTrust(t)
	drs, sts := mdocSeeds(t, trust)
	for i := range drs {
		if _, err := seedVerifier(t, trust).VerifyMdoc(ctx, drs[i], sts[i]); err != nil {
			t.Fatalf("mdoc seed %d: %v", i, err)
		}
	}
	for name, q := range seedQRs(t) {
		env, err := qr.Decode(q)
		if err != nil {
			t.Fatal(err)
		}
		var frames []string
		for _, c := range seedFrames(t, trust, env) {
			frames = append(frames, string(c.Data))
		}
		if _, err := seedVerifier(t, trust).VerifyQRFrames(ctx, frames...); err != nil {
			t.Fatalf("%s as %d frames: %v", name, len(frames), err)
		}
	}
}

// FuzzVerifyQRFrames: VerifyQRFrames on up to three arbitrary frames never
// panics; a failure is a *check.Error with a nil result; a success holds
// only authorised credentials and the same frames again are a replay.
func FuzzVerifyQRFrames(f *testing.F) {
	trust := seedTrust(f)
	for _, q := range seedQRs(f) {
		env, err := qr.Decode(q)
		if err != nil {
			f.Fatal(err)
		}
		codes := seedFrames(f, trust, env)
		var fr [3]string
		for i := range min(len(codes), 3) {
			fr[i] = string(codes[i].Data)
		}
		f.Add(uint8(len(codes)), fr[0], fr[1], fr[2])
		f.Add(uint8(1), fr[0], "", "")
	}
	l := trust.Current()
	f.Fuzz(func(t *testing.T, n uint8, a, b, c string) {
		frames := []string{a, b, c}[:1+int(n)%3]
		v := seedVerifier(t, trust)
		res, err := v.VerifyQRFrames(ctx, frames...)
		if err != nil {
			var ve *check.Error
			if res != nil || !errors.As(err, &ve) || ve.Check < check.Format || ve.Check > check.Input || ve.Err == nil {
				t.Fatalf("bad failure: %v (%T), result %v", err, err, res)
			}
			return
		}
		for _, c := range res.Credentials() {
			if !l.Authorized(c.Issuer(), c.Type()) || c.HolderKey() == nil {
				t.Fatalf("accepted %s from %s", c.Type(), c.Issuer())
			}
		}
		if _, err := v.VerifyQRFrames(ctx, frames...); !errors.Is(err, ErrReplay) {
			t.Fatalf("second verification: %v", err)
		}
	})
}
