package mdoc

import (
	"crypto/elliptic"
	"encoding/hex"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/internal/cose"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// The hand-written decoders (wire.go, values.go) replaced reflection-based
// decoding with the strict fxamacker/cbor modes on the verification path.
// The references for the closed structures (DeviceResponse, Document and
// what they hold, IssuerSignedItem) reject unknown members too; the MSO's
// is the open decMode, since its "status" map is open.
// The reflection decoders stay here as the reference: whatever a hand
// decoder accepts, the reference must accept with an equal result, so the
// hand decoders are never more lenient. (They are stricter in a few
// places the reference let through: tags in front of typed members,
// one-byte simple values below 32, header labels that are neither int
// nor text.)

// refDecodeValue is the former element value decoder.
func refDecodeValue(raw []byte) (any, error) {
	var v any
	if err := decode(decMode, raw, &v, elementTags...); err != nil {
		return nil, err
	}
	return refConvert(v)
}

func refConvert(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, int64, float64:
		return x, nil
	case float32:
		return float64(x), nil
	case []byte:
		return x, nil
	case time.Time:
		return x.UTC(), nil
	case cbor.Tag:
		if x.Number == tagFullDate {
			s, ok := x.Content.(string)
			if !ok {
				return nil, errorf(ErrMalformed, "tag 1004 over %T", x.Content)
			}
			return ParseFullDate(s)
		}
		return nil, errorf(ErrMalformed, "unexpected tag %d", x.Number)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := refConvert(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case map[any]any:
		allText := true
		for k := range x {
			if _, ok := k.(string); !ok {
				allText = false
			}
		}
		out := map[any]any{}
		outText := map[string]any{}
		for k, e := range x {
			switch k.(type) {
			case string, int64:
			default:
				return nil, errorf(ErrMalformed, "map key of type %T", k)
			}
			c, err := refConvert(e)
			if err != nil {
				return nil, err
			}
			if allText {
				outText[k.(string)] = c
			} else {
				out[k] = c
			}
		}
		if allText {
			return outText, nil
		}
		return out, nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, errorf(ErrMalformed, "integer %d out of int64 range", x)
		}
		return int64(x), nil
	}
	return nil, errorf(ErrMalformed, "unsupported CBOR value %T", v)
}

// sameValue is reflect.DeepEqual except that NaNs equal themselves.
func sameValue(a, b any) bool {
	// A NaN is the same NaN when its bits are, inside arrays and maps too.
	return equalWith(a, b, func(x, y float64) bool {
		return x == y || math.IsNaN(x) && math.Float64bits(x) == math.Float64bits(y)
	})
}

// checkDecodersAgree runs every hand decoder on in and, for each one that
// accepts, requires the reference decoder to accept with an equal result.
func checkDecodersAgree(t *testing.T, in []byte) {
	t.Helper()
	if got, err := parseDeviceResponse(in); err == nil {
		var want deviceResponseWire
		if err := decode(decModeExact, in, &want, tagEncodedCBOR); err != nil {
			t.Fatalf("DeviceResponse accepted, reference rejects: %v", err)
		}
		if !reflect.DeepEqual(normalize(*got), normalize(want)) {
			t.Fatalf("DeviceResponse differs:\n%#v\n%#v", *got, want)
		}
	}
	if got, err := parseDocument(in); err == nil {
		var want documentWire
		if err := decode(decModeExact, in, &want, tagEncodedCBOR); err != nil {
			t.Fatalf("Document accepted, reference rejects: %v", err)
		}
		if !reflect.DeepEqual(normalize(*got), normalize(want)) {
			t.Fatalf("Document differs:\n%#v\n%#v", *got, want)
		}
	}
	if got, err := parseIssuerSignedItem(in); err == nil {
		var want issuerSignedItemWire
		if err := decode(decModeExact, in, &want, elementTags...); err != nil {
			t.Fatalf("IssuerSignedItem accepted, reference rejects: %v", err)
		}
		if !reflect.DeepEqual(normalize(*got), normalize(want)) {
			t.Fatalf("IssuerSignedItem differs:\n%#v\n%#v", *got, want)
		}
	}
	if got, err := parseMSO(in); err == nil {
		var want msoWire
		if err := decode(decMode, in, &want, tagTDate); err != nil {
			t.Fatalf("MSO accepted, reference rejects: %v", err)
		}
		if !reflect.DeepEqual(normalize(*got), normalize(want)) {
			t.Fatalf("MSO differs:\n%#v\n%#v", *got, want)
		}
	}
	if got, err := parseDeviceNameSpaces(in); err == nil {
		var want map[string]map[string]rawItem
		if err := decode(decMode, in, &want, elementTags...); err != nil {
			t.Fatalf("DeviceNameSpaces accepted, reference rejects: %v", err)
		}
		if !reflect.DeepEqual(normalize(got), normalize(want)) {
			t.Fatalf("DeviceNameSpaces differ:\n%#v\n%#v", got, want)
		}
	}
	if got, err := decodeValue(in); err == nil {
		want, err := refDecodeValue(in)
		if err != nil {
			t.Fatalf("element value accepted, reference rejects: %v", err)
		}
		if !sameValue(got, want) {
			t.Fatalf("element value differs: %#v, reference %#v", got, want)
		}
	}
}

