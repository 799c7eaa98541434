package sdjwt

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/keys"
	"gopkg.in/yaml.v3"
)

// rfcClock is the fixed time for the RFC 9901 examples (their KB-JWT iat).
const rfcClock = 1748537243

// vcClock is the fixed time for the SD-JWT VC draft-18 examples.
const vcClock = 1785785053

// skipped lists the vector cases that are knowingly not run, with the reason.
var skipped = map[string]string{}

type disclosureVector struct {
	Claim  *string `json:"claim_name_in_spec"`
	Digest string  `json:"sha256_digest"`
	Disc   string  `json:"disclosure"`
}

// TestConformanceRFC9901Examples runs every example of RFC 9901 (and the
// SD-JWT VC draft-18 examples, which use the same layout and keys).
func TestConformanceRFC9901Examples(t *testing.T) {
	issuerKey, _ := testKeys(t)
	dirs, _ := filepath.Glob(filepath.Join(vectors, "rfc9901/*/specification.yml"))
	vcDirs, _ := filepath.Glob(filepath.Join(vectors, "sdjwtvc-draft-18/*/specification.yml"))
	if len(dirs) < 11 || len(vcDirs) != 3 {
		t.Fatalf("expected 11 RFC and 3 VC examples, found %d and %d", len(dirs), len(vcDirs))
	}
	ran := 0
	for _, spec := range append(dirs, vcDirs...) {
		dir := filepath.Dir(spec)
		name := filepath.Base(filepath.Dir(dir)) + "/" + filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			if reason, ok := skipped[name]; ok {
				t.Logf("not applicable: %s", reason)
				return
			}
			clock := int64(rfcClock)
			if strings.HasPrefix(name, "sdjwtvc") {
				clock = vcClock
			}
			checked := 0
			has := func(f string) bool { _, err := os.Stat(filepath.Join(dir, f)); return err == nil }

			var payload map[string]any
			if has("sd_jwt_payload.json") {
				mustUnmarshal(t, readFile(t, filepath.Join(dir, "sd_jwt_payload.json")), &payload)
			}
			var discs []disclosureVector
			if has("disclosures.json") {
				mustUnmarshal(t, readFile(t, filepath.Join(dir, "disclosures.json")), &discs)
				// RFC 9901 §4.2.3: digest = base64url(SHA-256(ASCII(disclosure))).
				for _, d := range discs {
					pd, err := parseDisclosure(d.Disc, hashOf(t, SHA256))
					if err != nil {
						t.Fatalf("disclosure %s: %v", d.Disc, err)
					}
					if pd.Digest() != d.Digest {
						t.Fatalf("digest %s, want %s", pd.Digest(), d.Digest)
					}
					if d.Claim != nil {
						if n, ok := pd.Name(); !ok || n != *d.Claim {
							t.Fatalf("disclosure name %q, want %q", n, *d.Claim)
						}
					}
				}
				checked++
			}
			if payload != nil && discs != nil {
				// Every disclosure is referenced exactly once by the payload.
				ds := make([]*Disclosure, len(discs))
				for i, d := range discs {
					ds[i], _ = parseDisclosure(d.Disc, hashOf(t, SHA256))
				}
				pl := normStrict(t, payload)
				copied, err := process(pl, ds, nil, nil, false)
				if err != nil {
					t.Fatalf("processing payload with all disclosures: %v", err)
				}
				// Sharing what processing does not change (verification)
				// gives the same claims as copying it (Parse).
				for i, d := range discs {
					ds[i], _ = parseDisclosure(d.Disc, hashOf(t, SHA256))
				}
				shared, err := process(normStrict(t, payload), ds, nil, nil, true)
				if err != nil || !reflect.DeepEqual(shared.claims, copied.claims) {
					t.Fatalf("processing with sharing: %v, claims %v; copying: %v", err, shared.claims, copied.claims)
				}
				checked++
			}

			if has("sd_jwt_issuance.txt") {
				iss := strings.TrimSpace(string(readFile(t, filepath.Join(dir, "sd_jwt_issuance.txt"))))
				u, err := Parse(iss)
				if err != nil {
					t.Fatalf("Parse issuance: %v", err)
				}
				if len(u.Disclosures()) != len(discs) {
					t.Fatalf("%d disclosures, want %d", len(u.Disclosures()), len(discs))
				}
				v, err := Verify(iss, VerifyOptions{IssuerKey: &issuerKey.PublicKey, Now: fixedClock(clock),
					AllowNoKeyBinding: true, AllowMissingExpiration: payload["exp"] == nil})
				if err != nil {
					t.Fatalf("Verify issuance: %v", err)
				}
				if has("user_claims.json") {
					var uc map[string]any
					mustUnmarshal(t, readFile(t, filepath.Join(dir, "user_claims.json")), &uc)
					got := v.Claims()
					for k := range uc {
						assertJSONEqual(t, got[k], uc[k])
					}
				}
				if payload != nil {
					assertJSONEqual(t, u.p.jws.payload, payload)
				}
				checked++
			}
			if has("sd_jwt_presentation.txt") {
				pres := strings.TrimSpace(string(readFile(t, filepath.Join(dir, "sd_jwt_presentation.txt"))))
				opts := VerifyOptions{IssuerKey: &issuerKey.PublicKey, Now: fixedClock(clock),
					AllowMissingExpiration: payload["exp"] == nil, KeyBindingMaxAge: 1}
				switch {
				case strings.HasSuffix(pres, "~"):
					opts.AllowNoKeyBinding = true
				case strings.HasPrefix(name, "sdjwtvc"):
					opts.Nonce, opts.Audience = "1234567890", "https://example.com/verifier"
				default:
					opts.Nonce, opts.Audience = "1234567890", "https://verifier.example.org"
				}
				verifyFn := Verify
				if strings.HasPrefix(name, "sdjwtvc") || name == "rfc9901/arf-pid" {
					verifyFn = VerifyVC
				}
				v, err := verifyFn(pres, opts)
				if err != nil {
					t.Fatalf("Verify presentation: %v", err)
				}
				var want map[string]any
				mustUnmarshal(t, readFile(t, filepath.Join(dir, "verified_contents.json")), &want)
				assertJSONEqual(t, v.Claims(), want)
				if !opts.AllowNoKeyBinding && v.KeyBinding() == nil {
					t.Fatal("no key binding reported")
				}
				if has("kb_jwt_payload.json") {
					var kb map[string]any
					mustUnmarshal(t, readFile(t, filepath.Join(dir, "kb_jwt_payload.json")), &kb)
					assertJSONEqual(t, v.KeyBinding().Claims, kb)
				}
				checked++
			}
			if has("sd_jwt_presentation.json") {
				checked += checkJSONSerialization(t, dir, &issuerKey.PublicKey)
			}
			if payload != nil {
				checkIssuedShape(t, spec, payload)
				checked++
			}
			if has("decoy_digests.json") {
				var decoys []string
				mustUnmarshal(t, readFile(t, filepath.Join(dir, "decoy_digests.json")), &decoys)
				b, _ := json.Marshal(payload)
				for _, d := range decoys {
					if !strings.Contains(string(b), d) {
						t.Fatalf("decoy %s not in payload", d)
					}
					for _, dv := range discs {
						if dv.Digest == d {
							t.Fatalf("decoy %s matches a disclosure", d)
						}
					}
				}
				checked++
			}
			if checked == 0 {
				t.Fatal("nothing checked for this example")
			}
			ran++
		})
	}
	if ran+len(skipped) < len(dirs)+len(vcDirs) {
		t.Fatalf("only %d examples passed", ran)
	}
}

