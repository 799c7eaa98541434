package main

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/holder"
	"github.com/rogpeppe/go-internal/testscript"
)

// updateScripts rewrites the scripts' golden files from the actual output
// (go test -run TestScripts -update); review the diff before committing.
var updateScripts = flag.Bool("update", false, "rewrite the golden files in testdata/script from the actual output")

// scriptNow is the scripts' clock unless a script sets IKD_NOW.
const scriptNow = "2026-11-24T10:00:00Z"

// scriptState is one script's record of its last ikd invocation.
type scriptState struct {
	code      int  // exit status of the last ikd
	unchecked bool // the last ikd failed and no exitcode has checked it yet
	issuer    *scriptIssuer
}

type scriptStateKey struct{}

// TestScripts runs the golden CLI scripts testdata/script/*.txtar
// (github.com/rogpeppe/go-internal/testscript), with $REPO_TESTDATA the
// module's testdata directory (binary fixtures such as images). Besides the
// standard commands, a script has:
//
//	ikd ARGS... [<FILE]   run ikd in-process in the script's directory, stdin
//	                      from FILE (else empty), clock $IKD_NOW (RFC 3339),
//	                      the cheapest wallet KDF, the script's environment
//	                      (IKD_PIN, IKD_NEW_PIN), stderr not a terminal.
//	                      "ikd" must exit 0; "! ikd" must exit non-zero, write
//	                      exactly one line to stderr (the bare "ikd" usage
//	                      excepted) and be followed by "exitcode N" before the
//	                      next ikd or the end of the script. A panic fails
//	                      the script.
//	exitcode N            the last ikd exited with status N.
//	genfile FILE SIZE [TEXT]  write SIZE bytes (suffixes K and M: KiB, MiB)
//	                      repeating TEXT (default "A"; Go escapes such as
//	                      \x89 allowed) to FILE.
//	truncate FILE N       keep the first N bytes of FILE (-N: drop the last N).
//	capture VAR REGEXP FILE  set VAR to the first match of REGEXP in FILE
//	                      (or its last group; stdout and stderr allowed),
//	                      e.g. a random id.
//	tamper FILE OFFSET    replace the byte at OFFSET (negative: from the end)
//	                      with another letter ('A', or 'B' if it was 'A').
//	finders FILE SIDE     write a SIDE×SIDE PNG tiled with QR finder patterns
//	                      of module sizes 1 and 2 px, the adversarial image
//	                      of issue 17 finding 10 (as credential/qr's tests
//	                      make it).
//	issuer-service start|grant|status  run demoworld's Dukcapil behind
//	                      OpenID4VCI endpoints on https loopback, which ikd
//	                      then trusts (see scriptIssuerService).
//
// Commands resolve relative file names against the process's working
// directory, so each ikd invocation holds a lock while it runs chdir'ed
// into its script's directory; scripts still run in parallel between
// invocations (the script directory is absolute for that reason). No
// other test in this package changes directory or runs in parallel.
func TestScripts(t *testing.T) {
	var cwdMu sync.Mutex
	dir, err := filepath.Abs("testdata/script") // absolute: ikd invocations chdir
	if err != nil {
		t.Fatal(err)
	}
	repoTestdata, err := filepath.Abs("../../testdata")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                dir,
		RequireUniqueNames: true,
		UpdateScripts:      *updateScripts,
		Setup: func(env *testscript.Env) error {
			env.Setenv("IKD_NOW", scriptNow)
			env.Setenv("REPO_TESTDATA", repoTestdata)
			st := &scriptState{}
			env.Values[scriptStateKey{}] = st
			env.Defer(func() {
				if st.unchecked {
					env.T().Fatal("the script ends after a failing ikd without exitcode")
				}
			})
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"ikd": func(ts *testscript.TestScript, neg bool, args []string) {
				scriptIKD(ts, neg, args, &cwdMu)
			},
			"exitcode":       scriptExitCode,
			"genfile":        scriptGenFile,
			"truncate":       scriptTruncate,
			"tamper":         scriptTamper,
			"flipbit":        scriptFlipBit,
			"capture":        scriptCapture,
			"finders":        scriptFinders,
			"issuer-service": scriptIssuerService,
		},
	})
}

func scriptIKD(ts *testscript.TestScript, neg bool, args []string, cwdMu *sync.Mutex) {
	st := ts.Value(scriptStateKey{}).(*scriptState)
	if st.unchecked {
		ts.Fatalf("the previous failing ikd has no exitcode check")
	}
	now, err := time.Parse(time.RFC3339, ts.Getenv("IKD_NOW"))
	if err != nil {
		ts.Fatalf("IKD_NOW: %v", err)
	}
	var stdin []byte
	if n := len(args); n > 0 && strings.HasPrefix(args[n-1], "<") {
		stdin = []byte(ts.ReadFile(args[n-1][1:]))
		args = args[:n-1]
	}
	var errOut bytes.Buffer
	e := &env{stdin: bytes.NewReader(stdin), stdout: ts.Stdout(), stderr: &errOut, now: func() time.Time { return now },
		kdf: holder.KDFParams{Time: 1, MemoryKiB: holder.MinKDFMemoryKiB, Threads: 1}, getenv: ts.Getenv}
	if st.issuer != nil {
		e.transport = st.issuer.v.srv.Client().Transport // trusts the issuer's test certificate
	}
	code, panicked := runIn(ts.MkAbs("."), e, args, cwdMu)
	ts.Stderr().Write(errOut.Bytes())
	if panicked != nil {
		ts.Fatalf("ikd %s panicked: %v", strings.Join(args, " "), panicked)
	}
	st.code = code
	switch {
	case code == 0 && neg:
		ts.Fatalf("ikd succeeded unexpectedly")
	case code != 0 && !neg:
		ts.Fatalf("ikd failed: exit status %d: %s", code, strings.TrimSpace(errOut.String()))
	case code != 0:
		st.unchecked = true
		if s := errOut.String(); len(args) > 0 && (strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n")) {
			ts.Fatalf("a failing ikd must write exactly one line to stderr, got %q", s)
		}
	}
}

