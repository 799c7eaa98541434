package oid4vp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// corpusDir holds the DCQL matching corpus (see its README.md).
const corpusDir = "../testdata/oid4vp/corpus"

// minCorpusCases is the corpus size below which the tests fail: a glob
// that silently matches nothing must not pass.
const minCorpusCases = 40

// corpusCase is one file of the corpus.
type corpusCase struct {
	Description string            `json:"description"`
	Spec        string            `json:"spec"`
	Query       json.RawMessage   `json:"query"`
	Credentials []json.RawMessage `json:"credentials"`
	Expect      struct {
		Satisfiable bool                     `json:"satisfiable"`
		Matches     map[string][]corpusMatch `json:"matches"`
		Answer      map[string][]int         `json:"answer"`
		Sets        []int                    `json:"sets"`
		Unsatisfied []string                 `json:"unsatisfied"`
		Set         *int                     `json:"set"`
	} `json:"expect"`
	Presentation *struct {
		VPToken map[string][]json.RawMessage `json:"vp_token"`
		OK      bool                         `json:"ok"`
		Reason  PresentationReason           `json:"reason"`
		Query   string                       `json:"query"`
		Set     *int                         `json:"set"`
	} `json:"presentation"`
	KnownDifference *struct {
		Section string `json:"section"`
		Note    string `json:"note"`
		DCQL    struct {
			Satisfiable    *bool                    `json:"satisfiable"`
			Matches        map[string][]corpusMatch `json:"matches"`
			PresentationOK *bool                    `json:"presentation_ok"`
		} `json:"dcql"`
	} `json:"known_difference"`

	name       string
	raw        []byte
	query      *Query
	candidates []Candidate
}

// corpusMatch is one candidate matching a Credential Query.
type corpusMatch struct {
	Credential int     `json:"credential"`
	ClaimSet   *int    `json:"claim_set"`
	Disclose   [][]any `json:"disclose"`
	Claims     [][]any `json:"claims"` // when absent, the same as Disclose
}

// loadCorpus reads and parses every case of the corpus, in name order.
func loadCorpus(t testing.TB) []*corpusCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) < minCorpusCases {
		t.Fatalf("%d corpus cases in %s, want at least %d", len(files), corpusDir, minCorpusCases)
	}
	var out []*corpusCase
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c := &corpusCase{name: filepath.Base(f), raw: b}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		dec.DisallowUnknownFields()
		if err := dec.Decode(c); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if c.Description == "" || c.Spec == "" {
			t.Fatalf("%s: a case names what it tests and the spec section", c.name)
		}
		if c.KnownDifference != nil && (c.KnownDifference.Section == "" || c.KnownDifference.Note == "") {
			t.Fatalf("%s: a known difference names its spec section and says what dcql does", c.name)
		}
		if c.query, err = ParseQuery(c.Query); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for i, raw := range c.Credentials {
			cand, err := candidateFromJSON(raw)
			if err != nil {
				t.Fatalf("%s: credentials[%d]: %v", c.name, i, err)
			}
			c.candidates = append(c.candidates, cand)
		}
		out = append(out, c)
	}
	return out
}

// candidateFromJSON reads a credential in the input shape of the dcql
// package (DcqlCredential), plus always_disclosed, an ikdkit extension
// that dcql ignores.
func candidateFromJSON(raw []byte) (Candidate, error) {
	v, err := strictjson.Unmarshal(raw, 64)
	if err != nil {
		return Candidate{}, err
	}
	return candidateFromValue(v)
}

