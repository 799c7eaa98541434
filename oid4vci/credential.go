package oid4vci

import (
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/internal/strictjson"
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

// Caps on the Nonce and Credential Endpoints' messages.
const (
	// MaxProofs caps the proofs of one Credential Request (and so the
	// credentials of one response), whatever batch_size an issuer
	// advertises.
	MaxProofs = 64
	// MaxCredentialRequestSize caps the body of a Credential Request.
	MaxCredentialRequestSize = 1 << 20
	// MaxCredentialResponseSize caps the body of a Credential Response.
	MaxCredentialResponseSize = 4 << 20
	// MaxNonceResponseSize caps the body of a Nonce Response.
	MaxNonceResponseSize = 4 << 10
	// maxCredentialDepth caps JSON nesting of Credential Requests and
	// Responses; credential_response_encryption.jwk.x5c is at depth 4.
	maxCredentialDepth = 8
)

// ParseNonceResponse parses a Nonce Response (§7.2) strictly: c_nonce
// REQUIRED, a non-empty string of at most [MaxNonceLen] bytes.
func ParseNonceResponse(data []byte) (*NonceResponse, error) {
	f, err := decodeObject("nonce response", data, MaxNonceResponseSize, 2)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	r := &NonceResponse{CNonce: f.Str("c_nonce", true)}
	if len(r.CNonce) > MaxNonceLen {
		f.Failf("c_nonce", "%d bytes, over %d", len(r.CNonce), MaxNonceLen)
	}
	if err := f.Err(); err != nil {
		return nil, fmt.Errorf("%w: nonce response: %v", ErrMalformed, err)
	}
	return r, nil
}

// ReadCredentialRequest reads the Credential Request of r for a Credential
// Endpoint: an HTTP POST with an application/json body (§8.2: an
// unencrypted request MUST be application/json; ikdkit accepts no
// encrypted ones) of at most [MaxCredentialRequestSize] bytes, parsed with
// [ParseCredentialRequest]. Errors are *ProtocolError for [WriteError].
// The access token is read with [ReadAccessToken].
func ReadCredentialRequest(r *http.Request) (*CredentialRequest, error) {
	body, err := readJSONRequest(r, MaxCredentialRequestSize, CodeInvalidCredentialRequest)
	if err != nil {
		return nil, err
	}
	return ParseCredentialRequest(body)
}

// readJSONRequest checks method and media type and reads the body of a
// JSON request, failing with code.
func readJSONRequest(r *http.Request, max int, code string) ([]byte, error) {
	bad := func(status int, d string) error {
		return &ProtocolError{Status: status, Code: code, Description: d, Err: ErrMalformed}
	}
	if r.Method != http.MethodPost {
		return nil, bad(http.StatusMethodNotAllowed, "the endpoint takes POST")
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, bad(http.StatusBadRequest, "the body must be application/json")
	}
	body, err := readBody(r.Body, max)
	if err != nil {
		return nil, bad(http.StatusBadRequest, err.Error())
	}
	return body, nil
}

// ParseCredentialRequest parses a Credential Request (§8.2) strictly.
// Errors are *ProtocolError (wrapping [ErrMalformed]) with the code of
// §8.3.1.2:
//
//   - invalid_credential_request: not a JSON object, a duplicate member,
//     or not exactly one of credential_identifier and
//     credential_configuration_id;
//   - invalid_proof: proofs without exactly one proof type, a proof type
//     other than jwt (Appendix F.1) and attestation (Appendix F.3), an
//     empty jwt array or more than [MaxProofs], an attestation array
//     without exactly one JWT;
//   - invalid_encryption_parameters: credential_response_encryption is
//     present, malformed or not; ikdkit implements no JWE (§10).
//
// The proofs themselves are verified with [VerifyProofs]. Unrecognized
// parameters are ignored (§8.2).
func ParseCredentialRequest(data []byte) (*CredentialRequest, error) {
	fail := func(code, detail string) (*CredentialRequest, error) {
		return nil, &ProtocolError{Status: http.StatusBadRequest, Code: code, Description: detail,
			Err: fmt.Errorf("%w: credential request: %s", ErrMalformed, detail)}
	}
	f, err := decodeObject("credential request", data, MaxCredentialRequestSize, maxCredentialDepth)
	if err != nil {
		return fail(CodeInvalidCredentialRequest, err.Error())
	}
	r := &CredentialRequest{
		CredentialIdentifier:      f.Str("credential_identifier", false),
		CredentialConfigurationID: f.Str("credential_configuration_id", false),
	}
	// §8.2: exactly one of credential_identifier and
	// credential_configuration_id.
	if f.Err() == nil && (r.CredentialIdentifier == "") == (r.CredentialConfigurationID == "") {
		f.Failf("", "exactly one of credential_identifier and credential_configuration_id is required")
	}
	if err := f.Err(); err != nil {
		return fail(CodeInvalidCredentialRequest, err.Error())
	}
	if p, ok := f.Object("proofs", false); ok {
		// §8.2: proofs holds exactly one proof type, with a non-empty
		// array.
		if len(p.Map()) != 1 {
			f.Failf("proofs", "%d proof types; exactly one is allowed", len(p.Map()))
		}
		r.Proofs = &Proofs{}
		switch {
		case p.Has(ProofTypeJWT):
			r.Proofs.JWT = p.Strs(ProofTypeJWT, true, false, MaxProofs)
			for i, t := range r.Proofs.JWT {
				if len(t) > MaxProofSize {
					p.Failf(ProofTypeJWT, "proof %d is over the %d-byte cap", i, MaxProofSize)
				}
			}
		case p.Has(ProofTypeAttestation):
			// Appendix F: an array that contains exactly one JWT.
			r.Proofs.Attestation = p.Strs(ProofTypeAttestation, true, false, 1)
			if len(r.Proofs.Attestation) == 1 && len(r.Proofs.Attestation[0]) > MaxKeyAttestationSize {
				p.Failf(ProofTypeAttestation, "over the %d-byte cap", MaxKeyAttestationSize)
			}
		default:
			for name := range p.Map() {
				p.Failf("", "proof type %.32q is not supported", name)
			}
		}
	}
	if err := f.Err(); err != nil {
		return fail(CodeInvalidProof, err.Error())
	}
	if e, ok := f.Object("credential_response_encryption", false); ok {
		r.CredentialResponseEncryption = &CredentialResponseEncryption{
			JWK: e.Raw("jwk", true),
			Enc: e.Str("enc", true),
			Zip: e.Str("zip", false),
		}
		if _, ok := e.Object("jwk", true); ok && e.Err() == nil {
			// §10: ikdkit cannot encrypt the response, and a request
			// asking for encryption MUST NOT be answered in clear.
			e.Failf("", "encrypted credential responses are not supported")
		}
	}
	if err := f.Err(); err != nil {
		return fail(CodeInvalidEncryptionParameters, err.Error())
	}
	return r, nil
}

// ParseCredentialResponse parses a Credential Response (§8.3) strictly
// (see [ErrMalformed]): either credentials, a non-empty array of at most
// [MaxProofs] objects each with a string credential, with an optional
// notification_id; or a transaction_id with a positive interval (HTTP
// 202, deferred issuance). §8.3: credentials and transaction_id MUST NOT
// both be present, interval only with transaction_id, notification_id
// only with credentials. A credential that is a JSON object (possible for
// other formats) is refused: ikdkit's formats are strings.
func ParseCredentialResponse(data []byte) (*CredentialResponse, error) {
	f, err := decodeObject("credential response", data, MaxCredentialResponseSize, maxCredentialDepth)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	r := &CredentialResponse{
		TransactionID:  f.Str("transaction_id", false),
		NotificationID: f.Str("notification_id", false),
	}
	for i, v := range f.Array("credentials", false, MaxProofs) {
		e, ok := f.Elem("credentials", i, v)
		if !ok {
			break
		}
		r.Credentials = append(r.Credentials, CredentialEntry{Credential: e.Str("credential", true)})
	}
	if v, ok := f.Get("interval", false); ok {
		r.Interval = readInterval(f, v)
	}
	if f.Err() == nil {
		switch {
		case r.Credentials != nil && r.TransactionID != "":
			f.Failf("", "credentials and transaction_id both present")
		case r.Credentials == nil && r.TransactionID == "":
			f.Failf("", "neither credentials nor transaction_id")
		case r.TransactionID != "" && r.Interval == 0:
			f.Failf("interval", "required with transaction_id")
		case r.Credentials != nil && f.Has("interval"):
			f.Failf("interval", "not allowed with credentials")
		case r.Credentials == nil && r.NotificationID != "":
			f.Failf("notification_id", "only allowed with credentials")
		}
	}
	if err := f.Err(); err != nil {
		return nil, fmt.Errorf("%w: credential response: %v", ErrMalformed, err)
	}
	return r, nil
}

// readInterval reads interval (§8.3): a positive number of seconds,
// rounded up to whole seconds.
func readInterval(f *strictjson.Fields, v any) int64 {
	n, ok := v.(json.Number)
	if !ok {
		f.Failf("interval", "not a number")
		return 0
	}
	x, err := strconv.ParseFloat(string(n), 64)
	if err != nil || !(x > 0) || x > 1<<31 {
		f.Failf("interval", "not a positive number of seconds")
		return 0
	}
	return int64(math.Ceil(x))
}

// NewCredentialResponse returns the Credential Response (§8.3) of issued
// credentials: an SD-JWT VC as its compact text (Appendix A.3.4), an mdoc
// as base64url of its IssuerSigned CBOR (Appendix A.2.4).
// notificationID may be empty.
func NewCredentialResponse(issued []IssuedCredential, notificationID string) (*CredentialResponse, error) {
	if len(issued) == 0 || len(issued) > MaxProofs {
		return nil, fmt.Errorf("%w: %d credentials in a response", ErrMalformed, len(issued))
	}
	r := &CredentialResponse{NotificationID: notificationID}
	for i, c := range issued {
		var s string
		switch c.Format {
		case credential.FormatSDJWT:
			// Appendix A.3.4: the SD-JWT VC, not re-encoded.
			if len(c.Data) == 0 || !utf8.Valid(c.Data) {
				return nil, fmt.Errorf("%w: credential %d: an SD-JWT VC must be non-empty text", ErrMalformed, i)
			}
			s = string(c.Data)
		case credential.FormatMdoc:
			// Appendix A.2.4: base64url of the CBOR IssuerSigned.
			if len(c.Data) == 0 {
				return nil, fmt.Errorf("%w: credential %d: empty mdoc", ErrMalformed, i)
			}
			s = jose.Encode(c.Data)
		default:
			return nil, fmt.Errorf("%w: credential %d: format %.32q is not supported", ErrMalformed, i, c.Format)
		}
		r.Credentials = append(r.Credentials, CredentialEntry{Credential: s})
	}
	return r, nil
}

// Issued returns the credentials of r as issued under a configuration of
// format: an SD-JWT VC as its text, an mdoc decoded from base64url
// (canonical, unpadded; Appendix A.2.4) to its IssuerSigned CBOR. A
// deferred response (transaction_id) has none and is an error. The
// credentials are not verified here: verify them (package verifier or
// holder's import) before storing them.
func (r *CredentialResponse) Issued(format credential.Format) ([]IssuedCredential, error) {
	if len(r.Credentials) == 0 {
		return nil, fmt.Errorf("%w: credential response holds no credentials (deferred: %v)", ErrMalformed, r.TransactionID != "")
	}
	out := make([]IssuedCredential, 0, len(r.Credentials))
	for i, c := range r.Credentials {
		ic := IssuedCredential{Format: format}
		switch format {
		case credential.FormatSDJWT:
			ic.Data = []byte(c.Credential)
		case credential.FormatMdoc:
			b, err := jose.Decode(c.Credential)
			if err != nil || len(b) == 0 {
				return nil, fmt.Errorf("%w: credential %d: mdoc not in base64url: %v", ErrMalformed, i, err)
			}
			ic.Data = b
		default:
			return nil, fmt.Errorf("%w: format %.32q is not supported", ErrMalformed, format)
		}
		out = append(out, ic)
	}
	return out, nil
}
