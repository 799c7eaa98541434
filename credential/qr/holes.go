package qr

import (
	"bytes"
	"crypto/elliptic"
	"crypto/sha256"
	"math/big"
	"sync"
)

// Holes of envelope version 2 (docs/qr-format.md §4.3). A part of a
// presentation (a JSON part of an SD-JWT, or an mdoc DeviceResponse) is
// carried with some of its bytes cut out; each cut is a hole that the
// decoder fills with bytes it derives from what it already holds. The
// encoder cuts a hole only after checking that the decoder's rule gives back
// exactly the bytes it cut, so the part is restored byte for byte and every
// signature over it verifies as before; a verifier checks nothing less.
//
// A hole is a run of CBOR items in a flat array: its gap (the number of
// carried bytes between the end of the previous hole, or the start of the
// part, and this hole), its kind and its arguments.

// Hole kinds in a JSON part of an SD-JWT: [gap, kind, arg].
const (
	// holeDisclosureDigest: arg is a disclosure index i; the hole is the
	// base64url SHA-256 digest of disclosure i as presented (RFC 9901
	// §4.2.3), 43 characters. Issuer-signed JWT payload only.
	holeDisclosureDigest = 0
	// holeBase64: arg is a byte string; the hole is its unpadded
	// base64url encoding (RFC 4648 §5).
	holeBase64 = 1
	// holeYEven, holeYOdd: arg is the index of an earlier holeBase64 of
	// the same part holding a 32-byte P-256 x coordinate; the hole is the
	// base64url y coordinate of that point with an even (odd) y (SEC 1
	// §2.3.4 point decompression), 43 characters.
	holeYEven = 2
	holeYOdd  = 3
	// holeSDHash: arg is 0; the hole is the base64url SHA-256 digest of
	// the presented SD-JWT up to and including its last '~' (the KB-JWT
	// sd_hash, RFC 9901 §4.3.1), 43 characters. KB-JWT payload only.
	holeSDHash = 4
)

// Hole kinds in an mdoc DeviceResponse: [gap, kind, from, length], where
// from and length select bytes of the restored DeviceResponse that no hole
// overlaps.
const (
	// mholeDigest: the hole is SHA-256 of the selected bytes, 32 bytes:
	// the valueDigest of a disclosed IssuerSignedItemBytes (ISO/IEC
	// 18013-5 §9.1.2.5).
	mholeDigest = 0
	// mholeYEven, mholeYOdd: the selected 32 bytes are a P-256 x
	// coordinate; the hole is its y coordinate with an even (odd) y, 32
	// bytes (the COSE_Key -3 of the device key, RFC 9053 §7.1.1).
	mholeYEven = 1
	mholeYOdd  = 2
)

// Caps on the holes of one part (docs/qr-format.md §7).
const (
	// maxHoles caps the holes of one part: a digest per disclosure plus a
	// few more.
	maxHoles = maxDisclosures + 16
	// maxHoleBytes caps a holeBase64 byte string.
	maxHoleBytes = 64
	// minBase64Hole is the shortest base64url string worth a hole.
	minBase64Hole = 11
)

var b64Len43 = b64.EncodedLen(sha256.Size)

// p256Y returns the y coordinate of the P-256 point with x coordinate x
// (32 bytes, big endian) whose parity is odd, as 32 big-endian bytes, or
// false if x is not the coordinate of a point (SEC 1 §2.3.4; P-256 has
// p ≡ 3 mod 4, so y = (x³ − 3x + b)^((p+1)/4) mod p).
func p256Y(x []byte, odd bool) ([]byte, bool) {
	if len(x) != 32 {
		return nil, false
	}
	params := elliptic.P256().Params()
	p := params.P
	xi := new(big.Int).SetBytes(x)
	if xi.Cmp(p) >= 0 {
		return nil, false
	}
	rhs := new(big.Int).Exp(xi, big.NewInt(3), p)
	rhs.Sub(rhs, new(big.Int).Mul(big.NewInt(3), xi))
	rhs.Add(rhs, params.B)
	rhs.Mod(rhs, p)
	y := new(big.Int).Exp(rhs, p256SqrtExp(), p)
	if new(big.Int).Exp(y, big.NewInt(2), p).Cmp(rhs) != 0 {
		return nil, false
	}
	if y.Bit(0) == 1 != odd {
		if y.Sign() == 0 {
			return nil, false
		}
		y.Sub(p, y)
	}
	return y.FillBytes(make([]byte, 32)), true
}

