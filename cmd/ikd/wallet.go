package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/qr/qrcode"
	"github.com/ikdkit/ikdkit/credential/qr/request"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

const walletHelp = `usage: ikd wallet <command> [--wallet DIR] [flags]

A PIN-protected wallet (package holder) in the directory DIR (--wallet,
default ./ikd-wallet): one encrypted SQLite file.

Commands:
  init          create the wallet and its device key; print the device public key
  activate      receive credentials from an issuer's credential offer (OpenID4VCI)
  import        verify and store an SD-JWT VC or mdoc
  list          list the stored credentials
  show          show one credential's claims
  present       answer a verifier: the response QR text (and PNG)
  vp            answer an online verifier's openid4vp:// request (OpenID4VP)
  refresh       top up the one-time copies of credentials from their issuer
  history       the activity log (imports, presentations, refusals, withdrawals)
  grants        list login grants: which relying party keeps access, until when
  revoke-grant  withdraw a login grant at its login provider
  change-pin    change the PIN

The PIN is read from the IKD_PIN environment variable if set, else from the
first line of stdin; change-pin reads the new PIN from IKD_NEW_PIN, else
from the next line of stdin. When an input file is - (stdin), it follows the
PIN line(s). PINs are never echoed. A PIN is 6 to 16 digits; after 3 wrong
PINs in a row attempts are delayed, after 10 the wallet is wiped.

Run "ikd wallet <command> --help" for its flags and an example.

Example:
  export IKD_PIN=135790
  ikd wallet init --pub device.jwk.json
  ikd wallet import --trust issuer.jwk.json ktp.sdjwt
  ikd wallet list
`

const walletInitHelp = `usage: ikd wallet init [--wallet DIR] [--pub FILE]

Creates a wallet protected by the PIN (IKD_PIN or the first line of stdin)
in DIR and its device key (ECDSA P-256), the key credentials are bound to.
The device public key (JWK) goes to --pub, or to stdout; give it to
"ikd issue --holder" to issue a credential to this wallet. Refuses to
overwrite an existing wallet.

Example:
  echo 135790 | ikd wallet init --wallet w --pub device.jwk.json
`

const walletImportHelp = `usage: ikd wallet import [--wallet DIR] --trust T [--operator-key FILE] FILE

Verifies a credential and stores it. FILE (or - for stdin, after the PIN
line) holds an SD-JWT VC (compact text, as "ikd issue" writes it) or an
mdoc IssuerSigned structure (CBOR, or its base64url text); the format is
detected. The issuer signature must verify with --trust, given as for
"ikd verify": one issuer JWK or PEM public key or did:key (SD-JWT VC; the
key is pinned whatever the iss), PEM certificates (IACA roots, for mdocs),
or a signed trust list with --operator-key (which also checks the issuer
may issue the type). The credential must be bound to this wallet's device
key and currently valid. Files are at most 1 MiB.

Example:
  ikd wallet import --trust issuer.jwk.json ktp.sdjwt
  ikd wallet import --trust iaca.pem ktp.mdoc
`

const walletActivateHelp = `usage: ikd wallet activate [--wallet DIR] --offer LINK|@FILE [--tx-code CODE]
                           --trust T [--operator-key FILE] [--timeout DURATION]

Activates the wallet with a credential offer (OpenID4VCI 1.0, pre-authorized
code flow): the openid-credential-offer:// link of the QR code the service
desk shows, as --offer LINK or read from a file with --offer @FILE (at most
64 KiB). The wallet fetches the offer when it is by reference, and the
issuer's metadata, over https (plain http to a loopback address only); asks
for the transaction code the offer needs (the activation PIN the issuer sent
by e-mail) from --tx-code, else at a prompt that does not echo it, else from
the next line of stdin after the PIN; redeems the offer; and receives every
offered credential bound to the wallet's device key. Each credential is
verified with --trust (as for "ikd wallet import") before anything is
stored: all are stored or none, and the issuer is told which. Each request
has --timeout (default 30s).

Example:
  ikd wallet activate --offer @offer.txt --tx-code 482913 \
      --trust issuer.jwk.json --trust iaca.pem
`

const walletListHelp = `usage: ikd wallet list [--wallet DIR] [--json]

Lists the stored credentials: id, type, format, issuer, expiry, and the
one-time copies left of all it holds (COPIES: left/held; each copy has its
own device key and issuer signature, and a presentation spends one; see
"ikd wallet present").

Example:
  IKD_PIN=135790 ikd wallet list --json
`

const walletShowHelp = `usage: ikd wallet show [--wallet DIR] [--json] ID

Shows the credential ID (from "ikd wallet list"): its type, issuer and
validity, and its claims as verified at import (SD-JWT VC claims, or mdoc
elements by namespace) as a table or --json.

Example:
  IKD_PIN=135790 ikd wallet show --json c-1
`

