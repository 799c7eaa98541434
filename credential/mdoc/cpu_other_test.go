//go:build !unix

package mdoc

import "time"

var cpuStart = time.Now()

// cpuNow falls back to the monotonic wall clock where getrusage is missing.
func cpuNow() time.Duration { return time.Since(cpuStart) }
