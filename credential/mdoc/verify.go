package mdoc

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"maps"
	"slices"
	"time"
	"unsafe"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/internal/box"
	"github.com/ikdkit/ikdkit/internal/cose"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// oidMdlDS is id-mdl-kp-mdlDS, the extended key usage ISO 18013-5 Annex B
// (Table B.3) requires in document signer certificates.
var oidMdlDS = asn1.ObjectIdentifier{1, 0, 18013, 5, 1, 2}

// VerifyOptions configure [Verify]. Roots and SessionTranscript are
// required; there is no "verify nothing" default.
type VerifyOptions struct {
	// Roots are the trusted IACA root certificates. The DS certificate in
	// each document's x5chain must chain to one of them at the
	// verification time. Required.
	Roots *x509.CertPool
	// SessionTranscript is the CBOR encoding of the SessionTranscript
	// array (not the tag-24 SessionTranscriptBytes) that the device
	// authenticated: ISO 18013-5 §9.1.5.1 for proximity, or one built with
	// [OpenID4VPSessionTranscript] and friends. Required.
	SessionTranscript []byte
	// ReaderKey is the reader's ephemeral private key (EReaderKey). It is
	// needed only to verify deviceMac; without it a deviceMac document
	// fails with ErrDeviceAuth.
	ReaderKey *ecdh.PrivateKey
	// DocType, when set, is the only docType accepted.
	DocType string
	// Now returns the verification time for certificate and MSO validity.
	// Nil means time.Now.
	Now func() time.Time
	// Certificates, if set, keeps the x5chain certificates parsed from one
	// verification to the next (see [CertificateCache]); a long-lived
	// verifier keeps one. Nil parses them for every document.
	Certificates *CertificateCache
}

// DeviceAuthMethod says how the device authenticated a document.
type DeviceAuthMethod int

// Device authentication methods of ISO 18013-5 §9.1.3.
const (
	DeviceSignature DeviceAuthMethod = iota + 1 // COSE_Sign1 by the device key
	DeviceMAC                                   // COSE_Mac0 with the ECDH-derived EMacKey
)

// VerifiedResponse is the result of a successful [Verify], the only
// function that makes one: it holds only verified data.
type VerifiedResponse struct {
	version   string
	documents []*VerifiedDocument
}

// Version returns the DeviceResponse version, "1.0". (Its status is always
// 0, OK: other statuses fail [Verify].)
func (r *VerifiedResponse) Version() string { return r.version }

// Documents returns the verified documents in received order; there is at
// least one.
func (r *VerifiedResponse) Documents() []*VerifiedDocument { return slices.Clone(r.documents) }

// VerifiedDocument is one verified document of a [VerifiedResponse]. Its
// getters return copies.
type VerifiedDocument struct {
	docType          string
	nameSpaces       map[string]map[string]any
	deviceNameSpaces map[string]map[string]any
	validity         ValidityInfo
	status           *StatusReference
	deviceKey        crypto.PublicKey
	deviceAuth       DeviceAuthMethod
	chain            []*x509.Certificate
	// deviceAuthBytes is the DeviceAuthenticationBytes the device signed
	// or MACed.
	deviceAuthBytes []byte
}

// DocType returns the document's docType, which equals the MSO's.
func (d *VerifiedDocument) DocType() string { return d.docType }

// NameSpaces returns the disclosed issuer-signed elements whose digests
// matched the MSO: namespace → element identifier → value (see the value
// type table in the package documentation).
func (d *VerifiedDocument) NameSpaces() map[string]map[string]any {
	return cloneNameSpaces(d.nameSpaces)
}

// DeviceNameSpaces returns the device-signed elements, each authorized by
// the MSO keyAuthorizations (ISO 18013-5 §9.1.2.4). Usually empty.
func (d *VerifiedDocument) DeviceNameSpaces() map[string]map[string]any {
	return cloneNameSpaces(d.deviceNameSpaces)
}

