package mdoc

import (
	"crypto/sha256"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// Session transcripts. Device authentication signs or MACs the
// SessionTranscript (ISO 18013-5 §9.1.5.1):
//
//	SessionTranscript = [DeviceEngagementBytes / null, EReaderKeyBytes / null, Handover]
//
// [Present] and [Verify] take it as CBOR bytes, so any handover works:
// ISO 18013-5 proximity (NFC/QR), ISO 18013-7 and OpenID4VP, and ikdkit's
// offline QR handover. The builders below produce the OpenID4VP forms with
// deterministic CBOR.

// SessionTranscript encodes [deviceEngagementBytes, eReaderKeyBytes,
// handover]. The first two are the complete tag-24 items (as sent in the
// engagement) or nil for CBOR null; handover is the complete encoded
// Handover item.
func SessionTranscript(deviceEngagementBytes, eReaderKeyBytes, handover []byte) ([]byte, error) {
	item := func(b []byte) (any, error) {
		if b == nil {
			return nil, nil
		}
		if err := strictcbor.Wellformed(b); err != nil {
			return nil, errorf(ErrInvalidArgument, "transcript part: %v", err)
		}
		return cbor.RawMessage(b), nil
	}
	de, err := item(deviceEngagementBytes)
	if err != nil {
		return nil, err
	}
	rk, err := item(eReaderKeyBytes)
	if err != nil {
		return nil, err
	}
	if handover == nil {
		return nil, errorf(ErrInvalidArgument, "handover is required (use CBOR null, 0xf6, for QR engagement)")
	}
	ho, err := item(handover)
	if err != nil {
		return nil, err
	}
	return marshal([]any{de, rk, ho})
}

// OpenID4VPSessionTranscript builds the SessionTranscript of OpenID4VP 1.0
// Appendix B.2.6.1 (redirect-based flows):
//
//	SessionTranscript = [null, null, ["OpenID4VPHandover", SHA-256(OpenID4VPHandoverInfoBytes)]]
//	OpenID4VPHandoverInfo = [clientId, nonce, jwkThumbprint / null, responseUri]
//
// jwkThumbprint is the RFC 7638 SHA-256 thumbprint of the verifier's
// response encryption key when the response is encrypted, nil otherwise.
func OpenID4VPSessionTranscript(clientID, nonce string, jwkThumbprint []byte, responseURI string) ([]byte, error) {
	var jt any
	if jwkThumbprint != nil {
		jt = jwkThumbprint
	}
	info, err := marshal([]any{clientID, nonce, jt, responseURI})
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(info)
	return marshal([]any{nil, nil, []any{"OpenID4VPHandover", h[:]}})
}

// OpenID4VPDCAPISessionTranscript builds the SessionTranscript of OpenID4VP
// 1.0 Appendix B.2.6.2 (Digital Credentials API):
//
//	SessionTranscript = [null, null, ["OpenID4VPDCAPIHandover", SHA-256(OpenID4VPDCAPIHandoverInfoBytes)]]
//	OpenID4VPDCAPIHandoverInfo = [origin, nonce, jwkThumbprint / null]
func OpenID4VPDCAPISessionTranscript(origin, nonce string, jwkThumbprint []byte) ([]byte, error) {
	var jt any
	if jwkThumbprint != nil {
		jt = jwkThumbprint
	}
	info, err := marshal([]any{origin, nonce, jt})
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(info)
	return marshal([]any{nil, nil, []any{"OpenID4VPDCAPIHandover", h[:]}})
}

// OID4VPDraftSessionTranscript builds the older ISO 18013-7 (2024 draft,
// Annex B) / OpenID4VP draft handover that some wallets and @auth0/mdl
// still use:
//
//	SessionTranscript = [null, null, [clientIdHash, responseUriHash, nonce]]
//	clientIdHash    = SHA-256(CBOR([clientId, mdocGeneratedNonce]))
//	responseUriHash = SHA-256(CBOR([responseUri, mdocGeneratedNonce]))
//
// Prefer [OpenID4VPSessionTranscript] for OpenID4VP 1.0.
func OID4VPDraftSessionTranscript(mdocGeneratedNonce, clientID, responseURI, verifierNonce string) ([]byte, error) {
	ci, err := marshal([]any{clientID, mdocGeneratedNonce})
	if err != nil {
		return nil, err
	}
	ru, err := marshal([]any{responseURI, mdocGeneratedNonce})
	if err != nil {
		return nil, err
	}
	a, b := sha256.Sum256(ci), sha256.Sum256(ru)
	return marshal([]any{nil, nil, []any{a[:], b[:], verifierNonce}})
}
