package oid4vci

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/credential"
)

const ktpIssuer = "https://dukcapil.example.go.id"

// mutate decodes the JSON of path, applies edit to it and re-encodes it.
func mutate(t *testing.T, data []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func obj(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		m = m[p].(map[string]any)
	}
	return m
}

func TestParseCredentialIssuerMetadataRejects(t *testing.T) {
	base := readSeed(t, ikdkitDir+"/metadata-ktpel.json")
	sd := func(m map[string]any) map[string]any {
		return obj(m, "credential_configurations_supported", "ktpel_sd_jwt")
	}
	for _, tc := range []struct {
		name string
		edit func(m map[string]any)
		raw  []byte // used instead of edit when set
	}{
		{name: "http issuer", edit: func(m map[string]any) { m["credential_issuer"] = "http://dukcapil.example.go.id" }},
		{name: "issuer with query", edit: func(m map[string]any) { m["credential_issuer"] = ktpIssuer + "?a=b" }},
		{name: "http endpoint", edit: func(m map[string]any) { m["credential_endpoint"] = "http://dukcapil.example.go.id/credential" }},
		{name: "endpoint with fragment", edit: func(m map[string]any) { m["nonce_endpoint"] = ktpIssuer + "/nonce#x" }},
		{name: "endpoint with userinfo", edit: func(m map[string]any) { m["notification_endpoint"] = "https://a:b@dukcapil.example.go.id/n" }},
		{name: "no credential endpoint", edit: func(m map[string]any) { delete(m, "credential_endpoint") }},
		{name: "endpoint null", edit: func(m map[string]any) { m["nonce_endpoint"] = nil }},
		{name: "endpoint number", edit: func(m map[string]any) { m["nonce_endpoint"] = 7 }},
		{name: "empty authorization_servers", edit: func(m map[string]any) { m["authorization_servers"] = []any{} }},
		{name: "duplicate authorization server", edit: func(m map[string]any) { m["authorization_servers"] = []any{ktpIssuer, ktpIssuer} }},
		{name: "batch_size 1", edit: func(m map[string]any) { m["batch_credential_issuance"] = map[string]any{"batch_size": 1} }},
		{name: "batch_size fraction", edit: func(m map[string]any) { m["batch_credential_issuance"] = map[string]any{"batch_size": 2.5} }},
		{name: "duplicate issuer locale", edit: func(m map[string]any) {
			m["display"] = []any{map[string]any{"locale": "id-ID"}, map[string]any{"locale": "id-ID"}}
		}},
		{name: "no configurations", edit: func(m map[string]any) { m["credential_configurations_supported"] = map[string]any{} }},
		{name: "no format", edit: func(m map[string]any) { delete(sd(m), "format") }},
		{name: "sd-jwt without vct", edit: func(m map[string]any) { delete(sd(m), "vct") }},
		{name: "mdoc without doctype", edit: func(m map[string]any) {
			delete(obj(m, "credential_configurations_supported", "ktpel_mdoc"), "doctype")
		}},
		{name: "signing alg fraction", edit: func(m map[string]any) { sd(m)["credential_signing_alg_values_supported"] = []any{1.5} }},
		{name: "signing alg object", edit: func(m map[string]any) { sd(m)["credential_signing_alg_values_supported"] = []any{map[string]any{}} }},
		{name: "proof type without algs", edit: func(m map[string]any) { sd(m)["proof_types_supported"] = map[string]any{"jwt": map[string]any{}} }},
		{name: "empty key_storage", edit: func(m map[string]any) {
			obj(sd(m), "proof_types_supported", "jwt")["key_attestations_required"] = map[string]any{"key_storage": []any{}}
		}},
		{name: "credential display without name", edit: func(m map[string]any) {
			obj(sd(m), "credential_metadata")["display"] = []any{map[string]any{"locale": "id-ID"}}
		}},
		{name: "logo without uri", edit: func(m map[string]any) {
			obj(sd(m), "credential_metadata")["display"] = []any{map[string]any{"name": "x", "logo": map[string]any{"alt_text": "y"}}}
		}},
		{name: "claim described twice", edit: func(m map[string]any) {
			obj(sd(m), "credential_metadata")["claims"] = []any{map[string]any{"path": []any{"a"}}, map[string]any{"path": []any{"a"}}}
		}},
		{name: "array addressed by null and index", edit: func(m map[string]any) {
			obj(sd(m), "credential_metadata")["claims"] = []any{map[string]any{"path": []any{"a", nil}}, map[string]any{"path": []any{"a", 0}}}
		}},
		{name: "claim both array and object", edit: func(m map[string]any) {
			obj(sd(m), "credential_metadata")["claims"] = []any{map[string]any{"path": []any{"a", "b"}}, map[string]any{"path": []any{"a", 0}}}
		}},
		{name: "negative path index", edit: func(m map[string]any) {
			obj(sd(m), "credential_metadata")["claims"] = []any{map[string]any{"path": []any{"a", -1}}}
		}},
		{name: "empty path", edit: func(m map[string]any) {
			obj(sd(m), "credential_metadata")["claims"] = []any{map[string]any{"path": []any{}}}
		}},
		{name: "claim display duplicate locale", edit: func(m map[string]any) {
			obj(sd(m), "credential_metadata")["claims"] = []any{map[string]any{"path": []any{"a"},
				"display": []any{map[string]any{"locale": "en"}, map[string]any{"locale": "en"}}}}
		}},
		{name: "encryption jwks without kid", edit: func(m map[string]any) {
			m["credential_request_encryption"] = map[string]any{"jwks": map[string]any{"keys": []any{map[string]any{"kty": "EC"}}},
				"enc_values_supported": []any{"A128GCM"}, "encryption_required": false}
		}},
		{name: "encryption without encryption_required", edit: func(m map[string]any) {
			m["credential_response_encryption"] = map[string]any{"alg_values_supported": []any{"ECDH-ES"}, "enc_values_supported": []any{"A128GCM"}}
		}},
		{name: "duplicate member", raw: bytes.Replace(base, []byte(`"nonce_endpoint"`), []byte(`"credential_endpoint": "https://evil.example/c", "nonce_endpoint"`), 1)},
		{name: "trailing data", raw: append(append([]byte{}, base...), []byte(" {}")...)},
		{name: "not an object", raw: []byte(`["credential_issuer"]`)},
		{name: "too large", raw: append(bytes.Repeat([]byte(" "), MaxMetadataSize), base...)},
		{name: "too deep", raw: bytes.Replace(base, []byte(`"display"`), []byte(`"x":`+strings.Repeat("[", 20)+strings.Repeat("]", 20)+`, "display"`), 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.raw
			if data == nil {
				data = mutate(t, base, tc.edit)
			}
			md, err := ParseCredentialIssuerMetadata(data, ktpIssuer)
			if !errors.Is(err, ErrMalformed) || md != nil {
				t.Fatalf("got %+v, %v; want ErrMalformed", md, err)
			}
		})
	}
	t.Run("loopback http accepted", func(t *testing.T) {
		data := mutate(t, base, func(m map[string]any) {
			m["credential_issuer"] = "http://127.0.0.1:8080"
			m["credential_endpoint"] = "http://localhost:8080/credential"
			m["nonce_endpoint"] = "http://[::1]:8080/nonce"
		})
		if _, err := ParseCredentialIssuerMetadata(data, "http://127.0.0.1:8080"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unknown members ignored", func(t *testing.T) {
		data := mutate(t, base, func(m map[string]any) {
			m["signed_metadata"] = "x"
			sd(m)["claims"] = []any{"pre-1.0 shape"}
		})
		if _, err := ParseCredentialIssuerMetadata(data, ktpIssuer); err != nil {
			t.Fatal(err)
		}
	})
}

func TestValidateMetadata(t *testing.T) {
	md, err := ParseCredentialIssuerMetadata(readSeed(t, ikdkitDir+"/metadata-ktpel.json"), ktpIssuer)
	if err != nil {
		t.Fatal(err)
	}
	c := md.CredentialConfigurationsSupported["ktpel_sd_jwt"]
	c.ProofTypesSupported = nil
	md.CredentialConfigurationsSupported["ktpel_sd_jwt"] = c
	if err := md.Validate(); !errors.Is(err, ErrMalformed) {
		t.Fatalf("binding methods without proof types validated: %v", err)
	}
	c.CryptographicBindingMethodsSupported = nil
	md.CredentialConfigurationsSupported["ktpel_sd_jwt"] = c
	if err := md.Validate(); err != nil {
		t.Fatal(err)
	}
	md.NonceEndpoint = "http://example.com/nonce"
	if err := md.Validate(); !errors.Is(err, ErrMalformed) {
		t.Fatalf("http endpoint validated: %v", err)
	}
}

func TestParseAuthorizationServerMetadataRejects(t *testing.T) {
	base := readSeed(t, ikdkitDir+"/as-metadata.json")
	for _, tc := range []struct {
		name   string
		edit   func(m map[string]any)
		issuer string
	}{
		{"other issuer", func(m map[string]any) {}, ktpIssuer + "/x"},
		{"no token endpoint", func(m map[string]any) { delete(m, "token_endpoint") }, ktpIssuer},
		{"http token endpoint", func(m map[string]any) { m["token_endpoint"] = "http://example.com/token" }, ktpIssuer},
		{"issuer with fragment", func(m map[string]any) { m["issuer"] = ktpIssuer + "#f" }, ktpIssuer + "#f"},
		{"anonymous access not a boolean", func(m map[string]any) { m["pre-authorized_grant_anonymous_access_supported"] = "true" }, ktpIssuer},
		{"empty dpop algs", func(m map[string]any) { m["dpop_signing_alg_values_supported"] = []any{} }, ktpIssuer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			md, err := ParseAuthorizationServerMetadata(mutate(t, base, tc.edit), tc.issuer)
			if !errors.Is(err, ErrMalformed) || md != nil {
				t.Fatalf("got %+v, %v; want ErrMalformed", md, err)
			}
		})
	}
	md, _ := ParseAuthorizationServerMetadata(mutate(t, base, func(m map[string]any) { delete(m, "grant_types_supported") }), ktpIssuer)
	if md == nil || !md.SupportsGrant(GrantTypeAuthorizationCode) || md.SupportsGrant(GrantTypePreAuthorizedCode) {
		t.Fatalf("default grant types: %+v", md)
	}
}