// Validity returns the MSO's validity window, which contained the
// verification time.
func (d *VerifiedDocument) Validity() ValidityInfo {
	v := d.validity
	if v.ExpectedUpdate != nil {
		t := *v.ExpectedUpdate
		v.ExpectedUpdate = &t
	}
	return v
}

// Status returns the Token Status List reference of the MSO, nil if it has
// none. Verify does NOT check revocation; the caller must.
func (d *VerifiedDocument) Status() *StatusReference {
	if d.status == nil {
		return nil
	}
	s := *d.status
	return &s
}

// DeviceKey returns the holder's key from the MSO, which authenticated the
// response.
func (d *VerifiedDocument) DeviceKey() crypto.PublicKey { return d.deviceKey }

// DeviceAuth returns whether a signature or a MAC authenticated the device.
func (d *VerifiedDocument) DeviceAuth() DeviceAuthMethod { return d.deviceAuth }

// Chain returns the verified certificate path, document signer first,
// trust anchor last.
func (d *VerifiedDocument) Chain() []*x509.Certificate { return slices.Clone(d.chain) }

// DeviceAuthenticationDigest returns SHA-256 of the
// DeviceAuthenticationBytes the device signed or MACed (ISO 18013-5
// §9.1.3.4): it covers the SessionTranscript, the DocType and the
// DeviceNameSpacesBytes, so a verifier can use it as the document's replay
// key.
func (d *VerifiedDocument) DeviceAuthenticationDigest() [32]byte {
	return sha256.Sum256(d.deviceAuthBytes)
}

// cloneNameSpaces copies m and every value in it. Each namespace's map is
// copied whole (maps.Clone) and only the values that can be changed in
// place (byte strings, arrays, maps) are then deep-copied: strings,
// numbers, booleans and dates are immutable.
func cloneNameSpaces(m map[string]map[string]any) map[string]map[string]any {
	out := make(map[string]map[string]any, len(m))
	for ns, elems := range m {
		c := maps.Clone(elems)
		for k, v := range c {
			switch v.(type) {
			case []byte, []any, map[string]any, map[any]any:
				c[k] = cloneValue(v)
			}
		}
		out[ns] = c
	}
	return out
}

// cloneValue deep-copies an element value (the types of values.go).
func cloneValue(v any) any {
	switch t := v.(type) {
	case []byte:
		return bytes.Clone(t)
	case []any:
		c := make([]any, len(t))
		for i, e := range t {
			c[i] = cloneValue(e)
		}
		return c
	case map[string]any:
		c := make(map[string]any, len(t))
		for k, e := range t {
			c[k] = cloneValue(e)
		}
		return c
	case map[any]any:
		c := make(map[any]any, len(t))
		for k, e := range t {
			c[k] = cloneValue(e)
		}
		return c
	}
	return v
}

