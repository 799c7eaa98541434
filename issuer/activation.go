package issuer

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ikdkit/ikdkit/credential"
)

// Input caps (documented so callers can pre-validate).
const (
	// MaxEmailLen is the longest email address accepted (RFC 5321 §4.5.3.1.3
	// limits a path to 256 octets including the angle brackets).
	MaxEmailLen = 254
	// MaxActorLen is the longest operator or actor identifier.
	MaxActorLen = 128
	// MaxIDLen is the longest record identifier accepted.
	MaxIDLen = 64
)

// RegisterRequest is what a person enters in the app (IKD SOP step 3).
type RegisterRequest struct {
	NIK   string
	Email string
	// Phone is an Indonesian mobile number: +62…, 62… or 08…; it is stored
	// in E.164 form (+62…).
	Phone string
}

func checkActor(actor string) error {
	if actor == "" || len(actor) > MaxActorLen || !utf8.ValidString(actor) || strings.ContainsAny(actor, "\x00\r\n") {
		return errorf("actor", ErrInvalidInput, "actor must be 1 to %d printable bytes", MaxActorLen)
	}
	return nil
}

func checkID(op, id string) error {
	if id == "" || len(id) > MaxIDLen {
		return errorf(op, ErrInvalidInput, "identifier must be 1 to %d bytes", MaxIDLen)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return errorf(op, ErrInvalidInput, "identifier has a character outside [a-z0-9]")
		}
	}
	return nil
}