// normalize maps a decoded structure to a comparable form: empty and nil
// byte slices, slices and maps are the same, and times compare as
// instants.
func normalize(v any) any {
	return normalizeValue(reflect.ValueOf(v))
}

func normalizeValue(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	if t, ok := v.Interface().(time.Time); ok {
		if t.IsZero() {
			return nil
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return normalizeValue(v.Elem())
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return []any{"ptr", normalizeValue(v.Elem())}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if v.Len() == 0 {
				return nil
			}
			return string(v.Bytes())
		}
		if v.Len() == 0 {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = normalizeValue(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.Len() == 0 {
			return nil
		}
		out := map[any]any{}
		for it := v.MapRange(); it.Next(); {
			out[normalizeValue(it.Key())] = normalizeValue(it.Value())
		}
		return out
	case reflect.Struct:
		out := map[string]any{}
		for i := 0; i < v.NumField(); i++ {
			if f := v.Type().Field(i); f.IsExported() {
				out[f.Name] = normalizeValue(v.Field(i))
			}
		}
		return out
	}
	return v.Interface()
}

// wireSeeds returns the CBOR structures inside the Annex D DeviceResponse:
// the response, its document, issuerAuth and its protected header, the
// MSO, each IssuerSignedItem with its value, the device key and the
// DeviceNameSpaces. An empty corpus fails.
func wireSeeds(t testing.TB) [][]byte {
	resp := readHex(t, "device_response.hex")
	r, err := parseDeviceResponse(resp)
	if err != nil || len(r.Documents) == 0 {
		t.Fatalf("seed response: %v", err)
	}
	seeds := [][]byte{resp}
	d, err := parseDocument(r.Documents[0])
	if err != nil {
		t.Fatal(err)
	}
	seeds = append(seeds, r.Documents[0], d.IssuerSigned.IssuerAuth, d.DeviceSigned.DeviceAuth.DeviceMac)
	msg, _, err := parseIssuerAuth(d.IssuerSigned.IssuerAuth, nil)
	if err != nil {
		t.Fatal(err)
	}
	mso, err := strictcbor.UnwrapTag24(msg.Payload)
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseMSO(mso)
	if err != nil {
		t.Fatal(err)
	}
	devNS, err := strictcbor.UnwrapTag24(d.DeviceSigned.NameSpaces)
	if err != nil {
		t.Fatal(err)
	}
	seeds = append(seeds, msg.RawProtected, mso, m.DeviceKeyInfo.DeviceKey, devNS)
	for _, items := range d.IssuerSigned.NameSpaces {
		for _, raw := range items {
			inner, err := strictcbor.UnwrapTag24(raw)
			if err != nil {
				t.Fatal(err)
			}
			it, err := parseIssuerSignedItem(inner)
			if err != nil {
				t.Fatal(err)
			}
			seeds = append(seeds, inner, it.ElementValue)
		}
	}
	if len(seeds) < 10 {
		t.Fatalf("seed corpus of %d items", len(seeds))
	}
	return seeds
}

// FuzzDecodersAgree checks that the hand-written decoders never accept
// what the reference strict decoder rejects, nor decode it differently.
func FuzzDecodersAgree(f *testing.F) {
	for _, s := range wireSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(checkDecodersAgree)
}

func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// CBOR pieces for the tables below.
const (
	kVersion = "67 76657273696f6e" // "version"
	kStatus  = "66 737461747573"   // "status"
	v10      = "63 312e30"         // "1.0"
)

func TestDecodeValueTable(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want any
		err  error
	}{
		{"float16 one", "f9 3c00", 1.0, nil},
		{"float16 subnormal", "f9 0001", math.Ldexp(1, -24), nil},
		{"float16 negative", "f9 c000", -2.0, nil},
		{"float16 infinity", "f9 7c00", math.Inf(1), nil},
		{"float16 minus infinity", "f9 fc00", math.Inf(-1), nil},
		{"float32", "fa 47c35000", 100000.0, nil},
		{"float64", "fb 3ff199999999999a", 1.1, nil},
		{"min int64", "3b 7fffffffffffffff", int64(math.MinInt64), nil},
		{"uint over int64", "1b ffffffffffffffff", nil, ErrMalformed},
		{"negative under int64", "3b 8000000000000000", nil, ErrMalformed},
		{"empty bstr", "40", []byte{}, nil},
		{"null", "f6", nil, nil},
		{"undefined", "f7", nil, nil},
		{"empty map", "a0", map[string]any{}, nil},
		{"mixed keys", "a2 01 6161 6162 02", map[any]any{int64(1): "a", "b": int64(2)}, nil},
		{"duplicate text key", "a2 6161 01 6161 02", nil, ErrMalformed},
		{"duplicate int key, non-shortest", "a2 01 01 1801 02", nil, ErrMalformed},
		{"duplicate key after an int key", "a3 01 01 6161 01 6161 02", nil, ErrMalformed},
		{"byte string key", "a1 4161 01", nil, ErrMalformed},
		{"invalid UTF-8", "62 c328", nil, ErrMalformed},
		{"simple value 16", "f0", nil, ErrMalformed},
		{"one-byte simple below 32", "f8 18", nil, ErrMalformed},
		{"simple value 32", "f8 20", nil, ErrMalformed},
		{"tdate", "c0 74 323032342d30322d30335430343a30353a30365a", time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC), nil},
		{"tdate with offset", "c0 78 19 323032342d30322d30335431313a30353a30362b30373a3030", time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC), nil},
		{"tdate over an int", "c0 01", nil, ErrMalformed},
		{"tdate not RFC 3339", "c0 64 32303234", nil, ErrMalformed},
		{"full-date", "d903ec 6a 313939352d30382d3137", FullDate{1995, 8, 17}, nil},
		{"full-date over an int", "d903ec 01", nil, ErrMalformed},
		{"epoch time tag", "c1 01", nil, ErrMalformed},
		{"indefinite array", "9f ff", nil, ErrMalformed},
		{"trailing byte", "01 01", nil, ErrMalformed},
		{"nested", "82 01 a1 6161 81 f5", []any{int64(1), map[string]any{"a": []any{true}}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := h(tc.in)
			got, err := decodeValue(in)
			err = wrap(err)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || got != nil {
					t.Fatalf("got %#v, %v; want %v", got, err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, %v; want %#v", got, err, tc.want)
			}
			checkDecodersAgree(t, in)
		})
	}
}