const walletPresentHelp = `usage: ikd wallet present [--wallet DIR] --request FILE --verifiers TRUSTLIST --operator-key FILE
                          [--yes] [--reuse] [--png FILE] [--out FILE]
       ikd wallet present [--wallet DIR] --claims a,b,c --aud AUD [--type TYPE] [--nonce N]
                          [--yes] [--reuse] [--png FILE] [--out FILE]

Answers a verifier with the offline response QR (valid 90 seconds). The
request is either a verifier's signed request QR (--request: its text or a
PNG/JPEG image, a file or - for stdin after the PIN line), checked against
the registered verifiers of the signed trust list --verifiers (with the
operator's key --operator-key); or built here: the claims --claims of the
credential type --type (its name as "ikd wallet list" shows it, such as
KTP-el, NPWP or "QR KTP-el", which means the SD-JWT VC when the wallet holds
both formats; or a vct or an mdoc doctype; default KTP-el) for the verifier --aud, with the verifier's nonce --nonce (base64url,
8 to 32 bytes; none: the one-way flow with a fresh nonce).

Each credential is held as a batch of one-time copies. A presentation
uses a copy never presented before and spends it (or, for a credential
whose policy is per verifier, the copy this verifier got before), so two
verifiers cannot link their presentations. When no such copy is left the
command shares nothing and exits 1, unless --reuse consents to presenting
a spent copy again (which verifiers who compare notes can link).

Consent is explicit: without --yes nothing is shared; the command prints
who asks and exactly which claim values would be shared, records the
refusal in the history and exits 1 ("consent refused"). With --yes it
writes the response QR payload to stdout (or --out) byte for byte, as a
scanner reads it, and the consent summary to stderr; --png writes the QR
image. A response too large for one QR code is a frame sequence, written
as FILE-1, FILE-2, ... for --out and --png (or as lines on stdout when the
frames are text).

Example:
  IKD_PIN=135790 ikd wallet present --aud https://bank.example.co.id \
      --claims personal_administrative_number,given_name,birthdate --yes --png qr.png > qr.txt
  ikd verify --trust issuer.jwk.json --aud https://bank.example.co.id --status status-list.jwt qr.txt
`

const walletRefreshHelp = `usage: ikd wallet refresh [--wallet DIR] --trust T [--operator-key FILE] [--timeout DURATION] [ID...]

Tops up the one-time copies of the credentials ID (default: every
credential whose copies left are at or below the refresh threshold, 2)
from their issuer over OpenID4VCI 1.0, with the refresh token the issuer
gave at activation (grant_type refresh_token, DPoP-bound when the first
token was): new copies, each with a new device key, replace the spent
ones, which are deleted. Each new copy is verified with --trust as for
"ikd wallet import" before anything changes. A credential the issuer no
longer refreshes (the phone reported lost, the NIK activated on another
phone) or that came without a refresh token (imported) needs a new
activation. Each request has --timeout (default 30s).

Example:
  ikd wallet refresh --trust issuer.jwk.json --trust iaca.pem
`

const walletHistoryHelp = `usage: ikd wallet history [--wallet DIR] [--json]

Prints the activity log, oldest first: activations, imports, presentations,
refused consents and withdrawn grants, with whom, which credentials and
which claim names (never values).

Example:
  IKD_PIN=135790 ikd wallet history --json
`

const walletChangePINHelp = `usage: ikd wallet change-pin [--wallet DIR]

Changes the PIN: the current PIN from IKD_PIN or the first line of stdin,
the new one from IKD_NEW_PIN or the next line of stdin.

Example:
  printf '135790\n246801\n' | ikd wallet change-pin
`

// defaultWalletDir is the wallet directory when --wallet is not given.
const defaultWalletDir = "ikd-wallet"

// maxCredentialInput caps a credential read by import: one sealed wallet
// record (holder.MaxRecordSize).
const maxCredentialInput = holder.MaxRecordSize

// maxPINLine caps the stdin line a PIN is read from.
const maxPINLine = 64

func walletCmd(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("want a subcommand: init, activate, import, list, show, present, vp, refresh, history, grants, revoke-grant or change-pin")
	}
	subs := map[string]struct {
		help string
		run  func(ctx context.Context, ws *walletSession, args []string) error
	}{
		"init":         {walletInitHelp, walletInit},
		"activate":     {walletActivateHelp, walletActivate},
		"import":       {walletImportHelp, walletImport},
		"list":         {walletListHelp, walletList},
		"show":         {walletShowHelp, walletShow},
		"present":      {walletPresentHelp, walletPresent},
		"vp":           {walletVPHelp, walletVP},
		"refresh":      {walletRefreshHelp, walletRefresh},
		"history":      {walletHistoryHelp, walletHistory},
		"grants":       {walletGrantsHelp, walletGrants},
		"revoke-grant": {walletRevokeGrantHelp, walletRevokeGrant},
		"change-pin":   {walletChangePINHelp, walletChangePIN},
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, walletHelp)
		return errHelp
	}
	sub, ok := subs[args[0]]
	if !ok {
		return usagef("unknown subcommand %q: want init, activate, import, list, show, present, vp, refresh, history, grants, revoke-grant or change-pin", args[0])
	}
	ws := &walletSession{e: e, fs: newFlagSet("wallet "+args[0], sub.help, e)}
	ws.fs.StringVar(&ws.dir, "wallet", defaultWalletDir, "")
	err := sub.run(ctx, ws, args[1:])
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return err
	case errors.As(err, &ue):
		return usagef("%s: %s", args[0], ue.msg)
	}
	return &subError{msg: args[0] + ": " + describe(err), err: err}
}

// subError names the wallet subcommand that failed; it unwraps to the
// cause.
type subError struct {
	msg string
	err error
}

func (e *subError) Error() string { return e.msg }
func (e *subError) Unwrap() error { return e.err }

