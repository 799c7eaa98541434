package issuer

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"maps"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/keys"
)

// Credential is one issued credential.
type Credential struct {
	// ID identifies the credential record (for revocation).
	ID string
	// VCT is the credential type; DocType its mdoc doctype.
	VCT, DocType string
	Format       credential.Format
	Profile      Profile
	// Status is the credential's entry in the issuer's status list.
	Status    statuslist.Reference
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Data is the compact SD-JWT VC (credential.FormatSDJWT) or the CBOR IssuerSigned
	// structure (credential.FormatMdoc).
	Data []byte
}

// Encoded returns the credential as the OpenID4VCI credential response
// carries it (OpenID4VCI 1.0 Appendix A.2.4, A.3.4): the SD-JWT VC as is, the
// mdoc IssuerSigned as base64url without padding.
func (c *Credential) Encoded() string {
	if c.Format == credential.FormatMdoc {
		return base64.RawURLEncoding.EncodeToString(c.Data)
	}
	return string(c.Data)
}

// IssueRequest asks for a document to be issued to an active device binding.
type IssueRequest struct {
	// BindingID is the device binding (from an activation) to bind to.
	BindingID string
	// Document is the document to issue; its type must be authorised. Its
	// methods may be called from several goroutines at once (one per
	// credential being signed), as the documents of package credential
	// allow.
	Document credential.Document
	// Formats to issue; empty means the issuer's formats.
	Formats []credential.Format
	// Profile is ProfileFull (the default when empty) or ProfileQR.
	Profile Profile
}

// Issue issues one document, in each requested format, to an active device
// binding, with a fresh status list index per credential. It is
// IssueBatch with one request. It issues one credential per format, bound
// to the binding's first key: the in-process path for an operator's tools
// and for measuring. Wallets receive batches of one-time copies, each
// bound to a key of its own, through the [Handler].
func (iss *Issuer) Issue(ctx context.Context, actor string, req IssueRequest) ([]Credential, error) {
	return iss.IssueBatch(ctx, actor, []IssueRequest{req})
}

// IssueBatch issues many credentials in one transaction: either all are
// recorded (and returned) or none is. Every credential gets its own
// status list index (see the package documentation for how they are
// drawn). A request for a revoked binding fails with
// ErrBindingRevoked, an unauthorised type with ErrUnauthorizedType. actor
// identifies the caller in the audit log.
func (iss *Issuer) IssueBatch(ctx context.Context, actor string, reqs []IssueRequest) ([]Credential, error) {
	creds, err := iss.issueBatch(ctx, actor, reqs)
	iss.observe(ctx, "issue", err)
	return creds, err
}

