package issuer

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// accessTokenBytes is the entropy of an access token, and of a refresh
// token: 256 bits.
const accessTokenBytes = 32

func accessTokenHash(token string) []byte {
	h := sha256.Sum256([]byte("ikdkit/issuer access token v1\x00" + token))
	return h[:]
}

func refreshTokenHash(token string) []byte {
	h := sha256.Sum256([]byte("ikdkit/issuer refresh token v1\x00" + token))
	return h[:]
}

// newToken draws an access or refresh token: 256 random bits, base64url.
func (iss *Issuer) newToken(op string) (string, error) {
	var raw [accessTokenBytes]byte
	if _, err := io.ReadFull(iss.cfg.Rand, raw[:]); err != nil {
		return "", errorf(op, ErrSigning, "random source: %v", err)
	}
	return base64.RawURLEncoding.EncodeToString(raw[:]), nil
}

// dpopJTIHash keys a DPoP proof's jti in the context of its target URI
// (RFC 9449 §11.1).
func dpopJTIHash(htu, jti string) []byte {
	h := sha256.Sum256([]byte("ikdkit/issuer dpop jti v1\x00" + htu + "\x00" + jti))
	return h[:]
}

// protocolError is an error response whose cause, an *Error of this
// package, names the sentinel the audit log records.
func protocolError(status int, code, op string, sentinel error, format string, args ...any) *oid4vci.ProtocolError {
	e := errorf(op, sentinel, format, args...)
	return &oid4vci.ProtocolError{Status: status, Code: code, Description: e.Detail, Err: e}
}

// grantError is an invalid_grant (§6.3): the pre-authorized code is
// unknown, used, withdrawn, expired or dead, or the tx_code is wrong.
func grantError(sentinel error, format string, args ...any) *oid4vci.ProtocolError {
	return protocolError(http.StatusBadRequest, oid4vci.CodeInvalidGrant, "token", sentinel, format, args...)
}

// tokenGrant is what a successful token request gives.
type tokenGrant struct {
	token, refresh string
	sess           *Session
}

// tokenTTLs are the lifetimes of the tokens a token request gives.
type tokenTTLs struct {
	access, refresh time.Duration
}

// newGrant draws the secrets and IDs of a token response: an access
// token and its session ID, a refresh token and its ID.
func (iss *Issuer) newGrant(op string) (g *tokenGrant, sessionID, refreshID string, err error) {
	g = &tokenGrant{}
	if g.token, err = iss.newToken(op); err != nil {
		return nil, "", "", err
	}
	if g.refresh, err = iss.newToken(op); err != nil {
		return nil, "", "", err
	}
	if sessionID, err = iss.newID(); err != nil {
		return nil, "", "", err
	}
	if refreshID, err = iss.newID(); err != nil {
		return nil, "", "", err
	}
	return g, sessionID, refreshID, nil
}

// grantTokens stores the session of a token response and its refresh
// token (of family, or the first of a new family when family is "") in
// tx, completing g.
func (iss *Issuer) grantTokens(tx Tx, g *tokenGrant, s *Session, refreshID, family string, ttl tokenTTLs) error {
	s.TokenHash, s.ExpiresAt = accessTokenHash(g.token), s.CreatedAt.Add(ttl.access)
	if err := tx.InsertSession(s); err != nil {
		return err
	}
	if family == "" {
		family = refreshID
	}
	// RFC 9449 §5: the refresh token of a DPoP-bound session is bound to
	// the same key.
	if err := tx.InsertRefreshToken(&RefreshTokenRecord{Hash: refreshTokenHash(g.refresh), ID: refreshID, Family: family,
		SessionID: s.ID, JKT: s.JKT, CreatedAt: s.CreatedAt, ExpiresAt: s.CreatedAt.Add(ttl.refresh)}); err != nil {
		return err
	}
	g.sess = s
	return nil
}

// tokenDetail describes a session for the audit log.
func tokenDetail(s *Session, refreshID string) string {
	d := "session " + s.ID + ", refresh token " + refreshID + ", bearer"
	if s.JKT != "" {
		d = "session " + s.ID + ", refresh token " + refreshID + ", DPoP " + s.JKT
	}
	return d
}

