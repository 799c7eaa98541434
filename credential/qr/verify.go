package qr

import (
	"bytes"
	"errors"
	"time"

	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
)

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// Audience is this verifier's identifier; every presentation must be
	// bound to it. Required.
	Audience string
	// Nonce is the nonce of this verifier's request QR in the two-way
	// flow; every presentation must carry it. Nil means the one-way flow,
	// where freshness rests on Audience and the binding time.
	Nonce []byte
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// ClockSkew is the tolerance for a binding time in the future and for
	// validity periods; at most MaxClockSkew.
	ClockSkew time.Duration

	// SDJWT configures SD-JWT VC verification: set IssuerKey or
	// KeyResolver (and Algorithms, Types if wanted). Audience, Nonce,
	// IgnoreNonce, Now, ClockSkew and KeyBindingMaxAge are overwritten
	// from the fields above.
	SDJWT sdjwt.VerifyOptions
	// Mdoc configures mdoc verification: set Roots (and DocType if
	// wanted). SessionTranscript and Now are overwritten.
	Mdoc mdoc.VerifyOptions
	// DocumentSigners resolves the document signer chain of each mdoc
	// from its x5t. Required for mdoc presentations.
	DocumentSigners ChainResolver
}

// VerifiedPresentation is one verified presentation; exactly one field is set.
type VerifiedPresentation struct {
	SDJWT *sdjwt.Verified
	Mdoc  *mdoc.VerifiedResponse
}

// Verify decodes a response QR payload and verifies every presentation in
// it: the issuer signature and disclosures (package sdjwt or mdoc), holder
// binding, and the freshness binding of docs/qr-format.md §5 — bound to
// opts.Audience, made at most FreshnessWindow ago (and not in the future
// beyond ClockSkew), and carrying opts.Nonce in the two-way flow.
//
// Audience, nonce and freshness are reported (ErrAudience, ErrNotFresh) only
// after the signatures that authenticate them have verified. Other
// verification failures come as ErrVerification wrapping the sdjwt or mdoc
// error.
//
// WARNING: Verify does not check revocation, and in the one-way flow a QR
// can be replayed to the same verifier within the window; a verifier that
// cares remembers the nonces it has seen for FreshnessWindow.
func Verify(data []byte, opts VerifyOptions) ([]VerifiedPresentation, error) {
	env, err := Decode(data)
	if err != nil {
		return nil, err
	}
	return verifyEnvelope(env, opts)
}

func verifyEnvelope(env *Envelope, opts VerifyOptions) ([]VerifiedPresentation, error) {
	if opts.Audience == "" {
		return nil, errorf("verify", ErrOptions, "Audience is required")
	}
	if opts.ClockSkew < 0 || opts.ClockSkew > MaxClockSkew {
		return nil, errorf("verify", ErrOptions, "ClockSkew must be 0 to %v", MaxClockSkew)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	at := now()
	out := make([]VerifiedPresentation, 0, len(env.Presentations))
	for _, p := range env.Presentations {
		if p.SDJWT != "" {
			v, err := verifySDJWT(p.SDJWT, opts, at)
			if err != nil {
				return nil, err
			}
			out = append(out, VerifiedPresentation{SDJWT: v})
			continue
		}
		v, err := verifyMdoc(p.Mdoc, opts, at)
		if err != nil {
			return nil, err
		}
		out = append(out, VerifiedPresentation{Mdoc: v})
	}
	return out, nil
}

func verifySDJWT(s string, opts VerifyOptions, at time.Time) (*sdjwt.Verified, error) {
	o := opts.SDJWT
	o.Audience = opts.Audience
	o.Nonce, o.IgnoreNonce = "", true
	if opts.Nonce != nil {
		o.Nonce, o.IgnoreNonce = nonceString(opts.Nonce), false
	}
	o.Now = func() time.Time { return at }
	o.ClockSkew = opts.ClockSkew
	o.KeyBindingMaxAge = FreshnessWindow
	o.AllowNoKeyBinding = false
	v, err := sdjwt.VerifyVC(s, o)
	switch {
	case err == nil:
		return v, nil
	case errors.Is(err, sdjwt.ErrAudience):
		return nil, wrapErr("verify", ErrAudience, err, "SD-JWT")
	case errors.Is(err, sdjwt.ErrFreshness), errors.Is(err, sdjwt.ErrNonce):
		return nil, wrapErr("verify", ErrNotFresh, err, "SD-JWT")
	default:
		return nil, wrapErr("verify", ErrVerification, err, "SD-JWT")
	}
}

func verifyMdoc(m *MdocPresentation, opts VerifyOptions, at time.Time) (*mdoc.VerifiedResponse, error) {
	if opts.DocumentSigners == nil {
		return nil, errorf("verify", ErrOptions, "DocumentSigners is required for mdoc presentations")
	}
	dr, err := m.WithChain(opts.DocumentSigners)
	if err != nil {
		return nil, err
	}
	st, err := OfflineSessionTranscript(m.Binding)
	if err != nil {
		return nil, err
	}
	o := opts.Mdoc
	o.SessionTranscript = st
	o.Now = func() time.Time { return at }
	v, err := mdoc.Verify(dr, o)
	if err != nil {
		return nil, wrapErr("verify", ErrVerification, err, "mdoc")
	}
	for _, d := range v.Documents() {
		if d.DeviceAuth() != mdoc.DeviceSignature {
			return nil, errorf("verify", ErrVerification, "offline QR requires a deviceSignature")
		}
	}
	// The binding is authenticated now: the deviceSignature covers it.
	b := m.Binding
	if b.Audience != opts.Audience {
		return nil, errorf("verify", ErrAudience, "mdoc bound to %q", b.Audience)
	}
	if opts.Nonce != nil && !bytes.Equal(b.Nonce, opts.Nonce) {
		return nil, errorf("verify", ErrNotFresh, "mdoc nonce differs from the request's")
	}
	if b.IssuedAt.After(at.Add(opts.ClockSkew)) {
		return nil, errorf("verify", ErrNotFresh, "binding time %v is in the future", b.IssuedAt)
	}
	if at.Sub(b.IssuedAt) > FreshnessWindow+opts.ClockSkew {
		return nil, errorf("verify", ErrNotFresh, "binding time %v is older than %v", b.IssuedAt, FreshnessWindow)
	}
	return v, nil
}
