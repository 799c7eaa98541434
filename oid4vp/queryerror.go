package oid4vp

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
)

// ErrInvalidQuery is wrapped by every error of [ParseQuery] and
// [Query.Validate]; the error is a [*QueryError] naming the rule.
var ErrInvalidQuery = errors.New("oid4vp: invalid DCQL query")

// Rule names one validity rule of a DCQL query, for [QueryError]. Each
// constant's doc says where the rule is written.
type Rule string

// The validity rules of a DCQL query.
const (
	// RuleJSON: the query is one JSON object (§6) without duplicate
	// member names, within the nesting cap.
	RuleJSON Rule = "json"
	// RuleLimit: a cap of this package (MaxQuerySize and the other
	// Max* constants).
	RuleLimit Rule = "limit"
	// RuleCredentials: credentials is REQUIRED, a non-empty array of
	// Credential Query objects (§6).
	RuleCredentials Rule = "credentials"
	// RuleCredentialID: a Credential Query id is REQUIRED, a non-empty
	// string of alphanumerics, '_' and '-' (§6.1).
	RuleCredentialID Rule = "credential-id"
	// RuleCredentialIDUnique: the same Credential Query id MUST NOT be
	// present more than once (§6.1).
	RuleCredentialIDUnique Rule = "credential-id-unique"
	// RuleFormat: format is REQUIRED, a string (§6.1).
	RuleFormat Rule = "format"
	// RuleMultiple: multiple is a boolean (§6.1).
	RuleMultiple Rule = "multiple"
	// RuleMeta: meta is REQUIRED, an object, with the members of the
	// query's format only (§6.1, Appendix B).
	RuleMeta Rule = "meta"
	// RuleVCTValues: dc+sd-jwt meta has vct_values, a non-empty array of
	// non-empty strings (B.3.5).
	RuleVCTValues Rule = "vct-values"
	// RuleDoctypeValue: mso_mdoc meta has doctype_value, a non-empty
	// string (B.2.3).
	RuleDoctypeValue Rule = "doctype-value"
	// RuleTypeValues: jwt_vc_json and ldp_vc meta has type_values, a
	// non-empty array of non-empty arrays of strings (B.1.1).
	RuleTypeValues Rule = "type-values"
	// RuleTrustedAuthorities: trusted_authorities is a non-empty array of
	// objects with a string type and a non-empty array of string values;
	// aki values are base64url, etsi_tl and openid_federation values
	// https URLs (§6.1.1).
	RuleTrustedAuthorities Rule = "trusted-authorities"
	// RuleHolderBinding: require_cryptographic_holder_binding is a
	// boolean (§6.1).
	RuleHolderBinding Rule = "holder-binding"
	// RuleClaims: claims is a non-empty array of Claims Query objects
	// (§6.1, §6.3).
	RuleClaims Rule = "claims"
	// RuleClaimID: a Claims Query id is a non-empty string of
	// alphanumerics, '_' and '-' (§6.3).
	RuleClaimID Rule = "claim-id"
	// RuleClaimIDRequired: a Claims Query id is REQUIRED when the
	// Credential Query has claim_sets (§6.3).
	RuleClaimIDRequired Rule = "claim-id-required"
	// RuleClaimIDUnique: within one claims array, the same id MUST NOT
	// be present more than once (§6.3).
	RuleClaimIDUnique Rule = "claim-id-unique"
	// RulePath: path is REQUIRED, a claims path pointer: a non-empty
	// array of strings, nulls and non-negative integers (§7); for
	// mso_mdoc exactly two strings (§7.2).
	RulePath Rule = "path"
	// RuleValues: values is a non-empty array of strings, integers or
	// booleans (§6.3).
	RuleValues Rule = "values"
	// RuleIntentToRetain: intent_to_retain is a boolean, for mso_mdoc
	// claims only (B.2.4).
	RuleIntentToRetain Rule = "intent-to-retain"
	// RuleClaimSets: claim_sets is a non-empty array of non-empty arrays
	// of ids of the Credential Query's claims (§6.1), and MUST NOT be
	// present without claims (§6.4.1).
	RuleClaimSets Rule = "claim-sets"
	// RuleCredentialSets: credential_sets is a non-empty array of
	// Credential Set Query objects (§6).
	RuleCredentialSets Rule = "credential-sets"
	// RuleOptions: options is REQUIRED, a non-empty array of non-empty
	// arrays of Credential Query ids (§6.2).
	RuleOptions Rule = "options"
	// RuleRequired: required is a boolean (§6.2).
	RuleRequired Rule = "required"
	// RuleDuplicateClaim: Verifiers MUST NOT point to the same claim
	// more than once in a single Credential Query (§6.1). Checked by
	// [Query.Validate] only: Wallets ignore such duplicates.
	RuleDuplicateClaim Rule = "duplicate-claim"
)

// ruleSections says where each rule is written, for error messages.
var ruleSections = map[Rule]string{
	RuleJSON: "§6", RuleLimit: "oid4vp cap", RuleCredentials: "§6",
	RuleCredentialID: "§6.1", RuleCredentialIDUnique: "§6.1", RuleFormat: "§6.1",
	RuleMultiple: "§6.1", RuleMeta: "§6.1", RuleVCTValues: "B.3.5",
	RuleDoctypeValue: "B.2.3", RuleTypeValues: "B.1.1", RuleTrustedAuthorities: "§6.1.1",
	RuleHolderBinding: "§6.1", RuleClaims: "§6.3", RuleClaimID: "§6.3",
	RuleClaimIDRequired: "§6.3", RuleClaimIDUnique: "§6.3", RulePath: "§7",
	RuleValues: "§6.3", RuleIntentToRetain: "B.2.4", RuleClaimSets: "§6.1, §6.4.1",
	RuleCredentialSets: "§6", RuleOptions: "§6.2", RuleRequired: "§6.2",
	RuleDuplicateClaim: "§6.1",
}

// Section returns where the rule is written (a section of OpenID4VP 1.0,
// or "oid4vp cap" for [RuleLimit]).
func (r Rule) Section() string { return ruleSections[r] }

// QueryError reports a DCQL query that breaks a rule. It unwraps to
// [ErrInvalidQuery].
type QueryError struct {
	// Rule is the rule broken.
	Rule Rule
	// Where locates the member in the query, as a JSON path such as
	// "credentials[1].claims[0].path" ("" for the query itself).
	Where string
	// Detail says what was wrong, for people.
	Detail string
}

// Error returns "oid4vp: invalid DCQL query: <where>: <rule> (<section>):
// <detail>".
func (e *QueryError) Error() string {
	where := e.Where
	if where != "" {
		where += ": "
	}
	return fmt.Sprintf("%v: %s%s (%s): %s", ErrInvalidQuery, where, e.Rule, e.Rule.Section(), e.Detail)
}

// Unwrap returns [ErrInvalidQuery].
func (e *QueryError) Unwrap() error { return ErrInvalidQuery }

func qerr(rule Rule, where, format string, args ...any) *QueryError {
	return &QueryError{Rule: rule, Where: where, Detail: fmt.Sprintf(format, args...)}
}

// b64url decodes canonical unpadded base64url.
var b64url = base64.RawURLEncoding.Strict()

// isBase64URL reports whether s uses only the base64url alphabet (the
// decoder alone would skip CR and LF).
func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// checkHTTPSURL checks an absolute https URL with a host and no
// userinfo or fragment.
func checkHTTPSURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%.200q is not a URL", s)
	}
	if u.Scheme != "https" || u.Host == "" || u.Hostname() == "" || u.Opaque != "" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("%.200q is not an https URL with a host", s)
	}
	return nil
}
