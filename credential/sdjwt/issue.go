package sdjwt

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/keys"
)

// SaltSize is the number of random bytes in each salt: 128 bits, the
// minimum RFC 9901 §9.3 recommends.
const SaltSize = 16

// IssueOptions configure [Issue].
type IssueOptions struct {
	// Signer is the issuer's signing key. Required. It is used only through
	// crypto.Signer, so an HSM-backed key works.
	// The JWS algorithm is the one of its key (ES256, ES384, ES512 or
	// EdDSA).
	Signer crypto.Signer
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
	// listed, the disclosures are recursive (RFC 9901 §6.3). A path that
	// names no claim is an error unless SkipAbsent is set.
	Disclosable []Path
	// SkipAbsent lets a Disclosable path name no claim: such a path is
	// passed over, so an issuer can give a credential type's whole list of
	// optional claims for a document that carries only some of them.
	// Malformed paths are still an error.
	SkipAbsent bool
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
	// Workspace, if set, holds the buffers the token is built in, kept
	// from one call to the next: see [Workspace].
	Workspace *Workspace
	// Extra holds claims added to the top level of the payload beside
	// those of claims, always in the clear: a Disclosable path cannot
	// name them. A name occurs once, in claims or in Extra; it cannot be
	// _sd, ..., _sd_alg, nor cnf when HolderKey is set. Values are as in
	// claims. It lets an issuer add the claims it sets itself (iss, iat,
	// exp, status) to a claims map without copying or growing it.
	Extra []Claim
}

// Claim is one claim of [IssueOptions.Extra].
type Claim struct {
	Name  string
	Value any
}

// A Workspace holds the buffers [Issue] builds a token in (salts, digests,
// disclosures, payload, disclosure policy) and those [Verify] reads a
// presentation in (disclosures, digests, digest index), so that a caller
// issuing or verifying many tokens one after the other, one Workspace per
// goroutine, lets each call reuse the buffers of the call before instead
// of allocating its own. The zero value is ready to use.
//
// A Workspace is for one call at a time: a call that finds it in use by
// another works in buffers of its own. The token or verified result a call
// returns shares no memory with the Workspace, and the salts, disclosures
// and digests are wiped from it before the call returns.
type Workspace struct {
	busy    atomic.Bool
	read    readBuffers        // Verify's
	scratch []byte             // salts (raw and base64url) and the digest stack
	discs   []byte             // "<disclosure>~" of every disclosure
	payload []byte             // the payload's JSON, and each disclosure's while it is built
	nodes   []sdNode           // the disclosure policy
	maps    []map[string]int32 // member maps of policy nodes, cleared for reuse
	members []member
	sorted  [][]byte
	// signer is the JWS signer of the last Signer issued with, if that
	// Signer can be compared with ==.
	signer atomic.Pointer[cachedSigner]
}

// cachedSigner is a Workspace's JWS signer and the Signer it wraps.
type cachedSigner struct {
	s  crypto.Signer
	js *jose.Signer
}

// joseSigner returns the JWS signer of s, the one kept in ws (which may be
// nil) if it wraps the same s: finding the algorithm of the key each time
// costs about a microsecond.
func (ws *Workspace) joseSigner(s crypto.Signer) (*jose.Signer, error) {
	if ws != nil {
		if c := ws.signer.Load(); c != nil && equalSigners(c.s, s) {
			return c.js, nil
		}
	}
	js, err := jose.NewSigner(s)
	if err == nil && ws != nil && equalSigners(s, s) {
		ws.signer.Store(&cachedSigner{s: s, js: js})
	}
	return js, err
}

// equalSigners reports whether a == b, and false where == would panic (a
// struct holding a map, say): such a Signer is never kept.
func equalSigners(a, b crypto.Signer) (equal bool) {
	if !reflect.TypeOf(a).Comparable() {
		return false
	}
	defer func() {
		if recover() != nil {
			equal = false
		}
	}()
	return a == b
}

// Issue creates an SD-JWT (RFC 9901 §4) from claims: every claim named in
// opts.Disclosable becomes a disclosure, the rest stays in the signed
// payload. It returns <issuer-JWT>~<disclosure>~...~.
//
// Issue encodes in one pass: the salts of all disclosures and decoys come
// from a single read of opts.Rand, and the payload and disclosures are
// written straight into byte buffers with no intermediate maps. The claims
// map is only read, never modified.
func Issue(claims map[string]any, opts IssueOptions) (string, error) {
	tok, err := issue(claims, opts)
	if err != nil {
		return "", err
	}
	// tok is this call's own buffer, never written again: the string
	// shares it, as strings.Builder does.
	return unsafe.String(unsafe.SliceData(tok), len(tok)), nil
}

