package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

const sample = `goos: linux
pkg: github.com/ikdkit/ikdkit/internal/peerbench
BenchmarkVerify/claims=20/interleaved 	 3000	 500000 ns/op	 100000 floor-cpu-ns/op	 120000 ikdkit-cpu-ns/op	 1.200 ikdkit-x-floor
BenchmarkVerify/claims=20/interleaved 	 3000	 500000 ns/op	 100000 floor-cpu-ns/op	 124000 ikdkit-cpu-ns/op	 1.240 ikdkit-x-floor
BenchmarkVerify/claims=20/interleaved 	 3000	 500000 ns/op	 100000 floor-cpu-ns/op	 122000 ikdkit-cpu-ns/op	 1.220 ikdkit-x-floor
BenchmarkVerify/claims=20/ikdkit      	 3000	 120000 ns/op	 18000 B/op	 160 allocs/op
BenchmarkVerify/claims=100/interleaved 	 3000	 500000 ns/op	 100000 floor-cpu-ns/op	 170000 ikdkit-cpu-ns/op	 1.700 ikdkit-x-floor
BenchmarkVerify/claims=100/ikdkit      	 3000	 170000 ns/op	 60000 B/op	 400 allocs/op
pkg: github.com/ikdkit/ikdkit/issuer
BenchmarkIssueKTPEL/dc+sd-jwt-2 	 600	 120000 ns/op	 2.5 x-rfc9901-floor-cpu
not a benchmark line
BenchmarkBroken 	 x	 1 ns/op
`

func TestReport(t *testing.T) {
	r, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.results) != 5 {
		t.Fatalf("%d results, want 5", len(r.results))
	}
	var out bytes.Buffer
	write(&out, r)
	got := out.String()
	for _, want := range []string{
		"`github.com/ikdkit/ikdkit/internal/peerbench` `BenchmarkVerify` (median of 3 runs)",
		"| claims=20/interleaved | 500.0 µs | 100.0 µs | 122.0 µs | 1.22 |", // the median of three
		"| claims=100/ikdkit | 170.0 µs |  |  |  | 60000 | 400 |",
		// (70000-22000)/80 ns per claim, (400-160)/80 allocations.
		"Per disclosed claim (least-squares slope over [20 100] claims): 0.60 µs of CPU above the floor, 3.0 allocations.",
		"`github.com/ikdkit/ikdkit/issuer` `BenchmarkIssueKTPEL`",
		"| dc+sd-jwt-2 | 120.0 µs | 2.50 |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
}

func TestSlope(t *testing.T) {
	if s := slope([]float64{1, 2, 3}, []float64{2, 4, 6}); math.Abs(s-2) > 1e-9 {
		t.Fatalf("slope = %v, want 2", s)
	}
	if s := slope([]float64{5, 5}, []float64{1, 2}); s != 0 {
		t.Fatalf("slope over one x = %v, want 0", s)
	}
}
