package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/verifier"
)

const verifyHelp = `usage: ikd verify --trust T [--trust T ...] --aud URI [flags] INPUT [INPUT ...]

Verifies presentations offline with package verifier, the one place ikdkit
decides "verified", and prints the verified claims. INPUT is a file, or -
for stdin, holding one of:
  - the text of an ikdkit response QR (as a scanner gives it),
  - a PNG or JPEG image of such a QR code,
  - a compact SD-JWT VC presentation with a key-binding JWT,
  - a CBOR mdoc DeviceResponse (needs --session-transcript).
Each INPUT is one presentation, except that the frames of a response too
large for one QR code (ikd wallet present writes FILE-1, FILE-2, ...) are
one presentation together: give every frame, as text or image, in any
order. The presentations are verified in order by one verifier, with one
replay store: the same presentation given twice is refused the second
time. It stops at the first that fails.

Every presentation goes through the verifier's checks, in order: format,
trust, authorization, signature, disclosure, validity, holder binding,
freshness (90 seconds), replay, status, holder, policy.

Trust:
  --trust T                 repeatable: a signed trust list file (with
                            --operator-key), which alone enforces which issuer may
                            issue which type; or bare keys and certificates: a JWK
                            file, a PEM public key, a did:key, a file of PEM
                            certificates (IACA roots and their document signers).
                            A bare key is trusted for the issuer a presentation
                            names (its iss) and the type it presents; an IACA root
                            for the documents that chain to it. You vouch for them.
  --operator-key FILE       the trust-list operator's public key (JWK or PEM)
  --trust-grace DURATION    accept a signed trust list up to DURATION past its
                            next_update (at most 720h): the explicit option for a
                            verifier that is knowingly offline. Without it an
                            overdue list fails the trust check.
Status (revocation, Token Status List):
  --status FILE             a Status List Token (JWT or CWT), repeatable, verified
                            with the key of the issuer that serves its uri (the
                            trust list's; with bare keys, the only one given)
  --status-dir DIR          a directory of cached Status List Tokens: each file that
                            is a token verified with the trust is used, others are
                            skipped
  --no-status               do not check revocation: verify, warn on stderr and
                            exit 0. Without it, a credential that carries a status
                            reference fails the status check unless --status or
                            --status-dir covers it; one without a status reference
                            cannot be revoked and verifies.
Presentation:
  --aud URI                 this verifier's identifier; every presentation must be
                            made for it (KB-JWT aud, QR binding). Required.
  --nonce N                 the nonce of this verifier's request: for an SD-JWT VC
                            the KB-JWT nonce; for a QR the request nonce in base64url
                            (two-way flow). Not for a DeviceResponse: its session
                            transcript carries it.
  --session-transcript FILE the CBOR SessionTranscript the DeviceResponse was signed
                            over
  --at RFC3339              verification time (default: now); a presentation older
                            than 90 s at that time is refused
  --replay-db DB            remember verified presentations in this SQLite file (or a
                            postgres:// DSN), so that a replay is refused in later
                            runs too (and by other verifiers sharing it)
Output:
  --json                    one JSON object per verified presentation

Exit status 0 if every presentation verified, 1 if a check failed (the
message names the check, e.g. "verifier: credential revoked [status]"), 2 on
a usage error.

Example:
  ikd verify --trust out/issuer.jwk.json --aud https://bank.example.co.id \
      --status out/status-list.jwt out/qr.png
  ikd verify --trust trust.jwt --operator-key operator.jwk.json \
      --aud https://bank.example.co.id --status-dir status-cache qr.png
  ikd verify --trust out/iaca.pem --trust out/issuer.jwk.json --aud https://bank.example.co.id \
      --status out/status-list.jwt --session-transcript out/session-transcript.cbor \
      out/device-response.cbor
`

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// verifyArgs are the flags of ikd verify.
type verifyArgs struct {
	trust, status                     multiFlag
	opKey, aud, nonce, at, transcript string
	statusDir, replayDB, trustGrace   string
	noStatus, asJSON                  bool
}

