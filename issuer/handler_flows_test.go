package issuer

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// TestDPoPBoundToken: a token issued on a DPoP proof is bound to its key
// (RFC 9449 §7.1): a request must use the DPoP scheme and carry a fresh
// proof by that key, for the endpoint, with ath, whose jti is used once.
func TestDPoPBoundToken(t *testing.T) {
	const path = "/credential"
	type setup struct {
		he     *hEnv
		s      *session
		device crypto.Signer
	}
	req := func(s *setup, scheme, proof string) *http.Response {
		r := s.he.resourceRequest(nil, path, credentialBody("ktpel_dc_sd_jwt", s.he.proofs(s.he.nonce(), s.device)...))
		r.Header.Set("Authorization", scheme+" "+s.s.token)
		if proof != "" {
			r.Header.Set("DPoP", proof)
		}
		return s.he.do(r)
	}
	proofBy := func(s *setup, k crypto.Signer, method, p, token string) string {
		return s.he.dpopProof(k, method, p, token)
	}
	tests := []struct {
		name string
		send func(t *testing.T, s *setup) *http.Response
		code string
	}{
		{"Bearer use of the DPoP-bound token", func(t *testing.T, s *setup) *http.Response {
			return req(s, oid4vci.SchemeBearer, "")
		}, oid4vci.CodeInvalidToken},
		{"Bearer use with a valid DPoP proof", func(t *testing.T, s *setup) *http.Response {
			return req(s, oid4vci.SchemeBearer, proofBy(s, s.s.dpop, http.MethodPost, path, s.s.token))
		}, oid4vci.CodeInvalidToken},
		{"no DPoP proof", func(t *testing.T, s *setup) *http.Response {
			return req(s, oid4vci.SchemeDPoP, "")
		}, oid4vci.CodeInvalidDPoPProof},
		{"proof by another key", func(t *testing.T, s *setup) *http.Response {
			return req(s, oid4vci.SchemeDPoP, proofBy(s, newDevice(t), http.MethodPost, path, s.s.token))
		}, oid4vci.CodeInvalidToken},
		{"proof without ath", func(t *testing.T, s *setup) *http.Response {
			return req(s, oid4vci.SchemeDPoP, proofBy(s, s.s.dpop, http.MethodPost, path, ""))
		}, oid4vci.CodeInvalidDPoPProof},
		{"proof with the ath of another token", func(t *testing.T, s *setup) *http.Response {
			return req(s, oid4vci.SchemeDPoP, proofBy(s, s.s.dpop, http.MethodPost, path, strings.Repeat("B", 43)))
		}, oid4vci.CodeInvalidDPoPProof},
		{"proof for the notification endpoint", func(t *testing.T, s *setup) *http.Response {
			return req(s, oid4vci.SchemeDPoP, proofBy(s, s.s.dpop, http.MethodPost, "/notification", s.s.token))
		}, oid4vci.CodeInvalidDPoPProof},
		{"proof for another issuer", func(t *testing.T, s *setup) *http.Response {
			p, _ := oid4vci.NewDPoPProof(nil, s.s.dpop, http.MethodPost, "https://other-issuer.example.com/credential", s.s.token, "", s.he.clock.Now())
			return req(s, oid4vci.SchemeDPoP, p)
		}, oid4vci.CodeInvalidDPoPProof},
		{"proof too old", func(t *testing.T, s *setup) *http.Response {
			p := proofBy(s, s.s.dpop, http.MethodPost, path, s.s.token)
			s.he.clock.Advance(DefaultDPoPMaxAge + DefaultClockSkew + time.Second)
			return req(s, oid4vci.SchemeDPoP, p)
		}, oid4vci.CodeInvalidDPoPProof},
		{"replayed jti", func(t *testing.T, s *setup) *http.Response {
			p := proofBy(s, s.s.dpop, http.MethodPost, path, s.s.token)
			if resp := req(s, oid4vci.SchemeDPoP, p); resp.StatusCode != http.StatusOK {
				t.Fatalf("first use: %d %s", resp.StatusCode, body(t, resp))
			}
			return req(s, oid4vci.SchemeDPoP, p)
		}, oid4vci.CodeInvalidDPoPProof},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			he := newHandlerEnv(t, HandlerConfig{})
			s := &setup{he: he, s: he.redeem(newDevice(t)), device: newDevice(t)}
			if s.s.typ != oid4vci.SchemeDPoP {
				t.Fatalf("token_type %q", s.s.typ)
			}
			resp := tc.send(t, s)
			wantError(t, resp, http.StatusUnauthorized, tc.code)
			if ch := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, oid4vci.SchemeDPoP+" ") || !strings.Contains(ch, `error="`+tc.code+`"`) {
				t.Fatalf("challenge %q", ch)
			}
		})
	}
	t.Run("required", func(t *testing.T) {
		he := newHandlerEnv(t, HandlerConfig{RequireDPoP: true})
		s := he.redeem(newDevice(t))
		he.issue(s, "ktpel_dc_sd_jwt", newDevice(t))
	})
}

