package holder

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"time"
)

// issuerSession is the sealed record of an OpenID4VCI session the wallet
// can come back to without a new offer: the refresh token the issuer
// gave (RFC 6749 §5.1) and, when the tokens are DPoP-bound, the DPoP key
// they are bound to (RFC 9449 §5: a refresh token of a public client is
// bound to that key too, so the key must outlive the session). Every
// credential received in the session refers to it.
type issuerSession struct {
	id string
	// Issuer is the Credential Issuer Identifier, AuthorizationServer
	// the Authorization Server whose token endpoint takes the token.
	Issuer              string `json:"issuer"`
	AuthorizationServer string `json:"authorization_server"`
	RefreshToken        string `json:"refresh_token"`
	// DPoPKey is the DPoP private key as a JWK, or empty for Bearer.
	DPoPKey   json.RawMessage `json:"dpop_key,omitempty"`
	ClientID  string          `json:"client_id,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	// RefreshedAt is when the refresh token was last replaced.
	RefreshedAt time.Time `json:"refreshed_at,omitzero"`
}

func (w *Wallet) newSessionID() (string, error) {
	b := make([]byte, 12)
	if _, err := io.ReadFull(w.opts.rand(), b); err != nil {
		return "", err
	}
	return "vci-" + hexString(b), nil
}

func (w *Wallet) putSession(ctx context.Context, tx *sql.Tx, s *issuerSession) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return w.putRecord(ctx, tx, s.id, kindSession, b)
}

func (w *Wallet) loadSession(ctx context.Context, q querier, id string) (*issuerSession, error) {
	b, err := w.getRecordQ(ctx, q, id, kindSession)
	if err != nil {
		return nil, err
	}
	var s issuerSession
	if err := json.Unmarshal(b, &s); err != nil || s.RefreshToken == "" || s.Issuer == "" || s.AuthorizationServer == "" {
		return nil, &corruptError{id, "does not decode"}
	}
	s.id = id
	return &s, nil
}

// dropSessionIfUnused deletes the session record id when no credential
// refers to it any more.
func (w *Wallet) dropSessionIfUnused(ctx context.Context, tx *sql.Tx, id string) error {
	recs, err := w.listRecordsQ(ctx, tx, kindCredential)
	if err != nil {
		return err
	}
	for _, r := range recs {
		var s storedCredential
		if json.Unmarshal(r.data, &s) == nil && s.Refresh != nil && s.Refresh.Session == id {
			return nil
		}
	}
	_, err = tx.ExecContext(ctx, "DELETE FROM records WHERE id = ? AND kind = ?", id, kindSession)
	return err
}
