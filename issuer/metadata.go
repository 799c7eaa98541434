package issuer

import (
	"encoding/json"
	"fmt"
	"maps"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/cose"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// metadataLocale is the locale of a label in the issuer metadata: the
// Indonesian labels stay id-ID, the English ones (en-US in the Type
// Metadata) are published as plain en, which every English-speaking
// wallet locale matches.
func metadataLocale(l string) string {
	if l == "en-US" {
		return "en"
	}
	return l
}

// typeLabels are the parts of a type's Type Metadata (or mdoc claims
// document) the issuer metadata uses.
type typeLabels struct {
	Display []struct {
		Locale      string `json:"locale"`
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"display"`
	Claims []struct {
		Path    []any `json:"path"`
		Display []struct {
			Locale string `json:"locale"`
			Label  string `json:"label"`
		} `json:"display"`
		Mandatory bool `json:"mandatory"`
	} `json:"claims"`
}

// claimDescriptions turns the claims of a Type Metadata or mdoc claims
// document into claims descriptions (Appendix B.2), leaving out vct (the
// configuration says it).
func claimDescriptions(doc []byte) (disp []oid4vci.CredentialDisplay, claims []oid4vci.ClaimDescription, err error) {
	var l typeLabels
	if err := json.Unmarshal(doc, &l); err != nil {
		return nil, nil, err
	}
	for _, d := range l.Display {
		disp = append(disp, oid4vci.CredentialDisplay{Name: d.Name, Locale: metadataLocale(d.Locale), Description: d.Description})
	}
	for _, c := range l.Claims {
		if len(c.Path) == 1 && c.Path[0] == "vct" {
			continue
		}
		cd := oid4vci.ClaimDescription{Path: oid4vci.ClaimsPath(c.Path), Mandatory: c.Mandatory}
		for _, d := range c.Display {
			cd.Display = append(cd.Display, oid4vci.ClaimDisplay{Name: d.Label, Locale: metadataLocale(d.Locale)})
		}
		claims = append(claims, cd)
	}
	return disp, claims, nil
}

// qrProfileMetadata describes the KTP-el's compact QR-profile credential
// (credential.QRType, docs/qr-format.md §6): its four disclosable units.
func qrProfileMetadata(f credential.Format) *oid4vci.CredentialMetadata {
	path := func(name string) oid4vci.ClaimsPath {
		if f == credential.FormatMdoc {
			return oid4vci.ClaimsPath{credential.DocTypeQR, name}
		}
		return oid4vci.ClaimsPath{name}
	}
	claim := func(name, id, en string) oid4vci.ClaimDescription {
		return oid4vci.ClaimDescription{Path: path(name), Mandatory: true,
			Display: []oid4vci.ClaimDisplay{{Name: id, Locale: "id-ID"}, {Name: en, Locale: "en"}}}
	}
	return &oid4vci.CredentialMetadata{
		Display: []oid4vci.CredentialDisplay{
			{Name: "KTP-el untuk kode QR", Locale: "id-ID", Description: "Kredensial ringkas KTP-el untuk ditunjukkan sebagai kode QR (berlaku paling lama 30 hari)."},
			{Name: "KTP-el for QR codes", Locale: "en", Description: "Compact KTP-el credential shown as a QR code (valid for at most 30 days)."},
		},
		Claims: []oid4vci.ClaimDescription{
			claim(credential.QRClaimID, "Identitas (NIK, nama, tanggal lahir, jenis kelamin)", "Identity (NIK, name, date of birth, sex)"),
			claim(credential.QRClaimAddress, "Alamat (jalan, RT/RW, kelurahan/desa, kecamatan, kabupaten/kota, provinsi)", "Address (street, RT/RW, village, district, regency/city, province)"),
			claim(credential.QRClaimAgeOver17, "Usia 17 tahun ke atas", "Age 17 or over"),
			claim(credential.QRClaimAgeOver18, "Usia 18 tahun ke atas", "Age 18 or over"),
		},
	}
}

// configurationMetadata describes configuration c (§12.2.4, Appendix
// A.2.2, A.3.2).
func (h *Handler) configurationMetadata(c configuration) (oid4vci.CredentialConfiguration, error) {
	var algs []string
	for _, a := range keys.Algorithms() {
		algs = append(algs, string(a))
	}
	proof := oid4vci.ProofTypeMetadata{ProofSigningAlgValuesSupported: algs}
	if req, ok := h.cfg.KeyAttestation.Required[c.t.VCT]; ok {
		r := req
		proof.KeyAttestationsRequired = &r
	}
	cc := oid4vci.CredentialConfiguration{
		Format:              c.format,
		ProofTypesSupported: map[string]oid4vci.ProofTypeMetadata{oid4vci.ProofTypeJWT: proof},
	}
	switch c.format {
	case credential.FormatSDJWT:
		cc.VCT = c.vct()
		cc.CryptographicBindingMethodsSupported = []string{"jwk"}
		cc.CredentialSigningAlgValuesSupported = []oid4vci.SigningAlgorithm{oid4vci.JOSEAlgorithm(string(h.iss.alg))}
	case credential.FormatMdoc:
		cc.Doctype = c.docType()
		cc.CryptographicBindingMethodsSupported = []string{"cose_key"}
		// Appendix A.2.2: COSE algorithm numbers (-7 for ES256), which is
		// also what @openid4vc/openid4vci needs to read a configuration
		// as OpenID4VCI 1.0.
		id, ok := cose.AlgorithmID(h.iss.alg)
		if !ok {
			return cc, fmt.Errorf("no COSE algorithm for %s", h.iss.alg)
		}
		cc.CredentialSigningAlgValuesSupported = []oid4vci.SigningAlgorithm{oid4vci.COSEAlgorithm(id)}
	}
	if c.profile == ProfileQR {
		cc.CredentialMetadata = qrProfileMetadata(c.format)
		return cc, nil
	}
	// The display names and the SD-JWT VC claims come from the type's
	// Type Metadata, the mdoc data elements from its mdoc claims.
	tm, err := credential.TypeMetadata(c.t.VCT)
	if err != nil {
		return cc, err
	}
	disp, claims, err := claimDescriptions(tm)
	if err != nil {
		return cc, err
	}
	if c.format == credential.FormatMdoc {
		mc, err := credential.MdocClaims(c.t.DocType)
		if err != nil {
			return cc, err
		}
		if _, claims, err = claimDescriptions(mc); err != nil {
			return cc, err
		}
	}
	cc.CredentialMetadata = &oid4vci.CredentialMetadata{Display: disp, Claims: claims}
	return cc, nil
}

// issuerMetadata builds the Credential Issuer Metadata (§12.2.4).
func (h *Handler) issuerMetadata() (*oid4vci.CredentialIssuerMetadata, error) {
	md := &oid4vci.CredentialIssuerMetadata{
		CredentialIssuer:                  h.iss.cfg.Identifier,
		CredentialEndpoint:                h.url(pathCredential),
		NonceEndpoint:                     h.url(pathNonce),
		NotificationEndpoint:              h.url(pathNotification),
		Display:                           h.cfg.Display,
		CredentialConfigurationsSupported: map[string]oid4vci.CredentialConfiguration{},
	}
	if h.cfg.BatchSize >= 2 {
		md.BatchCredentialIssuance = &oid4vci.BatchCredentialIssuance{BatchSize: h.cfg.BatchSize}
	}
	for _, id := range h.iss.configOrder {
		cc, err := h.configurationMetadata(h.iss.configs[id])
		if err != nil {
			return nil, fmt.Errorf("configuration %s: %v", id, err)
		}
		md.CredentialConfigurationsSupported[id] = cc
	}
	if err := md.Validate(); err != nil {
		return nil, err
	}
	return md, nil
}

// authorizationServerMetadata builds the OAuth 2.0 Authorization Server
// Metadata (RFC 8414 §2) of the Pre-Authorized Code Flow: the issuer is
// its own Authorization Server.
func (h *Handler) authorizationServerMetadata() (*oid4vci.AuthorizationServerMetadata, error) {
	var algs []string
	for _, a := range keys.Algorithms() {
		algs = append(algs, string(a))
	}
	md := &oid4vci.AuthorizationServerMetadata{
		Issuer:              h.iss.cfg.Identifier,
		TokenEndpoint:       h.url(pathToken),
		GrantTypesSupported: []string{oid4vci.GrantTypePreAuthorizedCode, oid4vci.GrantTypeRefreshToken},
		PreAuthorizedGrantAnonymousAccessSupported: len(h.cfg.ClientIDs) == 0,
		DPoPSigningAlgValuesSupported:              algs,
	}
	if err := md.Validate(); err != nil {
		return nil, err
	}
	return md, nil
}

// cloneRequirements copies a map of key attestation requirements.
func cloneRequirements(m map[string]oid4vci.KeyAttestationRequirement) map[string]oid4vci.KeyAttestationRequirement {
	return maps.Clone(m)
}
