package oidcprovider

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/ikdkit/ikdkit/internal/sqldb"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// schema is the provider's store, in the SQL that SQLite and PostgreSQL
// share. Secrets (codes, refresh tokens, the login page's browser binding)
// are kept as SHA-256 hashes. Times are Unix seconds (BIGINT).
const schema = `
CREATE TABLE IF NOT EXISTS auth_requests (
	id TEXT PRIMARY KEY,
	client_id TEXT NOT NULL,
	redirect_uri TEXT NOT NULL,
	scopes TEXT NOT NULL,
	state TEXT NOT NULL,
	nonce TEXT NOT NULL,
	response_mode TEXT NOT NULL,
	code_challenge TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	browser TEXT NOT NULL DEFAULT '',
	cross_tx TEXT NOT NULL DEFAULT '',
	same_tx TEXT NOT NULL DEFAULT '',
	subject TEXT NOT NULL DEFAULT '',
	auth_time BIGINT NOT NULL DEFAULT 0,
	grant_id TEXT NOT NULL DEFAULT '',
	done BIGINT NOT NULL DEFAULT 0,
	code TEXT UNIQUE
);
CREATE TABLE IF NOT EXISTS grants (
	id TEXT PRIMARY KEY,
	subject TEXT NOT NULL,
	client_id TEXT NOT NULL,
	scopes TEXT NOT NULL,
	claims TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	revoked_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS grants_subject ON grants (subject, client_id);
CREATE TABLE IF NOT EXISTS grant_keys (
	thumbprint TEXT NOT NULL,
	grant_id TEXT NOT NULL REFERENCES grants (id),
	PRIMARY KEY (thumbprint, grant_id)
);
CREATE TABLE IF NOT EXISTS tokens (
	id TEXT PRIMARY KEY,
	grant_id TEXT NOT NULL REFERENCES grants (id),
	subject TEXT NOT NULL,
	client_id TEXT NOT NULL,
	scopes TEXT NOT NULL,
	auth_time BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	refresh_hash TEXT UNIQUE,
	refresh_expires_at BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS dpop_jti (
	jti TEXT PRIMARY KEY,
	expires_at BIGINT NOT NULL
);
`

// store is zitadel's op.Storage on SQLite or PostgreSQL.
type store struct {
	db  *dbx
	p   *Provider
	key *signingKey
}

// openStore opens database: a postgres:// or postgresql:// DSN, or a
// SQLite file path.
func openStore(database string) (*store, error) {
	var db *sql.DB
	var err error
	pg := sqldb.IsPostgres(database)
	if pg {
		db, err = sql.Open("pgx", database)
	} else {
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Add("_pragma", "foreign_keys(ON)")
		db, err = sql.Open("sqlite", "file:"+database+"?"+q.Encode())
	}
	if err != nil {
		return nil, fmt.Errorf("oidcprovider: store: %w", err)
	}
	d := &dbx{DB: db, pg: pg}
	// Several instances may create the tables at once: on PostgreSQL
	// under an advisory lock, so that CREATE ... IF NOT EXISTS does not
	// race on the catalog.
	if err := d.createSchema(); err != nil {
		db.Close()
		return nil, fmt.Errorf("oidcprovider: store: %w", err)
	}
	return &store{db: d}, nil
}

// schemaLock is the PostgreSQL advisory lock key of the schema creation.
const schemaLock = 0x696b646f69646370 // "ikdoidcp"

