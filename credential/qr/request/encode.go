package request

import (
	"crypto"
	"crypto/rand"
	"io"

	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/qr/internal/wire"
	"github.com/ikdkit/ikdkit/internal/cose"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// SignOptions configure [Encode].
type SignOptions struct {
	// Signer is the verifier's registered key; it is used only through
	// crypto.Signer, so an HSM key works. ES256 (P-256) is the baseline;
	// the algorithm follows from the key.
	Signer crypto.Signer
	// KeyID is the kid of the key in the verifier's trust-list entry.
	KeyID string
	// Rand is the signing randomness; nil means crypto/rand.
	Rand io.Reader
}

// NewNonce returns a fresh random request nonce of 8 bytes from r (nil
// means crypto/rand).
func NewNonce(r io.Reader) ([]byte, error) {
	if r == nil {
		r = rand.Reader
	}
	n := make([]byte, wire.DefaultNonceSize)
	if _, err := io.ReadFull(r, n); err != nil {
		return nil, wrapErr("request", qr.ErrOptions, err, "nonce randomness")
	}
	return n, nil
}

// Encode signs a request with the verifier's key and packs it into a
// request QR payload (docs/qr-format.md §10): a COSE_Sign1 (RFC 9052 §4.2)
// whose protected header holds the algorithm and the kid of the
// verifier's trust-list entry, framed, compressed and carried like a
// response (§2, §3) behind the prefix "IKR1". Show the Code with package
// qr/qrcode. An invalid request or option fails with qr.ErrOptions.
func Encode(req Request, opts SignOptions) (qr.Code, error) {
	if opts.Signer == nil {
		return qr.Code{}, errorf("request", qr.ErrOptions, "Signer is required")
	}
	if opts.KeyID == "" || len(opts.KeyID) > maxStringLen {
		return qr.Code{}, errorf("request", qr.ErrOptions, "KeyID must be 1 to %d bytes", maxStringLen)
	}
	if err := checkRequest(&req); err != nil {
		return qr.Code{}, errorf("request", qr.ErrOptions, "%s", err)
	}
	signer, err := cose.NewSigner(opts.Signer)
	if err != nil {
		return qr.Code{}, wrapErr("request", qr.ErrOptions, err, "signer")
	}
	payload, err := strictcbor.Marshal(wireRequestOf(&req))
	if err != nil {
		return qr.Code{}, wrapErr("request", qr.ErrOptions, err, "payload")
	}
	r := opts.Rand
	if r == nil {
		r = rand.Reader
	}
	// docs/qr-format.md §10.2: untagged, protected {1: alg, 4: kid}, empty
	// unprotected header, attached payload, external_aad "IKDQRRequest1".
	msg, err := signer.Sign1(r, cose.Sign1Params{Form: cose.Untagged, Payload: payload, ExternalAAD: requestAAD,
		Protected: []cose.HeaderParam{{Label: cose.HeaderKID, Value: []byte(opts.KeyID)}}})
	if err != nil {
		return qr.Code{}, wrapErr("request", qr.ErrOptions, err, "signing")
	}
	body, err := wire.FrameBody(msg)
	if err != nil {
		return qr.Code{}, fromWire(err)
	}
	p, err := wire.Wrap(wire.KindRequest, body, 0)
	if err != nil {
		return qr.Code{}, fromWire(err)
	}
	mode := qr.Byte
	if p.Mode == wire.Alphanumeric {
		mode = qr.Alphanumeric
	}
	return qr.Code{Data: p.Data, Mode: mode, Version: p.Version}, nil
}
