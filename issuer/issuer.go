package issuer

import (
	"cmp"
	"context"
	"crypto"
	crand "crypto/rand"
	"crypto/x509"
	"encoding/base32"
	"io"
	"log/slog"
	"net/url"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/internal/obs"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

var cryptoRand = crand.Reader

// Profile says which claim set a credential carries.
type Profile string

// Credential profiles.
const (
	// ProfileFull is the complete document.
	ProfileFull Profile = "full"
	// ProfileQR is the compact QR-profile credential (credential.QRType).
	ProfileQR Profile = "qr"
)

// Defaults and caps of [Config].
const (
	// DefaultValidity is short, as one-time copies should be (issue 19):
	// a wallet tops its copies up with its refresh token, and a shorter
	// exp makes fewer copies end on the eve of a birthday (see Validity).
	DefaultValidity        = 30 * 24 * time.Hour
	MaxValidity            = 5 * 365 * 24 * time.Hour
	DefaultOfferTTL        = 10 * time.Minute
	DefaultMaxCodeAttempts = 5
	DefaultNonceTTL        = 5 * time.Minute
	DefaultProofMaxAge     = 5 * time.Minute
	DefaultClockSkew       = 30 * time.Second
	MaxClockSkew           = 5 * time.Minute
	MaxDecoys              = 64
	// DefaultDecoys is the number of decoy digests per _sd array when
	// Config.Decoys is zero; NoDecoys asks for none.
	DefaultDecoys = 2
	NoDecoys      = -1
	// DefaultTimeGranularity is what the time claims of a credential are
	// floored to when Config.TimeGranularity is zero: the start of the UTC
	// day. MaxTimeGranularity caps Config.TimeGranularity.
	DefaultTimeGranularity = 24 * time.Hour
	MaxTimeGranularity     = 7 * 24 * time.Hour
	DefaultStatusListSize  = 1 << 20
	MaxStatusListSize      = 1 << 27
	DefaultTokenValidity   = 24 * time.Hour
	DefaultTokenTTL        = time.Hour
	// MaxBatch caps the number of requests in one [Issuer.IssueBatch] call.
	MaxBatch = 10000
	// MaxDocuments caps the documents a DocumentSource may return for one
	// person.
	MaxDocuments = 32
)

// DocumentSource looks up the documents of a person, for instance in SIAK.
// [Issuer.Confirm] offers every document it returns, and the [Handler]
// issues them, at the activation and at every top-up.
type DocumentSource interface {
	Documents(ctx context.Context, nik credential.NIK) ([]credential.Document, error)
}

// DocumentsFunc adapts a function to [DocumentSource].
type DocumentsFunc func(ctx context.Context, nik credential.NIK) ([]credential.Document, error)

// Documents calls f.
func (f DocumentsFunc) Documents(ctx context.Context, nik credential.NIK) ([]credential.Document, error) {
	return f(ctx, nik)
}

// StatusListConfig configures the issuer's Token Status Lists
// (draft-ietf-oauth-status-list-20).
type StatusListConfig struct {
	// BaseURI is where the lists are published: list n is at BaseURI + "/"
	// + n, which is also its Status List Token's sub. Required; an absolute
	// URI without query or fragment.
	BaseURI string
	// Size is the number of entries per list; zero means
	// DefaultStatusListSize, at most MaxStatusListSize. A new list is started
	// when one is full.
	Size int
	// Bits per entry: 1 (revoked or not) or 2 (adds suspension); zero means 1.
	Bits int
	// TokenValidity is the exp of a published token after its iat; zero
	// means DefaultTokenValidity.
	TokenValidity time.Duration
	// TTL is the ttl claim of a published token; zero means DefaultTokenTTL.
	TTL time.Duration
}

// Config configures an [Issuer].
type Config struct {
	// Identifier is the Credential Issuer Identifier (OpenID4VCI 1.0
	// §12.2.1: an https URL without query or fragment; http only on a
	// loopback host, for tests and the demo), used as iss of SD-JWT VCs
	// and as the aud proofs must carry. Required.
	Identifier string
	// Signer is the issuer's signing key (an HSM key works: only the
	// crypto.Signer methods are used). Required. The Issuer signs the
	// credentials of a batch or of a credential request on
	// SigningWorkers goroutines at once, as crypto/ecdsa and
	// crypto/ed25519 keys allow.
	Signer crypto.Signer
	// SigningWorkers is how many credentials are signed at once; zero
	// means runtime.GOMAXPROCS(0). Set 1 for a Signer that must not be
	// called concurrently.
	SigningWorkers int
	// KeyID is the kid of SD-JWT VCs and status list tokens, for example a
	// did:key URL (did:key:z…#z…). Optional.
	KeyID string
	// Chain is the mdoc document signer certificate chain, leaf first (its
	// key must be Signer's). Required when credential.FormatMdoc is issued.
	Chain []*x509.Certificate
	// Types are the credential types this issuer is authorised for. Required.
	Types []credential.TypeInfo
	// Formats are the formats offered and issued; empty means both.
	Formats []credential.Format
	// Validity is how long a credential is valid; zero means DefaultValidity,
	// at most MaxValidity. Credentials carrying age claims expire at the
	// latest when those change (the next birthday, credential.NextAgeChange):
	// such an exp is the same in every copy and tells the birthday's day, so
	// it links the copies of the residents whose birthday falls within
	// Validity of issuance; a short Validity keeps them few (30 days: about
	// one in twelve).
	Validity time.Duration
	// Decoys is the number of decoy digests per _sd array (RFC 9901
	// §4.2.5) of an SD-JWT VC, drawn afresh for every copy: zero means
	// DefaultDecoys, NoDecoys none, at most MaxDecoys. Decoys hide how
	// many claims an _sd array holds (how many children a family card
	// lists, say). The QR profile has none: its four digests are fixed.
	Decoys int
	// Copies is, by credential type (vct), how many one-time copies of a
	// credential the issuer issues at most in one Credential Request: a
	// wallet asks for a batch of copies, one key proof per copy, and shows
	// each copy once, so that two presentations cannot be linked by their
	// signature, digests, device key or status index (issue 19). The QR
	// profile of a KTP-el has its own entry, credential.VCTQR; an mdoc
	// configuration uses the entry of its type's vct. A type not listed
	// gets its TypeInfo.Copies. Each from 1 to oid4vci.MaxProofs.
	Copies map[string]int
	// TimeGranularity is what the time claims of every credential are
	// floored to (SD-JWT VC iat and exp, mdoc signed, validFrom and
	// validUntil), so that the copies of a batch, and credentials issued
	// in the same period, carry the same times: zero means
	// DefaultTimeGranularity (the start of the UTC day). It must divide a
	// day or be a whole number of days, at most MaxTimeGranularity, in
	// whole seconds. A credential is valid from the start of its period,
	// so it verifies at once; its expiry is floored too, unless that
	// would leave it less than an hour of validity (near a change of its
	// age claims), when it keeps its exact expiry.
	TimeGranularity time.Duration
	// StatusList configures revocation.
	StatusList StatusListConfig
	// MaxCodeAttempts is how many wrong tx_codes kill a credential offer
	// (OpenID4VCI 1.0 §13.6.3), from 1 to 100; zero means
	// DefaultMaxCodeAttempts.
	MaxCodeAttempts int
	// OfferTTL is how long the pre-authorized code of a credential offer
	// made at confirmation is valid; zero means DefaultOfferTTL.
	OfferTTL time.Duration
	// TxCodeLength is the number of digits of an offer's tx_code; zero
	// means DefaultTxCodeLength, from MinTxCodeLength to MaxTxCodeLength.
	TxCodeLength int
	// TxCodeDescription tells the person where to find the tx_code
	// (OpenID4VCI 1.0 §4.1.1: at most 300 characters); empty means
	// DefaultTxCodeDescription.
	TxCodeDescription string
	// NonceTTL is how long a c_nonce is valid; zero means DefaultNonceTTL.
	NonceTTL time.Duration
	// ProofMaxAge is the oldest proof iat accepted; zero means
	// DefaultProofMaxAge.
	ProofMaxAge time.Duration
	// ClockSkew is tolerated on proof times; zero means DefaultClockSkew, at
	// most MaxClockSkew.
	ClockSkew time.Duration
	// StoreClaims keeps each issued claim set in the credential record.
	// Off by default: records then hold no personal data beyond the NIK of
	// the binding.
	StoreClaims bool
	// Documents returns a person's documents at confirmation and at each
	// credential request (activation or top-up). Required for Confirm:
	// without it, nobody can be activated. The methods of the
	// documents it returns may be called from several goroutines at once,
	// as with IssueRequest.Document.
	Documents DocumentSource
	// Store persists state. Required; see OpenSQLite.
	Store Store
	// Now returns the current time; nil means time.Now. It may be called
	// from several goroutines at once.
	Now func() time.Time
	// Rand is the source of offer secrets, access and refresh tokens, nonces, IDs,
	// salts, status indices and signature randomness; nil means crypto/rand. Another reader is read
	// under a lock, so it need not be safe for concurrent use.
	Rand io.Reader
	// Logger receives the Issuer's logs (see the package documentation,
	// "Operating"): failures of the issuer (store, signing) at Error,
	// refused operations at Debug; never a secret, a claim or a NIK. Nil
	// means slog.Default(). It is also the default of
	// HandlerConfig.Logger.
	Logger *slog.Logger
	// Metrics receives the outcomes of the Issuer's operations
	// (Register, Confirm, Issue and IssueBatch, Revoke, ReportLost); nil
	// means none. It is also the default of HandlerConfig.Metrics.
	Metrics Metrics

	// hook, if set, is called at named points inside transactions (tests
	// use it to kill the process there).
	hook func(point string)
}

// Issuer is an issuing authority's kit: registration, confirmation with a
// credential offer, issuance (through its [Handler], and [Issuer.Issue]),
// revocation and audit. It is safe for concurrent use; state lives in the
// Store, except an in-memory copy of the status list allocations.
type Issuer struct {
	cfg     Config
	alg     keys.Algorithm
	types   map[string]credential.TypeInfo // by vct
	copies  map[string]int                 // by vct, the QR profile's under credential.VCTQR
	sdPaths map[string][]sdjwt.Path        // by vct: the type's selectively disclosable claims
	formats []credential.Format
	// configs are the credential configurations (OpenID4VCI 1.0
	// §12.2.4) by identifier, configOrder their identifiers in order.
	configs     map[string]configuration
	configOrder []string

	log *slog.Logger // cfg.Logger, or slog.Default()

	mu     sync.Mutex        // guards blocks and keys
	blocks []*seqBlock       // the reserved runs of status list positions, oldest first
	keys   map[int]*listKeys // by list number
}

// New validates cfg and returns an Issuer over cfg.Store, checking the
// status lists it holds.
func New(ctx context.Context, cfg Config) (*Issuer, error) {
	const op = "new"
	bad := func(format string, args ...any) (*Issuer, error) {
		return nil, errorf(op, ErrConfig, format, args...)
	}
	if u, err := url.Parse(cfg.Identifier); err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" || u.RawQuery != "" ||
		strings.HasSuffix(u.Path, "/") || oid4vci.CheckURL(cfg.Identifier) != nil {
		return bad("identifier %q is not an https URL without query, fragment or final slash", cfg.Identifier)
	}
	if cfg.Signer == nil || cfg.Store == nil {
		return bad("Signer and Store are required")
	}
	alg, err := keys.AlgorithmFor(cfg.Signer.Public())
	if err != nil {
		return bad("signer: %v", err)
	}
	if len(cfg.Types) == 0 {
		return bad("no authorised credential types")
	}
	iss := &Issuer{cfg: cfg, alg: alg, types: map[string]credential.TypeInfo{}, sdPaths: map[string][]sdjwt.Path{}, keys: map[int]*listKeys{}}
	for _, t := range cfg.Types {
		if _, ok := credential.TypeByVCT(t.VCT); !ok {
			return bad("unknown credential type %q", t.VCT)
		}
		iss.types[t.VCT] = t
		for _, cp := range t.SelectivelyDisclosable() {
			iss.sdPaths[t.VCT] = append(iss.sdPaths[t.VCT], sdjwt.Path(cp))
		}
	}
	iss.formats = cfg.Formats
	if len(iss.formats) == 0 {
		iss.formats = []credential.Format{credential.FormatSDJWT, credential.FormatMdoc}
	}
	for _, f := range iss.formats {
		switch f {
		case credential.FormatSDJWT:
		case credential.FormatMdoc:
			if len(cfg.Chain) == 0 {
				return bad("mdoc needs the document signer Chain")
			}
		default:
			return bad("unknown format %q", f)
		}
	}
	c := &iss.cfg
	if c.Validity == 0 {
		c.Validity = DefaultValidity
	}
	if c.Validity < 0 || c.Validity > MaxValidity {
		return bad("validity %v outside (0, %v]", c.Validity, MaxValidity)
	}
	switch {
	case c.Decoys == 0:
		c.Decoys = DefaultDecoys
	case c.Decoys == NoDecoys:
		c.Decoys = 0
	case c.Decoys < 0 || c.Decoys > MaxDecoys:
		return bad("decoys %d outside [0, %d] (NoDecoys for none)", c.Decoys, MaxDecoys)
	}
	if c.TimeGranularity == 0 {
		c.TimeGranularity = DefaultTimeGranularity
	}
	if g := c.TimeGranularity; g < time.Second || g > MaxTimeGranularity || g%time.Second != 0 ||
		(24*time.Hour%g != 0 && g%(24*time.Hour) != 0) {
		return bad("TimeGranularity %v: not whole seconds dividing a day or whole days up to %v", g, MaxTimeGranularity)
	}
	if err := iss.buildCopies(); err != nil {
		return nil, err
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.OfferTTL, DefaultOfferTTL)
	def(&c.NonceTTL, DefaultNonceTTL)
	def(&c.ProofMaxAge, DefaultProofMaxAge)
	def(&c.ClockSkew, DefaultClockSkew)
	def(&c.StatusList.TokenValidity, DefaultTokenValidity)
	def(&c.StatusList.TTL, DefaultTokenTTL)
	if c.OfferTTL < 0 || c.NonceTTL < 0 || c.ProofMaxAge < 0 || c.ClockSkew < 0 || c.ClockSkew > MaxClockSkew ||
		c.StatusList.TokenValidity < 0 || c.StatusList.TTL < 0 {
		return bad("negative duration or clock skew over %v", MaxClockSkew)
	}
	if c.MaxCodeAttempts == 0 {
		c.MaxCodeAttempts = DefaultMaxCodeAttempts
	}
	if c.MaxCodeAttempts < 1 || c.MaxCodeAttempts > 100 {
		return bad("MaxCodeAttempts %d outside [1, 100]", c.MaxCodeAttempts)
	}
	if c.TxCodeLength == 0 {
		c.TxCodeLength = DefaultTxCodeLength
	}
	if c.TxCodeLength < MinTxCodeLength || c.TxCodeLength > MaxTxCodeLength {
		return bad("TxCodeLength %d outside [%d, %d]", c.TxCodeLength, MinTxCodeLength, MaxTxCodeLength)
	}
	if c.TxCodeDescription == "" {
		c.TxCodeDescription = DefaultTxCodeDescription
	}
	if n := utf8.RuneCountInString(c.TxCodeDescription); n > oid4vci.MaxTxCodeDescription || !utf8.ValidString(c.TxCodeDescription) {
		return bad("TxCodeDescription of %d characters, over %d", n, oid4vci.MaxTxCodeDescription)
	}
	sl := &c.StatusList
	if u, err := url.Parse(sl.BaseURI); err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" || u.RawQuery != "" || len(sl.BaseURI) > 1024 {
		return bad("status list BaseURI %q is not an absolute URI", sl.BaseURI)
	}
	sl.BaseURI = strings.TrimRight(sl.BaseURI, "/")
	if sl.Size == 0 {
		sl.Size = DefaultStatusListSize
	}
	if sl.Size < 8 || sl.Size > MaxStatusListSize {
		return bad("status list size %d outside [8, %d]", sl.Size, MaxStatusListSize)
	}
	if sl.Bits == 0 {
		sl.Bits = 1
	}
	if sl.Bits != 1 && sl.Bits != 2 {
		return bad("status list bits must be 1 or 2")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		c.Rand = cryptoRand
	} else if c.Rand != cryptoRand {
		c.Rand = &lockedReader{r: c.Rand}
	}
	if c.SigningWorkers < 0 {
		return bad("SigningWorkers %d is negative", c.SigningWorkers)
	}
	if c.SigningWorkers == 0 {
		c.SigningWorkers = runtime.GOMAXPROCS(0)
	}
	iss.log = obs.Logger(c.Logger, nil)
	iss.buildConfigurations()
	if err := iss.loadLists(ctx); err != nil {
		return nil, err
	}
	return iss, nil
}

