package oidcprovider

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/qr/qrcode"
	"github.com/ikdkit/ikdkit/internal/grantinfo"
	"github.com/ikdkit/ikdkit/internal/obs"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vp"
	"github.com/ikdkit/ikdkit/verifier"
)

// loginCookie binds a login to the browser that opened its page: the
// status and the same-device return answer only that browser.
const loginCookie = "ikd_login"

// login serves the login page and its outcome.
type login struct{ p *Provider }

// equalSecret compares two secrets in constant time.
func equalSecret(a, b string) bool {
	ha, hb := hashSecret(a), hashSecret(b)
	return subtle.ConstantTimeCompare([]byte(ha), []byte(hb)) == 1
}

// bind returns the authorization request id of r, checking (and on the
// first visit, setting) the browser binding.
func (l *login) bind(w http.ResponseWriter, r *http.Request, first bool) (*authRequest, int, error) {
	ctx := r.Context()
	id := r.URL.Query().Get("id")
	if id == "" || len(id) > 64 {
		return nil, http.StatusBadRequest, errors.New("no login here")
	}
	a, err := l.p.store.authRequest(ctx, id)
	if err != nil {
		return nil, http.StatusNotFound, errors.New("this login expired or does not exist")
	}
	if a.done {
		return a, http.StatusOK, nil
	}
	c, _ := r.Cookie(loginCookie)
	if c != nil && a.browser != "" && subtle.ConstantTimeCompare([]byte(hashSecret(c.Value)), []byte(a.browser)) == 1 {
		return a, http.StatusOK, nil
	}
	if !first || a.browser != "" {
		return nil, http.StatusForbidden, errors.New("this login was opened in another browser")
	}
	secret, err := l.p.random(32)
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	res, err := l.p.store.db.ExecContext(ctx, `UPDATE auth_requests SET browser = ? WHERE id = ? AND browser = ''`, hashSecret(secret), id)
	if err != nil {
		return nil, http.StatusInternalServerError, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, http.StatusForbidden, errors.New("this login was opened in another browser")
	}
	a.browser = hashSecret(secret)
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: secret, Path: l.p.path + PathLogin, HttpOnly: true,
		Secure: strings.HasPrefix(l.p.cfg.Issuer, "https://"), SameSite: http.SameSiteLaxMode, MaxAge: int(l.p.cfg.LoginTTL / time.Second)})
	return a, http.StatusOK, nil
}

