// Package demoworld builds the synthetic world that ikdkit's demo, CLI and
// examples run in: the fictitious authorities (Ditjen Dukcapil, Direktorat
// Jenderal Pajak, BPJS Kesehatan) with fresh ES256 keys, an IACA root and a
// document signer certificate each (ISO/IEC 18013-5 Annex B.1), an issuer
// kit over a SQLite store, the trust-list entry that lists them (package
// trustlist), their status lists (Token Status List, published to a
// verifier's cache), and the documents of one fictitious resident.
//
// All data is synthetic. Nothing here is for production: keys are generated
// in memory with crypto/rand and certificates are minimal.
package demoworld

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/issuer"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// The fictitious parties of the story.
const (
	// OperatorID is the trust-list operator.
	OperatorID = "https://trust.example.go.id"
	// DukcapilID is Ditjen Dukcapil, issuer of KTP-el and KK.
	DukcapilID = "https://dukcapil.example.go.id"
	// DJPID is the tax office (Direktorat Jenderal Pajak), issuer of NPWP.
	DJPID = "https://djp.example.go.id"
	// BPJSID is BPJS Kesehatan, issuer of the health-insurance card.
	BPJSID = "https://bpjs.example.go.id"
	// ResidentNIK is the fictitious resident's NIK.
	ResidentNIK = "3174015708950021"
	// KeyID is the key identifier every party's signing key is listed under.
	KeyID = "k-2026"
)

// Clock is a settable clock safe for concurrent use: the story starts it at
// some time and moves it forward, so time windows are shown without sleeping.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// NewPKI makes an IACA root named after name and a document signer
// certificate for the key ds, valid around now (ISO/IEC 18013-5 Annex B.1:
// the DS certificate carries the extended key usage id-mdl-kp-mdlDS).
func NewPKI(name string, ds crypto.Signer, now time.Time) (root, leaf *x509.Certificate, err error) {
	iacaKey, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		return nil, nil, err
	}
	rootT := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " IACA (demo)", Country: []string{"ID"}},
		NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, rootT, rootT, iacaKey.Public(), iacaKey)
	if err != nil {
		return nil, nil, err
	}
	if root, err = x509.ParseCertificate(der); err != nil {
		return nil, nil, err
	}
	leafT := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name + " DS (demo)", Country: []string{"ID"}},
		NotBefore: now.AddDate(0, -1, 0), NotAfter: now.AddDate(3, 0, 0),
		KeyUsage:           x509.KeyUsageDigitalSignature,
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{{1, 0, 18013, 5, 1, 2}}, // id-mdl-kp-mdlDS
	}
	der, err = x509.CreateCertificate(rand.Reader, leafT, root, ds.Public(), iacaKey)
	if err != nil {
		return nil, nil, err
	}
	leaf, err = x509.ParseCertificate(der)
	return root, leaf, err
}

// Party is one issuing authority: its signing key (SD-JWT VCs, status lists
// and, as the mdoc document signer, mdocs), its IACA root and DS
// certificate, and its issuer kit over a store (SQLite unless
// PartyConfig.DSN names another).
type Party struct {
	ID, Name string
	Key      crypto.Signer
	Root, DS *x509.Certificate
	Types    []credential.TypeInfo
	Issuer   *issuer.Issuer
	Store    issuer.Store

	handlerOnce sync.Once
	handler     http.Handler
	handlerErr  error
}

// PartyConfig describes a party for NewParty.
type PartyConfig struct {
	// Dir is the directory the party's SQLite store is created in.
	Dir string
	// DSN, if set, is the party's store instead, as issuer.OpenStore
	// takes it (a postgres:// URL, or a SQLite file's path).
	DSN string
	// ID and Name are the party's identifier (an https URL) and name.
	ID, Name string
	// Types are the credential types the party issues.
	Types []credential.TypeInfo
	// Documents are the resident's documents in the party's register,
	// returned for ResidentNIK.
	Documents []credential.Document
	// Others are the documents of other residents, by NIK.
	Others map[string][]credential.Document
	// Now is the party's clock; nil means time.Now.
	Now func() time.Time
}

