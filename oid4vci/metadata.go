package oid4vci

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/strictjson"
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
	// lists [GrantTypePreAuthorizedCode] and [GrantTypeRefreshToken].
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

// Caps on the metadata a wallet accepts.
const (
	// MaxMetadataSize caps the bytes of Credential Issuer Metadata and
	// of Authorization Server Metadata.
	MaxMetadataSize = 256 << 10
	// MaxCredentialConfigurations caps credential_configurations_supported.
	MaxCredentialConfigurations = 256
	// MaxClaimDescriptions caps the claims of one configuration.
	MaxClaimDescriptions = 1024
	// maxArray caps every other array of the metadata.
	maxArray = 64
	// maxPathLen caps the elements of a claims path pointer.
	maxPathLen = 32
	// maxMetadataDepth caps JSON nesting; the deepest member of §12.2.4,
	// credential_metadata.claims[].display[], is at depth 8.
	maxMetadataDepth = 16
)

// ParseCredentialIssuerMetadata parses unsigned Credential Issuer
// Metadata (§12.2.4) strictly (see [ErrMalformed]) and checks that its
// credential_issuer is identical, by simple string comparison, to issuer,
// the identifier the wallet fetched it for (§12.2.4: otherwise the data
// MUST NOT be used). Every URL must pass [CheckURL]; a dc+sd-jwt
// configuration must have a vct (Appendix A.3.2) and an mso_mdoc one a
// doctype (Appendix A.2.2). Unrecognized members are ignored (§12.2.4).
func ParseCredentialIssuerMetadata(data []byte, issuer string) (*CredentialIssuerMetadata, error) {
	md, err := parseIssuerMetadata(data)
	if err != nil {
		return nil, fmt.Errorf("%w: credential issuer metadata: %v", ErrMalformed, err)
	}
	// §12.2.4: credential_issuer MUST be identical to the identifier the
	// well-known URL was made from, compared without normalization.
	if md.CredentialIssuer != issuer {
		return nil, fmt.Errorf("%w: credential issuer metadata: credential_issuer %.200q is not %.200q", ErrMalformed, md.CredentialIssuer, issuer)
	}
	return md, nil
}

