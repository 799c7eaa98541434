package holder

import (
	"context"
	"crypto"
	"database/sql"
	"errors"
	"io"
	"slices"
	"sort"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/qr/request"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
)

// Caps on a request (from a scanned QR or built by the app).
const (
	// MaxRequestItems caps the credentials asked for in one request
	// (qr.MaxPresentations fit one envelope).
	MaxRequestItems = qr.MaxPresentations
	// MaxRequestClaims caps the claims asked for from one credential.
	MaxRequestClaims = 64
	// MaxVerifierIDLen caps Request.Verifier.
	MaxVerifierIDLen = 2048
	// MaxClaimNameLen caps one claim name.
	MaxClaimNameLen = 256
)

// RequestItem asks for claims from one credential.
type RequestItem struct {
	// Type is the credential type. A vct (such as credential.VCTKTPEL or
	// credential.VCTQR) asks for the SD-JWT VC, a doctype (such as
	// credential.DocTypeQR) for the mdoc.
	Type string
	// Claims are the top-level SD-JWT claim names, or the mdoc element
	// identifiers in the doctype's namespace, to disclose. Nothing else is
	// disclosed, apart from what the issuer made always visible.
	Claims []string
}

// Request is what a verifier asks for: who asks (Verifier, the audience the
// presentation is bound to), a nonce in the two-way flow, and which claims of
// which credentials. A Request built by the app, or read from an unsigned
// QR, names a verifier nobody has authenticated; one from ReadRequestQR
// carries the registered verifier that signed it.
type Request struct {
	// Verifier is the verifier's identifier (KB-JWT aud, offline-QR
	// handover aud). Required.
	Verifier string
	// Nonce is the verifier's nonce (two-way flow, qr.MinNonceSize to
	// qr.MaxNonceSize bytes); nil means the one-way flow, with a fresh
	// random nonce.
	Nonce []byte
	// Items are the credentials and claims asked for, at most
	// MaxRequestItems.
	Items []RequestItem

	registered *request.RegisteredVerifier // set only by ReadRequestQR
}

// ReadRequestQR reads a verifier's signed request QR (credential/qr/request,
// docs/qr-format.md §10) and checks it with request.Verify against
// verifiers (the registered verifiers of the trust list, see
// request.TrustListVerifiers): signature with the registered key, validity period,
// and that every type asked for is registered for the verifier (even with
// no claims) and every claim is allowed by the registration. The result
// is marked as coming from that registered verifier, so Present shows its
// registered name as verified; its Nonce is the request's (two-way flow).
//
// For an SD-JWT VC query naming several vct values, the first one the wallet
// holds is used. Only top-level SD-JWT claims and mdoc elements of the
// doctype's own namespace can be asked for (ErrInvalidInput otherwise).
func (w *Wallet) ReadRequestQR(ctx context.Context, payload []byte, verifiers request.VerifierLookup) (*Request, error) {
	const op = "request"
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.unlockedLocked(op); err != nil {
		return nil, err
	}
	if verifiers == nil {
		return nil, errorf(op, ErrConfig, "no verifier lookup")
	}
	vr, err := request.Verify(payload, request.Options{Verifiers: verifiers, Now: w.opts.now})
	if err != nil {
		if errors.Is(err, request.ErrUnregisteredVerifier) || errors.Is(err, request.ErrSignature) || errors.Is(err, request.ErrNotAllowed) {
			return nil, wrapErr(op, ErrUntrustedVerifier, err, "signed request")
		}
		return nil, wrapErr(op, ErrInvalidInput, err, "signed request")
	}
	creds, err := w.credentialsLocked(ctx, op)
	if err != nil {
		return nil, err
	}
	reg, vreq := vr.Verifier(), vr.Request()
	req := &Request{Verifier: vreq.Verifier, Nonce: vreq.Nonce, registered: &reg}
	for _, q := range vreq.Query.Credentials {
		it := RequestItem{}
		switch q.Format {
		case credential.FormatSDJWT:
			if len(q.VCTValues) == 0 {
				return nil, errorf(op, ErrInvalidInput, "SD-JWT query without vct_values")
			}
			it.Type = q.VCTValues[0]
			for _, v := range q.VCTValues {
				if holds(creds, credential.FormatSDJWT, v) {
					it.Type = v
					break
				}
			}
			for _, c := range q.Claims {
				if len(c.Path) != 1 {
					return nil, errorf(op, ErrInvalidInput, "nested claim path %v not supported", c.Path)
				}
				name, ok := c.Path[0].(string)
				if !ok {
					return nil, errorf(op, ErrInvalidInput, "nested claim path %v not supported", c.Path)
				}
				it.Claims = append(it.Claims, name)
			}
		case credential.FormatMdoc:
			it.Type = q.DoctypeValue
			for _, c := range q.Claims {
				if len(c.Path) != 2 {
					return nil, errorf(op, ErrInvalidInput, "mdoc claim path %v", c.Path)
				}
				ns, _ := c.Path[0].(string)
				el, ok := c.Path[1].(string)
				if ns != q.DoctypeValue || !ok {
					return nil, errorf(op, ErrInvalidInput, "claim %v outside the doctype's namespace", c.Path)
				}
				it.Claims = append(it.Claims, el)
			}
		default:
			return nil, errorf(op, ErrInvalidInput, "format %q", q.Format)
		}
		req.Items = append(req.Items, it)
	}
	return req, nil
}

