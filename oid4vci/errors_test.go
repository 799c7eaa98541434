package oid4vci

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestNewErrorStatus(t *testing.T) {
	for _, tc := range []struct {
		code string
		want int
	}{
		{CodeInvalidRequest, 400},
		{CodeInvalidClient, 401},
		{CodeInvalidGrant, 400},
		{CodeUnauthorizedClient, 400},
		{CodeUnsupportedGrantType, 400},
		{CodeInvalidScope, 400},
		{CodeInvalidDPoPProof, 400},
		{CodeUseDPoPNonce, 400},
		{CodeInvalidToken, 401},
		{CodeInsufficientScope, 403},
		{CodeInvalidCredentialRequest, 400},
		{CodeUnknownCredentialConfiguration, 400},
		{CodeUnknownCredentialIdentifier, 400},
		{CodeInvalidProof, 400},
		{CodeInvalidNonce, 400},
		{CodeInvalidEncryptionParameters, 400},
		{CodeCredentialRequestDenied, 400},
		{CodeInvalidTransactionID, 400},
		{CodeInvalidNotificationID, 400},
		{CodeInvalidNotificationRequest, 400},
		{CodeServerError, 500},
	} {
		t.Run(tc.code, func(t *testing.T) {
			e := NewError(tc.code, "d")
			if e.Status != tc.want || e.Code != tc.code || e.Description != "d" {
				t.Fatalf("NewError = %+v, want status %d", e, tc.want)
			}
			if !errors.Is(fmt.Errorf("wrapped: %w", e), NewError(tc.code, "")) {
				t.Fatal("errors.Is does not match the same code")
			}
			if errors.Is(e, NewError(tc.code+"x", "")) {
				t.Fatal("errors.Is matches another code")
			}
		})
	}
}

func TestProtocolErrorUnwrap(t *testing.T) {
	e := &ProtocolError{Code: CodeInvalidProof, Err: fmt.Errorf("%w: bad", ErrInvalidProof)}
	if !errors.Is(e, ErrInvalidProof) {
		t.Fatal("cause not reachable through Unwrap")
	}
	if got := e.Error(); got != "oid4vci: invalid_proof" {
		t.Fatalf("Error() = %q", got)
	}
	e.Description = "nonce reused"
	if got := e.Error(); got != "oid4vci: invalid_proof: nonce reused" {
		t.Fatalf("Error() = %q", got)
	}
}

func TestWriteError(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        error
		wantStatus int
		wantBody   string // "" means no body
		wantAuth   string // WWW-Authenticate, "" means absent
		wantNonce  string
	}{
		{"token error", NewError(CodeInvalidGrant, "wrong tx_code"), 400,
			`{"error":"invalid_grant","error_description":"wrong tx_code"}`, "", ""},
		{"wrapped", fmt.Errorf("ctx: %w", NewError(CodeInvalidNonce, "")), 400,
			`{"error":"invalid_nonce"}`, "", ""},
		{"description sanitized", NewError(CodeInvalidProof, "quote \" backslash \\ newline \n é"), 400,
			`{"error":"invalid_proof","error_description":"quote ? backslash ? newline ? ??"}`, "", ""},
		{"not a protocol error", errors.New("database password is hunter2"), 500,
			`{"error":"server_error"}`, "", ""},
		{"bearer challenge", &ProtocolError{Status: 401, Code: CodeInvalidToken, Description: "expired", Scheme: SchemeBearer}, 401,
			`{"error":"invalid_token","error_description":"expired"}`, `Bearer error="invalid_token", error_description="expired"`, ""},
		{"dpop nonce at resource", &ProtocolError{Status: 401, Code: CodeUseDPoPNonce, Scheme: SchemeDPoP, DPoPNonce: "n-2"}, 401,
			`{"error":"use_dpop_nonce"}`, `DPoP error="use_dpop_nonce"`, "n-2"},
		{"bad dpop nonce not sent", &ProtocolError{Code: CodeUseDPoPNonce, DPoPNonce: "a b"}, 400,
			`{"error":"use_dpop_nonce"}`, "", ""},
		{"bare challenge", &ProtocolError{Status: 401, Scheme: SchemeBearer}, 401, "", "Bearer", ""},
		{"status out of range", &ProtocolError{Status: 200, Code: CodeInvalidRequest}, 400,
			`{"error":"invalid_request"}`, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			WriteError(rec, tc.err)
			res := rec.Result()
			if res.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", res.StatusCode, tc.wantStatus)
			}
			if got := rec.Body.String(); got != tc.wantBody {
				t.Errorf("body %s, want %s", got, tc.wantBody)
			}
			if tc.wantBody != "" && res.Header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", res.Header.Get("Content-Type"))
			}
			if res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", res.Header.Get("Cache-Control"))
			}
			if got := res.Header.Get("WWW-Authenticate"); got != tc.wantAuth {
				t.Errorf("WWW-Authenticate %q, want %q", got, tc.wantAuth)
			}
			if got := res.Header.Get("DPoP-Nonce"); got != tc.wantNonce {
				t.Errorf("DPoP-Nonce %q, want %q", got, tc.wantNonce)
			}
		})
	}
}

