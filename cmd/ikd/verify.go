package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/didkey"
	"github.com/ikdkit/ikdkit/keys"
)

// maxInput caps any input file the CLI reads: the largest thing it reads
// is a trust list (trustlist.MaxTokenSize) or an image (qr.MaxImageSize).
const maxInput = qr.MaxImageSize

const verifyHelp = `usage: ikd verify --trust T [--trust T ...] [flags] INPUT [INPUT ...]

Verifies a presentation offline and prints the verified claims. INPUT is a
file, or - for stdin, holding one of:
  - the text of an ikdkit response QR (as a scanner gives it),
  - a PNG or JPEG image of such a QR code,
  - a compact SD-JWT VC presentation with a key-binding JWT,
  - a CBOR mdoc DeviceResponse (needs --session-transcript).
A response too large for one QR code comes as a sequence of frame QR codes
(ikd wallet present writes FILE-1, FILE-2, ...): give every frame, as text
or image, in any order.

Flags:
  --trust T                 trusted issuer key or root, repeatable: a JWK file, a file of
                            PEM certificates (IACA roots and document signers), a did:key,
                            or a signed trust list file (with --operator-key)
  --operator-key FILE       the trust-list operator's public key (JWK or PEM)
  --aud URI                 this verifier's identifier (KB-JWT aud / QR binding aud)
  --nonce N                 the expected KB-JWT nonce (SD-JWT); for QR the request
                            nonce in base64url (two-way flow)
  --at RFC3339              verification time (default: now); a KB-JWT or QR binding
                            older than 90 s at that time is refused
  --session-transcript FILE the CBOR SessionTranscript the mdoc was signed over
  --status FILE             a Status List Token (JWT) to check revocation against
  --json                    print the claims as JSON

Exit status 0 if the presentation verified, 1 if a check failed (the message
names it), 2 on a usage error.

Example:
  ikd verify --trust out/issuer.jwk.json --aud https://bank.example.co.id \
      --nonce "$(jq -r .nonce out/presentation-sdjwt.json)" out/presentation-sdjwt.txt
  ikd verify --trust out/iaca.pem --session-transcript out/session-transcript.cbor \
      out/device-response.cbor
`

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// trustSet is what --trust gave.
type trustSet struct {
	keys  []crypto.PublicKey
	roots []*x509.Certificate
	certs []*x509.Certificate // every certificate given, for DS chains
	list  *trustlist.List
}

func verifyCmd(_ context.Context, e *env, args []string) error {
	fs := newFlagSet("verify", verifyHelp, e)
	var trustArgs multiFlag
	fs.Var(&trustArgs, "trust", "")
	opKey := fs.String("operator-key", "", "")
	aud := fs.String("aud", "", "")
	nonce := fs.String("nonce", "", "")
	at := fs.String("at", "", "")
	stFile := fs.String("session-transcript", "", "")
	statusFile := fs.String("status", "", "")
	asJSON := fs.Bool("json", false, "")
	pos, err := parseFlags(fs, args, -1)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("want an INPUT")
	}
	if len(pos) > qr.MaxFrames {
		return usagef("%d inputs; a frame sequence has at most %d", len(pos), qr.MaxFrames)
	}
	if len(trustArgs) == 0 {
		return usagef("--trust is required")
	}
	now := e.now()
	if *at != "" {
		if now, err = time.Parse(time.RFC3339, *at); err != nil {
			return usagef("--at: want RFC 3339 time, got %q", *at)
		}
	}
	clock := func() time.Time { return now }
	ts, err := loadTrust(trustArgs, *opKey, clock)
	if err != nil {
		return err
	}
	// Read every input; QR images are scanned to their text.
	inputs := make([][]byte, len(pos))
	for i, name := range pos {
		if inputs[i], err = readInput(e, name); err != nil {
			return err
		}
		if classify(inputs[i]) == "image" {
			if inputs[i], err = qr.ScanImage(bytes.NewReader(inputs[i])); err != nil {
				return fmt.Errorf("reading the QR image %s: %w", name, err)
			}
		}
	}
	in := inputs[0]
	kind := classify(in)
	if len(inputs) > 1 || bytes.HasPrefix(in, []byte(frameMagic)) {
		kind = "frames"
	}
	var out []map[string]any
	switch kind {
	case "frames":
		if *aud == "" {
			return usagef("--aud is required for a QR")
		}
		var a qr.Assembler
		for i, b := range inputs {
			if _, err := a.Add(bytes.TrimSpace(b)); err != nil {
				return fmt.Errorf("QR frame %s: %w", pos[i], err)
			}
		}
		if m := a.Missing(); len(m) > 0 {
			return fmt.Errorf("QR frames %v of the sequence are missing", m)
		}
		opts, err := qrVerifyOptions(*aud, *nonce, clock, ts)
		if err != nil {
			return err
		}
		vps, err := a.Verify(opts)
		if err != nil {
			return err
		}
		if out, err = qrClaims(vps, *statusFile, ts, clock); err != nil {
			return err
		}
	case "qr":
		if *aud == "" {
			return usagef("--aud is required for a QR")
		}
		opts, err := qrVerifyOptions(*aud, *nonce, clock, ts)
		if err != nil {
			return err
		}
		vps, err := qr.Verify(in, opts)
		if err != nil {
			return err
		}
		if out, err = qrClaims(vps, *statusFile, ts, clock); err != nil {
			return err
		}
	case "sdjwt":
		if *aud == "" {
			return usagef("--aud is required for an SD-JWT VC presentation")
		}
		if ts.list == nil && len(ts.keys) == 0 {
			return errors.New("trust check failed: --trust gave no issuer key for an SD-JWT VC (want a JWK, PEM public key, did:key or trust list)")
		}
		o := ts.sdjwtOptions()
		o.Audience, o.Nonce, o.IgnoreNonce, o.Now = *aud, *nonce, *nonce == "", clock
		o.KeyBindingMaxAge = qr.FreshnessWindow // the 90-second window of the offline flow
		v, err := sdjwt.VerifyVC(strings.TrimSpace(string(in)), o)
		if err != nil {
			return err
		}
		if err := checkSDJWTStatus(v, *statusFile, ts, clock); err != nil {
			return err
		}
		out = append(out, v.Claims())
	case "mdoc":
		if *stFile == "" {
			return usagef("--session-transcript is required for an mdoc DeviceResponse")
		}
		st, err := readFile(*stFile)
		if err != nil {
			return err
		}
		vr, err := mdoc.Verify(in, mdoc.VerifyOptions{Roots: ts.rootPool(), SessionTranscript: st, Now: clock})
		if err != nil {
			return err
		}
		out = append(out, mdocClaims(vr))
	default:
		return fmt.Errorf("input is neither QR text, a QR image, an SD-JWT VC nor a CBOR DeviceResponse")
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if len(out) == 1 {
			return enc.Encode(out[0])
		}
		return enc.Encode(out)
	}
	for i, c := range out {
		fmt.Fprintf(e.stdout, "verified presentation %d:\n", i+1)
		printClaims(e.stdout, "  ", c)
	}
	return nil
}

