package holder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"maps"
	"sort"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/keys"
)

// MaxCredentials caps the credentials one wallet holds.
const MaxCredentials = 256

// Credential is a credential held by the wallet: what the user sees as
// one document in one format (a KTP-el as an SD-JWT VC, the same KTP-el
// as an mdoc, its QR profile, ...). It is held as a batch of one-time
// copies (see Copies): each copy has its own device key, salts, status
// index and issuer signature, with the same claims. Its claims were
// verified at import (issuer signature against the trust list, every
// copy's binding to its own device key) and are read from the encrypted
// store.
type Credential struct {
	// ID identifies the credential in this wallet.
	ID string
	// Format is credential.FormatSDJWT or credential.FormatMdoc.
	Format credential.Format
	// Name is a display name: the credential type's ("KTP-el") or, for a
	// QR profile credential, "QR <type>".
	Name string
	// VCT is the SD-JWT VC type; DocType the mdoc doctype (both are set for
	// the credential types of package credential, one for others).
	VCT, DocType string
	// Issuer is the SD-JWT iss, or the document signer's subject for an mdoc.
	Issuer string
	// ImportedAt is when the credential was verified and stored; ExpiresAt
	// when its last copy expires (exp or the MSO validUntil).
	ImportedAt, ExpiresAt time.Time
	// Policy is the use policy presentations follow: the credential's own
	// ([Wallet.SetUsePolicy]), else Options.UsePolicies for its type,
	// else UseOnce.
	Policy UsePolicy
	// Copies are the credential's copies, spent or not, by Number. A
	// credential stored before copies existed, or imported with
	// [Wallet.Import], has one, bound to the wallet's device key.
	Copies []CopyInfo
	// Refreshable is true when the issuer gave a refresh token with the
	// credential, so [Wallet.Refresh] can top its copies up.
	Refreshable bool

	claims   []byte // SD-JWT: processed claims as JSON
	elements []byte // mdoc: verified namespaces as CBOR

	rec       *storedCredential
	left      int // copies unspent and unexpired when read
	threshold int // Options.RefreshThreshold
	target    int // the copies asked for
}

// storedCredential is the sealed record of a credential. Raw is set only
// in records written before copies existed (the one credential, bound
// to the device key); every other record has Copies.
type storedCredential struct {
	Format     credential.Format `json:"format"`
	Name       string            `json:"name"`
	VCT        string            `json:"vct,omitempty"`
	DocType    string            `json:"doctype,omitempty"`
	Issuer     string            `json:"issuer"`
	ImportedAt time.Time         `json:"imported_at"`
	ExpiresAt  time.Time         `json:"expires_at"`
	Raw        []byte            `json:"raw,omitempty"`
	Claims     []byte            `json:"claims,omitempty"`
	Elements   []byte            `json:"elements,omitempty"`
	Policy     UsePolicy         `json:"policy,omitempty"`
	Copies     []storedCopy      `json:"copies,omitempty"`
	NextCopy   int               `json:"next_copy,omitempty"`
	Target     int               `json:"target,omitempty"`
	Refresh    *refreshRef       `json:"refresh,omitempty"`
	// Same is the SHA-256 of what every copy shares (verified.same): a
	// refresh whose copies differ re-issued the credential.
	Same []byte `json:"same,omitempty"`
}

// Claims returns the SD-JWT VC's claims as verified at import (JSON values:
// strings, json.Number, bools, maps, slices), or nil for an mdoc.
func (c *Credential) Claims() map[string]any {
	if c.claims == nil {
		return nil
	}
	m, err := strictjson.UnmarshalObject(c.claims, sdjwt.MaxDepth)
	if err != nil {
		return nil
	}
	return m
}

// Elements returns the mdoc's elements as verified at import (namespace →
// element identifier → value after a CBOR round trip: full-dates are
// cbor.Tag 1004), or nil for an SD-JWT VC.
func (c *Credential) Elements() map[string]map[string]any {
	if c.elements == nil {
		return nil
	}
	var m map[string]map[string]any
	if err := cbor.Unmarshal(c.elements, &m); err != nil {
		return nil
	}
	return m
}

// Document returns the credential's claims as their typed value from
// package credential (*credential.KTPEL, *credential.KK, ...). A QR profile
// credential has no typed form and gives ErrNotFound.
func (c *Credential) Document() (credential.Document, error) {
	const op = "document"
	ti, ok := typeOf(c.VCT, c.DocType)
	if !ok {
		return nil, errorf(op, ErrNotFound, "%s has no typed form", c.Name)
	}
	d, err := decodeDocument(ti, c.Claims(), c.Elements())
	if err != nil {
		return nil, wrapErr(op, ErrCorrupt, err, "stored claims")
	}
	return d, nil
}

