package qr

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr/internal/wire"
)

// A byte budget: where the bytes of a response QR go (docs/qr-format.md
// §8.2). The DEFLATE cost of each piece of the CBOR content is attributed
// in content order: the compressed size of the content up to the end of the
// piece minus that up to its start, so the pieces add up exactly to the
// compressed size (a piece that repeats the dictionary or earlier content
// costs little).

// cborItem is one CBOR data item of the content: its byte range, its
// header length and, for an array, its elements.
type cborItem struct {
	start, end, head int
	major            byte
	elems            []*cborItem
}

// parseItem parses the CBOR item at b[i:] (definite lengths only, as the
// envelope is).
func parseItem(t *testing.T, b []byte, i int) *cborItem {
	t.Helper()
	it := &cborItem{start: i, major: b[i] >> 5}
	ai := int(b[i] & 31)
	n, h := ai, 1
	switch ai {
	case 24:
		n, h = int(b[i+1]), 2
	case 25:
		n, h = int(b[i+1])<<8|int(b[i+2]), 3
	case 26:
		n, h = int(b[i+1])<<24|int(b[i+2])<<16|int(b[i+3])<<8|int(b[i+4]), 5
	}
	it.head = h
	switch it.major {
	case 2, 3:
		it.end = i + h + n
	case 4:
		j := i + h
		for k := 0; k < n; k++ {
			e := parseItem(t, b, j)
			it.elems = append(it.elems, e)
			j = e.end
		}
		it.end = j
	default:
		it.end = i + h
	}
	return it
}

// tailEntry is a labelled run of tail bytes.
type tailEntry struct {
	label string
	n     int
}

// cborUint is the value of the unsigned integer item it.
func cborUint(b []byte, it *cborItem) int {
	v := int(b[it.start] & 31)
	if it.head > 1 {
		v = 0
		for _, c := range b[it.start+1 : it.end] {
			v = v<<8 | int(c)
		}
	}
	return v
}

// piece is a labelled byte range of the content.
type piece struct {
	start, end int
	label      string
}

// labelPart labels a Part: the carried bytes (split further by split, when
// set) and its holes by kind.
func labelPart(b []byte, it *cborItem, label string, holeLabel func(kind uint64) string, split func(carried []byte) []piece, tail *[]tailEntry) []piece {
	var out []piece
	carried := it
	if it.major == 4 {
		carried = it.elems[0]
		out = append(out, piece{it.start, carried.start, "CBOR framing"})
		holes := it.elems[1]
		out = append(out, piece{holes.start, holes.start + holes.head, "CBOR framing"})
		out = append(out, piece{holes.start + holes.head, holes.end, label + ": hole list (varints)"})
		v := varints{b[holes.start+holes.head : holes.end]}
		for len(v.b) > 0 {
			v.next() // gap
			code, _ := v.next()
			switch {
			case holeLabel != nil && code > holeBase64:
				*tail = append(*tail, tailEntry{holeLabel(holeBase64) + " (tail bytes)", int(code - holeBase64)})
			case holeLabel == nil && code > mholeRaw:
				*tail = append(*tail, tailEntry{"DeviceResponse: random byte strings (tail bytes)", int(code - mholeRaw)})
			case holeLabel != nil && code == holeSDHash:
			default:
				v.next() // arg
			}
		}
	}
	out = append(out, piece{carried.start, carried.start + carried.head, "CBOR framing"})
	body := carried.start + carried.head
	if split == nil {
		return append(out, piece{body, carried.end, label})
	}
	for _, p := range split(b[body:carried.end]) {
		out = append(out, piece{body + p.start, body + p.end, p.label})
	}
	return out
}

// splitJSON splits a carried JSON part at the member names in members: the
// bytes from a name up to the next listed name get that name's label.
func splitJSON(label string, members ...string) func([]byte) []piece {
	return func(c []byte) []piece {
		type cut struct {
			at    int
			label string
		}
		cuts := []cut{{0, label + " (JSON syntax)"}}
		for _, m := range members {
			if k := bytes.Index(c, []byte(`"`+m+`"`)); k >= 0 {
				cuts = append(cuts, cut{k, label + " " + m})
			}
		}
		sort.Slice(cuts, func(i, j int) bool { return cuts[i].at < cuts[j].at })
		var out []piece
		for i, c2 := range cuts {
			end := len(c)
			if i+1 < len(cuts) {
				end = cuts[i+1].at
			}
			out = append(out, piece{c2.at, end, c2.label})
		}
		return out
	}
}

func jsonHoleLabel(part string) func(uint64) string {
	return func(kind uint64) string {
		switch kind {
		case holeDisclosureDigest:
			return part + ": disclosed digest (derived)"
		case holeBase64:
			return part + ": base64url string as bytes"
		case holeYEven, holeYOdd:
			return part + ": cnf y (derived)"
		case holeSDHash:
			return part + ": sd_hash (derived)"
		}
		return part + ": hole"
	}
}