// candidateFromValue reads a decoded credential of the corpus.
func candidateFromValue(v any) (Candidate, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Candidate{}, errors.New("not an object")
	}
	var c Candidate
	for k, x := range m {
		var ok bool
		switch k {
		case "credential_format":
			var s string
			s, ok = x.(string)
			c.Format = credential.Format(s)
		case "vct":
			c.VCT, ok = x.(string)
		case "doctype":
			c.Doctype, ok = x.(string)
		case "type":
			c.Types, ok = stringSlice(x)
		case "claims":
			c.Claims, ok = x.(map[string]any)
		case "namespaces":
			var ns map[string]any
			if ns, ok = x.(map[string]any); ok {
				c.NameSpaces = map[string]map[string]any{}
				for n, e := range ns {
					if c.NameSpaces[n], ok = e.(map[string]any); !ok {
						break
					}
				}
			}
		case "always_disclosed":
			var ps []any
			if ps, ok = x.([]any); ok {
				for _, p := range ps {
					var cp ClaimsPath
					if cp, ok = pathFromJSON(p); !ok {
						break
					}
					c.AlwaysDisclosed = append(c.AlwaysDisclosed, cp)
				}
			}
		case "authority":
			var a map[string]any
			if a, ok = x.(map[string]any); ok {
				typ, _ := a["type"].(string)
				var vals []string
				vals, ok = stringSlice(a["values"])
				for _, val := range vals {
					c.Authorities = append(c.Authorities, Authority{Type: typ, Value: val})
				}
			}
		case "cryptographic_holder_binding":
			c.HolderBinding, ok = x.(bool)
		}
		if !ok {
			return Candidate{}, fmt.Errorf("member %q has the wrong type", k)
		}
	}
	return c, nil
}

func presentedFromJSON(raw []byte) (Presented, error) {
	c, err := candidateFromJSON(raw)
	return Presented{Format: c.Format, VCT: c.VCT, Doctype: c.Doctype, Types: c.Types,
		Claims: c.Claims, NameSpaces: c.NameSpaces, HolderBinding: c.HolderBinding}, err
}

func stringSlice(v any) ([]string, bool) {
	a, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(a))
	for i, e := range a {
		if out[i], ok = e.(string); !ok {
			return nil, false
		}
	}
	return out, true
}

// pathFromJSON converts a decoded concrete path (strings and json.Number
// indices).
func pathFromJSON(v any) (ClaimsPath, bool) {
	a, ok := v.([]any)
	if !ok {
		return nil, false
	}
	p := make(ClaimsPath, len(a))
	for i, e := range a {
		switch x := e.(type) {
		case string:
			p[i] = x
		case int:
			p[i] = x
		case json.Number:
			n, err := x.Int64()
			if err != nil || n < 0 {
				return nil, false
			}
			p[i] = int(n)
		default:
			return nil, false
		}
	}
	return p, true
}

func pathsFromJSON(t *testing.T, ps [][]any) []ClaimsPath {
	t.Helper()
	var out []ClaimsPath
	for _, p := range ps {
		cp, ok := pathFromJSON([]any(p))
		if !ok {
			t.Fatalf("bad path %v", p)
		}
		out = append(out, cp)
	}
	return out
}

// evaluateCandidates runs the per-query evaluation of Match, which the
// corpus compares also when the query cannot be satisfied.
func evaluateCandidates(t *testing.T, q *Query, cands []Candidate) []queryResult {
	t.Helper()
	views, err := candidateViews(cands)
	if err != nil {
		t.Fatal(err)
	}
	return q.evaluate(views)
}

