package oid4vp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/keys"
)

func verifyOpts(p *testPKI) VerifyOptions {
	return VerifyOptions{Roots: p.roots, Now: testNow}
}

func TestSignVerifyRequestObject(t *testing.T) {
	p := newPKI(t, "other.example.id", testDNS)
	for _, prefix := range []ClientIDPrefix{PrefixX509SANDNS, PrefixX509Hash} {
		t.Run(string(prefix), func(t *testing.T) {
			req, _ := redirectRequest(t, p)
			if prefix == PrefixX509Hash {
				req.ClientID = X509HashClientID(p.leaf)
			}
			// An HSM-style signer: only Public and Sign.
			tok, err := SignRequestObject(keys.Opaque(p.leafKey), p.chain(), req, SignOptions{Now: testNow, WalletNonce: "wn-1"})
			if err != nil {
				t.Fatal(err)
			}
			opts := verifyOpts(p)
			opts.ClientID, opts.WalletNonce = req.ClientID, "wn-1"
			var trusted []*x509.Certificate
			opts.CheckTrust = func(chain []*x509.Certificate, c ClientID) error {
				trusted = chain
				if c.String() != req.ClientID {
					t.Errorf("CheckTrust got %v", c)
				}
				return nil
			}
			v, err := VerifyRequestObject(tok, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := v.Request(); !reflect.DeepEqual(got, req) {
				t.Fatalf("verified request differs:\n%+v\n%+v", got, req)
			}
			if v.Client().Prefix != prefix || v.WalletNonce() != "wn-1" || !v.IssuedAt().Equal(testNow.Truncate(time.Second)) ||
				!v.ExpiresAt().Equal(testNow.Add(DefaultRequestObjectLifetime)) || len(v.Chain()) != 3 || len(trusted) != 3 || !v.Chain()[2].Equal(p.root) {
				t.Fatalf("verified %+v", v)
			}
			// CheckTrust alone (a trust list of leaves), without Roots.
			opts.Roots = nil
			if v, err := VerifyRequestObject(tok, opts); err != nil || len(v.Chain()) != 2 {
				t.Fatalf("CheckTrust only: %v", err)
			}
		})
	}
}

// mutate signs the payload of a valid request object, edited, with the
// header, edited; key nil means the leaf key.
func (p *testPKI) mutate(t testing.TB, req *AuthorizationRequest, key crypto.Signer, editHeader func(map[string]any), editPayload func(map[string]any)) string {
	t.Helper()
	tok, err := SignRequestObject(p.leafKey, p.chain(), req, SignOptions{Now: testNow, WalletNonce: "wn-1"})
	if err != nil {
		t.Fatal(err)
	}
	jws, err := jose.Parse(tok, 0)
	if err != nil {
		t.Fatal(err)
	}
	pl, _ := strictjson.UnmarshalObject(jws.Payload, 20)
	h := jws.Header
	delete(h, "alg")
	if editHeader != nil {
		editHeader(h)
	}
	if editPayload != nil {
		editPayload(pl)
	}
	if key == nil {
		key = p.leafKey
	}
	return signRaw(t, key, h, pl)
}

func TestVerifyRequestObjectRefusals(t *testing.T) {
	p := newPKI(t, testDNS)
	other := newPKI(t, testDNS)
	selfKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	self := newCert(t, &x509.Certificate{SerialNumber: newPKI(t).leaf.SerialNumber, DNSNames: []string{testDNS},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature},
		&x509.Certificate{SerialNumber: newPKI(t).leaf.SerialNumber, DNSNames: []string{testDNS}}, &selfKey.PublicKey, selfKey)
	noSig := newCert(t, &x509.Certificate{SerialNumber: p.leaf.SerialNumber, DNSNames: []string{testDNS},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour), KeyUsage: x509.KeyUsageKeyAgreement}, p.inter, &p.leafKey.PublicKey, p.interKey)
	req, _ := redirectRequest(t, p)
	good := p.mutate(t, req, nil, nil, nil)
	b64 := func(c *x509.Certificate) string { return base64.StdEncoding.EncodeToString(c.Raw) }
	setH := func(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }
	setP := setH
	delP := func(k string) func(map[string]any) { return func(m map[string]any) { delete(m, k) } }
	flipped := good[:len(good)-4] + map[bool]string{true: "AAAA", false: "BBBB"}[!strings.HasSuffix(good, "AAAA")]
	for _, tc := range []struct {
		name     string
		tok      string
		opts     func(*VerifyOptions)
		code     string
		sentinel error
	}{
		{"bad signature", flipped, nil, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"signed by another key", p.mutate(t, req, other.leafKey, nil, nil), nil, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"wrong typ", p.mutate(t, req, nil, setH("typ", "JWT"), nil), nil, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"no typ", p.mutate(t, req, nil, func(m map[string]any) { delete(m, "typ") }, nil), nil, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"alg not allowed", good, func(o *VerifyOptions) { o.Algorithms = []keys.Algorithm{keys.ES384} }, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"alg none", base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"oauth-authz-req+jwt"}`)) + "." + strings.Split(good, ".")[1] + ".", nil, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"crit", p.mutate(t, req, nil, setH("crit", []any{"x"}), nil), nil, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"no x5c", p.mutate(t, req, nil, func(m map[string]any) { delete(m, "x5c") }, nil), nil, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"x5c of another chain", p.mutate(t, req, nil, setH("x5c", []any{b64(other.leaf), b64(other.inter)}), nil), nil, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"x5c not base64", p.mutate(t, req, nil, setH("x5c", []any{"!!"}), nil), nil, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"x5c with the root", p.mutate(t, req, nil, setH("x5c", []any{b64(p.leaf), b64(p.inter), b64(p.root)}), nil), nil, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"self-signed leaf", p.mutate(t, req, selfKey, setH("x5c", []any{b64(self)}), nil), nil, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"x5c too long", p.mutate(t, req, nil, setH("x5c", []any{b64(p.leaf), b64(p.inter), b64(p.inter), b64(p.inter), b64(p.inter), b64(p.inter)}), nil), nil, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"leaf without digitalSignature", p.mutate(t, req, nil, setH("x5c", []any{b64(noSig), b64(p.inter)}), nil), nil, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"untrusted root", good, func(o *VerifyOptions) { o.Roots = other.roots }, CodeInvalidRequestObject, ErrUntrustedVerifier},
		{"no trust configured", good, func(o *VerifyOptions) { o.Roots = nil }, CodeInvalidRequestObject, ErrUntrustedVerifier},
		{"CheckTrust refuses", good, func(o *VerifyOptions) {
			o.CheckTrust = func([]*x509.Certificate, ClientID) error { return errors.New("not registered") }
		}, CodeInvalidRequestObject, ErrUntrustedVerifier},
		{"certificate expired at Now", good, func(o *VerifyOptions) { o.Now = testNow.Add(100 * 24 * time.Hour); o.MaxAge = 200 * 24 * time.Hour }, CodeInvalidRequestObject, ErrUntrustedVerifier},
		{"client_id SAN not in certificate", p.mutate(t, req, nil, nil, func(m map[string]any) {
			m["client_id"] = "x509_san_dns:evil.example"
			m["response_uri"] = "https://evil.example/post"
		}), nil, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"client_id hash not of the leaf", p.mutate(t, req, nil, nil, setP("client_id", X509HashClientID(p.inter))), nil, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"response_uri host not the SAN", p.mutate(t, req, nil, nil, setP("response_uri", "https://evil.example/post")), nil, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"client_id not the link's", good, func(o *VerifyOptions) { o.ClientID = "x509_san_dns:other.example.id" }, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"expired", good, func(o *VerifyOptions) { o.Now = testNow.Add(DefaultRequestObjectLifetime + time.Second) }, CodeInvalidRequestObject, ErrNotFresh},
		{"iat in the future", good, func(o *VerifyOptions) { o.Now = testNow.Add(-time.Minute) }, CodeInvalidRequestObject, ErrNotFresh},
		{"iat too old", p.mutate(t, req, nil, nil, delP("exp")), func(o *VerifyOptions) { o.Now = testNow.Add(DefaultMaxAge + time.Second) }, CodeInvalidRequestObject, ErrNotFresh},
		{"no iat", p.mutate(t, req, nil, nil, delP("iat")), nil, CodeInvalidRequestObject, ErrNotFresh},
		{"nbf in the future", p.mutate(t, req, nil, nil, setP("nbf", testNow.Add(time.Minute).Unix())), nil, CodeInvalidRequestObject, ErrNotFresh},
		{"iat not a number", p.mutate(t, req, nil, nil, setP("iat", "now")), nil, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"wrong wallet_nonce", good, func(o *VerifyOptions) { o.WalletNonce = "wn-2" }, CodeInvalidRequestObject, ErrWalletNonce},
		{"missing wallet_nonce", p.mutate(t, req, nil, nil, delP("wallet_nonce")), func(o *VerifyOptions) { o.WalletNonce = "wn-1" }, CodeInvalidRequestObject, ErrWalletNonce},
		{"wrong aud", p.mutate(t, req, nil, nil, setP("aud", "https://wallet.example")), nil, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"no aud", p.mutate(t, req, nil, nil, delP("aud")), nil, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"request inside", p.mutate(t, req, nil, nil, setP("request_uri", "https://x.example/r")), nil, CodeInvalidRequest, ErrMalformed},
		{"transaction_data", p.mutate(t, req, nil, nil, setP("transaction_data", []any{"eyJ0eXBlIjoieCJ9"})), nil, CodeInvalidTransactionData, ErrUnsupported},
		{"unknown response_mode", p.mutate(t, req, nil, nil, setP("response_mode", "form_post")), nil, CodeInvalidRequest, ErrUnsupported},
		{"dc_api response_mode off the DC API", p.mutate(t, req, nil, nil, setP("response_mode", "dc_api")), nil, CodeInvalidRequest, ErrMalformed},
		{"direct_post over the DC API", good, func(o *VerifyOptions) { o.Origin = "https://" + testDNS }, CodeInvalidRequest, ErrMalformed},
		{"redirect_uri client signed", p.mutate(t, req, nil, nil, setP("client_id", "redirect_uri:https://"+testDNS+"/oid4vp/response")), nil, CodeInvalidRequestObject, ErrInvalidRequestObject},
		{"verifier_attestation", p.mutate(t, req, nil, setH("jwt", "a.b.c"), setP("client_id", "verifier_attestation:v")), nil, CodeInvalidRequest, ErrUnsupported},
		{"openid_federation", p.mutate(t, req, nil, nil, setP("client_id", "openid_federation:https://"+testDNS)), nil, CodeInvalidRequest, ErrUnsupported},
		{"pre-registered", p.mutate(t, req, nil, nil, setP("client_id", "bank")), nil, CodeInvalidRequest, ErrUnsupported},
		{"decentralized_identifier without resolver", p.mutate(t, req, nil, setH("kid", "did:example:123#1"), setP("client_id", "decentralized_identifier:did:example:123")), nil, CodeInvalidRequest, ErrUnsupported},
		{"no client_id", signRaw(t, p.leafKey, map[string]any{"typ": RequestObjectType, "x5c": []any{b64(p.leaf), b64(p.inter)}}, map[string]any{}) + "", nil, CodeInvalidRequest, ErrMalformed},
		{"oversized", strings.Repeat("a", MaxRequestObjectSize+1), nil, CodeInvalidRequestObject, ErrMalformed},
		{"not a JWS", "a.b", nil, CodeInvalidRequestObject, ErrInvalidRequestObject},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := verifyOpts(p)
			if tc.opts != nil {
				tc.opts(&opts)
			}
			v, err := VerifyRequestObject(tc.tok, opts)
			if v != nil {
				t.Fatalf("accepted %+v", v.Request())
			}
			wantErr(t, err, tc.code, tc.sentinel)
		})
	}
	// The response_uri host check is the Wallet's to waive.
	opts := verifyOpts(p)
	opts.AllowAnyResponseURI = true
	if _, err := VerifyRequestObject(p.mutate(t, req, nil, nil, setP("response_uri", "https://other.example/post")), opts); err != nil {
		t.Fatalf("AllowAnyResponseURI: %v", err)
	}
	// So is a Request Object without iat.
	opts = verifyOpts(p)
	opts.AllowMissingIssuedAt = true
	if _, err := VerifyRequestObject(p.mutate(t, req, nil, nil, delP("iat")), opts); err != nil {
		t.Fatalf("AllowMissingIssuedAt: %v", err)
	}
	// And aud for dynamic discovery.
	opts = verifyOpts(p)
	opts.Audience = "https://wallet.example"
	if _, err := VerifyRequestObject(p.mutate(t, req, nil, nil, setP("aud", []any{"x", "https://wallet.example"})), opts); err != nil {
		t.Fatalf("aud array: %v", err)
	}
	if _, err := VerifyRequestObject(good, VerifyOptions{Roots: p.roots, Now: testNow, ClockSkew: time.Hour}); err == nil {
		t.Fatal("ClockSkew over the cap accepted")
	}
}

func TestSignRequestObjectRefusals(t *testing.T) {
	p := newPKI(t, testDNS)
	other := newPKI(t, testDNS)
	for _, tc := range []struct {
		name  string
		edit  func(*AuthorizationRequest)
		key   crypto.Signer
		chain []*x509.Certificate
	}{
		{"no chain", nil, p.leafKey, nil},
		{"signer not the leaf's key", nil, other.leafKey, p.chain()},
		{"SAN mismatch", func(r *AuthorizationRequest) {
			r.ClientID = "x509_san_dns:other.example"
			r.ResponseURI = "https://other.example/r"
		}, p.leafKey, p.chain()},
		{"hash mismatch", func(r *AuthorizationRequest) { r.ClientID = X509HashClientID(other.leaf) }, p.leafKey, p.chain()},
		{"response_uri host", func(r *AuthorizationRequest) { r.ResponseURI = "https://other.example/r" }, p.leafKey, p.chain()},
		{"redirect_uri client", func(r *AuthorizationRequest) { r.ClientID = "redirect_uri:" + r.ResponseURI }, p.leafKey, p.chain()},
		{"no nonce", func(r *AuthorizationRequest) { r.Nonce = "" }, p.leafKey, p.chain()},
		{"did without kid", func(r *AuthorizationRequest) { r.ClientID = "decentralized_identifier:did:example:1" }, p.leafKey, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := redirectRequest(t, p)
			if tc.edit != nil {
				tc.edit(req)
			}
			if tok, err := SignRequestObject(tc.key, tc.chain, req, SignOptions{Now: testNow}); err == nil {
				t.Fatalf("signed %s", tok)
			}
		})
	}
}

func TestDecentralizedIdentifierClient(t *testing.T) {
	k, _ := keys.Generate(keys.EdDSA, nil)
	did := "did:example:bank"
	p := newPKI(t)
	req, _ := redirectRequest(t, p)
	req.ClientID = "decentralized_identifier:" + did
	tok, err := SignRequestObject(k, nil, req, SignOptions{Now: testNow, KeyID: did + "#key-1"})
	if err != nil {
		t.Fatal(err)
	}
	opts := VerifyOptions{Now: testNow, ResolveDID: func(d, kid string) (crypto.PublicKey, error) {
		if d != did || kid != did+"#key-1" {
			return nil, errors.New("unknown")
		}
		return k.Public(), nil
	}}
	v, err := VerifyRequestObject(tok, opts)
	if err != nil {
		t.Fatal(err)
	}
	if v.KeyID() != did+"#key-1" || v.Chain() != nil || v.Client().ID != did {
		t.Fatalf("%+v", v)
	}
	opts.ResolveDID = func(string, string) (crypto.PublicKey, error) { return nil, errors.New("not found") }
	_, err = VerifyRequestObject(tok, opts)
	wantErr(t, err, CodeInvalidRequestObject, ErrUntrustedVerifier)
}

func TestRequestURIPost(t *testing.T) {
	nonce, err := NewWalletNonce(nil)
	if err != nil || len(nonce) != 22 {
		t.Fatalf("%q %v", nonce, err)
	}
	post := &RequestURIPost{WalletNonce: nonce, WalletMetadata: &WalletMetadata{
		VPFormatsSupported:                     map[credential.Format]VPFormat{credential.FormatSDJWT: {SDJWTAlgValues: []string{"ES256"}}, credential.FormatMdoc: {}},
		ClientIDPrefixesSupported:              []string{"x509_hash", "x509_san_dns"},
		RequestObjectSigningAlgValuesSupported: []string{"ES256"},
		ResponseModesSupported:                 []string{"direct_post.jwt"},
		ResponseTypesSupported:                 []string{"vp_token"},
	}}
	form, err := post.Form()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseRequestURIPost(form)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, post) {
		t.Fatalf("round trip:\n%+v\n%+v", got.WalletMetadata, post.WalletMetadata)
	}
	// The example of §5.10 (wallet_metadata as the Wallet's JSON text).
	got, err = ParseRequestURIPost(url.Values{"wallet_metadata": {`{"vp_formats_supported":{"dc+sd-jwt":{"sd-jwt_alg_values": ["ES256"],"kb-jwt_alg_values": ["ES256"]}}}`}, "wallet_nonce": {"qPmxiNFCR3QTm19POc8u"}})
	if err != nil || got.WalletNonce != "qPmxiNFCR3QTm19POc8u" || got.WalletMetadata.VPFormatsSupported[credential.FormatSDJWT].KBJWTAlgValues[0] != "ES256" {
		t.Fatalf("%+v %v", got, err)
	}
}

func TestRequestURIEndpoint(t *testing.T) {
	p := newPKI(t, testDNS)
	req, _ := redirectRequest(t, p)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var opts SignOptions
		opts.Now = testNow
		if r.Method == http.MethodPost {
			post, err := ReadRequestURIPost(r)
			if err != nil {
				WriteError(w, err)
				return
			}
			if post.WalletMetadata == nil || post.WalletMetadata.ClientIDPrefixesSupported[0] != "x509_san_dns" {
				WriteError(w, NewError(CodeInvalidRequest, "no metadata"))
				return
			}
			opts.WalletNonce = post.WalletNonce
		}
		tok, err := SignRequestObject(p.leafKey, p.chain(), req, opts)
		if err != nil {
			WriteError(w, err)
			return
		}
		WriteRequestObject(w, tok)
	}))
	defer srv.Close()

	nonce, _ := NewWalletNonce(nil)
	form, err := (&RequestURIPost{WalletNonce: nonce, WalletMetadata: &WalletMetadata{
		ClientIDPrefixesSupported:              []string{"x509_san_dns", "x509_hash"},
		RequestObjectSigningAlgValuesSupported: []string{"ES256"},
	}}).Form()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.PostForm(srv.URL, form)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ReadRequestObject(resp)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	opts := verifyOpts(p)
	opts.WalletNonce = nonce
	if _, err := VerifyRequestObject(tok, opts); err != nil {
		t.Fatal(err)
	}
	// A GET gets a Request Object without the nonce: a Wallet that posted
	// one refuses it (§5.10.1).
	resp, err = http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	tok, err = ReadRequestObject(resp)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	_, err = VerifyRequestObject(tok, opts)
	wantErr(t, err, CodeInvalidRequestObject, ErrWalletNonce)

	// A POST without metadata is refused by this endpoint: the Wallet
	// reads the error response.
	resp, err = http.PostForm(srv.URL, url.Values{"wallet_nonce": {nonce}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ReadRequestObject(resp)
	resp.Body.Close()
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Code != CodeInvalidRequest || pe.Status != 400 || pe.Description != "no metadata" {
		t.Fatalf("error response: %#v", err)
	}
}

func TestReadRequestObjectRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		ctype  string
		body   string
	}{
		{"redirect", http.StatusFound, ContentTypeRequestObject, "a.b.c"},
		{"wrong content type", http.StatusOK, "application/json", "a.b.c"},
		{"too large", http.StatusOK, ContentTypeRequestObject, strings.Repeat("a", MaxRequestObjectSize+1)},
		{"server error", http.StatusInternalServerError, "application/json", `{"error":"server_error"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{"Content-Type": {tc.ctype}}, Body: io.NopCloser(strings.NewReader(tc.body))}
			if tok, err := ReadRequestObject(resp); err == nil || tok != "" {
				t.Fatalf("accepted %q", tok)
			}
		})
	}
}

