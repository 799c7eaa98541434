//go:build unix

package peerbench

import (
	"syscall"
	"time"
)

const clockName = "process CPU time (getrusage RUSAGE_SELF, user+system)"

// cpuNow returns the CPU time the process has used so far, in every thread
// (so the garbage collector's background work is counted, on whichever side
// happens to be running when it runs).
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
