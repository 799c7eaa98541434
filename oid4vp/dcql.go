package oid4vp

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// The Digital Credentials Query Language (DCQL, §6).

// Format identifiers of OpenID4VP 1.0 Appendix B that the query parser
// knows besides credential.FormatSDJWT (dc+sd-jwt, B.3.1) and
// credential.FormatMdoc (mso_mdoc, B.2): the W3C Verifiable Credential
// formats of B.1.3, whose meta is type_values (B.1.1). ikdkit issues no
// credential of these formats; [Query.Match] matches a query for them
// against a [Candidate]'s Types.
const (
	FormatJWTVCJSON credential.Format = "jwt_vc_json" // B.1.3.1
	FormatLDPVC     credential.Format = "ldp_vc"      // B.1.3.2
)

// Trusted Authorities Query types (§6.1.1).
const (
	// AuthorityAKI: a base64url KeyIdentifier of an AuthorityKeyIdentifier
	// (RFC 5280 §4.2.1.1) of a certificate in the credential's chain
	// (§6.1.1.1). HAIP requires it.
	AuthorityAKI = "aki"
	// AuthorityETSITrustedList: the identifier (an https URL) of an ETSI
	// TS 119 612 Trusted List (§6.1.1.2).
	AuthorityETSITrustedList = "etsi_tl"
	// AuthorityOpenIDFederation: an OpenID Federation Entity Identifier
	// (an https URL), usually of a Trust Anchor (§6.1.1.3).
	AuthorityOpenIDFederation = "openid_federation"
)

// Caps on a DCQL query. They are far above what a real query needs; a
// query beyond any of them is refused with [RuleLimit].
const (
	// MaxQuerySize caps the JSON text of a query ([ParseQuery]).
	MaxQuerySize = 64 << 10
	// MaxCredentialQueries caps credentials and credential_sets.
	MaxCredentialQueries = 64
	// MaxClaimsQueries caps the claims of one Credential Query, the
	// options of one claim_sets or credential set, and the identifiers
	// in one option.
	MaxClaimsQueries = 128
	// MaxPathLen caps the components of a claims path pointer.
	MaxPathLen = 32
	// MaxPathIndex is the largest array index a claims path pointer may
	// name.
	MaxPathIndex = 1<<16 - 1
	// MaxValues caps values, vct_values, type_values (and each of its
	// arrays), trusted_authorities and their values.
	MaxValues = 64
	// MaxStringLen caps every string of a query, in bytes.
	MaxStringLen = 2048
	// maxQueryDepth bounds the JSON nesting: query, credentials, a
	// Credential Query, claims, a Claims Query, path or values (6), plus
	// room inside meta and purpose objects.
	maxQueryDepth = 10
)

// Query is a DCQL query (§6): the Credentials a Verifier asks for, and
// which combinations of them satisfy it. Read one with [ParseQuery];
// encode one with encoding/json (its MarshalJSON writes the wire form).
// Build one in Go and check it with [Query.Validate] before sending it.
type Query struct {
	// Credentials are the Credential Queries, at least one (§6).
	Credentials []CredentialQuery
	// CredentialSets, when not empty, say which combinations of the
	// Credential Queries satisfy the request (§6.2, §6.4.2); when empty,
	// every Credential Query must be answered.
	CredentialSets []CredentialSetQuery
}

// CredentialQuery asks for one or more Credentials of one format (§6.1).
// The zero values of its fields are the defaults of §6.1: one
// Credential, with cryptographic holder binding.
type CredentialQuery struct {
	// ID names the query in the response and in credential_sets:
	// non-empty, ASCII letters, digits, '_' and '-', unique within the
	// query (§6.1).
	ID string
	// Format is the Credential Format Identifier (Appendix B):
	// credential.FormatSDJWT, credential.FormatMdoc, or another format
	// (kept, never matched by ikdkit's candidates).
	Format credential.Format
	// Multiple allows more than one Credential in the answer (§6.1,
	// multiple; default false).
	Multiple bool
	// Meta constrains the Credential's type (§6.1 meta).
	Meta Meta
	// TrustedAuthorities, when not empty, lists the authorities one of
	// which should certify the Credential's issuer (§6.1.1).
	TrustedAuthorities []TrustedAuthoritiesQuery
	// HolderBindingOptional is require_cryptographic_holder_binding
	// false: the Verifier also accepts a presentation without a proof of
	// cryptographic holder binding (§6.1, §5.3). The zero value requires
	// holder binding, the default of §6.1.
	HolderBindingOptional bool
	// Claims lists the claims asked for (§6.3). Empty asks for no
	// selectively disclosable claim (§6.4.1).
	Claims []ClaimsQuery
	// ClaimSets, when not empty, lists alternative combinations of the
	// ids of Claims, most preferred first (§6.4.1).
	ClaimSets [][]string
}