// TestBatchIssuance: several proofs in one request give one credential per
// key, in order, each bound to its key; every key belongs to the binding.
func TestBatchIssuance(t *testing.T) {
	he := newHandlerEnv(t, HandlerConfig{BatchSize: 3})
	s := he.redeem(nil)
	devices := []crypto.Signer{newDevice(t), newDevice(t), newDevice(t)}
	cr := he.issue(s, "ktpel_mso_mdoc", devices...)
	for i, c := range cr.Credentials {
		he.verifyIssued(he.iss.configs["ktpel_mso_mdoc"], c, devices[i])
	}
	// Another configuration with another key: the same binding.
	other := newDevice(t)
	he.verifyIssued(he.iss.configs["ktpel_dc_sd_jwt"], he.issue(s, "ktpel_dc_sd_jwt", other).Credentials[0], other)
	var bindings, keysN int
	he.store.db.QueryRow(`SELECT COUNT(*) FROM bindings`).Scan(&bindings)
	he.store.db.QueryRow(`SELECT COUNT(*) FROM binding_keys`).Scan(&keysN)
	if bindings != 1 || keysN != 4 {
		t.Fatalf("%d bindings, %d binding keys", bindings, keysN)
	}
	// batch_size is announced, and one over it is refused.
	md, _ := oid4vci.ParseCredentialIssuerMetadata(he.h.CredentialIssuerMetadata(), testIssuer)
	if md.BatchCredentialIssuance == nil || md.BatchCredentialIssuance.BatchSize != 3 {
		t.Fatalf("batch_credential_issuance %+v", md.BatchCredentialIssuance)
	}
	s2 := he.redeem(nil)
	wantError(t, he.request(s2, "ktpel_dc_sd_jwt", newDevice(t), newDevice(t), newDevice(t), newDevice(t)), http.StatusBadRequest, oid4vci.CodeInvalidCredentialRequest)
	// Without batches, batch_credential_issuance is left out.
	he1 := newHandlerEnv(t, HandlerConfig{BatchSize: 1})
	md, _ = oid4vci.ParseCredentialIssuerMetadata(he1.h.CredentialIssuerMetadata(), testIssuer)
	if md.BatchCredentialIssuance != nil {
		t.Fatal("batch_credential_issuance with batch size 1")
	}
	wantError(t, he1.request(he1.redeem(nil), "ktpel_dc_sd_jwt", newDevice(t), newDevice(t)), http.StatusBadRequest, oid4vci.CodeInvalidCredentialRequest)
}

