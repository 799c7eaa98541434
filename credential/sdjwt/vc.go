package sdjwt

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/ikdkit/ikdkit/credential/check"
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
	if err := checkVC(claims, &opts); err != nil {
		return "", err
	}
	return Issue(claims, opts)
}

// IssueVCBytes is [IssueVC] returning the SD-JWT VC as bytes: the token is
// written once, into a buffer the caller owns, so an issuer that keeps it as
// []byte (a credential record, an HTTP response body) does not copy it.
// The checks and the output are IssueVC's.
func IssueVCBytes(claims map[string]any, opts IssueOptions) ([]byte, error) {
	if err := checkVC(claims, &opts); err != nil {
		return nil, err
	}
	return issue(claims, opts)
}

// checkVC applies the SD-JWT VC rules before issuing: a string vct, typ
// dc+sd-jwt (set when empty), and none of NonDisclosableVCClaims made
// selectively disclosable.
func checkVC(claims map[string]any, opts *IssueOptions) error {
	// draft-ietf-oauth-sd-jwt-vc-18 §3.2.2.2: vct is REQUIRED, in claims
	// or in Extra.
	vct, ok := claims["vct"]
	for _, c := range opts.Extra {
		if !ok && c.Name == "vct" {
			vct, ok = c.Value, true
		}
	}
	if s, _ := vct.(string); s == "" {
		return newErr(check.Format, ErrMissingClaim, "vct")
	}
	if opts.Type == "" {
		opts.Type = TypeVC
	}
	if opts.Type != TypeVC {
		return newErr(check.Input, ErrOptions, "SD-JWT VC typ must be %q", TypeVC)
	}
	for _, p := range opts.Disclosable {
		if len(p) != 1 {
			continue
		}
		if name, ok := p[0].(string); ok && slices.Contains(NonDisclosableVCClaims, name) {
			return newErr(check.Format, ErrNotDisclosable, "%q", name)
		}
	}
	return nil
}

// vcTypes are the typ values VerifyVC accepts by default. Read only.
var vcTypes = []string{TypeVC, TypeVCLegacy}

// VerifyVC verifies an SD-JWT VC presentation: [Verify] with typ dc+sd-jwt
// (vc+sd-jwt also accepted) unless opts.Types says otherwise, then the
// SD-JWT VC rules: vct present and a string, and none of
// [NonDisclosableVCClaims] revealed through a disclosure.
//
// VerifyVC does not check status (revocation); see package
// credential/statuslist for that.
func VerifyVC(presentation string, opts VerifyOptions) (*Verified, error) {
	if len(opts.Types) == 0 {
		opts.Types = vcTypes
	}
	v, err := verify(presentation, &opts)
	if err != nil {
		return nil, err
	}
	// draft-ietf-oauth-sd-jwt-vc-18 §3.2.2.2: vct is REQUIRED.
	if vct, ok := v.claims["vct"].(string); !ok || vct == "" {
		return nil, newErr(check.Format, ErrMissingClaim, "vct")
	}
	for _, p := range v.disclosed {
		if len(p) != 1 {
			continue
		}
		if name, ok := p[0].(string); ok && slices.Contains(NonDisclosableVCClaims, name) {
			return nil, newErr(check.Format, ErrNotDisclosable, "%q was disclosed", name)
		}
	}
	if _, _, err := v.statusList(); err != nil {
		return nil, err
	}
	if iss, ok := v.claims["iss"]; ok {
		if _, ok := iss.(string); !ok {
			return nil, newErr(check.Format, ErrMalformed, "iss is not a string")
		}
	}
	return v, nil
}

// VCT returns the vct claim of an SD-JWT VC.
func (v *Verified) VCT() string { return v.StringClaim("vct") }

// StatusList returns the Token Status List reference of the credential, the
// status claim's status_list {idx, uri} (draft-ietf-oauth-status-list §6.1;
// draft-ietf-oauth-sd-jwt-vc-18 §3.2.2.2). ok is false when there is none.
// Checking the status itself is the caller's job (package
// credential/statuslist).
func (v *Verified) StatusList() (idx int, uri string, ok bool) {
	idx, uri, err := v.statusList()
	return idx, uri, err == nil && uri != ""
}

func (v *Verified) statusList() (int, string, *check.Error) {
	st, present := v.claims["status"]
	if !present {
		return 0, "", nil
	}
	m, ok := st.(map[string]any)
	if !ok {
		return 0, "", newErr(check.Format, ErrMalformed, "status is not an object")
	}
	sl, present := m["status_list"]
	if !present {
		return 0, "", nil // another status mechanism: not ours to judge
	}
	ref, ok := sl.(map[string]any)
	if !ok {
		return 0, "", newErr(check.Format, ErrMalformed, "status.status_list is not an object")
	}
	n, _ := ref["idx"].(json.Number)
	idx, err := strconv.ParseInt(string(n), 10, 32)
	if err != nil || idx < 0 {
		return 0, "", newErr(check.Format, ErrMalformed, "status.status_list.idx is not a non-negative integer")
	}
	uri, _ := ref["uri"].(string)
	if uri == "" {
		return 0, "", newErr(check.Format, ErrMalformed, "status.status_list.uri is not a non-empty string")
	}
	return int(idx), uri, nil
}

// PeekIssuer reads the iss and vct claims and the kid header of an SD-JWT
// VC's issuer-signed JWT WITHOUT verifying anything, so that a verifier can
// choose the issuer key and decide trust and authorisation before it
// verifies (RFC 9901 §7.1 step 2.3 leaves that choice to the verifier).
// What it returns is only what the sender claims: never use it for
// anything else. Sizes and encodings are checked as [Verify] checks them;
// iss and vct are required (draft-ietf-oauth-sd-jwt-vc-18 §3.2.2.2).
func PeekIssuer(presentation string) (iss, vct, kid string, err error) {
	if len(presentation) > MaxTokenSize {
		return "", "", "", newErr(check.Format, ErrTooLarge, "%d bytes, limit %d", len(presentation), MaxTokenSize)
	}
	jwt, _, ok := strings.Cut(presentation, "~")
	if !ok {
		return "", "", "", newErr(check.Format, ErrMalformed, "no ~ separator")
	}
	jws, e := parseCompactJWS(jwt, "issuer-signed JWT", nil)
	if e != nil {
		return "", "", "", e
	}
	iss, _ = jws.payload["iss"].(string)
	vct, _ = jws.payload["vct"].(string)
	if iss == "" || vct == "" {
		return "", "", "", newErr(check.Format, ErrMissingClaim, "iss and vct are required (draft-ietf-oauth-sd-jwt-vc-18 §3.2.2.2)")
	}
	if k, present := jws.Header["kid"]; present {
		if kid, ok = k.(string); !ok {
			return "", "", "", newErr(check.Format, ErrMalformed, "kid is not a string")
		}
	}
	return iss, vct, kid, nil
}