// frameMagic starts the text of a frame QR (docs/qr-format.md).
const frameMagic = "IKF"

// qrVerifyOptions are the options of a response QR's verification.
func qrVerifyOptions(aud, nonce string, clock func() time.Time, ts *trustSet) (qr.VerifyOptions, error) {
	opts := qr.VerifyOptions{Audience: aud, Now: clock, SDJWT: ts.sdjwtOptions(), Mdoc: mdoc.VerifyOptions{Roots: ts.rootPool()},
		DocumentSigners: qr.StaticChains(chains(ts)...)}
	if nonce != "" {
		var err error
		if opts.Nonce, err = b64url(nonce); err != nil {
			return opts, usagef("--nonce: %v", err)
		}
	}
	return opts, nil
}

// qrClaims checks the status of a response QR's verified presentations
// and returns their claims.
func qrClaims(vps []qr.VerifiedPresentation, statusFile string, ts *trustSet, clock func() time.Time) ([]map[string]any, error) {
	var out []map[string]any
	for _, vp := range vps {
		if vp.SDJWT != nil {
			if err := checkSDJWTStatus(vp.SDJWT, statusFile, ts, clock); err != nil {
				return nil, err
			}
			out = append(out, vp.SDJWT.Claims())
		} else {
			out = append(out, mdocClaims(vp.Mdoc))
		}
	}
	return out, nil
}

// classify tells the input forms apart by their first bytes.
func classify(in []byte) string {
	switch {
	case bytes.HasPrefix(in, []byte("\x89PNG\r\n\x1a\n")), bytes.HasPrefix(in, []byte{0xFF, 0xD8, 0xFF}):
		return "image"
	case bytes.HasPrefix(in, []byte("IK")):
		return "qr"
	case bytes.HasPrefix(in, []byte("ey")) && bytes.Contains(in, []byte("~")):
		return "sdjwt"
	case len(in) > 0 && in[0]>>5 == 5: // CBOR major type 5: a map (DeviceResponse)
		return "mdoc"
	}
	return ""
}