func verifyCmd(ctx context.Context, e *env, args []string) error {
	var a verifyArgs
	fs := newFlagSet("verify", verifyHelp, e)
	fs.Var(&a.trust, "trust", "")
	fs.StringVar(&a.opKey, "operator-key", "", "")
	fs.StringVar(&a.trustGrace, "trust-grace", "", "")
	fs.Var(&a.status, "status", "")
	fs.StringVar(&a.statusDir, "status-dir", "", "")
	fs.BoolVar(&a.noStatus, "no-status", false, "")
	fs.StringVar(&a.aud, "aud", "", "")
	fs.StringVar(&a.nonce, "nonce", "", "")
	fs.StringVar(&a.at, "at", "", "")
	fs.StringVar(&a.transcript, "session-transcript", "", "")
	fs.StringVar(&a.replayDB, "replay-db", "", "")
	fs.BoolVar(&a.asJSON, "json", false, "")
	pos, err := parseFlags(fs, args, -1)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("want an INPUT")
	}
	if len(pos) > verifier.MaxFrames {
		return usagef("%d inputs; at most %d", len(pos), verifier.MaxFrames)
	}
	if len(a.trust) == 0 {
		return usagef("--trust is required")
	}
	if a.aud == "" {
		return usagef("--aud is required: this verifier's identifier, which presentations must be made for")
	}
	if a.noStatus && (len(a.status) > 0 || a.statusDir != "") {
		return usagef("--no-status contradicts --status and --status-dir")
	}
	var grace time.Duration
	if a.trustGrace != "" {
		if grace, err = time.ParseDuration(a.trustGrace); err != nil || grace < 0 || grace > verifier.MaxTrustListGrace {
			return usagef("--trust-grace: want a duration from 0 to %v, got %q", verifier.MaxTrustListGrace, a.trustGrace)
		}
	}
	now, err := atTime(e, a.at)
	if err != nil {
		return err
	}
	clock := func() time.Time { return now }
	ts, err := loadTrust(a.trust, a.opKey, clock)
	if err != nil {
		return err
	}
	if a.trustGrace != "" && ts.store == nil {
		return usagef("--trust-grace applies to a signed trust list (--trust with --operator-key)")
	}
	pres, err := readPresentations(e, pos)
	if err != nil {
		return err
	}
	in, err := a.inputs(pres)
	if err != nil {
		return err
	}

	// Trust: the signed list, or the local list bare keys stand for.
	var trust verifier.TrustSource = ts.store
	if ts.store == nil {
		var seen presented
		for _, p := range pres {
			p.note(&seen)
		}
		l, err := localList(ts, &seen, now)
		if err != nil {
			return err
		}
		trust = fixedTrust{l}
	}
	// Status: the tokens given, verified with the trust's keys.
	var cache *statuslist.Cache
	if !a.noStatus {
		if cache, err = statuslist.NewCache(statuslist.CacheConfig{Keys: statusKeys(trust, ts), Now: clock}); err != nil {
			return err
		}
		if err := a.loadStatus(cache); err != nil {
			return err
		}
	}
	// Replay: one store for the run, or the shared file.
	var replay verifier.ReplayStore
	if a.replayDB != "" {
		db, err := verifier.OpenReplayStore(ctx, a.replayDB, 0)
		if err != nil {
			return fmt.Errorf("--replay-db: %w", err)
		}
		defer db.Close()
		replay = db
	}
	v, err := verifier.New(verifier.Config{Trust: trust, Status: cache, Now: clock, Audience: a.aud, Replay: replay,
		TrustListGrace: grace,
		Policy: verifier.Policy{
			SkipStatus: a.noStatus,
			// A credential without a status reference cannot be
			// revoked; the output says it has none.
			AllowNoStatus: true,
			// The CLI has no request policy for the trust list to
			// bound, so --aud need not be registered in it.
			AllowUnregistered: true,
		}})
	if err != nil {
		return err
	}

	for i, p := range pres {
		res, err := in.verify(ctx, v, p)
		if err != nil {
			if errors.Is(err, statuslist.ErrNotCached) {
				err = fmt.Errorf("%w (give --status FILE, --status-dir DIR or --no-status)", err)
			}
			if len(pres) > 1 {
				err = fmt.Errorf("%s (presentation %d): %w", p.name(), i+1, err)
			}
			return err
		}
		if err := printResult(e.stdout, i+1, p, res, a.asJSON, a.noStatus); err != nil {
			return err
		}
	}
	if a.noStatus {
		fmt.Fprintln(e.stderr, "ikd verify: warning: revocation was not checked (--no-status)")
	}
	return nil
}