// Verify checks a DeviceResponse (ISO 18013-5 §8.3.2.1.2.2) as a reader must
// (§9.3.1) and returns the verified elements. For every document it
// checks, in this order: the x5chain path to opts.Roots with the Annex B
// DS profile; the issuerAuth signature with the DS key; that the
// document's docType equals the MSO's; each disclosed item's digest against
// valueDigests, rejecting duplicate digestIDs and elementIdentifiers; the
// MSO validity window at opts.Now; and device authentication (deviceSignature
// or deviceMac) over DeviceAuthentication with opts.SessionTranscript.
// Any failure fails the whole call with a *[check.Error]; see the package
// documentation for the checks and sentinels. Digests and MACs are
// computed over the tag-24 bytes exactly as received.
//
// WARNING: Verify does not check revocation; use
// [VerifiedDocument].Status with a Token Status List.
func Verify(deviceResponse []byte, opts VerifyOptions) (*VerifiedResponse, error) {
	fail := func(c check.Check, doc int, docType string, err error) error {
		f := asFailure(err)
		detail := f.detail
		if docType != "" {
			// As received: unauthenticated before the issuer signature.
			detail = fmt.Sprintf("docType %.200q: %s", docType, detail)
		}
		return &check.Error{Check: c, Credential: doc, Err: f.err, Detail: detail, Cause: f.cause}
	}
	if opts.Roots == nil || len(opts.SessionTranscript) == 0 {
		return nil, fail(check.Input, -1, "", errorf(ErrInvalidArgument, "Roots and SessionTranscript are required"))
	}
	if err := checkTranscript(opts.SessionTranscript); err != nil {
		return nil, fail(check.Input, -1, "", errorf(ErrInvalidArgument, "SessionTranscript: %v", err))
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	at := now()

	resp, err := parseDeviceResponse(deviceResponse)
	if err != nil {
		return nil, fail(check.Format, -1, "", err)
	}
	// §8.3.2.1.2.2: version "1.0" and status are mandatory.
	if resp.Version != "1.0" || resp.Status == nil {
		return nil, fail(check.Format, -1, "", errorf(ErrMalformed, "DeviceResponse version %q, status present %v", resp.Version, resp.Status != nil))
	}
	// §8.3.2.1.2.3, Table 8: status 0 is OK; 10, 11 and 12 are the mdoc's
	// own error reports; no other value is defined. A response that
	// reports an error, or holds no document, presents nothing: it fails
	// rather than returning an empty success a caller could take for one.
	switch st := *resp.Status; {
	case st == 10 || st == 11 || st == 12:
		return nil, fail(check.Format, -1, "", errorf(ErrResponseStatus, "status %d", st))
	case st != 0:
		return nil, fail(check.Format, -1, "", errorf(ErrMalformed, "undefined DeviceResponse status %d", st))
	}
	if len(resp.Documents) == 0 {
		return nil, fail(check.Format, -1, "", errorf(ErrNoDocuments, "documents absent or empty"))
	}
	if len(resp.Documents) > MaxDocuments {
		return nil, fail(check.Format, -1, "", errorf(ErrTooLarge, "%d documents, limit %d", len(resp.Documents), MaxDocuments))
	}
	out := &VerifiedResponse{version: resp.Version, documents: make([]*VerifiedDocument, 0, len(resp.Documents))}
	for i, raw := range resp.Documents {
		doc, c, err := verifyDocument(raw, opts, at)
		if err != nil {
			return nil, fail(c, i, doc.docType, err)
		}
		out.documents = append(out.documents, doc)
	}
	return out, nil
}

// verifyDocument runs all checks on one Document. On failure it returns the
// failed check; the returned document then only carries the docType as
// received.
func verifyDocument(raw []byte, opts VerifyOptions, at time.Time) (*VerifiedDocument, check.Check, error) {
	d, err := parseCheckedDocument(raw) // raw is from parseDeviceResponse
	if err != nil {
		return &VerifiedDocument{}, check.Format, err
	}
	res := &VerifiedDocument{docType: d.DocType}
	if d.DocType == "" || len(d.IssuerSigned.IssuerAuth) == 0 || d.DeviceSigned == nil {
		return res, check.Format, errorf(ErrMalformed, "document needs docType, issuerSigned.issuerAuth and deviceSigned")
	}

	// Trust: the DS certificate and its path (§9.3.3, Annex B).
	msg, chain, err := parseIssuerAuth(d.IssuerSigned.IssuerAuth, opts.Certificates)
	if err != nil {
		return res, check.Format, err
	}
	path, err := verifyChain(chain, opts.Roots, at)
	if err != nil {
		return res, check.Trust, err
	}
	res.chain = path

	// Issuer signature (§9.1.2.4): the algorithm is the DS key's, and the
	// protected header must name exactly it (internal/cose).
	if err := msg.Verify(chain[0].PublicKey, nil); err != nil {
		return res, check.Signature, err
	}
	mso, err := parseMSOPayload(msg.Payload)
	if err != nil {
		return res, check.Format, err
	}

	// §9.3.1: the document's docType must equal the MSO's.
	if d.DocType != mso.DocType {
		return res, check.Disclosure, errorf(ErrDocTypeMismatch, "document %q, MSO %q", d.DocType, mso.DocType)
	}
	if opts.DocType != "" && mso.DocType != opts.DocType {
		return res, check.Disclosure, errorf(ErrDocTypeMismatch, "got %q, want %q", mso.DocType, opts.DocType)
	}

	// Digests (§9.3.1 step 4, §9.1.2.5).
	h, _ := digestHash(mso.DigestAlgorithm)
	res.nameSpaces = make(map[string]map[string]any, len(d.IssuerSigned.NameSpaces))
	for ns, items := range d.IssuerSigned.NameSpaces {
		digests, ok := mso.ValueDigests[ns]
		if !ok {
			return res, check.Disclosure, errorf(ErrDigestMismatch, "namespace %q not in the MSO", ns)
		}
		elems := make(map[string]any, len(items))
		// The namespace's identifiers and text values, copied out of the
		// response (see appendString).
		arena := make([]byte, 0, arenaSize(items))
		// Their interface values, from one slab.
		var texts box.Slab[string]
		texts.Reserve(len(items))
		for _, rawItem := range items {
			var it itemFields // aliases rawItem
			if err := parseItemFields(rawItem, &it); err != nil {
				return res, check.Format, err
			}
			id := it.id
			want, ok := digests[id]
			// §8.3.2.1.2.2: digestIDs and element identifiers are unique
			// per namespace. A digest whose item has been verified is set
			// to nil below (parseMSOPayload accepts no empty digest), so a
			// nil one means that its digestID came before: this replaces
			// a set of the digestIDs seen.
			if ok && want == nil {
				return res, check.Disclosure, errorf(ErrDuplicate, "digestID %d in %q", id, ns)
			}
			if _, dup := elems[string(it.name)]; dup {
				return res, check.Disclosure, errorf(ErrDuplicate, "element %q in %q", it.name, ns)
			}
			if !ok {
				return res, check.Disclosure, errorf(ErrDigestMismatch, "digestID %d of %q not in the MSO", id, it.name)
			}
			// Hash the IssuerSignedItemBytes exactly as received.
			if !digestMatches(h, rawItem, want) {
				return res, check.Disclosure, errorf(ErrDigestMismatch, "element %q in %q", it.name, ns)
			}
			digests[id] = nil // this digestID is used (see above)
			// The item's pre-pass (elementTags) already covered the value.
			v, err := elementValue(it.value, &arena, &texts)
			if err != nil {
				return res, check.Format, err
			}
			elems[appendString(&arena, it.name)] = v
		}
		res.nameSpaces[ns] = elems
	}

	// Validity window (§9.3.1), reported only after the signature checked.
	vi := mso.ValidityInfo
	res.validity = ValidityInfo{Signed: vi.Signed.UTC(), ValidFrom: vi.ValidFrom.UTC(), ValidUntil: vi.ValidUntil.UTC()}
	if vi.ExpectedUpdate != nil {
		t := vi.ExpectedUpdate.UTC()
		res.validity.ExpectedUpdate = &t
	}
	if err := res.validity.check(at); err != nil {
		return res, check.Validity, err
	}
	if mso.Status != nil {
		res.status = &StatusReference{Index: *mso.Status.StatusList.Idx, URI: mso.Status.StatusList.URI}
	}

	// Device authentication (§9.1.3).
	deviceKey, err := parseCOSEKey(mso.DeviceKeyInfo.DeviceKey)
	if err != nil {
		return res, check.Format, err
	}
	res.deviceKey = deviceKey
	method, devNS, dab, c, err := verifyDeviceAuth(d.DeviceSigned, mso, deviceKey, d.DocType, opts)
	if err != nil {
		return res, c, err
	}
	res.deviceAuth, res.deviceNameSpaces, res.deviceAuthBytes = method, devNS, dab
	return res, 0, nil
}

// verifyChain validates the x5chain to roots at time at and applies the
// ISO 18013-5 Annex B document signer profile.
func verifyChain(chain []*x509.Certificate, roots *x509.CertPool, at time.Time) ([]*x509.Certificate, error) {
	leaf := chain[0]
	var inter *x509.CertPool // nil: no intermediates (the usual DS-only x5chain)
	if len(chain) > 1 {
		inter = x509.NewCertPool()
		for _, c := range chain[1:] {
			inter.AddCert(c)
		}
	}
	// The DS EKU is not one crypto/x509 knows, so it is checked below.
	paths, err := leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return nil, &failure{err: ErrUntrustedIssuer, detail: "DS certificate path", cause: err}
	}
	// Annex B.1.4 (DS certificate): KeyUsage digitalSignature, EKU
	// id-mdl-kp-mdlDS, and not a CA.
	if leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return nil, errorf(ErrUntrustedIssuer, "DS certificate lacks the digitalSignature key usage")
	}
	hasEKU := false
	for _, o := range leaf.UnknownExtKeyUsage {
		if o.Equal(oidMdlDS) {
			hasEKU = true
		}
	}
	if !hasEKU {
		return nil, errorf(ErrUntrustedIssuer, "DS certificate lacks extended key usage %v", oidMdlDS)
	}
	path := paths[0]
	if len(path) > 1 && leaf.IsCA {
		return nil, errorf(ErrUntrustedIssuer, "DS certificate is a CA")
	}
	// Annex B.1.2: certificates that issue others carry keyCertSign.
	for _, c := range path[1:] {
		if c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageCertSign == 0 {
			return nil, errorf(ErrUntrustedIssuer, "issuing certificate %q lacks keyCertSign", c.Subject)
		}
	}
	return path, nil
}

