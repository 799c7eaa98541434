package peerbench

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/credential/mdoc"
)

// mdocDocType is the docType and namespace of the mdoc fixtures.
const mdocDocType = "org.example.ikdkit.bench.1"

// oidMdlDS is the ISO 18013-5 document signer extended key usage.
var oidMdlDS = asn1.ObjectIdentifier{1, 0, 18013, 5, 1, 2}

// mdocFixture is one DeviceResponse written by ikdkit (one document, n short
// text elements all disclosed, deviceSignature with ES256, x5chain holding
// the DS certificate, the IACA root trusted), and the inputs of its floor.
type mdocFixture struct {
	n          int
	resp       []byte
	transcript []byte // SessionTranscript (not tag-24 wrapped)
	root       *x509.Certificate
	opts       mdoc.VerifyOptions
	device     *ecdsa.PrivateKey

	// The floor's inputs, taken from resp once.
	rootPub, dsPub, devicePub *ecdsa.PublicKey
	dsTBS, dsSig              []byte   // TBSCertificate, DER signature
	issuerTBS, issuerSig      []byte   // issuerAuth Sig_structure, r||s
	deviceTBS, deviceSig      []byte   // deviceSignature Sig_structure, r||s
	issuerDER, deviceDER      []byte   // the two r||s signatures in DER
	items                     [][]byte // IssuerSignedItemBytes as sent
}

func newMDocFixture(tb testing.TB, n int) *mdocFixture {
	tb.Helper()
	gen := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			tb.Fatal(err)
		}
		return k
	}
	// @auth0/mdl checks the MSO and the certificate against the wall clock.
	now := time.Now().UTC().Truncate(time.Second)
	rootKey, dsKey, device := gen(), gen(), gen()
	cert := func(cn string, pub *ecdsa.PublicKey, parent *x509.Certificate, ca bool) *x509.Certificate {
		serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
		tmpl := &x509.Certificate{
			SerialNumber:          serial,
			Subject:               pkix.Name{CommonName: cn, Country: []string{"ID"}},
			NotBefore:             now.AddDate(-1, 0, 0),
			NotAfter:              now.AddDate(2, 0, 0),
			BasicConstraintsValid: true,
			IsCA:                  ca,
		}
		if ca {
			tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
			tmpl.MaxPathLen, tmpl.MaxPathLenZero = 0, true
		} else {
			tmpl.KeyUsage = x509.KeyUsageDigitalSignature
			tmpl.UnknownExtKeyUsage = []asn1.ObjectIdentifier{oidMdlDS}
		}
		if parent == nil {
			parent = tmpl
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, rootKey)
		if err != nil {
			tb.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			tb.Fatal(err)
		}
		return c
	}
	root := cert("ikdkit peerbench IACA", &rootKey.PublicKey, nil, true)
	ds := cert("ikdkit peerbench DS", &dsKey.PublicKey, root, false)

	values := make(map[string]any, n)
	names := make([]string, 0, n)
	for i := range n {
		name := fmt.Sprintf("element_%03d", i)
		values[name] = fmt.Sprintf("value of element %d", i)
		names = append(names, name)
	}
	iss := &mdoc.Issuer{Signer: dsKey, Chain: []*x509.Certificate{ds}, Now: func() time.Time { return now.Add(-time.Minute) }}
	cred, err := iss.Issue(mdoc.IssueRequest{
		DocType: mdocDocType, NameSpaces: map[string]map[string]any{mdocDocType: values},
		DeviceKey: device.Public(), ValidFrom: now.Add(-time.Minute), ValidUntil: now.AddDate(0, 0, 30),
	})
	if err != nil {
		tb.Fatal(err)
	}
	transcript, err := mdoc.OpenID4VPSessionTranscript("x509_san_dns:verifier.example.id", testNonce, nil, testAud+"/response")
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := mdoc.Present(cred, map[string][]string{mdocDocType: names}, mdoc.PresentOptions{SessionTranscript: transcript, DeviceKey: device})
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(root)
	f := &mdocFixture{
		n: n, resp: resp, transcript: transcript, root: root, device: device,
		// A CertificateCache, as verifier.Verifier keeps one: the DS
		// certificate is parsed once; chain and signatures are checked
		// every time.
		opts: mdoc.VerifyOptions{Roots: pool, SessionTranscript: transcript, Now: func() time.Time { return now },
			Certificates: new(mdoc.CertificateCache)},
		rootPub: &rootKey.PublicKey, dsPub: &dsKey.PublicKey, devicePub: &device.PublicKey,
	}
	if err := f.floorInputs(); err != nil {
		tb.Fatal(err)
	}
	return f
}

// deviceResponseWire is as much of a DeviceResponse (ISO 18013-5
// §8.3.2.1.2.2) as the floor needs.
type deviceResponseWire struct {
	Documents []struct {
		DocType      string `cbor:"docType"`
		IssuerSigned struct {
			NameSpaces map[string][]cbor.RawMessage `cbor:"nameSpaces"`
			IssuerAuth []cbor.RawMessage            `cbor:"issuerAuth"`
		} `cbor:"issuerSigned"`
		DeviceSigned struct {
			NameSpaces cbor.RawMessage `cbor:"nameSpaces"`
			DeviceAuth struct {
				DeviceSignature []cbor.RawMessage `cbor:"deviceSignature"`
			} `cbor:"deviceAuth"`
		} `cbor:"deviceSigned"`
	} `cbor:"documents"`
}