func TestParseCredentialOfferRejects(t *testing.T) {
	base := readSeed(t, ikdkitDir+"/offer-ktpel.json")
	pre := func(m map[string]any) map[string]any { return obj(m, "grants", GrantTypePreAuthorizedCode) }
	for _, tc := range []struct {
		name string
		edit func(m map[string]any)
	}{
		{"no issuer", func(m map[string]any) { delete(m, "credential_issuer") }},
		{"http issuer", func(m map[string]any) { m["credential_issuer"] = "http://dukcapil.example.go.id" }},
		{"no configuration ids", func(m map[string]any) { delete(m, "credential_configuration_ids") }},
		{"empty configuration ids", func(m map[string]any) { m["credential_configuration_ids"] = []any{} }},
		{"duplicate configuration ids", func(m map[string]any) { m["credential_configuration_ids"] = []any{"a", "a"} }},
		{"configuration id not a string", func(m map[string]any) { m["credential_configuration_ids"] = []any{1} }},
		{"grants not an object", func(m map[string]any) { m["grants"] = []any{} }},
		{"no pre-authorized code", func(m map[string]any) { delete(pre(m), "pre-authorized_code") }},
		{"empty pre-authorized code", func(m map[string]any) { pre(m)["pre-authorized_code"] = "" }},
		{"unknown input mode", func(m map[string]any) { obj(pre(m), "tx_code")["input_mode"] = "alphanumeric" }},
		{"length zero", func(m map[string]any) { obj(pre(m), "tx_code")["length"] = 0 }},
		{"length too long", func(m map[string]any) { obj(pre(m), "tx_code")["length"] = MaxTxCodeLength + 1 }},
		{"length a string", func(m map[string]any) { obj(pre(m), "tx_code")["length"] = "6" }},
		{"description of 301 characters", func(m map[string]any) { obj(pre(m), "tx_code")["description"] = strings.Repeat("é", 301) }},
		{"tx_code not an object", func(m map[string]any) { pre(m)["tx_code"] = true }},
		{"issuer_state empty", func(m map[string]any) {
			obj(m, "grants")[GrantTypeAuthorizationCode] = map[string]any{"issuer_state": ""}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := ParseCredentialOffer(mutate(t, base, tc.edit))
			if !errors.Is(err, ErrMalformed) || o != nil {
				t.Fatalf("got %+v, %v; want ErrMalformed", o, err)
			}
		})
	}
	t.Run("300 characters and unknown grants accepted", func(t *testing.T) {
		o, err := ParseCredentialOffer(mutate(t, base, func(m map[string]any) {
			obj(pre(m), "tx_code")["description"] = strings.Repeat("é", 300)
			obj(m, "grants")["urn:example:grant"] = "anything"
		}))
		if err != nil || o.Grants.PreAuthorizedCode == nil {
			t.Fatal(o, err)
		}
	})
}

