package sdjwt

import (
	"crypto"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"hash"
	"math"
	"slices"
	"time"
	"unsafe"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/internal/jose"

	"github.com/ikdkit/ikdkit/keys"
)

// MaxClockSkew bounds [VerifyOptions.ClockSkew].
const MaxClockSkew = 10 * time.Minute

// DefaultKeyBindingMaxAge is the KB-JWT age accepted when
// [VerifyOptions.KeyBindingMaxAge] is zero.
const DefaultKeyBindingMaxAge = 5 * time.Minute

// maxX5C caps the x5c chain length read from a header.
const maxX5C = 8

// IssuerKeyInfo is what the issuer-signed JWT says about its key. None of it
// is verified when a [KeyResolver] sees it: the resolver decides whether the
// key belongs to a trusted issuer (RFC 9901 §7.1 step 2.3), for example by
// validating the x5c chain against its trust anchors or looking kid up in a
// trust list.
type IssuerKeyInfo struct {
	Algorithm keys.Algorithm      // header alg, already checked against the allow-list
	KeyID     string              // header kid ("" if absent); may be a DID URL
	X5C       []*x509.Certificate // header x5c, leaf first (nil if absent)
	Issuer    string              // payload iss ("" if absent or not a string)
	VCT       string              // payload vct ("" if absent or not a string): the SD-JWT VC type, for authorisation
	Type      string              // header typ
}

// KeyResolver finds the issuer's public key for an issuer-signed JWT.
type KeyResolver interface {
	ResolveIssuerKey(info IssuerKeyInfo) (crypto.PublicKey, error)
}

// KeyResolverFunc adapts a function to [KeyResolver].
type KeyResolverFunc func(info IssuerKeyInfo) (crypto.PublicKey, error)

// ResolveIssuerKey calls f.
func (f KeyResolverFunc) ResolveIssuerKey(info IssuerKeyInfo) (crypto.PublicKey, error) {
	return f(info)
}

// VerifyOptions configure [Verify]. The zero value is not usable: a key or
// resolver, and for key binding the expected audience and nonce, must be set.
type VerifyOptions struct {
	// IssuerKey verifies the issuer-signed JWT. Set it or KeyResolver.
	IssuerKey crypto.PublicKey
	// KeyResolver finds the issuer key from the header; used when IssuerKey is nil.
	KeyResolver KeyResolver
	// Algorithms is the allow-list for the issuer JWT and the KB-JWT; empty
	// means every algorithm of package keys. "none" and HMAC are never
	// accepted.
	Algorithms []keys.Algorithm
	// Types lists accepted typ header values of the issuer JWT; empty
	// accepts any (RFC 9901 leaves typ to the application).
	Types []string

	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// ClockSkew is the tolerance for exp, nbf and iat; at most [MaxClockSkew].
	ClockSkew time.Duration
	// AllowMissingExpiration accepts an issuer JWT without exp. By default
	// exp is required.
	AllowMissingExpiration bool
	// AllowNoKeyBinding accepts a presentation without a KB-JWT. By default
	// key binding is required (RFC 9901 §7.3 step 2, §9.5). A KB-JWT that is
	// present is always verified.
	AllowNoKeyBinding bool
	// Audience is the expected KB-JWT aud (this verifier). Required when a
	// KB-JWT is verified.
	Audience string
	// Nonce is the expected KB-JWT nonce. Required when a KB-JWT is
	// verified, unless IgnoreNonce is set.
	Nonce string
	// IgnoreNonce skips comparing the nonce, for one-way flows where
	// freshness rests on iat and aud. The KB-JWT must still carry a nonce.
	IgnoreNonce bool
	// KeyBindingMaxAge is how old a KB-JWT's iat may be; zero means
	// [DefaultKeyBindingMaxAge].
	KeyBindingMaxAge time.Duration
	// Workspace, if set, lends the buffers the presentation is read in
	// (the disclosures, their digests and the digest index) and gets them
	// back for the next call: see [Workspace]. The result shares no memory
	// with it.
	Workspace *Workspace
}

// Verified is a verified SD-JWT: its claims have been checked as RFC 9901
// §7 requires, with the undisclosed ones, _sd, _sd_alg and decoys removed.
type Verified struct {
	header    map[string]any
	claims    map[string]any
	disclosed []Path
	holderKey crypto.PublicKey
	kb        *KeyBinding // &kbClaims, or nil without a KB-JWT
	kbClaims  KeyBinding
}

// KeyBinding holds the verified claims of a KB-JWT.
type KeyBinding struct {
	IssuedAt time.Time
	Audience string
	Nonce    string
	Claims   map[string]any // every KB-JWT claim
}

// Claims returns the processed claims. The map is the caller's to keep;
// Verified does not look at it again.
func (v *Verified) Claims() map[string]any { return v.claims }

