package mdoc

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"io"
	"slices"
	"time"

	"github.com/ikdkit/ikdkit/internal/cose"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// randomSize is the length of each IssuerSignedItem random salt: 16
// bytes, the least ISO 18013-5 §9.1.2.5 allows, 128 bits of entropy as
// RFC 9901 §9.3 asks of SD-JWT salts. Each disclosed element carries its
// salt, so 16 more bytes cost an offline QR 16 bytes per element
// (docs/qr-format.md §8).
const randomSize = 16

// Issuer creates mdocs (the issuing authority side). It holds no state
// between calls and is safe for concurrent use if Signer and Rand are.
type Issuer struct {
	// Signer is the document signer (DS) private key. ES256 (P-256) is the
	// baseline; P-384 (ES384), P-521 (ES512) and Ed25519 (EdDSA) also work.
	// The algorithm follows from the key. HSM-backed keys plug in here.
	Signer crypto.Signer
	// Chain is the DS certificate, leaf first, optionally followed by
	// intermediates; it is placed in the issuerAuth x5chain header. The IACA
	// root is not included. Required.
	Chain []*x509.Certificate
	// DigestAlgorithm is crypto.SHA256 (the default when zero), SHA384 or
	// SHA512.
	DigestAlgorithm crypto.Hash
	// Rand supplies the item salts and digest IDs and the signature
	// randomness. Nil means crypto/rand.
	Rand io.Reader
	// Now returns the signing time. Nil means time.Now.
	Now func() time.Time
}

// IssueRequest describes one mdoc to issue.
type IssueRequest struct {
	// DocType is the document type, e.g. "id.go.kemendagri.dukcapil.ktpel.1".
	DocType string
	// NameSpaces maps namespace → element identifier → element value.
	// Values are encoded with deterministic CBOR: use string, integers,
	// bool, []byte, FullDate for dates (tag 1004), time.Time for
	// date-times (tag 0), and slices and maps of these.
	NameSpaces map[string]map[string]any
	// DeviceKey is the holder's public key (the MSO deviceKey); the holder
	// proves possession of its private key when presenting.
	DeviceKey crypto.PublicKey
	// ValidFrom and ValidUntil bound the MSO validity. A zero ValidFrom
	// means the signing time. ValidUntil is required.
	ValidFrom, ValidUntil time.Time
	// ExpectedUpdate optionally tells verifiers when the issuer expects to
	// re-sign the MSO. Zero means absent.
	ExpectedUpdate time.Time
	// Status optionally references the credential's Token Status List entry.
	Status *StatusReference
}

// digestName maps the supported hashes to ISO 18013-5 §9.1.2.5 names.
func digestName(h crypto.Hash) (string, bool) {
	switch h {
	case crypto.SHA256:
		return "SHA-256", true
	case crypto.SHA384:
		return "SHA-384", true
	case crypto.SHA512:
		return "SHA-512", true
	}
	return "", false
}

func digestHash(name string) (crypto.Hash, bool) {
	switch name {
	case "SHA-256":
		return crypto.SHA256, true
	case "SHA-384":
		return crypto.SHA384, true
	case "SHA-512":
		return crypto.SHA512, true
	}
	return 0, false
}