func TestOfferLinks(t *testing.T) {
	o, err := ParseCredentialOffer(readSeed(t, ikdkitDir+"/offer-ktpel.json"))
	if err != nil {
		t.Fatal(err)
	}
	link, err := o.Link()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, "openid-credential-offer://?credential_offer=%7B%22credential_issuer%22") || strings.ContainsAny(link, " +") {
		t.Fatalf("link %s", link)
	}
	back, uri, err := ParseOfferLink(link)
	if err != nil || uri != "" || !reflect.DeepEqual(back, o) {
		t.Fatalf("round trip: %+v %q %v", back, uri, err)
	}
	const ref = "https://dukcapil.example.go.id/offers/Gk?x=1&y=2"
	link, err = OfferURILink(ref)
	if err != nil || link != "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fdukcapil.example.go.id%2Foffers%2FGk%3Fx%3D1%26y%3D2" {
		t.Fatal(link, err)
	}
	if back, uri, err := ParseOfferLink(link); err != nil || back != nil || uri != ref {
		t.Fatal(back, uri, err)
	}
	if _, err := OfferURILink("http://example.com/offer"); !errors.Is(err, ErrInsecureURL) {
		t.Fatalf("http offer URI linked: %v", err)
	}
	bad := *o
	bad.CredentialConfigurationIDs = nil
	if _, err := bad.Link(); !errors.Is(err, ErrMalformed) {
		t.Fatalf("invalid offer linked: %v", err)
	}

	for _, tc := range []struct{ name, link string }{
		{"both parameters", "openid-credential-offer://?credential_offer=%7B%7D&credential_offer_uri=https%3A%2F%2Fa.example"},
		{"repeated", "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fa.example&credential_offer_uri=https%3A%2F%2Fb.example"},
		{"extra parameter", "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fa.example&x=1"},
		{"no parameter", "openid-credential-offer://"},
		{"unknown parameter", "openid-credential-offer://?offer=1"},
		{"http offer uri", "openid-credential-offer://?credential_offer_uri=http%3A%2F%2Fa.example%2Fo"},
		{"bad escape", "openid-credential-offer://?credential_offer=%7"},
		{"invalid offer", "openid-credential-offer://?credential_offer=%7B%7D"},
		{"relative", "?credential_offer_uri=https%3A%2F%2Fa.example"},
		{"too long", "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fa.example%2F" + strings.Repeat("a", MaxOfferLinkSize)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, uri, err := ParseOfferLink(tc.link)
			if !errors.Is(err, ErrMalformed) || o != nil || uri != "" {
				t.Fatalf("got %+v %q %v; want ErrMalformed", o, uri, err)
			}
		})
	}
	t.Run("https wallet endpoint", func(t *testing.T) {
		if _, uri, err := ParseOfferLink("https://wallet.example/offer?credential_offer_uri=https%3A%2F%2Fa.example%2Fo"); err != nil || uri != "https://a.example/o" {
			t.Fatal(uri, err)
		}
	})
}

func TestOfferCheck(t *testing.T) {
	md, err := ParseCredentialIssuerMetadata(readSeed(t, ikdkitDir+"/metadata-ktpel.json"), ktpIssuer)
	if err != nil {
		t.Fatal(err)
	}
	fresh := func() *CredentialOffer {
		o, err := ParseCredentialOffer(readSeed(t, ikdkitDir+"/offer-ktpel.json"))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	two := *md
	two.AuthorizationServers = []string{"https://as1.example", "https://as2.example"}
	for _, tc := range []struct {
		name string
		edit func(o *CredentialOffer)
		md   *CredentialIssuerMetadata
		ok   bool
	}{
		{"matches", func(o *CredentialOffer) {}, md, true},
		{"other issuer", func(o *CredentialOffer) { o.CredentialIssuer = "https://evil.example" }, md, false},
		{"unknown configuration", func(o *CredentialOffer) { o.CredentialConfigurationIDs = []string{"ktpel_sd_jwt", "npwp"} }, md, false},
		{"hint without several servers", func(o *CredentialOffer) { o.Grants.PreAuthorizedCode.AuthorizationServer = ktpIssuer }, md, false},
		{"hint among several", func(o *CredentialOffer) { o.Grants.PreAuthorizedCode.AuthorizationServer = "https://as2.example" }, &two, true},
		{"hint not among several", func(o *CredentialOffer) { o.Grants.PreAuthorizedCode.AuthorizationServer = "https://as3.example" }, &two, false},
		{"authorization code hint not among several", func(o *CredentialOffer) {
			o.Grants.AuthorizationCode = &AuthorizationCodeGrant{AuthorizationServer: "https://as3.example"}
		}, &two, false},
		{"no metadata", func(o *CredentialOffer) {}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := fresh()
			tc.edit(o)
			if err := o.Check(tc.md); (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrMalformed)) {
				t.Fatalf("Check = %v, want ok=%v", err, tc.ok)
			}
		})
	}
	o := fresh()
	if _, err := o.AuthorizationServer(&two); err == nil {
		t.Fatal("server chosen among several without a hint")
	}
	o.Grants.PreAuthorizedCode.AuthorizationServer = "https://as1.example"
	if as, err := o.AuthorizationServer(&two); err != nil || as != "https://as1.example" {
		t.Fatal(as, err)
	}
	o.Grants = nil
	if _, err := o.AuthorizationServer(md); err == nil {
		t.Fatal("server chosen without a pre-authorized code grant")
	}
}

