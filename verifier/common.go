package verifier

import (
	"errors"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/statuslist"
)

// checkStatus looks the credential's status up in the cache (draft-ietf-
// oauth-status-list-20 §8.3): revoked, suspended, too old and unavailable
// are distinct outcomes.
func (v *Verifier) checkStatus(idx int, ref *statuslist.Reference) (*statuslist.Answer, error) {
	p := v.cfg.Policy
	if p.SkipStatus {
		return nil, nil
	}
	if ref == nil {
		if p.AllowNoStatus {
			return nil, nil
		}
		return nil, fail(check.Status, idx, ErrStatusUnavailable, nil, "credential has no status reference")
	}
	ans, err := v.cfg.Status.Lookup(*ref)
	switch {
	case errors.Is(err, statuslist.ErrStale), errors.Is(err, statuslist.ErrExpired):
		return nil, fail(check.Status, idx, ErrStatusStale, err, "")
	case err != nil:
		return nil, fail(check.Status, idx, ErrStatusUnavailable, err, "")
	}
	if p.MaxStatusAge > 0 && ans.Age > p.MaxStatusAge {
		return nil, fail(check.Status, idx, ErrStatusStale, nil, "status answer is %v old, policy allows %v", ans.Age.Round(time.Second), p.MaxStatusAge)
	}
	switch ans.Status {
	case statuslist.Valid:
		return &ans, nil
	case statuslist.Invalid:
		return nil, fail(check.Status, idx, ErrRevoked, nil, "")
	case statuslist.Suspended:
		return nil, fail(check.Status, idx, ErrSuspended, nil, "")
	default:
		// draft §7.1: other values are application specific; without a
		// meaning for them the credential cannot be accepted.
		return nil, fail(check.Status, idx, ErrRevoked, nil, "status %v", ans.Status)
	}
}

// nikOf finds the holder's NIK in a claim set: the KTP-el, NPWP and BPJS
// top-level personal_administrative_number, the QR profile's id.nik, or the
// KK's holder member (docs/domain.md §8).
func nikOf(claims map[string]any) string {
	if s, ok := claims["personal_administrative_number"].(string); ok {
		return s
	}
	if id, ok := claims["id"].(map[string]any); ok {
		if s, ok := id["nik"].(string); ok {
			return s
		}
	}
	if hm, ok := claims["holder_member"].(map[string]any); ok {
		if s, ok := hm["personal_administrative_number"].(string); ok {
			return s
		}
	}
	return ""
}

// typedFromClaims decodes a complete SD-JWT VC claim set of an ikdkit type.
// A partial disclosure does not decode, and that is not an error.
func typedFromClaims(vct string, claims map[string]any) credential.Document {
	d, _ := credential.DocumentFromClaims(vct, claims)
	return d
}

// typedFromMdoc is typedFromClaims for mdoc elements.
func typedFromMdoc(docType string, ns map[string]map[string]any) credential.Document {
	d, _ := credential.DocumentFromMdoc(docType, ns)
	return d
}
