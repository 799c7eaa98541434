package holder

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/oid4vcitest"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

const testTxCode = "493817"

// vciEnv is a wallet and a test OpenID4VCI issuer (package
// internal/oid4vcitest) that issues the KTP-el in both formats, signed by
// key (SD-JWT VC, iss = the server's URL) and by key under the IACA root
// (mdoc). The wallet trusts exactly that key and root.
type vciEnv struct {
	t         *testing.T
	ctx       context.Context
	srv       *oid4vcitest.Server
	key       crypto.Signer
	root      *x509.Certificate
	leaf      *x509.Certificate
	w         *Wallet
	trust     StaticTrust
	issueHook func(r oid4vcitest.IssueRequest) (string, error)
}

func newVCIEnv(t *testing.T, cfg oid4vcitest.Config, mod ...func(*Options)) *vciEnv {
	t.Helper()
	e := &vciEnv{t: t, ctx: context.Background()}
	var err error
	if e.key, err = keys.Generate(keys.ES256, nil); err != nil {
		t.Fatal(err)
	}
	if e.root, e.leaf, err = makePKI(e.key); err != nil {
		t.Fatal(err)
	}
	cfg.Issue = func(ctx context.Context, r oid4vcitest.IssueRequest) (string, error) {
		if e.issueHook != nil {
			return e.issueHook(r)
		}
		return e.issue(r, e.key, mustKTPEL(), r.Proof.Key())
	}
	cfg.Now = func() time.Time { return t0 }
	e.srv = oid4vcitest.New(cfg)
	t.Cleanup(e.srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(e.root)
	e.trust = StaticTrust{Issuers: map[string]crypto.PublicKey{e.srv.URL: e.key.Public()}, Roots: pool}
	opts := Options{KDF: testKDF, Trust: e.trust, Now: func() time.Time { return t0 }}
	for _, m := range mod {
		m(&opts)
	}
	if e.w, err = Create(e.ctx, filepath.Join(t.TempDir(), "wallet"), testPIN, opts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.w.Close() })
	return e
}

// issue makes the credential of r's configuration: doc signed by signer
// (and, for an mdoc, the document signer certificate of e), bound to holder.
func (e *vciEnv) issue(r oid4vcitest.IssueRequest, signer crypto.Signer, doc credential.Document, holder crypto.PublicKey) (string, error) {
	switch r.Configuration.Format {
	case credential.FormatSDJWT:
		return makeSD(signer, e.srv.URL, doc, holder, t0)
	case credential.FormatMdoc:
		b, err := makeMdoc(signer, []*x509.Certificate{e.leaf}, doc, holder, t0)
		return oid4vcitest.EncodeMdoc(b), err
	}
	return "", fmt.Errorf("format %q", r.Configuration.Format)
}

// offer makes an offer with the test tx_code, by reference.
func (e *vciEnv) offer() string {
	ref, _ := e.srv.Offer(oid4vcitest.OfferOptions{TxCode: testTxCode, Description: "the PIN from the e-mail"})
	return ref
}

// txCode answers with the test tx_code.
func txCode(code string) func(context.Context, TxCodeRequest) (string, error) {
	return func(context.Context, TxCodeRequest) (string, error) { return code, nil }
}

func (e *vciEnv) receive(offer string, opts ReceiveOptions) (*Received, error) {
	if opts.HTTPClient == nil {
		opts.HTTPClient = e.srv.Client()
	}
	return e.w.ReceiveOffer(e.ctx, offer, opts)
}