// Meta is the meta object of a Credential Query (§6.1): one member per
// format.
type Meta struct {
	// VCTValues: dc+sd-jwt, the accepted vct values, at least one
	// (B.3.5).
	VCTValues []string
	// DoctypeValue: mso_mdoc, the accepted doctype (B.2.3).
	DoctypeValue string
	// TypeValues: jwt_vc_json and ldp_vc, alternative sets of types
	// (B.1.1).
	TypeValues [][]string
	// Other is the meta object of a format this package does not know,
	// as compact JSON (kept so that the query encodes back unchanged).
	Other json.RawMessage
}

// TrustedAuthoritiesQuery names authorities that certify issuers (§6.1.1).
type TrustedAuthoritiesQuery struct {
	// Type is AuthorityAKI, AuthorityETSITrustedList,
	// AuthorityOpenIDFederation, or a type defined elsewhere (kept; no
	// candidate matches it).
	Type string `json:"type"`
	// Values identify the authorities, at least one.
	Values []string `json:"values"`
}

// ClaimsQuery asks for one claim (§6.3).
type ClaimsQuery struct {
	// ID names the claim in ClaimSets: required when the Credential
	// Query has claim_sets; non-empty, ASCII letters, digits, '_' and
	// '-', unique within the claims (§6.3).
	ID string
	// Path is the claims path pointer (§7).
	Path ClaimsPath
	// Values, when not empty, are the values the claim must have, one of
	// them matching in type and value (§6.3): strings, int64 and bools.
	Values []any
	// IntentToRetain is intent_to_retain true for an mso_mdoc claim
	// (B.2.4): the Verifier declares it will retain the element. False
	// means absent or false; both are encoded as absent.
	IntentToRetain bool
}

// ClaimsPath is a claims path pointer (§7): a non-empty sequence of
// strings (an object member), non-negative ints (an array element) and
// nils (every element of an array). For mso_mdoc it is exactly a
// namespace and a data element identifier (§7.2). It has the shape of
// sdjwt.Path, so a concrete path (without nil) converts directly.
type ClaimsPath []any

// CredentialSetQuery is one constraint on which Credentials are returned
// (§6.2).
type CredentialSetQuery struct {
	// Options are alternatives, each a non-empty list of Credential Query
	// ids that together satisfy the set.
	Options [][]string
	// Optional is required false: the set need not be satisfied (§6.2,
	// required; default true).
	Optional bool
	// Purpose is the purpose member of drafts before 1.0 (a string,
	// number or object), as compact JSON. OpenID4VP 1.0 dropped it (§6.2
	// asks the Verifier to show the purpose before sending the request);
	// it is kept, unchecked, for Verifiers that still send it, and must
	// not be shown as authenticated.
	Purpose json.RawMessage
}

// ParseQuery parses the JSON text of a DCQL query strictly and checks
// every validity rule of §6, §7 and Appendix B that a Wallet can check
// on the query alone, failing with a [*QueryError] naming the rule. The
// text must be one JSON object without duplicate member names, at most
// [MaxQuerySize] bytes; unknown members are ignored, as §6 requires.
//
// One rule is left to [Query.Validate]: §6.1 tells Verifiers not to point
// to the same claim twice and Wallets to ignore such duplicates, so a
// Wallet accepts them and [Query.Match] discloses the claim once.
func ParseQuery(data []byte) (*Query, error) {
	if len(data) > MaxQuerySize {
		return nil, qerr(RuleLimit, "", "query is %d bytes, over the %d-byte cap", len(data), MaxQuerySize)
	}
	v, err := strictjson.Unmarshal(data, maxQueryDepth)
	if err != nil {
		return nil, qerr(RuleJSON, "", "%v", err)
	}
	return queryFromJSON(v)
}

// queryFromJSON reads a DCQL query from its decoded JSON value (as
// strictjson decodes it): the dcql_query member of a Request Object.
func queryFromJSON(v any) (*Query, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, qerr(RuleJSON, "", "a DCQL query is a JSON object")
	}
	var q Query
	creds, err := arrayOf(m, "credentials", "credentials", RuleCredentials, true, MaxCredentialQueries)
	if err != nil {
		return nil, err
	}
	for i, c := range creds {
		cq, err := credentialQueryFromJSON(c, fmt.Sprintf("credentials[%d]", i))
		if err != nil {
			return nil, err
		}
		q.Credentials = append(q.Credentials, *cq)
	}
	sets, err := arrayOf(m, "credential_sets", "credential_sets", RuleCredentialSets, false, MaxCredentialQueries)
	if err != nil {
		return nil, err
	}
	for i, s := range sets {
		cs, err := credentialSetFromJSON(s, fmt.Sprintf("credential_sets[%d]", i))
		if err != nil {
			return nil, err
		}
		q.CredentialSets = append(q.CredentialSets, *cs)
	}
	if err := q.check(false); err != nil {
		return nil, err
	}
	return &q, nil
}

