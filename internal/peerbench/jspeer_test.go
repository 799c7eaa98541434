package peerbench

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/internal/nodeharness"
)

// The JS peers: js/run.mjs verifies, with @sd-jwt/sd-jwt-vc and with
// @auth0/mdl (pinned by js/package-lock.json), the presentation bytes the
// fixtures of this package write, checks their verdicts on good and bad
// cases and times them against a floor in the same Node.js process.

const jsDir = "js"

// fixturesEnv names a directory to write the JS fixtures to (and keep);
// without it they go to a temporary directory.
const fixturesEnv = "IKDKIT_PEERBENCH_FIXTURES"

var requireJS = sync.OnceValue(func() error {
	return nodeharness.Require(jsDir, "@sd-jwt/sd-jwt-vc", "@sd-jwt/core", "@auth0/mdl")
})

// jsCase is one presentation the JS peer must accept (want) or reject.
type jsCase struct {
	Name       string `json:"name"`
	want       bool
	transcript []byte // mdoc: the SessionTranscript of TranscriptHex
	// SD-JWT VC
	Presentation string `json:"presentation,omitempty"`
	Aud          string `json:"aud,omitempty"`
	Nonce        string `json:"nonce,omitempty"`
	Now          int64  `json:"now,omitempty"`
	// mdoc
	DeviceResponseHex string `json:"deviceResponseHex,omitempty"`
	TranscriptHex     string `json:"transcriptHex,omitempty"`
}

// jsFixture is what js/run.mjs reads from one file.
type jsFixture struct {
	Kind  string   `json:"kind"` // "sd-jwt" or "mdoc"
	N     int      `json:"n"`
	Cases []jsCase `json:"cases"`

	// SD-JWT VC: the timed presentation and what it is verified against.
	Presentation string         `json:"presentation,omitempty"`
	IssuerJWK    map[string]any `json:"issuerJwk,omitempty"`
	Aud          string         `json:"aud,omitempty"`
	Nonce        string         `json:"nonce,omitempty"`
	Now          int64          `json:"now,omitempty"`    // Unix seconds
	MaxAge       int64          `json:"maxAge,omitempty"` // KB-JWT iat, seconds

	// mdoc: the timed DeviceResponse, the trusted IACA, the
	// SessionTranscriptBytes (tag 24) and the floor's inputs.
	DocType           string       `json:"docType,omitempty"`
	DeviceResponseHex string       `json:"deviceResponseHex,omitempty"`
	RootPEM           string       `json:"rootPem,omitempty"`
	TranscriptHex     string       `json:"transcriptHex,omitempty"`
	Floor             *jsMDocFloor `json:"floor,omitempty"`
}

type jsMDocFloor struct {
	RootSPKI   string   `json:"rootSpki"`
	DSSPKI     string   `json:"dsSpki"`
	DeviceSPKI string   `json:"deviceSpki"`
	DSTBS      string   `json:"dsTbs"`
	DSSig      string   `json:"dsSig"` // DER
	IssuerTBS  string   `json:"issuerTbs"`
	IssuerSig  string   `json:"issuerSig"` // r||s
	DeviceTBS  string   `json:"deviceTbs"`
	DeviceSig  string   `json:"deviceSig"` // r||s
	Items      []string `json:"items"`
}

