package verifier

import (
	"crypto"
	"slices"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
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
	// ReplayCacheSize bounds the replay cache; zero means
	// DefaultReplayCacheSize, at most MaxReplayCacheSize.
	ReplayCacheSize int
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
	// some credential discloses no NIK (the holder keys must still match).
	AllowMissingNIK bool
	// AllowUnregistered lets a verifier whose Audience is not registered in
	// the trust list run. When it is registered, New checks that Required
	// stays within the claims the trust list allows it.
	AllowUnregistered bool
}

// Format is a credential format.
type Format int

// Credential formats.
const (
	FormatSDJWT Format = iota + 1 // SD-JWT VC
	FormatMdoc                    // ISO/IEC 18013-5 mdoc
)

// String returns "sd-jwt-vc" or "mdoc".
func (f Format) String() string {
	switch f {
	case FormatSDJWT:
		return "sd-jwt-vc"
	case FormatMdoc:
		return "mdoc"
	}
	return "unknown"
}

// Credential is one verified credential.
type Credential struct {
	// Format is the credential's format.
	Format Format
	// Type is the vct (SD-JWT VC) or doctype (mdoc).
	Type string
	// Issuer is the issuer's trust-list id; IssuerName its display name.
	Issuer, IssuerName string
	// Claims are the disclosed claims: the processed SD-JWT claim set, or
	// for mdoc the elements of the namespace named like the doctype.
	Claims map[string]any
	// NameSpaces holds every disclosed mdoc element (namespace → element →
	// value); nil for SD-JWT.
	NameSpaces map[string]map[string]any
	// Document is the typed credential (*credential.KTPEL, *credential.KK,
	// *credential.NPWP, *credential.BPJSKesehatan,
	// *credential.BPJSKetenagakerjaan) when the full claim set of an ikdkit
	// type was disclosed; nil otherwise (read Claims).
	Document credential.Document
	// NIK is the holder's NIK if the credential discloses it, else "".
	NIK string
	// HolderKey is the key the presentation was bound to.
	HolderKey crypto.PublicKey
	// ValidUntil is the end of the credential's validity (zero if none).
	ValidUntil time.Time
	// Status is the status list answer; nil if status was not checked.
	Status *statuslist.Answer
	// PresentedAt is when the holder made the presentation (KB-JWT iat or
	// QR binding time), zero when the session transcript carries no time.
	PresentedAt time.Time
}

// KTPEL returns the typed KTP-el, or nil if this is not a complete KTP-el.
func (c *Credential) KTPEL() *credential.KTPEL {
	k, _ := c.Document.(*credential.KTPEL)
	return k
}

// StatusAge returns the age of the status answer (0 if unchecked).
func (c *Credential) StatusAge() time.Duration {
	if c.Status == nil {
		return 0
	}
	return c.Status.Age
}

// Result is a verified presentation.
type Result struct {
	// Credentials are the verified credentials, in presentation order.
	Credentials []Credential
	// SameHolder reports that all credentials are bound to one holder key.
	// It is always true in a returned Result: a presentation whose
	// credentials are bound to different keys fails with ErrHolderMismatch.
	SameHolder bool
	// SameNIK reports that every credential discloses a NIK and all agree.
	// It is false when some credential discloses none (accepted for one
	// credential, or with Policy.AllowMissingNIK).
	SameNIK bool
	// NIK is the NIK all credentials that disclose one agree on ("" if
	// none does).
	NIK string
	// VerifiedAt is the verification time.
	VerifiedAt time.Time
}

// Verifier verifies presentations. It is safe for concurrent use; its only
// mutable state is the replay cache.
type Verifier struct {
	cfg    Config
	now    func() time.Time
	window time.Duration
	replay *replayCache
}

// New checks cfg and returns a Verifier.
func New(cfg Config) (*Verifier, error) {
	bad := func(format string, args ...any) error {
		return fail(CheckConfig, -1, ErrConfig, nil, format, args...)
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
	return &Verifier{cfg: cfg, now: now, window: cfg.Window, replay: newReplayCache(cfg.ReplayCacheSize)}, nil
}

// finish runs the checks over the whole presentation: holder consistency
// and the request policy.
func (v *Verifier) finish(creds []Credential, at time.Time) (*Result, error) {
	res := &Result{Credentials: creds, SameHolder: true, SameNIK: true, VerifiedAt: at}
	// Several credentials in one response must belong to one person: bound
	// to the same holder key and carrying the same NIK.
	for i := range creds {
		if i > 0 && !keyEqual(creds[0].HolderKey, creds[i].HolderKey) {
			return nil, fail(CheckHolder, i, ErrHolderMismatch, nil, "bound to a different holder key than credential 0")
		}
		if creds[i].NIK != "" {
			if res.NIK != "" && res.NIK != creds[i].NIK {
				return nil, fail(CheckHolder, i, ErrHolderMismatch, nil, "carries a different NIK")
			}
			res.NIK = creds[i].NIK
			continue
		}
		res.SameNIK = false
		if len(creds) > 1 && !v.cfg.Policy.AllowMissingNIK {
			return nil, fail(CheckHolder, i, ErrHolderMismatch, nil, "discloses no NIK, so it cannot be tied to the other credentials")
		}
	}
	p := v.cfg.Policy
	for _, typ := range p.RequiredTypes {
		if !slices.ContainsFunc(creds, func(c Credential) bool { return c.Type == typ }) {
			return nil, fail(CheckPolicy, -1, ErrPolicy, nil, "no credential of type %s", typ)
		}
	}
	for i := range creds {
		for _, claim := range p.Required[creds[i].Type] {
			if !creds[i].has(claim) {
				return nil, fail(CheckPolicy, i, ErrPolicy, nil, "required claim %s not disclosed", claim)
			}
		}
	}
	return res, nil
}

func (c *Credential) has(claim string) bool {
	if c.Format == FormatSDJWT {
		_, ok := c.Claims[claim]
		return ok
	}
	for _, ns := range c.NameSpaces {
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