// TestConformanceSection4Disclosures checks the disclosure vectors of
// RFC 9901 §4.2.1-4.2.4: equivalent JSON encodings have different digests,
// because the digest is over the received string.
func TestConformanceSection4Disclosures(t *testing.T) {
	var file struct {
		Printed map[string]string `json:"spec_printed_digests"`
		Vectors []struct {
			Disclosure string `json:"disclosure"`
			Digest     string `json:"sha256_digest"`
			Decoded    []any  `json:"decoded"`
		} `json:"vectors"`
	}
	mustUnmarshal(t, readFile(t, filepath.Join(vectors, "rfc9901/section4_disclosure_vectors.json")), &file)
	vs := file.Vectors
	for disc, digest := range file.Printed {
		d, err := parseDisclosure(disc, hashOf(t, SHA256))
		if err != nil || d.Digest() != digest {
			t.Fatalf("printed vector %s: digest %v, err %v; want %s", disc, d, err, digest)
		}
	}
	if len(file.Printed) != 2 {
		t.Fatalf("%d printed digests, want 2", len(file.Printed))
	}
	if len(vs) < 5 {
		t.Fatalf("only %d vectors", len(vs))
	}
	seen := map[string]bool{}
	for i, v := range vs {
		d, err := parseDisclosure(v.Disclosure, hashOf(t, SHA256))
		if err != nil {
			t.Fatalf("vector %d: %v", i, err)
		}
		if v.Digest != "" && d.Digest() != v.Digest {
			t.Fatalf("vector %d: digest %s, want %s", i, d.Digest(), v.Digest)
		}
		if len(v.Decoded) == 3 {
			assertJSONEqual(t, []any{d.Salt(), d.name, d.Value()}, v.Decoded)
		} else {
			assertJSONEqual(t, []any{d.Salt(), d.Value()}, v.Decoded)
		}
		if seen[d.Digest()] {
			t.Fatalf("vector %d: digest repeats", i)
		}
		seen[d.Digest()] = true
	}
}

