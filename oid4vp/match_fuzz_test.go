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

// FuzzMatchTrees matches the seed queries (the corpus and
// testdata/oid4vp/spec) against candidate trees generated from random
// bytes: of the formats and types the query asks for, with the claims
// along the query's paths planted often enough to match, values drawn
// from the query's values, null wildcards and indices meeting arrays,
// objects and scalars of every kind. It asserts what FuzzMatch asserts.
func FuzzMatchTrees(f *testing.F) {
	queries := map[string]*Query{}
	var names []string
	for _, c := range loadCorpus(f) {
		queries[c.name] = c.query
		names = append(names, c.name)
	}
	for name, s := range seeds(f, "dcql-") {
		q, err := ParseQuery(s)
		if err != nil {
			f.Fatal(err)
		}
		queries[name] = q
		names = append(names, name)
	}
	sort.Strings(names)
	for i := range names {
		f.Add(uint16(i), []byte{byte(i), 0xff, 0x10, 0x7f, byte(i * 7), 0x33, 0xc4})
	}
	f.Fuzz(func(t *testing.T, which uint16, src []byte) {
		q := queries[names[int(which)%len(names)]]
		cands := genCandidates(q, &byteSource{b: src})
		start := time.Now()
		m, err := q.Match(cands)
		if d := time.Since(start); d > matchTimeout {
			t.Fatalf("Match took %v", d)
		}
		if err != nil {
			var ne *NoMatchError
			if m != nil || !errors.As(err, &ne) {
				t.Fatalf("result %+v with error %v", m, err)
			}
			return
		}
		checkMatch(t, q, cands, m)
	})
}

// byteSource hands out the fuzzer's bytes, then zeros.
type byteSource struct {
	b []byte
	i int
}

func (s *byteSource) next() int {
	if s.i >= len(s.b) {
		return 0
	}
	s.i++
	return int(s.b[s.i-1])
}

func (s *byteSource) intn(n int) int { return s.next() % n }

// genCandidates generates up to 6 candidates for the query.
func genCandidates(q *Query, s *byteSource) []Candidate {
	var keys []string
	var values []any
	for _, cq := range q.Credentials {
		for _, cl := range cq.Claims {
			for _, e := range cl.Path {
				if k, ok := e.(string); ok {
					keys = append(keys, k)
				}
			}
			values = append(values, cl.Values...)
		}
	}
	keys = append(keys, "x", "0")
	values = append(values, "x", int64(0), int64(1), true, false, nil, json.Number("1.0"), 2.5)
	g := &treeGen{s: s, keys: keys, values: values}
	var out []Candidate
	for n := s.intn(7); n > 0; n-- {
		cq := &q.Credentials[s.intn(len(q.Credentials))]
		c := Candidate{Format: cq.Format, HolderBinding: s.intn(4) != 0}
		if s.intn(8) == 0 {
			c.Format = credential.FormatSDJWT
		}
		switch {
		case len(cq.Meta.VCTValues) > 0 && s.intn(6) != 0:
			c.VCT = cq.Meta.VCTValues[s.intn(len(cq.Meta.VCTValues))]
		case cq.Meta.DoctypeValue != "" && s.intn(6) != 0:
			c.Doctype = cq.Meta.DoctypeValue
		case len(cq.Meta.TypeValues) > 0 && s.intn(6) != 0:
			c.Types = append([]string{"VerifiableCredential"}, cq.Meta.TypeValues[s.intn(len(cq.Meta.TypeValues))]...)
		default:
			c.VCT, c.Doctype = "urn:other", "urn:other"
		}
		for _, ta := range cq.TrustedAuthorities {
			if s.intn(3) != 0 {
				c.Authorities = append(c.Authorities, Authority{Type: ta.Type, Value: ta.Values[s.intn(len(ta.Values))]})
			}
		}
		if c.Format == credential.FormatMdoc {
			c.NameSpaces = map[string]map[string]any{}
			for _, cl := range cq.Claims {
				if s.intn(5) == 0 {
					continue
				}
				ns, _ := cl.Path[0].(string)
				el, _ := cl.Path[1].(string)
				if c.NameSpaces[ns] == nil {
					c.NameSpaces[ns] = map[string]any{}
				}
				c.NameSpaces[ns][el] = g.leaf(cl.Values)
			}
		} else {
			root, _ := g.value(2).(map[string]any)
			if root == nil {
				root = map[string]any{}
			}
			for _, cl := range cq.Claims {
				if s.intn(5) != 0 {
					// A path starting with an index or null plants an
					// array, which cannot be the root (§7.1 step 1).
					if r, ok := g.plant(root, cl.Path, cl.Values).(map[string]any); ok {
						root = r
					}
				}
			}
			c.Claims = root
			if len(cq.Claims) > 0 && s.intn(3) == 0 {
				// A concrete prefix of a claim path is always disclosed.
				var p ClaimsPath
				for _, e := range cq.Claims[s.intn(len(cq.Claims))].Path {
					if e == nil || s.intn(3) == 0 {
						break
					}
					p = append(p, e)
				}
				if len(p) > 0 {
					c.AlwaysDisclosed = append(c.AlwaysDisclosed, p)
				}
			}
		}
		out = append(out, c)
	}
	return out
}

// treeGen generates claim trees.
type treeGen struct {
	s      *byteSource
	keys   []string
	values []any
	nodes  int
}

// maxGenNodes keeps generated trees within MaxCandidateNodes.
const maxGenNodes = 200

func (g *treeGen) leaf(want []any) any {
	if len(want) > 0 && g.s.intn(2) == 0 {
		return want[g.s.intn(len(want))]
	}
	return g.values[g.s.intn(len(g.values))]
}

// value generates an object (kind 0 at the root), array or scalar.
func (g *treeGen) value(depth int) any {
	g.nodes++
	if depth <= 0 || g.nodes > maxGenNodes {
		return g.leaf(nil)
	}
	switch g.s.intn(3) {
	case 0:
		m := map[string]any{}
		for n := g.s.intn(4); n > 0; n-- {
			m[g.keys[g.s.intn(len(g.keys))]] = g.value(depth - 1)
		}
		return m
	case 1:
		a := []any{}
		for n := g.s.intn(4); n > 0; n-- {
			a = append(a, g.value(depth-1))
		}
		return a
	}
	return g.leaf(nil)
}

// plant makes path exist below v (mostly), returning the new v.
func (g *treeGen) plant(v any, path ClaimsPath, want []any) any {
	g.nodes++
	if len(path) == 0 {
		if g.s.intn(4) == 0 {
			return v
		}
		return g.leaf(want)
	}
	if g.nodes > maxGenNodes {
		return v
	}
	switch e := path[0].(type) {
	case string:
		m, ok := v.(map[string]any)
		if !ok || g.s.intn(8) == 0 {
			m = map[string]any{}
		}
		m[e] = g.plant(m[e], path[1:], want)
		return m
	case int:
		a, _ := v.([]any)
		for len(a) <= e && len(a) < 8 {
			a = append(a, g.value(1))
		}
		if e < len(a) {
			a[e] = g.plant(a[e], path[1:], want)
		}
		return a
	default: // null: some elements along the path, others random
		a, _ := v.([]any)
		for n := g.s.intn(4); n > 0; n-- {
			a = append(a, nil)
		}
		for i := range a {
			if g.s.intn(4) == 0 {
				a[i] = g.value(1)
			} else {
				a[i] = g.plant(a[i], path[1:], want)
			}
		}
		return a
	}
}