// parseItem decodes an IssuerSignedItemBytes (tag 24) and checks its
// members (§8.3.2.1.2.2, §9.1.2.5: random of at least 16 bytes).
func parseItem(raw []byte) (*issuerSignedItemWire, error) {
	var f itemFields
	if err := parseItemFields(raw, &f); err != nil {
		return nil, err
	}
	return f.wire(), nil
}

// parseItemFields is parseItem into f, aliasing raw.
func parseItemFields(raw []byte, f *itemFields) error {
	inner, err := strictcbor.UnwrapTag24(raw)
	if err != nil {
		return err
	}
	if err := readIssuerSignedItem(inner, f); err != nil {
		return err
	}
	if !f.hasID || len(f.name) == 0 || len(f.value) == 0 {
		return errorf(ErrMalformed, "IssuerSignedItem lacks digestID, elementIdentifier or elementValue")
	}
	if len(f.random) < 16 {
		return errorf(ErrMalformed, "IssuerSignedItem random of %d bytes, need at least 16", len(f.random))
	}
	return nil
}

// arenaSize guesses how many bytes the element identifiers and text values
// of items take: what an item has beyond its fixed members (the tag-24,
// map and string heads, the four keys, a 5-byte digestID and a 32-byte
// random, ikdkit's, take about 88), at most 64 bytes an item, so that a
// large byte-string element (a portrait) does not inflate it. A wrong
// guess only costs a reallocation in appendString.
func arenaSize(items []rawItem) int {
	n := 0
	for _, it := range items {
		n += min(max(len(it)-88, 8), 64)
	}
	return n
}