// Validate checks q against every validity rule of §6, §7 and Appendix
// B, including the one ParseQuery leaves to the Verifier: no claim is
// pointed to twice within a Credential Query (§6.1). A Verifier calls it
// before sending a query it built; the error is a [*QueryError].
func (q *Query) Validate() error {
	if q == nil {
		return qerr(RuleCredentials, "", "nil query")
	}
	return q.check(true)
}

// check applies the rules on the typed query: the ones on values (which
// matter also for queries built in Go) and the ones between members.
func (q *Query) check(verifier bool) error {
	if len(q.Credentials) == 0 {
		// §6: credentials is REQUIRED, a non-empty array.
		return qerr(RuleCredentials, "credentials", "at least one Credential Query is required")
	}
	if len(q.Credentials) > MaxCredentialQueries || len(q.CredentialSets) > MaxCredentialQueries {
		return qerr(RuleLimit, "", "over %d credential or set queries", MaxCredentialQueries)
	}
	ids := make(map[string]bool, len(q.Credentials))
	for i := range q.Credentials {
		c := &q.Credentials[i]
		where := fmt.Sprintf("credentials[%d]", i)
		if err := c.check(where, verifier); err != nil {
			return err
		}
		if ids[c.ID] {
			// §6.1: the same id MUST NOT be present more than once.
			return qerr(RuleCredentialIDUnique, where+".id", "%.64q is used twice", c.ID)
		}
		ids[c.ID] = true
	}
	for i, s := range q.CredentialSets {
		where := fmt.Sprintf("credential_sets[%d]", i)
		if len(s.Options) == 0 {
			// §6.2: options is REQUIRED, a non-empty array.
			return qerr(RuleOptions, where+".options", "at least one option is required")
		}
		if len(s.Options) > MaxClaimsQueries {
			return qerr(RuleLimit, where+".options", "over %d options", MaxClaimsQueries)
		}
		for j, opt := range s.Options {
			w := fmt.Sprintf("%s.options[%d]", where, j)
			if len(opt) == 0 {
				// §6.2: each option is a non-empty array of identifiers.
				return qerr(RuleOptions, w, "an option names at least one Credential Query")
			}
			if len(opt) > MaxClaimsQueries {
				return qerr(RuleLimit, w, "over %d identifiers", MaxClaimsQueries)
			}
			for _, id := range opt {
				if !ids[id] {
					// §6.2: identifiers reference elements in credentials.
					return qerr(RuleOptions, w, "%.64q is not the id of a Credential Query", id)
				}
			}
		}
		if len(s.Purpose) > MaxStringLen {
			return qerr(RuleLimit, where+".purpose", "over %d bytes", MaxStringLen)
		}
	}
	return nil
}

// check applies the rules of one Credential Query.
func (c *CredentialQuery) check(where string, verifier bool) error {
	if err := checkID(c.ID, where+".id", RuleCredentialID); err != nil {
		return err
	}
	if c.Format == "" {
		// §6.1: format is REQUIRED.
		return qerr(RuleFormat, where+".format", "format is required")
	}
	if len(c.Format) > MaxStringLen {
		return qerr(RuleLimit, where+".format", "over %d bytes", MaxStringLen)
	}
	if err := c.Meta.check(c.Format, where+".meta"); err != nil {
		return err
	}
	if len(c.TrustedAuthorities) > MaxValues {
		return qerr(RuleLimit, where+".trusted_authorities", "over %d entries", MaxValues)
	}
	for i, ta := range c.TrustedAuthorities {
		if err := ta.check(fmt.Sprintf("%s.trusted_authorities[%d]", where, i)); err != nil {
			return err
		}
	}
	if len(c.Claims) > MaxClaimsQueries {
		return qerr(RuleLimit, where+".claims", "over %d claims", MaxClaimsQueries)
	}
	claimIDs := make(map[string]bool, len(c.Claims))
	for i := range c.Claims {
		cl := &c.Claims[i]
		w := fmt.Sprintf("%s.claims[%d]", where, i)
		if cl.ID != "" || len(c.ClaimSets) > 0 {
			// §6.3: id is REQUIRED if claim_sets is present, and has the
			// alphabet of §6.1.
			rule := RuleClaimID
			if cl.ID == "" {
				rule = RuleClaimIDRequired
			}
			if err := checkID(cl.ID, w+".id", rule); err != nil {
				return err
			}
			if claimIDs[cl.ID] {
				// §6.3: within the claims array, the same id MUST NOT be
				// present more than once.
				return qerr(RuleClaimIDUnique, w+".id", "%.64q is used twice", cl.ID)
			}
			claimIDs[cl.ID] = true
		}
		if err := cl.check(c.Format, w); err != nil {
			return err
		}
		if verifier {
			for j := range i {
				if pathEqual(c.Claims[j].Path, cl.Path) {
					// §6.1: Verifiers MUST NOT point to the same claim
					// more than once in a single query.
					return qerr(RuleDuplicateClaim, w+".path", "claims[%d] points to the same claim", j)
				}
			}
		}
	}
	if len(c.ClaimSets) > 0 && len(c.Claims) == 0 {
		// §6.4.1: claim_sets MUST NOT be present if claims is absent.
		return qerr(RuleClaimSets, where+".claim_sets", "claim_sets without claims")
	}
	if len(c.ClaimSets) > MaxClaimsQueries {
		return qerr(RuleLimit, where+".claim_sets", "over %d options", MaxClaimsQueries)
	}
	for i, set := range c.ClaimSets {
		w := fmt.Sprintf("%s.claim_sets[%d]", where, i)
		if len(set) == 0 {
			// §6.1: claim_sets is a non-empty array containing arrays of
			// identifiers; an empty combination would request nothing,
			// which is what an absent claims already means.
			return qerr(RuleClaimSets, w, "an option names at least one claim")
		}
		if len(set) > MaxClaimsQueries {
			return qerr(RuleLimit, w, "over %d identifiers", MaxClaimsQueries)
		}
		for _, id := range set {
			if !claimIDs[id] {
				// §6.1: identifiers for elements in claims.
				return qerr(RuleClaimSets, w, "%.64q is not the id of a claim", id)
			}
		}
	}
	return nil
}

