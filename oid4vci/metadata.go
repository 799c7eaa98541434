package oid4vci

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/ikdkit/ikdkit/credential"
)

// WellKnownCredentialIssuer is the well-known path of the Credential
// Issuer Metadata (§12.2.2).
const WellKnownCredentialIssuer = "/.well-known/openid-credential-issuer"

// WellKnownAuthorizationServer is the well-known path of the OAuth 2.0
// Authorization Server Metadata (RFC 8414 §3).
const WellKnownAuthorizationServer = "/.well-known/oauth-authorization-server"

// CredentialIssuerMetadata is the Credential Issuer Metadata (§12.2.4),
// served unsigned as application/json at [WellKnownCredentialIssuer]
// (§12.2.2). Signed metadata (§12.2.3) is not supported.
type CredentialIssuerMetadata struct {
	// CredentialIssuer is the Credential Issuer Identifier (§12.2.1): an
	// https URL without query or fragment. REQUIRED; it MUST equal the
	// identifier the metadata was fetched for (§12.2.4).
	CredentialIssuer string `json:"credential_issuer"`
	// AuthorizationServers are the identifiers of the OAuth 2.0
	// Authorization Servers the issuer relies on. OPTIONAL; absent, the
	// issuer is its own Authorization Server (§12.2.4).
	AuthorizationServers []string `json:"authorization_servers,omitempty"`
	// CredentialEndpoint is the URL of the Credential Endpoint (§8).
	// REQUIRED, https.
	CredentialEndpoint string `json:"credential_endpoint"`
	// NonceEndpoint is the URL of the Nonce Endpoint (§7). OPTIONAL,
	// https; absent, the issuer does not require c_nonce.
	NonceEndpoint string `json:"nonce_endpoint,omitempty"`
	// DeferredCredentialEndpoint is the URL of the Deferred Credential
	// Endpoint (§9). OPTIONAL, https.
	DeferredCredentialEndpoint string `json:"deferred_credential_endpoint,omitempty"`
	// NotificationEndpoint is the URL of the Notification Endpoint (§11).
	// OPTIONAL, https.
	NotificationEndpoint string `json:"notification_endpoint,omitempty"`
	// CredentialRequestEncryption says whether the issuer accepts (or
	// requires) encrypted Credential Requests (§12.2.4, §10). OPTIONAL.
	// ikdkit implements no JWE: an ikdkit issuer leaves it out, and an
	// ikdkit wallet cannot use an issuer that requires it.
	CredentialRequestEncryption *RequestEncryptionMetadata `json:"credential_request_encryption,omitempty"`
	// CredentialResponseEncryption says whether the issuer supports (or
	// requires) encrypted Credential Responses (§12.2.4, §10). OPTIONAL;
	// see CredentialRequestEncryption.
	CredentialResponseEncryption *ResponseEncryptionMetadata `json:"credential_response_encryption,omitempty"`
	// BatchCredentialIssuance, when present, says the issuer accepts more
	// than one key proof per Credential Request (§12.2.4). OPTIONAL.
	BatchCredentialIssuance *BatchCredentialIssuance `json:"batch_credential_issuance,omitempty"`
	// Display is how to show the issuer, one entry per language
	// (§12.2.4). OPTIONAL, non-empty, one entry per locale.
	Display []IssuerDisplay `json:"display,omitempty"`
	// CredentialConfigurationsSupported maps each credential
	// configuration identifier to its configuration (§12.2.4). REQUIRED,
	// non-empty.
	CredentialConfigurationsSupported map[string]CredentialConfiguration `json:"credential_configurations_supported"`
}

// RequestEncryptionMetadata is credential_request_encryption (§12.2.4).
type RequestEncryptionMetadata struct {
	// JWKS is a JSON Web Key Set of the issuer's encryption keys, each
	// with a unique kid. REQUIRED; kept as JSON text (ikdkit does no JWE).
	JWKS json.RawMessage `json:"jwks"`
	// EncValuesSupported are the JWE enc values accepted. REQUIRED,
	// non-empty.
	EncValuesSupported []string `json:"enc_values_supported"`
	// ZipValuesSupported are the JWE zip values accepted. OPTIONAL,
	// non-empty.
	ZipValuesSupported []string `json:"zip_values_supported,omitempty"`
	// EncryptionRequired says every Credential Request must be
	// encrypted. REQUIRED.
	EncryptionRequired bool `json:"encryption_required"`
}

