package mdoc

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"slices"

	"github.com/ikdkit/ikdkit/internal/cose"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// Detaching the document signer chains, for carriers too small for them
// (ikdkit's offline QR, docs/qr-format.md §4.2): the x5chain of each
// issuerAuth sits in its unprotected header (ISO 18013-5 §9.1.2.4), which
// the signature does not cover, so it can be replaced by a reference and
// put back without touching anything signed or digested.

// The reference is an RFC 9360 §2 x5t, COSE_CertHash = [hashAlg, hashValue],
// with SHA-256/64 (RFC 9054 §2.1, COSE algorithm -15): the first 8 bytes of
// SHA-256 over the DS certificate's DER.
const (
	algSHA256Trunc64 = -15
	x5tSize          = 8
)

// Member names of the structures the chains are detached from (ISO 18013-5
// §8.3.2.1.2.2); the typed decoders of wire.go accept the same sets.
var (
	deviceResponseMembers = []string{"version", "documents", "documentErrors", "status"}
	documentMembers       = []string{"docType", "issuerSigned", "deviceSigned", "errors"}
	issuerSignedMembers   = []string{"nameSpaces", "issuerAuth"}
)

// DetachChains returns deviceResponse with the x5chain (RFC 9360 §2, label
// 33) in each document's issuerAuth unprotected header replaced by an x5t
// (label 34): [-15, SHA-256/64 of the document signer certificate's DER].
// Nothing signed or digested changes; the DeviceResponse, each Document,
// its IssuerSigned and the unprotected header are re-encoded in the core
// deterministic order (RFC 8949 §4.2.1) and every other item is kept byte
// for byte. Use [AttachChains] to restore the chains before [Verify].
//
// The DeviceResponse is decoded with the rules and caps of [Verify]; a
// document whose issuerAuth has no x5chain in its unprotected header fails
// with ErrMalformed.
func DetachChains(deviceResponse []byte) ([]byte, error) {
	out, err := rewriteUnprotected(deviceResponse, func(u []headerParam) ([]headerParam, error) {
		i := findLabel(u, cose.HeaderX5Chain)
		if i < 0 {
			return nil, errorf(ErrMalformed, "issuerAuth has no x5chain in its unprotected header")
		}
		leaf, err := chainLeaf(u[i].value)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(leaf)
		x5t := append([]byte{0x82, 0x2e}, strictcbor.AppendBytes(nil, sum[:x5tSize])...)
		u = slices.Delete(u, i, i+1)
		if j := findLabel(u, cose.HeaderX5T); j >= 0 {
			u[j].value = x5t
			return u, nil
		}
		return append(u, headerParam{label: labelOf(cose.HeaderX5T), value: x5t}), nil
	})
	return out, wrap(err)
}

// AttachChains reverses [DetachChains]: for the x5t of each document it
// asks resolve for the certificate chain (document signer first; typically
// from the verifier's trust list), checks that the document signer has that
// x5t, and puts the chain back as the x5chain. An x5t that is not
// [-15, 8-byte bstr], or an issuerAuth with both x5t and x5chain, fails
// with ErrMalformed; a resolver error (kept as the cause) or a chain whose
// document signer does not match fails with ErrUntrustedIssuer. The chain
// is not validated here: [Verify] does that.
func AttachChains(deviceResponse []byte, resolve func(x5t []byte) ([]*x509.Certificate, error)) ([]byte, error) {
	if resolve == nil {
		return nil, errorf(ErrInvalidArgument, "AttachChains needs a resolver")
	}
	out, err := rewriteUnprotected(deviceResponse, func(u []headerParam) ([]headerParam, error) {
		i := findLabel(u, cose.HeaderX5T)
		if i < 0 {
			return nil, errorf(ErrMalformed, "issuerAuth has no x5t")
		}
		if findLabel(u, cose.HeaderX5Chain) >= 0 {
			return nil, errorf(ErrMalformed, "both x5t and x5chain present")
		}
		ref, err := parseX5T(u[i].value)
		if err != nil {
			return nil, err
		}
		chain, err := resolve(ref)
		if err != nil {
			return nil, &failure{err: ErrUntrustedIssuer, detail: "no chain for x5t " + hexString(ref), cause: err}
		}
		if len(chain) == 0 || chain[0] == nil {
			return nil, errorf(ErrUntrustedIssuer, "no chain for x5t %x", ref)
		}
		if len(chain) > MaxChainLength {
			return nil, errorf(ErrTooLarge, "chain of %d certificates, limit %d", len(chain), MaxChainLength)
		}
		if sum := sha256.Sum256(chain[0].Raw); !bytes.Equal(sum[:x5tSize], ref) {
			return nil, errorf(ErrUntrustedIssuer, "resolved chain does not match x5t %x", ref)
		}
		var x5chain []byte
		if len(chain) == 1 {
			x5chain = strictcbor.AppendBytes(nil, chain[0].Raw)
		} else {
			x5chain = strictcbor.AppendHead(nil, strictcbor.MajorArray, uint64(len(chain)))
			for _, c := range chain {
				x5chain = strictcbor.AppendBytes(x5chain, c.Raw)
			}
		}
		u[i] = headerParam{label: labelOf(cose.HeaderX5Chain), value: x5chain}
		return u, nil
	})
	return out, wrap(err)
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&0xf])
	}
	return string(out)
}