// describe words a holder error without its package and operation
// prefixes ("holder: present: holder: no credential matches ..." becomes
// "no credential matches ..."); other errors are kept as they are.
func describe(err error) string {
	var he *holder.Error
	if !errors.As(err, &he) || he.Error() != err.Error() {
		return err.Error()
	}
	s := strings.TrimPrefix(he.Err.Error(), "holder: ")
	if he.Detail != "" {
		s += ": " + he.Detail
	}
	if he.Cause != nil {
		s += ": " + he.Cause.Error()
	}
	return s
}

// walletSession is one wallet command: its flags, stdin (PIN lines, then
// input) and the open wallet.
type walletSession struct {
	e   *env
	fs  *flag.FlagSet
	dir string
	in  *bufio.Reader
	w   *holder.Wallet
}

// lookupEnv reads an environment variable through the injected env.
func (e *env) lookupEnv(name string) string {
	if e.getenv == nil {
		return ""
	}
	return e.getenv(name)
}

// stdin is the command's stdin, shared by PIN lines and "-" inputs.
func (ws *walletSession) stdin() *bufio.Reader {
	if ws.in == nil {
		ws.in = bufio.NewReader(ws.e.stdin)
	}
	return ws.in
}

// pin reads a PIN from the environment variable name, else the next line
// of stdin. The PIN is never echoed; only its form is checked here.
func (ws *walletSession) pin(name, what string) (string, error) {
	if p := ws.e.lookupEnv(name); p != "" {
		return p, checkPINForm(p, name)
	}
	if ws.e.readSecret != nil {
		// stdin is a terminal: prompt, and do not echo the PIN.
		p, err := ws.e.readSecret("ikd wallet: " + what + ": ")
		if err != nil {
			return "", err
		}
		if p == "" {
			return "", usagef("no %s: set %s or type it at the prompt", what, name)
		}
		return p, checkPINForm(p, "the "+what)
	}
	p, err := ws.readLine(what, maxPINLine)
	if err != nil {
		return "", err
	}
	if p == "" {
		return "", usagef("no %s: set %s or give it on a line of stdin", what, name)
	}
	return p, checkPINForm(p, "the "+what+" on stdin")
}

// readLine reads the next line of stdin, without its line end, of at most
// limit bytes.
func (ws *walletSession) readLine(what string, limit int) (string, error) {
	var line []byte
	r := ws.stdin()
	for {
		b, err := r.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("reading the %s from stdin: %w", what, err)
		}
		if b == '\n' {
			break
		}
		if len(line) >= limit {
			return "", usagef("the %s line on stdin is longer than %d bytes", what, limit)
		}
		line = append(line, b)
	}
	return strings.TrimRight(string(line), "\r"), nil
}

// checkPINForm checks a PIN's form (holder's rule: 6 to 16 decimal
// digits) without echoing it.
func checkPINForm(p, where string) error {
	ok := len(p) >= holder.MinPINLength && len(p) <= holder.MaxPINLength
	for i := 0; ok && i < len(p); i++ {
		ok = p[i] >= '0' && p[i] <= '9'
	}
	if !ok {
		return usagef("%s: a PIN is %d to %d decimal digits", where, holder.MinPINLength, holder.MaxPINLength)
	}
	return nil
}

// options are the wallet options of the CLI: the injected KDF and clock.
func (ws *walletSession) options(trust holder.IssuerTrust) holder.Options {
	return holder.Options{KDF: ws.e.kdf, Now: ws.e.now, Trust: trust}
}

// open opens and unlocks the wallet with the PIN.
func (ws *walletSession) open(ctx context.Context, trust holder.IssuerTrust) error {
	if !holder.Exists(ws.dir) {
		return fmt.Errorf("no wallet in %s (create one with \"ikd wallet init\")", ws.dir)
	}
	pin, err := ws.pin("IKD_PIN", "PIN")
	if err != nil {
		return err
	}
	w, err := holder.Open(ctx, ws.dir, ws.options(trust))
	if err != nil {
		return walletError(ws.dir, err)
	}
	if err := w.Unlock(ctx, pin); err != nil {
		w.Close()
		return walletError(ws.dir, err)
	}
	ws.w = w
	return nil
}

func (ws *walletSession) close() {
	if ws.w != nil {
		ws.w.Close()
	}
}

// walletError makes the PIN errors read well; others pass through.
func walletError(dir string, err error) error {
	var he *holder.Error
	switch {
	case errors.Is(err, holder.ErrWrongPIN) && errors.As(err, &he):
		return fmt.Errorf("wrong PIN: %d attempt(s) left before the wallet is wiped", he.AttemptsLeft)
	case errors.Is(err, holder.ErrPINDelay) && errors.As(err, &he):
		return fmt.Errorf("too many wrong PINs: try again after %s", he.RetryAfter.UTC().Format(time.RFC3339))
	case errors.Is(err, holder.ErrWiped):
		return fmt.Errorf("wrong PIN: too many wrong PINs, the wallet in %s was wiped", dir)
	case errors.Is(err, holder.ErrNoWallet):
		return fmt.Errorf("no wallet in %s (create one with \"ikd wallet init\")", dir)
	}
	return err
}

