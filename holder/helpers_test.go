package holder

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/issuer"
	"github.com/ikdkit/ikdkit/keys"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

const (
	testIssuer = "https://dukcapil.example.go.id"
	testNIK    = "3174015708950021"
	testPIN    = "135790"
)

// testKDF is the cheapest Argon2id the package accepts, so that tests that
// unlock many times stay fast; BenchmarkUnlock measures DefaultKDF.
var testKDF = KDFParams{Time: 1, MemoryKiB: MinKDFMemoryKiB, Threads: 1}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var fakeJPEG = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0xFF, 0xD9}

func mustKTPEL() *credential.KTPEL {
	k, err := credential.NewKTPEL(credential.KTPELFields{
		NIK: credential.MustParseNIK(testNIK), Name: "RINA KARTIKA SARI", PlaceOfBirth: "BANDUNG",
		BirthDate: credential.Date{Year: 1995, Month: time.August, Day: 17}, Sex: credential.Female,
		BloodType: credential.BloodO,
		Address: credential.Address{Street: "JL. KENANGA RAYA NO. 7", RT: "004", RW: "009", Village: "MENTENG DALAM",
			District: "TEBET", City: "KOTA JAKARTA SELATAN", Province: "DKI JAKARTA", RegionCode: "31.74.01.1003"},
		Religion: credential.Islam, MaritalStatus: credential.BelumKawin,
		Occupation:  credential.Occupation{Text: "KARYAWAN SWASTA", Code: 15},
		Citizenship: credential.WNI, Portrait: fakeJPEG, IssueDate: credential.Date{Year: 2021, Month: time.March, Day: 2},
		IssuingPlace: "JAKARTA SELATAN", Lifetime: true, IssuingOffice: "DISDUKCAPIL KOTA ADM. JAKARTA SELATAN",
	})
	if err != nil {
		panic(err)
	}
	return k
}

func mustBPJS() *credential.BPJSKesehatan {
	b, err := credential.NewBPJSKesehatan(credential.BPJSKesehatanFields{
		CardNumber: "0001234567890", Name: "RINA KARTIKA SARI", NIK: credential.MustParseNIK(testNIK),
		BirthDate: credential.Date{Year: 1995, Month: 8, Day: 17}, Sex: credential.Female, PCPCode: "0123A045",
		PCPName: "KLINIK PRATAMA CONTOH", CareClass: 1, ParticipantTypeCode: "13", ParticipantTypeLabel: "PEGAWAI SWASTA",
		Segment: credential.PPU, MembershipStatus: credential.Aktif, CoverageStart: credential.Date{Year: 2019, Month: 1, Day: 1},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// makePKI returns an IACA root and a document signer certificate for ds.
func makePKI(ds crypto.Signer) (root, leaf *x509.Certificate, err error) {
	iacaKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	mk := func(tmpl, parent *x509.Certificate, pub any) *x509.Certificate {
		if parent == nil {
			parent = tmpl
		}
		der, e := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, iacaKey)
		if e != nil {
			err = e
			return nil
		}
		c, e := x509.ParseCertificate(der)
		if e != nil {
			err = e
		}
		return c
	}
	root = mk(&x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test IACA", Country: []string{"ID"}},
		NotBefore: t0.AddDate(-1, 0, 0), NotAfter: t0.AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true,
	}, nil, iacaKey.Public())
	if err != nil {
		return nil, nil, err
	}
	leaf = mk(&x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Test DS", Country: []string{"ID"}},
		NotBefore: t0.AddDate(0, -1, 0), NotAfter: t0.AddDate(3, 0, 0),
		KeyUsage:           x509.KeyUsageDigitalSignature,
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{{1, 0, 18013, 5, 1, 2}},
	}, root, ds.Public())
	return root, leaf, err
}

// testIssuerEnv is a real issuer.Issuer over a temporary SQLite store.
type testIssuerEnv struct {
	iss   *issuer.Issuer
	key   crypto.Signer
	root  *x509.Certificate
	leaf  *x509.Certificate
	trust StaticTrust

	mu   sync.Mutex
	docs []credential.Document // what Config.Documents returns
}

// setDocs changes the documents the issuer finds for the resident (an
// address change at Dukcapil, say).
func (e *testIssuerEnv) setDocs(docs ...credential.Document) {
	e.mu.Lock()
	e.docs = docs
	e.mu.Unlock()
}

func newIssuer(t testing.TB, clk *clock, docs ...credential.Document) *testIssuerEnv {
	t.Helper()
	e, closeFn, err := buildIssuer(t.TempDir(), clk, docs...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeFn)
	return e
}

