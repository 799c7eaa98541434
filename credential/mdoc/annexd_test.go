package mdoc

import (
	"bytes"
	"crypto/ecdh"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

const annexDDir = "../../testdata/mdoc/annex-d/"

// annexDTime is inside every validity window of the Annex D material (its
// DS certificate expired 2021-10-01).
var annexDTime = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)

func readHex(t testing.TB, name string) []byte {
	t.Helper()
	s, err := os.ReadFile(annexDDir + name)
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(s)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type annexDKeys struct {
	EphemeralReader struct {
		D string `json:"d_hex"`
	} `json:"ephemeral_reader_key"`
}

// annexD returns the DeviceResponse and the options that verify it.
func annexD(t testing.TB) ([]byte, VerifyOptions) {
	t.Helper()
	resp := readHex(t, "device_response.hex")
	stb := readHex(t, "session_transcript_bytes.hex")
	transcript, err := strictcbor.UnwrapTag24(stb)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := x509.ParseCertificate(readHex(t, "document_signer_cert.der.hex"))
	if err != nil {
		t.Fatal(err)
	}
	// The IACA root is not public: pin the DS certificate as the anchor.
	roots := x509.NewCertPool()
	roots.AddCert(ds)
	kj, err := os.ReadFile(annexDDir + "keys.json")
	if err != nil {
		t.Fatal(err)
	}
	var keys annexDKeys
	if err := json.Unmarshal(kj, &keys); err != nil {
		t.Fatal(err)
	}
	d, _ := hex.DecodeString(keys.EphemeralReader.D)
	rk, err := ecdh.P256().NewPrivateKey(d)
	if err != nil {
		t.Fatal(err)
	}
	return resp, VerifyOptions{
		Roots:             roots,
		SessionTranscript: transcript,
		ReaderKey:         rk,
		Now:               func() time.Time { return annexDTime },
	}
}

func TestAnnexDSessionTranscriptBytes(t *testing.T) {
	// Our tag-24 re-wrap must reproduce SessionTranscriptBytes exactly,
	// since the EMacKey salt hashes it.
	stb := readHex(t, "session_transcript_bytes.hex")
	inner, err := strictcbor.UnwrapTag24(stb)
	if err != nil {
		t.Fatal(err)
	}
	again := strictcbor.WrapTag24(inner)
	if !bytes.Equal(again, stb) {
		t.Fatal("tag-24 re-wrap differs from SessionTranscriptBytes")
	}
}

func TestAnnexDDeviceResponse(t *testing.T) {
	resp, opts := annexD(t)
	got, err := Verify(resp, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version() != "1.0" || len(got.Documents()) != 1 {
		t.Fatalf("response = %+v", got)
	}
	doc := got.Documents()[0]
	if doc.DocType() != "org.iso.18013.5.1.mDL" {
		t.Errorf("docType = %q", doc.DocType())
	}
	if doc.DeviceAuth() != DeviceMAC {
		t.Errorf("device auth = %v, want deviceMac", doc.DeviceAuth())
	}
	ns := doc.NameSpaces()["org.iso.18013.5.1"]
	if len(ns) != 6 || len(doc.NameSpaces()) != 1 {
		t.Fatalf("got %d namespaces, %d elements", len(doc.NameSpaces()), len(ns))
	}
	portrait := readHex(t, "portrait.jpg.hex")
	want := map[string]any{
		"family_name":     "Doe",
		"issue_date":      FullDate{2019, 10, 20},
		"expiry_date":     FullDate{2024, 10, 20},
		"document_number": "123456789",
	}
	for k, v := range want {
		if ns[k] != v {
			t.Errorf("%s = %#v, want %#v", k, ns[k], v)
		}
	}
	if p, ok := ns["portrait"].([]byte); !ok || !bytes.Equal(p, portrait) {
		t.Errorf("portrait differs (%d bytes)", len(p))
	}
	dp, ok := ns["driving_privileges"].([]any)
	if !ok || len(dp) != 2 {
		t.Fatalf("driving_privileges = %#v", ns["driving_privileges"])
	}
	first := dp[0].(map[string]any)
	if first["vehicle_category_code"] != "A" || first["issue_date"] != (FullDate{2018, 8, 9}) || first["expiry_date"] != (FullDate{2024, 10, 20}) {
		t.Errorf("driving_privileges[0] = %#v", first)
	}
	second := dp[1].(map[string]any)
	if second["vehicle_category_code"] != "B" || second["issue_date"] != (FullDate{2017, 2, 23}) {
		t.Errorf("driving_privileges[1] = %#v", second)
	}
	wantSigned := time.Date(2020, 10, 1, 13, 30, 2, 0, time.UTC)
	if !doc.Validity().Signed.Equal(wantSigned) || !doc.Validity().ValidFrom.Equal(wantSigned) ||
		!doc.Validity().ValidUntil.Equal(wantSigned.AddDate(1, 0, 0)) {
		t.Errorf("validity = %+v", doc.Validity())
	}
	if doc.Status() != nil || len(doc.DeviceNameSpaces()) != 0 {
		t.Errorf("status %v, device namespaces %v", doc.Status(), doc.DeviceNameSpaces())
	}
}

// TestAnnexDNegative alters the context of the Annex D response; each change
// must fail at the expected check.
func TestAnnexDNegative(t *testing.T) {
	resp, base := annexD(t)
	otherReader, _ := ecdh.P256().GenerateKey(nil)
	otherTranscript, _ := OpenID4VPSessionTranscript("x", "y", nil, "z")
	tests := []struct {
		name  string
		mod   func(o *VerifyOptions)
		check check.Check
		err   error
	}{
		{"no reader key", func(o *VerifyOptions) { o.ReaderKey = nil }, check.HolderBinding, ErrDeviceAuth},
		{"wrong reader key", func(o *VerifyOptions) { o.ReaderKey = otherReader }, check.HolderBinding, ErrInvalidMAC},
		{"wrong transcript", func(o *VerifyOptions) { o.SessionTranscript = otherTranscript }, check.HolderBinding, ErrInvalidMAC},
		{"untrusted root", func(o *VerifyOptions) { o.Roots = x509.NewCertPool() }, check.Trust, ErrUntrustedIssuer},
		{"after certificate expiry", func(o *VerifyOptions) {
			o.Now = func() time.Time { return time.Date(2021, 10, 1, 12, 0, 0, 0, time.UTC) }
		}, check.Trust, ErrUntrustedIssuer},
		{"before validFrom", func(o *VerifyOptions) {
			o.Now = func() time.Time { return time.Date(2020, 10, 1, 12, 0, 0, 0, time.UTC) }
		}, check.Validity, ErrNotYetValid},
		{"wrong docType", func(o *VerifyOptions) { o.DocType = "id.go.kemendagri.dukcapil.ktpel.1" }, check.Disclosure, ErrDocTypeMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			tc.mod(&o)
			got, err := Verify(resp, o)
			assertFail(t, got, err, tc.check, tc.err)
		})
	}
}

// assertFail requires Verify to have failed with a *check.Error of check
// c wrapping sentinel, and no result.
func assertFail(t *testing.T, got *VerifiedResponse, err error, c check.Check, sentinel error) {
	t.Helper()
	if got != nil {
		t.Fatalf("got a result with error %v", err)
	}
	var ce *check.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v is not a *check.Error", err)
	}
	if ce.Check != c || ce.Err != sentinel {
		t.Fatalf("error %v: check %v, want %v with sentinel %v", err, ce.Check, c, sentinel)
	}
}