// page serves the login page: a QR code of a cross-device OpenID4VP
// request and a link for the wallet on this phone (same-device).
func (l *login) page(w http.ResponseWriter, r *http.Request) {
	a, status, err := l.bind(w, r, true)
	if err != nil {
		l.fail(w, r, status, err)
		return
	}
	if a.done {
		http.Redirect(w, r, l.p.callbackURL(r.Context(), a.id), http.StatusSeeOther)
		return
	}
	c := l.p.clients[a.clientID]
	q, err := queryFor(a.scopes)
	if err != nil {
		l.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	info := &grantinfo.Info{Endpoint: l.p.cfg.Issuer + PathGrants, ClientID: c.ID, ClientName: c.Name, Scopes: a.scopes,
		ExpiresAt: l.p.now().Add(l.p.cfg.GrantTTL).Unix()}
	vi, err := info.VerifierInfo()
	if err != nil {
		l.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	ctx := r.Context()
	cross, err := l.p.vp.Open(ctx, q, verifier.VPRequestOptions{VerifierInfo: []oid4vp.VerifierInfo{vi}})
	if err != nil {
		l.fail(w, r, http.StatusServiceUnavailable, err)
		return
	}
	same, err := l.p.vp.Open(ctx, q, verifier.VPRequestOptions{VerifierInfo: []oid4vp.VerifierInfo{vi},
		RedirectURI: l.p.cfg.Issuer + PathLoginBack + "?id=" + url.QueryEscape(a.id)})
	if err != nil {
		l.fail(w, r, http.StatusServiceUnavailable, err)
		return
	}
	if _, err := l.p.store.db.ExecContext(ctx, `UPDATE auth_requests SET cross_tx = ?, same_tx = ? WHERE id = ? AND done = 0`,
		cross.ID, same.ID, a.id); err != nil {
		l.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	code, err := qr.NewCode([]byte(cross.Link))
	if err != nil {
		l.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	png, err := qrcode.PNG(code, 4)
	if err != nil {
		l.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	var wants []string
	for _, s := range a.scopes {
		if t, ok := scopeText[s]; ok {
			wants = append(wants, t)
		}
	}
	data := pageData{Client: c.Name, Wants: wants, QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
		CrossLink: template.URL(cross.Link), SameLink: template.URL(same.Link),
		StatusURL: l.p.path + PathLoginStatus + "?id=" + url.QueryEscape(a.id), Until: idDate(info.Until()),
		UntilEN: info.Until().Format("2 January 2006")}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	if err := loginPage.Execute(w, data); err != nil {
		l.p.serverError(w, r, "oidcprovider: writing the login page", err)
	}
}

// statusJSON is what the page polls.
type statusJSON struct {
	// State is "pending", "done" (go on to Next) or "failed".
	State   string `json:"state"`
	Next    string `json:"next,omitempty"`
	Message string `json:"message,omitempty"`
}

// status answers the page's polling: the cross-device outcome, the
// login finished when it verified.
func (l *login) status(w http.ResponseWriter, r *http.Request) {
	a, code, err := l.bind(w, r, false)
	var out statusJSON
	switch {
	case err != nil:
		w.WriteHeader(code)
		out = statusJSON{State: "failed", Message: err.Error()}
	case a.done:
		out = statusJSON{State: "done", Next: l.p.callbackURL(r.Context(), a.id)}
	case a.crossTx == "":
		out.State = "pending"
	default:
		o, err := l.p.vp.Result(r.Context(), a.crossTx)
		switch {
		case err != nil:
			out = statusJSON{State: "failed", Message: "the request expired; reload the page"}
		case o.Pending:
			out.State = "pending"
		case o.Err != nil:
			out = statusJSON{State: "failed", Message: failure(o.Err)}
		default:
			if err := l.complete(r.Context(), a, o.Result); err != nil {
				out = statusJSON{State: "failed", Message: failure(err)}
				break
			}
			out = statusJSON{State: "done", Next: l.p.callbackURL(r.Context(), a.id)}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(out)
}

// back is where the wallet on this phone returns (same-device): the
// response_code reads the outcome of the same-device request.
func (l *login) back(w http.ResponseWriter, r *http.Request) {
	a, status, err := l.bind(w, r, false)
	if err != nil {
		l.fail(w, r, status, err)
		return
	}
	if !a.done {
		o, err := l.p.vp.SameDeviceResult(r.Context(), a.sameTx, r.URL.Query().Get("response_code"))
		switch {
		case err != nil:
			l.fail(w, r, http.StatusForbidden, fmt.Errorf("the wallet's answer cannot be read here: %s", failure(err)))
			return
		case o.Err != nil:
			l.fail(w, r, http.StatusForbidden, errors.New(failure(o.Err)))
			return
		}
		if err := l.complete(r.Context(), a, o.Result); err != nil {
			l.fail(w, r, http.StatusForbidden, errors.New(failure(err)))
			return
		}
	}
	http.Redirect(w, r, l.p.callbackURL(r.Context(), a.id), http.StatusSeeOther)
}

// failure says why a login failed, without the details of the
// presentation.
func failure(err error) string {
	var ce *check.Error
	var pe *oid4vp.ProtocolError
	switch {
	case errors.As(err, &pe) && pe.Code == oid4vp.CodeAccessDenied:
		return "the resident declined in the wallet"
	case errors.As(err, &pe):
		return "the wallet answered " + pe.Code
	case errors.As(err, &ce):
		return fmt.Sprintf("the presentation was refused at the %s check", ce.Check)
	case errors.Is(err, verifier.ErrResponseCode):
		return "wrong or missing response code"
	}
	return "the login failed"
}

// errNoKTPEL: the presentation verified but carries no KTP-el NIK.
var errNoKTPEL = errors.New("oidcprovider: no KTP-el with a NIK in the presentation")

// complete finishes a login with a verified presentation: the grant
// (subject, client, scopes, the released claims, when, until, the keys
// presented) and the authorization request, in one transaction; a login
// already finished stays as it is.
func (l *login) complete(ctx context.Context, a *authRequest, res *verifier.Result) error {
	p := l.p
	c := p.clients[a.clientID]
	creds := map[string]map[string]any{}
	var thumbs []string
	for _, cr := range res.Credentials() {
		creds[cr.Type()] = cr.Claims()
		if k := cr.HolderKey(); k != nil {
			if t, err := keys.Thumbprint(k); err == nil {
				thumbs = append(thumbs, t)
			}
		}
	}
	nik, _ := creds[credential.VCTKTPEL]["personal_administrative_number"].(string)
	if nik == "" || nik != res.NIK() {
		obs.Outcome(p.cfg.Metrics, "login", "no_ktpel")
		return errNoKTPEL
	}
	claims, err := json.Marshal(release(a.scopes, creds))
	if err != nil {
		return err
	}
	gid, err := p.random(16)
	if err != nil {
		return err
	}
	now := p.now().UTC()
	tx, err := p.store.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	sub := p.subject(c, nik)
	res2, err := tx.ExecContext(ctx, `UPDATE auth_requests SET subject = ?, auth_time = ?, grant_id = ?, done = 1 WHERE id = ? AND done = 0`,
		sub, now.Unix(), gid, a.id)
	if err != nil {
		return err
	}
	if n, _ := res2.RowsAffected(); n != 1 {
		return nil // finished meanwhile (the other flow)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO grants (id, subject, client_id, scopes, claims, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, gid, sub, c.ID, encodeList(a.scopes), string(claims), now.Unix(), now.Add(p.cfg.GrantTTL).Unix()); err != nil {
		return err
	}
	for _, t := range thumbs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO grant_keys (thumbprint, grant_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, t, gid); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	obs.Outcome(p.cfg.Metrics, "login", "ok")
	a.done, a.subject, a.grantID, a.authTime = true, sub, gid, now
	return nil
}

// fail serves an error page.
func (l *login) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	if status >= 500 {
		l.p.serverError(w, r, "oidcprovider: server error", err)
		err = errors.New("server error")
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	errorPage.Execute(w, err.Error())
}

// idDate writes t as an Indonesian date, "3 Maret 2027".
func idDate(t time.Time) string {
	months := [...]string{"Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"}
	return fmt.Sprintf("%d %s %d", t.Day(), months[t.Month()-1], t.Year())
}
