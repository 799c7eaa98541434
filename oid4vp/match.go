package oid4vp

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ikdkit/ikdkit/credential"
)

// DCQL matching (§6.4): which of the Wallet's Credentials answer a query,
// with which claims, and whether a response answers it.

// Caps on what [Query.Match] and [Query.CheckPresented] accept. The cost
// of matching is at most the number of claims queries of the query times
// the nodes of the candidates, so these bound it together with the caps
// of the query (MaxCredentialQueries, MaxClaimsQueries, MaxPathLen).
const (
	// MaxCandidates caps the candidates of one Match call and the
	// presentations of one CheckPresented call.
	MaxCandidates = 256
	// MaxCandidateNodes caps the values of one candidate's claims tree
	// (every object, array and scalar counts one), or its mdoc data
	// elements.
	MaxCandidateNodes = 4096
	// MaxClaimDepth caps the nesting of a claims tree. The root object is
	// at depth 1; a claims path pointer reaches at most depth
	// MaxPathLen+1.
	MaxClaimDepth = MaxPathLen + 1
)

// Errors of matching.
var (
	// ErrNoMatch is wrapped by the [*NoMatchError] of [Query.Match]: the
	// candidates cannot satisfy the query (§6.4.2: the Wallet then MUST
	// NOT return any Credential).
	ErrNoMatch = errors.New("oid4vp: no credentials satisfy the DCQL query")
	// ErrInvalidCandidate reports a [Candidate] or [Presented] that
	// breaks its documented shape or the caps above: a programming error
	// of the caller, not a property of the query.
	ErrInvalidCandidate = errors.New("oid4vp: invalid candidate")
	// ErrPresentationMismatch is wrapped by the [*PresentationError] of
	// [Query.CheckPresented].
	ErrPresentationMismatch = errors.New("oid4vp: the presentations do not answer the DCQL query")
)

// Candidate describes one Credential the Wallet holds, in the terms DCQL
// matches on (§6.1, §6.3, §7, Appendix B). It is format-neutral: the
// Wallet builds one from a stored SD-JWT VC or mdoc, and [Query.Match]
// reads it without parsing or verifying anything.
type Candidate struct {
	// Format is the Credential Format Identifier: credential.FormatSDJWT,
	// credential.FormatMdoc, FormatJWTVCJSON or FormatLDPVC. A query of
	// another format matches no candidate (its meta has no meaning here).
	Format credential.Format
	// VCT is the vct of an SD-JWT VC, compared with vct_values (B.3.5).
	// Types that the vct extends are not followed.
	VCT string
	// Doctype is the doctype of an mdoc, compared with doctype_value
	// (B.2.3).
	Doctype string
	// Types are the fully expanded type values of a W3C Verifiable
	// Credential, compared with type_values (B.1.1).
	Types []string
	// Claims are the claims of a JSON-based Credential, with every
	// selectively disclosable claim in place (for an SD-JWT VC, the
	// payload with all disclosures applied, without _sd and _sd_alg). A
	// value is a map[string]any, []any, string, bool, nil, json.Number,
	// a Go integer or float, []byte (matched by values as its unpadded
	// base64url, RFC 8949 §6.1) or an encoding.TextMarshaler (matched as
	// its text, e.g. a date); nesting is at most MaxClaimDepth.
	Claims map[string]any
	// NameSpaces are the data elements of an mdoc: namespace → element
	// identifier → value (§7.2). Values are matched by values in their
	// JSON form (§6.3, RFC 8949 §6.1): integers, strings and booleans as
	// such, a tagged date (tag 0 or 1004) given as its text or as an
	// encoding.TextMarshaler, a byte string as []byte; other values
	// exist but match no values.
	NameSpaces map[string]map[string]any
	// AlwaysDisclosed lists the claims that every presentation of the
	// Credential discloses, each with everything inside it, as concrete
	// paths (strings and indices, no null): for an SD-JWT VC, the
	// claims of the Issuer-signed JWT that are not selectively
	// disclosable, such as {"iss"}, {"vct"}, {"cnf"}, {"status"}. A
	// selected claim at or below one of them is not listed in
	// [CandidateMatch.Disclose]. Empty for an mdoc: every data element is
	// disclosed on its own.
	AlwaysDisclosed []ClaimsPath
	// Authorities are what the Credential's issuer satisfies for
	// trusted_authorities (§6.1.1): for example {AuthorityAKI, the
	// base64url KeyIdentifier of a certificate's AuthorityKeyIdentifier
	// in the Credential's chain}. Values are compared as strings.
	Authorities []Authority
	// HolderBinding says the Credential can be presented with a proof of
	// cryptographic holder binding (a KB-JWT, mdoc device
	// authentication). Without it, only queries with
	// require_cryptographic_holder_binding false match (§6.1).
	HolderBinding bool
}

