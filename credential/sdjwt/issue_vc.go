package sdjwt

import (
	"slices"

	"github.com/ikdkit/ikdkit/credential/check"
)

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

// checkVC applies the SD-JWT VC rules IssueVC applies before issuing:
// a string vct, typ dc+sd-jwt (set when empty), and none of
// NonDisclosableVCClaims made selectively disclosable.
func checkVC(claims map[string]any, opts *IssueOptions) error {
	// draft-ietf-oauth-sd-jwt-vc-18 §3.2.2.2: vct is REQUIRED.
	if vct, ok := claims["vct"].(string); !ok || vct == "" {
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
