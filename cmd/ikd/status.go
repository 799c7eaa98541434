package main

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/keys"
)

const statusHelp = `usage: ikd status new --uri URI [--bits 1|2|4|8] [--size N] --out LIST
       ikd status revoke --list LIST [--status invalid|suspended|valid|0xNN] [--from FILE] INDEX...
       ikd status publish --list LIST --key KEY [--format jwt|cwt] [--iss ISS] [--kid KID]
                          [--ttl DURATION] [--exp DURATION] [--out FILE]
       ikd status check --key PUB [--at RFC3339] TOKEN INDEX

Token Status Lists (draft-ietf-oauth-status-list-20) kept in a file.
new makes LIST, a JSON file {"uri", "bits", "lst"} (lst: the ZLIB-compressed
list, base64url, as in the status_list claim, §4.2) with N entries, all
VALID. revoke sets the status of each INDEX, and of each index listed in
--from FILE (white-space separated, - for stdin; at most 4194304), to
--status (default INVALID) and rewrites LIST. publish signs LIST as a Status List Token (JWT §5.1 or CWT §5.2) with
the issuer's private key KEY (JWK or PEM), sub = the list's URI, iat = now,
exp and ttl as given, and writes it to --out or stdout. check verifies
TOKEN (a file or -) with the issuer's public key PUB (JWK or PEM) and
prints the status of INDEX; it exits 1 unless the status is VALID.
On a terminal, new, revoke and publish show a progress bar for large lists
(from 1 MiB, or 10000 indices).

Example:
  ikd status new --uri https://dukcapil.example.go.id/status/1 --size 1024 --out list.json
  ikd status revoke --list list.json 7 42
  ikd status publish --list list.json --key issuer.key.jwk --out status.jwt
  ikd status check --key issuer.jwk.json status.jwt 42
`

// maxStatusListBytes caps a status list the CLI makes or reads
// (uncompressed), as statuslist.DefaultMaxListBytes caps a verifier's.
const maxStatusListBytes = statuslist.DefaultMaxListBytes

// statusFile is the on-disk form of a status list.
type statusFile struct {
	URI  string `json:"uri"`
	Bits int    `json:"bits"`
	Lst  string `json:"lst"`
}

