package oid4vp

import (
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/jose"
)

// unsignedRequest is a redirect_uri request with direct_post.
func unsignedRequest(t testing.TB) *AuthorizationRequest {
	return &AuthorizationRequest{
		ClientID:     "redirect_uri:https://kasir.example.id/oid4vp/post",
		ResponseType: ResponseTypeVPToken,
		ResponseMode: ResponseModeDirectPost,
		ResponseURI:  "https://kasir.example.id/oid4vp/post",
		Nonce:        "Zx8m-3rT_vQ2.pL~9aa",
		State:        "s-1",
		DCQLQuery:    testQuery(t),
		ClientMetadata: &ClientMetadata{VPFormatsSupported: map[credential.Format]VPFormat{
			credential.FormatSDJWT: {SDJWTAlgValues: []string{"ES256"}},
			"jwt_vc_json":          {Other: json.RawMessage(`{"alg_values":["ES256"]}`)},
		}},
		VerifierInfo: []VerifierInfo{{Format: "registration_cert", Data: json.RawMessage(`"eyJhbGciOiJFUzI1NiJ9.e30.sig"`), CredentialIDs: []string{"ktp"}}},
	}
}

func TestLinkByValueRoundTrip(t *testing.T) {
	req := unsignedRequest(t)
	for _, base := range []string{Scheme, "haip-vp://", "https://wallet.example.id/authorize?x=1"} {
		link, err := req.Link(base)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(link, base) {
			t.Fatalf("link %s", link)
		}
		got, err := ParseAuthorizationRequest(link)
		if err != nil {
			t.Fatalf("%s: %v", link, err)
		}
		if !reflect.DeepEqual(got, req) {
			t.Fatalf("round trip:\n%+v\n%+v", got, req)
		}
	}
	// The redirect_uri client identifier stands for an omitted response_uri
	// (§5.9.3).
	r2 := unsignedRequest(t)
	r2.ResponseURI = ""
	link, err := r2.Link(Scheme)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseAuthorizationRequest(link)
	if err != nil || got.ResponseURI != "https://kasir.example.id/oid4vp/post" {
		t.Fatalf("omitted response_uri: %+v %v", got, err)
	}
}

func TestLinkByReference(t *testing.T) {
	for _, req := range []*AuthorizationRequest{
		{ClientID: "x509_hash:Uvo3HtuIxuhC92rShpgqcT3YXwrqRxWEviRiA0OZszk", RequestURI: "https://bank.example.id/r/1"},
		{ClientID: "x509_san_dns:bank.example.id", RequestURI: "https://bank.example.id/r/2", RequestURIMethod: RequestURIMethodPost},
		{ClientID: "x509_san_dns:bank.example.id", RequestURI: "https://bank.example.id/r/3", RequestURIMethod: RequestURIMethodGet},
		{ClientID: "x509_san_dns:bank.example.id", Request: "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"},
	} {
		link, err := req.Link("")
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseAuthorizationRequest(link)
		if err != nil {
			t.Fatalf("%s: %v", link, err)
		}
		if !reflect.DeepEqual(got, req) {
			t.Fatalf("round trip %s:\n%+v\n%+v", link, got, req)
		}
	}
	// Other parameters next to request_uri are ignored (§5.10.1).
	got, err := ParseAuthorizationRequest("openid4vp://?client_id=x509_san_dns%3Ab.example.id&request_uri=https%3A%2F%2Fb.example.id%2Fr&nonce=%00&transaction_data=x")
	if err != nil || got.Nonce != "" || got.RequestURI != "https://b.example.id/r" {
		t.Fatalf("%+v %v", got, err)
	}
}

