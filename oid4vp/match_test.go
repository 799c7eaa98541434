package oid4vp

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/credential"
)

// ktpQuery asks for the NIK and name of a KTP-el SD-JWT VC.
func ktpQuery(t *testing.T, extra string) *Query {
	t.Helper()
	q, err := ParseQuery([]byte(`{"credentials":[{"id":"ktp","format":"dc+sd-jwt","meta":{"vct_values":["` +
		credential.VCTKTPEL + `"]},"claims":[{"path":["nik"]},{"path":["nama"]}` + extra + `]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func ktpCandidate() Candidate {
	return Candidate{
		Format: credential.FormatSDJWT, VCT: credential.VCTKTPEL, HolderBinding: true,
		Claims:          map[string]any{"iss": "https://dukcapil.example", "nik": "3171234567890001", "nama": "Siti"},
		AlwaysDisclosed: []ClaimsPath{{"iss"}},
	}
}

// valueText is a TextMarshaler, like mdoc.FullDate.
type valueText string

func (v valueText) MarshalText() ([]byte, error) { return []byte(v), nil }

type badText struct{}

func (badText) MarshalText() ([]byte, error) { return nil, errors.New("no") }

// values compares the claim in its JSON form, in type and value (§6.3).
func TestMatchValueTypes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		claim any
		want  string // the values array
		match bool
	}{
		{"int", 42, `[42]`, true},
		{"int8", int8(-3), `[-3]`, true},
		{"uint64", uint64(42), `[42]`, true},
		{"uint64 over int64", uint64(math.MaxUint64), `[-1]`, false},
		{"int64 max", int64(math.MaxInt64), `[9223372036854775807]`, true},
		{"float64 integral", 42.0, `[42]`, true},
		{"float64 fraction", 42.5, `[42]`, false},
		{"float64 NaN", math.NaN(), `[0]`, false},
		{"float64 Inf", math.Inf(1), `[0]`, false},
		{"float32", float32(7), `[7]`, true},
		{"json.Number int", json.Number("42"), `[42]`, true},
		{"json.Number fraction form", json.Number("42.000"), `[42]`, true},
		{"json.Number exponent", json.Number("42e0"), `[42]`, true},
		{"json.Number negative exponent", json.Number("420E-1"), `[42]`, true},
		{"json.Number fraction", json.Number("42.5"), `[42]`, false},
		{"json.Number huge exponent", json.Number("1e999999999"), `[1]`, false},
		{"json.Number not a number", json.Number("0x2a"), `[42]`, false},
		{"json.Number against string", json.Number("42"), `["42"]`, false},
		{"string", "Siti", `["Siti"]`, true},
		{"string case", "siti", `["Siti"]`, false},
		{"bytes as base64url", []byte{0xfb, 0xff}, `["-_8"]`, true},
		{"text marshaler", valueText("2000-02-29"), `["2000-02-29"]`, true},
		{"text marshaler error", badText{}, `[""]`, false},
		{"bool", true, `[true]`, true},
		{"bool vs string", true, `["true"]`, false},
		{"bool vs int", false, `[0]`, false},
		{"null", nil, `["null"]`, false},
		{"object", map[string]any{}, `["x"]`, false},
		{"array", []any{"x"}, `["x"]`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := ktpQuery(t, `,{"path":["x"],"values":`+tc.want+`}`)
			c := ktpCandidate()
			c.Claims["x"] = tc.claim
			m, err := q.Match([]Candidate{c})
			if tc.match != (err == nil) {
				t.Fatalf("match %v, error %v", m, err)
			}
			// The same value as an mdoc data element.
			mq, err := ParseQuery([]byte(`{"credentials":[{"id":"m","format":"mso_mdoc","meta":{"doctype_value":"d"},"claims":[{"path":["ns","x"],"values":` + tc.want + `}]}]}`))
			if err != nil {
				t.Fatal(err)
			}
			_, err = mq.Match([]Candidate{{Format: credential.FormatMdoc, Doctype: "d", HolderBinding: true,
				NameSpaces: map[string]map[string]any{"ns": {"x": tc.claim}}}})
			if tc.match != (err == nil) {
				t.Fatalf("mdoc: error %v", err)
			}
		})
	}
}

func TestMatchResult(t *testing.T) {
	q := ktpQuery(t, `,{"path":["iss"]}`)
	other := ktpCandidate()
	other.VCT = "urn:other"
	m, err := q.Match([]Candidate{other, ktpCandidate(), ktpCandidate()})
	if err != nil {
		t.Fatal(err)
	}
	cm := m.Get("ktp")
	if cm == nil || m.Get("nope") != nil || len(cm.Matching) != 2 || len(cm.Chosen) != 1 || cm.Chosen[0].Index != 1 {
		t.Fatalf("got %+v", m)
	}
	ch := cm.Chosen[0]
	if fmt.Sprint(ch.Claims) != `[["nik"] ["nama"] ["iss"]]` || fmt.Sprint(ch.Disclose) != `[["nik"] ["nama"]]` || ch.ClaimSet != -1 {
		t.Fatalf("claims %v, disclose %v, claim set %d", ch.Claims, ch.Disclose, ch.ClaimSet)
	}
}

func TestMatchNoMatchError(t *testing.T) {
	q, err := ParseQuery([]byte(`{"credentials":[
		{"id":"a","format":"dc+sd-jwt","meta":{"vct_values":["urn:a"]}},
		{"id":"b","format":"mso_mdoc","meta":{"doctype_value":"urn:b"}},
		{"id":"c","format":"dc+sd-jwt","meta":{"vct_values":["urn:c"]},"claims":[{"path":["x"],"values":["secret"]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	cands := []Candidate{{Format: credential.FormatSDJWT, VCT: "urn:c", HolderBinding: true, Claims: map[string]any{"x": "other"}}}
	_, err = q.Match(cands)
	var ne *NoMatchError
	if !errors.As(err, &ne) || !errors.Is(err, ErrNoMatch) || ne.Set != -1 || strings.Join(ne.Queries, ",") != "a,b,c" {
		t.Fatalf("got %v", err)
	}
	for _, s := range []string{`"a": candidate 0: vct "urn:c" not in vct_values`, `"b": candidate 0: format "dc+sd-jwt"`, `"c": candidate 0: claim ["x"] matches no values`} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%q lacks %q", err, s)
		}
	}
	// The detail is capped.
	many := make([]Candidate, 20)
	for i := range many {
		many[i] = Candidate{Format: credential.FormatMdoc}
	}
	if _, err := q.Match(many); err == nil || !strings.Contains(err.Error(), "(and 12 more)") {
		t.Fatalf("got %v", err)
	}
}

func TestMatchInvalid(t *testing.T) {
	deep := map[string]any{}
	cur := deep
	for range MaxClaimDepth {
		next := map[string]any{}
		cur["a"] = next
		cur = next
	}
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	wide := map[string]any{}
	for i := range MaxCandidateNodes {
		wide[fmt.Sprint(i)] = i
	}
	bigNS := map[string]map[string]any{"ns": {}}
	for i := range MaxCandidateNodes {
		bigNS["ns"][fmt.Sprint(i)] = i
	}
	for _, tc := range []struct {
		name string
		c    Candidate
	}{
		{"too deep", Candidate{Claims: deep}},
		{"cyclic", Candidate{Claims: cyclic}},
		{"too wide", Candidate{Claims: wide}},
		{"too many elements", Candidate{NameSpaces: bigNS}},
		{"unsupported type", Candidate{Claims: map[string]any{"a": map[string]string{}}}},
		{"struct", Candidate{Claims: map[string]any{"a": struct{}{}}}},
		{"always disclosed null", Candidate{AlwaysDisclosed: []ClaimsPath{{"a", nil}}}},
		{"always disclosed negative", Candidate{AlwaysDisclosed: []ClaimsPath{{"a", -1}}}},
		{"always disclosed empty", Candidate{AlwaysDisclosed: []ClaimsPath{{}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ktpQuery(t, "").Match([]Candidate{ktpCandidate(), tc.c})
			if m != nil || !errors.Is(err, ErrInvalidCandidate) || !strings.Contains(err.Error(), "candidate 1") {
				t.Fatalf("got %v, %v", m, err)
			}
		})
	}
	if _, err := ktpQuery(t, "").Match(make([]Candidate, MaxCandidates+1)); !errors.Is(err, ErrInvalidCandidate) {
		t.Fatalf("too many candidates: %v", err)
	}
	var nilQuery *Query
	if _, err := nilQuery.Match(nil); !errors.Is(err, ErrInvalidQuery) {
		t.Fatalf("nil query: %v", err)
	}
	// A query built in Go is checked like a parsed one.
	q := ktpQuery(t, "")
	q.Credentials[0].Claims[0].Values = []any{1}
	var qe *QueryError
	if _, err := q.Match(nil); !errors.As(err, &qe) || qe.Rule != RuleValues {
		t.Fatalf("int value: %v", err)
	}
	if err := q.CheckPresented(nil); !errors.As(err, &qe) || qe.Rule != RuleValues {
		t.Fatalf("CheckPresented, int value: %v", err)
	}
}

// A query of a format this package cannot read the meta of matches
// nothing, even a candidate of that format.
func TestMatchUnknownFormat(t *testing.T) {
	q, err := ParseQuery([]byte(`{"credentials":[{"id":"x","format":"example_format","meta":{}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Match([]Candidate{{Format: "example_format", HolderBinding: true}}); !errors.Is(err, ErrNoMatch) {
		t.Fatalf("got %v", err)
	}
}

func TestCheckPresentedErrors(t *testing.T) {
	q, err := ParseQuery([]byte(`{"credentials":[
		{"id":"ktp","format":"dc+sd-jwt","meta":{"vct_values":["` + credential.VCTKTPEL + `"]},"claims":[{"path":["nik"]}]},
		{"id":"mdl","format":"mso_mdoc","meta":{"doctype_value":"d"},"multiple":true}],
		"credential_sets":[{"options":[["ktp"]]},{"options":[["mdl"]],"required":false}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ktp := Presented{Format: credential.FormatSDJWT, VCT: credential.VCTKTPEL, HolderBinding: true, Claims: map[string]any{"nik": "3171234567890001"}}
	mdl := Presented{Format: credential.FormatMdoc, Doctype: "d", HolderBinding: true}
	with := func(edit func(p *Presented)) Presented {
		p := ktp
		edit(&p)
		return p
	}
	if err := q.CheckPresented(map[string][]Presented{"ktp": {ktp}}); err != nil {
		t.Fatal(err)
	}
	if err := q.CheckPresented(map[string][]Presented{"ktp": {ktp}, "mdl": {mdl, mdl}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		vp     map[string][]Presented
		reason PresentationReason
		query  string
		index  int
		set    int
	}{
		{"unknown query", map[string][]Presented{"ktp": {ktp}, "zzz": {ktp}}, ReasonUnknownQuery, "zzz", -1, -1},
		{"empty", map[string][]Presented{"ktp": {}}, ReasonEmpty, "ktp", -1, -1},
		{"not multiple", map[string][]Presented{"ktp": {ktp, ktp}}, ReasonNotMultiple, "ktp", -1, -1},
		{"format", map[string][]Presented{"ktp": {with(func(p *Presented) { p.Format = credential.FormatMdoc })}}, ReasonFormat, "ktp", 0, -1},
		{"meta", map[string][]Presented{"ktp": {with(func(p *Presented) { p.VCT = "urn:x" })}}, ReasonMeta, "ktp", 0, -1},
		{"holder binding", map[string][]Presented{"ktp": {with(func(p *Presented) { p.HolderBinding = false })}}, ReasonHolderBinding, "ktp", 0, -1},
		{"claims", map[string][]Presented{"ktp": {with(func(p *Presented) { p.Claims = nil })}}, ReasonClaims, "ktp", 0, -1},
		{"second of multiple", map[string][]Presented{"ktp": {ktp}, "mdl": {mdl, {Format: credential.FormatMdoc, Doctype: "e", HolderBinding: true}}}, ReasonMeta, "mdl", 1, -1},
		{"required set", map[string][]Presented{"mdl": {mdl}}, ReasonMissing, "", -1, 0},
		{"nothing", nil, ReasonMissing, "", -1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := q.CheckPresented(tc.vp)
			var pe *PresentationError
			if !errors.As(err, &pe) || !errors.Is(err, ErrPresentationMismatch) {
				t.Fatalf("got %v", err)
			}
			if pe.Reason != tc.reason || pe.Query != tc.query || pe.Index != tc.index || pe.Set != tc.set || pe.Reason.Section() == "" {
				t.Fatalf("got %+v (%v)", pe, err)
			}
		})
	}
	// Without credential_sets, every query is required.
	q2 := ktpQuery(t, "")
	err = q2.CheckPresented(nil)
	var pe *PresentationError
	if !errors.As(err, &pe) || pe.Reason != ReasonMissing || pe.Query != "ktp" {
		t.Fatalf("got %v", err)
	}
	// Caps.
	if err := q.CheckPresented(map[string][]Presented{"mdl": make([]Presented, MaxCandidates+1)}); !errors.Is(err, ErrInvalidCandidate) {
		t.Fatalf("too many: %v", err)
	}
	if err := q.CheckPresented(map[string][]Presented{"ktp": {with(func(p *Presented) { p.Claims = map[string]any{"a": []int{1}} })}}); !errors.Is(err, ErrInvalidCandidate) {
		t.Fatalf("bad tree: %v", err)
	}
}
