package oid4vci

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/keys"
)

// KeyAttestationType is the typ header of a key attestation JWT
// (Appendix D.1).
const KeyAttestationType = "key-attestation+jwt"

// Caps on key attestations.
const (
	// MaxKeyAttestationSize caps a key attestation JWT (Appendix D.1),
	// in a proof's header or as an attestation proof: room for a chain
	// of a few certificates.
	MaxKeyAttestationSize = 16 << 10
	// MaxAttestedKeys caps attested_keys.
	MaxAttestedKeys = MaxProofs
	// MaxAttestationChain caps the certificates of the x5c header.
	MaxAttestationChain = 4
	// maxKeyAttestationDepth caps JSON nesting; attested_keys[].x5c is at
	// depth 3, status.status_list at 2.
	maxKeyAttestationDepth = 5
)

// ErrKeyAttestation is wrapped by the errors of [VerifyKeyAttestation]: the
// key attestation is malformed, not signed by a certificate chaining to the
// caller's roots, expired, or does not say what is required of it.
var ErrKeyAttestation = errors.New("oid4vci: invalid key attestation")

// KeyAttestation is a verified key attestation (Appendix D): a wallet
// provider's signed statement that the attested keys live in a key
// storage component of the stated attack potential resistance. Only
// [VerifyKeyAttestation] makes one.
//
// # Where the trust comes from
//
// ikdkit verifies the OpenID4VCI key attestation JWT (typ
// key-attestation+jwt) that a wallet provider issues after it has checked
// the platform's own attestation of the key. It does not verify platform
// attestations itself, because they attest differently:
//
//   - Android Key Attestation is an X.509 chain from the key up to
//     Google's hardware attestation roots, whose leaf carries the
//     KeyDescription extension (OID 1.3.6.1.4.1.11129.2.1.17: security
//     level TEE or StrongBox, user authentication requirements, the
//     app's identity, verified boot state), and which must be checked
//     against Google's revocation list;
//   - Apple App Attest attests an app's key (a CBOR attestation object
//     chaining to Apple's App Attestation root) to prove the app's
//     integrity; Secure Enclave keys are not attested one by one.
//
// The wallet provider's backend checks that evidence, then signs a key
// attestation listing the device keys with the key_storage and
// user_authentication levels it vouches for (for example
// iso_18045_moderate for a TEE, iso_18045_high for StrongBox or a
// certified secure element). The issuer trusts the wallet provider, not
// Google or Apple directly: its attestation roots
// ([KeyAttestationOptions].Roots, [ProofOptions].AttestationRoots) are the
// wallet provider's CA certificates, configured per wallet provider it
// accepts. Tests and the demo use a synthetic attestation CA in that
// place.
type KeyAttestation struct {
	keys               []crypto.PublicKey
	thumbprints        []string
	keyStorage         []string
	userAuthentication []string
	issuedAt           time.Time
	expiresAt          time.Time
	issuer             string
	nonce              string
	certification      string
	status             json.RawMessage
	chain              []*x509.Certificate
}

// Keys returns the attested public keys (attested_keys).
func (a *KeyAttestation) Keys() []crypto.PublicKey { return slices.Clone(a.keys) }

// Thumbprints returns the RFC 7638 thumbprints of [KeyAttestation.Keys],
// in the same order.
func (a *KeyAttestation) Thumbprints() []string { return slices.Clone(a.thumbprints) }

// Attests reports whether the key with RFC 7638 thumbprint jkt is one of
// the attested keys.
func (a *KeyAttestation) Attests(jkt string) bool { return slices.Contains(a.thumbprints, jkt) }

// KeyStorage returns the key_storage levels (Appendix D.2), nil if absent.
func (a *KeyAttestation) KeyStorage() []string { return slices.Clone(a.keyStorage) }

// UserAuthentication returns the user_authentication levels (Appendix
// D.2), nil if absent.
func (a *KeyAttestation) UserAuthentication() []string { return slices.Clone(a.userAuthentication) }

// IssuedAt returns iat.
func (a *KeyAttestation) IssuedAt() time.Time { return a.issuedAt }

// ExpiresAt returns exp, the zero time if absent.
func (a *KeyAttestation) ExpiresAt() time.Time { return a.expiresAt }

// Issuer returns iss, "" if absent.
func (a *KeyAttestation) Issuer() string { return a.issuer }

// Nonce returns the nonce claim, "" if absent.
func (a *KeyAttestation) Nonce() string { return a.nonce }

// Certification returns the certification URL, "" if absent.
func (a *KeyAttestation) Certification() string { return a.certification }

// Status returns the status claim as JSON text (for example a Token Status
// List reference), nil if absent. ikdkit does not check it: fetch and
// check the referenced status list where revocation of the key storage
// matters.
func (a *KeyAttestation) Status() json.RawMessage { return slices.Clone(a.status) }