// parseX5T decodes COSE_CertHash [-15, bstr .size 8] (RFC 9360 §2).
func parseX5T(raw []byte) ([]byte, error) {
	w := newWalker(raw)
	if n, err := w.Container(strictcbor.MajorArray, "an array"); err != nil || n != 2 {
		return nil, errorf(ErrMalformed, "x5t is not [hashAlg, hashValue]")
	}
	alg, err := w.Int()
	if err != nil || alg != algSHA256Trunc64 {
		return nil, errorf(ErrMalformed, "x5t must be SHA-256/64 (alg -15)")
	}
	ref, err := w.Bytes()
	if err != nil || len(ref) != x5tSize || !w.Done() {
		return nil, errorf(ErrMalformed, "x5t hash must be a byte string of %d bytes", x5tSize)
	}
	return ref, nil
}

// chainLeaf returns the first certificate of an x5chain value (RFC 9360
// §2: a bstr, or an array of bstr with the end entity first).
func chainLeaf(raw []byte) ([]byte, error) {
	w := newWalker(raw)
	if b, err := w.Peek(); err == nil && b>>5 == strictcbor.MajorBytes {
		return w.Bytes()
	}
	n, err := w.Container(strictcbor.MajorArray, "a byte string or an array")
	if err != nil || n == 0 {
		return nil, errorf(ErrMalformed, "x5chain is neither a bstr nor an array of bstr")
	}
	return w.Bytes()
}

// headerParam is a COSE header parameter as received: the encoded label
// and the encoded value.
type headerParam struct {
	label, value []byte
}

func labelOf(l int64) []byte { return strictcbor.AppendInt(nil, l) }

func findLabel(u []headerParam, l int64) int {
	var buf [9]byte
	want := strictcbor.AppendInt(buf[:0], l)
	for i, p := range u {
		if bytes.Equal(p.label, want) {
			return i
		}
	}
	return -1
}

// member is a member of a map as received: the encoded key and value.
type member struct {
	key, value []byte
}

// rawMembers reads a map whose text keys must be among known (ISO 18013-5
// structures are closed: an unknown member is malformed), and returns its
// members with the keys re-encoded in preferred form and the values as
// received. Duplicate keys are rejected (RFC 8949 §5.6).
func (w *walker) rawMembers(known []string) ([]member, error) {
	var ms []member
	err := w.members(func(k []byte) (bool, error) {
		if !slices.Contains(known, string(k)) {
			return false, nil
		}
		v, err := w.Raw()
		ms = append(ms, member{key: strictcbor.AppendText(nil, string(k)), value: v})
		return true, err
	})
	return ms, err
}

// memberIndex returns the index of the member named name, or -1.
func memberIndex(ms []member, name string) int {
	var buf [32]byte
	key := strictcbor.AppendText(buf[:0], name)
	for i, m := range ms {
		if bytes.Equal(m.key, key) {
			return i
		}
	}
	return -1
}

// rewriteUnprotected walks DeviceResponse → documents[i] → issuerSigned →
// issuerAuth (ISO 18013-5 §8.3.2.1.2.2) and replaces each issuerAuth's
// unprotected header by fn of it, re-encoding the maps on that path
// deterministically.
func rewriteUnprotected(dr []byte, fn func([]headerParam) ([]headerParam, error)) ([]byte, error) {
	w, err := start(dr, tagEncodedCBOR)
	if err != nil {
		return nil, err
	}
	resp, err := w.rawMembers(deviceResponseMembers)
	if err != nil {
		return nil, err
	}
	di := memberIndex(resp, "documents")
	if di < 0 {
		return nil, errorf(ErrNoDocuments, "documents absent")
	}
	dw := newWalker(resp[di].value)
	n, err := dw.Container(strictcbor.MajorArray, "an array")
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errorf(ErrNoDocuments, "documents empty")
	}
	if n > MaxDocuments {
		return nil, errorf(ErrTooLarge, "%d documents, limit %d", n, MaxDocuments)
	}
	docs := strictcbor.AppendHead(make([]byte, 0, len(resp[di].value)+64), strictcbor.MajorArray, uint64(n))
	for range n {
		raw, err := dw.Raw()
		if err != nil {
			return nil, err
		}
		if docs, err = rewriteDocument(docs, raw, fn); err != nil {
			return nil, err
		}
	}
	resp[di].value = docs
	return appendMap(make([]byte, 0, len(dr)+len(docs)), resp), nil
}

