package mdoc

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/internal/nodeharness"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// Interoperability with @auth0/mdl (pinned in testdata/interop/mdl-js by
// package-lock.json). The node tooling is required: these tests fail, not
// skip, without node and npm.

const mdlJSDir = "../../testdata/interop/mdl-js"

// mdlNode installs the pinned @auth0/mdl once per test binary.
var mdlNode = sync.OnceValue(func() error {
	return nodeharness.Require(mdlJSDir, "@auth0/mdl")
})

// runMDL runs mdl.js on cmds and returns its results. On first use it runs
// `npm ci` when the pinned @auth0/mdl is not installed.
func runMDL(t *testing.T, cmds []map[string]any) []map[string]any {
	t.Helper()
	if err := mdlNode(); err != nil {
		t.Fatalf("@auth0/mdl interop test cannot run: %v", err)
	}
	in, err := json.Marshal(cmds)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", "mdl.js")
	cmd.Dir = mdlJSDir
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node mdl.js: %v\n%s", err, stderr.String())
	}
	var res []map[string]any
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(cmds) {
		t.Fatalf("node mdl.js output %q: %v", out, err)
	}
	return res
}

func jwk(k *ecdsa.PrivateKey) map[string]any {
	raw, _ := k.PublicKey.Bytes()
	d, _ := k.Bytes()
	b64 := base64.RawURLEncoding.EncodeToString
	return map[string]any{"kty": "EC", "crv": "P-256", "x": b64(raw[1:33]), "y": b64(raw[33:]), "d": b64(d)}
}

func certPEM(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

// interopValues are the elements both sides issue and disclose.
var interopValues = map[string]any{
	"personal_administrative_number": "3174015708950021",
	"name":                           "RINA KARTIKA SARI",
	"sex":                            int64(2),
	"age_over_18":                    true,
	"resident_city":                  "KOTA JAKARTA SELATAN",
	"issuing_country":                "ID",
}

func interopNames() []string {
	var n []string
	for k := range interopValues {
		n = append(n, k)
	}
	return n
}

func transcriptBytes(t *testing.T, transcript []byte) string {
	b := strictcbor.WrapTag24(transcript)
	return hex.EncodeToString(b)
}

func TestInteropJSIssuedVerifiesInGo(t *testing.T) {
	pki, other := newPKI(t), newPKI(t)
	device := newECKey(t, elliptic.P256())
	now := time.Now().UTC().Truncate(time.Second)
	issue := func(validFrom, validUntil time.Time) map[string]any {
		return map[string]any{
			"op": "issue", "docType": ktpDocType, "nameSpace": ktpDocType, "values": interopValues,
			"dsKey": jwk(pki.dsKey.(*ecdsa.PrivateKey)), "dsCertPem": certPEM(pki.ds), "deviceKey": jwk(device),
			"signed": now.Add(-time.Minute), "validFrom": validFrom, "validUntil": validUntil,
			"disclose": interopNames(), "transcriptHex": transcriptBytes(t, testTranscript),
		}
	}
	res := runMDL(t, []map[string]any{
		issue(now.Add(-time.Minute), now.AddDate(0, 0, 30)),
		issue(now.AddDate(0, 0, -2), now.AddDate(0, 0, -1)),
	})
	resp, _ := hex.DecodeString(res[0]["deviceResponseHex"].(string))
	expired, _ := hex.DecodeString(res[1]["deviceResponseHex"].(string))
	opts := func() VerifyOptions {
		return VerifyOptions{Roots: pki.roots, SessionTranscript: testTranscript, Now: time.Now}
	}

	got, err := Verify(resp, opts())
	if err != nil {
		t.Fatalf("JS-issued response: %v", err)
	}
	if doc := got.Documents()[0]; doc.DocType() != ktpDocType || doc.DeviceAuth() != DeviceSignature {
		t.Fatalf("document %q, auth %v", doc.DocType(), doc.DeviceAuth())
	}
	elems := got.Documents()[0].NameSpaces()[ktpDocType]
	if len(elems) != len(interopValues) {
		t.Fatalf("got %d elements: %v", len(elems), elems)
	}
	for k, v := range interopValues {
		if elems[k] != v {
			t.Errorf("%s = %#v, want %#v", k, elems[k], v)
		}
	}

	otherTranscript, _ := OpenID4VPSessionTranscript("other", "n", nil, "https://x")
	tampered := editDoc(t, resp, func(d *documentWire) {
		editItem(t, d, 0, func(it *issuerSignedItemWire) { it.ElementValue = mustMarshal(t, "MALLORY") })
	})
	tests := []struct {
		name  string
		resp  []byte
		mod   func(*VerifyOptions)
		check check.Check
		err   error
	}{
		{"tampered element", tampered, nil, check.Disclosure, ErrDigestMismatch},
		{"wrong transcript", resp, func(o *VerifyOptions) { o.SessionTranscript = otherTranscript }, check.HolderBinding, ErrInvalidSignature},
		{"untrusted root", resp, func(o *VerifyOptions) { o.Roots = other.roots }, check.Trust, ErrUntrustedIssuer},
		{"expired document", expired, nil, check.Validity, ErrExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := opts()
			if tc.mod != nil {
				tc.mod(&o)
			}
			got, err := Verify(tc.resp, o)
			assertFail(t, got, err, tc.check, tc.err)
		})
	}
}