// buildCopies fills iss.copies from Config.Copies and the types' defaults.
func (iss *Issuer) buildCopies() error {
	iss.copies = map[string]int{}
	for vct, t := range iss.types {
		def, _ := credential.TypeByVCT(vct)
		iss.copies[vct] = cmp.Or(t.Copies, def.Copies)
		if vct == credential.VCTKTPEL {
			iss.copies[credential.VCTQR] = credential.QRType().Copies
		}
	}
	for vct, n := range iss.cfg.Copies {
		if _, ok := iss.copies[vct]; !ok {
			return errorf("new", ErrConfig, "Copies for %q, a type the issuer does not issue", vct)
		}
		if n < 1 || n > oid4vci.MaxProofs {
			return errorf("new", ErrConfig, "Copies of %q: %d outside [1, %d]", vct, n, oid4vci.MaxProofs)
		}
		iss.copies[vct] = n
	}
	for vct, n := range iss.copies {
		if n < 1 || n > oid4vci.MaxProofs {
			return errorf("new", ErrConfig, "Copies of %q: %d outside [1, %d]", vct, n, oid4vci.MaxProofs)
		}
	}
	return nil
}

// Copies returns how many one-time copies of a credential of type vct
// the issuer issues at most in one Credential Request (Config.Copies,
// credential.VCTQR for the QR profile), 0 for a type it does not issue.
func (iss *Issuer) Copies(vct string) int { return iss.copies[vct] }

