// Command benchreport turns `go test -bench` output into the Markdown tables
// of BENCHMARKS.md: one table per benchmark function, a row per
// sub-benchmark (and -cpu value), a column per metric, each cell the median
// over the -count runs. For the interleaved SD-JWT VC benchmark of
// internal/peerbench it adds what a disclosed claim costs: the slope of
// ikdkit's CPU time above the floor, and of its allocations, over the claim
// counts measured.
//
//	go test -run '^$' -bench . -count 3 ./... | go run ./internal/benchreport
//
// internal/benchreport/issue23.sh runs the benchmarks of issue 23 in one
// go and pipes them here.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

func main() {
	r, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
	write(os.Stdout, r)
}

// result is every measurement of one benchmark (name with its -cpu suffix).
type result struct {
	pkg     string
	name    string
	metrics []string             // in the order first seen
	values  map[string][]float64 // metric -> one value per run
}

// report is the results in the order first seen.
type report struct {
	results []*result
	byKey   map[string]*result
}

// maxLine bounds a line of benchmark output.
const maxLine = 1 << 20

var cpuSuffix = regexp.MustCompile(`-\d+$`)

// parse reads `go test -bench` output: "pkg: ..." lines name the package of
// the benchmark lines after them; a benchmark line is its name, the
// iteration count, then value-unit pairs.
func parse(in io.Reader) (*report, error) {
	r := &report{byKey: map[string]*result{}}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64*1024), maxLine)
	pkg := ""
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		key := pkg + " " + f[0]
		res := r.byKey[key]
		if res == nil {
			res = &result{pkg: pkg, name: f[0], values: map[string][]float64{}}
			r.byKey[key] = res
			r.results = append(r.results, res)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: value %q: %v", f[0], f[i], err)
			}
			unit := f[i+1]
			if _, seen := res.values[unit]; !seen {
				res.metrics = append(res.metrics, unit)
			}
			res.values[unit] = append(res.values[unit], v)
		}
	}
	return r, sc.Err()
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// family is the benchmark function a result belongs to, and the rest of
// its name (sub-benchmarks and -cpu suffix).
func family(name string) (fn, sub string) {
	fn, sub, _ = strings.Cut(name, "/")
	if sub == "" {
		return cpuSuffix.ReplaceAllString(fn, ""), strings.TrimPrefix(cpuSuffix.FindString(fn), "-")
	}
	return fn, sub
}

func format(v float64, unit string) string {
	switch {
	case strings.HasSuffix(unit, "ns/op") || unit == "ns/credential" || strings.HasSuffix(unit, "ns/credential"):
		return fmt.Sprintf("%.1f µs", v/1000)
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func write(w io.Writer, r *report) {
	type group struct {
		pkg, fn string
		rows    []*result
	}
	var groups []*group
	idx := map[string]*group{}
	for _, res := range r.results {
		fn, _ := family(res.name)
		k := res.pkg + " " + fn
		g := idx[k]
		if g == nil {
			g = &group{pkg: res.pkg, fn: fn}
			idx[k] = g
			groups = append(groups, g)
		}
		g.rows = append(g.rows, res)
	}
	for _, g := range groups {
		var cols []string
		for _, res := range g.rows {
			for _, m := range res.metrics {
				if !slices.Contains(cols, m) {
					cols = append(cols, m)
				}
			}
		}
		runs := 0
		for _, res := range g.rows {
			for _, v := range res.values {
				runs = max(runs, len(v))
			}
		}
		fmt.Fprintf(w, "`%s` `%s` (median of %d runs)\n\n", g.pkg, g.fn, runs)
		fmt.Fprintf(w, "| %s | %s |\n", "benchmark", strings.Join(cols, " | "))
		fmt.Fprintf(w, "| --- |%s\n", strings.Repeat(" ---: |", len(cols)))
		for _, res := range g.rows {
			_, sub := family(res.name)
			cells := make([]string, len(cols))
			for i, c := range cols {
				if v, ok := res.values[c]; ok {
					cells[i] = format(median(v), c)
				}
			}
			fmt.Fprintf(w, "| %s | %s |\n", sub, strings.Join(cells, " | "))
		}
		fmt.Fprintln(w)
		if g.fn == "BenchmarkVerify" && strings.HasSuffix(g.pkg, "/peerbench") {
			writePerClaim(w, g.rows)
		}
	}
}

var claimsRe = regexp.MustCompile(`^BenchmarkVerify/claims=(\d+)/(interleaved|ikdkit)(-\d+)?$`)

// writePerClaim fits a line through ikdkit's CPU time above the floor and
// through its allocations against the number of disclosed claims: the
// slopes are what one more disclosed claim costs.
func writePerClaim(w io.Writer, rows []*result) {
	var xs, ts, xa, as []float64
	for _, res := range rows {
		m := claimsRe.FindStringSubmatch(res.name)
		if m == nil {
			continue
		}
		n, _ := strconv.ParseFloat(m[1], 64)
		if m[2] == "interleaved" {
			ikd, ok1 := res.values["ikdkit-cpu-ns/op"]
			fl, ok2 := res.values["floor-cpu-ns/op"]
			if ok1 && ok2 {
				xs, ts = append(xs, n), append(ts, median(ikd)-median(fl))
			}
		} else if a, ok := res.values["allocs/op"]; ok {
			xa, as = append(xa, n), append(as, median(a))
		}
	}
	if len(xs) >= 2 {
		fmt.Fprintf(w, "Per disclosed claim (least-squares slope over %v claims): %.2f µs of CPU above the floor", xs, slope(xs, ts)/1000)
		if len(xa) >= 2 {
			fmt.Fprintf(w, ", %.1f allocations", slope(xa, as))
		}
		fmt.Fprint(w, ".\n\n")
	}
}

func slope(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	n := float64(len(x))
	mx, my = mx/n, my/n
	var sxy, sxx float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
	}
	if sxx == 0 {
		return 0
	}
	return sxy / sxx
}