func TestParseRequestURIPostRefusals(t *testing.T) {
	for _, form := range []url.Values{
		{"wallet_nonce": {"a", "b"}},
		{"wallet_nonce": {""}},
		{"wallet_nonce": {"a b"}},
		{"wallet_metadata": {`{"a":1,"a":2}`}},
		{"wallet_metadata": {`[]`}},
		{"wallet_metadata": {`{"vp_formats_supported":{"mso_mdoc":{"issuerauth_alg_values":["x"]}}}`}},
		{"wallet_metadata": {`{"client_id_prefixes_supported":"x509_hash"}`}},
	} {
		if p, err := ParseRequestURIPost(form); !errors.Is(err, ErrMalformed) {
			t.Errorf("%v: %+v %v", form, p, err)
		}
	}
	r := httptest.NewRequest(http.MethodPost, "/r", strings.NewReader("wallet_nonce=a"))
	r.Header.Set("Content-Type", "application/json")
	if _, err := ReadRequestURIPost(r); !errors.Is(err, ErrMalformed) {
		t.Errorf("JSON body: %v", err)
	}
}

// TestRequestURIPostNullFormat: the EUDI reference wallet posts
// wallet_metadata with "dc+sd-jwt": null (a format without parameters);
// wallet_metadata only informs the Verifier, so null reads as {} there —
// and only there: client_metadata keeps an object per format. A wrong
// value is reported at wallet_metadata, not client_metadata.
func TestRequestURIPostNullFormat(t *testing.T) {
	form := url.Values{"wallet_nonce": {"abcdefghijklmnop"},
		"wallet_metadata": {`{"vp_formats_supported":{"dc+sd-jwt":null,"mso_mdoc":{"deviceauth_alg_values":[-7]}}}`}}
	p, err := ParseRequestURIPost(form)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.WalletMetadata.VPFormatsSupported[credential.FormatSDJWT]; !ok || len(p.WalletMetadata.VPFormatsSupported) != 2 {
		t.Fatalf("vp_formats_supported %+v", p.WalletMetadata.VPFormatsSupported)
	}
	form.Set("wallet_metadata", `{"vp_formats_supported":{"dc+sd-jwt":5}}`)
	if _, err := ParseRequestURIPost(form); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "wallet_metadata.vp_formats_supported.dc+sd-jwt") {
		t.Fatalf("err = %v", err)
	}
	if _, err := ParseClientMetadata([]byte(`{"vp_formats_supported":{"dc+sd-jwt":null}}`)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("client_metadata with a null format: %v", err)
	}
}
