package holder

import (
	"context"
	"crypto"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// UsePolicy says which copy of a credential a presentation uses.
type UsePolicy string

// The use policies.
const (
	// UseOnce: every presentation uses a copy never presented before,
	// which is then spent. Two presentations share no signature, digest,
	// device key or status index, so verifiers comparing notes cannot
	// link them by their bytes. The default.
	UseOnce UsePolicy = "once"
	// UsePerVerifier: a verifier always gets the same copy, chosen by its
	// identity (the registered verifier of a signed request, else the
	// audience the request names; the two are kept apart, so a request
	// that merely claims a registered verifier's identifier does not get
	// its copy); a verifier not seen before gets an unspent copy. A
	// verifier can recognise the person across visits; different
	// verifiers still cannot link their presentations.
	UsePerVerifier UsePolicy = "per_verifier"
)

func (p UsePolicy) valid() bool { return p == UseOnce || p == UsePerVerifier }

// MaxCopies caps the copies of one credential: the key proofs one
// Credential Request may carry (oid4vci.MaxProofs).
const MaxCopies = oid4vci.MaxProofs

// DefaultRefreshThreshold is Options.RefreshThreshold when zero: a
// credential needs a refresh when 2 copies or fewer are left.
const DefaultRefreshThreshold = 2

// CopyInfo describes one copy of a credential.
type CopyInfo struct {
	// Number numbers the credential's copies from 1 in the order they
	// arrived; a number is never reused, also after a refresh.
	Number int
	// KeyThumbprint is the RFC 7638 thumbprint of the copy's device key,
	// the key its cnf (SD-JWT VC) or MSO deviceKey (mdoc) names.
	KeyThumbprint string
	// ExpiresAt is when the copy expires (exp or the MSO validUntil).
	ExpiresAt time.Time
	// Spent is true once the copy was presented.
	Spent bool
	// GivenTo are the verifiers the copy was presented to, in order.
	GivenTo []string
}

// storedCopy is a copy's state in its credential's record; its raw
// credential and key are in the copy record ID.
type storedCopy struct {
	ID        string        `json:"id"`
	N         int           `json:"n"`
	Key       string        `json:"key"`
	ExpiresAt time.Time     `json:"expires_at"`
	Spent     bool          `json:"spent,omitempty"`
	GivenTo   []verifierRef `json:"given_to,omitempty"`
}

// verifierRef is a verifier's identity for UsePerVerifier: a registered
// verifier (Verified) and a self-declared audience of the same
// identifier are different verifiers.
type verifierRef struct {
	ID       string `json:"id"`
	Verified bool   `json:"verified,omitempty"`
}

// copyRecord is the sealed record of one copy: the raw credential as
// issued and its device key (a software key as a private JWK or a
// keystore alias), or DeviceKey when it is bound to the wallet's device
// key (Import, and credentials stored before copies existed).
type copyRecord struct {
	Credential string          `json:"credential"`
	Raw        []byte          `json:"raw"`
	Key        deviceKeyRecord `json:"key,omitzero"`
	DeviceKey  bool            `json:"device_key,omitempty"`
}

// refreshRef says where a credential is refreshed: the issuer session
// record holding the refresh token, and what to ask for.
type refreshRef struct {
	Session       string `json:"session"`
	Configuration string `json:"configuration"`
	Identifier    string `json:"identifier,omitempty"`
}

// newCopy is a verified copy not yet stored.
type newCopy struct {
	raw       []byte
	key       *proofKey
	expiresAt time.Time
}

// proofKey is a device key for one copy: its signer, its thumbprint and
// how it is stored.
type proofKey struct {
	signer     crypto.Signer
	thumbprint string
	rec        deviceKeyRecord
	device     bool // the wallet's device key (record deviceKeyID)
}

// CopiesLeft returns the copies not yet spent and not expired, as of when
// the credential was read from the wallet.
func (c *Credential) CopiesLeft() int { return c.left }

// NeedsRefresh reports whether the copies left are at or below the
// wallet's Options.RefreshThreshold (at most one below the number of
// copies the credential was received with, so a credential of one copy
// needs a refresh once it is spent). Whether the wallet can refresh it is
// Refreshable.
func (c *Credential) NeedsRefresh() bool {
	if c.threshold < 0 {
		return false
	}
	return c.left <= min(c.threshold, c.target-1)
}

// policyFor is the use policy of a credential: its own, else the
// wallet's for its type (its vct for an SD-JWT VC, its doctype for an
// mdoc), else UseOnce.
func (w *Wallet) policyFor(s *storedCredential) UsePolicy {
	if s.Policy.valid() {
		return s.Policy
	}
	if p, ok := w.opts.UsePolicies[typeKey(s.Format, s.VCT, s.DocType)]; ok {
		return p
	}
	return UseOnce
}

// typeKey is the type a credential of format is known by in the maps of
// Options: its vct for an SD-JWT VC, its doctype for an mdoc.
func typeKey(f credential.Format, vct, docType string) string {
	if f == credential.FormatMdoc {
		return docType
	}
	return vct
}

// copiesWanted is the number of copies the wallet asks for of a type
// (its vct for an SD-JWT VC, its doctype for an mdoc):
// override's, else Options.Copies', else the type's TypeInfo.Copies,
// else 1.
func (w *Wallet) copiesWanted(f credential.Format, vct, docType string, override map[string]int) int {
	for _, m := range []map[string]int{override, w.opts.Copies} {
		if n, ok := m[typeKey(f, vct, docType)]; ok {
			return n
		}
	}
	if ti, ok := typeInfo(vct, docType); ok && ti.Copies > 0 {
		return min(ti.Copies, MaxCopies)
	}
	return 1
}

// typeInfo finds the TypeInfo of a vct or doctype, QR profiles included.
func typeInfo(vct, docType string) (credential.TypeInfo, bool) {
	for _, ti := range []credential.TypeInfo{credential.QRType(), credential.QRFullType()} {
		if (vct != "" && vct == ti.VCT) || (docType != "" && docType == ti.DocType) {
			return ti, true
		}
	}
	if ti, ok := credential.TypeByVCT(vct); ok && vct != "" {
		return ti, true
	}
	return credential.TypeByDocType(docType)
}

// checkCopiesMap checks a map of copies per type.
func checkCopiesMap(op, name string, m map[string]int) error {
	for t, n := range m {
		if t == "" || n < 1 || n > MaxCopies {
			return errorf(op, ErrConfig, "%s[%q] = %d: want a type and 1 to %d copies", name, t, n, MaxCopies)
		}
	}
	return nil
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// loadCredential reads the credential record id through q.
func (w *Wallet) loadCredential(ctx context.Context, q querier, id string) (*Credential, error) {
	b, err := w.getRecordQ(ctx, q, id, kindCredential)
	if err != nil {
		return nil, err
	}
	return w.credentialFrom(ctx, q, id, b)
}

// credentialFrom decodes a credential record. A record written before
// credentials had copies (a top-level raw, no copies) is a batch of one:
// that raw, bound to the wallet's device key, unspent; it is rewritten
// in the new form the first time the credential changes (putCredential).
func (w *Wallet) credentialFrom(ctx context.Context, q querier, id string, b []byte) (*Credential, error) {
	var s storedCredential
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, &corruptError{id, "does not decode"}
	}
	if len(s.Copies) == 0 {
		if len(s.Raw) == 0 {
			return nil, &corruptError{id, "does not decode"}
		}
		tp, err := w.deviceThumbprint(ctx, q)
		if err != nil {
			return nil, err
		}
		s.Copies = []storedCopy{{N: 1, Key: tp, ExpiresAt: s.ExpiresAt}}
		s.NextCopy, s.Target = 2, 1
	}
	return w.credential(id, &s), nil
}

// credential makes the Credential the app sees of a stored record.
func (w *Wallet) credential(id string, s *storedCredential) *Credential {
	now := w.opts.now()
	c := &Credential{ID: id, Format: s.Format, Name: s.Name, VCT: s.VCT, DocType: s.DocType, Issuer: s.Issuer,
		ImportedAt: s.ImportedAt, ExpiresAt: s.ExpiresAt, Policy: w.policyFor(s), Refreshable: s.Refresh != nil,
		claims: s.Claims, elements: s.Elements, rec: s, threshold: w.opts.RefreshThreshold, target: max(s.Target, 1)}
	for _, sc := range s.Copies {
		ci := CopyInfo{Number: sc.N, KeyThumbprint: sc.Key, ExpiresAt: sc.ExpiresAt, Spent: sc.Spent}
		for _, v := range sc.GivenTo {
			ci.GivenTo = append(ci.GivenTo, v.ID)
		}
		c.Copies = append(c.Copies, ci)
		if !sc.Spent && live(sc, now) {
			c.left++
		}
	}
	return c
}

// live reports whether a copy has not expired at now.
func live(sc storedCopy, now time.Time) bool {
	return sc.ExpiresAt.IsZero() || now.Before(sc.ExpiresAt)
}

// latestExpiry is when the last of copies expires: the credential as a
// whole is unusable after it.
func latestExpiry(copies []storedCopy) time.Time {
	var t time.Time
	for _, c := range copies {
		if c.ExpiresAt.IsZero() {
			return time.Time{}
		}
		if c.ExpiresAt.After(t) {
			t = c.ExpiresAt
		}
	}
	return t
}

// deviceThumbprint is the thumbprint of the wallet's device key, read
// from its record's public key.
func (w *Wallet) deviceThumbprint(ctx context.Context, q querier) (string, error) {
	if w.device != nil {
		return w.device.thumbprint, nil
	}
	b, err := w.getRecordQ(ctx, q, deviceKeyID, kindDeviceKey)
	if errors.Is(err, errNoRecord) {
		return "", &corruptError{deviceKeyID, "is missing: a credential is bound to the device key"}
	}
	if err != nil {
		return "", err
	}
	var r deviceKeyRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return "", &corruptError{deviceKeyID, "does not decode"}
	}
	pub, err := keys.ParsePublicJWK(r.PublicJWK)
	if err != nil {
		return "", &corruptError{deviceKeyID, "does not decode"}
	}
	tp, err := keys.Thumbprint(pub)
	if err != nil {
		return "", &corruptError{deviceKeyID, "does not decode"}
	}
	return tp, nil
}