// issue is Issue, returning the token in a buffer of its own.
func issue(claims map[string]any, opts IssueOptions) ([]byte, error) {
	if opts.Signer == nil {
		return nil, newErr(check.Input, ErrOptions, "no Signer")
	}
	js, err := opts.Workspace.joseSigner(opts.Signer)
	if err != nil {
		return nil, newErr(check.Input, ErrAlgorithm, "issuer key: %v", err)
	}
	alg := js.Algorithm()
	hashName := opts.HashAlgorithm
	if hashName == "" {
		hashName = SHA256
	}
	h, ok := hashByName(hashName)
	if !ok {
		return nil, newErr(check.Input, ErrHashAlgorithm, "%q", hashName)
	}
	if opts.Decoys < 0 || opts.Decoys > 64 {
		return nil, newErr(check.Input, ErrOptions, "Decoys must be between 0 and 64")
	}
	r := opts.Rand
	if r == nil {
		r = rand.Reader
	}

	// Normalise the claims to decoded JSON so every value has one shape.
	// Claims that already hold only JSON-compatible values are shared, not
	// copied (nothing below writes to them), and the same walk looks for
	// reserved claim names.
	norm := claims
	plain, reserved := scanClaims(claims, 0)
	if !plain {
		nv, err := normalize(claims, 0)
		if err != nil {
			return nil, newErr(check.Input, ErrOptions, "claims are not JSON: %v", err)
		}
		m, ok := nv.(map[string]any)
		if !ok {
			return nil, newErr(check.Input, ErrOptions, "claims are not a JSON object")
		}
		norm, reserved = m, true // not scanned: let checkReserved look
	}
	if _, ok := norm["_sd_alg"]; ok {
		return nil, newErr(check.Input, ErrReservedClaimName, "_sd_alg is reserved")
	}
	// The root object is norm plus cnf (and _sd_alg, added below); they are
	// kept beside norm so the caller's map is never cloned or changed.
	var root rootExtra
	if opts.HolderKey != nil {
		if _, ok := norm["cnf"]; ok {
			return nil, newErr(check.Input, ErrOptions, "claims already have cnf and HolderKey is set")
		}
		intoCnf := false
		for _, p := range opts.Disclosable {
			if len(p) > 0 && p[0] == "cnf" {
				intoCnf = true
			}
		}
		if raw, ok := appendCnf(make([]byte, 0, 192), opts.HolderKey); ok && !intoCnf {
			root.cnf = rawJSON(raw)
		} else {
			jwk, err := publicJWK(opts.HolderKey)
			if err != nil {
				return nil, newErr(check.Input, ErrOptions, "%v", err)
			}
			root.cnf = map[string]any{"jwk": jwk}
		}
	}

	if reserved {
		if err := checkReserved(norm, nil); err != nil {
			return nil, err
		}
	}
	if len(opts.Extra) > 0 {
		var err error
		if root.claims, err = checkExtra(norm, &opts); err != nil {
			return nil, err
		}
	}
	ws := opts.Workspace
	if ws == nil || !ws.busy.CompareAndSwap(false, true) {
		ws = new(Workspace)
		ws.busy.Store(true)
	}
	b := &builder{hash: h, decoys: opts.Decoys, ws: ws}
	defer b.release()
	if cap(ws.nodes) == 0 {
		ws.nodes = make([]sdNode, 0, len(opts.Disclosable)+4)
	}
	b.nodes = append(ws.nodes[:0], sdNode{})
	if len(opts.Disclosable) > 0 {
		b.nodes[0].members = b.newMembers(len(opts.Disclosable))
	}
	for _, p := range opts.Disclosable {
		if err := p.validate(); err != nil {
			return nil, newErr(check.Input, ErrOptions, "%v", err)
		}
		var n int
		if len(p) > 0 && p[0] == "cnf" && root.cnf != nil {
			n = b.mark(root.cnf, p[1:], b.childNamed(0, "cnf"))
		} else {
			n = b.mark(norm, p, 0)
		}
		if n == 0 && !opts.SkipAbsent {
			return nil, newErr(check.Input, ErrOptions, "disclosable path %v names no claim", p)
		}
	}
	disclosures, err := b.drawSalts(r)
	if err != nil {
		return nil, err
	}
	if disclosures > 0 {
		root.sdAlg = hashName
	}

	hb, err := issuerHeader(alg, &opts)
	if err != nil {
		return nil, err
	}
	b.members = slices.Grow(ws.members[:0], len(norm)+len(opts.Extra)+16)
	b.sorted = ws.sorted[:0]
	pb, err := b.object(slices.Grow(ws.payload[:0], 512+len(b.salts)/saltB64Len*(b.digLen+3)), norm, 0, &root)
	if err != nil {
		return nil, err
	}
	ws.payload = pb

	// <b64 header>.<b64 payload>.<b64 signature>~<disclosure>~...~ is
	// written once, into a buffer sized for it with the longest signature;
	// the signing input is hashed once written.
	b64 := base64.RawURLEncoding
	var rs [2 * 66]byte // the longest JWS signature: ES512's R||S
	out := make([]byte, 0, b64.EncodedLen(len(hb))+b64.EncodedLen(len(pb))+b64.EncodedLen(len(rs))+3+len(b.discs))
	hw := jose.NewHash(alg) // nil for EdDSA, which signs the whole input
	out = b64.AppendEncode(out, hb)
	out = append(out, '.')
	out = b64.AppendEncode(out, pb)
	input := ""
	if hw != nil {
		hw.Write(out)
	} else {
		input = string(out)
	}
	sig, err := js.SignInput(r, input, hw, rs[:0])
	if err != nil {
		return nil, newErr(check.Input, ErrSigner, "%v", err)
	}
	out = append(out, '.')
	out = b64.AppendEncode(out, sig)
	out = append(out, '~')
	return append(out, b.discs...), nil
}

