package oid4vp

import (
	"fmt"
	"slices"
	"sort"

	"github.com/ikdkit/ikdkit/credential"
)

// Presented describes one verified Presentation of a VP Token, in the
// terms of [Query.CheckPresented]: what the Verifier learnt from it.
type Presented struct {
	// Format is the Credential Format Identifier of the presentation.
	Format credential.Format
	// VCT is the vct of an SD-JWT VC.
	VCT string
	// Doctype is the doctype of an mdoc.
	Doctype string
	// Types are the fully expanded types of a W3C Verifiable Credential.
	Types []string
	// Claims are the disclosed claims of a JSON-based Credential: for an
	// SD-JWT VC, the processed payload (verifier.Credential.Claims). The
	// values are those allowed in [Candidate.Claims].
	Claims map[string]any
	// NameSpaces are the disclosed data elements of an mdoc
	// (verifier.Credential.NameSpaces).
	NameSpaces map[string]map[string]any
	// HolderBinding says the presentation carried a verified proof of
	// cryptographic holder binding.
	HolderBinding bool
}

// PresentationReason names the check of [Query.CheckPresented] that
// failed, for [PresentationError].
type PresentationReason string

// The checks of [Query.CheckPresented].
const (
	// ReasonUnknownQuery: a vp_token key is the id of a Credential Query
	// (§8.1).
	ReasonUnknownQuery PresentationReason = "unknown-query"
	// ReasonEmpty: a vp_token value is an array of one or more
	// Presentations (§8.1).
	ReasonEmpty PresentationReason = "empty"
	// ReasonNotMultiple: without multiple, the array holds exactly one
	// Presentation (§6.1, §8.1).
	ReasonNotMultiple PresentationReason = "not-multiple"
	// ReasonFormat: the Presentation has the Credential Query's format
	// (§6.1).
	ReasonFormat PresentationReason = "format"
	// ReasonMeta: its type is allowed by meta: vct_values, doctype_value
	// or type_values (B.3.5, B.2.3, B.1.1).
	ReasonMeta PresentationReason = "meta"
	// ReasonHolderBinding: it carries a proof of cryptographic holder
	// binding unless the query sets require_cryptographic_holder_binding
	// to false (§6.1, §8.6).
	ReasonHolderBinding PresentationReason = "holder-binding"
	// ReasonClaims: it discloses the claims of the query, or of one of
	// its claim_sets options, with matching values (§6.3, §6.4.1).
	ReasonClaims PresentationReason = "claims"
	// ReasonMissing: the Presentations answer every required Credential
	// Query, or one option of every required credential set (§6.4.2).
	ReasonMissing PresentationReason = "missing"
)

// reasonSections says where each check is written.
var reasonSections = map[PresentationReason]string{
	ReasonUnknownQuery: "§8.1", ReasonEmpty: "§8.1", ReasonNotMultiple: "§6.1, §8.1",
	ReasonFormat: "§6.1", ReasonMeta: "Appendix B", ReasonHolderBinding: "§6.1",
	ReasonClaims: "§6.4.1", ReasonMissing: "§6.4.2",
}

// Section returns where the check is written in OpenID4VP 1.0.
func (r PresentationReason) Section() string { return reasonSections[r] }

// PresentationError reports Presentations that do not answer a DCQL
// query. It unwraps to [ErrPresentationMismatch].
type PresentationError struct {
	// Reason is the check that failed.
	Reason PresentationReason
	// Query is the id of the Credential Query concerned ("" for a
	// credential set).
	Query string
	// Index is the index of the Presentation in its array, or -1 when
	// the error concerns the whole entry or a set.
	Index int
	// Set is the index of the unsatisfied credential set for
	// ReasonMissing, else -1.
	Set int
	// Detail says what was wrong, for people.
	Detail string
}

// Error returns "oid4vp: the presentations do not answer the DCQL query:
// <query>[<index>]: <reason> (<section>): <detail>".
func (e *PresentationError) Error() string {
	where := ""
	switch {
	case e.Set >= 0:
		where = fmt.Sprintf("credential_sets[%d]: ", e.Set)
	case e.Index >= 0:
		where = fmt.Sprintf("%.64q[%d]: ", e.Query, e.Index)
	case e.Query != "":
		where = fmt.Sprintf("%.64q: ", e.Query)
	}
	return fmt.Sprintf("%v: %s%s (%s): %s", ErrPresentationMismatch, where, e.Reason, e.Reason.Section(), e.Detail)
}

// Unwrap returns [ErrPresentationMismatch].
func (e *PresentationError) Unwrap() error { return ErrPresentationMismatch }

