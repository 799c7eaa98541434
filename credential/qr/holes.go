package qr

import (
	"bytes"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/binary"
)

// Holes of envelope version 2 (docs/qr-format.md §4.3). A part of a
// presentation (a JSON part of an SD-JWT, or an mdoc DeviceResponse) is
// carried with some of its bytes cut out; each cut is a hole that the
// decoder fills with bytes it derives from what it already holds. The
// encoder cuts a hole only after checking that the decoder's rule gives back
// exactly the bytes it cut, so the part is restored byte for byte and every
// signature over it verifies as before; a verifier checks nothing less.
//
// The holes of a part are a byte string of unsigned LEB128 varints, for
// each hole: its gap (the number of carried bytes between the end of the
// previous hole, or the start of the part, and this hole), its code and,
// for some codes, an argument. Varints are minimal and below 2^21.

// Hole codes in a JSON part of an SD-JWT: gap, code[, arg].
const (
	// holeDisclosureDigest, arg: a disclosure index i; the hole is the
	// base64url SHA-256 digest of disclosure i as presented (RFC 9901
	// §4.2.3), 43 characters. Issuer-signed JWT payload only.
	holeDisclosureDigest = 0
	// holeBase64 + n (n from 1 to 64), no arg: the hole is the unpadded
	// base64url encoding (RFC 4648 §5) of the next n bytes of the tail.
	holeBase64 = 4
	// holeYEven, holeYOdd, arg: the index of an earlier holeBase64 of
	// the same part holding a 32-byte P-256 x coordinate; the hole is the
	// base64url y coordinate of that point with an even (odd) y (SEC 1
	// §2.3.4 point decompression), 43 characters.
	holeYEven = 1
	holeYOdd  = 2
	// holeSDHash, no arg: the hole is the base64url SHA-256 digest of the
	// presented SD-JWT up to and including its last '~' (the KB-JWT
	// sd_hash, RFC 9901 §4.3.1), 43 characters. KB-JWT payload only.
	holeSDHash = 3
)

// Hole codes in an mdoc DeviceResponse: gap, code[, arg].
const (
	// mholeDigest, arg: the offset in the restored DeviceResponse of an
	// IssuerSignedItemBytes (tag 24 and its byte string) that no derived
	// hole overlaps; the hole is its SHA-256 valueDigest (ISO/IEC 18013-5
	// §9.1.2.5), 32 bytes.
	mholeDigest = 0
	// mholeYEven, mholeYOdd, arg: the offset of a 32-byte P-256 x
	// coordinate that no derived hole overlaps; the hole is its y
	// coordinate with an even (odd) y, 32 bytes (the COSE_Key -3 of the
	// device key, RFC 9053 §7.1.1).
	mholeYEven = 1
	mholeYOdd  = 2
	// mholeRaw + n (n from 1 to 64), no arg: the hole is the next n
	// bytes of the tail (random bytes: signatures, digests, salts, key
	// coordinates).
	mholeRaw = 2
)

// Caps on the holes of one part (docs/qr-format.md §7).
const (
	// maxHoles caps the holes of one part: a digest per disclosure plus a
	// few more.
	maxHoles = maxDisclosures + 16
	// maxHoleBytes caps the bytes of a holeBase64 or mholeRaw.
	maxHoleBytes = 64
	// minBase64Hole is the shortest base64url string worth a hole.
	minBase64Hole = 11
)

var b64Len43 = b64.EncodedLen(sha256.Size)

// p256Y returns the y coordinate of the P-256 point with x coordinate x
// (32 bytes, big endian) whose parity is odd (or even), as 32 big-endian
// bytes, or false if x is not the coordinate of a point: SEC 1 §2.3.4
// point decompression (crypto/elliptic, 0x02 even or 0x03 odd and x).
func p256Y(x []byte, odd bool) ([]byte, bool) {
	if len(x) != 32 {
		return nil, false
	}
	var c [33]byte
	c[0] = 2
	if odd {
		c[0] = 3
	}
	copy(c[1:], x)
	px, py := elliptic.UnmarshalCompressed(elliptic.P256(), c[:])
	if px == nil {
		return nil, false
	}
	return py.FillBytes(make([]byte, 32)), true
}