// Issue builds the IssuerSignedItems and the MobileSecurityObject for req
// and signs the MSO (ISO 18013-5 §9.1.2.4) as an untagged COSE_Sign1 whose
// payload is the tag-24 MSO and whose unprotected header carries the
// x5chain. Digest IDs are random and unique per namespace, and each item
// has a fresh 16-byte random salt, so disclosed items reveal neither the
// order nor the number of undisclosed ones.
func (iss *Issuer) Issue(req IssueRequest) (*IssuerSigned, error) {
	if iss.Signer == nil || len(iss.Chain) == 0 {
		return nil, errorf(ErrInvalidArgument, "issuer needs Signer and Chain")
	}
	if len(iss.Chain) > MaxChainLength {
		return nil, errorf(ErrInvalidArgument, "chain of %d certificates, limit %d", len(iss.Chain), MaxChainLength)
	}
	if req.DocType == "" || len(req.NameSpaces) == 0 || req.DeviceKey == nil {
		return nil, errorf(ErrInvalidArgument, "request needs DocType, NameSpaces and DeviceKey")
	}
	h := iss.DigestAlgorithm
	if h == 0 {
		h = crypto.SHA256
	}
	hname, ok := digestName(h)
	if !ok {
		return nil, errorf(ErrUnsupportedAlgorithm, "digest %v", h)
	}
	rnd := iss.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	now := time.Now
	if iss.Now != nil {
		now = iss.Now
	}
	signed := now().UTC().Truncate(time.Second)
	from := req.ValidFrom
	if from.IsZero() {
		from = signed
	}
	from = from.UTC().Truncate(time.Second)
	until := req.ValidUntil.UTC().Truncate(time.Second)
	if !until.After(from) {
		return nil, errorf(ErrInvalidArgument, "ValidUntil must be after ValidFrom")
	}
	deviceKey, err := encodeCOSEKey(req.DeviceKey)
	if err != nil {
		return nil, err
	}
	var expected time.Time
	if !req.ExpectedUpdate.IsZero() {
		expected = req.ExpectedUpdate.UTC().Truncate(time.Second)
	}
	if req.Status != nil && req.Status.URI == "" {
		return nil, errorf(ErrInvalidArgument, "status reference without URI")
	}

	// Namespaces and element identifiers in sorted order, so the randomness
	// is consumed in a reproducible order.
	nss := make([]string, 0, len(req.NameSpaces))
	items, size := 0, 0
	for ns, elems := range req.NameSpaces {
		if ns == "" || len(elems) == 0 {
			return nil, errorf(ErrInvalidArgument, "empty namespace name or namespace %q without elements", ns)
		}
		if len(elems) > MaxContainerItems {
			return nil, errorf(ErrInvalidArgument, "namespace %q has %d elements, limit %d", ns, len(elems), MaxContainerItems)
		}
		nss = append(nss, ns)
		items += len(elems)
		for name, v := range elems {
			if name == "" {
				return nil, errorf(ErrInvalidArgument, "empty element identifier in %q", ns)
			}
			size += itemSizeHint(name, v)
		}
	}
	slices.Sort(nss)

	// The digest ID (4 bytes) and the salt of every item, from one read.
	rb := make([]byte, items*(4+randomSize))
	if _, err := io.ReadFull(rnd, rb); err != nil {
		return nil, errorf(ErrInvalidArgument, "reading randomness: %v", err)
	}

	// All tag-24 IssuerSignedItems share one buffer; each is written once,
	// its value (a 12 kB portrait, say) included, and the tag-24 head is
	// put in the room left in front of it.
	arena := make([]byte, 0, size)
	spans := make([][2]int, 0, items)
	hsize := h.Size()
	digests := make([]byte, 0, items*hsize)
	ids := make([]uint64, 0, items)
	var names []string
	nsItems := make([]int, len(nss))
	for n, ns := range nss {
		elems := req.NameSpaces[ns]
		names = names[:0]
		for name := range elems {
			names = append(names, name)
		}
		slices.Sort(names)
		nsItems[n] = len(names)
		first := len(ids)
		for _, name := range names {
			id := uint64(binary.BigEndian.Uint32(rb) & 0x7fffffff)
			salt := rb[4 : 4+randomSize]
			rb = rb[4+randomSize:]
			for slices.Contains(ids[first:], id) {
				// A repeated digest ID: draw another (about once in 2^31/items issuances).
				if id, err = randomDigestID(rnd, nil); err != nil {
					return nil, err
				}
			}
			ids = append(ids, id)
			at := len(arena) + strictcbor.MaxTag24Head
			arena = append(arena, make([]byte, strictcbor.MaxTag24Head)...)
			if arena, err = appendItem(arena, id, salt, name, elems[name]); err != nil {
				return nil, err
			}
			var hb [strictcbor.MaxTag24Head]byte
			head := strictcbor.AppendTag24Head(hb[:0], len(arena)-at)
			start := at - len(head)
			copy(arena[start:], head)
			spans = append(spans, [2]int{start, len(arena)})
			// ISO 18013-5 §9.1.2.5: the digest is over IssuerSignedItemBytes,
			// i.e. the tag-24 encoding.
			digests = appendDigest(digests, h, arena[start:])
		}
	}
	out := &IssuerSigned{docType: req.DocType, nameSpaces: make(map[string][]rawItem, len(nss))}
	k := 0
	for n, ns := range nss {
		list := make([]rawItem, nsItems[n])
		for i := range list {
			sp := spans[k+i]
			list[i] = rawItem(arena[sp[0]:sp[1]:sp[1]])
		}
		out.nameSpaces[ns] = list
		k += nsItems[n]
	}

	m := msoFields{
		digestAlgorithm: hname, docType: req.DocType, deviceKey: deviceKey,
		signed: signed, validFrom: from, validUntil: until, expectedUpdate: expected,
		status: req.Status, nss: nss, nsItems: nsItems, ids: ids, digests: digests, hsize: hsize,
	}
	payload := make([]byte, strictcbor.MaxTag24Head, strictcbor.MaxTag24Head+256+len(deviceKey)+items*(hsize+8))
	if payload, err = m.append(payload); err != nil {
		return nil, err
	}
	var hb [strictcbor.MaxTag24Head]byte
	head := strictcbor.AppendTag24Head(hb[:0], len(payload)-strictcbor.MaxTag24Head)
	copy(payload[strictcbor.MaxTag24Head-len(head):], head)
	payload = payload[strictcbor.MaxTag24Head-len(head):]

	auth, err := signIssuerAuth(rnd, iss.Signer, iss.Chain, payload)
	if err != nil {
		return nil, wrap(err)
	}
	out.issuerAuth = auth
	return out, nil
}