// loadTrust reads every --trust value.
func loadTrust(args []string, opKeyFile string, now func() time.Time) (*trustSet, error) {
	ts := &trustSet{}
	for _, a := range args {
		if strings.HasPrefix(a, "did:key:") {
			d, err := didkey.Parse(strings.SplitN(a, "#", 2)[0])
			if err != nil {
				return nil, usagef("--trust %s: %v", a, err)
			}
			ts.keys = append(ts.keys, d.PublicKey())
			continue
		}
		data, err := readFile(a)
		if err != nil {
			return nil, err
		}
		trimmed := bytes.TrimSpace(data)
		switch {
		case bytes.HasPrefix(trimmed, []byte("-----BEGIN CERTIFICATE")):
			certs, err := keys.ParseCertificatesPEM(data)
			if err != nil {
				return nil, usagef("--trust %s: %v", a, err)
			}
			ts.certs = append(ts.certs, certs...)
			for _, c := range certs {
				if c.IsCA {
					ts.roots = append(ts.roots, c)
				}
			}
		case bytes.HasPrefix(trimmed, []byte("-----BEGIN")):
			k, err := keys.ParsePublicKeyPEM(data)
			if err != nil {
				return nil, usagef("--trust %s: %v", a, err)
			}
			ts.keys = append(ts.keys, k)
		case bytes.HasPrefix(trimmed, []byte("{")):
			k, err := keys.ParsePublicJWK(trimmed)
			if err != nil {
				return nil, usagef("--trust %s: %v", a, err)
			}
			ts.keys = append(ts.keys, k)
		case bytes.HasPrefix(trimmed, []byte("ey")):
			if opKeyFile == "" {
				return nil, usagef("--trust %s is a trust list: give the operator's key with --operator-key", a)
			}
			op, err := readPublicKey(opKeyFile)
			if err != nil {
				return nil, err
			}
			st, err := trustlist.NewStore(op, trustlist.StoreOptions{Now: now})
			if err != nil {
				return nil, err
			}
			if ts.list, err = st.Update(trimmed); err != nil {
				return nil, err
			}
			ts.roots = append(ts.roots, listRoots(ts.list)...)
			for _, is := range ts.list.Issuers {
				ts.certs = append(ts.certs, is.DocumentSigners...)
			}
		default:
			return nil, usagef("--trust %s: not a JWK, PEM, did:key or trust list", a)
		}
	}
	return ts, nil
}

func listRoots(l *trustlist.List) []*x509.Certificate {
	var r []*x509.Certificate
	for _, is := range l.Issuers {
		r = append(r, is.IACARoots...)
	}
	return r
}

// readPublicKey reads a JWK or PEM public key file.
func readPublicKey(name string) (crypto.PublicKey, error) {
	data, err := readFile(name)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN")) {
		return keys.ParsePublicKeyPEM(data)
	}
	return keys.ParsePublicJWK(bytes.TrimSpace(data))
}

func (ts *trustSet) rootPool() *x509.CertPool { return x509Pool(ts.roots...) }

// sdjwtOptions: a trust list resolves iss/kid; otherwise the single given
// key is pinned (several keys are tried by kid-less pinning, one at a time
// being ambiguous, so exactly one is required).
func (ts *trustSet) sdjwtOptions() sdjwt.VerifyOptions {
	o := sdjwt.VerifyOptions{Algorithms: keys.Algorithms()}
	switch {
	case ts.list != nil:
		o.KeyResolver = ts.list.KeyResolver()
	case len(ts.keys) > 0:
		o.IssuerKey = ts.keys[0]
	}
	return o
}

// chains gives every document signer certificate with the roots it chains
// to, for QR mdocs whose envelope carries only the x5t.
func chains(ts *trustSet) [][]*x509.Certificate {
	var out [][]*x509.Certificate
	for _, c := range ts.certs {
		if !c.IsCA {
			out = append(out, []*x509.Certificate{c})
		}
	}
	return out
}

// checkSDJWTStatus checks the credential's status against a Status List
// Token file, verified with the issuer's key.
func checkSDJWTStatus(v *sdjwt.Verified, file string, ts *trustSet, now func() time.Time) error {
	if file == "" {
		return nil
	}
	idx, uri, ok := v.StatusList()
	if !ok {
		return errors.New("status: the credential has no status reference")
	}
	tokData, err := readFile(file)
	if err != nil {
		return err
	}
	var key crypto.PublicKey
	if ts.list != nil {
		if _, key, err = ts.list.IssuerKey(v.Issuer(), ""); err != nil {
			return fmt.Errorf("status: %w", err)
		}
	} else if len(ts.keys) > 0 {
		key = ts.keys[0]
	}
	tok, err := (&statuslist.Verifier{Key: key, Now: now}).Verify(bytes.TrimSpace(tokData))
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	if tok.Subject() != uri {
		return fmt.Errorf("status: the token is for %s, the credential refers to %s", tok.Subject(), uri)
	}
	s, err := tok.Status(uint64(idx))
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	switch s {
	case statuslist.Valid:
		return nil
	case statuslist.Invalid:
		return fmt.Errorf("status check failed: credential revoked (INVALID at index %d of %s)", idx, uri)
	case statuslist.Suspended:
		return fmt.Errorf("status check failed: credential suspended (SUSPENDED at index %d of %s)", idx, uri)
	}
	return fmt.Errorf("status check failed: credential %s (index %d of %s)", s, idx, uri)
}

// mdocClaims flattens a verified DeviceResponse for printing.
func mdocClaims(vr *mdoc.VerifiedResponse) map[string]any {
	out := map[string]any{}
	for _, d := range vr.Documents() {
		for ns, els := range d.NameSpaces() {
			out[ns] = els
		}
		out["docType"] = d.DocType()
	}
	return out
}

// readInput reads a file, or stdin for "-", up to maxInput bytes.
func readInput(e *env, name string) ([]byte, error) {
	if name == "-" {
		return readLimited(e.stdin, "stdin")
	}
	return readFile(name)
}

func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, name)
}

func readLimited(r io.Reader, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxInput {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxInput)
	}
	return b, nil
}
