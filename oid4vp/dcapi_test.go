package oid4vp

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/keys"
)

const testOrigin = "https://bank.example.id"

func dcapiRequest(t testing.TB, p *testPKI) (*AuthorizationRequest, any) {
	req, priv := redirectRequest(t, p)
	req.ResponseMode = ResponseModeDCAPIJWT
	req.ResponseURI, req.State = "", ""
	return req, priv
}

func TestDCAPIUnsigned(t *testing.T) {
	p := newPKI(t, testDNS)
	req, priv := dcapiRequest(t, p)
	req.ClientID = ""
	proto, data, err := DCAPIRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseDCAPIRequest(proto, data)
	if err != nil {
		t.Fatal(err)
	}
	if proto != ProtocolUnsigned || !reflect.DeepEqual(got, req) {
		t.Fatalf("round trip %s:\n%+v\n%+v", proto, got, req)
	}
	// client_id, expected_origins, state and response_uri are ignored in
	// an unsigned request (Appendix A.2).
	withExtras := bytes.Replace(data, []byte(`{`), []byte(`{"client_id":"x509_hash:abc","expected_origins":["https://x"],"state":"s","response_uri":"https://x/y",`), 1)
	got, err = ParseDCAPIRequest(ProtocolUnsigned, withExtras)
	if err != nil || !reflect.DeepEqual(got, req) {
		t.Fatalf("extras: %+v %v", got, err)
	}

	// The Wallet answers through the DC API, encrypted.
	resp := &AuthorizationResponse{VPToken: map[string][]string{"ktp": {"sd-jwt~kb"}}}
	out, err := resp.DCAPIData(got)
	if err != nil {
		t.Fatal(err)
	}
	opts := ResponseOptions{Mode: req.ResponseMode, DecryptionKey: func(string) (any, error) { return priv, nil }}
	back, err := ParseDCAPIResponse(out, opts)
	if err != nil || back.KeyID != "eph-1" || !reflect.DeepEqual(back.VPToken, resp.VPToken) {
		t.Fatalf("response: %+v %v", back, err)
	}
	// The audience of the presentation is the origin (Appendix A.4).
	if aud, err := req.Audience(testOrigin); err != nil || aud != "origin:"+testOrigin {
		t.Fatalf("audience %q %v", aud, err)
	}
	// The mdoc SessionTranscript is the DC API handover with the key's
	// thumbprint (B.2.6.2).
	tr, err := req.MdocSessionTranscript(testOrigin, back.KeyID)
	if err != nil {
		t.Fatal(err)
	}
	tp, _ := keys.Thumbprint(req.ClientMetadata.Key("eph-1").Key)
	tpb, _ := jose.Decode(tp)
	want, _ := mdoc.OpenID4VPDCAPISessionTranscript(testOrigin, req.Nonce, tpb)
	if !bytes.Equal(tr, want) {
		t.Fatalf("transcript %x, want %x", tr, want)
	}
	if _, err := req.MdocSessionTranscript(testOrigin, ""); err == nil {
		t.Fatal("an encrypted response's transcript without kid")
	}
	if _, err := req.MdocSessionTranscript("", "eph-1"); err == nil {
		t.Fatal("a DC API transcript without origin")
	}

	// Unencrypted dc_api.
	req.ResponseMode = ResponseModeDCAPI
	out, err = resp.DCAPIData(req)
	if err != nil {
		t.Fatal(err)
	}
	back, err = ParseDCAPIResponse(out, ResponseOptions{Mode: ResponseModeDCAPI})
	if err != nil || back.KeyID != "" || !reflect.DeepEqual(back.VPToken, resp.VPToken) {
		t.Fatalf("dc_api response: %+v %v", back, err)
	}
	// Downgrade either way is refused.
	if _, err := ParseDCAPIResponse(out, opts); !errors.Is(err, ErrMalformed) {
		t.Fatalf("unencrypted to dc_api.jwt: %v", err)
	}
	if _, err := ParseDCAPIResponse([]byte(`{"response":"a.b.c.d.e"}`), ResponseOptions{Mode: ResponseModeDCAPI}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("encrypted to dc_api: %v", err)
	}
	if _, err := ParseDCAPIResponse(out, ResponseOptions{Mode: ResponseModeDirectPost}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("DC API response for direct_post: %v", err)
	}
	// The error data: the code only.
	ed := DCAPIErrorData(NewError(CodeAccessDenied, "no credential"))
	if string(ed) != `{"error":"access_denied"}` {
		t.Fatalf("error data %s", ed)
	}
	back, err = ParseDCAPIResponse(ed, opts)
	if err != nil || back.Error.Code != CodeAccessDenied {
		t.Fatalf("error response %+v %v", back, err)
	}
}

