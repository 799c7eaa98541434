package qr

import (
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"io"
	"time"

	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/qr/internal/wire"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// FreshnessWindow is how long a response QR is valid after its binding time
// (docs/qr-format.md §5), matching the 90 seconds of the IKD app's QR.
const FreshnessWindow = 90 * time.Second

// MaxClockSkew is the most a verifier may tolerate a binding time in the
// future (package verifier bounds Config.ClockSkew by it).
const MaxClockSkew = 30 * time.Second

// handoverName is the first element of the offline-QR Handover.
const handoverName = "IKDOfflineQRHandover1"

// NewBinding returns a one-way binding to the verifier aud at time now with
// a fresh random nonce of 8 bytes from r (nil means
// crypto/rand). The nonce lets a verifier reject a replayed QR within the
// freshness window.
func NewBinding(aud string, now time.Time, r io.Reader) (Binding, error) {
	if r == nil {
		r = rand.Reader
	}
	n := make([]byte, wire.DefaultNonceSize)
	if _, err := io.ReadFull(r, n); err != nil {
		return Binding{}, wrapErr("encode", ErrOptions, err, "nonce randomness")
	}
	b := Binding{Audience: aud, IssuedAt: now.Truncate(time.Second).UTC(), Nonce: n}
	if err := checkBinding(b); err != nil {
		return Binding{}, err
	}
	return b, nil
}

// OfflineSessionTranscript builds ikdkit's offline-QR SessionTranscript
// (docs/qr-format.md §5.2), which the mdoc deviceSignature signs:
//
//	SessionTranscript = [null, null, Handover]
//	Handover = ["IKDOfflineQRHandover1", aud: tstr, iat: uint, nonce: bstr]
//
// aud is the verifier identifier, iat the binding time in seconds since the
// Unix epoch, nonce the binding nonce. Like the OpenID4VP handovers
// (OpenID4VP 1.0 Appendix B.2.6) there is no device engagement and no reader
// key, so DeviceEngagementBytes and EReaderKeyBytes are null; device
// authentication must be a deviceSignature, since deviceMac needs a reader
// key.
func OfflineSessionTranscript(b Binding) ([]byte, error) {
	if err := checkBinding(b); err != nil {
		return nil, err
	}
	ho, err := strictcbor.Marshal([]any{handoverName, b.Audience, uint64(b.IssuedAt.Unix()), b.Nonce})
	if err != nil {
		return nil, err
	}
	return mdoc.SessionTranscript(nil, nil, ho)
}

// nonceString is the KB-JWT nonce for a binding nonce: unpadded base64url.
func nonceString(n []byte) string { return base64.RawURLEncoding.EncodeToString(n) }

// PresentSDJWT makes an SD-JWT VC presentation for a QR: it keeps the
// disclosures for paths and appends a KB-JWT with aud, iat and nonce from
// b (RFC 9901 §4.3), signed by the holder key.
func PresentSDJWT(cred *sdjwt.Unverified, paths []sdjwt.Path, b Binding, holder crypto.Signer, r io.Reader) (Presentation, error) {
	if cred == nil || holder == nil {
		return Presentation{}, errorf("encode", ErrOptions, "credential and holder key are required")
	}
	if err := checkBinding(b); err != nil {
		return Presentation{}, err
	}
	sel, err := cred.Select(paths...)
	if err != nil {
		return Presentation{}, wrapErr("encode", ErrOptions, err, "select")
	}
	s, err := sel.Present(sdjwt.KeyBindingOptions{
		Signer: holder, Audience: b.Audience, Nonce: nonceString(b.Nonce), IssuedAt: b.IssuedAt, Rand: r,
	})
	if err != nil {
		return Presentation{}, wrapErr("encode", ErrOptions, err, "key binding")
	}
	return Presentation{SDJWT: s}, nil
}

// PresentMdoc makes an mdoc presentation for a QR: a DeviceResponse
// disclosing request (namespace → element identifiers) whose
// deviceSignature covers [OfflineSessionTranscript] of b.
func PresentMdoc(cred *mdoc.IssuerSigned, request map[string][]string, b Binding, device crypto.Signer, r io.Reader) (Presentation, error) {
	st, err := OfflineSessionTranscript(b)
	if err != nil {
		return Presentation{}, err
	}
	dr, err := mdoc.Present(cred, request, mdoc.PresentOptions{SessionTranscript: st, DeviceKey: device, Rand: r})
	if err != nil {
		return Presentation{}, wrapErr("encode", ErrOptions, err, "mdoc present")
	}
	return Presentation{Mdoc: &MdocPresentation{DeviceResponse: dr, Binding: b}}, nil
}
