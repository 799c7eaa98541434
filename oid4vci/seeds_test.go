package oid4vci

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// specDir holds the examples copied from OpenID4VCI 1.0 (see its README).
const specDir = "../testdata/oid4vci/spec"

// ikdkitDir holds ikdkit's own examples of the same messages.
const ikdkitDir = "../testdata/oid4vci/ikdkit"

// readSeed reads one file of testdata/oid4vci.
func readSeed(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seeds returns the files of testdata/oid4vci/{spec,ikdkit} whose names
// start with one of prefixes, failing when there are none: a fuzz target
// must never run on an empty seed corpus.
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
					out[base] = readSeed(t, f)
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