// Authority is one identifier of a Trusted Authorities Query type (§6.1.1)
// that a Credential's issuer satisfies.
type Authority struct {
	// Type is AuthorityAKI, AuthorityETSITrustedList,
	// AuthorityOpenIDFederation or another type.
	Type string
	// Value is the identifier, in the form of the type's values.
	Value string
}

// Match is the Wallet's answer to a query ([Query.Match]): the Credential
// Queries to answer and, for each, the candidates to present and the
// claims to disclose.
type Match struct {
	// Credentials holds the Credential Queries to answer, in the order of
	// the query's credentials: all of them without credential_sets, else
	// those of the option taken in each credential set (§6.4.2).
	Credentials []CredentialMatch
	// Sets holds, for each Credential Set Query, the index of the option
	// taken: the first option every query of which some candidate
	// matches, or -1 for an optional set that no option satisfies. Nil
	// without credential_sets.
	Sets []int
}

// Get returns the answer to the Credential Query with the given id, or
// nil if the query is not to be answered.
func (m *Match) Get(id string) *CredentialMatch {
	for i := range m.Credentials {
		if m.Credentials[i].ID == id {
			return &m.Credentials[i]
		}
	}
	return nil
}

// CredentialMatch answers one Credential Query.
type CredentialMatch struct {
	// ID is the Credential Query's id, the key of its presentations in
	// the VP Token (§8.1).
	ID string
	// Chosen are the candidates to present: every matching candidate when
	// the query allows multiple, else one: the one satisfying the
	// earliest claim_sets option, the first in candidate order among
	// equals (§6.4.1: the Wallet SHOULD return the first option it can
	// satisfy).
	Chosen []CandidateMatch
	// Matching are all the candidates that match, in candidate order; a
	// Wallet may let the End-User pick among them (§6.4.3).
	Matching []CandidateMatch
}

// CandidateMatch is one candidate matching a Credential Query.
type CandidateMatch struct {
	// Index is the candidate's index in the slice given to Match.
	Index int
	// ClaimSet is the index of the claim_sets option used: the first the
	// candidate satisfies (§6.4.1). -1 when the query has no claim_sets.
	ClaimSet int
	// Claims are the concrete paths (no null) of every claim selected by
	// the Claims Queries of that option (or of all claims without
	// claim_sets), in query order, each once: a null wildcard expands to
	// the elements it selects, and values drop the elements whose value
	// does not match. Empty when the query has no claims.
	Claims []ClaimsPath
	// Disclose are the Claims that are selectively disclosable (not at
	// or below a path of Candidate.AlwaysDisclosed): the smallest
	// disclosure answering the query (§6.4: nothing else selectively
	// disclosable may be sent). For an SD-JWT VC they convert to
	// sdjwt.Path for Unverified.Select; for an mdoc they are [namespace,
	// element] pairs. Empty when the query has no claims: the Wallet then
	// sends only what every presentation discloses (§6.4.1), which for a
	// format without selective disclosure is the whole Credential.
	Disclose []ClaimsPath
}

// NoMatchError reports a query the candidates cannot satisfy. It unwraps
// to [ErrNoMatch].
//
// Its detail tells why candidates failed, including claim values: it is
// for the Wallet's logs and its End-User, never for the Verifier. §15.4.1
// requires that the Verifier cannot tell a values mismatch from a refusal.
type NoMatchError struct {
	// Set is the index of the required Credential Set Query none of whose
	// options can be satisfied, or -1 when the query has no
	// credential_sets.
	Set int
	// Queries are the ids of the Credential Queries that no candidate
	// matches and that the query requires: without credential_sets, every
	// such query; else those of the options of set Set.
	Queries []string
	// Detail says, for people, why the candidates failed.
	Detail string
}