// issueBatch is IssueBatch without the report of its outcome.
func (iss *Issuer) issueBatch(ctx context.Context, actor string, reqs []IssueRequest) ([]Credential, error) {
	const op = "issue"
	if len(reqs) == 0 || len(reqs) > MaxBatch {
		return nil, errorf(op, ErrInvalidInput, "batch of %d requests outside [1, %d]", len(reqs), MaxBatch)
	}
	if err := checkActor(actor); err != nil {
		return nil, err
	}
	n := 0
	for i, r := range reqs {
		if err := checkID(op, r.BindingID); err != nil {
			return nil, err
		}
		if isNilDocument(r.Document) {
			return nil, errorf(op, ErrInvalidInput, "request %d has no document", i)
		}
		if !iss.Authorized(r.Document.Type().VCT) {
			return nil, iss.auditFailure(ctx, actor, op, r.BindingID, errorf(op, ErrUnauthorizedType, "%s", r.Document.Type().VCT))
		}
		fs, err := iss.checkFormats(r.Formats)
		if err != nil {
			return nil, err
		}
		n += len(fs)
	}
	if err := iss.reserve(ctx, n); err != nil {
		return nil, err
	}
	// Resolve every binding first: a revoked or unknown binding fails the
	// whole batch before anything is signed.
	bindings := map[string]*boundKey{}
	var failedID string
	err := iss.cfg.Store.View(ctx, func(tx Tx) error {
		for _, r := range reqs {
			if _, ok := bindings[r.BindingID]; ok {
				continue
			}
			bk, err := iss.boundKey(tx, r.BindingID)
			if err != nil {
				failedID = r.BindingID
				return err
			}
			bindings[r.BindingID] = bk
		}
		return nil
	})
	if isErr(err, ErrBindingRevoked) || isErr(err, ErrNotFound) {
		return nil, iss.auditFailure(ctx, actor, op, failedID, err)
	} else if err != nil {
		return nil, wrapStore(op, err)
	}
	jobs := make([]job, 0, n)
	for _, r := range reqs {
		fs, _ := iss.checkFormats(r.Formats)
		for _, f := range fs {
			jobs = append(jobs, job{bk: bindings[r.BindingID], doc: r.Document, f: f, prof: r.Profile})
		}
	}
	// Sign outside the transaction, on every core: the store's write lock
	// is held only while the records are written.
	signed, err := iss.signAll(jobs)
	if err != nil {
		return nil, err
	}
	iss.hook("issue:signed")
	var out []Credential
	var failure error
	err = iss.cfg.Store.Update(ctx, func(tx Tx) error {
		out, failure = out[:0], nil
		// A binding revoked while the batch was being signed fails the
		// batch: nothing is recorded, and nothing is returned.
		for id, signedFor := range bindings {
			b, err := activeBinding(tx, id)
			if err == nil && b.KeyThumbprint != signedFor.binding.KeyThumbprint {
				err = errorf(op, ErrStore, "binding %s changed its key", id)
			}
			if isErr(err, ErrBindingRevoked) || isErr(err, ErrNotFound) {
				failure = err
				return iss.audit(tx, actor, op, id, err, "")
			} else if err != nil {
				return err
			}
		}
		var err error
		out, err = iss.recordAll(tx, actor, signed, "issue:after-credential")
		return err
	})
	if err != nil {
		return nil, wrapStore(op, err)
	}
	if failure != nil {
		return nil, failure
	}
	return out, nil
}

func (iss *Issuer) checkFormats(fs []credential.Format) ([]credential.Format, error) {
	if len(fs) == 0 {
		return iss.formats, nil
	}
	if len(fs) > 2 {
		return nil, errorf("issue", ErrInvalidInput, "too many formats")
	}
	for _, f := range fs {
		ok := false
		for _, g := range iss.formats {
			ok = ok || f == g
		}
		if !ok {
			return nil, errorf("issue", ErrInvalidInput, "format %q not offered", f)
		}
	}
	return fs, nil
}

// boundKey is a device key credentials are bound to, and its binding.
type boundKey struct {
	binding *Binding
	key     crypto.PublicKey
	// thumbprint is the key's RFC 7638 thumbprint when it is not the
	// binding's first key ("" means binding.KeyThumbprint).
	thumbprint string
}

// keyThumbprint is the thumbprint of bk's key.
func (bk *boundKey) keyThumbprint() string {
	if bk.thumbprint != "" {
		return bk.thumbprint
	}
	return bk.binding.KeyThumbprint
}

func (iss *Issuer) boundKey(tx Tx, id string) (*boundKey, error) {
	b, err := activeBinding(tx, id)
	if err != nil {
		return nil, err
	}
	k, err := keys.ParsePublicJWK(b.PublicJWK)
	if err != nil {
		return nil, errorf("issue", ErrStore, "stored device key: %v", err)
	}
	return &boundKey{binding: b, key: k}, nil
}

// activeBinding reads binding id in tx and fails with ErrBindingRevoked if
// it is not active. Its key is not parsed: a caller that compares the
// binding with one read before (boundKey) compares thumbprints.
func activeBinding(tx Tx, id string) (*Binding, error) {
	b, err := tx.Binding(id)
	if err != nil {
		return nil, err
	}
	if b.State != BindingActive {
		return nil, errorf("issue", ErrBindingRevoked, "binding %s was revoked (%s)", b.ID, b.RevokeReason)
	}
	return b, nil
}

