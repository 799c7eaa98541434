package qr

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/credential/qr/internal/wire"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

var updateSeeds = flag.Bool("update-qr-seeds", false, "rewrite the version 2 seed payloads in testdata/qr")

// TestEnvelopeVersions: Encode writes version 2 (IKP2); Decode reads
// version 2 and version 1 (docs/qr-format.md §2, §4.3), and both give the
// same presentations for the same envelope: each SD-JWT byte for byte,
// each DeviceResponse as the holder made it.
func TestEnvelopeVersions(t *testing.T) {
	f := newFixture(t)
	for name, env := range samplePresentations(t, f) {
		t.Run(name, func(t *testing.T) {
			c, err := Encode(env)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(c.Data, []byte("IKP2")) {
				t.Fatalf("Encode wrote %q", c.Data[:5])
			}
			v1 := binaryPayload(t, env)
			if !bytes.HasPrefix(v1, []byte("IKP1#")) {
				t.Fatalf("version 1 payload %q", v1[:5])
			}
			for _, data := range [][]byte{c.Data, v1} {
				got, err := Decode(data)
				if err != nil {
					t.Fatalf("%q: %v", data[:5], err)
				}
				f.sameEnvelope(t, got, env)
			}
			// Version 2 is smaller.
			if len(c.Data) >= len(v1) && c.Mode == Byte {
				t.Errorf("version 2 is %d bytes, version 1 %d", len(c.Data), len(v1))
			}
		})
	}
}

// TestHolesDerived: the holes the encoder cuts are the derived values
// (disclosure digest, sd_hash, P-256 y) and the random strings; a changed
// disclosure changes the digest the decoder derives, so the issuer
// signature no longer covers it (the verifier fails it as before), and the
// decoded SD-JWT differs from the presented one.
func TestHolesDerived(t *testing.T) {
	f := newFixture(t)
	env := samplePresentations(t, f)["sd-jwt"]
	sd := env.Presentations[0].SDJWT
	parts, err := splitSDJWT(sd)
	if err != nil {
		t.Fatal(err)
	}
	digest := disclosureDigest(parts.Disclosures[0])
	holes := findJSONHoles(parts.JWT[1], []string{digest}, "")
	kinds := map[uint64]int{}
	for _, h := range holes {
		kinds[h.kind]++
	}
	// One disclosed digest, three other digests and x as bytes, y derived.
	if kinds[holeDisclosureDigest] != 1 || kinds[holeBase64] != 4 || kinds[holeYEven]+kinds[holeYOdd] != 1 {
		t.Fatalf("issuer payload holes %v", kinds)
	}
	kb := findJSONHoles(parts.KB[1], nil, sdHashOf(sd))
	var sdh int
	for _, h := range kb {
		if h.kind == holeSDHash {
			sdh++
		}
	}
	if sdh != 1 {
		t.Fatalf("KB-JWT payload holes %+v", kb)
	}
	// Change one byte of the carried disclosure: the decoder derives
	// another digest into the issuer payload.
	content, tail, err := encodeContentV2(env)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(content, []byte(`"RINA`))
	if i < 0 {
		t.Fatal("name not in the content")
	}
	bad := bytes.Clone(content)
	bad[i+1] = 'L'
	got, err := decodeContent(append(bad, tail...), 2)
	if err != nil {
		t.Fatal(err)
	}
	gp, err := splitSDJWT(got.Presentations[0].SDJWT)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(gp.JWT[1], parts.JWT[1]) || !strings.Contains(string(gp.JWT[1]), disclosureDigest(gp.Disclosures[0])) {
		t.Fatal("the issuer payload does not carry the digest of the changed disclosure")
	}
}

// v2Payload frames version 2 content (a CBOR item) and tail as a stored
// body (no compression) with the IKP2# prefix.
func v2Payload(content, tail []byte) []byte {
	data := append(bytes.Clone(content), tail...)
	return append([]byte("IKP2#"), wire.Frame(wire.CompressNone, data)...)
}