// check applies the format's rules for meta (Appendix B).
func (m *Meta) check(format credential.Format, where string) error {
	switch format {
	case credential.FormatSDJWT:
		// B.3.5: vct_values is REQUIRED, a non-empty array of strings.
		if len(m.VCTValues) == 0 {
			return qerr(RuleVCTValues, where+".vct_values", "dc+sd-jwt requires a non-empty vct_values")
		}
		if len(m.VCTValues) > MaxValues {
			return qerr(RuleLimit, where+".vct_values", "over %d values", MaxValues)
		}
		for _, s := range m.VCTValues {
			if s == "" || len(s) > MaxStringLen {
				return qerr(RuleVCTValues, where+".vct_values", "a vct is a non-empty string of at most %d bytes", MaxStringLen)
			}
		}
		if m.DoctypeValue != "" || m.TypeValues != nil || m.Other != nil {
			return qerr(RuleMeta, where, "members of another format")
		}
	case credential.FormatMdoc:
		// B.2.3: doctype_value is REQUIRED, a string.
		if m.DoctypeValue == "" || len(m.DoctypeValue) > MaxStringLen {
			return qerr(RuleDoctypeValue, where+".doctype_value", "mso_mdoc requires a doctype_value")
		}
		if m.VCTValues != nil || m.TypeValues != nil || m.Other != nil {
			return qerr(RuleMeta, where, "members of another format")
		}
	case FormatJWTVCJSON, FormatLDPVC:
		// B.1.1: type_values is REQUIRED, a non-empty array of non-empty
		// string arrays.
		if len(m.TypeValues) == 0 {
			return qerr(RuleTypeValues, where+".type_values", "%s requires a non-empty type_values", format)
		}
		if len(m.TypeValues) > MaxValues {
			return qerr(RuleLimit, where+".type_values", "over %d alternatives", MaxValues)
		}
		for i, alt := range m.TypeValues {
			if len(alt) == 0 || len(alt) > MaxValues {
				return qerr(RuleTypeValues, fmt.Sprintf("%s.type_values[%d]", where, i), "1 to %d types", MaxValues)
			}
			for _, s := range alt {
				if s == "" || len(s) > MaxStringLen {
					return qerr(RuleTypeValues, fmt.Sprintf("%s.type_values[%d]", where, i), "a type is a non-empty string")
				}
			}
		}
		if m.DoctypeValue != "" || m.VCTValues != nil || m.Other != nil {
			return qerr(RuleMeta, where, "members of another format")
		}
	default:
		// §6.1: meta is REQUIRED, an object whose members the format
		// defines; for a format this package does not know it is kept.
		if m.VCTValues != nil || m.DoctypeValue != "" || m.TypeValues != nil {
			return qerr(RuleMeta, where, "members of a format of Appendix B")
		}
		if m.Other != nil {
			if len(m.Other) > MaxStringLen*4 {
				return qerr(RuleLimit, where, "over %d bytes", MaxStringLen*4)
			}
			v, err := strictjson.Unmarshal(m.Other, maxQueryDepth)
			if _, ok := v.(map[string]any); err != nil || !ok {
				return qerr(RuleMeta, where, "meta is a JSON object")
			}
		}
	}
	return nil
}

