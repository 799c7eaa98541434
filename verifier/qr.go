package verifier

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/trustlist"
)

// VerifyQR verifies the text of a scanned response QR (ikdkit's offline QR
// format v1, package credential/qr; base45 text or raw bytes as a string) in
// the one-way flow: every presentation must be bound to this verifier,
// made within the window, and not seen before. mdoc document signer chains
// the envelope left out are restored from the trust list's document signer
// certificates.
func (v *Verifier) VerifyQR(ctx context.Context, text string) (*Result, error) {
	res, err := v.verifyQR(ctx, text)
	v.observe(ctx, err)
	return res, err
}

// verifyQR is VerifyQR without the report of its outcome.
func (v *Verifier) verifyQR(ctx context.Context, text string) (*Result, error) {
	at := v.now()
	env, err := qr.DecodeString(text)
	if err != nil {
		return nil, fail(check.Format, -1, ErrMalformed, err, "")
	}
	return v.verifyEnvelope(ctx, env, at, nil)
}

// VerifyQRResponse is VerifyQR for the two-way flow: every presentation
// must also carry nonce, the nonce of this verifier's request QR
// (qr.MinNonceSize to 32 bytes); a presentation without it fails at
// CheckFreshness.
func (v *Verifier) VerifyQRResponse(ctx context.Context, text string, nonce []byte) (*Result, error) {
	res, err := v.verifyQRResponse(ctx, text, nonce)
	v.observe(ctx, err)
	return res, err
}

// verifyQRResponse is VerifyQRResponse without the report of its outcome.
func (v *Verifier) verifyQRResponse(ctx context.Context, text string, nonce []byte) (*Result, error) {
	at := v.now()
	if len(nonce) < qr.MinNonceSize || len(nonce) > 32 {
		return nil, fail(check.Input, -1, ErrConfig, nil, "request nonce must be %d to 32 bytes", qr.MinNonceSize)
	}
	env, err := qr.DecodeString(text)
	if err != nil {
		return nil, fail(check.Format, -1, ErrMalformed, err, "")
	}
	return v.verifyEnvelope(ctx, env, at, nonce)
}

// MaxFrames caps the number of QR frames VerifyQRFrames accepts.
const MaxFrames = 64

// VerifyQRFrames verifies a response split over a sequence of QR frames
// (qr.EncodeFrames), given in any order, with the checks of VerifyQR.
func (v *Verifier) VerifyQRFrames(ctx context.Context, frames ...string) (*Result, error) {
	res, err := v.verifyQRFrames(ctx, frames...)
	v.observe(ctx, err)
	return res, err
}

// verifyQRFrames is VerifyQRFrames without the report of its outcome.
func (v *Verifier) verifyQRFrames(ctx context.Context, frames ...string) (*Result, error) {
	at := v.now()
	env, err := assemble(frames)
	if err != nil {
		return nil, err
	}
	return v.verifyEnvelope(ctx, env, at, nil)
}

// VerifyQRFramesResponse is VerifyQRFrames for the two-way flow, with the
// nonce check of VerifyQRResponse: a large response to this verifier's
// request QR.
func (v *Verifier) VerifyQRFramesResponse(ctx context.Context, nonce []byte, frames ...string) (*Result, error) {
	res, err := v.verifyQRFramesResponse(ctx, nonce, frames...)
	v.observe(ctx, err)
	return res, err
}

// verifyQRFramesResponse is VerifyQRFramesResponse without the report of its outcome.
func (v *Verifier) verifyQRFramesResponse(ctx context.Context, nonce []byte, frames ...string) (*Result, error) {
	at := v.now()
	if len(nonce) < qr.MinNonceSize || len(nonce) > 32 {
		return nil, fail(check.Input, -1, ErrConfig, nil, "request nonce must be %d to 32 bytes", qr.MinNonceSize)
	}
	env, err := assemble(frames)
	if err != nil {
		return nil, err
	}
	return v.verifyEnvelope(ctx, env, at, nonce)
}