func TestInteropGoIssuedVerifiesInJS(t *testing.T) {
	pki, other := newPKI(t), newPKI(t)
	device := newECKey(t, elliptic.P256())
	now := time.Now().UTC()
	issue := func(validFrom, validUntil time.Time) []byte {
		iss := &Issuer{Signer: pki.dsKey, Chain: []*x509.Certificate{pki.ds}}
		cred, err := iss.Issue(IssueRequest{
			DocType: ktpDocType, NameSpaces: map[string]map[string]any{ktpDocType: interopValues},
			DeviceKey: device.Public(), ValidFrom: validFrom, ValidUntil: validUntil,
		})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := Present(cred, map[string][]string{ktpDocType: interopNames()}, PresentOptions{SessionTranscript: testTranscript, DeviceKey: device})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := issue(now.Add(-time.Minute), now.AddDate(0, 0, 30))
	expired := issue(now.AddDate(0, 0, -2), now.AddDate(0, 0, -1))
	tampered := editDoc(t, resp, func(d *documentWire) {
		editItem(t, d, 0, func(it *issuerSignedItemWire) { it.ElementValue = mustMarshal(t, "MALLORY") })
	})
	otherTranscript, _ := OpenID4VPSessionTranscript("other", "n", nil, "https://x")
	verify := func(resp []byte, root *x509.Certificate, transcript []byte) map[string]any {
		return map[string]any{"op": "verify", "rootPem": certPEM(root), "deviceResponseHex": hex.EncodeToString(resp), "transcriptHex": transcriptBytes(t, transcript)}
	}
	cases := []struct {
		name string
		cmd  map[string]any
		ok   bool
	}{
		{"genuine", verify(resp, pki.root, testTranscript), true},
		{"tampered element", verify(tampered, pki.root, testTranscript), false},
		{"wrong transcript", verify(resp, pki.root, otherTranscript), false},
		{"untrusted root", verify(resp, other.root, testTranscript), false},
		{"expired document", verify(expired, pki.root, testTranscript), false},
	}
	var cmds []map[string]any
	for _, c := range cases {
		cmds = append(cmds, c.cmd)
	}
	res := runMDL(t, cmds)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := res[i]
			if r["ok"] != c.ok {
				t.Fatalf("@auth0/mdl ok = %v (%v), want %v", r["ok"], r["error"], c.ok)
			}
			if !c.ok {
				t.Logf("@auth0/mdl: %v", r["error"])
				return
			}
			if r["docType"] != ktpDocType {
				t.Errorf("docType %v", r["docType"])
			}
			vals, _ := r["values"].(map[string]any)[ktpDocType].(map[string]any)
			if len(vals) != len(interopValues) {
				t.Fatalf("JS saw %v", vals)
			}
			for k, v := range interopValues {
				got := vals[k]
				if f, ok := got.(float64); ok { // JSON numbers
					got = int64(f)
				}
				if got != v {
					t.Errorf("%s = %#v, want %#v", k, got, v)
				}
			}
		})
	}
}