// Header returns the issuer JWT's protected header.
func (v *Verified) Header() map[string]any { return v.header }

// Get returns the claim at path p (array indices refer to the processed,
// disclosed-only arrays; nil is not allowed here).
func (v *Verified) Get(p Path) (any, bool) { return lookup(v.claims, p) }

// StringClaim returns the top-level claim name if it is a string, or "".
func (v *Verified) StringClaim(name string) string {
	s, _ := v.claims[name].(string)
	return s
}

// Issuer returns the iss claim.
func (v *Verified) Issuer() string { return v.StringClaim("iss") }

// Disclosed lists the paths of the claims revealed by disclosures, with
// array indices as issued.
func (v *Verified) Disclosed() []Path { return slices.Clone(v.disclosed) }

// HolderKey returns the key from cnf.jwk, or nil if there is none.
func (v *Verified) HolderKey() crypto.PublicKey { return v.holderKey }

// KeyBinding returns the verified KB-JWT claims, or nil if the presentation
// had no KB-JWT.
func (v *Verified) KeyBinding() *KeyBinding { return v.kb }

// Time returns a NumericDate claim (iat, exp, nbf, ...) at the top level.
func (v *Verified) Time(name string) (time.Time, bool) { return numericDate(v.claims[name]) }

func numericDate(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

// Verify verifies an SD-JWT+KB (or, with AllowNoKeyBinding, an SD-JWT) as
// RFC 9901 §7.1 and §7.3 require: the issuer signature under an allowed
// algorithm, the typ, every disclosure referenced exactly once, the
// issuer JWT's validity period, and key binding (holder signature with the
// cnf key, typ, aud, sd_hash; then iat freshness and nonce).
//
// Failures are reported as a *[check.Error] naming the [check.Check]; claim
// checks are only reported once the issuer signature is known to be valid.
func Verify(presentation string, opts VerifyOptions) (*Verified, error) {
	v, err := verify(presentation, &opts)
	if err != nil {
		return nil, err
	}
	return v, nil
}

func verify(s string, o *VerifyOptions) (*Verified, *check.Error) {
	if o.ClockSkew < 0 || o.ClockSkew > MaxClockSkew {
		return nil, newErr(check.Input, ErrOptions, "ClockSkew must be between 0 and %v", MaxClockSkew)
	}
	if o.IssuerKey == nil && o.KeyResolver == nil {
		return nil, newErr(check.Input, ErrOptions, "neither IssuerKey nor KeyResolver is set")
	}
	var rb *readBuffers // fresh buffers unless a free Workspace lends its own
	if ws := o.Workspace; ws != nil && ws.busy.CompareAndSwap(false, true) {
		rb = &ws.read
		defer func() {
			rb.reset()
			ws.busy.Store(false)
		}()
	}
	p, err := split(s, rb)
	if err != nil {
		return nil, err
	}
	jws := &p.jws
	if err := checkAlg(jws.Alg, o.Algorithms); err != nil {
		return nil, err
	}
	// RFC 7515 §4.1.9: typ, when present, is a string.
	typ, ok := jws.Header["typ"].(string)
	if _, present := jws.Header["typ"]; present && !ok {
		return nil, newErr(check.Format, ErrType, "typ header is not a string")
	}

	// RFC 9901 §7.1 step 2: the issuer key and signature.
	key := o.IssuerKey
	if key == nil {
		info, err := keyInfo(jws, typ)
		if err != nil {
			return nil, err
		}
		k, rerr := o.KeyResolver.ResolveIssuerKey(info)
		if rerr != nil || k == nil {
			return nil, &check.Error{Check: check.Trust, Credential: -1, Err: ErrUnknownKey, Detail: errText(rerr)}
		}
		key = k
	}
	// RFC 9901 §4.3.1: sd_hash covers the SD-JWT, whose first bytes are the
	// issuer JWT's signing input. When the signature's hash is _sd_alg's,
	// that input is hashed once for both: Sum leaves the state as it was,
	// and verifyKeyBinding goes on from there.
	var prefix hash.Hash
	if p.kb != "" && jose.HashOf(jws.Alg) == p.hash {
		prefix = p.hash.New()
		prefix.Write(unsafe.Slice(unsafe.StringData(jws.SigningInput), len(jws.SigningInput)))
	}
	if err := verifyJWS(jws, key, check.Signature, "issuer", prefix); err != nil {
		return nil, err
	}

	// RFC 9901 §9.11 / RFC 8725 §3.11: explicit typing.
	if len(o.Types) > 0 && !slices.Contains(o.Types, typ) {
		return nil, newErr(check.Format, ErrType, "typ %q, want one of %v", typ, o.Types)
	}

	// RFC 9901 §7.1 step 3-4: process the disclosures.
	pr, err := process(jws.payload, p.disclosures, rb, &p.boxes, true)
	if err != nil {
		return nil, err
	}

	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	t := now()
	if err := checkValidity(pr.claims, t, o); err != nil {
		return nil, err
	}

	v := &Verified{header: jws.Header, claims: pr.claims}
	v.disclosed = make([]Path, len(p.disclosures))
	for i, d := range p.disclosures {
		v.disclosed[i] = d.path
	}
	// RFC 7800 §3.1: cnf is a JSON object; its jwk member (§3.2) a public
	// JWK. Both are checked whenever present, also when no KB-JWT is
	// required, so a malformed credential never passes.
	if raw, present := pr.claims["cnf"]; present {
		cnf, ok := raw.(map[string]any)
		if !ok {
			return nil, newErr(check.HolderBinding, ErrHolderKey, "cnf is not a JSON object")
		}
		if rawJWK, present := cnf["jwk"]; present {
			jwk, ok := rawJWK.(map[string]any)
			if !ok {
				return nil, newErr(check.HolderBinding, ErrHolderKey, "cnf.jwk is not a JSON object")
			}
			hk, herr := parsePublicJWK(jwk)
			if herr != nil {
				return nil, newErr(check.HolderBinding, ErrHolderKey, "cnf.jwk: %v", herr)
			}
			v.holderKey = hk
		}
	}

	if p.kb == "" {
		if !o.AllowNoKeyBinding {
			return nil, newErr(check.HolderBinding, ErrKeyBindingMissing, "")
		}
		return v, nil
	}
	if err := verifyKeyBinding(&v.kbClaims, p, prefix, v.holderKey, t, o); err != nil {
		return nil, err
	}
	v.kb = &v.kbClaims
	return v, nil
}

func errText(err error) string {
	if err == nil {
		return "resolver returned no key"
	}
	return err.Error()
}

func keyInfo(jws *compactJWS, typ string) (IssuerKeyInfo, *check.Error) {
	info := IssuerKeyInfo{Algorithm: jws.Alg, Type: typ}
	if k, present := jws.Header["kid"]; present {
		kid, ok := k.(string)
		if !ok {
			// RFC 7515 §4.1.4: kid is a string.
			return info, newErr(check.Format, ErrMalformed, "kid is not a string")
		}
		info.KeyID = kid
	}
	info.Issuer, _ = jws.payload["iss"].(string)
	info.VCT, _ = jws.payload["vct"].(string)
	if x, ok := jws.Header["x5c"]; ok {
		arr, ok := x.([]any)
		if !ok || len(arr) == 0 || len(arr) > maxX5C {
			return info, newErr(check.Format, ErrMalformed, "x5c must be an array of 1 to %d certificates", maxX5C)
		}
		for _, e := range arr {
			s, ok := e.(string)
			if !ok {
				return info, newErr(check.Format, ErrMalformed, "x5c entry is not a string")
			}
			der, err := base64.StdEncoding.Strict().DecodeString(s)
			if err != nil {
				return info, newErr(check.Format, ErrMalformed, "x5c entry: %v", err)
			}
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return info, newErr(check.Format, ErrMalformed, "x5c certificate: %v", err)
			}
			info.X5C = append(info.X5C, c)
		}
	}
	return info, nil
}