func TestDeviceResponseMembers(t *testing.T) {
	unknown := func(n int) string {
		// n distinct unknown text keys "a".."z"-ish, each with value 0.
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(hex.EncodeToString([]byte{0x62, 'x', byte('A' + i)}) + "00")
		}
		return b.String()
	}
	tests := []struct {
		name   string
		in     string
		status *uint64
		err    error
	}{
		{"minimal", "a2" + kVersion + v10 + kStatus + "00", new(uint64), nil},
		{"status null", "a2" + kVersion + v10 + kStatus + "f6", nil, nil},
		{"int key", "a3" + kVersion + v10 + kStatus + "00 01 00", nil, ErrMalformed},
		{"duplicate member", "a3" + kVersion + v10 + kStatus + "00" + kStatus + "00", nil, ErrMalformed},
		{"duplicate int key, non-shortest", "a4" + kVersion + v10 + kStatus + "00 01 00 1801 00", nil, ErrMalformed},
		{"byte string key", "a3" + kVersion + v10 + kStatus + "00 4161 00", nil, ErrMalformed},
		{"array key", "a3" + kVersion + v10 + kStatus + "00 80 00", nil, ErrMalformed},
		{"int key over int64", "a3" + kVersion + v10 + kStatus + "00 1b ffffffffffffffff 00", nil, ErrMalformed},
		{"invalid UTF-8 key", "a3" + kVersion + v10 + kStatus + "00 62 c328 00", nil, ErrMalformed},
		{"unknown key", "a3" + kVersion + v10 + kStatus + "00" + unknown(1), nil, ErrMalformed},
		{"many unknown keys", "b4" + kVersion + v10 + kStatus + "00" + unknown(18), nil, ErrMalformed},
		{"many keys, late duplicate", "b5" + kVersion + v10 + kStatus + "00" + unknown(18) + kVersion + v10, nil, ErrMalformed},
		{"version not text", "a2" + kVersion + "01" + kStatus + "00", nil, ErrMalformed},
		{"status negative", "a2" + kVersion + v10 + kStatus + "20", nil, ErrMalformed},
		{"documents not an array", "a3" + kVersion + v10 + kStatus + "00 69 646f63756d656e7473 a0", nil, ErrMalformed},
		{"not a map", "80", nil, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := h(tc.in)
			got, err := parseDeviceResponse(in)
			err = wrap(err)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || got != nil {
					t.Fatalf("got %#v, %v; want %v", got, err, tc.err)
				}
				return
			}
			if err != nil || got.Version != "1.0" || !reflect.DeepEqual(got.Status, tc.status) {
				t.Fatalf("got %#v, %v", got, err)
			}
			checkDecodersAgree(t, in)
		})
	}
}

