package mdoc

import (
	"bytes"
	"math"
	"time"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
)

// Hand-written decoders for the structures on the verification path
// (ISO/IEC 18013-5 §8.3.2.1.2.2 DeviceResponse, §9.1.2.4 MSO, §8.3.2.1.2.2
// IssuerSignedItem, RFC 9052 COSE_Sign1/COSE_Mac0, RFC 9053 COSE_Key).
//
// Every entry point first runs checkItem (the strict pre-pass: definite
// lengths, allowed tags, nesting and container caps, no trailing bytes) on
// the same bytes, so these decoders read a well-formed item. They keep the
// rules of the strict cbor decode mode they replace: duplicate map keys
// (compared by decoded value) are rejected, text must be valid UTF-8,
// member names match case-sensitively, struct-like maps accept only text
// or int keys, members holding null or undefined count as absent, and a
// value of the wrong type is an error. Byte and text strings alias the
// input (capacity cut); what Verify returns is copied.

// next returns the initial byte of the next item without consuming it.
func (w *walker) next() (byte, error) {
	if w.off >= len(w.data) {
		return 0, errorf(ErrMalformed, "unexpected end of data")
	}
	return w.data[w.off], nil
}

// nilValue consumes a null or undefined (RFC 8949 §3.3) and reports
// whether it did.
func (w *walker) nilValue() bool {
	if w.off < len(w.data) && (w.data[w.off] == 0xf6 || w.data[w.off] == 0xf7) {
		w.off++
		return true
	}
	return false
}

// expect reads a head of the given major type.
func (w *walker) expect(major byte, what string) (uint64, error) {
	ib, err := w.next()
	if err != nil {
		return 0, err
	}
	if ib>>5 != major {
		return 0, errorf(ErrMalformed, "expected %s, got major type %d", what, ib>>5)
	}
	_, arg, err := w.head()
	return arg, err
}

// take returns the next n bytes, aliased with the capacity cut.
func (w *walker) take(n uint64) ([]byte, error) {
	if n > uint64(len(w.data)-w.off) {
		return nil, errorf(ErrMalformed, "string longer than the data")
	}
	end := w.off + int(n)
	b := w.data[w.off:end:end]
	w.off = end
	return b, nil
}

// bstr reads a byte string.
func (w *walker) bstr() ([]byte, error) {
	n, err := w.expect(majorByteString, "a byte string")
	if err != nil {
		return nil, err
	}
	return w.take(n)
}

// textBytes reads a text string, which must be valid UTF-8 (RFC 8949
// §3.1 major type 3).
func (w *walker) textBytes() ([]byte, error) {
	n, err := w.expect(3, "a text string")
	if err != nil {
		return nil, err
	}
	b, err := w.take(n)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(b) {
		return nil, errorf(ErrMalformed, "text string is not valid UTF-8")
	}
	return b, nil
}

// text reads a text string into a new Go string. The protocol constants
// that every message repeats are returned without allocating.
func (w *walker) text() (string, error) {
	b, err := w.textBytes()
	if err != nil {
		return "", err
	}
	switch string(b) {
	case "1.0":
		return "1.0", nil
	case "SHA-256":
		return "SHA-256", nil
	}
	return string(b), nil
}

// optText reads a text string; null or undefined leave "".
func (w *walker) optText(dst *string) error {
	if w.nilValue() {
		*dst = ""
		return nil
	}
	s, err := w.text()
	*dst = s
	return err
}

// uint reads an unsigned integer (major type 0).
func (w *walker) uint() (uint64, error) {
	return w.expect(0, "an unsigned integer")
}

// optUint reads an unsigned integer into a new pointer; null or undefined
// leave nil.
func (w *walker) optUint(dst **uint64) error {
	if w.nilValue() {
		*dst = nil
		return nil
	}
	v, err := w.uint()
	if err != nil {
		return err
	}
	*dst = &v
	return nil
}