// Chain returns the verified certificate chain, from the signing
// certificate to the trusted root.
func (a *KeyAttestation) Chain() []*x509.Certificate { return slices.Clone(a.chain) }

// Meets checks the attestation against a key_attestations_required
// requirement (§12.2.4): it must assert at least one of the accepted
// key_storage values and at least one of the accepted user_authentication
// values, when the requirement lists any. A nil requirement is met.
func (a *KeyAttestation) Meets(req *KeyAttestationRequirement) error {
	if req == nil {
		return nil
	}
	if len(req.KeyStorage) > 0 && !slices.ContainsFunc(a.keyStorage, func(s string) bool { return slices.Contains(req.KeyStorage, s) }) {
		return fmt.Errorf("%w: key_storage %q meets none of %q", ErrKeyAttestation, a.keyStorage, req.KeyStorage)
	}
	if len(req.UserAuthentication) > 0 && !slices.ContainsFunc(a.userAuthentication, func(s string) bool { return slices.Contains(req.UserAuthentication, s) }) {
		return fmt.Errorf("%w: user_authentication %q meets none of %q", ErrKeyAttestation, a.userAuthentication, req.UserAuthentication)
	}
	return nil
}

// KeyAttestationOptions configure [VerifyKeyAttestation]. Roots and Now
// are required.
type KeyAttestationOptions struct {
	// Roots are the trusted wallet-provider attestation CAs (see
	// [KeyAttestation] for why these are not Google's or Apple's roots).
	Roots *x509.CertPool
	// Now is the verification time, for the certificates and the claims.
	Now time.Time
	// ClockSkew tolerates an iat in the future and an exp just passed.
	ClockSkew time.Duration
	// MaxAge, when positive, is how old iat may be.
	MaxAge time.Duration
	// RequireExpiry refuses an attestation without exp; Appendix D.1
	// requires exp when the attestation comes with a jwt proof.
	RequireExpiry bool
	// Nonce, when set, is the c_nonce the attestation's nonce claim must
	// equal (Appendix D.1; Appendix F.3 requires it for the attestation
	// proof type when the issuer has a Nonce Endpoint).
	Nonce string
	// Algorithms are the JWS algorithms accepted (the issuer's
	// proof_signing_alg_values_supported, Appendix F.1, F.3); nil means
	// all of [keys.Algorithms].
	Algorithms []keys.Algorithm
}