// Every corpus case gives the result its file expects: the matching
// candidates per Credential Query with the claim set and the claims to
// disclose, the answer of Match or its NoMatchError, and the verdict of
// CheckPresented on the case's presentation.
func TestMatchCorpus(t *testing.T) {
	for _, c := range loadCorpus(t) {
		t.Run(c.name, func(t *testing.T) {
			res := evaluateCandidates(t, c.query, c.candidates)
			if len(res) != len(c.Expect.Matches) {
				t.Fatalf("%d Credential Queries, the case lists %d", len(res), len(c.Expect.Matches))
			}
			for _, r := range res {
				want, ok := c.Expect.Matches[r.ID]
				if !ok {
					t.Fatalf("the case lists no matches for %q", r.ID)
				}
				var got []corpusMatch
				for _, m := range r.Matching {
					got = append(got, corpusMatchOf(m))
				}
				if !matchesEqual(t, got, want, true) {
					t.Errorf("%q: matching %s, want %s", r.ID, jsonOf(got), jsonOf(want))
				}
			}

			m, err := c.query.Match(c.candidates)
			if c.Expect.Satisfiable {
				if err != nil {
					t.Fatalf("Match: %v", err)
				}
				got := map[string][]int{}
				for _, cm := range m.Credentials {
					for _, ch := range cm.Chosen {
						got[cm.ID] = append(got[cm.ID], ch.Index)
					}
					if !reflect.DeepEqual(cm.Matching, res[slices.IndexFunc(res, func(r queryResult) bool { return r.ID == cm.ID })].Matching) {
						t.Errorf("%q: Match and evaluate disagree", cm.ID)
					}
				}
				if len(got) != len(c.Expect.Answer) || (len(got) > 0 && !reflect.DeepEqual(got, c.Expect.Answer)) {
					t.Errorf("answer %v, want %v", got, c.Expect.Answer)
				}
				if !slices.Equal(m.Sets, c.Expect.Sets) {
					t.Errorf("sets %v, want %v", m.Sets, c.Expect.Sets)
				}
			} else {
				var ne *NoMatchError
				if m != nil || !errors.As(err, &ne) || !errors.Is(err, ErrNoMatch) {
					t.Fatalf("Match: %+v, %v; want a *NoMatchError", m, err)
				}
				if !slices.Equal(ne.Queries, c.Expect.Unsatisfied) || c.Expect.Set == nil || ne.Set != *c.Expect.Set {
					t.Errorf("NoMatchError{Set: %d, Queries: %q}, want set %v, queries %q (%v)", ne.Set, ne.Queries, deref(c.Expect.Set), c.Expect.Unsatisfied, err)
				}
			}

			if p := c.Presentation; p != nil {
				vp := map[string][]Presented{}
				for id, list := range p.VPToken {
					for i, raw := range list {
						pr, err := presentedFromJSON(raw)
						if err != nil {
							t.Fatalf("vp_token %q[%d]: %v", id, i, err)
						}
						vp[id] = append(vp[id], pr)
					}
				}
				err := c.query.CheckPresented(vp)
				if p.OK {
					if err != nil {
						t.Fatalf("CheckPresented: %v", err)
					}
					return
				}
				var pe *PresentationError
				if !errors.As(err, &pe) || !errors.Is(err, ErrPresentationMismatch) {
					t.Fatalf("CheckPresented: %v; want a *PresentationError", err)
				}
				set := -1
				if p.Set != nil {
					set = *p.Set
				}
				if pe.Reason != p.Reason || pe.Query != p.Query || pe.Set != set || pe.Reason.Section() == "" {
					t.Errorf("CheckPresented: %v; want reason %q, query %q, set %d", err, p.Reason, p.Query, set)
				}
			}
		})
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func corpusMatchOf(m CandidateMatch) corpusMatch {
	out := corpusMatch{Credential: m.Index}
	if m.ClaimSet >= 0 {
		cs := m.ClaimSet
		out.ClaimSet = &cs
	}
	for _, p := range m.Disclose {
		out.Disclose = append(out.Disclose, []any(p))
	}
	for _, p := range m.Claims {
		out.Claims = append(out.Claims, []any(p))
	}
	return out
}

// matchesEqual compares candidates and claim sets, and with paths also
// the claims and disclosures.
func matchesEqual(t *testing.T, got, want []corpusMatch, paths bool) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Credential != w.Credential || (g.ClaimSet == nil) != (w.ClaimSet == nil) ||
			(g.ClaimSet != nil && *g.ClaimSet != *w.ClaimSet) {
			return false
		}
		if !paths {
			continue
		}
		wantClaims := w.Claims
		if wantClaims == nil {
			wantClaims = w.Disclose
		}
		if !pathsEqual(pathsFromJSON(t, g.Disclose), pathsFromJSON(t, w.Disclose)) ||
			!pathsEqual(pathsFromJSON(t, g.Claims), pathsFromJSON(t, wantClaims)) {
			return false
		}
	}
	return true
}

func pathsEqual(a, b []ClaimsPath) bool {
	return slices.EqualFunc(a, b, func(x, y ClaimsPath) bool { return pathEqual(x, y) })
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
