package mdoc

import (
	"crypto"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
	"github.com/ikdkit/ikdkit/keys"
)

var testTranscript = func() []byte {
	b, err := OpenID4VPSessionTranscript("x509_san_dns:verifier.example.id", "n-0S6_WzA2Mj", nil, "https://verifier.example.id/response")
	if err != nil {
		panic(err)
	}
	return b
}()

func verifyOpts(pki *testPKI) VerifyOptions {
	return VerifyOptions{Roots: pki.roots, SessionTranscript: testTranscript, Now: func() time.Time { return testNow.Add(time.Hour) }}
}

var threeElements = map[string][]string{ktpDocType: {"name", "birth_date", "age_over_18"}}

func TestRoundTrip(t *testing.T) {
	pki := newPKI(t)
	device := newECKey(t, elliptic.P256())
	cred := issueKTP(t, pki, device.Public())

	// Store and reload as the holder would.
	stored, err := cred.MarshalCBOR()
	if err != nil {
		t.Fatal(err)
	}
	cred, err = ParseIssuerSigned(stored)
	if err != nil {
		t.Fatal(err)
	}
	if cred.DocType() != ktpDocType || len(cred.Elements()[ktpDocType]) != len(ktpElements()[ktpDocType]) {
		t.Fatalf("reloaded credential: %q %v", cred.DocType(), cred.Elements())
	}

	resp, err := Present(cred, threeElements, PresentOptions{SessionTranscript: testTranscript, DeviceKey: keys.Opaque(device)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(resp, verifyOpts(pki))
	if err != nil {
		t.Fatal(err)
	}
	doc := got.Documents()[0]
	ns := doc.NameSpaces()[ktpDocType]
	if len(ns) != 3 || ns["name"] != "RINA KARTIKA SARI" || ns["birth_date"] != (FullDate{1995, 8, 17}) || ns["age_over_18"] != true {
		t.Fatalf("elements = %#v", ns)
	}
	if doc.DeviceAuth() != DeviceSignature {
		t.Errorf("device auth = %v", doc.DeviceAuth())
	}
	if doc.Status() == nil || doc.Status().Index != 42 || doc.Status().URI != "https://status.example.id/ktp/1" {
		t.Errorf("status = %+v", doc.Status())
	}
	if len(doc.Chain()) != 2 || !doc.Chain()[1].Equal(pki.root) {
		t.Errorf("chain of %d", len(doc.Chain()))
	}
	if !doc.Validity().Signed.Equal(testNow) || !doc.Validity().ValidUntil.Equal(testNow.AddDate(0, 0, 30)) {
		t.Errorf("validity = %+v", doc.Validity())
	}
}

func TestAlgorithms(t *testing.T) {
	tests := []struct {
		name   string
		ds     func(t *testing.T) crypto.Signer
		device func(t *testing.T) crypto.Signer
		hash   crypto.Hash
	}{
		{"ES256/SHA-256", func(t *testing.T) crypto.Signer { return newECKey(t, elliptic.P256()) }, func(t *testing.T) crypto.Signer { return newECKey(t, elliptic.P256()) }, 0},
		{"ES384/SHA-384", func(t *testing.T) crypto.Signer { return newECKey(t, elliptic.P384()) }, func(t *testing.T) crypto.Signer { return newECKey(t, elliptic.P384()) }, crypto.SHA384},
		{"ES512/SHA-512", func(t *testing.T) crypto.Signer { return newECKey(t, elliptic.P521()) }, func(t *testing.T) crypto.Signer { return newECKey(t, elliptic.P521()) }, crypto.SHA512},
		{"EdDSA", func(t *testing.T) crypto.Signer {
			_, k, _ := ed25519.GenerateKey(rand.Reader)
			return k
		}, func(t *testing.T) crypto.Signer {
			_, k, _ := ed25519.GenerateKey(rand.Reader)
			return k
		}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pki := newPKI(t)
			dsKey := tc.ds(t)
			ds := newCert(t, "DS "+tc.name, dsKey.Public(), pki.root, pki.rootKey, certOpts{
				notBefore: testNow.AddDate(-1, 0, 0), notAfter: testNow.AddDate(1, 0, 0),
				keyUsage: x509.KeyUsageDigitalSignature, eku: true,
			})
			device := tc.device(t)
			iss := &Issuer{Signer: dsKey, Chain: []*x509.Certificate{ds}, DigestAlgorithm: tc.hash, Now: func() time.Time { return testNow }}
			cred, err := iss.Issue(IssueRequest{DocType: ktpDocType, NameSpaces: ktpElements(), DeviceKey: device.Public(), ValidUntil: testNow.AddDate(0, 1, 0)})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := Present(cred, threeElements, PresentOptions{SessionTranscript: testTranscript, DeviceKey: keys.Opaque(device)})
			if err != nil {
				t.Fatal(err)
			}
			got, err := Verify(resp, verifyOpts(pki))
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Documents()[0].NameSpaces()[ktpDocType]) != 3 {
				t.Fatalf("got %v", got.Documents()[0].NameSpaces())
			}
		})
	}
}

