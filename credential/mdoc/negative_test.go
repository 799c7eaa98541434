package mdoc

import (
	"bytes"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/internal/cose"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
	"github.com/ikdkit/ikdkit/keys"
)

func newFixture(t *testing.T) (*testPKI, *IssuerSigned, []byte, func() VerifyOptions) {
	t.Helper()
	pki := newPKI(t)
	device := newECKey(t, elliptic.P256())
	cred := issueKTP(t, pki, device.Public())
	resp, err := Present(cred, threeElements, PresentOptions{SessionTranscript: testTranscript, DeviceKey: keys.Opaque(device)})
	if err != nil {
		t.Fatal(err)
	}
	return pki, cred, resp, func() VerifyOptions { return verifyOpts(pki) }
}

// editDoc decodes resp, lets f change its single document and re-encodes.
func editDoc(t *testing.T, resp []byte, f func(d *documentWire)) []byte {
	t.Helper()
	var r deviceResponseWire
	if err := decode(decMode, resp, &r, tagEncodedCBOR); err != nil {
		t.Fatal(err)
	}
	var d documentWire
	if err := decode(decMode, r.Documents[0], &d, tagEncodedCBOR); err != nil {
		t.Fatal(err)
	}
	f(&d)
	raw, err := marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	r.Documents[0] = raw
	out, err := marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// editItem re-encodes item i of the KTP namespace after f changes it.
func editItem(t *testing.T, d *documentWire, i int, f func(it *issuerSignedItemWire)) {
	t.Helper()
	items := d.IssuerSigned.NameSpaces[ktpDocType]
	it, err := parseItem(items[i])
	if err != nil {
		t.Fatal(err)
	}
	f(it)
	inner, err := marshal(it)
	if err != nil {
		t.Fatal(err)
	}
	items[i] = strictcbor.WrapTag24(inner)
}

// editIssuerAuth re-encodes issuerAuth after f changes it.
func editIssuerAuth(t *testing.T, d *documentWire, f func(m *coseMessage)) {
	t.Helper()
	m := parseCOSEParts(t, d.IssuerSigned.IssuerAuth)
	f(m)
	var err error
	d.IssuerSigned.IssuerAuth, err = marshal(m)
	if err != nil {
		t.Fatal(err)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyRejects(t *testing.T) {
	pki, _, resp, opts := newFixture(t)
	device2 := newECKey(t, elliptic.P256())
	otherTranscript, _ := OpenID4VPSessionTranscript("other", "n", nil, "https://x")

	// A DS certificate from a different root, and DS certificates that
	// violate the Annex B profile.
	other := newPKI(t)
	noEKU := newCert(t, "DS no EKU", pki.dsKey.Public(), pki.root, pki.rootKey, certOpts{
		notBefore: testNow.AddDate(-1, 0, 0), notAfter: testNow.AddDate(1, 0, 0), keyUsage: x509.KeyUsageDigitalSignature,
	})
	noDigSig := newCert(t, "DS no digitalSignature", pki.dsKey.Public(), pki.root, pki.rootKey, certOpts{
		notBefore: testNow.AddDate(-1, 0, 0), notAfter: testNow.AddDate(1, 0, 0), keyUsage: x509.KeyUsageKeyAgreement, eku: true,
	})
	reissue := func(chain []*x509.Certificate, validUntil time.Time) []byte {
		t.Helper()
		iss := &Issuer{Signer: pki.dsKey, Chain: chain, Now: func() time.Time { return testNow }}
		c, err := iss.Issue(IssueRequest{DocType: ktpDocType, NameSpaces: ktpElements(), DeviceKey: device2.Public(), ValidUntil: validUntil})
		if err != nil {
			t.Fatal(err)
		}
		r, err := Present(c, threeElements, PresentOptions{SessionTranscript: testTranscript, DeviceKey: device2})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	withDevice := func(devNS map[string]map[string]any, attach bool) []byte {
		// A presentation with custom DeviceNameSpaces, correctly signed.
		t.Helper()
		inner := mustMarshal(t, devNS)
		nsBytes := strictcbor.WrapTag24(inner)
		dab, _ := deviceAuthenticationBytes(testTranscript, ktpDocType, nsBytes)
		return editDoc(t, reissue([]*x509.Certificate{pki.ds}, testNow.AddDate(0, 1, 0)), func(d *documentWire) {
			d.DeviceSigned.NameSpaces = nsBytes
			sig, err := sign1(nil, device2, nil, dab, !attach)
			if err != nil {
				t.Fatal(err)
			}
			d.DeviceSigned.DeviceAuth.DeviceSignature = sig
		})
	}
	// Presentations signed by device2 need a credential bound to device2.
	cred2Resp := reissue([]*x509.Certificate{pki.ds}, testNow.AddDate(0, 1, 0))

	tests := []struct {
		name  string
		resp  []byte
		opts  func(o *VerifyOptions)
		check check.Check
		err   error
	}{
		{"tampered element", editDoc(t, resp, func(d *documentWire) {
			editItem(t, d, 0, func(it *issuerSignedItemWire) { it.ElementValue = mustMarshal(t, "MALLORY") })
		}), nil, check.Disclosure, ErrDigestMismatch},
		{"tampered salt", editDoc(t, resp, func(d *documentWire) {
			editItem(t, d, 0, func(it *issuerSignedItemWire) { it.Random = append([]byte{it.Random[0] ^ 1}, it.Random[1:]...) })
		}), nil, check.Disclosure, ErrDigestMismatch},
		{"unknown digestID", editDoc(t, resp, func(d *documentWire) {
			editItem(t, d, 0, func(it *issuerSignedItemWire) { id := *it.DigestID ^ 0x40000000; it.DigestID = &id })
		}), nil, check.Disclosure, ErrDigestMismatch},
		{"namespace not in MSO", editDoc(t, resp, func(d *documentWire) {
			d.IssuerSigned.NameSpaces["org.iso.18013.5.1"] = d.IssuerSigned.NameSpaces[ktpDocType]
		}), nil, check.Disclosure, ErrDigestMismatch},
		{"duplicate digestID", editDoc(t, resp, func(d *documentWire) {
			items := d.IssuerSigned.NameSpaces[ktpDocType]
			d.IssuerSigned.NameSpaces[ktpDocType] = append(items, items[0])
		}), nil, check.Disclosure, ErrDuplicate},
		{"duplicate elementIdentifier", editDoc(t, resp, func(d *documentWire) {
			first, _ := parseItem(d.IssuerSigned.NameSpaces[ktpDocType][0])
			editItem(t, d, 1, func(it *issuerSignedItemWire) { it.ElementIdentifier = first.ElementIdentifier })
		}), nil, check.Disclosure, ErrDuplicate},
		{"short random", editDoc(t, resp, func(d *documentWire) {
			editItem(t, d, 0, func(it *issuerSignedItemWire) { it.Random = it.Random[:15] })
		}), nil, check.Format, ErrMalformed},
		{"docType differs from MSO", editDoc(t, resp, func(d *documentWire) { d.DocType = "org.iso.18013.5.1.mDL" }), nil, check.Disclosure, ErrDocTypeMismatch},
		{"docType not the one asked for", resp, func(o *VerifyOptions) { o.DocType = "org.iso.18013.5.1.mDL" }, check.Disclosure, ErrDocTypeMismatch},
		{"expired document", resp, func(o *VerifyOptions) { o.Now = func() time.Time { return testNow.AddDate(0, 0, 31) } }, check.Validity, ErrExpired},
		{"not yet valid", resp, func(o *VerifyOptions) { o.Now = func() time.Time { return testNow.Add(-time.Minute) } }, check.Validity, ErrNotYetValid},
		{"untrusted root", resp, func(o *VerifyOptions) { o.Roots = other.roots }, check.Trust, ErrUntrustedIssuer},
		{"DS certificate expired", resp, func(o *VerifyOptions) { o.Now = func() time.Time { return testNow.AddDate(2, 1, 0) } }, check.Trust, ErrUntrustedIssuer},
		{"DS without mdl EKU", reissue([]*x509.Certificate{noEKU}, testNow.AddDate(0, 1, 0)), nil, check.Trust, ErrUntrustedIssuer},
		{"DS without digitalSignature", reissue([]*x509.Certificate{noDigSig}, testNow.AddDate(0, 1, 0)), nil, check.Trust, ErrUntrustedIssuer},
		{"DS swapped for another trusted one", editDoc(t, resp, func(d *documentWire) {
			editIssuerAuth(t, d, func(m *coseMessage) { m.Unprotected[int64(cose.HeaderX5Chain)] = mustMarshal(t, noEKU.Raw) })
		}), nil, check.Trust, ErrUntrustedIssuer},
		{"issuer signature flipped", editDoc(t, resp, func(d *documentWire) {
			editIssuerAuth(t, d, func(m *coseMessage) { m.Signature = bytes.Clone(m.Signature); m.Signature[5] ^= 1 })
		}), nil, check.Signature, ErrInvalidSignature},
		{"issuer alg header not the key's", editDoc(t, resp, func(d *documentWire) {
			editIssuerAuth(t, d, func(m *coseMessage) { m.Protected = mustMarshal(t, map[int64]any{1: -35}) })
		}), nil, check.Signature, ErrUnsupportedAlgorithm},
		{"issuer crit header", editDoc(t, resp, func(d *documentWire) {
			editIssuerAuth(t, d, func(m *coseMessage) { m.Protected = mustMarshal(t, map[int64]any{1: -7, 2: []any{99}}) })
		}), nil, check.Format, ErrMalformed},
		{"issuerAuth tagged 18", editDoc(t, resp, func(d *documentWire) {
			d.IssuerSigned.IssuerAuth = mustMarshal(t, cbor.Tag{Number: 18, Content: cbor.RawMessage(d.IssuerSigned.IssuerAuth)})
		}), nil, check.Format, ErrMalformed},
		{"wrong transcript", resp, func(o *VerifyOptions) { o.SessionTranscript = otherTranscript }, check.HolderBinding, ErrInvalidSignature},
		{"device signature by another key", editDoc(t, resp, func(d *documentWire) {
			dab, _ := deviceAuthenticationBytes(testTranscript, ktpDocType, d.DeviceSigned.NameSpaces)
			d.DeviceSigned.DeviceAuth.DeviceSignature, _ = sign1(nil, device2, nil, dab, true)
		}), nil, check.HolderBinding, ErrInvalidSignature},
		{"device signature payload attached", editDoc(t, cred2Resp, func(d *documentWire) {
			dab, _ := deviceAuthenticationBytes(testTranscript, ktpDocType, d.DeviceSigned.NameSpaces)
			d.DeviceSigned.DeviceAuth.DeviceSignature, _ = sign1(nil, device2, nil, dab, false)
		}), nil, check.HolderBinding, ErrMalformed},
		{"device namespaces not authorized", withDevice(map[string]map[string]any{ktpDocType: {"name": "MALLORY"}}, false), nil, check.HolderBinding, ErrDeviceAuth},
		{"both deviceSignature and deviceMac", editDoc(t, resp, func(d *documentWire) {
			d.DeviceSigned.DeviceAuth.DeviceMac = d.DeviceSigned.DeviceAuth.DeviceSignature
		}), nil, check.Format, ErrMalformed},
		{"no device auth", editDoc(t, resp, func(d *documentWire) { d.DeviceSigned.DeviceAuth.DeviceSignature = nil }), nil, check.Format, ErrMalformed},
		{"no deviceSigned", editDoc(t, resp, func(d *documentWire) { d.DeviceSigned = nil }), nil, check.Format, ErrMalformed},
		{"device namespaces not tag 24", editDoc(t, resp, func(d *documentWire) { d.DeviceSigned.NameSpaces = []byte{0xa0} }), nil, check.Format, ErrMalformed},
		{"mac without reader key", editDoc(t, resp, func(d *documentWire) {
			d.DeviceSigned.DeviceAuth.DeviceMac = mustMarshal(t, []any{mustMarshal(t, map[int64]any{1: 5}), map[int64]any{}, nil, make([]byte, 32)})
			d.DeviceSigned.DeviceAuth.DeviceSignature = nil
		}), nil, check.HolderBinding, ErrDeviceAuth},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := opts()
			if tc.opts != nil {
				tc.opts(&o)
			}
			got, err := Verify(tc.resp, o)
			assertFail(t, got, err, tc.check, tc.err)
		})
	}
}

// TestVerifyRejectsEncoding covers the strict CBOR rules on the whole
// DeviceResponse.
func TestVerifyRejectsEncoding(t *testing.T) {
	_, _, resp, opts := newFixture(t)
	// resp starts with a3 (map of 3); "status" 0 is encoded as 66 737461747573 00.
	status := []byte{0x66, 's', 't', 'a', 't', 'u', 's', 0x00}
	if !bytes.Contains(resp, status) {
		t.Fatal("fixture layout changed")
	}
	dupKey := append([]byte{0xa4}, resp[1:]...)
	dupKey = append(dupKey, status...)
	indef := append([]byte{0xbf}, resp[1:]...)
	indef = append(indef, 0xff)
	tagged := append([]byte{0xd9, 0xd9, 0xf7}, resp...) // self-described CBOR tag 55799
	tests := []struct {
		name string
		in   []byte
		err  error
	}{
		{"empty", nil, ErrMalformed},
		{"duplicate map key", dupKey, ErrMalformed},
		{"indefinite length map", indef, ErrMalformed},
		{"unexpected tag", tagged, ErrMalformed},
		{"trailing byte", append(bytes.Clone(resp), 0x00), ErrMalformed},
		{"truncated", resp[:len(resp)-1], ErrMalformed},
		{"too large", make([]byte, MaxMessageSize+1), ErrTooLarge},
		{"too deep", bytes.Repeat([]byte{0x81}, MaxNestingDepth+2), ErrTooLarge},
		{"too many items", append([]byte{0x9a, 0, 1, 0, 0}, make([]byte, 65536)...), ErrTooLarge},
		{"wrong version", bytes.Replace(resp, []byte{0x63, '1', '.', '0'}, []byte{0x63, '2', '.', '0'}, 1), ErrMalformed},
		{"no status", bytes.Replace(resp, status, []byte{0x66, 's', 't', 'a', 't', 'u', 'x', 0x00}, 1), ErrMalformed},
		// An unknown member is ignored; the missing documents leave
		// nothing to verify, which is an error, not an empty success.
		{"wrong member case", bytes.Replace(resp, []byte("documents"), []byte("Documents"), 1), ErrMalformed},
		{"status general error", bytes.Replace(resp, status, append(bytes.Clone(status[:len(status)-1]), 0x0a), 1), ErrResponseStatus},
		{"status undefined", bytes.Replace(resp, status, append(bytes.Clone(status[:len(status)-1]), 0x01), 1), ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if bytes.Equal(tc.in, resp) {
				t.Fatal("test input is the valid response")
			}
			got, err := Verify(tc.in, opts())
			assertFail(t, got, err, check.Format, tc.err)
		})
	}
}

func TestVerifyArguments(t *testing.T) {
	_, _, resp, opts := newFixture(t)
	o := opts()
	o.Roots = nil
	_, err := Verify(resp, o)
	if !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("nil Roots: %v", err)
	}
	o = opts()
	o.SessionTranscript = []byte{0x83, 0xf6}
	if _, err := Verify(resp, o); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("malformed transcript: %v", err)
	}
}

