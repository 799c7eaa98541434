package mdoc

import (
	"bytes"
	"crypto/x509"
	"sync"
)

// MaxCachedCertificates bounds a [CertificateCache]: when it is full, a
// newly parsed certificate replaces one it holds.
const MaxCachedCertificates = 256

// CertificateCache keeps the x5chain certificates [Verify] has parsed, by
// their exact DER bytes, so a verifier that reads many documents signed by
// one document signer parses its certificate once instead of for every
// document (crypto/x509 takes some microseconds per certificate). It saves
// parsing only: every verification still validates the chain to the roots
// at its own time, applies the document signer profile and checks every
// signature.
//
// The certificates it hands out, also through [VerifiedDocument.Chain],
// are shared by every verification that met the same bytes and must not
// be modified, as with those of an [x509.CertPool].
//
// The zero CertificateCache is ready to use; it is safe for concurrent
// use and is not copied once used. It holds at most
// [MaxCachedCertificates] certificates.
type CertificateCache struct {
	mu    sync.RWMutex
	certs map[string]*x509.Certificate // by DER
}

// parse returns the certificate der encodes, from the cache when it has
// it. A certificate that does not parse is not cached. der is not
// retained: the cache keeps copies.
func (c *CertificateCache) parse(der []byte) (*x509.Certificate, error) {
	if c == nil {
		return x509.ParseCertificate(bytes.Clone(der))
	}
	c.mu.RLock()
	cert, ok := c.certs[string(der)]
	c.mu.RUnlock()
	if ok {
		return cert, nil
	}
	own := bytes.Clone(der)
	cert, err := x509.ParseCertificate(own)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.certs[string(own)]; ok {
		return prev, nil // parsed meanwhile by another verification
	}
	if c.certs == nil {
		c.certs = make(map[string]*x509.Certificate)
	}
	if len(c.certs) >= MaxCachedCertificates {
		for k := range c.certs { // one, in the map's unspecified order
			delete(c.certs, k)
			break
		}
	}
	c.certs[string(own)] = cert
	return cert, nil
}