// TestNotifications: a notification_id of the session is acknowledged
// with 204 and recorded in the audit log; others are refused (§11.3).
func TestNotifications(t *testing.T) {
	he := newHandlerEnv(t, HandlerConfig{})
	s := he.redeem(newDevice(t))
	cr := he.issue(s, "ktpel_dc_sd_jwt", newDevice(t))
	notify := func(s *session, v any) *http.Response { return he.do(he.resourceRequest(s, "/notification", v)) }
	for _, ev := range []oid4vci.NotificationEvent{oid4vci.EventCredentialAccepted, oid4vci.EventCredentialAccepted, oid4vci.EventCredentialDeleted} {
		resp := notify(s, oid4vci.NotificationRequest{NotificationID: cr.NotificationID, Event: ev, EventDescription: "stored"})
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("%s: %d %s", ev, resp.StatusCode, body(t, resp))
		}
		ev2, _ := he.iss.Audit(he.ctx, 0, 1000)
		last := ev2[len(ev2)-1]
		if last.Action != "notification" || last.Outcome != "ok" || !strings.HasPrefix(last.Detail, string(ev)+" ktpel_dc_sd_jwt ") || !strings.HasSuffix(last.Detail, ": stored") {
			t.Fatalf("audit %+v", last)
		}
	}
	var event string
	he.store.db.QueryRow(`SELECT event FROM notifications WHERE id = ?`, cr.NotificationID).Scan(&event)
	if event != string(oid4vci.EventCredentialDeleted) {
		t.Fatalf("stored event %q", event)
	}
	other := he.redeem(nil)
	otherCR := he.issue(other, "ktpel_dc_sd_jwt", newDevice(t))
	for _, tc := range []struct {
		name   string
		s      *session
		body   any
		status int
		code   string
	}{
		{"unknown notification_id", s, oid4vci.NotificationRequest{NotificationID: "nope", Event: oid4vci.EventCredentialAccepted}, http.StatusBadRequest, oid4vci.CodeInvalidNotificationID},
		{"another session's notification_id", s, oid4vci.NotificationRequest{NotificationID: otherCR.NotificationID, Event: oid4vci.EventCredentialAccepted}, http.StatusBadRequest, oid4vci.CodeInvalidNotificationID},
		{"unknown event", s, map[string]string{"notification_id": cr.NotificationID, "event": "credential_lost"}, http.StatusBadRequest, oid4vci.CodeInvalidNotificationRequest},
		{"no event", s, map[string]string{"notification_id": cr.NotificationID}, http.StatusBadRequest, oid4vci.CodeInvalidNotificationRequest},
		{"not JSON", s, "notification_id=x", http.StatusBadRequest, oid4vci.CodeInvalidNotificationRequest},
		{"body over the cap", s, map[string]string{"notification_id": cr.NotificationID, "event": "credential_accepted", "x": strings.Repeat("x", oid4vci.MaxNotificationRequestSize)}, http.StatusBadRequest, oid4vci.CodeInvalidNotificationRequest},
		{"no access token", nil, oid4vci.NotificationRequest{NotificationID: cr.NotificationID, Event: oid4vci.EventCredentialAccepted}, http.StatusUnauthorized, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, notify(tc.s, tc.body), tc.status, tc.code)
		})
	}
	r := he.resourceRequest(s, "/notification", nil)
	r.Method = http.MethodGet
	wantError(t, he.do(r), http.StatusMethodNotAllowed, oid4vci.CodeInvalidNotificationRequest)
}

// TestOneNIKOnePhoneOverOpenID4VCI: activating the NIK on a new phone
// through a new offer revokes the old phone's binding and every credential
// bound to it, in the transaction of the new session's first credential
// request; the old session can get nothing more.
func TestOneNIKOnePhoneOverOpenID4VCI(t *testing.T) {
	he := newHandlerEnv(t, HandlerConfig{})
	phoneA, phoneB := newDevice(t), newDevice(t)
	sA := he.redeem(nil)
	crA := he.issue(sA, "ktpel_dc_sd_jwt", phoneA)
	refA := statusRef(t, he, crA.Credentials[0])
	if he.statusOf(refA) != statuslist.Valid {
		t.Fatal("phone A's credential not valid")
	}
	// Phone B redeems a new offer and asks for its first credential.
	sB := he.redeem(nil)
	crB := he.issue(sB, "ktpel_dc_sd_jwt", phoneB)
	if he.statusOf(refA) != statuslist.Invalid {
		t.Fatal("phone A's credential not revoked")
	}
	if he.statusOf(statusRef(t, he, crB.Credentials[0])) != statuslist.Valid {
		t.Fatal("phone B's credential not valid")
	}
	var active, revoked int
	he.store.db.QueryRow(`SELECT SUM(state = 'active'), SUM(state = 'revoked') FROM bindings WHERE nik = ?`, testNIK).Scan(&active, &revoked)
	if active != 1 || revoked != 1 {
		t.Fatalf("%d active, %d revoked bindings", active, revoked)
	}
	// Phone A's session is over.
	wantError(t, he.request(sA, "ktpel_mso_mdoc", phoneA), http.StatusBadRequest, oid4vci.CodeCredentialRequestDenied)
	// A third phone replaces phone B's binding, with the one credential
	// it had.
	var bindingB string
	he.store.db.QueryRow(`SELECT id FROM bindings WHERE nik = ? AND state = 'active'`, testNIK).Scan(&bindingB)
	c := he.activate(newDevice(t))
	if c.Replaced == nil || c.Replaced.ID != bindingB || c.Revoked != 1 {
		t.Fatalf("phone C replaced %+v, revoked %d; want %s, 1", c.Replaced, c.Revoked, bindingB)
	}
	if he.statusOf(statusRef(t, he, crB.Credentials[0])) != statuslist.Invalid {
		t.Fatal("phone B's credential not revoked")
	}
	checkInvariants(t, he.env)
}