func TestWireRejects(t *testing.T) {
	item := func(members string) []byte { return h(members) }
	tests := []struct {
		name  string
		parse func([]byte) error
		in    []byte
		err   error
	}{
		{"item: unknown member", func(b []byte) error { _, err := parseIssuerSignedItem(b); return err },
			item("a1 6178 00"), ErrMalformed},
		{"item: unknown int member", func(b []byte) error { _, err := parseIssuerSignedItem(b); return err },
			item("a1 01 00"), ErrMalformed},
		{"item: tag in front of digestID", func(b []byte) error { _, err := parseIssuerSignedItem(b); return err },
			item("a1 68 6469676573744944 c0 01"), ErrMalformed},
		{"item: random not a bstr", func(b []byte) error { _, err := parseIssuerSignedItem(b); return err },
			item("a1 66 72616e646f6d f6"), ErrMalformed},
		{"item: tag 2 in elementValue", func(b []byte) error { _, err := parseIssuerSignedItem(b); return err },
			item("a1 6c 656c656d656e7456616c7565 c2 41 01"), ErrMalformed},
		{"item: trailing bytes", func(b []byte) error { _, err := parseIssuerSignedItem(b); return err },
			item("a0 00"), ErrMalformed},
		{"item: elementValue nested too deep", func(b []byte) error { _, err := parseIssuerSignedItem(b); return err },
			item("a1 6c 656c656d656e7456616c7565" + strings.Repeat("81", 16) + "00"), ErrTooLarge},
		{"MSO: digestID not uint", func(b []byte) error { _, err := parseMSO(b); return err },
			item("a1 6c 76616c7565446967657374 73 a1 20 40"), ErrMalformed},
		{"MSO: duplicate digestID", func(b []byte) error { _, err := parseMSO(b); return err },
			item("a1 6c 76616c7565446967657374 a1 6161 a2 01 40 1801 40"), ErrMalformed},
		{"MSO: time without tag", func(b []byte) error { _, err := parseMSO(b); return err },
			item("a1 6c 76616c6964697479496e666f a1 66 7369676e6564 74 323032342d30322d30335430343a30353a30365a"), ErrMalformed},
		{"COSE_Key: duplicate label", func(b []byte) error { _, err := parseCOSEKey(b); return err },
			item("a2 01 02 1801 02"), ErrMalformed},
		{"device namespaces: duplicate element", func(b []byte) error { _, err := parseDeviceNameSpaces(b); return err },
			item("a1 6161 a2 6162 01 6162 02"), ErrMalformed},
		{"tag 24: trailing byte", func(b []byte) error { _, err := strictcbor.UnwrapTag24(b); return err },
			item("d818 41 00 00"), ErrMalformed},
		{"tag 24: another tag", func(b []byte) error { _, err := strictcbor.UnwrapTag24(b); return err },
			item("d819 41 00"), ErrMalformed},
		{"tag 24 over text", func(b []byte) error { _, err := strictcbor.UnwrapTag24(b); return err },
			item("d818 61 00"), ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := wrap(tc.parse(tc.in)); !errors.Is(err, tc.err) {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
		})
	}
}