type failingMarshaler struct{}

func (failingMarshaler) MarshalJSON() ([]byte, error) { return nil, errors.New("no") }

func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	if err := WriteJSON(rec, http.StatusOK, NonceResponse{CNonce: "abc<&>"}); err != nil {
		t.Fatal(err)
	}
	res := rec.Result()
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-store" ||
		res.Header.Get("Content-Type") != "application/json" || res.Header.Get("Pragma") != "no-cache" {
		t.Fatalf("status %d, header %v", res.StatusCode, res.Header)
	}
	if got := rec.Body.String(); got != `{"c_nonce":"abc<&>"}` {
		t.Fatalf("body %s", got)
	}

	rec = httptest.NewRecorder()
	if err := WriteJSON(rec, http.StatusOK, failingMarshaler{}); err == nil {
		t.Fatal("encoding error not reported")
	}
	if rec.Body.Len() != 0 || len(rec.Header()) != 0 || rec.Code != 200 || rec.Flushed {
		t.Fatal("response written despite the encoding error")
	}
}

func TestTokenRequestEncode(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  TokenRequest
		want url.Values
	}{
		{"with tx_code", TokenRequest{GrantType: GrantTypePreAuthorizedCode, PreAuthorizedCode: "c&d=e", TxCode: "493536"},
			url.Values{"grant_type": {GrantTypePreAuthorizedCode}, "pre-authorized_code": {"c&d=e"}, "tx_code": {"493536"}}},
		{"without tx_code", TokenRequest{GrantType: GrantTypePreAuthorizedCode, PreAuthorizedCode: "c", ClientID: "w"},
			url.Values{"grant_type": {GrantTypePreAuthorizedCode}, "pre-authorized_code": {"c"}, "client_id": {"w"}}},
		{"refresh", TokenRequest{GrantType: GrantTypeRefreshToken, RefreshToken: "r+/="},
			url.Values{"grant_type": {GrantTypeRefreshToken}, "refresh_token": {"r+/="}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := url.ParseQuery(tc.req.Encode())
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("form %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSigningAlgorithmJSON(t *testing.T) {
	b, err := json.Marshal([]SigningAlgorithm{JOSEAlgorithm("ES256"), COSEAlgorithm(-7)})
	if err != nil || string(b) != `["ES256",-7]` {
		t.Fatalf("%s, %v", b, err)
	}
	if _, err := json.Marshal(SigningAlgorithm{}); err == nil {
		t.Fatal("empty algorithm encoded")
	}
	if s := COSEAlgorithm(-9).String() + JOSEAlgorithm("EdDSA").String(); s != "-9EdDSA" {
		t.Fatal(s)
	}
	if !strings.Contains(WellKnownCredentialIssuer, "openid-credential-issuer") {
		t.Fatal(WellKnownCredentialIssuer)
	}
}