// jsonHole is a hole of a JSON part, as the encoder finds it.
type jsonHole struct {
	at, n int // position and length in the restored part
	kind  uint64
	arg   any // uint64 or []byte
}

// isB64Char reports whether c is in the base64url alphabet.
func isB64Char(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// findJSONHoles finds the holes of a JSON part (docs/qr-format.md §4.3):
// digests of the disclosures (digests, nil outside the issuer payload),
// the sd_hash (sdHash, empty outside the KB-JWT payload), a P-256 y
// coordinate following its x, and any other JSON string that is canonical
// base64url of at least minBase64Hole characters with both lower- and
// uppercase letters (salts, digests, key coordinates, nonces). Strings with
// escapes are left alone.
func findJSONHoles(part []byte, digests []string, sdHash string) []jsonHole {
	var holes []jsonHole
	for i := 0; i < len(part); i++ {
		if part[i] != '"' {
			continue
		}
		j := i + 1
		for j < len(part) && part[j] != '"' && part[j] != '\\' {
			j++
		}
		if j >= len(part) || part[j] == '\\' {
			return holes // an escape: stop here, the rest is carried as is
		}
		s := string(part[i+1 : j])
		at := i + 1
		i = j
		if len(holes) >= maxHoles {
			continue
		}
		if k := indexOf(digests, s); k >= 0 {
			holes = append(holes, jsonHole{at: at, n: len(s), kind: holeDisclosureDigest, arg: uint64(k)})
			continue
		}
		if sdHash != "" && s == sdHash {
			holes = append(holes, jsonHole{at: at, n: len(s), kind: holeSDHash, arg: uint64(0)})
			continue
		}
		if len(s) < minBase64Hole || !mixedB64(s) {
			continue
		}
		raw, ok := decodePart(s)
		if !ok || len(raw) > maxHoleBytes {
			continue
		}
		// A y coordinate right after its x ("x":"…","y":"…", as a JWK
		// is written with sorted members) is derived from x.
		if n := len(holes); n > 0 && len(raw) == 32 && holes[n-1].kind == holeBase64 && bytes.HasSuffix(part[:at], []byte(`","y":"`)) &&
			bytes.HasSuffix(part[:holes[n-1].at], []byte(`"x":"`)) && holes[n-1].at+holes[n-1].n+len(`","y":"`) == at {
			x := holes[n-1].arg.([]byte)
			for _, odd := range []bool{false, true} {
				if y, ok := p256Y(x, odd); ok && bytes.Equal(y, raw) {
					kind := uint64(holeYEven)
					if odd {
						kind = holeYOdd
					}
					holes = append(holes, jsonHole{at: at, n: len(s), kind: kind, arg: uint64(n - 1)})
					break
				}
			}
			if holes[len(holes)-1].at == at {
				continue
			}
		}
		holes = append(holes, jsonHole{at: at, n: len(s), kind: holeBase64, arg: raw})
	}
	return holes
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// mixedB64 reports whether s is all base64url characters with at least one
// lower- and one uppercase letter (random base64url text; names, numbers
// and identifiers in capitals or in lowercase stay text).
func mixedB64(s string) bool {
	var lower, upper bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isB64Char(c) {
			return false
		}
		lower = lower || c >= 'a' && c <= 'z'
		upper = upper || c >= 'A' && c <= 'Z'
	}
	return lower && upper
}

// cutJSON returns the part without its holes, the holes as varints and the
// bytes of its holeBase64 holes for the tail.
func cutJSON(part []byte, holes []jsonHole) ([]byte, []byte, []byte) {
	carried := make([]byte, 0, len(part))
	var hv, tail []byte
	prev := 0
	for _, h := range holes {
		carried = append(carried, part[prev:h.at]...)
		hv = binary.AppendUvarint(hv, uint64(h.at-prev))
		if raw, ok := h.arg.([]byte); ok {
			tail = append(tail, raw...)
			hv = binary.AppendUvarint(hv, holeBase64+uint64(len(raw)))
		} else {
			hv = binary.AppendUvarint(hv, h.kind)
			if h.kind != holeSDHash {
				hv = binary.AppendUvarint(hv, h.arg.(uint64))
			}
		}
		prev = h.at + h.n
	}
	return append(carried, part[prev:]...), hv, tail
}

// maxVarint bounds every varint of a hole list (below 2^21, three bytes).
const maxVarint = 1<<21 - 1

// varints reads the minimal unsigned LEB128 varints of a hole list.
type varints struct{ b []byte }

func (v *varints) next() (uint64, bool) {
	x, n := binary.Uvarint(v.b)
	var buf [binary.MaxVarintLen64]byte
	if n <= 0 || x > maxVarint || n != binary.PutUvarint(buf[:], x) {
		return 0, false
	}
	v.b = v.b[n:]
	return x, true
}

// rawHole is the kind of an mdocHole of random bytes for the tail (code
// mholeRaw + n on the wire).
const rawHole = -1

// mdocHole is a hole of a DeviceResponse, as the encoder finds it: at and
// n its place, kind a derived hole's code or rawHole, arg its argument.
type mdocHole struct {
	at, n, kind, arg int
}

// tag24Len returns the length of the tag-24 byte string at b[i:] (d8 18
// 58 LL or d8 18 59 LL LL, then the bytes), or 0.
func tag24Len(b []byte, i int) int {
	if i < 0 || i+4 > len(b) || b[i] != 0xd8 || b[i+1] != 0x18 {
		return 0
	}
	n, head := 0, 0
	switch b[i+2] {
	case 0x58:
		n, head = int(b[i+3]), 4
	case 0x59:
		if i+5 > len(b) {
			return 0
		}
		n, head = int(b[i+3])<<8|int(b[i+4]), 5
	default:
		return 0
	}
	if i+head+n > len(b) {
		return 0
	}
	return head + n
}

// findMdocHoles finds the holes of a DeviceResponse (docs/qr-format.md
// §4.3): each valueDigest of an IssuerSignedItemBytes present in it, the y
// coordinate of a P-256 COSE_Key, and the random byte strings (8 to 64
// bytes with a quarter or more of them outside printable ASCII), which go
// to the tail. The encoder works on bytes only and cuts a derived hole
// only where the bytes are exactly what the decoder derives.
func findMdocHoles(dr []byte) []mdocHole {
	var derived []mdocHole
	for i := 0; i+4 <= len(dr) && len(derived) < maxHoles; i++ {
		n := tag24Len(dr, i)
		if n == 0 {
			continue
		}
		d := sha256.Sum256(dr[i : i+n])
		if k := bytes.Index(dr, append([]byte{0x58, 0x20}, d[:]...)); k >= 0 && (k+2+32 <= i || k+2 >= i+n) {
			derived = append(derived, mdocHole{at: k + 2, n: 32, kind: mholeDigest, arg: i})
		}
	}
	// COSE_Key x and y: 21 58 20 <x> 22 58 20 <y>.
	if k := bytes.Index(dr, []byte{0x21, 0x58, 0x20}); k >= 0 && k+70 <= len(dr) &&
		bytes.Equal(dr[k+35:k+38], []byte{0x22, 0x58, 0x20}) && len(derived) < maxHoles {
		x, y := dr[k+3:k+35], dr[k+38:k+70]
		for _, odd := range []bool{false, true} {
			if yy, ok := p256Y(x, odd); ok && bytes.Equal(yy, y) {
				kind := mholeYEven
				if odd {
					kind = mholeYOdd
				}
				derived = append(derived, mdocHole{at: k + 38, n: 32, kind: kind, arg: k + 3})
				break
			}
		}
	}
	sortMdocHoles(derived)
	// Drop a derived hole that overlaps another, or whose source does.
	var keep []mdocHole
	for _, h := range derived {
		if len(keep) > 0 && keep[len(keep)-1].at+32 > h.at {
			continue
		}
		keep = append(keep, h)
	}
	var final []mdocHole
	for _, h := range keep {
		from, n := h.arg, 32
		if h.kind == mholeDigest {
			n = tag24Len(dr, from)
		}
		if !overlapsAny(from, n, keep) {
			final = append(final, h)
		}
	}
	// Random byte strings not in a derived hole go to the tail.
	for _, r := range randomByteStrings(dr) {
		if len(final) >= maxHoles {
			break
		}
		if !overlapsAny(r.at, r.n, final) {
			final = append(final, mdocHole{at: r.at, n: r.n, kind: rawHole, arg: r.n})
		}
	}
	sortMdocHoles(final)
	return final
}

// overlapsAny reports whether b[from:from+n] overlaps one of the holes.
func overlapsAny(from, n int, holes []mdocHole) bool {
	for _, o := range holes {
		if from < o.at+o.n && o.at < from+n {
			return true
		}
	}
	return false
}

// randomByteStrings returns the byte strings of 8 to 64 bytes in the CBOR
// item dr, descending into byte strings that hold one CBOR item (tag 24,
// the COSE payload), that look random (a
// quarter or more of their bytes outside printable ASCII). It returns what
// it found so far if dr is not well formed (the encoder only loses size).
func randomByteStrings(dr []byte) []mdocHole {
	var out []mdocHole
	var walk func(i, depth int) int
	walk = func(i, depth int) int {
		if i < 0 || i >= len(dr) || depth > 16 {
			return -1
		}
		major, ai := dr[i]>>5, int(dr[i]&31) // RFC 8949 §3
		arg, h := ai, 1
		switch {
		case ai < 24:
		case ai <= 27:
			h = 1 << (ai - 24)
			if i+1+h > len(dr) {
				return -1
			}
			var v uint64
			for _, c := range dr[i+1 : i+1+h] {
				v = v<<8 | uint64(c)
			}
			if major >= 2 && major <= 5 && v > uint64(len(dr)) {
				return -1 // a length or count beyond the input
			}
			arg = int(min(v, uint64(len(dr))))
			h++
		default:
			return -1
		}
		j := i + h
		switch major {
		case 0, 1, 7:
			return j
		case 2, 3:
			if arg > len(dr)-j {
				return -1
			}
			switch {
			case major != 2:
			case arg >= 8 && arg <= maxHoleBytes && looksRandom(dr[j:j+arg]) && !(i >= 2 && dr[i-2] == 0xd8 && dr[i-1] == 0x18):
				out = append(out, mdocHole{at: j, n: arg})
			case arg > 0:
				// Embedded CBOR (a tag-24 item, the COSE payload)?
				// Keep what is found inside only if it is one item.
				saved := out
				if walk(j, depth+1) != j+arg {
					out = saved
				}
			}
			return j + arg
		case 4, 5:
			if major == 5 {
				arg *= 2
			}
			for k := 0; k < arg && j >= 0; k++ {
				j = walk(j, depth+1)
			}
			return j
		default: // 6: a tag
			return walk(j, depth+1)
		}
	}
	walk(0, 0)
	return out
}

// looksRandom reports whether a quarter or more of b is outside printable
// ASCII.
func looksRandom(b []byte) bool {
	n := 0
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			n++
		}
	}
	return 4*n >= len(b)
}

func sortMdocHoles(h []mdocHole) {
	for i := 1; i < len(h); i++ {
		for j := i; j > 0 && h[j].at < h[j-1].at; j-- {
			h[j], h[j-1] = h[j-1], h[j]
		}
	}
}

// cutMdoc returns the DeviceResponse without its holes, the holes as
// varints and the bytes of its raw holes for the tail.
func cutMdoc(dr []byte, holes []mdocHole) ([]byte, []byte, []byte) {
	carried := make([]byte, 0, len(dr))
	var hv, tail []byte
	prev := 0
	for _, h := range holes {
		carried = append(carried, dr[prev:h.at]...)
		hv = binary.AppendUvarint(hv, uint64(h.at-prev))
		if h.kind == rawHole {
			hv = binary.AppendUvarint(hv, mholeRaw+uint64(h.n))
			tail = append(tail, dr[h.at:h.at+h.n]...)
		} else {
			hv = binary.AppendUvarint(hv, uint64(h.kind))
			hv = binary.AppendUvarint(hv, uint64(h.arg))
		}
		prev = h.at + h.n
	}
	return append(carried, dr[prev:]...), hv, tail
}