// statusRef reads the status reference of an issued SD-JWT VC.
func statusRef(t *testing.T, he *hEnv, c oid4vci.CredentialEntry) statuslist.Reference {
	t.Helper()
	parts := strings.Split(strings.Split(c.Credential, "~")[0], ".")
	if len(parts) != 3 {
		t.Fatal("not a JWT")
	}
	pl, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Status struct {
			StatusList struct {
				Idx uint64 `json:"idx"`
				URI string `json:"uri"`
			} `json:"status_list"`
		} `json:"status"`
	}
	if err := json.Unmarshal(pl, &claims); err != nil {
		t.Fatal(err)
	}
	return statuslist.Reference{Index: claims.Status.StatusList.Idx, URI: claims.Status.StatusList.URI}
}

// TestNonceEndpoint: POST gives a fresh c_nonce, uncacheable (§7.2).
func TestNonceEndpoint(t *testing.T) {
	he := newHandlerEnv(t, HandlerConfig{})
	a, b := he.nonce(), he.nonce()
	if a == b || len(a) < 43 {
		t.Fatalf("nonces %q %q", a, b)
	}
	resp := he.do(httptest.NewRequest(http.MethodGet, testIssuer+"/nonce", nil))
	wantError(t, resp, http.StatusMethodNotAllowed, oid4vci.CodeInvalidRequest)
	if resp.Header.Get("Allow") != http.MethodPost {
		t.Fatalf("Allow %q", resp.Header.Get("Allow"))
	}
}

// TestOfferByReferenceErrors: only an open offer is served, at its own
// reference.
func TestOfferByReferenceErrors(t *testing.T) {
	he := newHandlerEnv(t, HandlerConfig{})
	o := he.registerConfirm().Offer
	for _, u := range []string{
		testIssuer + "/offers/" + strings.Repeat("A", 43),
		testIssuer + "/offers/short",
		o.URI + "=",
		testIssuer + "/offers/" + strings.Repeat("A", 44),
	} {
		if resp := he.do(httptest.NewRequest(http.MethodGet, u, nil)); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s: %d", u, resp.StatusCode)
		}
	}
	he.clock.Advance(DefaultOfferTTL)
	if resp := he.do(httptest.NewRequest(http.MethodGet, o.URI, nil)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("expired offer: %d", resp.StatusCode)
	}
	if resp := he.do(httptest.NewRequest(http.MethodPost, o.URI, nil)); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST offer: %d", resp.StatusCode)
	}
}

