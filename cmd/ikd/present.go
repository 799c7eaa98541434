package main

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/internal/strictjson"
)

const presentHelp = `usage: ikd present --key DEVICE_KEY --aud VERIFIER --nonce NONCE [--claim PATH]... [--out FILE] CREDENTIAL
       ikd present --list CREDENTIAL

Makes an SD-JWT VC presentation (RFC 9901 §4.3) from CREDENTIAL (an issued
SD-JWT VC, a file or - for stdin): it keeps only the disclosures needed for
each --claim (§7.2; none given: disclose nothing selectively disclosable)
and appends a Key Binding JWT (§4.3) signed with the holder's device key
DEVICE_KEY (JWK or PEM, the key in the credential's cnf) for audience
VERIFIER, with nonce NONCE and iat now. A PATH is dotted ("address.locality",
"nationalities.0", "nationalities.*") or a JSON array
('["address","locality"]'). --list prints the paths the credential can
disclose.

Example:
  ikd present --key device.key.jwk --aud https://bank.example.co.id --nonce n-0S6_WzA2Mj \
      --claim personal_administrative_number --claim name --claim birthdate ktp.sdjwt
`

// maxPathLen caps the elements of a claim path.
const maxPathLen = 16

func presentCmd(_ context.Context, e *env, args []string) error {
	fs := newFlagSet("present", presentHelp, e)
	keyFile := fs.String("key", "", "")
	aud := fs.String("aud", "", "")
	nonce := fs.String("nonce", "", "")
	out := fs.String("out", "", "")
	list := fs.Bool("list", false, "")
	var claims multiFlag
	fs.Var(&claims, "claim", "")
	pos, err := parseFlags(fs, args, 1)
	if err != nil {
		return err
	}
	if !*list && (*keyFile == "" || *aud == "" || *nonce == "") {
		return usagef("--key, --aud and --nonce are required")
	}
	paths := make([]sdjwt.Path, 0, len(claims))
	for _, c := range claims {
		p, err := parseClaimPath(c)
		if err != nil {
			return usagef("--claim %q: %v", c, err)
		}
		paths = append(paths, p)
	}
	data, err := readInput(e, pos[0])
	if err != nil {
		return err
	}
	u, err := sdjwt.Parse(string(bytes.TrimSpace(data)))
	if err != nil {
		return err
	}
	if *list {
		for _, d := range u.Disclosures() {
			fmt.Fprintf(e.stdout, "%s\n", d.Path())
		}
		return nil
	}
	key, err := readPrivateKey(*keyFile)
	if err != nil {
		return err
	}
	sel, err := u.Select(paths...)
	if err != nil {
		return err
	}
	pres, err := sel.Present(sdjwt.KeyBindingOptions{Signer: key, Audience: *aud, Nonce: *nonce, IssuedAt: e.now().UTC().Truncate(1e9)})
	if err != nil {
		return err
	}
	return writeOut(e, *out, []byte(pres+"\n"), 0o644)
}

// parseClaimPath reads a dotted or JSON-array claim path.
func parseClaimPath(s string) (sdjwt.Path, error) {
	if strings.HasPrefix(s, "[") {
		v, err := strictjson.Unmarshal([]byte(s), 2)
		if err != nil {
			return nil, err
		}
		arr, _ := v.([]any)
		if len(arr) == 0 || len(arr) > maxPathLen {
			return nil, fmt.Errorf("want 1 to %d elements", maxPathLen)
		}
		p := make(sdjwt.Path, len(arr))
		for i, el := range arr {
			switch x := el.(type) {
			case string, nil:
				p[i] = x
			case interface{ Int64() (int64, error) }:
				n, err := x.Int64()
				if err != nil || n < 0 {
					return nil, fmt.Errorf("element %d: want a non-negative integer", i)
				}
				p[i] = int(n)
			default:
				return nil, fmt.Errorf("element %d: want a string, integer or null", i)
			}
		}
		return p, nil
	}
	parts := strings.Split(s, ".")
	if s == "" || len(parts) > maxPathLen {
		return nil, fmt.Errorf("want 1 to %d dotted names", maxPathLen)
	}
	p := make(sdjwt.Path, len(parts))
	for i, part := range parts {
		switch n, err := strconv.Atoi(part); {
		case part == "":
			return nil, fmt.Errorf("empty name")
		case part == "*":
			p[i] = nil
		case err == nil && n >= 0 && i > 0:
			p[i] = n
		default:
			p[i] = part
		}
	}
	return p, nil
}
