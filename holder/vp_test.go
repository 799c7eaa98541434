package holder

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/oid4vp"
	"github.com/ikdkit/ikdkit/verifier"
)

const (
	vpBankDNS      = "bank.example.co.id"
	vpBankID       = "https://" + vpBankDNS
	vpBankClientID = "x509_san_dns:" + vpBankDNS
	vpBankNonce    = "vp-nonce-0123456789abcdef"
	vpBankDone     = "https://" + vpBankDNS + "/done#code-1"
)

// vpVerifier is a small OpenID4VP verifier: a request_uri serving a
// Request Object it signs, and a response_uri that verifies the posted
// vp_token with package verifier, served in memory at https://vpBankDNS.
type vpVerifier struct {
	t      *testing.T
	f      *fixture
	key    *ecdsa.PrivateKey
	chain  []*x509.Certificate
	encKey *ecdsa.PrivateKey
	req    *oid4vp.AuthorizationRequest
	// signAt is the Request Object's iat; the zero time means the wallet's
	// clock.
	signAt time.Time
	// fetchTakes, when set, passes on the wallet's clock while the
	// request_uri is served, before the Request Object is signed.
	fetchTakes time.Duration

	mu       sync.Mutex
	posted   []*oid4vp.AuthorizationResponse
	verified []*verifier.Result
	vErr     error
	nonces   []string
}

// newVPVerifier makes the verifier's PKI (a CA and a leaf for vpBankDNS)
// and a request for query in mode.
func newVPVerifier(t *testing.T, f *fixture, query string, mode oid4vp.ResponseMode) *vpVerifier {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	mk := func(tmpl, parent *x509.Certificate, pub any) *x509.Certificate {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, caKey)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test Verifier CA"},
		NotBefore: t0.AddDate(-1, 0, 0), NotAfter: t0.AddDate(5, 0, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	ca := mk(caT, caT, caKey.Public())
	leaf := mk(&x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Bank Contoh"},
		NotBefore: t0.AddDate(0, -1, 0), NotAfter: t0.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature,
		DNSNames: []string{vpBankDNS}}, ca, leafKey.Public())
	q, err := oid4vp.ParseQuery([]byte(query))
	if err != nil {
		t.Fatal(err)
	}
	v := &vpVerifier{t: t, f: f, key: leafKey, chain: []*x509.Certificate{leaf}}
	v.req = &oid4vp.AuthorizationRequest{ClientID: vpBankClientID, ResponseType: oid4vp.ResponseTypeVPToken,
		ResponseMode: mode, ResponseURI: vpBankID + "/response", Nonce: vpBankNonce, State: "state-1", DCQLQuery: q}
	if mode.Encrypted() {
		v.encKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		jwk, err := oid4vp.NewEncryptionJWK("enc-1", v.encKey.Public())
		if err != nil {
			t.Fatal(err)
		}
		v.req.ClientMetadata = &oid4vp.ClientMetadata{JWKS: []oid4vp.JWK{jwk}}
	}
	return v
}

// registration is the bank in the trust list, allowed claims.
func (v *vpVerifier) registration(claims map[string][]string) trustlist.Verifier {
	return trustlist.Verifier{ID: vpBankID, Name: "Bank Contoh", Keys: []trustlist.Key{{ID: "bank-1", Public: v.key.Public()}}, Claims: claims}
}

func (v *vpVerifier) sign(walletNonce string) string {
	v.t.Helper()
	at := v.signAt
	if at.IsZero() {
		at = v.f.clk.Now()
	}
	tok, err := oid4vp.SignRequestObject(v.key, v.chain, v.req, oid4vp.SignOptions{Now: at, WalletNonce: walletNonce})
	if err != nil {
		v.t.Fatal(err)
	}
	return tok
}