// TestConformancePythonTestcases runs the sd-jwt-python cross-implementation
// cases: issue from user_claims, present holder_disclosed_claims, verify, and
// compare with expect_verified_user_claims (plus iss and, with key binding,
// cnf, as the reference harness does).
func TestConformancePythonTestcases(t *testing.T) {
	issuerKey, holderKey := testKeys(t)
	settings := loadSettings(t, filepath.Join(vectors, "sd-jwt-python-testcases/settings.yml"))
	specs, _ := filepath.Glob(filepath.Join(vectors, "sd-jwt-python-testcases/*/specification.yml"))
	if len(specs) != 17 {
		t.Fatalf("found %d cases, want 17", len(specs))
	}
	for _, spec := range specs {
		name := filepath.Base(filepath.Dir(spec))
		t.Run(name, func(t *testing.T) {
			if reason, ok := skipped["python/"+name]; ok {
				t.Logf("not applicable: %s", reason)
				return
			}
			var doc struct {
				UserClaims   yaml.Node      `yaml:"user_claims"`
				Disclosed    yaml.Node      `yaml:"holder_disclosed_claims"`
				Expect       map[string]any `yaml:"expect_verified_user_claims"`
				KeyBinding   bool           `yaml:"key_binding"`
				Format       string         `yaml:"serialization_format"`
				ExtraHeaders map[string]any `yaml:"extra_header_parameters"`
			}
			if err := yaml.Unmarshal(readFile(t, spec), &doc); err != nil {
				t.Fatal(err)
			}
			claims, sdPaths := yamlClaims(t, &doc.UserClaims, nil)
			cm := claims.(map[string]any)
			cm["iss"] = settings.Identifiers.Issuer
			cm["iat"] = settings.Iat
			cm["exp"] = settings.Exp
			opts := IssueOptions{
				Signer:      keys.Opaque(issuerKey),
				Type:        "testcase+sd-jwt",
				Disclosable: sdPaths,
				Header:      doc.ExtraHeaders,
			}
			if doc.KeyBinding {
				opts.HolderKey = &holderKey.PublicKey
			}
			issued, err := Issue(cm, opts)
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			u, err := Parse(issued)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(u.Disclosures()) != countSD(sdPaths, cm) {
				t.Fatalf("%d disclosures issued, want %d", len(u.Disclosures()), countSD(sdPaths, cm))
			}
			wantHeader := map[string]any{"alg": "ES256", "typ": "testcase+sd-jwt"}
			for k, v := range doc.ExtraHeaders {
				wantHeader[k] = v
			}
			assertJSONEqual(t, u.p.jws.Header, wantHeader)

			sel, err := u.Select(yamlSelection(&doc.Disclosed, nil)...)
			if err != nil {
				t.Fatalf("Select: %v", err)
			}
			vopts := VerifyOptions{IssuerKey: &issuerKey.PublicKey, Now: fixedClock(rfcClock), Types: []string{"testcase+sd-jwt"}}
			pres := sel.String()
			if doc.KeyBinding {
				pres, err = sel.Present(KeyBindingOptions{
					Signer: keys.Opaque(holderKey), Audience: settings.Identifiers.Verifier,
					Nonce: settings.Nonce, IssuedAt: fixedClock(rfcClock)(),
				})
				if err != nil {
					t.Fatalf("Present: %v", err)
				}
				vopts.Audience, vopts.Nonce = settings.Identifiers.Verifier, settings.Nonce
			} else {
				vopts.AllowNoKeyBinding = true
			}
			if doc.Format == "json" {
				js, err := ToJSONSerialization(pres)
				if err != nil {
					t.Fatalf("ToJSONSerialization: %v", err)
				}
				if pres, err = FromJSONSerialization(js); err != nil {
					t.Fatalf("FromJSONSerialization: %v", err)
				}
			}
			v, err := Verify(pres, vopts)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			got := v.Claims()
			delete(got, "iat")
			delete(got, "exp")
			want := doc.Expect
			if want == nil {
				want = map[string]any{}
			}
			want["iss"] = settings.Identifiers.Issuer
			if doc.KeyBinding {
				want["cnf"] = map[string]any{"jwk": settings.KeySettings.HolderKey.public()}
			}
			assertJSONEqual(t, got, want)
		})
	}
}

