package credential

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/credential/internal/regiondata"
)

// TestLookupRegionEveryRow reads the embedded table the plain way, line
// by line into strings, and finds every row through LookupRegion, dotted
// and undotted, with its name, level and current flag; codes next to the
// table's are not found.
func TestLookupRegionEveryRow(t *testing.T) {
	zr, err := gzip.NewReader(bytes.NewReader(regiondata.Raw()))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	sc := bufio.NewScanner(bytes.NewReader(raw))
	known := map[string]bool{}
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		mask, err := strconv.ParseUint(f[1], 16, 8)
		if len(f) != 3 || err != nil {
			t.Fatalf("line %q", line)
		}
		want := Region{Code: f[0], Name: f[2], Level: RegionLevel((len(f[0]) + 1) / 3), Current: mask&(1<<5) != 0}
		for _, code := range []string{f[0], strings.ReplaceAll(f[0], ".", "")} {
			got, ok := LookupRegion(code)
			if !ok || got != want {
				t.Fatalf("LookupRegion(%q) = %+v, %v; want %+v", code, got, ok, want)
			}
		}
		known[f[0]] = true
		rows++
	}
	if rows < 8000 {
		t.Fatalf("only %d rows", rows)
	}
	// Neighbours of real codes that the table does not have.
	for code := range known {
		last := code[len(code)-2:]
		n, _ := strconv.Atoi(last)
		for _, m := range []int{n + 1, n - 1, 0, 99} {
			if m < 0 || m > 99 {
				continue
			}
			other := code[:len(code)-2] + strconv.Itoa(m/10) + strconv.Itoa(m%10)
			if _, ok := LookupRegion(other); ok != known[other] {
				t.Fatalf("LookupRegion(%q) found = %v, in the table = %v", other, ok, known[other])
			}
		}
	}
	for _, bad := range []string{"", "3", "31.7", "31.74.0", "31-74", "3a", "31.74.01.1003", "317401100", "31..74", "ab.cd"} {
		if r, ok := LookupRegion(bad); ok {
			t.Errorf("LookupRegion(%q) = %+v", bad, r)
		}
	}
}

// TestParseRegionTableRejects: a table with a malformed row fails to parse
// instead of being read in part.
func TestParseRegionTableRejects(t *testing.T) {
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.Bytes()
	}
	if tb, err := parseRegionTable(gz("# c\n31\t3f\tDKI Jakarta\n31.74\t3f\tKota Jakarta Selatan")); err != nil || len(tb.rows) != 2 {
		t.Fatalf("good table: %v", err)
	}
	for _, bad := range []string{
		"31\t3f\n", "31 3f DKI\n", "31\tzz\tDKI\n", "3\t3f\tDKI\n", "31.7\t3f\tDKI\n", "31\t3f\t\n", "31\t1ff\tDKI\n",
	} {
		if _, err := parseRegionTable(gz(bad)); err == nil {
			t.Errorf("%.40q accepted", bad)
		}
	}
	if _, err := parseRegionTable([]byte("not gzip")); err == nil {
		t.Error("not gzip: accepted")
	}
}
