package sdjwt

import (
	"crypto"
	"encoding/base64"
	"strings"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// parts is an SD-JWT split into its components and decoded, not verified.
type parts struct {
	raw         string // the input
	jwt         string // the issuer-signed JWT
	jws         compactJWS
	hashName    string
	hash        crypto.Hash
	disclosures []*Disclosure
	kb          string // the KB-JWT, "" if none
	sdEnd       int    // len of the SD-JWT part up to and including the last '~'
	boxes       strictjson.Boxes
}

// readBuffers are the buffers of a [Workspace] that verification reads a
// presentation in: the disclosures, their digests, the digest index and the
// walk's bookkeeping. Nothing a verification returns refers to them. A nil
// *readBuffers hands out fresh ones (Parse, or Verify without a Workspace).
type readBuffers struct {
	ds      []Disclosure
	ptrs    []*Disclosure
	digests []byte
	index   map[string]int
	used    []bool
	parent  []int
	stack   []any             // the room strictjson reads long arrays in
	lentTo  *strictjson.Boxes // who has stack until reset
}

// lendStack lets b's decodes read arrays in rb's stack room until reset.
func (rb *readBuffers) lendStack(b *strictjson.Boxes) {
	if rb != nil {
		b.UseStack(rb.stack)
		rb.stack, rb.lentTo = nil, b
	}
}

// maxKeptDisclosures caps what a Workspace keeps from one verification to
// the next, so that a presentation with thousands of disclosures does not
// leave it holding their room.
const maxKeptDisclosures = 256

func (rb *readBuffers) disclosures(m int) ([]Disclosure, []*Disclosure) {
	if rb == nil {
		return make([]Disclosure, m), make([]*Disclosure, m)
	}
	if cap(rb.ds) < m {
		rb.ds, rb.ptrs = make([]Disclosure, m), make([]*Disclosure, m)
	}
	return rb.ds[:m], rb.ptrs[:m]
}

func (rb *readBuffers) digestBytes(n int) []byte {
	if rb == nil {
		return make([]byte, n)
	}
	if cap(rb.digests) < n {
		rb.digests = make([]byte, n)
	}
	return rb.digests[:n]
}

// walkState returns an empty digest index with room for size digests, and
// used and parent for n disclosures, used all false.
func (rb *readBuffers) walkState(size, n int) (map[string]int, []bool, []int) {
	if rb == nil {
		return make(map[string]int, size), make([]bool, n), make([]int, n)
	}
	if rb.index == nil {
		rb.index = make(map[string]int, size)
	}
	if cap(rb.used) < n {
		rb.used, rb.parent = make([]bool, n), make([]int, n)
	}
	return rb.index, rb.used[:n], rb.parent[:n]
}

// reset empties the buffers for the next verification: no string of the
// presentation stays reachable from them, and what a large presentation
// made them grow to is let go.
func (rb *readBuffers) reset() {
	if rb.lentTo != nil {
		rb.stack, rb.lentTo = rb.lentTo.Stack(), nil // holding nothing
	}
	if cap(rb.stack) > maxKeptDisclosures {
		rb.stack = nil
	}
	clear(rb.ds[:cap(rb.ds)])
	clear(rb.ptrs[:cap(rb.ptrs)])
	clear(rb.digests[:cap(rb.digests)])
	clear(rb.used[:cap(rb.used)])
	if cap(rb.ds) > maxKeptDisclosures || len(rb.index) > 2*maxKeptDisclosures {
		*rb = readBuffers{}
		return
	}
	clear(rb.index)
}

// split parses the compact serialization <JWT>~<D1>~...~<Dn>~[<KB-JWT>]
// (RFC 9901 §4) with caps on size and number of disclosures, in the
// buffers of rb (nil: fresh ones).
func split(s string, rb *readBuffers) (*parts, *check.Error) {
	if len(s) > MaxTokenSize {
		return nil, newErr(check.Format, ErrTooLarge, "%d bytes, limit %d", len(s), MaxTokenSize)
	}
	// Count separators before splitting so hostile input cannot make us
	// allocate an unbounded slice.
	n := strings.Count(s, "~")
	if n == 0 {
		return nil, newErr(check.Format, ErrMalformed, "no '~' separator: not an SD-JWT")
	}
	if n-1 > MaxDisclosures {
		return nil, newErr(check.Format, ErrTooLarge, "%d disclosures, limit %d", n-1, MaxDisclosures)
	}
	last := strings.LastIndexByte(s, '~')
	p := &parts{raw: s, kb: s[last+1:], sdEnd: last + 1}
	jwt, rest, _ := strings.Cut(s[:last+1], "~")
	p.jwt = jwt
	// The string and number values of the payload, the disclosures and
	// the KB-JWT take their interface values from shared slabs.
	p.boxes.Reserve(3*(n-1) + 24) // digest, value and name of each disclosure, and the rest
	rb.lendStack(&p.boxes)
	if err := p.jws.parse(jwt, "issuer-signed JWT", &p.boxes); err != nil {
		return nil, err
	}
	jws := &p.jws

	// RFC 9901 §4.1.1: _sd_alg defaults to sha-256 when absent.
	p.hashName = SHA256
	if v, ok := jws.payload["_sd_alg"]; ok {
		name, ok := v.(string)
		if !ok {
			return nil, newErr(check.Format, ErrHashAlgorithm, "_sd_alg is not a string")
		}
		p.hashName = name
	}
	h, ok := hashByName(p.hashName)
	if !ok {
		// RFC 9901 §7.1 step 3.1: reject an unsupported hash algorithm.
		return nil, newErr(check.Format, ErrHashAlgorithm, "%q", p.hashName)
	}
	p.hash = h

	// The disclosures, their decoded JSON and their digests each live in
	// one allocation for the whole SD-JWT: every string of a disclosure
	// shares these buffers, which nothing writes once they are filled.
	if m := n - 1; m > 0 {
		ds, ptrs := rb.disclosures(m)
		p.disclosures = ptrs
		raw := make([]byte, base64.RawURLEncoding.DecodedLen(len(rest)))
		dlen := b64DigestLen(h)
		digests := rb.digestBytes(m * dlen)
		for i := range ds {
			var enc string
			enc, rest, _ = strings.Cut(rest, "~")
			if enc == "" {
				return nil, newErr(check.Format, ErrMalformedDisclosure, "empty disclosure (\"~~\")")
			}
			used, err := ds[i].decode(enc, h, raw, digests[i*dlen:(i+1)*dlen], &p.boxes)
			if err != nil {
				return nil, newErr(check.Format, ErrMalformedDisclosure, "disclosure %d: %v", i, err)
			}
			raw = raw[used:]
			p.disclosures[i] = &ds[i]
		}
	}
	return p, nil
}

// Unverified is an SD-JWT or SD-JWT+KB that has been parsed but not verified.
// A holder uses it to list what can be disclosed and to build presentations;
// a verifier must use [Verify] instead.
type Unverified struct {
	p      *parts
	parent []int
}

// Parse reads an SD-JWT (as issued) or an SD-JWT+KB. It checks the format and
// the structure of the disclosures (every disclosure referenced once, no
// collisions) but verifies no signature.
func Parse(s string) (*Unverified, error) {
	p, err := split(s, nil)
	if err != nil {
		return nil, err
	}
	pr, err := process(p.jws.payload, p.disclosures, nil, &p.boxes, false)
	if err != nil {
		return nil, err
	}
	return &Unverified{p: p, parent: pr.parent}, nil
}

// Disclosures lists the disclosures in the order they appear, each with the
// claim path it reveals.
func (u *Unverified) Disclosures() []*Disclosure {
	return append([]*Disclosure(nil), u.p.disclosures...)
}

// IssuerJWT returns the issuer-signed JWT.
func (u *Unverified) IssuerJWT() string { return u.p.jwt }

// KeyBindingJWT returns the KB-JWT, or "" if there is none.
func (u *Unverified) KeyBindingJWT() string { return u.p.kb }

// HashAlgorithm returns the _sd_alg in force (sha-256 when absent).
func (u *Unverified) HashAlgorithm() string { return u.p.hashName }

// String returns the SD-JWT without any KB-JWT: <JWT>~<D1>~...~<Dn>~.
func (u *Unverified) String() string { return u.p.raw[:u.p.sdEnd] }

// Select returns the SD-JWT keeping only the disclosures needed to reveal
// the claims at the given paths (RFC 9901 §7.2). Selecting a claim keeps its
// own disclosure, every disclosure nested inside it, and the disclosures of
// the claims that contain it; nothing else. A path naming a claim that is
// always visible is accepted and adds nothing. Any existing KB-JWT is dropped.
func (u *Unverified) Select(paths ...Path) (*Unverified, error) {
	ds := u.p.disclosures
	keep := make([]bool, len(ds))
	for _, sel := range paths {
		if err := sel.validate(); err != nil {
			return nil, newErr(check.Input, ErrSelection, "%v", err)
		}
		found := false
		for i, d := range ds {
			if sel.prefixOf(d.path) {
				found = true
				for j := i; j >= 0 && !keep[j]; j = u.parent[j] {
					keep[j] = true
				}
			}
		}
		if !found && !u.visible(sel) {
			return nil, newErr(check.Input, ErrSelection, "%v", sel)
		}
	}
	var sb strings.Builder
	sb.Grow(u.p.sdEnd)
	sb.WriteString(u.p.jwt)
	sb.WriteByte('~')
	kept := make([]*Disclosure, 0, len(ds))
	parent := make([]int, 0, len(ds))
	newIndex := make([]int, len(ds))
	for i, d := range ds {
		if !keep[i] {
			continue
		}
		newIndex[i] = len(kept)
		kept = append(kept, d)
		parent = append(parent, u.parent[i]) // renumbered below

		sb.WriteString(d.encoded)
		sb.WriteByte('~')
	}
	for i := range parent {
		// A kept disclosure's parent is always kept too (see the loop above).
		if parent[i] >= 0 {
			parent[i] = newIndex[parent[i]]
		}
	}
	s := sb.String()
	np := *u.p
	np.raw, np.disclosures, np.kb, np.sdEnd = s, kept, "", len(s)
	np.boxes = strictjson.Boxes{} // the room left in u.p's stays u.p's
	return &Unverified{p: &np, parent: parent}, nil
}

// visible reports whether a path names a claim that is present without any
// disclosure (a plain claim of the issuer-signed payload).
func (u *Unverified) visible(sel Path) bool {
	pr, err := process(u.p.jws.payload, nil, nil, nil, false)
	if err != nil {
		return false
	}
	for _, e := range sel {
		if e == nil {
			return false
		}
	}
	_, ok := lookup(pr.claims, sel)
	return ok
}
