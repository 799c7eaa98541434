// Package qr implements the response envelope and frame sequences of
// ikdkit's offline QR presentation format (docs/qr-format.md §2–§9;
// [Encode] writes response envelope version 2, [Decode] reads versions 1
// and 2): a compact, versioned envelope that carries SD-JWT VC (RFC 9901,
// draft-ietf-oauth-sd-jwt-vc) and ISO/IEC 18013-5 mdoc presentations in a
// phone-scannable QR code, so that they verify offline.
//
// Two packages complete it: package qr/request is the verifier's signed
// request QR of the two-way flow (§10), and package qr/qrcode draws a
// [Code] as an image and scans images back to payloads (§11). The QR
// profile credentials a presentation is usually made from (§6) are types
// of package credential (credential.QRType, credential.QRFullType).
//
// # First steps
//
// Holder: bind to the verifier and the time with [NewBinding] (or, in
// answer to a request QR, with the binding request.Verified.Binding
// gives), make a presentation with [PresentSDJWT] or [PresentMdoc] — from
// a QR profile credential, disclosing credential.QRIdentityCheck or
// credential.QRAddressCheck or credential.QRAgeCheck — pack it with [Encode], and show the [Code] with
// qrcode.PNG or qrcode.Terminal. Content too large for one QR (the full
// KTP-el with its portrait) goes into a frame sequence with
// [EncodeFrames].
//
// Verifier: scan with qrcode.ScanImage and hand the payload to package
// verifier (verifier.Verifier.VerifyQR, VerifyQRResponse in the two-way
// flow, VerifyQRFrames for a frame sequence), the one place ikdkit decides
// "verified": it decodes the envelope with this package and checks trust,
// signatures, disclosures, the freshness binding (bound to this verifier,
// at most [FreshnessWindow] old), replay, revocation and policy. This
// package only encodes and decodes: [Decode] and [Assembler] return an
// unverified [Envelope].
//
// # Format
//
// SD-JWT parts travel as raw bytes and are reassembled exactly; mdoc
// certificate chains are replaced by an RFC 9360 x5t ([DocumentSignerRef])
// and restored from the verifier's trust list ([ChainResolver],
// [MdocPresentation.WithChain]). In version 2 each part is carried without
// what the decoder derives byte for byte (disclosed digests, the KB-JWT
// sd_hash, P-256 y coordinates) and with its random bytes in a tail stored
// after the DEFLATE stream (§4.3, §4.4). The CBOR content is compressed
// with DEFLATE and a preset dictionary when that helps, framed with CRCs, and
// carried as base45 (RFC 9285) in QR alphanumeric mode or as raw bytes in
// byte mode, whichever needs the smaller QR at error correction level M.
//
// # Untrusted input
//
// Decoding checks the payload size ([MaxPayloadSize]), the prefix and
// version, the checksums, the framing and the decompressed size (capped at
// 64 KiB) before decoding the CBOR strictly (at most [MaxPresentations]
// presentations). Every error is an *[Error] wrapping one sentinel
// (ErrPrefix, ErrVersion, ErrChecksum, ErrTruncated, ErrTooLarge, ...), so
// callers branch with errors.Is and errors.As; packages qr/request and
// qr/qrcode return the same *Error.
//
// WARNING: nothing this package returns is verified. In the one-way flow a
// QR can be replayed within the window; package verifier remembers what it
// accepted and refuses a replay.
package qr
