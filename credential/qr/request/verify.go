package request

import (
	"bytes"
	"time"

	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/qr/internal/wire"
	"github.com/ikdkit/ikdkit/internal/cose"
)

// Options configure [Verify].
type Options struct {
	// Verifiers finds the registered verifier of a request. Required.
	Verifiers VerifierLookup
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// ClockSkew is the tolerance on the request's validity period; at most
	// qr.MaxClockSkew (30 s).
	ClockSkew time.Duration
}

// Verified is a request whose signature verified with the key of a
// registered verifier, within its validity period, asking only for types
// the verifier is registered for and claims its registration allows. Only
// [Verify] makes one; its getters return copies.
type Verified struct {
	req      Request
	verifier RegisteredVerifier
}

// Request returns the verified request.
func (v *Verified) Request() Request { return v.req.clone() }

// Verifier returns the registration the request verified against: show
// its Name to the holder.
func (v *Verified) Verifier() RegisteredVerifier { return v.verifier.clone() }

// Binding returns the binding of the holder's response to this request
// (docs/qr-format.md §5): the verifier as audience, the time now (whole
// seconds), the request's nonce. Pass it to qr.PresentSDJWT or
// qr.PresentMdoc.
func (v *Verified) Binding(now time.Time) qr.Binding {
	return qr.Binding{Audience: v.req.Verifier, IssuedAt: now.Truncate(time.Second).UTC(), Nonce: bytes.Clone(v.req.Nonce)}
}

// Verify decodes a request QR payload and verifies it (docs/qr-format.md
// §10.3), in this order: the prefix, framing and structure (qr.ErrPrefix,
// qr.ErrVersion, qr.ErrChecksum, qr.ErrMalformed, ...); the verifier and
// kid against opts.Verifiers ([ErrUnregisteredVerifier]); the signature
// with the registered key, the algorithm following from the key
// ([ErrSignature]); the validity period ([ErrExpired]); and that every
// credential type asked for is registered for the verifier, even with no
// claims, and every claim is allowed by the registration
// ([ErrNotAllowed]). Expiry and authorisation are reported only for an
// authentic request. Every error is a *qr.Error with Op "request".
func Verify(data []byte, opts Options) (*Verified, error) {
	if opts.Verifiers == nil {
		return nil, errorf("request", qr.ErrOptions, "Verifiers is required")
	}
	if opts.ClockSkew < 0 || opts.ClockSkew > qr.MaxClockSkew {
		return nil, errorf("request", qr.ErrOptions, "ClockSkew must be 0 to %v", qr.MaxClockSkew)
	}
	body, err := wire.Unwrap(wire.KindRequest, data)
	if err != nil {
		return nil, fromWire(err)
	}
	content, err := wire.UnframeBody(body)
	if err != nil {
		return nil, fromWire(err)
	}
	m, err := parseSign1(content)
	if err != nil {
		return nil, err
	}
	req, err := decodeRequestPayload(m.payload)
	if err != nil {
		return nil, err
	}

	reg, err := opts.Verifiers(req.Verifier, m.kid)
	if err != nil || reg == nil {
		return nil, wrapErr("request", ErrUnregisteredVerifier, err, "verifier %q, kid %q", req.Verifier, m.kid)
	}
	// RFC 9052 §8.1 and RFC 8725-style pinning: the algorithm follows from
	// the registered key; the protected header must name exactly that one
	// (internal/cose), and the signature covers the request's external_aad.
	if err := m.msg.Verify(reg.Key, requestAAD); err != nil {
		return nil, wrapErr("request", ErrSignature, err, "verifier %q", req.Verifier)
	}

	// Authentic from here on.
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	at := now()
	if at.Add(opts.ClockSkew).Before(req.IssuedAt) {
		return nil, errorf("request", ErrExpired, "issued at %v, in the future", req.IssuedAt)
	}
	if !at.Add(-opts.ClockSkew).Before(req.Expires) {
		return nil, errorf("request", ErrExpired, "expired at %v", req.Expires)
	}
	for _, c := range req.Query.Credentials {
		for _, typ := range c.Types() {
			// docs/qr-format.md §10.3 (issue 17, finding 7): every type
			// asked for is registered, zero claims included: a
			// presentation without disclosures still reveals iss, vct,
			// cnf, the status index and issuing_authority.
			if _, ok := reg.Claims[typ]; !ok {
				return nil, errorf("request", ErrNotAllowed, "%s is not registered for %s", reg.ID, typ)
			}
			for _, cl := range c.Claims {
				if !reg.MayRequest(c.Format, typ, cl.Path) {
					return nil, errorf("request", ErrNotAllowed, "%s may not request %v of %s", reg.ID, cl.Path, typ)
				}
			}
		}
	}
	return &Verified{req: *req, verifier: reg.clone()}, nil
}

// requestSign1 is a request's COSE_Sign1, parsed but not verified.
type requestSign1 struct {
	msg                           *cose.Sign1
	protected, payload, signature []byte
	kid                           string
}

// parseSign1 decodes the request's COSE_Sign1 strictly (docs/qr-format.md
// §10.2; RFC 9052 §4.2 through internal/cose): untagged, protected header
// exactly {1: alg, 4: kid}, empty unprotected header, attached payload.
func parseSign1(b []byte) (*requestSign1, error) {
	msg, err := cose.ParseSign1(b, cose.Untagged)
	if err != nil {
		return nil, wrapErr("request", qr.ErrMalformed, err, "COSE_Sign1")
	}
	if msg.Unprotected.Len() != 0 {
		return nil, errorf("request", qr.ErrMalformed, "unprotected header must be an empty map")
	}
	// A detached (nil) payload is not allowed: the request is the payload.
	if msg.Detached {
		return nil, errorf("request", qr.ErrMalformed, "payload is not a bstr")
	}
	if len(msg.Signature) > maxSignatureLen {
		return nil, errorf("request", qr.ErrMalformed, "signature is not a bstr of 1 to %d bytes", maxSignatureLen)
	}
	if msg.Protected.Len() != 2 {
		return nil, errorf("request", qr.ErrMalformed, "protected header must hold exactly alg and kid")
	}
	if _, ok, err := msg.Protected.Int(cose.HeaderAlg); !ok || err != nil {
		return nil, errorf("request", qr.ErrMalformed, "protected header alg is not an integer")
	}
	kid, ok, err := msg.Protected.Bytes(cose.HeaderKID)
	if !ok || err != nil || len(kid) == 0 || len(kid) > maxStringLen {
		return nil, errorf("request", qr.ErrMalformed, "protected header kid is not a bstr of 1 to %d bytes", maxStringLen)
	}
	return &requestSign1{msg: msg, protected: msg.RawProtected, payload: msg.Payload, signature: msg.Signature, kid: string(kid)}, nil
}