// redeemOffer runs a token request of the Pre-Authorized Code Flow (§6)
// in one transaction: the DPoP proof's jti (if any) is recorded, the
// offer looked up by its pre-authorized code, the tx_code checked (a
// wrong one counts, and at Config.MaxCodeAttempts the offer is dead), the
// offer marked used, and the session and the first refresh token of a new
// family stored. jkt is the DPoP key's thumbprint ("" for a Bearer
// token). Failures are *oid4vci.ProtocolError and are audited.
func (iss *Issuer) redeemOffer(ctx context.Context, req *oid4vci.TokenRequest, jkt string, jti []byte, jtiExp time.Time, ttl tokenTTLs) (*tokenGrant, error) {
	const op = "token"
	g, sessionID, refreshID, err := iss.newGrant(op)
	if err != nil {
		return nil, err
	}
	now := iss.now()
	var grant *tokenGrant
	var failure error
	err = iss.cfg.Store.Update(ctx, func(tx Tx) error {
		grant, failure = nil, nil
		subject := ""
		// A failed check still commits: a wrong tx_code counts, the jti is
		// spent, and the audit log records the attempt.
		fail := func(pe *oid4vci.ProtocolError) error {
			failure = pe
			return iss.audit(tx, "holder", op, subject, pe.Err, "")
		}
		if pe, err := spendJTI(tx, op, jti, now, jtiExp); err != nil {
			return err
		} else if pe != nil {
			return fail(pe)
		}
		o, err := tx.OfferByCode(preAuthCodeHash(req.PreAuthorizedCode))
		if isErr(err, ErrNotFound) {
			return fail(grantError(ErrNotFound, "unknown pre-authorized code"))
		} else if err != nil {
			return err
		}
		subject = o.ID
		switch {
		case !o.UsedAt.IsZero():
			// §4.1.1: the pre-authorized code is single use.
			return fail(grantError(ErrCodeUsed, "pre-authorized code already used"))
		case !o.EndedAt.IsZero():
			return fail(grantError(ErrCodeUsed, "offer withdrawn by a later confirmation"))
		case o.Attempts >= iss.cfg.MaxCodeAttempts:
			return fail(grantError(ErrTooManyAttempts, "offer dead after %d wrong tx_codes", o.Attempts))
		case !now.Before(o.ExpiresAt):
			return fail(grantError(ErrCodeExpired, "pre-authorized code expired"))
		}
		// §6.3, §13.6.3: a wrong tx_code is invalid_grant, and the
		// attempts are limited.
		if !checkTxCode(o, req.TxCode) {
			o.Attempts++
			if err := tx.UpdateOffer(o); err != nil {
				return err
			}
			if o.Attempts >= iss.cfg.MaxCodeAttempts {
				return fail(grantError(ErrTooManyAttempts, "wrong tx_code; the offer is now dead"))
			}
			return fail(grantError(ErrCodeInvalid, "wrong tx_code (%d of %d attempts)", o.Attempts, iss.cfg.MaxCodeAttempts))
		}
		o.UsedAt = now
		if err := tx.UpdateOffer(o); err != nil {
			return err
		}
		iss.hook("token:offer-used")
		r, err := tx.Registration(o.RegistrationID)
		if err != nil {
			return err
		}
		s := &Session{ID: sessionID, OfferID: o.ID, RegistrationID: r.ID, NIK: r.NIK,
			JKT: jkt, ConfigurationIDs: o.ConfigurationIDs, CreatedAt: now}
		if err := iss.grantTokens(tx, g, s, refreshID, "", ttl); err != nil {
			return err
		}
		if err := iss.audit(tx, "holder", op, o.ID, nil, tokenDetail(s, refreshID)); err != nil {
			return err
		}
		grant = g
		return nil
	})
	if err != nil {
		return nil, wrapStore(op, err)
	}
	if failure != nil {
		return nil, failure
	}
	return grant, nil
}

// refreshGrantError is an invalid_grant answer to a refresh token
// request (RFC 6749 §5.2).
func refreshGrantError(sentinel error, format string, args ...any) *oid4vci.ProtocolError {
	return protocolError(http.StatusBadRequest, oid4vci.CodeInvalidGrant, "refresh", sentinel, format, args...)
}