// coarse floors t to Config.TimeGranularity, counted from the Unix epoch
// (so to the start of the UTC day by default).
func (iss *Issuer) coarse(t time.Time) time.Time {
	g := int64(iss.cfg.TimeGranularity / time.Second)
	u := t.Unix()
	u -= ((u % g) + g) % g
	return time.Unix(u, 0).UTC()
}

// minCoarseValidity is the least validity a floored expiry must leave.
const minCoarseValidity = time.Hour

// coarseExpiry floors exp, the expiry of a credential issued at now, to
// Config.TimeGranularity, unless that would leave less than
// minCoarseValidity: exp is then a change of the credential's age claims
// coming soon, and stays as it is.
func (iss *Issuer) coarseExpiry(exp, now time.Time) time.Time {
	if c := iss.coarse(exp); c.After(now.Add(minCoarseValidity)) {
		return c
	}
	return exp.Truncate(time.Second)
}

// Authorized reports whether the issuer may issue the credential type vct.
func (iss *Issuer) Authorized(vct string) bool {
	_, ok := iss.types[vct]
	return ok
}

func (iss *Issuer) now() time.Time { return iss.cfg.Now().UTC() }

func (iss *Issuer) hook(point string) {
	if iss.cfg.hook != nil {
		iss.cfg.hook(point)
	}
}