func TestParseAuthorizationRequestRefusals(t *testing.T) {
	base := unsignedRequest(t)
	link := func(edit func(v url.Values)) string {
		l, err := base.Link(Scheme)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(l)
		v := u.Query()
		edit(v)
		return Scheme + "?" + v.Encode()
	}
	set := func(k, val string) func(url.Values) { return func(v url.Values) { v.Set(k, val) } }
	del := func(k string) func(url.Values) { return func(v url.Values) { v.Del(k) } }
	ref := "openid4vp://?client_id=x509_san_dns%3Ab.example.id&request_uri=https%3A%2F%2Fb.example.id%2Fr"
	for _, tc := range []struct {
		name     string
		link     string
		code     string
		sentinel error
	}{
		{"oversized", Scheme + "?x=" + strings.Repeat("a", MaxRequestLinkSize), CodeInvalidRequest, ErrMalformed},
		{"not a URL", "::::", CodeInvalidRequest, ErrMalformed},
		{"repeated parameter", link(func(v url.Values) { v.Add("nonce", "n2") }), CodeInvalidRequest, ErrMalformed},
		{"request_uri_method PUT", ref + "&request_uri_method=PUT", CodeInvalidRequestURIMethod, ErrMalformed},
		{"request_uri_method GET (case-sensitive)", ref + "&request_uri_method=GET", CodeInvalidRequestURIMethod, ErrMalformed},
		{"request_uri_method without request_uri", link(set("request_uri_method", "get")), CodeInvalidRequest, ErrMalformed},
		{"request and request_uri", ref + "&request=a.b.c", CodeInvalidRequest, ErrMalformed},
		{"request_uri without client_id", "openid4vp://?request_uri=https%3A%2F%2Fb.example.id%2Fr", CodeInvalidRequest, ErrMalformed},
		{"request_uri over http", "openid4vp://?client_id=x509_san_dns%3Ab.example.id&request_uri=http%3A%2F%2Fb.example.id%2Fr", CodeInvalidRequest, ErrMalformed},
		{"request_uri of a redirect_uri client", "openid4vp://?client_id=redirect_uri%3Ahttps%3A%2F%2Fb.example.id%2Fr&request_uri=https%3A%2F%2Fb.example.id%2Fr", CodeInvalidRequest, ErrMalformed},
		{"origin client_id", "openid4vp://?client_id=origin%3Ahttps%3A%2F%2Fb.example.id&request_uri=https%3A%2F%2Fb.example.id%2Fr", CodeInvalidRequest, ErrMalformed},
		{"transaction_data", link(set("transaction_data", `["eyJ0eXBlIjoieCJ9"]`)), CodeInvalidTransactionData, ErrUnsupported},
		{"scope instead of dcql_query", link(func(v url.Values) { v.Del("dcql_query"); v.Set("scope", "ktp") }), CodeInvalidScope, ErrUnsupported},
		{"no dcql_query", link(del("dcql_query")), CodeInvalidRequest, ErrMalformed},
		{"bad dcql_query", link(set("dcql_query", `{"credentials":[]}`)), CodeInvalidRequest, ErrInvalidQuery},
		{"dcql_query not JSON", link(set("dcql_query", `{`)), CodeInvalidRequest, ErrMalformed},
		{"response_mode fragment", link(set("response_mode", "fragment")), CodeInvalidRequest, ErrUnsupported},
		{"response_mode query", link(set("response_mode", "query")), CodeInvalidRequest, ErrUnsupported},
		{"response_mode dc_api in a link", link(set("response_mode", "dc_api")), CodeInvalidRequest, ErrMalformed},
		{"no response_mode", link(del("response_mode")), CodeInvalidRequest, ErrMalformed},
		{"response_type code", link(set("response_type", "code")), CodeUnsupportedResponseType, ErrUnsupported},
		{"response_type vp_token id_token", link(set("response_type", "vp_token id_token")), CodeUnsupportedResponseType, ErrUnsupported},
		{"no nonce", link(del("nonce")), CodeInvalidRequest, ErrMalformed},
		{"nonce with a space", link(set("nonce", "a b")), CodeInvalidRequest, ErrMalformed},
		{"state with a slash", link(set("state", "a/b")), CodeInvalidRequest, ErrMalformed},
		{"no client_id", link(del("client_id")), CodeInvalidRequest, ErrMalformed},
		{"unsigned x509_hash", link(set("client_id", "x509_hash:Uvo3HtuIxuhC92rShpgqcT3YXwrqRxWEviRiA0OZszk")), CodeInvalidRequest, ErrMalformed},
		{"unsigned x509_san_dns", link(set("client_id", "x509_san_dns:kasir.example.id")), CodeInvalidRequest, ErrMalformed},
		{"response_uri not the client identifier", link(set("response_uri", "https://evil.example/post")), CodeInvalidRequest, ErrMalformed},
		{"redirect_uri with direct_post", link(set("redirect_uri", "https://kasir.example.id/oid4vp/post")), CodeInvalidRequest, ErrMalformed},
		{"pre-registered without response_uri", link(func(v url.Values) { v.Set("client_id", "kasir"); v.Del("response_uri") }), CodeInvalidRequest, ErrMalformed},
		{"response_uri over http", link(func(v url.Values) { v.Set("client_id", "kasir"); v.Set("response_uri", "http://kasir.example.id/p") }), CodeInvalidRequest, ErrMalformed},
		{"client_metadata private key", link(set("client_metadata", `{"jwks":{"keys":[{"kty":"EC","kid":"1","crv":"P-256","d":"AA","x":"AA","y":"AA"}]}}`)), CodeInvalidRequest, ErrMalformed},
		{"client_metadata symmetric key", link(set("client_metadata", `{"jwks":{"keys":[{"kty":"oct","kid":"1","k":"AAAA"}]}}`)), CodeInvalidRequest, ErrMalformed},
		{"client_metadata key without kid", link(set("client_metadata", `{"jwks":{"keys":[{"kty":"OKP","crv":"X25519","x":"AA"}]}}`)), CodeInvalidRequest, ErrMalformed},
		{"client_metadata duplicate kid", link(set("client_metadata", `{"jwks":{"keys":[{"kty":"OKP","kid":"a","crv":"X25519","x":"AA"},{"kty":"OKP","kid":"a","crv":"X448","x":"AA"}]}}`)), CodeInvalidRequest, ErrMalformed},
		{"client_metadata EC key off the curve", link(set("client_metadata", `{"jwks":{"keys":[{"kty":"EC","kid":"a","crv":"P-256","x":"YO4epjifD-KWeq1sL2tNmm36BhXnkJ0He-WqMYrp9Fk","y":"YO4epjifD-KWeq1sL2tNmm36BhXnkJ0He-WqMYrp9Fk"}]}}`)), CodeInvalidRequest, ErrMalformed},
		{"client_metadata empty enc values", link(set("client_metadata", `{"encrypted_response_enc_values_supported":[]}`)), CodeInvalidRequest, ErrMalformed},
		{"client_metadata duplicate member", link(set("client_metadata", `{"jwks":{},"jwks":{}}`)), CodeInvalidRequest, ErrMalformed},
		{"vp_formats_supported null", link(set("client_metadata", `{"vp_formats_supported":{"dc+sd-jwt":null}}`)), CodeInvalidRequest, ErrMalformed},
		{"direct_post.jwt without a key", link(set("response_mode", "direct_post.jwt")), CodeInvalidRequest, ErrUnsupported},
		{"verifier_info unknown credential id", link(set("verifier_info", `[{"format":"x","data":"y","credential_ids":["nope"]}]`)), CodeInvalidRequest, ErrMalformed},
		{"verifier_info without data", link(set("verifier_info", `[{"format":"x"}]`)), CodeInvalidRequest, ErrMalformed},
		{"verifier_info data a number", link(set("verifier_info", `[{"format":"x","data":1}]`)), CodeInvalidRequest, ErrMalformed},
		{"verifier_info empty", link(set("verifier_info", `[]`)), CodeInvalidRequest, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseAuthorizationRequest(tc.link)
			if r != nil {
				t.Fatalf("accepted %+v", r)
			}
			wantErr(t, err, tc.code, tc.sentinel)
		})
	}
}

