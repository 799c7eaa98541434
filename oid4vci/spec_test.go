package oid4vci

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/credential"
)

// specIssuer is the Credential Issuer Identifier of the spec's examples.
const specIssuer = "https://credential-issuer.example.com"

func spec(t *testing.T, name string) []byte { return readSeed(t, specDir+"/"+name) }

// withConfigurations returns minimal metadata of specIssuer holding the
// credential_configurations_supported of a spec example that shows only
// that member (Appendix A.2.2, A.3.2).
func withConfigurations(t *testing.T, fragment []byte) []byte {
	t.Helper()
	var frag map[string]json.RawMessage
	if err := json.Unmarshal(fragment, &frag); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]any{
		"credential_issuer":                   specIssuer,
		"credential_endpoint":                 specIssuer + "/credential",
		"credential_configurations_supported": frag["credential_configurations_supported"],
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantCode asserts that err is a *ProtocolError with code that wraps
// ErrMalformed.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Code != code || !errors.Is(err, ErrMalformed) {
		t.Fatalf("error %v, want %s wrapping ErrMalformed", err, code)
	}
}

// TestSpecExamples parses every example copied from OpenID4VCI 1.0 into
// testdata/oid4vci/spec and checks what it says.
func TestSpecExamples(t *testing.T) {
	t.Run("metadata-sd-jwt-long", func(t *testing.T) {
		md, err := ParseCredentialIssuerMetadata(spec(t, "metadata-sd-jwt-long.json"), specIssuer)
		if err != nil {
			t.Fatal(err)
		}
		c := md.CredentialConfigurationsSupported["SD_JWT_VC_example_in_OpenID4VCI"]
		if md.BatchCredentialIssuance.BatchSize != 10 || len(md.Display) != 2 || md.NonceEndpoint != specIssuer+"/nonce" ||
			c.Format != credential.FormatSDJWT || c.VCT != "SD_JWT_VC_example_in_OpenID4VCI" ||
			len(c.CredentialMetadata.Claims) != 13 || c.ProofTypesSupported["jwt"].KeyAttestationsRequired.KeyStorage[0] != APRModerate ||
			!md.RequiresEncryption() || md.CredentialResponseEncryption.AlgValuesSupported[0] != "ECDH-ES" {
			t.Fatalf("metadata %+v", md)
		}
		if got := md.AuthorizationServerIDs(); !reflect.DeepEqual(got, []string{"https://server.example.com"}) {
			t.Fatalf("authorization servers %v", got)
		}
		if _, err := ParseCredentialIssuerMetadata(spec(t, "metadata-sd-jwt-long.json"), specIssuer+"/"); !errors.Is(err, ErrMalformed) {
			t.Fatalf("metadata accepted for another identifier: %v", err)
		}
	})
	t.Run("configurations-sd-jwt-vc", func(t *testing.T) {
		md, err := ParseCredentialIssuerMetadata(withConfigurations(t, spec(t, "configurations-sd-jwt-vc.json")), specIssuer)
		if err != nil {
			t.Fatal(err)
		}
		c := md.CredentialConfigurationsSupported["SD_JWT_VC_example_in_OpenID4VCI"]
		if c.CredentialMetadata.Display[0].BackgroundColor != "#12107c" || c.CredentialMetadata.Claims[5].Path[1] != "street_address" ||
			c.CredentialSigningAlgValuesSupported[0] != JOSEAlgorithm("ES256") {
			t.Fatalf("configuration %+v", c)
		}
	})
	t.Run("configurations-mso-mdoc", func(t *testing.T) {
		md, err := ParseCredentialIssuerMetadata(withConfigurations(t, spec(t, "configurations-mso-mdoc.json")), specIssuer)
		if err != nil {
			t.Fatal(err)
		}
		c := md.CredentialConfigurationsSupported["org.iso.18013.5.1.mDL"]
		if c.Format != credential.FormatMdoc || c.Doctype != "org.iso.18013.5.1.mDL" ||
			!reflect.DeepEqual(c.CredentialSigningAlgValuesSupported, []SigningAlgorithm{COSEAlgorithm(-7), COSEAlgorithm(-9)}) ||
			!c.CredentialMetadata.Claims[2].Mandatory || c.CredentialMetadata.Display[1].Name != "モバイル運転免許証" ||
			c.ProofTypesSupported != nil {
			t.Fatalf("configuration %+v", c)
		}
		// Known deviation of the example: cryptographic_binding_methods_supported
		// without proof_types_supported (§12.2.4 says both or neither). A
		// wallet tolerates it; Validate, for what an issuer serves, does not.
		if err := md.Validate(); !errors.Is(err, ErrMalformed) {
			t.Fatalf("Validate accepted binding methods without proof types: %v", err)
		}
	})
	for _, tc := range []struct {
		file, code string
		txCode     *TxCode
		state      string
	}{
		{"offer-authz-code.json", "", nil, "eyJhbGciOiJSU0Et...FYUaBy"},
		{"offer-by-reference.json", "adhjhdjajkdkhjhdj", &TxCode{}, ""},
		{"offer-multiple-credentials.json", "oaKazRN8I0IbtZ0C7JuMn5", &TxCode{Length: 4, InputMode: "numeric", Description: "Please provide the one-time code that was sent via e-mail"}, ""},
		{"offer-pre-authz-code.json", "adhjhdjajkdkhjhdj", &TxCode{Description: "Please provide the one-time code which was sent to your mobile phone via SMS"}, ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			o, err := ParseCredentialOffer(spec(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if o.CredentialIssuer != specIssuer || len(o.CredentialConfigurationIDs) == 0 {
				t.Fatalf("offer %+v", o)
			}
			if tc.code != "" {
				g := o.Grants.PreAuthorizedCode
				if g.PreAuthorizedCode != tc.code || !reflect.DeepEqual(g.TxCode, tc.txCode) {
					t.Fatalf("grant %+v", g)
				}
			}
			if tc.state != "" && o.Grants.AuthorizationCode.IssuerState != tc.state {
				t.Fatalf("grant %+v", o.Grants.AuthorizationCode)
			}
		})
	}
	t.Run("offer-link-by-value", func(t *testing.T) {
		o, uri, err := ParseOfferLink(strings.TrimSpace(string(spec(t, "offer-link-by-value.txt"))))
		if err != nil || uri != "" {
			t.Fatal(err, uri)
		}
		g := o.Grants.PreAuthorizedCode
		if o.CredentialConfigurationIDs[0] != "org.iso.18013.5.1.mDL" || g.PreAuthorizedCode != "oaKazRN8I0IbtZ0C7JuMn5" ||
			g.TxCode.InputMode != InputModeText || g.TxCode.Description != "Please enter the serial number of your physical drivers license" {
			t.Fatalf("offer %+v %+v", o, g)
		}
	})
	t.Run("offer-link-by-reference", func(t *testing.T) {
		o, uri, err := ParseOfferLink(strings.TrimSpace(string(spec(t, "offer-link-by-reference.txt"))))
		if err != nil || o != nil || uri != "https://server.example.com/credential-offer/GkurKxf5T0Y-mnPFCHqWOMiZi4VS138cQO_V7PZHAdM" {
			t.Fatal(o, uri, err)
		}
	})
	t.Run("token-request-pre-authz-code", func(t *testing.T) {
		r, err := ParseTokenRequest([]byte(strings.TrimSpace(string(spec(t, "token-request-pre-authz-code.txt")))))
		if err != nil {
			t.Fatal(err)
		}
		want := &TokenRequest{GrantType: GrantTypePreAuthorizedCode, PreAuthorizedCode: "SplxlOBeZQQYbYS6WxSbIA", TxCode: "493536"}
		if !reflect.DeepEqual(r, want) || r.CheckTxCode(true) != nil {
			t.Fatalf("request %+v", r)
		}
		wantCode(t, r.CheckTxCode(false), CodeInvalidRequest)
	})
	t.Run("token-response", func(t *testing.T) {
		r, err := ParseTokenResponse(spec(t, "token-response.json"))
		if err != nil {
			t.Fatal(err)
		}
		if r.TokenType != SchemeBearer || r.ExpiresIn != 86400 || r.AuthorizationDetails[0].CredentialIdentifiers[1] != "ElectricalEngineeringDegree-2023" {
			t.Fatalf("response %+v", r)
		}
	})
	for file, code := range map[string]string{
		"token-error-response.json":               CodeInvalidRequest,
		"credential-error-response.json":          CodeUnknownCredentialConfiguration,
		"deferred-credential-error-response.json": CodeInvalidTransactionID,
		"notification-error-response.json":        CodeInvalidNotificationID,
	} {
		t.Run(file, func(t *testing.T) {
			e, err := ParseErrorResponse(spec(t, file))
			if err != nil || e.Code != code {
				t.Fatalf("%+v, %v; want %s", e, err, code)
			}
		})
	}
	t.Run("nonce-response", func(t *testing.T) {
		r, err := ParseNonceResponse(spec(t, "nonce-response.json"))
		if err != nil || r.CNonce != "wKI4LT17ac15ES9bw8ac4" {
			t.Fatal(r, err)
		}
	})
	t.Run("credential-request-configuration-id", func(t *testing.T) {
		r, err := ParseCredentialRequest(spec(t, "credential-request-configuration-id.json"))
		if err != nil || r.CredentialConfigurationID != "org.iso.18013.5.1.mDL" || len(r.Proofs.JWT) != 1 {
			t.Fatal(r, err)
		}
	})
	t.Run("credential-request-identifier", func(t *testing.T) {
		r, err := ParseCredentialRequest(spec(t, "credential-request-identifier.json"))
		if err != nil || r.CredentialIdentifier != "CivilEngineeringDegree-2023" || len(r.Proofs.JWT) != 2 {
			t.Fatal(r, err)
		}
	})
	t.Run("invalid-credential-request-di-vp", func(t *testing.T) {
		_, err := ParseCredentialRequest(spec(t, "invalid-credential-request-di-vp.json"))
		wantCode(t, err, CodeInvalidProof)
	})
	t.Run("invalid-credential-request-pre-1.0-iso-mdl", func(t *testing.T) {
		_, err := ParseCredentialRequest(spec(t, "invalid-credential-request-pre-1.0-iso-mdl.json"))
		wantCode(t, err, CodeInvalidCredentialRequest)
	})
	t.Run("credential-responses", func(t *testing.T) {
		r, err := ParseCredentialResponse(spec(t, "credential-response.json"))
		if err != nil || len(r.Credentials) != 1 || r.NotificationID != "" {
			t.Fatal(r, err)
		}
		r, err = ParseCredentialResponse(spec(t, "credential-response-notification-id.json"))
		if err != nil || len(r.Credentials) != 2 || r.NotificationID != "3fwe98js" {
			t.Fatal(r, err)
		}
		r, err = ParseCredentialResponse(spec(t, "credential-response-deferred.json"))
		if err != nil || r.TransactionID != "8xLOxBtZp8" || r.Interval != 3600 || r.Credentials != nil {
			t.Fatal(r, err)
		}
		if _, err := r.Issued(credential.FormatSDJWT); !errors.Is(err, ErrMalformed) {
			t.Fatal("a deferred response gave credentials")
		}
	})
	t.Run("credential-response-sd-jwt-vc", func(t *testing.T) {
		r, err := ParseCredentialResponse(spec(t, "credential-response-sd-jwt-vc.json"))
		if err != nil {
			t.Fatal(err)
		}
		issued, err := r.Issued(credential.FormatSDJWT)
		if err != nil || len(issued) != 1 || !strings.HasSuffix(string(issued[0].Data), "~") || strings.ContainsAny(string(issued[0].Data), " \n") {
			t.Fatal(issued, err)
		}
	})
	t.Run("credential-response-mso-mdoc", func(t *testing.T) {
		r, err := ParseCredentialResponse(spec(t, "credential-response-mso-mdoc.json"))
		if err != nil {
			t.Fatal(err)
		}
		// The example's credential is shortened with "...", which is not
		// base64url.
		if _, err := r.Issued(credential.FormatMdoc); !errors.Is(err, ErrMalformed) {
			t.Fatalf("truncated mdoc decoded: %v", err)
		}
	})
	t.Run("notification-requests", func(t *testing.T) {
		r, err := ParseNotificationRequest(spec(t, "notification-request-accepted.json"))
		if err != nil || r.Event != EventCredentialAccepted || r.NotificationID != "3fwe98js" {
			t.Fatal(r, err)
		}
		r, err = ParseNotificationRequest(spec(t, "notification-request-failure.json"))
		if err != nil || r.Event != EventCredentialFailure || r.EventDescription != "Could not store the Credential. Out of storage." {
			t.Fatal(r, err)
		}
	})
}

// TestIkdkitExamples parses ikdkit's own examples, the shapes its issuer
// serves.
func TestIkdkitExamples(t *testing.T) {
	const iss = "https://dukcapil.example.go.id"
	md, err := ParseCredentialIssuerMetadata(readSeed(t, ikdkitDir+"/metadata-ktpel.json"), iss)
	if err != nil {
		t.Fatal(err)
	}
	if err := md.Validate(); err != nil {
		t.Fatal(err)
	}
	c := md.CredentialConfigurationsSupported["ktpel_sd_jwt"]
	if c.VCT != credential.VCTKTPEL || md.CredentialConfigurationsSupported["ktpel_mdoc"].Doctype != credential.DocTypeKTPEL ||
		c.CredentialMetadata.Claims[3].Path[2] != nil || md.RequiresEncryption() {
		t.Fatalf("metadata %+v", md)
	}
	as, err := ParseAuthorizationServerMetadata(readSeed(t, ikdkitDir+"/as-metadata.json"), iss)
	if err != nil || !as.SupportsGrant(GrantTypePreAuthorizedCode) || !as.SupportsGrant(GrantTypeRefreshToken) || as.SupportsGrant(GrantTypeAuthorizationCode) ||
		!as.PreAuthorizedGrantAnonymousAccessSupported || as.Validate() != nil {
		t.Fatal(as, err)
	}
	o, err := ParseCredentialOffer(readSeed(t, ikdkitDir+"/offer-ktpel.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Check(md); err != nil {
		t.Fatal(err)
	}
	if as, err := o.AuthorizationServer(md); err != nil || as != iss {
		t.Fatal(as, err)
	}
	rr, err := ParseTokenRequest([]byte(strings.TrimSpace(string(readSeed(t, ikdkitDir+"/token-request-refresh.txt")))))
	if err != nil || rr.GrantType != GrantTypeRefreshToken || rr.RefreshToken != "tGzv3JOkF0XG5Qx2TlKWIA8N2m5fZ5Y0kVv7Y9hYq0c" {
		t.Fatal(rr, err)
	}
	tr, err := ParseTokenResponse(readSeed(t, ikdkitDir+"/token-response-refresh.json"))
	if err != nil || tr.TokenType != SchemeDPoP || tr.RefreshToken != "dQxR2w0V9mH6yJ3kLp8sT1aZ4bN7cE5fG2hU0iO3qWe" {
		t.Fatal(tr, err)
	}
}
