package issuer

import (
	"bytes"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/internal/obs/obstest"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// TestObserve: an activation through the Handler, with Metrics and
// Logger set on the Issuer's Config (the Handler's defaults), reports
// each request under its route name and each operation's outcome, a
// refused request and operation too; no secret of the flow (the tx_code,
// the pre-authorized code, the offer reference, the tokens, the c_nonce,
// the NIK) appears in any log line.
func TestObserve(t *testing.T) {
	var m obstest.Metrics
	var logs obstest.Log
	he := newHandlerEnv(t, HandlerConfig{}, func(c *Config) { c.Metrics, c.Logger = &m, logs.Logger() })
	device := newDevice(t)

	g := he.registerConfirm()
	o := g.Offer
	// A wrong tx_code: refused and counted.
	wrong := "0" + o.TxCode[1:]
	if wrong == o.TxCode {
		wrong = "1" + o.TxCode[1:]
	}
	wantError(t, he.do(he.tokenRequest(tokenForm(o.Offer.Grants.PreAuthorizedCode.PreAuthorizedCode, wrong), "")), http.StatusBadRequest, oid4vci.CodeInvalidGrant)
	// The offer by reference, then the activation.
	if resp := he.do(httptest.NewRequest(http.MethodGet, o.URI, nil)); resp.StatusCode != http.StatusOK {
		t.Fatalf("offer by reference: %d", resp.StatusCode)
	}
	s := he.redeemOffer(o, device)
	n := he.nonce()
	cr := he.issue(s, "ktpel_dc_sd_jwt", device)
	// A refused credential request: an unknown configuration.
	wantError(t, he.do(he.resourceRequest(s, "/credential", credentialBody("nope", he.proofs(he.nonce(), device)...))),
		http.StatusBadRequest, oid4vci.CodeUnknownCredentialConfiguration)
	// No route.
	if resp := he.do(httptest.NewRequest(http.MethodGet, testIssuer+"/nope", nil)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown path: %d", resp.StatusCode)
	}
	// Operations outside the Handler.
	id, _ := he.iss.newID()
	if err := he.iss.Revoke(he.ctx, "operator:test", id); !isErr(err, ErrNotFound) {
		t.Fatalf("revoke of an unknown credential: %v", err)
	}

	for _, r := range []obstest.Request{
		{Handler: "issuer", Route: "token", Status: http.StatusBadRequest},
		{Handler: "issuer", Route: "offer", Status: http.StatusOK},
		{Handler: "issuer", Route: "token", Status: http.StatusOK},
		{Handler: "issuer", Route: "nonce", Status: http.StatusOK},
		{Handler: "issuer", Route: "credential", Status: http.StatusOK},
		{Handler: "issuer", Route: "credential", Status: http.StatusBadRequest},
		{Handler: "issuer", Route: "unmatched", Status: http.StatusNotFound},
	} {
		if !m.HasRequest(r.Handler, r.Route, r.Status) {
			t.Errorf("no request %s in %v", r, m.Requests())
		}
	}
	if len(m.Requests()) != 9 || m.NegativeLatency() {
		t.Errorf("requests %v", m.Requests())
	}
	want := []string{"register ok", "confirm ok", "activate code_invalid", "activate ok", "issue ok", "issue invalid_input", "revoke not_found"}
	if got := m.Outcomes(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("outcomes %v, want %v", got, want)
	}

	out := logs.String()
	t.Logf("log:\n%s", out)
	for _, want := range []string{`msg="issuer: request refused" route=token method=POST code=invalid_grant reason=code_invalid`,
		`route=credential method=POST code=unknown_credential_configuration reason=invalid_input`,
		`msg="issuer: operation refused" op=revoke outcome=not_found`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the log:\n%s", want, out)
		}
	}
	for name, secret := range map[string]string{"tx_code": o.TxCode, "wrong tx_code": wrong,
		"pre-authorized code": o.Offer.Grants.PreAuthorizedCode.PreAuthorizedCode, "offer reference": path.Base(o.URI),
		"access token": s.token, "refresh token": s.refresh, "c_nonce": n, "NIK": testNIK, "credential": cr.Credentials[0].Credential} {
		if secret == "" || strings.Contains(out, secret) {
			t.Errorf("the %s %q is in the log (or empty):\n%s", name, secret, out)
		}
	}
}

// TestObserveServerError: a store failure is logged at Error with the
// route, not the path; the deprecated ErrorLog still gets it when
// Logger is nil, and HandlerConfig.Metrics overrides the Issuer's.
func TestObserveServerError(t *testing.T) {
	var issM, hM obstest.Metrics
	var buf bytes.Buffer
	he := newHandlerEnv(t, HandlerConfig{ErrorLog: log.New(&buf, "legacy: ", 0), Metrics: &hM}, func(c *Config) { c.Metrics = &issM })
	g := he.registerConfirm()
	he.store.Close()
	resp := he.do(he.tokenRequest(url.Values{"grant_type": {oid4vci.GrantTypePreAuthorizedCode},
		"pre-authorized_code": {g.Offer.Offer.Grants.PreAuthorizedCode.PreAuthorizedCode}, "tx_code": {g.Offer.TxCode}}, ""))
	wantError(t, resp, http.StatusInternalServerError, oid4vci.CodeServerError)
	line := buf.String()
	if !strings.HasPrefix(line, "legacy: level=ERROR") || !strings.Contains(line, "route=token method=POST error=") ||
		strings.Count(line, "\n") != 1 || strings.Contains(line, g.Offer.TxCode) {
		t.Errorf("ErrorLog got %q", line)
	}
	if !hM.HasRequest("issuer", "token", http.StatusInternalServerError) || !hM.HasOutcome("activate", "store") || len(issM.Requests()) != 0 {
		t.Errorf("handler metrics %v %v, issuer metrics %v", hM.Requests(), hM.Outcomes(), issM.Requests())
	}
	if !issM.HasOutcome("confirm", "ok") {
		t.Errorf("issuer outcomes %v", issM.Outcomes())
	}
}
