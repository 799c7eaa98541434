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
//     deviceMac) and returns only verified elements.
//
// Session transcripts are passed as CBOR bytes, so every handover works; see
// [OpenID4VPSessionTranscript], [OpenID4VPDCAPISessionTranscript],
// [OID4VPDraftSessionTranscript] and [SessionTranscript].
//
// # Keys and algorithms
//
// Private keys are [crypto.Signer]s, so hardware-backed keys work. ES256 is
// the baseline; ES384, ES512 and EdDSA are also supported. The COSE
// algorithm always follows from the key (the DS certificate's key, the MSO
// device key), never from a message header. deviceMac verification uses
// HMAC 256/256 with EMacKey derived by ECDH between the reader's ephemeral
// key ([VerifyOptions].ReaderKey) and the device key.
//
// # Untrusted input
//
// Decoding is strict: duplicate map keys, indefinite lengths, unexpected
// tags, trailing bytes, wrong major types and struct members of the wrong
// case are rejected. Sizes are capped by [MaxMessageSize], [MaxNestingDepth],
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
// [Verify] fails with a *[VerificationError] naming the failed [Check]; it
// unwraps to a sentinel such as [ErrUntrustedIssuer], [ErrDigestMismatch],
// [ErrExpired] or [ErrInvalidMAC]. Validity errors are reported only after
// the issuer signature has been verified.
//
// # Revocation
//
// Verify does not check revocation. The MSO may carry a Token Status List
// reference ([StatusReference], draft-ietf-oauth-status-list); check it with
// a status list client.
package mdoc