func TestParseTokenRequest(t *testing.T) {
	const g = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code"
	for _, tc := range []struct {
		name, body string
		code       string // "" means accepted
		want       *TokenRequest
	}{
		{"minimal", g + "&pre-authorized_code=abc", "", &TokenRequest{GrantType: GrantTypePreAuthorizedCode, PreAuthorizedCode: "abc"}},
		{"empty tx_code is omitted (RFC 6749 §3.2)", g + "&pre-authorized_code=abc&tx_code=", "", &TokenRequest{GrantType: GrantTypePreAuthorizedCode, PreAuthorizedCode: "abc"}},
		{"unknown parameters ignored", g + "&pre-authorized_code=abc&client_id=w&foo=bar", "", &TokenRequest{GrantType: GrantTypePreAuthorizedCode, PreAuthorizedCode: "abc", ClientID: "w"}},
		{"no grant_type", "pre-authorized_code=abc", CodeInvalidRequest, nil},
		{"authorization code grant", "grant_type=authorization_code&code=x", CodeUnsupportedGrantType, nil},
		{"no code", g, CodeInvalidRequest, nil},
		{"repeated code", g + "&pre-authorized_code=a&pre-authorized_code=b", CodeInvalidRequest, nil},
		{"repeated grant", g + "&" + g + "&pre-authorized_code=a", CodeInvalidRequest, nil},
		{"bad escape", g + "&pre-authorized_code=%zz", CodeInvalidRequest, nil},
		{"tx_code too long", g + "&pre-authorized_code=a&tx_code=" + strings.Repeat("1", MaxTxCodeLength+1), CodeInvalidGrant, nil},
		{"code too long", g + "&pre-authorized_code=" + strings.Repeat("a", maxCodeLen+1), CodeInvalidGrant, nil},
		{"body too large", g + "&pre-authorized_code=a&x=" + strings.Repeat("a", MaxTokenRequestSize), CodeInvalidRequest, nil},
		{"refresh_token with the pre-authorized code grant", g + "&pre-authorized_code=a&refresh_token=r", CodeInvalidRequest, nil},
		{"refresh", "grant_type=refresh_token&refresh_token=r~1+%2F&client_id=w&scope=x", "", &TokenRequest{GrantType: GrantTypeRefreshToken, RefreshToken: "r~1 /", ClientID: "w"}},
		{"refresh without a token", "grant_type=refresh_token", CodeInvalidRequest, nil},
		{"refresh with an empty token", "grant_type=refresh_token&refresh_token=", CodeInvalidRequest, nil},
		{"refresh token repeated", "grant_type=refresh_token&refresh_token=a&refresh_token=b", CodeInvalidRequest, nil},
		{"refresh with a pre-authorized code", "grant_type=refresh_token&refresh_token=a&pre-authorized_code=b", CodeInvalidRequest, nil},
		{"refresh with a tx_code", "grant_type=refresh_token&refresh_token=a&tx_code=123456", CodeInvalidRequest, nil},
		{"refresh token with a newline", "grant_type=refresh_token&refresh_token=a%0Ab", CodeInvalidGrant, nil},
		{"refresh token not ASCII", "grant_type=refresh_token&refresh_token=%C3%A9", CodeInvalidGrant, nil},
		{"refresh token too long", "grant_type=refresh_token&refresh_token=" + strings.Repeat("a", MaxRefreshTokenLen+1), CodeInvalidGrant, nil},
		{"refresh client_id too long", "grant_type=refresh_token&refresh_token=a&client_id=" + strings.Repeat("a", maxCodeLen+1), CodeInvalidRequest, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseTokenRequest([]byte(tc.body))
			if tc.code != "" {
				if r != nil {
					t.Fatalf("result %+v with error", r)
				}
				wantCode(t, err, tc.code)
				return
			}
			if err != nil || !reflect.DeepEqual(r, tc.want) {
				t.Fatalf("got %+v, %v; want %+v", r, err, tc.want)
			}
			if again, err := ParseTokenRequest([]byte(r.Encode())); err != nil || !reflect.DeepEqual(again, r) {
				t.Fatalf("Encode round trip: %+v, %v", again, err)
			}
		})
	}
}

func TestReadTokenRequest(t *testing.T) {
	body := "grant_type=" + GrantTypePreAuthorizedCode + "&pre-authorized_code=abc&tx_code=123456"
	for _, tc := range []struct {
		name, method, ctype, body string
		status                    int // 0 means accepted
	}{
		{"accepted", "POST", "application/x-www-form-urlencoded; charset=UTF-8", body, 0},
		{"GET", "GET", "application/x-www-form-urlencoded", body, 405},
		{"JSON", "POST", "application/json", body, 400},
		{"no content type", "POST", "", body, 400},
		{"too large", "POST", "application/x-www-form-urlencoded", body + "&x=" + strings.Repeat("a", MaxTokenRequestSize), 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "https://dukcapil.example.go.id/token", strings.NewReader(tc.body))
			if tc.ctype != "" {
				r.Header.Set("Content-Type", tc.ctype)
			}
			req, err := ReadTokenRequest(r)
			if tc.status == 0 {
				if err != nil || req.TxCode != "123456" {
					t.Fatal(req, err)
				}
				return
			}
			var pe *ProtocolError
			if !errors.As(err, &pe) || pe.Status != tc.status || pe.Code != CodeInvalidRequest || req != nil {
				t.Fatalf("got %+v, %v; want status %d", req, err, tc.status)
			}
		})
	}
}

