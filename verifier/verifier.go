package verifier

import (
	"context"
	"crypto"
	"crypto/sha256"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/internal/obs"
)

// Bounds and defaults of the configuration.
const (
	// DefaultWindow is the default freshness window of a presentation: the
	// 90 seconds of the offline QR format (qr.FreshnessWindow).
	DefaultWindow = qr.FreshnessWindow
	// MaxWindow bounds Config.Window.
	MaxWindow = 10 * time.Minute
	// MaxClockSkew bounds Config.ClockSkew (the QR format allows 30 s).
	MaxClockSkew = qr.MaxClockSkew
	// DefaultReplayCacheSize is the default Config.ReplayCacheSize.
	DefaultReplayCacheSize = 1 << 16
	// MaxReplayCacheSize bounds Config.ReplayCacheSize.
	MaxReplayCacheSize = 1 << 22
	// MaxTrustListGrace bounds Config.TrustListGrace.
	MaxTrustListGrace = 30 * 24 * time.Hour
	// MaxCredentials caps the credentials in one presentation.
	MaxCredentials = 8
)

// TrustSource gives the current trust list; *trustlist.Store implements it.
type TrustSource interface {
	Current() *trustlist.List
}

var _ TrustSource = (*trustlist.Store)(nil)

// Config configures a Verifier.
type Config struct {
	// Trust gives the current trust list. Required.
	Trust TrustSource
	// Status is the status list cache revocation is looked up in. Required
	// unless Policy.SkipStatus is set.
	Status *statuslist.Cache
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// ClockSkew tolerates presentation times in the future and is applied to
	// validity periods; at most MaxClockSkew.
	ClockSkew time.Duration
	// Window is how old a presentation may be; zero means DefaultWindow, at
	// most MaxWindow.
	Window time.Duration
	// Audience is this verifier's identifier: presentations must be made for
	// it (KB-JWT aud, QR binding aud). Required.
	Audience string
	// Policy is the request policy.
	Policy Policy
	// Replay remembers verified presentations (see [ReplayStore]); nil
	// means a [MemoryReplayStore] of ReplayCacheSize entries, private to
	// this Verifier. Verifier instances that share a ReplayStore refuse a
	// replay to any of them.
	Replay ReplayStore
	// ReplayCacheSize bounds the default in-memory replay store; zero
	// means DefaultReplayCacheSize, at most MaxReplayCacheSize. Ignored
	// when Replay is set.
	ReplayCacheSize int
	// TrustListGrace is how long past its next_update the trust list is
	// still used. Zero, the default, refuses every presentation once the
	// list is overdue ([ErrTrustListStale]): a verifier that cannot reach
	// the operator for a while, and accepts the risk of not learning of a
	// removed issuer for that long, sets it explicitly; at most
	// MaxTrustListGrace.
	TrustListGrace time.Duration
	// Logger receives the Verifier's logs: refused presentations at Debug
	// (the check, the sentinel, the credential's index; never a claim, a
	// NIK or a nonce), at Warn when the Verifier's own state is at fault
	// (a stale trust list or status cache, a full replay store). Nil means
	// slog.Default(). It is also the default of VPHandlerConfig.Logger.
	Logger *slog.Logger
	// Metrics receives the outcome of every verification: Outcome("verify",
	// OutcomeName(err)). Nil means none. It is also the default of
	// VPHandlerConfig.Metrics.
	Metrics Metrics
}

// Policy is a verifier's request policy.
type Policy struct {
	// Required maps a credential type (vct or doctype) to the claims that
	// must be present when a credential of that type is presented: SD-JWT
	// top-level claim names, or mdoc element identifiers (in any
	// namespace). A presentation of a type not in the map is accepted with
	// whatever it discloses.
	Required map[string][]string
	// RequiredTypes are credential types that must all be in the
	// presentation.
	RequiredTypes []string
	// MaxStatusAge is how old a status answer may be; zero leaves it to
	// the status cache's own policy.
	MaxStatusAge time.Duration
	// AllowNoStatus accepts credentials that carry no status reference.
	// By default a credential without one is refused (ErrStatusUnavailable).
	AllowNoStatus bool
	// SkipStatus turns revocation checking off entirely. Loud on purpose:
	// a verifier that skips it accepts lost phones' credentials.
	SkipStatus bool
	// AllowMissingNIK accepts a multi-credential presentation in which
	// some credential discloses no NIK, when all are bound to one holder
	// key (never for one-time copies, bound to a key each).
	AllowMissingNIK bool
	// AllowUnregistered lets a verifier whose Audience is not registered in
	// the trust list run. When it is registered, New checks that Required
	// stays within the claims the trust list allows it.
	AllowUnregistered bool
}

