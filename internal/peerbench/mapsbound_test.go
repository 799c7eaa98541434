package peerbench

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"unsafe"

	"github.com/ikdkit/ikdkit/internal/box"
)

// mapsBound is the room verifyMapsBound keeps from one call to the next, as
// a verifier keeps its buffers (ikdkit's sdjwt.Workspace): the digest index
// and its digests, and the once-only marks. Nothing of it is in a result.
type mapsBound struct {
	index   map[string]int32
	digests []byte
	used    []bool
}

// verifyMapsBound is verifyLowerBound plus the maps RFC 9901 §7.1 step 3
// makes every verifier fill, in the least work Go allows: the digest of
// every disclosure put in an index, every _sd digest of the payload looked
// up in it with the once-only rule (§7.1 steps 3.3 and 4), and every
// disclosed claim put into a fresh claims map with the collision check
// (§7.1 step 3.2.2.3), its name and value strings sharing one fresh buffer
// of decoded disclosures and boxed from one slab. It reads JSON by
// position, not by grammar: it finds the _sd array and the strings of each
// disclosure by their quotes and validates nothing (escapes, UTF-8,
// nesting, duplicate names, the other claims, the headers and the KB-JWT's
// claims are not read at all). So it is below what any conforming
// verifier that returns its claims as a Go map costs: the gap between it
// and ikdkit is what the JSON grammar, the remaining claims and the checks
// cost. It returns the claims map, so a test can hold it to ikdkit's.
func (f *fixture) verifyMapsBound() (map[string]any, error) {
	if err := f.verifyFloorSharing(); err != nil {
		return nil, err
	}
	s, p := f.presentation, f.presBytes
	first, last := strings.IndexByte(s, '~'), strings.LastIndexByte(s, '~')
	b64 := base64.RawURLEncoding
	// The issuer payload (its _sd array is read below) and the KB-JWT payload.
	payload := f.scratch
	n, err := b64.Decode(payload, p[strings.IndexByte(s, '.')+1:strings.LastIndexByte(s[:first], '.')])
	if err != nil {
		return nil, err
	}
	payload = payload[:n]
	kb := last + 1
	if _, err := b64.Decode(f.scratch[n:], p[kb+strings.IndexByte(s[kb:], '.')+1:kb+strings.LastIndexByte(s[kb:], '.')]); err != nil {
		return nil, err
	}
	if _, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), f.holderRaw); err != nil {
		return nil, err
	}
	// Every disclosure: decoded into one fresh buffer (the claims keep
	// their strings), its digest into the index.
	m := &f.maps
	if m.index == nil {
		m.index = make(map[string]int32, f.n+8)
	}
	nd := strings.Count(s[first:last], "~") // the disclosures between the first and the last
	if cap(m.digests) < 43*nd {
		m.digests, m.used = make([]byte, 43*nd), make([]bool, nd)
	}
	clear(m.index) // what an earlier call, even a failed one, left
	clear(m.used)
	raw := make([]byte, b64.DecodedLen(last-first))
	ends := make([]int32, 0, nd) // where each decoded disclosure ends in raw
	off := 0
	for i := first + 1; i < last; {
		j := i + strings.IndexByte(s[i:], '~')
		k, err := b64.Decode(raw[off:], p[i:j])
		if err != nil {
			return nil, err
		}
		off += k
		ends = append(ends, int32(off))
		sum := sha256.Sum256(p[i:j])
		d := m.digests[43*len(ends)-43 : 43*len(ends)]
		b64.Encode(d, sum[:])
		key := unsafe.String(&d[0], 43)
		if _, dup := m.index[key]; dup {
			return nil, errors.New("maps bound: disclosure repeated")
		}
		m.index[key] = int32(len(ends) - 1)
		i = j + 1
	}
	// sd_hash.
	var digest [43]byte
	f.sdHash(digest[:])
	if digest[0] == 0 {
		return nil, errors.New("maps bound: no digest")
	}
	// The _sd array: each digest looked up, each disclosure's name and
	// value (its second and third strings) into the claims map.
	at := bytes.Index(payload, []byte(`"_sd":[`))
	if at < 0 {
		return nil, errors.New("maps bound: no _sd")
	}
	sd := payload[at+7:]
	claims := make(map[string]any, nd+8)
	var slab box.Slab[string]
	slab.Reserve(nd)
	for len(sd) > 0 && sd[0] == '"' {
		end := bytes.IndexByte(sd[1:], '"') + 1
		i, ok := m.index[unsafe.String(&sd[1], end-1)]
		sd = sd[end+1:]
		if len(sd) > 0 && sd[0] == ',' {
			sd = sd[1:]
		}
		if !ok {
			continue // a decoy
		}
		if m.used[i] {
			return nil, errors.New("maps bound: digest repeated")
		}
		m.used[i] = true
		start := int32(0)
		if i > 0 {
			start = ends[i-1]
		}
		name, value := nameValue(raw[start:ends[i]])
		size := len(claims)
		if claims[name] = slab.Box(value); len(claims) == size {
			return nil, errors.New("maps bound: claim name collision")
		}
	}
	for i := range nd {
		if !m.used[i] {
			return nil, errors.New("maps bound: disclosure not referenced")
		}
	}
	return claims, nil
}

// nameValue returns the second and third strings of a disclosure
// ["salt","name","value"], found by their quotes (no escapes).
func nameValue(d []byte) (name, value string) {
	var q [6]int
	n := 0
	for i, c := range d {
		if c == '"' {
			q[n] = i
			if n++; n == len(q) {
				break
			}
		}
	}
	return unsafe.String(&d[q[2]+1], q[3]-q[2]-1), unsafe.String(&d[q[4]+1], q[5]-q[4]-1)
}
