package sdjwt

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
)

// SaltSize is the number of random bytes in each salt: 128 bits, the
// minimum RFC 9901 §9.3 recommends.
const SaltSize = 16

// IssueOptions configure [Issue].
type IssueOptions struct {
	// Signer is the issuer's signing key. Required. It is used only through
	// crypto.Signer, so an HSM-backed key works.
	Signer crypto.Signer
	// Algorithm is the JWS algorithm (ES256, ES384, ES512 or EdDSA); empty
	// means the one that fits the key.
	Algorithm string
	// Type is the typ header; empty omits it ([IssueVC] sets dc+sd-jwt).
	Type string
	// KeyID is the kid header: a key identifier or a DID URL such as
	// did:key:z...#z....
	KeyID string
	// X5C is the certificate chain for the x5c header, leaf first.
	X5C []*x509.Certificate
	// Header holds extra protected header parameters. It cannot set alg, typ
	// or crit, nor kid or x5c when KeyID or X5C is set.
	Header map[string]any
	// Disclosable lists the claims that are selectively disclosable. A path
	// may name a nested claim or an array element, and nil in a path means
	// every element of an array. When a claim and claims inside it are both
	// listed, the disclosures are recursive (RFC 9901 §6.3).
	Disclosable []Path
	// Decoys is the number of decoy digests (RFC 9901 §4.2.5) added to every
	// _sd array the issuer creates.
	Decoys int
	// HashAlgorithm is the _sd_alg: sha-256 (default), sha-384 or sha-512.
	HashAlgorithm string
	// HolderKey, if set, is put in cnf.jwk (RFC 7800) to bind the SD-JWT to
	// the holder's key.
	HolderKey crypto.PublicKey
	// Rand is the source of salts and signing randomness; nil means crypto/rand.
	Rand io.Reader
}

// Issue creates an SD-JWT (RFC 9901 §4) from claims: every claim named in
// opts.Disclosable becomes a disclosure, the rest stays in the signed
// payload. It returns <issuer-JWT>~<disclosure>~...~.
func Issue(claims map[string]any, opts IssueOptions) (string, error) {
	if opts.Signer == nil {
		return "", newErr(CheckOptions, ErrOptions, "no Signer")
	}
	alg := opts.Algorithm
	if alg == "" {
		a, err := AlgorithmForKey(opts.Signer.Public())
		if err != nil {
			return "", newErr(CheckOptions, ErrAlgorithm, "issuer key: %v", err)
		}
		alg = a
	}
	if err := checkAlg(alg, nil); err != nil {
		return "", err
	}
	hashName := opts.HashAlgorithm
	if hashName == "" {
		hashName = SHA256
	}
	h, ok := hashByName(hashName)
	if !ok {
		return "", newErr(CheckOptions, ErrHashAlgorithm, "%q", hashName)
	}
	if opts.Decoys < 0 || opts.Decoys > 64 {
		return "", newErr(CheckOptions, ErrOptions, "Decoys must be between 0 and 64")
	}
	r := opts.Rand
	if r == nil {
		r = rand.Reader
	}

	// Normalise the claims to decoded JSON so every value has one shape.
	nv, err := normalize(claims, 0)
	if err != nil {
		return "", newErr(CheckIssue, ErrOptions, "claims are not JSON: %v", err)
	}
	norm, ok := nv.(map[string]any)
	if !ok {
		return "", newErr(CheckIssue, ErrOptions, "claims are not a JSON object")
	}
	norm = maps.Clone(norm) // cnf may be added; the caller's map stays untouched
	if _, ok := norm["_sd_alg"]; ok {
		return "", newErr(CheckIssue, ErrReservedClaimName, "_sd_alg is reserved")
	}
	if opts.HolderKey != nil {
		if _, ok := norm["cnf"]; ok {
			return "", newErr(CheckIssue, ErrOptions, "claims already have cnf and HolderKey is set")
		}
		jwk, err := publicJWK(opts.HolderKey)
		if err != nil {
			return "", newErr(CheckIssue, ErrOptions, "%v", err)
		}
		norm["cnf"] = map[string]any{"jwk": jwk}
	}

	if err := checkReserved(norm, nil); err != nil {
		return "", err
	}
	b := &builder{hash: h, rand: r, decoys: opts.Decoys, sd: &sdNode{kids: map[any]*sdNode{}}}
	for _, p := range opts.Disclosable {
		if err := p.validate(); err != nil {
			return "", newErr(CheckIssue, ErrOptions, "%v", err)
		}
		n := b.mark(norm, p, b.sd)
		if n == 0 {
			return "", newErr(CheckIssue, ErrOptions, "disclosable path %v names no claim", p)
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
			return "", newErr(CheckOptions, ErrOptions, "Header cannot set %q", k)
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
	nh, err := normalize(header, 0)
	if err != nil {
		return "", newErr(CheckOptions, ErrOptions, "header: %v", err)
	}
	hb, err := appendJSON(nil, nh)
	if err != nil {
		return "", err
	}
	pb, err := appendJSON(make([]byte, 0, 1024), payload)
	if err != nil {
		return "", err
	}
	jwt, err := sign(opts.Signer, alg, hb, pb, r)
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

// builder turns plain claims into an SD-JWT payload and its disclosures.
type builder struct {
	hash    crypto.Hash
	rand    io.Reader
	decoys  int
	sd      *sdNode  // the disclosure policy as a tree over the claims
	out     []string // encoded disclosures, in creation order
	digests int
}

// sdNode is one claim of the disclosure policy: whether the claim itself
// is disclosable, and the nodes of its members or elements (keyed by name
// or index). Claims with no node contain nothing disclosable.
type sdNode struct {
	sd   bool
	kids map[any]*sdNode
}

func (n *sdNode) kid(k any) *sdNode {
	if n == nil {
		return nil
	}
	return n.kids[k]
}

func (n *sdNode) child(k any) *sdNode {
	if n.kids == nil {
		n.kids = make(map[any]*sdNode)
	}
	c := n.kids[k]
	if c == nil {
		c = &sdNode{}
		n.kids[k] = c
	}
	return c
}

// mark records every concrete claim matching pattern p and returns how many.
func (b *builder) mark(v any, p Path, at *sdNode) int {
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

// checkReserved rejects the claim names RFC 9901 §4.2.1 reserves for the
// format (_sd and ...) anywhere in the claims.
func checkReserved(v any, at Path) *Error {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if k == "_sd" || k == "..." {
				return newErr(CheckIssue, ErrReservedClaimName, "claim name %q at %v", k, at)
			}
			if isContainer(e) {
				if err := checkReserved(e, at.with(k)); err != nil {
					return err
				}
			}
		}
	case []any:
		for i, e := range t {
			if isContainer(e) {
				if err := checkReserved(e, at.with(i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (b *builder) salt() (string, error) {
	var s [SaltSize]byte
	if _, err := io.ReadFull(b.rand, s[:]); err != nil {
		return "", fmt.Errorf("sdjwt: reading salt: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(s[:]), nil
}

// disclose makes a disclosure for [salt, name, value] or [salt, value] and
// returns its digest.
func (b *builder) disclose(name *string, value any) (string, error) {
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
func (b *builder) value(v any, node *sdNode) (any, error) {
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

func (b *builder) object(m map[string]any, node *sdNode) (any, error) {
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