// TestMetadata: the Credential Issuer Metadata parse as a wallet reads
// them and meet what @openid4vc/openid4vci needs to read them as
// OpenID4VCI 1.0 (credential_metadata in every configuration, COSE
// algorithm numbers for mso_mdoc); the Authorization Server Metadata
// follow the configuration.
func TestMetadata(t *testing.T) {
	he := newHandlerEnv(t, HandlerConfig{
		Display:   []oid4vci.IssuerDisplay{{Name: "Ditjen Dukcapil", Locale: "id-ID"}, {Name: "Dukcapil", Locale: "en"}},
		ClientIDs: []string{"wallet-1"},
	}, func(c *Config) {
		c.Types = []credential.TypeInfo{credential.KTPELType(), credential.KKType(), credential.NPWPType(),
			credential.BPJSKesehatanType(), credential.BPJSKetenagakerjaanType()}
	})
	resp := he.do(httptest.NewRequest(http.MethodGet, testIssuer+oid4vci.WellKnownCredentialIssuer, nil))
	if resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	md, err := oid4vci.ParseCredentialIssuerMetadata(body(t, resp), testIssuer)
	if err != nil {
		t.Fatal(err)
	}
	if md.CredentialEndpoint != testIssuer+"/credential" || md.NonceEndpoint != testIssuer+"/nonce" || md.NotificationEndpoint != testIssuer+"/notification" ||
		md.BatchCredentialIssuance.BatchSize != credential.DefaultCopiesFrequent || len(md.Display) != 2 || len(md.AuthorizationServers) != 0 {
		t.Fatalf("metadata %+v", md)
	}
	var ids []string
	for id := range md.CredentialConfigurationsSupported {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	want := []string{"bpjs_kesehatan_dc_sd_jwt", "bpjs_kesehatan_mso_mdoc", "bpjs_ketenagakerjaan_dc_sd_jwt", "bpjs_ketenagakerjaan_mso_mdoc",
		"kk_dc_sd_jwt", "kk_mso_mdoc", "ktpel_dc_sd_jwt", "ktpel_mso_mdoc", "ktpel_qr_dc_sd_jwt", "ktpel_qr_mso_mdoc", "npwp_dc_sd_jwt", "npwp_mso_mdoc"}
	if !slices.Equal(ids, want) {
		t.Fatalf("configurations %v", ids)
	}
	for id, c := range md.CredentialConfigurationsSupported {
		cm := c.CredentialMetadata
		if cm == nil || len(cm.Display) != 2 || cm.Display[0].Locale != "id-ID" || cm.Display[1].Locale != "en" || len(cm.Claims) < 3 {
			t.Fatalf("%s: credential_metadata %+v", id, cm)
		}
		jwt, ok := c.ProofTypesSupported[oid4vci.ProofTypeJWT]
		if !ok || !slices.Contains(jwt.ProofSigningAlgValuesSupported, "ES256") || jwt.KeyAttestationsRequired != nil {
			t.Fatalf("%s: proof types %+v", id, c.ProofTypesSupported)
		}
		switch c.Format {
		case credential.FormatSDJWT:
			if c.VCT == "" || !slices.Equal(c.CryptographicBindingMethodsSupported, []string{"jwk"}) ||
				len(c.CredentialSigningAlgValuesSupported) != 1 || c.CredentialSigningAlgValuesSupported[0].Name != "ES256" {
				t.Fatalf("%s: %+v", id, c)
			}
			if cm.Claims[0].Path[0] == "vct" {
				t.Fatalf("%s: vct described as a claim", id)
			}
		case credential.FormatMdoc:
			if c.Doctype == "" || !slices.Equal(c.CryptographicBindingMethodsSupported, []string{"cose_key"}) ||
				len(c.CredentialSigningAlgValuesSupported) != 1 || c.CredentialSigningAlgValuesSupported[0].COSE != -7 {
				t.Fatalf("%s: %+v", id, c)
			}
			for _, cl := range cm.Claims {
				if len(cl.Path) != 2 || cl.Path[0] != c.Doctype {
					t.Fatalf("%s: mdoc claim path %v", id, cl.Path)
				}
			}
		}
	}
	// The mdoc algorithms are JSON numbers.
	if !strings.Contains(string(he.h.CredentialIssuerMetadata()), `"credential_signing_alg_values_supported":[-7]`) {
		t.Fatal("mso_mdoc algorithms are not COSE numbers")
	}
	resp = he.do(httptest.NewRequest(http.MethodGet, testIssuer+oid4vci.WellKnownAuthorizationServer, nil))
	as, err := oid4vci.ParseAuthorizationServerMetadata(body(t, resp), testIssuer)
	if err != nil {
		t.Fatal(err)
	}
	if as.PreAuthorizedGrantAnonymousAccessSupported || !slices.Contains(as.DPoPSigningAlgValuesSupported, "ES256") ||
		!slices.Equal(as.GrantTypesSupported, []string{oid4vci.GrantTypePreAuthorizedCode, oid4vci.GrantTypeRefreshToken}) {
		t.Fatalf("AS metadata %+v", as)
	}
	// Under a path: the well-known suffix and the endpoints follow it.
	hp := newHandlerEnv(t, HandlerConfig{}, func(c *Config) { c.Identifier = testIssuer + "/kk" })
	u, _ := oid4vci.CredentialIssuerMetadataURL(testIssuer + "/kk")
	resp = hp.do(httptest.NewRequest(http.MethodGet, u, nil))
	md, err = oid4vci.ParseCredentialIssuerMetadata(body(t, resp), testIssuer+"/kk")
	if err != nil || md.CredentialEndpoint != testIssuer+"/kk/credential" {
		t.Fatalf("metadata under a path: %v %+v", err, md)
	}
	for _, p := range []string{oid4vci.WellKnownCredentialIssuer, "/credential"} {
		if resp := hp.do(httptest.NewRequest(http.MethodGet, testIssuer+p, nil)); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s outside the path: %d", p, resp.StatusCode)
		}
	}
}