// verifyInputs are the per-kind inputs of the verifier besides the
// presentation itself.
type verifyInputs struct {
	sdjwtNonce string // the KB-JWT nonce ("" one-way)
	qrNonce    []byte // the request QR's nonce (nil one-way)
	transcript []byte // the mdoc SessionTranscript
}

// inputs checks the flags against the kinds of presentation given and
// reads what they need.
func (a *verifyArgs) inputs(pres []*presentation) (*verifyInputs, error) {
	in := &verifyInputs{sdjwtNonce: a.nonce}
	for _, p := range pres {
		switch p.kind {
		case kindMdoc:
			if a.nonce != "" {
				return nil, usagef("--nonce does not apply to a DeviceResponse (%s): its session transcript carries the nonce", p.name())
			}
			if a.transcript == "" {
				return nil, usagef("--session-transcript is required for an mdoc DeviceResponse")
			}
			if in.transcript == nil {
				st, err := readFile(a.transcript)
				if err != nil {
					return nil, err
				}
				if len(st) == 0 {
					return nil, usagef("--session-transcript %s is empty", a.transcript)
				}
				in.transcript = st
			}
		case kindQR, kindFrames:
			if a.nonce != "" && in.qrNonce == nil {
				n, err := b64url(a.nonce)
				if err != nil || len(n) < qr.MinNonceSize || len(n) > qr.MaxNonceSize {
					return nil, usagef("--nonce: for a QR, the request nonce: %d to %d bytes in base64url", qr.MinNonceSize, qr.MaxNonceSize)
				}
				in.qrNonce = n
			}
		}
	}
	return in, nil
}

// verify hands one presentation to the verifier.
func (in *verifyInputs) verify(ctx context.Context, v *verifier.Verifier, p *presentation) (*verifier.Result, error) {
	switch p.kind {
	case kindQR:
		if in.qrNonce != nil {
			return v.VerifyQRResponse(ctx, p.data[0], in.qrNonce)
		}
		return v.VerifyQR(ctx, p.data[0])
	case kindFrames:
		if in.qrNonce != nil {
			return v.VerifyQRFramesResponse(ctx, in.qrNonce, p.data...)
		}
		return v.VerifyQRFrames(ctx, p.data...)
	case kindSDJWT:
		return v.VerifySDJWT(ctx, p.data[0], in.sdjwtNonce)
	default:
		return v.VerifyMdoc(ctx, []byte(p.data[0]), in.transcript)
	}
}

// loadStatus puts the Status List Tokens of --status and --status-dir into
// the cache, each verified with the key the trust gives for its uri.
func (a *verifyArgs) loadStatus(cache *statuslist.Cache) error {
	for _, name := range a.status {
		tok, err := readToken(name)
		if err != nil {
			return err
		}
		if _, err := cache.AddToken(tok); err != nil {
			return fmt.Errorf("--status %s: %w", name, err)
		}
	}
	if a.statusDir == "" {
		return nil
	}
	entries, err := os.ReadDir(a.statusDir)
	if err != nil {
		return fmt.Errorf("--status-dir: %w", err)
	}
	for _, en := range entries {
		if !en.Type().IsRegular() || strings.HasPrefix(en.Name(), ".") {
			continue
		}
		// A cache directory may hold tokens of issuers this run does not
		// trust, and older copies: those are skipped. A credential whose
		// list was skipped fails the status check.
		if tok, err := readToken(filepath.Join(a.statusDir, en.Name())); err == nil {
			_, _ = cache.AddToken(tok)
		}
	}
	return nil
}

