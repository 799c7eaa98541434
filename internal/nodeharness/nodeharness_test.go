//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package nodeharness

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests install with fake commands (sh scripts) into temporary
// directories: no network, no npm, and node is a fake script too.

const testLock = `{"lockfileVersion": 3, "packages": {
	"": {"dependencies": {"@x/a": "1.2.3", "b": "4.5.6"}},
	"node_modules/@x/a": {"version": "1.2.3"},
	"node_modules/b": {"version": "4.5.6"}
}}`

// installScript is a fake `npm ci`: it logs "enter PID" and "leave PID"
// around a 300 ms critical section that installs @x/a and b at the locked
// versions. Overlapping installs show up as two enters in a row.
const installScript = `echo "enter $$" >> install.log
sleep 0.3
rm -rf node_modules
mkdir -p node_modules/@x/a node_modules/b
echo '{"name": "@x/a", "version": "1.2.3"}' > node_modules/@x/a/package.json
echo '{"name": "b", "version": "4.5.6"}' > node_modules/b/package.json
echo "leave $$" >> install.log
`

// fakeNode puts a fake node first in PATH for the rest of the test and
// returns the new PATH.
func fakeNode(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "node"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := bin + string(os.PathListSeparator) + os.Getenv("PATH")
	t.Setenv("PATH", path)
	return path
}

// newProject returns a directory holding testLock and, unless script is
// empty, install.sh, with the Installer that runs install.sh.
func newProject(t *testing.T, script string) (string, Installer) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "package-lock.json"), []byte(testLock), 0o644); err != nil {
		t.Fatal(err)
	}
	sh := filepath.Join(dir, "install.sh")
	if err := os.WriteFile(sh, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, Installer{Command: []string{"/bin/sh", sh}, Timeout: 10 * time.Second}
}

// installLog returns the lines the fake installers wrote, failing the test
// if two critical sections overlapped.
func installLog(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "install.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	inside := ""
	for _, l := range lines {
		op, pid, _ := strings.Cut(l, " ")
		if (op == "enter") == (inside != "") || (op == "leave" && pid != inside) {
			t.Errorf("the installs overlapped (%q with %q running); log:\n%s", l, inside, b)
			break
		}
		if op == "enter" {
			inside = pid
		} else {
			inside = ""
		}
	}
	return lines
}

// TestConcurrentInstall is the defect of the per-test copies this package
// replaced: test binaries of several packages, run in parallel by
// `go test ./...`, each ran `npm ci` in one shared directory of a fresh
// clone at the same time. The installs must not overlap, and those that
// waited must find the packages installed and not install again.
func TestConcurrentInstall(t *testing.T) {
	const n = 3
	t.Run("processes", func(t *testing.T) {
		path := fakeNode(t)
		dir, _ := newProject(t, installScript)
		var cmds []*exec.Cmd
		for i := range n {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
			cmd.Env = append(os.Environ(), "PATH="+path, "NODEHARNESS_HELPER_DIR="+dir, fmt.Sprintf("NODEHARNESS_HELPER_ID=%d", i))
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			cmds = append(cmds, cmd)
		}
		// Start the children's Require calls together once all are up.
		deadline := time.Now().Add(20 * time.Second)
		for i := 0; i < n; {
			if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("ready.%d", i))); err == nil {
				i++
				continue
			}
			if time.Now().After(deadline) {
				t.Fatal("the helper processes did not start")
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		for i, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				t.Errorf("helper %d: %v", i, err)
			}
		}
		if log := installLog(t, dir); len(log) != 2 {
			t.Errorf("the install ran %d times, want once: %q", len(log)/2, log)
		}
	})
	t.Run("goroutines", func(t *testing.T) {
		fakeNode(t)
		dir, in := newProject(t, installScript)
		start := make(chan struct{})
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				<-start
				errs <- in.Require(dir, "@x/a", "b")
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		if log := installLog(t, dir); len(log) != 2 {
			t.Errorf("the install ran %d times, want once: %q", len(log)/2, log)
		}
	})
}

// TestHelperProcess is one simulated test binary of TestConcurrentInstall:
// it marks itself ready, waits for the go file and calls Require.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv("NODEHARNESS_HELPER_DIR")
	if dir == "" {
		t.Skip("only run by TestConcurrentInstall")
	}
	if err := os.WriteFile(filepath.Join(dir, "ready."+os.Getenv("NODEHARNESS_HELPER_ID")), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, "go")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no go file")
		}
	}
	in := Installer{Command: []string{"/bin/sh", filepath.Join(dir, "install.sh")}, Timeout: 10 * time.Second}
	if err := in.Require(dir, "@x/a", "b"); err != nil {
		t.Fatal(err)
	}
}

func TestRequire(t *testing.T) {
	tests := []struct {
		name      string
		noNode    bool
		installed string // version of b in node_modules before the call; "" for none
		script    string
		timeout   time.Duration
		pinned    []string
		wantErr   string // substring of the error; "" for success
		wantRuns  int    // runs of the install script
	}{
		{name: "installed", installed: "4.5.6", script: "exit 1", pinned: []string{"@x/a", "b"}},
		{name: "missing", script: installScript, pinned: []string{"@x/a", "b"}, wantRuns: 1},
		{name: "other version", installed: "4.0.0", script: installScript, pinned: []string{"b"}, wantRuns: 1},
		{name: "no node", noNode: true, script: installScript, pinned: []string{"b"}, wantErr: "need Node.js 20 or later"},
		{name: "nothing pinned", script: installScript, wantErr: "no pinned packages"},
		{name: "not in the lock", script: installScript, pinned: []string{"b", "c"}, wantErr: "does not pin c"},
		{name: "install fails", script: "echo kaput; echo enter >> install.log; exit 3", pinned: []string{"b"}, wantErr: "kaput", wantRuns: 1},
		{name: "install installs nothing", script: "echo enter >> install.log", pinned: []string{"b"}, wantErr: "after `/bin/sh", wantRuns: 1},
		{name: "install hangs", script: "echo enter >> install.log; exec sleep 30", timeout: 200 * time.Millisecond, pinned: []string{"b"}, wantErr: "deadline exceeded after 200ms", wantRuns: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fakeNode(t)
			if tt.noNode {
				t.Setenv("PATH", t.TempDir())
			}
			dir, in := newProject(t, tt.script)
			if tt.timeout != 0 {
				in.Timeout = tt.timeout
			}
			if tt.installed != "" {
				for name, v := range map[string]string{"@x/a": "1.2.3", "b": tt.installed} {
					os.MkdirAll(filepath.Join(dir, "node_modules", name), 0o755)
					pkg := fmt.Sprintf(`{"name": %q, "version": %q}`, name, v)
					if err := os.WriteFile(filepath.Join(dir, "node_modules", name, "package.json"), []byte(pkg), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			err := in.Require(dir, tt.pinned...)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Require: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Require: %v, want an error containing %q", err, tt.wantErr)
			}
			runs := 0
			if b, err := os.ReadFile(filepath.Join(dir, "install.log")); err == nil {
				runs = strings.Count(string(b), "enter")
			} else if !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			if runs != tt.wantRuns {
				t.Errorf("the install ran %d times, want %d", runs, tt.wantRuns)
			}
		})
	}
}
