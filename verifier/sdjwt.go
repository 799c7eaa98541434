package verifier

import (
	"context"
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
	// The issuer, type and key the presentation claims, not yet verified:
	// they choose the key and decide trust and authorisation, which can
	// only refuse.
	iss, vct, kid, err := sdjwt.PeekIssuer(pres)
	if err != nil {
		return nil, fail(check.Format, idx, ErrMalformed, err, "")
	}
	// Trust: the key must be listed for the iss (RFC 9901 §7.1 step 2.3
	// leaves the trust decision to the verifier).
	issuer, key, err := l.IssuerKey(iss, kid)
	if err != nil {
		return nil, fail(check.Trust, idx, ErrUntrustedIssuer, err, "")
	}
	// Authorisation for the vct.
	if !slices.Contains(issuer.VCTs, vct) {
		return nil, fail(check.Authorization, idx, ErrUnauthorizedType, nil, "%s may not issue %.200s", issuer.Name, vct)
	}
	// Signature, disclosures, validity (RFC 7519 §4.1.4-4.1.6; RFC 9901
	// §7.1 step 5), key binding (§7.3) and the KB-JWT's freshness:
	// package sdjwt, with the key the trust list selected and nothing
	// else.
	ws, _ := v.workspaces.Get().(*sdjwt.Workspace)
	if ws == nil {
		ws = new(sdjwt.Workspace)
	}
	vr, err := sdjwt.VerifyVC(pres, sdjwt.VerifyOptions{
		IssuerKey:        key,
		Now:              func() time.Time { return at },
		ClockSkew:        v.cfg.ClockSkew,
		Audience:         aud,
		Nonce:            nonce,
		IgnoreNonce:      nonce == "",
		KeyBindingMaxAge: v.window,
		Workspace:        ws,
	})
	v.workspaces.Put(ws)
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
