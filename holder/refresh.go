package holder

import (
	"context"
	"crypto"
	"database/sql"
	"errors"
	"net/http"
	"slices"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// RefreshOptions configure [Wallet.Refresh].
type RefreshOptions struct {
	// HTTPClient sends every request; nil means a client with
	// DefaultReceiveTimeout per request. As for ReceiveOffer, redirects
	// are never followed.
	HTTPClient *http.Client
}

// CredentialsNeedingRefresh lists the credentials whose copies left are
// at or below Options.RefreshThreshold ([Credential.NeedsRefresh]) and
// that [Wallet.Refresh] can top up, oldest first.
func (w *Wallet) CredentialsNeedingRefresh(ctx context.Context) ([]*Credential, error) {
	list, err := w.Credentials(ctx)
	if err != nil {
		return nil, err
	}
	var out []*Credential
	for _, c := range list {
		if c.Refreshable && c.NeedsRefresh() {
			out = append(out, c)
		}
	}
	return out, nil
}

const opRefresh = "refresh"

// Refresh tops up the copies of credential id from its issuer over
// OpenID4VCI 1.0, without a new offer, and returns the credential as it
// then is. It uses the refresh token the issuer gave with the credential
// (kept sealed in the wallet with the DPoP key its tokens are bound to):
//
//  1. the Credential Issuer and Authorization Server Metadata are
//     fetched again, as ReceiveOffer does (StepMetadata);
//  2. a Token Request of the refresh token grant (RFC 6749 §6,
//     OpenID4VCI 1.0 §6), with a DPoP proof by the same DPoP key when the
//     first token was DPoP-bound (RFC 9449 §5); the new refresh token the
//     issuer returns (rotation) is stored, in a transaction of its own,
//     before anything else is done with the access token (StepToken);
//  3. a fresh c_nonce and one Credential Request for as many copies as
//     make up for those spent or expired (at most the number the
//     credential was received with, and the issuer's batch_size), a new
//     device key per copy (StepNonce, StepCredential);
//  4. every copy is verified as ReceiveOffer verifies (StepVerify);
//  5. in one transaction, the spent and expired copies are deleted with
//     their device keys and the new copies stored, with an entry in the
//     activity history (StepStore); keystore keys of the deleted copies
//     are deleted after the commit. If the new copies' claims differ from
//     the credential's (the issuer re-issued it with changed data), every
//     old copy is replaced and the credential shows the new claims. The
//     issuer is then notified (§11).
//
// A credential with copies enough left is returned unchanged, without a
// request. Refreshes are serialised: a refresh token is spent by its use,
// and the issuer revokes every refresh token of the activation when a
// spent one comes back, so the wallet never sends one twice on purpose.
// A process killed after the issuer answered the token request but
// before the new refresh token was stored loses it: the next refresh
// fails with ErrRefreshDenied.
//
// Errors are *Error with a Step: ErrRefreshDenied when the credential has
// no refresh token (imported, or from before copies) or the issuer
// refused it (invalid_grant: the device binding was revoked by a lost
// phone or the NIK activated on another phone, the token expired or was
// used before); the wallet then forgets the refresh token, and only a new
// offer gives new copies. ErrActivation for any other failure of the
// issuer or the network, ErrOffer for unusable metadata, and the
// verification and storage errors of ReceiveOffer. On any error the
// credential is as it was.
func (w *Wallet) Refresh(ctx context.Context, id string, opts RefreshOptions) (*Credential, error) {
	w.refreshMu.Lock()
	defer w.refreshMu.Unlock()
	r := &refreshRun{w: w, id: id}
	c, err := r.run(ctx, opts)
	if err != nil && len(r.created) > 0 {
		w.deleteKeystoreKeys(context.WithoutCancel(ctx), aliasesOf(r.created)) // best effort
	}
	return c, err
}

// refreshRun is one run of Refresh.
type refreshRun struct {
	w       *Wallet
	id      string
	cred    *Credential
	sess    *issuerSession
	s       *receiveSession
	created []*proofKey
}

func refreshErr(step Step, sentinel, cause error, format string, args ...any) *Error {
	e := stepErr(step, sentinel, cause, format, args...)
	e.Op = opRefresh
	return e
}

// asRefresh re-labels an error of the shared OpenID4VCI steps.
func asRefresh(err error) error {
	var e *Error
	if errors.As(err, &e) {
		e.Op = opRefresh
	}
	return err
}

func (r *refreshRun) run(ctx context.Context, opts RefreshOptions) (*Credential, error) {
	w := r.w
	w.mu.Lock()
	err := w.unlockedLocked(opRefresh)
	if err == nil && w.opts.Trust == nil {
		err = errorf(opRefresh, ErrConfig, "Options.Trust is required to refresh credentials")
	}
	if err == nil {
		r.cred, err = w.loadCredential(ctx, w.db, r.id)
		if err != nil {
			err = storeErr(opRefresh, err)
		}
	}
	if err == nil && r.cred.rec.Refresh == nil {
		err = refreshErr(StepToken, ErrRefreshDenied, nil, "%s (%s) came with no refresh token: activate again with a new offer", r.cred.Name, r.cred.Format)
	}
	if err == nil {
		if r.sess, err = w.loadSession(ctx, w.db, r.cred.rec.Refresh.Session); errors.Is(err, errNoRecord) {
			err = refreshErr(StepToken, ErrRefreshDenied, nil, "the wallet no longer holds the refresh token of %s (%s)", r.cred.Name, r.cred.Format)
		} else if err != nil {
			err = storeErr(opRefresh, err)
		}
	}
	w.mu.Unlock()
	if err != nil {
		return nil, err
	}
	c := r.cred
	want := c.target - c.left
	if want <= 0 {
		return c, nil
	}
	r.s = &receiveSession{w: w, opts: ReceiveOptions{HTTPClient: opts.HTTPClient, ClientID: r.sess.ClientID},
		c: newVCIClient(opts.HTTPClient, w.opts.rand(), w.opts.now)}
	if err := r.s.issuerMetadata(ctx, r.sess.Issuer); err != nil {
		return nil, asRefresh(err)
	}
	if err := r.s.asMetadata(ctx, r.sess.AuthorizationServer, ""); err != nil {
		return nil, asRefresh(err)
	}
	confID := c.rec.Refresh.Configuration
	if err := r.checkMetadata(confID); err != nil {
		return nil, err
	}
	if err := r.redeem(ctx); err != nil {
		return nil, err
	}
	if b := r.s.md.BatchCredentialIssuance; b != nil && b.BatchSize > 1 {
		want = min(want, b.BatchSize)
	} else {
		want = 1
	}
	r.s.copies = map[string]int{confID: min(want, MaxCopies)}
	w.mu.Lock()
	ks, err := r.s.newKeys(ctx, confID, StepCredential, ErrActivation)
	r.created = r.s.created
	w.mu.Unlock()
	if err != nil {
		return nil, asRefresh(err)
	}
	req := oid4vci.CredentialRequest{CredentialConfigurationID: confID}
	if ci := c.rec.Refresh.Identifier; ci != "" {
		req = oid4vci.CredentialRequest{CredentialIdentifier: ci}
	}
	signers := make([]crypto.Signer, len(ks))
	for i, k := range ks {
		signers[i] = k.signer
	}
	conf := r.s.md.CredentialConfigurationsSupported[confID]
	issued, err := r.s.request(ctx, confID, req, conf.Format, signers)
	if err != nil {
		return nil, r.s.failed(ctx, asRefresh(err))
	}
	out, err := r.store(ctx, fetched{id: confID, identifier: c.rec.Refresh.Identifier, conf: conf, keys: ks, issued: issued})
	if err != nil {
		return nil, r.s.failed(ctx, asRefresh(err))
	}
	for _, nid := range r.s.notificationIDs {
		r.s.notify(ctx, nid, oid4vci.EventCredentialAccepted, "") // best effort: the copies are stored
	}
	return out, nil
}

// checkMetadata checks the issuer still offers the credential's
// configuration, for jwt key proofs, and the refresh token grant.
func (r *refreshRun) checkMetadata(confID string) error {
	fail := func(format string, args ...any) error {
		return refreshErr(StepMetadata, ErrOffer, nil, format, args...)
	}
	md, c := r.s.md, r.cred
	conf, ok := md.CredentialConfigurationsSupported[confID]
	switch {
	case !ok:
		return fail("the issuer no longer has the configuration %.64q", confID)
	case conf.Format != c.Format || (c.Format == credential.FormatSDJWT && conf.VCT != c.VCT) || (c.Format == credential.FormatMdoc && conf.Doctype != c.DocType):
		return fail("the configuration %.64q is no longer a %s in %s", confID, c.Name, c.Format)
	case md.NonceEndpoint == "":
		return fail("the issuer has no Nonce Endpoint (§7); key proofs without a c_nonce are not sent")
	case md.RequiresEncryption():
		return fail("the issuer requires encryption (§10), which this wallet does not do")
	case len(r.s.as.GrantTypesSupported) > 0 && !r.s.as.SupportsGrant(oid4vci.GrantTypeRefreshToken):
		return refreshErr(StepMetadata, ErrRefreshDenied, nil, "the authorization server no longer supports the refresh token grant")
	}
	pt, jwt := conf.ProofTypesSupported[oid4vci.ProofTypeJWT]
	switch {
	case len(conf.ProofTypesSupported) > 0 && !jwt:
		return fail("configuration %.64q takes no jwt key proofs", confID)
	case jwt && pt.KeyAttestationsRequired != nil:
		return fail("configuration %.64q requires a key attestation (Appendix D), which this wallet does not send yet", confID)
	}
	return nil
}

// redeem exchanges the refresh token for an access token and stores the
// refresh token that replaces it. An invalid_grant answer makes the
// wallet forget the refresh token (every credential of the session stops
// being Refreshable) and is ErrRefreshDenied.
func (r *refreshRun) redeem(ctx context.Context) error {
	w, s := r.w, r.s
	if len(r.sess.DPoPKey) > 0 {
		k, err := keys.ParsePrivateJWK(r.sess.DPoPKey)
		if err != nil {
			return refreshErr(StepToken, ErrCorrupt, err, "the session's DPoP key")
		}
		s.c.dpop = k
	}
	tr := &oid4vci.TokenRequest{GrantType: oid4vci.GrantTypeRefreshToken, RefreshToken: r.sess.RefreshToken, ClientID: r.sess.ClientID}
	resp, err := s.c.requestToken(ctx, s.as.TokenEndpoint, tr)
	var pe *oid4vci.ProtocolError
	if errors.As(err, &pe) && pe.Code == oid4vci.CodeInvalidGrant {
		if ferr := r.forget(ctx); ferr != nil {
			return ferr
		}
		return refreshErr(StepToken, ErrRefreshDenied, err, "the issuer refused the refresh token of %s (%s): activate again with a new offer", r.cred.Name, r.cred.Format)
	}
	if err != nil {
		return refreshErr(StepToken, ErrActivation, err, "token request")
	}
	// The refresh token is spent now: keep the new one first (RFC 6749
	// §6: the client discards the old one when it gets a new one).
	if resp.RefreshToken != "" {
		r.sess.RefreshToken, r.sess.RefreshedAt = resp.RefreshToken, w.opts.now().UTC()
		w.mu.Lock()
		err := w.unlockedLocked(opRefresh)
		if err == nil {
			err = w.update(ctx, func(tx *sql.Tx) error { return w.putSession(ctx, tx, r.sess) })
			if err != nil {
				err = wrapErr(opRefresh, ErrStore, err, "storing the new refresh token")
			}
		}
		w.mu.Unlock()
		if err != nil {
			return err
		}
		w.opts.at("refresh:token-stored")
	}
	switch {
	case resp.TokenType == oid4vci.SchemeDPoP && s.c.dpop == nil:
		return refreshErr(StepToken, ErrActivation, nil, "a DPoP-bound access token for a request without DPoP proof")
	case resp.TokenType != oid4vci.SchemeDPoP && s.c.dpop != nil:
		// RFC 9449 §5: a Bearer answer to a DPoP request is a downgrade.
		return refreshErr(StepToken, ErrActivation, nil, "a Bearer token in answer to a DPoP-bound refresh token")
	}
	s.c.token, s.c.scheme = resp.AccessToken, resp.TokenType
	return nil
}

// forget deletes the session's refresh token and the references to it.
func (r *refreshRun) forget(ctx context.Context) error {
	w := r.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.unlockedLocked(opRefresh); err != nil {
		return err
	}
	err := w.update(ctx, func(tx *sql.Tx) error {
		recs, err := w.listRecordsQ(ctx, tx, kindCredential)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			c, err := w.credentialFrom(ctx, tx, rec.id, rec.data)
			if err != nil {
				return err
			}
			if c.rec.Refresh != nil && c.rec.Refresh.Session == r.sess.id {
				c.rec.Refresh = nil
				if err := w.putCredential(ctx, tx, c.ID, c.rec); err != nil {
					return err
				}
			}
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM records WHERE id = ? AND kind = ?", r.sess.id, kindSession)
		return err
	})
	if err != nil {
		return refreshErr(StepToken, ErrStore, err, "forgetting the refused refresh token")
	}
	return nil
}

// store verifies the new copies and, in one transaction, replaces the
// credential's spent and expired copies (all of them when the claims
// changed) with them.
func (r *refreshRun) store(ctx context.Context, f fetched) (*Credential, error) {
	w := r.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.unlockedLocked(opRefresh); err != nil {
		return nil, err
	}
	var vs []*verified
	for i, ic := range f.issued {
		v, err := w.verifyCopy(ctx, opRefresh, ic.Format, ic.Data, f.keys, i)
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				e.Step = StepVerify
			}
			return nil, err
		}
		vs = append(vs, v)
	}
	p, err := batchOf(opRefresh, vs)
	if err != nil {
		err.(*Error).Step = StepVerify
		return nil, err
	}
	if p.s.Format != r.cred.Format || p.s.VCT != r.cred.VCT || p.s.DocType != r.cred.DocType {
		return nil, refreshErr(StepVerify, ErrActivation, nil, "a %s (%s), not a copy of %s (%s)", p.s.Name, p.s.Format, r.cred.Name, r.cred.Format)
	}
	var out *Credential
	var aliases []string
	act := Activity{Kind: ActivityRefresh, Counterparty: r.sess.Issuer, Format: r.cred.Format, Credentials: []string{r.cred.Name}}
	err = w.update(ctx, func(tx *sql.Tx) error {
		c, err := w.loadCredential(ctx, tx, r.id)
		if err != nil {
			return err
		}
		s := c.rec
		now := w.opts.now()
		changed := !slices.Equal(s.Same, p.s.Same)
		var gone, kept []storedCopy
		for _, sc := range s.Copies {
			if changed || sc.Spent || !live(sc, now) {
				gone = append(gone, sc)
			} else {
				kept = append(kept, sc)
			}
		}
		if aliases, err = w.deleteCopies(ctx, tx, gone); err != nil {
			return err
		}
		s.Copies, s.Raw = kept, nil
		if changed {
			// Re-issued with other data: the credential is the new one.
			s.Issuer, s.Name, s.Claims, s.Elements, s.Same = p.s.Issuer, p.s.Name, p.s.Claims, p.s.Elements, p.s.Same
		}
		next := s.NextCopy
		if err := w.addCopies(ctx, tx, r.id, s, p.copies); err != nil {
			return err
		}
		for _, sc := range s.Copies[len(kept):] {
			act.Copies = append(act.Copies, CopyUse{Credential: r.id, Copy: sc.N, Key: sc.Key})
		}
		if s.NextCopy != next+len(p.copies) {
			return errors.New("copy numbering")
		}
		if err := w.putCredential(ctx, tx, r.id, s); err != nil {
			return err
		}
		if err := w.addActivity(ctx, tx, act); err != nil {
			return err
		}
		w.opts.at("refresh:before-commit")
		out = w.credential(r.id, s)
		return nil
	})
	if err != nil {
		e := storeErr(opRefresh, err)
		e.(*Error).Step = StepStore
		return nil, e
	}
	r.created = nil // stored: theirs now
	w.opts.at("refresh:committed")
	if err := w.deleteKeystoreKeys(ctx, aliases); err != nil {
		return out, refreshErr(StepStore, ErrStore, err, "the copies were replaced; deleting the old device keys from the keystore failed")
	}
	return out, nil
}