func (v *vpVerifier) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/request":
		v.f.clk.Advance(v.fetchTakes)
		nonce := ""
		if r.Method == http.MethodPost {
			p, err := oid4vp.ReadRequestURIPost(r)
			if err != nil {
				oid4vp.WriteError(w, err)
				return
			}
			nonce = p.WalletNonce
			v.mu.Lock()
			v.nonces = append(v.nonces, nonce)
			v.mu.Unlock()
		}
		oid4vp.WriteRequestObject(w, v.sign(nonce))
	case "/response":
		resp, err := oid4vp.ReadResponse(r, oid4vp.ResponseOptions{Mode: v.req.ResponseMode,
			DecryptionKey: func(string) (any, error) { return v.encKey, nil }})
		if err != nil {
			oid4vp.WriteError(w, err)
			return
		}
		v.mu.Lock()
		defer v.mu.Unlock()
		v.posted = append(v.posted, resp)
		if resp.Error != nil {
			oid4vp.WriteResponseResult(w, oid4vp.ResponseResult{})
			return
		}
		st, err := v.req.MdocSessionTranscript("", resp.KeyID)
		if err != nil {
			oid4vp.WriteError(w, err)
			return
		}
		res, err := hospitalVerifier(v.t, v.f, v.f.clk.Now()).VerifyVPToken(context.Background(), resp.VPToken,
			verifier.VPRequest{ClientID: v.req.ClientID, Nonce: v.req.Nonce, Query: v.req.DCQLQuery, SessionTranscript: st})
		if err != nil {
			v.vErr = err
			oid4vp.WriteError(w, oid4vp.NewError(oid4vp.CodeInvalidRequest, "presentation refused"))
			return
		}
		v.verified = append(v.verified, res)
		oid4vp.WriteResponseResult(w, oid4vp.ResponseResult{RedirectURI: vpBankDone})
	default:
		http.NotFound(w, r)
	}
}

func (v *vpVerifier) linkByReference(method oid4vp.RequestURIMethod) string {
	q := url.Values{"client_id": {vpBankClientID}, "request_uri": {vpBankID + "/request"}}
	if method != "" {
		q.Set("request_uri_method", string(method))
	}
	return "openid4vp://?" + q.Encode()
}

func (v *vpVerifier) linkByValue() string {
	return "openid4vp://?" + url.Values{"client_id": {vpBankClientID}, "request": {v.sign("")}}.Encode()
}

const (
	queryKTPSDJWT = `{"credentials":[{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["` + credential.VCTKTPEL + `"]},
		"claims":[{"path":["name"]},{"path":["personal_administrative_number"]}]}]}`
	queryKTPMdoc = `{"credentials":[{"id":"mdl","format":"mso_mdoc","meta":{"doctype_value":"` + credential.DocTypeKTPEL + `"},
		"claims":[{"path":["` + credential.DocTypeKTPEL + `","name"]},{"path":["` + credential.DocTypeKTPEL + `","personal_administrative_number"]}]}]}`
)

var vpBankClaims = map[string][]string{credential.VCTKTPEL: {"name", "personal_administrative_number"}, credential.DocTypeKTPEL: {"name", "personal_administrative_number"}}