// issuerHeader encodes the protected header of the issuer-signed JWT with
// its members in sorted order.
func issuerHeader(alg keys.Algorithm, opts *IssueOptions) ([]byte, error) {
	if len(opts.Header) == 0 {
		// The common case, written directly: alg < kid < typ < x5c.
		hb := make([]byte, 0, 64+len(opts.KeyID))
		hb = append(hb, `{"alg":`...)
		hb = appendString(hb, string(alg))
		if opts.KeyID != "" {
			hb = append(hb, `,"kid":`...)
			hb = appendString(hb, opts.KeyID)
		}
		if opts.Type != "" {
			hb = append(hb, `,"typ":`...)
			hb = appendString(hb, opts.Type)
		}
		if len(opts.X5C) > 0 {
			hb = append(hb, `,"x5c":[`...)
			for i, c := range opts.X5C {
				if i > 0 {
					hb = append(hb, ',')
				}
				hb = append(hb, '"')
				hb = base64.StdEncoding.AppendEncode(hb, c.Raw) // RFC 7515 §4.1.6: standard base64 DER
				hb = append(hb, '"')
			}
			hb = append(hb, ']')
		}
		return append(hb, '}'), nil
	}
	header := make(map[string]any, len(opts.Header)+4)
	for k, v := range opts.Header {
		switch {
		case k == "alg" || k == "typ" || k == "crit",
			k == "kid" && opts.KeyID != "",
			k == "x5c" && len(opts.X5C) > 0:
			return nil, newErr(check.Input, ErrOptions, "Header cannot set %q", k)
		}
		header[k] = v
	}
	header["alg"] = string(alg)
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
		return nil, newErr(check.Input, ErrOptions, "header: %v", err)
	}
	return appendJSON(nil, nh)
}

// saltB64Len is the length of a base64url-encoded salt.
var saltB64Len = base64.RawURLEncoding.EncodedLen(SaltSize)

// builder turns plain claims into an SD-JWT payload and its disclosures,
// writing JSON directly.
type builder struct {
	hash   crypto.Hash
	decoys int
	ws     *Workspace // where the buffers come from, and go back to
	nmaps  int        // member maps of ws.maps in use
	nodes  []sdNode   // the disclosure policy as a tree over the claims; nodes[0] is the root

	salts []byte // base64url salts, saltB64Len each, in the order they are used
	nsalt int    // salts used so far

	discs   []byte   // "<disclosure>~" for every disclosure, in creation order
	digs    []byte   // stack of base64url digests of the _sd arrays being built
	digLen  int      // length of one base64url digest
	members []member // stack of the sorted members of the objects being encoded
	sorted  [][]byte // reused to sort the digests of a large _sd array
}

