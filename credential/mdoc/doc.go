// Package mdoc implements the mobile document (mdoc) data model and security
// mechanisms of ISO/IEC 18013-5:2021 (mDL), used by ikdkit to carry IKD
// credentials such as the KTP-el as mdocs.
//
// Three roles, three entry points:
//
//   - Issuing authority: [Issuer.Issue] builds the IssuerSignedItems and the
//     MobileSecurityObject (MSO) and signs it as issuerAuth, a COSE_Sign1
//     with the document signer (DS) certificate chain in x5chain.
//   - Holder: [Present] builds a DeviceResponse that discloses only the
//     requested elements and authenticates the device with a deviceSignature
//     over the session transcript.
//   - Reader (verifier): [Verify] checks the DS certificate path to the
//     caller's IACA roots, the issuer signature, the value digests, the
//     validity window and device authentication (deviceSignature or
//     deviceMac) and returns a [VerifiedResponse], which only Verify makes
//     and which holds only verified elements. Each [VerifiedDocument] gives
//     its [VerifiedDocument.DeviceAuthenticationDigest], a per-document
//     replay key.
//
// Carriers too small for the document signer certificates (ikdkit's
// offline QR) use [DetachChains] and [AttachChains], which swap each
// issuerAuth x5chain for an RFC 9360 x5t and back without touching
// anything signed.
//
// Session transcripts are passed as CBOR bytes, so every handover works; see
// [OpenID4VPSessionTranscript], [OpenID4VPDCAPISessionTranscript],
// [OID4VPDraftSessionTranscript] and [SessionTranscript].
//
// # Keys and algorithms
//
// Private keys are [crypto.Signer]s, so hardware-backed keys work. ES256 is
// the baseline; ES384, ES512 and EdDSA are also supported. The COSE
// messages (RFC 9052) go through ikdkit's one COSE implementation
// (internal/cose), and the COSE algorithm always follows from the key (the
// DS certificate's key, the MSO device key): the protected header must
// name exactly it. deviceMac verification uses
// HMAC 256/256 with EMacKey derived by ECDH between the reader's ephemeral
// key ([VerifyOptions].ReaderKey) and the device key.
//
// # Untrusted input
//
// Decoding is strict (ikdkit's one set of CBOR rules, internal/strictcbor):
// duplicate map keys, indefinite lengths, unexpected tags, trailing bytes
// and wrong major types are rejected, and the ISO 18013-5 structures are
// closed: a member their definition does not list (an unknown or
// misspelled name, an integer key) is malformed, never skipped — a bit
// flip in a member name must not drop what it held. Only the Token Status
// List "status" map in the MSO admits other status mechanisms beside
// status_list. Sizes are capped by [MaxMessageSize], [MaxNestingDepth],
// [MaxContainerItems], [MaxDocuments] and [MaxChainLength]. Digests and MACs
// are computed over the tag-24 bytes exactly as received, never over a
// re-encoding. A partially decoded structure is never used. The structures
// on the verification path are decoded by hand-written decoders that read
// the bytes in place (no reflection, no copies of the embedded tag-24
// items); a differential fuzz target holds them to the rules of the strict
// reflection-based decoder they replace.
//
// # Errors
//
// [Verify] fails with a *[check.Error], the one error type of ikdkit's
// verifying packages. Its Credential is the index of the document in the
// DeviceResponse (-1 when the failure concerns none in particular), its
// Detail names the docType as received, and its Err is a sentinel of this
// package; its Check names the step:
//
//   - [check.Input]: the caller's options ([ErrInvalidArgument]);
//   - [check.Format]: CBOR structure, caps and required members
//     ([ErrMalformed], [ErrTooLarge], [ErrNoDocuments], [ErrResponseStatus]);
//   - [check.Trust]: the DS certificate path and the Annex B profile
//     ([ErrUntrustedIssuer]; the crypto/x509 error is the Cause);
//   - [check.Signature]: the issuerAuth signature ([ErrInvalidSignature],
//     [ErrUnsupportedAlgorithm]);
//   - [check.Disclosure]: the docType and the value digests
//     ([ErrDocTypeMismatch], [ErrDigestMismatch], [ErrDuplicate]);
//   - [check.Validity]: the MSO validity window ([ErrExpired],
//     [ErrNotYetValid]), always checked, and reported only after the issuer
//     signature verified;
//   - [check.HolderBinding]: deviceSignature or deviceMac
//     ([ErrInvalidSignature], [ErrInvalidMAC], [ErrDeviceAuth]).
//
// # Revocation
//
// Verify does not check revocation. The MSO may carry a Token Status List
// reference ([StatusReference], draft-ietf-oauth-status-list); check it with
// a status list client.
package mdoc