func holds(creds []*Credential, f credential.Format, typ string) bool {
	for _, c := range creds {
		if c.Format == f && (c.VCT == typ || c.DocType == typ) {
			return true
		}
	}
	return false
}

// SharedClaim is one claim as the consent screen shows it.
type SharedClaim struct {
	Name  string
	Value any // the value that will be disclosed
}

// ConsentItem is what will be shared from one credential.
type ConsentItem struct {
	Credential string // display name, e.g. "KTP-el"
	Format     credential.Format
	Claims     []SharedClaim
	// CopiesLeft is the number of the credential's copies not yet spent
	// that will be left after this presentation.
	CopiesLeft int
	// Reused is true when a spent copy will be presented again, as the
	// app allowed through PresentOptions.ReuseSpentCopy: verifiers who
	// compare notes can link this presentation with the copy's earlier
	// ones.
	Reused bool
}

// ConsentRequest is shown to the user before anything is disclosed: who asks
// and exactly what will be shared.
type ConsentRequest struct {
	// Verifier is the requested audience; VerifierName its registered name.
	Verifier, VerifierName string
	// Verified is true only when the request was signed by a verifier
	// registered in the trust list (ReadRequestQR); otherwise Verifier is
	// merely what the request claims and VerifierName is empty.
	Verified bool
	Items    []ConsentItem
	// ValidFor is how long the resulting QR is valid.
	ValidFor time.Duration
	// Grant, for an OpenID4VP login request ([VPRequest].Grant), is the
	// standing authorisation consent also gives: the relying party keeps
	// access until Grant.Until unless the user withdraws it. nil
	// otherwise.
	Grant *GrantRequest
}

// ConsentFunc asks the user. It returns true to share; false (or an error)
// shares nothing.
type ConsentFunc func(ctx context.Context, req ConsentRequest) (bool, error)

// PresentOptions configure Present.
type PresentOptions struct {
	// Consent is asked before anything is disclosed. Required: there is no
	// default that says yes.
	Consent ConsentFunc
	// PIN is checked (as a counted attempt) when Options.PINPerPresentation
	// is set.
	PIN string
	// ReuseSpentCopy is asked, before Consent, for each credential to
	// present that has no copy its use policy allows: every live copy is
	// spent (UseOnce) or was given to other verifiers (UsePerVerifier).
	// It returns true to present a spent copy again (the least used one,
	// the verifier's own if it had one), which lets verifiers who compare
	// notes link the presentations of that copy; false or an error
	// presents nothing (ErrNoCopyLeft). nil means never: a spent copy is
	// never presented again without it.
	ReuseSpentCopy func(ctx context.Context, r ReuseRequest) (bool, error)
}

