// Package wire is the byte layer of ikdkit's offline QR format
// (docs/qr-format.md §2, §3, §7), shared by package qr (response envelopes
// and frames) and package qr/request (signed request QRs), so that neither
// implements it twice: the payload prefix, the body framing with its CRCs,
// DEFLATE with the preset dictionary of version 1, base45 (RFC 9285) and the
// QR code capacity at error correction level M.
//
// Errors are *[Error] values wrapping one of this package's sentinels;
// packages qr and qr/request re-export the sentinels and turn an *Error into
// their own *qr.Error.
package wire