// buildIssuer makes a real issuer.Issuer over a SQLite store in dir.
func buildIssuer(dir string, clk *clock, docs ...credential.Document) (*testIssuerEnv, func(), error) {
	ctx := context.Background()
	k, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		return nil, nil, err
	}
	root, leaf, err := makePKI(k)
	if err != nil {
		return nil, nil, err
	}
	st, err := issuer.OpenSQLite(ctx, filepath.Join(dir, "issuer.db"))
	if err != nil {
		return nil, nil, err
	}
	if len(docs) == 0 {
		docs = []credential.Document{mustKTPEL()}
	}
	e := &testIssuerEnv{key: k, root: root, leaf: leaf, docs: docs}
	iss, err := issuer.New(ctx, issuer.Config{
		Identifier: testIssuer, Signer: keys.Opaque(k), KeyID: "dukcapil-2026",
		Chain:      []*x509.Certificate{leaf},
		Types:      []credential.TypeInfo{credential.KTPELType(), credential.BPJSKesehatanType()},
		StatusList: issuer.StatusListConfig{BaseURI: testIssuer + "/status", Size: 1024},
		Documents: issuer.DocumentsFunc(func(context.Context, credential.NIK) ([]credential.Document, error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			return e.docs, nil
		}),
		Store: st,
		Now:   clk.Now,
	})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(root)
	e.iss, e.trust = iss, StaticTrust{Issuers: map[string]crypto.PublicKey{testIssuer: k.Public()}, Roots: pool}
	return e, func() { st.Close() }, nil
}

// handlerClient is an HTTP client that serves every request in memory
// with h, whatever its host: the wallet reaches the real OpenID4VCI
// issuer (issuer.NewHandler) at its https identifier without a network.
func handlerClient(h http.Handler) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		resp := rec.Result()
		resp.Request = r
		return resp, nil
	})}
}

// receive redeems the credential offer of g with w over OpenID4VCI, by
// reference, typing txCode (g's own when empty) when asked.
func (e *testIssuerEnv) receive(ctx context.Context, w *Wallet, g *issuer.ActivationGrant, txCode string) ([]*Credential, error) {
	h, err := issuer.NewHandler(e.iss, issuer.HandlerConfig{})
	if err != nil {
		return nil, err
	}
	link, err := g.Offer.ReferenceLink()
	if err != nil {
		return nil, err
	}
	if txCode == "" {
		txCode = g.Offer.TxCode
	}
	r, err := w.ReceiveOffer(ctx, link, ReceiveOptions{HTTPClient: handlerClient(h),
		TxCode: func(context.Context, TxCodeRequest) (string, error) { return txCode, nil }})
	if err != nil {
		return nil, err
	}
	return r.Credentials, nil
}

// grant registers testNIK and has an operator confirm it.
func (e *testIssuerEnv) grant(t testing.TB) *issuer.ActivationGrant {
	t.Helper()
	ctx := context.Background()
	r, err := e.iss.Register(ctx, issuer.RegisterRequest{NIK: testNIK, Email: "rina@example.id", Phone: "0812-3456-7890"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := e.iss.Confirm(ctx, "operator:kec-tebet-01", r.ID)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// fixture is a wallet in a temp dir with a test issuer.
type fixture struct {
	t     testing.TB
	ctx   context.Context
	dir   string
	clk   *clock
	is    *testIssuerEnv
	opts  Options
	w     *Wallet
	creds []*Credential
}

func newFixture(t testing.TB, mod ...func(*Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), dir: filepath.Join(t.TempDir(), "wallet"), clk: &clock{t: t0}}
	f.is = newIssuer(t, f.clk, mustKTPEL(), mustBPJS())
	f.opts = Options{KDF: testKDF, Trust: f.is.trust, Now: f.clk.Now}
	for _, m := range mod {
		m(&f.opts)
	}
	w, err := Create(f.ctx, f.dir, testPIN, f.opts)
	if err != nil {
		t.Fatal(err)
	}
	f.w = w
	t.Cleanup(func() { f.w.Close() })
	return f
}

// activated returns a fixture whose wallet went through activation.
func activated(t testing.TB, mod ...func(*Options)) *fixture {
	t.Helper()
	f := newFixture(t, mod...)
	g := f.is.grant(t)
	creds, err := f.is.receive(f.ctx, f.w, g, "")
	if err != nil {
		t.Fatal(err)
	}
	f.creds = creds
	return f
}

func (f *fixture) reopen() {
	f.t.Helper()
	f.w.Close()
	w, err := Open(f.ctx, f.dir, f.opts)
	if err != nil {
		f.t.Fatal(err)
	}
	f.w = w
}

// copyKeys lists the key thumbprints of every copy of creds.
func copyKeys(creds []*Credential) []string {
	var out []string
	for _, c := range creds {
		for _, cp := range c.Copies {
			out = append(out, cp.KeyThumbprint)
		}
	}
	return out
}

// sameSet reports whether a and b hold the same distinct strings, each
// once.
func sameSet(a, b []string) bool {
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return len(seen) == len(a)
}
