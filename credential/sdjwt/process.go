package sdjwt

import (
	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// walker replaces digests by the values of the disclosures they reference,
// following RFC 9901 §7.1 step 3 (processing of disclosures).
type walker struct {
	ds []*Disclosure
	// digests maps every digest met so far to the disclosure it names;
	// it starts with the disclosures' digests and learns the decoys
	// (decoy) as they are met. One map serves both lookups and the
	// once-only rule.
	digests  map[string]int
	used     []bool
	parent   []int // index of the disclosure containing each disclosure, or -1
	ndigests int
	paths    Path              // unused room for the paths of disclosures (alloc)
	boxes    *strictjson.Boxes // where claim names in paths are boxed (nil: one allocation each)
	// share lets the result hold the payload's and the disclosures' own
	// objects and arrays where processing changes nothing in them, instead
	// of copies: for a caller done with both (verification).
	share bool
}

// decoy marks, in walker.digests, a digest that names no disclosure.
const decoy = -1

// pathWithName is pathWith for a claim name, boxed from w.boxes.
func (w *walker) pathWithName(path Path, name string) Path {
	if w.boxes == nil {
		return w.pathWith(path, name)
	}
	return w.pathWith(path, w.boxes.String(name))
}

// pathWith returns path extended by e, like Path.with, taking the room from
// one slab for many paths instead of allocating each one. Each path is
// capped at its length, so appending to one never writes into another.
func (w *walker) pathWith(path Path, e any) Path {
	n := len(path) + 1
	if len(w.paths) < n {
		w.paths = make(Path, max(n, len(w.ds)+8))
	}
	q := w.paths[:n:n]
	w.paths = w.paths[n:]
	copy(q, path)
	q[n-1] = e
	return q
}

// processed is the result of a successful walk.
type processed struct {
	claims map[string]any
	parent []int
}

// process embeds the disclosures ds into payload and returns the processed
// claims. It does not modify payload or the disclosures' values (with
// share, the claims may hold parts of them); each disclosure's path is
// recorded on it. Its bookkeeping lives in rb (nil:
// fresh buffers), so the parent indexes it returns are rb's.
func process(payload map[string]any, ds []*Disclosure, rb *readBuffers, boxes *strictjson.Boxes, share bool) (processed, *check.Error) {
	// The map learns every digest met, decoys and undisclosed claims
	// included: sized for the top level's, it does not grow while the walk
	// fills it in the usual case of a flat payload.
	top, _ := payload["_sd"].([]any)
	w := &walker{ds: ds, boxes: boxes, share: share}
	w.digests, w.used, w.parent = rb.walkState(max(len(ds), len(top))+8, len(ds))
	base := len(w.digests) // 0: the map comes empty
	for i, d := range ds {
		// One map operation: a digest seen before leaves the size unchanged.
		if w.digests[d.digest] = i; len(w.digests) == base+i {
			// RFC 9901 §7.1 step 3.3 / §7.3: each disclosure may appear once.
			return processed{}, newErr(check.Disclosure, ErrDuplicateDisclosure, "disclosure %d repeats an earlier one", i)
		}
		w.parent[i] = -1
	}
	out, err := w.object(payload, nil, -1, 0, true)
	if err != nil {
		return processed{}, err
	}
	for i, u := range w.used {
		if !u {
			// RFC 9901 §7.1 step 4: a disclosure whose digest is not found in the
			// SD-JWT payload or another disclosure MUST cause rejection.
			return processed{}, newErr(check.Disclosure, ErrUnreferencedDisclosure, "disclosure %d (digest %s)", i, ds[i].digest)
		}
	}
	return processed{claims: out, parent: w.parent}, nil
}

func (w *walker) value(v any, path Path, parent, depth int) (any, *check.Error) {
	if w.share && plain(v, depth+1) {
		return v, nil
	}
	switch t := v.(type) {
	case map[string]any:
		return w.object(t, path, parent, depth+1, false)
	case []any:
		return w.array(t, path, parent, depth+1)
	}
	return v, nil
}

// plain reports whether the object or array v, at nesting depth, holds
// nothing processing changes: no _sd member and no {"...": digest} element
// at any level, and no level deeper than MaxDepth (which the walk reports).
func plain(v any, depth int) bool {
	if depth > MaxDepth {
		return false
	}
	switch t := v.(type) {
	case map[string]any:
		if _, ok := t["_sd"]; ok {
			return false
		}
		for _, e := range t {
			if isContainer(e) && !plain(e, depth+1) {
				return false
			}
		}
	case []any:
		for _, e := range t {
			if m, ok := e.(map[string]any); ok && len(m) == 1 {
				if _, ok := m["..."]; ok {
					return false
				}
			}
			if isContainer(e) && !plain(e, depth+1) {
				return false
			}
		}
	}
	return true
}

// digest records one digest and reports the disclosure it references, or
// -1 for a decoy (RFC 9901 §4.2.5: decoys are ignored).
func (w *walker) digest(v any, path Path) (int, *check.Error) {
	s, ok := v.(string)
	if !ok {
		return 0, newErr(check.Disclosure, ErrMalformed, "digest at %v is not a string", path)
	}
	w.ndigests++
	if w.ndigests > MaxDigests {
		return 0, newErr(check.Disclosure, ErrTooLarge, "more than %d digests", MaxDigests)
	}
	idx, ok := w.digests[s]
	if !ok {
		// RFC 9901 §4.2.5: decoys are ignored, but remembered for the
		// once-only rule below.
		w.digests[s] = decoy
		return decoy, nil
	}
	if idx == decoy || w.used[idx] {
		// RFC 9901 §7.1 step 3.2.1/3.3.1 (and §4.2.4): a digest MUST NOT appear
		// more than once in the payload and disclosures.
		return 0, newErr(check.Disclosure, ErrDuplicateDigest, "digest %s at %v", s, path)
	}
	return idx, nil
}

func (w *walker) object(in map[string]any, path Path, parent, depth int, top bool) (map[string]any, *check.Error) {
	if depth > MaxDepth {
		return nil, newErr(check.Disclosure, ErrTooLarge, "nesting deeper than %d at %v", MaxDepth, path)
	}
	sd, hasSD := in["_sd"]
	digests, ok := sd.([]any)
	if hasSD && !ok {
		return nil, newErr(check.Disclosure, ErrMalformed, "_sd at %v is not an array", path)
	}
	out := make(map[string]any, len(in)+len(digests))
	for k, v := range in {
		if k == "_sd" || (top && k == "_sd_alg") {
			continue
		}
		if !isContainer(v) {
			out[k] = v // scalars need no path: nothing inside them to disclose
			continue
		}
		pv, err := w.value(v, w.pathWithName(path, k), parent, depth)
		if err != nil {
			return nil, err
		}
		out[k] = pv
	}
	for _, dv := range digests {
		idx, err := w.digest(dv, path)
		if err != nil {
			return nil, err
		}
		if idx < 0 {
			continue
		}
		d := w.ds[idx]
		if !d.hasName {
			// RFC 9901 §7.1 step 3.2.2: an _sd digest must reference an
			// object-property (3-element) disclosure.
			return nil, newErr(check.Disclosure, ErrDisclosureKind, "array-element disclosure referenced from _sd at %v", path)
		}
		if d.name == "_sd" || d.name == "..." {
			// RFC 9901 §7.1 step 3.2.2.2: claim name MUST NOT be _sd or ...
			return nil, newErr(check.Disclosure, ErrReservedClaimName, "claim name %q at %v", d.name, path)
		}
		// RFC 9901 §7.1 step 3.2.2.3: the claim name MUST NOT already
		// exist at the level of the _sd key. A scalar goes in at once and
		// the map's length tells whether the name was new (out is thrown
		// away on the error); a container needs its place checked first,
		// because its own disclosures are processed before it is stored.
		n := len(out)
		if isContainer(d.value) {
			_, exists := out[d.name]
			if exists {
				n = -1
			}
		} else {
			out[d.name] = d.value
			if len(out) == n {
				n = -1
			}
		}
		if n < 0 {
			return nil, newErr(check.Disclosure, ErrClaimCollision, "claim %q at %v", d.name, path)
		}
		p := w.pathWithName(path, d.name)
		w.used[idx], w.parent[idx], d.path = true, parent, p
		if isContainer(d.value) {
			pv, err := w.value(d.value, p, idx, depth)
			if err != nil {
				return nil, err
			}
			out[d.name] = pv
		}
	}
	return out, nil
}

func (w *walker) array(in []any, path Path, parent, depth int) ([]any, *check.Error) {
	if depth > MaxDepth {
		return nil, newErr(check.Disclosure, ErrTooLarge, "nesting deeper than %d at %v", MaxDepth, path)
	}
	out := make([]any, 0, len(in))
	for i, el := range in {
		if !isContainer(el) {
			out = append(out, el)
			continue
		}
		p := w.pathWith(path, i)
		if m, ok := el.(map[string]any); ok && len(m) == 1 {
			if dv, ok := m["..."]; ok {
				// RFC 9901 §4.2.4.2: {"...": digest} stands for an array element.
				idx, err := w.digest(dv, p)
				if err != nil {
					return nil, err
				}
				if idx < 0 {
					continue // decoy or not disclosed: the element is removed (§7.1 step 3.3.2)
				}
				d := w.ds[idx]
				if d.hasName {
					// RFC 9901 §7.1 step 3.3.2.1: must be an array-element disclosure.
					return nil, newErr(check.Disclosure, ErrDisclosureKind, "object-property disclosure referenced from array at %v", p)
				}
				w.used[idx], w.parent[idx], d.path = true, parent, p
				pv, err := w.value(d.value, p, idx, depth)
				if err != nil {
					return nil, err
				}
				out = append(out, pv)
				continue
			}
		}
		pv, err := w.value(el, p, parent, depth)
		if err != nil {
			return nil, err
		}
		out = append(out, pv)
	}
	return out, nil
}

func isContainer(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}
