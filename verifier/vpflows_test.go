package verifier

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/oid4vp"
)

// The same-device flow and the Digital Credentials API of VPHandler.

// postForRedirect posts a response form and returns the redirect_uri the
// response endpoint answered.
func postForRedirect(t *testing.T, uri string, form url.Values) string {
	t.Helper()
	resp, err := http.PostForm(uri, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	res, err := oid4vp.ReadResponseResult(resp)
	if err != nil {
		t.Fatalf("response result: %v", err)
	}
	return res.RedirectURI
}

// TestVPHandlerSameDevice: the Wallet is sent back to the bank's
// redirect URI with a response_code, and only that code reads the
// outcome (OpenID4VP 1.0 §8.2, §13.3).
func TestVPHandlerSameDevice(t *testing.T) {
	ctx := context.Background()
	e := newVPEnv(t, nil)
	if _, err := e.h.NewSameDeviceRequest(ctx, vpBoth(t), "https://bank.example/back#frag"); !errors.Is(err, ErrConfig) {
		t.Fatalf("a redirect URI with a fragment: %v", err)
	}
	if _, err := e.h.NewSameDeviceRequest(ctx, vpBoth(t), "http://bank.example/back"); !errors.Is(err, ErrConfig) {
		t.Fatalf("an http redirect URI off loopback: %v", err)
	}
	tx, err := e.h.NewSameDeviceRequest(ctx, vpBoth(t), "https://bank.example/back?session=s1")
	if err != nil {
		t.Fatal(err)
	}
	if !tx.SameDevice || tx.Link == "" {
		t.Fatalf("transaction %+v", tx)
	}
	// Before the response there is no code: nothing to read.
	if _, err := e.h.SameDeviceResult(ctx, tx.ID, ""); !errors.Is(err, ErrResponseCode) {
		t.Fatalf("SameDeviceResult before the response: %v", err)
	}
	req := e.fetch(t, tx, true)
	redirect := postForRedirect(t, req.ResponseURI, e.form(t, req, e.vpToken(t, req, walletOpts{}), req.State))
	u, err := url.Parse(redirect)
	if err != nil || u.Host != "bank.example" || u.Path != "/back" || u.Query().Get("session") != "s1" {
		t.Fatalf("redirect_uri %q", redirect)
	}
	code := u.Query().Get("response_code")
	if len(code) < 22 {
		t.Fatalf("response_code %q", code)
	}

	// Result without the code, a wrong code, the code on another
	// transaction: refused, typed.
	if _, err := e.h.Result(ctx, tx.ID); !errors.Is(err, ErrResponseCode) {
		t.Fatalf("Result of a same-device transaction: %v", err)
	}
	wantVPCheck(t, must1(e.h.SameDeviceResult(ctx, tx.ID, code+"x")), check.Input, ErrResponseCode)
	cross, err := e.h.NewRequest(ctx, vpBoth(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.h.SameDeviceResult(ctx, cross.ID, code); !errors.Is(err, ErrResponseCode) {
		t.Fatalf("SameDeviceResult of a cross-device transaction: %v", err)
	}
	o, err := e.h.SameDeviceResult(ctx, tx.ID, code)
	if err != nil || o.Err != nil || o.Result == nil || o.Result.NIK() != testNIK {
		t.Fatalf("SameDeviceResult: %+v %v", o, err)
	}

	// The polling URL needs the code too.
	resp, err := http.Get(tx.ResultURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("result URL without the code: HTTP %d", resp.StatusCode)
	}
	withCode := *tx
	withCode.ResultURL += "?response_code=" + url.QueryEscape(code)
	if r := e.resultJSON(t, &withCode); r.State != "verified" || len(r.Claims) != 2 {
		t.Fatalf("result with the code: %+v", r)
	}
}

// must1 returns the error of a (value, error) pair.
func must1[T any](_ T, err error) error { return err }

// dcapiWallet is the Wallet side of a DC API transaction in these tests:
// it reads the request the page would pass to the browser, as the origin
// the browser asserts, and returns the data it would give back.
type dcapiWallet struct {
	e      *vpEnv
	origin string
	aud    string // "" means "origin:" + origin
}

func (w dcapiWallet) answer(t *testing.T, tx *VPTransaction) (*oid4vp.AuthorizationRequest, []byte) {
	t.Helper()
	req, err := oid4vp.ParseDCAPIRequest(tx.DCAPI.Protocol, tx.DCAPI.Data)
	if err != nil {
		t.Fatal(err)
	}
	if tx.DCAPI.Protocol == oid4vp.ProtocolSigned {
		vr, err := oid4vp.VerifyRequestObject(req.Request, oid4vp.VerifyOptions{Roots: w.e.roots, Origin: w.origin, Now: w.e.f.clock.Now()})
		if err != nil {
			t.Fatalf("signed DC API request: %v", err)
		}
		req = vr.Request()
		if req.ClientID != w.e.h.ClientID() {
			t.Fatalf("client_id %q", req.ClientID)
		}
	}
	if req.Nonce != tx.Nonce || req.State != "" || req.ResponseURI != "" {
		t.Fatalf("request %+v, transaction %+v", req, tx)
	}
	aud := w.aud
	if aud == "" {
		aud = oid4vp.OriginPrefix + w.origin
	}
	kid := ""
	if req.ResponseMode.Encrypted() {
		k, err := req.ClientMetadata.EncryptionKey()
		if err != nil {
			t.Fatal(err)
		}
		kid = k.KeyID
	}
	st, err := req.MdocSessionTranscript(w.origin, kid)
	if err != nil {
		t.Fatal(err)
	}
	sd := w.e.f.ktpOpts()
	sd.aud, sd.nonce = aud, req.Nonce
	tok := map[string][]string{"pid": {w.e.f.presentSDJWT(t, sd)},
		"mdl": {base64.RawURLEncoding.EncodeToString(w.e.f.presentMdoc(t, w.e.f.ktpMdoc(), st))}}
	data, err := (&oid4vp.AuthorizationResponse{VPToken: tok}).DCAPIData(req)
	if err != nil {
		t.Fatal(err)
	}
	return req, data
}

// postDCAPI is the page posting the credential's data, from origin.
func postDCAPI(t *testing.T, tx *VPTransaction, origin string, data []byte) (int, VPResultJSON, string) {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, tx.DCAPI.ResponseURL, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out VPResultJSON
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("answer %q: %v", b, err)
		}
	}
	return resp.StatusCode, out, string(b)
}

// TestVPHandlerDCAPI: signed and unsigned requests, dc_api and
// dc_api.jwt: the presentations are bound to the origin (aud
// "origin:<origin>", the OpenID4VPDCAPIHandover, Appendix A.4 and
// B.2.6.2), and the outcome is the transaction's.
func TestVPHandlerDCAPI(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mode     oid4vp.ResponseMode
		unsigned bool
	}{
		{name: "signed dc_api", mode: oid4vp.ResponseModeDirectPost},
		{name: "signed dc_api.jwt", mode: oid4vp.ResponseModeDirectPostJWT},
		{name: "unsigned dc_api.jwt", mode: oid4vp.ResponseModeDirectPostJWT, unsigned: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			e := newVPEnv(t, func(c *VPHandlerConfig) { c.ResponseMode = tc.mode })
			origin := e.h.Origin()
			if !strings.HasPrefix(origin, "http://localhost:") {
				t.Fatalf("origin %q", origin)
			}
			tx, err := e.h.NewDCAPIRequest(ctx, vpBoth(t), tc.unsigned)
			if err != nil {
				t.Fatal(err)
			}
			wantProto := oid4vp.ProtocolSigned
			if tc.unsigned {
				wantProto = oid4vp.ProtocolUnsigned
			}
			if tx.DCAPI == nil || tx.DCAPI.Protocol != wantProto || tx.Link != "" || tx.State != "" {
				t.Fatalf("transaction %+v", tx)
			}
			req, data := dcapiWallet{e: e, origin: origin}.answer(t, tx)
			want := oid4vp.ResponseModeDCAPI
			if tc.mode.Encrypted() {
				want = oid4vp.ResponseModeDCAPIJWT
				if bytes.Contains(data, []byte("vp_token")) {
					t.Fatal("an encrypted response in clear")
				}
			}
			if req.ResponseMode != want {
				t.Fatalf("response_mode %s", req.ResponseMode)
			}
			st, out, body := postDCAPI(t, tx, origin, data)
			if st != http.StatusOK || out.State != "verified" || out.Claims != nil {
				t.Fatalf("HTTP %d %+v %s", st, out, body)
			}
			o := e.outcome(t, tx.ID)
			if o.Err != nil || o.Result == nil || len(o.Result.Credentials()) != 2 || o.Result.NIK() != testNIK {
				t.Fatalf("outcome %+v", o)
			}
			// Single use.
			if st, _, _ := postDCAPI(t, tx, origin, data); st != http.StatusBadRequest {
				t.Fatalf("replayed DC API response: HTTP %d", st)
			}
			// Not a redirect-based transaction: no request_uri, no
			// response_uri.
			for _, u := range []string{e.h.base + vpPathRequest + tx.ID, e.h.base + vpPathResponse + tx.ID} {
				resp, err := http.PostForm(u, url.Values{"state": {"x"}})
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusNotFound {
					t.Fatalf("%s: HTTP %d", u, resp.StatusCode)
				}
			}
		})
	}
}