// ResponseEncryptionMetadata is credential_response_encryption (§12.2.4).
type ResponseEncryptionMetadata struct {
	// AlgValuesSupported are the JWE alg values supported. REQUIRED,
	// non-empty.
	AlgValuesSupported []string `json:"alg_values_supported"`
	// EncValuesSupported are the JWE enc values supported. REQUIRED,
	// non-empty.
	EncValuesSupported []string `json:"enc_values_supported"`
	// ZipValuesSupported are the JWE zip values supported. OPTIONAL,
	// non-empty.
	ZipValuesSupported []string `json:"zip_values_supported,omitempty"`
	// EncryptionRequired says every Credential Response is encrypted, so
	// the wallet must send encryption keys. REQUIRED.
	EncryptionRequired bool `json:"encryption_required"`
}

// BatchCredentialIssuance is batch_credential_issuance (§12.2.4).
type BatchCredentialIssuance struct {
	// BatchSize is the most proofs a Credential Request may carry.
	// REQUIRED, at least 2.
	BatchSize int `json:"batch_size"`
}

// IssuerDisplay is one entry of the issuer's display (§12.2.4).
type IssuerDisplay struct {
	// Name is the issuer's display name. OPTIONAL.
	Name string `json:"name,omitempty"`
	// Locale is a BCP 47 language tag (RFC 5646). OPTIONAL.
	Locale string `json:"locale,omitempty"`
	// Logo is the issuer's logo. OPTIONAL.
	Logo *Logo `json:"logo,omitempty"`
}

// Logo is a logo or background image (§12.2.4).
type Logo struct {
	// URI is where the wallet gets the image: https: or data: (§12.2.4:
	// the wallet determines the scheme). REQUIRED.
	URI string `json:"uri"`
	// AltText is the image's alternative text. OPTIONAL.
	AltText string `json:"alt_text,omitempty"`
}

// CredentialConfiguration is one entry of
// credential_configurations_supported (§12.2.4) with the members of the
// format profiles ikdkit implements (Appendix A.2.2, A.3.2).
type CredentialConfiguration struct {
	// Format is the credential format identifier (Appendix A):
	// [credential.FormatSDJWT] or [credential.FormatMdoc] for ikdkit; a
	// wallet keeps other formats it cannot use. REQUIRED.
	Format credential.Format `json:"format"`
	// Scope is the OAuth scope value of this configuration. OPTIONAL.
	Scope string `json:"scope,omitempty"`
	// CryptographicBindingMethodsSupported are the key representations the
	// credential can be bound to ("jwk", "cose_key", "did:…"). OPTIONAL,
	// non-empty; present exactly when key binding is required, and then
	// ProofTypesSupported must be present too (§12.2.4).
	CryptographicBindingMethodsSupported []string `json:"cryptographic_binding_methods_supported,omitempty"`
	// CredentialSigningAlgValuesSupported are the algorithms the issuer
	// signs this credential with: JOSE names for dc+sd-jwt (Appendix
	// A.3.2), COSE algorithm numbers for mso_mdoc (Appendix A.2.2).
	// OPTIONAL, non-empty.
	CredentialSigningAlgValuesSupported []SigningAlgorithm `json:"credential_signing_alg_values_supported,omitempty"`
	// ProofTypesSupported maps each supported proof type ("jwt", Appendix
	// F.1) to its metadata. OPTIONAL; present exactly when
	// CryptographicBindingMethodsSupported is (§12.2.4).
	ProofTypesSupported map[string]ProofTypeMetadata `json:"proof_types_supported,omitempty"`
	// CredentialMetadata is how to show the credential and its claims.
	// OPTIONAL. In OpenID4VCI 1.0 the display and claims of a
	// configuration live here, not at its top level.
	CredentialMetadata *CredentialMetadata `json:"credential_metadata,omitempty"`
	// VCT is the SD-JWT VC type (Appendix A.3.2). REQUIRED for dc+sd-jwt,
	// absent otherwise.
	VCT string `json:"vct,omitempty"`
	// Doctype is the mdoc document type (Appendix A.2.2). REQUIRED for
	// mso_mdoc, absent otherwise.
	Doctype string `json:"doctype,omitempty"`
}