func walletInit(ctx context.Context, ws *walletSession, args []string) error {
	pubOut := ws.fs.String("pub", "", "")
	if _, err := parseFlags(ws.fs, args, 0); err != nil {
		return err
	}
	if holder.Exists(ws.dir) {
		return fmt.Errorf("a wallet already exists in %s", ws.dir)
	}
	pin, err := ws.pin("IKD_PIN", "PIN")
	if err != nil {
		return err
	}
	w, err := holder.Create(ctx, ws.dir, pin, ws.options(nil))
	if err != nil {
		return walletError(ws.dir, err)
	}
	defer w.Close()
	dk, err := w.CreateDeviceKey(ctx)
	if err != nil {
		return err
	}
	pub, err := keys.MarshalPublicJWK(dk.Public())
	if err != nil {
		return err
	}
	if *pubOut != "" {
		if err := os.WriteFile(*pubOut, append(pub, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(ws.e.stdout, "created wallet %s; device key written to %s\n", ws.dir, *pubOut)
		return nil
	}
	_, err = fmt.Fprintf(ws.e.stdout, "%s\n", bytes.TrimSpace(pub))
	return err
}

// walletTrust reads --trust / --operator-key into the wallet's view of
// trusted issuers.
func walletTrust(args []string, opKey string, now func() time.Time) (holder.IssuerTrust, error) {
	if len(args) == 0 {
		return nil, usagef("--trust is required")
	}
	ts, err := loadTrust(args, opKey, now)
	if err != nil {
		return nil, err
	}
	if ts.list != nil {
		return holder.TrustList(ts.list), nil
	}
	if len(ts.keys) > 1 {
		return nil, usagef("--trust: give one issuer key (or a signed trust list for several issuers)")
	}
	var pool *x509.CertPool
	if len(ts.roots) > 0 {
		pool = x509Pool(ts.roots...)
	}
	var key crypto.PublicKey
	if len(ts.keys) == 1 {
		key = ts.keys[0].pub
	}
	if key == nil && pool == nil {
		return nil, usagef("--trust: no issuer key or IACA root (CA certificate) given")
	}
	return pinnedTrust{key: key, roots: pool}, nil
}

// pinnedTrust is the trust "ikd wallet import --trust KEY" gives: one
// SD-JWT VC issuer key, pinned whatever the credential's iss says, and IACA
// roots. holder.StaticTrust needs the issuer identifier up front, which a
// bare key file does not name.
type pinnedTrust struct {
	key   crypto.PublicKey
	roots *x509.CertPool
}

var _ holder.IssuerTrust = pinnedTrust{}

// ResolveIssuerKey returns the pinned key.
func (p pinnedTrust) ResolveIssuerKey(sdjwt.IssuerKeyInfo) (crypto.PublicKey, error) {
	if p.key == nil {
		return nil, errors.New("no SD-JWT VC issuer key given (--trust)")
	}
	return p.key, nil
}

// MdocRoots returns the IACA roots.
func (p pinnedTrust) MdocRoots() *x509.CertPool { return p.roots }

func walletImport(ctx context.Context, ws *walletSession, args []string) error {
	var trustArgs multiFlag
	ws.fs.Var(&trustArgs, "trust", "")
	opKey := ws.fs.String("operator-key", "", "")
	pos, err := parseFlags(ws.fs, args, 1)
	if err != nil {
		return err
	}
	trust, err := walletTrust(trustArgs, *opKey, ws.e.now)
	if err != nil {
		return err
	}
	if err := ws.open(ctx, trust); err != nil {
		return err
	}
	defer ws.close()
	var data []byte
	if pos[0] == "-" {
		data, err = readCapped(ws.stdin(), "stdin", maxCredentialInput)
	} else {
		data, err = readFileCapped(pos[0], maxCredentialInput)
	}
	if err != nil {
		return err
	}
	format, raw, err := detectCredential(data)
	if err != nil {
		return err
	}
	c, err := ws.w.Import(ctx, format, raw)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(ws.e.stdout, "imported %s: %s (%s) from %s, expires %s\n", c.ID, c.Name, c.Format, c.Issuer, fmtTime(c.ExpiresAt))
	return err
}

// detectCredential tells an SD-JWT VC from an mdoc IssuerSigned (CBOR or
// base64url text).
func detectCredential(data []byte) (credential.Format, []byte, error) {
	if len(data) > 0 && data[0]>>5 == 5 { // CBOR major type 5: a map (IssuerSigned)
		return credential.FormatMdoc, data, nil
	}
	t := bytes.TrimSpace(data)
	switch {
	case len(t) == 0:
		return "", nil, errors.New("the credential file is empty")
	case bytes.HasPrefix(t, []byte("ey")) && bytes.Contains(t, []byte("~")):
		return credential.FormatSDJWT, t, nil
	}
	if raw, err := b64url(string(t)); err == nil && len(raw) > 0 && raw[0]>>5 == 5 {
		return credential.FormatMdoc, raw, nil
	}
	return "", nil, errors.New("the credential is neither an SD-JWT VC nor an mdoc IssuerSigned (CBOR or base64url)")
}

func walletActivate(ctx context.Context, ws *walletSession, args []string) error {
	var trustArgs multiFlag
	ws.fs.Var(&trustArgs, "trust", "")
	opKey := ws.fs.String("operator-key", "", "")
	offerArg := ws.fs.String("offer", "", "")
	txCodeArg := ws.fs.String("tx-code", "", "")
	timeout := ws.fs.Duration("timeout", 30*time.Second, "")
	if _, err := parseFlags(ws.fs, args, 0); err != nil {
		return err
	}
	if *offerArg == "" {
		return usagef("--offer is required: the openid-credential-offer:// link, or @FILE")
	}
	if *timeout <= 0 || *timeout > 10*time.Minute {
		return usagef("--timeout: want a positive duration up to 10m")
	}
	offer := *offerArg
	if name, ok := strings.CutPrefix(offer, "@"); ok {
		b, err := readFileCapped(name, oid4vci.MaxOfferLinkSize)
		if err != nil {
			return err
		}
		offer = string(bytes.TrimSpace(b))
	}
	trust, err := walletTrust(trustArgs, *opKey, ws.e.now)
	if err != nil {
		return err
	}
	if err := ws.open(ctx, trust); err != nil {
		return err
	}
	defer ws.close()
	r, err := ws.w.ReceiveOffer(ctx, offer, holder.ReceiveOptions{
		HTTPClient: &http.Client{Timeout: *timeout, Transport: ws.e.transport},
		TxCode: func(ctx context.Context, req holder.TxCodeRequest) (string, error) {
			if *txCodeArg != "" {
				return *txCodeArg, nil
			}
			return ws.txCode(req)
		},
	})
	if err != nil {
		return err
	}
	for _, c := range r.Credentials {
		fmt.Fprintf(ws.e.stdout, "imported %s: %s (%s) from %s, expires %s, %d one-time copies\n", c.ID, c.Name, c.Format, c.Issuer, fmtTime(c.ExpiresAt), len(c.Copies))
	}
	if r.NotificationErr != nil {
		fmt.Fprintf(ws.e.stderr, "ikd wallet: activate: the credentials are stored, but the issuer did not take the notification: %s\n", describe(r.NotificationErr))
	}
	return nil
}

// txCode asks for the transaction code of an offer: when stdin is a
// terminal, at a prompt that does not echo it, after a line on stderr
// saying who asks and what the issuer wrote (without control characters);
// else on the next line of stdin, silently, as the PIN is read.
func (ws *walletSession) txCode(req holder.TxCodeRequest) (string, error) {
	var code string
	var err error
	if ws.e.readSecret != nil {
		who := req.Issuer
		if req.IssuerName != "" {
			who = req.IssuerName + " (" + req.Issuer + ")"
		}
		msg := "ikd wallet: " + printable(who, 200) + " asks for a transaction code"
		if req.Description != "" {
			msg += ": " + printable(req.Description, oid4vci.MaxTxCodeDescription)
		}
		if req.Length > 0 {
			kind := "characters"
			if req.InputMode == oid4vci.InputModeNumeric {
				kind = "digits"
			}
			msg += fmt.Sprintf(" (%d %s)", req.Length, kind)
		}
		fmt.Fprintln(ws.e.stderr, msg)
		code, err = ws.e.readSecret("ikd wallet: transaction code: ")
	} else {
		code, err = ws.readLine("transaction code", 4*oid4vci.MaxTxCodeLength)
	}
	if err != nil {
		return "", err
	}
	if code == "" {
		return "", errors.New("no transaction code: give --tx-code, or type it")
	}
	return code, nil
}

// printable keeps at most n runes of s, with control and other
// non-printable characters (a hostile issuer's terminal escapes) dropped.
func printable(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if n == 0 {
			b.WriteString("...")
			break
		}
		if unicode.IsPrint(r) {
			b.WriteRune(r)
			n--
		}
	}
	return b.String()
}

// credentialJSON is a credential as list and show print it.
type credentialJSON struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Format     credential.Format `json:"format"`
	VCT        string            `json:"vct,omitempty"`
	DocType    string            `json:"doctype,omitempty"`
	Issuer     string            `json:"issuer"`
	ImportedAt time.Time         `json:"imported_at"`
	ExpiresAt  time.Time         `json:"expires_at"`
	Policy     holder.UsePolicy  `json:"policy"`
	CopiesLeft int               `json:"copies_left"`
	Copies     int               `json:"copies"`
	Claims     map[string]any    `json:"claims,omitempty"`
}

