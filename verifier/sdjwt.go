package verifier

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// VerifySDJWT verifies one SD-JWT VC presentation (compact SD-JWT+KB, RFC
// 9901 §4) made for this verifier. nonce is the nonce of this verifier's
// request; "" means a one-way flow, where freshness rests on the KB-JWT's
// aud and iat and on the replay cache.
func (v *Verifier) VerifySDJWT(presentation, nonce string) (*Result, error) {
	at := v.now()
	l := v.cfg.Trust.Current()
	if l == nil {
		return nil, fail(CheckTrust, 0, ErrUntrustedIssuer, nil, "no trust list loaded")
	}
	c, err := v.verifySDJWT(l, 0, presentation, nonce, at)
	if err != nil {
		return nil, err
	}
	return v.finish([]Credential{*c}, at)
}

var b64 = base64.RawURLEncoding.Strict()

// peekIssuerJWT reads iss, vct and kid from the issuer-signed JWT without
// verifying anything, so that trust and authorisation can be decided first.
func peekIssuerJWT(s string) (iss, vct, kid string, err error) {
	jwt, _, ok := strings.Cut(s, "~")
	if !ok {
		return "", "", "", errors.New("no ~ separator")
	}
	h, rest, ok1 := strings.Cut(jwt, ".")
	p, _, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 {
		return "", "", "", errors.New("issuer JWT is not a compact JWS")
	}
	hb, err := b64.DecodeString(h)
	if err != nil {
		return "", "", "", err
	}
	hdr, err := strictjson.UnmarshalObject(hb, 4)
	if err != nil {
		return "", "", "", err
	}
	pb, err := b64.DecodeString(p)
	if err != nil {
		return "", "", "", err
	}
	pl, err := strictjson.UnmarshalObject(pb, sdjwt.MaxDepth)
	if err != nil {
		return "", "", "", err
	}
	iss, _ = pl["iss"].(string)
	vct, _ = pl["vct"].(string)
	if iss == "" || vct == "" {
		return "", "", "", errors.New("iss and vct are required (draft-ietf-oauth-sd-jwt-vc-18 §3.2.2.2)")
	}
	if k, ok := hdr["kid"]; ok {
		if kid, ok = k.(string); !ok {
			return "", "", "", errors.New("kid is not a string")
		}
	}
	return iss, vct, kid, nil
}

func (v *Verifier) verifySDJWT(l *trustlist.List, idx int, pres, nonce string, at time.Time) (*Credential, error) {
	// 1. Format.
	if len(pres) > sdjwt.MaxTokenSize {
		return nil, fail(CheckFormat, idx, ErrMalformed, nil, "presentation of %d bytes (max %d)", len(pres), sdjwt.MaxTokenSize)
	}
	iss, vct, kid, err := peekIssuerJWT(pres)
	if err != nil {
		return nil, fail(CheckFormat, idx, ErrMalformed, nil, "%v", err)
	}
	// 2. Trust: the key must be listed for the iss (RFC 9901 §7.1 step 2.3
	// leaves the trust decision to the verifier).
	issuer, key, err := l.IssuerKey(iss, kid)
	if err != nil {
		return nil, fail(CheckTrust, idx, ErrUntrustedIssuer, err, "")
	}
	// 3. Authorisation for the vct.
	if !slices.Contains(issuer.VCTs, vct) {
		return nil, fail(CheckAuthorization, idx, ErrUnauthorizedType, nil, "%s may not issue %.200s", issuer.Name, vct)
	}
	// 4-7: signature, disclosures and key binding (package sdjwt); the
	// validity period (9) is compared below, after freshness and replay.
	opts := sdjwt.VerifyOptions{
		DeferValidity:    true,
		IssuerKey:        key,
		Now:              func() time.Time { return at },
		ClockSkew:        v.cfg.ClockSkew,
		Audience:         v.cfg.Audience,
		Nonce:            nonce,
		IgnoreNonce:      nonce == "",
		KeyBindingMaxAge: v.window,
	}
	vr, err := sdjwt.VerifyVC(pres, opts)
	if err != nil {
		return nil, mapSDJWTError(idx, err)
	}
	kb := vr.KeyBinding()
	if kb == nil || vr.HolderKey() == nil {
		return nil, fail(CheckHolderBinding, idx, ErrHolderBinding, nil, "no key binding")
	}
	// 7. Freshness, on top of sdjwt's own KB-JWT iat check.
	if err := v.fresh(idx, kb.IssuedAt, at); err != nil {
		return nil, err
	}
	// 8. Replay: the KB-JWT signing input (header.payload) identifies the
	// presentation; hashing it rather than the whole JWT is immune to
	// ECDSA signature malleability.
	kbJWT := pres[strings.LastIndexByte(pres, '~')+1:]
	input := kbJWT[:strings.LastIndexByte(kbJWT, '.')]
	if err := v.checkReplay(idx, "sd-jwt\x00"+input, kb.IssuedAt, at); err != nil {
		return nil, err
	}
	// 9. Validity (RFC 7519 §4.1.4-4.1.6; RFC 9901 §7.1 step 5).
	if err := vr.CheckValidity(at); err != nil {
		return nil, mapSDJWTError(idx, err)
	}
	// 10. Status.
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
		Format: FormatSDJWT, Type: vct, Issuer: issuer.ID, IssuerName: issuer.Name,
		Claims: claims, Document: typedFromClaims(vct, claims), NIK: nikOf(claims),
		HolderKey: vr.HolderKey(), Status: ans, PresentedAt: kb.IssuedAt,
	}
	if c.NIK == "" {
		c.NIK = nikOfDocument(c.Document)
	}
	if exp, ok := vr.Time("exp"); ok {
		c.ValidUntil = exp
	}
	return c, nil
}