// idTimeEncoding is base32hex (RFC 4648 §7) in lower case: its alphabet is
// in ASCII order, so identifiers sort as their bytes do.
var idTimeEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// newID returns an identifier of 16 bytes, base32hex, lower case: the
// issuer clock's Unix milliseconds in the first 6 bytes and 80 random bits
// in the rest (the layout of a UUIDv7, RFC 9562 §5.7). Identifiers made
// later sort later, so new records are appended at the end of the SQLite
// primary-key index instead of at a random page of it; 80 random bits keep
// identifiers made in the same millisecond apart and unguessable.
func (iss *Issuer) newID() (string, error) {
	var b [16]byte
	ms := uint64(max(iss.cfg.Now().UnixMilli(), 0))
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	if _, err := io.ReadFull(iss.cfg.Rand, b[6:]); err != nil {
		return "", errorf("random", ErrSigning, "random source: %v", err)
	}
	return idTimeEncoding.EncodeToString(b[:]), nil
}

// lockedReader serializes reads of a reader that may not be safe for
// concurrent use.
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}

// audit appends an event inside tx.
func (iss *Issuer) audit(tx Tx, actor, action, subject string, outcome error, detail string) error {
	o := "ok"
	if outcome != nil {
		o = outcomeText(outcome)
	}
	return tx.AppendAudit(&AuditEvent{At: iss.now(), Actor: actor, Action: action, Subject: subject, Outcome: o, Detail: detail})
}

