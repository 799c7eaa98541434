package didkey

import "fmt"

// KeyType is a public key type that a did:key can hold, named by its
// multicodec (https://github.com/multiformats/multicodec, table.csv).
type KeyType int

// The supported key types.
const (
	Ed25519   KeyType = iota + 1 // ed25519-pub 0xed, 32 bytes (RFC 8032)
	X25519                       // x25519-pub 0xec, 32 bytes (RFC 7748), key agreement only
	P256                         // p256-pub 0x1200, 33-byte compressed SEC 1 point
	P384                         // p384-pub 0x1201, 49-byte compressed SEC 1 point
	P521                         // p521-pub 0x1202, 67-byte compressed SEC 1 point
	Secp256k1                    // secp256k1-pub 0xe7, 33-byte compressed SEC 1 point
)

type keyTypeInfo struct {
	name     string // multicodec name
	code     uint64 // multicodec code
	size     int    // raw key length in bytes (did:key v0.7 §3.1.2 table)
	crv      string // JWK "crv" (RFC 7518 §6.2.1.1, RFC 8037 §2, RFC 8812 §3.1)
	kty      string // JWK "kty"
	coordLen int    // length of one EC coordinate; 0 for OKP keys
}

var keyTypes = map[KeyType]keyTypeInfo{
	Ed25519:   {"ed25519-pub", 0xed, 32, "Ed25519", "OKP", 0},
	X25519:    {"x25519-pub", 0xec, 32, "X25519", "OKP", 0},
	P256:      {"p256-pub", 0x1200, 33, "P-256", "EC", 32},
	P384:      {"p384-pub", 0x1201, 49, "P-384", "EC", 48},
	P521:      {"p521-pub", 0x1202, 67, "P-521", "EC", 66},
	Secp256k1: {"secp256k1-pub", 0xe7, 33, "secp256k1", "EC", 32},
}

var byCode = func() map[uint64]KeyType {
	m := make(map[uint64]KeyType, len(keyTypes))
	for t, info := range keyTypes {
		m[info.code] = t
	}
	return m
}()

// knownUnsupported lists public-key multicodecs that are real did:key key
// types but are not supported here; they give ErrUnsupportedKeyType rather
// than ErrUnknownMulticodec.
var knownUnsupported = map[uint64]string{
	0xea:   "bls12_381-g1-pub",
	0xeb:   "bls12_381-g2-pub",
	0xee:   "bls12_381-g1g2-pub",
	0x1203: "ed448-pub",
	0x1204: "x448-pub",
	0x1205: "rsa-pub",
	0x1206: "sm2-pub",
	0xeb51: "jwk_jcs-pub",
}

// String returns the multicodec name, e.g. "p256-pub".
func (t KeyType) String() string {
	if info, ok := keyTypes[t]; ok {
		return info.name
	}
	return fmt.Sprintf("KeyType(%d)", int(t))
}

// Multicodec returns the multicodec code of the key type, e.g. 0x1200.
func (t KeyType) Multicodec() uint64 { return keyTypes[t].code }

// maxVarintLen is the longest unsigned varint the multiformats
// unsigned-varint spec allows (9 bytes, 63 bits).
const maxVarintLen = 9

// readUvarint decodes a multiformats unsigned varint
// (https://github.com/multiformats/unsigned-varint): at most 9 bytes, and
// minimally encoded ("the MSB of the last byte must not be zero unless the
// number is 0"), so every code has exactly one encoding.
func readUvarint(b []byte) (v uint64, n int, err error) {
	for i := 0; i < len(b) && i < maxVarintLen; i++ {
		c := b[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			if c == 0 && i > 0 {
				return 0, 0, fmt.Errorf("varint is not minimally encoded")
			}
			return v, i + 1, nil
		}
	}
	if len(b) >= maxVarintLen {
		return 0, 0, fmt.Errorf("varint longer than %d bytes", maxVarintLen)
	}
	return 0, 0, fmt.Errorf("truncated varint")
}

func appendUvarint(dst []byte, v uint64) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}