// expiry returns the end of validity of a credential issued at now: now +
// Validity, capped at the next change of the derived age claims
// (credential.NextAgeChange, docs/domain.md §8).
func (iss *Issuer) expiry(claims map[string]any, now time.Time) time.Time {
	exp := now.Add(iss.cfg.Validity)
	if _, hasAge := claims["age_in_years"]; hasAge {
		if s, ok := claims["birthdate"].(string); ok {
			if d, err := credential.ParseDate(s); err == nil {
				if c := credential.NextAgeChange(d, now); c.Before(exp) {
					exp = c
				}
			}
		}
	}
	return exp.Truncate(time.Second)
}

// payload is what one credential carries, per profile. The copies of a
// batch share one: it is read, never written, once built.
type payload struct {
	now          time.Time // the issuance time it was built for, whole seconds
	vct, docType string
	claims       map[string]any            // SD-JWT VC claims (vct included)
	disclosable  []sdjwt.Path              // selectively disclosable paths
	skipAbsent   bool                      // disclosable may name claims the document lacks
	decoys       int                       // decoy digests per _sd array
	elements     map[string]map[string]any // mdoc namespaces
	exp          time.Time
}

// fullPayload is the complete document.
func (iss *Issuer) fullPayload(doc credential.Document, f credential.Format, now time.Time) *payload {
	ti := doc.Type()
	claims := doc.SDJWTClaims(now)
	p := &payload{vct: ti.VCT, docType: ti.DocType, claims: claims, decoys: iss.cfg.Decoys, exp: iss.expiry(claims, now)}
	if f == credential.FormatMdoc {
		p.claims = nil // read for the expiry only
		p.elements = doc.MdocElements(now)
		return p
	}
	dropIssuerClaims(claims)
	// The type lists every optional claim, and those the document has are
	// disclosed (SkipAbsent passes over the others as it marks them). The
	// paths were read from the type once, in New: the type's claim policy
	// is fixed.
	p.disclosable, p.skipAbsent = iss.sdPaths[ti.VCT], true
	return p
}

// job is one credential to issue: a document, in one format and profile,
// bound to one device key.
type job struct {
	bk   *boundKey
	doc  credential.Document
	f    credential.Format
	prof Profile
	// shared, if not nil, builds the payload once for every job of a
	// batch with the same document, format and profile: the copies.
	shared *sharedPayload
}

// sharedPayload is the payload of the copies of one document in a batch,
// built by the first of them to need it.
type sharedPayload struct {
	once sync.Once
	pl   *payload
	err  error
}

// payload returns the payload of j, built now or by another copy.
func (j *job) payload(iss *Issuer) (*payload, error) {
	if j.shared == nil {
		return iss.buildPayload(j.doc, j.f, j.prof)
	}
	j.shared.once.Do(func() { j.shared.pl, j.shared.err = iss.buildPayload(j.doc, j.f, j.prof) })
	return j.shared.pl, j.shared.err
}

// buildPayload builds the payload of doc in format f and profile prof.
// The claims are those of now; the times the credential carries are
// coarse (Config.TimeGranularity), the same for every copy of a batch and
// every credential of the period.
func (iss *Issuer) buildPayload(doc credential.Document, f credential.Format, prof Profile) (*payload, error) {
	now := iss.now().Truncate(time.Second)
	var pl *payload
	switch prof {
	case ProfileFull:
		pl = iss.fullPayload(doc, f, now)
	case ProfileQR:
		var err error
		if pl, err = iss.qrPayload(doc, f, now); err != nil {
			return nil, err
		}
	default:
		return nil, errorf("issue", ErrInvalidInput, "unknown profile %q", prof)
	}
	pl.now, pl.exp = now, iss.coarseExpiry(pl.exp, now)
	return pl, nil
}