func toJSON(c *holder.Credential) credentialJSON {
	return credentialJSON{ID: c.ID, Name: c.Name, Format: c.Format, VCT: c.VCT, DocType: c.DocType, Issuer: c.Issuer,
		ImportedAt: c.ImportedAt.UTC(), ExpiresAt: c.ExpiresAt.UTC(), Policy: c.Policy, CopiesLeft: c.CopiesLeft(), Copies: len(c.Copies)}
}

// copies words a credential's copies left, held and its policy.
func copies(c *holder.Credential) string {
	s := fmt.Sprintf("%d of %d left, used %s", c.CopiesLeft(), len(c.Copies), policyName(c.Policy))
	switch {
	case c.NeedsRefresh() && c.Refreshable:
		s += " (needs a refresh)"
	case c.NeedsRefresh():
		s += " (running low: activate again for new copies)"
	}
	return s
}

func policyName(p holder.UsePolicy) string {
	if p == holder.UsePerVerifier {
		return "one per verifier"
	}
	return "once each"
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func walletList(ctx context.Context, ws *walletSession, args []string) error {
	asJSON := ws.fs.Bool("json", false, "")
	if _, err := parseFlags(ws.fs, args, 0); err != nil {
		return err
	}
	if err := ws.open(ctx, nil); err != nil {
		return err
	}
	defer ws.close()
	creds, err := ws.w.Credentials(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]credentialJSON, 0, len(creds))
		for _, c := range creds {
			out = append(out, toJSON(c))
		}
		return printJSON(ws.e.stdout, out)
	}
	if len(creds) == 0 {
		_, err := fmt.Fprintln(ws.e.stdout, "no credentials")
		return err
	}
	tw := tabwriter.NewWriter(ws.e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTYPE\tFORMAT\tISSUER\tEXPIRES\tCOPIES")
	for _, c := range creds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d/%d\n", c.ID, c.Name, c.Format, c.Issuer, fmtTime(c.ExpiresAt), c.CopiesLeft(), len(c.Copies))
	}
	return tw.Flush()
}