func (d *dbx) createSchema() error {
	if !d.pg {
		_, err := d.DB.Exec(schema)
		return err
	}
	ctx := context.Background()
	tx, err := d.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(schemaLock)); err != nil {
		return err
	}
	for _, stmt := range strings.Split(schema, ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// dbx is the database with the SQL written once: "?" placeholders become
// PostgreSQL's $n there.
type dbx struct {
	*sql.DB
	pg bool
}

func (d *dbx) q(query string) string {
	if !d.pg {
		return query
	}
	return sqldb.Rebind(query)
}

func (d *dbx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.DB.ExecContext(ctx, d.q(query), args...)
}

func (d *dbx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return d.DB.QueryRowContext(ctx, d.q(query), args...)
}

func (d *dbx) BeginTx(ctx context.Context, opts *sql.TxOptions) (*txx, error) {
	tx, err := d.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &txx{Tx: tx, d: d}, nil
}

// txx is a transaction of dbx.
type txx struct {
	*sql.Tx
	d *dbx
}

func (t *txx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.Tx.ExecContext(ctx, t.d.q(query), args...)
}

func (t *txx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.Tx.QueryRowContext(ctx, t.d.q(query), args...)
}

func (s *store) close() error { return s.db.Close() }

func hashSecret(v string) string {
	h := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func encodeList(v []string) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func decodeList(s string) []string {
	var v []string
	_ = json.Unmarshal([]byte(s), &v)
	return v
}

// errNotFound is a missing row, as zitadel's StorageNotFoundError.
type errNotFound struct{ what string }

func (e errNotFound) Error() string { return "oidcprovider: " + e.what + " not found" }
func (errNotFound) IsNotFound()     {}

// authRequest is a stored authorization request (op.AuthRequest).
type authRequest struct {
	id, clientID, redirectURI, state, nonce, responseMode, challenge string
	scopes                                                           []string
	createdAt                                                        time.Time
	browser, crossTx, sameTx, subject, grantID                       string
	authTime                                                         time.Time
	done                                                             bool
}

var _ op.AuthRequest = (*authRequest)(nil)

func (a *authRequest) GetID() string         { return a.id }
func (a *authRequest) GetACR() string        { return AcrPossession }
func (a *authRequest) GetAMR() []string      { return []string{"pop"} }
func (a *authRequest) GetAudience() []string { return []string{a.clientID} }
func (a *authRequest) GetAuthTime() time.Time {
	return a.authTime
}
func (a *authRequest) GetClientID() string { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	return &oidc.CodeChallenge{Challenge: a.challenge, Method: oidc.CodeChallengeMethodS256}
}
func (a *authRequest) GetNonce() string                   { return a.nonce }
func (a *authRequest) GetRedirectURI() string             { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseTypeCode }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseMode(a.responseMode) }
func (a *authRequest) GetScopes() []string                { return a.scopes }
func (a *authRequest) GetState() string                   { return a.state }
func (a *authRequest) GetSubject() string                 { return a.subject }
func (a *authRequest) Done() bool                         { return a.done }

const authRequestColumns = `id, client_id, redirect_uri, scopes, state, nonce, response_mode, code_challenge, created_at,
	browser, cross_tx, same_tx, subject, auth_time, grant_id, done`

func scanAuthRequest(row interface{ Scan(...any) error }) (*authRequest, error) {
	var a authRequest
	var scopes string
	var created, authTime int64
	if err := row.Scan(&a.id, &a.clientID, &a.redirectURI, &scopes, &a.state, &a.nonce, &a.responseMode, &a.challenge, &created,
		&a.browser, &a.crossTx, &a.sameTx, &a.subject, &authTime, &a.grantID, &a.done); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errNotFound{"authorization request"}
		}
		return nil, err
	}
	a.scopes = decodeList(scopes)
	a.createdAt = time.Unix(created, 0).UTC()
	if authTime > 0 {
		a.authTime = time.Unix(authTime, 0).UTC()
	}
	return &a, nil
}