// shareCopies gives the jobs of one document, format and profile one
// payload. Documents are told apart by pointer (and type); a document of
// another kind of type gets a payload per job, so a map key never holds a
// value that cannot be compared.
func shareCopies(jobs []job) {
	type key struct {
		doc  credential.Document
		f    credential.Format
		prof Profile
	}
	seen := map[key]*sharedPayload{}
	for i := range jobs {
		if t := reflect.TypeOf(jobs[i].doc); t == nil || t.Kind() != reflect.Pointer {
			continue
		}
		k := key{jobs[i].doc, jobs[i].f, jobs[i].prof}
		if seen[k] == nil {
			seen[k] = new(sharedPayload)
		}
		jobs[i].shared = seen[k]
	}
}

// signedCredential is a job's credential, signed but not yet recorded.
type signedCredential struct {
	job
	id string
	// now is the credential's issuance time as it carries it: floored to
	// Config.TimeGranularity, as its expiry pl.exp.
	now  time.Time
	pl   *payload
	list StatusListRecord
	// seq and idx are the credential's sequence number (position + 1)
	// and index in list.
	seq, idx uint64
	// inTx is set when the position was reserved in the write transaction
	// that records the credential: a run of that transaction again (a
	// retried Update) must draw anew.
	inTx         bool
	data, stored []byte
}

// sign builds the payload of j, draws a status list index and signs. It
// does not touch the store. When every list the process knows of is full
// (other batches of this process drew the indices reserve counted), the
// credential is left unsigned, without an index: record draws one in the
// store transaction and signs it there. ws, if not nil, is the calling
// goroutine's SD-JWT workspace.
func (iss *Issuer) sign(j job, ws *sdjwt.Workspace) (*signedCredential, error) {
	if j.prof == "" {
		j.prof = ProfileFull
	}
	pl, err := j.payload(iss)
	if err != nil {
		return nil, err
	}
	id, err := iss.newID()
	if err != nil {
		return nil, err
	}
	sc := &signedCredential{job: j, id: id, now: iss.coarse(pl.now), pl: pl}
	list, seq, idx, err := iss.allocate()
	if isErr(err, ErrListFull) {
		return sc, nil
	} else if err != nil {
		return nil, err
	}
	return sc, iss.signAt(sc, list, seq, idx, ws)
}

// signAt signs the credential of sc with status list index idx (sequence
// number seq) of list, an SD-JWT VC in ws if it is not nil.
func (iss *Issuer) signAt(sc *signedCredential, list StatusListRecord, seq, idx uint64, ws *sdjwt.Workspace) error {
	sc.list, sc.seq, sc.idx, sc.inTx = list, seq, idx, false
	ref := statuslist.Reference{Index: idx, URI: list.URI}
	var err error
	switch sc.f {
	case credential.FormatSDJWT:
		sc.data, sc.stored, err = iss.signSDJWT(sc.pl, sc.bk.key, ref, sc.now, ws)
	case credential.FormatMdoc:
		sc.data, sc.stored, err = iss.signMdoc(sc.pl, sc.bk.key, ref, sc.now)
	default:
		err = errorf("issue", ErrInvalidInput, "format %q not offered", sc.f)
	}
	return err
}

// signAll signs jobs on up to Config.SigningWorkers goroutines and returns
// the credentials in the order of jobs, or the first error.
func (iss *Issuer) signAll(jobs []job) ([]*signedCredential, error) {
	shareCopies(jobs)
	out := make([]*signedCredential, len(jobs))
	workers := min(len(jobs), iss.cfg.SigningWorkers)
	if workers <= 1 {
		ws := new(sdjwt.Workspace)
		for i, j := range jobs {
			sc, err := iss.sign(j, ws)
			if err != nil {
				return nil, err
			}
			out[i] = sc
		}
		return out, nil
	}
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
		panicked any
		failed   atomic.Bool
	)
	for range workers {
		wg.Go(func() {
			// A panic (in a Signer or a Document, say) is carried to the
			// caller's goroutine, where it can be recovered as if signing
			// had run there, instead of killing the process.
			defer func() {
				if r := recover(); r != nil {
					errOnce.Do(func() { panicked = r })
					failed.Store(true)
				}
			}()
			ws := new(sdjwt.Workspace) // this goroutine's
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return
				}
				sc, err := iss.sign(jobs[i], ws)
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					failed.Store(true)
					return
				}
				out[i] = sc
			}
		})
	}
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// recordAll records every credential of signed in tx, in order, calling
// the test hook at hookPoint after each.
func (iss *Issuer) recordAll(tx Tx, actor string, signed []*signedCredential, hookPoint string) ([]Credential, error) {
	tl := &txLists{tx: tx}
	out := make([]Credential, 0, len(signed))
	for _, sc := range signed {
		c, err := iss.record(tl, actor, sc)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
		iss.hook(hookPoint)
	}
	return out, nil
}

