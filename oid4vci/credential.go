package oid4vci

import (
	"encoding/json"

	"github.com/ikdkit/ikdkit/credential"
)

// NonceResponse is the Nonce Response (§7.2). The issuer sends it with
// Cache-Control: no-store (§7.2; [WriteJSON] does).
type NonceResponse struct {
	// CNonce is the fresh, unpredictable challenge for the key proofs.
	// REQUIRED.
	CNonce string `json:"c_nonce"`
}

// Proof types (Appendix F).
const (
	// ProofTypeAttestation is the proof_type of a key attestation sent
	// without proof of possession (Appendix F.3).
	ProofTypeAttestation = "attestation"
)

// CredentialRequest is a Credential Request (§8.2), sent as
// application/json with the access token.
type CredentialRequest struct {
	// CredentialIdentifier names a Credential Dataset from the Token
	// Response's authorization_details. Exactly one of it and
	// CredentialConfigurationID is set (§8.2).
	CredentialIdentifier string `json:"credential_identifier,omitempty"`
	// CredentialConfigurationID names a key of
	// credential_configurations_supported. Exactly one of it and
	// CredentialIdentifier is set (§8.2).
	CredentialConfigurationID string `json:"credential_configuration_id,omitempty"`
	// Proofs are the key proofs of the keys to bind the credentials to.
	// OPTIONAL; REQUIRED when the configuration has proof_types_supported
	// (§8.2).
	Proofs *Proofs `json:"proofs,omitempty"`
	// CredentialResponseEncryption asks for an encrypted response
	// (§8.2). ikdkit implements no JWE: [ParseCredentialRequest] refuses
	// a request carrying it with invalid_encryption_parameters, since
	// answering in clear what the wallet asked to be encrypted would
	// defeat its purpose.
	CredentialResponseEncryption *CredentialResponseEncryption `json:"credential_response_encryption,omitempty"`
}

// Proofs is the proofs object of a Credential Request (§8.2): exactly one
// proof type, with a non-empty array.
type Proofs struct {
	// JWT are key proof JWTs (Appendix F.1; see [SignProof] and
	// [VerifyProofs]).
	JWT []string `json:"jwt,omitempty"`
	// Attestation is one key attestation JWT (Appendix F.3; see
	// [VerifyKeyAttestation]).
	Attestation []string `json:"attestation,omitempty"`
}

// CredentialResponseEncryption is credential_response_encryption of a
// Credential Request (§8.2).
type CredentialResponseEncryption struct {
	// JWK is the wallet's public encryption key. REQUIRED; kept as JSON
	// text.
	JWK json.RawMessage `json:"jwk"`
	// Enc is the JWE enc algorithm. REQUIRED.
	Enc string `json:"enc"`
	// Zip is the JWE zip algorithm. OPTIONAL.
	Zip string `json:"zip,omitempty"`
}

// CredentialResponse is a Credential Response (§8.3): issued credentials
// (HTTP 200), or a transaction_id for deferred issuance (HTTP 202).
type CredentialResponse struct {
	// Credentials are the issued credentials, in the order of the proofs.
	// OPTIONAL, non-empty; not with TransactionID.
	Credentials []CredentialEntry `json:"credentials,omitempty"`
	// TransactionID identifies a deferred issuance (§9). OPTIONAL; not
	// with Credentials.
	TransactionID string `json:"transaction_id,omitempty"`
	// Interval is the least number of seconds to wait before asking the
	// Deferred Credential Endpoint. REQUIRED with TransactionID, positive.
	Interval int64 `json:"interval,omitempty"`
	// NotificationID identifies this issuance at the Notification
	// Endpoint (§11.1). OPTIONAL; only with Credentials.
	NotificationID string `json:"notification_id,omitempty"`
}

// CredentialEntry is one element of a Credential Response's credentials
// (§8.3).
type CredentialEntry struct {
	// Credential is the issued credential: the compact SD-JWT VC for
	// dc+sd-jwt (Appendix A.3.4), base64url of the CBOR IssuerSigned for
	// mso_mdoc (Appendix A.2.4). REQUIRED. ikdkit accepts only string
	// credentials, which both its formats are.
	Credential string `json:"credential"`
}

// IssuedCredential is one credential an issuer returned (a Credential
// Response entry, §8.3) with the format of the configuration it was issued
// under (Appendix A): a compact SD-JWT VC for [credential.FormatSDJWT], the
// CBOR IssuerSigned structure for [credential.FormatMdoc] (decoded from the
// base64url the response carries, Appendix A.2.4).
type IssuedCredential struct {
	// Format is the credential's format.
	Format credential.Format
	// Data is the credential: SD-JWT VC text or IssuerSigned CBOR.
	Data []byte
}