func walletShow(ctx context.Context, ws *walletSession, args []string) error {
	asJSON := ws.fs.Bool("json", false, "")
	pos, err := parseFlags(ws.fs, args, 1)
	if err != nil {
		return err
	}
	if err := ws.open(ctx, nil); err != nil {
		return err
	}
	defer ws.close()
	c, err := ws.w.Credential(ctx, pos[0])
	if err != nil {
		if errors.Is(err, holder.ErrNotFound) {
			return fmt.Errorf("no credential %q in the wallet (see \"ikd wallet list\")", pos[0])
		}
		return err
	}
	claims := c.Claims()
	if c.Format == credential.FormatMdoc {
		claims = map[string]any{}
		for ns, els := range c.Elements() {
			m := map[string]any{}
			for k, v := range els {
				m[k] = plainValue(v)
			}
			claims[ns] = m
		}
	}
	if *asJSON {
		j := toJSON(c)
		j.Claims = claims
		return printJSON(ws.e.stdout, j)
	}
	w := ws.e.stdout
	fmt.Fprintf(w, "id        %s\ntype      %s\nformat    %s\n", c.ID, c.Name, c.Format)
	if c.VCT != "" {
		fmt.Fprintf(w, "vct       %s\n", c.VCT)
	}
	if c.DocType != "" {
		fmt.Fprintf(w, "doctype   %s\n", c.DocType)
	}
	fmt.Fprintf(w, "issuer    %s\nimported  %s\nexpires   %s\ncopies    %s\nclaims:\n", c.Issuer, fmtTime(c.ImportedAt), fmtTime(c.ExpiresAt), copies(c))
	printClaims(w, "  ", claims)
	return nil
}

