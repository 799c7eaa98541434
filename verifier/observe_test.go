package verifier

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/internal/obs/obstest"
	"github.com/ikdkit/ikdkit/oid4vp"
)

// TestObserve: a VPHandler whose Verifier has Metrics and a Logger (the
// handler's defaults) reports each request under its route name and
// each verification's outcome, a refused one by its check; no nonce,
// state, transaction id, presentation or NIK appears in any log line.
func TestObserve(t *testing.T) {
	var m obstest.Metrics
	var logs obstest.Log
	f := newFixture(t)
	roots, chain, key := newVPCA(t)
	e := &vpEnv{f: f, roots: roots}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.h.ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	u, _ := url.Parse(e.srv.URL)
	v := f.verifier(t, func(c *Config) { c.Metrics, c.Logger = &m, logs.Logger() })
	h, err := NewVPHandler(v, VPHandlerConfig{BaseURL: "http://localhost:" + u.Port() + "/oid4vp", Signer: key, Chain: chain})
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	ctx := context.Background()

	// Verified.
	tx, err := e.h.NewRequest(ctx, vpBoth(t))
	if err != nil {
		t.Fatal(err)
	}
	req := e.fetch(t, tx, false)
	tok := e.vpToken(t, req, walletOpts{})
	if st, pe := post(t, req.ResponseURI, e.form(t, req, tok, req.State)); st != http.StatusOK {
		t.Fatalf("HTTP %d %v", st, pe)
	}
	if r := e.resultJSON(t, tx); r.State != "verified" {
		t.Fatalf("result %+v", r)
	}
	// Refused: a presentation for another nonce.
	tx2, err := e.h.NewRequest(ctx, vpBoth(t))
	if err != nil {
		t.Fatal(err)
	}
	req2 := e.fetch(t, tx2, false)
	tok2 := e.vpToken(t, req2, walletOpts{nonce: "another-nonce-0123456789"})
	if st, pe := post(t, req2.ResponseURI, e.form(t, req2, tok2, req2.State)); st != http.StatusBadRequest || pe.Code != oid4vp.CodeInvalidRequest {
		t.Fatalf("HTTP %d %v", st, pe)
	}
	o := e.outcome(t, tx2.ID)
	wantOutcome := "verify " + OutcomeName(o.Err)
	if o.Err == nil || OutcomeName(o.Err) == "ok" || strings.Contains(OutcomeName(o.Err), " ") {
		t.Fatalf("outcome %+v", o)
	}
	// No route.
	resp, err := http.Get(e.srv.URL + "/oid4vp/nope")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	for _, r := range []obstest.Request{
		{Handler: "verifier", Route: "request", Status: http.StatusOK},
		{Handler: "verifier", Route: "response", Status: http.StatusOK},
		{Handler: "verifier", Route: "result", Status: http.StatusOK},
		{Handler: "verifier", Route: "response", Status: http.StatusBadRequest},
		{Handler: "verifier", Route: "unmatched", Status: http.StatusNotFound},
	} {
		if !m.HasRequest(r.Handler, r.Route, r.Status) {
			t.Errorf("no request %s in %v", r, m.Requests())
		}
	}
	if got := strings.Join(m.Outcomes(), ","); got != "verify ok,"+wantOutcome {
		t.Errorf("outcomes %s, want verify ok,%s", got, wantOutcome)
	}

	out := logs.String()
	t.Logf("log:\n%s", out)
	for _, want := range []string{`msg="verifier: presentation refused" check=` + OutcomeName(o.Err),
		`msg="verifier: request refused" route=response method=POST code=invalid_request`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the log:\n%s", want, out)
		}
	}
	secrets := map[string]string{"nonce": tx.Nonce, "state": tx.State, "transaction id": tx.ID, "nonce 2": tx2.Nonce,
		"state 2": tx2.State, "transaction id 2": tx2.ID, "NIK": testNIK, "wrong nonce": "another-nonce-0123456789"}
	for id, ps := range tok2 {
		secrets["vp_token "+id] = ps[0]
	}
	for name, secret := range secrets {
		if secret == "" || strings.Contains(out, secret) {
			t.Errorf("the %s %q is in the log (or empty):\n%s", name, secret, out)
		}
	}
}

// TestOutcomeName: the outcome names of checks have no spaces.
func TestOutcomeName(t *testing.T) {
	for err, want := range map[error]string{nil: "ok", fail(check.HolderBinding, 0, ErrHolderBinding, nil, ""): "holder_binding",
		fail(check.Status, 1, ErrRevoked, nil, ""): "status", context.Canceled: "canceled", ErrConfig: "error"} {
		if got := OutcomeName(err); got != want {
			t.Errorf("OutcomeName(%v) = %q, want %q", err, got, want)
		}
	}
}