func parseIssuerMetadata(data []byte) (*CredentialIssuerMetadata, error) {
	f, err := decodeObject("metadata", data, MaxMetadataSize, maxMetadataDepth)
	if err != nil {
		return nil, err
	}
	md := &CredentialIssuerMetadata{
		CredentialIssuer:           f.Str("credential_issuer", true),
		AuthorizationServers:       f.Strs("authorization_servers", false, true, maxArray),
		CredentialEndpoint:         f.URL("credential_endpoint", true),
		NonceEndpoint:              f.URL("nonce_endpoint", false),
		DeferredCredentialEndpoint: f.URL("deferred_credential_endpoint", false),
		NotificationEndpoint:       f.URL("notification_endpoint", false),
	}
	// §12.2.1: https URL without query or fragment.
	if md.CredentialIssuer != "" {
		if err := checkIdentifier(md.CredentialIssuer); err != nil {
			f.Failf("credential_issuer", "%v", err)
		}
	}
	for _, as := range md.AuthorizationServers {
		// RFC 8414 §2: an issuer identifier is an https URL without
		// query or fragment.
		if err := checkIdentifier(as); err != nil {
			f.Failf("authorization_servers", "%v", err)
		}
	}
	if e, ok := f.Object("credential_request_encryption", false); ok {
		md.CredentialRequestEncryption = &RequestEncryptionMetadata{
			JWKS:               e.Raw("jwks", true),
			EncValuesSupported: e.Strs("enc_values_supported", true, false, maxArray),
			ZipValuesSupported: e.Strs("zip_values_supported", false, false, maxArray),
			EncryptionRequired: e.Bool("encryption_required", true),
		}
		checkJWKS(e)
	}
	if e, ok := f.Object("credential_response_encryption", false); ok {
		md.CredentialResponseEncryption = &ResponseEncryptionMetadata{
			AlgValuesSupported: e.Strs("alg_values_supported", true, false, maxArray),
			EncValuesSupported: e.Strs("enc_values_supported", true, false, maxArray),
			ZipValuesSupported: e.Strs("zip_values_supported", false, false, maxArray),
			EncryptionRequired: e.Bool("encryption_required", true),
		}
	}
	if b, ok := f.Object("batch_credential_issuance", false); ok {
		// §12.2.4: batch_size REQUIRED, 2 or greater.
		md.BatchCredentialIssuance = &BatchCredentialIssuance{BatchSize: int(b.Int("batch_size", true, 2, 1<<20))}
	}
	if a := f.Array("display", false, maxArray); a != nil {
		locales := map[string]bool{}
		for i, v := range a {
			d, ok := f.Elem("display", i, v)
			if !ok {
				break
			}
			disp := IssuerDisplay{Name: d.Text("name"), Locale: d.Str("locale", false), Logo: readLogo(d, "logo")}
			// §12.2.4: only one object for each language identifier.
			if locales[disp.Locale] {
				d.Failf("locale", "%.64q appears twice in display", disp.Locale)
			}
			locales[disp.Locale] = true
			md.Display = append(md.Display, disp)
		}
	}
	if c, ok := f.Object("credential_configurations_supported", true); ok {
		if len(c.Map()) == 0 {
			f.Failf("credential_configurations_supported", "no configuration")
		}
		if len(c.Map()) > MaxCredentialConfigurations {
			f.Failf("credential_configurations_supported", "%d configurations, over the cap of %d", len(c.Map()), MaxCredentialConfigurations)
		}
		md.CredentialConfigurationsSupported = make(map[string]CredentialConfiguration, len(c.Map()))
		for _, id := range slices.Sorted(maps.Keys(c.Map())) {
			v := c.Map()[id]
			if f.Err() != nil {
				break
			}
			if id == "" {
				c.Failf("", "empty configuration identifier")
				break
			}
			cf, ok := c.Entry("", id, v)
			if !ok {
				break
			}
			md.CredentialConfigurationsSupported[id] = readConfiguration(cf)
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	return md, nil
}

// checkJWKS checks credential_request_encryption.jwks: a JWK Set whose
// keys each have a unique kid (§12.2.4).
func checkJWKS(e *strictjson.Fields) {
	j, ok := e.Object("jwks", true)
	if !ok {
		return
	}
	kids := map[string]bool{}
	for i, v := range j.Array("keys", true, maxArray) {
		k, ok := j.Elem("keys", i, v)
		if !ok {
			return
		}
		kid := k.Str("kid", true)
		k.Str("kty", true)
		if kids[kid] {
			k.Failf("kid", "%.64q appears twice", kid)
		}
		kids[kid] = true
	}
}

func readLogo(f *strictjson.Fields, name string) *Logo {
	l, ok := f.Object(name, false)
	if !ok {
		return nil
	}
	// §12.2.4: uri REQUIRED; https: or data: (the wallet decides).
	return &Logo{URI: l.Str("uri", true), AltText: l.Text("alt_text")}
}

func readConfiguration(f *strictjson.Fields) CredentialConfiguration {
	c := CredentialConfiguration{
		Format:                               credential.Format(f.Str("format", true)),
		Scope:                                f.Str("scope", false),
		CryptographicBindingMethodsSupported: f.Strs("cryptographic_binding_methods_supported", false, true, maxArray),
		VCT:                                  f.Str("vct", false),
		Doctype:                              f.Str("doctype", false),
	}
	switch c.Format {
	case credential.FormatSDJWT:
		// Appendix A.3.2: vct REQUIRED.
		if c.VCT == "" {
			f.Failf("vct", "required member missing for dc+sd-jwt")
		}
	case credential.FormatMdoc:
		// Appendix A.2.2: doctype REQUIRED.
		if c.Doctype == "" {
			f.Failf("doctype", "required member missing for mso_mdoc")
		}
	}
	// §12.2.4: JOSE names (Appendix A.3.2) or COSE numbers (A.2.2).
	for i, v := range f.Array("credential_signing_alg_values_supported", false, maxArray) {
		switch v := v.(type) {
		case string:
			if v == "" {
				f.Failf("credential_signing_alg_values_supported", "element %d is empty", i)
			}
			c.CredentialSigningAlgValuesSupported = append(c.CredentialSigningAlgValuesSupported, JOSEAlgorithm(v))
		default:
			n, ok := strictjson.AsInt(v)
			if !ok || n == 0 {
				f.Failf("credential_signing_alg_values_supported", "element %d is neither a name nor a COSE algorithm number", i)
			}
			c.CredentialSigningAlgValuesSupported = append(c.CredentialSigningAlgValuesSupported, COSEAlgorithm(n))
		}
	}
	if p, ok := f.Object("proof_types_supported", false); ok {
		if len(p.Map()) == 0 || len(p.Map()) > maxArray {
			f.Failf("proof_types_supported", "%d proof types", len(p.Map()))
		}
		c.ProofTypesSupported = map[string]ProofTypeMetadata{}
		for _, name := range slices.Sorted(maps.Keys(p.Map())) {
			v := p.Map()[name]
			pt, ok := p.Entry("", name, v)
			if !ok || name == "" {
				p.Failf("", "bad proof type %.64q", name)
				break
			}
			m := ProofTypeMetadata{ProofSigningAlgValuesSupported: pt.Strs("proof_signing_alg_values_supported", true, false, maxArray)}
			if k, ok := pt.Object("key_attestations_required", false); ok {
				m.KeyAttestationsRequired = &KeyAttestationRequirement{
					KeyStorage:         k.Strs("key_storage", false, false, maxArray),
					UserAuthentication: k.Strs("user_authentication", false, false, maxArray),
				}
			}
			c.ProofTypesSupported[name] = m
		}
	}
	// §12.2.4 says proof_types_supported MUST be present if
	// cryptographic_binding_methods_supported is, and omitted otherwise;
	// the spec's own mso_mdoc example (Appendix A.2.2) has binding
	// methods without proof types. A wallet tolerates that (it can still
	// send jwt proofs); [CredentialIssuerMetadata.Validate] enforces the
	// rule on what an issuer serves.
	if m, ok := f.Object("credential_metadata", false); ok {
		c.CredentialMetadata = readCredentialMetadata(m)
	}
	return c
}

func readCredentialMetadata(f *strictjson.Fields) *CredentialMetadata {
	cm := &CredentialMetadata{}
	locales := map[string]bool{}
	for i, v := range f.Array("display", false, maxArray) {
		d, ok := f.Elem("display", i, v)
		if !ok {
			break
		}
		disp := CredentialDisplay{
			Name:            d.Str("name", true),
			Locale:          d.Str("locale", false),
			Logo:            readLogo(d, "logo"),
			Description:     d.Text("description"),
			BackgroundColor: d.Str("background_color", false),
			BackgroundImage: readLogo(d, "background_image"),
			TextColor:       d.Str("text_color", false),
		}
		// §12.2.4: only one object for each language identifier.
		if locales[disp.Locale] {
			d.Failf("locale", "%.64q appears twice in display", disp.Locale)
		}
		locales[disp.Locale] = true
		cm.Display = append(cm.Display, disp)
	}
	for i, v := range f.Array("claims", false, MaxClaimDescriptions) {
		d, ok := f.Elem("claims", i, v)
		if !ok {
			break
		}
		cd := ClaimDescription{Path: readPath(d), Mandatory: d.Bool("mandatory", false)}
		locales := map[string]bool{}
		for j, v := range d.Array("display", false, maxArray) {
			dd, ok := d.Elem("display", j, v)
			if !ok {
				break
			}
			disp := ClaimDisplay{Name: dd.Text("name"), Locale: dd.Str("locale", false)}
			// Appendix B.2: only one object for each language identifier.
			if locales[disp.Locale] {
				dd.Failf("locale", "%.64q appears twice in display", disp.Locale)
			}
			locales[disp.Locale] = true
			cd.Display = append(cd.Display, disp)
		}
		cm.Claims = append(cm.Claims, cd)
	}
	if f.Err() == nil {
		if err := checkClaims(cm.Claims); err != nil {
			f.Failf("claims", "%v", err)
		}
	}
	return cm
}

// readPath reads a claims path pointer (Appendix C): a non-empty array of
// strings, nulls and non-negative integers.
func readPath(f *strictjson.Fields) ClaimsPath {
	a := f.Array("path", true, maxPathLen)
	var p ClaimsPath
	for i, v := range a {
		switch v := v.(type) {
		case string:
			p = append(p, v)
		case nil:
			p = append(p, nil)
		default:
			n, ok := strictjson.AsInt(v)
			if !ok || n < 0 || n > 1<<31 {
				f.Failf("path", "element %d is not a string, null or non-negative integer", i)
				return nil
			}
			p = append(p, int(n))
		}
	}
	return p
}

// checkClaims applies the processing rules of Appendix B.3: processing
// MUST be aborted when a claim is described twice, when one array is
// addressed both with null and with an index, or when a claim is treated
// both as an array and as an object.
func checkClaims(claims []ClaimDescription) error {
	const (
		kindName  = 1 << iota // a string: the claim is an object
		kindAll               // null: all elements of an array
		kindIndex             // an integer: one element of an array
	)
	seen := map[string]bool{}
	kinds := map[string]int{}
	for i, c := range claims {
		key, err := marshal(c.Path)
		if err != nil {
			return err
		}
		if seen[string(key)] {
			return fmt.Errorf("claim %d: path %s described twice (Appendix B.3)", i, key)
		}
		seen[string(key)] = true
		for j, el := range c.Path {
			prefix, _ := marshal(c.Path[:j])
			k := kindName
			switch el.(type) {
			case nil:
				k = kindAll
			case int:
				k = kindIndex
			}
			all := kinds[string(prefix)] | k
			if all&kindName != 0 && all&(kindAll|kindIndex) != 0 {
				return fmt.Errorf("claim %d: %s is used both as an object and as an array (Appendix B.3)", i, prefix)
			}
			if all&kindAll != 0 && all&kindIndex != 0 {
				return fmt.Errorf("claim %d: array %s is addressed both with null and with an index (Appendix B.3)", i, prefix)
			}
			kinds[string(prefix)] = all
		}
	}
	return nil
}

// Validate checks m as [ParseCredentialIssuerMetadata] would check it
// after a round trip through JSON, so that an issuer never serves
// metadata a wallet refuses, and more strictly than a wallet does: each
// configuration has proof_types_supported exactly when it has
// cryptographic_binding_methods_supported (§12.2.4).
func (m *CredentialIssuerMetadata) Validate() error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("%w: credential issuer metadata: %v", ErrMalformed, err)
	}
	if _, err := ParseCredentialIssuerMetadata(b, m.CredentialIssuer); err != nil {
		return err
	}
	for _, id := range slices.Sorted(maps.Keys(m.CredentialConfigurationsSupported)) {
		c := m.CredentialConfigurationsSupported[id]
		// §12.2.4: proof_types_supported MUST be present if
		// cryptographic_binding_methods_supported is, and omitted
		// otherwise.
		if (len(c.CryptographicBindingMethodsSupported) == 0) != (len(c.ProofTypesSupported) == 0) {
			return fmt.Errorf("%w: credential issuer metadata: configuration %.64q: proof_types_supported must be present exactly when cryptographic_binding_methods_supported is", ErrMalformed, id)
		}
	}
	return nil
}