func TestCheckTxCode(t *testing.T) {
	for _, tc := range []struct {
		name     string
		tx       string
		required bool
		ok       bool
	}{
		{"required and sent", "123456", true, true},
		{"not required, not sent", "", false, true},
		{"required, missing", "", true, false},
		{"not expected, sent", "123456", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := (&TokenRequest{TxCode: tc.tx}).CheckTxCode(tc.required)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, CodeInvalidRequest)
		})
	}
}

func TestParseTokenResponse(t *testing.T) {
	base := spec(t, "token-response.json")
	for _, tc := range []struct {
		name string
		edit func(m map[string]any)
		ok   bool
		typ  string
	}{
		{"as is", func(m map[string]any) {}, true, SchemeBearer},
		{"dpop lower case", func(m map[string]any) { m["token_type"] = "dpop" }, true, SchemeDPoP},
		{"bearer upper case", func(m map[string]any) { m["token_type"] = "BEARER" }, true, SchemeBearer},
		{"no expires_in", func(m map[string]any) { delete(m, "expires_in") }, true, SchemeBearer},
		{"unknown members ignored", func(m map[string]any) { m["c_nonce"] = "x"; m["refresh_token"] = "y" }, true, SchemeBearer},
		{"other details type kept", func(m map[string]any) { m["authorization_details"] = []any{map[string]any{"type": "payment"}} }, true, SchemeBearer},
		{"mac token", func(m map[string]any) { m["token_type"] = "mac" }, false, ""},
		{"no token type", func(m map[string]any) { delete(m, "token_type") }, false, ""},
		{"no access token", func(m map[string]any) { delete(m, "access_token") }, false, ""},
		{"access token with a space", func(m map[string]any) { m["access_token"] = "a b" }, false, ""},
		{"access token with a newline", func(m map[string]any) { m["access_token"] = "ab\r\nX-Evil: 1" }, false, ""},
		{"negative expires_in", func(m map[string]any) { m["expires_in"] = -1 }, false, ""},
		{"expires_in string", func(m map[string]any) { m["expires_in"] = "3600" }, false, ""},
		{"empty details", func(m map[string]any) { m["authorization_details"] = []any{} }, false, ""},
		{"details without identifiers", func(m map[string]any) {
			m["authorization_details"] = []any{map[string]any{"type": "openid_credential", "credential_configuration_id": "x"}}
		}, false, ""},
		{"details without type", func(m map[string]any) { m["authorization_details"] = []any{map[string]any{}} }, false, ""},
		{"refresh token", func(m map[string]any) { m["refresh_token"] = "a b~c" }, true, SchemeBearer},
		{"empty refresh token", func(m map[string]any) { m["refresh_token"] = "" }, false, ""},
		{"refresh token number", func(m map[string]any) { m["refresh_token"] = 1 }, false, ""},
		{"refresh token with a newline", func(m map[string]any) { m["refresh_token"] = "a\nb" }, false, ""},
		{"refresh token not ASCII", func(m map[string]any) { m["refresh_token"] = "é" }, false, ""},
		{"refresh token too long", func(m map[string]any) { m["refresh_token"] = strings.Repeat("a", MaxRefreshTokenLen+1) }, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseTokenResponse(mutate(t, base, tc.edit))
			if !tc.ok {
				if !errors.Is(err, ErrMalformed) || r != nil {
					t.Fatalf("got %+v, %v; want ErrMalformed", r, err)
				}
				return
			}
			if err != nil || r.TokenType != tc.typ {
				t.Fatal(r, err)
			}
		})
	}
}

func TestReadAccessToken(t *testing.T) {
	for _, tc := range []struct {
		name    string
		headers []string
		token   string
		scheme  string
		status  int
		code    string
	}{
		{"bearer", []string{"Bearer czZCaGRSa3F0MzpnWDFmQmF0M2JW"}, "czZCaGRSa3F0MzpnWDFmQmF0M2JW", SchemeBearer, 0, ""},
		{"dpop any case", []string{"dpop Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"}, "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU", SchemeDPoP, 0, ""},
		{"none", nil, "", "", 401, ""},
		{"two headers", []string{"Bearer a", "DPoP a"}, "", "", 400, CodeInvalidRequest},
		{"basic", []string{"Basic YTpi"}, "", "", 400, CodeInvalidRequest},
		{"no token", []string{"Bearer"}, "", "", 400, CodeInvalidRequest},
		{"bad token", []string{"Bearer a b"}, "", "", 400, CodeInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "https://dukcapil.example.go.id/credential", nil)
			for _, h := range tc.headers {
				r.Header.Add("Authorization", h)
			}
			tok, scheme, err := ReadAccessToken(r)
			if tc.status == 0 {
				if err != nil || tok != tc.token || scheme != tc.scheme {
					t.Fatal(tok, scheme, err)
				}
				return
			}
			var pe *ProtocolError
			if !errors.As(err, &pe) || pe.Status != tc.status || pe.Code != tc.code || pe.Scheme != SchemeBearer || tok != "" {
				t.Fatalf("got %q, %+v", tok, err)
			}
		})
	}
}