// checkValidity applies exp, nbf and iat of the issuer JWT (RFC 7519 §4.1.4,
// §4.1.5, §4.1.6; RFC 9901 §7.1 step 5).
func checkValidity(c map[string]any, now time.Time, o *VerifyOptions) *check.Error {
	skew := o.ClockSkew
	if v, ok := c["exp"]; ok {
		exp, ok := numericDate(v)
		if !ok {
			return newErr(check.Validity, ErrMalformed, "exp is not a NumericDate")
		}
		if !now.Before(exp.Add(skew)) {
			return newErr(check.Validity, ErrExpired, "exp %v, now %v", exp, now.UTC())
		}
	} else if !o.AllowMissingExpiration {
		return newErr(check.Validity, ErrMissingClaim, "exp is required")
	}
	if v, ok := c["nbf"]; ok {
		nbf, ok := numericDate(v)
		if !ok {
			return newErr(check.Validity, ErrMalformed, "nbf is not a NumericDate")
		}
		if now.Add(skew).Before(nbf) {
			return newErr(check.Validity, ErrNotYetValid, "nbf %v, now %v", nbf, now.UTC())
		}
	}
	if v, ok := c["iat"]; ok {
		iat, ok := numericDate(v)
		if !ok {
			return newErr(check.Validity, ErrMalformed, "iat is not a NumericDate")
		}
		if now.Add(skew).Before(iat) {
			return newErr(check.Validity, ErrNotYetValid, "iat %v is in the future, now %v", iat, now.UTC())
		}
	}
	return nil
}

