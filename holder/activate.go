package holder

import (
	"context"
	"time"

	"github.com/ikdkit/ikdkit/oid4vci"
)

// IssuerService is the issuer as the wallet reaches it during the earlier
// activation path, [Wallet.Activate]: *issuer.Issuer implements it
// directly. The wallet does not depend on package issuer: the two share
// only the wire types of package oid4vci. Over the network, use
// [Wallet.ReceiveOffer], which speaks OpenID4VCI 1.0 to any issuer.
type IssuerService interface {
	// Nonce returns a fresh c_nonce (OpenID4VCI 1.0 §7).
	Nonce(ctx context.Context) (string, time.Time, error)
	// Redeem redeems the activation code of registrationID with a key
	// proof (OpenID4VCI 1.0 Appendix F.1) and returns the credentials
	// issued to the proven key.
	Redeem(ctx context.Context, registrationID, code, proof string) ([]oid4vci.IssuedCredential, error)
}

// Caps on activation arguments: an issuer's record identifiers and
// activation codes are far shorter.
const (
	maxIDLen   = 256
	maxCodeLen = 256
)

// Activate runs the wallet side of the IKD activation (SOP step 5): it
// creates the device key if the wallet has none, gets a c_nonce, signs the
// OpenID4VCI key proof JWT (Appendix F.1) for issuerID (the Credential
// Issuer Identifier, the proof's aud), redeems registrationID and code, and
// imports every credential that comes back with the checks of Import. The
// credentials and the activity entry are stored in one transaction, so
// either all are stored or none is. An app that reaches its issuer over
// the network uses [Wallet.ReceiveOffer] instead.
func (w *Wallet) Activate(ctx context.Context, svc IssuerService, issuerID, registrationID, code string) ([]*Credential, error) {
	const op = "activate"
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.unlockedLocked(op); err != nil {
		return nil, err
	}
	if svc == nil || issuerID == "" || registrationID == "" || code == "" {
		return nil, errorf(op, ErrInvalidInput, "issuer, issuer identifier, registration and code are required")
	}
	if len(issuerID) > 2048 || len(registrationID) > maxIDLen || len(code) > maxCodeLen {
		return nil, errorf(op, ErrInvalidInput, "argument over its length cap")
	}
	dk, err := w.ensureDeviceKeyLocked(ctx, op)
	if err != nil {
		return nil, err
	}
	nonce, _, err := svc.Nonce(ctx)
	if err != nil {
		return nil, wrapErr(op, ErrActivation, err, "nonce")
	}
	proof, err := oid4vci.SignProof(w.opts.rand(), dk.signer, issuerID, nonce, w.opts.now())
	if err != nil {
		return nil, wrapErr(op, ErrActivation, err, "proof of possession")
	}
	issued, err := svc.Redeem(ctx, registrationID, code, proof)
	if err != nil {
		return nil, wrapErr(op, ErrActivation, err, "issuer")
	}
	if len(issued) == 0 || len(issued) > MaxCredentials {
		return nil, errorf(op, ErrActivation, "issuer returned %d credentials", len(issued))
	}
	var creds []*Credential
	var names []string
	for _, ic := range issued {
		c, err := w.importLocked(ctx, ic.Format, ic.Data)
		if err != nil {
			return nil, err
		}
		creds = append(creds, c)
		names = append(names, c.Name+" ("+string(c.Format)+")")
	}
	act := Activity{Kind: ActivityActivation, Counterparty: issuerID, Verified: true, Credentials: names}
	if err := w.storeCredentials(ctx, creds, act); err != nil {
		return nil, err
	}
	return creds, nil
}