// putCredential writes a credential's record in tx. A copy still held in
// the record itself (a record from before copies) first gets its own
// copy record, bound to the device key.
func (w *Wallet) putCredential(ctx context.Context, tx *sql.Tx, id string, s *storedCredential) error {
	for i := range s.Copies {
		if s.Copies[i].ID != "" {
			continue
		}
		cid, err := w.newCopyID()
		if err != nil {
			return err
		}
		b, err := json.Marshal(copyRecord{Credential: id, Raw: s.Raw, DeviceKey: true})
		if err != nil {
			return err
		}
		if err := w.putRecord(ctx, tx, cid, kindCopy, b); err != nil {
			return err
		}
		s.Copies[i].ID = cid
		s.Raw = nil
	}
	s.ExpiresAt = latestExpiry(s.Copies)
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return w.putRecord(ctx, tx, id, kindCredential, b)
}

// addCopies stores new copies of the credential s (record id) in tx: a
// copy record each, numbered on from s.NextCopy.
func (w *Wallet) addCopies(ctx context.Context, tx *sql.Tx, id string, s *storedCredential, copies []newCopy) error {
	if s.NextCopy < 1 {
		s.NextCopy = 1
	}
	for _, nc := range copies {
		cid, err := w.newCopyID()
		if err != nil {
			return err
		}
		r := copyRecord{Credential: id, Raw: nc.raw}
		if nc.key.device {
			r.DeviceKey = true
		} else {
			r.Key = nc.key.rec
		}
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if err := w.putRecord(ctx, tx, cid, kindCopy, b); err != nil {
			return err
		}
		s.Copies = append(s.Copies, storedCopy{ID: cid, N: s.NextCopy, Key: nc.key.thumbprint, ExpiresAt: nc.expiresAt})
		s.NextCopy++
	}
	return nil
}