// maxRedraws bounds how often one credential's status index is drawn again
// after the store refused it. A position reserved in the store is the
// process's alone, so a refusal means a taken record ID, or a Store that
// breaks its isolation contract.
const maxRedraws = 8

// txLists is the status list state of one write transaction that records
// credentials: the run of positions reserved in it. That run exists only
// if tx commits, so it is never added to the Issuer's runs.
type txLists struct {
	tx    Tx
	block *seqBlock
}

// record writes the credential record of sc and its audit event in tx.
//
// sc carries a position its process reserved (see reserve), unless every
// position reserve counted was taken by other batches of the process
// before sc was signed, or sc was signed in an earlier run of this
// transaction that did not commit. Then sc gets a position reserved in
// tx, and is signed again. The store's UNIQUE (list, seq) constraint may
// still refuse the record, as it refuses a taken record ID: sc then gets a
// new position and ID, and is signed again. After maxRedraws refusals the
// transaction fails with ErrStore; nothing is recorded.
func (iss *Issuer) record(tl *txLists, actor string, sc *signedCredential) (*Credential, error) {
	if sc.list.Number == 0 || sc.inTx {
		if err := iss.redraw(tl, sc); err != nil {
			return nil, err
		}
	}
	for redraws := 0; ; redraws++ {
		rec := &CredentialRecord{ID: sc.id, BindingID: sc.bk.binding.ID, VCT: sc.pl.vct, Format: sc.f, Profile: sc.prof,
			List: sc.list.Number, Index: sc.idx, Seq: sc.seq, KeyThumbprint: sc.bk.keyThumbprint(), IssuedAt: sc.now, ExpiresAt: sc.pl.exp}
		if iss.cfg.StoreClaims {
			rec.Claims = sc.stored
		}
		err := tl.tx.InsertCredential(rec)
		if isConflict(err) {
			if redraws == maxRedraws {
				return nil, errorf("issue", ErrStore, "status index or record ID still taken after %d redraws: %v", maxRedraws, err)
			}
			if err := iss.redraw(tl, sc); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := iss.audit(tl.tx, actor, "issue", sc.id, nil, string(sc.f)+" "+sc.pl.vct+" "+string(sc.prof)); err != nil {
			return nil, err
		}
		return &Credential{ID: sc.id, VCT: sc.pl.vct, DocType: sc.pl.docType, Format: sc.f, Profile: sc.prof,
			Status: statuslist.Reference{Index: sc.idx, URI: sc.list.URI}, IssuedAt: sc.now, ExpiresAt: sc.pl.exp, Data: sc.data}, nil
	}
}

// redraw gives sc a new position, from the process's runs or else
// reserved in tl.tx, and a new record ID (the conflict may have been on
// the ID), and signs sc again.
func (iss *Issuer) redraw(tl *txLists, sc *signedCredential) error {
	list, seq, idx, err := iss.allocate()
	inTx := false
	if isErr(err, ErrListFull) {
		list, seq, idx, err = iss.allocateInTx(tl)
		inTx = true
	}
	if err != nil {
		return err
	}
	if sc.id, err = iss.newID(); err != nil {
		return err
	}
	if err := iss.signAt(sc, list, seq, idx, nil); err != nil {
		return err
	}
	sc.inTx = inTx
	return nil
}

// allocateInTx hands out a position reserved in tl.tx, from a list with
// room or, when there is none, from a list created in tl.tx.
func (iss *Issuer) allocateInTx(tl *txLists) (StatusListRecord, uint64, uint64, error) {
	if tl.block == nil || tl.block.free == 0 {
		bs, last, err := iss.reserveExisting(tl.tx, 1, 1)
		if err != nil {
			return StatusListRecord{}, 0, 0, err
		}
		if len(bs) == 0 {
			rec, err := iss.newListRecord(last+1, 1)
			if err != nil {
				return StatusListRecord{}, 0, 0, err
			}
			b, err := iss.createList(tl.tx, rec)
			if err != nil {
				return StatusListRecord{}, 0, 0, err
			}
			bs = append(bs, b)
		}
		tl.block = bs[0]
	}
	seq, idx, err := tl.block.take()
	return tl.block.list, seq, idx, err
}

// issuerClaims are the names of the claims signSDJWT sets.
var issuerClaims = [...]string{"iss", "iat", "exp", "status"}

// dropIssuerClaims deletes from a document's claims those the issuer sets.
func dropIssuerClaims(claims map[string]any) {
	for _, name := range issuerClaims {
		delete(claims, name)
	}
}

func (iss *Issuer) signSDJWT(pl *payload, holder crypto.PublicKey, ref statuslist.Reference, now time.Time, ws *sdjwt.Workspace) (data, stored []byte, err error) {
	// The claims the issuer sets go beside the document's, which are
	// neither copied nor grown; they replace any the document has (the
	// payload's builder dropped those: dropIssuerClaims).
	extra := []sdjwt.Claim{
		{Name: "iss", Value: iss.cfg.Identifier},
		{Name: "iat", Value: now.Unix()},
		{Name: "exp", Value: pl.exp.Unix()},
		// draft-ietf-oauth-status-list-20 §6.2: status.status_list {idx, uri}.
		{Name: "status", Value: map[string]any{"status_list": map[string]any{"idx": int64(ref.Index), "uri": ref.URI}}},
	}
	claims := pl.claims
	tok, err := sdjwt.IssueVCBytes(claims, sdjwt.IssueOptions{
		Signer: iss.cfg.Signer, KeyID: iss.cfg.KeyID, Disclosable: pl.disclosable, SkipAbsent: pl.skipAbsent, Decoys: pl.decoys,
		HolderKey: holder, Rand: iss.cfg.Rand, Workspace: ws, Extra: extra,
	})
	if err != nil {
		return nil, nil, errorf("issue", ErrSigning, "sd-jwt vc: %v", err)
	}
	if iss.cfg.StoreClaims {
		all := maps.Clone(claims)
		for _, c := range extra {
			all[c.Name] = c.Value
		}
		stored, _ = json.Marshal(all)
	}
	return tok, stored, nil
}

func (iss *Issuer) signMdoc(pl *payload, holder crypto.PublicKey, ref statuslist.Reference, now time.Time) (data, stored []byte, err error) {
	mi := &mdoc.Issuer{Signer: iss.cfg.Signer, Chain: iss.cfg.Chain, Rand: iss.cfg.Rand, Now: func() time.Time { return now }}
	signed, err := mi.Issue(mdoc.IssueRequest{
		DocType: pl.docType, NameSpaces: pl.elements, DeviceKey: holder, ValidFrom: now, ValidUntil: pl.exp,
		Status: &mdoc.StatusReference{Index: ref.Index, URI: ref.URI},
	})
	if err != nil {
		return nil, nil, errorf("issue", ErrSigning, "mdoc: %v", err)
	}
	data, err = signed.MarshalCBOR()
	if err != nil {
		return nil, nil, errorf("issue", ErrSigning, "mdoc: %v", err)
	}
	if iss.cfg.StoreClaims {
		stored, _ = json.Marshal(pl.elements)
	}
	return data, stored, nil
}