// Credential is one verified credential. Only a Verifier makes one.
type Credential struct {
	format      credential.Format
	typ         string
	issuer      string
	issuerName  string
	claims      map[string]any
	nameSpaces  map[string]map[string]any
	document    credential.Document
	nik         string
	holderKey   crypto.PublicKey
	validUntil  time.Time
	status      *statuslist.Answer
	presentedAt time.Time
}

// Format returns the credential's format.
func (c *Credential) Format() credential.Format { return c.format }

// Type returns the vct (SD-JWT VC) or doctype (mdoc).
func (c *Credential) Type() string { return c.typ }

// Issuer returns the issuer's trust-list identifier.
func (c *Credential) Issuer() string { return c.issuer }

// IssuerName returns the issuer's display name from the trust list.
func (c *Credential) IssuerName() string { return c.issuerName }

// Claims returns the disclosed claims: the processed SD-JWT claim set, or
// for mdoc the elements of the namespace named like the doctype. The map
// is the caller's to keep.
func (c *Credential) Claims() map[string]any { return c.claims }

// NameSpaces returns every disclosed mdoc element (namespace → element →
// value); nil for SD-JWT.
func (c *Credential) NameSpaces() map[string]map[string]any { return c.nameSpaces }

// Document returns the typed credential (*credential.KTPEL, *credential.KK,
// *credential.NPWP, *credential.BPJSKesehatan,
// *credential.BPJSKetenagakerjaan) when the full claim set of an ikdkit
// type was disclosed; nil otherwise (read Claims).
func (c *Credential) Document() credential.Document { return c.document }

// KTPEL returns the typed KTP-el, or nil if this is not a complete KTP-el.
func (c *Credential) KTPEL() *credential.KTPEL {
	k, _ := c.document.(*credential.KTPEL)
	return k
}

// NIK returns the holder's NIK if the credential discloses it, else "".
func (c *Credential) NIK() string { return c.nik }

// HolderKey returns the key the presentation was bound to.
func (c *Credential) HolderKey() crypto.PublicKey { return c.holderKey }

// ValidUntil returns the end of the credential's validity (zero if none).
func (c *Credential) ValidUntil() time.Time { return c.validUntil }

// Status returns the status list answer; nil if status was not checked
// (Policy.SkipStatus, or Policy.AllowNoStatus for a credential without a
// status reference).
func (c *Credential) Status() *statuslist.Answer { return c.status }

// StatusAge returns the age of the status answer (0 if unchecked).
func (c *Credential) StatusAge() time.Duration {
	if c.status == nil {
		return 0
	}
	return c.status.Age
}

// PresentedAt returns when the holder made the presentation (KB-JWT iat
// or QR binding time); zero when the session transcript carries no time.
func (c *Credential) PresentedAt() time.Time { return c.presentedAt }

// Result is a verified presentation. Only a Verifier makes one.
type Result struct {
	credentials []*Credential
	sameNIK     bool
	nik         string
	sameKey     bool
	verifiedAt  time.Time
}

// Credentials returns the verified credentials, in presentation order.
func (r *Result) Credentials() []*Credential { return slices.Clone(r.credentials) }

// SameHolder reports that all credentials are bound to one holder key.
// One-time copies (issue 19) are bound to a key each, so a response of
// several copies has different keys, each proven by its own holder
// binding, and is tied to one person by its NIKs ([Result.SameNIK]).
func (r *Result) SameHolder() bool { return r.sameKey }