func mustCBOR(t *testing.T, v any) []byte {
	t.Helper()
	b, err := strictcbor.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func uv(xs ...uint64) []byte {
	var b []byte
	for _, x := range xs {
		b = binary.AppendUvarint(b, x)
	}
	return b
}

// TestDecodeV2Errors: malformed version 2 content fails with ErrMalformed
// (or ErrTooLarge), never a panic or a wrong presentation.
func TestDecodeV2Errors(t *testing.T) {
	hdr := []byte(`{"alg":"ES256"}`)
	sig := bytes.Repeat([]byte{7}, 64)
	jwt := func(payload any) []any { return []any{hdr, payload, uint64(64)} }
	sdjwt := func(payload any, ds []any) []byte {
		return mustCBOR(t, []any{[]any{wireSDJWT, jwt(payload), ds, nil}})
	}
	good := sdjwt([]byte(`{"_sd":[""]}`), []any{[]any{[]byte(`["","a",1]`), uv(2, holeBase64+16)}})
	goodTail := append(bytes.Repeat([]byte{1}, 16), sig...)
	if _, err := Decode(v2Payload(good, goodTail)); err != nil {
		t.Fatalf("the well-formed case fails: %v", err)
	}
	mdoc := func(part any) []byte {
		return mustCBOR(t, []any{[]any{wireMdoc, part, []any{"aud", uint64(1772359200), bytes.Repeat([]byte{1}, 8)}}})
	}
	for _, tc := range []struct {
		name          string
		content, tail []byte
		want          error
	}{
		{"tail left over", good, append(goodTail, 0), ErrMalformed},
		{"tail short", good, goodTail[:40], ErrMalformed},
		{"no tail for the signature", sdjwt([]byte(`{}`), []any{}), nil, ErrMalformed},
		{"gap beyond the part", sdjwt([]any{[]byte(`{}`), uv(3, holeSDHash)}, []any{}), sig, ErrMalformed},
		{"non-minimal varint", sdjwt([]any{[]byte(`{}`), []byte{0x81, 0x00, holeBase64 + 1}}, []any{}), append([]byte{1}, sig...), ErrMalformed},
		{"varint too large", sdjwt([]any{[]byte(`{}`), []byte{0x80, 0x80, 0x80, 0x01, 1}}, []any{}), sig, ErrMalformed},
		{"sd_hash outside the KB-JWT", sdjwt([]any{[]byte(`{}`), uv(1, holeSDHash)}, []any{}), sig, ErrMalformed},
		{"digest of no disclosure", sdjwt([]any{[]byte(`{}`), uv(1, holeDisclosureDigest, 0)}, []any{}), sig, ErrMalformed},
		{"y of no x", sdjwt([]any{[]byte(`{}`), uv(1, holeYEven, 0)}, []any{}), sig, ErrMalformed},
		{"y of an x off the curve", sdjwt([]any{[]byte(`{}`), uv(1, holeBase64+32, 0, holeYEven, 0)}, []any{}), append(bytes.Repeat([]byte{0xff}, 32), sig...), ErrMalformed},
		{"base64 hole of 65 bytes", sdjwt([]any{[]byte(`{}`), uv(1, holeBase64+65)}, []any{}), append(make([]byte, 65), sig...), ErrMalformed},
		{"unknown code", sdjwt([]any{[]byte(`{}`), uv(1, holeBase64)}, []any{}), sig, ErrMalformed},
		{"empty hole list", sdjwt([]any{[]byte(`{}`), []byte{}}, []any{}), sig, ErrMalformed},
		{"part of three", sdjwt([]any{[]byte(`{}`), uv(1, holeSDHash), 1}, []any{}), sig, ErrMalformed},
		{"signature of 513 bytes", mustCBOR(t, []any{[]any{wireSDJWT, []any{hdr, []byte(`{}`), uint64(513)}, []any{}, nil}}), make([]byte, 513), ErrMalformed},
		{"mdoc raw hole short of tail", mdoc([]any{[]byte{0xa0}, uv(0, mholeRaw+8)}), nil, ErrMalformed},
		{"mdoc digest of no item", mdoc([]any{[]byte{0xa0}, uv(0, mholeDigest, 0)}), nil, ErrMalformed},
		{"mdoc digest source in its own hole", mdoc([]any{append([]byte{0x58, 0x20}, make([]byte, 0)...), uv(2, mholeDigest, 2)}), nil, ErrMalformed},
		{"mdoc y source beyond", mdoc([]any{[]byte{0xa0}, uv(1, mholeYOdd, 5)}), nil, ErrMalformed},
		{"mdoc unknown code", mdoc([]any{[]byte{0xa0}, uv(1, mholeRaw)}), nil, ErrMalformed},
		{"not one CBOR item", []byte{0xff}, nil, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, err := Decode(v2Payload(tc.content, tc.tail))
			var e *Error
			if env != nil || !errors.Is(err, tc.want) || !errors.As(err, &e) {
				t.Fatalf("got %v (env %v), want %v", err, env, tc.want)
			}
		})
	}
	// A compression bomb in method 2 stops at the decompression cap.
	z, err := wire.DeflateV2(make([]byte, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(append([]byte("IKP2#"), wire.Frame(wire.CompressDeflateTail, z)...)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("bomb: %v", err)
	}
	// A version 2 body must not use compression method 2 in version 1, and
	// a request or frame never reads it.
	body := wire.Frame(wire.CompressDeflateTail, []byte{0x03, 0x00})
	if _, err := Decode(append([]byte("IKP1#"), body...)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("method 2 in version 1: %v", err)
	}
}

// TestSeedsV2: the version 2 seed payloads of the fuzz corpus decode; with
// -update-qr-seeds they are rewritten from samplePresentations.
func TestSeedsV2(t *testing.T) {
	seeds := map[string]string{"sd-jwt": "seed-v2-sdjwt.payload", "mdoc": "seed-v2-mdoc.payload", "sd-jwt and mdoc": "seed-v2-both.payload"}
	if *updateSeeds {
		f := newFixture(t)
		envs := samplePresentations(t, f)
		for name, file := range seeds {
			c, err := Encode(envs[name])
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile("../../testdata/qr/"+file, c.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, file := range seeds {
		b, err := os.ReadFile("../../testdata/qr/" + file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("IKP2")) {
			t.Fatalf("%s is not version 2", file)
		}
		if _, err := Decode(b); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
}

// TestP256Y: p256Y gives back the y of real keys for their parity, the
// other root for the other parity, and refuses an x off the curve.
func TestP256Y(t *testing.T) {
	for range 8 {
		k := newKey(t)
		x, y := k.X.FillBytes(make([]byte, 32)), k.Y.FillBytes(make([]byte, 32))
		odd := k.Y.Bit(0) == 1
		got, ok := p256Y(x, odd)
		if !ok || !bytes.Equal(got, y) {
			t.Fatalf("y of a real key: %x %v, want %x", got, ok, y)
		}
		other, ok := p256Y(x, !odd)
		if !ok || bytes.Equal(other, y) || (other[31]&1 == 1) == odd {
			t.Fatalf("other root %x %v", other, ok)
		}
	}
	if _, ok := p256Y(bytes.Repeat([]byte{0xff}, 32), false); ok {
		t.Fatal("x ≥ p accepted")
	}
	if _, ok := p256Y(make([]byte, 31), false); ok {
		t.Fatal("31-byte x accepted")
	}
}

// TestEncodeLongSignature: a JWT signature the version 2 decoder would
// refuse (over 512 bytes) is refused by the encoder too.
func TestEncodeLongSignature(t *testing.T) {
	jwt := b64.EncodeToString([]byte(`{"alg":"RS512"}`)) + "." + b64.EncodeToString([]byte(`{}`)) + "." + b64.EncodeToString(make([]byte, 513))
	if _, err := Encode(Envelope{Presentations: []Presentation{{SDJWT: jwt + "~"}}}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("513-byte signature: %v", err)
	}
	jwt = jwt[:strings.LastIndexByte(jwt, '.')+1] + b64.EncodeToString(make([]byte, 512))
	if _, err := Encode(Envelope{Presentations: []Presentation{{SDJWT: jwt + "~"}}}); err != nil {
		t.Fatalf("512-byte signature: %v", err)
	}
}