func (k jwkYAML) public() map[string]any {
	return map[string]any{"kty": k.Kty, "crv": k.Crv, "x": k.X, "y": k.Y}
}

// yamlClaims converts a YAML node into a JSON-like value, collecting the
// paths tagged !sd.
func yamlClaims(t *testing.T, n *yaml.Node, at Path) (any, []Path) {
	t.Helper()
	var sd []Path
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := at.with(k.Value)
			if k.Tag == "!sd" {
				sd = append(sd, p)
			}
			cv, csd := yamlClaims(t, v, p)
			m[k.Value] = cv
			sd = append(sd, csd...)
		}
		return m, sd
	case yaml.SequenceNode:
		a := []any{}
		for i, el := range n.Content {
			p := at.with(i)
			if el.Tag == "!sd" {
				sd = append(sd, p)
			}
			cv, csd := yamlClaims(t, el, p)
			a = append(a, cv)
			sd = append(sd, csd...)
		}
		return a, sd
	case yaml.ScalarNode:
		c := *n
		if c.Tag == "!sd" {
			c.Tag = ""
		}
		var v any
		if err := c.Decode(&v); err != nil {
			t.Fatalf("scalar %q: %v", n.Value, err)
		}
		return v, nil
	}
	t.Fatalf("unexpected YAML node kind %v", n.Kind)
	return nil, nil
}

// yamlSelection turns holder_disclosed_claims into selection paths: true
// selects, false and "None" do not, nested structures select inside.
func yamlSelection(n *yaml.Node, at Path) []Path {
	var out []Path
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i < len(n.Content); i += 2 {
			out = append(out, selectValue(n.Content[i+1], at.with(n.Content[i].Value))...)
		}
	case yaml.SequenceNode:
		for i, el := range n.Content {
			out = append(out, selectValue(el, at.with(i))...)
		}
	}
	return out
}

func selectValue(n *yaml.Node, p Path) []Path {
	if n.Kind == yaml.ScalarNode {
		if strings.EqualFold(n.Value, "true") {
			return []Path{p}
		}
		return nil
	}
	return yamlSelection(n, p)
}

func countSD(paths []Path, claims map[string]any) int {
	b := &refBuilder{sd: &refNode{}}
	for _, p := range paths {
		b.mark(claims, p, b.sd)
	}
	var count func(*refNode) int
	count = func(n *refNode) int {
		c := 0
		if n.sd {
			c++
		}
		for _, k := range n.kids {
			c += count(k)
		}
		return c
	}
	return count(b.sd)
}