// VerifyKeyAttestation checks a key attestation JWT (Appendix D.1): within
// [MaxKeyAttestationSize]; typ key-attestation+jwt; alg allowed (never
// none or a MAC) and the algorithm of the signing certificate's key; an
// x5c header of 1 to [MaxAttestationChain] certificates (RFC 7515 §4.1.6:
// base64 DER, signing certificate first) whose first one signed the JWT
// and chains to opts.Roots at opts.Now; then, only for an authentic
// attestation, iat (not in the future), exp (not passed, after iat,
// required if RequireExpiry), a non-empty attested_keys of distinct public
// JWKs (no private members), key_storage and user_authentication as
// non-empty string arrays, and the nonce when one is expected. Key
// attestations conveyed by kid or trust_chain are not supported.
func VerifyKeyAttestation(token string, opts KeyAttestationOptions) (*KeyAttestation, error) {
	fail := func(format string, args ...any) (*KeyAttestation, error) {
		return nil, fmt.Errorf("%w: %s", ErrKeyAttestation, fmt.Sprintf(format, args...))
	}
	if opts.Roots == nil || opts.Now.IsZero() || opts.ClockSkew < 0 || opts.MaxAge < 0 {
		return fail("KeyAttestationOptions need Roots and Now")
	}
	allowed := opts.Algorithms
	if allowed == nil {
		allowed = keys.Algorithms()
	}
	if len(token) > MaxKeyAttestationSize {
		return fail("%d bytes, over the %d-byte cap", len(token), MaxKeyAttestationSize)
	}
	jws, err := jose.Parse(token, maxKeyAttestationDepth)
	if err != nil {
		return fail("%v", err)
	}
	// Appendix D.1: typ MUST be key-attestation+jwt.
	if err := jws.CheckType(KeyAttestationType); err != nil {
		return fail("%v", err)
	}
	// Appendix D.1: alg MUST NOT be none or a MAC; and it must be one the
	// issuer accepts (Appendix F.1).
	if err := jose.CheckAlgorithm(jws.Alg, allowed); err != nil {
		return fail("%v", err)
	}
	chain, err := x5c(jws.Header)
	if err != nil {
		return fail("%v", err)
	}
	leaf := chain[0]
	// The algorithm comes from the key (RFC 8725 §3.1).
	alg, err := keys.AlgorithmFor(leaf.PublicKey)
	if err != nil || alg != jws.Alg {
		return fail("alg %.16q is not the algorithm of the signing certificate's key", jws.Alg)
	}
	if err := jws.Verify(leaf.PublicKey, []keys.Algorithm{alg}); err != nil {
		return fail("%v", err)
	}
	// The signing certificate must be allowed to sign.
	if leaf.KeyUsage != 0 && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return fail("the signing certificate lacks the digitalSignature key usage")
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	verified, err := leaf.Verify(x509.VerifyOptions{Roots: opts.Roots, Intermediates: inter, CurrentTime: opts.Now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		return nil, fmt.Errorf("%w: certificate chain: %w", ErrKeyAttestation, err)
	}

	// Claims, only after signature and chain are known good.
	m, err := strictjson.UnmarshalObject(jws.Payload, maxKeyAttestationDepth)
	if err != nil {
		return fail("payload: %v", err)
	}
	f := newFields(m, "")
	a := &KeyAttestation{
		issuer:             f.Str("iss", false),
		nonce:              f.Str("nonce", false),
		certification:      f.Str("certification", false),
		keyStorage:         f.Strs("key_storage", false, false, maxArray),
		userAuthentication: f.Strs("user_authentication", false, false, maxArray),
		chain:              verified[0],
	}
	// Appendix D.1: iat REQUIRED, exp OPTIONAL (numbers).
	iat := f.Int("iat", true, 0, 1<<40)
	a.issuedAt = time.Unix(iat, 0)
	if f.Has("exp") {
		a.expiresAt = time.Unix(f.Int("exp", true, 0, 1<<40), 0)
	}
	if _, ok := f.Object("status", false); ok {
		a.status = f.Raw("status", false)
	}
	// Appendix D.1: attested_keys REQUIRED, a non-empty array of JWKs.
	for i, v := range f.Array("attested_keys", true, MaxAttestedKeys) {
		k, ok := f.Elem("attested_keys", i, v)
		if !ok {
			break
		}
		b, _ := marshal(k.Map())
		pub, err := keys.ParsePublicJWK(b) // refuses private members
		if err != nil {
			k.Failf("", "%v", err)
			break
		}
		tp, err := keys.Thumbprint(pub)
		if err != nil {
			k.Failf("", "%v", err)
			break
		}
		if slices.Contains(a.thumbprints, tp) {
			k.Failf("", "key attested twice")
			break
		}
		a.keys = append(a.keys, pub)
		a.thumbprints = append(a.thumbprints, tp)
	}
	if err := f.Err(); err != nil {
		return fail("%v", err)
	}
	switch {
	case a.issuedAt.After(opts.Now.Add(opts.ClockSkew)):
		return fail("iat %v is in the future", a.issuedAt.UTC())
	case opts.MaxAge > 0 && a.issuedAt.Before(opts.Now.Add(-opts.MaxAge-opts.ClockSkew)):
		return fail("iat %v is older than %v", a.issuedAt.UTC(), opts.MaxAge)
	case a.expiresAt.IsZero() && opts.RequireExpiry:
		// Appendix D.1: exp MUST be present with the jwt proof type.
		return fail("exp missing")
	case !a.expiresAt.IsZero() && !a.expiresAt.After(a.issuedAt):
		return fail("exp is not after iat")
	case !a.expiresAt.IsZero() && !a.expiresAt.After(opts.Now.Add(-opts.ClockSkew)):
		return fail("expired at %v", a.expiresAt.UTC())
	case opts.Nonce != "" && a.nonce != opts.Nonce:
		return fail("nonce is not the expected c_nonce")
	}
	return a, nil
}

// x5c reads the x5c header (RFC 7515 §4.1.6): 1 to MaxAttestationChain
// certificates, each standard base64 (not base64url) DER.
func x5c(h map[string]any) ([]*x509.Certificate, error) {
	for _, name := range []string{"kid", "trust_chain"} {
		if _, ok := h[name]; ok {
			return nil, fmt.Errorf("%s header not supported; the attestation must carry x5c", name)
		}
	}
	arr, ok := h["x5c"].([]any)
	if !ok || len(arr) == 0 || len(arr) > MaxAttestationChain {
		return nil, fmt.Errorf("x5c header missing, not an array, or not 1 to %d certificates", MaxAttestationChain)
	}
	chain := make([]*x509.Certificate, len(arr))
	for i, v := range arr {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("x5c[%d] is not a string", i)
		}
		der, err := base64.StdEncoding.Strict().DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("x5c[%d]: not base64: %v", i, err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("x5c[%d]: %v", i, err)
		}
		chain[i] = c
	}
	return chain, nil
}