// sdNode is one claim of the disclosure policy: whether the claim itself
// is disclosable, and the nodes of its members or elements. Claims with no
// node contain nothing disclosable. Nodes refer to each other by index into
// builder.nodes.
type sdNode struct {
	sd      bool
	named   bool // reached through a member name (the parent is an object)
	hasSD   bool // an object with a disclosable member: it gets an _sd array and decoys
	parent  int32
	members map[string]int32
	elems   map[int]int32
}

// rootExtra holds the members the issuer adds to the top-level object.
type rootExtra struct {
	cnf    any     // {"jwk": ...} when a holder key is bound, as rawJSON unless a path goes into it
	sdAlg  string  // _sd_alg when there is at least one disclosure
	claims []Claim // IssueOptions.Extra, normalized
}

// member is one member of an object being encoded.
type member struct {
	name  string
	value any
}

// rawJSON is a value already encoded as JSON.
type rawJSON []byte

func (b *builder) hasKids(ni int32) bool {
	return ni >= 0 && (b.nodes[ni].members != nil || b.nodes[ni].elems != nil)
}

func (b *builder) member(ni int32, k string) int32 {
	if ni < 0 {
		return -1
	}
	if c, ok := b.nodes[ni].members[k]; ok {
		return c
	}
	return -1
}

func (b *builder) elem(ni int32, i int) int32 {
	if ni < 0 {
		return -1
	}
	if c, ok := b.nodes[ni].elems[i]; ok {
		return c
	}
	return -1
}

// newMembers returns an empty member map, the workspace's next one if it
// has one.
func (b *builder) newMembers(size int) map[string]int32 {
	if b.nmaps < len(b.ws.maps) {
		m := b.ws.maps[b.nmaps]
		b.nmaps++
		return m
	}
	m := make(map[string]int32, size)
	b.ws.maps = append(b.ws.maps, m)
	b.nmaps++
	return m
}

// release gives the builder's buffers back to its workspace, grown as they
// were, wiped (salts, disclosures, payload) and with no reference to the
// caller's claims, and frees the workspace for the next call.
func (b *builder) release() {
	ws := b.ws
	if b.discs != nil {
		ws.discs = b.discs[:0]
	}
	if b.nodes != nil {
		ws.nodes = b.nodes[:0]
	}
	if b.members != nil {
		ws.members = b.members[:0]
	}
	if b.sorted != nil {
		ws.sorted = b.sorted[:0]
	}
	clear(ws.scratch[:cap(ws.scratch)])
	clear(ws.discs[:cap(ws.discs)])
	clear(ws.payload[:cap(ws.payload)])
	clear(ws.nodes[:cap(ws.nodes)])
	clear(ws.members[:cap(ws.members)])
	clear(ws.sorted[:cap(ws.sorted)])
	for _, m := range ws.maps[:b.nmaps] {
		clear(m)
	}
	ws.busy.Store(false)
}

func (b *builder) childNamed(ni int32, k string) int32 {
	if c := b.member(ni, k); c >= 0 {
		return c
	}
	c := int32(len(b.nodes))
	b.nodes = append(b.nodes, sdNode{named: true, parent: ni})
	if b.nodes[ni].members == nil {
		b.nodes[ni].members = b.newMembers(0)
	}
	b.nodes[ni].members[k] = c
	return c
}

func (b *builder) childIndexed(ni int32, i int) int32 {
	if c := b.elem(ni, i); c >= 0 {
		return c
	}
	c := int32(len(b.nodes))
	b.nodes = append(b.nodes, sdNode{parent: ni})
	if b.nodes[ni].elems == nil {
		b.nodes[ni].elems = make(map[int]int32)
	}
	b.nodes[ni].elems[i] = c
	return c
}

// mark records every concrete claim matching pattern p and returns how many.
func (b *builder) mark(v any, p Path, at int32) int {
	if len(p) == 0 {
		b.nodes[at].sd = true
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
		return b.mark(c, p[1:], b.childNamed(at, e))
	case int:
		a, ok := v.([]any)
		if !ok || e >= len(a) {
			return 0
		}
		return b.mark(a[e], p[1:], b.childIndexed(at, e))
	case nil:
		a, ok := v.([]any)
		if !ok {
			return 0
		}
		n := 0
		for i, el := range a {
			n += b.mark(el, p[1:], b.childIndexed(at, i))
		}
		return n
	}
	return 0
}

