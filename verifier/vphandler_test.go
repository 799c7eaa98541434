package verifier

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/oid4vp"
)

// newVPCA returns the bank's test CA (as roots) and its Request Object
// signing certificate, with the dNSName SAN localhost, and its key.
func newVPCA(t *testing.T) (*x509.CertPool, []*x509.Certificate, crypto.Signer) {
	t.Helper()
	rootKey, leafKey := mustKey(t), mustKey(t)
	mk := func(tmpl, parent *x509.Certificate, pub any) *x509.Certificate {
		if parent == nil {
			parent = tmpl
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, rootKey)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	root := mk(&x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Bank Test CA"},
		NotBefore: t0.AddDate(-1, 0, 0), NotAfter: t0.AddDate(5, 0, 0),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true}, nil, rootKey.Public())
	leaf := mk(&x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Bank verifier"},
		NotBefore: t0.AddDate(0, -1, 0), NotAfter: t0.AddDate(1, 0, 0), DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature}, root, leafKey.Public())
	pool := x509.NewCertPool()
	pool.AddCert(root)
	return pool, []*x509.Certificate{leaf}, leafKey
}

// vpEnv is a bank serving a VPHandler on loopback, and the fixture's
// holder as the Wallet.
type vpEnv struct {
	f     *fixture
	h     *VPHandler
	srv   *httptest.Server
	roots *x509.CertPool
}

