package verifier

import (
	"context"
	"crypto"
	"slices"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
)

// VerifySDJWT verifies one SD-JWT VC presentation (compact SD-JWT+KB, RFC
// 9901 §4) made for this verifier. nonce is the nonce of this verifier's
// request; "" means a one-way flow, where freshness rests on the KB-JWT's
// aud and iat and on the replay store.
func (v *Verifier) VerifySDJWT(ctx context.Context, presentation, nonce string) (*Result, error) {
	res, err := v.verifySDJWTPresentation(ctx, presentation, nonce)
	v.observe(ctx, err)
	return res, err
}

// verifySDJWTPresentation is VerifySDJWT without the report of its outcome.
func (v *Verifier) verifySDJWTPresentation(ctx context.Context, presentation, nonce string) (*Result, error) {
	at := v.now()
	l, err := v.trustList(at)
	if err != nil {
		return nil, err
	}
	c, err := v.verifySDJWT(ctx, l, 0, presentation, v.cfg.Audience, nonce, at)
	if err != nil {
		return nil, err
	}
	return v.finish([]*Credential{c}, at)
}

// verifySDJWT verifies presentation number idx, whose KB-JWT must name aud
// (this verifier's Audience, or the client identifier of an OpenID4VP
// request) and, unless it is "", nonce.
func (v *Verifier) verifySDJWT(ctx context.Context, l *trustlist.List, idx int, pres, aud, nonce string, at time.Time) (*Credential, error) {
	// Format.
	if len(pres) > sdjwt.MaxTokenSize {
		return nil, fail(check.Format, idx, ErrMalformed, nil, "presentation of %d bytes (max %d)", len(pres), sdjwt.MaxTokenSize)
	}
	// The issuer, type and key the presentation claims, not yet verified,
	// choose the key and decide trust and authorisation, which can only
	// refuse: sdjwt asks this resolver once it has read the issuer-signed
	// JWT, before it checks the signature with the key returned (RFC 9901
	// §7.1 step 2.3 leaves the trust decision to the verifier). A refusal
	// is kept here, so that it is reported as what it is.
	var (
		issuer  *trustlist.Issuer
		vct     string
		refusal error
	)
	resolve := sdjwt.KeyResolverFunc(func(info sdjwt.IssuerKeyInfo) (crypto.PublicKey, error) {
		if info.Issuer == "" || info.VCT == "" {
			// draft-ietf-oauth-sd-jwt-vc-18 §3.2.2.2: iss and vct are required.
			refusal = fail(check.Format, idx, ErrMalformed, nil, "iss and vct are required")
			return nil, refusal
		}
		// Trust: the key must be listed for the iss.
		is, key, err := l.IssuerKey(info.Issuer, info.KeyID)
		if err != nil {
			refusal = fail(check.Trust, idx, ErrUntrustedIssuer, err, "")
			return nil, refusal
		}
		// Authorisation for the vct.
		if !slices.Contains(is.VCTs, info.VCT) {
			refusal = fail(check.Authorization, idx, ErrUnauthorizedType, nil, "%s may not issue %.200s", is.Name, info.VCT)
			return nil, refusal
		}
		issuer, vct = is, info.VCT
		return key, nil
	})
	// Signature, disclosures, validity (RFC 7519 §4.1.4-4.1.6; RFC 9901
	// §7.1 step 5), key binding (§7.3) and the KB-JWT's freshness:
	// package sdjwt, with the key the trust list selected and nothing
	// else.
	ws, _ := v.workspaces.Get().(*sdjwt.Workspace)
	if ws == nil {
		ws = new(sdjwt.Workspace)
	}
	vr, err := sdjwt.VerifyVC(pres, sdjwt.VerifyOptions{
		KeyResolver:      resolve,
		Now:              func() time.Time { return at },
		ClockSkew:        v.cfg.ClockSkew,
		Audience:         aud,
		Nonce:            nonce,
		IgnoreNonce:      nonce == "",
		KeyBindingMaxAge: v.window,
		Workspace:        ws,
	})
	v.workspaces.Put(ws)
	if refusal != nil {
		return nil, refusal
	}
	if err != nil {
		return nil, fromFormat(idx, err, sdjwt.ErrAudience, sdjwt.ErrExpired, sdjwt.ErrNotYetValid)
	}
	kb := vr.KeyBinding()
	if kb == nil || vr.HolderKey() == nil {
		return nil, fail(check.HolderBinding, idx, ErrHolderBinding, nil, "no key binding")
	}
	// Freshness, on top of sdjwt's own KB-JWT iat check.
	if err := v.fresh(idx, kb.IssuedAt, at); err != nil {
		return nil, err
	}
	// Replay: the KB-JWT signing input (header.payload) identifies the
	// presentation; hashing it rather than the whole JWT is immune to
	// ECDSA signature malleability.
	kbJWT := pres[strings.LastIndexByte(pres, '~')+1:]
	input := kbJWT[:strings.LastIndexByte(kbJWT, '.')]
	if err := v.remember(ctx, idx, "sd-jwt", []byte(input), kb.IssuedAt, at); err != nil {
		return nil, err
	}
	// Status.
	var ref *statuslist.Reference
	if sidx, uri, ok := vr.StatusList(); ok {
		ref = &statuslist.Reference{Index: uint64(sidx), URI: uri}
	}
	ans, err := v.checkStatus(idx, ref)
	if err != nil {
		return nil, err
	}
	claims := vr.Claims()
	c := &Credential{
		format: credential.FormatSDJWT, typ: vct, issuer: issuer.ID, issuerName: issuer.Name,
		claims: claims, document: typedFromClaims(vct, claims), nik: nikOf(claims),
		holderKey: vr.HolderKey(), status: ans, presentedAt: kb.IssuedAt,
	}
	if c.nik == "" {
		c.nik = nikOfDocument(c.document)
	}
	if exp, ok := vr.Time("exp"); ok {
		c.validUntil = exp
	}
	return c, nil
}