func publicJWK(pub *ecdsa.PublicKey) map[string]any {
	raw, err := pub.Bytes()
	if err != nil {
		panic(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	return map[string]any{"kty": "EC", "crv": "P-256", "x": b64(raw[1:33]), "y": b64(raw[33:])}
}

// sdjwtJSFixture writes f's presentation, with the good case and bad cases
// the JS side must reject: a tampered KB-JWT signature, a tampered issuer
// signature (re-bound with a valid KB-JWT), a disclosure not in the issuer
// JWT (re-bound), a wrong nonce, a wrong audience, a stale KB-JWT iat.
func sdjwtJSFixture(tb testing.TB, f *fixture) *jsFixture {
	p := f.presentation
	firstTilde, lastTilde := strings.IndexByte(p, '~'), strings.LastIndexByte(p, '~')
	now := f.now.Unix()
	forged := base64.RawURLEncoding.EncodeToString([]byte(`["c2FsdHNhbHRzYWx0c2FsdA","claim_000","forged"]`))
	c := func(name string, want bool, pres, nonce, aud string, now int64) jsCase {
		return jsCase{Name: name, want: want, Presentation: pres, Aud: aud, Nonce: nonce, Now: now}
	}
	return &jsFixture{
		Kind: "sd-jwt", N: f.n, Presentation: p, IssuerJWK: publicJWK(f.issuerPub),
		Aud: testAud, Nonce: testNonce, Now: now, MaxAge: int64(sdjwt.DefaultKeyBindingMaxAge / time.Second),
		Cases: []jsCase{
			c("good", true, p, testNonce, testAud, now),
			c("re-bound good", true, f.rebind(tb, p[:lastTilde+1]), testNonce, testAud, now),
			c("tampered KB-JWT signature", false, tamperSignature(p, lastTilde+1, len(p)), testNonce, testAud, now),
			c("wrong nonce", false, p, "another-nonce", testAud, now),
			c("tampered issuer signature", false, f.rebind(tb, tamperSignature(p[:lastTilde+1], 0, firstTilde)), testNonce, testAud, now),
			c("disclosure not in the issuer JWT", false, f.rebind(tb, p[:lastTilde+1]+forged+"~"), testNonce, testAud, now),
			c("wrong audience", false, p, testNonce, "https://other.example", now),
			c("stale KB-JWT iat", false, p, testNonce, testAud, now+600),
		},
	}
}

// mdocJSFixture writes f's DeviceResponse, with the good case and bad cases
// the JS side must reject: a tampered deviceSignature, a SessionTranscript
// with another nonce, a tampered element value.
func mdocJSFixture(tb testing.TB, f *mdocFixture) *jsFixture {
	tb.Helper()
	trHex := func(transcript []byte) string {
		return hex.EncodeToString(mustCBOR(cbor.Tag{Number: 24, Content: transcript}))
	}
	otherTranscript, err := mdoc.OpenID4VPSessionTranscript("x509_san_dns:verifier.example.id", "another-nonce", nil, testAud+"/response")
	if err != nil {
		tb.Fatal(err)
	}
	// A changed byte in the middle of the deviceSignature's r||s.
	i := bytes.Index(f.resp, f.deviceSig)
	if i < 0 || bytes.Count(f.resp, f.deviceSig) != 1 {
		tb.Fatal("deviceSignature not found once in the response")
	}
	badSig := bytes.Clone(f.resp)
	badSig[i+40] ^= 0x01
	// "value of element 0" becomes "value of element X" in its item.
	j := bytes.Index(f.resp, []byte("value of element 0"))
	if j < 0 {
		tb.Fatal("element value not found in the response")
	}
	badElem := bytes.Clone(f.resp)
	badElem[j+len("value of element ")] = 'X'
	spki := func(pub *ecdsa.PublicKey) string {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			tb.Fatal(err)
		}
		return hex.EncodeToString(der)
	}
	fl := &jsMDocFloor{
		RootSPKI: spki(f.rootPub), DSSPKI: spki(f.dsPub), DeviceSPKI: spki(f.devicePub),
		DSTBS: hex.EncodeToString(f.dsTBS), DSSig: hex.EncodeToString(f.dsSig),
		IssuerTBS: hex.EncodeToString(f.issuerTBS), IssuerSig: hex.EncodeToString(f.issuerSig),
		DeviceTBS: hex.EncodeToString(f.deviceTBS), DeviceSig: hex.EncodeToString(f.deviceSig),
	}
	for _, it := range f.items {
		fl.Items = append(fl.Items, hex.EncodeToString(it))
	}
	good := hex.EncodeToString(f.resp)
	return &jsFixture{
		Kind: "mdoc", N: f.n, DocType: mdocDocType, DeviceResponseHex: good,
		RootPEM:       string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.root.Raw})),
		TranscriptHex: trHex(f.transcript), Floor: fl,
		Cases: []jsCase{
			{Name: "good", want: true, DeviceResponseHex: good, TranscriptHex: trHex(f.transcript), transcript: f.transcript},
			{Name: "tampered deviceSignature", DeviceResponseHex: hex.EncodeToString(badSig), TranscriptHex: trHex(f.transcript), transcript: f.transcript},
			{Name: "wrong nonce (SessionTranscript)", DeviceResponseHex: good, TranscriptHex: trHex(otherTranscript), transcript: otherTranscript},
			{Name: "tampered element value", DeviceResponseHex: hex.EncodeToString(badElem), TranscriptHex: trHex(f.transcript), transcript: f.transcript},
		},
	}
}