func TestParseCredentialRequest(t *testing.T) {
	for _, tc := range []struct {
		name, body, code string
	}{
		{"configuration id without proofs", `{"credential_configuration_id":"a"}`, ""},
		{"attestation proof", `{"credential_configuration_id":"a","proofs":{"attestation":["x.y.z"]}}`, ""},
		{"unknown members ignored", `{"credential_identifier":"a","format":"mso_mdoc","proofs":{"jwt":["x.y.z"]}}`, ""},
		{"neither identifier", `{"proofs":{"jwt":["x.y.z"]}}`, CodeInvalidCredentialRequest},
		{"both identifiers", `{"credential_identifier":"a","credential_configuration_id":"b"}`, CodeInvalidCredentialRequest},
		{"identifier not a string", `{"credential_identifier":1}`, CodeInvalidCredentialRequest},
		{"duplicate member", `{"credential_identifier":"a","credential_identifier":"b"}`, CodeInvalidCredentialRequest},
		{"not JSON", `credential_identifier=a`, CodeInvalidCredentialRequest},
		{"proofs not an object", `{"credential_identifier":"a","proofs":["x"]}`, CodeInvalidProof},
		{"no proof type", `{"credential_identifier":"a","proofs":{}}`, CodeInvalidProof},
		{"two proof types", `{"credential_identifier":"a","proofs":{"jwt":["x"],"attestation":["y"]}}`, CodeInvalidProof},
		{"empty jwt array", `{"credential_identifier":"a","proofs":{"jwt":[]}}`, CodeInvalidProof},
		{"jwt not a string", `{"credential_identifier":"a","proofs":{"jwt":[{}]}}`, CodeInvalidProof},
		{"two attestations", `{"credential_identifier":"a","proofs":{"attestation":["x","y"]}}`, CodeInvalidProof},
		{"singular proof (pre-1.0)", `{"credential_identifier":"a","proof":{"proof_type":"jwt","jwt":"x"},"proofs":{"ldp_vp":[{}]}}`, CodeInvalidProof},
		{"too many proofs", `{"credential_identifier":"a","proofs":{"jwt":[` + strings.Repeat(`"x",`, MaxProofs) + `"x"]}}`, CodeInvalidProof},
		{"proof too large", `{"credential_identifier":"a","proofs":{"jwt":["` + strings.Repeat("a", MaxProofSize+1) + `"]}}`, CodeInvalidProof},
		{"response encryption", `{"credential_identifier":"a","credential_response_encryption":{"jwk":{"kty":"EC"},"enc":"A128GCM"}}`, CodeInvalidEncryptionParameters},
		{"response encryption malformed", `{"credential_identifier":"a","credential_response_encryption":{"enc":"A128GCM"}}`, CodeInvalidEncryptionParameters},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseCredentialRequest([]byte(tc.body))
			if tc.code != "" {
				if r != nil {
					t.Fatalf("result %+v with error", r)
				}
				wantCode(t, err, tc.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(r)
			if again, err := ParseCredentialRequest(b); err != nil || !reflect.DeepEqual(again, r) {
				t.Fatalf("round trip %s: %+v, %v", b, again, err)
			}
		})
	}
}

func TestReadJSONRequests(t *testing.T) {
	for _, tc := range []struct {
		name, method, ctype, body, code string
		status                          int
		read                            func(*http.Request) error
	}{
		{"credential", "POST", "application/json", `{"credential_configuration_id":"a"}`, "", 0,
			func(r *http.Request) error { _, err := ReadCredentialRequest(r); return err }},
		{"credential GET", "GET", "application/json", `{}`, CodeInvalidCredentialRequest, 405,
			func(r *http.Request) error { _, err := ReadCredentialRequest(r); return err }},
		{"encrypted credential request", "POST", "application/jwt", `e.y.J`, CodeInvalidCredentialRequest, 400,
			func(r *http.Request) error { _, err := ReadCredentialRequest(r); return err }},
		{"credential too large", "POST", "application/json", strings.Repeat(" ", MaxCredentialRequestSize+1), CodeInvalidCredentialRequest, 400,
			func(r *http.Request) error { _, err := ReadCredentialRequest(r); return err }},
		{"notification", "POST", "application/json; charset=utf-8", `{"notification_id":"n","event":"credential_deleted"}`, "", 0,
			func(r *http.Request) error { _, err := ReadNotificationRequest(r); return err }},
		{"notification form", "POST", "application/x-www-form-urlencoded", `notification_id=n`, CodeInvalidNotificationRequest, 400,
			func(r *http.Request) error { _, err := ReadNotificationRequest(r); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "https://dukcapil.example.go.id/x", strings.NewReader(tc.body))
			r.Header.Set("Content-Type", tc.ctype)
			err := tc.read(r)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var pe *ProtocolError
			if !errors.As(err, &pe) || pe.Code != tc.code || pe.Status != tc.status {
				t.Fatalf("got %v, want %s/%d", err, tc.code, tc.status)
			}
		})
	}
}