// CreateAuthRequest stores a new authorization request. PKCE with S256 is
// required of every client (OAuth 2.0 Security BCP, RFC 9700 §2.1.1), and
// only the response type code.
func (s *store) CreateAuthRequest(ctx context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if r.CodeChallenge == "" || r.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE with code_challenge_method S256 is required")
	}
	if r.ResponseType != oidc.ResponseTypeCode {
		return nil, oidc.ErrInvalidRequest().WithDescription("only response_type code")
	}
	c := s.p.clients[r.ClientID]
	if c == nil {
		return nil, oidc.ErrInvalidClient()
	}
	// Scopes beyond the client's are dropped (RFC 6749 §3.3), as zitadel
	// drops the unknown ones: the token response names what was granted.
	var granted []string
	for _, sc := range r.Scopes {
		if (sc == oidc.ScopeOpenID || c.IsScopeAllowed(sc)) && !slices.Contains(granted, sc) {
			granted = append(granted, sc)
		}
	}
	if !slices.Contains(granted, oidc.ScopeOpenID) {
		return nil, oidc.ErrInvalidScope().WithDescription("the openid scope is required")
	}
	id, err := s.p.random(16)
	if err != nil {
		return nil, err
	}
	// Forget the logins nobody finished: the table stays bounded.
	if _, err := s.db.ExecContext(ctx, `DELETE FROM auth_requests WHERE created_at < ?`,
		s.p.now().Add(-2*s.p.cfg.LoginTTL).Unix()); err != nil {
		return nil, err
	}
	a := &authRequest{id: id, clientID: r.ClientID, redirectURI: r.RedirectURI, state: r.State, nonce: r.Nonce,
		responseMode: string(r.ResponseMode), challenge: r.CodeChallenge, scopes: granted, createdAt: s.p.now().UTC()}
	_, err = s.db.ExecContext(ctx, `INSERT INTO auth_requests (id, client_id, redirect_uri, scopes, state, nonce, response_mode,
		code_challenge, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.id, a.clientID, a.redirectURI, encodeList(a.scopes), a.state, a.nonce, a.responseMode, a.challenge, a.createdAt.Unix())
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (s *store) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	a, err := s.authRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// authRequest returns a live authorization request: one older than the
// login lifetime (twice, to leave time for the code) is gone.
func (s *store) authRequest(ctx context.Context, id string) (*authRequest, error) {
	a, err := scanAuthRequest(s.db.QueryRowContext(ctx, `SELECT `+authRequestColumns+` FROM auth_requests WHERE id = ?`, id))
	if err != nil {
		return nil, err
	}
	if !s.p.now().Before(a.createdAt.Add(2 * s.p.cfg.LoginTTL)) {
		return nil, errNotFound{"authorization request"}
	}
	return a, nil
}

func (s *store) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT id FROM auth_requests WHERE code = ?`, hashSecret(code)).Scan(&id)
	if err != nil {
		return nil, errNotFound{"code"}
	}
	return s.AuthRequestByID(ctx, id)
}

func (s *store) SaveAuthCode(ctx context.Context, id, code string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE auth_requests SET code = ? WHERE id = ? AND done = 1 AND code IS NULL`, hashSecret(code), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errNotFound{"finished authorization request"}
	}
	return nil
}

// DeleteAuthRequest forgets the request: a code works once.
func (s *store) DeleteAuthRequest(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM auth_requests WHERE id = ?`, id)
	return err
}

// tokenRequest is what a token is issued for: a finished authorization
// request or a refresh token's row.
type tokenRequest struct {
	subject, clientID, grantID string
	scopes                     []string
	authTime                   time.Time
}

func (t *tokenRequest) GetAMR() []string                 { return []string{"pop"} }
func (t *tokenRequest) GetAudience() []string            { return []string{t.clientID} }
func (t *tokenRequest) GetAuthTime() time.Time           { return t.authTime }
func (t *tokenRequest) GetClientID() string              { return t.clientID }
func (t *tokenRequest) GetScopes() []string              { return t.scopes }
func (t *tokenRequest) GetSubject() string               { return t.subject }
func (t *tokenRequest) SetCurrentScopes(scopes []string) { t.scopes = scopes }

var _ op.RefreshTokenRequest = (*tokenRequest)(nil)