// int reads an integer (major type 0 or 1) that fits an int64.
func (w *walker) int() (int64, error) {
	ib, err := w.next()
	if err != nil {
		return 0, err
	}
	major := ib >> 5
	if major != 0 && major != 1 {
		return 0, errorf(ErrMalformed, "expected an integer, got major type %d", major)
	}
	_, arg, err := w.head()
	if err != nil {
		return 0, err
	}
	if arg > math.MaxInt64 {
		return 0, errorf(ErrMalformed, "integer out of int64 range")
	}
	if major == 1 {
		return -1 - int64(arg), nil
	}
	return int64(arg), nil
}

// container reads an array or map head and checks MaxContainerItems.
func (w *walker) container(major byte, what string) (int, error) {
	n, err := w.expect(major, what)
	if err != nil {
		return 0, err
	}
	if n > MaxContainerItems {
		return 0, errorf(ErrTooLarge, "container of %d items, limit %d", n, MaxContainerItems)
	}
	return int(n), nil
}

// raw returns the next complete item, aliased with the capacity cut.
func (w *walker) raw() ([]byte, error) {
	start := w.off
	skip := walker{data: w.data, off: w.off, anyTag: true}
	if err := skip.item(0); err != nil {
		return nil, err
	}
	w.off = skip.off
	return w.data[start:w.off:w.off], nil
}

// skipItem skips the next complete item.
func (w *walker) skipItem() error {
	_, err := w.raw()
	return err
}

// smallKeys is how many keys a map may have before duplicate detection
// switches from a linear scan to a Go map (bounding the work at
// MaxContainerItems keys).
const smallKeys = 16

// keySet detects duplicate map keys of a struct-like map by decoded value:
// text keys by their bytes, integer keys by value.
type keySet struct {
	text    [smallKeys][]byte
	ints    [smallKeys]int64
	nt, ni  int
	bigText map[string]struct{}
	bigInt  map[int64]struct{}
}

func (s *keySet) addText(k []byte) bool {
	if s.bigText != nil {
		if _, dup := s.bigText[string(k)]; dup {
			return false
		}
		s.bigText[string(k)] = struct{}{}
		return true
	}
	for _, o := range s.text[:s.nt] {
		if bytes.Equal(o, k) {
			return false
		}
	}
	if s.nt == smallKeys {
		s.bigText = make(map[string]struct{}, 2*smallKeys)
		for _, o := range s.text[:s.nt] {
			s.bigText[string(o)] = struct{}{}
		}
		s.bigText[string(k)] = struct{}{}
		return true
	}
	s.text[s.nt] = k
	s.nt++
	return true
}

func (s *keySet) addInt(k int64) bool {
	if s.bigInt != nil {
		if _, dup := s.bigInt[k]; dup {
			return false
		}
		s.bigInt[k] = struct{}{}
		return true
	}
	for _, o := range s.ints[:s.ni] {
		if o == k {
			return false
		}
	}
	if s.ni == smallKeys {
		s.bigInt = make(map[int64]struct{}, 2*smallKeys)
		for _, o := range s.ints[:s.ni] {
			s.bigInt[o] = struct{}{}
		}
		s.bigInt[k] = struct{}{}
		return true
	}
	s.ints[s.ni] = k
	s.ni++
	return true
}

// members decodes a map whose text keys name the members of a structure.
// For each text key it calls f with the reader at the value; f consumes
// the value and reports whether it knew the key. Values of unknown keys
// are skipped, or rejected when exact. Integer keys name no member and are
// treated as unknown; keys of any other type are rejected, and so are
// duplicate keys (RFC 8949 §5.6).
func (w *walker) members(exact bool, f func(key []byte) (bool, error)) error {
	n, err := w.container(5, "a map")
	if err != nil {
		return err
	}
	var seen keySet
	for i := 0; i < n; i++ {
		ib, err := w.next()
		if err != nil {
			return err
		}
		switch ib >> 5 {
		case 3:
			k, err := w.textBytes()
			if err != nil {
				return err
			}
			if !seen.addText(k) {
				return errorf(ErrMalformed, "duplicate map key %q", k)
			}
			known, err := f(k)
			if err != nil {
				return err
			}
			if known {
				continue
			}
			if exact {
				return errorf(ErrMalformed, "unknown member %q", k)
			}
		case 0, 1:
			k, err := w.int()
			if err != nil {
				return err
			}
			if !seen.addInt(k) {
				return errorf(ErrMalformed, "duplicate map key %d", k)
			}
			if exact {
				return errorf(ErrMalformed, "unknown member %d", k)
			}
		default:
			return errorf(ErrMalformed, "map key of major type %d names no member", ib>>5)
		}
		if err := w.skipItem(); err != nil {
			return err
		}
	}
	return nil
}