// ProofTypeMetadata is one entry of proof_types_supported (§12.2.4).
type ProofTypeMetadata struct {
	// ProofSigningAlgValuesSupported are the algorithms a proof of this
	// type may be signed with (JOSE names for "jwt", Appendix F.1).
	// REQUIRED, non-empty.
	ProofSigningAlgValuesSupported []string `json:"proof_signing_alg_values_supported"`
	// KeyAttestationsRequired, when present (even empty), says the
	// issuer requires a key attestation (Appendix D) in the proofs.
	// OPTIONAL.
	KeyAttestationsRequired *KeyAttestationRequirement `json:"key_attestations_required,omitempty"`
}

// KeyAttestationRequirement is key_attestations_required (§12.2.4): the
// attack potential resistance levels (Appendix D.2) the issuer accepts.
// An empty requirement asks for a key attestation of any level.
type KeyAttestationRequirement struct {
	// KeyStorage are the key_storage values accepted; the attestation
	// must assert at least one of them. OPTIONAL, non-empty.
	KeyStorage []string `json:"key_storage,omitempty"`
	// UserAuthentication are the user_authentication values accepted;
	// the attestation must assert at least one of them. OPTIONAL,
	// non-empty.
	UserAuthentication []string `json:"user_authentication,omitempty"`
}

// Attack potential resistance levels of key_storage and
// user_authentication (Appendix D.2, after ISO/IEC 18045).
const (
	APRHigh          = "iso_18045_high"           // VAN.5
	APRModerate      = "iso_18045_moderate"       // VAN.4
	APREnhancedBasic = "iso_18045_enhanced-basic" // VAN.3
	APRBasic         = "iso_18045_basic"          // VAN.2
)

// CredentialMetadata is credential_metadata (§12.2.4).
type CredentialMetadata struct {
	// Display is how to show the credential, one entry per language.
	// OPTIONAL, non-empty, one entry per locale.
	Display []CredentialDisplay `json:"display,omitempty"`
	// Claims describe the claims, in display order (Appendix B.2).
	// OPTIONAL, non-empty; no claim may be described twice or
	// contradictorily (Appendix B.3).
	Claims []ClaimDescription `json:"claims,omitempty"`
}

// CredentialDisplay is one entry of credential_metadata.display (§12.2.4).
type CredentialDisplay struct {
	// Name is the credential's display name. REQUIRED.
	Name string `json:"name"`
	// Locale is a BCP 47 language tag. OPTIONAL.
	Locale string `json:"locale,omitempty"`
	// Logo is the credential's logo. OPTIONAL.
	Logo *Logo `json:"logo,omitempty"`
	// Description describes the credential. OPTIONAL.
	Description string `json:"description,omitempty"`
	// BackgroundColor is a CSS color. OPTIONAL.
	BackgroundColor string `json:"background_color,omitempty"`
	// BackgroundImage is a background image (only its uri is used).
	// OPTIONAL.
	BackgroundImage *Logo `json:"background_image,omitempty"`
	// TextColor is a CSS color. OPTIONAL.
	TextColor string `json:"text_color,omitempty"`
}

// ClaimDescription is a claims description object of the issuer metadata
// (Appendix B.2).
type ClaimDescription struct {
	// Path is the claims path pointer of the claim (Appendix C).
	// REQUIRED.
	Path ClaimsPath `json:"path"`
	// Mandatory says the issuer always includes the claim. OPTIONAL.
	Mandatory bool `json:"mandatory,omitempty"`
	// Display is the claim's name per language. OPTIONAL, non-empty, one
	// entry per locale.
	Display []ClaimDisplay `json:"display,omitempty"`
}

// ClaimDisplay is one entry of a claim's display (Appendix B.2).
type ClaimDisplay struct {
	// Name is the claim's display name. OPTIONAL.
	Name string `json:"name,omitempty"`
	// Locale is a BCP 47 language tag. OPTIONAL.
	Locale string `json:"locale,omitempty"`
}