// discEstimate is the room drawSalts leaves per disclosure for the
// base64url disclosures and their '~': a claim of a few dozen bytes (the
// KTP-el's average 107) fits, so the buffer is not grown and copied.
const discEstimate = 128

// drawSalts counts the salts the policy needs, one per disclosure and one
// per decoy, reads them all with a single read of r (RFC 9901 §4.2.1: each
// salt is SaltSize random bytes, 128 bits as §9.3 recommends, unique per
// disclosure), encodes them as base64url, and sizes the builder's buffers.
// It returns the number of disclosures.
func (b *builder) drawSalts(r io.Reader) (int, error) {
	disclosures, arrays := 0, 0
	for i := range b.nodes {
		n := &b.nodes[i]
		if !n.sd {
			continue
		}
		disclosures++
		if n.named && !b.nodes[n.parent].hasSD {
			b.nodes[n.parent].hasSD = true
			arrays++
		}
	}
	count := disclosures + arrays*b.decoys
	b.digLen = base64.RawURLEncoding.EncodedLen(b.hash.Size())
	if count == 0 {
		return 0, nil
	}
	// The raw salts, their base64url and the digest stack share one
	// buffer; the disclosures have their own (both may outgrow their
	// room: append copies then). Without buffers in the workspace, one
	// allocation holds all.
	saltsLen := count * (SaltSize + saltB64Len)
	digsLen := min(count, 64) * b.digLen
	discsLen := disclosures * discEstimate
	ws := b.ws
	if cap(ws.scratch) < saltsLen+digsLen {
		if cap(ws.discs) < discsLen {
			all := make([]byte, saltsLen+digsLen+discsLen)
			ws.scratch = all[: saltsLen+digsLen : saltsLen+digsLen]
			ws.discs = all[saltsLen+digsLen : saltsLen+digsLen]
		} else {
			ws.scratch = make([]byte, saltsLen+digsLen)
		}
	}
	buf := ws.scratch[:saltsLen+digsLen]
	raw := buf[:count*SaltSize]
	if _, err := io.ReadFull(r, raw); err != nil {
		return 0, fmt.Errorf("sdjwt: reading salt: %w", err)
	}
	enc := buf[count*SaltSize : saltsLen]
	for i := range count {
		base64.RawURLEncoding.Encode(enc[i*saltB64Len:], raw[i*SaltSize:(i+1)*SaltSize])
	}
	b.salts = enc
	b.digs = buf[saltsLen : saltsLen : saltsLen+digsLen]
	b.discs = slices.Grow(ws.discs[:0], discsLen)
	return disclosures, nil
}

// salt returns the next unused base64url salt.
func (b *builder) salt() ([]byte, error) {
	if (b.nsalt+1)*saltB64Len > len(b.salts) {
		return nil, fmt.Errorf("sdjwt: internal error: more salts used than drawn")
	}
	s := b.salts[b.nsalt*saltB64Len : (b.nsalt+1)*saltB64Len]
	b.nsalt++
	return s, nil
}

// pushDigest appends base64url(hash(data)) to the digest stack (RFC 9901
// §4.2.3: the digest is over the ASCII of the base64url string).
func (b *builder) pushDigest(data []byte) {
	enc := base64.RawURLEncoding
	switch b.hash {
	case crypto.SHA256:
		d := sha256.Sum256(data)
		b.digs = enc.AppendEncode(b.digs, d[:])
	case crypto.SHA384:
		d := sha512.Sum384(data)
		b.digs = enc.AppendEncode(b.digs, d[:])
	default:
		d := sha512.Sum512(data)
		b.digs = enc.AppendEncode(b.digs, d[:])
	}
}

