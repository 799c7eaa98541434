package holder

import (
	"context"
	"crypto"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/internal/grantinfo"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
	"github.com/ikdkit/ikdkit/oid4vp"
)

// Errors of grants ([Wallet.Grants], [Wallet.RevokeGrant]).
var (
	// ErrNoGrant: the wallet holds no grant of that ID.
	ErrNoGrant = errors.New("holder: no such grant")
	// ErrRevokeFailed: the provider could not be reached, or did not
	// confirm the withdrawal (a 5xx, a 400 OAuth error, an answer that is
	// not {"revoked":true}). The grant stays active in the wallet; the
	// user can try again.
	ErrRevokeFailed = errors.New("holder: grant withdrawal failed")
)

// ActivityGrantRevoked records the withdrawal of a grant
// ([Wallet.RevokeGrant]); Activity.Grant names it.
const ActivityGrantRevoked ActivityKind = "grant_revoked"

// Limits of the withdrawal request.
const (
	// DefaultRevokeTimeout is the time limit of the withdrawal request
	// when RevokeOptions.HTTPClient is nil.
	DefaultRevokeTimeout = DefaultVPTimeout
	// maxRevokeAnswer caps the provider's answer.
	maxRevokeAnswer = 16 << 10
)

// GrantRequest is the standing authorisation a login request asks for
// (the ikdkit_login_grant entry of its verifier_info, package
// internal/grantinfo): the presentation signs the resident in to a
// relying party through the registered verifier (the IKD login provider),
// and the relying party keeps access until Until unless the resident
// withdraws it. The consent screen shows it ("Portal X will keep access
// until …").
type GrantRequest struct {
	// ClientID and ClientName identify the relying party, as the
	// provider names it.
	ClientID, ClientName string
	// Scopes are the scopes the relying party asked for.
	Scopes []string
	// Until is when the grant ends unless withdrawn.
	Until time.Time
	// Endpoint is the provider's URL where the wallet withdraws it.
	Endpoint string
}

// Grant is a standing authorisation the wallet made by a login
// presentation ([Wallet.AnswerVPRequest] of a request with a
// [GrantRequest]): which relying party, through which provider, received
// which claims, when, and until when.
type Grant struct {
	// ID identifies the grant in the wallet ([Wallet.RevokeGrant]).
	ID string `json:"id"`
	// Provider is the registered verifier (the login provider) the
	// presentation went to, ProviderName its registered name.
	Provider     string `json:"provider"`
	ProviderName string `json:"provider_name,omitempty"`
	// ClientID and ClientName identify the relying party.
	ClientID   string `json:"client_id"`
	ClientName string `json:"client_name"`
	// Scopes are the scopes the relying party asked for.
	Scopes []string `json:"scopes"`
	// Credentials names the credentials presented; Claims the claims
	// shared, as the activity history names them ("KTP-el: name"), names
	// only, never values.
	Credentials []string `json:"credentials,omitempty"`
	Claims      []string `json:"claims,omitempty"`
	// At is when the wallet made the presentation (its clock), Until when
	// the grant ends unless withdrawn.
	At    time.Time `json:"at"`
	Until time.Time `json:"until"`
	// Endpoint is the provider's URL where the grant is withdrawn.
	Endpoint string `json:"endpoint"`
	// Copies are the copies presented; the first one's key signs the
	// withdrawal.
	Copies []CopyUse `json:"copies"`
	// RevokedAt is when the wallet withdrew the grant (its clock); zero
	// while it was not.
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	// GoneAtProvider is true when the provider answered the withdrawal
	// that it had no such grant (404 invalid_grant): it had ended or was
	// withdrawn another way, and the wallet marked it revoked.
	GoneAtProvider bool `json:"gone_at_provider,omitempty"`
}

// Active reports whether the grant is in force at now: not revoked and
// not past Until.
func (g *Grant) Active(now time.Time) bool {
	return g.RevokedAt.IsZero() && now.Before(g.Until)
}

// storedGrant is a grant's sealed record: the Grant and the device keys
// of its copies, kept here so that withdrawing still works after the
// copies themselves were refreshed away or their credential removed.
// The keys are dropped once the grant is revoked.
type storedGrant struct {
	Grant
	Keys []grantKey `json:"keys,omitempty"`
}

