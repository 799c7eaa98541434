package sdjwt

import (
	"crypto"
	"crypto/rand"
	"io"
	"time"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/internal/jose"
)

// TypeKeyBinding is the typ of a Key Binding JWT (RFC 9901 §4.3).
const TypeKeyBinding = "kb+jwt"

// KeyBindingOptions configure the Key Binding JWT a holder appends.
type KeyBindingOptions struct {
	// Signer is the holder's key, the one whose public half is in the
	// SD-JWT's cnf claim. Required. Used only through crypto.Signer, so a
	// key in a phone's keystore works.
	Signer crypto.Signer
	// Audience is the verifier the presentation is for (aud). Required.
	Audience string
	// Nonce binds the presentation to the verifier's request (nonce). Required.
	Nonce string
	// IssuedAt is the KB-JWT's iat. Required: pass the clock's time.
	IssuedAt time.Time
	// Rand is the randomness for signing; nil means crypto/rand.
	Rand io.Reader
}

// Present appends a Key Binding JWT (RFC 9901 §4.3) to the SD-JWT and
// returns the SD-JWT+KB. Call [Unverified.Select] first to choose what to
// disclose. The KB-JWT's sd_hash covers exactly the returned string up to
// and including its last '~'.
func (u *Unverified) Present(opts KeyBindingOptions) (string, error) {
	if opts.Signer == nil || opts.Audience == "" || opts.Nonce == "" || opts.IssuedAt.IsZero() {
		return "", newErr(check.Input, ErrOptions, "key binding needs Signer, Audience, Nonce and IssuedAt")
	}
	js, err := jose.NewSigner(opts.Signer)
	if err != nil {
		return "", newErr(check.Input, ErrAlgorithm, "holder key: %v", err)
	}
	sd := u.String()
	header, err := jose.Header(js.Algorithm(), TypeKeyBinding, nil)
	if err != nil {
		return "", err
	}
	// RFC 9901 §4.3: iat, aud, nonce and sd_hash are required; sd_hash uses
	// the _sd_alg hash over the presentation's ASCII (§4.3.1).
	payload, err := marshalJSON(map[string]any{
		"iat":     opts.IssuedAt.Unix(),
		"aud":     opts.Audience,
		"nonce":   opts.Nonce,
		"sd_hash": b64Digest(u.p.hash, sd),
	})
	if err != nil {
		return "", err
	}
	r := opts.Rand
	if r == nil {
		r = rand.Reader
	}
	kb, err := js.Sign(r, header, payload)
	if err != nil {
		return "", newErr(check.Input, ErrSigner, "%v", err)
	}
	return sd + kb, nil
}
