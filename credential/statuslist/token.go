package statuslist

import (
	"crypto"
	"math"
	"net/url"
	"time"

	"github.com/ikdkit/ikdkit/keys"
)

// Media types and token types (draft-ietf-oauth-status-list-20 §5, §8.2).
const (
	// JWTType is the JWT "typ" header of a Status List Token (§5.1).
	JWTType = "statuslist+jwt"
	// CWTType is the COSE "type" (16) header of a Status List Token (§5.2).
	CWTType = "application/statuslist+cwt"
	// MediaTypeJWT is the HTTP content type of a JWT Status List Token (§8.2).
	MediaTypeJWT = "application/statuslist+jwt"
	// MediaTypeCWT is the HTTP content type of a CWT Status List Token (§8.2).
	MediaTypeCWT = "application/statuslist+cwt"
)

// CWT claim keys (RFC 8392 §3.1 and draft-ietf-oauth-status-list-20 §14.3).
// The draft's keys 65533-65535 are the assignments it requests from IANA;
// they are the ones its examples use.
const (
	cwtIss        = 1
	cwtSub        = 2
	cwtExp        = 4
	cwtNbf        = 5
	cwtIat        = 6
	cwtStatusList = 65533 // status_list
	cwtTTL        = 65534 // ttl
	// CWTClaimStatus is the CWT claim key of the "status" claim of a
	// Referenced Token (draft §6.3): 65535, as requested from IANA.
	CWTClaimStatus = 65535
)

// Token caps and bounds.
const (
	// DefaultMaxTokenBytes is the default cap on the size of a serialized
	// Status List Token: 8 MiB. A 16,777,216-entry 2-bit list with 5 %
	// random revocations compresses to about 1.4 MiB (docs/status-lists.md).
	DefaultMaxTokenBytes = 8 << 20
	// MaxSkew is the largest clock skew a [Verifier] or [Cache] accepts.
	MaxSkew = 10 * time.Minute
	// maxTTLSeconds bounds ttl so it always fits a time.Duration.
	maxTTLSeconds = 1 << 31
	// maxHeaderBytes caps the decoded JOSE header.
	maxHeaderBytes = 4 << 10
)

// TokenParams are the claims of a Status List Token to sign
// (draft §5.1 JWT, §5.2 CWT).
type TokenParams struct {
	// Subject is the token's URI, "sub" (REQUIRED). It must equal the "uri"
	// of every Referenced Token pointing at this list.
	Subject string
	// Issuer is the optional "iss" claim.
	Issuer string
	// IssuedAt is "iat" (REQUIRED).
	IssuedAt time.Time
	// ExpiresAt is "exp"; zero omits it. The draft RECOMMENDS it.
	ExpiresAt time.Time
	// TTL is "ttl", how long a consumer may cache the token before fetching
	// a fresh one; whole seconds, zero omits it. The draft RECOMMENDS it.
	TTL time.Duration
	// KeyID is the optional "kid" header.
	KeyID string
	// AggregationURI is the optional "aggregation_uri" of the Status List.
	AggregationURI string
}

func (p *TokenParams) check(op string) error {
	if err := checkURI(p.Subject); err != nil {
		return errorf(op, ErrMalformed, "subject: %v", err)
	}
	if p.IssuedAt.IsZero() || p.IssuedAt.Unix() < 0 {
		return errorf(op, ErrMalformed, "issued-at time is required")
	}
	if !p.ExpiresAt.IsZero() && !p.ExpiresAt.After(p.IssuedAt) {
		return errorf(op, ErrMalformed, "expiry is not after issued-at")
	}
	// draft §5.1: ttl MUST be a positive number (of seconds).
	if p.TTL < 0 || (p.TTL > 0 && p.TTL < time.Second) || p.TTL%time.Second != 0 || p.TTL/time.Second > maxTTLSeconds {
		return errorf(op, ErrMalformed, "ttl %v is not a positive whole number of seconds", p.TTL)
	}
	if p.AggregationURI != "" {
		if err := checkURI(p.AggregationURI); err != nil {
			return errorf(op, ErrMalformed, "aggregation_uri: %v", err)
		}
	}
	return nil
}