// rewriteDocument appends the Document raw with its issuerAuth's
// unprotected header replaced by fn of it.
func rewriteDocument(b, raw []byte, fn func([]headerParam) ([]headerParam, error)) ([]byte, error) {
	w := newWalker(raw)
	doc, err := w.rawMembers(documentMembers)
	if err != nil {
		return nil, err
	}
	si := memberIndex(doc, "issuerSigned")
	if si < 0 {
		return nil, errorf(ErrMalformed, "document without issuerSigned")
	}
	iw := newWalker(doc[si].value)
	is, err := iw.rawMembers(issuerSignedMembers)
	if err != nil {
		return nil, err
	}
	ai := memberIndex(is, "issuerAuth")
	if ai < 0 {
		return nil, errorf(ErrMalformed, "issuerSigned without issuerAuth")
	}
	auth := is[ai].value
	// RFC 9052 §4.2 (internal/cose): a well-formed untagged COSE_Sign1 with
	// unique header labels.
	if _, err := cose.ParseSign1(auth, cose.Untagged); err != nil {
		return nil, err
	}
	aw := newWalker(auth)
	if _, err := aw.Container(strictcbor.MajorArray, "an array"); err != nil {
		return nil, err
	}
	var parts [4][]byte
	for i := range parts {
		if parts[i], err = aw.Raw(); err != nil {
			return nil, err
		}
	}
	u, err := readParams(parts[1])
	if err != nil {
		return nil, err
	}
	if u, err = fn(u); err != nil {
		return nil, err
	}
	na := append(make([]byte, 0, len(auth)+64), 0x84)
	na = append(na, parts[0]...)
	na = appendParams(na, u)
	na = append(append(na, parts[2]...), parts[3]...)
	is[ai].value = na
	doc[si].value = appendMap(nil, is)
	return appendMap(b, doc), nil
}

// readParams reads a header map (RFC 9052 §3: int or text labels, unique,
// which internal/cose has checked) with the labels re-encoded in preferred
// form and the values as received.
func readParams(raw []byte) ([]headerParam, error) {
	w := newWalker(raw)
	n, err := w.Container(strictcbor.MajorMap, "a map")
	if err != nil {
		return nil, err
	}
	u := make([]headerParam, 0, n+1)
	for range n {
		ib, err := w.Peek()
		if err != nil {
			return nil, err
		}
		var label []byte
		if ib>>5 == strictcbor.MajorText {
			t, err := w.TextBytes()
			if err != nil {
				return nil, err
			}
			label = strictcbor.AppendText(nil, string(t))
		} else {
			l, err := w.Int()
			if err != nil {
				return nil, err
			}
			label = labelOf(l)
		}
		v, err := w.Raw()
		if err != nil {
			return nil, err
		}
		u = append(u, headerParam{label: label, value: v})
	}
	return u, nil
}

// appendParams appends a header map in the core deterministic order.
func appendParams(b []byte, u []headerParam) []byte {
	slices.SortFunc(u, func(x, y headerParam) int { return bytes.Compare(x.label, y.label) })
	b = strictcbor.AppendHead(b, strictcbor.MajorMap, uint64(len(u)))
	for _, p := range u {
		b = append(append(b, p.label...), p.value...)
	}
	return b
}

// appendMap appends a map of the given encoded keys and values in the core
// deterministic order (RFC 8949 §4.2.1: bytewise order of the encoded
// keys).
func appendMap(b []byte, ms []member) []byte {
	slices.SortFunc(ms, func(x, y member) int { return bytes.Compare(x.key, y.key) })
	b = strictcbor.AppendHead(b, strictcbor.MajorMap, uint64(len(ms)))
	for _, m := range ms {
		b = append(append(b, m.key...), m.value...)
	}
	return b
}

// DocTypes reads the docType of each document of a DeviceResponse, in
// order, with the decoders and caps of [Verify] but WITHOUT verifying
// anything: the names are what the sender claims. It is for choosing a
// configuration before verification (which trust anchors to offer), never
// for trusting a document.
func DocTypes(deviceResponse []byte) ([]string, error) {
	if len(deviceResponse) > MaxMessageSize {
		return nil, errorf(ErrTooLarge, "%d bytes, limit %d", len(deviceResponse), MaxMessageSize)
	}
	resp, err := parseDeviceResponse(deviceResponse)
	if err != nil {
		return nil, err
	}
	if len(resp.Documents) > MaxDocuments {
		return nil, errorf(ErrTooLarge, "%d documents, limit %d", len(resp.Documents), MaxDocuments)
	}
	out := make([]string, 0, len(resp.Documents))
	for _, raw := range resp.Documents {
		d, err := parseDocument(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, d.DocType)
	}
	return out, nil
}