// randomDigestID draws a random digest ID below 2^31 not yet in used (nil
// means none is used).
func randomDigestID(r io.Reader, used map[uint64]strictcbor.ByteString) (uint64, error) {
	var b [4]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, errorf(ErrInvalidArgument, "reading randomness: %v", err)
		}
		id := uint64(binary.BigEndian.Uint32(b[:]) & 0x7fffffff)
		if _, dup := used[id]; !dup {
			return id, nil
		}
	}
}

// IssuerSigned is an issued mdoc as the holder stores it: the
// IssuerSignedItems per namespace and the issuerAuth (ISO 18013-5 §8.3.2.1.2.2).
// It is a holder-side value: obtaining one (from [Issuer.Issue] or
// [ParseIssuerSigned]) verifies nothing; verifiers use [Verify].
type IssuerSigned struct {
	docType    string
	nameSpaces map[string][]rawItem // tag-24 items as received
	issuerAuth []byte
}

// DocType returns the docType from the MSO (unverified when parsed).
func (s *IssuerSigned) DocType() string { return s.docType }

// Elements lists the element identifiers per namespace, sorted.
func (s *IssuerSigned) Elements() map[string][]string {
	out := map[string][]string{}
	for ns, items := range s.nameSpaces {
		for _, raw := range items {
			if it, err := parseItem(raw); err == nil {
				out[ns] = append(out[ns], it.ElementIdentifier)
			}
		}
		slices.Sort(out[ns])
	}
	return out
}

// MarshalCBOR encodes s as the ISO 18013-5 IssuerSigned structure, the form
// OpenID4VCI uses for mso_mdoc credentials.
func (s *IssuerSigned) MarshalCBOR() ([]byte, error) {
	return marshal(issuerSignedWire{NameSpaces: s.nameSpaces, IssuerAuth: s.issuerAuth})
}

// ParseIssuerSigned decodes an IssuerSigned structure strictly (same caps
// and rules as [Verify]) so a holder can store and later present it. It
// checks structure only: signatures, trust and digests are NOT verified.
func ParseIssuerSigned(data []byte) (*IssuerSigned, error) {
	s, err := parseIssuerSigned(data)
	return s, wrap(err)
}

func parseIssuerSigned(data []byte) (*IssuerSigned, error) {
	if len(data) > MaxMessageSize {
		return nil, errorf(ErrTooLarge, "%d bytes, limit %d", len(data), MaxMessageSize)
	}
	data = bytes.Clone(data) // the result aliases it
	r, err := start(data, tagEncodedCBOR)
	if err != nil {
		return nil, err
	}
	var w issuerSignedWire
	if err := r.issuerSigned(&w); err != nil {
		return nil, err
	}
	if len(w.NameSpaces) == 0 || len(w.IssuerAuth) == 0 {
		return nil, errorf(ErrMalformed, "IssuerSigned needs nameSpaces and issuerAuth")
	}
	msg, err := cose.ParseSign1(w.IssuerAuth, cose.Untagged)
	if err != nil {
		return nil, err
	}
	if msg.Detached {
		return nil, errorf(ErrMalformed, "issuerAuth payload must be attached")
	}
	mso, err := parseMSOPayload(msg.Payload)
	if err != nil {
		return nil, err
	}
	for ns, items := range w.NameSpaces {
		if len(items) == 0 {
			return nil, errorf(ErrMalformed, "namespace %q without items", ns)
		}
		seenID := map[uint64]bool{}
		seenName := map[string]bool{}
		for _, raw := range items {
			it, err := parseItem(raw)
			if err != nil {
				return nil, err
			}
			if seenID[*it.DigestID] || seenName[it.ElementIdentifier] {
				return nil, errorf(ErrDuplicate, "namespace %q", ns)
			}
			seenID[*it.DigestID], seenName[it.ElementIdentifier] = true, true
		}
	}
	return &IssuerSigned{docType: mso.DocType, nameSpaces: w.NameSpaces, issuerAuth: w.IssuerAuth}, nil
}