// Error returns "oid4vp: no credentials satisfy the DCQL query: …".
func (e *NoMatchError) Error() string {
	var b strings.Builder
	b.WriteString(ErrNoMatch.Error())
	if e.Set >= 0 {
		fmt.Fprintf(&b, ": credential_sets[%d] (§6.4.2): no option can be satisfied", e.Set)
	} else {
		b.WriteString(": every Credential Query is required (§6.4.2)")
	}
	if len(e.Queries) > 0 {
		fmt.Fprintf(&b, "; no candidate for %s", quoteIDs(e.Queries))
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// Unwrap returns [ErrNoMatch].
func (e *NoMatchError) Unwrap() error { return ErrNoMatch }

func quoteIDs(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = fmt.Sprintf("%.64q", id)
	}
	return strings.Join(q, ", ")
}

// Match evaluates the query against the Wallet's candidates following
// §6.4 and returns what to present, or a [*NoMatchError] when the query
// cannot be satisfied.
//
// Each Credential Query is matched against every candidate (§6.4.2: a
// candidate not matching is treated as if it did not exist): the format,
// meta (vct_values, doctype_value, type_values), trusted_authorities (one
// of the candidate's [Authority] values in one of the queries), holder
// binding, and the claims (§6.4.1): without claims, any candidate of the
// type; with claims only, all of them; with claim_sets, the first option
// all of whose claims the candidate has. A claim is present when its
// claims path pointer selects at least one element (§7.1, §7.2; processing
// errors, such as a key applied to an array, mean absent) and, with
// values, when a selected element equals one of them in type and value
// (§6.3; integers compare by value, so 7.0 equals 7). Duplicate claims
// queries are disclosed once (§6.1).
//
// Then the queries to answer are chosen (§6.4.2): without credential_sets
// every Credential Query is required; with them, each required set takes
// its first option whose queries all match, and each optional set its
// first such option if any. The Wallet may offer the End-User the other
// matching candidates (§6.4.3). Whatever Match returns, §15.4.1 asks for
// End-User interaction before any response, so that the Verifier cannot
// tell a values mismatch from a refusal.
//
// A query that fails [ParseQuery]'s checks gives a [*QueryError]; a
// candidate beyond the caps, or with values of other types, gives an
// error wrapping [ErrInvalidCandidate].
func (q *Query) Match(cands []Candidate) (*Match, error) {
	if q == nil {
		return nil, qerr(RuleCredentials, "", "nil query")
	}
	if err := q.check(false); err != nil {
		return nil, err
	}
	views, err := candidateViews(cands)
	if err != nil {
		return nil, err
	}
	return q.choose(q.evaluate(views))
}

// candidateViews checks the candidates and returns what matching reads.
func candidateViews(cands []Candidate) ([]credView, error) {
	if len(cands) > MaxCandidates {
		return nil, fmt.Errorf("%w: %d candidates, over the cap of %d", ErrInvalidCandidate, len(cands), MaxCandidates)
	}
	views := make([]credView, len(cands))
	for i := range cands {
		c := &cands[i]
		if err := c.check(); err != nil {
			return nil, fmt.Errorf("%w: candidate %d: %v", ErrInvalidCandidate, i, err)
		}
		views[i] = credView{format: c.Format, vct: c.VCT, doctype: c.Doctype, types: c.Types,
			claims: c.Claims, ns: c.NameSpaces, always: c.AlwaysDisclosed, authorities: c.Authorities,
			holderBinding: c.HolderBinding}
	}
	return views, nil
}

// queryResult is the outcome of one Credential Query over all candidates.
type queryResult struct {
	CredentialMatch
	// why says, per failed candidate, why it failed.
	why []string
}

// evaluate matches every Credential Query against every credential.
func (q *Query) evaluate(creds []credView) []queryResult {
	res := make([]queryResult, len(q.Credentials))
	for i := range q.Credentials {
		cq := &q.Credentials[i]
		r := &res[i]
		r.ID = cq.ID
		for j := range creds {
			m, _, why := cq.match(&creds[j])
			if m == nil {
				r.why = append(r.why, fmt.Sprintf("candidate %d: %s", j, why))
				continue
			}
			m.Index = j
			r.Matching = append(r.Matching, *m)
		}
		if len(r.Matching) == 0 {
			continue
		}
		if cq.Multiple {
			r.Chosen = slices.Clone(r.Matching)
			continue
		}
		best := 0
		for k, m := range r.Matching {
			if m.ClaimSet < r.Matching[best].ClaimSet {
				best = k
			}
		}
		r.Chosen = []CandidateMatch{r.Matching[best]}
	}
	return res
}

// choose applies §6.4.2 to the per-query results.
func (q *Query) choose(res []queryResult) (*Match, error) {
	byID := make(map[string]int, len(res))
	for i := range res {
		byID[res[i].ID] = i
	}
	answer := make([]bool, len(res))
	m := &Match{}
	if len(q.CredentialSets) == 0 {
		// §6.4.2: without credential_sets, every Credential Query is
		// requested.
		var missing []string
		var why []string
		for i := range res {
			if len(res[i].Matching) == 0 {
				missing = append(missing, res[i].ID)
				why = append(why, detailOf(&res[i]))
			}
			answer[i] = true
		}
		if len(missing) > 0 {
			return nil, &NoMatchError{Set: -1, Queries: missing, Detail: strings.Join(why, "; ")}
		}
	} else {
		m.Sets = make([]int, len(q.CredentialSets))
		for si, set := range q.CredentialSets {
			m.Sets[si] = -1
			for oi, opt := range set.Options {
				if slices.IndexFunc(opt, func(id string) bool { return len(res[byID[id]].Matching) == 0 }) < 0 {
					m.Sets[si] = oi
					break
				}
			}
			if m.Sets[si] < 0 {
				if set.Optional {
					// §6.4.2: optional sets are answered when possible.
					continue
				}
				// §6.4.2: a required set MUST be satisfied by one of its
				// options.
				var missing, why []string
				for _, opt := range set.Options {
					for _, id := range opt {
						r := &res[byID[id]]
						if len(r.Matching) == 0 && !slices.Contains(missing, id) {
							missing = append(missing, id)
							why = append(why, detailOf(r))
						}
					}
				}
				return nil, &NoMatchError{Set: si, Queries: missing, Detail: strings.Join(why, "; ")}
			}
			for _, id := range set.Options[m.Sets[si]] {
				answer[byID[id]] = true
			}
		}
	}
	for i := range res {
		if answer[i] {
			m.Credentials = append(m.Credentials, res[i].CredentialMatch)
		}
	}
	return m, nil
}

// maxReasons caps the per-candidate reasons in a NoMatchError's detail.
const maxReasons = 8

func detailOf(r *queryResult) string {
	if len(r.why) == 0 {
		return fmt.Sprintf("%.64q: no candidates", r.ID)
	}
	why := r.why
	more := ""
	if len(why) > maxReasons {
		more = fmt.Sprintf(" (and %d more)", len(why)-maxReasons)
		why = why[:maxReasons]
	}
	return fmt.Sprintf("%.64q: %s%s", r.ID, strings.Join(why, ", "), more)
}

// credView is what matching reads of a candidate or a presentation.
type credView struct {
	format        credential.Format
	vct, doctype  string
	types         []string
	claims        map[string]any
	ns            map[string]map[string]any
	always        []ClaimsPath
	authorities   []Authority
	holderBinding bool
	// presented: the claims are a presentation's, whose arrays may lack
	// undisclosed elements (RFC 9901 §7.1), so an index selects any
	// element and trusted_authorities are not checked (§6.1.1: the
	// Verifier checks the issuer's trust itself).
	presented bool
}

// reasonTrust: the issuer matches no trusted_authorities (§6.1.1); never
// reported by CheckPresented.
const reasonTrust PresentationReason = "trusted-authorities"

// match matches one credential against the Credential Query, returning
// nil, the check that failed and why when it does not match.
func (cq *CredentialQuery) match(c *credView) (*CandidateMatch, PresentationReason, string) {
	if c.format != cq.Format {
		return nil, ReasonFormat, fmt.Sprintf("format %.64q", c.format)
	}
	switch cq.Format {
	case credential.FormatSDJWT:
		// B.3.5: vct_values, the allowed vct values.
		if !slices.Contains(cq.Meta.VCTValues, c.vct) {
			return nil, ReasonMeta, fmt.Sprintf("vct %.64q not in vct_values", c.vct)
		}
	case credential.FormatMdoc:
		// B.2.3: doctype_value, the allowed doctype.
		if c.doctype != cq.Meta.DoctypeValue {
			return nil, ReasonMeta, fmt.Sprintf("doctype %.64q is not doctype_value", c.doctype)
		}
	case FormatJWTVCJSON, FormatLDPVC:
		// B.1.1: every type of one alternative is among the
		// credential's types.
		if !slices.ContainsFunc(cq.Meta.TypeValues, func(alt []string) bool {
			return !slices.ContainsFunc(alt, func(t string) bool { return !slices.Contains(c.types, t) })
		}) {
			return nil, ReasonMeta, "types match no type_values alternative"
		}
	default:
		// §6.1: meta is defined per format; this package cannot read the
		// meta of another format, so it matches nothing.
		return nil, ReasonFormat, fmt.Sprintf("format %.64q is not one this package matches", cq.Format)
	}
	if len(cq.TrustedAuthorities) > 0 && !c.presented {
		// §6.1.1: a match to one of the values of one of the types.
		if !slices.ContainsFunc(cq.TrustedAuthorities, func(ta TrustedAuthoritiesQuery) bool {
			return slices.ContainsFunc(c.authorities, func(a Authority) bool {
				return a.Type == ta.Type && slices.Contains(ta.Values, a.Value)
			})
		}) {
			return nil, reasonTrust, "issuer matches no trusted_authorities"
		}
	}
	if !cq.HolderBindingOptional && !c.holderBinding {
		// §6.1: require_cryptographic_holder_binding defaults to true.
		return nil, ReasonHolderBinding, "no cryptographic holder binding"
	}
	m := &CandidateMatch{ClaimSet: -1}
	if len(cq.Claims) == 0 {
		// §6.4.1: no claims requests no selectively disclosable claim.
		return m, "", ""
	}
	// Each claim is evaluated at most once.
	sel := make([][]ClaimsPath, len(cq.Claims))
	done := make([]bool, len(cq.Claims))
	why := make([]string, len(cq.Claims))
	eval := func(i int) bool {
		if !done[i] {
			done[i] = true
			sel[i], why[i] = cq.Claims[i].selectIn(cq.Format, c)
		}
		return sel[i] != nil
	}
	var chosen []int
	if len(cq.ClaimSets) == 0 {
		// §6.4.1: claims without claim_sets requests all of them.
		for i := range cq.Claims {
			if !eval(i) {
				return nil, ReasonClaims, why[i]
			}
			chosen = append(chosen, i)
		}
	} else {
		// §6.4.1: the first option the Wallet can satisfy.
		ids := make(map[string]int, len(cq.Claims))
		for i := range cq.Claims {
			ids[cq.Claims[i].ID] = i
		}
		var firstWhy string
		for si, set := range cq.ClaimSets {
			ok := true
			for _, id := range set {
				i := ids[id]
				if !eval(i) {
					if firstWhy == "" {
						firstWhy = why[i]
					}
					ok = false
					break
				}
			}
			if ok {
				m.ClaimSet = si
				for _, id := range set {
					chosen = append(chosen, ids[id])
				}
				break
			}
		}
		if m.ClaimSet < 0 {
			return nil, ReasonClaims, "no claim_sets option: " + firstWhy
		}
	}
	seen := map[string]bool{}
	for _, i := range chosen {
		for _, p := range sel[i] {
			// §6.1: Wallets ignore duplicate claims queries.
			if k := pathKey(p); !seen[k] {
				seen[k] = true
				m.Claims = append(m.Claims, p)
			}
		}
	}
	m.Disclose = disclosed(m.Claims, c.always)
	return m, "", ""
}

// selectIn applies the Claims Query to a credential: the concrete paths
// of the selected elements whose values match, or nil and the reason.
func (cl *ClaimsQuery) selectIn(format credential.Format, c *credView) ([]ClaimsPath, string) {
	var nodes []node
	if format == credential.FormatMdoc {
		// §7.2: a namespace and a data element identifier.
		ns, _ := cl.Path[0].(string)
		el, _ := cl.Path[1].(string)
		v, ok := c.ns[ns][el]
		if !ok {
			return nil, fmt.Sprintf("claim %s absent", cl.Path)
		}
		nodes = []node{{ClaimsPath{ns, el}, v}}
	} else {
		var ok bool
		nodes, ok = selectJSON(c.claims, cl.Path, c.presented)
		if !ok {
			return nil, fmt.Sprintf("claim %s absent", cl.Path)
		}
	}
	if cl.Values != nil {
		// §6.3, §6.4.1: an element whose value matches none of values is
		// treated as if it did not exist.
		nodes = slices.DeleteFunc(nodes, func(n node) bool {
			return !slices.ContainsFunc(cl.Values, func(want any) bool { return valueEqual(n.v, want) })
		})
		if len(nodes) == 0 {
			return nil, fmt.Sprintf("claim %s matches no values", cl.Path)
		}
	}
	out := make([]ClaimsPath, len(nodes))
	for i, n := range nodes {
		out[i] = n.path
	}
	return out, ""
}

// String returns the path as a JSON array, such as ["address",null,0].
func (p ClaimsPath) String() string {
	var b strings.Builder
	b.WriteByte('[')
	for i, e := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		switch x := e.(type) {
		case string:
			fmt.Fprintf(&b, "%.64q", x)
		case nil:
			b.WriteString("null")
		default:
			fmt.Fprintf(&b, "%v", x)
		}
	}
	b.WriteByte(']')
	return b.String()
}