// ReuseRequest is what the app shows when asking whether to present a
// spent copy of a credential again.
type ReuseRequest struct {
	// Verifier is the verifier asking; Verified is true only when its
	// request was signed by a registered verifier.
	Verifier string
	Verified bool
	// Credential is the credential's ID, Name its display name.
	Credential, Name string
	Format           credential.Format
	// Copy is the number of the copy that would be presented again and
	// GivenTo the verifiers it was presented to.
	Copy    int
	GivenTo []string
	// Refreshable is true when [Wallet.Refresh] can get new copies
	// instead.
	Refreshable bool
}

// Presentation is a built response, valid for qr.FreshnessWindow (90 s).
type Presentation struct {
	// Binding is what every presentation in it is bound to.
	Binding qr.Binding
	// ExpiresAt is Binding.IssuedAt + qr.FreshnessWindow.
	ExpiresAt time.Time
	// Envelope holds the presentations: SD-JWT+KB strings and mdoc
	// DeviceResponses.
	Envelope qr.Envelope
	// Codes are the QR payloads: one code, or a frame sequence when the
	// content does not fit one QR.
	Codes []qr.Code
}

type chosen struct {
	item  RequestItem
	cred  *Credential
	share ConsentItem
	copy  int // index in cred.rec.Copies
	reuse bool
}