// writeFixture writes fx as JSON to dir and returns the file's path.
func writeFixture(tb testing.TB, dir string, fx *jsFixture) string {
	tb.Helper()
	b, err := json.MarshalIndent(fx, "", " ")
	if err != nil {
		tb.Fatal(err)
	}
	name := filepath.Join(dir, fmt.Sprintf("%s-%03d.json", fx.Kind, fx.N))
	if err := os.WriteFile(name, b, 0o644); err != nil {
		tb.Fatal(err)
	}
	return name
}

func fixtureDir(tb testing.TB) string {
	if d := os.Getenv(fixturesEnv); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			tb.Fatal(err)
		}
		return d
	}
	return tb.TempDir()
}

// jsResult is one fixture's result from js/run.mjs.
type jsResult struct {
	Kind  string `json:"kind"`
	N     int    `json:"n"`
	Cases []struct {
		Name  string `json:"name"`
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	} `json:"cases"`
	Iterations int     `json:"iterations"`
	PeerCPUNs  float64 `json:"peerCpuNs"`
	FloorCPUNs float64 `json:"floorCpuNs"`
}

// runJS runs js/run.mjs on the fixture files.
func runJS(tb testing.TB, iterations, warmup int, files ...string) []jsResult {
	tb.Helper()
	if err := requireJS(); err != nil {
		tb.Fatalf("the JS peers cannot run: %v", err)
	}
	args := []string{"run.mjs", "--iterations", fmt.Sprint(iterations), "--warmup", fmt.Sprint(warmup)}
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			tb.Fatal(err)
		}
		args = append(args, abs)
	}
	cmd := exec.Command("node", args...)
	cmd.Dir = jsDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("node run.mjs: %v\n%s", err, stderr.String())
	}
	var res struct {
		Results []jsResult `json:"results"`
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.Results) != len(files) {
		tb.Fatalf("node run.mjs output %.500q: %v", out, err)
	}
	return res.Results
}

// checkVerdicts fails tb unless the JS peer accepted exactly the cases fx
// wants accepted.
func checkVerdicts(tb testing.TB, fx *jsFixture, r jsResult) {
	tb.Helper()
	if r.Kind != fx.Kind || r.N != fx.N || len(r.Cases) != len(fx.Cases) {
		tb.Fatalf("result for %s n=%d with %d cases, want %s n=%d with %d", r.Kind, r.N, len(r.Cases), fx.Kind, fx.N, len(fx.Cases))
	}
	for i, c := range r.Cases {
		want := fx.Cases[i]
		if c.Name != want.Name || c.OK != want.want {
			tb.Errorf("%s n=%d, %s: JS peer ok=%v (%s), want ok=%v", fx.Kind, fx.N, want.Name, c.OK, c.Error, want.want)
		}
	}
}

// jsFixtures builds the SD-JWT VC and mdoc fixtures of every count, with
// the Go fixtures they came from.
func jsFixtures(tb testing.TB) (sd []*fixture, md []*mdocFixture, fxs []*jsFixture) {
	for _, n := range claimCounts {
		f := newFixture(tb, n)
		sd = append(sd, f)
		fxs = append(fxs, sdjwtJSFixture(tb, f))
	}
	for _, n := range claimCounts {
		f := newMDocFixture(tb, n)
		md = append(md, f)
		fxs = append(fxs, mdocJSFixture(tb, f))
	}
	return sd, md, fxs
}

