package oid4vci

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// The fuzz targets of the parsers. Each is seeded from the examples of
// testdata/oid4vci (and fails on an empty corpus) and asserts, for every
// input: no panic; on error, no result and an error wrapping ErrMalformed
// (a *ProtocolError for requests the server reads); on success, encoding
// the result and parsing it again gives the same value.

// roundTrip re-encodes v as JSON and parses it again with parse; the
// result must equal v.
func roundTrip[T any](t *testing.T, v *T, parse func([]byte) (*T, error)) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding %+v: %v", v, err)
	}
	again, err := parse(b)
	if err != nil {
		t.Fatalf("re-parsing %s: %v", b, err)
	}
	if !reflect.DeepEqual(again, v) {
		t.Fatalf("round trip changed the value:\n%+v\n%+v", v, again)
	}
}

// rejected checks the shape of a parser's failure.
func rejected[T any](t *testing.T, v *T, err error, protocol bool) {
	t.Helper()
	if v != nil {
		t.Fatalf("result %+v with error %v", v, err)
	}
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("error %v does not wrap ErrMalformed", err)
	}
	var pe *ProtocolError
	if protocol && (!errors.As(err, &pe) || pe.Code == "" || pe.Status != 400) {
		t.Fatalf("error %v is not a 400 *ProtocolError", err)
	}
}

func FuzzParseCredentialIssuerMetadata(f *testing.F) {
	for _, s := range seedList(f, "metadata-") {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, spec bool) {
		issuer := ktpIssuer
		if spec {
			issuer = specIssuer
		}
		md, err := ParseCredentialIssuerMetadata(data, issuer)
		if err != nil {
			rejected(t, md, err, false)
			return
		}
		if md.CredentialIssuer != issuer || len(md.CredentialConfigurationsSupported) == 0 || CheckURL(md.CredentialEndpoint) != nil {
			t.Fatalf("accepted %+v", md)
		}
		roundTrip(t, md, func(b []byte) (*CredentialIssuerMetadata, error) { return ParseCredentialIssuerMetadata(b, issuer) })
	})
}

func FuzzParseAuthorizationServerMetadata(f *testing.F) {
	for _, s := range seedList(f, "as-metadata") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		md, err := ParseAuthorizationServerMetadata(data, ktpIssuer)
		if err != nil {
			rejected(t, md, err, false)
			return
		}
		if CheckURL(md.TokenEndpoint) != nil {
			t.Fatalf("accepted %+v", md)
		}
		roundTrip(t, md, func(b []byte) (*AuthorizationServerMetadata, error) {
			return ParseAuthorizationServerMetadata(b, ktpIssuer)
		})
	})
}

func FuzzParseCredentialOffer(f *testing.F) {
	for _, s := range seedList(f, "offer-") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := ParseCredentialOffer(data)
		if err != nil {
			rejected(t, o, err, false)
			return
		}
		if checkIdentifier(o.CredentialIssuer) != nil || len(o.CredentialConfigurationIDs) == 0 {
			t.Fatalf("accepted %+v", o)
		}
		roundTrip(t, o, ParseCredentialOffer)
		// The by-value link of an accepted offer reads back to it.
		link, err := o.Link()
		if err != nil {
			t.Fatal(err)
		}
		back, uri, err := ParseOfferLink(link)
		if err != nil || uri != "" || !reflect.DeepEqual(back, o) {
			t.Fatalf("link round trip: %+v %q %v", back, uri, err)
		}
	})
}

func FuzzParseOfferLink(f *testing.F) {
	for _, s := range seedList(f, "offer-link-") {
		f.Add(strings.TrimSpace(string(s)))
	}
	f.Fuzz(func(t *testing.T, link string) {
		o, uri, err := ParseOfferLink(link)
		if err != nil {
			if uri != "" {
				t.Fatalf("uri %q with error", uri)
			}
			rejected(t, o, err, false)
			return
		}
		if (o == nil) == (uri == "") {
			t.Fatalf("offer %+v and uri %q", o, uri)
		}
		if o != nil {
			again, err := o.Link()
			if err != nil {
				t.Fatal(err)
			}
			back, _, err := ParseOfferLink(again)
			if err != nil || !reflect.DeepEqual(back, o) {
				t.Fatalf("link round trip: %+v %v", back, err)
			}
			return
		}
		if CheckURL(uri) != nil {
			t.Fatalf("accepted uri %q", uri)
		}
		again, err := OfferURILink(uri)
		if err != nil {
			t.Fatal(err)
		}
		if _, back, err := ParseOfferLink(again); err != nil || back != uri {
			t.Fatalf("uri round trip: %q %v", back, err)
		}
	})
}