// intKeyed decodes a map with integer keys (COSE header maps, RFC 9052
// §3; COSE_Key, RFC 9052 §7) to label → raw value. Null or undefined give
// a nil map.
func (w *walker) intKeyed() (map[int64]cbor.RawMessage, error) {
	if w.nilValue() {
		return nil, nil
	}
	n, err := w.container(5, "a map")
	if err != nil {
		return nil, err
	}
	m := make(map[int64]cbor.RawMessage, n)
	for i := 0; i < n; i++ {
		k, err := w.int()
		if err != nil {
			return nil, err
		}
		if _, dup := m[k]; dup {
			return nil, errorf(ErrMalformed, "duplicate map key %d", k)
		}
		v, err := w.raw()
		if err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, nil
}

// start checks the size cap and runs the strict pre-pass on data, and
// returns a reader at its start.
func start(data []byte, allowedTags ...uint64) (walker, error) {
	if len(data) > MaxMessageSize {
		return walker{}, errorf(ErrTooLarge, "%d bytes, limit %d", len(data), MaxMessageSize)
	}
	if err := checkItem(data, allowedTags); err != nil {
		return walker{}, err
	}
	return walker{data: data, anyTag: true}, nil
}

// parseDeviceResponse decodes a DeviceResponse (§8.3.2.1.2.2); tag 24 is
// the only tag allowed.
func parseDeviceResponse(data []byte) (*deviceResponseWire, error) {
	w, err := start(data, tagEncodedCBOR)
	if err != nil {
		return nil, err
	}
	var r deviceResponseWire
	err = w.members(false, func(k []byte) (bool, error) {
		switch string(k) {
		case "version":
			return true, w.optText(&r.Version)
		case "documents":
			if w.nilValue() {
				return true, nil
			}
			n, err := w.container(4, "an array")
			if err != nil {
				return true, err
			}
			r.Documents = make([]rawItem, n)
			for i := range r.Documents {
				if r.Documents[i], err = w.raw(); err != nil {
					return true, err
				}
			}
			return true, nil
		case "documentErrors":
			raw, err := w.raw()
			r.DocumentErrors = cbor.RawMessage(raw)
			return true, err
		case "status":
			return true, w.optUint(&r.Status)
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// parseDocument decodes a Document (§8.3.2.1.2.2); tag 24 is the only tag
// allowed.
func parseDocument(data []byte) (*documentWire, error) {
	w, err := start(data, tagEncodedCBOR)
	if err != nil {
		return nil, err
	}
	var d documentWire
	err = w.members(false, func(k []byte) (bool, error) {
		switch string(k) {
		case "docType":
			return true, w.optText(&d.DocType)
		case "issuerSigned":
			if w.nilValue() {
				return true, nil
			}
			return true, w.issuerSigned(&d.IssuerSigned, false)
		case "deviceSigned":
			if w.nilValue() {
				return true, nil
			}
			d.DeviceSigned = new(deviceSignedWire)
			return true, w.deviceSigned(d.DeviceSigned)
		case "errors":
			raw, err := w.raw()
			d.Errors = cbor.RawMessage(raw)
			return true, err
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// issuerSigned decodes IssuerSigned = {? "nameSpaces": IssuerNameSpaces,
// "issuerAuth": IssuerAuth} (§8.3.2.1.2.2).
func (w *walker) issuerSigned(s *issuerSignedWire, exact bool) error {
	return w.members(exact, func(k []byte) (bool, error) {
		switch string(k) {
		case "nameSpaces":
			if w.nilValue() {
				return true, nil
			}
			n, err := w.container(5, "a map")
			if err != nil {
				return true, err
			}
			s.NameSpaces = make(map[string][]rawItem, n)
			for i := 0; i < n; i++ {
				ns, err := w.text()
				if err != nil {
					return true, err
				}
				if _, dup := s.NameSpaces[ns]; dup {
					return true, errorf(ErrMalformed, "duplicate map key %q", ns)
				}
				if w.nilValue() {
					s.NameSpaces[ns] = nil
					continue
				}
				m, err := w.container(4, "an array")
				if err != nil {
					return true, err
				}
				items := make([]rawItem, m)
				for j := range items {
					if items[j], err = w.raw(); err != nil {
						return true, err
					}
				}
				s.NameSpaces[ns] = items
			}
			return true, nil
		case "issuerAuth":
			raw, err := w.raw()
			s.IssuerAuth = raw
			return true, err
		}
		return false, nil
	})
}

// deviceSigned decodes DeviceSigned = {"nameSpaces": DeviceNameSpacesBytes,
// "deviceAuth": DeviceAuth} (§8.3.2.1.2.2).
func (w *walker) deviceSigned(s *deviceSignedWire) error {
	return w.members(false, func(k []byte) (bool, error) {
		switch string(k) {
		case "nameSpaces":
			raw, err := w.raw()
			s.NameSpaces = raw
			return true, err
		case "deviceAuth":
			if w.nilValue() {
				return true, nil
			}
			return true, w.members(false, func(k []byte) (bool, error) {
				switch string(k) {
				case "deviceSignature":
					raw, err := w.raw()
					s.DeviceAuth.DeviceSignature = cbor.RawMessage(raw)
					return true, err
				case "deviceMac":
					raw, err := w.raw()
					s.DeviceAuth.DeviceMac = cbor.RawMessage(raw)
					return true, err
				}
				return false, nil
			})
		}
		return false, nil
	})
}

// parseIssuerSignedItem decodes the content of an IssuerSignedItemBytes
// (§8.3.2.1.2.2); its member set is closed. Element values may carry tags
// 0 and 1004.
func parseIssuerSignedItem(inner []byte) (*issuerSignedItemWire, error) {
	w, err := start(inner, elementTags...)
	if err != nil {
		return nil, err
	}
	// One allocation for the item and its digestID.
	box := new(struct {
		it issuerSignedItemWire
		id uint64
	})
	it := &box.it
	err = w.members(true, func(k []byte) (bool, error) {
		switch string(k) {
		case "digestID":
			if w.nilValue() {
				it.DigestID = nil
				return true, nil
			}
			id, err := w.uint()
			box.id, it.DigestID = id, &box.id
			return true, err
		case "random":
			b, err := w.bstr()
			it.Random = b
			return true, err
		case "elementIdentifier":
			return true, w.optText(&it.ElementIdentifier)
		case "elementValue":
			raw, err := w.raw()
			it.ElementValue = raw
			return true, err
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return it, nil
}

// parseMSO decodes the content of MobileSecurityObjectBytes (§9.1.2.4);
// tag 0 (tdate) is the only tag allowed.
func parseMSO(inner []byte) (*msoWire, error) {
	w, err := start(inner, tagTDate)
	if err != nil {
		return nil, err
	}
	var m msoWire
	err = w.members(false, func(k []byte) (bool, error) {
		switch string(k) {
		case "version":
			return true, w.optText(&m.Version)
		case "digestAlgorithm":
			return true, w.optText(&m.DigestAlgorithm)
		case "valueDigests":
			return true, w.valueDigests(&m.ValueDigests)
		case "deviceKeyInfo":
			if w.nilValue() {
				return true, nil
			}
			return true, w.deviceKeyInfo(&m.DeviceKeyInfo)
		case "docType":
			return true, w.optText(&m.DocType)
		case "validityInfo":
			if w.nilValue() {
				return true, nil
			}
			return true, w.validityInfo(&m.ValidityInfo)
		case "status":
			if w.nilValue() {
				return true, nil
			}
			m.Status = new(statusWire)
			return true, w.members(false, func(k []byte) (bool, error) {
				if string(k) != "status_list" {
					return false, nil
				}
				if w.nilValue() {
					return true, nil
				}
				sl := new(statusListWire)
				m.Status.StatusList = sl
				return true, w.members(false, func(k []byte) (bool, error) {
					switch string(k) {
					case "idx":
						return true, w.optUint(&sl.Idx)
					case "uri":
						return true, w.optText(&sl.URI)
					}
					return false, nil
				})
			})
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// valueDigests decodes ValueDigests = {+ NameSpace => {+ DigestID =>
// Digest}} (§9.1.2.4).
func (w *walker) valueDigests(dst *map[string]map[uint64]byteString) error {
	if w.nilValue() {
		return nil
	}
	n, err := w.container(5, "a map")
	if err != nil {
		return err
	}
	out := make(map[string]map[uint64]byteString, n)
	for i := 0; i < n; i++ {
		ns, err := w.text()
		if err != nil {
			return err
		}
		if _, dup := out[ns]; dup {
			return errorf(ErrMalformed, "duplicate map key %q", ns)
		}
		if w.nilValue() {
			out[ns] = nil
			continue
		}
		m, err := w.container(5, "a map")
		if err != nil {
			return err
		}
		ds := make(map[uint64]byteString, m)
		for j := 0; j < m; j++ {
			id, err := w.uint()
			if err != nil {
				return err
			}
			if _, dup := ds[id]; dup {
				return errorf(ErrMalformed, "duplicate digestID %d in valueDigests", id)
			}
			d, err := w.bstr()
			if err != nil {
				return err
			}
			ds[id] = d
		}
		out[ns] = ds
	}
	*dst = out
	return nil
}

// deviceKeyInfo decodes DeviceKeyInfo (§9.1.2.4).
func (w *walker) deviceKeyInfo(k *deviceKeyInfoWire) error {
	return w.members(false, func(key []byte) (bool, error) {
		switch string(key) {
		case "deviceKey":
			raw, err := w.raw()
			k.DeviceKey = raw
			return true, err
		case "keyAuthorizations":
			if w.nilValue() {
				return true, nil
			}
			ka := new(keyAuthorizationsWire)
			k.KeyAuthorizations = ka
			return true, w.members(false, func(key []byte) (bool, error) {
				switch string(key) {
				case "nameSpaces":
					return true, w.textArray(&ka.NameSpaces)
				case "dataElements":
					if w.nilValue() {
						return true, nil
					}
					n, err := w.container(5, "a map")
					if err != nil {
						return true, err
					}
					ka.DataElements = make(map[string][]string, n)
					for i := 0; i < n; i++ {
						ns, err := w.text()
						if err != nil {
							return true, err
						}
						if _, dup := ka.DataElements[ns]; dup {
							return true, errorf(ErrMalformed, "duplicate map key %q", ns)
						}
						var names []string
						if err := w.textArray(&names); err != nil {
							return true, err
						}
						ka.DataElements[ns] = names
					}
					return true, nil
				}
				return false, nil
			})
		case "keyInfo":
			raw, err := w.raw()
			k.KeyInfo = cbor.RawMessage(raw)
			return true, err
		}
		return false, nil
	})
}

// textArray decodes [* tstr]; null or undefined leave nil.
func (w *walker) textArray(dst *[]string) error {
	if w.nilValue() {
		*dst = nil
		return nil
	}
	n, err := w.container(4, "an array")
	if err != nil {
		return err
	}
	out := make([]string, n)
	for i := range out {
		if err := w.optText(&out[i]); err != nil {
			return err
		}
	}
	*dst = out
	return nil
}

// validityInfo decodes ValidityInfo (§9.1.2.4).
func (w *walker) validityInfo(v *validityInfoWire) error {
	return w.members(false, func(k []byte) (bool, error) {
		switch string(k) {
		case "signed":
			return true, w.optTime(&v.Signed)
		case "validFrom":
			return true, w.optTime(&v.ValidFrom)
		case "validUntil":
			return true, w.optTime(&v.ValidUntil)
		case "expectedUpdate":
			if w.nilValue() {
				return true, nil
			}
			v.ExpectedUpdate = new(time.Time)
			return true, w.optTime(v.ExpectedUpdate)
		}
		return false, nil
	})
}

// optTime decodes a tdate (#6.0(tstr), RFC 8949 §3.4.1, RFC 3339); null or
// undefined leave the zero time.
func (w *walker) optTime(dst *time.Time) error {
	if w.nilValue() {
		return nil
	}
	t, err := w.tdate()
	if err != nil {
		return err
	}
	*dst = t
	return nil
}

// tdate decodes #6.0(tstr) (RFC 8949 §3.4.1).
func (w *walker) tdate() (time.Time, error) {
	num, err := w.expect(6, "a tdate (tag 0)")
	if err != nil {
		return time.Time{}, err
	}
	if num != tagTDate {
		return time.Time{}, errorf(ErrMalformed, "tag %d where a tdate (tag 0) is required", num)
	}
	return w.tdateContent()
}

// tdateContent decodes the RFC 3339 text of a tdate whose tag 0 head has
// been read.
func (w *walker) tdateContent() (time.Time, error) {
	s, err := w.textBytes()
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339, string(s))
	if err != nil {
		return time.Time{}, errorf(ErrMalformed, "tdate %q: %v", s, err)
	}
	return t, nil
}

// parseCOSEMessage decodes an untagged COSE_Sign1 or COSE_Mac0 (RFC 9052
// §4.2, §6.2): [protected bstr, unprotected map, payload, signature bstr];
// no tag is allowed anywhere in it.
func parseCOSEMessage(raw []byte) (*coseMessage, error) {
	w, err := start(raw)
	if err != nil {
		return nil, err
	}
	if n, err := w.container(4, "an array"); err != nil || n != 4 {
		return nil, errorf(ErrMalformed, "COSE message is not an array of 4")
	}
	var m coseMessage
	if m.Protected, err = w.bstr(); err != nil {
		return nil, err
	}
	if !w.nilValue() {
		n, err := w.container(5, "a map")
		if err != nil {
			return nil, err
		}
		if n > 0 {
			m.Unprotected = make(map[any]cbor.RawMessage, n)
		}
		for i := 0; i < n; i++ {
			// RFC 9052 §3: labels are int or tstr.
			var key any
			ib, err := w.next()
			if err != nil {
				return nil, err
			}
			if ib>>5 == 3 {
				key, err = w.text()
			} else {
				key, err = w.int()
			}
			if err != nil {
				return nil, err
			}
			if _, dup := m.Unprotected[key]; dup {
				return nil, errorf(ErrMalformed, "duplicate header label %v", key)
			}
			v, err := w.raw()
			if err != nil {
				return nil, err
			}
			m.Unprotected[key] = v
		}
	}
	if m.Payload, err = w.raw(); err != nil {
		return nil, err
	}
	if m.Signature, err = w.bstr(); err != nil {
		return nil, err
	}
	return &m, nil
}

// rawInt decodes one integer from raw (a complete item); null or
// undefined give 0, as the strict decode mode did.
func rawInt(raw []byte) (int64, error) {
	w := walker{data: raw, anyTag: true}
	if w.nilValue() {
		return 0, nil
	}
	v, err := w.int()
	if err != nil {
		return 0, err
	}
	if w.off != len(raw) {
		return 0, errorf(ErrMalformed, "trailing bytes after an integer")
	}
	return v, nil
}
