package sdjwt

import (
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/ikdkit/ikdkit/credential/check"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// referenceIssue is the issuance code as it was before the single-pass
// encoder (commit d2698fe): it builds maps and encodes them afterwards. The
// tests hold the new Issue to byte-identical output.
func referenceIssue(claims map[string]any, opts IssueOptions) (string, error) {
	if opts.Signer == nil {
		return "", newErr(check.Input, ErrOptions, "no Signer")
	}
	js, err := jose.NewSigner(opts.Signer)
	if err != nil {
		return "", newErr(check.Input, ErrAlgorithm, "issuer key: %v", err)
	}
	alg := js.Algorithm()
	hashName := opts.HashAlgorithm
	if hashName == "" {
		hashName = SHA256
	}
	h, ok := hashByName(hashName)
	if !ok {
		return "", newErr(check.Input, ErrHashAlgorithm, "%q", hashName)
	}
	if opts.Decoys < 0 || opts.Decoys > 64 {
		return "", newErr(check.Input, ErrOptions, "Decoys must be between 0 and 64")
	}
	r := opts.Rand
	if r == nil {
		r = rand.Reader
	}

	// Normalise the claims to decoded JSON so every value has one shape.
	nv, err := refNormalize(claims, 0)
	if err != nil {
		return "", newErr(check.Input, ErrOptions, "claims are not JSON: %v", err)
	}
	norm, ok := nv.(map[string]any)
	if !ok {
		return "", newErr(check.Input, ErrOptions, "claims are not a JSON object")
	}
	norm = maps.Clone(norm) // cnf may be added; the caller's map stays untouched
	if _, ok := norm["_sd_alg"]; ok {
		return "", newErr(check.Input, ErrReservedClaimName, "_sd_alg is reserved")
	}
	if opts.HolderKey != nil {
		if _, ok := norm["cnf"]; ok {
			return "", newErr(check.Input, ErrOptions, "claims already have cnf and HolderKey is set")
		}
		jwk, err := publicJWK(opts.HolderKey)
		if err != nil {
			return "", newErr(check.Input, ErrOptions, "%v", err)
		}
		norm["cnf"] = map[string]any{"jwk": jwk}
	}

	if err := checkReserved(norm, nil); err != nil {
		return "", err
	}
	b := &refBuilder{hash: h, rand: r, decoys: opts.Decoys, sd: &refNode{kids: map[any]*refNode{}}}
	for _, p := range opts.Disclosable {
		if err := p.validate(); err != nil {
			return "", newErr(check.Input, ErrOptions, "%v", err)
		}
		n := b.mark(norm, p, b.sd)
		if n == 0 {
			return "", newErr(check.Input, ErrOptions, "disclosable path %v names no claim", p)
		}
	}
	out, err := b.object(norm, b.sd)
	if err != nil {
		return "", err
	}
	payload := out.(map[string]any)
	if b.digests > 0 {
		payload["_sd_alg"] = hashName
	}

	header := make(map[string]any, len(opts.Header)+4)
	for k, v := range opts.Header {
		switch {
		case k == "alg" || k == "typ" || k == "crit",
			k == "kid" && opts.KeyID != "",
			k == "x5c" && len(opts.X5C) > 0:
			return "", newErr(check.Input, ErrOptions, "Header cannot set %q", k)
		}
		header[k] = v
	}
	header["alg"] = alg
	if opts.Type != "" {
		header["typ"] = opts.Type
	}
	if opts.KeyID != "" {
		header["kid"] = opts.KeyID
	}
	if len(opts.X5C) > 0 {
		chain := make([]any, len(opts.X5C))
		for i, c := range opts.X5C {
			chain[i] = base64.StdEncoding.EncodeToString(c.Raw) // RFC 7515 §4.1.6: standard base64 DER
		}
		header["x5c"] = chain
	}
	nh, err := refNormalize(header, 0)
	if err != nil {
		return "", newErr(check.Input, ErrOptions, "header: %v", err)
	}
	hb, err := appendJSON(nil, nh)
	if err != nil {
		return "", err
	}
	pb, err := appendJSON(make([]byte, 0, 1024), payload)
	if err != nil {
		return "", err
	}
	jwt, err := js.Sign(r, hb, pb)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	sb.WriteString(jwt)
	sb.WriteByte('~')
	for _, d := range b.out {
		sb.WriteString(d)
		sb.WriteByte('~')
	}
	return sb.String(), nil
}

// refBuilder turns plain claims into an SD-JWT payload and its disclosures.
type refBuilder struct {
	hash    crypto.Hash
	rand    io.Reader
	decoys  int
	sd      *refNode // the disclosure policy as a tree over the claims
	out     []string // encoded disclosures, in creation order
	digests int
}

// refNode is one claim of the disclosure policy: whether the claim itself
// is disclosable, and the nodes of its members or elements (keyed by name
// or index). Claims with no node contain nothing disclosable.
type refNode struct {
	sd   bool
	kids map[any]*refNode
}

func (n *refNode) kid(k any) *refNode {
	if n == nil {
		return nil
	}
	return n.kids[k]
}

func (n *refNode) child(k any) *refNode {
	if n.kids == nil {
		n.kids = make(map[any]*refNode)
	}
	c := n.kids[k]
	if c == nil {
		c = &refNode{}
		n.kids[k] = c
	}
	return c
}

// mark records every concrete claim matching pattern p and returns how many.
func (b *refBuilder) mark(v any, p Path, at *refNode) int {
	if len(p) == 0 {
		at.sd = true
		return 1
	}
	switch e := p[0].(type) {
	case string:
		m, ok := v.(map[string]any)
		if !ok {
			return 0
		}
		c, ok := m[e]
		if !ok {
			return 0
		}
		return b.mark(c, p[1:], at.child(e))
	case int:
		a, ok := v.([]any)
		if !ok || e >= len(a) {
			return 0
		}
		return b.mark(a[e], p[1:], at.child(e))
	case nil:
		a, ok := v.([]any)
		if !ok {
			return 0
		}
		n := 0
		for i, el := range a {
			n += b.mark(el, p[1:], at.child(i))
		}
		return n
	}
	return 0
}

func (b *refBuilder) salt() (string, error) {
	var s [SaltSize]byte
	if _, err := io.ReadFull(b.rand, s[:]); err != nil {
		return "", fmt.Errorf("sdjwt: reading salt: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(s[:]), nil
}

// disclose makes a disclosure for [salt, name, value] or [salt, value] and
// returns its digest.
func (b *refBuilder) disclose(name *string, value any) (string, error) {
	salt, err := b.salt()
	if err != nil {
		return "", err
	}
	js := make([]byte, 0, 64)
	js = append(js, '[')
	js = appendString(js, salt)
	js = append(js, ',')
	if name != nil {
		js = appendString(js, *name)
		js = append(js, ',')
	}
	js, err = appendJSON(js, value)
	if err != nil {
		return "", err
	}
	js = append(js, ']')
	enc := base64.RawURLEncoding.EncodeToString(js)
	b.out = append(b.out, enc)
	b.digests++
	return b64Digest(b.hash, enc), nil
}

// value returns v with the disclosable claims below node replaced by
// digests. Subtrees without policy nodes are shared, not copied.
func (b *refBuilder) value(v any, node *refNode) (any, error) {
	if node == nil || node.kids == nil {
		return v, nil
	}
	switch t := v.(type) {
	case map[string]any:
		return b.object(t, node)
	case []any:
		out := make([]any, len(t))
		for i, el := range t {
			kn := node.kid(i)
			cv, err := b.value(el, kn)
			if err != nil {
				return nil, err
			}
			if kn != nil && kn.sd {
				// RFC 9901 §4.2.4.2: the element becomes {"...": digest}.
				d, err := b.disclose(nil, cv)
				if err != nil {
					return nil, err
				}
				cv = map[string]any{"...": d}
			}
			out[i] = cv
		}
		return out, nil
	}
	return v, nil
}

func (b *refBuilder) object(m map[string]any, node *refNode) (any, error) {
	out := make(map[string]any, len(m)+1)
	var digests []string
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// Sorted, so salts are drawn in a reproducible order.
	sort.Strings(keys)
	for _, k := range keys {
		kn := node.kid(k)
		cv, err := b.value(m[k], kn)
		if err != nil {
			return nil, err
		}
		if kn == nil || !kn.sd {
			out[k] = cv
			continue
		}
		name := k
		d, err := b.disclose(&name, cv)
		if err != nil {
			return nil, err
		}
		digests = append(digests, d)
	}
	if len(digests) > 0 {
		for range b.decoys {
			salt, err := b.salt()
			if err != nil {
				return nil, err
			}
			// RFC 9901 §4.2.5: a decoy is the digest of a random value.
			digests = append(digests, b64Digest(b.hash, salt))
		}
		// RFC 9901 §4.2.4.1: hide the claims' order by sorting the digests.
		slices.Sort(digests)
		sd := make([]any, len(digests))
		for i, d := range digests {
			sd[i] = d
		}
		out["_sd"] = sd
	}
	return out, nil
}

// refNormalize is the old normalize: it turns caller claims into decoded-JSON values (map[string]any,
// []any, string, json.Number, bool, nil). Common Go types are converted
// directly; anything else (structs, custom marshalers) goes through
// encoding/json and strict decoding.
func refNormalize(v any, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("claims nested deeper than %d", MaxDepth)
	}
	switch t := v.(type) {
	case nil, bool, string, json.Number:
		return t, nil
	case int:
		return json.Number(strconv.Itoa(t)), nil
	case int64:
		return json.Number(strconv.FormatInt(t, 10)), nil
	case int32:
		return json.Number(strconv.FormatInt(int64(t), 10)), nil
	case uint64:
		return json.Number(strconv.FormatUint(t, 10)), nil
	case uint32:
		return json.Number(strconv.FormatUint(uint64(t), 10)), nil
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, fmt.Errorf("%v is not a JSON number", t)
		}
		return json.Number(strconv.FormatFloat(t, 'g', -1, 64)), nil
	case map[string]any:
		if refIsJSONValue(t, depth) {
			return t, nil // already decoded-JSON shaped: share it, do not copy
		}
		out := make(map[string]any, len(t))
		for k, e := range t {
			n, err := refNormalize(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	case []any:
		if refIsJSONValue(t, depth) {
			return t, nil
		}
		out := make([]any, len(t))
		for i, e := range t {
			n, err := refNormalize(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case []string:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = e
		}
		return out, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return strictjson.Unmarshal(raw, MaxDepth)
}

// refIsJSONValue reports whether v holds only decoded-JSON types within the
// depth limit, so normalize can use it as it is.
func refIsJSONValue(v any, depth int) bool {
	if depth > MaxDepth {
		return false
	}
	switch t := v.(type) {
	case nil, bool, string, json.Number:
		return true
	case map[string]any:
		for _, e := range t {
			if !refIsJSONValue(e, depth+1) {
				return false
			}
		}
		return true
	case []any:
		for _, e := range t {
			if !refIsJSONValue(e, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}
