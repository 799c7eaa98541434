package verifier

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/trustlist"
)

// VerifyMdoc verifies an ISO/IEC 18013-5 DeviceResponse whose device
// authentication covers sessionTranscript (the CBOR SessionTranscript of
// this session, ISO 18013-5 §9.1.5.1, or one built with the OpenID4VP helpers
// of package mdoc). Freshness rests on the transcript, which the caller
// built for this session; the replay store refuses each document's device
// authentication a second time within the window, in this response or
// another. Several documents in one response are checked for one holder
// key and one NIK.
func (v *Verifier) VerifyMdoc(ctx context.Context, deviceResponse, sessionTranscript []byte) (*Result, error) {
	res, err := v.verifyMdocResponse(ctx, deviceResponse, sessionTranscript)
	v.observe(ctx, err)
	return res, err
}

// verifyMdocResponse is VerifyMdoc without the report of its outcome.
func (v *Verifier) verifyMdocResponse(ctx context.Context, deviceResponse, sessionTranscript []byte) (*Result, error) {
	at := v.now()
	l, err := v.trustList(at)
	if err != nil {
		return nil, err
	}
	creds, err := v.verifyMdoc(ctx, l, 0, deviceResponse, sessionTranscript, at, nil)
	if err != nil {
		return nil, err
	}
	return v.finish(creds, at)
}

// mdocBinding is the freshness binding of an offline QR mdoc presentation,
// authenticated by the device signature over the transcript built from it.
type mdocBinding struct {
	audience         string
	issuedAt         time.Time
	nonce, wantNonce []byte // wantNonce nil: one-way flow
}

func (v *Verifier) verifyMdoc(ctx context.Context, l *trustlist.List, idx int, dr, transcript []byte, at time.Time, b *mdocBinding) ([]*Credential, error) {
	// Format.
	if len(dr) == 0 || len(dr) > mdoc.MaxMessageSize {
		return nil, fail(check.Format, idx, ErrMalformed, nil, "DeviceResponse of %d bytes (max %d)", len(dr), mdoc.MaxMessageSize)
	}
	if len(transcript) == 0 {
		return nil, fail(check.Input, idx, ErrConfig, nil, "session transcript is required")
	}
	// Trust (the DS chain to an IACA root of the trust list), issuer
	// signature, docType and digests, validity (validFrom <= now <=
	// validUntil) and device authentication: package mdoc, ISO 18013-5
	// §9.3.1.
	vr, err := mdoc.Verify(dr, mdoc.VerifyOptions{Roots: l.AllIACARoots(), SessionTranscript: transcript,
		Now: func() time.Time { return at }, Certificates: &v.certs})
	if err != nil {
		return nil, fromFormat(idx, err, nil, mdoc.ErrExpired, mdoc.ErrNotYetValid)
	}
	docs := vr.Documents()
	if len(docs) == 0 {
		return nil, fail(check.Format, idx, ErrMalformed, nil, "DeviceResponse holds no document")
	}
	if idx+len(docs) > MaxCredentials {
		return nil, fail(check.Format, idx, ErrMalformed, nil, "more than %d credentials", MaxCredentials)
	}
	issuers := make([]*trustlist.Issuer, len(docs))
	for i, d := range docs {
		if len(d.Chain()) == 0 {
			return nil, fail(check.Trust, idx+i, ErrUntrustedIssuer, nil, "no verified chain")
		}
		is, ok := l.IssuerByRoot(d.Chain()[len(d.Chain())-1])
		if !ok {
			return nil, fail(check.Trust, idx+i, ErrUntrustedIssuer, nil, "trust anchor not listed")
		}
		// Authorisation, on the verified chain: the issuer owning the
		// IACA root must be authorised for the doctype.
		if !slices.Contains(is.DocTypes, d.DocType()) {
			return nil, fail(check.Authorization, idx+i, ErrUnauthorizedType, nil, "%s may not issue %.200s", is.Name, d.DocType())
		}
		issuers[i] = is
	}
	// The QR binding is authenticated now: the device signature covers the
	// transcript built from it (docs/qr-format.md §5).
	var presentedAt time.Time
	if b != nil {
		for i, d := range docs {
			if d.DeviceAuth() != mdoc.DeviceSignature {
				return nil, fail(check.HolderBinding, idx+i, ErrHolderBinding, nil, "offline QR requires a deviceSignature")
			}
		}
		if b.audience != v.cfg.Audience {
			return nil, fail(check.HolderBinding, idx, ErrAudience, nil, "bound to %.200q", b.audience)
		}
		if b.wantNonce != nil && !bytes.Equal(b.nonce, b.wantNonce) {
			return nil, fail(check.Freshness, idx, ErrNotFresh, nil, "binding nonce differs from the request's")
		}
		if err := v.fresh(idx, b.issuedAt, at); err != nil {
			return nil, err
		}
		presentedAt = b.issuedAt
	}
	// Replay, per document: each document's DeviceAuthentication (ISO
	// 18013-5 §9.1.3.4: transcript, docType and device-signed elements)
	// is remembered, so a captured response is refused again whole, as a
	// subset, reordered, or with a document repeated.
	madeAt := presentedAt
	if madeAt.IsZero() {
		madeAt = at
	}
	for i, d := range docs {
		digest := d.DeviceAuthenticationDigest()
		if err := v.remember(ctx, idx+i, "mdoc", digest[:], madeAt, at); err != nil {
			return nil, err
		}
	}
	out := make([]*Credential, 0, len(docs))
	for i, d := range docs {
		// Status.
		ans, err := v.checkStatus(idx+i, d.Status()) // mdoc.StatusReference is statuslist.Reference
		if err != nil {
			return nil, err
		}
		ns := d.NameSpaces()
		claims := ns[d.DocType()]
		c := &Credential{
			format: credential.FormatMdoc, typ: d.DocType(), issuer: issuers[i].ID, issuerName: issuers[i].Name,
			claims: claims, nameSpaces: ns, document: typedFromMdoc(d.DocType(), ns),
			nik: nikOf(claims), holderKey: d.DeviceKey(), validUntil: d.Validity().ValidUntil,
			status: ans, presentedAt: presentedAt,
		}
		if c.nik == "" {
			c.nik = nikOfDocument(c.document)
		}
		out = append(out, c)
	}
	return out, nil
}