func TestHandlerConfigValidation(t *testing.T) {
	ca := newAttestationCA(t)
	for _, tc := range []struct {
		name string
		hc   HandlerConfig
		mod  func(*Config)
	}{
		{"batch size over MaxProofs", HandlerConfig{BatchSize: oid4vci.MaxProofs + 1}, nil},
		{"negative batch size", HandlerConfig{BatchSize: -1}, nil},
		{"token TTL over the cap", HandlerConfig{AccessTokenTTL: MaxAccessTokenTTL + time.Second}, nil},
		{"DPoP max age over the cap", HandlerConfig{DPoPMaxAge: MaxDPoPMaxAge + time.Second}, nil},
		{"refresh token TTL over the cap", HandlerConfig{RefreshTokenTTL: MaxRefreshTokenTTL + time.Second}, nil},
		{"refresh token TTL under the floor", HandlerConfig{RefreshTokenTTL: time.Minute}, nil},
		{"negative refresh token TTL", HandlerConfig{RefreshTokenTTL: -time.Hour}, nil},
		{"empty client_id", HandlerConfig{ClientIDs: []string{""}}, nil},
		{"attestation required without roots", HandlerConfig{KeyAttestation: KeyAttestationPolicy{
			Required: map[string]oid4vci.KeyAttestationRequirement{credential.VCTKTPEL: {}}}}, nil},
		{"attestation required for a type not issued", HandlerConfig{KeyAttestation: KeyAttestationPolicy{Roots: []*x509.Certificate{ca.root},
			Required: map[string]oid4vci.KeyAttestationRequirement{credential.VCTNPWP: {}}}}, nil},
		{"nil attestation root", HandlerConfig{KeyAttestation: KeyAttestationPolicy{Roots: []*x509.Certificate{nil}}}, nil},
		{"identifier path with a brace", HandlerConfig{}, func(c *Config) { c.Identifier = testIssuer + "/{x}" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.mod != nil {
				tc.mod(&e.cfg)
				iss, err := New(e.ctx, e.cfg)
				if err != nil {
					return // refused earlier, by New
				}
				e.iss = iss
			}
			if _, err := NewHandler(e.iss, tc.hc); !isErr(err, ErrConfig) {
				t.Fatalf("NewHandler: %v, want ErrConfig", err)
			}
		})
	}
	if _, err := NewHandler(nil, HandlerConfig{}); !isErr(err, ErrConfig) {
		t.Fatal("nil issuer accepted")
	}
}

// attestationCA is a synthetic wallet-provider attestation CA: a root and
// the signing certificate of the provider's key attestation service.
type attestationCA struct {
	root, leaf *x509.Certificate
	key        crypto.Signer
}

