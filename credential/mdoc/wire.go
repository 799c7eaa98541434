package mdoc

import (
	"bytes"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// Hand-written decoders for the structures on the verification path
// (ISO/IEC 18013-5 §8.3.2.1.2.2 DeviceResponse, §9.1.2.4 MSO, §8.3.2.1.2.2
// IssuerSignedItem, RFC 9053 COSE_Key; the COSE messages are internal/cose's).
//
// Every entry point first runs strictcbor.Check (the strict pre-pass: definite
// lengths, allowed tags, nesting and container caps, no trailing bytes) on
// the same bytes, so these decoders read a well-formed item. They keep the
// rules of the strict cbor decode mode they replace: duplicate map keys
// (compared by decoded value) are rejected, text must be valid UTF-8,
// member names match case-sensitively, struct-like maps accept only text
// or int keys, members holding null or undefined count as absent, and a
// value of the wrong type is an error. Byte and text strings alias the
// input (capacity cut); what Verify returns is copied.

// text reads a text string into a new Go string. The protocol constants
// that every message repeats are returned without allocating.
func (w *walker) text() (string, error) {
	b, err := w.TextBytes()
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
	if w.Nil() {
		*dst = ""
		return nil
	}
	s, err := w.text()
	*dst = s
	return err
}

// optUint reads an unsigned integer into a new pointer; null or undefined
// leave nil.
func (w *walker) optUint(dst **uint64) error {
	if w.Nil() {
		*dst = nil
		return nil
	}
	v, err := w.Uint()
	if err != nil {
		return err
	}
	*dst = &v
	return nil
}

// maxMembers bounds the distinct keys a member map may hold: the largest
// closed structure (the MSO) has 7 members, and an unknown key fails at
// once, so only the open "status" map can come near it.
const maxMembers = 16

// keySet detects duplicate text keys of a member map by their bytes.
type keySet struct {
	keys [maxMembers][]byte
	n    int
}

// add inserts k and reports whether it was absent; a set that is full
// refuses every key.
func (s *keySet) add(k []byte) bool {
	for _, o := range s.keys[:s.n] {
		if bytes.Equal(o, k) {
			return false
		}
	}
	if s.n == maxMembers {
		return false
	}
	s.keys[s.n] = k
	s.n++
	return true
}

// members decodes a map whose text keys name the members of a closed
// structure: every ISO 18013-5 structure read here lists its members
// (§8.3.2.1.2.2, §9.1.2.4), so a key that names none of them, text or
// integer, is malformed rather than skipped. Otherwise a member whose name
// a bit flip changed would drop its data silently (finding 11: an
// IssuerSigned "nameSpaces" key altered by one bit verified with every
// element dropped). For each text key it calls f with the reader at the
// value; f consumes the value and reports whether it knew the key. Keys of
// any other type are rejected, and so are duplicate keys (RFC 8949 §5.6).
func (w *walker) members(f func(key []byte) (bool, error)) error {
	return w.readMembers(false, f)
}

// openMembers is members for a map that other specifications extend: an
// unknown text key is skipped (an integer key is still malformed). Only
// the Token Status List "status" map is read this way.
func (w *walker) openMembers(f func(key []byte) (bool, error)) error {
	return w.readMembers(true, f)
}

func (w *walker) readMembers(open bool, f func(key []byte) (bool, error)) error {
	n, err := w.Container(5, "a map")
	if err != nil {
		return err
	}
	var seen keySet
	for i := 0; i < n; i++ {
		ib, err := w.Peek()
		if err != nil {
			return err
		}
		switch ib >> 5 {
		case 3:
			k, err := w.TextBytes()
			if err != nil {
				return err
			}
			if !seen.add(k) {
				return errorf(ErrMalformed, "duplicate map key %.64q, or more than %d members", k, maxMembers)
			}
			known, err := f(k)
			if err != nil {
				return err
			}
			if known {
				continue
			}
			if !open {
				return errorf(ErrMalformed, "unknown member %.64q", k)
			}
		case 0, 1:
			k, err := w.Int()
			if err != nil {
				return err
			}
			return errorf(ErrMalformed, "unknown member %d", k)
		default:
			return errorf(ErrMalformed, "map key of major type %d names no member", ib>>5)
		}
		if err := w.Skip(); err != nil {
			return err
		}
	}
	return nil
}

// intKeyed decodes a map with integer keys (COSE_Key, RFC 9052 §7) to
// label → raw value. Null or undefined give a nil map.
func (w *walker) intKeyed() (map[int64]cbor.RawMessage, error) {
	if w.Nil() {
		return nil, nil
	}
	n, err := w.Container(5, "a map")
	if err != nil {
		return nil, err
	}
	m := make(map[int64]cbor.RawMessage, n)
	for i := 0; i < n; i++ {
		k, err := w.Int()
		if err != nil {
			return nil, err
		}
		if _, dup := m[k]; dup {
			return nil, errorf(ErrMalformed, "duplicate map key %d", k)
		}
		v, err := w.Raw()
		if err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, nil
}

// parseDeviceResponse decodes a DeviceResponse (§8.3.2.1.2.2: {"version",
// ? "documents", ? "documentErrors", "status"}); tag 24 is the only tag
// allowed.
func parseDeviceResponse(data []byte) (*deviceResponseWire, error) {
	w, err := start(data, tagEncodedCBOR)
	if err != nil {
		return nil, err
	}
	var r deviceResponseWire
	err = w.members(func(k []byte) (bool, error) {
		switch string(k) {
		case "version":
			return true, w.optText(&r.Version)
		case "documents":
			if w.Nil() {
				return true, nil
			}
			n, err := w.Container(4, "an array")
			if err != nil {
				return true, err
			}
			r.Documents = make([]rawItem, n)
			for i := range r.Documents {
				if r.Documents[i], err = w.Raw(); err != nil {
					return true, err
				}
			}
			return true, nil
		case "documentErrors":
			raw, err := w.Raw()
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

// parseDocument decodes a Document (§8.3.2.1.2.2: {"docType",
// "issuerSigned", "deviceSigned", ? "errors"}); tag 24 is the only tag
// allowed.
func parseDocument(data []byte) (*documentWire, error) {
	w, err := start(data, tagEncodedCBOR)
	if err != nil {
		return nil, err
	}
	return w.document()
}

// parseCheckedDocument is parseDocument for a document that
// parseDeviceResponse returned: the pre-pass over the whole response, with
// the same tag, caps and a nesting limit counted from further out, has
// already covered it, so it is not run again.
func parseCheckedDocument(data []byte) (*documentWire, error) {
	w := newWalker(data)
	return w.document()
}

// document decodes a Document after the pre-pass.
func (w *walker) document() (*documentWire, error) {
	var d documentWire
	err := w.members(func(k []byte) (bool, error) {
		switch string(k) {
		case "docType":
			return true, w.optText(&d.DocType)
		case "issuerSigned":
			if w.Nil() {
				return true, nil
			}
			return true, w.issuerSigned(&d.IssuerSigned)
		case "deviceSigned":
			if w.Nil() {
				return true, nil
			}
			d.DeviceSigned = new(deviceSignedWire)
			return true, w.deviceSigned(d.DeviceSigned)
		case "errors":
			raw, err := w.Raw()
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
func (w *walker) issuerSigned(s *issuerSignedWire) error {
	return w.members(func(k []byte) (bool, error) {
		switch string(k) {
		case "nameSpaces":
			if w.Nil() {
				return true, nil
			}
			n, err := w.Container(5, "a map")
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
				if w.Nil() {
					s.NameSpaces[ns] = nil
					continue
				}
				m, err := w.Container(4, "an array")
				if err != nil {
					return true, err
				}
				items := make([]rawItem, m)
				for j := range items {
					if items[j], err = w.Raw(); err != nil {
						return true, err
					}
				}
				s.NameSpaces[ns] = items
			}
			return true, nil
		case "issuerAuth":
			raw, err := w.Raw()
			s.IssuerAuth = raw
			return true, err
		}
		return false, nil
	})
}

// deviceSigned decodes DeviceSigned = {"nameSpaces": DeviceNameSpacesBytes,
// "deviceAuth": DeviceAuth} and DeviceAuth = {"deviceSignature":
// DeviceSignature // "deviceMac": DeviceMac} (§8.3.2.1.2.2).
func (w *walker) deviceSigned(s *deviceSignedWire) error {
	return w.members(func(k []byte) (bool, error) {
		switch string(k) {
		case "nameSpaces":
			raw, err := w.Raw()
			s.NameSpaces = raw
			return true, err
		case "deviceAuth":
			if w.Nil() {
				return true, nil
			}
			return true, w.members(func(k []byte) (bool, error) {
				switch string(k) {
				case "deviceSignature":
					raw, err := w.Raw()
					s.DeviceAuth.DeviceSignature = cbor.RawMessage(raw)
					return true, err
				case "deviceMac":
					raw, err := w.Raw()
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
	var f itemFields
	if err := readIssuerSignedItem(inner, &f); err != nil {
		return nil, err
	}
	return f.wire(), nil
}

// itemFields are the members of an IssuerSignedItem as read, aliasing the
// input: hasID is false and name nil when digestID or elementIdentifier is
// absent or null. Verify reads items into one on its stack, without
// allocating.
type itemFields struct {
	id     uint64
	hasID  bool
	random []byte
	name   []byte
	value  []byte
}

// readIssuerSignedItem reads the content of an IssuerSignedItemBytes into
// f. It makes the checks of start's pre-pass (size cap, well-formedness,
// tags only from elementTags, nesting and container caps, no trailing
// bytes) in the same pass as the reading, rather than in a pass of its
// own: the map and the members it keeps typed are read strictly (a tag
// there is malformed), and elementValue, kept raw, is checked as the
// pre-pass checks it (strictcbor.RawNested at depth 1 with elementTags).
// When an item has several faults, the one reported may differ from the
// pre-pass's; each is still ErrMalformed or ErrTooLarge.
//
// It reads the map itself rather than through members, with the same
// checks and errors (a closed member set: text keys only, each at most
// once, an unknown or integer key malformed), since it runs once per
// disclosed element.
func readIssuerSignedItem(inner []byte, f *itemFields) error {
	if len(inner) > MaxMessageSize {
		return errorf(ErrTooLarge, "%d bytes, limit %d", len(inner), MaxMessageSize)
	}
	w := newWalker(inner)
	n, err := w.Container(5, "a map")
	if err != nil {
		return err
	}
	var seen uint8 // one bit per member read
	for range n {
		ib, err := w.Peek()
		if err != nil {
			return err
		}
		switch ib >> 5 {
		case strictcbor.MajorText:
		case strictcbor.MajorUint, strictcbor.MajorNeg:
			k, err := w.Int()
			if err != nil {
				return err
			}
			return errorf(ErrMalformed, "unknown member %d", k)
		default:
			return errorf(ErrMalformed, "map key of major type %d names no member", ib>>5)
		}
		k, err := w.TextBytes()
		if err != nil {
			return err
		}
		var bit uint8
		switch string(k) {
		case "digestID":
			bit = 1
		case "random":
			bit = 2
		case "elementIdentifier":
			bit = 4
		case "elementValue":
			bit = 8
		default:
			return errorf(ErrMalformed, "unknown member %.64q", k)
		}
		if seen&bit != 0 {
			return errorf(ErrMalformed, "duplicate map key %.64q, or more than %d members", k, maxMembers)
		}
		seen |= bit
		switch bit {
		case 1:
			f.id, f.hasID = 0, false
			if !w.Nil() {
				if f.id, err = w.Uint(); err != nil {
					return err
				}
				f.hasID = true
			}
		case 2:
			if f.random, err = w.Bytes(); err != nil {
				return err
			}
		case 4:
			f.name = nil
			if !w.Nil() {
				if f.name, err = w.TextBytes(); err != nil {
					return err
				}
			}
		case 8:
			if f.value, err = w.RawNested(1, elementTags...); err != nil {
				return err
			}
		}
	}
	if !w.Done() {
		return errorf(ErrMalformed, "%d trailing bytes", w.Rest())
	}
	return nil
}

// wire returns f as an issuerSignedItemWire, the element identifier copied.
func (f *itemFields) wire() *issuerSignedItemWire {
	// One allocation for the item and its digestID.
	box := new(struct {
		it issuerSignedItemWire
		id uint64
	})
	it := &box.it
	if f.hasID {
		box.id, it.DigestID = f.id, &box.id
	}
	it.Random, it.ElementIdentifier, it.ElementValue = f.random, string(f.name), f.value
	return it
}

// parseMSO decodes the content of MobileSecurityObjectBytes (§9.1.2.4:
// {"version", "digestAlgorithm", "valueDigests", "deviceKeyInfo",
// "docType", "validityInfo"}, plus the Token Status List reference
// "status" of draft-ietf-oauth-status-list §6.3); tag 0 (tdate) is the
// only tag allowed.
func parseMSO(inner []byte) (*msoWire, error) {
	w, err := start(inner, tagTDate)
	if err != nil {
		return nil, err
	}
	var m msoWire
	err = w.members(func(k []byte) (bool, error) {
		switch string(k) {
		case "version":
			return true, w.optText(&m.Version)
		case "digestAlgorithm":
			return true, w.optText(&m.DigestAlgorithm)
		case "valueDigests":
			return true, w.valueDigests(&m.ValueDigests)
		case "deviceKeyInfo":
			if w.Nil() {
				return true, nil
			}
			return true, w.deviceKeyInfo(&m.DeviceKeyInfo)
		case "docType":
			return true, w.optText(&m.DocType)
		case "validityInfo":
			if w.Nil() {
				return true, nil
			}
			return true, w.validityInfo(&m.ValidityInfo)
		case "status":
			if w.Nil() {
				return true, nil
			}
			// draft-ietf-oauth-status-list §6.3: "status" names status
			// mechanisms, and other specifications register more (ISO
			// 18013-5's second edition its "identifier_list"), so names
			// other than "status_list" are skipped; parseMSOPayload then
			// requires status_list. Its own members are closed: {"idx",
			// "uri"}.
			m.Status = new(statusWire)
			return true, w.openMembers(func(k []byte) (bool, error) {
				if string(k) != "status_list" {
					return false, nil
				}
				if w.Nil() {
					return true, nil
				}
				sl := new(statusListWire)
				m.Status.StatusList = sl
				return true, w.members(func(k []byte) (bool, error) {
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
func (w *walker) valueDigests(dst *map[string]map[uint64]strictcbor.ByteString) error {
	if w.Nil() {
		return nil
	}
	n, err := w.Container(5, "a map")
	if err != nil {
		return err
	}
	out := make(map[string]map[uint64]strictcbor.ByteString, n)
	for i := 0; i < n; i++ {
		ns, err := w.text()
		if err != nil {
			return err
		}
		if _, dup := out[ns]; dup {
			return errorf(ErrMalformed, "duplicate map key %q", ns)
		}
		if w.Nil() {
			out[ns] = nil
			continue
		}
		m, err := w.Container(5, "a map")
		if err != nil {
			return err
		}
		ds := make(map[uint64]strictcbor.ByteString, m)
		for j := 0; j < m; j++ {
			id, err := w.Uint()
			if err != nil {
				return err
			}
			d, err := w.Bytes()
			if err != nil {
				return err
			}
			// One map operation: a duplicate leaves the size unchanged.
			before := len(ds)
			ds[id] = d
			if len(ds) == before {
				return errorf(ErrMalformed, "duplicate digestID %d in valueDigests", id)
			}
		}
		out[ns] = ds
	}
	*dst = out
	return nil
}

// deviceKeyInfo decodes DeviceKeyInfo = {"deviceKey", ?
// "keyAuthorizations", ? "keyInfo"} and KeyAuthorizations = {?
// "nameSpaces", ? "dataElements"} (§9.1.2.4).
func (w *walker) deviceKeyInfo(k *deviceKeyInfoWire) error {
	return w.members(func(key []byte) (bool, error) {
		switch string(key) {
		case "deviceKey":
			raw, err := w.Raw()
			k.DeviceKey = raw
			return true, err
		case "keyAuthorizations":
			if w.Nil() {
				return true, nil
			}
			ka := new(keyAuthorizationsWire)
			k.KeyAuthorizations = ka
			return true, w.members(func(key []byte) (bool, error) {
				switch string(key) {
				case "nameSpaces":
					return true, w.textArray(&ka.NameSpaces)
				case "dataElements":
					if w.Nil() {
						return true, nil
					}
					n, err := w.Container(5, "a map")
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
			raw, err := w.Raw()
			k.KeyInfo = cbor.RawMessage(raw)
			return true, err
		}
		return false, nil
	})
}

// textArray decodes [* tstr]; null or undefined leave nil.
func (w *walker) textArray(dst *[]string) error {
	if w.Nil() {
		*dst = nil
		return nil
	}
	n, err := w.Container(4, "an array")
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

// validityInfo decodes ValidityInfo = {"signed", "validFrom",
// "validUntil", ? "expectedUpdate"} (§9.1.2.4).
func (w *walker) validityInfo(v *validityInfoWire) error {
	return w.members(func(k []byte) (bool, error) {
		switch string(k) {
		case "signed":
			return true, w.optTime(&v.Signed)
		case "validFrom":
			return true, w.optTime(&v.ValidFrom)
		case "validUntil":
			return true, w.optTime(&v.ValidUntil)
		case "expectedUpdate":
			if w.Nil() {
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
	if w.Nil() {
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
	num, err := w.Expect(6, "a tdate (tag 0)")
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
	s, err := w.TextBytes()
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339, string(s))
	if err != nil {
		return time.Time{}, errorf(ErrMalformed, "tdate %q: %v", s, err)
	}
	return t, nil
}

// rawInt decodes one integer from raw (a complete item); null or
// undefined give 0, as the strict decode mode did.
func rawInt(raw []byte) (int64, error) {
	w := newWalker(raw)
	if w.Nil() {
		return 0, nil
	}
	v, err := w.Int()
	if err != nil {
		return 0, err
	}
	if !w.Done() {
		return 0, errorf(ErrMalformed, "trailing bytes after an integer")
	}
	return v, nil
}