func (w *Wallet) newCopyID() (string, error) {
	b := make([]byte, 12)
	if _, err := io.ReadFull(w.opts.rand(), b); err != nil {
		return "", err
	}
	return "copy-" + hexString(b), nil
}

// openCopy returns copy i of c: its raw credential and its device key,
// which must be the key the wallet recorded for it.
func (w *Wallet) openCopy(ctx context.Context, op string, c *Credential, i int) ([]byte, crypto.Signer, error) {
	sc := c.rec.Copies[i]
	var raw []byte
	var sg crypto.Signer
	device := sc.ID == ""
	if device {
		raw = c.rec.Raw
	} else {
		b, err := w.getRecord(ctx, sc.ID, kindCopy)
		if err != nil {
			return nil, nil, storeErr(op, err)
		}
		var r copyRecord
		if err := json.Unmarshal(b, &r); err != nil || r.Credential != c.ID {
			return nil, nil, errorf(op, ErrCorrupt, "copy record %s", sc.ID)
		}
		raw, device = r.Raw, r.DeviceKey
		if !device {
			k, err := w.signerFromRecord(ctx, op, &r.Key)
			if err != nil {
				return nil, nil, err
			}
			sg = k.signer
			if k.thumbprint != sc.Key {
				return nil, nil, errorf(op, ErrCorrupt, "copy %d of %s: key does not match the record", sc.N, c.ID)
			}
		}
	}
	if device {
		dk, err := w.deviceLocked(ctx, op)
		if err != nil {
			return nil, nil, err
		}
		if dk.thumbprint != sc.Key {
			return nil, nil, errorf(op, ErrCorrupt, "copy %d of %s: bound to another device key", sc.N, c.ID)
		}
		sg = dk.signer
	}
	return raw, sg, nil
}

