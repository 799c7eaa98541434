package mdoc

import (
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"sync"
	"testing"
	"time"
)

// dsOf verifies f's response with opts and returns its document signer
// certificate.
func dsOf(t *testing.T, f *elementsFixture, opts VerifyOptions) *x509.Certificate {
	t.Helper()
	vr, err := Verify(f.resp, opts)
	if err != nil {
		t.Fatal(err)
	}
	return vr.Documents()[0].Chain()[0]
}

// A CertificateCache hands a second verification of the same document
// signer the certificate the first one parsed, and only for the same
// bytes; it never stands in for the checks: the chain is validated to the
// roots at each verification's own time.
func TestCertificateCache(t *testing.T) {
	f1, f2 := newElementsFixture(t, 2), newElementsFixture(t, 2)
	cache := new(CertificateCache)
	o1, o2 := f1.opts, f2.opts
	o1.Certificates, o2.Certificates = cache, cache

	a, b := dsOf(t, f1, o1), dsOf(t, f1, o1)
	if a != b {
		t.Error("the second verification parsed the DS certificate again")
	}
	none := f1.opts
	none.Certificates = nil
	if dsOf(t, f1, none) == dsOf(t, f1, none) {
		t.Error("without a cache two verifications share a certificate")
	}
	c := dsOf(t, f2, o2)
	if c == a || string(c.Raw) == string(a.Raw) || string(c.Raw) != string(f2.dsCert(t).Raw) {
		t.Error("another document signer's response got the cached certificate")
	}
	if n := len(cache.certs); n != 2 {
		t.Errorf("%d certificates cached, want 2", n)
	}

	// Cached, f1's DS still does not chain to f2's roots, nor verify
	// after it expired.
	wrongRoots := o1
	wrongRoots.Roots = f2.opts.Roots
	if _, err := Verify(f1.resp, wrongRoots); !errors.Is(err, ErrUntrustedIssuer) {
		t.Errorf("cached DS with another issuer's roots: %v, want ErrUntrustedIssuer", err)
	}
	late := o1
	late.Now = func() time.Time { return testNow.AddDate(3, 0, 0) }
	if _, err := Verify(f1.resp, late); !errors.Is(err, ErrUntrustedIssuer) {
		t.Errorf("cached DS after its notAfter: %v, want ErrUntrustedIssuer", err)
	}
}

// dsCert returns the DS certificate in f's response, parsed afresh.
func (f *elementsFixture) dsCert(t *testing.T) *x509.Certificate {
	t.Helper()
	d, err := parseDeviceResponse(f.resp)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := parseDocument(d.Documents[0])
	if err != nil {
		t.Fatal(err)
	}
	_, chain, err := parseIssuerAuth(doc.IssuerSigned.IssuerAuth, nil)
	if err != nil {
		t.Fatal(err)
	}
	return chain[0]
}

// The cache holds at most MaxCachedCertificates, keeps the newest, and
// does not cache what does not parse.
func TestCertificateCacheBounded(t *testing.T) {
	key := newECKey(t, elliptic.P256())
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: "bound"}, NotBefore: testNow, NotAfter: testNow.Add(time.Hour)}
	cache := new(CertificateCache)
	var last []byte
	for i := range MaxCachedCertificates + 10 {
		tmpl.SerialNumber = big.NewInt(int64(i + 1))
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		if err != nil {
			t.Fatal(err)
		}
		c, err := cache.parse(der)
		if err != nil || c.SerialNumber.Int64() != int64(i+1) {
			t.Fatalf("certificate %d: %v", i, err)
		}
		last = der
	}
	if n := len(cache.certs); n != MaxCachedCertificates {
		t.Errorf("%d certificates cached, want %d", n, MaxCachedCertificates)
	}
	if _, ok := cache.certs[string(last)]; !ok {
		t.Error("the newest certificate was not kept")
	}
	before := len(cache.certs)
	if _, err := cache.parse([]byte{0x30, 0x03, 0x02, 0x01, 0x01}); err == nil {
		t.Error("malformed DER parsed")
	}
	if len(cache.certs) != before {
		t.Error("malformed DER was cached")
	}
}

// One cache shared by concurrent verifications of two issuers' responses
// (run with -race).
func TestCertificateCacheConcurrent(t *testing.T) {
	fs := []*elementsFixture{newElementsFixture(t, 2), newElementsFixture(t, 2)}
	cache := new(CertificateCache)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				f := fs[(g+i)%2]
				o := f.opts
				o.Certificates = cache
				if _, err := Verify(f.resp, o); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := len(cache.certs); n != 2 {
		t.Errorf("%d certificates cached, want 2", n)
	}
}