// appendString copies b to the end of *arena and returns the copy as a
// string sharing the arena's memory, so that the identifiers and text
// values of a namespace take one allocation rather than one each. Bytes
// already in the arena are never written again (append writes only past
// len, and a reallocation leaves the old array as it was), so the strings
// stay immutable.
func appendString(arena *[]byte, b []byte) string {
	if len(b) == 0 {
		return ""
	}
	at := len(*arena)
	*arena = append(*arena, b...)
	return unsafe.String(&(*arena)[at], len(b))
}

// elementValue decodes an element value that the pre-pass of its
// enclosing item (with elementTags) has already accepted, as checkedValue
// does; a text string is copied into the arena and boxed from texts.
func elementValue(raw []byte, arena *[]byte, texts *box.Slab[string]) (any, error) {
	if len(raw) == 0 || raw[0]>>5 != strictcbor.MajorText {
		return checkedValue(raw)
	}
	w := newWalker(raw)
	b, err := w.TextBytes()
	if err == nil && !w.Done() {
		err = errorf(ErrMalformed, "%d trailing bytes", w.Rest())
	}
	if err != nil {
		return nil, err
	}
	return texts.Box(appendString(arena, b)), nil
}

// parseMSOPayload decodes the tag-24 MobileSecurityObject carried as the
// issuerAuth payload and checks its members (§9.1.2.4).
func parseMSOPayload(payload []byte) (*msoWire, error) {
	if err := strictcbor.Check(payload, tagEncodedCBOR); err != nil {
		return nil, err
	}
	inner, err := strictcbor.UnwrapTag24(payload)
	if err != nil {
		return nil, err
	}
	mso, err := parseMSO(inner)
	if err != nil {
		return nil, err
	}
	if mso.Version != "1.0" {
		return nil, errorf(ErrMalformed, "MSO version %q", mso.Version)
	}
	h, ok := digestHash(mso.DigestAlgorithm)
	if !ok {
		return nil, errorf(ErrUnsupportedAlgorithm, "MSO digestAlgorithm %q", mso.DigestAlgorithm)
	}
	if mso.DocType == "" || len(mso.ValueDigests) == 0 || len(mso.DeviceKeyInfo.DeviceKey) == 0 {
		return nil, errorf(ErrMalformed, "MSO lacks docType, valueDigests or deviceKey")
	}
	for ns, ds := range mso.ValueDigests {
		for id, d := range ds {
			if len(d) != h.Size() {
				return nil, errorf(ErrMalformed, "digest %d in %q has %d bytes", id, ns, len(d))
			}
		}
	}
	vi := mso.ValidityInfo
	if vi.Signed.IsZero() || vi.ValidFrom.IsZero() || vi.ValidUntil.IsZero() || !vi.ValidUntil.After(vi.ValidFrom) {
		return nil, errorf(ErrMalformed, "MSO validityInfo incomplete or empty window")
	}
	if mso.Status != nil && (mso.Status.StatusList == nil || mso.Status.StatusList.Idx == nil || mso.Status.StatusList.URI == "") {
		return nil, errorf(ErrMalformed, "MSO status without status_list idx and uri")
	}
	return mso, nil
}

