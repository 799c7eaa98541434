package oid4vp

// Interoperability of DCQL matching with the dcql npm package
// (openwallet-foundation-labs/dcql-ts, pinned by the package-lock.json of
// testdata/interop/dcql-js): run.mjs runs DcqlQuery.query and
// DcqlPresentationResult.fromDcqlPresentation over every case of the
// corpus in testdata/oid4vp/corpus, and each result must agree with
// Query.Match and Query.CheckPresented:
//
//   - the same verdict (can_be_satisfied);
//   - for every Credential Query, the same matching credentials, in order,
//     each with the same first satisfiable claim set;
//   - for a case with a presentation, the same verdict on it.
//
// Where dcql and OpenID4VP 1.0 disagree, ikdkit follows the specification
// and the case records the difference (known_difference: the section and
// what dcql reports); the test then requires dcql to report exactly that,
// so a fix upstream shows up as a failure here. README.md of the corpus
// lists the differences.
//
// The test needs Node.js 20+ and npm: it runs `npm ci` when the pinned
// package is not installed, and fails (never skips) when that is
// impossible.

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/internal/nodeharness"
)

const dcqlJSDir = "../testdata/interop/dcql-js"

// dcqlNode installs the pinned dcql package once per test binary.
var dcqlNode = sync.OnceValue(func() error {
	return nodeharness.Require(dcqlJSDir, "dcql")
})

// dcqlResult is run.mjs's report on one corpus case.
type dcqlResult struct {
	File         string                   `json:"file"`
	Error        string                   `json:"error"`
	Satisfiable  bool                     `json:"satisfiable"`
	Matches      map[string][]corpusMatch `json:"matches"`
	Presentation *struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	} `json:"presentation"`
}

func runDCQL(t *testing.T) map[string]*dcqlResult {
	t.Helper()
	if err := dcqlNode(); err != nil {
		t.Fatalf("dcql interop test cannot run: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "run.mjs", "../../oid4vp/corpus")
	cmd.Dir = dcqlJSDir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node run.mjs: %v (context: %v)\nstderr:\n%s", err, ctx.Err(), stderr.String())
	}
	var list []*dcqlResult
	dec := json.NewDecoder(&stdout)
	dec.UseNumber()
	if err := dec.Decode(&list); err != nil {
		t.Fatalf("run.mjs printed invalid JSON: %v\nstderr:\n%s", err, stderr.String())
	}
	out := make(map[string]*dcqlResult, len(list))
	for _, r := range list {
		out[r.File] = r
	}
	return out
}

func TestDCQLInterop(t *testing.T) {
	cases := loadCorpus(t)
	results := runDCQL(t)
	if len(results) != len(cases) {
		t.Fatalf("run.mjs reported %d cases, the corpus has %d", len(results), len(cases))
	}
	differences := 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := results[c.name]
			if r == nil {
				t.Fatal("no dcql result")
			}
			if r.Error != "" {
				t.Fatalf("dcql refused the case: %s", r.Error)
			}
			// What ikdkit does: the case's expectations, which
			// TestMatchCorpus checks against Match and CheckPresented.
			satisfiable, matches := c.Expect.Satisfiable, c.Expect.Matches
			var presentationOK *bool
			if c.Presentation != nil {
				presentationOK = &c.Presentation.OK
			}
			if d := c.KnownDifference; d != nil {
				differences++
				// What dcql does instead; it must differ from ikdkit.
				same := true
				if d.DCQL.Satisfiable != nil {
					same = same && *d.DCQL.Satisfiable == satisfiable
					satisfiable = *d.DCQL.Satisfiable
				}
				if d.DCQL.Matches != nil {
					same = same && sameMatches(t, d.DCQL.Matches, matches)
					matches = d.DCQL.Matches
				}
				if d.DCQL.PresentationOK != nil {
					same = same && presentationOK != nil && *d.DCQL.PresentationOK == *presentationOK
					presentationOK = d.DCQL.PresentationOK
				}
				if same {
					t.Fatalf("the known difference (%s) records the same result as ikdkit's", d.Section)
				}
				t.Logf("known difference (%s): %s", d.Section, d.Note)
			}
			if r.Satisfiable != satisfiable {
				t.Errorf("dcql can_be_satisfied %v, want %v", r.Satisfiable, satisfiable)
			}
			if !sameMatches(t, r.Matches, matches) {
				t.Errorf("dcql matches %s, want %s", jsonOf(r.Matches), jsonOf(matches))
			}
			if presentationOK != nil {
				if r.Presentation == nil {
					t.Fatal("dcql reported no presentation result")
				}
				if r.Presentation.OK != *presentationOK {
					t.Errorf("dcql presentation verdict %v (%s), want %v", r.Presentation.OK, r.Presentation.Error, *presentationOK)
				}
			}
		})
	}
	t.Logf("%d cases, %d known differences", len(cases), differences)
}

// sameMatches compares the credentials and claim sets per query.
func sameMatches(t *testing.T, a, b map[string][]corpusMatch) bool {
	if len(a) != len(b) {
		return false
	}
	for id, am := range a {
		bm, ok := b[id]
		if !ok || !matchesEqual(t, am, bm, false) {
			return false
		}
	}
	return true
}