func mapSDJWTError(idx int, err error) error {
	var se *sdjwt.Error
	if !errors.As(err, &se) {
		return fail(CheckSignature, idx, ErrSignature, err, "")
	}
	switch se.Check {
	case sdjwt.CheckAlgorithm, sdjwt.CheckKey, sdjwt.CheckSignature:
		return fail(CheckSignature, idx, ErrSignature, err, "")
	case sdjwt.CheckDisclosures:
		return fail(CheckDisclosure, idx, ErrDisclosure, err, "")
	case sdjwt.CheckValidity:
		if errors.Is(err, sdjwt.ErrExpired) {
			return fail(CheckValidity, idx, ErrExpired, err, "")
		}
		return fail(CheckValidity, idx, ErrNotYetValid, err, "")
	case sdjwt.CheckKeyBinding:
		switch {
		case errors.Is(err, sdjwt.ErrAudience):
			return fail(CheckHolderBinding, idx, ErrAudience, err, "")
		case errors.Is(err, sdjwt.ErrFreshness), errors.Is(err, sdjwt.ErrNonce):
			return fail(CheckFreshness, idx, ErrNotFresh, err, "")
		}
		return fail(CheckHolderBinding, idx, ErrHolderBinding, err, "")
	default:
		// Format, typ and SD-JWT VC profile rules.
		return fail(CheckFormat, idx, ErrMalformed, err, "")
	}
}

// fresh checks a presentation time against the window and the skew.
func (v *Verifier) fresh(idx int, t, at time.Time) error {
	if t.After(at.Add(v.cfg.ClockSkew)) {
		return fail(CheckFreshness, idx, ErrNotFresh, nil, "made at %v, in the future", t.UTC())
	}
	if at.Sub(t) > v.window+v.cfg.ClockSkew {
		return fail(CheckFreshness, idx, ErrNotFresh, nil, "made at %v, more than %v ago", t.UTC(), v.window)
	}
	return nil
}

// checkReplay records the presentation until it can no longer be fresh.
func (v *Verifier) checkReplay(idx int, id string, madeAt, at time.Time) error {
	key := sha256.Sum256([]byte(id))
	exp := madeAt.Add(v.window + 2*v.cfg.ClockSkew)
	if !exp.After(at) {
		exp = at.Add(v.window + 2*v.cfg.ClockSkew)
	}
	if v.replay.checkAndAdd(key, at, exp) {
		return fail(CheckReplay, idx, ErrReplay, nil, "")
	}
	return nil
}