func TestPresentRejects(t *testing.T) {
	pki := newPKI(t)
	device := newECKey(t, elliptic.P256())
	cred := issueKTP(t, pki, device.Public())
	_, err := Present(cred, map[string][]string{ktpDocType: {"name", "shoe_size"}}, PresentOptions{SessionTranscript: testTranscript, DeviceKey: keys.Opaque(device)})
	if !errors.Is(err, ErrElementNotFound) {
		t.Errorf("missing element: %v", err)
	}
	if _, err := Present(cred, threeElements, PresentOptions{DeviceKey: device}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("no transcript: %v", err)
	}
}

func TestIssueRejects(t *testing.T) {
	pki := newPKI(t)
	device := newECKey(t, elliptic.P256())
	good := func() (*Issuer, IssueRequest) {
		return &Issuer{Signer: pki.dsKey, Chain: []*x509.Certificate{pki.ds}},
			IssueRequest{DocType: ktpDocType, NameSpaces: ktpElements(), DeviceKey: device.Public(), ValidUntil: time.Now().Add(time.Hour)}
	}
	tests := []struct {
		name string
		mod  func(*Issuer, *IssueRequest)
		err  error
	}{
		{"no signer", func(i *Issuer, _ *IssueRequest) { i.Signer = nil }, ErrInvalidArgument},
		{"no chain", func(i *Issuer, _ *IssueRequest) { i.Chain = nil }, ErrInvalidArgument},
		{"no docType", func(_ *Issuer, r *IssueRequest) { r.DocType = "" }, ErrInvalidArgument},
		{"no device key", func(_ *Issuer, r *IssueRequest) { r.DeviceKey = nil }, ErrInvalidArgument},
		{"window ends before it starts", func(_ *Issuer, r *IssueRequest) { r.ValidUntil = time.Now().Add(-time.Hour) }, ErrInvalidArgument},
		{"MD5 digest", func(i *Issuer, _ *IssueRequest) { i.DigestAlgorithm = 2 }, ErrUnsupportedAlgorithm},
		{"unencodable value", func(_ *Issuer, r *IssueRequest) { r.NameSpaces[ktpDocType]["x"] = make(chan int) }, ErrInvalidArgument},
		{"status without URI", func(_ *Issuer, r *IssueRequest) { r.Status = &StatusReference{Index: 1} }, ErrInvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			i, r := good()
			tc.mod(i, &r)
			if _, err := i.Issue(r); !errors.Is(err, tc.err) {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
		})
	}
}