func TestX5ChainShapes(t *testing.T) {
	pki := newPKI(t)
	one := strictcbor.AppendBytes(nil, pki.ds.Raw)
	many := strictcbor.AppendHead(nil, strictcbor.MajorArray, MaxChainLength+1)
	for range MaxChainLength + 1 {
		many = append(many, one...)
	}
	tests := []struct {
		name string
		raw  []byte
		n    int
		err  error
	}{
		{"one bstr", one, 1, nil},
		{"array of two", append(append([]byte{0x82}, one...), one...), 2, nil},
		{"empty array", []byte{0x80}, 0, ErrMalformed},
		{"null", []byte{0xf6}, 0, ErrMalformed},
		{"too long", many, 0, ErrTooLarge},
		{"array of text", []byte{0x81, 0x61, 'a'}, 0, ErrMalformed},
		{"not a certificate", []byte{0x41, 0x00}, 0, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// [protected {1: -7}, {33: raw}, h'', h'00']
			msg := append(h("84 43a10126 a1 1821"), tc.raw...)
			msg = append(msg, h("40 4100")...)
			m, err := cose.ParseSign1(msg, cose.Untagged)
			if err != nil {
				t.Fatal(err)
			}
			chain, err := x5chain(m, nil)
			err = wrap(err)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("got %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil || len(chain) != tc.n {
				t.Fatalf("got %d certificates, %v", len(chain), err)
			}
			// The parsed certificates must not alias the message.
			last := len(msg) - 4
			msg[last] ^= 1
			if chain[0].Raw[len(chain[0].Raw)-1] == msg[last] {
				t.Fatal("certificate aliases the x5chain bytes")
			}
		})
	}
}

// TestVerifyAllElements discloses all 29 KTP-el elements: the genuine
// response verifies and a repeated last item (its digestID already used)
// is still rejected.
func TestVerifyAllElements(t *testing.T) {
	pki := newPKI(t)
	device := newECKey(t, elliptic.P256())
	cred := issueKTP(t, pki, device.Public())
	all := cred.Elements()
	if len(all[ktpDocType]) <= 16 {
		t.Fatalf("only %d elements", len(all[ktpDocType]))
	}
	resp, err := Present(cred, all, PresentOptions{SessionTranscript: testTranscript, DeviceKey: device})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(resp, verifyOpts(pki))
	if err != nil || len(got.Documents()[0].NameSpaces()[ktpDocType]) != len(all[ktpDocType]) {
		t.Fatalf("%v, %v", got, err)
	}
	dup := editDoc(t, resp, func(d *documentWire) {
		items := d.IssuerSigned.NameSpaces[ktpDocType]
		d.IssuerSigned.NameSpaces[ktpDocType] = append(items, items[len(items)-1])
	})
	got, err = Verify(dup, verifyOpts(pki))
	assertFail(t, got, err, check.Disclosure, ErrDuplicate)
}