// AuthorizationServerIDs returns the identifiers of the Authorization
// Servers to use: authorization_servers, or the Credential Issuer
// Identifier when it is absent (§12.2.4: the issuer is then its own
// Authorization Server).
func (m *CredentialIssuerMetadata) AuthorizationServerIDs() []string {
	if len(m.AuthorizationServers) == 0 {
		return []string{m.CredentialIssuer}
	}
	return append([]string(nil), m.AuthorizationServers...)
}

// RequiresEncryption reports whether the issuer requires encrypted
// Credential Requests or Responses (§12.2.4 encryption_required), which
// ikdkit cannot do.
func (m *CredentialIssuerMetadata) RequiresEncryption() bool {
	return (m.CredentialRequestEncryption != nil && m.CredentialRequestEncryption.EncryptionRequired) ||
		(m.CredentialResponseEncryption != nil && m.CredentialResponseEncryption.EncryptionRequired)
}

// ParseAuthorizationServerMetadata parses OAuth 2.0 Authorization Server
// Metadata (RFC 8414 §2) strictly and checks that its issuer is identical
// to issuer, the identifier it was fetched for (RFC 8414 §3.3). The
// token_endpoint is required: the Pre-Authorized Code Flow needs it.
func ParseAuthorizationServerMetadata(data []byte, issuer string) (*AuthorizationServerMetadata, error) {
	md, err := parseASMetadata(data)
	if err != nil {
		return nil, fmt.Errorf("%w: authorization server metadata: %v", ErrMalformed, err)
	}
	// RFC 8414 §3.3: the issuer value MUST be identical to the issuer
	// identifier the metadata URL was made from.
	if md.Issuer != issuer {
		return nil, fmt.Errorf("%w: authorization server metadata: issuer %.200q is not %.200q", ErrMalformed, md.Issuer, issuer)
	}
	return md, nil
}