func TestParseCredentialResponse(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		ok         bool
	}{
		{"credentials", `{"credentials":[{"credential":"a"}],"notification_id":"n"}`, true},
		{"deferred with fractional interval", `{"transaction_id":"t","interval":0.5}`, true},
		{"neither", `{}`, false},
		{"both", `{"credentials":[{"credential":"a"}],"transaction_id":"t","interval":5}`, false},
		{"deferred without interval", `{"transaction_id":"t"}`, false},
		{"zero interval", `{"transaction_id":"t","interval":0}`, false},
		{"negative interval", `{"transaction_id":"t","interval":-5}`, false},
		{"interval with credentials", `{"credentials":[{"credential":"a"}],"interval":5}`, false},
		{"notification without credentials", `{"transaction_id":"t","interval":5,"notification_id":"n"}`, false},
		{"empty credentials", `{"credentials":[]}`, false},
		{"credential object", `{"credentials":[{"credential":{"@context":[]}}]}`, false},
		{"credential missing", `{"credentials":[{"format":"dc+sd-jwt"}]}`, false},
		{"credentials as strings (pre-1.0)", `{"credentials":["a"]}`, false},
		{"too many", `{"credentials":[` + strings.Repeat(`{"credential":"a"},`, MaxProofs) + `{"credential":"a"}]}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseCredentialResponse([]byte(tc.body))
			if !tc.ok {
				if !errors.Is(err, ErrMalformed) || r != nil {
					t.Fatalf("got %+v, %v; want ErrMalformed", r, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	r, _ := ParseCredentialResponse([]byte(`{"transaction_id":"t","interval":0.5}`))
	if r.Interval != 1 {
		t.Fatalf("interval %d, want 1 (rounded up)", r.Interval)
	}
}

func TestCredentialResponseRoundTrip(t *testing.T) {
	issued := []IssuedCredential{
		{Format: credential.FormatMdoc, Data: []byte{0xa2, 0x6a, 0xff, 0x00}},
		{Format: credential.FormatMdoc, Data: []byte("second")},
	}
	r, err := NewCredentialResponse(issued, "n-1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	back, err := ParseCredentialResponse(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.Issued(credential.FormatMdoc)
	if err != nil || !reflect.DeepEqual(got, issued) || back.NotificationID != "n-1" {
		t.Fatalf("%+v, %v", got, err)
	}
	sd := []IssuedCredential{{Format: credential.FormatSDJWT, Data: []byte("eyJ.eyJ.sig~WyJ~")}}
	r, err = NewCredentialResponse(sd, "")
	if err != nil || r.Credentials[0].Credential != "eyJ.eyJ.sig~WyJ~" {
		t.Fatal(r, err)
	}
	for _, tc := range []struct {
		name   string
		issued []IssuedCredential
	}{
		{"none", nil},
		{"unknown format", []IssuedCredential{{Format: "jwt_vc_json", Data: []byte("x")}}},
		{"empty mdoc", []IssuedCredential{{Format: credential.FormatMdoc}}},
		{"binary SD-JWT", []IssuedCredential{{Format: credential.FormatSDJWT, Data: []byte{0xff}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r, err := NewCredentialResponse(tc.issued, ""); !errors.Is(err, ErrMalformed) || r != nil {
				t.Fatal(r, err)
			}
		})
	}
	padded := &CredentialResponse{Credentials: []CredentialEntry{{Credential: "AAE="}}}
	if _, err := padded.Issued(credential.FormatMdoc); !errors.Is(err, ErrMalformed) {
		t.Fatal("padded base64url accepted")
	}
	if _, err := padded.Issued("ldp_vc"); !errors.Is(err, ErrMalformed) {
		t.Fatal("unknown format accepted")
	}
}

func TestParseNotificationRequest(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		ok         bool
	}{
		{"deleted", `{"notification_id":"n","event":"credential_deleted","extra":1}`, true},
		{"no id", `{"event":"credential_accepted"}`, false},
		{"no event", `{"notification_id":"n"}`, false},
		{"unknown event", `{"notification_id":"n","event":"credential_revoked"}`, false},
		{"event in upper case", `{"notification_id":"n","event":"CREDENTIAL_ACCEPTED"}`, false},
		{"description with a quote", `{"notification_id":"n","event":"credential_failure","event_description":"a\"b"}`, false},
		{"description not ASCII", `{"notification_id":"n","event":"credential_failure","event_description":"penuh é"}`, false},
		{"too deep", `{"notification_id":"n","event":"credential_failure","x":[[[]]]}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseNotificationRequest([]byte(tc.body))
			if !tc.ok {
				if r != nil {
					t.Fatalf("result %+v with error", r)
				}
				wantCode(t, err, CodeInvalidNotificationRequest)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestParseNonceResponse(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		ok         bool
	}{
		{"ok", `{"c_nonce":"abc"}`, true},
		{"missing", `{}`, false},
		{"number", `{"c_nonce":5}`, false},
		{"empty", `{"c_nonce":""}`, false},
		{"too long", `{"c_nonce":"` + strings.Repeat("a", MaxNonceLen+1) + `"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseNonceResponse([]byte(tc.body))
			if tc.ok != (err == nil) || (err != nil && (r != nil || !errors.Is(err, ErrMalformed))) {
				t.Fatalf("got %+v, %v", r, err)
			}
		})
	}
}

func TestReadError(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		header map[string]string
		body   string
		want   ProtocolError
	}{
		{"token error", 400, nil, `{"error":"invalid_grant","error_description":"wrong tx_code"}`,
			ProtocolError{Status: 400, Code: CodeInvalidGrant, Description: "wrong tx_code"}},
		{"unknown code kept", 400, nil, `{"error":"slow_down"}`, ProtocolError{Status: 400, Code: "slow_down"}},
		{"bearer challenge", 401, map[string]string{"WWW-Authenticate": `Bearer realm="x", error="invalid_token", error_description="The access token expired"`}, "",
			ProtocolError{Status: 401, Code: CodeInvalidToken, Description: "The access token expired", Scheme: SchemeBearer}},
		{"dpop nonce at resource", 401, map[string]string{"WWW-Authenticate": `DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"`,
			"DPoP-Nonce": "eyJ7S_zG.eyJH0-Z.HX4w-7v"}, "",
			ProtocolError{Status: 401, Code: CodeUseDPoPNonce, Description: "Resource server requires nonce in DPoP proof", Scheme: SchemeDPoP, DPoPNonce: "eyJ7S_zG.eyJH0-Z.HX4w-7v"}},
		{"dpop nonce at token endpoint", 400, map[string]string{"DPoP-Nonce": "eyJ7S_zG.eyJH0-Z.HX4w-7v"},
			`{"error": "use_dpop_nonce", "error_description": "Authorization server requires nonce in DPoP proof"}`,
			ProtocolError{Status: 400, Code: CodeUseDPoPNonce, Description: "Authorization server requires nonce in DPoP proof", DPoPNonce: "eyJ7S_zG.eyJH0-Z.HX4w-7v"}},
		{"bad nonce dropped", 400, map[string]string{"DPoP-Nonce": "a b"}, `{"error":"use_dpop_nonce"}`,
			ProtocolError{Status: 400, Code: CodeUseDPoPNonce}},
		{"body wins over challenge", 401, map[string]string{"WWW-Authenticate": `Bearer error="invalid_request"`}, `{"error":"invalid_token"}`,
			ProtocolError{Status: 401, Code: CodeInvalidToken, Scheme: SchemeBearer}},
		{"bare challenge", 401, map[string]string{"WWW-Authenticate": `DPoP algs="ES256 PS256"`}, "",
			ProtocolError{Status: 401, Scheme: SchemeDPoP, Description: "HTTP 401 Unauthorized without an error response"}},
		{"html", 502, nil, `<html>bad gateway</html>`, ProtocolError{Status: 502, Description: "HTTP 502 Bad Gateway without an error response"}},
		{"description sanitized", 400, nil, `{"error":"invalid_proof","error_description":"a\"b\nc"}`,
			ProtocolError{Status: 400, Code: CodeInvalidProof, Description: "a?b?c"}},
		{"code with a quote refused", 400, nil, `{"error":"a\"b"}`, ProtocolError{Status: 400, Description: "HTTP 400 Bad Request without an error response"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tc.body))}
			for k, v := range tc.header {
				resp.Header.Set(k, v)
			}
			if got := ReadError(resp); !reflect.DeepEqual(*got, tc.want) {
				t.Fatalf("got %+v, want %+v", *got, tc.want)
			}
		})
	}
	// What WriteError writes, ReadError reads back.
	for _, e := range []*ProtocolError{
		NewError(CodeInvalidNonce, "c_nonce expired"),
		{Status: 401, Code: CodeInvalidDPoPProof, Description: "htu mismatch", Scheme: SchemeDPoP, DPoPNonce: "n1"},
	} {
		rec := httptest.NewRecorder()
		WriteError(rec, e)
		if got := ReadError(rec.Result()); !reflect.DeepEqual(got, e) {
			t.Fatalf("round trip: got %+v, want %+v", got, e)
		}
	}
}