// Present answers req. For each item it picks a stored credential of the
// type (the newest one not expired with a copy its use policy allows),
// and the copy: under UseOnce one never presented, under UsePerVerifier
// the one this verifier got before, else one never presented (see
// [UsePolicy]). When the credential has no such copy left,
// opts.ReuseSpentCopy decides whether a spent copy is presented again;
// without its yes, Present fails with ErrNoCopyLeft and nothing is
// disclosed. It checks every claim is there, and keeps only the
// disclosures for those claims (RFC 9901 §7.2 Select; for an mdoc only
// the requested elements, ISO 18013-5 §8.3.2.1.2.2). It shows the consent
// callback who asks and exactly which claim values will be shared; if the
// callback refuses, nothing is built and ErrConsentRefused is returned.
// Otherwise it builds SD-JWT+KB (KB-JWT aud, nonce, iat) and mdoc
// DeviceResponses (deviceSignature over the offline-QR SessionTranscript)
// from each chosen copy, signed by that copy's device key, all bound to
// one qr.Binding, and packs them into the offline QR. Every outcome
// (shared or refused) is recorded in the activity history, with claim
// names only and, for a presentation, which copy (number and key
// thumbprint) went to the verifier; the copies are marked spent in the
// same transaction as that entry, before the QR is returned.
func (w *Wallet) Present(ctx context.Context, req *Request, opts PresentOptions) (*Presentation, error) {
	const op = "present"
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.unlockedLocked(op); err != nil {
		return nil, err
	}
	if opts.Consent == nil {
		return nil, errorf(op, ErrConfig, "PresentOptions.Consent is required")
	}
	if err := checkRequest(req); err != nil {
		return nil, err
	}
	if req.registered != nil {
		if req.registered.ID != req.Verifier {
			return nil, errorf(op, ErrUntrustedVerifier, "request changed after verification")
		}
		for _, it := range req.Items {
			for _, c := range it.Claims {
				format, path := credential.FormatSDJWT, []any{c}
				if _, ok := credential.TypeByDocType(it.Type); ok || it.Type == credential.DocTypeQR || it.Type == credential.DocTypeQRFull {
					format, path = credential.FormatMdoc, []any{it.Type, c}
				}
				if !req.registered.MayRequest(format, it.Type, path) {
					return nil, errorf(op, ErrUntrustedVerifier, "%s is not registered for %s of %s", req.registered.ID, c, it.Type)
				}
			}
		}
	}
	creds, err := w.credentialsLocked(ctx, op)
	if err != nil {
		return nil, err
	}
	now := w.opts.now()
	who := verifierRef{ID: req.Verifier, Verified: req.registered != nil}
	var picks []chosen
	for _, it := range req.Items {
		p, err := pick(creds, it, who, now)
		if err != nil {
			return nil, err
		}
		picks = append(picks, p)
	}

	prompt := ConsentRequest{Verifier: req.Verifier, ValidFor: qr.FreshnessWindow}
	if req.registered != nil {
		prompt.Verified, prompt.VerifierName = true, req.registered.Name
	}
	for _, p := range picks {
		if !p.reuse {
			continue
		}
		sc := p.cred.rec.Copies[p.copy]
		if opts.ReuseSpentCopy == nil {
			return nil, errorf(op, ErrNoCopyLeft, "%s (%s): every copy was presented; refresh it or allow reuse", p.cred.Name, p.cred.Format)
		}
		ok, err := opts.ReuseSpentCopy(ctx, ReuseRequest{Verifier: req.Verifier, Verified: prompt.Verified,
			Credential: p.cred.ID, Name: p.cred.Name, Format: p.cred.Format, Copy: sc.N,
			GivenTo: p.cred.Copies[p.copy].GivenTo, Refreshable: p.cred.Refreshable})
		if err != nil || !ok {
			return nil, wrapErr(op, ErrNoCopyLeft, err, "%s (%s): reusing a spent copy was refused", p.cred.Name, p.cred.Format)
		}
	}
	for _, p := range picks {
		prompt.Items = append(prompt.Items, p.share)
	}
	act := Activity{Counterparty: req.Verifier, CounterpartyName: prompt.VerifierName, Verified: prompt.Verified}
	for _, p := range picks {
		act.Credentials = append(act.Credentials, p.cred.Name)
		for _, c := range p.item.Claims {
			act.Claims = append(act.Claims, p.cred.Name+": "+c)
		}
		if act.Format == "" || act.Format == p.cred.Format {
			act.Format = p.cred.Format
		} else {
			act.Format = "" // several formats
		}
	}
	ok, cerr := opts.Consent(ctx, prompt)
	if cerr != nil || !ok {
		act.Kind = ActivityConsentRefused
		if err := w.update(ctx, func(tx *sql.Tx) error { return w.addActivity(ctx, tx, act) }); err != nil {
			return nil, storeErr(op, err)
		}
		return nil, wrapErr(op, ErrConsentRefused, cerr, "nothing was disclosed")
	}
	if w.opts.PINPerPresentation {
		dek, err := w.checkPINLocked(ctx, op, opts.PIN)
		if err != nil {
			return nil, err
		}
		zero(dek)
	}

	// Build. Whole seconds: the binding time travels as a NumericDate.
	b := qr.Binding{Audience: req.Verifier, IssuedAt: now.UTC().Truncate(time.Second), Nonce: req.Nonce}
	if b.Nonce == nil {
		nb, err := qr.NewBinding(req.Verifier, now, w.opts.rand())
		if err != nil {
			return nil, wrapErr(op, ErrPresentation, err, "binding")
		}
		b = nb
	}
	out := &Presentation{Binding: b, ExpiresAt: b.IssuedAt.Add(qr.FreshnessWindow)}
	for _, p := range picks {
		raw, signer, err := w.openCopy(ctx, op, p.cred, p.copy)
		if err != nil {
			return nil, err
		}
		pr, err := w.presentOne(p, raw, signer, b, w.opts.rand())
		if err != nil {
			return nil, err
		}
		out.Envelope.Presentations = append(out.Envelope.Presentations, pr)
		sc := p.cred.rec.Copies[p.copy]
		act.Copies = append(act.Copies, CopyUse{Credential: p.cred.ID, Copy: sc.N, Key: sc.Key, Reused: p.reuse})
	}
	code, err := qr.Encode(out.Envelope)
	switch {
	case err == nil:
		out.Codes = []qr.Code{code}
	case errors.Is(err, qr.ErrTooLarge):
		if out.Codes, err = qr.EncodeFrames(out.Envelope); err != nil {
			return nil, wrapErr(op, ErrPresentation, err, "QR frames")
		}
	default:
		return nil, wrapErr(op, ErrPresentation, err, "QR")
	}
	act.Kind, act.At = ActivityPresentation, b.IssuedAt
	if err := w.spend(ctx, op, picks, who, act, nil); err != nil {
		return nil, err
	}
	return out, nil
}

