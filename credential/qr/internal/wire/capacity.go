package wire

// QR code capacity at error correction level M (ISO/IEC 18004:2015
// Table 7 "Number of symbol characters and input data capacity", column M,
// data codewords). Index 0 is version 1.
var dataCodewordsM = [40]int{
	16, 28, 44, 64, 86, 108, 124, 154, 182, 216,
	254, 290, 334, 365, 415, 453, 507, 563, 627, 669,
	714, 782, 860, 914, 1000, 1062, 1128, 1193, 1267, 1373,
	1455, 1541, 1631, 1725, 1812, 1914, 1992, 2102, 2216, 2334,
}

// Mode is the QR data encoding mode of a payload (qr.Mode is the public
// name of the same two values).
type Mode int

// The modes: QR alphanumeric (ISO/IEC 18004 §7.4.4, base45 text) and byte
// (§7.4.5, raw bytes).
const (
	Alphanumeric Mode = iota + 1
	Byte
)

// MaxVersion is the largest QR version (177×177 modules).
const MaxVersion = 40

// segmentBits is the size in bits of one segment of n characters in mode m
// at QR version v: 4 bits of mode indicator, the character count indicator
// (ISO/IEC 18004 Table 3) and the data bits.
func segmentBits(m Mode, n, v int) int {
	switch m {
	case Alphanumeric:
		cc := 9
		if v >= 27 {
			cc = 13
		} else if v >= 10 {
			cc = 11
		}
		return 4 + cc + 11*(n/2) + 6*(n%2)
	default:
		cc := 8
		if v >= 10 {
			cc = 16
		}
		return 4 + cc + 8*n
	}
}

// VersionFor returns the smallest QR version that holds n characters (base45
// characters for Alphanumeric, bytes for Byte) as a single segment at error
// correction level M, or 0 if even version 40 is too small.
func VersionFor(m Mode, n int) int {
	for v := 1; v <= MaxVersion; v++ {
		if segmentBits(m, n, v) <= dataCodewordsM[v-1]*8 {
			return v
		}
	}
	return 0
}

// CapacityM returns how many characters of mode m fit in QR version v at
// level M as a single segment (0 for an invalid version).
func CapacityM(m Mode, v int) int {
	if v < 1 || v > MaxVersion {
		return 0
	}
	n := 0
	for segmentBits(m, n+1, v) <= dataCodewordsM[v-1]*8 {
		n++
	}
	return n
}
