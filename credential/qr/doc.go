// Package qr implements ikdkit's offline QR presentation format, version 1,
// specified in docs/qr-format.md: a compact, versioned envelope that carries
// SD-JWT VC (RFC 9901, draft-ietf-oauth-sd-jwt-vc) and ISO/IEC 18013-5 mdoc
// presentations in a phone-scannable QR code, so they verify offline.
//
// # First steps
//
// Holder: bind to the verifier and the time with [NewBinding], make a
// presentation with [PresentSDJWT] or [PresentMdoc] (from a QR profile
// credential, see credential.QRType and credential.QRIdentityCheck), pack it
// with [Encode] and render it with package qr/qrcode (qrcode.PNG,
// qrcode.Terminal). Content
// too large for one QR goes into [EncodeFrames].
//
// Verifier: scan with qrcode.ScanImage and hand the payload to package verifier
// (verifier.Verifier.VerifyQR, or VerifyQRFrames for a frame sequence),
// the one place ikdkit decides "verified": it decodes the envelope with
// this package and checks trust, signatures, disclosures, the freshness
// binding (bound to this verifier, at most [FreshnessWindow] old), replay,
// revocation and policy. This package only encodes and decodes: [Decode]
// and [Assembler] return an unverified [Envelope].
//
// Two-way flow: the verifier first shows a signed request QR made with
// package qr/request (request.Encode: a COSE_Sign1 over a compact subset of
// the OpenID4VP DCQL query); the wallet checks it with request.Verify
// against the caller's trust list, shows who is asking, and answers with a
// response bound to the request by request.Verified.Binding; the verifier
// passes the request's nonce to verifier.Verifier.VerifyQRResponse.
//
// # Format
//
// SD-JWT parts travel as raw bytes and are reassembled exactly; mdoc
// certificate chains are replaced by an RFC 9360 x5t and restored from the
// verifier's trust list ([ChainResolver]); the CBOR content is compressed
// with DEFLATE and a preset dictionary when that helps, framed with CRCs,
// and carried as base45 (RFC 9285) in QR alphanumeric mode or as raw bytes
// in byte mode, whichever needs the smaller QR.
//
// # Untrusted input
//
// Decoding checks the prefix and version, the checksums, the framing and
// the decompressed size (capped at 64 KiB) before decoding the
// CBOR strictly. Every error is an *[Error] wrapping one sentinel
// (ErrPrefix, ErrVersion, ErrChecksum, ErrTruncated, ErrTooLarge, ...).
//
// WARNING: nothing this package returns is verified. In the one-way flow a
// QR can be replayed within the window; package verifier remembers what it
// accepted and refuses a replay.
package qr
