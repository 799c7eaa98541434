package wire

// Base45 as specified by RFC 9285. The alphabet is exactly the 45 characters
// of the QR code alphanumeric mode (ISO/IEC 18004 §7.4.5), so base45 text
// is carried in alphanumeric mode at 5.5 bits per character.

const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

var base45Index = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base45Alphabet); i++ {
		t[base45Alphabet[i]] = int8(i)
	}
	return t
}()

// Base45Encode encodes b as base45 (RFC 9285 §4): every two bytes become
// three characters, a final single byte becomes two.
func Base45Encode(b []byte) string {
	out := make([]byte, 0, (len(b)/2)*3+2)
	for i := 0; i+1 < len(b); i += 2 {
		n := int(b[i])<<8 | int(b[i+1])
		out = append(out, base45Alphabet[n%45], base45Alphabet[(n/45)%45], base45Alphabet[n/2025])
	}
	if len(b)%2 == 1 {
		n := int(b[len(b)-1])
		out = append(out, base45Alphabet[n%45], base45Alphabet[n/45])
	}
	return string(out)
}

// Base45Decode decodes base45 text strictly (RFC 9285 §4.2, §6): a
// character outside the alphabet, a length of 3k+1 or a group whose value
// exceeds 65535 (or 255 for a final pair) is an error, so every byte string
// has exactly one encoding. A length of 3k+1 and a final pair above 255 are
// reported as ErrTruncated (no encoder produces them; cutting a valid text
// does), every other violation as ErrEncoding.
func Base45Decode(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, errorf("decode", ErrTruncated, "base45 length %d is 3k+1", len(s))
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		var v [3]int
		n := 3
		if len(s)-i == 2 {
			n = 2
		}
		for j := 0; j < n; j++ {
			d := base45Index[s[i+j]]
			if d < 0 {
				return nil, errorf("decode", ErrEncoding, "character %q at %d not in the base45 alphabet", s[i+j], i+j)
			}
			v[j] = int(d)
		}
		x := v[0] + v[1]*45 + v[2]*2025
		if n == 3 {
			// RFC 9285 §6: a triple above 65535 is invalid.
			if x > 0xFFFF {
				return nil, errorf("decode", ErrEncoding, "base45 group at %d decodes to %d > 65535", i, x)
			}
			out = append(out, byte(x>>8), byte(x))
		} else {
			if x > 0xFF {
				// Invalid (RFC 9285 §6); no encoder writes it, cutting a
				// three-character group does.
				return nil, errorf("decode", ErrTruncated, "final base45 pair decodes to %d > 255", x)
			}
			out = append(out, byte(x))
		}
	}
	return out, nil
}

// InAlphabet reports whether every byte of b is one of the 45 characters
// of the QR alphanumeric mode, the base45 alphabet.
func InAlphabet(b []byte) bool {
	for _, c := range b {
		if base45Index[c] < 0 {
			return false
		}
	}
	return true
}