// check applies §6.1.1 to one Trusted Authorities Query.
func (ta *TrustedAuthoritiesQuery) check(where string) error {
	// §6.1.1: type is REQUIRED, a string; values is REQUIRED, a non-empty
	// array of strings.
	if ta.Type == "" || len(ta.Type) > MaxStringLen {
		return qerr(RuleTrustedAuthorities, where+".type", "type is a non-empty string")
	}
	if len(ta.Values) == 0 {
		return qerr(RuleTrustedAuthorities, where+".values", "values is a non-empty array")
	}
	if len(ta.Values) > MaxValues {
		return qerr(RuleLimit, where+".values", "over %d values", MaxValues)
	}
	for _, v := range ta.Values {
		if v == "" || len(v) > MaxStringLen {
			return qerr(RuleTrustedAuthorities, where+".values", "a value is a non-empty string")
		}
		switch ta.Type {
		case AuthorityAKI:
			// §6.1.1.1: a KeyIdentifier encoded as base64url.
			if _, err := b64url.DecodeString(v); err != nil || !isBase64URL(v) {
				return qerr(RuleTrustedAuthorities, where+".values", "%.64q is not base64url", v)
			}
		case AuthorityETSITrustedList, AuthorityOpenIDFederation:
			// §6.1.1.2: a Trusted List identifier; §6.1.1.3: an Entity
			// Identifier (OpenID Federation 1.0 §1.2: an https URL).
			if err := checkHTTPSURL(v); err != nil {
				return qerr(RuleTrustedAuthorities, where+".values", "%v", err)
			}
		}
	}
	return nil
}

// check applies §6.3, §7 and B.2.4 to one Claims Query.
func (cl *ClaimsQuery) check(format credential.Format, where string) error {
	if err := cl.Path.check(format, where+".path"); err != nil {
		return err
	}
	if cl.Values != nil {
		// §6.3: values is a non-empty array of strings, integers or
		// booleans.
		if len(cl.Values) == 0 {
			return qerr(RuleValues, where+".values", "values is a non-empty array")
		}
		if len(cl.Values) > MaxValues {
			return qerr(RuleLimit, where+".values", "over %d values", MaxValues)
		}
		for i, v := range cl.Values {
			switch x := v.(type) {
			case string:
				if len(x) > MaxStringLen {
					return qerr(RuleLimit, fmt.Sprintf("%s.values[%d]", where, i), "over %d bytes", MaxStringLen)
				}
			case int64, bool:
			default:
				return qerr(RuleValues, fmt.Sprintf("%s.values[%d]", where, i), "%T is not a string, int64 or bool", v)
			}
		}
	}
	if cl.IntentToRetain && format != credential.FormatMdoc {
		// B.2.4: intent_to_retain is a parameter of mso_mdoc claims.
		return qerr(RuleIntentToRetain, where+".intent_to_retain", "only mso_mdoc claims carry intent_to_retain")
	}
	return nil
}

// check applies §7 (and §7.2 for mso_mdoc) to a claims path pointer.
func (p ClaimsPath) check(format credential.Format, where string) error {
	if len(p) == 0 {
		// §6.3, §7: a non-empty array.
		return qerr(RulePath, where, "a claims path pointer is a non-empty array")
	}
	if len(p) > MaxPathLen {
		return qerr(RuleLimit, where, "over %d components", MaxPathLen)
	}
	if format == credential.FormatMdoc {
		// §7.2: exactly two strings, a namespace and a data element
		// identifier.
		if len(p) != 2 {
			return qerr(RulePath, where, "an mso_mdoc path is [namespace, element identifier]")
		}
	}
	for i, e := range p {
		switch x := e.(type) {
		case string:
			if len(x) > MaxStringLen {
				return qerr(RuleLimit, where, "component %d is over %d bytes", i, MaxStringLen)
			}
			if format == credential.FormatMdoc && x == "" {
				return qerr(RulePath, where, "an empty namespace or element identifier")
			}
		case nil, int:
			if format == credential.FormatMdoc {
				return qerr(RulePath, where, "an mso_mdoc path has strings only (§7.2)")
			}
			// §7: strings, nulls and non-negative integers.
			if n, ok := x.(int); ok && (n < 0 || n > MaxPathIndex) {
				return qerr(RulePath, where, "index %d is not in [0, %d]", n, MaxPathIndex)
			}
		default:
			return qerr(RulePath, where, "component %d (%T) is not a string, null or non-negative integer", i, e)
		}
	}
	return nil
}

// pathEqual reports whether two claims path pointers are the same.
func pathEqual(a, b ClaimsPath) bool {
	return slices.EqualFunc(a, b, func(x, y any) bool { return x == y })
}

// checkID checks the syntax of a Credential Query or Claims Query id
// (§6.1, §6.3): non-empty, alphanumeric, '_' or '-'.
func checkID(id, where string, rule Rule) error {
	if id == "" {
		return qerr(rule, where, "an id is a non-empty string")
	}
	if len(id) > MaxStringLen {
		return qerr(RuleLimit, where, "over %d bytes", MaxStringLen)
	}
	if !validID(id) {
		return qerr(rule, where, "%.64q has characters other than A-Z a-z 0-9 _ -", id)
	}
	return nil
}

