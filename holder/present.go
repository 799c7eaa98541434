package holder

import (
	"context"
	"database/sql"
	"errors"
	"io"
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
}

// Present answers req. For each item it picks a stored credential of the
// type (the newest one not expired), checks every claim is there, and keeps
// only the disclosures for those claims (RFC 9901 §7.2 Select; for an mdoc
// only the requested elements, ISO 18013-5 §8.3.2.1.2.2). It shows the
// consent callback who asks and exactly which claim values will be shared;
// if the callback refuses, nothing is built and ErrConsentRefused is
// returned. Otherwise it builds SD-JWT+KB (KB-JWT aud, nonce, iat) and mdoc
// DeviceResponses (deviceSignature over the offline-QR SessionTranscript),
// all bound to one qr.Binding, and packs them into the offline QR. Every
// outcome (shared or refused) is recorded in the activity history, with
// claim names only.
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
	dk, err := w.deviceLocked(ctx, op)
	if err != nil {
		return nil, err
	}
	creds, err := w.credentialsLocked(ctx, op)
	if err != nil {
		return nil, err
	}
	now := w.opts.now()
	var picks []chosen
	for _, it := range req.Items {
		p, err := pick(creds, it, now)
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
		pr, err := w.presentOne(p, b, dk, w.opts.rand())
		if err != nil {
			return nil, err
		}
		out.Envelope.Presentations = append(out.Envelope.Presentations, pr)
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
	if err := w.update(ctx, func(tx *sql.Tx) error { return w.addActivity(ctx, tx, act) }); err != nil {
		return nil, storeErr(op, err)
	}
	return out, nil
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

// pick chooses the credential for it: the type's format follows from Type
// (vct: SD-JWT VC, doctype: mdoc); the newest unexpired one wins.
func pick(creds []*Credential, it RequestItem, now time.Time) (chosen, error) {
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
	c := cands[0]
	share := ConsentItem{Credential: c.Name, Format: c.Format}
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
	return chosen{item: it, cred: c, share: share}, nil
}

func (w *Wallet) presentOne(p chosen, b qr.Binding, dk *deviceKey, r io.Reader) (qr.Presentation, error) {
	const op = "present"
	switch p.cred.Format {
	case credential.FormatSDJWT:
		u, err := sdjwt.Parse(string(p.cred.raw))
		if err != nil {
			return qr.Presentation{}, wrapErr(op, ErrCorrupt, err, "stored SD-JWT")
		}
		paths := make([]sdjwt.Path, len(p.item.Claims))
		for i, c := range p.item.Claims {
			paths[i] = sdjwt.P(c)
		}
		pr, err := qr.PresentSDJWT(u, paths, b, dk.signer, r)
		if err != nil {
			return qr.Presentation{}, wrapErr(op, ErrPresentation, err, "SD-JWT+KB")
		}
		return pr, nil
	default:
		is, err := mdoc.ParseIssuerSigned(p.cred.raw)
		if err != nil {
			return qr.Presentation{}, wrapErr(op, ErrCorrupt, err, "stored mdoc")
		}
		pr, err := qr.PresentMdoc(is, map[string][]string{p.cred.DocType: p.item.Claims}, b, dk.signer, r)
		if err != nil {
			return qr.Presentation{}, wrapErr(op, ErrPresentation, err, "DeviceResponse")
		}
		return pr, nil
	}
}