// requestOf reads what zitadel hands to the token methods.
func requestOf(r op.TokenRequest) (*tokenRequest, error) {
	switch v := r.(type) {
	case *authRequest:
		if !v.done || v.grantID == "" {
			return nil, oidc.ErrInvalidGrant().WithDescription("the login is not finished")
		}
		return &tokenRequest{subject: v.subject, clientID: v.clientID, grantID: v.grantID, scopes: v.scopes, authTime: v.authTime}, nil
	case *tokenRequest:
		return v, nil
	}
	return nil, fmt.Errorf("oidcprovider: token request of type %T", r)
}

// CreateAccessToken issues an access token without a refresh token.
func (s *store) CreateAccessToken(ctx context.Context, r op.TokenRequest) (string, time.Time, error) {
	t, err := requestOf(r)
	if err != nil {
		return "", time.Time{}, err
	}
	id, exp, _, err := s.insertToken(ctx, s.db, t, false)
	return id, exp, err
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// insertToken stores an access token (and a refresh token with
// offline_access or refresh): token lifetimes follow the system clock,
// as zitadel's do.
func (s *store) insertToken(ctx context.Context, db execer, t *tokenRequest, refresh bool) (id string, exp time.Time, rt string, err error) {
	if id, err = s.p.random(16); err != nil {
		return "", time.Time{}, "", err
	}
	now := time.Now()
	// Forget tokens that can no longer be used: the table stays bounded.
	if _, err := db.ExecContext(ctx, `DELETE FROM tokens WHERE expires_at < ? AND refresh_expires_at < ?`, now.Unix(), now.Unix()); err != nil {
		return "", time.Time{}, "", err
	}
	exp = now.Add(s.p.cfg.AccessTokenTTL)
	var rh any
	var rexp int64
	if refresh {
		if rt, err = s.p.random(32); err != nil {
			return "", time.Time{}, "", err
		}
		rh, rexp = hashSecret(rt), now.Add(s.p.cfg.RefreshTokenTTL).Unix()
	}
	_, err = db.ExecContext(ctx, `INSERT INTO tokens (id, grant_id, subject, client_id, scopes, auth_time, expires_at, refresh_hash,
		refresh_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, t.grantID, t.subject, t.clientID, encodeList(t.scopes),
		t.authTime.Unix(), exp.Unix(), rh, rexp)
	return id, exp, rt, err
}

// CreateAccessAndRefreshTokens issues both; with currentRefreshToken (a
// refresh) the old pair is deleted in the same transaction: refresh
// tokens rotate (RFC 9700 §4.14.2).
func (s *store) CreateAccessAndRefreshTokens(ctx context.Context, r op.TokenRequest, current string) (string, string, time.Time, error) {
	t, err := requestOf(r)
	if err != nil {
		return "", "", time.Time{}, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return "", "", time.Time{}, err
	}
	defer tx.Rollback()
	if current != "" {
		res, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE refresh_hash = ?`, hashSecret(current))
		if err != nil {
			return "", "", time.Time{}, err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return "", "", time.Time{}, op.ErrInvalidRefreshToken
		}
	}
	if err := s.grantActive(ctx, tx, t.grantID); err != nil {
		return "", "", time.Time{}, err
	}
	id, exp, rt, err := s.insertToken(ctx, tx, t, true)
	if err != nil {
		return "", "", time.Time{}, err
	}
	return id, rt, exp, tx.Commit()
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// grantActive fails with invalid_grant unless the grant exists, is not
// withdrawn and has not expired.
func (s *store) grantActive(ctx context.Context, db querier, id string) error {
	var exp, revoked int64
	err := db.QueryRowContext(ctx, `SELECT expires_at, revoked_at FROM grants WHERE id = ?`, id).Scan(&exp, &revoked)
	switch {
	case err != nil:
		return oidc.ErrInvalidGrant().WithDescription("no such grant")
	case revoked != 0:
		return oidc.ErrInvalidGrant().WithDescription("the resident withdrew the grant")
	case s.p.now().Unix() >= exp:
		return oidc.ErrInvalidGrant().WithDescription("the grant expired")
	}
	return nil
}

// TokenRequestByRefreshToken finds a live refresh token whose grant is
// active: a withdrawn grant stops the next refresh.
func (s *store) TokenRequestByRefreshToken(ctx context.Context, rt string) (op.RefreshTokenRequest, error) {
	var t tokenRequest
	var scopes string
	var authTime, rexp int64
	err := s.db.QueryRowContext(ctx, `SELECT subject, client_id, grant_id, scopes, auth_time, refresh_expires_at FROM tokens
		WHERE refresh_hash = ?`, hashSecret(rt)).Scan(&t.subject, &t.clientID, &t.grantID, &scopes, &authTime, &rexp)
	if err != nil || time.Now().Unix() >= rexp {
		return nil, op.ErrInvalidRefreshToken
	}
	if err := s.grantActive(ctx, s.db, t.grantID); err != nil {
		return nil, err
	}
	t.scopes, t.authTime = decodeList(scopes), time.Unix(authTime, 0).UTC()
	return &t, nil
}

// TerminateSession (RP-initiated logout) deletes the tokens of the
// subject at the client; the grant stays (the resident withdraws it from
// the wallet).
func (s *store) TerminateSession(ctx context.Context, subject, clientID string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM tokens WHERE subject = ? AND client_id = ?`, subject, clientID)
	return err
}

// RevokeToken (RFC 7009) deletes an access token by id or a refresh token
// with its access token.
func (s *store) RevokeToken(ctx context.Context, tokenOrID, subject, clientID string) *oidc.Error {
	var owner string
	err := s.db.QueryRowContext(ctx, `SELECT client_id FROM tokens WHERE id = ? OR refresh_hash = ?`, tokenOrID, hashSecret(tokenOrID)).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // RFC 7009 §2.2: an invalid token is not an error
	}
	if err != nil {
		return oidc.ErrServerError()
	}
	if owner != clientID {
		return oidc.ErrInvalidClient().WithDescription("the token was not issued to this client")
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM tokens WHERE id = ? OR refresh_hash = ?`, tokenOrID, hashSecret(tokenOrID)); err != nil {
		return oidc.ErrServerError()
	}
	return nil
}