// errCopyChanged: a chosen copy changed between the choice and the spend
// (another process on the same wallet file presented it).
var errCopyChanged = errors.New("a copy changed while it was being presented")

// spend marks the chosen copies spent, given to who, and records act
// (and runs also, when set: a login's grant) in one transaction: a
// presentation is never returned without both. The credentials are read
// again inside the transaction, so a copy another process spent in the
// meantime fails the presentation instead of being presented twice.
func (w *Wallet) spend(ctx context.Context, op string, picks []chosen, who verifierRef, act Activity, also func(*sql.Tx) error) error {
	err := w.update(ctx, func(tx *sql.Tx) error {
		for _, p := range picks {
			c, err := w.loadCredential(ctx, tx, p.cred.ID)
			if err != nil {
				return err
			}
			was := p.cred.rec.Copies[p.copy]
			i := slices.IndexFunc(c.rec.Copies, func(sc storedCopy) bool { return sc.N == was.N && sc.Key == was.Key })
			if i < 0 || c.rec.Copies[i].Spent != was.Spent || len(c.rec.Copies[i].GivenTo) != len(was.GivenTo) {
				return errCopyChanged
			}
			sc := &c.rec.Copies[i]
			sc.Spent = true
			if !givenTo(*sc, who) {
				sc.GivenTo = append(sc.GivenTo, who)
			}
			if err := w.putCredential(ctx, tx, c.ID, c.rec); err != nil {
				return err
			}
		}
		w.opts.at("present:spent")
		if err := w.addActivity(ctx, tx, act); err != nil {
			return err
		}
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		w.opts.at("present:before-commit")
		return nil
	})
	if errors.Is(err, errCopyChanged) {
		return wrapErr(op, ErrPresentation, nil, "%v; try again", err)
	}
	if err != nil {
		return storeErr(op, err)
	}
	w.opts.at("present:committed")
	return nil
}

func checkRequest(req *Request) error {
	const op = "present"
	if req == nil || req.Verifier == "" || len(req.Verifier) > MaxVerifierIDLen {
		return errorf(op, ErrInvalidInput, "a verifier identifier of 1 to %d bytes is required", MaxVerifierIDLen)
	}
	if req.Nonce != nil && (len(req.Nonce) < qr.MinNonceSize || len(req.Nonce) > qr.MaxNonceSize) {
		return errorf(op, ErrInvalidInput, "nonce of %d bytes, want %d to %d", len(req.Nonce), qr.MinNonceSize, qr.MaxNonceSize)
	}
	if len(req.Items) == 0 || len(req.Items) > MaxRequestItems {
		return errorf(op, ErrInvalidInput, "%d request items, want 1 to %d", len(req.Items), MaxRequestItems)
	}
	seen := map[string]bool{}
	for _, it := range req.Items {
		if it.Type == "" || len(it.Type) > MaxClaimNameLen || seen[it.Type] {
			return errorf(op, ErrInvalidInput, "empty, long or repeated credential type %q", it.Type)
		}
		seen[it.Type] = true
		if len(it.Claims) > MaxRequestClaims {
			return errorf(op, ErrInvalidInput, "%d claims for %s, want at most %d", len(it.Claims), it.Type, MaxRequestClaims)
		}
		names := map[string]bool{}
		for _, c := range it.Claims {
			if c == "" || len(c) > MaxClaimNameLen || names[c] {
				return errorf(op, ErrInvalidInput, "empty, long or repeated claim %q", c)
			}
			names[c] = true
		}
	}
	return nil
}