// normalizePhone returns an Indonesian mobile number in E.164 form.
func normalizePhone(s string) (string, bool) {
	if len(s) > 32 {
		return "", false
	}
	s = strings.NewReplacer(" ", "", "-", "").Replace(s)
	switch {
	case strings.HasPrefix(s, "+62"):
		s = s[3:]
	case strings.HasPrefix(s, "62"):
		s = s[2:]
	case strings.HasPrefix(s, "0"):
		s = s[1:]
	default:
		return "", false
	}
	// Indonesian mobile numbers start with 8 and have 9 to 12 digits after
	// the country code (ITU-T E.164 national significant number).
	if len(s) < 9 || len(s) > 12 || s[0] != '8' {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	return "+62" + s, true
}

func checkEmail(s string) bool {
	if len(s) > MaxEmailLen || !utf8.ValidString(s) {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s && strings.Count(s, "@") == 1
}

// Register records a registration (IKD SOP step 3). Nothing can be issued
// until an operator confirms it with [Issuer.Confirm].
func (iss *Issuer) Register(ctx context.Context, req RegisterRequest) (*Registration, error) {
	r, err := iss.register(ctx, req)
	iss.observe(ctx, "register", err)
	return r, err
}

// register is Register without the report of its outcome.
func (iss *Issuer) register(ctx context.Context, req RegisterRequest) (*Registration, error) {
	const op = "register"
	nik, err := credential.ParseNIK(req.NIK)
	if err != nil {
		return nil, errorf(op, ErrInvalidInput, "nik: %v", err)
	}
	if !checkEmail(req.Email) {
		return nil, errorf(op, ErrInvalidInput, "email is not a plain address of at most %d bytes", MaxEmailLen)
	}
	phone, ok := normalizePhone(req.Phone)
	if !ok {
		return nil, errorf(op, ErrInvalidInput, "phone is not an Indonesian mobile number")
	}
	id, err := iss.newID()
	if err != nil {
		return nil, err
	}
	r := &Registration{ID: id, NIK: nik.String(), Email: req.Email, Phone: phone, CreatedAt: iss.now()}
	err = iss.cfg.Store.Update(ctx, func(tx Tx) error {
		if err := tx.InsertRegistration(r); err != nil {
			return err
		}
		return iss.audit(tx, "holder", op, id, nil, "")
	})
	if err != nil {
		return nil, wrapStore(op, err)
	}
	return r, nil
}

// ActivationGrant is what an operator's confirmation gives: a credential
// offer (OpenID4VCI 1.0 §4) for the person's documents, redeemed through
// the [Handler]. The offer's secrets are returned only here: the store
// keeps their hashes.
type ActivationGrant struct {
	RegistrationID string
	// Offer is the credential offer for the person's documents; its
	// tx_code is the one-time activation PIN to e-mail.
	Offer *Offer
}

// Confirm records that operator has verified the person of the registration
// in front of them (IKD SOP step 4) and makes a credential offer ([Offer])
// for the configurations of the person's documents (every format, and the
// QR profile of a KTP-el): a pre-authorized code of 256 bits and a tx_code
// of Config.TxCodeLength digits, both stored only as hashes, valid for
// Config.OfferTTL, single use, dead after Config.MaxCodeAttempts wrong
// tx_codes. Confirming again withdraws the earlier offers of the
// registration. The documents are looked up now, so a person without
// documents, or with one of a type the issuer is not authorised for, is
// not confirmed (ErrNotFound, ErrUnauthorizedType); an issuer without a
// DocumentSource confirms nobody (ErrConfig).
func (iss *Issuer) Confirm(ctx context.Context, operator, registrationID string) (*ActivationGrant, error) {
	g, err := iss.confirm(ctx, operator, registrationID)
	iss.observe(ctx, "confirm", err)
	return g, err
}

// confirm is Confirm without the report of its outcome.
func (iss *Issuer) confirm(ctx context.Context, operator, registrationID string) (*ActivationGrant, error) {
	const op = "confirm"
	if err := checkActor(operator); err != nil {
		return nil, err
	}
	if err := checkID(op, registrationID); err != nil {
		return nil, err
	}
	var reg *Registration
	err := iss.cfg.Store.View(ctx, func(tx Tx) error {
		var err error
		reg, err = tx.Registration(registrationID)
		return err
	})
	if err != nil {
		return nil, iss.auditFailure(ctx, operator, op, registrationID, wrapStore(op, err))
	}
	nik, err := credential.ParseNIK(reg.NIK)
	if err != nil {
		return nil, errorf(op, ErrStore, "stored NIK: %v", err)
	}
	docs, err := iss.documents(ctx, op, nik)
	if err != nil {
		return nil, iss.auditFailure(ctx, operator, op, registrationID, err)
	}
	sec, err := iss.newOfferSecrets(iss.cfg.TxCodeLength)
	if err != nil {
		return nil, err
	}
	now := iss.now()
	g := &ActivationGrant{RegistrationID: registrationID}
	err = iss.cfg.Store.Update(ctx, func(tx Tx) error {
		r, err := tx.Registration(registrationID)
		if err != nil {
			return err
		}
		r.ConfirmedAt, r.ConfirmedBy = now, operator
		if err := tx.UpdateRegistration(r); err != nil {
			return err
		}
		if err := iss.audit(tx, operator, op, registrationID, nil, ""); err != nil {
			return err
		}
		g.Offer, err = iss.newOffer(tx, operator, r, iss.configurationsFor(docs), sec, now)
		return err
	})
	if err != nil {
		return nil, iss.auditFailure(ctx, operator, op, registrationID, wrapStore(op, err))
	}
	return g, nil
}

func nonceHash(nonce string) []byte {
	h := sha256.Sum256([]byte("ikdkit/issuer c_nonce v1\x00" + nonce))
	return h[:]
}

// Nonce makes a fresh c_nonce (OpenID4VCI 1.0 §7, Nonce Endpoint): 256
// random bits, stored as a hash, single use, valid for Config.NonceTTL.
func (iss *Issuer) Nonce(ctx context.Context) (nonce string, expires time.Time, err error) {
	var raw [32]byte
	if _, err := io.ReadFull(iss.cfg.Rand, raw[:]); err != nil {
		return "", time.Time{}, errorf("nonce", ErrSigning, "random source: %v", err)
	}
	nonce = base64.RawURLEncoding.EncodeToString(raw[:])
	now := iss.now()
	expires = now.Add(iss.cfg.NonceTTL)
	err = iss.cfg.Store.Update(ctx, func(tx Tx) error {
		if err := tx.DeleteExpiredNonces(now); err != nil {
			return err
		}
		return tx.InsertNonce(nonceHash(nonce), expires)
	})
	if err != nil {
		return "", time.Time{}, wrapStore("nonce", err)
	}
	return nonce, expires, nil
}

// ReportLost handles a lost-phone report made in person (Permendagri
// 72/2022 Pasal 21: blocking on report): the NIK's active binding and every
// credential bound to it are revoked in one transaction. The person can
// activate a new device afterwards. It fails with ErrNotFound if the NIK has
// no active binding.
func (iss *Issuer) ReportLost(ctx context.Context, operator, nik string) (revoked int, err error) {
	revoked, err = iss.reportLost(ctx, operator, nik)
	iss.observe(ctx, "report_lost", err)
	return revoked, err
}

// reportLost is ReportLost without the report of its outcome.
func (iss *Issuer) reportLost(ctx context.Context, operator, nik string) (revoked int, err error) {
	const op = "report lost"
	if err := checkActor(operator); err != nil {
		return 0, err
	}
	n, err := credential.ParseNIK(nik)
	if err != nil {
		return 0, errorf(op, ErrInvalidInput, "nik: %v", err)
	}
	now := iss.now()
	var subject string
	err = iss.cfg.Store.Update(ctx, func(tx Tx) error {
		b, err := tx.ActiveBinding(n.String())
		if err != nil {
			return err
		}
		subject = b.ID
		if err := tx.RevokeBinding(b.ID, now, "lost phone reported"); err != nil {
			return err
		}
		if revoked, err = tx.RevokeCredentialsOfBinding(b.ID, now); err != nil {
			return err
		}
		return iss.audit(tx, operator, op, b.ID, nil, "")
	})
	if err != nil {
		return 0, iss.auditFailure(ctx, operator, op, subject, wrapStore(op, err))
	}
	return revoked, nil
}

// Revoke revokes one credential by its ID. Revoking a revoked credential
// succeeds and changes nothing.
func (iss *Issuer) Revoke(ctx context.Context, operator, credentialID string) error {
	err := iss.revoke(ctx, operator, credentialID)
	iss.observe(ctx, "revoke", err)
	return err
}

// revoke is Revoke without the report of its outcome.
func (iss *Issuer) revoke(ctx context.Context, operator, credentialID string) error {
	const op = "revoke"
	if err := checkActor(operator); err != nil {
		return err
	}
	if err := checkID(op, credentialID); err != nil {
		return err
	}
	now := iss.now()
	err := iss.cfg.Store.Update(ctx, func(tx Tx) error {
		changed, err := tx.RevokeCredential(credentialID, now)
		if err != nil {
			return err
		}
		detail := ""
		if !changed {
			detail = "already revoked"
		}
		return iss.audit(tx, operator, op, credentialID, nil, detail)
	})
	if err != nil {
		return iss.auditFailure(ctx, operator, op, credentialID, wrapStore(op, err))
	}
	return nil
}

// Credential returns the record of an issued credential.
func (iss *Issuer) Credential(ctx context.Context, id string) (*CredentialRecord, error) {
	if err := checkID("credential", id); err != nil {
		return nil, err
	}
	var c *CredentialRecord
	err := iss.cfg.Store.View(ctx, func(tx Tx) error {
		var err error
		c, err = tx.Credential(id)
		return err
	})
	return c, wrapStore("credential", err)
}

// Binding returns a device binding.
func (iss *Issuer) Binding(ctx context.Context, id string) (*Binding, error) {
	if err := checkID("binding", id); err != nil {
		return nil, err
	}
	var b *Binding
	err := iss.cfg.Store.View(ctx, func(tx Tx) error {
		var err error
		b, err = tx.Binding(id)
		return err
	})
	return b, wrapStore("binding", err)
}

// spendNonce uses up a c_nonce inside tx: it must be one this issuer gave
// out, unexpired, and is used once (OpenID4VCI 1.0 §7.2, Appendix F.4).
// A nonce that fails those checks is returned as bad; err is a store
// failure.
func spendNonce(tx Tx, op, nonce string, now time.Time) (bad, err error) {
	exp, err := tx.ConsumeNonce(nonceHash(nonce))
	if isErr(err, ErrNotFound) {
		return errorf(op, ErrNonce, "unknown or already used nonce"), nil
	} else if err != nil {
		return nil, err
	}
	if now.After(exp) {
		return errorf(op, ErrNonce, "nonce expired at %v", exp), nil
	}
	return nil, nil
}