// verifyKeyBinding implements RFC 9901 §7.3 step 5 (Key Binding JWT),
// writing the verified claims to dst. prefix, if not nil, is _sd_alg's
// hash having consumed the issuer JWT's signing input, the start of what
// sd_hash covers.
func verifyKeyBinding(dst *KeyBinding, p *parts, prefix hash.Hash, holder crypto.PublicKey, now time.Time, o *VerifyOptions) *check.Error {
	if o.Audience == "" || (o.Nonce == "" && !o.IgnoreNonce) {
		return newErr(check.Input, ErrOptions, "verifying a KB-JWT needs Audience and Nonce (or IgnoreNonce)")
	}
	if holder == nil {
		// §7.3 step 5.1: the key comes from the SD-JWT's cnf claim.
		return newErr(check.HolderBinding, ErrHolderKey, "SD-JWT has no cnf.jwk")
	}
	var kb compactJWS
	if err := kb.parse(p.kb, "KB-JWT", &p.boxes); err != nil {
		err.Check = check.HolderBinding
		return err
	}
	if err := checkAlg(kb.Alg, o.Algorithms); err != nil {
		err.Check = check.HolderBinding
		return err
	}
	if err := verifyJWS(&kb, holder, check.HolderBinding, "holder", nil); err != nil {
		return err
	}
	// §7.3 step 5.2 / §4.3: typ MUST be kb+jwt.
	if typ, _ := kb.Header["typ"].(string); typ != TypeKeyBinding {
		return newErr(check.HolderBinding, ErrType, "KB-JWT typ %q, want %q", typ, TypeKeyBinding)
	}
	c := kb.payload
	// Binding first (check.HolderBinding), then freshness (check.Freshness),
	// the order package verifier reports them in.
	// §7.3 step 5.5: aud as expected.
	aud, ok := c["aud"].(string)
	if !ok {
		return newErr(check.HolderBinding, ErrMissingClaim, "KB-JWT aud missing or not a string")
	}
	if aud != o.Audience {
		return newErr(check.HolderBinding, ErrAudience, "aud %.200q", aud)
	}
	// §7.3 step 5.6 / §4.3.1: sd_hash over the presentation up to the last '~'.
	sdHash, ok := c["sd_hash"].(string)
	if !ok {
		return newErr(check.HolderBinding, ErrMissingClaim, "KB-JWT sd_hash missing")
	}
	var want [b64DigestMax]byte
	if sdHash != string(sdHashOf(want[:], p, prefix)) {
		return newErr(check.HolderBinding, ErrSDHash, "")
	}
	// §7.3 step 5.4: iat within an acceptable window.
	iat, ok := numericDate(c["iat"])
	if !ok {
		return newErr(check.HolderBinding, ErrMissingClaim, "KB-JWT iat missing or not a NumericDate")
	}
	maxAge := o.KeyBindingMaxAge
	if maxAge <= 0 {
		maxAge = DefaultKeyBindingMaxAge
	}
	if iat.After(now.Add(o.ClockSkew)) {
		return newErr(check.Freshness, ErrFreshness, "iat %v is in the future, now %v", iat.UTC(), now.UTC())
	}
	if iat.Before(now.Add(-maxAge - o.ClockSkew)) {
		return newErr(check.Freshness, ErrFreshness, "iat %v is older than %v, now %v", iat.UTC(), maxAge, now.UTC())
	}
	// §7.3 step 5.5: nonce as expected.
	nonce, ok := c["nonce"].(string)
	if !ok {
		return newErr(check.HolderBinding, ErrMissingClaim, "KB-JWT nonce missing")
	}
	if !o.IgnoreNonce && nonce != o.Nonce {
		return newErr(check.Freshness, ErrNonce, "")
	}
	*dst = KeyBinding{IssuedAt: iat, Audience: aud, Nonce: nonce, Claims: c}
	return nil
}

// sdHashOf writes the base64url sd_hash of p's SD-JWT (everything up to
// and including its last '~', RFC 9901 §4.3.1) into dst, going on from
// prefix when there is one.
func sdHashOf(dst []byte, p *parts, prefix hash.Hash) []byte {
	if prefix == nil {
		return b64DigestTo(dst, p.hash, p.raw[:p.sdEnd])
	}
	rest := p.raw[len(p.jws.SigningInput):p.sdEnd]
	prefix.Write(unsafe.Slice(unsafe.StringData(rest), len(rest)))
	var sum [sha512.Size]byte
	d := prefix.Sum(sum[:0])
	n := base64.RawURLEncoding.EncodedLen(len(d))
	base64.RawURLEncoding.Encode(dst[:n], d)
	return dst[:n]
}