// TestItemReaderAsStrictAsPrePass: readIssuerSignedItem makes the checks
// of the strict pre-pass (strictcbor.Check with elementTags) while reading,
// so it accepts no item the pre-pass rejects, and it accepts values at the
// nesting limit and with the element tags.
func TestItemReaderAsStrictAsPrePass(t *testing.T) {
	value := func(v string) string { return "a1 6c 656c656d656e7456616c7565 " + v }
	for _, in := range []string{
		value(strings.Repeat("81", 15) + "00"),                  // at the limit
		value(strings.Repeat("81", 16) + "00"),                  // one too deep
		value("d9 03ec 6a 323032342d30312d3031"),                // full-date tag: allowed
		value("c0 74 323032342d30322d30335430343a30353a30365a"), // tdate: allowed
		value("d8 18 41 00"),                                    // tag 24: not an element tag
		value("a1 01 c2 41 01"),                                 // tag 2 nested in the value
		value("5f 41 00 ff"),                                    // indefinite length
		value("f8 10"),                                          // simple value below 32 in two bytes
		value("9b 00000000ffffffff"),                            // array longer than the caps
		value("62 c328"),                                        // invalid UTF-8 text (the pre-pass does not decode text)
		"a2 68 6469676573744944 01 66 72616e646f6d 50 00000000000000000000000000000000",
		"a0 00", "a0", "", "c0 a0",
	} {
		b := h(in)
		var f itemFields
		got := readIssuerSignedItem(b, &f)
		pre := strictcbor.Check(b, elementTags...)
		if got == nil && pre != nil {
			t.Errorf("%s: reader accepts, pre-pass rejects: %v", in, pre)
		}
	}
	// Accepted at the nesting limit and with the element tags.
	for _, v := range []string{strings.Repeat("81", 15) + "00", "d9 03ec 6a 323032342d30312d3031", "c0 74 323032342d30322d30335430343a30353a30365a"} {
		var f itemFields
		if err := readIssuerSignedItem(h(value(v)), &f); err != nil || len(f.value) == 0 {
			t.Errorf("%s: %v", v, err)
		}
	}
}

// TestNameSpacesReturnsCopies: what NameSpaces returns can be changed
// without changing what the next call returns, for every kind of value
// that can be changed in place.
func TestNameSpacesReturnsCopies(t *testing.T) {
	pki := newPKI(t)
	device := newECKey(t, elliptic.P256())
	cred := issueKTP(t, pki, device.Public())
	req := map[string][]string{ktpDocType: {"name", "portrait", "nationality", "place_of_birth", "age_over_18"}}
	resp, err := Present(cred, req, PresentOptions{SessionTranscript: testTranscript, DeviceKey: device})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(resp, verifyOpts(pki))
	if err != nil {
		t.Fatal(err)
	}
	doc := got.Documents()[0]
	first := doc.NameSpaces()[ktpDocType]
	first["portrait"].([]byte)[0] ^= 0xff
	first["nationality"].([]any)[0] = "XX"
	first["place_of_birth"].(map[string]any)["locality"] = "XX"
	first["name"] = "XX"
	delete(first, "age_over_18")
	again := doc.NameSpaces()[ktpDocType]
	if again["portrait"].([]byte)[0] != 0 || again["nationality"].([]any)[0] != "ID" ||
		again["place_of_birth"].(map[string]any)["locality"] != "BANDUNG" ||
		again["name"] != "RINA KARTIKA SARI" || again["age_over_18"] != true {
		t.Fatalf("a change to one NameSpaces result shows in the next: %v", again)
	}
}

// TestSameValue: the fuzz comparison finds equal NaNs equal wherever they
// are, and still tells different values apart.
func TestSameValue(t *testing.T) {
	nan := math.NaN()
	other := math.Float64frombits(math.Float64bits(nan) ^ 1)
	for _, c := range []struct {
		a, b any
		want bool
	}{
		{nan, nan, true},
		{nan, other, false},
		{[]any{int64(-17), nan}, []any{int64(-17), nan}, true},
		{[]any{int64(-17), nan}, []any{int64(-17), other}, false},
		{[]any{1.0}, []any{2.0}, false},
		{[]any{1.0}, []any{1.0, 1.0}, false},
		{map[string]any{"a": []any{nan}}, map[string]any{"a": []any{nan}}, true},
		{map[string]any{"a": nan}, map[string]any{"b": nan}, false},
		{map[any]any{int64(1): nan}, map[any]any{int64(1): nan}, true},
		{map[any]any{int64(1): nan}, map[any]any{int64(2): nan}, false},
		{"x", "x", true},
		{[]byte("x"), []byte("y"), false},
	} {
		if got := sameValue(c.a, c.b); got != c.want {
			t.Errorf("sameValue(%#v, %#v) = %v", c.a, c.b, got)
		}
	}
}
