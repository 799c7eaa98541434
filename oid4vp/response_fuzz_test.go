package oid4vp

import (
	"errors"
	"net/url"
	"reflect"
	"testing"

	"github.com/ikdkit/ikdkit/keys"
)

// The fuzz targets of the response parsers, with the contract of
// request_fuzz_test.go.

func typedResponseError(t *testing.T, err error) {
	t.Helper()
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Code == "" {
		t.Fatalf("untyped error %v", err)
	}
	if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrDecrypt) {
		t.Fatalf("error %v wraps no sentinel", err)
	}
}

// specResponseSetup returns the spec's key for the §8.3 example and a
// request that encrypts to it.
func specResponseSetup(t testing.TB) (any, *AuthorizationRequest) {
	t.Helper()
	key, err := keys.ParsePrivateJWK(requestSeeds(t, "response-spec-jwe-key.json")["response-spec-jwe-key.json"])
	if err != nil {
		t.Fatal(err)
	}
	req, err := ParseDCAPIRequest(ProtocolUnsigned, requestSeeds(t, "dcapi-spec-encrypted.json")["dcapi-spec-encrypted.json"])
	if err != nil {
		t.Fatal(err)
	}
	req.ResponseMode = ResponseModeDirectPostJWT
	return key, req
}

// sameResponse compares what a response says (KeyID aside: a fuzzed JWE
// may name any kid, as the fuzz key lookup ignores it).
func sameResponse(a, b *AuthorizationResponse) bool {
	return reflect.DeepEqual(a.VPToken, b.VPToken) && a.State == b.State && reflect.DeepEqual(a.Error, b.Error)
}

func FuzzParseResponse(f *testing.F) {
	for _, s := range sortedSeeds(f, "response-spec-") {
		f.Add(string(s))
	}
	key, encReq := specResponseSetup(f)
	plainReq := &AuthorizationRequest{ResponseMode: ResponseModeDirectPost}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		for _, tc := range []struct {
			req  *AuthorizationRequest
			opts ResponseOptions
		}{
			{plainReq, ResponseOptions{Mode: ResponseModeDirectPost}},
			{encReq, ResponseOptions{Mode: ResponseModeDirectPostJWT, DecryptionKey: func(string) (any, error) { return key, nil }}},
		} {
			r, err := ParseResponse(form, tc.opts)
			if err != nil {
				if r != nil {
					t.Fatalf("result %+v with error %v", r, err)
				}
				typedResponseError(t, err)
				continue
			}
			again, err := r.Form(tc.req)
			if err != nil {
				t.Fatalf("re-encoding %+v: %v", r, err)
			}
			r2, err := ParseResponse(again, tc.opts)
			if err != nil {
				t.Fatalf("re-parsing %v: %v", again, err)
			}
			if !sameResponse(r, r2) {
				t.Fatalf("round trip changed the response:\n%+v\n%+v", r, r2)
			}
		}
	})
}

func FuzzDecryptResponse(f *testing.F) {
	key, req := specResponseSetup(f)
	for _, s := range sortedSeeds(f, "response-spec-jwe.txt") {
		f.Add(string(s))
	}
	for _, r := range []*AuthorizationResponse{
		{VPToken: map[string][]string{"a": {"b"}}, State: "s"},
		{Error: NewError(CodeAccessDenied, "no")},
	} {
		jwe, _, err := r.Encrypt(req)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(jwe)
	}
	opts := ResponseOptions{Mode: ResponseModeDirectPostJWT, DecryptionKey: func(string) (any, error) { return key, nil }}
	f.Fuzz(func(t *testing.T, jwe string) {
		r, err := DecryptResponse(jwe, opts)
		if err != nil {
			if r != nil {
				t.Fatalf("result %+v with error %v", r, err)
			}
			typedResponseError(t, err)
			return
		}
		again, kid, err := r.Encrypt(req)
		if err != nil {
			t.Fatalf("re-encrypting %+v: %v", r, err)
		}
		r2, err := DecryptResponse(again, opts)
		if err != nil || r2.KeyID != kid {
			t.Fatalf("re-decrypting: %+v %v", r2, err)
		}
		if !sameResponse(r, r2) {
			t.Fatalf("round trip changed the response:\n%+v\n%+v", r, r2)
		}
	})
}

func FuzzParseDCAPIResponse(f *testing.F) {
	key, req := specResponseSetup(f)
	req.ResponseMode = ResponseModeDCAPIJWT
	f.Add([]byte(`{"vp_token":{"my_credential":["eyJhbGci...QMA"]}}`))
	f.Add([]byte(`{"error":"invalid_request"}`))
	f.Add([]byte(`{"response":"` + string(requestSeeds(f, "response-spec-jwe.txt")["response-spec-jwe.txt"]) + `"}`))
	plainReq := &AuthorizationRequest{ResponseMode: ResponseModeDCAPI}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, tc := range []struct {
			req  *AuthorizationRequest
			opts ResponseOptions
		}{
			{plainReq, ResponseOptions{Mode: ResponseModeDCAPI}},
			{req, ResponseOptions{Mode: ResponseModeDCAPIJWT, DecryptionKey: func(string) (any, error) { return key, nil }}},
		} {
			r, err := ParseDCAPIResponse(data, tc.opts)
			if err != nil {
				if r != nil {
					t.Fatalf("result %+v with error %v", r, err)
				}
				typedResponseError(t, err)
				continue
			}
			again, err := r.DCAPIData(tc.req)
			if err != nil {
				t.Fatalf("re-encoding %+v: %v", r, err)
			}
			r2, err := ParseDCAPIResponse(again, tc.opts)
			if err != nil {
				t.Fatalf("re-parsing %s: %v", again, err)
			}
			// The DC API error data carries the code only (§14.6.2).
			if r.Error != nil {
				r.Error.Description = ""
			}
			if !sameResponse(r, r2) {
				t.Fatalf("round trip changed the response:\n%+v\n%+v", r, r2)
			}
		}
	})
}

func FuzzParseResponseResult(f *testing.F) {
	for _, s := range sortedSeeds(f, "responseresult-") {
		f.Add(s)
	}
	f.Add([]byte(`{"error":"invalid_request","error_description":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if r, err := ParseResponseResult(data); err != nil {
			if r != nil {
				t.Fatalf("result with error %v", err)
			}
			typedResponseError(t, err)
		}
		if e, err := ParseErrorResponse(data); err != nil {
			if e != nil {
				t.Fatalf("result with error %v", err)
			}
			typedResponseError(t, err)
		} else if e.Code == "" || sanitizeASCII(e.Description, maxDescriptionLen) != e.Description {
			t.Fatalf("accepted %+v", e)
		}
	})
}