// grantKey is the device key of one presented copy: as in its copy
// record, or the wallet's device key.
type grantKey struct {
	Thumbprint string          `json:"thumbprint"`
	Key        deviceKeyRecord `json:"key,omitzero"`
	DeviceKey  bool            `json:"device_key,omitempty"`
}

// RevokeOptions configure [Wallet.RevokeGrant].
type RevokeOptions struct {
	// HTTPClient posts the withdrawal; nil means a client with
	// DefaultRevokeTimeout. Redirects are never followed, whatever it
	// says.
	HTTPClient *http.Client
}

// readGrant reads the grant entry of a request's verifier_info for
// registered verifier reg: malformed, on another host than the
// verifier's identifier, or already expired at now is ErrVPRequest.
func readGrant(vi []oid4vp.VerifierInfo, verifierID string, now time.Time) (*GrantRequest, error) {
	gi, err := grantinfo.Find(vi)
	if err != nil {
		return nil, wrapErr(opVP, ErrVPRequest, err, "verifier_info")
	}
	if gi == nil {
		return nil, nil
	}
	e, err := url.Parse(gi.Endpoint)
	v, verr := url.Parse(verifierID)
	if err != nil || verr != nil || !strings.EqualFold(e.Hostname(), v.Hostname()) {
		return nil, errorf(opVP, ErrVPRequest, "grant_endpoint %.200q is not on the host of the verifier %s", gi.Endpoint, verifierID)
	}
	if !now.Before(gi.Until()) {
		return nil, errorf(opVP, ErrVPRequest, "the grant expired at %s", gi.Until().Format(time.RFC3339))
	}
	return &GrantRequest{ClientID: gi.ClientID, ClientName: gi.ClientName, Scopes: slices.Clone(gi.Scopes),
		Until: gi.Until(), Endpoint: gi.Endpoint}, nil
}

// newGrant makes the record of the grant r asks for, made at now by the
// presentation picks, recorded as act.
func (w *Wallet) newGrant(ctx context.Context, r *VPRequest, picks []vpPick, act Activity, now time.Time) (*storedGrant, error) {
	id := make([]byte, 12)
	if _, err := io.ReadFull(w.opts.rand(), id); err != nil {
		return nil, wrapErr(opVP, ErrStore, err, "randomness")
	}
	g := &storedGrant{Grant: Grant{ID: "grant-" + hexString(id), Provider: r.registered.ID, ProviderName: r.registered.Name,
		ClientID: r.Grant.ClientID, ClientName: r.Grant.ClientName, Scopes: slices.Clone(r.Grant.Scopes),
		Credentials: act.Credentials, Claims: act.Claims, At: now.UTC(), Until: r.Grant.Until.UTC(), Endpoint: r.Grant.Endpoint,
		Copies: act.Copies}}
	for _, p := range picks {
		k, err := w.copyKey(ctx, p.cred, p.copy)
		if err != nil {
			return nil, err
		}
		g.Keys = append(g.Keys, k)
	}
	return g, nil
}

// copyKey is the device key record of copy i of c.
func (w *Wallet) copyKey(ctx context.Context, c *Credential, i int) (grantKey, error) {
	sc := c.rec.Copies[i]
	if sc.ID == "" {
		return grantKey{Thumbprint: sc.Key, DeviceKey: true}, nil
	}
	b, err := w.getRecord(ctx, sc.ID, kindCopy)
	if err != nil {
		return grantKey{}, storeErr(opVP, err)
	}
	var r copyRecord
	if err := json.Unmarshal(b, &r); err != nil || r.Credential != c.ID {
		return grantKey{}, errorf(opVP, ErrCorrupt, "copy record %s", sc.ID)
	}
	return grantKey{Thumbprint: sc.Key, Key: r.Key, DeviceKey: r.DeviceKey}, nil
}

func (w *Wallet) putGrant(ctx context.Context, tx *sql.Tx, g *storedGrant) error {
	b, err := json.Marshal(g)
	if err != nil {
		return err
	}
	return w.putRecord(ctx, tx, g.ID, kindGrant, b)
}

// grantsQ reads every grant record through q, in the order they were
// made.
func (w *Wallet) grantsQ(ctx context.Context, q querier) ([]*storedGrant, error) {
	recs, err := w.listRecordsQ(ctx, q, kindGrant)
	if err != nil {
		return nil, err
	}
	out := make([]*storedGrant, 0, len(recs))
	for _, r := range recs {
		var g storedGrant
		if err := json.Unmarshal(r.data, &g); err != nil || g.ID != r.id {
			return nil, &corruptError{r.id, "does not decode"}
		}
		out = append(out, &g)
	}
	return out, nil
}

