package issuer

import (
	"context"
	"crypto"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// lastOutcome is the outcome of the audit log's last event with action.
func (he *hEnv) lastOutcome(action string) string {
	he.t.Helper()
	ev, err := he.iss.Audit(he.ctx, 0, 1000)
	if err != nil {
		he.t.Fatal(err)
	}
	for i := len(ev) - 1; i >= 0; i-- {
		if ev[i].Action == action {
			return ev[i].Outcome
		}
	}
	return ""
}

// TestTokenErrors covers every error of the Token Endpoint (§6.3, RFC 6749
// §5.2, RFC 9449 §5): each row sends one bad token request and gets its
// status and code; where the store decides, the audit log names the
// sentinel.
func TestTokenErrors(t *testing.T) {
	type setup struct {
		he    *hEnv
		offer *Offer
		code  string
	}
	form := func(s *setup) url.Values { return tokenForm(s.code, s.offer.TxCode) }
	post := func(s *setup, v url.Values) *http.Response { return s.he.do(s.he.tokenRequest(v, "")) }
	dpopPost := func(s *setup, proof string) *http.Response { return s.he.do(s.he.tokenRequest(form(s), proof)) }
	tests := []struct {
		name   string
		hc     HandlerConfig
		send   func(t *testing.T, s *setup) *http.Response
		status int
		code   string
		audit  error // the sentinel the audit log records, if the store saw it
	}{
		{"GET", HandlerConfig{}, func(t *testing.T, s *setup) *http.Response {
			return s.he.do(httptest.NewRequest(http.MethodGet, testIssuer+"/token?"+form(s).Encode(), nil))
		}, http.StatusMethodNotAllowed, oid4vci.CodeInvalidRequest, nil},
		{"JSON body", HandlerConfig{}, func(t *testing.T, s *setup) *http.Response {
			r := s.he.tokenRequest(form(s), "")
			r.Header.Set("Content-Type", "application/json")
			return s.he.do(r)
		}, http.StatusBadRequest, oid4vci.CodeInvalidRequest, nil},
		{"body over the cap", HandlerConfig{}, func(t *testing.T, s *setup) *http.Response {
			v := form(s)
			v.Set("padding", strings.Repeat("x", oid4vci.MaxTokenRequestSize))
			return post(s, v)
		}, http.StatusBadRequest, oid4vci.CodeInvalidRequest, nil},
		{"repeated parameter", HandlerConfig{}, func(t *testing.T, s *setup) *http.Response {
			v := form(s)
			v.Add("tx_code", s.offer.TxCode)
			return post(s, v)
		}, http.StatusBadRequest, oid4vci.CodeInvalidRequest, nil},
		{"grant_type missing", HandlerConfig{}, func(t *testing.T, s *setup) *http.Response {
			v := form(s)
			v.Del("grant_type")
			return post(s, v)
		}, http.StatusBadRequest, oid4vci.CodeInvalidRequest, nil},
		{"authorization_code grant", HandlerConfig{}, func(t *testing.T, s *setup) *http.Response {
			return post(s, url.Values{"grant_type": {"authorization_code"}, "code": {s.code}})
		}, http.StatusBadRequest, oid4vci.CodeUnsupportedGrantType, nil},
		{"pre-authorized_code missing", HandlerConfig{}, func(t *testing.T, s *setup) *http.Response {
			return post(s, url.Values{"grant_type": {oid4vci.GrantTypePreAuthorizedCode}, "tx_code": {s.offer.TxCode}})
		}, http.StatusBadRequest, oid4vci.CodeInvalidRequest, nil},
		{"tx_code missing", HandlerConfig{}, func(t *testing.T, s *setup) *http.Response {
			return post(s, tokenForm(s.code, ""))
		}, http.StatusBadRequest, oid4vci.CodeInvalidRequest, nil},
		{"client_id missing where anonymous access is off", HandlerConfig{ClientIDs: []string{"wallet-1"}}, func(t *testing.T, s *setup) *http.Response {
			return post(s, form(s))
		}, http.StatusBadRequest, oid4vci.CodeInvalidClient, nil},
		{"unknown client_id", HandlerConfig{ClientIDs: []string{"wallet-1"}}, func(t *testing.T, s *setup) *http.Response {
			v := form(s)
			v.Set("client_id", "wallet-2")
			return post(s, v)
		}, http.StatusBadRequest, oid4vci.CodeInvalidClient, nil},
		{"unknown pre-authorized code", HandlerConfig{}, func(t *testing.T, s *setup) *http.Response {
			return post(s, tokenForm(strings.Repeat("A", 43), s.offer.TxCode))
		}, http.StatusBadRequest, oid4vci.CodeInvalidGrant, ErrNotFound},
		{"wrong tx_code", HandlerConfig{}, func(t *testing.T, s *setup) *http.Response {
			return post(s, tokenForm(s.code, wrongDigits(s.offer.TxCode)))
		}, http.StatusBadRequest, oid4vci.CodeInvalidGrant, ErrCodeInvalid},
		{"tx_code not digits", HandlerConfig{}, func(t *testing.T, s *setup) *http.Response {
			return post(s, tokenForm(s.code, "not a code!"))
		}, http.StatusBadRequest, oid4vci.CodeInvalidGrant, ErrCodeInvalid},
		{"tx_code of another offer", HandlerConfig{}, func(t *testing.T, s *setup) *http.Response {
			other := s.he.registerConfirm().Offer // withdraws s.offer: use the new code with the old tx_code
			return post(s, tokenForm(other.Offer.Grants.PreAuthorizedCode.PreAuthorizedCode, s.offer.TxCode))
		}, http.StatusBadRequest, oid4vci.CodeInvalidGrant, ErrCodeInvalid},
		{"used pre-authorized code", HandlerConfig{}, func(t *testing.T, s *setup) *http.Response {
			if resp := post(s, form(s)); resp.StatusCode != http.StatusOK {
				t.Fatalf("first use: %d", resp.StatusCode)
			}
			return post(s, form(s))
		}, http.StatusBadRequest, oid4vci.CodeInvalidGrant, ErrCodeUsed},
		{"expired pre-authorized code", HandlerConfig{}, func(t *testing.T, s *setup) *http.Response {
			s.he.clock.Advance(DefaultOfferTTL)
			return post(s, form(s))
		}, http.StatusBadRequest, oid4vci.CodeInvalidGrant, ErrCodeExpired},
		{"offer withdrawn by a new confirmation", HandlerConfig{}, func(t *testing.T, s *setup) *http.Response {
			if _, err := s.he.iss.Confirm(s.he.ctx, "operator:2", registrationOf(t, s.he, s.offer)); err != nil {
				t.Fatal(err)
			}
			return post(s, form(s))
		}, http.StatusBadRequest, oid4vci.CodeInvalidGrant, ErrCodeUsed},
		{"DPoP required, none sent", HandlerConfig{RequireDPoP: true}, func(t *testing.T, s *setup) *http.Response {
			return post(s, form(s))
		}, http.StatusBadRequest, oid4vci.CodeInvalidDPoPProof, nil},
		{"two DPoP headers", HandlerConfig{}, func(t *testing.T, s *setup) *http.Response {
			r := s.he.tokenRequest(form(s), s.he.dpopProof(newDevice(t), http.MethodPost, "/token", ""))
			r.Header.Add("DPoP", s.he.dpopProof(newDevice(t), http.MethodPost, "/token", ""))
			return s.he.do(r)
		}, http.StatusBadRequest, oid4vci.CodeInvalidDPoPProof, nil},
		{"DPoP proof not a JWT", HandlerConfig{}, func(t *testing.T, s *setup) *http.Response {
			return dpopPost(s, "not-a-jwt")
		}, http.StatusBadRequest, oid4vci.CodeInvalidDPoPProof, nil},
		{"DPoP proof for another URI", HandlerConfig{}, func(t *testing.T, s *setup) *http.Response {
			return dpopPost(s, s.he.dpopProof(newDevice(t), http.MethodPost, "/credential", ""))
		}, http.StatusBadRequest, oid4vci.CodeInvalidDPoPProof, nil},
		{"DPoP proof for another method", HandlerConfig{}, func(t *testing.T, s *setup) *http.Response {
			return dpopPost(s, s.he.dpopProof(newDevice(t), http.MethodGet, "/token", ""))
		}, http.StatusBadRequest, oid4vci.CodeInvalidDPoPProof, nil},
		{"DPoP proof too old", HandlerConfig{}, func(t *testing.T, s *setup) *http.Response {
			p := s.he.dpopProof(newDevice(t), http.MethodPost, "/token", "")
			s.he.clock.Advance(DefaultDPoPMaxAge + DefaultClockSkew + time.Second)
			return dpopPost(s, p)
		}, http.StatusBadRequest, oid4vci.CodeInvalidDPoPProof, nil},
		{"DPoP proof replayed", HandlerConfig{}, func(t *testing.T, s *setup) *http.Response {
			p := s.he.dpopProof(newDevice(t), http.MethodPost, "/token", "")
			other := s.he.registerConfirm().Offer
			if resp := s.he.do(s.he.tokenRequest(tokenForm(other.Offer.Grants.PreAuthorizedCode.PreAuthorizedCode, other.TxCode), p)); resp.StatusCode != http.StatusOK {
				t.Fatalf("first use: %d", resp.StatusCode)
			}
			s.offer = s.he.registerConfirm().Offer
			s.code = s.offer.Offer.Grants.PreAuthorizedCode.PreAuthorizedCode
			return dpopPost(s, p)
		}, http.StatusBadRequest, oid4vci.CodeInvalidDPoPProof, ErrDPoP},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			he := newHandlerEnv(t, tc.hc)
			o := he.registerConfirm().Offer
			s := &setup{he: he, offer: o, code: o.Offer.Grants.PreAuthorizedCode.PreAuthorizedCode}
			resp := tc.send(t, s)
			wantError(t, resp, tc.status, tc.code)
			if tc.audit != nil {
				if got := he.lastOutcome("token"); got != tc.audit.Error() {
					t.Fatalf("audit outcome %q, want %q", got, tc.audit)
				}
			}
		})
	}
}

