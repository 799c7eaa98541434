//go:build unix

package issuer

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user + system) the process has used, or
// false where the platform does not report it.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
