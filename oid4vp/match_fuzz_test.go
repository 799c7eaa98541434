package oid4vp

import (
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// maxFuzzCandidates bounds the candidates of one fuzz input.
const maxFuzzCandidates = 16

// matchTimeout bounds one Match call of the fuzz target: far above what
// the caps allow on inputs of fuzzing size.
const matchTimeout = 2 * time.Second

// FuzzMatch matches parsed queries against random candidates (a JSON
// array of credentials in the corpus shape, with random claim trees) and
// asserts, for every input: no panic, bounded time; on error, no result
// and an error wrapping ErrNoMatch (a *NoMatchError) or
// ErrInvalidCandidate; on success, a consistent answer (chosen candidates
// among the matching ones, one unless multiple, disclosures among the
// selected claims, concrete paths) that CheckPresented accepts when each
// chosen candidate presents only the claims Match selected: the Wallet's
// answer satisfies the Verifier's check.
//
// Seeds: every corpus case (its query and credentials) and every query
// of testdata/oid4vp/spec with no credentials.
func FuzzMatch(f *testing.F) {
	cases := loadCorpus(f)
	for _, c := range cases {
		creds, err := json.Marshal(c.Credentials)
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(c.Query), creds)
	}
	for _, s := range seedList(f, "dcql-") {
		f.Add(s, []byte(`[]`))
	}
	f.Fuzz(func(t *testing.T, query, creds []byte) {
		q, err := ParseQuery(query)
		if err != nil {
			return
		}
		v, err := strictjson.Unmarshal(creds, MaxClaimDepth+4)
		if err != nil {
			return
		}
		list, ok := v.([]any)
		if !ok {
			return
		}
		var cands []Candidate
		for _, e := range list {
			if len(cands) == maxFuzzCandidates {
				break
			}
			if c, err := candidateFromValue(e); err == nil {
				cands = append(cands, c)
			}
		}
		start := time.Now()
		m, err := q.Match(cands)
		if d := time.Since(start); d > matchTimeout {
			t.Fatalf("Match took %v", d)
		}
		if err != nil {
			var ne *NoMatchError
			if m != nil || !(errors.As(err, &ne) && errors.Is(err, ErrNoMatch) || errors.Is(err, ErrInvalidCandidate)) {
				t.Fatalf("result %+v with error %v", m, err)
			}
			return
		}
		checkMatch(t, q, cands, m)
	})
}

// checkMatch asserts the consistency of a Match result and that its
// answer passes CheckPresented.
func checkMatch(t *testing.T, q *Query, cands []Candidate, m *Match) {
	t.Helper()
	if (len(q.CredentialSets) == 0) != (m.Sets == nil) || len(m.Sets) != len(q.CredentialSets) {
		t.Fatalf("sets %v for %d credential sets", m.Sets, len(q.CredentialSets))
	}
	for i, o := range m.Sets {
		if o < -1 || o >= len(q.CredentialSets[i].Options) || o == -1 && !q.CredentialSets[i].Optional {
			t.Fatalf("set %d: option %d", i, o)
		}
	}
	vp := map[string][]Presented{}
	for _, cm := range m.Credentials {
		i := slices.IndexFunc(q.Credentials, func(c CredentialQuery) bool { return c.ID == cm.ID })
		if i < 0 {
			t.Fatalf("answer for unknown query %q", cm.ID)
		}
		cq := &q.Credentials[i]
		if len(cm.Chosen) == 0 || !cq.Multiple && len(cm.Chosen) != 1 {
			t.Fatalf("%q: %d chosen (multiple %v)", cm.ID, len(cm.Chosen), cq.Multiple)
		}
		for _, ch := range cm.Chosen {
			if !slices.ContainsFunc(cm.Matching, func(x CandidateMatch) bool { return x.Index == ch.Index }) {
				t.Fatalf("%q: chosen %d is not matching", cm.ID, ch.Index)
			}
			if ch.Index < 0 || ch.Index >= len(cands) || ch.ClaimSet < -1 || ch.ClaimSet >= len(cq.ClaimSets) ||
				(ch.ClaimSet == -1) != (len(cq.ClaimSets) == 0) {
				t.Fatalf("%q: candidate %d, claim set %d", cm.ID, ch.Index, ch.ClaimSet)
			}
			if len(cq.Claims) > 0 && len(ch.Claims) == 0 {
				t.Fatalf("%q: no claims selected", cm.ID)
			}
			for _, p := range ch.Claims {
				if slices.Contains(p, nil) {
					t.Fatalf("%q: path %s is not concrete", cm.ID, p)
				}
			}
			for _, p := range ch.Disclose {
				if !slices.ContainsFunc(ch.Claims, func(x ClaimsPath) bool { return pathEqual(x, p) }) {
					t.Fatalf("%q: disclosing %s, not selected", cm.ID, p)
				}
			}
			c := &cands[ch.Index]
			vp[cm.ID] = append(vp[cm.ID], project(c, append(slices.Clone(ch.Claims), c.AlwaysDisclosed...)))
		}
	}
	if err := q.CheckPresented(vp); err != nil {
		t.Fatalf("CheckPresented refuses Match's answer: %v", err)
	}
}