// registrationOf returns the registration an offer was made for.
func registrationOf(t *testing.T, he *hEnv, o *Offer) string {
	t.Helper()
	var reg string
	if err := he.store.db.QueryRow(`SELECT registration_id FROM offers WHERE id = ?`, o.ID).Scan(&reg); err != nil {
		t.Fatal(err)
	}
	return reg
}

// wrongDigits changes every digit of a code.
func wrongDigits(code string) string {
	b := []byte(code)
	for i, c := range b {
		b[i] = '0' + (c-'0'+1)%10
	}
	return string(b)
}

// TestTxCodeBruteForce: the tx_code attempts stop at Config.MaxCodeAttempts;
// then the offer is dead, even for the right tx_code, and no longer served
// by reference.
func TestTxCodeBruteForce(t *testing.T) {
	for _, max := range []int{1, DefaultMaxCodeAttempts} {
		he := newHandlerEnv(t, HandlerConfig{}, func(c *Config) { c.MaxCodeAttempts = max })
		o := he.registerConfirm().Offer
		code := o.Offer.Grants.PreAuthorizedCode.PreAuthorizedCode
		guess := o.TxCode
		for i := range max {
			guess = wrongDigits(guess)
			wantError(t, he.do(he.tokenRequest(tokenForm(code, guess), "")), http.StatusBadRequest, oid4vci.CodeInvalidGrant)
			want := ErrCodeInvalid
			if i == max-1 {
				want = ErrTooManyAttempts
			}
			if got := he.lastOutcome("token"); got != want.Error() {
				t.Fatalf("max %d attempt %d: outcome %q, want %q", max, i+1, got, want)
			}
		}
		wantError(t, he.do(he.tokenRequest(tokenForm(code, o.TxCode), "")), http.StatusBadRequest, oid4vci.CodeInvalidGrant)
		if got := he.lastOutcome("token"); got != ErrTooManyAttempts.Error() {
			t.Fatalf("right code after the limit: outcome %q", got)
		}
		var attempts int
		he.store.db.QueryRow(`SELECT attempts FROM offers WHERE id = ?`, o.ID).Scan(&attempts)
		if attempts != max {
			t.Fatalf("%d attempts recorded, want %d", attempts, max)
		}
		if resp := he.do(httptest.NewRequest(http.MethodGet, o.URI, nil)); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("dead offer by reference: %d", resp.StatusCode)
		}
	}
	// The attempts count across processes sharing the store: a restart
	// does not reset them.
	he := newHandlerEnv(t, HandlerConfig{})
	o := he.registerConfirm().Offer
	code := o.Offer.Grants.PreAuthorizedCode.PreAuthorizedCode
	for i := range DefaultMaxCodeAttempts {
		if i == 2 {
			he.reopen(HandlerConfig{})
		}
		wantError(t, he.do(he.tokenRequest(tokenForm(code, wrongDigits(o.TxCode)), "")), http.StatusBadRequest, oid4vci.CodeInvalidGrant)
	}
	wantError(t, he.do(he.tokenRequest(tokenForm(code, o.TxCode), "")), http.StatusBadRequest, oid4vci.CodeInvalidGrant)
}