func (s *store) GetRefreshTokenInfo(ctx context.Context, clientID, rt string) (string, string, error) {
	var subject, id, owner string
	err := s.db.QueryRowContext(ctx, `SELECT subject, id, client_id FROM tokens WHERE refresh_hash = ?`, hashSecret(rt)).Scan(&subject, &id, &owner)
	if err != nil || owner != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	return subject, id, nil
}

func (s *store) SigningKey(context.Context) (op.SigningKey, error) { return s.key, nil }
func (s *store) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.ES256}, nil
}
func (s *store) KeySet(context.Context) ([]op.Key, error) { return []op.Key{publicKey{s.key}}, nil }

func (s *store) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	c := s.p.clients[id]
	if c == nil {
		return nil, errNotFound{"client"}
	}
	return c, nil
}

// AuthorizeClientIDSecret checks a confidential client's secret in
// constant time.
func (s *store) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	c := s.p.clients[id]
	if c == nil || c.Secret == "" || !equalSecret(c.Secret, secret) {
		return oidc.ErrInvalidClient()
	}
	return nil
}

// SetUserinfoFromScopes fills the ID token's claims from the subject's
// active grant at the client.
func (s *store) SetUserinfoFromScopes(ctx context.Context, ui *oidc.UserInfo, subject, clientID string, scopes []string) error {
	var claims string
	err := s.db.QueryRowContext(ctx, `SELECT claims FROM grants WHERE subject = ? AND client_id = ? AND revoked_at = 0 AND expires_at > ?
		ORDER BY created_at DESC, id DESC LIMIT 1`, subject, clientID, s.p.now().Unix()).Scan(&claims)
	if err != nil {
		return oidc.ErrInvalidGrant().WithDescription("no active grant")
	}
	return fillUserInfo(ui, subject, claims, scopes)
}

