package issuer

import (
	"errors"
	"time"

	"github.com/ikdkit/ikdkit/oid4vci"
)

// verifyProof checks an OpenID4VCI key proof JWT (package oid4vci) for this
// issuer: aud is Config.Identifier, iat within Config.ProofMaxAge. The
// nonce is then spent by the caller, in its transaction.
func (iss *Issuer) verifyProof(op, token string, now time.Time) (*oid4vci.Proof, error) {
	pr, err := oid4vci.VerifyProof(token, oid4vci.ProofOptions{
		Audience: iss.cfg.Identifier, Now: now, MaxAge: iss.cfg.ProofMaxAge, ClockSkew: iss.cfg.ClockSkew,
	})
	switch {
	case err == nil:
		return pr, nil
	case errors.Is(err, oid4vci.ErrInvalidNonce):
		return nil, errorf(op, ErrNonce, "%v", err)
	default:
		return nil, errorf(op, ErrProof, "%v", err)
	}
}
