package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/demoworld"
	"github.com/ikdkit/ikdkit/keys"
)

// vciIssuer is demoworld's Dukcapil, a real issuer.Issuer on SQLite,
// serving its OpenID4VCI endpoints (issuer.NewHandler) on an https
// loopback address, which is also its Credential Issuer Identifier. A
// test may put a hostile answer in front of one endpoint (Override).
type vciIssuer struct {
	party *demoworld.Party
	srv   *httptest.Server

	mu        sync.Mutex
	handler   http.Handler
	overrides map[string]http.HandlerFunc
}

// newVCIIssuer starts the issuer with its store in dir and writes
// issuer.jwk.json and iaca.pem there.
func newVCIIssuer(dir string, now func() time.Time) (*vciIssuer, error) {
	ctx := context.Background()
	v := &vciIssuer{overrides: map[string]http.HandlerFunc{}}
	// https, so that the identifier is one a trust list can hold; the
	// wallet trusts the test certificate through env.transport.
	v.srv = httptest.NewTLSServer(v)
	ktp, kk, _, _, err := demoworld.ResidentDocuments()
	if err != nil {
		v.srv.Close()
		return nil, err
	}
	v.party, err = demoworld.NewParty(ctx, demoworld.PartyConfig{Dir: dir, ID: v.srv.URL, Name: "Ditjen Dukcapil",
		Types: []credential.TypeInfo{credential.KTPELType(), credential.KKType()}, Documents: []credential.Document{ktp, kk}, Now: now})
	if err != nil {
		v.srv.Close()
		return nil, err
	}
	h, err := v.party.Handler()
	if err != nil {
		v.Close()
		return nil, err
	}
	v.mu.Lock()
	v.handler = h
	v.mu.Unlock()
	pub, err := keys.MarshalPublicJWK(v.party.Key.Public())
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "issuer.jwk.json"), pub, 0o644)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "iaca.pem"), keys.MarshalCertificatesPEM(v.party.Root), 0o644)
	}
	if err != nil {
		v.Close()
		return nil, err
	}
	return v, nil
}

// ServeHTTP answers with the override of "METHOD /path" if there is one,
// else with the issuer's handler.
func (v *vciIssuer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v.mu.Lock()
	h, o := v.handler, v.overrides[r.Method+" "+r.URL.Path]
	v.mu.Unlock()
	switch {
	case o != nil:
		o(w, r)
	case h != nil:
		h.ServeHTTP(w, r)
	default:
		http.Error(w, "starting", http.StatusServiceUnavailable)
	}
}

// Override answers requests of pattern ("POST /token") with h instead of
// the issuer; a nil h removes the override.
func (v *vciIssuer) Override(pattern string, h http.HandlerFunc) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if h == nil {
		delete(v.overrides, pattern)
		return
	}
	v.overrides[pattern] = h
}

// Close stops the server and closes the store.
func (v *vciIssuer) Close() {
	v.srv.Close()
	v.party.Close()
}

// offer registers the demo resident, confirms the registration as an
// operator would, and returns the credential offer by reference and its
// tx_code.
func (v *vciIssuer) offer(ctx context.Context) (link, txCode string, err error) {
	reg, err := v.party.Issuer.Register(ctx, demoworld.RegisterRequest())
	if err != nil {
		return "", "", err
	}
	g, err := v.party.Issuer.Confirm(ctx, "operator:test", reg.ID)
	if err != nil {
		return "", "", err
	}
	link, err = g.Offer.ReferenceLink()
	return link, g.Offer.TxCode, err
}

// wrongTxCode is a code of txCode's length that is not txCode.
func wrongTxCode(txCode string) string {
	b := []byte(txCode)
	for i := range b {
		b[i] = '0' + (b[i]-'0'+1)%10
	}
	return string(b)
}
