package sdjwt

import (
	"slices"
)

// SD-JWT VC media types for the typ header
// (draft-ietf-oauth-sd-jwt-vc-18 §3.2.1).
const (
	// TypeVC is the typ of an SD-JWT VC.
	TypeVC = "dc+sd-jwt"
	// TypeVCLegacy is the typ used by drafts before -06; accepted on input only.
	TypeVCLegacy = "vc+sd-jwt"
)

// NonDisclosableVCClaims are the registered claims an SD-JWT VC keeps in
// the issuer-signed payload: they "MUST NOT be included in the Disclosures"
// (draft-ietf-oauth-sd-jwt-vc-18 §3.2.2.2).
var NonDisclosableVCClaims = []string{"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status"}

// IssueVC issues an SD-JWT VC: [Issue] with typ dc+sd-jwt, a required
// string vct, and a check that none of [NonDisclosableVCClaims] is made
// selectively disclosable.
func IssueVC(claims map[string]any, opts IssueOptions) (string, error) {
	// draft-ietf-oauth-sd-jwt-vc-18 §3.2.2.2: vct is REQUIRED.
	if vct, ok := claims["vct"].(string); !ok || vct == "" {
		return "", newErr(CheckProfile, ErrMissingClaim, "vct")
	}
	if opts.Type == "" {
		opts.Type = TypeVC
	}
	if opts.Type != TypeVC {
		return "", newErr(CheckOptions, ErrOptions, "SD-JWT VC typ must be %q", TypeVC)
	}
	for _, p := range opts.Disclosable {
		if len(p) != 1 {
			continue
		}
		if name, ok := p[0].(string); ok && slices.Contains(NonDisclosableVCClaims, name) {
			return "", newErr(CheckProfile, ErrNotDisclosable, "%q", name)
		}
	}
	return Issue(claims, opts)
}

// VerifyVC verifies an SD-JWT VC presentation: [Verify] with typ dc+sd-jwt
// (vc+sd-jwt also accepted) unless opts.Types says otherwise, then the
// SD-JWT VC rules: vct present and a string, and none of
// [NonDisclosableVCClaims] revealed through a disclosure.
//
// VerifyVC does not check status (revocation); see package
// credential/statuslist for that.
func VerifyVC(presentation string, opts VerifyOptions) (*Verified, error) {
	if len(opts.Types) == 0 {
		opts.Types = []string{TypeVC, TypeVCLegacy}
	}
	v, err := verify(presentation, &opts)
	if err != nil {
		return nil, err
	}
	// draft-ietf-oauth-sd-jwt-vc-18 §3.2.2.2: vct is REQUIRED.
	if vct, ok := v.claims["vct"].(string); !ok || vct == "" {
		return nil, newErr(CheckProfile, ErrMissingClaim, "vct")
	}
	for _, p := range v.disclosed {
		if len(p) != 1 {
			continue
		}
		if name, ok := p[0].(string); ok && slices.Contains(NonDisclosableVCClaims, name) {
			return nil, newErr(CheckProfile, ErrNotDisclosable, "%q was disclosed", name)
		}
	}
	if iss, ok := v.claims["iss"]; ok {
		if _, ok := iss.(string); !ok {
			return nil, newErr(CheckProfile, ErrMalformed, "iss is not a string")
		}
	}
	return v, nil
}

// VCT returns the vct claim of an SD-JWT VC.
func (v *Verified) VCT() string { return v.StringClaim("vct") }