// stored returns the number of credentials and activity entries.
func (e *vciEnv) stored() (int, int) {
	e.t.Helper()
	creds, err := e.w.Credentials(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	acts, err := e.w.Activity(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(creds), len(acts)
}

func (e *vciEnv) events() []oid4vci.NotificationEvent {
	var out []oid4vci.NotificationEvent
	for _, n := range e.srv.Log().Notifications {
		out = append(out, n.Event)
	}
	return out
}

func count(reqs []string, key string) int {
	n := 0
	for _, r := range reqs {
		if r == key {
			n++
		}
	}
	return n
}

// TestReceiveOffer: the wallet redeems an offer, by reference and by
// value, over http and https, with Bearer and DPoP-bound tokens, with and
// without server DPoP nonces, and stores the KTP-el in both formats, bound
// to its device key, with one activity entry; the issuer is notified.
func TestReceiveOffer(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cfg       oid4vcitest.Config
		byValue   bool
		tokenType string
	}{
		{"by reference, DPoP optional", oid4vcitest.Config{}, false, oid4vci.SchemeDPoP},
		{"by value", oid4vcitest.Config{}, true, oid4vci.SchemeDPoP},
		{"https", oid4vcitest.Config{TLS: true}, false, oid4vci.SchemeDPoP},
		{"no DPoP: Bearer", oid4vcitest.Config{DPoP: oid4vcitest.DPoPOff}, false, oid4vci.SchemeBearer},
		{"DPoP required", oid4vcitest.Config{DPoP: oid4vcitest.DPoPRequired}, false, oid4vci.SchemeDPoP},
		{"DPoP nonce retry", oid4vcitest.Config{DPoP: oid4vcitest.DPoPRequired, DPoPNonce: true}, false, oid4vci.SchemeDPoP},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newVCIEnv(t, tc.cfg)
			ref, val := e.srv.Offer(oid4vcitest.OfferOptions{TxCode: testTxCode, Description: "PIN\x1b[2J dari surel"})
			offer := ref
			if tc.byValue {
				offer = val
			}
			var asked TxCodeRequest
			r, err := e.receive(offer, ReceiveOptions{Locale: "en", TxCode: func(_ context.Context, req TxCodeRequest) (string, error) {
				asked = req
				return testTxCode, nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			if asked.Issuer != e.srv.URL || asked.IssuerName != "Dukcapil (test)" || asked.InputMode != oid4vci.InputModeNumeric ||
				asked.Length != 6 || asked.Description != "PIN[2J dari surel" || !slices.Equal(asked.Credentials, []string{"KTP-el", "KTP-el (mdoc)"}) {
				t.Errorf("tx_code request %+v", asked)
			}
			if r.Issuer != e.srv.URL || len(r.Credentials) != 2 || r.NotificationErr != nil {
				t.Fatalf("received %+v", r)
			}
			if r.Credentials[0].Format != credential.FormatSDJWT || r.Credentials[1].Format != credential.FormatMdoc {
				t.Errorf("formats %s, %s", r.Credentials[0].Format, r.Credentials[1].Format)
			}
			for _, c := range r.Credentials {
				d, err := c.Document()
				if err != nil {
					t.Fatal(err)
				}
				if k, ok := d.(*credential.KTPEL); !ok || k.NIK().String() != testNIK {
					t.Errorf("%s: document %T", c.Format, d)
				}
			}
			if n, a := e.stored(); n != 2 || a != 1 {
				t.Errorf("stored %d credentials, %d activity entries", n, a)
			}
			acts, _ := e.w.Activity(e.ctx)
			if a := acts[0]; a.Kind != ActivityActivation || a.Counterparty != e.srv.URL || !a.Verified || len(a.Credentials) != 2 {
				t.Errorf("activity %+v", a)
			}
			log := e.srv.Log()
			// A copy per key proof, each bound to a key of its own, never
			// the DPoP key.
			var issued []string
			for _, is := range log.Issued {
				issued = append(issued, is.JKT)
			}
			want := max(tc.cfg.BatchSize, 1)
			if held := copyKeys(r.Credentials); len(issued) != 2*want || !sameSet(issued, held) {
				t.Errorf("issued to %v, copies held with keys %v", issued, held)
			}
			for _, c := range r.Credentials {
				if len(c.Copies) != want || c.CopiesLeft() != want {
					t.Errorf("%s: %d copies, %d left; want %d", c.Format, len(c.Copies), c.CopiesLeft(), want)
				}
			}
			if !slices.Equal(log.TokenTypes, []string{tc.tokenType}) {
				t.Errorf("token types %v, want %s", log.TokenTypes, tc.tokenType)
			}
			// RFC 9449: the DPoP key is an ephemeral one, never the device key.
			if tc.tokenType == oid4vci.SchemeDPoP && (log.TokenKeys[0] == "" || slices.Contains(issued, log.TokenKeys[0])) {
				t.Errorf("token bound to %q; copies bound to %v", log.TokenKeys[0], issued)
			}
			if ev := e.events(); !slices.Equal(ev, []oid4vci.NotificationEvent{oid4vci.EventCredentialAccepted, oid4vci.EventCredentialAccepted}) {
				t.Errorf("notifications %v", ev)
			}
			// A fresh c_nonce per credential request (§7).
			if n, m := count(log.Requests, "POST /nonce"), count(log.Requests, "POST /credential"); n != m {
				t.Errorf("%d nonce requests for %d credential requests", n, m)
			}
			if tc.cfg.DPoPNonce && (count(log.Requests, "POST /token") != 2 || count(log.Requests, "POST /credential") != 3) {
				t.Errorf("DPoP nonce retries: %v", log.Requests)
			}
		})
	}
}

// TestReceiveOfferDPoPKeyPerSession: each ReceiveOffer makes its own DPoP
// key.
func TestReceiveOfferDPoPKeyPerSession(t *testing.T) {
	e := newVCIEnv(t, oid4vcitest.Config{})
	for range 2 {
		if _, err := e.receive(e.offer(), ReceiveOptions{TxCode: txCode(testTxCode)}); err != nil {
			t.Fatal(err)
		}
	}
	k := e.srv.Log().TokenKeys
	if len(k) != 2 || k[0] == "" || k[0] == k[1] {
		t.Errorf("DPoP keys %v", k)
	}
}

// TestReceiveOfferNoTxCode: an offer without tx_code never calls the
// callback, and no tx_code is sent.
func TestReceiveOfferNoTxCode(t *testing.T) {
	e := newVCIEnv(t, oid4vcitest.Config{})
	ref, _ := e.srv.Offer(oid4vcitest.OfferOptions{ConfigurationIDs: []string{"ktpel_dc_sd_jwt"}})
	r, err := e.receive(ref, ReceiveOptions{TxCode: func(context.Context, TxCodeRequest) (string, error) {
		t.Error("TxCode called for an offer without tx_code")
		return "", errors.New("no")
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Credentials) != 1 || r.Credentials[0].Format != credential.FormatSDJWT {
		t.Errorf("received %+v", r.Credentials)
	}
}

// TestReceiveOfferNotificationFailure: a Notification Endpoint that fails
// does not undo the issuance: the credentials are stored and the error is
// reported in Received.NotificationErr.
func TestReceiveOfferNotificationFailure(t *testing.T) {
	e := newVCIEnv(t, oid4vcitest.Config{})
	e.srv.Override("POST /notification", func(w http.ResponseWriter, r *http.Request) {
		oid4vci.WriteError(w, oid4vci.NewError(oid4vci.CodeInvalidNotificationID, "no"))
	})
	r, err := e.receive(e.offer(), ReceiveOptions{TxCode: txCode(testTxCode)})
	if err != nil {
		t.Fatal(err)
	}
	var pe *oid4vci.ProtocolError
	var he *Error
	if !errors.Is(r.NotificationErr, ErrActivation) || !errors.As(r.NotificationErr, &pe) || pe.Code != oid4vci.CodeInvalidNotificationID ||
		!errors.As(r.NotificationErr, &he) || he.Step != StepNotification {
		t.Errorf("NotificationErr %v", r.NotificationErr)
	}
	if n, _ := e.stored(); n != 2 {
		t.Errorf("%d stored", n)
	}
}

// TestReceiveOfferInvalidNonceRetry: one invalid_nonce answer is retried
// with a fresh nonce and new proofs (§8.3.1.2).
func TestReceiveOfferInvalidNonceRetry(t *testing.T) {
	e := newVCIEnv(t, oid4vcitest.Config{})
	var once atomic.Bool
	e.srv.Override("POST /credential", func(w http.ResponseWriter, r *http.Request) {
		if once.CompareAndSwap(false, true) {
			oid4vci.WriteError(w, oid4vci.NewError(oid4vci.CodeInvalidNonce, "stale"))
			e.srv.Override("POST /credential", nil)
		}
	})
	if _, err := e.receive(e.offer(), ReceiveOptions{TxCode: txCode(testTxCode)}); err != nil {
		t.Fatal(err)
	}
	if n := count(e.srv.Log().Requests, "POST /nonce"); n != 3 {
		t.Errorf("%d nonce requests, want 3", n)
	}
}

// TestReceiveOfferCredentialIdentifiers: credential_identifiers of the
// Token Response's authorization_details replace the configuration id
// (§6.2, §8.2).
func TestReceiveOfferCredentialIdentifiers(t *testing.T) {
	e := newVCIEnv(t, oid4vcitest.Config{DPoP: oid4vcitest.DPoPOff})
	e.srv.Override("POST /token", func(w http.ResponseWriter, r *http.Request) {
		oid4vci.WriteJSON(w, 200, map[string]any{"access_token": "tok", "token_type": "Bearer",
			"authorization_details": []any{map[string]any{"type": "openid_credential",
				"credential_configuration_id": "ktpel_dc_sd_jwt", "credential_identifiers": []string{"ktp-1", "ktp-2"}}}})
	})
	var got []string
	e.srv.Override("POST /credential", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var req map[string]any
		json.Unmarshal(b, &req)
		got = append(got, fmt.Sprint(req["credential_identifier"], "|", req["credential_configuration_id"], "|", r.Header.Get("Authorization")))
		oid4vci.WriteError(w, oid4vci.NewError(oid4vci.CodeCredentialRequestDenied, "enough"))
	})
	ref, _ := e.srv.Offer(oid4vcitest.OfferOptions{ConfigurationIDs: []string{"ktpel_dc_sd_jwt"}})
	_, err := e.receive(ref, ReceiveOptions{})
	if !errors.Is(err, ErrActivation) || !slices.Equal(got, []string{"ktp-1|<nil>|Bearer tok"}) {
		t.Errorf("err %v, requests %v", err, got)
	}
}

// TestReceiveOfferErrors: every way an offer, an issuer or the app can
// fail is a typed error naming its step; nothing is stored; an issuer
// whose credentials arrived but were not stored gets credential_failure.
func TestReceiveOfferErrors(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	raw := func(status int, ctype, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if ctype != "" {
				w.Header().Set("Content-Type", ctype)
			}
			w.WriteHeader(status)
			io.WriteString(w, body)
		}
	}
	protoErr := func(code string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { oid4vci.WriteError(w, oid4vci.NewError(code, "test")) }
	}
	// metadata serves e's metadata changed by mod.
	metadata := func(e *vciEnv, mod func(m map[string]any)) {
		b, _ := json.Marshal(e.srv.IssuerMetadata())
		var m map[string]any
		json.Unmarshal(b, &m)
		mod(m)
		e.srv.Override("GET "+oid4vci.WellKnownCredentialIssuer, func(w http.ResponseWriter, r *http.Request) { oid4vci.WriteJSON(w, 200, m) })
	}
	configuration := func(e *vciEnv, id string, mod func(c map[string]any)) {
		metadata(e, func(m map[string]any) {
			mod(m["credential_configurations_supported"].(map[string]any)[id].(map[string]any))
		})
	}
	rogue, _ := keys.Generate(keys.ES256, nil)
	other, _ := keys.Generate(keys.ES256, nil)

	type row struct {
		name string
		cfg  oid4vcitest.Config
		// setup prepares e and returns the offer; nil means e.offer().
		setup func(e *vciEnv) string
		opts  ReceiveOptions
		// noNetwork fails the test on any HTTP request.
		noNetwork bool
		want      error
		step      Step
		code      string // the *oid4vci.ProtocolError's Code, if any
		// proto: an *oid4vci.ProtocolError must be in the chain (also
		// when code is "").
		proto bool
		cause error // another error in the chain, if any
		// events are the notifications the issuer must have received.
		events []oid4vci.NotificationEvent
		// noToken: the pre-authorized code must not have been redeemed.
		noToken bool
	}
	failures := []oid4vci.NotificationEvent{oid4vci.EventCredentialFailure, oid4vci.EventCredentialFailure}
	rows := []row{
		// The offer.
		{name: "offer empty", setup: func(*vciEnv) string { return "  \n" }, noNetwork: true, want: ErrOffer, step: StepOffer},
		{name: "offer not a link", setup: func(*vciEnv) string { return "hello wallet" }, noNetwork: true, want: ErrOffer, step: StepOffer, cause: oid4vci.ErrMalformed},
		{name: "offer malformed JSON", setup: func(*vciEnv) string { return "openid-credential-offer://?credential_offer=%7B%22credential_issuer%22" },
			noNetwork: true, want: ErrOffer, step: StepOffer, cause: oid4vci.ErrMalformed},
		{name: "offer by value and by reference", setup: func(e *vciEnv) string {
			_, v := e.srv.Offer(oid4vcitest.OfferOptions{})
			return v + "&credential_offer_uri=" + url.QueryEscape(e.srv.URL+"/x")
		}, noNetwork: true, want: ErrOffer, step: StepOffer},
		{name: "offer by reference over http to a non-loopback host", setup: func(*vciEnv) string {
			return "openid-credential-offer://?credential_offer_uri=" + url.QueryEscape("http://issuer.example.com/offers/1")
		}, noNetwork: true, want: ErrOffer, step: StepOffer},
		{name: "offer by value with an http issuer not on loopback", setup: func(*vciEnv) string {
			o := `{"credential_issuer":"http://issuer.example.com","credential_configuration_ids":["ktpel_dc_sd_jwt"],` +
				`"grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{"pre-authorized_code":"c"}}}`
			return "openid-credential-offer://?credential_offer=" + url.QueryEscape(o)
		}, noNetwork: true, want: ErrOffer, step: StepOffer},
		{name: "offer by reference unreachable", setup: func(*vciEnv) string {
			l, _ := oid4vci.OfferURILink(closed.URL + "/offers/1")
			return l
		}, want: ErrOffer, step: StepOffer},
		{name: "offer by reference 404", setup: func(e *vciEnv) string {
			l, _ := oid4vci.OfferURILink(e.srv.URL + "/offers/nope")
			return l
		}, want: ErrOffer, step: StepOffer},
		{name: "offer by reference not JSON", setup: func(e *vciEnv) string {
			e.srv.Override("GET /o", raw(200, "text/html", "<html>"))
			l, _ := oid4vci.OfferURILink(e.srv.URL + "/o")
			return l
		}, want: ErrOffer, step: StepOffer, cause: oid4vci.ErrMalformed},
		{name: "offer by reference over the cap", setup: func(e *vciEnv) string {
			e.srv.Override("GET /o", raw(200, "application/json", `{"x":"`+strings.Repeat("a", oid4vci.MaxOfferSize)+`"}`))
			l, _ := oid4vci.OfferURILink(e.srv.URL + "/o")
			return l
		}, want: ErrOffer, step: StepOffer},
		{name: "offer by reference redirected", setup: func(e *vciEnv) string {
			e.srv.Override("GET /o", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "http://issuer.example.com/offer", http.StatusFound)
			})
			l, _ := oid4vci.OfferURILink(e.srv.URL + "/o")
			return l
		}, want: ErrOffer, step: StepOffer},
		{name: "offer without pre-authorized code grant", setup: func(e *vciEnv) string {
			o := `{"credential_issuer":"` + e.srv.URL + `","credential_configuration_ids":["ktpel_dc_sd_jwt"],"grants":{"authorization_code":{}}}`
			return "openid-credential-offer://?credential_offer=" + url.QueryEscape(o)
		}, want: ErrOffer, step: StepMetadata},
		{name: "offer of a configuration the issuer does not have", setup: func(e *vciEnv) string {
			o := `{"credential_issuer":"` + e.srv.URL + `","credential_configuration_ids":["nope"],` +
				`"grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{"pre-authorized_code":"c"}}}`
			return "openid-credential-offer://?credential_offer=" + url.QueryEscape(o)
		}, want: ErrOffer, step: StepMetadata, cause: oid4vci.ErrMalformed},

		// The metadata.
		{name: "issuer mismatch between offer and metadata", setup: func(e *vciEnv) string {
			metadata(e, func(m map[string]any) { m["credential_issuer"] = "https://other-issuer.example.com" })
			return e.offer()
		}, want: ErrOffer, step: StepMetadata, cause: oid4vci.ErrMalformed, noToken: true},
		{name: "metadata over the cap", setup: func(e *vciEnv) string {
			e.srv.Override("GET "+oid4vci.WellKnownCredentialIssuer, raw(200, "application/json", `{"x":"`+strings.Repeat("a", oid4vci.MaxMetadataSize)+`"}`))
			return e.offer()
		}, want: ErrOffer, step: StepMetadata, noToken: true},
		{name: "metadata 404", setup: func(e *vciEnv) string {
			e.srv.Override("GET "+oid4vci.WellKnownCredentialIssuer, http.NotFound)
			return e.offer()
		}, want: ErrOffer, step: StepMetadata},
		{name: "metadata signed (application/jwt)", setup: func(e *vciEnv) string {
			e.srv.Override("GET "+oid4vci.WellKnownCredentialIssuer, raw(200, "application/jwt", "eyJ.eyJ.sig"))
			return e.offer()
		}, want: ErrOffer, step: StepMetadata, cause: oid4vci.ErrMalformed},
		{name: "metadata with an http endpoint not on loopback", setup: func(e *vciEnv) string {
			metadata(e, func(m map[string]any) { m["credential_endpoint"] = "http://issuer.example.com/credential" })
			return e.offer()
		}, want: ErrOffer, step: StepMetadata, cause: oid4vci.ErrMalformed},
		{name: "encryption required", setup: func(e *vciEnv) string {
			metadata(e, func(m map[string]any) {
				m["credential_response_encryption"] = map[string]any{"alg_values_supported": []string{"ECDH-ES"},
					"enc_values_supported": []string{"A128GCM"}, "encryption_required": true}
			})
			return e.offer()
		}, want: ErrOffer, step: StepMetadata},
		{name: "no nonce endpoint", setup: func(e *vciEnv) string {
			metadata(e, func(m map[string]any) { delete(m, "nonce_endpoint") })
			return e.offer()
		}, want: ErrOffer, step: StepMetadata},
		{name: "unknown credential type", setup: func(e *vciEnv) string {
			configuration(e, "ktpel_dc_sd_jwt", func(c map[string]any) { c["vct"] = "urn:example:unknown" })
			return e.offer()
		}, want: ErrOffer, step: StepMetadata},
		{name: "unsupported format", setup: func(e *vciEnv) string {
			configuration(e, "ktpel_dc_sd_jwt", func(c map[string]any) { c["format"] = "jwt_vc_json"; delete(c, "vct") })
			return e.offer()
		}, want: ErrOffer, step: StepMetadata},
		{name: "no key binding", setup: func(e *vciEnv) string {
			configuration(e, "ktpel_mso_mdoc", func(c map[string]any) {
				delete(c, "proof_types_supported")
				delete(c, "cryptographic_binding_methods_supported")
			})
			return e.offer()
		}, want: ErrOffer, step: StepMetadata},
		{name: "proof algorithm not the device key's", setup: func(e *vciEnv) string {
			configuration(e, "ktpel_mso_mdoc", func(c map[string]any) {
				c["proof_types_supported"] = map[string]any{"jwt": map[string]any{"proof_signing_alg_values_supported": []string{"EdDSA"}}}
			})
			return e.offer()
		}, want: ErrOffer, step: StepMetadata},
		{name: "key attestation required", setup: func(e *vciEnv) string {
			configuration(e, "ktpel_dc_sd_jwt", func(c map[string]any) {
				c["proof_types_supported"] = map[string]any{"jwt": map[string]any{"proof_signing_alg_values_supported": []string{"ES256"},
					"key_attestations_required": map[string]any{}}}
			})
			return e.offer()
		}, want: ErrOffer, step: StepMetadata, noToken: true},
		{name: "authorization server metadata of another issuer", setup: func(e *vciEnv) string {
			e.srv.Override("GET "+oid4vci.WellKnownAuthorizationServer, func(w http.ResponseWriter, r *http.Request) {
				md := e.srv.AuthorizationServerMetadata()
				md.Issuer = "https://as.example.com"
				oid4vci.WriteJSON(w, 200, md)
			})
			return e.offer()
		}, want: ErrOffer, step: StepMetadata, cause: oid4vci.ErrMalformed},
		{name: "authorization server without the grant", setup: func(e *vciEnv) string {
			e.srv.Override("GET "+oid4vci.WellKnownAuthorizationServer, func(w http.ResponseWriter, r *http.Request) {
				md := e.srv.AuthorizationServerMetadata()
				md.GrantTypesSupported = []string{"authorization_code"}
				oid4vci.WriteJSON(w, 200, md)
			})
			return e.offer()
		}, want: ErrOffer, step: StepMetadata},

		// The tx_code.
		{name: "tx_code refused by the app", opts: ReceiveOptions{TxCode: func(context.Context, TxCodeRequest) (string, error) {
			return "", errors.New("user cancelled")
		}}, want: ErrTxCodeRefused, step: StepTxCode, noToken: true},
		{name: "tx_code empty", opts: ReceiveOptions{TxCode: txCode("")}, want: ErrTxCodeRefused, step: StepTxCode, noToken: true},
		{name: "tx_code without callback", want: ErrConfig, step: StepTxCode, noToken: true},
		{name: "tx_code not digits", opts: ReceiveOptions{TxCode: txCode("49381a")}, want: ErrInvalidInput, step: StepTxCode, noToken: true},
		{name: "tx_code of the wrong length", opts: ReceiveOptions{TxCode: txCode("4938170")}, want: ErrInvalidInput, step: StepTxCode, noToken: true},

		// The token request.
		{name: "wrong tx_code: invalid_grant", opts: ReceiveOptions{TxCode: txCode("000000")}, want: ErrActivation, step: StepToken, code: oid4vci.CodeInvalidGrant},
		{name: "offer used already: invalid_grant", setup: func(e *vciEnv) string {
			_, o := e.srv.Offer(oid4vcitest.OfferOptions{TxCode: testTxCode})
			off, _, _ := oid4vci.ParseOfferLink(o)
			resp, err := http.PostForm(e.srv.URL+"/token", url.Values{"grant_type": {oid4vci.GrantTypePreAuthorizedCode},
				"pre-authorized_code": {off.Grants.PreAuthorizedCode.PreAuthorizedCode}, "tx_code": {testTxCode}})
			if err != nil || resp.StatusCode != 200 {
				e.t.Fatalf("redeeming the offer first: %v %v", err, resp)
			}
			resp.Body.Close()
			return o
		}, want: ErrActivation, step: StepToken, code: oid4vci.CodeInvalidGrant},
		{name: "token invalid_request", setup: func(e *vciEnv) string {
			e.srv.Override("POST /token", protoErr(oid4vci.CodeInvalidRequest))
			return e.offer()
		}, want: ErrActivation, step: StepToken, code: oid4vci.CodeInvalidRequest},
		{name: "token unsupported_grant_type", setup: func(e *vciEnv) string {
			e.srv.Override("POST /token", protoErr(oid4vci.CodeUnsupportedGrantType))
			return e.offer()
		}, want: ErrActivation, step: StepToken, code: oid4vci.CodeUnsupportedGrantType},
		{name: "token invalid_client", setup: func(e *vciEnv) string {
			e.srv.Override("POST /token", protoErr(oid4vci.CodeInvalidClient))
			return e.offer()
		}, want: ErrActivation, step: StepToken, code: oid4vci.CodeInvalidClient},
		{name: "token invalid_dpop_proof", setup: func(e *vciEnv) string {
			e.srv.Override("POST /token", protoErr(oid4vci.CodeInvalidDPoPProof))
			return e.offer()
		}, want: ErrActivation, step: StepToken, code: oid4vci.CodeInvalidDPoPProof},
		{name: "token use_dpop_nonce twice", setup: func(e *vciEnv) string {
			e.srv.Override("POST /token", func(w http.ResponseWriter, r *http.Request) {
				oid4vci.WriteError(w, &oid4vci.ProtocolError{Status: 400, Code: oid4vci.CodeUseDPoPNonce, DPoPNonce: "n-1"})
			})
			return e.offer()
		}, want: ErrActivation, step: StepToken, code: oid4vci.CodeUseDPoPNonce},
		{name: "token HTTP 502 without error body", setup: func(e *vciEnv) string {
			e.srv.Override("POST /token", raw(502, "text/html", "<html>bad gateway</html>"))
			return e.offer()
		}, want: ErrActivation, step: StepToken, proto: true},
		{name: "token response malformed", setup: func(e *vciEnv) string {
			e.srv.Override("POST /token", raw(200, "application/json", `{"access_token":"a b","token_type":"Bearer"}`))
			return e.offer()
		}, want: ErrActivation, step: StepToken, cause: oid4vci.ErrMalformed},
		{name: "DPoP token for a request without DPoP", cfg: oid4vcitest.Config{DPoP: oid4vcitest.DPoPOff}, setup: func(e *vciEnv) string {
			e.srv.Override("POST /token", raw(200, "application/json", `{"access_token":"tok","token_type":"DPoP"}`))
			return e.offer()
		}, want: ErrActivation, step: StepToken},
		{name: "Bearer token for a DPoP request", setup: func(e *vciEnv) string {
			e.srv.Override("POST /token", raw(200, "application/json", `{"access_token":"tok","token_type":"Bearer"}`))
			return e.offer()
		}, want: ErrActivation, step: StepToken},
		{name: "token endpoint unreachable", setup: func(e *vciEnv) string {
			e.srv.Override("GET "+oid4vci.WellKnownAuthorizationServer, func(w http.ResponseWriter, r *http.Request) {
				md := e.srv.AuthorizationServerMetadata()
				md.TokenEndpoint = closed.URL + "/token"
				oid4vci.WriteJSON(w, 200, md)
			})
			return e.offer()
		}, want: ErrActivation, step: StepToken},

		// The nonce request.
		{name: "nonce endpoint error", setup: func(e *vciEnv) string {
			e.srv.Override("POST /nonce", raw(500, "application/json", `{"error":"server_error"}`))
			return e.offer()
		}, want: ErrActivation, step: StepNonce, code: oid4vci.CodeServerError},
		{name: "nonce response malformed", setup: func(e *vciEnv) string {
			e.srv.Override("POST /nonce", raw(200, "application/json", `{"c_nonce":""}`))
			return e.offer()
		}, want: ErrActivation, step: StepNonce, cause: oid4vci.ErrMalformed},

		// The credential request.
		{name: "invalid_proof", setup: func(e *vciEnv) string {
			e.srv.Override("POST /credential", protoErr(oid4vci.CodeInvalidProof))
			return e.offer()
		}, want: ErrActivation, step: StepCredential, code: oid4vci.CodeInvalidProof},
		{name: "invalid_nonce after the retry", setup: func(e *vciEnv) string {
			e.srv.Override("POST /credential", protoErr(oid4vci.CodeInvalidNonce))
			return e.offer()
		}, want: ErrActivation, step: StepCredential, code: oid4vci.CodeInvalidNonce},
		{name: "credential_request_denied", setup: func(e *vciEnv) string {
			e.srv.Override("POST /credential", protoErr(oid4vci.CodeCredentialRequestDenied))
			return e.offer()
		}, want: ErrActivation, step: StepCredential, code: oid4vci.CodeCredentialRequestDenied},
		{name: "invalid_token", setup: func(e *vciEnv) string {
			e.srv.Override("POST /credential", func(w http.ResponseWriter, r *http.Request) {
				oid4vci.WriteError(w, &oid4vci.ProtocolError{Status: 401, Code: oid4vci.CodeInvalidToken, Scheme: oid4vci.SchemeDPoP})
			})
			return e.offer()
		}, want: ErrActivation, step: StepCredential, code: oid4vci.CodeInvalidToken},
		{name: "second configuration fails: the first's credential_failure", setup: func(e *vciEnv) string {
			e.issueHook = func(r oid4vcitest.IssueRequest) (string, error) {
				if r.Configuration.Format == credential.FormatMdoc {
					return "", oid4vci.NewError(oid4vci.CodeCredentialRequestDenied, "no mdoc today")
				}
				return e.issue(r, e.key, mustKTPEL(), r.Proof.Key())
			}
			return e.offer()
		}, want: ErrActivation, step: StepCredential, code: oid4vci.CodeCredentialRequestDenied,
			events: []oid4vci.NotificationEvent{oid4vci.EventCredentialFailure}},
		{name: "deferred issuance", setup: func(e *vciEnv) string {
			e.srv.Override("POST /credential", raw(202, "application/json", `{"transaction_id":"t-1","interval":5}`))
			return e.offer()
		}, want: ErrActivation, step: StepCredential},
		{name: "more credentials than proofs", setup: func(e *vciEnv) string {
			e.srv.Override("POST /credential", raw(200, "application/json", `{"credentials":[{"credential":"a"},{"credential":"b"}]}`))
			return e.offer()
		}, want: ErrActivation, step: StepCredential},
		{name: "credential response over the cap", setup: func(e *vciEnv) string {
			e.srv.Override("POST /credential", raw(200, "application/json",
				`{"credentials":[{"credential":"`+strings.Repeat("a", oid4vci.MaxCredentialResponseSize)+`"}]}`))
			return e.offer()
		}, want: ErrActivation, step: StepCredential},
		{name: "mdoc not base64url", setup: func(e *vciEnv) string {
			e.issueHook = func(r oid4vcitest.IssueRequest) (string, error) {
				if r.Configuration.Format == credential.FormatMdoc {
					return "!!not base64!!", nil
				}
				return e.issue(r, e.key, mustKTPEL(), r.Proof.Key())
			}
			return e.offer()
		}, want: ErrActivation, step: StepCredential, cause: oid4vci.ErrMalformed, events: failures},

		// What arrives.
		{name: "credential fails verification", setup: func(e *vciEnv) string {
			e.issueHook = func(r oid4vcitest.IssueRequest) (string, error) {
				c, err := e.issue(r, e.key, mustKTPEL(), r.Proof.Key())
				if r.Configuration.Format == credential.FormatSDJWT {
					// Change a character of the issuer signature.
					i := strings.Index(c, "~") - 10
					b := byte('A')
					if c[i] == 'A' {
						b = 'B'
					}
					c = c[:i] + string(b) + c[i+1:]
				}
				return c, err
			}
			return e.offer()
		}, want: ErrUntrustedIssuer, step: StepVerify, events: failures},
		{name: "credential bound to another key", setup: func(e *vciEnv) string {
			e.issueHook = func(r oid4vcitest.IssueRequest) (string, error) {
				if r.Configuration.Format == credential.FormatMdoc {
					return e.issue(r, e.key, mustKTPEL(), other.Public())
				}
				return e.issue(r, e.key, mustKTPEL(), r.Proof.Key())
			}
			return e.offer()
		}, want: ErrKeyMismatch, step: StepVerify, events: failures},
		{name: "issuer not in the trust list", setup: func(e *vciEnv) string {
			e.issueHook = func(r oid4vcitest.IssueRequest) (string, error) {
				return e.issue(r, rogue, mustKTPEL(), r.Proof.Key())
			}
			return e.offer()
		}, want: ErrUntrustedIssuer, step: StepVerify, events: failures},
		{name: "credential of another type than offered", setup: func(e *vciEnv) string {
			e.issueHook = func(r oid4vcitest.IssueRequest) (string, error) {
				return e.issue(r, e.key, mustBPJS(), r.Proof.Key())
			}
			return e.offer()
		}, want: ErrActivation, step: StepVerify, events: failures},
		{name: "garbage SD-JWT", setup: func(e *vciEnv) string {
			e.issueHook = func(r oid4vcitest.IssueRequest) (string, error) {
				if r.Configuration.Format == credential.FormatSDJWT {
					return "not an sd-jwt", nil
				}
				return e.issue(r, e.key, mustKTPEL(), r.Proof.Key())
			}
			return e.offer()
		}, want: ErrInvalidInput, step: StepVerify, events: failures},
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			e := newVCIEnv(t, tc.cfg)
			offer := ""
			if tc.setup != nil {
				offer = tc.setup(e)
			} else {
				offer = e.offer()
			}
			opts := tc.opts
			if opts.TxCode == nil && tc.want != ErrConfig {
				opts.TxCode = txCode(testTxCode)
			}
			if tc.noNetwork {
				opts.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
					t.Errorf("request to %s", r.URL)
					return nil, errors.New("no network")
				})}
			}
			before := len(e.srv.Log().Issued)
			tokens := count(e.srv.Log().Requests, "POST /token")
			r, err := e.receive(offer, opts)
			if err == nil {
				t.Fatalf("received %+v", r)
			}
			var he *Error
			if !errors.Is(err, tc.want) || !errors.As(err, &he) || he.Step != tc.step {
				t.Fatalf("error %v (step %q), want %v at step %q", err, stepOf(err), tc.want, tc.step)
			}
			var pe *oid4vci.ProtocolError
			if tc.code != "" || tc.proto {
				if !errors.As(err, &pe) || pe.Code != tc.code {
					t.Errorf("error %v: want protocol error code %q", err, tc.code)
				}
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("error %v does not wrap %v", err, tc.cause)
			}
			if n, a := e.stored(); n != 0 || a != 0 {
				t.Errorf("stored %d credentials and %d activity entries after an error", n, a)
			}
			if ev := e.events(); !slices.Equal(ev, tc.events) {
				t.Errorf("notifications %v, want %v (issued: %d)", ev, tc.events, len(e.srv.Log().Issued)-before)
			}
			if tc.noToken && count(e.srv.Log().Requests, "POST /token") != tokens {
				t.Error("the pre-authorized code was redeemed")
			}
			if strings.Contains(err.Error(), testTxCode) {
				t.Errorf("the error shows the tx_code: %v", err)
			}
		})
	}
}

