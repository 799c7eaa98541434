package mdoc

import (
	"crypto"
	"crypto/rand"
	"io"
	"sort"
	"time"

	"github.com/ikdkit/ikdkit/internal/cose"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// referenceIssue is Issuer.Issue as it was before the hand-written
// encoders (commit d2698fe): every structure goes through the reflection
// encoder. The tests hold the new Issue to its bytes.
func referenceIssue(iss *Issuer, req IssueRequest) (*IssuerSigned, error) {
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

	out := &IssuerSigned{docType: req.DocType, nameSpaces: map[string][]rawItem{}}
	mso := msoWire{
		Version:         "1.0",
		DigestAlgorithm: hname,
		ValueDigests:    map[string]map[uint64]strictcbor.ByteString{},
		DeviceKeyInfo:   deviceKeyInfoWire{DeviceKey: deviceKey},
		DocType:         req.DocType,
		ValidityInfo:    validityInfoWire{Signed: signed, ValidFrom: from, ValidUntil: until},
	}
	if !req.ExpectedUpdate.IsZero() {
		t := req.ExpectedUpdate.UTC().Truncate(time.Second)
		mso.ValidityInfo.ExpectedUpdate = &t
	}
	if req.Status != nil {
		if req.Status.URI == "" {
			return nil, errorf(ErrInvalidArgument, "status reference without URI")
		}
		idx := req.Status.Index
		mso.Status = &statusWire{StatusList: &statusListWire{Idx: &idx, URI: req.Status.URI}}
	}

	for ns, elems := range req.NameSpaces {
		if ns == "" || len(elems) == 0 {
			return nil, errorf(ErrInvalidArgument, "empty namespace name or namespace %q without elements", ns)
		}
		if len(elems) > MaxContainerItems {
			return nil, errorf(ErrInvalidArgument, "namespace %q has %d elements, limit %d", ns, len(elems), MaxContainerItems)
		}
		names := make([]string, 0, len(elems))
		for name := range elems {
			names = append(names, name)
		}
		sort.Strings(names)
		digests := map[uint64]strictcbor.ByteString{}
		items := make([]rawItem, 0, len(names))
		for _, name := range names {
			if name == "" {
				return nil, errorf(ErrInvalidArgument, "empty element identifier in %q", ns)
			}
			id, err := randomDigestID(rnd, digests)
			if err != nil {
				return nil, err
			}
			salt := make([]byte, randomSize)
			if _, err := io.ReadFull(rnd, salt); err != nil {
				return nil, errorf(ErrInvalidArgument, "reading randomness: %v", err)
			}
			value, err := marshal(elems[name])
			if err != nil {
				return nil, errorf(ErrInvalidArgument, "element %q: %v", name, err)
			}
			item, err := marshal(issuerSignedItemWire{
				DigestID: &id, Random: salt, ElementIdentifier: name, ElementValue: value,
			})
			if err != nil {
				return nil, err
			}
			tagged := strictcbor.WrapTag24(item)
			// ISO 18013-5 §9.1.2.5: the digest is over IssuerSignedItemBytes,
			// i.e. the tag-24 encoding.
			d := h.New()
			d.Write(tagged)
			digests[id] = d.Sum(nil)
			items = append(items, tagged)
		}
		mso.ValueDigests[ns] = digests
		out.nameSpaces[ns] = items
	}

	msoBytes, err := marshal(mso)
	if err != nil {
		return nil, err
	}
	payload := strictcbor.WrapTag24(msoBytes)
	var x5 any
	if len(iss.Chain) == 1 {
		x5 = iss.Chain[0].Raw
	} else {
		ders := make([][]byte, len(iss.Chain))
		for i, c := range iss.Chain {
			ders[i] = c.Raw
		}
		x5 = ders
	}
	auth, err := sign1(rnd, iss.Signer, map[int64]any{cose.HeaderX5Chain: x5}, payload, false)
	if err != nil {
		return nil, err
	}
	out.issuerAuth = auth
	return out, nil
}
