//go:build !unix

package peerbench

import "time"

const clockName = "wall time (no getrusage on this platform)"

var start = time.Now()

// cpuNow falls back to the monotonic wall clock where getrusage is missing.
func cpuNow() time.Duration { return time.Since(start) }
