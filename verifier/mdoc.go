package verifier

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/trustlist"
)

// VerifyMdoc verifies an ISO/IEC 18013-5 DeviceResponse whose device
// authentication covers sessionTranscript (the CBOR SessionTranscript of
// this session, ISO 18013-5 §9.1.5.1, or one built with the OpenID4VP helpers
// of package mdoc). Freshness rests on the transcript, which the caller
// built for this session; the replay cache refuses the same transcript and
// documents twice within the window. Several documents in one response are
// checked for one holder key and one NIK.
func (v *Verifier) VerifyMdoc(deviceResponse, sessionTranscript []byte) (*Result, error) {
	at := v.now()
	l := v.cfg.Trust.Current()
	if l == nil {
		return nil, fail(CheckTrust, 0, ErrUntrustedIssuer, nil, "no trust list loaded")
	}
	creds, err := v.verifyMdoc(l, 0, deviceResponse, sessionTranscript, at, nil)
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

func (v *Verifier) verifyMdoc(l *trustlist.List, idx int, dr, transcript []byte, at time.Time, b *mdocBinding) ([]Credential, error) {
	// 1. Format.
	if len(dr) == 0 || len(dr) > mdoc.MaxMessageSize {
		return nil, fail(CheckFormat, idx, ErrMalformed, nil, "DeviceResponse of %d bytes (max %d)", len(dr), mdoc.MaxMessageSize)
	}
	if len(transcript) == 0 {
		return nil, fail(CheckConfig, idx, ErrConfig, nil, "session transcript is required")
	}
	// 2, 4, 5, 6, 9: trust (the DS chain to an IACA root of the trust
	// list), issuer signature, docType and digests, the validity window and
	// device authentication (package mdoc, ISO 18013-5 §9.3.1).
	roots := l.AllIACARoots()
	vr, err := mdoc.Verify(dr, mdoc.VerifyOptions{Roots: roots, SessionTranscript: transcript,
		Now: func() time.Time { return at }})
	if err != nil {
		return nil, mapMdocError(idx, err)
	}
	docs := vr.Documents()
	if len(docs) == 0 {
		return nil, fail(CheckFormat, idx, ErrMalformed, nil, "DeviceResponse holds no document")
	}
	if idx+len(docs) > MaxCredentials {
		return nil, fail(CheckFormat, idx, ErrMalformed, nil, "more than %d credentials", MaxCredentials)
	}
	type docInfo struct {
		issuer *trustlist.Issuer
	}
	infos := make([]docInfo, len(docs))
	docTypes := make([]string, len(docs))
	for i, d := range docs {
		chain := d.Chain()
		if len(chain) == 0 {
			return nil, fail(CheckTrust, idx+i, ErrUntrustedIssuer, nil, "no verified chain")
		}
		is, ok := l.IssuerByRoot(chain[len(chain)-1])
		if !ok {
			return nil, fail(CheckTrust, idx+i, ErrUntrustedIssuer, nil, "trust anchor not listed")
		}
		// 3. Authorisation, on the verified chain: the issuer owning the
		// IACA root must be authorised for the doctype.
		if !slices.Contains(is.DocTypes, d.DocType()) {
			return nil, fail(CheckAuthorization, idx+i, ErrUnauthorizedType, nil, "%s may not issue %.200s", is.Name, d.DocType())
		}
		infos[i].issuer = is
		docTypes[i] = d.DocType()
	}
	// 6-7. The QR binding is authenticated now: the device signature covers
	// the transcript built from it (docs/qr-format.md §5).
	var presentedAt time.Time
	if b != nil {
		for i, d := range docs {
			if d.DeviceAuth() != mdoc.DeviceSignature {
				return nil, fail(CheckHolderBinding, idx+i, ErrHolderBinding, nil, "offline QR requires a deviceSignature")
			}
		}
		if b.audience != v.cfg.Audience {
			return nil, fail(CheckHolderBinding, idx, ErrAudience, nil, "bound to %.200q", b.audience)
		}
		if b.wantNonce != nil && !bytes.Equal(b.nonce, b.wantNonce) {
			return nil, fail(CheckFreshness, idx, ErrNotFresh, nil, "binding nonce differs from the request's")
		}
		if err := v.fresh(idx, b.issuedAt, at); err != nil {
			return nil, err
		}
		presentedAt = b.issuedAt
	}
	// 8. Replay: the transcript (unique per session or QR binding) and the
	// documents it authenticated.
	madeAt := presentedAt
	if madeAt.IsZero() {
		madeAt = at
	}
	if err := v.checkReplay(idx, "mdoc\x00"+string(transcript)+"\x00"+strings.Join(docTypes, "\x00"), madeAt, at); err != nil {
		return nil, err
	}
	out := make([]Credential, 0, len(docs))
	for i, d := range docs {
		// 10. Status.
		ans, err := v.checkStatus(idx+i, d.Status()) // mdoc.StatusReference is statuslist.Reference
		if err != nil {
			return nil, err
		}
		nss := d.NameSpaces()
		claims := nss[d.DocType()]
		c := Credential{
			Format: FormatMdoc, Type: d.DocType(), Issuer: infos[i].issuer.ID, IssuerName: infos[i].issuer.Name,
			Claims: claims, NameSpaces: nss, Document: typedFromMdoc(d.DocType(), nss),
			NIK: nikOf(claims), HolderKey: d.DeviceKey(), ValidUntil: d.Validity().ValidUntil,
			Status: ans, PresentedAt: presentedAt,
		}
		if c.NIK == "" {
			c.NIK = nikOfDocument(c.Document)
		}
		out = append(out, c)
	}
	return out, nil
}

// mapMdocError maps the *check.Error of mdoc.Verify to this package's
// check and sentinel; the mdoc error stays the cause.
func mapMdocError(idx int, err error) error {
	var ce *check.Error
	if !errors.As(err, &ce) {
		return fail(CheckFormat, idx, ErrMalformed, err, "")
	}
	if ce.Credential >= 0 {
		idx += ce.Credential
	}
	switch ce.Check {
	case check.Input:
		return fail(CheckConfig, idx, ErrConfig, err, "")
	case check.Trust:
		return fail(CheckTrust, idx, ErrUntrustedIssuer, err, "")
	case check.Signature:
		return fail(CheckSignature, idx, ErrSignature, err, "")
	case check.Disclosure:
		return fail(CheckDisclosure, idx, ErrDisclosure, err, "")
	case check.Validity:
		if ce.Err == mdoc.ErrExpired {
			return fail(CheckValidity, idx, ErrExpired, err, "")
		}
		return fail(CheckValidity, idx, ErrNotYetValid, err, "")
	case check.HolderBinding:
		return fail(CheckHolderBinding, idx, ErrHolderBinding, err, "")
	}
	return fail(CheckFormat, idx, ErrMalformed, err, "")
}