func statusCmd(_ context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("want a subcommand: new, revoke, publish or check")
	}
	fs := newFlagSet("status", statusHelp, e)
	switch args[0] {
	case "new":
		uri := fs.String("uri", "", "")
		bits := fs.Int("bits", 2, "")
		size := fs.Int("size", 1024, "")
		out := fs.String("out", "", "")
		if _, err := parseFlags(fs, args[1:], 0); err != nil {
			return err
		}
		if *uri == "" || *out == "" {
			return usagef("--uri and --out are required")
		}
		if !strings.HasPrefix(*uri, "https://") {
			return usagef("--uri: want an https URI (draft §6.2), got %q", *uri)
		}
		if *size <= 0 || int64(*size)*int64(*bits) > 8*maxStatusListBytes {
			return usagef("--size: want 1 to %d entries of %d bits", 8*maxStatusListBytes/max(*bits, 1), *bits)
		}
		l, err := statuslist.New(*bits, *size)
		if err != nil {
			return usagef("--bits: %v", err)
		}
		if err := writeStatusFile(e, *out, *uri, l); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: %d entries of %d bits, all VALID\n", *out, l.Len(), l.Bits())
		return nil
	case "revoke":
		list := fs.String("list", "", "")
		st := fs.String("status", "invalid", "")
		from := fs.String("from", "", "")
		pos, err := parseFlags(fs, args[1:], -1)
		if err != nil {
			return err
		}
		if *list == "" || (len(pos) == 0 && *from == "") {
			return usagef("--list and at least one INDEX (or --from FILE) are required")
		}
		s, err := parseStatus(*st)
		if err != nil {
			return usagef("--status: %v", err)
		}
		idx := make([]uint64, len(pos))
		for i, p := range pos {
			if idx[i], err = strconv.ParseUint(p, 10, 64); err != nil {
				return usagef("INDEX %q: want a non-negative integer", p)
			}
		}
		if *from != "" {
			data, err := readInput(e, *from)
			if err != nil {
				return err
			}
			fields := strings.Fields(string(data))
			if len(fields)+len(idx) > maxRevokeIndices {
				return fmt.Errorf("%s: more than %d indices", *from, maxRevokeIndices)
			}
			for n, f := range fields {
				i, err := strconv.ParseUint(f, 10, 64)
				if err != nil {
					return fmt.Errorf("%s: index %d %.40q: want a non-negative integer", *from, n+1, f)
				}
				idx = append(idx, i)
			}
			if len(idx) == 0 {
				return fmt.Errorf("%s: no indices", *from)
			}
		}
		uri, l, err := readStatusFile(*list)
		if err != nil {
			return err
		}
		prog := &progress{} // draws nothing
		if len(idx) >= progressMinIndices {
			prog = newProgress(e, "revoke", int64(len(idx)), int64(len(idx)/100+1))
		}
		for _, i := range idx {
			if err := l.Set(i, s); err != nil {
				prog.done()
				return fmt.Errorf("index %d: %w", i, err)
			}
			prog.add(1)
		}
		prog.done()
		if err := writeStatusFile(e, *list, uri, l); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: %d entries set to %s\n", *list, len(idx), s)
		return nil
	case "publish":
		list := fs.String("list", "", "")
		keyFile := fs.String("key", "", "")
		format := fs.String("format", "jwt", "")
		iss := fs.String("iss", "", "")
		kid := fs.String("kid", "", "")
		ttl := fs.Duration("ttl", 12*time.Hour, "")
		exp := fs.Duration("exp", 24*time.Hour, "")
		out := fs.String("out", "", "")
		if _, err := parseFlags(fs, args[1:], 0); err != nil {
			return err
		}
		if *list == "" || *keyFile == "" {
			return usagef("--list and --key are required")
		}
		if *format != "jwt" && *format != "cwt" {
			return usagef("--format: want jwt or cwt, got %q", *format)
		}
		if *ttl < 0 || *exp < 0 {
			return usagef("--ttl and --exp must not be negative")
		}
		key, err := readPrivateKey(*keyFile)
		if err != nil {
			return err
		}
		if _, err := keys.AlgorithmFor(key.Public()); err != nil {
			return err
		}
		uri, l, err := readStatusFile(*list)
		if err != nil {
			return err
		}
		// Progress in two steps, the list read and the list compressed and
		// signed (SignJWT and SignCWT compress it themselves).
		prog := &progress{} // draws nothing
		if len(l.Bytes()) >= progressMinBytes {
			prog = newProgress(e, "publish", 2, 1)
		}
		prog.add(1)
		now := e.now().UTC().Truncate(time.Second)
		p := statuslist.TokenParams{Subject: uri, Issuer: *iss, IssuedAt: now, TTL: *ttl, KeyID: *kid}
		if *exp > 0 {
			p.ExpiresAt = now.Add(*exp)
		}
		sign := statuslist.SignJWT
		if *format == "cwt" {
			sign = statuslist.SignCWT
		}
		tok, err := sign(rand.Reader, key, l, p)
		if err != nil {
			prog.done()
			return err
		}
		prog.add(1)
		prog.done()
		if *format == "jwt" {
			tok = append(tok, '\n')
		}
		return writeOut(e, *out, tok, 0o644)
	case "check":
		keyFile := fs.String("key", "", "")
		at := fs.String("at", "", "")
		pos, err := parseFlags(fs, args[1:], 2)
		if err != nil {
			return err
		}
		if *keyFile == "" {
			return usagef("--key is required")
		}
		now, err := atTime(e, *at)
		if err != nil {
			return err
		}
		idx, err := strconv.ParseUint(pos[1], 10, 64)
		if err != nil {
			return usagef("INDEX %q: want a non-negative integer", pos[1])
		}
		pub, err := readPublicKey(*keyFile)
		if err != nil {
			return err
		}
		data, err := readInput(e, pos[0])
		if err != nil {
			return err
		}
		tok, err := (&statuslist.Verifier{Key: pub, Now: func() time.Time { return now }}).Verify(trimJWT(data))
		if err != nil {
			return fmt.Errorf("status token: %w", err)
		}
		s, err := tok.Status(idx)
		if err != nil {
			return fmt.Errorf("index %d: %w", idx, err)
		}
		fmt.Fprintf(e.stdout, "%s index %d: %s\n", tok.Subject(), idx, s)
		if s != statuslist.Valid {
			return fmt.Errorf("status check failed: index %d of %s is %s", idx, tok.Subject(), s)
		}
		return nil
	case "-h", "--help", "help":
		fs.Usage()
		return errHelp
	}
	return usagef("unknown subcommand %q: want new, revoke, publish or check", args[0])
}