// TestJSPeerVerdicts runs js/run.mjs once on every fixture (a few timed
// iterations, so the timing code runs too) and checks that sd-jwt-js and
// @auth0/mdl accept the good presentations and reject the bad ones, that
// ikdkit gives the same verdicts on the same bytes, and that the timings
// came back.
func TestJSPeerVerdicts(t *testing.T) {
	sd, md, fxs := jsFixtures(t)
	dir := fixtureDir(t)
	var files []string
	for _, fx := range fxs {
		files = append(files, writeFixture(t, dir, fx))
	}
	res := runJS(t, 3, 1, files...)
	for i, fx := range fxs {
		checkVerdicts(t, fx, res[i])
		if res[i].Iterations != 3 || res[i].PeerCPUNs <= 0 || res[i].FloorCPUNs < 0 {
			t.Errorf("%s n=%d: timing %+v", fx.Kind, fx.N, res[i])
		}
		for _, c := range res[i].Cases {
			t.Logf("%s n=%d, %s: JS ok=%v %s", fx.Kind, fx.N, c.Name, c.OK, c.Error)
		}
	}
	// ikdkit on the same bytes gives the same verdicts.
	for k, f := range sd {
		for _, c := range fxs[k].Cases {
			now := time.Unix(c.Now, 0)
			o := f.opts
			o.Audience, o.Nonce, o.Now = c.Aud, c.Nonce, func() time.Time { return now }
			if err := f.verifyIkdkit(c.Presentation, o); (err == nil) != c.want {
				t.Errorf("sd-jwt n=%d, %s: ikdkit err=%v, want ok=%v", f.n, c.Name, err, c.want)
			}
		}
	}
	for k, f := range md {
		for _, c := range fxs[len(sd)+k].Cases {
			resp, _ := hex.DecodeString(c.DeviceResponseHex)
			o := f.opts
			o.SessionTranscript = c.transcript
			if err := f.verifyIkdkit(resp, o); (err == nil) != c.want {
				t.Errorf("mdoc n=%d, %s: ikdkit err=%v, want ok=%v", f.n, c.Name, err, c.want)
			}
		}
		if err := f.verifyFloor(); err != nil {
			t.Errorf("mdoc n=%d: Go floor: %v", f.n, err)
		}
	}
}

// BenchmarkJSPeers times, per fixture (sd-jwt/claims=N and mdoc/elements=N),
// ikdkit against its Go floor in this process and then the JS peer against
// its JS floor in one Node.js process, on the same bytes, b.N iterations
// each (the JS side after max(b.N, 50) warm-up iterations). Within each
// runtime the two sides alternate and are timed by process CPU time; the
// Go and JS runs follow each other, so js-x-ikdkit compares runs made a few
// seconds apart. It reports ikdkit-cpu-ns/op, go-floor-cpu-ns/op,
// ikdkit-x-floor, js-cpu-ns/op, js-floor-cpu-ns/op, js-x-floor and
// js-x-ikdkit (JS peer time / ikdkit time). For real numbers:
//
//	go test -run '^$' -bench JSPeers -benchtime 200x
func BenchmarkJSPeers(b *testing.B) {
	sd, md, fxs := jsFixtures(b)
	dir := fixtureDir(b)
	type goSides struct{ verify, floor func() error }
	var sides []goSides
	for _, f := range sd {
		sides = append(sides, goSides{func() error { return f.verifyIkdkit(f.presentation, f.opts) }, f.verifyFloor})
	}
	for _, f := range md {
		sides = append(sides, goSides{func() error { return f.verifyIkdkit(f.resp, f.opts) }, f.verifyFloor})
	}
	for i, fx := range fxs {
		file := writeFixture(b, dir, fx)
		unit := "claims"
		if fx.Kind == "mdoc" {
			unit = "elements"
		}
		s := sides[i]
		b.Run(fmt.Sprintf("%s/%s=%d", fx.Kind, unit, fx.N), func(b *testing.B) {
			for _, side := range []func() error{s.verify, s.floor} {
				if err := side(); err != nil {
					b.Fatal(err)
				}
			}
			fns := [2]func() error{s.verify, s.floor}
			var cpu [2]time.Duration
			for k := range b.N {
				for j := range 2 {
					side := (k + j) % 2
					t0 := cpuNow()
					if err := fns[side](); err != nil {
						b.Fatal(err)
					}
					cpu[side] += cpuNow() - t0
				}
			}
			b.StopTimer()
			res := runJS(b, b.N, max(b.N, 50), file)[0]
			checkVerdicts(b, fx, res)
			ikd := float64(cpu[0].Nanoseconds()) / float64(b.N)
			floor := float64(cpu[1].Nanoseconds()) / float64(b.N)
			b.ReportMetric(ikd, "ikdkit-cpu-ns/op")
			b.ReportMetric(floor, "go-floor-cpu-ns/op")
			b.ReportMetric(res.PeerCPUNs, "js-cpu-ns/op")
			b.ReportMetric(res.FloorCPUNs, "js-floor-cpu-ns/op")
			if floor > 0 && ikd > 0 && res.FloorCPUNs > 0 {
				b.ReportMetric(ikd/floor, "ikdkit-x-floor")
				b.ReportMetric(res.PeerCPUNs/res.FloorCPUNs, "js-x-floor")
				b.ReportMetric(res.PeerCPUNs/ikd, "js-x-ikdkit")
			}
		})
	}
}
