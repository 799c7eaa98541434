package issuer

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// hEnv is a test issuer behind its Handler, driven in-process with the
// identifier's https URLs (no network).
type hEnv struct {
	*env
	h *Handler
}

func newHandlerEnv(t testing.TB, hc HandlerConfig, mod ...func(*Config)) *hEnv {
	t.Helper()
	return newHandlerEnvOn(t, sqliteBackend, hc, mod...)
}

func newHandlerEnvOn(t testing.TB, b backend, hc HandlerConfig, mod ...func(*Config)) *hEnv {
	t.Helper()
	e := newEnvOn(t, b, mod...)
	h, err := NewHandler(e.iss, hc)
	if err != nil {
		t.Fatal(err)
	}
	return &hEnv{env: e, h: h}
}

// reopen reopens the store, the issuer and its handler with the same
// configuration.
func (he *hEnv) reopen(hc HandlerConfig) {
	he.t.Helper()
	he.env.reopen()
	h, err := NewHandler(he.iss, hc)
	if err != nil {
		he.t.Fatal(err)
	}
	he.h = h
}

// do serves r and returns the response.
func (he *hEnv) do(r *http.Request) *http.Response {
	rec := httptest.NewRecorder()
	he.h.ServeHTTP(rec, r)
	return rec.Result()
}

func body(t testing.TB, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantError checks an error response: status, error code and, for 401,
// a challenge of scheme.
func wantError(t testing.TB, resp *http.Response, status int, code string) *oid4vci.ProtocolError {
	t.Helper()
	if resp.StatusCode < 400 {
		t.Fatalf("status %d (%s), want %d %s", resp.StatusCode, body(t, resp), status, code)
	}
	pe := oid4vci.ReadError(resp)
	if pe.Status != status || pe.Code != code {
		t.Fatalf("got %d %q (%s), want %d %q", pe.Status, pe.Code, pe.Description, status, code)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control %q", cc)
	}
	if status == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatal("401 without WWW-Authenticate")
	}
	return pe
}

// tokenForm is a token request body.
func tokenForm(code, txCode string) url.Values {
	v := url.Values{"grant_type": {oid4vci.GrantTypePreAuthorizedCode}, "pre-authorized_code": {code}}
	if txCode != "" {
		v.Set("tx_code", txCode)
	}
	return v
}

func (he *hEnv) tokenRequest(form url.Values, dpop string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, testIssuer+"/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if dpop != "" {
		r.Header.Set("DPoP", dpop)
	}
	return r
}

// dpopProof makes a DPoP proof for a request with key k.
func (he *hEnv) dpopProof(k crypto.Signer, method, path, accessToken string) string {
	he.t.Helper()
	p, err := oid4vci.NewDPoPProof(nil, k, method, testIssuer+path, accessToken, "", he.clock.Now())
	if err != nil {
		he.t.Fatal(err)
	}
	return p
}

// session is an access token for a test offer.
type session struct {
	offer   *Offer
	token   string
	typ     string
	dpop    crypto.Signer // the DPoP key of a DPoP-bound token
	refresh string        // the refresh token of the token response
}

// redeem registers and confirms testNIK and redeems the offer at the
// token endpoint, with a DPoP proof by dpop when it is not nil.
func (he *hEnv) redeem(dpop crypto.Signer) *session {
	he.t.Helper()
	g := he.registerConfirm()
	return he.redeemOffer(g.Offer, dpop)
}

func (he *hEnv) redeemOffer(o *Offer, dpop crypto.Signer) *session {
	he.t.Helper()
	proof := ""
	if dpop != nil {
		proof = he.dpopProof(dpop, http.MethodPost, "/token", "")
	}
	resp := he.do(he.tokenRequest(tokenForm(o.Offer.Grants.PreAuthorizedCode.PreAuthorizedCode, o.TxCode), proof))
	b := body(he.t, resp)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		he.t.Fatalf("token: %d %s", resp.StatusCode, b)
	}
	tr, err := oid4vci.ParseTokenResponse(b)
	if err != nil {
		he.t.Fatal(err)
	}
	if tr.RefreshToken == "" {
		he.t.Fatal("no refresh token in the token response")
	}
	return &session{offer: o, token: tr.AccessToken, typ: tr.TokenType, dpop: dpop, refresh: tr.RefreshToken}
}

// nonce gets a c_nonce from the nonce endpoint.
func (he *hEnv) nonce() string {
	he.t.Helper()
	resp := he.do(httptest.NewRequest(http.MethodPost, testIssuer+"/nonce", nil))
	b := body(he.t, resp)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		he.t.Fatalf("nonce: %d %s", resp.StatusCode, b)
	}
	n, err := oid4vci.ParseNonceResponse(b)
	if err != nil {
		he.t.Fatal(err)
	}
	return n.CNonce
}