func validID(id string) bool {
	if id == "" {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// --- decoding from strictjson values ---

// arrayOf reads member name of m as an array of at most max elements; a
// missing member gives nil (an error when required); an empty array is
// an error.
func arrayOf(m map[string]any, name, where string, rule Rule, required bool, max int) ([]any, error) {
	v, ok := m[name]
	if !ok {
		if required {
			return nil, qerr(rule, where, "%s is required", name)
		}
		return nil, nil
	}
	a, ok := v.([]any)
	if !ok {
		return nil, qerr(rule, where, "%s is not an array", name)
	}
	if len(a) == 0 {
		return nil, qerr(rule, where, "%s is an empty array", name)
	}
	if len(a) > max {
		return nil, qerr(RuleLimit, where, "%d elements, over the cap of %d", len(a), max)
	}
	return a, nil
}

// stringsOf reads a non-empty array of strings.
func stringsOf(m map[string]any, name, where string, rule Rule, required bool, max int) ([]string, error) {
	a, err := arrayOf(m, name, where, rule, required, max)
	if a == nil {
		return nil, err
	}
	out := make([]string, len(a))
	for i, v := range a {
		s, ok := v.(string)
		if !ok {
			return nil, qerr(rule, fmt.Sprintf("%s[%d]", where, i), "not a string")
		}
		out[i] = s
	}
	return out, nil
}

// boolOf reads an optional boolean member.
func boolOf(m map[string]any, name, where string, rule Rule) (value, present bool, err error) {
	v, ok := m[name]
	if !ok {
		return false, false, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, false, qerr(rule, where, "%s is not a boolean", name)
	}
	return b, true, nil
}

// stringOf reads a string member (required or not).
func stringOf(m map[string]any, name, where string, rule Rule, required bool) (string, error) {
	v, ok := m[name]
	if !ok {
		if required {
			return "", qerr(rule, where, "%s is required", name)
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", qerr(rule, where, "%s is not a string", name)
	}
	return s, nil
}

func credentialQueryFromJSON(v any, where string) (*CredentialQuery, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, qerr(RuleCredentials, where, "a Credential Query is an object")
	}
	var c CredentialQuery
	var err error
	// §6.1: id is REQUIRED.
	if c.ID, err = stringOf(m, "id", where+".id", RuleCredentialID, true); err != nil {
		return nil, err
	}
	// §6.1: format is REQUIRED.
	f, err := stringOf(m, "format", where+".format", RuleFormat, true)
	if err != nil {
		return nil, err
	}
	c.Format = credential.Format(f)
	if c.Multiple, _, err = boolOf(m, "multiple", where+".multiple", RuleMultiple); err != nil {
		return nil, err
	}
	rchb, present, err := boolOf(m, "require_cryptographic_holder_binding", where+".require_cryptographic_holder_binding", RuleHolderBinding)
	if err != nil {
		return nil, err
	}
	c.HolderBindingOptional = present && !rchb
	// §6.1: meta is REQUIRED, an object.
	mv, ok := m["meta"]
	if !ok {
		return nil, qerr(RuleMeta, where+".meta", "meta is required")
	}
	meta, ok := mv.(map[string]any)
	if !ok {
		return nil, qerr(RuleMeta, where+".meta", "meta is not an object")
	}
	switch c.Format {
	case credential.FormatSDJWT:
		if c.Meta.VCTValues, err = stringsOf(meta, "vct_values", where+".meta.vct_values", RuleVCTValues, true, MaxValues); err != nil {
			return nil, err
		}
	case credential.FormatMdoc:
		if c.Meta.DoctypeValue, err = stringOf(meta, "doctype_value", where+".meta.doctype_value", RuleDoctypeValue, true); err != nil {
			return nil, err
		}
	case FormatJWTVCJSON, FormatLDPVC:
		alts, err := arrayOf(meta, "type_values", where+".meta.type_values", RuleTypeValues, true, MaxValues)
		if err != nil {
			return nil, err
		}
		for i, a := range alts {
			w := fmt.Sprintf("%s.meta.type_values[%d]", where, i)
			types, err := stringsOf(map[string]any{"t": a}, "t", w, RuleTypeValues, true, MaxValues)
			if err != nil {
				return nil, err
			}
			c.Meta.TypeValues = append(c.Meta.TypeValues, types)
		}
	default:
		if c.Meta.Other, err = strictjson.Marshal(meta); err != nil {
			return nil, qerr(RuleMeta, where+".meta", "%v", err)
		}
	}
	tas, err := arrayOf(m, "trusted_authorities", where+".trusted_authorities", RuleTrustedAuthorities, false, MaxValues)
	if err != nil {
		return nil, err
	}
	for i, t := range tas {
		w := fmt.Sprintf("%s.trusted_authorities[%d]", where, i)
		tm, ok := t.(map[string]any)
		if !ok {
			return nil, qerr(RuleTrustedAuthorities, w, "a Trusted Authorities Query is an object")
		}
		var ta TrustedAuthoritiesQuery
		if ta.Type, err = stringOf(tm, "type", w+".type", RuleTrustedAuthorities, true); err != nil {
			return nil, err
		}
		if ta.Values, err = stringsOf(tm, "values", w+".values", RuleTrustedAuthorities, true, MaxValues); err != nil {
			return nil, err
		}
		c.TrustedAuthorities = append(c.TrustedAuthorities, ta)
	}
	claims, err := arrayOf(m, "claims", where+".claims", RuleClaims, false, MaxClaimsQueries)
	if err != nil {
		return nil, err
	}
	for i, cv := range claims {
		cl, err := claimsQueryFromJSON(cv, c.Format, fmt.Sprintf("%s.claims[%d]", where, i))
		if err != nil {
			return nil, err
		}
		c.Claims = append(c.Claims, *cl)
	}
	sets, err := arrayOf(m, "claim_sets", where+".claim_sets", RuleClaimSets, false, MaxClaimsQueries)
	if err != nil {
		return nil, err
	}
	for i, s := range sets {
		w := fmt.Sprintf("%s.claim_sets[%d]", where, i)
		ids, err := idList(s, w, RuleClaimSets)
		if err != nil {
			return nil, err
		}
		c.ClaimSets = append(c.ClaimSets, ids)
	}
	return &c, nil
}

// idList reads an array of strings (an option of claim_sets or of a
// credential set); emptiness and references are checked later.
func idList(v any, where string, rule Rule) ([]string, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, qerr(rule, where, "not an array of identifiers")
	}
	if len(a) > MaxClaimsQueries {
		return nil, qerr(RuleLimit, where, "over %d identifiers", MaxClaimsQueries)
	}
	out := make([]string, len(a))
	for i, e := range a {
		s, ok := e.(string)
		if !ok {
			return nil, qerr(rule, where, "element %d is not a string", i)
		}
		out[i] = s
	}
	return out, nil
}

func claimsQueryFromJSON(v any, format credential.Format, where string) (*ClaimsQuery, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, qerr(RuleClaims, where, "a Claims Query is an object")
	}
	var cl ClaimsQuery
	var err error
	if cl.ID, err = stringOf(m, "id", where+".id", RuleClaimID, false); err != nil {
		return nil, err
	}
	if _, ok := m["id"]; ok && cl.ID == "" {
		return nil, qerr(RuleClaimID, where+".id", "an id is a non-empty string")
	}
	// §6.3: path is REQUIRED.
	pv, ok := m["path"]
	if !ok {
		return nil, qerr(RulePath, where+".path", "path is required")
	}
	pa, ok := pv.([]any)
	if !ok {
		return nil, qerr(RulePath, where+".path", "path is not an array")
	}
	if len(pa) > MaxPathLen {
		return nil, qerr(RuleLimit, where+".path", "over %d components", MaxPathLen)
	}
	cl.Path = make(ClaimsPath, len(pa))
	for i, e := range pa {
		switch x := e.(type) {
		case string, nil:
			cl.Path[i] = x
		case json.Number:
			n, ok := nonNegInt(x)
			if !ok {
				return nil, qerr(RulePath, where+".path", "component %d (%.32s) is not a non-negative integer in [0, %d]", i, x, MaxPathIndex)
			}
			cl.Path[i] = n
		default:
			return nil, qerr(RulePath, where+".path", "component %d is not a string, null or non-negative integer", i)
		}
	}
	if vv, ok := m["values"]; ok {
		va, ok := vv.([]any)
		if !ok {
			return nil, qerr(RuleValues, where+".values", "values is not an array")
		}
		if len(va) > MaxValues {
			return nil, qerr(RuleLimit, where+".values", "over %d values", MaxValues)
		}
		cl.Values = make([]any, len(va))
		for i, e := range va {
			switch x := e.(type) {
			case string, bool:
				cl.Values[i] = x
			case json.Number:
				// §6.3: integers. A fraction or exponent is refused even
				// when its value is whole: the text must be an integer.
				n, err := strconv.ParseInt(string(x), 10, 64)
				if err != nil {
					return nil, qerr(RuleValues, fmt.Sprintf("%s.values[%d]", where, i), "%.32s is not an integer", x)
				}
				cl.Values[i] = n
			default:
				return nil, qerr(RuleValues, fmt.Sprintf("%s.values[%d]", where, i), "not a string, integer or boolean")
			}
		}
	}
	if format == credential.FormatMdoc {
		// B.2.4: intent_to_retain, a boolean. For other formats it is an
		// unknown member, ignored (§6).
		if cl.IntentToRetain, _, err = boolOf(m, "intent_to_retain", where+".intent_to_retain", RuleIntentToRetain); err != nil {
			return nil, err
		}
	}
	return &cl, nil
}