// disclose makes the disclosure [salt, name, value] (RFC 9901 §4.2.1) or,
// when hasName is false, [salt, value] (§4.2.2), where value is v with the
// disclosable claims below node ni replaced by digests. Its digest is pushed
// onto b.digs.
//
// The disclosure's JSON is built in the spare capacity of buf, the buffer
// the caller is writing: it is finished, encoded into b.discs and no longer
// needed before the caller writes to buf again.
func (b *builder) disclose(buf []byte, name string, hasName bool, v any, ni int32) error {
	s := buf[len(buf):]
	if cap(s) < 256 {
		s = make([]byte, 0, 512)
	}
	s = append(s, '[', '"')
	at := len(s)
	s = append(s, make([]byte, saltB64Len)...) // the salt, drawn after the value's own salts
	s = append(s, '"', ',')
	if hasName {
		s = appendString(s, name)
		s = append(s, ',')
	}
	s, err := b.value(s, v, ni)
	if err != nil {
		return err
	}
	s = append(s, ']')
	salt, err := b.salt()
	if err != nil {
		return err
	}
	copy(s[at:], salt)
	start := len(b.discs)
	b.discs = base64.RawURLEncoding.AppendEncode(b.discs, s)
	b.pushDigest(b.discs[start:])
	b.discs = append(b.discs, '~')
	return nil
}

// value appends v with the disclosable claims below node ni replaced by
// digests. Subtrees without policy nodes are encoded as they are.
func (b *builder) value(buf []byte, v any, ni int32) ([]byte, error) {
	if raw, ok := v.(rawJSON); ok {
		return append(buf, raw...), nil
	}
	if !b.hasKids(ni) {
		return appendJSON(buf, v)
	}
	switch t := v.(type) {
	case map[string]any:
		return b.object(buf, t, ni, nil)
	case []any:
		buf = append(buf, '[')
		for i, el := range t {
			if i > 0 {
				buf = append(buf, ',')
			}
			kn := b.elem(ni, i)
			if kn < 0 || !b.nodes[kn].sd {
				var err error
				if buf, err = b.value(buf, el, kn); err != nil {
					return nil, err
				}
				continue
			}
			// RFC 9901 §4.2.4.2: the element becomes {"...": digest}.
			if err := b.disclose(buf, "", false, el, kn); err != nil {
				return nil, err
			}
			top := len(b.digs) - b.digLen
			buf = append(buf, `{"...":"`...)
			buf = append(buf, b.digs[top:]...)
			buf = append(buf, '"', '}')
			b.digs = b.digs[:top]
		}
		return append(buf, ']'), nil
	}
	return appendJSON(buf, v)
}

// object appends the object m with its disclosable members replaced by an
// _sd array of digests. Members are written in sorted order, as appendJSON
// writes them, and _sd is inserted at its sorted place once all digests
// are known. extra, for the root object only, adds cnf and _sd_alg.
func (b *builder) object(buf []byte, m map[string]any, ni int32, extra *rootExtra) ([]byte, error) {
	kstart := len(b.members)
	for k, v := range m {
		b.members = append(b.members, member{k, v})
	}
	if extra != nil {
		if extra.cnf != nil {
			b.members = append(b.members, member{"cnf", extra.cnf})
		}
		if extra.sdAlg != "" {
			b.members = append(b.members, member{"_sd_alg", extra.sdAlg})
		}
		for _, c := range extra.claims {
			b.members = append(b.members, member{c.Name, c.Value})
		}
	}
	nkeys := len(b.members) - kstart
	// Sorted, so salts are drawn in a reproducible order and members come
	// out in the order appendJSON gives: usually through order, which
	// sorts indices and moves no member (and no pointer).
	var order [maxOrdered]orderKey
	ordered := nkeys <= maxOrdered
	if ordered {
		sortMembers(b.members[kstart:], order[:nkeys])
	} else {
		slices.SortFunc(b.members[kstart:], func(x, y member) int { return strings.Compare(x.name, y.name) })
	}

	dstart := len(b.digs)
	buf = append(buf, '{')
	sdAt := -1 // where "_sd" goes: before the first member that sorts after it
	for i := range nkeys {
		at := kstart + i
		if ordered {
			at = kstart + int(order[i].i)
		}
		mb := b.members[at] // b.members may grow below: index it afresh
		k, v := mb.name, mb.value
		if sdAt < 0 && k > "_sd" {
			sdAt = len(buf)
		}
		kn := b.member(ni, k)
		if kn >= 0 && b.nodes[kn].sd {
			if err := b.disclose(buf, k, true, v, kn); err != nil {
				return nil, err
			}
			continue
		}
		buf = appendString(buf, k)
		buf = append(buf, ':')
		var err error
		if buf, err = b.value(buf, v, kn); err != nil {
			return nil, err
		}
		buf = append(buf, ',')
	}
	clear(b.members[kstart:])
	b.members = b.members[:kstart]
	if sdAt < 0 {
		sdAt = len(buf)
	}
	if len(b.digs) > dstart {
		for range b.decoys {
			salt, err := b.salt()
			if err != nil {
				return nil, err
			}
			// RFC 9901 §4.2.5: a decoy is the digest of a random value.
			b.pushDigest(salt)
		}
		buf = b.insertSD(buf, sdAt, dstart)
		b.digs = b.digs[:dstart]
	}
	if buf[len(buf)-1] == ',' {
		buf[len(buf)-1] = '}'
		return buf, nil
	}
	return append(buf, '}'), nil
}