func FuzzParseTokenRequest(f *testing.F) {
	for _, s := range seedList(f, "token-request-") {
		f.Add(strings.TrimSpace(string(s)))
	}
	f.Fuzz(func(t *testing.T, body string) {
		r, err := ParseTokenRequest([]byte(body))
		if err != nil {
			rejected(t, r, err, true)
			return
		}
		preAuth := r.GrantType == GrantTypePreAuthorizedCode && r.PreAuthorizedCode != "" && r.RefreshToken == ""
		refresh := r.GrantType == GrantTypeRefreshToken && isVSChars(r.RefreshToken, MaxRefreshTokenLen) &&
			r.PreAuthorizedCode == "" && r.TxCode == ""
		if !preAuth && !refresh {
			t.Fatalf("accepted %+v", r)
		}
		again, err := ParseTokenRequest([]byte(r.Encode()))
		if err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("round trip: %+v %v", again, err)
		}
	})
}

func FuzzParseTokenResponse(f *testing.F) {
	for _, s := range seedList(f, "token-response") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseTokenResponse(data)
		if err != nil {
			rejected(t, r, err, false)
			return
		}
		if !isB64Token(r.AccessToken, MaxAccessTokenLen) || (r.TokenType != SchemeBearer && r.TokenType != SchemeDPoP) ||
			(r.RefreshToken != "" && !isVSChars(r.RefreshToken, MaxRefreshTokenLen)) {
			t.Fatalf("accepted %+v", r)
		}
		roundTrip(t, r, ParseTokenResponse)
	})
}

func FuzzParseNonceResponse(f *testing.F) {
	for _, s := range seedList(f, "nonce-response") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseNonceResponse(data)
		if err != nil {
			rejected(t, r, err, false)
			return
		}
		roundTrip(t, r, ParseNonceResponse)
	})
}

func FuzzParseCredentialRequest(f *testing.F) {
	for _, s := range seedList(f, "credential-request-", "invalid-credential-request-") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseCredentialRequest(data)
		if err != nil {
			rejected(t, r, err, true)
			return
		}
		if (r.CredentialIdentifier == "") == (r.CredentialConfigurationID == "") || r.CredentialResponseEncryption != nil {
			t.Fatalf("accepted %+v", r)
		}
		roundTrip(t, r, ParseCredentialRequest)
	})
}

func FuzzParseCredentialResponse(f *testing.F) {
	for _, s := range seedList(f, "credential-response") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseCredentialResponse(data)
		if err != nil {
			rejected(t, r, err, false)
			return
		}
		if (len(r.Credentials) == 0) == (r.TransactionID == "") {
			t.Fatalf("accepted %+v", r)
		}
		roundTrip(t, r, ParseCredentialResponse)
	})
}

func FuzzParseNotificationRequest(f *testing.F) {
	for _, s := range seedList(f, "notification-request-") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseNotificationRequest(data)
		if err != nil {
			rejected(t, r, err, true)
			return
		}
		roundTrip(t, r, ParseNotificationRequest)
	})
}

func FuzzParseErrorResponse(f *testing.F) {
	for _, s := range seedList(f, "token-error-", "credential-error-", "deferred-credential-error-", "notification-error-") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseErrorResponse(data)
		if err != nil {
			rejected(t, e, err, false)
			return
		}
		if e.Code == "" || sanitizeASCII(e.Code, 128) != e.Code || sanitizeASCII(e.Description, maxDescriptionLen) != e.Description {
			t.Fatalf("accepted %+v", e)
		}
		b, _ := marshal(errorBody{Error: e.Code, ErrorDescription: e.Description})
		again, err := ParseErrorResponse(b)
		if err != nil || !reflect.DeepEqual(again, e) {
			t.Fatalf("round trip: %+v %v", again, err)
		}
	})
}

// FuzzParseChallenge checks the WWW-Authenticate reader: no panic, no
// more than 16 parameters, names in lower case, and a challenge written
// by WriteError reads back.
func FuzzParseChallenge(f *testing.F) {
	for _, s := range []string{
		`Bearer error="invalid_token", error_description="The access token expired"`,
		`DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"`,
		`DPoP algs="ES256 PS256"`, `Bearer realm="example"`, `Bearer, DPoP algs="ES256 PS256"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		_, params := parseChallenge(h)
		if len(params) > 16 {
			t.Fatalf("%d parameters", len(params))
		}
		for k := range params {
			if k != strings.ToLower(k) || k == "" {
				t.Fatalf("parameter name %q", k)
			}
		}
		code, desc := sanitizeASCII(h, 128), sanitizeASCII(h, maxDescriptionLen)
		scheme, p := parseChallenge(challenge(SchemeDPoP, code, desc))
		if scheme != SchemeDPoP || (code != "" && (p["error"] != code || (desc != "" && p["error_description"] != desc))) {
			t.Fatalf("challenge round trip: %q %v", scheme, p)
		}
	})
}