// p256SqrtExp is (p+1)/4 for P-256.
var p256SqrtExp = sync.OnceValue(func() *big.Int {
	e := new(big.Int).Add(elliptic.P256().Params().P, big.NewInt(1))
	return e.Rsh(e, 2)
})

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

// cutJSON returns the part without its holes and the flat hole array
// [gap, kind, arg, ...].
func cutJSON(part []byte, holes []jsonHole) ([]byte, []any) {
	carried := make([]byte, 0, len(part))
	flat := make([]any, 0, 3*len(holes))
	prev := 0
	for _, h := range holes {
		carried = append(carried, part[prev:h.at]...)
		flat = append(flat, uint64(h.at-prev), h.kind, h.arg)
		prev = h.at + h.n
	}
	return append(carried, part[prev:]...), flat
}

// mdocHole is a hole of a DeviceResponse, as the encoder finds it.
type mdocHole struct {
	at, kind, from, n int
}

// findMdocHoles finds the holes of a DeviceResponse (docs/qr-format.md
// §4.3): each valueDigest of an IssuerSignedItemBytes present in it, and
// the y coordinate of a P-256 COSE_Key. The encoder works on bytes only:
// it cuts a hole only where the bytes are exactly what the decoder derives.
func findMdocHoles(dr []byte) []mdocHole {
	var holes []mdocHole
	// Tag 24 around a byte string: d8 18 58 LL or d8 18 59 LL LL.
	for i := 0; i+4 <= len(dr) && len(holes) < maxHoles; i++ {
		if dr[i] != 0xd8 || dr[i+1] != 0x18 {
			continue
		}
		var n, head int
		switch dr[i+2] {
		case 0x58:
			n, head = int(dr[i+3]), 4
		case 0x59:
			if i+5 > len(dr) {
				continue
			}
			n, head = int(dr[i+3])<<8|int(dr[i+4]), 5
		default:
			continue
		}
		if i+head+n > len(dr) {
			continue
		}
		d := sha256.Sum256(dr[i : i+head+n])
		if k := bytes.Index(dr, append([]byte{0x58, 0x20}, d[:]...)); k >= 0 && (k+2+32 <= i || k+2 >= i+head+n) {
			holes = append(holes, mdocHole{at: k + 2, kind: mholeDigest, from: i, n: head + n})
		}
	}
	// COSE_Key x and y: 21 58 20 <x> 22 58 20 <y>.
	if k := bytes.Index(dr, []byte{0x21, 0x58, 0x20}); k >= 0 && k+3+32+3+32 <= len(dr) &&
		bytes.Equal(dr[k+35:k+38], []byte{0x22, 0x58, 0x20}) && len(holes) < maxHoles {
		x, y := dr[k+3:k+35], dr[k+38:k+70]
		for kind, odd := range map[int]bool{mholeYEven: false, mholeYOdd: true} {
			if yy, ok := p256Y(x, odd); ok && bytes.Equal(yy, y) {
				holes = append(holes, mdocHole{at: k + 38, kind: kind, from: k + 3, n: 32})
			}
		}
	}
	// Sort by position; drop any hole that overlaps another or whose
	// source overlaps a hole.
	sortMdocHoles(holes)
	out := holes[:0]
	for _, h := range holes {
		if len(out) > 0 && out[len(out)-1].at+32 > h.at {
			continue
		}
		out = append(out, h)
	}
	final := out[:0]
	for _, h := range out {
		ok := true
		for _, o := range out {
			if h.from < o.at+32 && o.at < h.from+h.n {
				ok = false
			}
		}
		if ok {
			final = append(final, h)
		}
	}
	return final
}

func sortMdocHoles(h []mdocHole) {
	for i := 1; i < len(h); i++ {
		for j := i; j > 0 && h[j].at < h[j-1].at; j-- {
			h[j], h[j-1] = h[j-1], h[j]
		}
	}
}

// cutMdoc returns the DeviceResponse without its holes and the flat hole
// array [gap, kind, from, length, ...].
func cutMdoc(dr []byte, holes []mdocHole) ([]byte, []uint64) {
	carried := make([]byte, 0, len(dr))
	flat := make([]uint64, 0, 4*len(holes))
	prev := 0
	for _, h := range holes {
		carried = append(carried, dr[prev:h.at]...)
		flat = append(flat, uint64(h.at-prev), uint64(h.kind), uint64(h.from), uint64(h.n))
		prev = h.at + 32
	}
	return append(carried, dr[prev:]...), flat
}