// ClaimsPath is a claims path pointer (Appendix C): a non-empty array
// whose elements are a string (a claim name; for mdoc the first is the
// namespace, the second the element identifier, Appendix C.2), nil (all
// elements of an array) or a non-negative int (one element of an array).
type ClaimsPath []any

// SigningAlgorithm is one entry of credential_signing_alg_values_supported:
// a JOSE algorithm name (Appendix A.3.2) or a COSE algorithm number
// (Appendix A.2.2). Exactly one of the two is set; use [JOSEAlgorithm]
// and [COSEAlgorithm].
type SigningAlgorithm struct {
	// Name is the JOSE algorithm name; empty for a COSE number.
	Name string
	// COSE is the COSE algorithm number, used when Name is empty.
	COSE int64
}

// JOSEAlgorithm returns the SigningAlgorithm of a JOSE algorithm name
// such as "ES256".
func JOSEAlgorithm(name string) SigningAlgorithm { return SigningAlgorithm{Name: name} }

// COSEAlgorithm returns the SigningAlgorithm of a COSE algorithm number
// such as -7 (ES256).
func COSEAlgorithm(n int64) SigningAlgorithm { return SigningAlgorithm{COSE: n} }

// String returns the name, or the number in decimal.
func (a SigningAlgorithm) String() string {
	if a.Name != "" {
		return a.Name
	}
	return strconv.FormatInt(a.COSE, 10)
}

// MarshalJSON encodes a JSON string for a name and a JSON number for a
// COSE algorithm.
func (a SigningAlgorithm) MarshalJSON() ([]byte, error) {
	if a.Name != "" {
		return json.Marshal(a.Name)
	}
	if a.COSE == 0 {
		return nil, fmt.Errorf("oid4vci: empty signing algorithm")
	}
	return []byte(strconv.FormatInt(a.COSE, 10)), nil
}

// AuthorizationServerMetadata is the OAuth 2.0 Authorization Server
// Metadata (RFC 8414 §2) with the members the Pre-Authorized Code Flow
// needs, served at [WellKnownAuthorizationServer] (RFC 8414 §3).
type AuthorizationServerMetadata struct {
	// Issuer is the Authorization Server's issuer identifier: https, no
	// query or fragment. REQUIRED; it MUST equal the identifier the
	// metadata was fetched for (RFC 8414 §3.3).
	Issuer string `json:"issuer"`
	// AuthorizationEndpoint is the URL of the authorization endpoint.
	// REQUIRED by RFC 8414 §2 unless no grant type uses it; absent for a
	// server of the Pre-Authorized Code Flow only.
	AuthorizationEndpoint string `json:"authorization_endpoint,omitempty"`
	// TokenEndpoint is the URL of the token endpoint (§6). REQUIRED here
	// (RFC 8414 §2: unless only the implicit grant is supported).
	TokenEndpoint string `json:"token_endpoint"`
	// ResponseTypesSupported are the OAuth response_type values. RFC 8414
	// §2 requires it, but a server of the Pre-Authorized Code Flow only
	// MAY omit it (§12.2.4).
	ResponseTypesSupported []string `json:"response_types_supported,omitempty"`
	// GrantTypesSupported are the grant types; absent means
	// ["authorization_code", "implicit"] (RFC 8414 §2). An ikdkit issuer
	// lists [GrantTypePreAuthorizedCode].
	GrantTypesSupported []string `json:"grant_types_supported,omitempty"`
	// TokenEndpointAuthMethodsSupported are the client authentication
	// methods of the token endpoint (RFC 8414 §2). OPTIONAL.
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	// PreAuthorizedGrantAnonymousAccessSupported says a Token Request with
	// a pre-authorized code but no client_id is accepted (§12.3).
	// OPTIONAL, default false.
	PreAuthorizedGrantAnonymousAccessSupported bool `json:"pre-authorized_grant_anonymous_access_supported,omitempty"`
	// DPoPSigningAlgValuesSupported are the JWS algorithms accepted in
	// DPoP proofs (RFC 9449 §5.1). OPTIONAL, non-empty; present means the
	// server supports DPoP.
	DPoPSigningAlgValuesSupported []string `json:"dpop_signing_alg_values_supported,omitempty"`
}