func newVPEnv(t *testing.T, mod func(*VPHandlerConfig)) *vpEnv {
	t.Helper()
	f := newFixture(t)
	roots, chain, key := newVPCA(t)
	e := &vpEnv{f: f, roots: roots}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.h.ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	u, _ := url.Parse(e.srv.URL)
	cfg := VPHandlerConfig{BaseURL: "http://localhost:" + u.Port() + "/oid4vp", Signer: key, Chain: chain}
	if mod != nil {
		mod(&cfg)
	}
	h, err := NewVPHandler(f.verifier(t, nil), cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	return e
}

// vpBoth asks for a KTP-el as SD-JWT VC and as mdoc.
func vpBoth(t *testing.T) *oid4vp.Query {
	return vpQuery(t, `{"credentials":[
		{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["`+credential.VCTKTPEL+`"]},"claims":[{"path":["name"]}]},
		{"id":"mdl","format":"mso_mdoc","meta":{"doctype_value":"`+credential.DocTypeKTPEL+`"},"claims":[{"path":["`+credential.DocTypeKTPEL+`","name"]}]}]}`)
}

// fetch is the Wallet reading the request: the link, the request_uri
// (POST with a wallet_nonce when post is set), the Request Object
// verified against the bank's CA.
func (e *vpEnv) fetch(t *testing.T, tx *VPTransaction, post bool) *oid4vp.AuthorizationRequest {
	t.Helper()
	ref, err := oid4vp.ParseAuthorizationRequest(tx.Link)
	if err != nil {
		t.Fatal(err)
	}
	if ref.RequestURI != tx.RequestURI || ref.RequestURIMethod != oid4vp.RequestURIMethodPost {
		t.Fatalf("link %s", tx.Link)
	}
	var resp *http.Response
	var wn string
	if post {
		wn, _ = oid4vp.NewWalletNonce(nil)
		form, err := (&oid4vp.RequestURIPost{WalletNonce: wn}).Form()
		if err != nil {
			t.Fatal(err)
		}
		resp, err = http.PostForm(ref.RequestURI, form)
	} else {
		resp, err = http.Get(ref.RequestURI)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("request object Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	jws, err := oid4vp.ReadRequestObject(resp)
	if err != nil {
		t.Fatal(err)
	}
	vr, err := oid4vp.VerifyRequestObject(jws, oid4vp.VerifyOptions{Roots: e.roots, ClientID: ref.ClientID, WalletNonce: wn, Now: e.f.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	req := vr.Request()
	if req.ClientID != tx.ClientID || req.Nonce != tx.Nonce || req.State != tx.State || req.ResponseURI != tx.ResponseURI {
		t.Fatalf("request %+v, transaction %+v", req, tx)
	}
	return req
}

// walletOpts changes what the Wallet presents.
type walletOpts struct {
	aud, nonce string
}

// vpToken presents the holder's KTP-el in both formats, bound to req.
func (e *vpEnv) vpToken(t *testing.T, req *oid4vp.AuthorizationRequest, o walletOpts) map[string][]string {
	t.Helper()
	sd := e.f.ktpOpts()
	sd.aud, sd.nonce = req.ClientID, req.Nonce
	if o.aud != "" {
		sd.aud = o.aud
	}
	if o.nonce != "" {
		sd.nonce = o.nonce
	}
	kid := ""
	if req.ResponseMode.Encrypted() {
		k, err := req.ClientMetadata.EncryptionKey()
		if err != nil {
			t.Fatal(err)
		}
		kid = k.KeyID
	}
	st, err := req.MdocSessionTranscript("", kid)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]string{"pid": {e.f.presentSDJWT(t, sd)},
		"mdl": {base64.RawURLEncoding.EncodeToString(e.f.presentMdoc(t, e.f.ktpMdoc(), st))}}
}

// post posts a response form to uri, returning the status and the error
// answered, if any.
func post(t *testing.T, uri string, form url.Values) (int, *oid4vp.ProtocolError) {
	t.Helper()
	resp, err := http.PostForm(uri, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("response_uri Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	if resp.StatusCode == http.StatusOK {
		res, err := oid4vp.ReadResponseResult(resp)
		if err != nil || res.RedirectURI != "" {
			t.Fatalf("response result %+v, %v", res, err)
		}
		return resp.StatusCode, nil
	}
	b, _ := io.ReadAll(resp.Body)
	pe, err := oid4vp.ParseErrorResponse(b)
	if err != nil {
		t.Fatalf("error body %q: %v", b, err)
	}
	return resp.StatusCode, pe
}

func (e *vpEnv) form(t *testing.T, req *oid4vp.AuthorizationRequest, tok map[string][]string, state string) url.Values {
	t.Helper()
	form, err := (&oid4vp.AuthorizationResponse{VPToken: tok, State: state}).Form(req)
	if err != nil {
		t.Fatal(err)
	}
	return form
}

func (e *vpEnv) outcome(t *testing.T, id string) *VPOutcome {
	t.Helper()
	o, err := e.h.Result(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (e *vpEnv) resultJSON(t *testing.T, tx *VPTransaction) VPResultJSON {
	t.Helper()
	resp, err := http.Get(tx.ResultURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r VPResultJSON
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("result: HTTP %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

func wantVPCheck(t *testing.T, err error, c check.Check, sentinel error) {
	t.Helper()
	var ce *check.Error
	if !errors.As(err, &ce) || ce.Check != c || (sentinel != nil && !errors.Is(err, sentinel)) {
		t.Fatalf("err = %v, want %v at %s", err, sentinel, c)
	}
}

// TestVPHandlerFlow: the cross-device flow end to end, in both response
// modes and with both client identifier prefixes: NewRequest, the Wallet
// fetches and verifies the Request Object, presents both formats bound
// to the request, posts them; the outcome is verified, and the polling
// page sees the claims. A second post of the same response is refused.
func TestVPHandlerFlow(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   oid4vp.ResponseMode
		prefix oid4vp.ClientIDPrefix
		post   bool
	}{
		{name: "direct_post x509_san_dns GET", mode: oid4vp.ResponseModeDirectPost},
		{name: "direct_post x509_hash POST", mode: oid4vp.ResponseModeDirectPost, prefix: oid4vp.PrefixX509Hash, post: true},
		{name: "direct_post.jwt x509_san_dns POST", mode: oid4vp.ResponseModeDirectPostJWT, post: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newVPEnv(t, func(c *VPHandlerConfig) { c.ResponseMode, c.ClientIDPrefix = tc.mode, tc.prefix })
			ctx := context.Background()
			tx, err := e.h.NewRequest(ctx, vpBoth(t))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(tx.Link, "openid4vp://?") || !tx.ExpiresAt.Equal(t0.Add(DefaultRequestTTL)) || len(tx.Nonce) < 22 {
				t.Fatalf("transaction %+v", tx)
			}
			if tc.prefix == oid4vp.PrefixX509Hash != strings.HasPrefix(tx.ClientID, "x509_hash:") {
				t.Fatalf("client_id %s", tx.ClientID)
			}
			if r := e.resultJSON(t, tx); r.State != "pending" {
				t.Fatalf("result %+v", r)
			}
			req := e.fetch(t, tx, tc.post)
			if req.ResponseMode != tc.mode {
				t.Fatalf("response_mode %s", req.ResponseMode)
			}
			form := e.form(t, req, e.vpToken(t, req, walletOpts{}), req.State)
			if tc.mode.Encrypted() && form.Get("vp_token") != "" {
				t.Fatal("an encrypted response in clear")
			}
			if st, pe := post(t, req.ResponseURI, form); st != http.StatusOK {
				t.Fatalf("HTTP %d %v", st, pe)
			}
			o := e.outcome(t, tx.ID)
			if o.Pending || o.Err != nil || len(o.Result.Credentials()) != 2 || o.Result.NIK() != testNIK {
				t.Fatalf("outcome %+v", o)
			}
			r := e.resultJSON(t, tx)
			if r.State != "verified" || len(r.Claims) != 2 || r.Claims[0].Type != credential.VCTKTPEL || r.Claims[0].Claims["personal_administrative_number"] != testNIK ||
				r.Claims[1].Format != string(credential.FormatMdoc) || r.Error != nil {
				t.Fatalf("result %+v", r)
			}
			// Single use: the same response again is refused, and the
			// outcome stays.
			if st, pe := post(t, req.ResponseURI, form); st != http.StatusBadRequest || pe.Code != oid4vp.CodeInvalidRequest {
				t.Fatalf("replayed response: HTTP %d %v", st, pe)
			}
			if o := e.outcome(t, tx.ID); o.Err != nil || o.Result == nil {
				t.Fatalf("outcome after a replay %+v", o)
			}
			// The request_uri is closed too.
			if resp, err := http.Get(tx.RequestURI); err != nil || resp.StatusCode != http.StatusNotFound {
				t.Fatalf("request_uri after the response: %v %v", resp.StatusCode, err)
			}
		})
	}
}

// TestVPHandlerRefusals: each refusal, typed, and whether it spoils the
// transaction.
func TestVPHandlerRefusals(t *testing.T) {
	ctx := context.Background()
	open := func(t *testing.T, mod func(*VPHandlerConfig)) (*vpEnv, *VPTransaction, *oid4vp.AuthorizationRequest) {
		e := newVPEnv(t, mod)
		tx, err := e.h.NewRequest(ctx, vpBoth(t))
		if err != nil {
			t.Fatal(err)
		}
		return e, tx, e.fetch(t, tx, false)
	}
	t.Run("wrong state", func(t *testing.T) {
		e, tx, req := open(t, nil)
		tok := e.vpToken(t, req, walletOpts{})
		if st, pe := post(t, req.ResponseURI, e.form(t, req, tok, "another-state-0123456789")); st != http.StatusBadRequest || pe.Code != oid4vp.CodeInvalidRequest {
			t.Fatalf("HTTP %d %v", st, pe)
		}
		if !e.outcome(t, tx.ID).Pending {
			t.Fatal("a response with another state spoiled the transaction")
		}
		if st, pe := post(t, req.ResponseURI, e.form(t, req, tok, req.State)); st != http.StatusOK {
			t.Fatalf("HTTP %d %v", st, pe)
		}
	})
	t.Run("unknown transaction", func(t *testing.T) {
		e, _, req := open(t, nil)
		uri := e.h.base + "/response/unknown"
		if st, pe := post(t, uri, e.form(t, req, e.vpToken(t, req, walletOpts{}), req.State)); st != http.StatusNotFound || pe.Code != oid4vp.CodeInvalidRequest {
			t.Fatalf("HTTP %d %v", st, pe)
		}
		_, err := e.h.Result(ctx, "unknown")
		wantVPCheck(t, err, check.Input, ErrUnknownTransaction)
		if resp, err := http.Get(e.h.base + "/result/unknown"); err != nil || resp.StatusCode != http.StatusNotFound {
			t.Fatalf("result of an unknown transaction: %v", err)
		}
	})
	t.Run("expired transaction", func(t *testing.T) {
		e, tx, req := open(t, nil)
		form := e.form(t, req, e.vpToken(t, req, walletOpts{}), req.State)
		e.f.clock.Set(tx.ExpiresAt)
		if st, pe := post(t, req.ResponseURI, form); st != http.StatusBadRequest || pe.Code != oid4vp.CodeInvalidRequest {
			t.Fatalf("HTTP %d %v", st, pe)
		}
		_, err := e.h.Result(ctx, tx.ID)
		wantVPCheck(t, err, check.Input, ErrTransactionExpired)
		if r := e.resultJSON(t, tx); r.State != "failed" || r.Error == nil || r.Error.Check != "expired" {
			t.Fatalf("result %+v", r)
		}
		if resp, err := http.Get(tx.RequestURI); err != nil || resp.StatusCode != http.StatusNotFound {
			t.Fatalf("request_uri of an expired transaction: %v", err)
		}
		// Forgotten after as long again.
		e.f.clock.Set(tx.ExpiresAt.Add(DefaultRequestTTL))
		_, err = e.h.Result(ctx, tx.ID)
		wantVPCheck(t, err, check.Input, ErrUnknownTransaction)
	})
	for _, tc := range []struct {
		name     string
		o        walletOpts
		check    check.Check
		sentinel error
	}{
		{name: "KB-JWT for another client_id", o: walletOpts{aud: "x509_san_dns:evil.example"}, check: check.HolderBinding, sentinel: ErrAudience},
		{name: "wrong nonce", o: walletOpts{nonce: "another-nonce-0123456789"}, check: check.Freshness, sentinel: ErrNotFresh},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, tx, req := open(t, nil)
			if st, pe := post(t, req.ResponseURI, e.form(t, req, e.vpToken(t, req, tc.o), req.State)); st != http.StatusBadRequest || pe.Code != oid4vp.CodeInvalidRequest {
				t.Fatalf("HTTP %d %v", st, pe)
			}
			o := e.outcome(t, tx.ID)
			if o.Pending || o.Result != nil {
				t.Fatalf("outcome %+v", o)
			}
			wantVPCheck(t, o.Err, tc.check, tc.sentinel)
			if r := e.resultJSON(t, tx); r.State != "failed" || r.Error == nil || r.Error.Check != tc.check.String() || r.Claims != nil {
				t.Fatalf("result %+v", r)
			}
		})
	}
	t.Run("encrypted to a wrong key", func(t *testing.T) {
		e, tx, req := open(t, func(c *VPHandlerConfig) { c.ResponseMode = oid4vp.ResponseModeDirectPostJWT })
		tok := e.vpToken(t, req, walletOpts{})
		// The attacker's key under the transaction's kid.
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		jwk, err := oid4vp.NewEncryptionJWK(req.ClientMetadata.JWKS[0].KeyID, &k.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		other := *req
		other.ClientMetadata = &oid4vp.ClientMetadata{JWKS: []oid4vp.JWK{jwk}}
		st, pe := post(t, req.ResponseURI, e.form(t, &other, tok, req.State))
		if st != http.StatusBadRequest || !errors.Is(pe, &oid4vp.ProtocolError{Code: oid4vp.CodeInvalidRequest}) {
			t.Fatalf("HTTP %d %v", st, pe)
		}
		// Unencrypted to an encrypted request: refused as well.
		plain := *req
		plain.ResponseMode = oid4vp.ResponseModeDirectPost
		if st, _ := post(t, req.ResponseURI, e.form(t, &plain, tok, req.State)); st != http.StatusBadRequest {
			t.Fatalf("an unencrypted response: HTTP %d", st)
		}
		if !e.outcome(t, tx.ID).Pending {
			t.Fatal("an undecryptable response spoiled the transaction")
		}
		if st, pe := post(t, req.ResponseURI, e.form(t, req, tok, req.State)); st != http.StatusOK {
			t.Fatalf("HTTP %d %v", st, pe)
		}
	})
	t.Run("wallet error response", func(t *testing.T) {
		e, tx, req := open(t, nil)
		form := oid4vp.ErrorResponseForm(oid4vp.NewError(oid4vp.CodeAccessDenied, "the user declined"), req.State)
		if st, pe := post(t, req.ResponseURI, form); st != http.StatusOK {
			t.Fatalf("HTTP %d %v", st, pe)
		}
		o := e.outcome(t, tx.ID)
		var pe *oid4vp.ProtocolError
		if o.Pending || o.Result != nil || !errors.As(o.Err, &pe) || pe.Code != oid4vp.CodeAccessDenied {
			t.Fatalf("outcome %+v", o)
		}
		if r := e.resultJSON(t, tx); r.State != "failed" || r.Error == nil || r.Error.Check != "wallet" || !strings.HasPrefix(r.Error.Message, oid4vp.CodeAccessDenied) {
			t.Fatalf("result %+v", r)
		}
		// Final: a presentation afterwards is refused.
		if st, _ := post(t, req.ResponseURI, e.form(t, req, e.vpToken(t, req, walletOpts{}), req.State)); st != http.StatusBadRequest {
			t.Fatalf("a response after the error: HTTP %d", st)
		}
	})
	t.Run("concurrent responses", func(t *testing.T) {
		e, tx, req := open(t, nil)
		form := e.form(t, req, e.vpToken(t, req, walletOpts{}), req.State)
		codes := make(chan int, 4)
		for range cap(codes) {
			go func() {
				resp, err := http.PostForm(req.ResponseURI, form)
				if err != nil {
					codes <- 0
					return
				}
				resp.Body.Close()
				codes <- resp.StatusCode
			}()
		}
		ok := 0
		for range cap(codes) {
			switch <-codes {
			case http.StatusOK:
				ok++
			case http.StatusBadRequest:
			default:
				t.Error("unexpected status")
			}
		}
		if o := e.outcome(t, tx.ID); ok != 1 || o.Result == nil {
			t.Fatalf("%d responses taken, outcome %+v", ok, o)
		}
	})
	t.Run("endpoints refuse other methods and bodies", func(t *testing.T) {
		e, tx, req := open(t, nil)
		if resp, err := http.Get(req.ResponseURI); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("GET response_uri: %v", err)
		}
		if st, pe := post(t, tx.RequestURI, url.Values{"wallet_nonce": {"not url safe!"}}); st != http.StatusBadRequest || pe.Code != oid4vp.CodeInvalidRequest {
			t.Fatalf("bad wallet_nonce: HTTP %d %v", st, pe)
		}
		resp, err := http.Post(req.ResponseURI, "application/json", strings.NewReader("{}"))
		if err != nil || resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("JSON body: %v", err)
		}
		big := url.Values{"vp_token": {strings.Repeat("a", oid4vp.MaxResponseSize+1)}, "state": {req.State}}
		if st, _ := post(t, req.ResponseURI, big); st != http.StatusBadRequest {
			t.Fatalf("oversized response: HTTP %d", st)
		}
		if !e.outcome(t, tx.ID).Pending {
			t.Fatal("a refused body spoiled the transaction")
		}
	})
	t.Run("MaxPending", func(t *testing.T) {
		e := newVPEnv(t, func(c *VPHandlerConfig) { c.MaxPending = 2 })
		for range 2 {
			if _, err := e.h.NewRequest(ctx, vpBoth(t)); err != nil {
				t.Fatal(err)
			}
		}
		_, err := e.h.NewRequest(ctx, vpBoth(t))
		wantVPCheck(t, err, check.Input, ErrTooManyPending)
		// Room again once they are forgotten.
		e.f.clock.Set(t0.Add(2*DefaultRequestTTL + time.Second))
		if _, err := e.h.NewRequest(ctx, vpBoth(t)); err != nil {
			t.Fatal(err)
		}
	})
}

// TestNewVPHandlerConfig: configurations refused with ErrConfig.
func TestNewVPHandlerConfig(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, nil)
	_, chain, key := newVPCA(t)
	good := VPHandlerConfig{BaseURL: "https://localhost/oid4vp", Signer: key, Chain: chain}
	if _, err := NewVPHandler(v, good); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*VPHandlerConfig){
		"http on a public host":  func(c *VPHandlerConfig) { c.BaseURL = "http://bank.example.co.id/oid4vp" },
		"final slash":            func(c *VPHandlerConfig) { c.BaseURL += "/" },
		"host not the SAN":       func(c *VPHandlerConfig) { c.BaseURL = "https://bank.example.co.id/oid4vp" },
		"no chain":               func(c *VPHandlerConfig) { c.Chain = nil },
		"another key":            func(c *VPHandlerConfig) { c.Signer = mustKey(t) },
		"fragment response mode": func(c *VPHandlerConfig) { c.ResponseMode = "fragment" },
		"dc_api":                 func(c *VPHandlerConfig) { c.ResponseMode = oid4vp.ResponseModeDCAPI },
		"redirect_uri prefix":    func(c *VPHandlerConfig) { c.ClientIDPrefix = oid4vp.PrefixRedirectURI },
		"TTL too short":          func(c *VPHandlerConfig) { c.RequestTTL = time.Second },
		"negative MaxPending":    func(c *VPHandlerConfig) { c.MaxPending = -1 },
	} {
		cfg := good
		mod(&cfg)
		if _, err := NewVPHandler(v, cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	h, _ := NewVPHandler(v, good)
	_, err := h.NewRequest(context.Background(), nil)
	wantVPCheck(t, err, check.Input, ErrConfig)
}