// TestCredentialErrors covers the error responses of the Credential
// Endpoint (§8.3.1): the access token (§8.3.1.1, RFC 6750 §3.1) and every
// code of §8.3.1.2, each with its status; the audit log names the
// sentinel of each refusal of an authenticated request.
func TestCredentialErrors(t *testing.T) {
	const ktp = "ktpel_dc_sd_jwt"
	type setup struct {
		he     *hEnv
		s      *session
		device crypto.Signer
	}
	send := func(s *setup, body any) *http.Response {
		return s.he.do(s.he.resourceRequest(s.s, "/credential", body))
	}
	good := func(s *setup) map[string]any {
		return credentialBody(ktp, s.he.proofs(s.he.nonce(), s.device)...)
	}
	forged := func(t *testing.T, s *setup, hdr, pl map[string]any) map[string]any {
		if pl == nil {
			pl = map[string]any{}
		}
		if _, ok := pl["nonce"]; !ok {
			pl["nonce"] = s.he.nonce()
		}
		return credentialBody(ktp, forgeProof(t, s.device, s.device, hdr, pl))
	}
	tests := []struct {
		name   string
		send   func(t *testing.T, s *setup) *http.Response
		status int
		code   string
		audit  error
	}{
		// Access token (§8.3.1.1).
		{"no access token", func(t *testing.T, s *setup) *http.Response {
			s.s = nil
			return send(s, good(s))
		}, http.StatusUnauthorized, "", nil},
		{"unknown access token", func(t *testing.T, s *setup) *http.Response {
			s.s.token = strings.Repeat("A", 43)
			return send(s, good(s))
		}, http.StatusUnauthorized, oid4vci.CodeInvalidToken, nil},
		{"expired access token", func(t *testing.T, s *setup) *http.Response {
			b := good(s)
			s.he.clock.Advance(DefaultAccessTokenTTL)
			return send(s, b)
		}, http.StatusUnauthorized, oid4vci.CodeInvalidToken, nil},
		{"malformed Authorization header", func(t *testing.T, s *setup) *http.Response {
			r := s.he.resourceRequest(nil, "/credential", good(s))
			r.Header.Set("Authorization", "Basic "+s.s.token)
			return s.he.do(r)
		}, http.StatusBadRequest, oid4vci.CodeInvalidRequest, nil},
		{"Bearer token under the DPoP scheme", func(t *testing.T, s *setup) *http.Response {
			s.s.typ = oid4vci.SchemeDPoP
			return send(s, good(s))
		}, http.StatusUnauthorized, oid4vci.CodeInvalidToken, nil},
		{"GET", func(t *testing.T, s *setup) *http.Response {
			r := s.he.resourceRequest(s.s, "/credential", nil)
			r.Method = http.MethodGet
			return s.he.do(r)
		}, http.StatusMethodNotAllowed, oid4vci.CodeInvalidCredentialRequest, nil},
		// §8.3.1.2.
		{"not JSON", func(t *testing.T, s *setup) *http.Response {
			return send(s, "credential_configuration_id=ktpel_dc_sd_jwt")
		}, http.StatusBadRequest, oid4vci.CodeInvalidCredentialRequest, ErrInvalidInput},
		{"text/plain", func(t *testing.T, s *setup) *http.Response {
			r := s.he.resourceRequest(s.s, "/credential", good(s))
			r.Header.Set("Content-Type", "text/plain")
			return s.he.do(r)
		}, http.StatusBadRequest, oid4vci.CodeInvalidCredentialRequest, ErrInvalidInput},
		{"duplicate member", func(t *testing.T, s *setup) *http.Response {
			return send(s, `{"credential_configuration_id":"ktpel_dc_sd_jwt","credential_configuration_id":"ktpel_mso_mdoc"}`)
		}, http.StatusBadRequest, oid4vci.CodeInvalidCredentialRequest, ErrInvalidInput},
		{"neither configuration nor identifier", func(t *testing.T, s *setup) *http.Response {
			b := good(s)
			delete(b, "credential_configuration_id")
			return send(s, b)
		}, http.StatusBadRequest, oid4vci.CodeInvalidCredentialRequest, ErrInvalidInput},
		{"format-based (draft) request", func(t *testing.T, s *setup) *http.Response {
			b := good(s)
			delete(b, "credential_configuration_id")
			b["format"], b["vct"] = "dc+sd-jwt", credential.VCTKTPEL
			return send(s, b)
		}, http.StatusBadRequest, oid4vci.CodeInvalidCredentialRequest, ErrInvalidInput},
		{"too many proofs", func(t *testing.T, s *setup) *http.Response {
			var ds []crypto.Signer
			for range s.he.h.cfg.BatchSize + 1 {
				ds = append(ds, newDevice(t))
			}
			return send(s, credentialBody(ktp, s.he.proofs(s.he.nonce(), ds...)...))
		}, http.StatusBadRequest, oid4vci.CodeInvalidCredentialRequest, ErrInvalidInput},
		{"credential_identifier", func(t *testing.T, s *setup) *http.Response {
			b := good(s)
			delete(b, "credential_configuration_id")
			b["credential_identifier"] = "ktpel-1"
			return send(s, b)
		}, http.StatusBadRequest, oid4vci.CodeUnknownCredentialIdentifier, ErrInvalidInput},
		{"unknown configuration", func(t *testing.T, s *setup) *http.Response {
			return send(s, credentialBody("npwp_dc_sd_jwt", s.he.proofs(s.he.nonce(), s.device)...))
		}, http.StatusBadRequest, oid4vci.CodeUnknownCredentialConfiguration, ErrInvalidInput},
		{"configuration the token does not cover", func(t *testing.T, s *setup) *http.Response {
			return send(s, credentialBody("kk_dc_sd_jwt", s.he.proofs(s.he.nonce(), s.device)...))
		}, http.StatusForbidden, oid4vci.CodeInsufficientScope, ErrDenied},
		{"proofs missing", func(t *testing.T, s *setup) *http.Response {
			return send(s, map[string]any{"credential_configuration_id": ktp})
		}, http.StatusBadRequest, oid4vci.CodeInvalidProof, ErrProof},
		{"singular proof (drafts)", func(t *testing.T, s *setup) *http.Response {
			p := s.he.proofs(s.he.nonce(), s.device)[0]
			return send(s, map[string]any{"credential_configuration_id": ktp, "proof": map[string]any{"proof_type": "jwt", "jwt": p}})
		}, http.StatusBadRequest, oid4vci.CodeInvalidProof, ErrProof},
		{"attestation proof type", func(t *testing.T, s *setup) *http.Response {
			return send(s, map[string]any{"credential_configuration_id": ktp, "proofs": map[string]any{"attestation": []string{"a.b.c"}}})
		}, http.StatusBadRequest, oid4vci.CodeInvalidProof, ErrProof},
		{"two proof types", func(t *testing.T, s *setup) *http.Response {
			p := s.he.proofs(s.he.nonce(), s.device)
			return send(s, map[string]any{"credential_configuration_id": ktp, "proofs": map[string]any{"jwt": p, "attestation": []string{"a.b.c"}}})
		}, http.StatusBadRequest, oid4vci.CodeInvalidProof, ErrInvalidInput},
		{"unknown proof type", func(t *testing.T, s *setup) *http.Response {
			return send(s, map[string]any{"credential_configuration_id": ktp, "proofs": map[string]any{"ldp_vp": []string{"x"}}})
		}, http.StatusBadRequest, oid4vci.CodeInvalidProof, ErrInvalidInput},
		{"proof for another audience", func(t *testing.T, s *setup) *http.Response {
			return send(s, forged(t, s, nil, map[string]any{"aud": "https://other-issuer.example.com"}))
		}, http.StatusBadRequest, oid4vci.CodeInvalidProof, ErrProof},
		{"proof signed by another key than its jwk", func(t *testing.T, s *setup) *http.Response {
			return send(s, credentialBody(ktp, forgeProof(t, s.device, newDevice(t), nil, map[string]any{"nonce": s.he.nonce()})))
		}, http.StatusBadRequest, oid4vci.CodeInvalidProof, ErrProof},
		{"proof with alg none", func(t *testing.T, s *setup) *http.Response {
			return send(s, credentialBody(ktp, forgeNone(t, s.device, s.he.nonce())))
		}, http.StatusBadRequest, oid4vci.CodeInvalidProof, ErrProof},
		{"proof with the wrong typ", func(t *testing.T, s *setup) *http.Response {
			return send(s, forged(t, s, map[string]any{"typ": "JWT"}, nil))
		}, http.StatusBadRequest, oid4vci.CodeInvalidProof, ErrProof},
		{"proof with kid instead of jwk", func(t *testing.T, s *setup) *http.Response {
			return send(s, forged(t, s, map[string]any{"kid": "k-1", "jwk": nil}, nil))
		}, http.StatusBadRequest, oid4vci.CodeInvalidProof, ErrProof},
		{"proof with kid next to its jwk", func(t *testing.T, s *setup) *http.Response {
			return send(s, forged(t, s, map[string]any{"kid": "k-1"}, nil))
		}, http.StatusBadRequest, oid4vci.CodeInvalidProof, ErrProof},
		{"proof without jwk", func(t *testing.T, s *setup) *http.Response {
			return send(s, forged(t, s, map[string]any{"jwk": nil}, nil))
		}, http.StatusBadRequest, oid4vci.CodeInvalidProof, ErrProof},
		{"proof with base64 padding", func(t *testing.T, s *setup) *http.Response {
			return send(s, credentialBody(ktp, s.he.proofs(s.he.nonce(), s.device)[0]+"="))
		}, http.StatusBadRequest, oid4vci.CodeInvalidProof, ErrProof},
		{"proof over the cap", func(t *testing.T, s *setup) *http.Response {
			return send(s, credentialBody(ktp, strings.Repeat("a", oid4vci.MaxProofSize+1)))
		}, http.StatusBadRequest, oid4vci.CodeInvalidProof, ErrInvalidInput},
		{"proof too old", func(t *testing.T, s *setup) *http.Response {
			return send(s, forged(t, s, nil, map[string]any{"iat": t0.Add(-DefaultProofMaxAge - DefaultClockSkew - time.Second).Unix()}))
		}, http.StatusBadRequest, oid4vci.CodeInvalidProof, ErrProof},
		{"proof from the future", func(t *testing.T, s *setup) *http.Response {
			return send(s, forged(t, s, nil, map[string]any{"iat": t0.Add(DefaultClockSkew + time.Minute).Unix()}))
		}, http.StatusBadRequest, oid4vci.CodeInvalidProof, ErrProof},
		{"proof without c_nonce", func(t *testing.T, s *setup) *http.Response {
			return send(s, credentialBody(ktp, forgeProof(t, s.device, s.device, nil, map[string]any{"nonce": nil})))
		}, http.StatusBadRequest, oid4vci.CodeInvalidProof, ErrProof},
		{"one key proven twice", func(t *testing.T, s *setup) *http.Response {
			return send(s, credentialBody(ktp, s.he.proofs(s.he.nonce(), s.device, s.device)...))
		}, http.StatusBadRequest, oid4vci.CodeInvalidProof, ErrProof},
		{"proofs over two nonces", func(t *testing.T, s *setup) *http.Response {
			p := append(s.he.proofs(s.he.nonce(), s.device), s.he.proofs(s.he.nonce(), newDevice(t))...)
			return send(s, credentialBody(ktp, p...))
		}, http.StatusBadRequest, oid4vci.CodeInvalidProof, ErrProof},
		{"c_nonce never handed out", func(t *testing.T, s *setup) *http.Response {
			return send(s, credentialBody(ktp, s.he.proofs("made-up-nonce", s.device)...))
		}, http.StatusBadRequest, oid4vci.CodeInvalidNonce, ErrNonce},
		{"c_nonce expired", func(t *testing.T, s *setup) *http.Response {
			n := s.he.nonce()
			s.he.clock.Advance(DefaultNonceTTL + time.Second)
			return send(s, credentialBody(ktp, s.he.proofs(n, s.device)...))
		}, http.StatusBadRequest, oid4vci.CodeInvalidNonce, ErrNonce},
		{"c_nonce replayed", func(t *testing.T, s *setup) *http.Response {
			n := s.he.nonce()
			if resp := send(s, credentialBody(ktp, s.he.proofs(n, s.device)...)); resp.StatusCode != http.StatusOK {
				t.Fatalf("first use: %d", resp.StatusCode)
			}
			return send(s, credentialBody("ktpel_mso_mdoc", s.he.proofs(n, s.device)...))
		}, http.StatusBadRequest, oid4vci.CodeInvalidNonce, ErrNonce},
		{"c_nonce kept by a request refused before it, spent by one that issued", func(t *testing.T, s *setup) *http.Response {
			n := s.he.nonce()
			s.he.do(s.he.resourceRequest(s.s, "/credential", credentialBody("kk_dc_sd_jwt", s.he.proofs(n, s.device)...)))
			if resp := send(s, credentialBody(ktp, s.he.proofs(n, s.device)...)); resp.StatusCode != http.StatusOK {
				t.Fatalf("nonce of a request refused for its configuration: %d", resp.StatusCode)
			}
			return send(s, credentialBody("ktpel_mso_mdoc", s.he.proofs(n, s.device)...))
		}, http.StatusBadRequest, oid4vci.CodeInvalidNonce, ErrNonce},
		{"credential_response_encryption", func(t *testing.T, s *setup) *http.Response {
			b := good(s)
			b["credential_response_encryption"] = map[string]any{"jwk": map[string]any{"kty": "EC"}, "enc": "A128GCM"}
			return send(s, b)
		}, http.StatusBadRequest, oid4vci.CodeInvalidEncryptionParameters, ErrInvalidInput},
		{"configuration already issued in the session", func(t *testing.T, s *setup) *http.Response {
			if resp := send(s, good(s)); resp.StatusCode != http.StatusOK {
				t.Fatalf("first request: %d", resp.StatusCode)
			}
			return send(s, good(s))
		}, http.StatusBadRequest, oid4vci.CodeCredentialRequestDenied, ErrDenied},
		{"binding revoked (phone reported lost)", func(t *testing.T, s *setup) *http.Response {
			if resp := send(s, good(s)); resp.StatusCode != http.StatusOK {
				t.Fatalf("first request: %d", resp.StatusCode)
			}
			if _, err := s.he.iss.ReportLost(s.he.ctx, "operator:1", testNIK); err != nil {
				t.Fatal(err)
			}
			return send(s, credentialBody("ktpel_mso_mdoc", s.he.proofs(s.he.nonce(), s.device)...))
		}, http.StatusBadRequest, oid4vci.CodeCredentialRequestDenied, ErrBindingRevoked},
		{"document no longer in the register", func(t *testing.T, s *setup) *http.Response {
			s.he.cfg.Documents = DocumentsFunc(func(context.Context, credential.NIK) ([]credential.Document, error) {
				return nil, nil
			})
			s.he.reopen(HandlerConfig{})
			return send(s, good(s))
		}, http.StatusBadRequest, oid4vci.CodeCredentialRequestDenied, ErrDenied},
		{"document of a type the issuer is not authorised for", func(t *testing.T, s *setup) *http.Response {
			s.he.cfg.Documents = DocumentsFunc(func(context.Context, credential.NIK) ([]credential.Document, error) {
				return []credential.Document{sampleNPWP(t)}, nil
			})
			s.he.reopen(HandlerConfig{})
			return send(s, good(s))
		}, http.StatusBadRequest, oid4vci.CodeCredentialRequestDenied, ErrDenied},
		{"document source returns a nil document", func(t *testing.T, s *setup) *http.Response {
			s.he.cfg.Documents = DocumentsFunc(func(context.Context, credential.NIK) ([]credential.Document, error) {
				var k *credential.KTPEL // a source that ignored NewKTPEL's error
				return []credential.Document{k}, nil
			})
			s.he.reopen(HandlerConfig{})
			return send(s, good(s))
		}, http.StatusBadRequest, oid4vci.CodeCredentialRequestDenied, ErrDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			he := newHandlerEnv(t, HandlerConfig{})
			s := &setup{he: he, s: he.redeem(nil), device: newDevice(t)}
			resp := tc.send(t, s)
			pe := wantError(t, resp, tc.status, tc.code)
			if tc.status == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), oid4vci.SchemeBearer) {
				t.Fatalf("challenge %q", resp.Header.Get("WWW-Authenticate"))
			}
			if tc.code == oid4vci.CodeInsufficientScope && pe.Scheme != oid4vci.SchemeBearer {
				t.Fatalf("insufficient_scope without a Bearer challenge")
			}
			if tc.audit != nil {
				if got := he.lastOutcome("credential"); got != tc.audit.Error() {
					t.Fatalf("audit outcome %q, want %q", got, tc.audit)
				}
			}
			// Nothing was issued by the refused request.
			var n int
			he.store.db.QueryRow(`SELECT COUNT(*) FROM credentials c JOIN bindings b ON c.binding_id = b.id WHERE b.state = 'active'`).Scan(&n)
			if n > 1 {
				t.Fatalf("%d credentials active", n)
			}
		})
	}
}

// forgeNone makes a proof with alg none over nonce.
func forgeNone(t *testing.T, device crypto.Signer, nonce string) string {
	t.Helper()
	p := forgeProof(t, device, device, map[string]any{"alg": "none"}, map[string]any{"nonce": nonce})
	return p[:strings.LastIndex(p, ".")+1]
}