// plainValue turns a CBOR-decoded mdoc value into a JSON-friendly one:
// full-date (tag 1004) and tdate (tag 0) become their text, maps get
// string keys.
func plainValue(v any) any {
	switch x := v.(type) {
	case cbor.Tag:
		if s, ok := x.Content.(string); ok && (x.Number == 1004 || x.Number == 0) {
			return s
		}
		return map[string]any{"tag": x.Number, "value": plainValue(x.Content)}
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, el := range x {
			m[fmt.Sprint(k)] = plainValue(el)
		}
		return m
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, el := range x {
			m[k] = plainValue(el)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, el := range x {
			a[i] = plainValue(el)
		}
		return a
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	}
	return v
}

func walletPresent(ctx context.Context, ws *walletSession, args []string) error {
	reqFile := ws.fs.String("request", "", "")
	verifiers := ws.fs.String("verifiers", "", "")
	opKey := ws.fs.String("operator-key", "", "")
	claimList := ws.fs.String("claims", "", "")
	aud := ws.fs.String("aud", "", "")
	typ := ws.fs.String("type", "KTP-el", "")
	nonceArg := ws.fs.String("nonce", "", "")
	yes := ws.fs.Bool("yes", false, "")
	reuse := ws.fs.Bool("reuse", false, "")
	pngOut := ws.fs.String("png", "", "")
	out := ws.fs.String("out", "", "")
	if _, err := parseFlags(ws.fs, args, 0); err != nil {
		return err
	}
	var req *holder.Request
	var lookup request.VerifierLookup
	switch {
	case *reqFile != "" && (*claimList != "" || *aud != "" || *nonceArg != ""):
		return usagef("give either --request or --claims/--aud/--nonce, not both")
	case *reqFile != "":
		if *verifiers == "" || *opKey == "" {
			return usagef("--request needs --verifiers (a signed trust list) and --operator-key")
		}
		ts, err := loadTrust([]string{*verifiers}, *opKey, ws.e.now)
		if err != nil {
			return err
		}
		if ts.list == nil {
			return usagef("--verifiers: want a signed trust list")
		}
		lookup = request.TrustListVerifiers(ts.list)
	case *claimList == "" || *aud == "":
		return usagef("give --request, or --claims and --aud")
	default:
		req = &holder.Request{Verifier: *aud}
		item := holder.RequestItem{Type: *typ} // resolved once the wallet is open
		for _, c := range strings.Split(*claimList, ",") {
			if c = strings.TrimSpace(c); c == "" {
				return usagef("--claims: empty claim name")
			}
			item.Claims = append(item.Claims, c)
		}
		req.Items = []holder.RequestItem{item}
		if *nonceArg != "" {
			n, err := b64url(*nonceArg)
			if err != nil || len(n) < qr.MinNonceSize || len(n) > qr.MaxNonceSize {
				return usagef("--nonce: want %d to %d bytes in base64url", qr.MinNonceSize, qr.MaxNonceSize)
			}
			req.Nonce = n
		}
	}
	if err := ws.open(ctx, nil); err != nil {
		return err
	}
	defer ws.close()
	if req != nil {
		t, err := walletType(ctx, ws.w, *typ)
		if err != nil {
			return err
		}
		req.Items[0].Type = t
	}
	if lookup != nil {
		var data []byte
		var err error
		if *reqFile == "-" {
			data, err = readCapped(ws.stdin(), "stdin", maxInput)
		} else {
			data, err = readFile(*reqFile)
		}
		if err != nil {
			return err
		}
		switch classify(data) {
		case "image":
			if data, err = qrcode.ScanImage(bytes.NewReader(data)); err != nil {
				return fmt.Errorf("reading the request QR image: %w", err)
			}
		default:
			data = bytes.TrimSpace(data)
		}
		if req, err = ws.w.ReadRequestQR(ctx, data, lookup); err != nil {
			return err
		}
	}
	var summary bytes.Buffer
	consent := func(_ context.Context, r holder.ConsentRequest) (bool, error) {
		writeConsent(&summary, r, *yes)
		return *yes, nil
	}
	reused := func(_ context.Context, r holder.ReuseRequest) (bool, error) {
		if *reuse {
			fmt.Fprintf(&summary, "reusing copy %d of %s (%s), presented before to %s: verifiers who compare notes can link these presentations\n",
				r.Copy, r.Name, r.Format, strings.Join(r.GivenTo, ", "))
		}
		return *reuse, nil
	}
	pres, err := ws.w.Present(ctx, req, holder.PresentOptions{Consent: consent, ReuseSpentCopy: reused})
	if errors.Is(err, holder.ErrConsentRefused) && !*yes {
		ws.e.stdout.Write(summary.Bytes())
		return errors.New("consent refused: nothing shared (give --yes to share the claims above)")
	}
	if errors.Is(err, holder.ErrNoCopyLeft) {
		var he *holder.Error
		errors.As(err, &he)
		name, _, _ := strings.Cut(he.Detail, ": ")
		return fmt.Errorf("nothing shared: every copy of %s was presented (give --reuse to present one again, which verifiers who compare notes can link)", name)
	}
	if err != nil {
		return err
	}
	ws.e.stderr.Write(summary.Bytes())
	fmt.Fprintf(ws.e.stderr, "shared; the response QR is valid until %s\n", fmtTime(pres.ExpiresAt))
	if *pngOut != "" {
		for i, c := range pres.Codes {
			img, err := qrcode.PNG(c, 4)
			if err != nil {
				return err
			}
			if err := os.WriteFile(numbered(*pngOut, i, len(pres.Codes)), img, 0o644); err != nil {
				return err
			}
		}
	}
	// One code: its payload byte for byte (as "ikd qr decode" gives it and
	// "ikd verify" reads it). Several: one file each, or lines on stdout
	// when they are all text.
	if len(pres.Codes) == 1 {
		return writeOut(ws.e, *out, pres.Codes[0].Data, 0o644)
	}
	var text []byte
	for i, c := range pres.Codes {
		if *out != "" {
			if err := os.WriteFile(numbered(*out, i, len(pres.Codes)), c.Data, 0o644); err != nil {
				return err
			}
			continue
		}
		if c.Mode != qr.Alphanumeric {
			return fmt.Errorf("the response needs %d QR codes with binary payloads: give --out FILE (written as FILE-1, FILE-2, ...)", len(pres.Codes))
		}
		text = append(append(text, c.Data...), '\n')
	}
	_, err = ws.e.stdout.Write(text)
	return err
}

// walletType resolves --type against the wallet's credentials: a vct or
// doctype one of them has, or the name "ikd wallet list" shows (any case),
// which means the SD-JWT VC's vct when the wallet holds the type in both
// formats, else the mdoc's doctype.
func walletType(ctx context.Context, w *holder.Wallet, typ string) (string, error) {
	creds, err := w.Credentials(ctx)
	if err != nil {
		return "", err
	}
	mdocType := ""
	for _, c := range creds {
		switch {
		case c.Format == credential.FormatSDJWT && c.VCT == typ, c.Format == credential.FormatMdoc && c.DocType == typ:
			return typ, nil
		case !strings.EqualFold(c.Name, typ):
		case c.Format == credential.FormatSDJWT:
			return c.VCT, nil
		default:
			mdocType = c.DocType
		}
	}
	if mdocType != "" {
		return mdocType, nil
	}
	return "", usagef("--type: no credential of type %q in the wallet (see \"ikd wallet list\")", typ)
}

// numbered names the i-th of n output files: name itself when n is 1,
// else name-1.ext, name-2.ext, ...
func numbered(name string, i, n int) string {
	if n == 1 {
		return name
	}
	ext := filepath.Ext(name)
	return fmt.Sprintf("%s-%d%s", strings.TrimSuffix(name, ext), i+1, ext)
}

// writeConsent prints what the consent screen shows.
func writeConsent(w io.Writer, r holder.ConsentRequest, yes bool) {
	who := r.Verifier + " (not verified: the request is not signed by a registered verifier)"
	if r.Verified {
		who = fmt.Sprintf("%q <%s> (registered in the trust list)", r.VerifierName, r.Verifier)
	}
	fmt.Fprintf(w, "verifier: %s\n", who)
	verb := "would share (not consented)"
	if yes {
		verb = "shares (consented with --yes)"
	}
	fmt.Fprintf(w, "%s, in a QR valid %s:\n", verb, r.ValidFor)
	for _, it := range r.Items {
		for _, c := range it.Claims {
			v := plainValue(c.Value)
			if b, ok := v.([]byte); ok {
				v = fmt.Sprintf("(%d bytes)", len(b))
			}
			fmt.Fprintf(w, "  %s (%s): %s = %v\n", it.Credential, it.Format, c.Name, v)
		}
	}
	for _, it := range r.Items {
		fmt.Fprintf(w, "copies of %s (%s) left afterwards: %d\n", it.Credential, it.Format, it.CopiesLeft)
	}
}

func walletRefresh(ctx context.Context, ws *walletSession, args []string) error {
	var trustArgs multiFlag
	ws.fs.Var(&trustArgs, "trust", "")
	opKey := ws.fs.String("operator-key", "", "")
	timeout := ws.fs.Duration("timeout", 30*time.Second, "")
	ids, err := parseFlags(ws.fs, args, -1)
	if err != nil {
		return err
	}
	if *timeout <= 0 || *timeout > 10*time.Minute {
		return usagef("--timeout: want a positive duration up to 10m")
	}
	trust, err := walletTrust(trustArgs, *opKey, ws.e.now)
	if err != nil {
		return err
	}
	if err := ws.open(ctx, trust); err != nil {
		return err
	}
	defer ws.close()
	if len(ids) == 0 {
		due, err := ws.w.CredentialsNeedingRefresh(ctx)
		if err != nil {
			return err
		}
		if len(due) == 0 {
			_, err := fmt.Fprintln(ws.e.stdout, "no credential needs a refresh")
			return err
		}
		for _, c := range due {
			ids = append(ids, c.ID)
		}
	}
	for _, id := range ids {
		c, err := ws.w.Refresh(ctx, id, holder.RefreshOptions{HTTPClient: &http.Client{Timeout: *timeout, Transport: ws.e.transport}})
		if errors.Is(err, holder.ErrNotFound) {
			return fmt.Errorf("no credential %q in the wallet (see \"ikd wallet list\")", id)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(ws.e.stdout, "refreshed %s: %s (%s), %d of %d copies left\n", c.ID, c.Name, c.Format, c.CopiesLeft(), len(c.Copies))
	}
	return nil
}

func walletHistory(ctx context.Context, ws *walletSession, args []string) error {
	asJSON := ws.fs.Bool("json", false, "")
	if _, err := parseFlags(ws.fs, args, 0); err != nil {
		return err
	}
	if err := ws.open(ctx, nil); err != nil {
		return err
	}
	defer ws.close()
	acts, err := ws.w.Activity(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		if acts == nil {
			acts = []holder.Activity{}
		}
		for i := range acts {
			acts[i].At = acts[i].At.UTC()
		}
		return printJSON(ws.e.stdout, acts)
	}
	if len(acts) == 0 {
		_, err := fmt.Fprintln(ws.e.stdout, "no activity")
		return err
	}
	tw := tabwriter.NewWriter(ws.e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tKIND\tWITH\tCREDENTIALS\tCLAIMS")
	for _, a := range acts {
		with := a.Counterparty
		if a.CounterpartyName != "" {
			with = fmt.Sprintf("%s <%s>", a.CounterpartyName, a.Counterparty)
		}
		if a.Kind == holder.ActivityPresentation || a.Kind == holder.ActivityConsentRefused {
			if a.Verified {
				with += " (verified)"
			} else {
				with += " (unverified)"
			}
		}
		claims := append([]string(nil), a.Claims...)
		sort.Strings(claims)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", fmtTime(a.At), a.Kind, dash(with), dash(strings.Join(a.Credentials, ", ")),
			dash(strings.Join(claims, ", ")))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func walletChangePIN(ctx context.Context, ws *walletSession, args []string) error {
	if _, err := parseFlags(ws.fs, args, 0); err != nil {
		return err
	}
	if !holder.Exists(ws.dir) {
		return fmt.Errorf("no wallet in %s (create one with \"ikd wallet init\")", ws.dir)
	}
	oldPIN, err := ws.pin("IKD_PIN", "PIN")
	if err != nil {
		return err
	}
	newPIN, err := ws.pin("IKD_NEW_PIN", "new PIN")
	if err != nil {
		return err
	}
	w, err := holder.Open(ctx, ws.dir, ws.options(nil))
	if err != nil {
		return walletError(ws.dir, err)
	}
	defer w.Close()
	if err := w.ChangePIN(ctx, oldPIN, newPIN); err != nil {
		return walletError(ws.dir, err)
	}
	_, err = fmt.Fprintln(ws.e.stdout, "PIN changed")
	return err
}

// readFileCapped reads a file of at most limit bytes.
func readFileCapped(name string, limit int) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCapped(f, name, limit)
}

// readCapped reads r to the end, refusing more than limit bytes.
func readCapped(r io.Reader, name string, limit int) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, limit)
	}
	return b, nil
}