func TestAnnexDDigestsAsReceived(t *testing.T) {
	// Every disclosed item's SHA-256 equals the documented digest.
	resp, _ := annexD(t)
	var r deviceResponseWire
	if err := decode(decMode, resp, &r, tagEncodedCBOR); err != nil {
		t.Fatal(err)
	}
	var d documentWire
	if err := decode(decMode, r.Documents[0], &d, tagEncodedCBOR); err != nil {
		t.Fatal(err)
	}
	ej, _ := os.ReadFile(annexDDir + "expected.json")
	var exp struct {
		DeviceResponse struct {
			Items []struct {
				ID     uint64 `json:"digestID"`
				Digest string `json:"sha256_of_tag24_IssuerSignedItemBytes_hex"`
			} `json:"issuerSigned_items_in_wire_order"`
		}
	}
	if err := json.Unmarshal(ej, &exp); err != nil {
		t.Fatal(err)
	}
	items := d.IssuerSigned.NameSpaces["org.iso.18013.5.1"]
	if len(items) != len(exp.DeviceResponse.Items) {
		t.Fatalf("%d items, want %d", len(items), len(exp.DeviceResponse.Items))
	}
	for i, raw := range items {
		sum := sha256.Sum256(raw)
		if hex.EncodeToString(sum[:]) != exp.DeviceResponse.Items[i].Digest {
			t.Errorf("item %d digest differs", i)
		}
	}
}