// SetUserinfoFromRequest fills the ID token's claims from the grant of the
// login (or the refresh token) it is issued for, not from whichever grant
// of the subject is newest.
func (s *store) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, r op.IDTokenRequest, scopes []string) error {
	var gid string
	switch v := r.(type) {
	case *authRequest:
		gid = v.grantID
	case *tokenRequest:
		gid = v.grantID
	}
	if gid == "" {
		return s.SetUserinfoFromScopes(ctx, ui, r.GetSubject(), r.GetClientID(), scopes)
	}
	if err := s.grantActive(ctx, s.db, gid); err != nil {
		return err
	}
	var claims string
	if err := s.db.QueryRowContext(ctx, `SELECT claims FROM grants WHERE id = ?`, gid).Scan(&claims); err != nil {
		return err
	}
	return fillUserInfo(ui, r.GetSubject(), claims, scopes)
}

var _ op.CanSetUserinfoFromRequest = (*store)(nil)

// SetUserinfoFromToken fills UserInfo from the access token's grant: a
// withdrawn grant answers invalid_token.
func (s *store) SetUserinfoFromToken(ctx context.Context, ui *oidc.UserInfo, tokenID, subject, _ string) error {
	var grantID, scopes string
	var exp int64
	err := s.db.QueryRowContext(ctx, `SELECT grant_id, scopes, expires_at FROM tokens WHERE id = ? AND subject = ?`, tokenID, subject).
		Scan(&grantID, &scopes, &exp)
	if err != nil || time.Now().Unix() >= exp {
		return oidc.ErrInvalidRequest().WithDescription("invalid access token")
	}
	if err := s.grantActive(ctx, s.db, grantID); err != nil {
		return err
	}
	var claims string
	if err := s.db.QueryRowContext(ctx, `SELECT claims FROM grants WHERE id = ?`, grantID).Scan(&claims); err != nil {
		return err
	}
	return fillUserInfo(ui, subject, claims, decodeList(scopes))
}

// fillUserInfo sets sub and the claims of the granted scopes.
func fillUserInfo(ui *oidc.UserInfo, subject, claims string, scopes []string) error {
	var c map[string]any
	if err := json.Unmarshal([]byte(claims), &c); err != nil {
		return err
	}
	ui.Subject = subject
	allowed := map[string]bool{}
	for _, sc := range scopes {
		if def, ok := scopes2claims[sc]; ok {
			for _, n := range def {
				allowed[n] = true
			}
		}
	}
	for k, v := range c {
		if !allowed[k] {
			continue
		}
		switch k {
		case "name":
			ui.Name, _ = v.(string)
		case "birthdate":
			ui.Birthdate, _ = v.(string)
		case "address":
			a, _ := v.(map[string]any)
			str := func(n string) string { s, _ := a[n].(string); return s }
			ui.Address = &oidc.UserInfoAddress{Formatted: str("formatted"), StreetAddress: str("street_address"),
				Locality: str("locality"), Region: str("region"), Country: str("country")}
		default:
			ui.AppendClaims(k, v)
		}
	}
	return nil
}

// scopes2claims names the claims each scope releases.
var scopes2claims = map[string][]string{
	ScopeProfile:    {"name", "birthdate"},
	ScopeAddress:    {"address"},
	ScopeNIK:        {ClaimNIK},
	ScopeFamilyCard: {ClaimFamilyCardNumber, ClaimHeadOfFamily},
}

func (s *store) SetIntrospectionFromToken(ctx context.Context, ir *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	var ui oidc.UserInfo
	if err := s.SetUserinfoFromToken(ctx, &ui, tokenID, subject, ""); err != nil {
		return err
	}
	ir.SetUserInfo(&ui)
	ir.Subject, ir.ClientID, ir.Active = subject, clientID, true
	return nil
}

func (s *store) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *store) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errNotFound{"client key"}
}

func (s *store) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, oidc.ErrUnauthorizedClient()
}

func (s *store) Health(ctx context.Context) error { return s.db.PingContext(ctx) }