// runIn runs ikd with the working directory dir, serialised by mu, and
// recovers a panic.
func runIn(dir string, e *env, args []string, mu *sync.Mutex) (code int, panicked any) {
	mu.Lock()
	defer mu.Unlock()
	old, err := os.Getwd()
	if err != nil {
		return 0, err
	}
	if err := os.Chdir(dir); err != nil {
		return 0, err
	}
	defer func() {
		if err := os.Chdir(old); err != nil {
			panic(err) // the test binary cannot continue in the wrong place
		}
	}()
	defer func() { panicked = recover() }()
	return run(context.Background(), e, args), nil
}

func scriptExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: exitcode N")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %v", err)
	}
	st := ts.Value(scriptStateKey{}).(*scriptState)
	if st.code != want {
		ts.Fatalf("ikd exited with status %d, want %d", st.code, want)
	}
	st.unchecked = false
}

func scriptGenFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: genfile FILE SIZE [TEXT]")
	}
	mult := 1
	s := args[1]
	if n, ok := strings.CutSuffix(s, "K"); ok {
		s, mult = n, 1<<10
	} else if n, ok := strings.CutSuffix(s, "M"); ok {
		s, mult = n, 1<<20
	}
	size, err := strconv.Atoi(s)
	if err != nil || size < 0 || size*mult > 64<<20 {
		ts.Fatalf("genfile: size %q: want 0 to 64M", args[1])
	}
	text := "A"
	if len(args) == 3 {
		text = args[2]
		if u, err := strconv.Unquote(`"` + text + `"`); err == nil && u != "" {
			text = u // Go escapes such as \x89 give binary content
		}
	}
	b := bytes.Repeat([]byte(text), size*mult/len(text)+1)[:size*mult]
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o644))
}

func scriptTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: truncate FILE N")
	}
	b := []byte(ts.ReadFile(args[0]))
	n, err := strconv.Atoi(args[1])
	if err != nil || n > len(b) || -n > len(b) {
		ts.Fatalf("truncate: %q: want -%d to %d", args[1], len(b), len(b))
	}
	if n < 0 {
		n += len(b)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b[:n], 0o644))
}

func scriptTamper(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: tamper FILE OFFSET")
	}
	b := []byte(ts.ReadFile(args[0]))
	i, err := strconv.Atoi(args[1])
	if i < 0 {
		i += len(b)
	}
	if err != nil || i < 0 || i >= len(b) {
		ts.Fatalf("tamper: offset %q outside %d bytes", args[1], len(b))
	}
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o644))
}

// scriptFlipBit flips the lowest bit of the last byte of the N-th (from 1)
// occurrence of TEXT in FILE, and fails if there is no such occurrence.
func scriptFlipBit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: flipbit FILE TEXT N")
	}
	b := []byte(ts.ReadFile(args[0]))
	n, err := strconv.Atoi(args[2])
	ts.Check(err)
	off := 0
	for k := 1; ; k++ {
		i := bytes.Index(b[off:], []byte(args[1]))
		if i < 0 {
			ts.Fatalf("flipbit: %q occurs fewer than %d times in %s", args[1], n, args[0])
		}
		if k == n {
			b[off+i+len(args[1])-1] ^= 1
			break
		}
		off += i + len(args[1])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o644))
}

func scriptCapture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: capture VAR REGEXP FILE")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	m := re.FindStringSubmatch(ts.ReadFile(args[2]))
	if m == nil {
		ts.Fatalf("capture: no match for %q in %s", args[1], args[2])
	}
	ts.Setenv(args[0], m[len(m)-1])
}

func scriptFinders(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: finders FILE SIDE")
	}
	side, err := strconv.Atoi(args[1])
	if err != nil || side < 8 || side > 4096 {
		ts.Fatalf("finders: side %q: want 8 to 4096", args[1])
	}
	// Finder patterns (ISO/IEC 18004 §6.3.3: 7×7 modules, dark ring, light
	// ring, dark 3×3 centre) in cells of 16 px, alternating module sizes 1
	// and 2, on white.
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	const cell = 16
	for ty := 0; ty*cell < side; ty++ {
		for tx := 0; tx*cell < side; tx++ {
			m := 1 + (tx+ty)%2
			off := m * ((cell/m - 7) / 2)
			for my := 0; my < 7; my++ {
				for mx := 0; mx < 7; mx++ {
					if min(mx, my, 6-mx, 6-my) == 1 {
						continue
					}
					for py := 0; py < m; py++ {
						for px := 0; px < m; px++ {
							if x, y := tx*cell+off+mx*m+px, ty*cell+off+my*m+py; x < side && y < side {
								img.Pix[y*img.Stride+x] = 0
							}
						}
					}
				}
			}
		}
	}
	var b bytes.Buffer
	ts.Check((&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, img))
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b.Bytes(), 0o644))
}
