// Package docgen generates, from one table of claim descriptions and the
// Go data of package credential, the documents that describe ikdkit's
// credential types:
//
//   - credential/typemetadata/<type>.json: SD-JWT VC Type Metadata
//     (draft-ietf-oauth-sd-jwt-vc-18 §"SD-JWT VC Type Metadata"), with id-ID
//     and en-US display names and claim labels, "mandatory" and "sd";
//   - credential/schema/<type>.schema.json: a JSON Schema (2020-12) of the
//     SD-JWT VC claim set. Draft -12 removed JSON Schema from Type Metadata,
//     so the schema is a separate document;
//   - credential/mdocclaims/<type>.json: the data elements of the type's mdoc
//     namespace with their id-ID and en-US labels and whether they are
//     always present, the mdoc counterpart of the Type Metadata's claims
//     (an OpenID4VCI issuer describes its mso_mdoc configurations with it);
//   - docs/credentials.md: every claim of every type with its labels, SD-JWT
//     claim name, mdoc element identifier, JSON type, rule and disclosure.
//
// Run it with go generate in package credential; a test fails when a
// committed file differs from what [Files] produces.
package docgen

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ikdkit/ikdkit/credential"
)

// Files returns every generated file, keyed by its path relative to the
// repository root (slash-separated).
func Files() (map[string][]byte, error) {
	out := map[string][]byte{}
	var integrity []string
	for _, s := range specs() {
		if err := s.check(); err != nil {
			return nil, err
		}
		md, err := s.typeMetadata()
		if err != nil {
			return nil, err
		}
		out["credential/typemetadata/"+s.slug+".json"] = md
		integrity = append(integrity, Integrity(md))
		sc, err := s.schema()
		if err != nil {
			return nil, err
		}
		out["credential/schema/"+s.slug+".schema.json"] = sc
		mc, err := s.mdocClaims()
		if err != nil {
			return nil, err
		}
		out["credential/mdocclaims/"+s.slug+".json"] = mc
	}
	out["docs/credentials.md"] = markdown(specs(), integrity)
	return out, nil
}

