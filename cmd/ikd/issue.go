package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/internal/demoworld"
	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/keys"
)

const issueHelp = `usage: ikd issue --key ISSUER_KEY --iss URL --holder HOLDER_PUB [--format sdjwt|mdoc]
                 [--kid KID] [--chain DS_PEM] [--validity DURATION]
                 [--status-uri URI --status-idx N] [--out FILE] DOC
       ikd issue --batch ... JSONL
       ikd issue --example TYPE

Issues one credential from DOC (a file, or - for stdin): a JSON object with
the type's SD-JWT VC claims (vct names the type: KTP-el, KK, NPWP, BPJS
Kesehatan, BPJS Ketenagakerjaan; see credential.ClaimsSchema), validated
strictly. --format sdjwt (default) makes an SD-JWT VC (dc+sd-jwt) signed by
ISSUER_KEY (JWK or PEM) with iss URL, iat now, exp now + validity (default
one year), the type's claims selectively disclosable and cnf.jwk the
holder's public key HOLDER_PUB (JWK or PEM). --format mdoc makes an ISO
18013-5 mdoc (IssuerSigned) signed by ISSUER_KEY as document signer, whose
certificate is --chain. --status-uri and --status-idx add a Token Status
List reference. The SD-JWT VC goes to --out or stdout; the mdoc is written
as CBOR to --out, or base64url to stdout.

--batch reads JSON lines, one document per line (a "cnf": {"jwk": ...}
member overrides --holder for that line), and writes one credential per
line (mdocs base64url); a status index, if given, increases by one per
line. The first bad line stops the batch, naming its number.

--example TYPE prints a sample DOC of the type (KTP-el, KK, NPWP, "BPJS
Kesehatan", "BPJS Ketenagakerjaan", or its vct or doctype): the fictitious
demo resident's document, to edit and give to ikd issue.

Example:
  ikd keygen --out issuer.key.jwk --pub issuer.jwk.json
  ikd keygen --out device.key.jwk --pub device.jwk.json
  ikd issue --example KTP-el > ktp.json
  ikd issue --key issuer.key.jwk --iss https://dukcapil.example.go.id \
      --holder device.jwk.json --out ktp.sdjwt ktp.json
`

// maxBatchLine caps one JSON line of a batch.
const maxBatchLine = 1 << 20

// docFromClaims decodes the SD-JWT VC claims of the type vct names.
func docFromClaims(vct string, m map[string]any) (credential.Document, error) {
	switch vct {
	case credential.VCTKTPEL:
		return credential.KTPELFromClaims(m)
	case credential.VCTKK:
		return credential.KKFromClaims(m)
	case credential.VCTNPWP:
		return credential.NPWPFromClaims(m)
	case credential.VCTBPJSKesehatan:
		return credential.BPJSKesehatanFromClaims(m)
	case credential.VCTBPJSKetenagakerja:
		return credential.BPJSKetenagakerjaanFromClaims(m)
	}
	return nil, fmt.Errorf("vct %.100q is not a known credential type", vct)
}

// issueParams are the flags of ikd issue.
type issueParams struct {
	key       crypto.Signer
	iss, kid  string
	holder    crypto.PublicKey
	mdoc      bool
	chain     []*x509.Certificate
	validity  time.Duration
	statusURI string
	statusIdx int64
	now       time.Time
}