// SameNIK reports that every credential discloses a NIK and all agree. It
// is false when some credential discloses none (accepted for one
// credential, or with Policy.AllowMissingNIK).
func (r *Result) SameNIK() bool { return r.sameNIK }

// NIK returns the NIK all credentials that disclose one agree on ("" if
// none does).
func (r *Result) NIK() string { return r.nik }

// VerifiedAt returns the verification time.
func (r *Result) VerifiedAt() time.Time { return r.verifiedAt }

// Verifier verifies presentations. It is safe for concurrent use; its
// mutable state is the replay cache, the buffers it reads presentations in
// (one sdjwt.Workspace per verification under way, reused by the next) and
// the mdoc document signer certificates it has parsed.
type Verifier struct {
	cfg        Config
	now        func() time.Time
	window     time.Duration
	replay     ReplayStore
	log        *slog.Logger
	workspaces sync.Pool             // of *sdjwt.Workspace
	certs      mdoc.CertificateCache // parsed x5chain certificates
}

// New checks cfg and returns a Verifier.
func New(cfg Config) (*Verifier, error) {
	bad := func(format string, args ...any) error {
		return fail(check.Input, -1, ErrConfig, nil, format, args...)
	}
	if cfg.Trust == nil {
		return nil, bad("Trust is required")
	}
	if cfg.Audience == "" {
		return nil, bad("Audience is required")
	}
	if cfg.Status == nil && !cfg.Policy.SkipStatus {
		return nil, bad("Status is required unless Policy.SkipStatus is set")
	}
	if cfg.ClockSkew < 0 || cfg.ClockSkew > MaxClockSkew {
		return nil, bad("ClockSkew must be 0 to %v", MaxClockSkew)
	}
	if cfg.Window == 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.Window < 0 || cfg.Window > MaxWindow {
		return nil, bad("Window must be 0 to %v", MaxWindow)
	}
	if cfg.ReplayCacheSize == 0 {
		cfg.ReplayCacheSize = DefaultReplayCacheSize
	}
	if cfg.ReplayCacheSize < 0 || cfg.ReplayCacheSize > MaxReplayCacheSize {
		return nil, bad("ReplayCacheSize must be 0 to %d", MaxReplayCacheSize)
	}
	if cfg.TrustListGrace < 0 || cfg.TrustListGrace > MaxTrustListGrace {
		return nil, bad("TrustListGrace must be 0 to %v", MaxTrustListGrace)
	}
	replay := cfg.Replay
	if replay == nil {
		m, err := NewMemoryReplayStore(cfg.ReplayCacheSize)
		if err != nil {
			return nil, err
		}
		replay = m
	}
	if cfg.Policy.MaxStatusAge < 0 {
		return nil, bad("MaxStatusAge is negative")
	}
	if l := cfg.Trust.Current(); l != nil {
		if rp, ok := l.Verifier(cfg.Audience); ok {
			for typ, claims := range cfg.Policy.Required {
				for _, c := range claims {
					if !rp.MayRequest(typ, c) {
						return nil, bad("policy requires %s of %s, which the trust list does not allow %s to request", c, typ, cfg.Audience)
					}
				}
			}
		} else if !cfg.Policy.AllowUnregistered {
			return nil, bad("verifier %.100q is not registered in the trust list (set Policy.AllowUnregistered)", cfg.Audience)
		}
	} else {
		return nil, bad("no trust list loaded")
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Verifier{cfg: cfg, now: now, window: cfg.Window, replay: replay, log: obs.Logger(cfg.Logger, nil)}, nil
}

// trustList returns the current trust list, refused once it is past its
// next_update plus Config.TrustListGrace: an overdue list may still name an
// issuer the operator has removed.
func (v *Verifier) trustList(at time.Time) (*trustlist.List, error) {
	l := v.cfg.Trust.Current()
	if l == nil {
		return nil, fail(check.Trust, -1, ErrUntrustedIssuer, nil, "no trust list loaded")
	}
	if l.Stale(at.Add(-v.cfg.TrustListGrace)) {
		return nil, fail(check.Trust, -1, ErrTrustListStale, nil, "next update was due %v (grace %v)", l.NextUpdate.UTC(), v.cfg.TrustListGrace)
	}
	return l, nil
}

// fresh checks a presentation time against the window and the skew.
func (v *Verifier) fresh(idx int, t, at time.Time) error {
	if t.After(at.Add(v.cfg.ClockSkew)) {
		return fail(check.Freshness, idx, ErrNotFresh, nil, "made at %v, in the future", t.UTC())
	}
	if at.Sub(t) > v.window+v.cfg.ClockSkew {
		return fail(check.Freshness, idx, ErrNotFresh, nil, "made at %v, more than %v ago", t.UTC(), v.window)
	}
	return nil
}

// remember records a holder-signed unit (a KB-JWT's signing input, an
// mdoc document's DeviceAuthentication) in the replay store until it can
// no longer be fresh. kind separates the formats' key spaces.
func (v *Verifier) remember(ctx context.Context, idx int, kind string, unit []byte, madeAt, at time.Time) error {
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write(unit)
	var key [32]byte
	h.Sum(key[:0])
	exp := madeAt.Add(v.window + 2*v.cfg.ClockSkew)
	if !exp.After(at) {
		exp = at.Add(v.window + 2*v.cfg.ClockSkew)
	}
	switch err := v.replay.Remember(ctx, key, at, exp); {
	case err == nil:
		return nil
	case errors.Is(err, ErrReplay):
		return fail(check.Replay, idx, ErrReplay, nil, "")
	case errors.Is(err, ErrReplayStoreFull):
		return fail(check.Replay, idx, ErrReplayStoreFull, nil, "")
	default:
		return fail(check.Replay, idx, ErrReplayStoreFull, err, "replay store unavailable")
	}
}

// finish runs the checks over the whole presentation: holder consistency
// and the request policy.
func (v *Verifier) finish(creds []*Credential, at time.Time) (*Result, error) {
	res := &Result{credentials: creds, sameNIK: true, sameKey: true, verifiedAt: at}
	// Several credentials in one response must belong to one person. Each
	// proved its own holder binding (check.HolderBinding); one-time copies
	// (issue 19) are each bound to a key of their own, so what ties them
	// together is the NIK every one of them discloses. Only credentials
	// bound to one key may leave the NIK out, and only with
	// Policy.AllowMissingNIK.
	for _, c := range creds[1:] {
		if !keyEqual(creds[0].holderKey, c.holderKey) {
			res.sameKey = false
		}
	}
	for i, c := range creds {
		if c.nik != "" {
			if res.nik != "" && res.nik != c.nik {
				return nil, fail(check.Holder, i, ErrHolderMismatch, nil, "carries a different NIK")
			}
			res.nik = c.nik
			continue
		}
		res.sameNIK = false
		switch {
		case len(creds) > 1 && !res.sameKey:
			return nil, fail(check.Holder, i, ErrHolderMismatch, nil, "discloses no NIK and the credentials are bound to different keys, so nothing ties it to the others")
		case len(creds) > 1 && !v.cfg.Policy.AllowMissingNIK:
			return nil, fail(check.Holder, i, ErrHolderMismatch, nil, "discloses no NIK, so it cannot be tied to the other credentials")
		}
	}
	p := v.cfg.Policy
	for _, typ := range p.RequiredTypes {
		if !slices.ContainsFunc(creds, func(c *Credential) bool { return c.typ == typ }) {
			return nil, fail(check.Policy, -1, ErrPolicy, nil, "no credential of type %.200s", typ)
		}
	}
	for i, c := range creds {
		for _, claim := range p.Required[c.typ] {
			if !c.has(claim) {
				return nil, fail(check.Policy, i, ErrPolicy, nil, "required claim %.200s not disclosed", claim)
			}
		}
	}
	return res, nil
}

func (c *Credential) has(claim string) bool {
	if c.format == credential.FormatSDJWT {
		_, ok := c.claims[claim]
		return ok
	}
	for _, ns := range c.nameSpaces {
		if _, ok := ns[claim]; ok {
			return true
		}
	}
	return false
}

func keyEqual(a, b crypto.PublicKey) bool {
	if a == nil || b == nil {
		return false
	}
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}