// TestDeviceAuthenticationDigest: the digest is SHA-256 of the
// DeviceAuthenticationBytes (ISO 18013-5 §9.1.3.4) built independently with
// the reflection encoder, for a deviceSignature and for the Annex D
// deviceMac, and it changes with the session.
func TestDeviceAuthenticationDigest(t *testing.T) {
	devNS := strictcbor.WrapTag24([]byte{0xa0})
	want := func(transcript []byte, docType string, devNS []byte) [32]byte {
		inner, err := marshal([]any{"DeviceAuthentication", cbor.RawMessage(transcript), docType, cbor.RawMessage(devNS)})
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(strictcbor.WrapTag24(inner))
	}
	pki, _, resp, opts := newFixture(t)
	got, err := Verify(resp, opts())
	if err != nil {
		t.Fatal(err)
	}
	d := got.Documents()[0].DeviceAuthenticationDigest()
	if d != want(testTranscript, ktpDocType, devNS) {
		t.Fatal("digest is not SHA-256 of the DeviceAuthenticationBytes")
	}
	other, _ := OpenID4VPSessionTranscript("x509_san_dns:other.example", "n", nil, "https://other.example/r")
	device := newECKey(t, elliptic.P256())
	cred2 := issueKTP(t, pki, device.Public())
	resp2, err := Present(cred2, threeElements, PresentOptions{SessionTranscript: other, DeviceKey: device})
	if err != nil {
		t.Fatal(err)
	}
	o := opts()
	o.SessionTranscript = other
	got2, err := Verify(resp2, o)
	if err != nil {
		t.Fatal(err)
	}
	if got2.Documents()[0].DeviceAuthenticationDigest() == d {
		t.Fatal("same digest for another session")
	}

	annex, aopts := annexD(t)
	ga, err := Verify(annex, aopts)
	if err != nil {
		t.Fatal(err)
	}
	r, err := parseDeviceResponse(annex)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := parseDocument(r.Documents[0])
	if err != nil {
		t.Fatal(err)
	}
	if ga.Documents()[0].DeviceAuthenticationDigest() != want(aopts.SessionTranscript, "org.iso.18013.5.1.mDL", doc.DeviceSigned.NameSpaces) {
		t.Fatal("Annex D deviceMac digest differs")
	}
}

// TestVerifiedGettersCopy: what the getters return belongs to the caller.
func TestVerifiedGettersCopy(t *testing.T) {
	pki := newPKI(t)
	device := newECKey(t, elliptic.P256())
	cred := issueKTP(t, pki, device.Public())
	resp, err := Present(cred, map[string][]string{ktpDocType: {"portrait", "nationality", "place_of_birth"}}, PresentOptions{SessionTranscript: testTranscript, DeviceKey: device})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(resp, verifyOpts(pki))
	if err != nil {
		t.Fatal(err)
	}
	doc := got.Documents()[0]
	ns := doc.NameSpaces()
	ns[ktpDocType]["portrait"].([]byte)[0] = 0xff
	ns[ktpDocType]["nationality"].([]any)[0] = "XX"
	ns[ktpDocType]["place_of_birth"].(map[string]any)["locality"] = "XX"
	delete(ns[ktpDocType], "portrait")
	again := doc.NameSpaces()[ktpDocType]
	if p, ok := again["portrait"].([]byte); !ok || p[0] != 0 || again["nationality"].([]any)[0] != "ID" ||
		again["place_of_birth"].(map[string]any)["locality"] != "BANDUNG" {
		t.Fatal("NameSpaces returned the document's own values")
	}
	doc.Chain()[0] = nil
	doc.Status().Index = 7
	got.Documents()[0] = nil
	if doc.Chain()[0] == nil || doc.Status().Index != 42 || got.Documents()[0] == nil {
		t.Fatal("Chain, Status or Documents returned the document's own values")
	}
	if v := got.Version(); v != "1.0" {
		t.Fatalf("version %q", v)
	}
}

// TestVerifyErrorShape: the *check.Error of Verify carries the document
// index, the docType as received in Detail, the sentinel as Err and, for
// trust failures, the crypto/x509 error as Cause.
func TestVerifyErrorShape(t *testing.T) {
	_, _, resp, opts := newFixture(t)
	o := opts()
	o.Roots = newPKI(t).roots
	_, err := Verify(resp, o)
	var ce *check.Error
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &ce) || ce.Check != check.Trust || ce.Err != ErrUntrustedIssuer || ce.Credential != 0 ||
		!strings.Contains(ce.Detail, `docType "`+ktpDocType+`"`) || !errors.As(ce.Cause, &ua) || !errors.As(err, &ua) {
		t.Fatalf("trust failure: %#v", err)
	}
	o = opts()
	o.Roots = nil
	if _, err := Verify(resp, o); !errors.As(err, &ce) || ce.Check != check.Input || ce.Err != ErrInvalidArgument || ce.Credential != -1 {
		t.Fatalf("missing Roots: %v", err)
	}
	if _, err := Verify(resp[:10], opts()); !errors.As(err, &ce) || ce.Check != check.Format || ce.Err != ErrMalformed || ce.Credential != -1 {
		t.Fatalf("truncated: %v", err)
	}
}