func issueCmd(_ context.Context, e *env, args []string) error {
	fs := newFlagSet("issue", issueHelp, e)
	keyFile := fs.String("key", "", "")
	iss := fs.String("iss", "", "")
	kid := fs.String("kid", "", "")
	holderFile := fs.String("holder", "", "")
	format := fs.String("format", "sdjwt", "")
	chainFile := fs.String("chain", "", "")
	validity := fs.Duration("validity", 365*24*time.Hour, "")
	statusURI := fs.String("status-uri", "", "")
	statusIdx := fs.Int64("status-idx", -1, "")
	out := fs.String("out", "", "")
	batch := fs.Bool("batch", false, "")
	example := fs.String("example", "", "")
	pos, err := parseFlags(fs, args, -1)
	if err != nil {
		return err
	}
	if *example != "" {
		if len(pos) > 0 {
			return usagef("--example takes no DOC")
		}
		return printExample(e, *example)
	}
	if len(pos) != 1 {
		return usagef("want 1 argument(s), got %d", len(pos))
	}
	if *keyFile == "" {
		return usagef("--key is required")
	}
	if *format != "sdjwt" && *format != "mdoc" {
		return usagef("--format: want sdjwt or mdoc, got %q", *format)
	}
	if *validity <= 0 || *validity > 20*365*24*time.Hour {
		return usagef("--validity: want a positive duration up to 20 years")
	}
	if (*statusURI == "") != (*statusIdx < 0) {
		return usagef("--status-uri and --status-idx go together")
	}
	p := issueParams{iss: *iss, kid: *kid, mdoc: *format == "mdoc", validity: *validity, statusURI: *statusURI, statusIdx: *statusIdx,
		now: e.now().UTC().Truncate(time.Second)}
	if p.mdoc {
		if *chainFile == "" {
			return usagef("--format mdoc needs the document signer certificate (--chain)")
		}
	} else if *iss == "" {
		return usagef("--iss is required for an SD-JWT VC")
	}
	if p.key, err = readPrivateKey(*keyFile); err != nil {
		return err
	}
	if *chainFile != "" {
		data, err := readFile(*chainFile)
		if err != nil {
			return err
		}
		if p.chain, err = keys.ParseCertificatesPEM(data); err != nil {
			return fmt.Errorf("--chain: %w", err)
		}
	}
	if *holderFile != "" {
		if p.holder, err = readPublicKey(*holderFile); err != nil {
			return err
		}
	}
	if !*batch {
		data, err := readInput(e, pos[0])
		if err != nil {
			return err
		}
		cred, err := issueOne(data, p)
		if err != nil {
			return err
		}
		if p.mdoc && *out != "" {
			return os.WriteFile(*out, cred, 0o644)
		}
		return writeOut(e, *out, append(textForm(cred, p.mdoc), '\n'), 0o644)
	}
	var in io.Reader = e.stdin
	if pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	var w io.Writer = e.stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), maxBatchLine)
	prog := newProgress(e, "issued", 0, 100)
	defer prog.done() // ends the progress line before any error is printed
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		cred, err := issueOne(sc.Bytes(), p)
		if err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		bw.Write(textForm(cred, p.mdoc))
		bw.WriteByte('\n')
		if p.statusIdx >= 0 {
			p.statusIdx++
		}
		prog.add(1)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("batch input: %w (lines are at most %d bytes)", err, maxBatchLine)
	}
	return bw.Flush()
}

// textForm is the credential as one line of text.
func textForm(cred []byte, isMdoc bool) []byte {
	if isMdoc {
		return []byte(base64.RawURLEncoding.EncodeToString(cred))
	}
	return cred
}

// issueOne issues one credential from a JSON document.
func issueOne(data []byte, p issueParams) ([]byte, error) {
	m, err := strictjson.UnmarshalObject(data, 32)
	if err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	holder := p.holder
	if cnf, ok := m["cnf"].(map[string]any); ok {
		j, ok := cnf["jwk"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("document: cnf has no jwk")
		}
		raw, err := jsonMarshal(j)
		if err != nil {
			return nil, err
		}
		if holder, err = keys.ParsePublicJWK(raw); err != nil {
			return nil, fmt.Errorf("document: cnf.jwk: %w", err)
		}
	}
	if holder == nil {
		return nil, usagef("--holder is required (the holder's public key)")
	}
	vct, _ := m["vct"].(string)
	doc, err := docFromClaims(vct, m)
	if err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	ti := doc.Type()
	exp := p.now.Add(p.validity)
	if p.mdoc {
		req := mdoc.IssueRequest{DocType: ti.DocType, NameSpaces: doc.MdocElements(p.now), DeviceKey: holder, ValidUntil: exp}
		if p.statusURI != "" {
			req.Status = &mdoc.StatusReference{Index: uint64(p.statusIdx), URI: p.statusURI}
		}
		signed, err := (&mdoc.Issuer{Signer: p.key, Chain: p.chain, Now: func() time.Time { return p.now }}).Issue(req)
		if err != nil {
			return nil, err
		}
		return signed.MarshalCBOR()
	}
	claims := doc.SDJWTClaims(p.now)
	var disclosable []sdjwt.Path
	for _, cp := range ti.SelectivelyDisclosable() {
		if cp.In(claims) { // the type lists every optional claim
			disclosable = append(disclosable, sdjwt.Path(cp))
		}
	}
	claims["iss"] = p.iss
	claims["iat"] = p.now.Unix()
	claims["exp"] = exp.Unix()
	if p.statusURI != "" {
		// draft-ietf-oauth-status-list-20 §6.2: status.status_list {idx, uri}.
		claims["status"] = map[string]any{"status_list": map[string]any{"idx": p.statusIdx, "uri": p.statusURI}}
	}
	tok, err := sdjwt.IssueVC(claims, sdjwt.IssueOptions{Signer: p.key, KeyID: p.kid, Disclosable: disclosable, HolderKey: holder})
	if err != nil {
		return nil, err
	}
	return []byte(tok), nil
}

// jsonMarshal marshals v as JSON.
func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// printExample prints the sample document of the credential type named
// typ (its name, vct or doctype, as credential.Types lists them).
func printExample(e *env, typ string) error {
	docs, err := demoworld.SampleDocuments()
	if err != nil {
		return err
	}
	var names []string
	for _, d := range docs {
		ti := d.Type()
		names = append(names, ti.Name)
		if strings.EqualFold(typ, ti.Name) || typ == ti.VCT || typ == ti.DocType {
			return printJSON(e.stdout, d.SDJWTClaims(e.now().UTC()))
		}
	}
	return usagef("--example: unknown type %q: want one of %s", typ, strings.Join(names, ", "))
}
