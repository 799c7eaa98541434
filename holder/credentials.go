package holder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
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

// Credential is a credential held by the wallet. Its claims were verified
// at import (issuer signature against the trust list, binding to this
// wallet's device key) and are read from the encrypted store.
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
	// when it expires (exp or the MSO validUntil).
	ImportedAt, ExpiresAt time.Time

	raw      []byte
	claims   []byte // SD-JWT: processed claims as JSON
	elements []byte // mdoc: verified namespaces as CBOR
}

// storedCredential is the sealed record of a credential.
type storedCredential struct {
	Format     credential.Format `json:"format"`
	Name       string            `json:"name"`
	VCT        string            `json:"vct,omitempty"`
	DocType    string            `json:"doctype,omitempty"`
	Issuer     string            `json:"issuer"`
	ImportedAt time.Time         `json:"imported_at"`
	ExpiresAt  time.Time         `json:"expires_at"`
	Raw        []byte            `json:"raw"`
	Claims     []byte            `json:"claims,omitempty"`
	Elements   []byte            `json:"elements,omitempty"`
}

func (s *storedCredential) credential(id string) *Credential {
	return &Credential{ID: id, Format: s.Format, Name: s.Name, VCT: s.VCT, DocType: s.DocType, Issuer: s.Issuer,
		ImportedAt: s.ImportedAt, ExpiresAt: s.ExpiresAt, raw: s.Raw, claims: s.Claims, elements: s.Elements}
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
//   - it is bound to this wallet's device key: cnf.jwk (RFC 7800 §3.2) or
//     the MSO deviceKey (ISO 18013-5 §9.1.2.4) equals it, else
//     ErrKeyMismatch;
//   - its type is known and its claims decode as that type.
//
// Importing the same credential twice stores it once. The import is
// recorded in the activity history.
func (w *Wallet) Import(ctx context.Context, format credential.Format, data []byte) (*Credential, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, err := w.importLocked(ctx, format, data)
	if err != nil {
		return nil, err
	}
	act := Activity{Kind: ActivityImport, Format: c.Format, Credentials: []string{c.Name}, Counterparty: c.Issuer}
	if err := w.storeCredentials(ctx, []*Credential{c}, act); err != nil {
		return nil, err
	}
	return c, nil
}

// importLocked verifies data and returns the credential, not yet stored.
func (w *Wallet) importLocked(ctx context.Context, format credential.Format, data []byte) (*Credential, error) {
	const op = "import"
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
	now := w.opts.now()
	s := &storedCredential{Format: format, ImportedAt: now.UTC(), Raw: bytes.Clone(data)}
	switch format {
	case credential.FormatSDJWT:
		err = w.verifySDJWT(op, dk, s, now)
	case credential.FormatMdoc:
		err = w.verifyMdoc(op, dk, s, now)
	default:
		return nil, errorf(op, ErrInvalidInput, "unknown format %q", format)
	}
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(append([]byte(format+"|"), data...))
	return s.credential("cred-" + hexString(sum[:16])), nil
}

func (w *Wallet) verifySDJWT(op string, dk *deviceKey, s *storedCredential, now time.Time) error {
	if len(s.Raw) > sdjwt.MaxTokenSize {
		return errorf(op, ErrInvalidInput, "SD-JWT of %d bytes over %d", len(s.Raw), sdjwt.MaxTokenSize)
	}
	u, err := sdjwt.Parse(string(s.Raw))
	if err != nil {
		return wrapErr(op, ErrInvalidInput, err, "SD-JWT")
	}
	// An issued credential carries no KB-JWT (RFC 9901 §4: the holder adds
	// one when presenting).
	if u.KeyBindingJWT() != "" {
		return errorf(op, ErrInvalidInput, "an issued SD-JWT VC has no key binding JWT")
	}
	v, err := sdjwt.VerifyVC(string(s.Raw), sdjwt.VerifyOptions{
		KeyResolver:       w.opts.Trust,
		AllowNoKeyBinding: true,
		Now:               func() time.Time { return now },
	})
	if err != nil {
		return wrapErr(op, ErrUntrustedIssuer, err, "SD-JWT VC verification")
	}
	// RFC 7800 §3.2 / draft-ietf-oauth-sd-jwt-vc §3.2.2.2: cnf holds the
	// holder's key; it must be this wallet's device key.
	hk := v.HolderKey()
	if hk == nil {
		return errorf(op, ErrKeyMismatch, "credential has no cnf key")
	}
	if tp, err := keys.Thumbprint(hk); err != nil || tp != dk.thumbprint {
		return errorf(op, ErrKeyMismatch, "cnf key is not this wallet's device key")
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

func (w *Wallet) verifyMdoc(op string, dk *deviceKey, s *storedCredential, now time.Time) error {
	if len(s.Raw) > mdoc.MaxMessageSize {
		return errorf(op, ErrInvalidInput, "mdoc of %d bytes over %d", len(s.Raw), mdoc.MaxMessageSize)
	}
	is, err := mdoc.ParseIssuerSigned(s.Raw)
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
	// only verifies if the MSO deviceKey is this wallet's key.
	st, err := w.importTranscript()
	if err != nil {
		return wrapErr(op, ErrStore, err, "randomness")
	}
	resp, err := mdoc.Present(is, is.Elements(), mdoc.PresentOptions{SessionTranscript: st, DeviceKey: dk.signer, Rand: w.opts.rand()})
	if err != nil {
		return wrapErr(op, ErrInvalidInput, err, "mdoc self-presentation")
	}
	vr, err := mdoc.Verify(resp, mdoc.VerifyOptions{Roots: roots, SessionTranscript: st, Now: func() time.Time { return now }})
	if err != nil {
		var ce *check.Error
		if errors.As(err, &ce) && ce.Check == check.HolderBinding {
			return wrapErr(op, ErrKeyMismatch, err, "MSO deviceKey is not this wallet's device key")
		}
		return wrapErr(op, ErrUntrustedIssuer, err, "mdoc verification")
	}
	doc := vr.Documents()[0]
	if tp, err := keys.Thumbprint(doc.DeviceKey()); err != nil || tp != dk.thumbprint {
		return errorf(op, ErrKeyMismatch, "MSO deviceKey is not this wallet's device key")
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

// storeCredentials writes credentials and one activity entry in one
// transaction: all or nothing.
func (w *Wallet) storeCredentials(ctx context.Context, creds []*Credential, act Activity) error {
	const op = "import"
	var n int
	if err := w.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM records WHERE kind = ?", kindCredential).Scan(&n); err != nil {
		return storeErr(op, err)
	}
	if n+len(creds) > MaxCredentials {
		return errorf(op, ErrInvalidInput, "the wallet holds at most %d credentials", MaxCredentials)
	}
	err := w.update(ctx, func(tx *sql.Tx) error {
		for i, c := range creds {
			s := storedCredential{Format: c.Format, Name: c.Name, VCT: c.VCT, DocType: c.DocType, Issuer: c.Issuer,
				ImportedAt: c.ImportedAt, ExpiresAt: c.ExpiresAt, Raw: c.raw, Claims: c.claims, Elements: c.elements}
			b, err := json.Marshal(s)
			if err != nil {
				return err
			}
			if err := w.putRecord(ctx, tx, c.ID, kindCredential, b); err != nil {
				return err
			}
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
		return storeErr(op, err)
	}
	w.opts.at("import:committed")
	return nil
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
		var s storedCredential
		if err := json.Unmarshal(r.data, &s); err != nil {
			return nil, errorf(op, ErrCorrupt, "credential record %s", r.id)
		}
		out = append(out, s.credential(r.id))
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
	b, err := w.getRecord(ctx, id, kindCredential)
	if err != nil {
		return nil, storeErr(op, err)
	}
	var s storedCredential
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, errorf(op, ErrCorrupt, "credential record %s", id)
	}
	return s.credential(id), nil
}

// RemoveCredential deletes one credential.
func (w *Wallet) RemoveCredential(ctx context.Context, id string) error {
	const op = "remove"
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.unlockedLocked(op); err != nil {
		return err
	}
	res, err := w.db.ExecContext(ctx, "DELETE FROM records WHERE id = ? AND kind = ?", id, kindCredential)
	if err != nil {
		return storeErr(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errorf(op, ErrNotFound, "%s", id)
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