func newAttestationCA(t testing.TB) *attestationCA {
	t.Helper()
	rootKey, _ := keys.Generate(keys.ES256, nil)
	leafKey, _ := keys.Generate(keys.ES256, nil)
	mk := func(tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
		if parent == nil {
			parent = tmpl
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	root := mk(&x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Synthetic Wallet Provider Attestation CA"},
		NotBefore: t0.AddDate(-1, 0, 0), NotAfter: t0.AddDate(5, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}, nil, rootKey.Public(), rootKey)
	leaf := mk(&x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Synthetic Key Attestation Service"},
		NotBefore: t0.AddDate(0, -1, 0), NotAfter: t0.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature},
		root, leafKey.Public(), rootKey)
	return &attestationCA{root: root, leaf: leaf, key: leafKey}
}

// attest signs a key attestation of the device keys at storage level.
func (ca *attestationCA) attest(t testing.TB, now time.Time, nonce, level string, device ...crypto.PublicKey) string {
	t.Helper()
	tok, err := oid4vci.SignKeyAttestation(nil, ca.key, []*x509.Certificate{ca.leaf}, oid4vci.KeyAttestationClaims{
		Issuer: "https://wallet-provider.example", IssuedAt: now, ExpiresAt: now.Add(time.Hour), AttestedKeys: device,
		KeyStorage: []string{level}, UserAuthentication: []string{level}, Nonce: nonce})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestKeyAttestation: a type can require an attested key (Appendix D); the
// metadata announce it; a proof without an attestation, with one from an
// unknown CA, of another key, below the required level or for another
// nonce is invalid_proof; a good one issues. Other types need none.
func TestKeyAttestation(t *testing.T) {
	ca := newAttestationCA(t)
	policy := KeyAttestationPolicy{Roots: []*x509.Certificate{ca.root},
		Required: map[string]oid4vci.KeyAttestationRequirement{credential.VCTKTPEL: {KeyStorage: []string{oid4vci.APRHigh, oid4vci.APRModerate}}}}
	he := newHandlerEnv(t, HandlerConfig{KeyAttestation: policy}, func(c *Config) {
		c.Documents = DocumentsFunc(func(context.Context, credential.NIK) ([]credential.Document, error) {
			return []credential.Document{mustKTPEL(), sampleKK(t)}, nil
		})
	})
	md, err := oid4vci.ParseCredentialIssuerMetadata(he.h.CredentialIssuerMetadata(), testIssuer)
	if err != nil {
		t.Fatal(err)
	}
	for id, c := range md.CredentialConfigurationsSupported {
		req := c.ProofTypesSupported[oid4vci.ProofTypeJWT].KeyAttestationsRequired
		if strings.HasPrefix(id, "ktpel") != (req != nil) || req != nil && !slices.Equal(req.KeyStorage, []string{oid4vci.APRHigh, oid4vci.APRModerate}) {
			t.Fatalf("%s: key_attestations_required %+v", id, req)
		}
	}
	other := newAttestationCA(t)
	device := newDevice(t)
	attested := func(ca *attestationCA, level string, nonce func(n string) string, keys ...crypto.PublicKey) func(n string) string {
		return func(n string) string {
			ka := ca.attest(t, he.clock.Now(), nonce(n), level, keys...)
			return forgeProof(t, device, device, map[string]any{"key_attestation": ka}, map[string]any{"nonce": n})
		}
	}
	same := func(n string) string { return n }
	for _, tc := range []struct {
		name   string
		config string
		proof  func(n string) string
		ok     bool
	}{
		{"KTP-el, attested at a required level", "ktpel_dc_sd_jwt", attested(ca, oid4vci.APRModerate, same, device.Public()), true},
		{"KTP-el QR profile, attested", "ktpel_qr_mso_mdoc", attested(ca, oid4vci.APRHigh, same, device.Public()), true},
		{"KTP-el without attestation", "ktpel_mso_mdoc", func(n string) string { return he.proofs(n, device)[0] }, false},
		{"KTP-el attested by an unknown CA", "ktpel_mso_mdoc", attested(other, oid4vci.APRModerate, same, device.Public()), false},
		{"KTP-el attested below the required level", "ktpel_mso_mdoc", attested(ca, oid4vci.APRBasic, same, device.Public()), false},
		{"KTP-el attestation of another key", "ktpel_mso_mdoc", attested(ca, oid4vci.APRModerate, same, newDevice(t).Public()), false},
		{"KTP-el attestation for another nonce", "ktpel_mso_mdoc", attested(ca, oid4vci.APRModerate, func(string) string { return "other" }, device.Public()), false},
		{"KTP-el attestation not a JWT", "ktpel_mso_mdoc", func(n string) string {
			return forgeProof(t, device, device, map[string]any{"key_attestation": "x.y.z"}, map[string]any{"nonce": n})
		}, false},
		{"KK needs none", "kk_dc_sd_jwt", func(n string) string { return he.proofs(n, device)[0] }, true},
		{"KK with a bad attestation is still refused", "kk_mso_mdoc", attested(other, oid4vci.APRModerate, same, device.Public()), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := he.redeem(nil)
			resp := he.do(he.resourceRequest(s, "/credential", credentialBody(tc.config, tc.proof(he.nonce()))))
			if tc.ok {
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%d %s", resp.StatusCode, body(t, resp))
				}
				cr, _ := oid4vci.ParseCredentialResponse(body(t, resp))
				he.verifyIssued(he.iss.configs[tc.config], cr.Credentials[0], device)
				return
			}
			wantError(t, resp, http.StatusBadRequest, oid4vci.CodeInvalidProof)
			if got := he.lastOutcome("credential"); got != ErrKeyAttestation.Error() {
				t.Fatalf("audit outcome %q", got)
			}
		})
	}
}