// grantAliases are the keystore aliases the unrevoked grants hold,
// except grant except's.
func (w *Wallet) grantAliases(ctx context.Context, q querier, except string) (map[string]bool, error) {
	gs, err := w.grantsQ(ctx, q)
	if err != nil {
		return nil, err
	}
	held := map[string]bool{}
	for _, g := range gs {
		if g.ID == except || !g.RevokedAt.IsZero() {
			continue
		}
		for _, k := range g.Keys {
			if !k.DeviceKey && k.Key.Alias != "" {
				held[k.Key.Alias] = true
			}
		}
	}
	return held, nil
}

// Grants lists the grants the wallet made, oldest first (as
// [Wallet.Activity]), active, expired and revoked alike: what each
// relying party received, when, and until when.
func (w *Wallet) Grants(ctx context.Context) ([]Grant, error) {
	const op = "grants"
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.unlockedLocked(op); err != nil {
		return nil, err
	}
	gs, err := w.grantsQ(ctx, w.db)
	if err != nil {
		return nil, storeErr(op, err)
	}
	out := make([]Grant, 0, len(gs))
	for _, g := range gs {
		out = append(out, g.Grant)
	}
	return out, nil
}

// RevokeGrant withdraws grant id at its provider (the request of package
// internal/grantinfo): POST {Endpoint} with client_id, and a DPoP proof
// (RFC 9449) signed by the key of the first copy presented in that
// login, htm POST, htu Endpoint, iat the wallet's clock. The key is kept
// with the grant, so it works after that copy was refreshed away or its
// credential removed. HTTP: https only (http on loopback hosts), no
// redirects, the answer at most 16 KiB.
//
// When the provider answers 200 {"revoked":true} the wallet marks the
// grant revoked (Grant.RevokedAt), forgets its keys and records an
// ActivityGrantRevoked entry, in one transaction. When it answers 404
// invalid_grant (it has no such grant: it ended or was withdrawn another
// way) the wallet does the same, sets Grant.GoneAtProvider, and returns
// nil: either way nothing stands any more. Any other outcome (network
// failure, 5xx, 400 with an OAuth error, another answer) is
// ErrRevokeFailed and changes nothing: the grant stays active and the
// user can try again.
//
// An unknown id is ErrNoGrant. A grant already revoked is left as it is
// and nil is returned, with no request. A grant past its Until is still
// withdrawn at the provider. The wallet must be unlocked.
func (w *Wallet) RevokeGrant(ctx context.Context, id string, opts RevokeOptions) error {
	const op = "revoke grant"
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.unlockedLocked(op); err != nil {
		return err
	}
	g, err := w.loadGrant(ctx, w.db, op, id)
	if err != nil {
		return err
	}
	if !g.RevokedAt.IsZero() {
		return nil
	}
	if len(g.Keys) == 0 {
		return errorf(op, ErrCorrupt, "grant %s holds no key", id)
	}
	signer, err := w.grantSigner(ctx, op, g.Keys[0])
	if err != nil {
		return err
	}
	now := w.opts.now()
	proof, err := oid4vci.NewDPoPProof(w.opts.rand(), signer, http.MethodPost, g.Endpoint, "", "", now)
	if err != nil {
		return wrapErr(op, ErrRevokeFailed, err, "DPoP proof")
	}
	gone, err := postRevocation(ctx, vpHTTPClient(opts.HTTPClient), g.Endpoint, g.ClientID, proof)
	if err != nil {
		return wrapErr(op, ErrRevokeFailed, err, "%s", g.Endpoint)
	}
	var release []string
	err = w.update(ctx, func(tx *sql.Tx) error {
		cur, err := w.loadGrant(ctx, tx, op, id)
		if err != nil {
			return err
		}
		if !cur.RevokedAt.IsZero() {
			return nil
		}
		if release, err = w.releasedAliases(ctx, tx, cur); err != nil {
			return err
		}
		cur.RevokedAt, cur.GoneAtProvider, cur.Keys = now.UTC(), gone, nil
		if err := w.putGrant(ctx, tx, cur); err != nil {
			return err
		}
		return w.addActivity(ctx, tx, Activity{At: now.UTC(), Kind: ActivityGrantRevoked, Counterparty: cur.Provider,
			CounterpartyName: cur.ProviderName, Verified: true, Credentials: cur.Credentials, Claims: cur.Claims, Grant: cur.ID})
	})
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return e
		}
		return storeErr(op, err)
	}
	// Best effort: a keystore key nothing names any more is only clutter.
	w.deleteKeystoreKeys(context.WithoutCancel(ctx), release)
	return nil
}