func typeOf(vct, docType string) (credential.TypeInfo, bool) {
	if vct != "" {
		return credential.TypeByVCT(vct)
	}
	return credential.TypeByDocType(docType)
}

func decodeDocument(ti credential.TypeInfo, claims map[string]any, ns map[string]map[string]any) (credential.Document, error) {
	if claims != nil {
		return credential.DocumentFromClaims(ti.VCT, claims)
	}
	return credential.DocumentFromMdoc(ti.DocType, ns)
}

// Import verifies a credential and stores it. data is the compact SD-JWT VC
// (credential.FormatSDJWT) or the CBOR IssuerSigned structure (credential.FormatMdoc), as an
// OpenID4VCI credential response carries them (the mdoc after base64url
// decoding). Nothing is stored unless all checks pass:
//
//   - the issuer signature verifies with a key from Options.Trust (SD-JWT VC:
//     RFC 9901 §7.1 with the SD-JWT VC rules; mdoc: the x5chain to an IACA
//     root, issuerAuth and every value digest, ISO 18013-5 §9.3.1);
//   - it is currently valid;
//   - it is bound to this wallet's device key ([Wallet.CreateDeviceKey]):
//     cnf.jwk (RFC 7800 §3.2) or the MSO deviceKey (ISO 18013-5 §9.1.2.4)
//     equals it, else ErrKeyMismatch;
//   - its type is known and its claims decode as that type.
//
// The credential is stored as a batch of one copy: under UseOnce it can
// be presented once without asking Present's ReuseSpentCopy. Importing
// the same credential twice stores it once (the second import changes
// nothing). The import is recorded in the activity history.
func (w *Wallet) Import(ctx context.Context, format credential.Format, data []byte) (*Credential, error) {
	const op = "import"
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.unlockedLocked(op); err != nil {
		return nil, err
	}
	if w.opts.Trust == nil {
		return nil, errorf(op, ErrConfig, "Options.Trust is required to import")
	}
	dk, err := w.deviceLocked(ctx, op)
	if err != nil {
		return nil, err
	}
	v, err := w.verifyCopy(ctx, op, format, data, []*proofKey{{signer: dk.signer, thumbprint: dk.thumbprint, device: true}}, 0)
	if err != nil {
		return nil, err
	}
	p, err := batchOf(op, []*verified{v})
	if err != nil {
		return nil, err
	}
	act := Activity{Kind: ActivityImport, Format: p.s.Format, Credentials: []string{p.s.Name}, Counterparty: p.s.Issuer}
	creds, err := w.storeCredentials(ctx, []*pending{p}, nil, act)
	if err != nil {
		return nil, err
	}
	return creds[0], nil
}

// verified is one verified copy of a credential, bound to key.
type verified struct {
	s   *storedCredential // without copies
	raw []byte
	key *proofKey
	// same is what every copy of one credential must share: the claims
	// but those of one copy (cnf, status, times), or the mdoc elements.
	same []byte
}

// perCopyClaims are the SD-JWT VC claims that differ between the copies
// of one credential.
var perCopyClaims = []string{"cnf", "status", "iat", "nbf", "exp", "jti"}