// nonNegInt parses an integer literal in [0, MaxPathIndex].
func nonNegInt(n json.Number) (int, bool) {
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || i < 0 || i > MaxPathIndex {
		return 0, false
	}
	return int(i), true
}

func credentialSetFromJSON(v any, where string) (*CredentialSetQuery, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, qerr(RuleCredentialSets, where, "a Credential Set Query is an object")
	}
	var s CredentialSetQuery
	// §6.2: options is REQUIRED, a non-empty array.
	opts, err := arrayOf(m, "options", where+".options", RuleOptions, true, MaxClaimsQueries)
	if err != nil {
		return nil, err
	}
	for i, o := range opts {
		ids, err := idList(o, fmt.Sprintf("%s.options[%d]", where, i), RuleOptions)
		if err != nil {
			return nil, err
		}
		s.Options = append(s.Options, ids)
	}
	req, present, err := boolOf(m, "required", where+".required", RuleRequired)
	if err != nil {
		return nil, err
	}
	s.Optional = present && !req
	if p, ok := m["purpose"]; ok {
		if s.Purpose, err = strictjson.Marshal(p); err != nil {
			return nil, qerr(RuleJSON, where+".purpose", "%v", err)
		}
	}
	return &s, nil
}

// --- encoding ---

type wireQuery struct {
	Credentials    []CredentialQuery    `json:"credentials"`
	CredentialSets []CredentialSetQuery `json:"credential_sets,omitempty"`
}