// maxOrdered is the most members of one object sortMembers sorts.
const maxOrdered = 64

// orderKey is a member's index and the first 8 bytes of its name, as a
// big-endian integer (zero-padded).
type orderKey struct {
	prefix uint64
	i      int32
}

// sortMembers fills order with the indices of ms in the bytewise order of
// their names, by insertion over the names' 8-byte prefixes (the same
// order; whole names compared only on a tie). len(order) is len(ms).
func sortMembers(ms []member, order []orderKey) {
	for i := range ms {
		var p [8]byte
		copy(p[:], ms[i].name)
		order[i] = orderKey{binary.BigEndian.Uint64(p[:]), int32(i)}
	}
	for i := 1; i < len(order); i++ {
		k := order[i]
		j := i
		for j > 0 {
			o := order[j-1]
			if o.prefix < k.prefix || o.prefix == k.prefix && ms[o.i].name < ms[k.i].name {
				break
			}
			order[j] = o
			j--
		}
		order[j] = k
	}
}

// insertSD inserts the member "_sd":[...], with the digests b.digs[dstart:]
// in sorted order (RFC 9901 §4.2.4.1: sorting hides the claims' order), at
// offset at of buf.
func (b *builder) insertSD(buf []byte, at, dstart int) []byte {
	w := b.digLen
	digs := b.digs[dstart:]
	n := len(digs) / w
	sortDigests(digs, w, &b.sorted)
	size := len(`"_sd":[],`) + n*(w+2) + n - 1
	end := len(buf)
	buf = slices.Grow(buf, size)[:end+size]
	copy(buf[at+size:], buf[at:end])
	p := at + copy(buf[at:], `"_sd":[`)
	for i := range n {
		if i > 0 {
			buf[p] = ','
			p++
		}
		buf[p] = '"'
		p += 1 + copy(buf[p+1:], digs[i*w:(i+1)*w])
		buf[p] = '"'
		p++
	}
	copy(buf[p:], "],")
	return buf
}

// sortDigests sorts the w-byte records of digs bytewise, in place: for the
// usual few dozen, by insertion over their first 8 bytes read as a
// big-endian integer (the same order; the rest compared only on a tie),
// then one pass moving the records; for more, through a slice of records
// (kept in *tmp).
func sortDigests(digs []byte, w int, tmp *[][]byte) {
	n := len(digs) / w
	if n <= 64 && w >= 8 {
		type key struct {
			prefix uint64
			i      int
		}
		var keys [64]key
		for i := range n {
			keys[i] = key{binary.BigEndian.Uint64(digs[i*w:]), i}
		}
		less := func(a, b key) bool {
			if a.prefix != b.prefix {
				return a.prefix < b.prefix
			}
			return bytes.Compare(digs[a.i*w:(a.i+1)*w], digs[b.i*w:(b.i+1)*w]) < 0
		}
		sorted := true
		for i := 1; i < n; i++ {
			k := keys[i]
			j := i
			for j > 0 && less(k, keys[j-1]) {
				keys[j] = keys[j-1]
				j--
			}
			keys[j] = k
			sorted = sorted && j == i
		}
		if sorted {
			return
		}
		var orig [64 * 86]byte // the longest digest: base64url of SHA-512
		copy(orig[:], digs)
		for d, k := range keys[:n] {
			copy(digs[d*w:(d+1)*w], orig[k.i*w:(k.i+1)*w])
		}
		return
	}
	recs := (*tmp)[:0]
	for i := range n {
		recs = append(recs, slices.Clone(digs[i*w:(i+1)*w]))
	}
	slices.SortFunc(recs, bytes.Compare)
	for i, r := range recs {
		copy(digs[i*w:], r)
	}
	*tmp = recs
}