// redeemRefresh runs a token request of the refresh token grant (RFC 6749
// §6, OpenID4VCI 1.0 §6) in one transaction: the DPoP proof's jti (if
// any) is recorded; the refresh token must be known, presented with a
// DPoP proof by the key it is bound to (RFC 9449 §5) if it is bound,
// unrevoked, unused and unexpired, and the binding of its session active.
// It is then spent, and a top-up session of that binding (the
// configurations of its session, none issued yet) and a new refresh
// token of the same family are stored: rotation. A used refresh token
// presented again revokes its whole family, the token it was exchanged
// for included (OAuth 2.0 Security BCP, RFC 9700 §4.14.2: the issuer
// cannot tell the wallet from a thief). jkt is the request's DPoP key
// thumbprint ("" without a proof); the new tokens are bound to it.
// spendJTI spends the jti of a token request's DPoP proof (nil: none) in
// tx. RFC 9449 §11.1: a jti is accepted once; a replay is the protocol
// error returned.
func spendJTI(tx Tx, op string, jti []byte, now, exp time.Time) (*oid4vci.ProtocolError, error) {
	if jti == nil {
		return nil, nil
	}
	fresh, err := tx.UseDPoPJTI(jti, now, exp)
	if err != nil || fresh {
		return nil, err
	}
	return protocolError(http.StatusBadRequest, oid4vci.CodeInvalidDPoPProof, op, ErrDPoP, "DPoP proof replayed (jti seen before)"), nil
}

// Failures are *oid4vci.ProtocolError and are audited.
func (iss *Issuer) redeemRefresh(ctx context.Context, refreshToken, jkt string, jti []byte, jtiExp time.Time, ttl tokenTTLs) (*tokenGrant, error) {
	const op = "refresh"
	g, sessionID, refreshID, err := iss.newGrant(op)
	if err != nil {
		return nil, err
	}
	now := iss.now()
	hash := refreshTokenHash(refreshToken)
	var grant *tokenGrant
	var failure error
	err = iss.cfg.Store.Update(ctx, func(tx Tx) error {
		grant, failure = nil, nil
		subject := ""
		fail := func(pe *oid4vci.ProtocolError) error {
			failure = pe
			return iss.audit(tx, "holder", op, subject, pe.Err, "")
		}
		if pe, err := spendJTI(tx, op, jti, now, jtiExp); err != nil {
			return err
		} else if pe != nil {
			return fail(pe)
		}
		rt, err := tx.RefreshToken(hash)
		if isErr(err, ErrNotFound) {
			return fail(refreshGrantError(ErrRefreshToken, "unknown refresh token"))
		} else if err != nil {
			return err
		}
		subject = rt.Family
		// RFC 9449 §5: a refresh token bound to a DPoP key is good only
		// with a proof by that key. Checked first: only its holder can
		// make a replay revoke the family.
		if rt.JKT != "" && jkt == "" {
			return fail(protocolError(http.StatusBadRequest, oid4vci.CodeInvalidDPoPProof, op, ErrDPoP, "the refresh token is DPoP-bound: send a DPoP proof by its key"))
		}
		if rt.JKT != "" && subtle.ConstantTimeCompare([]byte(rt.JKT), []byte(jkt)) != 1 {
			return fail(refreshGrantError(ErrDPoP, "the refresh token is bound to another DPoP key"))
		}
		switch {
		case !rt.RevokedAt.IsZero():
			return fail(refreshGrantError(ErrRefreshToken, "refresh token revoked"))
		case !rt.UsedAt.IsZero():
			// Rotation (RFC 6749 §6, RFC 9700 §4.14.2): a spent token
			// presented again means two parties hold the family.
			n, err := tx.RevokeRefreshTokens(rt.Family, now)
			if err != nil {
				return err
			}
			if err := iss.audit(tx, "system", "revoke refresh tokens", rt.Family, nil, fmt.Sprintf("refresh token %s replayed: %d revoked", rt.ID, n)); err != nil {
				return err
			}
			return fail(refreshGrantError(ErrRefreshToken, "refresh token already used; every refresh token of its activation is now revoked"))
		case !now.Before(rt.ExpiresAt):
			return fail(refreshGrantError(ErrRefreshToken, "refresh token expired"))
		}
		from, err := tx.SessionByID(rt.SessionID)
		if err != nil {
			return err
		}
		if from.BindingID == "" {
			return fail(refreshGrantError(ErrRefreshToken, "the session of this refresh token issued no credential: there is no device binding to top up"))
		}
		b, err := tx.Binding(from.BindingID)
		if err != nil {
			return err
		}
		subject = b.ID
		if b.State != BindingActive {
			// A lost phone, or the NIK on a new phone: nothing more for
			// this device.
			return fail(refreshGrantError(ErrBindingRevoked, "the device binding was revoked (%s)", b.RevokeReason))
		}
		if err := tx.UseRefreshToken(hash, now); err != nil {
			return err
		}
		iss.hook("refresh:token-used")
		s := &Session{ID: sessionID, RegistrationID: b.RegistrationID, NIK: b.NIK, JKT: jkt,
			ConfigurationIDs: from.ConfigurationIDs, BindingID: b.ID, CreatedAt: now}
		if err := iss.grantTokens(tx, g, s, refreshID, rt.Family, ttl); err != nil {
			return err
		}
		if err := iss.audit(tx, "holder", op, b.ID, nil, "refresh token "+rt.ID+" spent; "+tokenDetail(s, refreshID)); err != nil {
			return err
		}
		grant = g
		return nil
	})
	if err != nil {
		return nil, wrapStore(op, err)
	}
	if failure != nil {
		return nil, failure
	}
	return grant, nil
}