func stepOf(err error) Step {
	var he *Error
	if errors.As(err, &he) {
		return he.Step
	}
	return ""
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestReceiveOfferWalletState: a locked wallet or one without Trust
// refuses before any request.
func TestReceiveOfferWalletState(t *testing.T) {
	e := newVCIEnv(t, oid4vcitest.Config{})
	e.w.Lock()
	if _, err := e.receive(e.offer(), ReceiveOptions{TxCode: txCode(testTxCode)}); !errors.Is(err, ErrLocked) {
		t.Errorf("locked: %v", err)
	}
	e2 := newVCIEnv(t, oid4vcitest.Config{}, func(o *Options) { o.Trust = nil })
	if _, err := e2.receive(e2.offer(), ReceiveOptions{TxCode: txCode(testTxCode)}); !errors.Is(err, ErrConfig) {
		t.Errorf("no trust: %v", err)
	}
	for _, s := range []*oid4vcitest.Server{e.srv, e2.srv} {
		for _, r := range s.Log().Requests {
			if !strings.HasPrefix(r, "GET /offers/") && r != "" {
				t.Errorf("request %s", r)
			}
		}
	}
}

// TestReceiveOfferMaxCredentials: a wallet that is full stores nothing and
// tells the issuer.
func TestReceiveOfferMaxCredentials(t *testing.T) {
	e := newVCIEnv(t, oid4vcitest.Config{})
	// Fill the wallet to one below the cap with distinct records.
	dk, err := e.w.CreateDeviceKey(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range MaxCredentials - 1 {
		sd := issueSD(t, e.key, e.srv.URL, mustKTPEL(), dk.Public(), t0.Add(-time.Duration(i)*time.Second))
		if _, err := e.w.Import(e.ctx, credential.FormatSDJWT, sd); err != nil {
			t.Fatal(err)
		}
	}
	_, err = e.receive(e.offer(), ReceiveOptions{TxCode: txCode(testTxCode)})
	if !errors.Is(err, ErrInvalidInput) || stepOf(err) != StepStore {
		t.Fatalf("full wallet: %v (step %q)", err, stepOf(err))
	}
	if n, _ := e.stored(); n != MaxCredentials-1 {
		t.Errorf("%d stored", n)
	}
	if ev := e.events(); len(ev) != 2 || ev[0] != oid4vci.EventCredentialFailure {
		t.Errorf("notifications %v", ev)
	}
}

// TestReceiveOfferKeystoreDeviceKey: the key proofs are signed through the
// DeviceKeyStore's crypto.Signer (an opaque signer, as a Secure Enclave or
// Android Keystore key is), and P-384 device keys work when the issuer
// takes ES384 proofs.
func TestReceiveOfferKeystoreDeviceKey(t *testing.T) {
	for _, alg := range []keys.Algorithm{keys.ES256, keys.ES384} {
		t.Run(string(alg), func(t *testing.T) {
			k, err := keys.Generate(alg, nil)
			if err != nil {
				t.Fatal(err)
			}
			e := newVCIEnv(t, oid4vcitest.Config{}, func(o *Options) { o.DeviceKeys = fixedKeystore{k} })
			if _, err := e.receive(e.offer(), ReceiveOptions{TxCode: txCode(testTxCode)}); err != nil {
				t.Fatal(err)
			}
			tp, _ := keys.Thumbprint(k.Public())
			for _, is := range e.srv.Log().Issued {
				if is.JKT != tp {
					t.Errorf("%s bound to %s, want the keystore key %s", is.ConfigurationID, is.JKT, tp)
				}
			}
		})
	}
}