// parseStatus reads a status name (draft §7.1) or a number.
func parseStatus(s string) (statuslist.Status, error) {
	switch strings.ToLower(s) {
	case "valid":
		return statuslist.Valid, nil
	case "invalid", "revoked":
		return statuslist.Invalid, nil
	case "suspended":
		return statuslist.Suspended, nil
	}
	n, err := strconv.ParseUint(s, 0, 8)
	if err != nil {
		return 0, fmt.Errorf("want valid, invalid, suspended or a number 0-255, got %q", s)
	}
	return statuslist.Status(n), nil
}

// atTime is --at as a time, or the environment's now.
func atTime(e *env, at string) (time.Time, error) {
	if at == "" {
		return e.now(), nil
	}
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return time.Time{}, usagef("--at: want RFC 3339 time, got %q", at)
	}
	return t, nil
}

var errStatusFile = errors.New("not a status list file")

// readStatusFile reads a status list file strictly.
func readStatusFile(name string) (string, *statuslist.List, error) {
	data, err := readFile(name)
	if err != nil {
		return "", nil, err
	}
	var f statusFile
	if err := decodeStrict(data, &f); err != nil {
		return "", nil, fmt.Errorf("%s: %w: %v", name, errStatusFile, err)
	}
	if f.URI == "" || f.Lst == "" {
		return "", nil, fmt.Errorf("%s: %w: uri and lst are required", name, errStatusFile)
	}
	raw, err := b64url(f.Lst)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w: lst: %v", name, errStatusFile, err)
	}
	l, err := statuslist.Decode(f.Bits, raw, maxStatusListBytes)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", name, err)
	}
	return f.URI, l, nil
}

// Progress is shown (on a terminal) for lists of at least
// progressMinBytes uncompressed, and for revoking at least
// progressMinIndices indices; maxRevokeIndices caps one revoke.
const (
	progressMinBytes   = 1 << 20
	progressMinIndices = 10000
	maxRevokeIndices   = 1 << 22
)

// writeStatusFile writes a status list file; compressing a large list
// shows a progress bar on a terminal.
func writeStatusFile(e *env, name, uri string, l *statuslist.List) error {
	lst := l.Compress
	if raw := l.Bytes(); len(raw) >= progressMinBytes {
		lst = func() []byte { return compressWithProgress(e, raw) }
	}
	b, err := json.MarshalIndent(statusFile{URI: uri, Bits: l.Bits(), Lst: base64.RawURLEncoding.EncodeToString(lst())}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(name, append(b, '\n'), 0o644)
}

// readPrivateKey reads a JWK or PEM private key file.
func readPrivateKey(name string) (crypto.Signer, error) {
	data, err := readFile(name)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN")) {
		return keys.ParsePrivateKeyPEM(data)
	}
	return keys.ParsePrivateJWK(bytes.TrimSpace(data))
}

// decodeStrict decodes a JSON document into v: duplicate member names,
// trailing data and nesting deeper than 32 are rejected (strictjson), and so
// are members v does not have.
func decodeStrict(data []byte, v any) error {
	if _, err := strictjson.Unmarshal(data, 32); err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// trimJWT trims the white space around a compact JWS; binary input (a CWT)
// is returned unchanged, since its last bytes may look like white space.
func trimJWT(data []byte) []byte {
	if t := bytes.TrimSpace(data); bytes.HasPrefix(t, []byte("ey")) {
		return t
	}
	return data
}

// compressWithProgress is List.Compress (ZLIB at the best compression,
// draft §4.2) fed in 256 KiB pieces so a progress bar can follow it.
func compressWithProgress(e *env, raw []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(raw)/64 + 64)
	zw, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if err != nil {
		panic(err) // constant, valid level
	}
	prog := newByteProgress(e, "compress", int64(len(raw)))
	for rest := raw; len(rest) > 0; {
		n := min(len(rest), 256<<10)
		_, _ = zw.Write(rest[:n]) // writes to a bytes.Buffer cannot fail
		prog.add(int64(n))
		rest = rest[n:]
	}
	_ = zw.Close()
	prog.done()
	return buf.Bytes()
}
