//go:build unix

package mdoc

import (
	"syscall"
	"time"
)

// cpuNow returns the CPU time the process has used so far, user + system,
// in every thread (getrusage RUSAGE_SELF), so the garbage collector's
// background work is counted on whichever side is running when it runs.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