// TestVPEndToEnd: the wallet reads a signed request of a registered
// verifier, shares exactly the claims asked for, and the verifier
// verifies the vp_token with package verifier; for SD-JWT and mdoc, by
// reference (GET and POST with a wallet_nonce) and by value, direct_post
// and direct_post.jwt.
func TestVPEndToEnd(t *testing.T) {
	tests := []struct {
		name   string
		query  string
		mode   oid4vp.ResponseMode
		method oid4vp.RequestURIMethod
		value  bool
	}{
		{"sd-jwt by reference", queryKTPSDJWT, oid4vp.ResponseModeDirectPost, "", false},
		{"sd-jwt by value, encrypted", queryKTPSDJWT, oid4vp.ResponseModeDirectPostJWT, "", true},
		{"mdoc with wallet_nonce", queryKTPMdoc, oid4vp.ResponseModeDirectPost, oid4vp.RequestURIMethodPost, false},
		{"mdoc encrypted", queryKTPMdoc, oid4vp.ResponseModeDirectPostJWT, oid4vp.RequestURIMethodGet, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := activated(t)
			v := newVPVerifier(t, f, tc.query, tc.mode)
			list := signedList(t, f.is, []string{credential.VCTKTPEL}, []string{credential.DocTypeKTPEL}, v.registration(vpBankClaims))
			link := v.linkByReference(tc.method)
			if tc.value {
				link = v.linkByValue()
			}
			r, err := f.w.ReadVPRequest(f.ctx, link, VPOptions{Verifiers: list, HTTPClient: handlerClient(v)})
			if err != nil {
				t.Fatal(err)
			}
			if r.Verifier != vpBankID || r.VerifierName != "Bank Contoh" || r.ClientID != vpBankClientID || r.ExpiresAt.IsZero() {
				t.Fatalf("request: %+v", r)
			}
			if tc.method == oid4vp.RequestURIMethodPost && (len(v.nonces) != 1 || v.nonces[0] == "") {
				t.Fatalf("wallet_nonce: %q", v.nonces)
			}
			var seen ConsentRequest
			ans, err := f.w.AnswerVPRequest(f.ctx, r, PresentOptions{Consent: yes(&seen)})
			if err != nil {
				t.Fatalf("%v (verifier: %v)", err, v.vErr)
			}
			if ans.RedirectURI != vpBankDone {
				t.Fatalf("redirect_uri %q", ans.RedirectURI)
			}
			if !seen.Verified || seen.VerifierName != "Bank Contoh" || len(seen.Items) != 1 || len(seen.Items[0].Claims) != 2 {
				t.Fatalf("consent: %+v", seen)
			}
			for _, c := range seen.Items[0].Claims {
				if c.Value == nil || (c.Name != "name" && c.Name != "personal_administrative_number") {
					t.Fatalf("consent claim %+v", c)
				}
			}
			if len(v.verified) != 1 || v.verified[0].NIK() != testNIK {
				t.Fatalf("verified: %v, %v", v.verified, v.vErr)
			}
			if tc.mode.Encrypted() && v.posted[0].KeyID != "enc-1" {
				t.Fatalf("response not encrypted to the verifier's key: %q", v.posted[0].KeyID)
			}
			acts, err := f.w.Activity(f.ctx)
			if err != nil {
				t.Fatal(err)
			}
			last := acts[len(acts)-1]
			if last.Kind != ActivityPresentation || last.Counterparty != vpBankID || !last.Verified || len(last.Copies) != 1 {
				t.Fatalf("activity %+v", last)
			}
			// The copy is spent: the next answer uses another one.
			creds, _ := f.w.Credentials(f.ctx)
			for _, c := range creds {
				if c.ID == last.Copies[0].Credential {
					if !c.Copies[last.Copies[0].Copy-1].Spent {
						t.Fatalf("copy %d not spent", last.Copies[0].Copy)
					}
				}
			}
		})
	}
}