func outcomeText(err error) string {
	for _, s := range []error{ErrConfig, ErrInvalidInput, ErrNotFound, ErrCodeInvalid, ErrCodeExpired,
		ErrCodeUsed, ErrTooManyAttempts, ErrProof, ErrNonce, ErrKeyMismatch, ErrUnauthorizedType, ErrBindingRevoked,
		ErrListFull, ErrStore, ErrSigning, ErrInvalidToken, ErrDPoP, ErrKeyAttestation, ErrRefreshToken, ErrDenied} {
		if isErr(err, s) {
			return s.Error()
		}
	}
	return "error"
}

// auditFailure records a failed operation in its own transaction and returns
// err unchanged.
func (iss *Issuer) auditFailure(ctx context.Context, actor, action, subject string, err error) error {
	_ = iss.cfg.Store.Update(ctx, func(tx Tx) error { return iss.audit(tx, actor, action, subject, err, "") })
	return err
}

// Audit lists audit events with a sequence number above after, oldest first,
// at most limit (1 to 1000).
func (iss *Issuer) Audit(ctx context.Context, after int64, limit int) ([]AuditEvent, error) {
	if limit < 1 || limit > 1000 {
		return nil, errorf("audit", ErrInvalidInput, "limit %d outside [1, 1000]", limit)
	}
	var out []AuditEvent
	err := iss.cfg.Store.View(ctx, func(tx Tx) error {
		var err error
		out, err = tx.Audit(after, limit)
		return err
	})
	return out, wrapStore("audit", err)
}

func listURI(base string, n int) string { return base + "/" + strconv.Itoa(n) }

// isNilDocument reports whether d is nil or a nil pointer inside the
// interface (a DocumentSource that ignored a constructor error), which would
// otherwise panic on its first method call.
func isNilDocument(d credential.Document) bool {
	if d == nil {
		return true
	}
	v := reflect.ValueOf(d)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