func TestDCAPISigned(t *testing.T) {
	p := newPKI(t, testDNS)
	req, _ := dcapiRequest(t, p)
	req.ClientID = X509HashClientID(p.leaf)
	req.ExpectedOrigins = []string{testOrigin, "android:apk-key-hash:Z2FyYmFnZQ"}
	tok, err := SignRequestObject(p.leafKey, p.chain(), req, SignOptions{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	proto, data, err := DCAPISignedRequest(tok)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseDCAPIRequest(proto, data)
	if err != nil || got.Request != tok {
		t.Fatalf("%+v %v", got, err)
	}
	opts := verifyOpts(p)
	opts.Origin = testOrigin
	v, err := VerifyRequestObject(got.Request, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v.Request(), req) {
		t.Fatalf("verified:\n%+v\n%+v", v.Request(), req)
	}
	// The origin must be one of expected_origins, compared as strings.
	for _, o := range []string{"https://evil.example", "https://bank.example.id/", "HTTPS://bank.example.id"} {
		opts.Origin = o
		_, err := VerifyRequestObject(got.Request, opts)
		wantErr(t, err, CodeInvalidRequest, ErrOrigin)
	}
	// A DC API request without expected_origins is not signed for the DC API.
	bad := p.mutate(t, req, nil, nil, func(m map[string]any) { delete(m, "expected_origins") })
	opts.Origin = testOrigin
	_, err = VerifyRequestObject(bad, opts)
	wantErr(t, err, CodeInvalidRequest, ErrMalformed)
	// Nor is one with an unsafe origin.
	for _, o := range []string{"javascript:alert(1)", "wss://bank.example.id", "http://bank.example.id", "data:text/html,x"} {
		bad = p.mutate(t, req, nil, nil, func(m map[string]any) { m["expected_origins"] = []any{testOrigin, o} })
		_, err = VerifyRequestObject(bad, opts)
		wantErr(t, err, CodeInvalidRequest, ErrMalformed)
	}
	// http is allowed for a loopback origin, for development.
	dev := p.mutate(t, req, nil, nil, func(m map[string]any) { m["expected_origins"] = []any{"http://localhost:8080"} })
	opts.Origin = "http://localhost:8080"
	if _, err := VerifyRequestObject(dev, opts); err != nil {
		t.Fatalf("loopback origin: %v", err)
	}
	// A DC API request over a redirect flow is refused.
	opts.Origin = ""
	_, err = VerifyRequestObject(tok, opts)
	wantErr(t, err, CodeInvalidRequest, ErrMalformed)
}

func TestParseDCAPIRequestRefusals(t *testing.T) {
	for _, tc := range []struct {
		name     string
		proto    string
		data     string
		sentinel error
	}{
		{"multisigned", ProtocolMultiSigned, `{"payload":"e30","signatures":[]}`, ErrUnsupported},
		{"unknown protocol", "openid4vp", `{}`, ErrUnsupported},
		{"draft protocol", "openid4vp-v1", `{}`, ErrUnsupported},
		{"signed without request", ProtocolSigned, `{"client_id":"x"}`, ErrMalformed},
		{"signed request not a string", ProtocolSigned, `{"request":{}}`, ErrMalformed},
		{"unsigned direct_post", ProtocolUnsigned, `{"response_type":"vp_token","response_mode":"direct_post","nonce":"n","dcql_query":{"credentials":[{"id":"a","format":"mso_mdoc","meta":{"doctype_value":"d"}}]}}`, ErrMalformed},
		{"unsigned not JSON", ProtocolUnsigned, `{`, ErrMalformed},
		{"unsigned duplicate member", ProtocolUnsigned, `{"nonce":"a","nonce":"b"}`, ErrMalformed},
		{"unsigned with request", ProtocolUnsigned, `{"request":"a.b.c"}`, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseDCAPIRequest(tc.proto, []byte(tc.data))
			if r != nil {
				t.Fatalf("accepted %+v", r)
			}
			wantErr(t, err, CodeInvalidRequest, tc.sentinel)
		})
	}
	if _, _, err := DCAPIRequest(&AuthorizationRequest{ClientID: "x", ResponseMode: ResponseModeDCAPI}); err == nil {
		t.Fatal("an unsigned DC API request with client_id")
	}
}

func TestMdocSessionTranscriptRedirect(t *testing.T) {
	p := newPKI(t, testDNS)
	req, _ := redirectRequest(t, p)
	tr, err := req.MdocSessionTranscript("", "eph-1")
	if err != nil {
		t.Fatal(err)
	}
	tp, _ := keys.Thumbprint(req.ClientMetadata.Key("eph-1").Key)
	tpb, _ := jose.Decode(tp)
	want, _ := mdoc.OpenID4VPSessionTranscript(req.ClientID, req.Nonce, tpb, req.ResponseURI)
	if !bytes.Equal(tr, want) {
		t.Fatalf("%x\n%x", tr, want)
	}
	if aud, _ := req.Audience(""); aud != req.ClientID {
		t.Fatalf("audience %q", aud)
	}
	if _, err := req.MdocSessionTranscript("", "nope"); err == nil {
		t.Fatal("unknown kid")
	}
	req2 := unsignedRequest(t)
	tr, err = req2.MdocSessionTranscript("", "")
	want, _ = mdoc.OpenID4VPSessionTranscript(req2.ClientID, req2.Nonce, nil, req2.ResponseURI)
	if err != nil || !bytes.Equal(tr, want) {
		t.Fatalf("unencrypted: %v", err)
	}
}

func TestClientID(t *testing.T) {
	p := newPKI(t, "Verifier.Example.ID", "*.example.id")
	for _, tc := range []struct {
		in     string
		prefix ClientIDPrefix
		id     string
		ok     bool
	}{
		{"bank", PrefixPreRegistered, "bank", true},
		{"https://client.example.org/cb", PrefixPreRegistered, "https://client.example.org/cb", true},
		{"unknown:thing", PrefixPreRegistered, "unknown:thing", true},
		{"redirect_uri:https://client.example.org/cb", PrefixRedirectURI, "https://client.example.org/cb", true},
		{"redirect_uri:http://client.example.org/cb", "", "", false},
		{"x509_san_dns:client.example.org", PrefixX509SANDNS, "client.example.org", true},
		{"x509_san_dns:*.example.org", "", "", false},
		{"x509_san_dns:-a.example.org", "", "", false},
		{"x509_san_dns:a..org", "", "", false},
		{"x509_san_dns:", "", "", false},
		{"x509_hash:Uvo3HtuIxuhC92rShpgqcT3YXwrqRxWEviRiA0OZszk", PrefixX509Hash, "Uvo3HtuIxuhC92rShpgqcT3YXwrqRxWEviRiA0OZszk", true},
		{"x509_hash:Uvo3HtuIxuhC92rShpgqcT3YXwrqRxWEviRiA0OZszk=", "", "", false},
		{"x509_hash:Uvo3Htu", "", "", false},
		{"decentralized_identifier:did:example:123", PrefixDecentralizedIdentifier, "did:example:123", true},
		{"decentralized_identifier:did:Example:123", "", "", false},
		{"decentralized_identifier:example:123", "", "", false},
		{"openid_federation:https://federation-verifier.example.com", PrefixOpenIDFederation, "https://federation-verifier.example.com", true},
		{"verifier_attestation:example-client", PrefixVerifierAttestation, "example-client", true},
		{"verifier_attestation:", "", "", false},
		{"origin:https://verifier.example.com", "", "", false},
		{"", "", "", false},
	} {
		c, err := ParseClientID(tc.in)
		if (err == nil) != tc.ok || c.Prefix != tc.prefix || c.ID != tc.id {
			t.Errorf("%q: %+v %v", tc.in, c, err)
			continue
		}
		if tc.ok && c.String() != tc.in {
			t.Errorf("%q: String %q", tc.in, c.String())
		}
		if !tc.ok {
			wantErr(t, err, CodeInvalidRequest, ErrMalformed)
		}
	}
	// x509_san_dns matches a dNSName SAN without regard to case; a
	// wildcard SAN matches only itself.
	for _, tc := range []struct {
		id string
		ok bool
	}{{"verifier.example.id", true}, {"VERIFIER.example.id", true}, {"other.example.id", false}, {"example.id", false}} {
		err := ClientID{Prefix: PrefixX509SANDNS, ID: tc.id}.CheckCertificate(p.leaf)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrInvalidRequestObject)) {
			t.Errorf("SAN %s: %v", tc.id, err)
		}
	}
	c, _ := ParseClientID(X509HashClientID(p.leaf))
	if err := c.CheckCertificate(p.leaf); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckCertificate(p.inter); !errors.Is(err, ErrInvalidRequestObject) {
		t.Fatalf("hash of another certificate: %v", err)
	}
	if err := (ClientID{Prefix: PrefixRedirectURI, ID: "https://x"}).CheckCertificate(p.leaf); err == nil {
		t.Fatal("redirect_uri bound to a certificate")
	}
	for _, prefix := range []ClientIDPrefix{PrefixX509Hash, PrefixX509SANDNS, PrefixDecentralizedIdentifier, PrefixOpenIDFederation, PrefixVerifierAttestation} {
		if !prefix.RequiresSignature() {
			t.Errorf("%s", prefix)
		}
	}
	if PrefixRedirectURI.RequiresSignature() || PrefixPreRegistered.RequiresSignature() {
		t.Error("unsigned prefixes")
	}
}

// TestX509HashOfKnownCertificate checks X509Hash (§5.9.3:
// base64url(SHA-256(DER))) against a value computed independently, with
// openssl x509 -outform der | openssl dgst -sha256 -binary | base64url,
// for testdata/verifier/ds.pem.
func TestX509HashOfKnownCertificate(t *testing.T) {
	b, err := os.ReadFile("../testdata/verifier/ds.pem")
	if err != nil {
		t.Fatal(err)
	}
	certs, err := keys.ParseCertificatesPEM(b)
	if err != nil {
		t.Fatal(err)
	}
	if h := X509Hash(certs[0]); h != "f-YyGI8QJyiQ2fyYjGScmnAYy_JLEWUevL2UmeiGKCE" {
		t.Fatalf("X509Hash = %s", h)
	}
	if X509HashClientID(certs[0]) != "x509_hash:f-YyGI8QJyiQ2fyYjGScmnAYy_JLEWUevL2UmeiGKCE" {
		t.Fatal(X509HashClientID(certs[0]))
	}
}
