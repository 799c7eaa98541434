package issuer

import (
	"crypto"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// TestHandlerIssuance runs the Pre-Authorized Code Flow end to end, with a
// Bearer and with a DPoP-bound token: offer by reference, metadata, token,
// nonce, one credential request per offered configuration, notifications.
// Every credential verifies with the issuer's key or IACA root and is
// bound to the device key; the session made the NIK's device binding.
func TestHandlerIssuance(t *testing.T) {
	for _, dpop := range []bool{false, true} {
		name := map[bool]string{false: "Bearer", true: "DPoP"}[dpop]
		t.Run(name, func(t *testing.T) {
			he := newHandlerEnv(t, HandlerConfig{})
			g := he.registerConfirm()

			// The offer by reference is the offer by value.
			resp := he.do(httptest.NewRequest(http.MethodGet, g.Offer.URI, nil))
			b := body(t, resp)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("offer by reference: %d %v %s", resp.StatusCode, resp.Header, b)
			}
			o, err := oid4vci.ParseCredentialOffer(b)
			if err != nil {
				t.Fatal(err)
			}
			if o.Grants.PreAuthorizedCode.PreAuthorizedCode != g.Offer.Offer.Grants.PreAuthorizedCode.PreAuthorizedCode ||
				!slices.Equal(o.CredentialConfigurationIDs, g.Offer.Offer.CredentialConfigurationIDs) {
				t.Fatalf("offer by reference %+v", o)
			}

			// Metadata, as a wallet reads it.
			u, _ := oid4vci.CredentialIssuerMetadataURL(o.CredentialIssuer)
			resp = he.do(httptest.NewRequest(http.MethodGet, u, nil))
			md, err := oid4vci.ParseCredentialIssuerMetadata(body(t, resp), o.CredentialIssuer)
			if err != nil {
				t.Fatal(err)
			}
			if err := o.Check(md); err != nil {
				t.Fatal(err)
			}
			u, _ = oid4vci.AuthorizationServerMetadataURL(o.CredentialIssuer)
			resp = he.do(httptest.NewRequest(http.MethodGet, u, nil))
			as, err := oid4vci.ParseAuthorizationServerMetadata(body(t, resp), o.CredentialIssuer)
			if err != nil {
				t.Fatal(err)
			}
			if as.TokenEndpoint != testIssuer+"/token" || !as.SupportsGrant(oid4vci.GrantTypePreAuthorizedCode) || !as.PreAuthorizedGrantAnonymousAccessSupported {
				t.Fatalf("AS metadata %+v", as)
			}

			var dk crypto.Signer
			if dpop {
				dk = newDevice(t)
			}
			s := he.redeemOffer(g.Offer, dk)
			if want := map[bool]string{false: oid4vci.SchemeBearer, true: oid4vci.SchemeDPoP}[dpop]; s.typ != want {
				t.Fatalf("token_type %q, want %q", s.typ, want)
			}
			device := newDevice(t)
			tp, _ := keys.Thumbprint(device.Public())
			for _, id := range o.CredentialConfigurationIDs {
				cr := he.issue(s, id, device)
				he.verifyIssued(he.iss.configs[id], cr.Credentials[0], device)
				resp := he.do(he.resourceRequest(s, "/notification", oid4vci.NotificationRequest{NotificationID: cr.NotificationID, Event: oid4vci.EventCredentialAccepted}))
				if resp.StatusCode != http.StatusNoContent {
					t.Fatalf("notification: %d %s", resp.StatusCode, body(t, resp))
				}
			}

			// The session made one binding, to the device key, with every
			// credential bound to it and valid.
			var bindingID string
			if err := he.store.db.QueryRow(`SELECT id FROM bindings WHERE nik = ? AND state = 'active' AND key_thumbprint = ?`, testNIK, tp).Scan(&bindingID); err != nil {
				t.Fatal(err)
			}
			var n, valid int
			he.store.db.QueryRow(`SELECT COUNT(*), SUM(revoked_at = 0 AND key_thumbprint = ?) FROM credentials WHERE binding_id = ?`, tp, bindingID).Scan(&n, &valid)
			if n != 4 || valid != 4 {
				t.Fatalf("%d credentials, %d valid and bound to the device", n, valid)
			}
			// The audit log has the story.
			ev, _ := he.iss.Audit(he.ctx, 0, 1000)
			var actions []string
			for _, x := range ev {
				actions = append(actions, x.Action)
			}
			got := strings.Join(actions, ",")
			for _, want := range []string{"register,confirm,offer,token", "activate", "notification"} {
				if !strings.Contains(got, want) {
					t.Fatalf("audit %s lacks %s", got, want)
				}
			}
			// The offer by reference is gone.
			if resp := he.do(httptest.NewRequest(http.MethodGet, g.Offer.URI, nil)); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("used offer by reference: %d", resp.StatusCode)
			}
		})
	}
}

// TestHandlerStatusLists: the status lists under the identifier's host are
// served, and a credential issued through the handler is in them.
func TestHandlerStatusLists(t *testing.T) {
	he := newHandlerEnv(t, HandlerConfig{})
	s := he.redeem(nil)
	he.issue(s, "ktpel_dc_sd_jwt", newDevice(t))
	resp := he.do(httptest.NewRequest(http.MethodGet, testIssuer+"/status/1", nil))
	b := body(t, resp)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != statuslist.MediaTypeJWT {
		t.Fatalf("status list: %d %s", resp.StatusCode, b)
	}
	if _, err := (&statuslist.Verifier{Key: he.key.Public(), Now: he.clock.Now}).VerifyJWT(b); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/status/2", "/status/0", "/status/01", "/status/x"} {
		if resp := he.do(httptest.NewRequest(http.MethodGet, testIssuer+p, nil)); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
	}
	_ = credential.FormatSDJWT
}
