// Package nodeharness prepares the Node.js tooling of ikdkit's interop
// tests: it makes sure node is in PATH and that the npm packages pinned by
// a directory's package-lock.json are installed, running
// `npm ci --no-audit --no-fund` there when they are not.
//
// Call [Require] before running a script of the directory, for example once
// per test binary through a [sync.OnceValue] held by the test:
//
//	var requireNode = sync.OnceValue(func() error {
//		return nodeharness.Require("../testdata/interop/oid4vci-js", "@openid4vc/openid4vci")
//	})
//
// # Concurrency
//
// `go test ./...` runs the test binaries of several packages in parallel,
// and some of them share one directory (holder, issuer and cmd/ikd all use
// testdata/interop/oid4vci-js). Two `npm ci` in one directory at the same
// time can corrupt node_modules or fail, so the install runs under an
// exclusive lock on the file .install.lock of the directory (flock(2), taken
// on a new open file each call, so it also serializes goroutines of one
// process), and after getting the lock Require checks again, since the
// process that held it may have installed everything meanwhile. On systems
// without flock(2) the install is not locked across processes.
//
// The package keeps no state: a Require that finds the packages installed
// only reads package-lock.json and the pinned packages' package.json.
package nodeharness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// DefaultTimeout bounds one run of the install command when
// [Installer.Timeout] is zero.
const DefaultTimeout = 5 * time.Minute

// LockFile is the name of the lock file Require creates in the directory
// it installs into (ignored by git).
const LockFile = ".install.lock"

// Installer installs the pinned packages of a directory. The zero value
// runs `npm ci --no-audit --no-fund` with [DefaultTimeout]; the fields
// exist so that tests can install with a fake command.
type Installer struct {
	// Command is the install command and its arguments, run in the
	// directory. Empty means npm ci --no-audit --no-fund.
	Command []string
	// Timeout bounds one run of Command; zero means DefaultTimeout.
	Timeout time.Duration
}

// Require makes sure node is in PATH and every package named in pinned
// (such as "@auth0/mdl") is installed in dir/node_modules at the version of
// dir/package-lock.json, running `npm ci --no-audit --no-fund` in dir when
// one is not. It is [Installer.Require] of the zero Installer.
func Require(dir string, pinned ...string) error {
	return Installer{}.Require(dir, pinned...)
}

// Require makes sure node is in PATH and every package named in pinned is
// installed in dir/node_modules at the version of dir/package-lock.json.
// When one is not, it takes the exclusive lock on dir/.install.lock, checks
// again, runs the install command in dir and checks once more. It is safe
// to call from several goroutines and processes at once.
func (in Installer) Require(dir string, pinned ...string) error {
	if len(pinned) == 0 {
		return errors.New("nodeharness: no pinned packages to check")
	}
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("nodeharness: node not found in PATH; the interop tests need Node.js 20 or later: %w", err)
	}
	want, err := lockedVersions(dir, pinned)
	if err != nil {
		return err
	}
	if installed(dir, want) == nil {
		return nil
	}
	command := in.Command
	if len(command) == 0 {
		command = []string{"npm", "ci", "--no-audit", "--no-fund"}
	}
	path, err := exec.LookPath(command[0])
	if err != nil {
		return fmt.Errorf("nodeharness: %s not found in PATH; it is needed to install the pinned packages of %s: %w", command[0], dir, err)
	}
	unlock, err := lockDir(filepath.Join(dir, LockFile))
	if err != nil {
		return fmt.Errorf("nodeharness: %w", err)
	}
	defer unlock()
	// Another process may have installed while this one waited.
	if installed(dir, want) == nil {
		return nil
	}
	timeout := in.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, command[1:]...)
	cmd.Dir = dir
	// A killed command's children may keep its output open.
	cmd.WaitDelay = 10 * time.Second
	shown := strings.Join(command, " ")
	if out, err := cmd.CombinedOutput(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w after %v", ctx.Err(), timeout)
		}
		return fmt.Errorf("nodeharness: `%s` in %s failed: %v\n%s", shown, dir, err, out)
	}
	if err := installed(dir, want); err != nil {
		return fmt.Errorf("nodeharness: after `%s` in %s: %w", shown, dir, err)
	}
	return nil
}

// lockedVersions returns the version package-lock.json of dir pins for each
// name in pinned.
func lockedVersions(dir string, pinned []string) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return nil, fmt.Errorf("nodeharness: %w", err)
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		return nil, fmt.Errorf("nodeharness: %s: %w", filepath.Join(dir, "package-lock.json"), err)
	}
	want := make(map[string]string, len(pinned))
	for _, name := range pinned {
		v := lock.Packages["node_modules/"+name].Version
		if v == "" {
			return nil, fmt.Errorf("nodeharness: %s does not pin %s", filepath.Join(dir, "package-lock.json"), name)
		}
		want[name] = v
	}
	return want, nil
}

// installed reports whether every package of want is installed in
// dir/node_modules at its version.
func installed(dir string, want map[string]string) error {
	for name, v := range want {
		b, err := os.ReadFile(filepath.Join(dir, "node_modules", name, "package.json"))
		if err != nil {
			return fmt.Errorf("%s is not installed", name)
		}
		var pkg struct {
			Version string `json:"version"`
		}
		if err := json.Unmarshal(b, &pkg); err != nil || pkg.Version != v {
			return fmt.Errorf("%s is installed at %q, package-lock.json says %q", name, pkg.Version, v)
		}
	}
	return nil
}