// Integrity returns the W3C Subresource Integrity metadata "sha256-" +
// base64(SHA-256(b)) used for vct#integrity (draft-ietf-oauth-sd-jwt-vc-18
// §"Integrity of Referenced Documents").
func Integrity(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// check reports table mistakes the generator can see on its own.
func (s spec) check() error {
	seen := map[string]bool{}
	for _, r := range s.rows {
		if r.path == nil {
			continue
		}
		k := pathString(r.path)
		if seen[k] {
			return fmt.Errorf("docgen: %s: duplicate path %s", s.slug, k)
		}
		seen[k] = true
		if len(r.path) > 1 && !seen[pathString(r.path[:len(r.path)-1])] {
			return fmt.Errorf("docgen: %s: %s listed before its parent", s.slug, k)
		}
		if r.id == "" || r.en == "" || r.rule == "" || r.schema == nil {
			return fmt.Errorf("docgen: %s: %s lacks a label, rule or schema", s.slug, k)
		}
	}
	for _, sd := range s.t.SelectivelyDisclosable() {
		if !seen[pathString(sd)] {
			return fmt.Errorf("docgen: %s: selectively disclosable %s has no row", s.slug, pathString(sd))
		}
	}
	return nil
}

// pathString renders a claim path as in the docs: a.b, members[].name.
func pathString(path []any) string {
	var b strings.Builder
	for i, e := range path {
		switch e := e.(type) {
		case nil:
			b.WriteString("[]")
		case string:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(e)
		}
	}
	return b.String()
}

func (s spec) find(path []any) *row {
	for i := range s.rows {
		if s.rows[i].path != nil && slices.Equal(s.rows[i].path, path) {
			return &s.rows[i]
		}
	}
	return nil
}

// mandatory: the claim is present in every issued credential, so it and
// all its ancestors are required.
func (s spec) mandatory(path []any) bool {
	for n := len(path); n > 0; n-- {
		r := s.find(path[:n])
		if r == nil || !r.req {
			return false
		}
	}
	return true
}

func (s spec) sd(path []any) string {
	if s.t.IsSelectivelyDisclosable(credential.ClaimPath(path)) {
		return "always"
	}
	return "never"
}

// ---- Type Metadata ---------------------------------------------------------

type typeDisplay struct {
	Locale      string `json:"locale"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

type claimDisplay struct {
	Locale string `json:"locale"`
	Label  string `json:"label"`
}

type claimMeta struct {
	Path      []any          `json:"path"`
	Display   []claimDisplay `json:"display"`
	Mandatory bool           `json:"mandatory,omitempty"`
	SD        string         `json:"sd"`
}

type typeMeta struct {
	VCT         string        `json:"vct"`
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Display     []typeDisplay `json:"display"`
	Claims      []claimMeta   `json:"claims"`
}

func (s spec) typeMetadata() ([]byte, error) {
	m := typeMeta{
		VCT:  s.t.VCT,
		Name: "ikdkit " + s.t.Name,
		Description: s.en[1] + " ikdkit proposal (docs/domain.md §8), not a type published by the issuing authority. " +
			"mdoc doctype and namespace " + s.t.DocType + ". Type Metadata carries no JSON Schema since " +
			"draft-ietf-oauth-sd-jwt-vc-12; the claim set's JSON Schema (2020-12) is ikdkit's credential/schema/" +
			s.slug + ".schema.json.",
		Display: []typeDisplay{
			{Locale: "id-ID", Name: s.id[0], Description: s.id[1]},
			{Locale: "en-US", Name: s.en[0], Description: s.en[1]},
		},
	}
	for _, r := range s.rows {
		if r.path == nil {
			continue
		}
		m.Claims = append(m.Claims, claimMeta{
			Path:      r.path,
			Display:   []claimDisplay{{Locale: "id-ID", Label: r.id}, {Locale: "en-US", Label: r.en}},
			Mandatory: s.mandatory(r.path),
			SD:        s.sd(r.path),
		})
	}
	return encode(m)
}

// ---- mdoc claims -----------------------------------------------------------

type mdocClaim struct {
	// Path is [namespace, element identifier] (OpenID4VCI 1.0 Appendix C,
	// OpenID4VP 1.0 §7 for mdoc: exactly these two elements).
	Path      []string       `json:"path"`
	Display   []claimDisplay `json:"display"`
	Mandatory bool           `json:"mandatory,omitempty"`
}

type mdocClaims struct {
	DocType   string      `json:"doctype"`
	Namespace string      `json:"namespace"`
	Claims    []mdocClaim `json:"claims"`
}

// mdocClaims lists the top-level data elements of the type's namespace, in
// table order: a row whose mdoc identifier names a member inside an
// element ("a.b", "members[].x") is part of that element and has no entry
// of its own. An element is mandatory when its claim and every ancestor
// are (or, for an mdoc-only element, when its row says so).
func (s spec) mdocClaims() ([]byte, error) {
	m := mdocClaims{DocType: s.t.DocType, Namespace: s.t.Namespace}
	seen := map[string]bool{}
	for _, r := range s.rows {
		if r.mdoc == "" || strings.ContainsAny(r.mdoc, ".[") {
			continue
		}
		if seen[r.mdoc] {
			return nil, fmt.Errorf("docgen: %s: mdoc element %s documented twice", s.slug, r.mdoc)
		}
		seen[r.mdoc] = true
		mandatory := r.req
		if r.path != nil {
			mandatory = s.mandatory(r.path)
		}
		m.Claims = append(m.Claims, mdocClaim{
			Path:      []string{s.t.Namespace, r.mdoc},
			Display:   []claimDisplay{{Locale: "id-ID", Label: r.id}, {Locale: "en-US", Label: r.en}},
			Mandatory: mandatory,
		})
	}
	return encode(m)
}

// encode is indented JSON without HTML escaping, ending in LF: the exact
// bytes that vct#integrity covers.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	e.SetIndent("", "  ")
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ---- JSON Schema -----------------------------------------------------------

// technical are the claims the issuer or the SD-JWT layer adds to the
// claim set (RFC 7519, RFC 7800, draft-ietf-oauth-status-list,
// draft-ietf-oauth-sd-jwt-vc-18 §"Registered JWT Claims").
func technical() map[string]any {
	return map[string]any{
		"iss":           map[string]any{"type": "string", "minLength": 1},
		"sub":           map[string]any{"type": "string"},
		"jti":           map[string]any{"type": "string"},
		"iat":           map[string]any{"type": "number"},
		"nbf":           map[string]any{"type": "number"},
		"exp":           map[string]any{"type": "number"},
		"cnf":           map[string]any{"type": "object"},
		"status":        map[string]any{"type": "object"},
		"vct#integrity": map[string]any{"type": "string", "pattern": `^sha(256|384|512)-[A-Za-z0-9+/]+={0,2}$`},
	}
}

func (s spec) node(prefix []any, base map[string]any) map[string]any {
	n := map[string]any{}
	for k, v := range base {
		n[k] = v
	}
	props := map[string]any{}
	var required []any
	var items map[string]any
	for _, r := range s.rows {
		if r.path == nil || len(r.path) != len(prefix)+1 || !slices.Equal(r.path[:len(prefix)], prefix) {
			continue
		}
		last := r.path[len(prefix)]
		child := s.node(r.path, r.schema)
		if last == nil {
			items = child
			continue
		}
		props[last.(string)] = child
		if r.req {
			required = append(required, last)
		}
	}
	switch n["type"] {
	case "object":
		n["properties"] = props
		n["additionalProperties"] = false
		if len(required) > 0 {
			n["required"] = required
		}
	case "array":
		if items != nil {
			n["items"] = items
		}
	}
	return n
}

func (s spec) schema() ([]byte, error) {
	root := s.node(nil, map[string]any{"type": "object"})
	props := root["properties"].(map[string]any)
	for k, v := range technical() {
		props[k] = v
	}
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["title"] = "ikdkit " + s.t.Name + " SD-JWT VC claims (" + s.t.VCT + ")"
	root["description"] = "JSON Schema of the complete, processed claim set (all disclosures applied) of an ikdkit " +
		s.t.Name + " SD-JWT VC. Generated by credential/internal/docgen. Separate from the Type Metadata document " +
		"because draft-ietf-oauth-sd-jwt-vc-12 removed JSON Schema from Type Metadata. It checks shapes, code lists " +
		"and patterns; calendar validity, the region table, check digits and cross-field consistency are checked " +
		"by the Go decoder (credential." + s.goName + "FromClaims)."
	if len(s.conds) > 0 {
		root["allOf"] = s.conds
	}
	return encode(root)
}
