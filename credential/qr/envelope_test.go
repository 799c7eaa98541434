package qr

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"runtime"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/credential/qr/internal/wire"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
)

func samplePresentations(t *testing.T, f *fixture) map[string]Envelope {
	t.Helper()
	return samplePresentationsTB(t, f)
}

// samplePresentationsTB is samplePresentations for any testing.TB (fuzz
// seeds).
func samplePresentationsTB(t testing.TB, f *fixture) map[string]Envelope {
	t.Helper()
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
	noKB := Presentation{SDJWT: f.profileSDJWT(t, false).String()}
	none, err := PresentSDJWT(f.profileSDJWT(t, false), nil, b, f.holderKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]Envelope{
		"sd-jwt":             {Presentations: []Presentation{sd}},
		"sd-jwt no disclose": {Presentations: []Presentation{none}},
		"sd-jwt without kb":  {Presentations: []Presentation{noKB}},
		"mdoc":               {Presentations: []Presentation{md}},
		"sd-jwt and mdoc":    {Presentations: []Presentation{sd, md}},
	}
}

func TestRoundTrip(t *testing.T) {
	f := newFixture(t)
	for name, env := range samplePresentations(t, f) {
		t.Run(name, func(t *testing.T) {
			c, err := Encode(env)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(c.Data)
			if err != nil {
				t.Fatal(err)
			}
			f.sameEnvelope(t, got, env)
		})
	}
}

// TestModeChoice checks that Encode picks the mode with the smaller QR and
// that both forms decode.
func TestModeChoice(t *testing.T) {
	f := newFixture(t)
	env := samplePresentations(t, f)["sd-jwt"]
	body, err := encodeBodyV2(env)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Encode(env)
	if err != nil {
		t.Fatal(err)
	}
	text := "IKP2:" + wire.Base45Encode(body)
	bin := append([]byte("IKP2#"), body...)
	vt, vb := wire.VersionFor(wire.Alphanumeric, len(text)), wire.VersionFor(wire.Byte, len(bin))
	want := min(vt, vb)
	if c.Version != want {
		t.Fatalf("version %d, want min(%d, %d)", c.Version, vt, vb)
	}
	for _, data := range [][]byte{[]byte(text), bin} {
		if _, err := Decode(data); err != nil {
			t.Fatalf("%q...: %v", data[:5], err)
		}
	}
}

func binaryPayload(t *testing.T, env Envelope) []byte {
	t.Helper()
	body, err := encodeBody(env)
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte("IKP1#"), body...)
}

// TestBitFlips flips every bit of a binary payload: a flip in the prefix
// fails as ErrPrefix, ErrVersion or ErrMalformed (separator), a flip in the
// body always as ErrChecksum.
func TestBitFlips(t *testing.T) {
	f := newFixture(t)
	data := binaryPayload(t, samplePresentations(t, f)["sd-jwt"])
	for i := 0; i < len(data)*8; i++ {
		c := bytes.Clone(data)
		c[i/8] ^= 1 << (i % 8)
		_, err := Decode(c)
		var want error
		switch {
		case i/8 < 3:
			want = ErrPrefix
		case i/8 == 3:
			want = ErrVersion
		case i/8 == 4:
			want = ErrMalformed
		default:
			want = ErrChecksum
		}
		if !errors.Is(err, want) {
			t.Fatalf("bit %d: got %v, want %v", i, err, want)
		}
	}
}

// base45Alphabet is the alphabet of RFC 9285 §4.
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// TestBase45Flips changes each character of a text payload's body to the
// next alphabet character: always ErrChecksum or ErrEncoding.
func TestBase45Flips(t *testing.T) {
	f := newFixture(t)
	body, err := encodeBody(samplePresentations(t, f)["mdoc"])
	if err != nil {
		t.Fatal(err)
	}
	text := []byte("IKP1:" + wire.Base45Encode(body))
	for i := wire.PrefixLen; i < len(text); i++ {
		c := bytes.Clone(text)
		c[i] = base45Alphabet[(strings.IndexByte(base45Alphabet, c[i])+1)%45]
		_, err := Decode(c)
		if !errors.Is(err, ErrChecksum) && !errors.Is(err, ErrEncoding) && !(errors.Is(err, ErrTruncated) && i >= len(text)-2) {
			t.Fatalf("char %d: %v", i, err)
		}
	}
}

