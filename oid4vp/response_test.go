package oid4vp

import (
	"crypto/ecdh"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/internal/jose"
)

func testResponse(req *AuthorizationRequest) *AuthorizationResponse {
	return &AuthorizationResponse{VPToken: map[string][]string{"ktp": {"eyJhbGciOiJFUzI1NiJ9.e30.sig~WyJzYWx0IiwiYSIsMV0~eyJhbGciOiJFUzI1NiJ9.e30.kb"}}, State: req.State}
}

func keyFor(priv *ecdh.PrivateKey, kid string) func(string) (any, error) {
	return func(k string) (any, error) {
		if k != kid {
			return nil, fmt.Errorf("unknown kid %q", k)
		}
		return priv, nil
	}
}

func TestResponseDirectPost(t *testing.T) {
	req := unsignedRequest(t)
	resp := testResponse(req)
	form, err := resp.Form(req)
	if err != nil {
		t.Fatal(err)
	}
	if form.Get("state") != "s-1" || !strings.HasPrefix(form.Get("vp_token"), `{"ktp":[`) {
		t.Fatalf("form %v", form)
	}
	got, err := ParseResponse(form, ResponseOptions{Mode: ResponseModeDirectPost})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, resp) {
		t.Fatalf("round trip %+v", got)
	}
}

