package oid4vp

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// specDir holds the examples copied from OpenID4VP 1.0 (see its README).
const specDir = "../testdata/oid4vp/spec"

// ikdkitDir holds ikdkit's own examples of the same messages.
const ikdkitDir = "../testdata/oid4vp/ikdkit"

// seeds returns the files of testdata/oid4vp/{spec,ikdkit} whose names
// start with one of prefixes, in name order, failing when there are none:
// a fuzz target must never run on an empty seed corpus.
func seeds(t testing.TB, prefixes ...string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, dir := range []string{specDir, ikdkitDir} {
		files, err := filepath.Glob(filepath.Join(dir, "*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			base := filepath.Base(f)
			for _, p := range prefixes {
				if strings.HasPrefix(base, p) {
					b, err := os.ReadFile(f)
					if err != nil {
						t.Fatal(err)
					}
					out[base] = b
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no seed files with prefixes %q", prefixes)
	}
	return out
}

// seedList returns seeds in name order.
func seedList(t testing.TB, prefixes ...string) [][]byte {
	m := seeds(t, prefixes...)
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([][]byte, len(names))
	for i, n := range names {
		out[i] = m[n]
	}
	return out
}