// floorInputs reads the three signatures, their to-be-signed bytes and the
// IssuerSignedItemBytes from f.resp.
func (f *mdocFixture) floorInputs() error {
	var dr deviceResponseWire
	if err := cbor.Unmarshal(f.resp, &dr); err != nil {
		return err
	}
	if len(dr.Documents) != 1 {
		return fmt.Errorf("%d documents", len(dr.Documents))
	}
	d := dr.Documents[0]
	f.items = nil
	for _, it := range d.IssuerSigned.NameSpaces[mdocDocType] {
		f.items = append(f.items, it)
	}
	if len(f.items) != f.n {
		return fmt.Errorf("%d items, want %d", len(f.items), f.n)
	}
	sign1 := func(msg []cbor.RawMessage) (protected, payload, sig []byte, err error) {
		if len(msg) != 4 {
			return nil, nil, nil, errors.New("not a COSE_Sign1")
		}
		if err := cbor.Unmarshal(msg[0], &protected); err != nil {
			return nil, nil, nil, err
		}
		if !bytes.Equal(msg[2], []byte{0xf6}) { // not detached
			if err := cbor.Unmarshal(msg[2], &payload); err != nil {
				return nil, nil, nil, err
			}
		}
		err = cbor.Unmarshal(msg[3], &sig)
		return protected, payload, sig, err
	}
	prot, payload, sig, err := sign1(d.IssuerSigned.IssuerAuth)
	if err != nil {
		return err
	}
	f.issuerTBS, f.issuerSig = sigStructure(prot, payload), sig
	var unprot map[int]cbor.RawMessage
	if err := cbor.Unmarshal(d.IssuerSigned.IssuerAuth[1], &unprot); err != nil {
		return err
	}
	var dsDER []byte
	if err := cbor.Unmarshal(unprot[33], &dsDER); err != nil { // x5chain, one certificate
		return err
	}
	ds, err := x509.ParseCertificate(dsDER)
	if err != nil {
		return err
	}
	f.dsTBS, f.dsSig = ds.RawTBSCertificate, ds.Signature
	prot, _, sig, err = sign1(d.DeviceSigned.DeviceAuth.DeviceSignature)
	if err != nil {
		return err
	}
	// DeviceAuthenticationBytes = #6.24(bstr .cbor ["DeviceAuthentication",
	// SessionTranscript, DocType, DeviceNameSpacesBytes]) (§9.1.3.4).
	da := append([]byte{0x84}, mustCBOR("DeviceAuthentication")...)
	da = append(da, f.transcript...)
	da = append(da, mustCBOR(d.DocType)...)
	da = append(da, d.DeviceSigned.NameSpaces...)
	f.deviceTBS, f.deviceSig = sigStructure(prot, mustCBOR(cbor.Tag{Number: 24, Content: da})), sig
	if f.issuerDER, err = rsToDER(f.issuerSig); err != nil {
		return err
	}
	f.deviceDER, err = rsToDER(f.deviceSig)
	return err
}

func mustCBOR(v any) []byte {
	b, err := cbor.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// sigStructure is RFC 9052 §4.4's Sig_structure of a COSE_Sign1 with no
// external_aad: ["Signature1", protected, h”, payload].
func sigStructure(protected, payload []byte) []byte {
	return mustCBOR([]any{"Signature1", protected, []byte{}, payload})
}

// verifyIkdkit is ikdkit's mdoc.Verify with every check on.
func (f *mdocFixture) verifyIkdkit(resp []byte, opts mdoc.VerifyOptions) error {
	got, err := mdoc.Verify(resp, opts)
	if err != nil {
		return err
	}
	if k := len(got.Documents()[0].NameSpaces()[mdocDocType]); k != f.n {
		return fmt.Errorf("ikdkit: %d elements, want %d", k, f.n)
	}
	return nil
}

// verifyFloor is the least an mdoc verifier must do: three ECDSA P-256
// verifications over the SHA-256 of their inputs (the DS certificate under
// the IACA key, issuerAuth under the DS key, deviceSignature under the
// device key) and the SHA-256 of every IssuerSignedItemBytes (§9.1.2.5).
// Keys are parsed, signatures converted to DER and the to-be-signed bytes
// built once, outside the timing.
func (f *mdocFixture) verifyFloor() error {
	h := sha256.Sum256(f.dsTBS)
	ok := ecdsa.VerifyASN1(f.rootPub, h[:], f.dsSig)
	h = sha256.Sum256(f.issuerTBS)
	ok = ecdsa.VerifyASN1(f.dsPub, h[:], f.issuerDER) && ok
	h = sha256.Sum256(f.deviceTBS)
	ok = ecdsa.VerifyASN1(f.devicePub, h[:], f.deviceDER) && ok
	var acc byte
	for _, it := range f.items {
		d := sha256.Sum256(it)
		acc ^= d[0]
	}
	sink = acc
	if !ok {
		return errors.New("floor: a signature does not verify")
	}
	return nil
}

var sink byte

// rsToDER converts an ES256 signature r||s (as COSE carries it) to the
// ASN.1 DER form crypto/ecdsa takes.
func rsToDER(rs []byte) ([]byte, error) {
	if len(rs) != 64 {
		return nil, fmt.Errorf("ES256 signature of %d bytes", len(rs))
	}
	return asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(rs[:32]), new(big.Int).SetBytes(rs[32:])})
}