// ErrConfig reports an incomplete PartyConfig.
var ErrConfig = errors.New("demoworld: incomplete party configuration")

// slug is the host of an https identifier, for file names.
func slug(id string) string {
	u, err := url.Parse(id)
	if err != nil || u.Hostname() == "" {
		return "issuer"
	}
	return u.Hostname()
}

// NewParty creates an issuing authority with fresh keys, certificates and a
// store at Dir/issuer-<host>.db (or at DSN). Close it with Close.
func NewParty(ctx context.Context, cfg PartyConfig) (*Party, error) {
	if cfg.Dir == "" || cfg.ID == "" || len(cfg.Types) == 0 {
		return nil, ErrConfig
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	key, err := keys.Generate(keys.ES256, nil)
	if err != nil {
		return nil, err
	}
	root, ds, err := NewPKI(cfg.Name, key, now())
	if err != nil {
		return nil, err
	}
	dsn := cfg.DSN
	if dsn == "" {
		dsn = filepath.Join(cfg.Dir, "issuer-"+slug(cfg.ID)+".db")
	}
	st, err := issuer.OpenStore(ctx, dsn)
	if err != nil {
		return nil, err
	}
	docs, others := cfg.Documents, cfg.Others
	iss, err := issuer.New(ctx, issuer.Config{
		Identifier: cfg.ID, Signer: key, KeyID: KeyID, Chain: []*x509.Certificate{ds}, Types: cfg.Types,
		StatusList: issuer.StatusListConfig{BaseURI: cfg.ID + "/status", Size: 1024, Bits: 2},
		Documents: issuer.DocumentsFunc(func(_ context.Context, nik credential.NIK) ([]credential.Document, error) {
			if nik.String() != ResidentNIK {
				return others[nik.String()], nil
			}
			return docs, nil
		}),
		Store: st, Now: now,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	return &Party{ID: cfg.ID, Name: cfg.Name, Key: key, Root: root, DS: ds, Types: cfg.Types, Issuer: iss, Store: st}, nil
}

// Close closes the party's store.
func (p *Party) Close() error { return p.Store.Close() }

// TrustEntry is the party's entry in a trust list. Dukcapil's entry also
// lists the compact QR profile credential it issues.
func (p *Party) TrustEntry() trustlist.Issuer {
	e := trustlist.Issuer{ID: p.ID, Name: p.Name, Keys: []trustlist.Key{{ID: KeyID, Public: p.Key.Public()}},
		IACARoots: []*x509.Certificate{p.Root}, DocumentSigners: []*x509.Certificate{p.DS}}
	for _, t := range p.Types {
		e.VCTs = append(e.VCTs, t.VCT)
		e.DocTypes = append(e.DocTypes, t.DocType)
	}
	if p.ID == DukcapilID {
		e.VCTs = append(e.VCTs, credential.VCTQR, credential.VCTQRFull)
		e.DocTypes = append(e.DocTypes, credential.DocTypeQR)
	}
	return e
}

// Publish hands the party's current status lists to a verifier's cache, as
// its periodic refresh would; it returns how many lists it published.
func (p *Party) Publish(ctx context.Context, c *statuslist.Cache) (int, error) {
	recs, err := p.Issuer.StatusLists(ctx)
	if err != nil {
		return 0, err
	}
	for _, r := range recs {
		tok, err := p.Issuer.StatusListToken(ctx, r.Number)
		if err != nil {
			return 0, err
		}
		if err := c.Add(r.URI, tok); err != nil {
			return 0, err
		}
	}
	return len(recs), nil
}

// RegisterRequest is the resident's registration request (IKD SOP step 3).
func RegisterRequest() issuer.RegisterRequest {
	return issuer.RegisterRequest{NIK: ResidentNIK, Email: "rina@example.id", Phone: "0812-3456-7890"}
}

// Activation is the outcome of Party.Activate.
type Activation struct {
	// Grant is the operator's confirmation with the credential offer and
	// its tx_code (the activation PIN the SOP e-mails).
	Grant *issuer.ActivationGrant
	// Received is what the wallet received and stored over OpenID4VCI.
	Received *holder.Received
}

// Handler is the party's OpenID4VCI issuer (issuer.NewHandler), made on
// first use, with the party's name as its display name.
func (p *Party) Handler() (http.Handler, error) {
	p.handlerOnce.Do(func() {
		p.handler, p.handlerErr = issuer.NewHandler(p.Issuer, issuer.HandlerConfig{
			Display: []oid4vci.IssuerDisplay{{Name: p.Name}},
		})
	})
	return p.handler, p.handlerErr
}

// Client is an HTTP client that reaches the OpenID4VCI issuers of
// parties by their identifiers' hosts without a network: each request is
// served in memory by the party's Handler. Any other host is an error.
// The demo and the examples run the real protocol through it.
func Client(parties ...*Party) (*http.Client, error) {
	hosts := map[string]http.Handler{}
	for _, p := range parties {
		h, err := p.Handler()
		if err != nil {
			return nil, err
		}
		u, err := url.Parse(p.ID)
		if err != nil {
			return nil, err
		}
		hosts[u.Host] = h
	}
	return HandlerClient(hosts), nil
}

// HandlerClient is an HTTP client that serves each request in memory with
// the handler of its URL's host (host or host:port); any other host is
// an error.
func HandlerClient(hosts map[string]http.Handler) *http.Client {
	return &http.Client{Transport: memTransport(hosts)}
}

// memTransport serves requests with the handler of their host.
type memTransport map[string]http.Handler

func (t memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		defer r.Body.Close()
	}
	h := t[r.URL.Host]
	if h == nil {
		return nil, fmt.Errorf("demoworld: no issuer at %s", r.URL.Host)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// Activate runs the resident's activation with the party (IKD SOP steps
// 3-5) over OpenID4VCI 1.0: registration, confirmation by operator (a
// credential offer and its tx_code), and redemption of the offer by the
// wallet w (holder.Wallet.ReceiveOffer, by reference) through the party's
// Handler, the tx_code typed in as the resident would.
func (p *Party) Activate(ctx context.Context, w *holder.Wallet, operator string) (*Activation, error) {
	return p.ActivateResident(ctx, w, operator, RegisterRequest())
}

// ActivateResident is Activate for the resident who registers with req.
func (p *Party) ActivateResident(ctx context.Context, w *holder.Wallet, operator string, req issuer.RegisterRequest) (*Activation, error) {
	reg, err := p.Issuer.Register(ctx, req)
	if err != nil {
		return nil, err
	}
	g, err := p.Issuer.Confirm(ctx, operator, reg.ID)
	if err != nil {
		return nil, err
	}
	if g.Offer == nil {
		return nil, fmt.Errorf("demoworld: %s made no credential offer", p.Name)
	}
	link, err := g.Offer.ReferenceLink()
	if err != nil {
		return nil, err
	}
	c, err := Client(p)
	if err != nil {
		return nil, err
	}
	rec, err := w.ReceiveOffer(ctx, link, holder.ReceiveOptions{HTTPClient: c,
		TxCode: func(context.Context, holder.TxCodeRequest) (string, error) { return g.Offer.TxCode, nil }})
	if err != nil {
		return nil, err
	}
	return &Activation{Grant: g, Received: rec}, nil
}

// SignedTrust signs list with the operator key op and returns a trust store
// holding it, with now as the store's clock.
func SignedTrust(list *trustlist.List, op crypto.Signer, keyID string, now func() time.Time) (*trustlist.Store, []byte, error) {
	tok, err := trustlist.Sign(list, op, trustlist.SignOptions{KeyID: keyID})
	if err != nil {
		return nil, nil, err
	}
	s, err := trustlist.NewStore(op.Public(), trustlist.StoreOptions{Now: now})
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.Update(tok); err != nil {
		return nil, nil, err
	}
	return s, tok, nil
}

// Pool makes a certificate pool of certs.
func Pool(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}