func parseASMetadata(data []byte) (*AuthorizationServerMetadata, error) {
	f, err := decodeObject("metadata", data, MaxMetadataSize, maxMetadataDepth)
	if err != nil {
		return nil, err
	}
	md := &AuthorizationServerMetadata{
		Issuer:                                     f.Str("issuer", true),
		AuthorizationEndpoint:                      f.URL("authorization_endpoint", false),
		TokenEndpoint:                              f.URL("token_endpoint", true),
		ResponseTypesSupported:                     f.Strs("response_types_supported", false, false, maxArray),
		GrantTypesSupported:                        f.Strs("grant_types_supported", false, false, maxArray),
		TokenEndpointAuthMethodsSupported:          f.Strs("token_endpoint_auth_methods_supported", false, false, maxArray),
		PreAuthorizedGrantAnonymousAccessSupported: f.Bool("pre-authorized_grant_anonymous_access_supported", false),
		DPoPSigningAlgValuesSupported:              f.Strs("dpop_signing_alg_values_supported", false, false, maxArray),
	}
	// RFC 8414 §2: issuer is an https URL without query or fragment.
	if md.Issuer != "" {
		if err := checkIdentifier(md.Issuer); err != nil {
			f.Failf("issuer", "%v", err)
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	return md, nil
}

// Validate checks m as [ParseAuthorizationServerMetadata] would check it
// after a round trip through JSON.
func (m *AuthorizationServerMetadata) Validate() error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("%w: authorization server metadata: %v", ErrMalformed, err)
	}
	_, err = ParseAuthorizationServerMetadata(b, m.Issuer)
	return err
}

// SupportsGrant reports whether grantType is in grant_types_supported,
// whose absence means ["authorization_code", "implicit"] (RFC 8414 §2).
func (m *AuthorizationServerMetadata) SupportsGrant(grantType string) bool {
	g := m.GrantTypesSupported
	if len(g) == 0 {
		g = []string{GrantTypeAuthorizationCode, "implicit"}
	}
	return slices.Contains(g, grantType)
}