// session returns the unexpired session of an access token, or an
// *Error wrapping ErrInvalidToken.
func (iss *Issuer) session(ctx context.Context, token string) (*Session, error) {
	var s *Session
	err := iss.cfg.Store.View(ctx, func(tx Tx) error {
		var err error
		s, err = tx.Session(accessTokenHash(token))
		return err
	})
	if isErr(err, ErrNotFound) {
		return nil, errorf("token", ErrInvalidToken, "unknown access token")
	} else if err != nil {
		return nil, wrapStore("token", err)
	}
	if !iss.now().Before(s.ExpiresAt) {
		return nil, errorf("token", ErrInvalidToken, "access token expired")
	}
	return s, nil
}

// useJTI records a DPoP proof's jti in its own transaction; a replay is
// an *Error wrapping ErrDPoP.
func (iss *Issuer) useJTI(ctx context.Context, hash []byte, expires time.Time) error {
	var fresh bool
	err := iss.cfg.Store.Update(ctx, func(tx Tx) error {
		var err error
		fresh, err = tx.UseDPoPJTI(hash, iss.now(), expires)
		return err
	})
	if err != nil {
		return wrapStore("dpop", err)
	}
	if !fresh {
		return errorf("dpop", ErrDPoP, "DPoP proof replayed (jti seen before)")
	}
	return nil
}

// sessionRequest is a verified Credential Request of a session.
type sessionRequest struct {
	token  string // the access token, to read the session again in the transaction
	sess   *Session
	config configuration
	proofs []*oid4vci.Proof
	doc    credential.Document
}

// credentialError is a Credential Error Response (§8.3.1.2).
func credentialError(code string, sentinel error, format string, args ...any) *oid4vci.ProtocolError {
	return protocolError(http.StatusBadRequest, code, "credential", sentinel, format, args...)
}