func mustUnmarshal(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// normStrict re-decodes v with strictjson's number representation.
func normStrict(t testing.TB, v map[string]any) map[string]any {
	t.Helper()
	b, err := marshalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func hashOf(t testing.TB, name string) crypto.Hash {
	h, ok := hashByName(name)
	if !ok {
		t.Fatalf("hash %s", name)
	}
	return h
}

var _ = errors.Is
var _ = fmt.Sprint
var _ = slices.Contains[[]string]

// checkJSONSerialization verifies an RFC 9901 §8 example: the presentation
// converts to compact form and verifies (sd_hash over the compact form), and
// in the general serialization every signature verifies with its own key.
func checkJSONSerialization(t *testing.T, dir string, issuerKey crypto.PublicKey) int {
	t.Helper()
	data := readFile(t, filepath.Join(dir, "sd_jwt_presentation.json"))
	compact, err := FromJSONSerialization(data)
	if err != nil {
		t.Fatalf("FromJSONSerialization: %v", err)
	}
	if _, err := Verify(compact, VerifyOptions{IssuerKey: issuerKey, Now: fixedClock(rfcClock),
		Audience: "https://verifier.example.org", Nonce: "1234567890"}); err != nil {
		t.Fatalf("Verify JSON-serialized presentation: %v", err)
	}
	var general struct {
		Payload    string `json:"payload"`
		Signatures []struct {
			Protected string `json:"protected"`
			Signature string `json:"signature"`
		} `json:"signatures"`
	}
	mustUnmarshal(t, data, &general)
	if len(general.Signatures) > 0 {
		var s struct {
			Override settingsYAML `yaml:"settings_override"`
		}
		if err := yaml.Unmarshal(readFile(t, filepath.Join(dir, "specification.yml")), &s); err != nil {
			t.Fatal(err)
		}
		issuerKeys := s.Override.KeySettings.IssuerKeys
		if len(general.Signatures) != 2 || len(issuerKeys) != 2 {
			t.Fatalf("want 2 signatures and 2 keys, got %d and %d", len(general.Signatures), len(issuerKeys))
		}
		for i, sg := range general.Signatures {
			raw, _ := decodeB64(sg.Signature)
			pub := &issuerKeys[i].private(t).PublicKey
			if err := jose.VerifySignature(keys.ES256, pub, sg.Protected+"."+general.Payload, raw, nil); err != nil {
				t.Fatalf("signature %d: %v", i, err)
			}
		}
	}
	return 1
}

// checkIssuedShape issues the example's user_claims with this package and
// checks that the payload has the RFC's structure: the same plain claims,
// the same number of digests in each _sd array (at least as many where the
// example adds decoys) and the same array elements replaced by digests.
func checkIssuedShape(t *testing.T, spec string, want map[string]any) {
	t.Helper()
	var doc struct {
		UserClaims yaml.Node `yaml:"user_claims"`
		Decoys     bool      `yaml:"add_decoy_claims"`
	}
	if err := yaml.Unmarshal(readFile(t, spec), &doc); err != nil {
		t.Fatal(err)
	}
	claims, sd := yamlClaims(t, &doc.UserClaims, nil)
	issuerKey, _ := testKeys(t)
	issued, err := Issue(claims.(map[string]any), IssueOptions{Signer: issuerKey, Disclosable: sd})
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	u, err := Parse(issued)
	if err != nil {
		t.Fatal(err)
	}
	got := normJSON(t, u.p.jws.payload).(map[string]any)
	w := normJSON(t, want).(map[string]any)
	for _, k := range []string{"iss", "iat", "exp", "cnf", "_sd_alg"} {
		delete(w, k)
		delete(got, k)
	}
	if gs, ws := shape(got, doc.Decoys), shape(w, doc.Decoys); !reflect.DeepEqual(gs, ws) {
		t.Fatalf("issued payload shape differs\n got: %v\nwant: %v", gs, ws)
	}
}

// shape replaces digests by markers so payloads with random salts compare.
func shape(v any, decoys bool) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range t {
			if k == "_sd" {
				if decoys {
					out[k] = "digests"
				} else {
					out[k] = len(e.([]any))
				}
				continue
			}
			if _, ok := t["..."]; ok && len(t) == 1 {
				return "..."
			}
			out[k] = shape(e, decoys)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = shape(e, decoys)
		}
		return out
	}
	return v
}