// checkExtra checks opts.Extra against claims (see IssueOptions.Extra)
// and returns it with its values normalized (a copy if any needed it).
func checkExtra(claims map[string]any, opts *IssueOptions) ([]Claim, error) {
	out := opts.Extra
	for i, c := range opts.Extra {
		switch {
		case c.Name == "_sd" || c.Name == "..." || c.Name == "_sd_alg":
			return nil, newErr(check.Input, ErrReservedClaimName, "%s is reserved", c.Name)
		case c.Name == "cnf" && opts.HolderKey != nil:
			return nil, newErr(check.Input, ErrOptions, "Extra has cnf and HolderKey is set")
		}
		if _, dup := claims[c.Name]; dup {
			return nil, newErr(check.Input, ErrOptions, "claim %q is both in claims and in Extra", c.Name)
		}
		for _, d := range opts.Extra[:i] {
			if d.Name == c.Name {
				return nil, newErr(check.Input, ErrOptions, "claim %q is twice in Extra", c.Name)
			}
		}
		plain, reserved := scanClaims(c.Value, 1)
		if !plain {
			nv, err := normalize(c.Value, 1)
			if err != nil {
				return nil, newErr(check.Input, ErrOptions, "claim %q is not JSON: %v", c.Name, err)
			}
			if &out[0] == &opts.Extra[0] {
				out = slices.Clone(opts.Extra)
			}
			out[i].Value, reserved = nv, true
		}
		if reserved {
			if err := checkReserved(out[i].Value, Path{c.Name}); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// checkReserved rejects the claim names RFC 9901 §4.2.1 reserves for the
// format (_sd and ...) anywhere in the claims.
func checkReserved(v any, at Path) *check.Error {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if k == "_sd" || k == "..." {
				return newErr(check.Input, ErrReservedClaimName, "claim name %q at %v", k, at)
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

// appendCnf appends {"jwk":{...}}, the cnf claim binding an ECDSA or
// Ed25519 holder key (RFC 7800 §3.2), with members in sorted order as
// appendJSON would write publicJWK's map. ok is false for any other key,
// or a key that cannot be encoded: publicJWK then reports why.
func appendCnf(dst []byte, pub crypto.PublicKey) ([]byte, bool) {
	b64 := base64.RawURLEncoding
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		raw, err := k.Bytes() // 0x04 || X || Y
		if err != nil {
			return nil, false
		}
		size := (len(raw) - 1) / 2
		dst = append(dst, `{"jwk":{"crv":`...)
		dst = appendString(dst, k.Curve.Params().Name)
		dst = append(dst, `,"kty":"EC","x":"`...)
		dst = b64.AppendEncode(dst, raw[1:1+size])
		dst = append(dst, `","y":"`...)
		dst = b64.AppendEncode(dst, raw[1+size:])
		return append(dst, `"}}`...), true
	case ed25519.PublicKey:
		dst = append(dst, `{"jwk":{"crv":"Ed25519","kty":"OKP","x":"`...)
		dst = b64.AppendEncode(dst, k)
		return append(dst, `"}}`...), true
	}
	return nil, false
}

// scanClaims reports whether v holds only values appendJSON writes as
// normalize would convert them (so v needs no normalising), and whether a
// reserved claim name (_sd or ..., RFC 9901 §4.2.1) occurs in it, in one
// walk. checkReserved then names the offending claim.
func scanClaims(v any, depth int) (plain, reserved bool) {
	if depth > MaxDepth {
		return false, false
	}
	switch t := v.(type) {
	case nil, bool, string, json.Number, int, int64, int32, uint64, uint32:
		return true, false
	case float64:
		return !math.IsNaN(t) && !math.IsInf(t, 0), false
	case map[string]any:
		for k, e := range t {
			if k == "_sd" || k == "..." {
				reserved = true
			}
			p, r := scanClaims(e, depth+1)
			if !p {
				return false, false
			}
			reserved = reserved || r
		}
		return true, reserved
	case []any:
		for _, e := range t {
			p, r := scanClaims(e, depth+1)
			if !p {
				return false, false
			}
			reserved = reserved || r
		}
		return true, reserved
	}
	return false, false
}