// TestTruncation cuts payloads at every length: ErrTruncated, except for
// a cut inside the prefix (ErrPrefix).
func TestTruncation(t *testing.T) {
	f := newFixture(t)
	env := samplePresentations(t, f)["sd-jwt"]
	bin := binaryPayload(t, env)
	c, err := Encode(env)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := encodeBody(env)
	text := []byte("IKP1:" + wire.Base45Encode(body))
	for _, data := range [][]byte{bin, text, c.Data} {
		for n := 0; n < len(data); n++ {
			_, err := Decode(data[:n])
			want := ErrTruncated
			if n < wire.PrefixLen {
				want = ErrPrefix
			}
			if !errors.Is(err, want) {
				t.Fatalf("cut at %d of %d: got %v, want %v", n, len(data), err, want)
			}
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	f := newFixture(t)
	good := binaryPayload(t, samplePresentations(t, f)["sd-jwt"])
	reframe := func(method byte, content []byte) []byte {
		b := []byte{method, 0, 0, 0}
		binary.BigEndian.PutUint16(b[1:3], uint16(len(content)))
		b[3] = wire.CRC8(b[:3])
		b = append(b, content...)
		b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
		return append([]byte("IKP1#"), b...)
	}
	// A DEFLATE bomb: 1 MiB of zeros compresses to about 1 KiB.
	var bomb bytes.Buffer
	w, _ := flate.NewWriterDict(&bomb, flate.BestCompression, wire.Dictionary())
	w.Write(make([]byte, 1<<20))
	w.Close()
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrPrefix},
		{"other scheme", []byte("HC1:6BFOXN%TS3DH0"), ErrPrefix},
		{"request kind", []byte("IKR1:ABC"), ErrPrefix},
		{"unknown version text", append([]byte("IKP3:"), good[5:]...), ErrVersion},
		{"version 0", append([]byte("IKP0#"), good[5:]...), ErrVersion},
		{"unknown version binary", append([]byte("IKP9#"), good[5:]...), ErrVersion},
		{"bad separator", append([]byte("IKP1!"), good[5:]...), ErrMalformed},
		{"bad base45 char", []byte("IKP1:abc"), ErrEncoding},
		{"base45 overflow", []byte("IKP1:GGW"), ErrEncoding},
		{"trailing bytes", append(bytes.Clone(good), 0), ErrMalformed},
		{"oversized decompression", reframe(wire.CompressDeflate, bomb.Bytes()), ErrTooLarge},
		{"bad deflate", reframe(wire.CompressDeflate, []byte{0xff, 0xff, 0xff}), ErrMalformed},
		{"unknown compression", reframe(7, []byte{0x80}), ErrMalformed},
		{"reserved flags", reframe(0x10, []byte{0x80}), ErrMalformed},
		{"not CBOR", reframe(wire.CompressNone, []byte{0xff}), ErrMalformed},
		{"empty envelope", reframe(wire.CompressNone, []byte{0x80}), ErrMalformed},
		{"unknown kind", reframe(wire.CompressNone, []byte{0x81, 0x81, 0x07}), ErrMalformed},
		{"tag in envelope", reframe(wire.CompressNone, []byte{0xc1, 0x80}), ErrMalformed},
		{"duplicate map key", reframe(wire.CompressNone, []byte{0x81, 0xa2, 0x01, 0x01, 0x01, 0x02}), ErrMalformed},
		{"too large", make([]byte, MaxPayloadSize+1), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := Decode(tt.data)
			if !errors.Is(err, tt.want) || env != nil {
				t.Fatalf("got %v (env %v), want %v", err, env, tt.want)
			}
			// DecodeString and Assembler.AddString agree with Decode.
			if env, err2 := DecodeString(string(tt.data)); env != nil || err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("DecodeString: %v, Decode: %v", err2, err)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not *Error", err)
			}
		})
	}
}

func TestStringFormsRefuseOversizedInput(t *testing.T) {
	huge := strings.Repeat("0", 16<<20)
	var a Assembler
	for name, fn := range map[string]func() error{
		"DecodeString": func() error { _, err := DecodeString(huge); return err },
		"AddString":    func() error { _, err := a.AddString(huge); return err },
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := fn()
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
			t.Errorf("%s: %d bytes allocated to refuse 16 MiB", name, n)
		}
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: %v, want ErrTooLarge", name, err)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	f := newFixture(t)
	sd := samplePresentations(t, f)["sd-jwt"].Presentations[0].SDJWT
	tests := []struct {
		name string
		env  Envelope
		want error
	}{
		{"empty", Envelope{}, ErrOptions},
		{"both set", Envelope{Presentations: []Presentation{{SDJWT: sd, Mdoc: &MdocPresentation{}}}}, ErrOptions},
		{"not an SD-JWT", Envelope{Presentations: []Presentation{{SDJWT: "abc"}}}, ErrUnsupported},
		{"padded base64url", Envelope{Presentations: []Presentation{{SDJWT: "eyJhIjoxfQ==.eyJhIjoxfQ.AA~"}}}, ErrUnsupported},
		{"non-canonical base64url", Envelope{Presentations: []Presentation{{SDJWT: "eyJhIjoxfQ.eyJhIjoxfR.AA~"}}}, ErrUnsupported},
		{"mdoc short nonce", Envelope{Presentations: []Presentation{{Mdoc: &MdocPresentation{DeviceResponse: []byte{0xa0}, Binding: Binding{Audience: "a", IssuedAt: testNow, Nonce: []byte{1}}}}}}, ErrOptions},
		{"mdoc not a DeviceResponse", Envelope{Presentations: []Presentation{{Mdoc: &MdocPresentation{DeviceResponse: []byte{0xa0}, Binding: f.binding(t)}}}}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Encode(tt.env)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

var _ = sdjwt.P