// deleteCopies deletes the copy records of copies in tx and returns the
// keystore aliases of their keys, to delete once tx committed; the key of
// a copy an unrevoked grant was made with stays in the keystore (the
// grant keeps its record, to sign the withdrawal).
func (w *Wallet) deleteCopies(ctx context.Context, tx *sql.Tx, copies []storedCopy) ([]string, error) {
	held, err := w.grantAliases(ctx, tx, "")
	if err != nil {
		return nil, err
	}
	var aliases []string
	for _, sc := range copies {
		if sc.ID == "" {
			continue // held in the credential record, bound to the device key
		}
		b, err := w.getRecordQ(ctx, tx, sc.ID, kindCopy)
		if err != nil && !errors.Is(err, errNoRecord) {
			return nil, err
		}
		if err == nil {
			var r copyRecord
			if json.Unmarshal(b, &r) == nil && !r.DeviceKey && r.Key.Alias != "" && !held[r.Key.Alias] {
				aliases = append(aliases, r.Key.Alias)
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM records WHERE id = ? AND kind = ?", sc.ID, kindCopy); err != nil {
			return nil, err
		}
	}
	return aliases, nil
}

// deleteKeystoreKeys deletes keystore keys after the records naming them
// are gone; the first failure is returned, the rest still tried.
func (w *Wallet) deleteKeystoreKeys(ctx context.Context, aliases []string) error {
	if w.opts.DeviceKeys == nil {
		return nil
	}
	var first error
	for _, a := range aliases {
		if err := w.opts.DeviceKeys.DeleteKey(ctx, a); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// newCopyKeys makes n device keys, one per copy: in the keystore under a
// fresh alias each when Options.DeviceKeys is set, else software ECDSA
// P-256 keys, stored with their copies.
func (w *Wallet) newCopyKeys(ctx context.Context, op string, n int) ([]*proofKey, error) {
	var out []*proofKey
	for range n {
		var k proofKey
		var err error
		if w.opts.DeviceKeys != nil {
			suffix := make([]byte, 12)
			if _, err := io.ReadFull(w.opts.rand(), suffix); err != nil {
				return out, wrapErr(op, ErrStore, err, "randomness")
			}
			k.rec.Alias = "ikdkit-holder-" + hexString(w.id) + "-" + hexString(suffix)
			if k.signer, err = w.opts.DeviceKeys.CreateKey(ctx, k.rec.Alias); err != nil {
				return out, wrapErr(op, ErrStore, err, "create a device key in the keystore")
			}
			out = append(out, &k) // from here on it must be deleted if not stored
		} else {
			if k.signer, err = keys.Generate(keys.ES256, w.opts.rand()); err != nil {
				return out, wrapErr(op, ErrStore, err, "generate a device key")
			}
			if k.rec.PrivateJWK, err = keys.MarshalPrivateJWK(k.signer); err != nil {
				return out, wrapErr(op, ErrStore, err, "encode a device key")
			}
			out = append(out, &k)
		}
		if k.rec.PublicJWK, err = keys.MarshalPublicJWK(k.signer.Public()); err != nil {
			return out, wrapErr(op, ErrConfig, err, "device public key")
		}
		if k.thumbprint, err = keys.Thumbprint(k.signer.Public()); err != nil {
			return out, wrapErr(op, ErrConfig, err, "device public key")
		}
	}
	return out, nil
}

// aliasesOf lists the keystore aliases of keys.
func aliasesOf(ks []*proofKey) []string {
	var out []string
	for _, k := range ks {
		if k.rec.Alias != "" && !k.device {
			out = append(out, k.rec.Alias)
		}
	}
	return out
}

// SetUsePolicy sets the use policy of one credential, replacing the
// wallet's default for its type (Options.UsePolicies).
func (w *Wallet) SetUsePolicy(ctx context.Context, id string, p UsePolicy) error {
	const op = "set use policy"
	if !p.valid() {
		return errorf(op, ErrInvalidInput, "unknown use policy %q", p)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.unlockedLocked(op); err != nil {
		return err
	}
	err := w.update(ctx, func(tx *sql.Tx) error {
		c, err := w.loadCredential(ctx, tx, id)
		if err != nil {
			return err
		}
		c.rec.Policy = p
		return w.putCredential(ctx, tx, id, c.rec)
	})
	if err != nil {
		return storeErr(op, err)
	}
	return nil
}

// givenTo reports whether copy sc went to verifier v.
func givenTo(sc storedCopy, v verifierRef) bool { return slices.Contains(sc.GivenTo, v) }