// deviceAuthenticationBytes builds DeviceAuthenticationBytes = #6.24(bstr
// .cbor ["DeviceAuthentication", SessionTranscript, DocType,
// DeviceNameSpacesBytes]) (§9.1.3.4), embedding the transcript and the
// DeviceNameSpacesBytes exactly as given.
func deviceAuthenticationBytes(transcript []byte, docType string, deviceNameSpacesBytes []byte) ([]byte, error) {
	const context = "DeviceAuthentication"
	var scratch [9]byte
	inner := 1 + 1 + len(context) + len(transcript) +
		len(strictcbor.AppendHead(scratch[:0], 3, uint64(len(docType)))) + len(docType) + len(deviceNameSpacesBytes)
	b := make([]byte, 0, strictcbor.MaxTag24Head+inner)
	b = strictcbor.AppendTag24Head(b, inner)
	b = append(b, 0x84)
	b = strictcbor.AppendHead(b, 3, uint64(len(context)))
	b = append(b, context...)
	b = append(b, transcript...)
	b = strictcbor.AppendHead(b, 3, uint64(len(docType)))
	b = append(b, docType...)
	return append(b, deviceNameSpacesBytes...), nil
}

// digestMatches reports, in constant time, whether the hash h of data is
// want. The sum stays on the stack.
func digestMatches(h crypto.Hash, data, want []byte) bool {
	var sum []byte
	switch h {
	case crypto.SHA256:
		s := sha256.Sum256(data)
		return subtle.ConstantTimeCompare(s[:], want) == 1
	case crypto.SHA384:
		s := sha512.Sum384(data)
		return subtle.ConstantTimeCompare(s[:], want) == 1
	case crypto.SHA512:
		s := sha512.Sum512(data)
		return subtle.ConstantTimeCompare(s[:], want) == 1
	default:
		hh := h.New()
		hh.Write(data)
		sum = hh.Sum(nil)
	}
	return subtle.ConstantTimeCompare(sum, want) == 1
}