// pick chooses the credential and the copy for it: the type's format
// follows from Type (vct: SD-JWT VC, doctype: mdoc); the newest unexpired
// credential with a copy its policy allows for who wins, else the newest
// unexpired one, with a spent copy (reuse).
func pick(creds []*Credential, it RequestItem, who verifierRef, now time.Time) (chosen, error) {
	const op = "present"
	var cands []*Credential
	for _, c := range creds {
		if (c.Format == credential.FormatSDJWT && c.VCT == it.Type) || (c.Format == credential.FormatMdoc && c.DocType == it.Type) {
			if c.ExpiresAt.IsZero() || now.Before(c.ExpiresAt) {
				cands = append(cands, c)
			}
		}
	}
	if len(cands) == 0 {
		return chosen{}, errorf(op, ErrNoMatch, "no valid credential of type %s", it.Type)
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].ImportedAt.After(cands[j].ImportedAt) })
	c, idx, reuse := cands[0], -1, true
	for _, cand := range cands {
		if i, r := chooseCopy(cand, who, now); i >= 0 && (!r || idx < 0) {
			c, idx, reuse = cand, i, r
			if !r {
				break
			}
		}
	}
	if idx < 0 {
		return chosen{}, errorf(op, ErrNoMatch, "no valid copy of a credential of type %s", it.Type)
	}
	left := c.left
	if !c.rec.Copies[idx].Spent {
		left--
	}
	share := ConsentItem{Credential: c.Name, Format: c.Format, CopiesLeft: left, Reused: reuse}
	var values map[string]any
	if c.Format == credential.FormatSDJWT {
		values = c.Claims()
	} else {
		values = c.Elements()[c.DocType]
	}
	for _, name := range it.Claims {
		v, ok := values[name]
		if !ok {
			return chosen{}, errorf(op, ErrNoMatch, "%s has no claim %q", c.Name, name)
		}
		share.Claims = append(share.Claims, SharedClaim{Name: name, Value: v})
	}
	return chosen{item: it, cred: c, share: share, copy: idx, reuse: reuse}, nil
}

// chooseCopy picks the copy of c to present to who under c's policy and
// reports whether it is a reuse: a spent copy the policy would not give.
// Under UsePerVerifier the copy who got before comes first; then any live
// copy never presented, lowest number first. With none, the reuse
// candidate is the live copy who got before, else the least presented.
// It returns -1 when every copy expired.
func chooseCopy(c *Credential, who verifierRef, now time.Time) (int, bool) {
	cs := c.rec.Copies
	if c.Policy == UsePerVerifier {
		for i, sc := range cs {
			if live(sc, now) && givenTo(sc, who) {
				return i, false
			}
		}
	}
	for i, sc := range cs {
		if live(sc, now) && !sc.Spent {
			return i, false
		}
	}
	best := -1
	for i, sc := range cs {
		switch {
		case !live(sc, now):
		case givenTo(sc, who):
			return i, true
		case best < 0 || len(sc.GivenTo) < len(cs[best].GivenTo):
			best = i
		}
	}
	return best, true
}

// presentOne presents one copy (raw, bound to signer) of p.cred.
func (w *Wallet) presentOne(p chosen, raw []byte, signer crypto.Signer, b qr.Binding, r io.Reader) (qr.Presentation, error) {
	const op = "present"
	switch p.cred.Format {
	case credential.FormatSDJWT:
		u, err := sdjwt.Parse(string(raw))
		if err != nil {
			return qr.Presentation{}, wrapErr(op, ErrCorrupt, err, "stored SD-JWT")
		}
		paths := make([]sdjwt.Path, len(p.item.Claims))
		for i, c := range p.item.Claims {
			paths[i] = sdjwt.P(c)
		}
		pr, err := qr.PresentSDJWT(u, paths, b, signer, r)
		if err != nil {
			return qr.Presentation{}, wrapErr(op, ErrPresentation, err, "SD-JWT+KB")
		}
		return pr, nil
	default:
		is, err := mdoc.ParseIssuerSigned(raw)
		if err != nil {
			return qr.Presentation{}, wrapErr(op, ErrCorrupt, err, "stored mdoc")
		}
		pr, err := qr.PresentMdoc(is, map[string][]string{p.cred.DocType: p.item.Claims}, b, signer, r)
		if err != nil {
			return qr.Presentation{}, wrapErr(op, ErrPresentation, err, "DeviceResponse")
		}
		return pr, nil
	}
}