// checkURI requires an absolute URI (RFC 3986 §4.3) without a fragment.
func checkURI(s string) error {
	if s == "" {
		return errorf("uri", ErrMalformed, "empty")
	}
	if len(s) > maxURIBytes {
		return errorf("uri", ErrTooLarge, "%d bytes", len(s))
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Fragment != "" {
		return errorf("uri", ErrMalformed, "%q is not an absolute URI", s)
	}
	return nil
}

// maxURIBytes caps the length of "uri", "sub" and "aggregation_uri".
const maxURIBytes = 2048

// TokenFormat is the serialization of a Status List Token.
type TokenFormat uint8

// The serializations of a Status List Token (draft §5).
const (
	TokenJWT TokenFormat = iota + 1 // JWT (draft §5.1)
	TokenCWT                        // CWT, COSE_Sign1 (draft §5.2)
)

// String returns "jwt" or "cwt".
func (f TokenFormat) String() string {
	switch f {
	case TokenJWT:
		return "jwt"
	case TokenCWT:
		return "cwt"
	}
	return "unknown"
}

// Token is a verified Status List Token. Only [Verifier.VerifyJWT],
// [Verifier.VerifyCWT] and [Verifier.Verify] create one, after the signature,
// the type header and the time claims have been checked.
type Token struct {
	format   TokenFormat
	subject  string
	issuer   string
	keyID    string
	iat      time.Time
	exp      time.Time
	ttl      time.Duration
	aggURI   string
	list     *List
	rawBytes int
}

// Format returns the token's serialization.
func (t *Token) Format() TokenFormat { return t.format }

// Subject returns "sub", the token's URI.
func (t *Token) Subject() string { return t.subject }

// Issuer returns "iss", or "" if absent.
func (t *Token) Issuer() string { return t.issuer }

// KeyID returns the "kid" header, or "" if absent. It was not used to pick
// the key: the key came from the caller.
func (t *Token) KeyID() string { return t.keyID }

// IssuedAt returns "iat".
func (t *Token) IssuedAt() time.Time { return t.iat }

// ExpiresAt returns "exp"; ok is false if the token has none.
func (t *Token) ExpiresAt() (exp time.Time, ok bool) { return t.exp, !t.exp.IsZero() }

// TTL returns "ttl"; ok is false if the token has none.
func (t *Token) TTL() (ttl time.Duration, ok bool) { return t.ttl, t.ttl > 0 }

// AggregationURI returns the Status List's "aggregation_uri", or "".
func (t *Token) AggregationURI() string { return t.aggURI }

// Bits returns the list's bits per entry.
func (t *Token) Bits() int { return t.list.Bits() }

// Len returns the number of entries in the list.
func (t *Token) Len() int { return t.list.Len() }

// Status returns the status at idx ([ErrIndexOutOfRange] beyond the end).
func (t *Token) Status(idx uint64) (Status, error) { return t.list.Get(idx) }

// List returns a copy of the decompressed list.
func (t *Token) List() *List { return newList(t.list.Bits(), t.list.Bytes()) }

// Verifier verifies Status List Tokens with one key. The zero value is not
// usable: Key is required, and the algorithm is the key's, never the one the
// token names (RFC 8725 §3.1).
type Verifier struct {
	// Key is the Status Issuer's public key: *ecdsa.PublicKey on P-256,
	// P-384 or P-521 (ES256, ES384, ES512), or ed25519.PublicKey (EdDSA).
	Key crypto.PublicKey
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Skew is the clock skew allowed when checking exp, nbf and iat; at
	// most [MaxSkew].
	Skew time.Duration
	// MaxTokenBytes caps the serialized token; zero means
	// [DefaultMaxTokenBytes].
	MaxTokenBytes int
	// MaxListBytes caps the decompressed list; zero means
	// [DefaultMaxListBytes].
	MaxListBytes int
}

func (v *Verifier) setup(op string) (now time.Time, alg keys.Algorithm, maxTok int, err error) {
	if v == nil {
		return time.Time{}, "", 0, errorf(op, ErrAlgorithm, "nil verifier")
	}
	if alg, err = keyAlgorithm(op, v.Key); err != nil {
		return time.Time{}, "", 0, err
	}
	if v.Skew < 0 || v.Skew > MaxSkew {
		return time.Time{}, "", 0, errorf(op, ErrMalformed, "skew %v outside [0, %v]", v.Skew, MaxSkew)
	}
	now = time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	maxTok = v.MaxTokenBytes
	if maxTok <= 0 {
		maxTok = DefaultMaxTokenBytes
	}
	return now, alg, maxTok, nil
}

// Verify verifies a Status List Token in either form: a COSE_Sign1_Tagged
// CWT (first byte 0xd2) or a compact JWT. The format only selects the parser;
// the algorithm still comes from v.Key.
func (v *Verifier) Verify(token []byte) (*Token, error) {
	if len(token) > 0 && token[0] == 0xd2 {
		return v.VerifyCWT(token)
	}
	return v.VerifyJWT(token)
}

// claimSet holds the decoded claims common to both forms.
type claimSet struct {
	sub, iss, aggURI string
	iat, exp, nbf    int64 // seconds since the epoch; exp and nbf 0 = absent
	hasExp, hasNbf   bool
	ttl              int64 // seconds; 0 = absent
	bits             int
	lst              []byte
}

// finish checks the time claims (RFC 7519 §4.1.4, §4.1.5; RFC 8392 §3.1.4,
// §3.1.5) and decodes the list. It runs only after the signature verified,
// so a forger never learns that a token is "merely expired".
func (v *Verifier) finish(op string, format TokenFormat, kid string, c *claimSet, now time.Time, rawLen int) (*Token, error) {
	skew := int64(v.Skew / time.Second)
	nowS := now.Unix()
	// draft §8.3 step 4c: if exp is present, the token MUST NOT be expired.
	if c.hasExp && nowS >= c.exp+skew {
		return nil, errorf(op, ErrExpired, "exp %s", time.Unix(c.exp, 0).UTC().Format(time.RFC3339))
	}
	if c.hasNbf && nowS+skew < c.nbf {
		return nil, errorf(op, ErrNotYetValid, "nbf %s", time.Unix(c.nbf, 0).UTC().Format(time.RFC3339))
	}
	if nowS+skew < c.iat {
		return nil, errorf(op, ErrNotYetValid, "iat %s is in the future", time.Unix(c.iat, 0).UTC().Format(time.RFC3339))
	}
	if c.hasExp && c.exp <= c.iat {
		return nil, errorf(op, ErrMalformed, "exp is not after iat")
	}
	list, err := Decode(c.bits, c.lst, v.MaxListBytes)
	if err != nil {
		return nil, err
	}
	t := &Token{
		format: format, subject: c.sub, issuer: c.iss, keyID: kid,
		iat: time.Unix(c.iat, 0).UTC(), ttl: time.Duration(c.ttl) * time.Second,
		aggURI: c.aggURI, list: list, rawBytes: rawLen,
	}
	if c.hasExp {
		t.exp = time.Unix(c.exp, 0).UTC()
	}
	return t, nil
}

// validSeconds bounds NumericDate and ttl values so that conversions to
// time.Time and time.Duration never overflow.
func validSeconds(f float64) bool {
	return !math.IsNaN(f) && f >= 0 && f < 1<<40
}