// issueInSession issues the credentials of a Credential Request (§8) in
// one transaction: the proofs' c_nonces are consumed (each once), the
// session is read again (still valid, configuration not issued yet), the
// first request of the session creates the NIK's device binding (one NIK,
// one phone: the old binding and all its credentials are revoked in the
// same transaction) and a later one finds it still active, every proven
// key is recorded as a key of the binding, one credential per proof is
// signed and recorded, and a notification_id is stored. Failures are
// *oid4vci.ProtocolError and are audited; a failed nonce check still
// spends the nonces.
func (iss *Issuer) issueInSession(ctx context.Context, req *sessionRequest) ([]Credential, string, error) {
	const op = "credential"
	now := iss.now()
	actor := "holder:" + req.proofs[0].Thumbprint()
	if err := iss.reserve(ctx, len(req.proofs)); err != nil {
		return nil, "", err
	}
	notificationID, err := iss.newID()
	if err != nil {
		return nil, "", err
	}
	var out []Credential
	var failure error
	err = iss.cfg.Store.Update(ctx, func(tx Tx) error {
		out, failure = nil, nil
		fail := func(pe *oid4vci.ProtocolError) error {
			failure = pe
			return iss.audit(tx, actor, op, req.sess.ID, pe.Err, req.config.id)
		}
		// §7.2, Appendix F.4: every c_nonce is one this issuer handed
		// out, unexpired, and used once; proofs of one request may share
		// one.
		var spent []string
		for _, p := range req.proofs {
			if slices.Contains(spent, p.Nonce()) {
				continue
			}
			spent = append(spent, p.Nonce())
			if bad, err := spendNonce(tx, op, p.Nonce(), now); err != nil {
				return err
			} else if bad != nil {
				return fail(credentialError(oid4vci.CodeInvalidNonce, ErrNonce, "c_nonce unknown, expired or already used; get a new one from the nonce endpoint"))
			}
		}
		s, err := tx.Session(req.sess.TokenHash)
		if err != nil {
			return err
		}
		if !now.Before(s.ExpiresAt) {
			return fail(&oid4vci.ProtocolError{Status: http.StatusUnauthorized, Code: oid4vci.CodeInvalidToken,
				Description: "access token expired", Scheme: tokenScheme(s), Err: errorf(op, ErrInvalidToken, "access token expired")})
		}
		if slices.Contains(s.Issued, req.config.id) {
			return fail(credentialError(oid4vci.CodeCredentialRequestDenied, ErrDenied, "%s was already issued in this session", req.config.id))
		}
		var b *Binding
		if s.BindingID == "" {
			if b, err = iss.bindSession(tx, actor, s, req.proofs[0], now); err != nil {
				return err
			}
		} else {
			if b, err = tx.Binding(s.BindingID); err != nil {
				return err
			}
			if b.State != BindingActive {
				// The NIK moved to another phone (or the phone was
				// reported lost) since this session began.
				return fail(credentialError(oid4vci.CodeCredentialRequestDenied, ErrBindingRevoked, "the device binding of this session was revoked (%s)", b.RevokeReason))
			}
		}
		jobs := make([]job, 0, len(req.proofs))
		for _, p := range req.proofs {
			if err := tx.InsertBindingKey(&BindingKey{BindingID: b.ID, Thumbprint: p.Thumbprint(), PublicJWK: p.JWK(), CreatedAt: now}); err != nil {
				return err
			}
			jobs = append(jobs, job{bk: &boundKey{binding: b, key: p.Key(), thumbprint: p.Thumbprint()}, doc: req.doc, f: req.config.format, prof: req.config.profile})
		}
		signed, err := iss.signAll(jobs)
		if err != nil {
			return err
		}
		if out, err = iss.recordAll(tx, actor, signed, "credential:after-credential"); err != nil {
			return err
		}
		s.Issued = append(s.Issued, req.config.id)
		if err := tx.UpdateSession(s); err != nil {
			return err
		}
		ids := make([]string, len(out))
		for i, c := range out {
			ids[i] = c.ID
		}
		if err := tx.InsertNotification(&NotificationRecord{ID: notificationID, SessionID: s.ID, ConfigurationID: req.config.id,
			CredentialIDs: ids, CreatedAt: now}); err != nil {
			return err
		}
		action := op
		if s.OfferID == "" {
			// A session of the refresh token grant: new copies for a
			// binding that has some.
			action = "top-up"
		}
		return iss.audit(tx, actor, action, s.ID, nil, req.config.id+" "+strings.Join(ids, " "))
	})
	if err != nil {
		return nil, "", wrapStore(op, err)
	}
	if failure != nil {
		return nil, "", failure
	}
	return out, notificationID, nil
}

