package oidcprovider

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/ikdkit/ikdkit/internal/obs"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// Limits of the grant endpoint.
const (
	maxGrantBody     = 4 << 10
	grantProofMaxAge = 5 * time.Minute
	grantProofSkew   = 30 * time.Second
)

// serveGrants withdraws grants (internal/grantinfo): POST with a DPoP
// proof (RFC 9449) by a key the wallet presented at the login and the
// form parameter client_id. Every active grant of that client bound to
// the key is withdrawn, and its tokens deleted, in one transaction; the
// next refresh and UserInfo call of the client fail.
func (p *Provider) serveGrants(w http.ResponseWriter, r *http.Request) {
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	oauthErr := func(status int, code, desc string) {
		obs.Outcome(p.cfg.Metrics, "withdraw_grant", code)
		if status < 500 {
			p.log.LogAttrs(r.Context(), slog.LevelDebug, "oidcprovider: request refused", slog.String("route", obs.RouteOf(w)),
				slog.String("method", r.Method), slog.String("code", code))
		}
		reply(status, map[string]string{"error": code, "error_description": desc})
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		oauthErr(http.StatusMethodNotAllowed, "invalid_request", "POST only")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxGrantBody)
	if err := r.ParseForm(); err != nil || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		oauthErr(http.StatusBadRequest, "invalid_request", "a form body of at most 4 KiB")
		return
	}
	clientID := r.PostForm.Get("client_id")
	if clientID == "" || len(r.PostForm["client_id"]) != 1 {
		oauthErr(http.StatusBadRequest, "invalid_request", "one client_id")
		return
	}
	raw, err := oid4vci.ReadDPoPHeader(r.Header)
	if err != nil || raw == "" {
		oauthErr(http.StatusBadRequest, "invalid_dpop_proof", "a DPoP proof is required")
		return
	}
	now := p.now()
	proof, err := oid4vci.VerifyDPoPProof(raw, oid4vci.DPoPOptions{Method: http.MethodPost, URL: p.cfg.Issuer + PathGrants,
		Now: now, MaxAge: grantProofMaxAge, ClockSkew: grantProofSkew})
	if err != nil {
		oauthErr(http.StatusBadRequest, "invalid_dpop_proof", err.Error())
		return
	}
	n, err := p.store.revokeGrants(r.Context(), proof.JKT(), proof.JTI(), clientID, now)
	switch {
	case errors.Is(err, errReplayedProof):
		oauthErr(http.StatusBadRequest, "invalid_dpop_proof", "the proof was used before")
	case err != nil:
		p.serverError(w, r, "oidcprovider: server error", err)
		oauthErr(http.StatusInternalServerError, "server_error", "")
	case n == 0:
		oauthErr(http.StatusNotFound, "invalid_grant", "no active grant of this client is bound to this key")
	default:
		obs.Outcome(p.cfg.Metrics, "withdraw_grant", "ok")
		reply(http.StatusOK, map[string]bool{"revoked": true})
	}
}

var errReplayedProof = errors.New("oidcprovider: DPoP proof replayed")

// revokeGrants records the proof's jti (a replay is refused) and
// withdraws the grants, in one transaction.
func (s *store) revokeGrants(ctx context.Context, jkt, jti, clientID string, now time.Time) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM dpop_jti WHERE expires_at < ?`, now.Unix()); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO dpop_jti (jti, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING`,
		jkt+":"+jti, now.Add(grantProofMaxAge+2*grantProofSkew).Unix())
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return 0, errReplayedProof
	}
	sel := `SELECT grant_id FROM grant_keys WHERE thumbprint = ?`
	if _, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE grant_id IN (SELECT id FROM grants WHERE client_id = ? AND revoked_at = 0
		AND id IN (`+sel+`))`, clientID, jkt); err != nil {
		return 0, err
	}
	res, err = tx.ExecContext(ctx, `UPDATE grants SET revoked_at = ? WHERE client_id = ? AND revoked_at = 0 AND id IN (`+sel+`)`,
		now.Unix(), clientID, jkt)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, tx.Commit()
}