// loadGrant reads grant id through q; absent is ErrNoGrant.
func (w *Wallet) loadGrant(ctx context.Context, q querier, op, id string) (*storedGrant, error) {
	if id == "" || len(id) > 64 {
		return nil, errorf(op, ErrNoGrant, "grant id %.64q", id)
	}
	b, err := w.getRecordQ(ctx, q, id, kindGrant)
	if errors.Is(err, errNoRecord) {
		return nil, errorf(op, ErrNoGrant, "%s", id)
	}
	if err != nil {
		return nil, storeErr(op, err)
	}
	var g storedGrant
	if err := json.Unmarshal(b, &g); err != nil || g.ID != id {
		return nil, errorf(op, ErrCorrupt, "grant record %s", id)
	}
	return &g, nil
}

// grantSigner opens a grant's key and checks it is the key recorded.
func (w *Wallet) grantSigner(ctx context.Context, op string, k grantKey) (crypto.Signer, error) {
	if k.DeviceKey {
		dk, err := w.deviceLocked(ctx, op)
		if err != nil {
			return nil, err
		}
		if dk.thumbprint != k.Thumbprint {
			return nil, errorf(op, ErrCorrupt, "the grant's key is not the device key")
		}
		return dk.signer, nil
	}
	pk, err := w.signerFromRecord(ctx, op, &k.Key)
	if err != nil {
		return nil, err
	}
	if tp, err := keys.Thumbprint(pk.signer.Public()); err != nil || tp != k.Thumbprint {
		return nil, errorf(op, ErrCorrupt, "the grant's key does not match its thumbprint")
	}
	return pk.signer, nil
}

// releasedAliases are the keystore aliases of g that nothing else names:
// no copy record and no other unrevoked grant.
func (w *Wallet) releasedAliases(ctx context.Context, tx *sql.Tx, g *storedGrant) ([]string, error) {
	var mine []string
	for _, k := range g.Keys {
		if !k.DeviceKey && k.Key.Alias != "" {
			mine = append(mine, k.Key.Alias)
		}
	}
	if len(mine) == 0 {
		return nil, nil
	}
	held, err := w.grantAliases(ctx, tx, g.ID)
	if err != nil {
		return nil, err
	}
	copies, err := w.listRecordsQ(ctx, tx, kindCopy)
	if err != nil {
		return nil, err
	}
	for _, r := range copies {
		var c copyRecord
		if json.Unmarshal(r.data, &c) == nil && !c.DeviceKey && c.Key.Alias != "" {
			held[c.Key.Alias] = true
		}
	}
	var out []string
	for _, a := range mine {
		if !held[a] {
			out = append(out, a)
		}
	}
	return out, nil
}

// postRevocation posts the withdrawal and reads the answer: nil for 200
// {"revoked":true}, gone for 404 invalid_grant, an error otherwise.
func postRevocation(ctx context.Context, hc *http.Client, endpoint, clientID, proof string) (gone bool, err error) {
	if err := oid4vp.CheckURL(endpoint); err != nil {
		return false, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(url.Values{"client_id": {clientID}}.Encode()))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("DPoP", proof)
	resp, err := hc.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRevokeAnswer+1))
	if err != nil {
		return false, err
	}
	if len(body) > maxRevokeAnswer {
		return false, fmt.Errorf("answer over %d bytes", maxRevokeAnswer)
	}
	var ans struct {
		Revoked          bool   `json:"revoked"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	jerr := json.Unmarshal(body, &ans)
	switch {
	case resp.StatusCode == http.StatusOK && jerr == nil && ans.Revoked:
		return false, nil
	case resp.StatusCode == http.StatusOK:
		return false, errors.New("200 without {\"revoked\":true}")
	case resp.StatusCode == http.StatusNotFound && jerr == nil && ans.Error == "invalid_grant":
		return true, nil
	case jerr == nil && ans.Error != "":
		return false, fmt.Errorf("HTTP %d: %.100s: %.200s", resp.StatusCode, ans.Error, ans.ErrorDescription)
	default:
		return false, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
}