// TestVPHandlerDCAPIRefusals: a presentation bound to another audience
// or origin, a post from another origin, a response to the wrong
// transaction kind.
func TestVPHandlerDCAPIRefusals(t *testing.T) {
	ctx := context.Background()
	t.Run("presentation for the client_id, not the origin", func(t *testing.T) {
		e := newVPEnv(t, nil)
		tx, err := e.h.NewDCAPIRequest(ctx, vpBoth(t), false)
		if err != nil {
			t.Fatal(err)
		}
		_, data := dcapiWallet{e: e, origin: e.h.Origin(), aud: e.h.ClientID()}.answer(t, tx)
		if st, _, body := postDCAPI(t, tx, e.h.Origin(), data); st != http.StatusBadRequest || !strings.Contains(body, "holder binding") {
			t.Fatalf("HTTP %d %s", st, body)
		}
		wantVPCheck(t, e.outcome(t, tx.ID).Err, check.HolderBinding, nil)
	})
	t.Run("mdoc bound to another origin", func(t *testing.T) {
		e := newVPEnv(t, nil)
		tx, err := e.h.NewDCAPIRequest(ctx, vpBoth(t), true)
		if err != nil {
			t.Fatal(err)
		}
		// The wallet was told another origin (a phishing page): the
		// SD-JWT's aud and the mdoc transcript name it.
		_, data := dcapiWallet{e: e, origin: "https://bank.example.evil"}.answer(t, tx)
		if st, _, body := postDCAPI(t, tx, "", data); st != http.StatusBadRequest {
			t.Fatalf("HTTP %d %s", st, body)
		}
		wantVPCheck(t, e.outcome(t, tx.ID).Err, check.HolderBinding, nil)
	})
	t.Run("signed request verified for another origin", func(t *testing.T) {
		e := newVPEnv(t, nil)
		tx, err := e.h.NewDCAPIRequest(ctx, vpBoth(t), false)
		if err != nil {
			t.Fatal(err)
		}
		req, err := oid4vp.ParseDCAPIRequest(tx.DCAPI.Protocol, tx.DCAPI.Data)
		if err != nil {
			t.Fatal(err)
		}
		_, err = oid4vp.VerifyRequestObject(req.Request, oid4vp.VerifyOptions{Roots: e.roots, Origin: "https://bank.example.evil", Now: e.f.clock.Now()})
		if !errors.Is(err, oid4vp.ErrOrigin) {
			t.Fatalf("expected_origins: %v", err)
		}
	})
	t.Run("post from another origin", func(t *testing.T) {
		e := newVPEnv(t, nil)
		tx, err := e.h.NewDCAPIRequest(ctx, vpBoth(t), false)
		if err != nil {
			t.Fatal(err)
		}
		_, data := dcapiWallet{e: e, origin: e.h.Origin()}.answer(t, tx)
		if st, _, _ := postDCAPI(t, tx, "https://elsewhere.example", data); st != http.StatusForbidden {
			t.Fatalf("HTTP %d", st)
		}
		if !e.outcome(t, tx.ID).Pending {
			t.Fatal("a post from another origin spoiled the transaction")
		}
	})
	t.Run("not JSON", func(t *testing.T) {
		e := newVPEnv(t, nil)
		tx, err := e.h.NewDCAPIRequest(ctx, vpBoth(t), false)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.PostForm(tx.DCAPI.ResponseURL, url.Values{"vp_token": {"{}"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("HTTP %d", resp.StatusCode)
		}
	})
	t.Run("wallet error", func(t *testing.T) {
		e := newVPEnv(t, nil)
		tx, err := e.h.NewDCAPIRequest(ctx, vpBoth(t), false)
		if err != nil {
			t.Fatal(err)
		}
		st, out, body := postDCAPI(t, tx, e.h.Origin(), oid4vp.DCAPIErrorData(oid4vp.NewError(oid4vp.CodeAccessDenied, "")))
		if st != http.StatusOK || out.State != "failed" || out.Error == nil || out.Error.Check != "wallet" {
			t.Fatalf("HTTP %d %+v %s", st, out, body)
		}
		var pe *oid4vp.ProtocolError
		if o := e.outcome(t, tx.ID); !errors.As(o.Err, &pe) || pe.Code != oid4vp.CodeAccessDenied {
			t.Fatalf("outcome %+v", o)
		}
	})
	t.Run("origin config", func(t *testing.T) {
		for _, o := range []string{"https://bank.example/", "https://bank.example/path", "http://bank.example", "bank.example"} {
			e := newVPEnv(t, nil)
			if _, err := NewVPHandler(e.f.verifier(t, nil), VPHandlerConfig{BaseURL: e.h.base, Signer: e.h.cfg.Signer, Chain: e.h.cfg.Chain, Origin: o}); !errors.Is(err, ErrConfig) {
				t.Fatalf("Origin %q: %v", o, err)
			}
		}
	})
}

// TestVPHandlerScript: the page script is served.
func TestVPHandlerScript(t *testing.T) {
	e := newVPEnv(t, nil)
	resp, err := http.Get(e.h.base + "/dcapi.js")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") ||
		!strings.Contains(string(b), "async function ikdkitDCAPI(tx)") || !strings.Contains(string(b), "navigator.credentials.get") {
		t.Fatalf("HTTP %d %q", resp.StatusCode, b)
	}
}

// TestVPHandlerOpen: per-request verifier_info reaches the Wallet after
// the handler's own; a DC API transaction cannot have a redirect URI.
func TestVPHandlerOpen(t *testing.T) {
	ctx := context.Background()
	e := newVPEnv(t, func(c *VPHandlerConfig) {
		c.VerifierInfo = []oid4vp.VerifierInfo{{Format: "registration_cert", Data: json.RawMessage(`"handler"`)}}
	})
	tx, err := e.h.Open(ctx, vpBoth(t), VPRequestOptions{VerifierInfo: []oid4vp.VerifierInfo{{Format: "x_purpose", Data: json.RawMessage(`{"p":"login"}`)}}})
	if err != nil {
		t.Fatal(err)
	}
	req := e.fetch(t, tx, false)
	if len(req.VerifierInfo) != 2 || req.VerifierInfo[0].Format != "registration_cert" || req.VerifierInfo[1].Format != "x_purpose" {
		t.Fatalf("verifier_info %+v", req.VerifierInfo)
	}
	// The next request does not inherit it.
	tx2, err := e.h.NewRequest(ctx, vpBoth(t))
	if err != nil {
		t.Fatal(err)
	}
	if req := e.fetch(t, tx2, false); len(req.VerifierInfo) != 1 {
		t.Fatalf("verifier_info %+v", req.VerifierInfo)
	}
	if _, err := e.h.Open(ctx, vpBoth(t), VPRequestOptions{DCAPI: true, RedirectURI: "https://bank.example/back"}); !errors.Is(err, ErrConfig) {
		t.Fatalf("DC API with a redirect URI: %v", err)
	}
}
