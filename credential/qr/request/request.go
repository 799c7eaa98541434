package request

import (
	"bytes"
	"slices"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// MaxValidity caps how long a request is valid (Expires minus IssuedAt);
// a request is made per transaction, its nonce is fresh.
const MaxValidity = time.Hour

// Caps on a request (docs/qr-format.md §10.4), listed in the doc of
// [Request]. A decoder rejects anything beyond them with qr.ErrMalformed;
// Encode with qr.ErrOptions.
const (
	maxCredentials = 8   // credential queries of a request
	maxClaims      = 64  // claims of one credential query
	maxTypes       = 8   // vct_values of one credential query
	maxPathLen     = 8   // elements of one claims path
	maxPathIndex   = 256 // an array index in a claims path
	// maxStringLen caps every string of a request (verifier identifier,
	// kid, credential id, vct, doctype, path element), in bytes.
	maxStringLen = 256
	// maxSignatureLen is the longest signature: ES512, 2 × 66 bytes.
	maxSignatureLen = 132
)

// requestAAD is the COSE external_aad of a request signature
// (docs/qr-format.md §10.2): it separates request signatures from any other
// COSE_Sign1 the verifier's key makes (mdoc reader authentication, for
// example), at no cost on the wire.
var requestAAD = []byte("IKDQRRequest1")

// Request is a verifier's request (docs/qr-format.md §10): who asks, a
// fresh nonce the holder's response must carry, the validity period and
// the claims asked for.
//
// A request asks for 1 to 8 credentials, each with up to 8 vct values
// and up to 64 claims, each claims path of 1 to 8 elements with array
// indices up to 256; every string (and the kid) is 1 to 256 bytes
// (docs/qr-format.md §10.4).
type Request struct {
	// Verifier is the verifier identifier: its trust-list entry and the
	// audience (aud) the holder binds the response to.
	Verifier string
	// Nonce is 8 to 32 random bytes ([NewNonce]), fresh for each request;
	// the response binding carries it.
	Nonce []byte
	// IssuedAt and Expires bound the request's validity, whole seconds;
	// Expires is after IssuedAt and at most MaxValidity later.
	IssuedAt, Expires time.Time
	// Query is what the verifier asks for.
	Query Query
}

// Query is the compact subset of the OpenID4VP 1.0 Digital Credentials
// Query Language (DCQL, §6) that a request QR carries: a list of
// credential queries, all of which the verifier asks for (no
// credential_sets, no claim_sets, no value matching).
type Query struct {
	Credentials []CredentialQuery
}

// CredentialQuery is one DCQL Credential Query (OpenID4VP 1.0 §6.1).
type CredentialQuery struct {
	// ID identifies the query within the request: non-empty, ASCII
	// letters, digits, '_' and '-' (OpenID4VP 1.0 §6.1), unique.
	ID string
	// Format is credential.FormatSDJWT or credential.FormatMdoc, the DCQL
	// format identifiers (OpenID4VP 1.0 Appendix B.3.1 and B.2.1).
	Format credential.Format
	// VCTValues is meta.vct_values for an SD-JWT VC (OpenID4VP 1.0 B.3.5):
	// the credential types acceptable, at least one.
	VCTValues []string
	// DoctypeValue is meta.doctype_value for an mdoc (OpenID4VP 1.0
	// B.2.3).
	DoctypeValue string
	// Claims lists the claims asked for. Empty means no selectively
	// disclosable claim (holder binding only).
	Claims []ClaimQuery
}

// ClaimQuery is one DCQL Claims Query (OpenID4VP 1.0 §6.3): a claims path
// pointer (§7). For an SD-JWT VC each element is a string (object
// member), a non-negative int (array element) or nil (every element), and
// the first is a string; for an mdoc it is exactly [namespace, element
// identifier] (§7.2).
type ClaimQuery struct {
	Path []any
}

// Types returns the credential types the query accepts: the vct values
// or the doctype.
func (q CredentialQuery) Types() []string {
	if q.Format == credential.FormatMdoc {
		return []string{q.DoctypeValue}
	}
	return slices.Clone(q.VCTValues)
}

// SDJWTPaths returns the claims of an SD-JWT VC query as paths for
// qr.PresentSDJWT (nil for an mdoc query).
func (q CredentialQuery) SDJWTPaths() []sdjwt.Path {
	if q.Format != credential.FormatSDJWT {
		return nil
	}
	out := make([]sdjwt.Path, 0, len(q.Claims))
	for _, c := range q.Claims {
		out = append(out, sdjwt.Path(slices.Clone(c.Path)))
	}
	return out
}

// MdocRequest returns the claims of an mdoc query as the namespace →
// element identifiers map qr.PresentMdoc takes (nil for an SD-JWT query).
func (q CredentialQuery) MdocRequest() map[string][]string {
	if q.Format != credential.FormatMdoc {
		return nil
	}
	out := map[string][]string{}
	for _, c := range q.Claims {
		if len(c.Path) != 2 {
			continue
		}
		ns, ok1 := c.Path[0].(string)
		el, ok2 := c.Path[1].(string)
		if ok1 && ok2 {
			out[ns] = append(out[ns], el)
		}
	}
	return out
}

// Wire form of a request payload (docs/qr-format.md §10.1):
//
//	Request   = [verifier: tstr, nonce: bstr, iat: uint, exp: uint, [1*8 CredQuery]]
//	CredQuery = [id: tstr, 0, vct_values: [1*8 tstr], claims: [* SDJWTPath]] /
//	            [id: tstr, 1, doctype_value: tstr,    claims: [* [tstr, tstr]]]
//	SDJWTPath = [tstr, * (tstr / uint / null)]
const (
	wireFormatSDJWT = 0
	wireFormatMdoc  = 1
)

func wireRequestOf(r *Request) []any {
	creds := make([]any, len(r.Query.Credentials))
	for i, c := range r.Query.Credentials {
		claims := make([]any, len(c.Claims))
		for j, cl := range c.Claims {
			claims[j] = cl.Path
		}
		if c.Format == credential.FormatMdoc {
			creds[i] = []any{c.ID, wireFormatMdoc, c.DoctypeValue, claims}
		} else {
			creds[i] = []any{c.ID, wireFormatSDJWT, c.VCTValues, claims}
		}
	}
	return []any{r.Verifier, r.Nonce, uint64(r.IssuedAt.Unix()), uint64(r.Expires.Unix()), creds}
}

func decodeRequestPayload(b []byte) (*Request, error) {
	bad := func(format string, args ...any) (*Request, error) {
		return nil, errorf("request", qr.ErrMalformed, format, args...)
	}
	var f []cbor.RawMessage
	if err := strictcbor.Unmarshal(b, &f); err != nil || len(f) != 5 {
		return bad("request payload is not a 5-element array")
	}
	var r Request
	var iat, exp uint64
	var creds []cbor.RawMessage
	if strictcbor.Unmarshal(f[0], &r.Verifier) != nil || strictcbor.Unmarshal(f[1], &r.Nonce) != nil ||
		strictcbor.Unmarshal(f[2], &iat) != nil || strictcbor.Unmarshal(f[3], &exp) != nil ||
		strictcbor.Unmarshal(f[4], &creds) != nil {
		return bad("request payload fields have the wrong types")
	}
	if iat > 1<<40 || exp > 1<<40 {
		return bad("request time out of range")
	}
	r.IssuedAt, r.Expires = time.Unix(int64(iat), 0).UTC(), time.Unix(int64(exp), 0).UTC()
	if len(creds) > maxCredentials {
		return bad("%d credential queries, at most %d", len(creds), maxCredentials)
	}
	for i, raw := range creds {
		var cf []cbor.RawMessage
		if err := strictcbor.Unmarshal(raw, &cf); err != nil || len(cf) != 4 {
			return bad("credential query %d is not a 4-element array", i)
		}
		var c CredentialQuery
		var format uint64
		var claims []cbor.RawMessage
		if strictcbor.Unmarshal(cf[0], &c.ID) != nil || strictcbor.Unmarshal(cf[1], &format) != nil || strictcbor.Unmarshal(cf[3], &claims) != nil {
			return bad("credential query %d fields have the wrong types", i)
		}
		switch format {
		case wireFormatSDJWT:
			c.Format = credential.FormatSDJWT
			if strictcbor.Unmarshal(cf[2], &c.VCTValues) != nil || c.VCTValues == nil {
				return bad("credential query %d: vct_values is not an array of tstr", i)
			}
		case wireFormatMdoc:
			c.Format = credential.FormatMdoc
			if strictcbor.Unmarshal(cf[2], &c.DoctypeValue) != nil {
				return bad("credential query %d: doctype_value is not a tstr", i)
			}
		default:
			return bad("credential query %d: unknown format %d", i, format)
		}
		if len(claims) > maxClaims {
			return bad("credential query %d: %d claims, at most %d", i, len(claims), maxClaims)
		}
		for j, cr := range claims {
			p, err := decodeClaimPath(cr)
			if err != nil {
				return bad("credential query %d claim %d: %s", i, j, err)
			}
			c.Claims = append(c.Claims, ClaimQuery{Path: p})
		}
		r.Query.Credentials = append(r.Query.Credentials, c)
	}
	if err := checkRequest(&r); err != nil {
		return bad("%s", err)
	}
	return &r, nil
}

// decodeClaimPath decodes a claims path whose elements are tstr, uint or
// null (OpenID4VP 1.0 §7); checkRequest checks the rest.
func decodeClaimPath(b []byte) ([]any, error) {
	var raw []cbor.RawMessage
	if err := strictcbor.Unmarshal(b, &raw); err != nil {
		return nil, errString("path is not an array")
	}
	if len(raw) == 0 || len(raw) > maxPathLen {
		return nil, errString("path must have 1 to 8 elements")
	}
	out := make([]any, len(raw))
	for i, e := range raw {
		switch e[0] >> 5 { // CBOR major type (RFC 8949 §3.1)
		case 0:
			var n uint64
			if err := strictcbor.Unmarshal(e, &n); err != nil || n > maxPathIndex {
				return nil, errString("array index out of range")
			}
			out[i] = int(n)
		case 3:
			var s string
			if err := strictcbor.Unmarshal(e, &s); err != nil {
				return nil, errString("invalid path string")
			}
			out[i] = s
		case 7:
			if len(e) != 1 || e[0] != 0xf6 {
				return nil, errString("path element is a simple value other than null")
			}
			out[i] = nil
		default:
			return nil, errString("path element is not a string, index or null")
		}
	}
	return out, nil
}

// checkRequest checks a request's content (docs/qr-format.md §10.1,
// OpenID4VP 1.0 §6 and §7); the message is the detail of the caller's
// error.
func checkRequest(r *Request) error {
	if !okString(r.Verifier) {
		return errString("verifier identifier must be 1 to 256 bytes")
	}
	if len(r.Nonce) < qr.MinNonceSize || len(r.Nonce) > qr.MaxNonceSize {
		return errString("nonce must be 8 to 32 bytes")
	}
	if r.IssuedAt.Unix() <= 0 || !r.Expires.After(r.IssuedAt) || r.Expires.Sub(r.IssuedAt) > MaxValidity {
		return errString("expiry must be after the issue time and at most MaxValidity later")
	}
	if r.IssuedAt.Nanosecond() != 0 || r.Expires.Nanosecond() != 0 {
		return errString("request times must be whole seconds")
	}
	if len(r.Query.Credentials) == 0 || len(r.Query.Credentials) > maxCredentials {
		return errString("a request asks for 1 to 8 credentials")
	}
	ids := map[string]bool{}
	for _, c := range r.Query.Credentials {
		// OpenID4VP 1.0 §6.1: id is a non-empty string of alphanumeric,
		// underscore or hyphen characters, unique within the query.
		if !okString(c.ID) || strings.TrimLeft(c.ID, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "" {
			return errString("credential query id must be alphanumeric, '_' or '-'")
		}
		if ids[c.ID] {
			return errString("duplicate credential query id " + c.ID)
		}
		ids[c.ID] = true
		switch c.Format {
		case credential.FormatSDJWT:
			// OpenID4VP 1.0 B.3.5: vct_values is a non-empty array.
			if len(c.VCTValues) == 0 || len(c.VCTValues) > maxTypes || c.DoctypeValue != "" {
				return errString("dc+sd-jwt query needs 1 to 8 vct_values and no doctype_value")
			}
			for _, v := range c.VCTValues {
				if !okString(v) {
					return errString("vct value must be 1 to 256 bytes")
				}
			}
		case credential.FormatMdoc:
			if !okString(c.DoctypeValue) || c.VCTValues != nil {
				return errString("mso_mdoc query needs a doctype_value and no vct_values")
			}
		default:
			return errString("credential format must be dc+sd-jwt or mso_mdoc")
		}
		if len(c.Claims) > maxClaims {
			return errString("too many claims")
		}
		seen := map[string]bool{}
		for _, cl := range c.Claims {
			if err := checkClaimPath(c.Format, cl.Path); err != nil {
				return err
			}
			k := sdjwt.Path(cl.Path).String()
			if seen[k] {
				return errString("duplicate claims path " + k)
			}
			seen[k] = true
		}
	}
	return nil
}

func checkClaimPath(format credential.Format, p []any) error {
	if len(p) == 0 || len(p) > maxPathLen {
		return errString("claims path must have 1 to 8 elements")
	}
	if format == credential.FormatMdoc {
		// OpenID4VP 1.0 §7.2: an mdoc path is [namespace, element identifier].
		ns, ok1 := p[0].(string)
		el, ok2 := p[1%len(p)].(string)
		if len(p) != 2 || !ok1 || !ok2 || !okString(ns) || !okString(el) {
			return errString("mdoc claims path must be [namespace, element identifier]")
		}
		return nil
	}
	// OpenID4VP 1.0 §7.1: strings select members, non-negative integers
	// array elements, null every element; the credential is an object.
	if s, ok := p[0].(string); !ok || !okString(s) {
		return errString("SD-JWT claims path must start with a claim name")
	}
	for _, e := range p[1:] {
		switch v := e.(type) {
		case string:
			if !okString(v) {
				return errString("claims path string must be 1 to 256 bytes")
			}
		case int:
			if v < 0 || v > maxPathIndex {
				return errString("claims path index out of range")
			}
		case nil:
		default:
			return errString("claims path element must be a string, an index or nil")
		}
	}
	return nil
}

func okString(s string) bool { return s != "" && len(s) <= maxStringLen }

// clone returns a deep copy of r (nil slices stay nil).
func (r Request) clone() Request {
	out := r
	out.Nonce = bytes.Clone(r.Nonce)
	out.Query.Credentials = slices.Clone(r.Query.Credentials)
	for i, c := range out.Query.Credentials {
		c.VCTValues = slices.Clone(c.VCTValues)
		c.Claims = slices.Clone(c.Claims)
		for j, cl := range c.Claims {
			c.Claims[j] = ClaimQuery{Path: slices.Clone(cl.Path)}
		}
		out.Query.Credentials[i] = c
	}
	return out
}

// errString is a detail message, wrapped by the caller into a *qr.Error.
type errString string

func (e errString) Error() string { return string(e) }