// checkTranscript requires a caller's SessionTranscript to be one
// well-formed CBOR item with definite lengths, within the nesting and
// container caps (any tag is allowed: it embeds tag-24 structures).
func checkTranscript(t []byte) error {
	return strictcbor.Wellformed(t)
}

// parseDeviceNameSpaces decodes the content of DeviceNameSpacesBytes
// (§8.3.2.1.2.2: {* NameSpace => {+ DataElementIdentifier =>
// DataElementValue}}); element values may carry tags 0 and 1004.
func parseDeviceNameSpaces(inner []byte) (map[string]map[string]rawItem, error) {
	w, err := start(inner, elementTags...)
	if err != nil {
		return nil, err
	}
	if w.Nil() {
		return nil, nil
	}
	n, err := w.Container(5, "a map")
	if err != nil || n == 0 {
		return nil, err
	}
	out := make(map[string]map[string]rawItem, n)
	for i := 0; i < n; i++ {
		ns, err := w.text()
		if err != nil {
			return nil, err
		}
		if _, dup := out[ns]; dup {
			return nil, errorf(ErrMalformed, "duplicate map key %q", ns)
		}
		if w.Nil() {
			out[ns] = nil
			continue
		}
		m, err := w.Container(5, "a map")
		if err != nil {
			return nil, err
		}
		elems := make(map[string]rawItem, m)
		for j := 0; j < m; j++ {
			name, err := w.text()
			if err != nil {
				return nil, err
			}
			if _, dup := elems[name]; dup {
				return nil, errorf(ErrMalformed, "duplicate map key %q", name)
			}
			if elems[name], err = w.Raw(); err != nil {
				return nil, err
			}
		}
		out[ns] = elems
	}
	return out, nil
}

