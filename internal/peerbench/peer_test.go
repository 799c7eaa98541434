package peerbench

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
)

// claimCounts are the numbers of selectively disclosable claims (all
// disclosed) of the presentations measured.
var claimCounts = []int{5, 20, 50, 100}

// tamperSignature changes one character in the middle of the signature of
// the JWS s[jwsStart:jwsEnd], away from the last character, so the segment
// stays canonical base64url but the signature is wrong.
func tamperSignature(s string, jwsStart, jwsEnd int) string {
	dot := jwsStart + strings.LastIndexByte(s[jwsStart:jwsEnd], '.')
	i := dot + 1 + (jwsEnd-dot-1)/2
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

// TestSameVerdicts keeps the comparison honest: both implementations accept
// the good presentation and reject the same bad ones, so the benchmark
// compares equal work.
func TestSameVerdicts(t *testing.T) {
	for _, n := range claimCounts {
		f := newFixture(t, n)
		p := f.presentation
		firstTilde := strings.IndexByte(p, '~')
		lastTilde := strings.LastIndexByte(p, '~')

		if err := f.verifyIkdkit(p, f.opts); err != nil {
			t.Fatalf("claims=%d: ikdkit rejects the good presentation: %v", n, err)
		}
		if err := f.verifyPeer(p, f.peerOpts()); err != nil {
			t.Fatalf("claims=%d: go-sd-jwt+go-jose rejects the good presentation: %v", n, err)
		}
		if err := f.verifyFloor(); err != nil {
			t.Fatalf("claims=%d: floor: %v", n, err)
		}
		if err := f.verifyLowerBound(); err != nil {
			t.Fatalf("claims=%d: RFC 9901 lower bound: %v", n, err)
		}

		// The hand-built KB-JWT of rebind is itself accepted by both, so the
		// re-bound cases below fail only for what was changed.
		if rb := f.rebind(t, p[:lastTilde+1]); f.verifyIkdkit(rb, f.opts) != nil || f.verifyPeer(rb, f.peerOpts()) != nil {
			t.Fatalf("claims=%d: a re-bound good presentation is rejected: ikdkit %v, peer %v", n, f.verifyIkdkit(rb, f.opts), f.verifyPeer(rb, f.peerOpts()))
		}
		forged := base64.RawURLEncoding.EncodeToString([]byte(`["c2FsdHNhbHRzYWx0c2FsdA","claim_000","forged"]`))
		bad := []struct {
			name string
			pres string
			mod  func(*fixture) // changes the expectations of both sides alike
		}{
			{"tampered KB-JWT signature", tamperSignature(p, lastTilde+1, len(p)), nil},
			// Re-bound with a valid KB-JWT, so that the issuer signature
			// check, not sd_hash, is what must catch it.
			{"tampered issuer signature", f.rebind(t, tamperSignature(p[:lastTilde+1], 0, firstTilde)), nil},
			{"disclosure not in the issuer JWT", f.rebind(t, p[:lastTilde+1]+forged+"~"), nil},
			{"wrong nonce", p, func(f *fixture) { f.opts.Nonce = "another-nonce" }},
			{"wrong audience", p, func(f *fixture) { f.opts.Audience = "https://other.example" }},
			{"stale KB-JWT iat", p, func(f *fixture) { f.now = f.now.Add(10 * time.Minute) }},
			{"disclosure dropped after KB-JWT", p[:firstTilde+1] + p[strings.IndexByte(p[firstTilde+1:], '~')+firstTilde+2:], nil},
		}
		for _, c := range bad {
			g := *f
			if c.mod != nil {
				c.mod(&g)
				now := g.now
				g.opts.Now = func() time.Time { return now }
			}
			po := peerOpts{aud: g.opts.Audience, nonce: g.opts.Nonce, now: g.now}
			errI := g.verifyIkdkit(c.pres, g.opts)
			errP := g.verifyPeer(c.pres, po)
			t.Logf("claims=%d, %s: ikdkit: %v; go-sd-jwt+go-jose: %v", n, c.name, errI, errP)
			if errI == nil || errP == nil {
				t.Errorf("claims=%d, %s: ikdkit err=%v, go-sd-jwt+go-jose err=%v; want both to reject", n, c.name, errI, errP)
			}
		}
	}
}

// BenchmarkVerify verifies one presentation per claim count:
//
//   - claims=N/interleaved runs ikdkit, go-sd-jwt+go-jose, the floor, the
//     RFC 9901 lower bound (verifyLowerBound) and the same bound with the
//     maps of §7.1 step 3 filled (verifyMapsBound) in rotation in each
//     iteration and accumulates the process CPU time of each, so that
//     machine noise (this runs on shared 2-core machines) falls on all five
//     alike. It reports CPU ns/op per side, x-floor for both
//     implementations and both bounds, ikdkit-x-rfc9901 and
//     ikdkit-speedup (peer time / ikdkit time).
//   - claims=N/{ikdkit,go-sd-jwt,floor,rfc9901,maps} run each side alone
//     for ns/op, B/op and allocs/op.
func BenchmarkVerify(b *testing.B) {
	for _, n := range claimCounts {
		f := newFixture(b, n)
		po := f.peerOpts()
		sides := [5]func() error{
			func() error { return f.verifyIkdkit(f.presentation, f.opts) },
			func() error { return f.verifyPeer(f.presentation, po) },
			f.verifyFloor,
			f.verifyLowerBound,
			func() error { _, err := f.verifyMapsBound(); return err },
		}
		names := [5]string{"ikdkit", "go-sd-jwt", "floor", "rfc9901", "maps"}
		for i, side := range sides {
			if err := side(); err != nil {
				b.Fatalf("claims=%d %s: %v", n, names[i], err)
			}
		}
		b.Run(fmt.Sprintf("claims=%d/interleaved", n), func(b *testing.B) {
			var cpu [len(sides)]time.Duration
			iters := 0
			for b.Loop() {
				for k := range len(sides) {
					s := (iters + k) % len(sides) // rotate which side goes first
					t0 := cpuNow()
					if err := sides[s](); err != nil {
						b.Fatal(err)
					}
					cpu[s] += cpuNow() - t0
				}
				iters++
			}
			per := func(s int) float64 { return float64(cpu[s].Nanoseconds()) / float64(iters) }
			ikd, peer, floor, lower, maps := per(0), per(1), per(2), per(3), per(4)
			b.ReportMetric(ikd, "ikdkit-cpu-ns/op")
			b.ReportMetric(peer, "go-sd-jwt-cpu-ns/op")
			b.ReportMetric(floor, "floor-cpu-ns/op")
			b.ReportMetric(lower, "rfc9901-cpu-ns/op")
			b.ReportMetric(maps, "maps-cpu-ns/op")
			if floor > 0 && ikd > 0 && lower > 0 {
				b.ReportMetric(ikd/floor, "ikdkit-x-floor")
				b.ReportMetric(peer/floor, "go-sd-jwt-x-floor")
				b.ReportMetric(lower/floor, "rfc9901-x-floor")
				b.ReportMetric(ikd/lower, "ikdkit-x-rfc9901")
				b.ReportMetric(maps/floor, "maps-x-floor")
				b.ReportMetric(peer/ikd, "ikdkit-speedup")
			}
		})
		for i, side := range sides {
			b.Run(fmt.Sprintf("claims=%d/%s", n, names[i]), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := side(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