func TestParseChallenge(t *testing.T) {
	for _, tc := range []struct {
		in     string
		scheme string
		params map[string]string
	}{
		{`Bearer`, SchemeBearer, map[string]string{}},
		{`bearer error="invalid_token"`, SchemeBearer, map[string]string{"error": "invalid_token"}},
		{`DPoP error="invalid_token", error_description="Invalid DPoP key binding", algs="ES256"`, SchemeDPoP,
			map[string]string{"error": "invalid_token", "error_description": "Invalid DPoP key binding", "algs": "ES256"}},
		{`Bearer ERROR=invalid_request,Realm="a \"q\""`, SchemeBearer, map[string]string{"error": "invalid_request", "realm": `a "q"`}},
		{`Bearer error="unterminated`, SchemeBearer, map[string]string{}},
		{`Bearer error="a", error="b"`, SchemeBearer, map[string]string{"error": "a"}},
		{`Basic realm="x"`, "Basic", map[string]string{"realm": "x"}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			s, p := parseChallenge(tc.in)
			if s != tc.scheme || !reflect.DeepEqual(p, tc.params) {
				t.Fatalf("got %q %v", s, p)
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://dukcapil.example.go.id", true},
		{"https://dukcapil.example.go.id:8443/a/b?x=1", true},
		{"http://localhost:8080/x", true},
		{"http://LOCALHOST/x", true},
		{"http://127.0.0.1/x", true},
		{"http://[::1]:9/x", true},
		{"http://dukcapil.example.go.id", false},
		{"http://127.0.0.2/x", false},
		{"http://localhost.evil.example/x", false},
		{"ftp://dukcapil.example.go.id", false},
		{"https:///path", false},
		{"https:opaque", false},
		{"//dukcapil.example.go.id", false},
		{"https://u:p@dukcapil.example.go.id", false},
		{"https://dukcapil.example.go.id/#", false},
		{"https://dukcapil.example.go.id/#f", false},
		{"https://dukcapil.example.go.id/\x00", false},
		{"https://dukcapil.example.go.id/" + strings.Repeat("a", MaxURLLen), false},
	} {
		t.Run(fmt.Sprintf("%.64s", tc.url), func(t *testing.T) {
			err := CheckURL(tc.url)
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInsecureURL)) {
				t.Fatalf("CheckURL = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestWellKnownURLs(t *testing.T) {
	for _, tc := range []struct {
		issuer, md, as string
	}{
		{"https://issuer.example.com/tenant", "https://issuer.example.com/.well-known/openid-credential-issuer/tenant",
			"https://issuer.example.com/.well-known/oauth-authorization-server/tenant"},
		{"https://tenant.issuer.example.com", "https://tenant.issuer.example.com/.well-known/openid-credential-issuer",
			"https://tenant.issuer.example.com/.well-known/oauth-authorization-server"},
		{"https://issuer.example.com:8443/", "https://issuer.example.com:8443/.well-known/openid-credential-issuer",
			"https://issuer.example.com:8443/.well-known/oauth-authorization-server"},
		{"http://127.0.0.1:8080/a%20b", "http://127.0.0.1:8080/.well-known/openid-credential-issuer/a%20b",
			"http://127.0.0.1:8080/.well-known/oauth-authorization-server/a%20b"},
	} {
		t.Run(tc.issuer, func(t *testing.T) {
			md, err1 := CredentialIssuerMetadataURL(tc.issuer)
			as, err2 := AuthorizationServerMetadataURL(tc.issuer)
			if err1 != nil || err2 != nil || md != tc.md || as != tc.as {
				t.Fatalf("got %s %s (%v %v)", md, as, err1, err2)
			}
		})
	}
	for _, bad := range []string{"https://issuer.example.com/?q=1", "http://issuer.example.com", "https://issuer.example.com#f"} {
		if u, err := CredentialIssuerMetadataURL(bad); !errors.Is(err, ErrInsecureURL) || u != "" {
			t.Fatalf("%s: %q, %v", bad, u, err)
		}
	}
}