// project returns the presentation of c that discloses the claims at the
// given concrete paths (each with everything inside it) and nothing else:
// arrays keep only the elements disclosed, in order, as an SD-JWT
// presentation does (RFC 9901 §7.1).
func project(c *Candidate, paths []ClaimsPath) Presented {
	p := Presented{Format: c.Format, VCT: c.VCT, Doctype: c.Doctype, Types: c.Types, HolderBinding: c.HolderBinding}
	if c.Format == credential.FormatMdoc {
		for _, path := range paths {
			ns, _ := path[0].(string)
			el, _ := path[1].(string)
			v, ok := c.NameSpaces[ns][el]
			if !ok {
				continue
			}
			if p.NameSpaces == nil {
				p.NameSpaces = map[string]map[string]any{}
			}
			if p.NameSpaces[ns] == nil {
				p.NameSpaces[ns] = map[string]any{}
			}
			p.NameSpaces[ns][el] = v
		}
		return p
	}
	root := &sparse{}
	for _, path := range paths {
		root.add(c.Claims, path)
	}
	p.Claims, _ = root.build(c.Claims).(map[string]any)
	return p
}

// sparse is a part of a claims tree being projected.
type sparse struct {
	whole bool // the value with everything inside it
	obj   map[string]*sparse
	arr   map[int]*sparse
}

// add marks the value at path (below v) as disclosed.
func (s *sparse) add(v any, path ClaimsPath) {
	if s.whole {
		return
	}
	if len(path) == 0 {
		s.whole = true
		return
	}
	switch k := path[0].(type) {
	case string:
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		if _, ok := m[k]; !ok {
			return
		}
		if s.obj == nil {
			s.obj = map[string]*sparse{}
		}
		if s.obj[k] == nil {
			s.obj[k] = &sparse{}
		}
		s.obj[k].add(m[k], path[1:])
	case int:
		a, ok := v.([]any)
		if !ok || k >= len(a) {
			return
		}
		if s.arr == nil {
			s.arr = map[int]*sparse{}
		}
		if s.arr[k] == nil {
			s.arr[k] = &sparse{}
		}
		s.arr[k].add(a[k], path[1:])
	}
}

// build returns the disclosed part of v.
func (s *sparse) build(v any) any {
	if s.whole {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, sub := range s.obj {
			out[k] = sub.build(x[k])
		}
		return out
	case []any:
		idx := make([]int, 0, len(s.arr))
		for i := range s.arr {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		out := make([]any, 0, len(idx))
		for _, i := range idx {
			out = append(out, s.arr[i].build(x[i]))
		}
		return out
	}
	return v
}

// Match's answer to every corpus case passes CheckPresented.
func TestMatchAnswersPassCheckPresented(t *testing.T) {
	for _, c := range loadCorpus(t) {
		if !c.Expect.Satisfiable {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			m, err := c.query.Match(c.candidates)
			if err != nil {
				t.Fatal(err)
			}
			checkMatch(t, c.query, c.candidates, m)
		})
	}
}
