package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/didkey"
	"github.com/ikdkit/ikdkit/keys"
)

const trustHelp = `usage: ikd trust build [--out FILE] DESC
       ikd trust sign --key OPERATOR_KEY [--kid KID] [--out FILE] DESC
       ikd trust show --operator-key PUB [--at RFC3339] TOKEN

A trust list (application/trustlist+jwt) names the trusted issuers (their
SD-JWT VC keys, IACA roots, document signers and the types they may issue)
and the registered verifiers (their keys and the claims they may ask for).

DESC is a JSON description:
  {"operator": "https://trust.example.go.id", "sequence": 1, "valid_for": "24h",
   "issuers": [{"id": "https://dukcapil.example.go.id", "name": "Ditjen Dukcapil",
                "keys": [{"kid": "k-2026", "file": "issuer.jwk.json"}],
                "iaca_files": ["iaca.pem"], "vct": ["..."], "doctype": ["..."]}],
   "verifiers": [{"id": "https://bank.example.co.id", "name": "Bank Contoh",
                  "claims": {"<vct or doctype>": ["claim", "..."]}}]}
A key is {"kid", and one of "jwk" (inline), "did" (a did:key) or "file" (a JWK or
PEM public key file)}; certificates are "iaca"/"ds" (base64 DER) or
"iaca_files"/"ds_files" (PEM files). Relative file names are relative to DESC.

build resolves every file into a self-contained description, validates it
and writes it to --out or stdout. sign signs DESC with the operator's
private key (JWK or PEM), iat now and next_update now + valid_for (default
24h), and writes the token. show verifies TOKEN (a file or -) with the
operator's public key and prints the list.

Example:
  ikd trust sign --key operator.key.jwk --out trust.jwt trust.json
  ikd trust show --operator-key operator.jwk.json trust.jwt
`

// maxTrustValidity caps valid_for.
const maxTrustValidity = 366 * 24 * time.Hour

// trustDesc is a trust list description.
type trustDesc struct {
	Operator  string         `json:"operator"`
	Sequence  uint64         `json:"sequence"`
	ValidFor  string         `json:"valid_for,omitempty"`
	Issuers   []issuerDesc   `json:"issuers,omitempty"`
	Verifiers []verifierDesc `json:"verifiers,omitempty"`
}

type issuerDesc struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Keys      []keyDesc `json:"keys,omitempty"`
	IACA      []string  `json:"iaca,omitempty"`
	IACAFiles []string  `json:"iaca_files,omitempty"`
	DS        []string  `json:"ds,omitempty"`
	DSFiles   []string  `json:"ds_files,omitempty"`
	VCT       []string  `json:"vct,omitempty"`
	DocType   []string  `json:"doctype,omitempty"`
}

type verifierDesc struct {
	ID     string              `json:"id"`
	Name   string              `json:"name"`
	Keys   []keyDesc           `json:"keys,omitempty"`
	Claims map[string][]string `json:"claims,omitempty"`
}

type keyDesc struct {
	KID  string          `json:"kid"`
	JWK  json.RawMessage `json:"jwk,omitempty"`
	DID  string          `json:"did,omitempty"`
	File string          `json:"file,omitempty"`
}