// assemble reassembles a frame sequence into its envelope.
func assemble(frames []string) (*qr.Envelope, error) {
	if len(frames) == 0 || len(frames) > MaxFrames {
		return nil, fail(check.Format, -1, ErrMalformed, nil, "%d frames (1 to %d)", len(frames), MaxFrames)
	}
	var a qr.Assembler
	complete := false
	for _, fr := range frames {
		c, err := a.AddString(fr)
		if err != nil {
			return nil, fail(check.Format, -1, ErrMalformed, err, "")
		}
		complete = c
	}
	if !complete {
		return nil, fail(check.Format, -1, ErrMalformed, nil, "frames %v missing", a.Missing())
	}
	env, err := a.Envelope()
	if err != nil {
		return nil, fail(check.Format, -1, ErrMalformed, err, "")
	}
	return env, nil
}

func (v *Verifier) verifyEnvelope(ctx context.Context, env *qr.Envelope, at time.Time, nonce []byte) (*Result, error) {
	if len(env.Presentations) == 0 || len(env.Presentations) > MaxCredentials {
		return nil, fail(check.Format, -1, ErrMalformed, nil, "%d presentations (1 to %d)", len(env.Presentations), MaxCredentials)
	}
	l, err := v.trustList(at)
	if err != nil {
		return nil, err
	}
	var creds []*Credential
	for _, p := range env.Presentations {
		idx := len(creds)
		if idx >= MaxCredentials {
			return nil, fail(check.Format, idx, ErrMalformed, nil, "more than %d credentials", MaxCredentials)
		}
		if p.SDJWT != "" {
			// docs/qr-format.md §5: the KB-JWT nonce is the binding
			// nonce in unpadded base64url.
			n := ""
			if nonce != nil {
				n = base64.RawURLEncoding.EncodeToString(nonce)
			}
			c, err := v.verifySDJWT(ctx, l, idx, p.SDJWT, v.cfg.Audience, n, at)
			if err != nil {
				return nil, err
			}
			creds = append(creds, c)
			continue
		}
		dr, err := p.Mdoc.WithChain(chainResolver(l))
		if err != nil {
			// An unknown document signer reference means the issuer is
			// not in the trust list.
			var qe *qr.Error
			if errors.As(err, &qe) && errors.Is(err, errUnknownSigner) {
				return nil, fail(check.Trust, idx, ErrUntrustedIssuer, err, "")
			}
			return nil, fail(check.Format, idx, ErrMalformed, err, "")
		}
		st, err := qr.OfflineSessionTranscript(p.Mdoc.Binding)
		if err != nil {
			return nil, fail(check.Format, idx, ErrMalformed, err, "")
		}
		cs, err := v.verifyMdoc(ctx, l, idx, dr, st, at, &mdocBinding{audience: p.Mdoc.Binding.Audience, issuedAt: p.Mdoc.Binding.IssuedAt,
			nonce: p.Mdoc.Binding.Nonce, wantNonce: nonce})
		if err != nil {
			return nil, err
		}
		creds = append(creds, cs...)
	}
	return v.finish(creds, at)
}

var errUnknownSigner = errors.New("verifier: document signer not in the trust list")

// chainResolver finds a document signer certificate listed in the trust
// list by its qr.DocumentSignerRef. The chain is just the DS certificate;
// mdoc.Verify builds the path to the IACA roots.
func chainResolver(l *trustlist.List) qr.ChainResolver {
	return func(ref []byte) ([]*x509.Certificate, error) {
		for _, ds := range l.DocumentSigners() {
			if string(qr.DocumentSignerRef(ds.Certificate)) == string(ref) {
				return []*x509.Certificate{ds.Certificate}, nil
			}
		}
		return nil, fmt.Errorf("%w: ref %x", errUnknownSigner, ref)
	}
}
