// Command ikd is the ikdkit command-line tool: a narrated demo of the whole
// IKD story (ikd demo) and the commands a tester scripts around issuance,
// presentation and offline verification of SD-JWT VCs (RFC 9901,
// draft-ietf-oauth-sd-jwt-vc) and ISO/IEC 18013-5 mdocs.
//
// Usage:
//
//	ikd demo [--dir DIR]     the whole story, offline, narrated
//	ikd keygen               make a key pair
//	ikd issue                issue a credential
//	ikd present              present a credential with key binding
//	ikd verify               verify a presentation (QR text, SD-JWT, mdoc, image)
//	ikd wallet ...           a PIN-protected wallet
//	ikd issuer serve --demo  a demo OpenID4VCI issuer on loopback
//	ikd verifier serve --demo  a demo OpenID4VP verifier (the bank) on loopback
//	ikd login serve --demo   a demo "Login with IKD" OpenID Connect provider on loopback
//	ikd status ...           status lists (revocation)
//	ikd trust ...            trust lists
//	ikd qr ...               QR images
//
// Every command has --help with an example. Errors are one line on stderr.
// Exit status: 0 success, 1 the verification or operation failed (the
// message names the check), 2 usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/ikdkit/ikdkit/holder"
)

func main() {
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, now: time.Now, kdf: holder.DefaultKDF(),
		stderrTTY: isTerminal(os.Stderr), getenv: os.Getenv}
	if isTerminal(os.Stdin) {
		e.readSecret = func(prompt string) (string, error) { return readSecretFromTerminal(os.Stdin, os.Stderr, prompt) }
	}
	// The OpenID Connect provider library (zitadel/oidc) logs every
	// refused request as a warning through slog's default logger; the
	// commands report outcomes themselves.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	// Ctrl-C or SIGTERM ends a long-running command (ikd issuer serve).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

// env is the process environment a command runs in, injected so tests can
// run commands in-process with a fixed clock and a cheap KDF.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	now            func() time.Time
	// kdf is the wallet's Argon2id cost for new wallets and PIN changes.
	kdf holder.KDFParams
	// stderrTTY enables progress bars.
	stderrTTY bool
	// getenv reads an environment variable (IKD_PIN, IKD_NEW_PIN); nil
	// means none is set.
	getenv func(string) string
	// readSecret, when stdin is a terminal, prompts on stderr and reads a
	// line without echoing it (PINs); nil means secrets come from stdin
	// lines.
	readSecret func(prompt string) (string, error)
	// transport carries the HTTP requests of network commands (ikd wallet
	// activate); nil means http.DefaultTransport.
	transport http.RoundTripper
}

// readSecretFromTerminal prompts and reads one line from the terminal in
// with echo turned off.
func readSecretFromTerminal(in *os.File, prompt io.Writer, text string) (string, error) {
	fmt.Fprint(prompt, text)
	b, err := term.ReadPassword(int(in.Fd()))
	fmt.Fprintln(prompt)
	if err != nil {
		return "", fmt.Errorf("reading from the terminal: %w", err)
	}
	return string(b), nil
}

const usage = `ikd: Indonesia's digital identity (IKD) as verifiable credentials

Usage:
  ikd demo [--dir DIR]     run the whole story offline, narrated (start here)
  ikd keygen               make a key pair (JWK or PEM)
  ikd issue                issue an SD-JWT VC or mdoc from a JSON document
  ikd present              present an SD-JWT VC with a key-binding JWT
  ikd verify               verify QR text, an SD-JWT VC, an mdoc DeviceResponse or a QR image
  ikd wallet <cmd>         init, activate, import, list, show, present, vp, history, grants, revoke-grant, change-pin
  ikd issuer serve --demo  a demo OpenID4VCI issuer on loopback for any wallet to redeem from
  ikd verifier serve --demo  a demo OpenID4VP verifier (the bank) on loopback; answer with ikd wallet vp
  ikd login serve --demo   a demo "Login with IKD" OpenID Connect provider on loopback
  ikd status <cmd>         new, revoke, publish, check (Token Status Lists)
  ikd trust <cmd>          build, sign, show (trust lists)
  ikd qr <cmd>             encode text to PNG or terminal, decode an image
  ikd help                 show this help

Run "ikd <command> --help" for a command's flags and an example.
Exit status: 0 success, 1 verification or operation failed, 2 usage error.
`

// usageError is a command-line mistake: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// errHelp reports that --help was shown: exit status 0.
var errHelp = errors.New("help shown")

// command is one subcommand.
type command func(ctx context.Context, e *env, args []string) error

func commands() map[string]command {
	return map[string]command{
		"demo":     demoCmd,
		"verify":   verifyCmd,
		"qr":       qrCmd,
		"keygen":   keygenCmd,
		"status":   statusCmd,
		"trust":    trustCmd,
		"issue":    issueCmd,
		"present":  presentCmd,
		"wallet":   walletCmd,
		"issuer":   serveOnly(issuerHelp, issuerServe),
		"verifier": serveOnly(verifierHelp, verifierServe),
		"login":    serveOnly(loginHelp, loginServe),
	}
}

// run is main without process globals; it returns the exit status.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return 2
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help":
		fmt.Fprint(e.stdout, usage)
		return 0
	}
	cmd, ok := commands()[name]
	if !ok {
		fmt.Fprintf(e.stderr, "ikd: unknown command %q (run \"ikd help\")\n", name)
		return 2
	}
	err := cmd(ctx, e, args[1:])
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "ikd %s: %s (see \"ikd %s --help\")\n", name, oneLine(ue.msg), name)
		return 2
	default:
		fmt.Fprintf(e.stderr, "ikd %s: %s\n", name, oneLine(err.Error()))
		return 1
	}
}

// oneLine keeps an error message on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// newFlagSet makes a flag set whose --help prints help to stdout (once,
// through parseFlags) and whose errors become usage errors.
func newFlagSet(name, help string, e *env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() { fmt.Fprint(e.stdout, help) }
	return fs
}

// parseFlags parses args, allowing flags after positional arguments, and
// returns the positional arguments; want is their exact number, or -1 for
// any number. --help prints the help once; a bad flag is a usage error
// (one line on stderr), not the help.
func parseFlags(fs *flag.FlagSet, args []string, want int) ([]string, error) {
	// Package flag calls Usage itself on -help and on every parse error;
	// the help is printed here instead, for -help only.
	help := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = help }()
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				help()
				return nil, errHelp
			}
			return nil, usagef("%v", err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		// "--" ends the flags: everything after it is positional.
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if rest[0] == "-" || !strings.HasPrefix(rest[0], "-") {
			pos = append(pos, rest[0])
			args = rest[1:]
			continue
		}
		args = rest
	}
	if want >= 0 && len(pos) != want {
		return nil, usagef("want %d argument(s), got %d", want, len(pos))
	}
	return pos, nil
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