func trustCmd(_ context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("want a subcommand: build, sign or show")
	}
	fs := newFlagSet("trust", trustHelp, e)
	out := fs.String("out", "", "")
	switch args[0] {
	case "build":
		pos, err := parseFlags(fs, args[1:], 1)
		if err != nil {
			return err
		}
		d, l, err := loadTrustDesc(pos[0], e.now())
		if err != nil {
			return err
		}
		// Validate as the signer would.
		if _, err := trustlist.NewLocal(l); err != nil {
			return err
		}
		b, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return err
		}
		return writeOut(e, *out, append(b, '\n'), 0o644)
	case "sign":
		keyFile := fs.String("key", "", "")
		kid := fs.String("kid", "", "")
		pos, err := parseFlags(fs, args[1:], 1)
		if err != nil {
			return err
		}
		if *keyFile == "" {
			return usagef("--key is required")
		}
		key, err := readPrivateKey(*keyFile)
		if err != nil {
			return err
		}
		_, l, err := loadTrustDesc(pos[0], e.now())
		if err != nil {
			return err
		}
		tok, err := trustlist.Sign(l, key, trustlist.SignOptions{KeyID: *kid})
		if err != nil {
			return err
		}
		return writeOut(e, *out, append(tok, '\n'), 0o644)
	case "show":
		opKey := fs.String("operator-key", "", "")
		at := fs.String("at", "", "")
		pos, err := parseFlags(fs, args[1:], 1)
		if err != nil {
			return err
		}
		if *opKey == "" {
			return usagef("--operator-key is required")
		}
		now, err := atTime(e, *at)
		if err != nil {
			return err
		}
		pub, err := readPublicKey(*opKey)
		if err != nil {
			return err
		}
		data, err := readInput(e, pos[0])
		if err != nil {
			return err
		}
		l, err := trustlist.Verify(bytes.TrimSpace(data), pub)
		if err != nil {
			return err
		}
		printTrustList(e, l, now)
		if l.Stale(now) {
			return fmt.Errorf("trust list check failed: stale since %s", l.NextUpdate.Format(time.RFC3339))
		}
		return nil
	case "-h", "--help", "help":
		fs.Usage()
		return errHelp
	}
	return usagef("unknown subcommand %q: want build, sign or show", args[0])
}

// writeOut writes data to the file name, or stdout when name is empty.
func writeOut(e *env, name string, data []byte, mode os.FileMode) error {
	if name == "" {
		_, err := e.stdout.Write(data)
		return err
	}
	return os.WriteFile(name, data, mode)
}

// loadTrustDesc reads a description, resolves its files (into the
// returned, self-contained description) and makes the list.
func loadTrustDesc(name string, now time.Time) (*trustDesc, *trustlist.List, error) {
	data, err := readFile(name)
	if err != nil {
		return nil, nil, err
	}
	d := &trustDesc{}
	if err := decodeStrict(data, d); err != nil {
		return nil, nil, fmt.Errorf("%s: not a trust list description: %v", name, err)
	}
	base := filepath.Dir(name)
	validFor := 24 * time.Hour
	if d.ValidFor != "" {
		if validFor, err = time.ParseDuration(d.ValidFor); err != nil || validFor <= 0 || validFor > maxTrustValidity {
			return nil, nil, fmt.Errorf("%s: valid_for: want a positive duration up to %s, got %q", name, maxTrustValidity, d.ValidFor)
		}
	}
	now = now.UTC().Truncate(time.Second)
	l := &trustlist.List{Operator: d.Operator, Sequence: d.Sequence, IssuedAt: now, NextUpdate: now.Add(validFor)}
	for i := range d.Issuers {
		is := &d.Issuers[i]
		where := fmt.Sprintf("%s: issuers[%d]", name, i)
		ks, err := resolveKeys(base, where, is.Keys)
		if err != nil {
			return nil, nil, err
		}
		if is.IACA, err = resolveCerts(base, where+".iaca", is.IACA, is.IACAFiles); err != nil {
			return nil, nil, err
		}
		if is.DS, err = resolveCerts(base, where+".ds", is.DS, is.DSFiles); err != nil {
			return nil, nil, err
		}
		is.IACAFiles, is.DSFiles = nil, nil
		roots, _ := parseB64Certs(is.IACA)
		dss, _ := parseB64Certs(is.DS)
		l.Issuers = append(l.Issuers, trustlist.Issuer{ID: is.ID, Name: is.Name, Keys: ks, IACARoots: roots, DocumentSigners: dss,
			VCTs: is.VCT, DocTypes: is.DocType})
	}
	for i := range d.Verifiers {
		v := &d.Verifiers[i]
		ks, err := resolveKeys(base, fmt.Sprintf("%s: verifiers[%d]", name, i), v.Keys)
		if err != nil {
			return nil, nil, err
		}
		l.Verifiers = append(l.Verifiers, trustlist.Verifier{ID: v.ID, Name: v.Name, Keys: ks, Claims: v.Claims})
	}
	return d, l, nil
}