// TestVPRefusals: every refusal is typed, and nothing is disclosed.
func TestVPRefusals(t *testing.T) {
	f := activated(t)
	read := func(v *vpVerifier, claims map[string][]string, link string) error {
		list := signedList(t, f.is, []string{credential.VCTKTPEL}, []string{credential.DocTypeKTPEL}, v.registration(claims))
		_, err := f.w.ReadVPRequest(f.ctx, link, VPOptions{Verifiers: list, HTTPClient: handlerClient(v)})
		return err
	}
	t.Run("bad signature", func(t *testing.T) {
		v := newVPVerifier(t, f, queryKTPSDJWT, oid4vp.ResponseModeDirectPost)
		// SignRequestObject refuses a signer its leaf does not hold: sign
		// properly, then break the signature.
		tok := v.sign("")
		tok = tok[:len(tok)-6] + map[bool]string{true: "AAAAAA", false: "BBBBBB"}[tok[len(tok)-6:] != "AAAAAA"]
		link := "openid4vp://?" + url.Values{"client_id": {vpBankClientID}, "request": {tok}}.Encode()
		if err := read(v, vpBankClaims, link); !errors.Is(err, ErrUntrustedVerifier) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unregistered verifier", func(t *testing.T) {
		v := newVPVerifier(t, f, queryKTPSDJWT, oid4vp.ResponseModeDirectPost)
		other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		reg := v.registration(vpBankClaims)
		reg.Keys[0].Public = other.Public()
		list := signedList(t, f.is, []string{credential.VCTKTPEL}, nil, reg)
		_, err := f.w.ReadVPRequest(f.ctx, v.linkByReference(""), VPOptions{Verifiers: list, HTTPClient: handlerClient(v)})
		if !errors.Is(err, ErrUntrustedVerifier) || !errors.Is(err, oid4vp.ErrUntrustedVerifier) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("claims outside its registration", func(t *testing.T) {
		v := newVPVerifier(t, f, queryKTPSDJWT, oid4vp.ResponseModeDirectPost)
		if err := read(v, map[string][]string{credential.VCTKTPEL: {"name"}}, v.linkByReference("")); !errors.Is(err, ErrUntrustedVerifier) {
			t.Fatalf("err = %v", err)
		}
		if err := read(v, map[string][]string{credential.DocTypeKTPEL: {"name", "personal_administrative_number"}}, v.linkByReference("")); !errors.Is(err, ErrUntrustedVerifier) {
			t.Fatalf("type not registered: err = %v", err)
		}
	})
	t.Run("stale request object", func(t *testing.T) {
		v := newVPVerifier(t, f, queryKTPSDJWT, oid4vp.ResponseModeDirectPost)
		v.signAt = f.clk.Now().Add(-time.Hour)
		if err := read(v, vpBankClaims, v.linkByReference("")); !errors.Is(err, ErrRequestExpired) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unsigned request", func(t *testing.T) {
		v := newVPVerifier(t, f, queryKTPSDJWT, oid4vp.ResponseModeDirectPost)
		link := "openid4vp://?" + url.Values{"client_id": {"redirect_uri:" + vpBankID + "/response"}, "response_type": {"vp_token"},
			"response_mode": {"direct_post"}, "response_uri": {vpBankID + "/response"}, "nonce": {vpBankNonce}, "dcql_query": {queryKTPSDJWT}}.Encode()
		if err := read(v, vpBankClaims, link); !errors.Is(err, ErrUntrustedVerifier) && !errors.Is(err, ErrVPRequest) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unsatisfiable query", func(t *testing.T) {
		q := `{"credentials":[{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["` + credential.VCTKTPEL + `"]},
			"claims":[{"path":["name"],"values":["SOMEONE ELSE"]}]}]}`
		v := newVPVerifier(t, f, q, oid4vp.ResponseModeDirectPost)
		list := signedList(t, f.is, []string{credential.VCTKTPEL}, nil, v.registration(vpBankClaims))
		r, err := f.w.ReadVPRequest(f.ctx, v.linkByReference(""), VPOptions{Verifiers: list, HTTPClient: handlerClient(v)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.w.AnswerVPRequest(f.ctx, r, PresentOptions{Consent: func(context.Context, ConsentRequest) (bool, error) {
			t.Fatal("consent asked for an unsatisfiable query")
			return false, nil
		}})
		if !errors.Is(err, ErrNoMatch) || !errors.Is(err, oid4vp.ErrNoMatch) || len(v.posted) != 0 {
			t.Fatalf("err = %v, posted %d", err, len(v.posted))
		}
	})
	t.Run("consent refused", func(t *testing.T) {
		v := newVPVerifier(t, f, queryKTPSDJWT, oid4vp.ResponseModeDirectPost)
		list := signedList(t, f.is, []string{credential.VCTKTPEL}, nil, v.registration(vpBankClaims))
		r, err := f.w.ReadVPRequest(f.ctx, v.linkByReference(""), VPOptions{Verifiers: list, HTTPClient: handlerClient(v)})
		if err != nil {
			t.Fatal(err)
		}
		before, _ := f.w.Credentials(f.ctx)
		_, err = f.w.AnswerVPRequest(f.ctx, r, PresentOptions{Consent: func(context.Context, ConsentRequest) (bool, error) { return false, nil }})
		if !errors.Is(err, ErrConsentRefused) {
			t.Fatalf("err = %v", err)
		}
		if len(v.posted) != 1 || v.posted[0].Error == nil || v.posted[0].Error.Code != oid4vp.CodeAccessDenied || v.posted[0].State != "state-1" {
			t.Fatalf("posted %+v", v.posted)
		}
		after, _ := f.w.Credentials(f.ctx)
		for i := range before {
			if before[i].CopiesLeft() != after[i].CopiesLeft() {
				t.Fatal("a copy was spent on a refusal")
			}
		}
		acts, _ := f.w.Activity(f.ctx)
		if acts[len(acts)-1].Kind != ActivityConsentRefused {
			t.Fatalf("activity %+v", acts[len(acts)-1])
		}
	})
	t.Run("expired before the answer", func(t *testing.T) {
		v := newVPVerifier(t, f, queryKTPSDJWT, oid4vp.ResponseModeDirectPost)
		list := signedList(t, f.is, []string{credential.VCTKTPEL}, nil, v.registration(vpBankClaims))
		r, err := f.w.ReadVPRequest(f.ctx, v.linkByReference(""), VPOptions{Verifiers: list, HTTPClient: handlerClient(v)})
		if err != nil {
			t.Fatal(err)
		}
		r.ExpiresAt = f.clk.Now()
		if _, err := f.w.AnswerVPRequest(f.ctx, r, PresentOptions{Consent: yes(nil)}); !errors.Is(err, ErrRequestExpired) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestVPResponseNotDelivered: a verifier whose response_uri fails still
// got the copy's bytes, so the copy stays spent and the failure is in the
// activity history.
func TestVPResponseNotDelivered(t *testing.T) {
	f := activated(t)
	v := newVPVerifier(t, f, queryKTPSDJWT, oid4vp.ResponseModeDirectPost)
	list := signedList(t, f.is, []string{credential.VCTKTPEL}, nil, v.registration(vpBankClaims))
	r, err := f.w.ReadVPRequest(f.ctx, v.linkByReference(""), VPOptions{Verifiers: list, HTTPClient: handlerClient(v)})
	if err != nil {
		t.Fatal(err)
	}
	r.hc = handlerClient(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	_, err = f.w.AnswerVPRequest(f.ctx, r, PresentOptions{Consent: yes(nil)})
	if !errors.Is(err, ErrResponseFailed) {
		t.Fatalf("err = %v", err)
	}
	acts, _ := f.w.Activity(f.ctx)
	n := len(acts)
	if n < 2 || acts[n-2].Kind != ActivityPresentation || acts[n-1].Kind != ActivityPresentationNotDelivered || len(acts[n-1].Copies) != 1 {
		t.Fatalf("activity %+v", acts[n-2:])
	}
}

// TestVPAgainstVPHandler: the wallet answers the verifier package's own
// OpenID4VP endpoint (verifier.NewVPHandler): request_uri POST with a
// wallet_nonce, direct_post.jwt, the outcome verified.
func TestVPAgainstVPHandler(t *testing.T) {
	f := activated(t)
	pki := newVPVerifier(t, f, queryKTPMdoc, oid4vp.ResponseModeDirectPost)
	list := signedList(t, f.is, []string{credential.VCTKTPEL}, []string{credential.DocTypeKTPEL}, pki.registration(vpBankClaims))
	for i, query := range []string{queryKTPSDJWT, queryKTPMdoc, queryKTPSDJWT, queryKTPMdoc} {
		// The last two with x509_hash: the registered verifier is found
		// by the leaf's DNS name.
		prefix := map[bool]oid4vp.ClientIDPrefix{false: oid4vp.PrefixX509SANDNS, true: oid4vp.PrefixX509Hash}[i >= 2]
		h, err := verifier.NewVPHandler(hospitalVerifier(t, f, t0), verifier.VPHandlerConfig{
			BaseURL: vpBankID, Signer: pki.key, Chain: pki.chain, ClientIDPrefix: prefix,
			ResponseMode: oid4vp.ResponseModeDirectPostJWT, Now: f.clk.Now,
		})
		if err != nil {
			t.Fatal(err)
		}
		q, err := oid4vp.ParseQuery([]byte(query))
		if err != nil {
			t.Fatal(err)
		}
		tx, err := h.NewRequest(f.ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		r, err := f.w.ReadVPRequest(f.ctx, tx.Link, VPOptions{Verifiers: list, HTTPClient: handlerClient(h)})
		if err != nil {
			t.Fatal(err)
		}
		if r.Verifier != vpBankID || r.ClientID != h.ClientID() {
			t.Fatalf("request of %q as %q", r.Verifier, r.ClientID)
		}
		if _, err := f.w.AnswerVPRequest(f.ctx, r, PresentOptions{Consent: yes(nil)}); err != nil {
			t.Fatal(err)
		}
		out, err := h.Result(f.ctx, tx.ID)
		if err != nil {
			t.Fatal(err)
		}
		if out.Pending || out.Err != nil || out.Result == nil || out.Result.NIK() != testNIK {
			t.Fatalf("outcome %+v", out)
		}
	}
}

// TestVPPrefersAnUnspentCredential: with every copy of one KTP-el spent
// and another KTP-el (imported, unspent) in the wallet, the answer uses
// the unspent one instead of failing with ErrNoCopyLeft.
func TestVPPrefersAnUnspentCredential(t *testing.T) {
	f := activated(t)
	v := newVPVerifier(t, f, queryKTPSDJWT, oid4vp.ResponseModeDirectPost)
	list := signedList(t, f.is, []string{credential.VCTKTPEL}, nil, v.registration(vpBankClaims))
	answer := func() error {
		t.Helper()
		r, err := f.w.ReadVPRequest(f.ctx, v.linkByReference(""), VPOptions{Verifiers: list, HTTPClient: handlerClient(v)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.w.AnswerVPRequest(f.ctx, r, PresentOptions{Consent: yes(nil)})
		return err
	}
	n := 0
	for ; ; n++ {
		err := answer()
		if errors.Is(err, ErrNoCopyLeft) {
			break
		}
		if err != nil || n > 50 {
			t.Fatalf("answer %d: %v", n, err)
		}
	}
	if n == 0 {
		t.Fatal("no copy was ever presented")
	}
	dev, err := f.w.CreateDeviceKey(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	imported, err := f.w.Import(f.ctx, credential.FormatSDJWT, issueSD(t, f.is.key, testIssuer, mustKTPEL(), dev.Public(), t0))
	if err != nil {
		t.Fatal(err)
	}
	// The test verifier refuses the imported credential (it carries no
	// status reference, and the verifier requires one); what matters here
	// is that the wallet chose it instead of refusing.
	if err := answer(); errors.Is(err, ErrNoCopyLeft) {
		t.Fatalf("with an unspent KTP-el in the wallet: %v", err)
	}
	acts, err := f.w.Activity(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := acts[len(acts)-1]
	if len(last.Copies) != 1 || last.Copies[0].Credential != imported.ID || last.Copies[0].Reused {
		t.Fatalf("the last presentation used %+v, not the imported KTP-el %s", last.Copies, imported.ID)
	}
}

// TestVPRequestSignedWhileFetched: a verifier that signs its Request Object
// when the wallet fetches it (as with request_uri_method=post, for the
// wallet_nonce) sets an iat later than the moment the wallet began reading
// the request. The wallet judges freshness at the time it has the Request
// Object, so a fetch that crosses a second does not make a fresh request
// look issued in the future (a flaky failure of TestLoginGoOIDC).
func TestVPRequestSignedWhileFetched(t *testing.T) {
	for _, method := range []oid4vp.RequestURIMethod{oid4vp.RequestURIMethodPost, oid4vp.RequestURIMethodGet} {
		t.Run(string(method), func(t *testing.T) {
			f := activated(t)
			v := newVPVerifier(t, f, queryKTPSDJWT, oid4vp.ResponseModeDirectPost)
			v.fetchTakes = 2 * time.Second
			list := signedList(t, f.is, []string{credential.VCTKTPEL}, []string{credential.DocTypeKTPEL}, v.registration(vpBankClaims))
			if _, err := f.w.ReadVPRequest(f.ctx, v.linkByReference(method), VPOptions{Verifiers: list, HTTPClient: handlerClient(v)}); err != nil {
				t.Fatalf("a Request Object signed during the fetch: %v", err)
			}
		})
	}
}