// proofs signs one key proof per device over nonce.
func (he *hEnv) proofs(nonce string, devices ...crypto.Signer) []string {
	he.t.Helper()
	var out []string
	for _, d := range devices {
		p, err := oid4vci.SignProof(nil, d, testIssuer, nonce, he.clock.Now())
		if err != nil {
			he.t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// resourceRequest is a request to the credential or notification
// endpoint with the session's token, a fresh DPoP proof for a DPoP-bound
// one.
func (he *hEnv) resourceRequest(s *session, path string, v any) *http.Request {
	var b []byte
	switch v := v.(type) {
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		b, _ = json.Marshal(v)
	}
	r := httptest.NewRequest(http.MethodPost, testIssuer+path, bytes.NewReader(b))
	r.Header.Set("Content-Type", "application/json")
	if s != nil {
		r.Header.Set("Authorization", s.typ+" "+s.token)
		if s.dpop != nil {
			r.Header.Set("DPoP", he.dpopProof(s.dpop, http.MethodPost, path, s.token))
		}
	}
	return r
}

// credentialBody is a Credential Request with jwt proofs.
func credentialBody(config string, proofs ...string) map[string]any {
	return map[string]any{"credential_configuration_id": config, "proofs": map[string]any{"jwt": proofs}}
}

// request asks for config with one proof per device over a fresh nonce
// and returns the response.
func (he *hEnv) request(s *session, config string, devices ...crypto.Signer) *http.Response {
	he.t.Helper()
	return he.do(he.resourceRequest(s, "/credential", credentialBody(config, he.proofs(he.nonce(), devices...)...)))
}

// issue asks for config and returns the parsed response.
func (he *hEnv) issue(s *session, config string, devices ...crypto.Signer) *oid4vci.CredentialResponse {
	he.t.Helper()
	resp := he.request(s, config, devices...)
	b := body(he.t, resp)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		he.t.Fatalf("credential %s: %d %s", config, resp.StatusCode, b)
	}
	cr, err := oid4vci.ParseCredentialResponse(b)
	if err != nil {
		he.t.Fatal(err)
	}
	if len(cr.Credentials) != len(devices) || cr.NotificationID == "" {
		he.t.Fatalf("%d credentials for %d proofs, notification %q", len(cr.Credentials), len(devices), cr.NotificationID)
	}
	return cr
}

// verifyIssued checks a credential of the response: signed by the
// issuer (SD-JWT VC with its key, mdoc to its IACA root), of the
// configuration's type, bound to device (a presentation by it verifies).
func (he *hEnv) verifyIssued(c configuration, entry oid4vci.CredentialEntry, device crypto.Signer) {
	he.t.Helper()
	t := he.t
	cr := &oid4vci.CredentialResponse{Credentials: []oid4vci.CredentialEntry{entry}}
	issued, err := cr.Issued(c.format)
	if err != nil {
		t.Fatal(err)
	}
	switch c.format {
	case credential.FormatSDJWT:
		u, err := sdjwt.Parse(string(issued[0].Data))
		if err != nil {
			t.Fatal(err)
		}
		pres, err := u.Present(sdjwt.KeyBindingOptions{Signer: device, Audience: "https://bank.example.id", Nonce: "n-1", IssuedAt: he.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		v, err := sdjwt.VerifyVC(pres, sdjwt.VerifyOptions{IssuerKey: he.key.Public(), Audience: "https://bank.example.id", Nonce: "n-1", Now: he.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		if v.VCT() != c.vct() {
			t.Fatalf("vct %q, want %q", v.VCT(), c.vct())
		}
	case credential.FormatMdoc:
		m, err := mdoc.ParseIssuerSigned(issued[0].Data)
		if err != nil {
			t.Fatal(err)
		}
		tr, _ := mdoc.OpenID4VPSessionTranscript("x509_san_dns:bank.example.id", "n-2", nil, "https://bank.example.id/r")
		el := "name"
		if c.profile == ProfileQR {
			el = credential.QRClaimAgeOver18
		}
		resp, err := mdoc.Present(m, map[string][]string{c.docType(): {el}}, mdoc.PresentOptions{SessionTranscript: tr, DeviceKey: device})
		if err != nil {
			t.Fatal(err)
		}
		roots := x509.NewCertPool()
		roots.AddCert(he.root)
		if _, err := mdoc.Verify(resp, mdoc.VerifyOptions{Roots: roots, SessionTranscript: tr, DocType: c.docType(), Now: he.clock.Now}); err != nil {
			t.Fatal(err)
		}
	}
}

// errorIs reports whether err is a *oid4vci.ProtocolError with code.
func errorIs(err error, code string) bool {
	var pe *oid4vci.ProtocolError
	return errors.As(err, &pe) && pe.Code == code
}