// resolveKeys makes the keys of a description entry, rewriting file
// references in ks to inline JWKs.
func resolveKeys(base, where string, ks []keyDesc) ([]trustlist.Key, error) {
	var out []trustlist.Key
	for i := range ks {
		k := &ks[i]
		n := 0
		for _, set := range []bool{len(k.JWK) > 0, k.DID != "", k.File != ""} {
			if set {
				n++
			}
		}
		if n != 1 {
			return nil, fmt.Errorf("%s.keys[%d]: want exactly one of jwk, did or file", where, i)
		}
		switch {
		case k.DID != "":
			d, err := didkey.Parse(k.DID)
			if err != nil {
				return nil, fmt.Errorf("%s.keys[%d]: %v", where, i, err)
			}
			out = append(out, trustlist.Key{ID: k.KID, DID: d.String(), Public: d.PublicKey()})
			continue
		case k.File != "":
			pub, err := readPublicKey(relTo(base, k.File))
			if err != nil {
				return nil, fmt.Errorf("%s.keys[%d]: %v", where, i, err)
			}
			j, err := keys.MarshalPublicJWK(pub)
			if err != nil {
				return nil, fmt.Errorf("%s.keys[%d]: %v", where, i, err)
			}
			k.JWK, k.File = j, ""
		}
		pub, err := keys.ParsePublicJWK(k.JWK)
		if err != nil {
			return nil, fmt.Errorf("%s.keys[%d]: %v", where, i, err)
		}
		out = append(out, trustlist.Key{ID: k.KID, Public: pub})
	}
	return out, nil
}

// resolveCerts returns the base64 DER certificates of b64 and of the PEM
// files, each checked to parse.
func resolveCerts(base, where string, b64 []string, files []string) ([]string, error) {
	if _, err := parseB64Certs(b64); err != nil {
		return nil, fmt.Errorf("%s: %v", where, err)
	}
	out := append([]string(nil), b64...)
	for _, f := range files {
		data, err := readFile(relTo(base, f))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where, err)
		}
		certs, err := keys.ParseCertificatesPEM(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", where, f, err)
		}
		for _, c := range certs {
			out = append(out, base64.StdEncoding.EncodeToString(c.Raw))
		}
	}
	return out, nil
}

func parseB64Certs(b64 []string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for i, s := range b64 {
		der, err := base64.StdEncoding.Strict().DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: not base64 DER", i)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %v", i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// relTo resolves a file name relative to base.
func relTo(base, name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(base, name)
}

// printTrustList prints a verified list for people.
func printTrustList(e *env, l *trustlist.List, now time.Time) {
	w := e.stdout
	state := "current"
	if l.Stale(now) {
		state = "STALE"
	}
	fmt.Fprintf(w, "trust list #%d by %s, issued %s, next update %s (%s)\n", l.Sequence, l.Operator,
		l.IssuedAt.Format(time.RFC3339), l.NextUpdate.Format(time.RFC3339), state)
	kids := func(ks []trustlist.Key) string {
		var s []string
		for _, k := range ks {
			s = append(s, k.ID)
		}
		return strings.Join(s, ", ")
	}
	for _, is := range l.Issuers {
		fmt.Fprintf(w, "issuer   %s (%s)\n", is.ID, is.Name)
		if len(is.Keys) > 0 {
			fmt.Fprintf(w, "  keys      %s\n", kids(is.Keys))
		}
		for _, c := range is.IACARoots {
			fmt.Fprintf(w, "  IACA      %s (until %s)\n", c.Subject.CommonName, c.NotAfter.Format(time.DateOnly))
		}
		for _, c := range is.DocumentSigners {
			fmt.Fprintf(w, "  DS        %s (until %s)\n", c.Subject.CommonName, c.NotAfter.Format(time.DateOnly))
		}
		if len(is.VCTs) > 0 {
			fmt.Fprintf(w, "  vct       %s\n", strings.Join(is.VCTs, ", "))
		}
		if len(is.DocTypes) > 0 {
			fmt.Fprintf(w, "  doctype   %s\n", strings.Join(is.DocTypes, ", "))
		}
	}
	for _, v := range l.Verifiers {
		fmt.Fprintf(w, "verifier %s (%s)\n", v.ID, v.Name)
		if len(v.Keys) > 0 {
			fmt.Fprintf(w, "  keys      %s\n", kids(v.Keys))
		}
		types := make([]string, 0, len(v.Claims))
		for t := range v.Claims {
			types = append(types, t)
		}
		sort.Strings(types)
		for _, t := range types {
			fmt.Fprintf(w, "  may ask   %s: %s\n", t, strings.Join(v.Claims[t], ", "))
		}
	}
}