// bindSession makes the device binding of a session's first credential
// request, bound to the first proof's key. One NIK, one phone: the NIK's
// active binding on another device and every credential bound to it are
// revoked first, in tx.
func (iss *Issuer) bindSession(tx Tx, actor string, s *Session, first *oid4vci.Proof, now time.Time) (*Binding, error) {
	const reason = "replaced by a new device"
	old, err := tx.ActiveBinding(s.NIK)
	if err == nil {
		if err := tx.RevokeBinding(old.ID, now, reason); err != nil {
			return nil, err
		}
		if _, err := tx.RevokeCredentialsOfBinding(old.ID, now); err != nil {
			return nil, err
		}
		if err := iss.audit(tx, actor, "revoke binding", old.ID, nil, reason); err != nil {
			return nil, err
		}
		iss.hook("credential:old-revoked")
	} else if !isErr(err, ErrNotFound) {
		return nil, err
	}
	id, err := iss.newID()
	if err != nil {
		return nil, err
	}
	b := &Binding{ID: id, NIK: s.NIK, RegistrationID: s.RegistrationID, KeyThumbprint: first.Thumbprint(), PublicJWK: first.JWK(),
		State: BindingActive, CreatedAt: now}
	if err := tx.InsertBinding(b); err != nil {
		return nil, err
	}
	s.BindingID = b.ID
	if err := iss.audit(tx, actor, "activate", s.RegistrationID, nil, "binding "+b.ID+", session "+s.ID); err != nil {
		return nil, err
	}
	return b, nil
}

// tokenScheme is the authentication scheme of a session's access token.
func tokenScheme(s *Session) string {
	if s.JKT != "" {
		return oid4vci.SchemeDPoP
	}
	return oid4vci.SchemeBearer
}

// notify records a Notification Request (§11.1) of a session: the
// notification_id must be one of the session's (invalid_notification_id
// otherwise, §11.3). The event goes to the audit log; a repeated
// notification is recorded again and answered the same.
func (iss *Issuer) notify(ctx context.Context, sess *Session, req *oid4vci.NotificationRequest) error {
	const op = "notification"
	now := iss.now()
	var failure error
	err := iss.cfg.Store.Update(ctx, func(tx Tx) error {
		failure = nil
		n, err := tx.Notification(req.NotificationID)
		if isErr(err, ErrNotFound) || (err == nil && n.SessionID != sess.ID) {
			failure = protocolError(http.StatusBadRequest, oid4vci.CodeInvalidNotificationID, op, ErrNotFound, "unknown notification_id")
			return iss.audit(tx, "holder", op, sess.ID, failure.(*oid4vci.ProtocolError).Err, "")
		} else if err != nil {
			return err
		}
		n.Event, n.EventAt, n.EventDescription = string(req.Event), now, req.EventDescription
		if err := tx.UpdateNotification(n); err != nil {
			return err
		}
		detail := string(req.Event) + " " + n.ConfigurationID + " " + strings.Join(n.CredentialIDs, " ")
		if req.EventDescription != "" {
			detail += ": " + req.EventDescription
		}
		return iss.audit(tx, "holder", op, sess.ID, nil, detail)
	})
	if err != nil {
		return wrapStore(op, err)
	}
	return failure
}

// openOffer returns the offer of a credential_offer_uri reference while
// its pre-authorized code still works, with that code.
func (iss *Issuer) openOffer(ctx context.Context, ref string) (*oid4vci.CredentialOffer, error) {
	code, ok := codeForRef(ref)
	if !ok {
		return nil, errorf("offer", ErrNotFound, "malformed offer reference")
	}
	var o *OfferRecord
	err := iss.cfg.Store.View(ctx, func(tx Tx) error {
		var err error
		o, err = tx.OfferByRef(offerRefHash(ref))
		return err
	})
	if err != nil {
		return nil, wrapStore("offer", err)
	}
	if !o.UsedAt.IsZero() || !o.EndedAt.IsZero() || o.Attempts >= iss.cfg.MaxCodeAttempts || !iss.now().Before(o.ExpiresAt) {
		return nil, errorf("offer", ErrNotFound, "offer used, withdrawn, dead or expired")
	}
	obj := iss.offerObject(o, code)
	return &obj, nil
}

// parseStoredNIK parses a NIK read from the store.
func parseStoredNIK(s string) (credential.NIK, error) {
	n, err := credential.ParseNIK(s)
	if err != nil {
		return credential.NIK{}, errorf("credential", ErrStore, "stored NIK: %v", err)
	}
	return n, nil
}