// MarshalJSON encodes the query in its wire form (§6).
func (q Query) MarshalJSON() ([]byte, error) {
	return strictjson.Marshal(wireQuery{q.Credentials, q.CredentialSets})
}

// UnmarshalJSON decodes and checks a query with [ParseQuery].
func (q *Query) UnmarshalJSON(b []byte) error {
	p, err := ParseQuery(b)
	if err != nil {
		return err
	}
	*q = *p
	return nil
}

type wireCredentialQuery struct {
	ID                 string                    `json:"id"`
	Format             credential.Format         `json:"format"`
	Multiple           bool                      `json:"multiple,omitempty"`
	Meta               json.RawMessage           `json:"meta"`
	TrustedAuthorities []TrustedAuthoritiesQuery `json:"trusted_authorities,omitempty"`
	RequireCHB         *bool                     `json:"require_cryptographic_holder_binding,omitempty"`
	Claims             []ClaimsQuery             `json:"claims,omitempty"`
	ClaimSets          [][]string                `json:"claim_sets,omitempty"`
}

// MarshalJSON encodes the Credential Query in its wire form (§6.1).
func (c CredentialQuery) MarshalJSON() ([]byte, error) {
	meta, err := c.Meta.MarshalJSON()
	if err != nil {
		return nil, err
	}
	w := wireCredentialQuery{ID: c.ID, Format: c.Format, Multiple: c.Multiple, Meta: meta,
		TrustedAuthorities: c.TrustedAuthorities, Claims: c.Claims, ClaimSets: c.ClaimSets}
	if c.HolderBindingOptional {
		f := false
		w.RequireCHB = &f
	}
	return strictjson.Marshal(w)
}

// MarshalJSON encodes meta: Other verbatim when set, else the members
// that are set.
func (m Meta) MarshalJSON() ([]byte, error) {
	if m.Other != nil {
		return m.Other, nil
	}
	out := map[string]any{}
	if m.VCTValues != nil {
		out["vct_values"] = m.VCTValues
	}
	if m.DoctypeValue != "" {
		out["doctype_value"] = m.DoctypeValue
	}
	if m.TypeValues != nil {
		out["type_values"] = m.TypeValues
	}
	return strictjson.Marshal(out)
}

type wireClaimsQuery struct {
	ID             string     `json:"id,omitempty"`
	Path           ClaimsPath `json:"path"`
	Values         []any      `json:"values,omitempty"`
	IntentToRetain bool       `json:"intent_to_retain,omitempty"`
}

// MarshalJSON encodes the Claims Query in its wire form (§6.3).
func (c ClaimsQuery) MarshalJSON() ([]byte, error) {
	return strictjson.Marshal(wireClaimsQuery(c))
}

type wireCredentialSet struct {
	Options  [][]string      `json:"options"`
	Required *bool           `json:"required,omitempty"`
	Purpose  json.RawMessage `json:"purpose,omitempty"`
}

// MarshalJSON encodes the Credential Set Query in its wire form (§6.2).
func (s CredentialSetQuery) MarshalJSON() ([]byte, error) {
	w := wireCredentialSet{Options: s.Options, Purpose: s.Purpose}
	if s.Optional {
		f := false
		w.Required = &f
	}
	return strictjson.Marshal(w)
}