func TestEncryptionKeySelection(t *testing.T) {
	data := requestSeeds(t, "dcapi-spec-encrypted.json")["dcapi-spec-encrypted.json"]
	r, err := ParseDCAPIRequest(ProtocolUnsigned, data)
	if err != nil {
		t.Fatal(err)
	}
	md := r.ClientMetadata
	if k, err := md.EncryptionKey(); err != nil || k.KeyID != "ac" || md.Key("jc").Key != nil || md.Key("lc").Key == nil {
		t.Fatalf("%+v %v", k, err)
	}
	for _, tc := range []struct {
		values []string
		want   string
		err    bool
	}{
		{nil, jose.EncA128GCM, false},
		{[]string{"A128GCM", "A256GCM"}, jose.EncA256GCM, false}, // HAIP: prefer A256GCM
		{[]string{"A256GCM"}, jose.EncA256GCM, false},
		{[]string{"A128CBC-HS256"}, "", true},
	} {
		md := &ClientMetadata{EncryptedResponseEncValuesSupported: tc.values}
		got, err := md.ContentEncryption()
		if got != tc.want || (err != nil) != tc.err {
			t.Fatalf("%q: %s %v", tc.values, got, err)
		}
	}
	// A key for signatures, or without alg, is not one to encrypt to.
	for _, js := range []string{
		`{"jwks":{"keys":[{"kty":"EC","kid":"s","use":"sig","alg":"ECDH-ES","crv":"P-256","x":"YO4epjifD-KWeq1sL2tNmm36BhXnkJ0He-WqMYrp9Fk","y":"Hekpm0zfK7C-YccH5iBjcIXgf6YdUvNUac_0At55Okk"}]}}`,
		`{"jwks":{"keys":[{"kty":"EC","kid":"s","crv":"P-256","x":"YO4epjifD-KWeq1sL2tNmm36BhXnkJ0He-WqMYrp9Fk","y":"Hekpm0zfK7C-YccH5iBjcIXgf6YdUvNUac_0At55Okk"}]}}`,
	} {
		md, err := ParseClientMetadata([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := md.EncryptionKey(); !errors.Is(err, ErrUnsupported) {
			t.Fatalf("%s: %v", js, err)
		}
	}
	if _, err := ParseClientMetadata([]byte(`{"x":"` + strings.Repeat("a", MaxClientMetadataSize) + `"}`)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("oversized client_metadata: %v", err)
	}
}

func TestValidateForVerifiers(t *testing.T) {
	req := unsignedRequest(t)
	// Query.Validate's rule for Verifiers: no claim asked twice (§6.1).
	req.DCQLQuery.Credentials[0].Claims = append(req.DCQLQuery.Credentials[0].Claims, req.DCQLQuery.Credentials[0].Claims[0])
	if _, err := req.Link(Scheme); !errors.Is(err, ErrInvalidQuery) {
		t.Fatalf("duplicate claim: %v", err)
	}
	p := newPKI(t, testDNS)
	signed, _ := redirectRequest(t, p)
	if _, err := signed.Link(Scheme); err == nil {
		t.Fatal("an x509_san_dns request went by value, unsigned")
	}
	if _, err := (&AuthorizationRequest{ClientID: "a", RequestURI: "https://x.example/r", RequestURIMethod: "put"}).Link(""); err == nil {
		t.Fatal("request_uri_method put encoded")
	}
}