func TestDigestIDsRandom(t *testing.T) {
	pki := newPKI(t)
	device := newECKey(t, elliptic.P256())
	cred := issueKTP(t, pki, device.Public())
	var ids []uint64
	for _, raw := range cred.nameSpaces[ktpDocType] {
		it, err := parseItem(raw)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, *it.DigestID)
	}
	// Sequential IDs would be 0..n-1; random ones below 2^31 almost
	// never all fall under 1000.
	small := 0
	for _, id := range ids {
		if id < 1000 {
			small++
		}
	}
	if small == len(ids) {
		t.Fatalf("digest IDs look sequential: %v", ids)
	}
}

func TestParseIssuerSignedRejects(t *testing.T) {
	pki := newPKI(t)
	device := newECKey(t, elliptic.P256())
	good, err := issueKTP(t, pki, device.Public()).MarshalCBOR()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseIssuerSigned(good); err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{
		"empty":         nil,
		"trailing byte": append(bytes.Clone(good), 0),
		"unknown field": bytes.Replace(good, []byte("nameSpaces"), []byte("nameSpaceX"), 1),
		"not a map":     {0x80},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseIssuerSigned(in); !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestFullDate(t *testing.T) {
	for _, s := range []string{"2024-02-30", "2024-2-03", "24-02-03", "2024-02-03T00:00:00Z", ""} {
		if _, err := ParseFullDate(s); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseFullDate(%q) = %v", s, err)
		}
	}
	d, err := ParseFullDate("1995-08-17")
	if err != nil || d.String() != "1995-08-17" {
		t.Fatalf("%v %v", d, err)
	}
	b, _ := d.MarshalCBOR()
	if hex.EncodeToString(b) != "d903ec6a313939352d30382d3137" {
		t.Errorf("encoding %x", b)
	}
}