func perr(r PresentationReason, query string, index, set int, format string, args ...any) *PresentationError {
	return &PresentationError{Reason: r, Query: query, Index: index, Set: set, Detail: fmt.Sprintf(format, args...)}
}

// CheckPresented checks that the verified Presentations of a VP Token,
// keyed by Credential Query id as in the vp_token (§8.1), answer the
// query: the Verifier's check of §8.6 that "the returned Credential(s)
// meet all criteria defined in the query" and that "the set of
// Presentations returned satisfies all requirements" (§6.4). The error is
// a [*PresentationError].
//
// Every entry names a Credential Query and holds one Presentation, or
// several when the query allows multiple (§8.1). Every Presentation has
// the query's format and type, holder binding unless the query waives it,
// and discloses the claims of the query or of one of its claim_sets
// options, with values matching (§6.3, §6.4.1). Without credential_sets
// every Credential Query is answered; with them, every required set has
// an option all of whose queries are answered (§6.4.2).
//
// It is stricter than §8.6 in one way: a Presentation that fails its
// query's criteria fails the whole check, where §8.6 discards it and
// checks the rest; a caller wanting that drops the Presentation named by
// the error and calls again.
//
// An integer in a claims path matches any element of a presented array:
// an SD-JWT presentation removes the array elements it does not disclose
// (RFC 9901 §7.1), so positions may differ from the issued credential's.
// trusted_authorities are not checked: the Verifier decides the issuer's
// trust itself (§6.1.1). A Verifier MUST NOT rely on the Wallet applying
// values (§6.4.1, §14.11); this check applies them to what was disclosed.
// It reads only what the caller verified: it is no substitute for
// verifying the Presentations.
func (q *Query) CheckPresented(presented map[string][]Presented) error {
	if q == nil {
		return qerr(RuleCredentials, "", "nil query")
	}
	if err := q.check(false); err != nil {
		return err
	}
	total := 0
	for _, ps := range presented {
		total += len(ps)
	}
	if total > MaxCandidates {
		return fmt.Errorf("%w: %d presentations, over the cap of %d", ErrInvalidCandidate, total, MaxCandidates)
	}
	ids := make([]string, 0, len(presented))
	for id := range presented {
		ids = append(ids, id)
	}
	sort.Strings(ids) // report errors deterministically
	answered := make(map[string]bool, len(presented))
	for _, id := range ids {
		ps := presented[id]
		i := slices.IndexFunc(q.Credentials, func(cq CredentialQuery) bool { return cq.ID == id })
		if i < 0 {
			return perr(ReasonUnknownQuery, id, -1, -1, "no Credential Query has this id")
		}
		cq := &q.Credentials[i]
		if len(ps) == 0 {
			return perr(ReasonEmpty, id, -1, -1, "an empty array of Presentations")
		}
		if !cq.Multiple && len(ps) > 1 {
			return perr(ReasonNotMultiple, id, -1, -1, "%d Presentations for a query without multiple", len(ps))
		}
		for j := range ps {
			p := &ps[j]
			if err := checkClaims(p.Claims, p.NameSpaces); err != nil {
				return fmt.Errorf("%w: presentation %.64q[%d]: %v", ErrInvalidCandidate, id, j, err)
			}
			if err := cq.checkPresented(p); err != nil {
				err.Query, err.Index = id, j
				return err
			}
		}
		answered[id] = true
	}
	if len(q.CredentialSets) == 0 {
		// §6.4.2: without credential_sets, every Credential Query is
		// requested.
		for _, cq := range q.Credentials {
			if !answered[cq.ID] {
				return perr(ReasonMissing, cq.ID, -1, -1, "the Credential Query is not answered")
			}
		}
		return nil
	}
	for si, set := range q.CredentialSets {
		if set.Optional {
			continue
		}
		// §6.4.2: a required set is satisfied by one of its options.
		if !slices.ContainsFunc(set.Options, func(opt []string) bool {
			return !slices.ContainsFunc(opt, func(id string) bool { return !answered[id] })
		}) {
			return perr(ReasonMissing, "", -1, si, "no option of the required credential set is answered")
		}
	}
	return nil
}

// checkPresented checks one Presentation against the Credential Query.
func (cq *CredentialQuery) checkPresented(p *Presented) *PresentationError {
	v := credView{format: p.Format, vct: p.VCT, doctype: p.Doctype, types: p.Types,
		claims: p.Claims, ns: p.NameSpaces, holderBinding: p.HolderBinding, presented: true}
	if m, r, why := cq.match(&v); m == nil {
		return perr(r, "", -1, -1, "%s", why)
	}
	return nil
}