// sampleKK is the resident's family card (the KK of demoworld).
func sampleKK(t testing.TB) *credential.KK {
	t.Helper()
	num, err := credential.ParseFamilyCardNumber("3174012306150003")
	if err != nil {
		t.Fatal(err)
	}
	addr := mustKTPEL().Fields().Address
	addr.PostalCode = "12870"
	birth := credential.Date{Year: 1995, Month: time.August, Day: 17}
	kk, err := credential.NewKK(credential.KKFields{
		Number: num, HeadOfFamilyName: "ANDI PRATAMA WIJAYA", Address: addr,
		IssueDate: credential.Date{Year: 2023, Month: 11, Day: 20}, IssuingOffice: "DISDUKCAPIL KOTA ADM. JAKARTA SELATAN",
		HolderRow: 2,
		Members: []credential.KKMember{
			{NIK: credential.MustParseNIK("3174011203900005"), Name: "ANDI PRATAMA WIJAYA", Sex: credential.Male, PlaceOfBirth: "JAKARTA",
				BirthDate: credential.Date{Year: 1990, Month: 3, Day: 12}, Religion: credential.Islam, Education: 8,
				Occupation:    credential.Occupation{Text: "WIRASWASTA", Code: 88},
				MaritalStatus: credential.KawinTercatat, MarriageDate: credential.Date{Year: 2020, Month: 2, Day: 14},
				Relationship: credential.KepalaKeluarga, Citizenship: credential.WNI, FatherName: "SUTRISNO", MotherName: "SRI WAHYUNI"},
			{NIK: credential.MustParseNIK(testNIK), Name: "RINA KARTIKA SARI", Sex: credential.Female, PlaceOfBirth: "BANDUNG",
				BirthDate: birth, Religion: credential.Islam, Education: 8,
				Occupation: credential.Occupation{Text: "KARYAWAN SWASTA"}, BloodType: credential.BloodO,
				MaritalStatus: credential.KawinTercatat, MarriageDate: credential.Date{Year: 2020, Month: 2, Day: 14},
				Relationship: credential.Istri, Citizenship: credential.WNI, FatherName: "BUDI SANTOSO", MotherName: "SITI AMINAH"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return kk
}

// TestSharedStoreOpenID4VCI: handlers of two issuer processes sharing one
// store. A pre-authorized code redeemed by both at once gives one token;
// a DPoP proof replayed to the other process is refused; two sessions of
// the NIK binding two phones at once leave one binding active.
func TestSharedStoreOpenID4VCI(t *testing.T) { forEachStore(t, testSharedStoreOpenID4VCI) }

func testSharedStoreOpenID4VCI(t *testing.T, kind backend) {
	he := newHandlerEnvOn(t, kind, HandlerConfig{})
	var hs []*Handler
	for range 2 {
		h, err := NewHandler(he.process(), HandlerConfig{})
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	serve := func(h *Handler, r *http.Request) *http.Response {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Result()
	}
	o := he.registerConfirm().Offer
	code := o.Offer.Grants.PreAuthorizedCode.PreAuthorizedCode
	statuses := make([]int, len(hs))
	start := newBarrier(len(hs))
	var wg sync.WaitGroup
	for i, h := range hs {
		wg.Go(func() {
			start.wait()
			statuses[i] = serve(h, he.tokenRequest(tokenForm(code, o.TxCode), "")).StatusCode
		})
	}
	wg.Wait()
	slices.Sort(statuses)
	if !slices.Equal(statuses, []int{http.StatusOK, http.StatusBadRequest}) {
		t.Fatalf("statuses %v, want one token", statuses)
	}

	// A DPoP proof used at one process is a replay at the other.
	dk := newDevice(t)
	o = he.registerConfirm().Offer
	p := he.dpopProof(dk, http.MethodPost, "/token", "")
	resp := serve(hs[0], he.tokenRequest(tokenForm(o.Offer.Grants.PreAuthorizedCode.PreAuthorizedCode, o.TxCode), p))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token: %d", resp.StatusCode)
	}
	o = he.registerConfirm().Offer
	wantError(t, serve(hs[1], he.tokenRequest(tokenForm(o.Offer.Grants.PreAuthorizedCode.PreAuthorizedCode, o.TxCode), p)), http.StatusBadRequest, oid4vci.CodeInvalidDPoPProof)

	// Two phones, two sessions, first requests at once.
	sessions := []*session{he.redeem(nil), he.redeem(nil)}
	reqs := make([]*http.Request, len(sessions))
	for i, s := range sessions {
		reqs[i] = he.resourceRequest(s, "/credential", credentialBody("ktpel_dc_sd_jwt", he.proofs(he.nonce(), newDevice(t))...))
	}
	start = newBarrier(len(hs))
	for i, h := range hs {
		wg.Go(func() {
			start.wait()
			statuses[i] = serve(h, reqs[i]).StatusCode
		})
	}
	wg.Wait()
	if statuses[0] != http.StatusOK || statuses[1] != http.StatusOK {
		t.Fatalf("statuses %v", statuses)
	}
	checkInvariants(t, he.env)
	var active int
	he.queryRow(`SELECT COUNT(*) FROM bindings WHERE state = 'active'`).Scan(&active)
	if active != 1 {
		t.Fatalf("%d active bindings", active)
	}
}