// verifyCopy verifies data, which must be bound to one of keys (hint is
// the index of the likely one).
func (w *Wallet) verifyCopy(ctx context.Context, op string, format credential.Format, data []byte, keys []*proofKey, hint int) (*verified, error) {
	if w.opts.Trust == nil {
		return nil, errorf(op, ErrConfig, "Options.Trust is required to import")
	}
	now := w.opts.now()
	v := &verified{s: &storedCredential{Format: format, ImportedAt: now.UTC()}, raw: bytes.Clone(data)}
	var err error
	switch format {
	case credential.FormatSDJWT:
		err = w.verifySDJWT(op, keys, v, now)
	case credential.FormatMdoc:
		err = w.verifyMdoc(op, keys, hint, v, now)
	default:
		return nil, errorf(op, ErrInvalidInput, "unknown format %q", format)
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// keyMismatch words ErrKeyMismatch for one device key or a batch's keys.
func keyMismatch(op, what string, keys []*proofKey) error {
	if len(keys) == 1 && keys[0].device {
		return errorf(op, ErrKeyMismatch, "%s is not this wallet's device key", what)
	}
	return errorf(op, ErrKeyMismatch, "%s is not a key the wallet proved for this credential", what)
}

func (w *Wallet) verifySDJWT(op string, pks []*proofKey, vc *verified, now time.Time) error {
	s := vc.s
	if len(vc.raw) > sdjwt.MaxTokenSize {
		return errorf(op, ErrInvalidInput, "SD-JWT of %d bytes over %d", len(vc.raw), sdjwt.MaxTokenSize)
	}
	u, err := sdjwt.Parse(string(vc.raw))
	if err != nil {
		return wrapErr(op, ErrInvalidInput, err, "SD-JWT")
	}
	// An issued credential carries no KB-JWT (RFC 9901 §4: the holder adds
	// one when presenting).
	if u.KeyBindingJWT() != "" {
		return errorf(op, ErrInvalidInput, "an issued SD-JWT VC has no key binding JWT")
	}
	v, err := sdjwt.VerifyVC(string(vc.raw), sdjwt.VerifyOptions{
		KeyResolver:       w.opts.Trust,
		AllowNoKeyBinding: true,
		Now:               func() time.Time { return now },
	})
	if err != nil {
		return wrapErr(op, ErrUntrustedIssuer, err, "SD-JWT VC verification")
	}
	// RFC 7800 §3.2 / draft-ietf-oauth-sd-jwt-vc §3.2.2.2: cnf holds the
	// holder's key; it must be the wallet's key for this copy.
	hk := v.HolderKey()
	if hk == nil {
		return errorf(op, ErrKeyMismatch, "credential has no cnf key")
	}
	tp, err := keys.Thumbprint(hk)
	if err == nil {
		for _, k := range pks {
			if k.thumbprint == tp {
				vc.key = k
			}
		}
	}
	if vc.key == nil {
		return keyMismatch(op, "cnf key", pks)
	}
	s.VCT, s.Issuer = v.VCT(), v.Issuer()
	if a, ok := w.opts.Trust.(typeAuthorizer); ok && !a.authorizedSDJWT(s.Issuer, s.VCT) {
		return errorf(op, ErrUntrustedIssuer, "%s is not authorised to issue %s", s.Issuer, s.VCT)
	}
	if exp, ok := v.Time("exp"); ok {
		s.ExpiresAt = exp.UTC()
	}
	claims := v.Claims()
	switch {
	case s.VCT == credential.VCTQR || s.VCT == credential.VCTQRFull:
		s.Name = "QR KTP-el"
	default:
		ti, ok := credential.TypeByVCT(s.VCT)
		if !ok {
			return errorf(op, ErrInvalidInput, "unknown credential type %q", s.VCT)
		}
		if _, err := decodeDocument(ti, claims, nil); err != nil {
			return wrapErr(op, ErrInvalidInput, err, "claims of %s", ti.Name)
		}
		s.Name, s.DocType = ti.Name, ti.DocType
	}
	if s.Claims, err = json.Marshal(claims); err != nil {
		return wrapErr(op, ErrInvalidInput, err, "claims")
	}
	shared := maps.Clone(claims)
	for _, n := range perCopyClaims {
		delete(shared, n)
	}
	if vc.same, err = json.Marshal(shared); err != nil { // sorted keys: canonical
		return wrapErr(op, ErrInvalidInput, err, "claims")
	}
	return nil
}

// importTranscript is the SessionTranscript of the wallet's self-check at
// import: an OpenID4VP-style handover naming this wallet, with a fresh
// nonce, so the signature can serve no verifier.
func (w *Wallet) importTranscript() ([]byte, error) {
	n := make([]byte, 16)
	if _, err := w.opts.rand().Read(n); err != nil {
		return nil, err
	}
	return mdoc.OpenID4VPSessionTranscript("ikdkit-holder-import:"+hexString(w.id), hexString(n), nil, "")
}

// canonicalCBOR encodes the elements of copies for comparison (RFC 8949
// §4.2.1 core deterministic encoding: sorted map keys).
var canonicalCBOR = func() cbor.EncMode {
	em, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	return em
}()

func (w *Wallet) verifyMdoc(op string, pks []*proofKey, hint int, vc *verified, now time.Time) error {
	s := vc.s
	if len(vc.raw) > mdoc.MaxMessageSize {
		return errorf(op, ErrInvalidInput, "mdoc of %d bytes over %d", len(vc.raw), mdoc.MaxMessageSize)
	}
	is, err := mdoc.ParseIssuerSigned(vc.raw)
	if err != nil {
		return wrapErr(op, ErrInvalidInput, err, "IssuerSigned")
	}
	roots := w.opts.Trust.MdocRoots()
	if roots == nil {
		return errorf(op, ErrUntrustedIssuer, "the trust list has no mdoc roots")
	}
	// mdoc has no holder-side verification of IssuerSigned alone, so the
	// wallet presents every element to itself and verifies the response as
	// a reader would (ISO 18013-5 §9.3.1): x5chain to a trusted root,
	// issuerAuth, every digest, validity; and the deviceSignature, which
	// only verifies if the MSO deviceKey is the key that signed. The copy's
	// key is not known before, so the keys are tried from the likely one
	// (the issuer answers proofs in order) on.
	var doc *mdoc.VerifiedDocument
	for j := range pks {
		k := pks[(hint+j)%len(pks)]
		st, err := w.importTranscript()
		if err != nil {
			return wrapErr(op, ErrStore, err, "randomness")
		}
		resp, err := mdoc.Present(is, is.Elements(), mdoc.PresentOptions{SessionTranscript: st, DeviceKey: k.signer, Rand: w.opts.rand()})
		if err != nil {
			return wrapErr(op, ErrInvalidInput, err, "mdoc self-presentation")
		}
		vr, err := mdoc.Verify(resp, mdoc.VerifyOptions{Roots: roots, SessionTranscript: st, Now: func() time.Time { return now }, Certificates: &w.certs})
		var ce *check.Error
		if errors.As(err, &ce) && ce.Check == check.HolderBinding {
			continue // another key's copy
		}
		if err != nil {
			return wrapErr(op, ErrUntrustedIssuer, err, "mdoc verification")
		}
		doc = vr.Documents()[0]
		if tp, err := keys.Thumbprint(doc.DeviceKey()); err != nil || tp != k.thumbprint {
			return keyMismatch(op, "MSO deviceKey", pks)
		}
		vc.key = k
		break
	}
	if doc == nil {
		return keyMismatch(op, "MSO deviceKey", pks)
	}
	chain := doc.Chain()
	s.DocType, s.ExpiresAt = doc.DocType(), doc.Validity().ValidUntil.UTC()
	if a, ok := w.opts.Trust.(typeAuthorizer); ok && (len(chain) == 0 || !a.authorizedMdoc(chain[len(chain)-1], s.DocType)) {
		return errorf(op, ErrUntrustedIssuer, "the document signer's issuer is not authorised for %s", s.DocType)
	}
	if len(chain) > 0 {
		s.Issuer = chain[0].Subject.String()
	}
	if s.Elements, err = cbor.Marshal(doc.NameSpaces()); err != nil {
		return wrapErr(op, ErrInvalidInput, err, "elements")
	}
	if vc.same, err = canonicalCBOR.Marshal(doc.NameSpaces()); err != nil {
		return wrapErr(op, ErrInvalidInput, err, "elements")
	}
	switch s.DocType {
	case credential.DocTypeQR, credential.DocTypeQRFull:
		s.Name = "QR KTP-el"
	default:
		ti, ok := credential.TypeByDocType(s.DocType)
		if !ok {
			return errorf(op, ErrInvalidInput, "unknown doctype %q", s.DocType)
		}
		var ns map[string]map[string]any
		if err := cbor.Unmarshal(s.Elements, &ns); err != nil {
			return wrapErr(op, ErrInvalidInput, err, "elements")
		}
		if _, err := decodeDocument(ti, nil, ns); err != nil {
			return wrapErr(op, ErrInvalidInput, err, "elements of %s", ti.Name)
		}
		s.Name, s.VCT = ti.Name, ti.VCT
	}
	return nil
}

// pending is a verified credential with its copies, not yet stored.
type pending struct {
	id     string
	s      *storedCredential
	copies []newCopy
}

// batchOf makes one credential of the verified copies of one credential
// request: the same format, type, issuer and claims (but for each copy's
// own cnf, status and times), each bound to a different key. The
// credential's id derives from its first copy.
func batchOf(op string, vs []*verified) (*pending, error) {
	if len(vs) == 0 || len(vs) > MaxCopies {
		return nil, errorf(op, ErrInvalidInput, "%d copies, want 1 to %d", len(vs), MaxCopies)
	}
	first := vs[0]
	s := *first.s
	p := &pending{s: &s}
	seen := map[string]bool{}
	for i, v := range vs {
		if v.s.Format != s.Format || v.s.VCT != s.VCT || v.s.DocType != s.DocType || v.s.Issuer != s.Issuer || !bytes.Equal(v.same, first.same) {
			return nil, errorf(op, ErrInvalidInput, "copy %d of %s differs from copy 1 (type, issuer or claims)", i+1, s.Name)
		}
		// OpenID4VCI 1.0 §8.3: one credential per key proof.
		if seen[v.key.thumbprint] {
			return nil, errorf(op, ErrKeyMismatch, "copies %d and another of %s are bound to the same key", i+1, s.Name)
		}
		seen[v.key.thumbprint] = true
		p.copies = append(p.copies, newCopy{raw: v.raw, key: v.key, expiresAt: v.s.ExpiresAt})
	}
	sum := sha256.Sum256(append([]byte(s.Format+"|"), first.raw...))
	p.id = "cred-" + hexString(sum[:16])
	same := sha256.Sum256(first.same)
	p.s.Same = same[:]
	return p, nil
}

// storeCredentials writes credentials with their copies, the issuer
// session they can be refreshed from (if any) and one activity entry in
// one transaction: all or nothing. A credential whose id is already
// stored (the same credential imported again) is left as it is.
func (w *Wallet) storeCredentials(ctx context.Context, ps []*pending, sess *issuerSession, act Activity) ([]*Credential, error) {
	const op = "import"
	var n int
	if err := w.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM records WHERE kind = ?", kindCredential).Scan(&n); err != nil {
		return nil, storeErr(op, err)
	}
	if n+len(ps) > MaxCredentials {
		return nil, errorf(op, ErrInvalidInput, "the wallet holds at most %d credentials", MaxCredentials)
	}
	out := make([]*Credential, len(ps))
	err := w.update(ctx, func(tx *sql.Tx) error {
		if sess != nil {
			if err := w.putSession(ctx, tx, sess); err != nil {
				return err
			}
		}
		for i, p := range ps {
			if c, err := w.loadCredential(ctx, tx, p.id); err == nil {
				out[i] = c
				continue
			} else if !errors.Is(err, errNoRecord) {
				return err
			}
			s := *p.s
			s.Target = len(p.copies)
			if err := w.addCopies(ctx, tx, p.id, &s, p.copies); err != nil {
				return err
			}
			if err := w.putCredential(ctx, tx, p.id, &s); err != nil {
				return err
			}
			out[i] = w.credential(p.id, &s)
			if i == 0 {
				w.opts.at("import:stored-first")
			}
		}
		if err := w.addActivity(ctx, tx, act); err != nil {
			return err
		}
		w.opts.at("import:before-commit")
		return nil
	})
	if err != nil {
		return nil, storeErr(op, err)
	}
	w.opts.at("import:committed")
	return out, nil
}

// Credentials lists the stored credentials, oldest first.
func (w *Wallet) Credentials(ctx context.Context) ([]*Credential, error) {
	const op = "list"
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.unlockedLocked(op); err != nil {
		return nil, err
	}
	return w.credentialsLocked(ctx, op)
}

func (w *Wallet) credentialsLocked(ctx context.Context, op string) ([]*Credential, error) {
	recs, err := w.listRecords(ctx, kindCredential)
	if err != nil {
		return nil, storeErr(op, err)
	}
	out := make([]*Credential, 0, len(recs))
	for _, r := range recs {
		c, err := w.credentialFrom(ctx, w.db, r.id, r.data)
		if err != nil {
			return nil, storeErr(op, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// Credential returns one stored credential.
func (w *Wallet) Credential(ctx context.Context, id string) (*Credential, error) {
	const op = "show"
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.unlockedLocked(op); err != nil {
		return nil, err
	}
	c, err := w.loadCredential(ctx, w.db, id)
	if err != nil {
		return nil, storeErr(op, err)
	}
	return c, nil
}

// RemoveCredential deletes one credential with all its copies and their
// device keys (from Options.DeviceKeys too, after the records are gone).
func (w *Wallet) RemoveCredential(ctx context.Context, id string) error {
	const op = "remove"
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.unlockedLocked(op); err != nil {
		return err
	}
	var aliases []string
	err := w.update(ctx, func(tx *sql.Tx) error {
		c, err := w.loadCredential(ctx, tx, id)
		if err != nil {
			return err
		}
		if aliases, err = w.deleteCopies(ctx, tx, c.rec.Copies); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM records WHERE id = ? AND kind = ?", id, kindCredential); err != nil {
			return err
		}
		if c.rec.Refresh != nil {
			return w.dropSessionIfUnused(ctx, tx, c.rec.Refresh.Session)
		}
		return nil
	})
	if err != nil {
		return storeErr(op, err)
	}
	if err := w.deleteKeystoreKeys(ctx, aliases); err != nil {
		return wrapErr(op, ErrStore, err, "delete device keys from the keystore")
	}
	return nil
}

// claimNames lists a claim map's top-level names, sorted.
func claimNames(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