// pathKey is a map key naming a concrete path exactly.
func pathKey(p ClaimsPath) string {
	var b strings.Builder
	for _, e := range p {
		switch x := e.(type) {
		case string:
			fmt.Fprintf(&b, "s%d:%s", len(x), x)
		case int:
			fmt.Fprintf(&b, "i%d", x)
		default:
			b.WriteString("n")
		}
	}
	return b.String()
}

// disclosed returns the claims not at or below an always disclosed path.
func disclosed(claims, always []ClaimsPath) []ClaimsPath {
	var out []ClaimsPath
	for _, p := range claims {
		if !slices.ContainsFunc(always, func(a ClaimsPath) bool {
			return len(a) <= len(p) && pathEqual(a, p[:len(a)])
		}) {
			out = append(out, p)
		}
	}
	return out
}

// check checks a candidate's shape and caps.
func (c *Candidate) check() error {
	if err := checkClaims(c.Claims, c.NameSpaces); err != nil {
		return err
	}
	if len(c.AlwaysDisclosed) > MaxCandidateNodes || len(c.Authorities) > MaxCandidateNodes || len(c.Types) > MaxCandidateNodes {
		return fmt.Errorf("over %d always disclosed paths, authorities or types", MaxCandidateNodes)
	}
	for _, p := range c.AlwaysDisclosed {
		if len(p) == 0 || len(p) > MaxPathLen {
			return fmt.Errorf("always disclosed path %s: 1 to %d components", p, MaxPathLen)
		}
		for _, e := range p {
			switch x := e.(type) {
			case string:
			case int:
				if x < 0 {
					return fmt.Errorf("always disclosed path %s: negative index", p)
				}
			default:
				return fmt.Errorf("always disclosed path %s: component %T is not a string or index", p, e)
			}
		}
	}
	return nil
}

// checkClaims checks a claims tree and mdoc namespaces against the caps.
func checkClaims(claims map[string]any, ns map[string]map[string]any) error {
	n := 0
	for _, elems := range ns {
		n += 1 + len(elems)
		if n > MaxCandidateNodes {
			return fmt.Errorf("over %d namespaces and data elements", MaxCandidateNodes)
		}
	}
	if claims == nil {
		return nil
	}
	return checkTree(claims, 1, &n)
}

// checkTree checks the types, depth and size of a claims tree.
func checkTree(v any, depth int, n *int) error {
	*n++
	if *n > MaxCandidateNodes {
		return fmt.Errorf("claims tree over %d values", MaxCandidateNodes)
	}
	if depth > MaxClaimDepth {
		return fmt.Errorf("claims tree deeper than %d", MaxClaimDepth)
	}
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if err := checkTree(e, depth+1, n); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := checkTree(e, depth+1, n); err != nil {
				return err
			}
		}
	default:
		if !isScalar(v) {
			return fmt.Errorf("claims tree holds a %T", v)
		}
	}
	return nil
}