// readToken reads a Status List Token file: a CWT byte for byte, a JWT
// without the white space around it.
func readToken(name string) ([]byte, error) {
	b, err := readFile(name)
	if err != nil {
		return nil, err
	}
	if len(b) > 0 && b[0] == 0xd2 { // COSE_Sign1_Tagged
		return b, nil
	}
	return bytes.TrimSpace(b), nil
}

// credentialOut is a verified credential as --json prints it.
type credentialOut struct {
	Type       string                    `json:"type"`
	Format     credential.Format         `json:"format"`
	Issuer     string                    `json:"issuer"`
	IssuerName string                    `json:"issuer_name"`
	Status     string                    `json:"status"`
	Claims     map[string]any            `json:"claims"`
	NameSpaces map[string]map[string]any `json:"namespaces,omitempty"`
}

// presentationOut is a verified presentation as --json prints it.
type presentationOut struct {
	Input       string          `json:"input"`
	NIK         string          `json:"nik,omitempty"`
	Credentials []credentialOut `json:"credentials"`
}

// printResult prints a verified presentation: a heading, then each
// credential with its issuer and status and its disclosed claims.
func printResult(w io.Writer, n int, p *presentation, res *verifier.Result, asJSON, noStatus bool) error {
	creds := res.Credentials()
	if asJSON {
		out := presentationOut{Input: p.name(), NIK: res.NIK(), Credentials: []credentialOut{}}
		for _, c := range creds {
			co := credentialOut{Type: c.Type(), Format: c.Format(), Issuer: c.Issuer(), IssuerName: c.IssuerName(),
				Status: statusWord(c, noStatus), Claims: plainMap(c.Claims())}
			if c.Format() == credential.FormatMdoc {
				co.NameSpaces = map[string]map[string]any{}
				for ns, els := range c.NameSpaces() {
					co.NameSpaces[ns] = plainMap(els)
				}
			}
			out.Credentials = append(out.Credentials, co)
		}
		return printJSON(w, out)
	}
	fmt.Fprintf(w, "verified presentation %d (%s)\n", n, p.name())
	for i, c := range creds {
		from := c.Issuer()
		if c.IssuerName() != "" && c.IssuerName() != c.Issuer() {
			from = fmt.Sprintf("%s <%s>", c.IssuerName(), c.Issuer())
		}
		status := "no status reference"
		switch statusWord(c, noStatus) {
		case "NONE":
		case "NOT_CHECKED":
			status = "status not checked"
		default:
			status = fmt.Sprintf("status %v (list issued %v ago)", c.Status().Status, c.StatusAge().Round(time.Second))
		}
		fmt.Fprintf(w, "  credential %d: %s (%s) from %s, %s\n", i+1, c.Type(), c.Format(), from, status)
		claims := c.Claims()
		if c.Format() == credential.FormatMdoc {
			// The doctype's own namespace unprefixed, others by name.
			claims = plainMap(c.NameSpaces()[c.Type()])
			for ns, els := range c.NameSpaces() {
				if ns != c.Type() {
					claims[ns] = plainMap(els)
				}
			}
		}
		printClaims(w, "    ", claims)
	}
	return nil
}

// statusWord says what became of a credential's status: VALID (checked),
// NOT_CHECKED (--no-status) or NONE (no status reference: with status
// checking on, the verifier leaves Status nil only for those).
func statusWord(c *verifier.Credential, noStatus bool) string {
	switch {
	case c.Status() != nil:
		return c.Status().Status.String()
	case noStatus:
		return "NOT_CHECKED"
	}
	return "NONE"
}

// plainMap is plainValue over a map of claims or mdoc elements.
func plainMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = plainValue(v)
	}
	return out
}
