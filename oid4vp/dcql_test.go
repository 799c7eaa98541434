package oid4vp

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/credential"
)

// Every DCQL example of the specification parses, validates and survives
// an encode/parse round trip.
func TestParseQuerySpecExamples(t *testing.T) {
	for name, data := range seeds(t, "dcql-") {
		t.Run(name, func(t *testing.T) {
			q, err := ParseQuery(data)
			if err != nil {
				t.Fatal(err)
			}
			if err := q.Validate(); err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(q)
			if err != nil {
				t.Fatal(err)
			}
			again, err := ParseQuery(b)
			if err != nil {
				t.Fatalf("re-parsing %s: %v", b, err)
			}
			if !reflect.DeepEqual(q, again) {
				t.Fatalf("round trip changed the query:\n%+v\n%+v", q, again)
			}
		})
	}
}

// The parsed form of one example, member by member.
func TestParseQueryValues(t *testing.T) {
	q, err := ParseQuery(seeds(t, "dcql-value-matching-simple.json")["dcql-value-matching-simple.json"])
	if err != nil {
		t.Fatal(err)
	}
	want := &Query{Credentials: []CredentialQuery{{
		ID:     "my_credential",
		Format: credential.FormatSDJWT,
		Meta:   Meta{VCTValues: []string{"https://credentials.example.com/identity_credential"}},
		Claims: []ClaimsQuery{
			{Path: ClaimsPath{"last_name"}, Values: []any{"Doe"}},
			{Path: ClaimsPath{"first_name"}},
			{Path: ClaimsPath{"address", "street_address"}},
			{Path: ClaimsPath{"postal_code"}, Values: []any{"90210", "90211"}},
		},
	}}}
	if !reflect.DeepEqual(q, want) {
		t.Fatalf("got %+v", q)
	}

	q, err = ParseQuery([]byte(`{"credentials":[{"id":"a","format":"dc+sd-jwt","meta":{"vct_values":["t"]},
		"require_cryptographic_holder_binding":false,"multiple":true,
		"trusted_authorities":[{"type":"aki","values":["s9tIpPmhxdiuNkHMEWNpYim8S8Y"]}],
		"claims":[{"id":"x","path":["degrees",null,1],"values":[7,true,"s"]}],"claim_sets":[["x"]]},
		{"id":"m","format":"mso_mdoc","meta":{"doctype_value":"d"},"claims":[{"path":["ns","el"],"intent_to_retain":true}]}],
		"credential_sets":[{"options":[["a","m"]],"required":false,"purpose":{"en":"why"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	c := q.Credentials[0]
	if !c.HolderBindingOptional || !c.Multiple || c.TrustedAuthorities[0].Type != AuthorityAKI ||
		!reflect.DeepEqual(c.Claims[0].Path, ClaimsPath{"degrees", nil, 1}) ||
		!reflect.DeepEqual(c.Claims[0].Values, []any{int64(7), true, "s"}) ||
		!q.Credentials[1].Claims[0].IntentToRetain || !q.CredentialSets[0].Optional ||
		string(q.CredentialSets[0].Purpose) != `{"en":"why"}` {
		t.Fatalf("got %+v", q)
	}
	b, _ := json.Marshal(q)
	for _, s := range []string{`"require_cryptographic_holder_binding":false`, `"required":false`, `"intent_to_retain":true`, `"path":["degrees",null,1]`} {
		if !strings.Contains(string(b), s) {
			t.Errorf("encoding lacks %s: %s", s, b)
		}
	}
}

// sdq wraps one Credential Query (JSON) into a query.
func sdq(cred string) string { return `{"credentials":[` + cred + `]}` }

const okMeta = `"format":"dc+sd-jwt","meta":{"vct_values":["t"]}`

func TestParseQueryInvalid(t *testing.T) {
	for _, tc := range []struct {
		name, query string
		rule        Rule
		where       string
	}{
		{"not json", `{"credentials":`, RuleJSON, ""},
		{"not an object", `[]`, RuleJSON, ""},
		{"duplicate member", `{"credentials":[],"credentials":[]}`, RuleJSON, ""},
		{"no credentials", `{}`, RuleCredentials, "credentials"},
		{"empty credentials", `{"credentials":[]}`, RuleCredentials, "credentials"},
		{"credential not object", `{"credentials":[1]}`, RuleCredentials, "credentials[0]"},
		{"no id", sdq(`{` + okMeta + `}`), RuleCredentialID, "credentials[0].id"},
		{"empty id", sdq(`{"id":"",` + okMeta + `}`), RuleCredentialID, "credentials[0].id"},
		{"id alphabet", sdq(`{"id":"a.b",` + okMeta + `}`), RuleCredentialID, "credentials[0].id"},
		{"id not string", sdq(`{"id":1,` + okMeta + `}`), RuleCredentialID, "credentials[0].id"},
		{"duplicate id", `{"credentials":[{"id":"a",` + okMeta + `},{"id":"a",` + okMeta + `}]}`, RuleCredentialIDUnique, "credentials[1].id"},
		{"no format", sdq(`{"id":"a","meta":{}}`), RuleFormat, "credentials[0].format"},
		{"empty format", sdq(`{"id":"a","format":"","meta":{}}`), RuleFormat, "credentials[0].format"},
		{"multiple not bool", sdq(`{"id":"a",` + okMeta + `,"multiple":"yes"}`), RuleMultiple, "credentials[0].multiple"},
		{"holder binding not bool", sdq(`{"id":"a",` + okMeta + `,"require_cryptographic_holder_binding":0}`), RuleHolderBinding, "credentials[0].require_cryptographic_holder_binding"},
		{"no meta", sdq(`{"id":"a","format":"dc+sd-jwt"}`), RuleMeta, "credentials[0].meta"},
		{"meta not object", sdq(`{"id":"a","format":"x","meta":[]}`), RuleMeta, "credentials[0].meta"},
		{"no vct_values", sdq(`{"id":"a","format":"dc+sd-jwt","meta":{}}`), RuleVCTValues, "credentials[0].meta.vct_values"},
		{"empty vct_values", sdq(`{"id":"a","format":"dc+sd-jwt","meta":{"vct_values":[]}}`), RuleVCTValues, "credentials[0].meta.vct_values"},
		{"empty vct", sdq(`{"id":"a","format":"dc+sd-jwt","meta":{"vct_values":[""]}}`), RuleVCTValues, "credentials[0].meta.vct_values"},
		{"vct not string", sdq(`{"id":"a","format":"dc+sd-jwt","meta":{"vct_values":[1]}}`), RuleVCTValues, "credentials[0].meta.vct_values[0]"},
		{"no doctype_value", sdq(`{"id":"a","format":"mso_mdoc","meta":{}}`), RuleDoctypeValue, "credentials[0].meta.doctype_value"},
		{"empty doctype_value", sdq(`{"id":"a","format":"mso_mdoc","meta":{"doctype_value":""}}`), RuleDoctypeValue, "credentials[0].meta.doctype_value"},
		{"no type_values", sdq(`{"id":"a","format":"ldp_vc","meta":{}}`), RuleTypeValues, "credentials[0].meta.type_values"},
		{"empty type_values alternative", sdq(`{"id":"a","format":"jwt_vc_json","meta":{"type_values":[[]]}}`), RuleTypeValues, "credentials[0].meta.type_values[0]"},
		{"trusted_authorities empty", sdq(`{"id":"a",` + okMeta + `,"trusted_authorities":[]}`), RuleTrustedAuthorities, "credentials[0].trusted_authorities"},
		{"trusted_authorities no type", sdq(`{"id":"a",` + okMeta + `,"trusted_authorities":[{"values":["x"]}]}`), RuleTrustedAuthorities, "credentials[0].trusted_authorities[0].type"},
		{"trusted_authorities empty values", sdq(`{"id":"a",` + okMeta + `,"trusted_authorities":[{"type":"aki","values":[]}]}`), RuleTrustedAuthorities, "credentials[0].trusted_authorities[0].values"},
		{"aki not base64url", sdq(`{"id":"a",` + okMeta + `,"trusted_authorities":[{"type":"aki","values":["a+b/"]}]}`), RuleTrustedAuthorities, "credentials[0].trusted_authorities[0].values"},
		{"etsi_tl not https", sdq(`{"id":"a",` + okMeta + `,"trusted_authorities":[{"type":"etsi_tl","values":["ftp://lotl"]}]}`), RuleTrustedAuthorities, "credentials[0].trusted_authorities[0].values"},
		{"claims empty", sdq(`{"id":"a",` + okMeta + `,"claims":[]}`), RuleClaims, "credentials[0].claims"},
		{"claim not object", sdq(`{"id":"a",` + okMeta + `,"claims":["x"]}`), RuleClaims, "credentials[0].claims[0]"},
		{"claim no path", sdq(`{"id":"a",` + okMeta + `,"claims":[{"id":"x"}]}`), RulePath, "credentials[0].claims[0].path"},
		{"claim empty path", sdq(`{"id":"a",` + okMeta + `,"claims":[{"path":[]}]}`), RulePath, "credentials[0].claims[0].path"},
		{"path negative index", sdq(`{"id":"a",` + okMeta + `,"claims":[{"path":["a",-1]}]}`), RulePath, "credentials[0].claims[0].path"},
		{"path fractional index", sdq(`{"id":"a",` + okMeta + `,"claims":[{"path":["a",1.5]}]}`), RulePath, "credentials[0].claims[0].path"},
		{"path bool", sdq(`{"id":"a",` + okMeta + `,"claims":[{"path":[true]}]}`), RulePath, "credentials[0].claims[0].path"},
		{"path object", sdq(`{"id":"a",` + okMeta + `,"claims":[{"path":[{}]}]}`), RulePath, "credentials[0].claims[0].path"},
		{"mdoc path one component", sdq(`{"id":"a","format":"mso_mdoc","meta":{"doctype_value":"d"},"claims":[{"path":["ns"]}]}`), RulePath, "credentials[0].claims[0].path"},
		{"mdoc path three components", sdq(`{"id":"a","format":"mso_mdoc","meta":{"doctype_value":"d"},"claims":[{"path":["ns","a","b"]}]}`), RulePath, "credentials[0].claims[0].path"},
		{"mdoc path null", sdq(`{"id":"a","format":"mso_mdoc","meta":{"doctype_value":"d"},"claims":[{"path":["ns",null]}]}`), RulePath, "credentials[0].claims[0].path"},
		{"mdoc path index", sdq(`{"id":"a","format":"mso_mdoc","meta":{"doctype_value":"d"},"claims":[{"path":["ns",0]}]}`), RulePath, "credentials[0].claims[0].path"},
		{"values empty", sdq(`{"id":"a",` + okMeta + `,"claims":[{"path":["x"],"values":[]}]}`), RuleValues, "credentials[0].claims[0].values"},
		{"values null", sdq(`{"id":"a",` + okMeta + `,"claims":[{"path":["x"],"values":[null]}]}`), RuleValues, "credentials[0].claims[0].values[0]"},
		{"values float", sdq(`{"id":"a",` + okMeta + `,"claims":[{"path":["x"],"values":[1.5]}]}`), RuleValues, "credentials[0].claims[0].values[0]"},
		{"values object", sdq(`{"id":"a",` + okMeta + `,"claims":[{"path":["x"],"values":[{}]}]}`), RuleValues, "credentials[0].claims[0].values[0]"},
		{"intent_to_retain not bool", sdq(`{"id":"a","format":"mso_mdoc","meta":{"doctype_value":"d"},"claims":[{"path":["n","e"],"intent_to_retain":1}]}`), RuleIntentToRetain, "credentials[0].claims[0].intent_to_retain"},
		{"claim id alphabet", sdq(`{"id":"a",` + okMeta + `,"claims":[{"id":"x y","path":["x"]}]}`), RuleClaimID, "credentials[0].claims[0].id"},
		{"claim id empty", sdq(`{"id":"a",` + okMeta + `,"claims":[{"id":"","path":["x"]}]}`), RuleClaimID, "credentials[0].claims[0].id"},
		{"claim id duplicate", sdq(`{"id":"a",` + okMeta + `,"claims":[{"id":"x","path":["x"]},{"id":"x","path":["y"]}]}`), RuleClaimIDUnique, "credentials[0].claims[1].id"},
		{"claim id required with claim_sets", sdq(`{"id":"a",` + okMeta + `,"claims":[{"id":"x","path":["x"]},{"path":["y"]}],"claim_sets":[["x"]]}`), RuleClaimIDRequired, "credentials[0].claims[1].id"},
		{"claim_sets without claims", sdq(`{"id":"a",` + okMeta + `,"claim_sets":[["x"]]}`), RuleClaimSets, "credentials[0].claim_sets"},
		{"claim_sets empty", sdq(`{"id":"a",` + okMeta + `,"claims":[{"id":"x","path":["x"]}],"claim_sets":[]}`), RuleClaimSets, "credentials[0].claim_sets"},
		{"claim_sets empty option", sdq(`{"id":"a",` + okMeta + `,"claims":[{"id":"x","path":["x"]}],"claim_sets":[[]]}`), RuleClaimSets, "credentials[0].claim_sets[0]"},
		{"claim_sets unknown id", sdq(`{"id":"a",` + okMeta + `,"claims":[{"id":"x","path":["x"]}],"claim_sets":[["y"]]}`), RuleClaimSets, "credentials[0].claim_sets[0]"},
		{"claim_sets not strings", sdq(`{"id":"a",` + okMeta + `,"claims":[{"id":"x","path":["x"]}],"claim_sets":[[1]]}`), RuleClaimSets, "credentials[0].claim_sets[0]"},
		{"credential_sets empty", `{"credentials":[{"id":"a",` + okMeta + `}],"credential_sets":[]}`, RuleCredentialSets, "credential_sets"},
		{"credential set no options", `{"credentials":[{"id":"a",` + okMeta + `}],"credential_sets":[{}]}`, RuleOptions, "credential_sets[0].options"},
		{"credential set empty options", `{"credentials":[{"id":"a",` + okMeta + `}],"credential_sets":[{"options":[]}]}`, RuleOptions, "credential_sets[0].options"},
		{"credential set empty option", `{"credentials":[{"id":"a",` + okMeta + `}],"credential_sets":[{"options":[[]]}]}`, RuleOptions, "credential_sets[0].options[0]"},
		{"credential set unknown id", `{"credentials":[{"id":"a",` + okMeta + `}],"credential_sets":[{"options":[["b"]]}]}`, RuleOptions, "credential_sets[0].options[0]"},
		{"credential set required not bool", `{"credentials":[{"id":"a",` + okMeta + `}],"credential_sets":[{"options":[["a"]],"required":"no"}]}`, RuleRequired, "credential_sets[0].required"},
		{"too large", `{"credentials":[{"id":"` + strings.Repeat("a", MaxQuerySize) + `"}]}`, RuleLimit, ""},
		{"too many values", sdq(`{"id":"a",` + okMeta + `,"claims":[{"path":["x"],"values":[` + strings.Repeat(`1,`, MaxValues) + `1]}]}`), RuleLimit, "credentials[0].claims[0].values"},
		{"path too long", sdq(`{"id":"a",` + okMeta + `,"claims":[{"path":[` + strings.Repeat(`"x",`, MaxPathLen) + `"x"]}]}`), RuleLimit, "credentials[0].claims[0].path"},
		{"too deep", `{"credentials":[{"id":"a","format":"x","meta":{"a":[[[[[[[]]]]]]]}}]}`, RuleJSON, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := ParseQuery([]byte(tc.query))
			if q != nil {
				t.Fatalf("accepted %+v", q)
			}
			var qe *QueryError
			if !errors.As(err, &qe) || !errors.Is(err, ErrInvalidQuery) {
				t.Fatalf("error %v is not a *QueryError", err)
			}
			if qe.Rule != tc.rule || qe.Where != tc.where {
				t.Fatalf("rule %q at %q, want %q at %q (%v)", qe.Rule, qe.Where, tc.rule, tc.where, err)
			}
			if qe.Rule.Section() == "" {
				t.Fatalf("rule %q has no section", qe.Rule)
			}
		})
	}
}

// What the parser accepts that a stricter reading might refuse, and why.
func TestParseQueryAccepted(t *testing.T) {
	for _, tc := range []struct{ name, query string }{
		// §6: unknown properties MUST be ignored, at every level.
		{"unknown members", `{"x":1,"credentials":[{"id":"a",` + okMeta + `,"y":[],"claims":[{"path":["a"],"z":{}}]}]}`},
		// §6.1: another format; its meta is kept as it is.
		{"unknown format", sdq(`{"id":"a","format":"example_format","meta":{"anything":[1]}}`)},
		// §6.1.1: types are extensible.
		{"unknown authority type", sdq(`{"id":"a",` + okMeta + `,"trusted_authorities":[{"type":"example","values":["v"]}]}`)},
		// §7.1: a path may start with an index or null; it selects nothing
		// in a credential whose root is an object, but is well-formed.
		{"path starting with null", sdq(`{"id":"a",` + okMeta + `,"claims":[{"path":[null,0]}]}`)},
		// §6.1: Wallets SHOULD ignore duplicate claim queries.
		{"duplicate claim", sdq(`{"id":"a",` + okMeta + `,"claims":[{"path":["a"]},{"path":["a"]}]}`)},
		// B.2.4: intent_to_retain belongs to mso_mdoc; elsewhere it is an
		// unknown member.
		{"intent_to_retain on sd-jwt", sdq(`{"id":"a",` + okMeta + `,"claims":[{"path":["a"],"intent_to_retain":"x"}]}`)},
		// A Credential Query that no credential set references is valid
		// (§6.4.2 just does not ask for it).
		{"unreferenced credential query", `{"credentials":[{"id":"a",` + okMeta + `},{"id":"b",` + okMeta + `}],"credential_sets":[{"options":[["a"]]}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := ParseQuery([]byte(tc.query))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(q)
			again, err := ParseQuery(b)
			if err != nil || !reflect.DeepEqual(q, again) {
				t.Fatalf("round trip: %v\n%+v\n%+v", err, q, again)
			}
		})
	}
}

// Validate applies the Verifier's rules to queries built in Go.
func TestQueryValidate(t *testing.T) {
	good := func() *Query {
		return &Query{Credentials: []CredentialQuery{{
			ID: "ktp", Format: credential.FormatSDJWT,
			Meta:   Meta{VCTValues: []string{credential.VCTKTPEL}},
			Claims: []ClaimsQuery{{ID: "nik", Path: ClaimsPath{"nik"}}, {ID: "nama", Path: ClaimsPath{"nama"}}},
		}}}
	}
	if err := good().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(q *Query)
		rule Rule
	}{
		{"nil path element type", func(q *Query) { q.Credentials[0].Claims[0].Path = ClaimsPath{int64(1)} }, RulePath},
		{"negative index", func(q *Query) { q.Credentials[0].Claims[0].Path = ClaimsPath{"a", -1} }, RulePath},
		{"duplicate claim", func(q *Query) { q.Credentials[0].Claims[1].Path = ClaimsPath{"nik"} }, RuleDuplicateClaim},
		{"int value", func(q *Query) { q.Credentials[0].Claims[0].Values = []any{1} }, RuleValues},
		{"empty values", func(q *Query) { q.Credentials[0].Claims[0].Values = []any{} }, RuleValues},
		{"doctype on sd-jwt", func(q *Query) { q.Credentials[0].Meta.DoctypeValue = "d" }, RuleMeta},
		{"intent_to_retain on sd-jwt", func(q *Query) { q.Credentials[0].Claims[0].IntentToRetain = true }, RuleIntentToRetain},
		{"no credentials", func(q *Query) { q.Credentials = nil }, RuleCredentials},
		{"other meta not object", func(q *Query) {
			q.Credentials[0].Format = "x"
			q.Credentials[0].Meta = Meta{Other: []byte(`[]`)}
		}, RuleMeta},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := good()
			tc.edit(q)
			var qe *QueryError
			if err := q.Validate(); !errors.As(err, &qe) || qe.Rule != tc.rule {
				t.Fatalf("got %v, want rule %q", err, tc.rule)
			}
		})
	}
	var nilQuery *Query
	if err := nilQuery.Validate(); !errors.Is(err, ErrInvalidQuery) {
		t.Fatalf("nil query: %v", err)
	}
}
