package holder

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/oid4vp"
	"github.com/ikdkit/ikdkit/verifier"
)

// The wallet over the Digital Credentials API, against the verifier
// package's VPHandler (its NewDCAPIRequest and DC API response endpoint).

// dcapiBank is a VPHandler at vpBankID in mode.
func dcapiBank(t *testing.T, f *fixture, pki *vpVerifier, mode oid4vp.ResponseMode) *verifier.VPHandler {
	t.Helper()
	h, err := verifier.NewVPHandler(hospitalVerifier(t, f, t0), verifier.VPHandlerConfig{
		BaseURL: vpBankID, Signer: pki.key, Chain: pki.chain, ResponseMode: mode, Now: f.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// postDCAPIData is the bank's page posting what the wallet returned
// through the browser.
func postDCAPIData(t *testing.T, h *verifier.VPHandler, tx *verifier.VPTransaction, data []byte) (int, string) {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, tx.DCAPI.ResponseURL, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Origin", h.Origin())
	resp, err := handlerClient(h).Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestVPDCAPI: signed and unsigned requests, dc_api and dc_api.jwt, SD-JWT
// VC and mdoc: the wallet reads the request for the page's origin,
// answers with consent, and hands back data the bank verifies.
func TestVPDCAPI(t *testing.T) {
	f := activated(t)
	pki := newVPVerifier(t, f, queryKTPMdoc, oid4vp.ResponseModeDirectPost)
	list := signedList(t, f.is, []string{credential.VCTKTPEL}, []string{credential.DocTypeKTPEL}, pki.registration(vpBankClaims))
	for _, tc := range []struct {
		name     string
		query    string
		mode     oid4vp.ResponseMode
		unsigned bool
	}{
		{"signed dc_api sd-jwt", queryKTPSDJWT, oid4vp.ResponseModeDirectPost, false},
		{"signed dc_api.jwt mdoc", queryKTPMdoc, oid4vp.ResponseModeDirectPostJWT, false},
		{"unsigned dc_api mdoc", queryKTPMdoc, oid4vp.ResponseModeDirectPost, true},
		{"unsigned dc_api.jwt sd-jwt", queryKTPSDJWT, oid4vp.ResponseModeDirectPostJWT, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := dcapiBank(t, f, pki, tc.mode)
			q, err := oid4vp.ParseQuery([]byte(tc.query))
			if err != nil {
				t.Fatal(err)
			}
			tx, err := h.NewDCAPIRequest(f.ctx, q, tc.unsigned)
			if err != nil {
				t.Fatal(err)
			}
			r, err := f.w.ReadDCAPIRequest(f.ctx, tx.DCAPI.Protocol, tx.DCAPI.Data, h.Origin(), VPOptions{Verifiers: list})
			if err != nil {
				t.Fatal(err)
			}
			if r.Verifier != vpBankID || r.Origin != h.Origin() || (r.ClientID == "") != tc.unsigned {
				t.Fatalf("request %+v", r)
			}
			before := len(activity(t, f))
			a, err := f.w.AnswerVPRequest(f.ctx, r, PresentOptions{Consent: yes(nil)})
			if err != nil {
				t.Fatal(err)
			}
			if len(a.DCAPIData) == 0 || a.RedirectURI != "" || len(a.Shared) != 1 || len(a.Shared[0].Claims) != 2 {
				t.Fatalf("answer %+v", a)
			}
			if got := activity(t, f); len(got) != before+1 || got[len(got)-1].Counterparty != vpBankID || got[len(got)-1].Kind != ActivityPresentation {
				t.Fatalf("activity %+v", got)
			}
			if st, body := postDCAPIData(t, h, tx, a.DCAPIData); st != http.StatusOK {
				t.Fatalf("HTTP %d %s", st, body)
			}
			out, err := h.Result(f.ctx, tx.ID)
			if err != nil || out.Err != nil || out.Result == nil || out.Result.NIK() != testNIK {
				t.Fatalf("outcome %+v %v", out, err)
			}
		})
	}
}

// TestVPDCAPIRefusals: a signed request whose expected_origins do not
// name the page's origin, an unsigned one from an origin no registered
// verifier has, claims beyond the registration, a multi-signed request,
// and the user's refusal (nothing is returned).
func TestVPDCAPIRefusals(t *testing.T) {
	f := activated(t)
	pki := newVPVerifier(t, f, queryKTPMdoc, oid4vp.ResponseModeDirectPost)
	list := signedList(t, f.is, []string{credential.VCTKTPEL}, []string{credential.DocTypeKTPEL}, pki.registration(vpBankClaims))
	h := dcapiBank(t, f, pki, oid4vp.ResponseModeDirectPost)
	newTx := func(query string, unsigned bool) *verifier.VPTransaction {
		q, err := oid4vp.ParseQuery([]byte(query))
		if err != nil {
			t.Fatal(err)
		}
		tx, err := h.NewDCAPIRequest(f.ctx, q, unsigned)
		if err != nil {
			t.Fatal(err)
		}
		return tx
	}
	t.Run("signed, another origin", func(t *testing.T) {
		tx := newTx(queryKTPSDJWT, false)
		_, err := f.w.ReadDCAPIRequest(f.ctx, tx.DCAPI.Protocol, tx.DCAPI.Data, "https://bank.example.co.id.evil", VPOptions{Verifiers: list})
		if !errors.Is(err, ErrUntrustedVerifier) || !errors.Is(err, oid4vp.ErrOrigin) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unsigned, unregistered origin", func(t *testing.T) {
		tx := newTx(queryKTPSDJWT, true)
		_, err := f.w.ReadDCAPIRequest(f.ctx, tx.DCAPI.Protocol, tx.DCAPI.Data, "https://phish.example", VPOptions{Verifiers: list})
		if !errors.Is(err, ErrUntrustedVerifier) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("not an origin", func(t *testing.T) {
		tx := newTx(queryKTPSDJWT, true)
		for _, o := range []string{"", "https://bank.example.co.id/", "http://bank.example.co.id", "bank.example.co.id"} {
			if _, err := f.w.ReadDCAPIRequest(f.ctx, tx.DCAPI.Protocol, tx.DCAPI.Data, o, VPOptions{Verifiers: list}); !errors.Is(err, ErrVPRequest) {
				t.Fatalf("origin %q: %v", o, err)
			}
		}
	})
	t.Run("claims beyond the registration", func(t *testing.T) {
		tx := newTx(`{"credentials":[{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["`+credential.VCTKTPEL+`"]},"claims":[{"path":["birthdate"]}]}]}`, true)
		_, err := f.w.ReadDCAPIRequest(f.ctx, tx.DCAPI.Protocol, tx.DCAPI.Data, h.Origin(), VPOptions{Verifiers: list})
		if !errors.Is(err, ErrUntrustedVerifier) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("multi-signed", func(t *testing.T) {
		_, err := f.w.ReadDCAPIRequest(f.ctx, oid4vp.ProtocolMultiSigned, []byte(`{"payload":"e30","signatures":[]}`), h.Origin(), VPOptions{Verifiers: list})
		if !errors.Is(err, ErrVPRequest) || !errors.Is(err, oid4vp.ErrUnsupported) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("consent refused", func(t *testing.T) {
		tx := newTx(queryKTPSDJWT, false)
		r, err := f.w.ReadDCAPIRequest(f.ctx, tx.DCAPI.Protocol, tx.DCAPI.Data, h.Origin(), VPOptions{Verifiers: list})
		if err != nil {
			t.Fatal(err)
		}
		a, err := f.w.AnswerVPRequest(f.ctx, r, PresentOptions{Consent: func(context.Context, ConsentRequest) (bool, error) { return false, nil }})
		if !errors.Is(err, ErrConsentRefused) || a != nil {
			t.Fatalf("answer %+v, %v", a, err)
		}
		if out, err := h.Result(f.ctx, tx.ID); err != nil || !out.Pending {
			t.Fatalf("outcome %+v %v", out, err)
		}
	})
}

// activity is the wallet's history, oldest first.
func activity(t *testing.T, f *fixture) []Activity {
	t.Helper()
	a, err := f.w.Activity(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
