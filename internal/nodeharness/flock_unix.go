//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package nodeharness

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockDir blocks until it holds an exclusive flock(2) on path, creating the
// file if needed, and returns the function that releases it. The lock
// belongs to the new open file, so two calls of one process also exclude
// each other, and it is released if the process dies.
func lockDir(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("flock %s: %w", path, err)
	}
	return func() { f.Close() }, nil // closing the file releases the lock
}