func TestResponseDirectPostJWT(t *testing.T) {
	p := newPKI(t, testDNS)
	req, priv := redirectRequest(t, p)
	resp := testResponse(req)
	form, err := resp.Form(req)
	if err != nil {
		t.Fatal(err)
	}
	if len(form) != 1 || form.Get("response") == "" {
		t.Fatalf("form %v", form)
	}
	opts := ResponseOptions{Mode: ResponseModeDirectPostJWT, DecryptionKey: keyFor(priv, "eph-1")}
	got, err := ParseResponse(form, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got.KeyID != "eph-1" || !reflect.DeepEqual(got.VPToken, resp.VPToken) || got.State != resp.State {
		t.Fatalf("%+v", got)
	}
	// HAIP: A256GCM when the Verifier lists it.
	h, _, err := jose.Decrypt(form.Get("response"), priv, []string{jose.EncA256GCM})
	if err != nil || h.Enc != jose.EncA256GCM || h.KeyID != "eph-1" {
		t.Fatalf("%+v %v", h, err)
	}

	other, _ := encKey(t, "eph-1")
	for _, tc := range []struct {
		name     string
		form     url.Values
		opts     ResponseOptions
		code     string
		sentinel error
	}{
		{"JWE to a wrong key", form, ResponseOptions{Mode: ResponseModeDirectPostJWT, DecryptionKey: keyFor(other, "eph-1")}, CodeInvalidRequest, ErrDecrypt},
		{"unknown kid", form, ResponseOptions{Mode: ResponseModeDirectPostJWT, DecryptionKey: keyFor(priv, "eph-2")}, CodeInvalidRequest, ErrDecrypt},
		{"no decryption key", form, ResponseOptions{Mode: ResponseModeDirectPostJWT}, CodeInvalidRequest, ErrDecrypt},
		{"enc not allowed", form, ResponseOptions{Mode: ResponseModeDirectPostJWT, DecryptionKey: keyFor(priv, "eph-1"), EncValues: []string{jose.EncA128GCM}}, CodeInvalidRequest, ErrDecrypt},
		{"enc never allowed", form, ResponseOptions{Mode: ResponseModeDirectPostJWT, DecryptionKey: keyFor(priv, "eph-1"), EncValues: []string{"A128CBC-HS256"}}, CodeInvalidRequest, ErrDecrypt},
		{"encrypted to a direct_post request", form, ResponseOptions{Mode: ResponseModeDirectPost}, CodeInvalidRequest, ErrMalformed},
		{"unencrypted to a direct_post.jwt request", url.Values{"vp_token": {`{"ktp":["x"]}`}}, opts, CodeInvalidRequest, ErrMalformed},
		{"JWE with another alg", url.Values{"response": {reheaderJWE(t, form.Get("response"), "alg", "ECDH-ES+A128KW")}}, opts, CodeInvalidRequest, ErrDecrypt},
		{"JWE with CBC", url.Values{"response": {reheaderJWE(t, form.Get("response"), "enc", "A128CBC-HS256")}}, opts, CodeInvalidRequest, ErrDecrypt},
		{"JWE kid altered", url.Values{"response": {reheaderJWE(t, form.Get("response"), "kid", "eph-1 ")}}, ResponseOptions{Mode: ResponseModeDirectPostJWT, DecryptionKey: func(string) (any, error) { return priv, nil }}, CodeInvalidRequest, ErrDecrypt},
		{"oversized JWE", url.Values{"response": {strings.Repeat("a", MaxResponseSize)}}, opts, CodeInvalidRequest, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseResponse(tc.form, tc.opts)
			if r != nil {
				t.Fatalf("accepted %+v", r)
			}
			wantErr(t, err, tc.code, tc.sentinel)
		})
	}
	// An error response may come unencrypted (§8.3.1).
	ef := ErrorResponseForm(NewError(CodeAccessDenied, "the user declined"), req.State)
	got, err = ParseResponse(ef, opts)
	if err != nil || got.Error == nil || got.Error.Code != CodeAccessDenied || got.Error.Description != "the user declined" || got.State != req.State {
		t.Fatalf("error response: %+v %v", got, err)
	}
	// An encrypted error response too.
	jwe, _, err := (&AuthorizationResponse{Error: NewError(CodeVPFormatsNotSupported, ""), State: req.State}).Encrypt(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err = DecryptResponse(jwe, opts)
	if err != nil || got.Error.Code != CodeVPFormatsNotSupported {
		t.Fatalf("encrypted error response: %+v %v", got, err)
	}
}

// reheaderJWE replaces one protected header member of a compact JWE.
func reheaderJWE(t testing.TB, tok, name, value string) string {
	t.Helper()
	parts := strings.SplitN(tok, ".", 2)
	hb, err := jose.Decode(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	s := string(hb)
	i := strings.Index(s, `"`+name+`":"`)
	if i < 0 {
		t.Fatalf("no %s in %s", name, s)
	}
	j := strings.Index(s[i+len(name)+4:], `"`)
	s = s[:i] + `"` + name + `":"` + value + s[i+len(name)+4+j:]
	return jose.Encode([]byte(s)) + "." + parts[1]
}

func TestParseResponseRefusals(t *testing.T) {
	opts := ResponseOptions{Mode: ResponseModeDirectPost}
	big := strings.Repeat("a", MaxResponseSize)
	for _, tc := range []struct {
		name     string
		form     url.Values
		code     string
		sentinel error
	}{
		{"no vp_token", url.Values{"state": {"s"}}, CodeInvalidRequest, ErrMalformed},
		{"repeated vp_token", url.Values{"vp_token": {`{"a":["x"]}`, `{"a":["y"]}`}}, CodeInvalidRequest, ErrMalformed},
		{"vp_token not JSON", url.Values{"vp_token": {`{`}}, CodeInvalidRequest, ErrMalformed},
		{"vp_token duplicate member", url.Values{"vp_token": {`{"a":["x"],"a":["y"]}`}}, CodeInvalidRequest, ErrMalformed},
		{"vp_token an array", url.Values{"vp_token": {`["x"]`}}, CodeInvalidRequest, ErrMalformed},
		{"vp_token entry not an array", url.Values{"vp_token": {`{"a":"x"}`}}, CodeInvalidRequest, ErrMalformed},
		{"vp_token empty array", url.Values{"vp_token": {`{"a":[]}`}}, CodeInvalidRequest, ErrMalformed},
		{"vp_token empty presentation", url.Values{"vp_token": {`{"a":[""]}`}}, CodeInvalidRequest, ErrMalformed},
		{"vp_token object presentation", url.Values{"vp_token": {`{"a":[{"@context":[]}]}`}}, CodeInvalidRequest, ErrUnsupported},
		{"vp_token bad id", url.Values{"vp_token": {`{"a b":["x"]}`}}, CodeInvalidRequest, ErrMalformed},
		{"too many presentations", url.Values{"vp_token": {`{"a":[` + strings.Repeat(`"x",`, MaxPresentations) + `"x"]}`}}, CodeInvalidRequest, ErrMalformed},
		{"state not URL-safe", url.Values{"vp_token": {`{"a":["x"]}`}, "state": {"a b"}}, CodeInvalidRequest, ErrMalformed},
		{"oversized", url.Values{"vp_token": {`{"a":["` + big + `"]}`}}, CodeInvalidRequest, ErrMalformed},
		{"error code with a quote", url.Values{"error": {`a"b`}}, CodeInvalidRequest, ErrMalformed},
		{"empty error", url.Values{"error": {""}}, CodeInvalidRequest, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseResponse(tc.form, opts)
			if r != nil {
				t.Fatalf("accepted %+v", r)
			}
			wantErr(t, err, tc.code, tc.sentinel)
		})
	}
}

func TestResponseEndpoint(t *testing.T) {
	p := newPKI(t, testDNS)
	req, priv := redirectRequest(t, p)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := ReadResponse(r, ResponseOptions{Mode: req.ResponseMode, DecryptionKey: keyFor(priv, "eph-1")})
		if err == nil && len(resp.VPToken["ktp"]) != 1 {
			err = NewError(CodeInvalidRequest, "no presentation for ktp")
		}
		if err != nil {
			WriteError(w, err)
			return
		}
		WriteResponseResult(w, ResponseResult{RedirectURI: "https://" + testDNS + "/done#response_code=091535f699ea575c7937fa5f0f454aee"})
	}))
	defer srv.Close()
	form, err := testResponse(req).Form(req)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.PostForm(srv.URL, form)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ReadResponseResult(resp)
	resp.Body.Close()
	if err != nil || !strings.HasSuffix(res.RedirectURI, "#response_code=091535f699ea575c7937fa5f0f454aee") {
		t.Fatalf("%+v %v", res, err)
	}
	// A bad response gets a JSON error the Wallet reads.
	resp, err = http.PostForm(srv.URL, url.Values{"response": {"a.b.c.d.e"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ReadResponseResult(resp)
	resp.Body.Close()
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Code != CodeInvalidRequest || pe.Status != 400 {
		t.Fatalf("%v", err)
	}
	// And a GET is not a response.
	resp, err = http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ReadResponseResult(resp)
	resp.Body.Close()
	if !errors.As(err, &pe) || pe.Status != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %v", err)
	}
	for _, tc := range []struct {
		status int
		ctype  string
		body   string
	}{
		{http.StatusSeeOther, "application/json", `{}`},
		{http.StatusOK, "text/html", `{}`},
		{http.StatusOK, "application/json", `{"redirect_uri":"javascript:alert(1)"}`},
		{http.StatusOK, "application/json", `{"redirect_uri":"http://evil.example/"}`},
		{http.StatusOK, "application/json", `{"redirect_uri":1}`},
		{http.StatusOK, "application/json", `[]`},
	} {
		r := &http.Response{StatusCode: tc.status, Header: http.Header{"Content-Type": {tc.ctype}}, Body: io.NopCloser(strings.NewReader(tc.body))}
		if res, err := ReadResponseResult(r); err == nil {
			t.Errorf("%d %s %s: accepted %+v", tc.status, tc.ctype, tc.body, res)
		}
	}
	if res, err := ParseResponseResult([]byte(`{"other":1}`)); err != nil || res.RedirectURI != "" {
		t.Fatalf("empty answer: %+v %v", res, err)
	}
	if err := WriteResponseResult(httptest.NewRecorder(), ResponseResult{RedirectURI: "ftp://x"}); err == nil {
		t.Fatal("ftp redirect_uri written")
	}
}

func TestWriteReadError(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		code   string
		desc   string
	}{
		{NewError(CodeInvalidRequest, "bad \"state\"\n"), 400, CodeInvalidRequest, "bad 'state'?"},
		{&ProtocolError{Status: 404, Code: CodeInvalidRequestURI}, 404, CodeInvalidRequestURI, ""},
		{fmt.Errorf("wrapped: %w", NewError(CodeAccessDenied, "")), 400, CodeAccessDenied, ""},
		{errors.New("database password is hunter2"), 500, CodeServerError, ""},
	} {
		w := httptest.NewRecorder()
		WriteError(w, tc.err)
		pe := ReadError(w.Result())
		if pe.Status != tc.status || pe.Code != tc.code || pe.Description != tc.desc || w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%v: got %+v", tc.err, pe)
		}
	}
	pe := ReadError(&http.Response{StatusCode: 502, Body: io.NopCloser(strings.NewReader("<html>"))})
	if pe.Code != "" || !strings.Contains(pe.Description, "502") {
		t.Errorf("no body: %+v", pe)
	}
	// The Wallet's error form never carries an internal cause.
	f := ErrorResponseForm(errors.New("secret"), "st")
	if f.Get("error") != CodeServerError || f.Has("error_description") || f.Get("state") != "st" {
		t.Errorf("form %v", f)
	}
	if !errors.Is(protoErr(CodeInvalidRequestObject, ErrNotFresh, "x"), ErrNotFresh) {
		t.Error("Unwrap")
	}
}

func TestDecodeDeviceResponse(t *testing.T) {
	b := []byte{0xa1, 0x67, 'v', 'e', 'r', 's', 'i', 'o', 'n'}
	got, err := DecodeDeviceResponse(EncodeDeviceResponse(b))
	if err != nil || string(got) != string(b) {
		t.Fatal(got, err)
	}
	for _, s := range []string{"oWd2ZXJzaW9u=", "oWd2ZXJz\naW9u", "oWd+ZXJzaW9u", "oR"} {
		if _, err := DecodeDeviceResponse(s); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", s, err)
		}
	}
}