// KeyAttestationClaims are the claims [SignKeyAttestation] signs (Appendix
// D.1).
type KeyAttestationClaims struct {
	// Issuer is iss, the wallet provider. OPTIONAL.
	Issuer string
	// IssuedAt is iat. REQUIRED.
	IssuedAt time.Time
	// ExpiresAt is exp; the zero time leaves it out. Required when the
	// attestation goes with a jwt proof (Appendix D.1).
	ExpiresAt time.Time
	// AttestedKeys are the attested public keys. REQUIRED, non-empty,
	// distinct.
	AttestedKeys []crypto.PublicKey
	// KeyStorage are the key_storage levels (Appendix D.2). OPTIONAL.
	KeyStorage []string
	// UserAuthentication are the user_authentication levels (Appendix
	// D.2). OPTIONAL.
	UserAuthentication []string
	// Certification is a URL of the key storage's certification.
	// OPTIONAL.
	Certification string
	// Nonce is the issuer's c_nonce. OPTIONAL; required by an issuer with
	// a Nonce Endpoint (Appendix F.1, F.3).
	Nonce string
	// Status is a status mechanism as a JSON object (for example a Token
	// Status List reference). OPTIONAL.
	Status json.RawMessage
}

// SignKeyAttestation makes a key attestation JWT (Appendix D.1), as a
// wallet provider does after checking the platform's evidence for the
// keys: header {alg of signer's key, typ key-attestation+jwt, x5c of
// chain}, payload from c. chain[0] must be the certificate of signer's
// public key; the rest lead towards the root the issuer trusts (the root
// itself may be left out). signer may be any crypto.Signer (an HSM); rand
// nil means crypto/rand.
func SignKeyAttestation(rand io.Reader, signer crypto.Signer, chain []*x509.Certificate, c KeyAttestationClaims) (string, error) {
	fail := func(format string, args ...any) (string, error) {
		return "", fmt.Errorf("%w: %s", ErrKeyAttestation, fmt.Sprintf(format, args...))
	}
	if signer == nil || len(chain) == 0 || len(chain) > MaxAttestationChain || chain[0] == nil {
		return fail("a signer and 1 to %d certificates are required", MaxAttestationChain)
	}
	if k, ok := chain[0].PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(signer.Public()) {
		return fail("chain[0] is not the certificate of the signer's key")
	}
	if c.IssuedAt.IsZero() || len(c.AttestedKeys) == 0 || len(c.AttestedKeys) > MaxAttestedKeys {
		return fail("iat and 1 to %d attested keys are required", MaxAttestedKeys)
	}
	if !c.ExpiresAt.IsZero() && !c.ExpiresAt.After(c.IssuedAt) {
		return fail("exp must be after iat")
	}
	x5c := make([]string, len(chain))
	for i, cert := range chain {
		if cert == nil {
			return fail("chain[%d] is nil", i)
		}
		x5c[i] = base64.StdEncoding.EncodeToString(cert.Raw)
	}
	attested := make([]json.RawMessage, len(c.AttestedKeys))
	for i, k := range c.AttestedKeys {
		b, err := keys.MarshalPublicJWK(k)
		if err != nil {
			return fail("attested key %d: %v", i, err)
		}
		attested[i] = b
	}
	claims := map[string]any{"iat": c.IssuedAt.Unix(), "attested_keys": attested}
	if !c.ExpiresAt.IsZero() {
		claims["exp"] = c.ExpiresAt.Unix()
	}
	for name, v := range map[string]string{"iss": c.Issuer, "certification": c.Certification, "nonce": c.Nonce} {
		if v != "" {
			claims[name] = v
		}
	}
	if len(c.KeyStorage) > 0 {
		claims["key_storage"] = c.KeyStorage
	}
	if len(c.UserAuthentication) > 0 {
		claims["user_authentication"] = c.UserAuthentication
	}
	if len(c.Status) > 0 {
		if _, err := strictjson.UnmarshalObject(c.Status, maxKeyAttestationDepth-1); err != nil {
			return fail("status: %v", err)
		}
		claims["status"] = c.Status
	}
	js, err := jose.NewSigner(signer)
	if err != nil {
		return fail("%v", err)
	}
	hdr, err := jose.Header(js.Algorithm(), KeyAttestationType, map[string]any{"x5c": x5c})
	if err != nil {
		return fail("%v", err)
	}
	pl, err := strictjson.Marshal(claims)
	if err != nil {
		return fail("%v", err)
	}
	if rand == nil {
		rand = cryptoRand
	}
	tok, err := js.Sign(rand, hdr, pl)
	if err != nil {
		return fail("%v", err)
	}
	if len(tok) > MaxKeyAttestationSize {
		return fail("%d bytes, over the %d-byte cap", len(tok), MaxKeyAttestationSize)
	}
	return tok, nil
}