// verifyDeviceAuth checks deviceSigned (ISO 18013-5 §9.1.3) and returns
// the method, the authorized device-signed elements and the
// DeviceAuthenticationBytes that were authenticated.
func verifyDeviceAuth(ds *deviceSignedWire, mso *msoWire, deviceKey crypto.PublicKey, docType string, opts VerifyOptions) (DeviceAuthMethod, map[string]map[string]any, []byte, check.Check, error) {
	if !strictcbor.IsTag24(ds.NameSpaces) {
		return 0, nil, nil, check.Format, errorf(ErrMalformed, "deviceSigned.nameSpaces is not tag 24")
	}
	inner, err := strictcbor.UnwrapTag24(ds.NameSpaces)
	if err != nil {
		return 0, nil, nil, check.Format, err
	}
	devNS, err := parseDeviceNameSpaces(inner)
	if err != nil {
		return 0, nil, nil, check.Format, err
	}
	dab, err := deviceAuthenticationBytes(opts.SessionTranscript, docType, ds.NameSpaces)
	if err != nil {
		return 0, nil, nil, check.Format, err
	}
	sig, mac := ds.DeviceAuth.DeviceSignature, ds.DeviceAuth.DeviceMac
	var method DeviceAuthMethod
	switch {
	case len(sig) > 0 && len(mac) > 0:
		return 0, nil, nil, check.Format, errorf(ErrMalformed, "both deviceSignature and deviceMac")
	case len(sig) > 0:
		method = DeviceSignature
		m, err := cose.ParseSign1(sig, cose.Untagged)
		if err != nil {
			return 0, nil, nil, check.HolderBinding, err
		}
		// §9.1.3.4: the payload is detached (null).
		if !m.Detached {
			return 0, nil, nil, check.HolderBinding, errorf(ErrMalformed, "deviceSignature payload must be null")
		}
		// The algorithm is the MSO device key's (internal/cose).
		if err := m.VerifyDetached(deviceKey, dab, nil); err != nil {
			return 0, nil, nil, check.HolderBinding, err
		}
	case len(mac) > 0:
		method = DeviceMAC
		m, err := cose.ParseMac0(mac, cose.Untagged)
		if err != nil {
			return 0, nil, nil, check.HolderBinding, err
		}
		if !m.Detached {
			return 0, nil, nil, check.HolderBinding, errorf(ErrMalformed, "deviceMac payload must be null")
		}
		key, err := eMacKey(deviceKey, opts)
		if err != nil {
			return 0, nil, nil, check.HolderBinding, err
		}
		// §9.1.3.5: HMAC 256/256 with EMacKey, the only MAC internal/cose accepts.
		if err := m.VerifyDetached(key, dab, nil); err != nil {
			return 0, nil, nil, check.HolderBinding, err
		}
	default:
		return 0, nil, nil, check.Format, errorf(ErrMalformed, "deviceAuth has neither deviceSignature nor deviceMac")
	}

	// §9.1.2.4 keyAuthorizations: device-signed elements need authorization.
	out := map[string]map[string]any{}
	for ns, elems := range devNS {
		for name, raw := range elems {
			if !authorized(mso.DeviceKeyInfo.KeyAuthorizations, ns, name) {
				return 0, nil, nil, check.HolderBinding, errorf(ErrDeviceAuth, "device-signed element %q in %q not authorized by the MSO", name, ns)
			}
			v, err := checkedValue(raw)
			if err != nil {
				return 0, nil, nil, check.Format, err
			}
			if out[ns] == nil {
				out[ns] = map[string]any{}
			}
			out[ns][name] = v
		}
	}
	return method, out, dab, 0, nil
}

func authorized(ka *keyAuthorizationsWire, ns, name string) bool {
	if ka == nil {
		return false
	}
	for _, n := range ka.NameSpaces {
		if n == ns {
			return true
		}
	}
	for _, e := range ka.DataElements[ns] {
		if e == name {
			return true
		}
	}
	return false
}

// eMacKey derives EMacKey = HKDF-SHA-256(ECDH(EReaderKey.priv,
// SDeviceKey.pub), salt = SHA-256(SessionTranscriptBytes), info "EMacKey",
// 32 bytes) (§9.1.3.5 with §9.1.1.4).
func eMacKey(deviceKey crypto.PublicKey, opts VerifyOptions) ([]byte, error) {
	if opts.ReaderKey == nil {
		return nil, errorf(ErrDeviceAuth, "deviceMac needs VerifyOptions.ReaderKey")
	}
	ek, ok := deviceKey.(*ecdsa.PublicKey)
	if !ok {
		return nil, errorf(ErrDeviceAuth, "deviceMac needs an EC device key, got %T", deviceKey)
	}
	pub, err := ek.ECDH()
	if err != nil {
		return nil, errorf(ErrDeviceAuth, "device key: %v", err)
	}
	if pub.Curve() != opts.ReaderKey.Curve() {
		return nil, errorf(ErrDeviceAuth, "reader key and device key are on different curves")
	}
	z, err := opts.ReaderKey.ECDH(pub)
	if err != nil {
		return nil, errorf(ErrDeviceAuth, "ECDH: %v", err)
	}
	salt := sha256.Sum256(strictcbor.WrapTag24(opts.SessionTranscript))
	return hkdf.Key(sha256.New, z, salt[:], "EMacKey", 32)
}

// check applies the validity window (§9.3.1) at at.
func (v ValidityInfo) check(at time.Time) error {
	if at.Before(v.ValidFrom) {
		return errorf(ErrNotYetValid, "valid from %v", v.ValidFrom)
	}
	if at.After(v.ValidUntil) {
		return errorf(ErrExpired, "valid until %v", v.ValidUntil)
	}
	return nil
}