// labelContent labels the pieces of the version 2 content of one
// presentation and the runs of its tail.
func labelContent(t *testing.T, b []byte) ([]piece, []tailEntry) {
	t.Helper()
	env := parseItem(t, b, 0)
	if env.end != len(b) || len(env.elems) != 1 {
		t.Fatal("not a one-presentation envelope")
	}
	p := env.elems[0]
	out := []piece{{env.start, env.start + env.head, "CBOR framing"}, {p.start, p.elems[1].start, "CBOR framing"}}
	var tail []tailEntry
	if b[p.elems[0].start] == wireMdoc {
		out = append(out, labelPart(b, p.elems[1], "DeviceResponse (carried)", nil, nil, &tail)...)
		bd := p.elems[2]
		out = append(out, piece{bd.start, bd.start + bd.head, "CBOR framing"},
			piece{bd.elems[0].start, bd.elems[0].end, "binding aud"},
			piece{bd.elems[1].start, bd.elems[1].end, "binding iat"},
			piece{bd.elems[2].start, bd.elems[2].end, "binding nonce"})
		return out, tail
	}
	jwt := func(j *cborItem, name string, members []string) {
		out = append(out, piece{j.start, j.start + j.head, "CBOR framing"})
		out = append(out, labelPart(b, j.elems[0], name+" header", jsonHoleLabel(name+" header"), nil, &tail)...)
		out = append(out, labelPart(b, j.elems[1], name+" payload", jsonHoleLabel(name+" payload"), splitJSON(name+" payload", members...), &tail)...)
		out = append(out, piece{j.elems[2].start, j.elems[2].end, name + " signature (length)"})
		tail = append(tail, tailEntry{name + " signature (tail bytes)", cborUint(b, j.elems[2])})
	}
	// The tail holds the disclosures' bytes first (decoding order).
	ds := p.elems[2]
	var dpieces []piece
	for _, d := range ds.elems {
		dpieces = append(dpieces, labelPart(b, d, "disclosure (JSON, claims)", jsonHoleLabel("disclosure"), nil, &tail)...)
	}
	jwt(p.elems[1], "issuer JWT", []string{"_sd", "_sd_alg", "cnf", "exp", "iss", "status", "vct"})
	out = append(out, piece{ds.start, ds.start + ds.head, "CBOR framing"})
	out = append(out, dpieces...)
	if p.elems[3].major == 4 {
		jwt(p.elems[3], "KB-JWT", []string{"aud", "iat", "nonce", "sd_hash"})
	} else {
		out = append(out, piece{p.elems[3].start, p.elems[3].end, "CBOR framing"})
	}
	return out, tail
}

// budgetTable returns the byte budget of a Code made from content: the
// DEFLATE cost of each label, then the framing, the prefix and the QR mode.
func budgetTable(t *testing.T, content, tailBytes []byte, c Code) string {
	t.Helper()
	pieces, tail := labelContent(t, content)
	sort.Slice(pieces, func(i, j int) bool { return pieces[i].start < pieces[j].start })
	cost := map[string]int{}
	raw := map[string]int{}
	var order []string
	prev, pos := 0, 0
	for _, p := range pieces {
		if p.start != pos {
			t.Fatalf("gap in the labelling at %d (%s starts at %d)", pos, p.label, p.start)
		}
		z, err := wire.Deflate(content[:p.end])
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := raw[p.label]; !ok {
			order = append(order, p.label)
		}
		cost[p.label] += len(z) - prev
		raw[p.label] += p.end - p.start
		prev, pos = len(z), p.end
	}
	if pos != len(content) {
		t.Fatalf("labelled %d of %d bytes", pos, len(content))
	}
	deflated := prev
	n := 0
	for _, e := range tail {
		if _, ok := raw[e.label]; !ok {
			order = append(order, e.label)
		}
		raw[e.label] += e.n
		cost[e.label] += e.n
		n += e.n
	}
	if n != len(tailBytes) {
		t.Fatalf("labelled %d of %d tail bytes", n, len(tailBytes))
	}
	var sb strings.Builder
	sb.WriteString("| part | bytes before compression | bytes in the QR |\n|---|---|---|\n")
	for _, l := range order {
		fmt.Fprintf(&sb, "| %s | %d | %d |\n", l, raw[l], cost[l])
	}
	fmt.Fprintf(&sb, "| total: CBOR (DEFLATE) + tail (stored) | %d + %d | %d + %d |\n", len(content), len(tailBytes), deflated, len(tailBytes))
	fmt.Fprintf(&sb, "| framing: flags, length, CRC-8, CRC-32 | | %d |\n", wire.HeaderLen+wire.TrailerLen)
	fmt.Fprintf(&sb, "| prefix `IKP2` + separator | | %d |\n", wire.PrefixLen)
	fmt.Fprintf(&sb, "| QR payload (%s) | | %d of %d at version %d |\n", c.Mode, len(c.Data), wire.CapacityM(wireMode(c.Mode), c.Version), c.Version)
	return sb.String()
}

func wireMode(m Mode) wire.Mode {
	if m == Alphanumeric {
		return wire.Alphanumeric
	}
	return wire.Byte
}

// TestSizeBreakdown logs the byte budget of the identity check of the
// sample resident in both formats (docs/qr-format.md §8.2; go test -run
// TestSizeBreakdown -v) and checks that the attribution covers the QR.
func TestSizeBreakdown(t *testing.T) {
	f := newFixture(t)
	b := f.binding(t)
	idp, idm := identityCheck()
	sd, err := PresentSDJWT(f.profileSDJWT(t, true), idp, b, f.holderKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	md, err := PresentMdoc(f.profileMdoc(t, true), idm, b, f.holderKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	long := *f
	long.ktp = sampleKTPELWith(t, func(k *credential.KTPELFields) { k.Address = longAddress })
	ap, am := addressCheck()
	asd, err := PresentSDJWT(long.profileSDJWT(t, true), ap, b, f.holderKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	amd, err := PresentMdoc(long.profileMdoc(t, true), am, b, f.holderKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		p    Presentation
	}{{"identity check, SD-JWT VC", sd}, {"identity check, mdoc", md}, {"address check, longest address, SD-JWT VC", asd}, {"address check, longest address, mdoc", amd}} {
		env := Envelope{Presentations: []Presentation{c.p}}
		content, tail, err := encodeContentV2(env)
		if err != nil {
			t.Fatal(err)
		}
		code, err := Encode(env)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s:\n%s", c.name, budgetTable(t, content, tail, code))
	}
}
