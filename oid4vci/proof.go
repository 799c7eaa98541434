package oid4vci

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
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

// ProofType is the typ header of a key proof JWT (Appendix F.1).
const ProofType = "openid4vci-proof+jwt"

// ProofTypeJWT is the proof_type of a key proof JWT (Appendix F.1).
const ProofTypeJWT = "jwt"

// MaxProofSize caps the length in bytes of a proof JWT. A proof carrying a
// P-521 JWK is under 1 KiB; one carrying a key attestation
// ([MaxKeyAttestationSize]) in its header needs more.
const MaxProofSize = 32 << 10

// MaxNonceLen caps the length of a c_nonce (in a Nonce Response and in a
// proof) and of a DPoP nonce. Issuers that make stateless nonces (a MAC or
// an encrypted timestamp) send a few hundred bytes.
const MaxNonceLen = 512

// maxProofDepth caps JSON nesting in the proof header and payload.
const maxProofDepth = 4

var (
	// ErrInvalidProof: the key proof is malformed, has the wrong typ,
	// algorithm, audience or time, its signature does not verify with
	// the key in its jwk header, or its key attestation is missing or
	// invalid where required (§8.3.1.2 invalid_proof).
	ErrInvalidProof = errors.New("oid4vci: invalid proof")
	// ErrInvalidNonce: the key proof carries no usable c_nonce (§8.3.1.2
	// invalid_nonce).
	ErrInvalidNonce = errors.New("oid4vci: invalid nonce")
)

// Proof is a verified key proof. Only [VerifyProof] makes one.
type Proof struct {
	key         crypto.PublicKey
	jwk         []byte
	thumbprint  string
	nonce       string
	issuedAt    time.Time
	attestation *KeyAttestation
}

// Key returns the proven public key, from the proof's jwk header.
func (p *Proof) Key() crypto.PublicKey { return p.key }

// JWK returns the proven key as canonical public JWK JSON.
func (p *Proof) JWK() []byte { return append([]byte(nil), p.jwk...) }

// Thumbprint returns the RFC 7638 thumbprint of the proven key.
func (p *Proof) Thumbprint() string { return p.thumbprint }

// Nonce returns the proof's nonce claim; the issuer checks that it handed
// it out and consumes it.
func (p *Proof) Nonce() string { return p.nonce }

// IssuedAt returns the proof's iat.
func (p *Proof) IssuedAt() time.Time { return p.issuedAt }

// KeyAttestation returns the proof's key attestation (the key_attestation
// header, Appendix F.1), verified against [ProofOptions].AttestationRoots
// and attesting the proven key; nil when the proof carried none or no
// roots were configured (an attestation that could not be verified is
// never returned). Appendix F.1 says the issuer SHOULD issue a credential
// for each attested key, not only the proven one: see
// [KeyAttestation.Keys].
func (p *Proof) KeyAttestation() *KeyAttestation { return p.attestation }

// ProofOptions configure [VerifyProof]. Audience, Now and MaxAge are
// required.
type ProofOptions struct {
	// Audience is the Credential Issuer Identifier the proof must name in
	// aud.
	Audience string
	// Now is the verification time.
	Now time.Time
	// MaxAge is how old iat may be (Appendix F.4: within an acceptable
	// window).
	MaxAge time.Duration
	// ClockSkew tolerates an iat in the future and an exp just passed.
	ClockSkew time.Duration
	// Algorithms are the JWS algorithms accepted for the proof and its
	// key attestation (proof_signing_alg_values_supported, Appendix F.1);
	// nil means all of [keys.Algorithms].
	Algorithms []keys.Algorithm
	// AttestationRoots are the wallet-provider CAs that key attestations
	// must chain to (see [KeyAttestation] for where Android and Apple
	// attestations fit). When set, a key_attestation header is verified
	// (Appendix D.1, with exp required and its nonce equal to the
	// proof's), the proven key must be one of the attested keys, and
	// [Proof.KeyAttestation] returns it; a proof whose attestation fails
	// is refused. When nil, a key_attestation header is ignored.
	AttestationRoots *x509.CertPool
	// RequireKeyAttestation, when not nil, refuses a proof without a key
	// attestation meeting it: the issuer's key_attestations_required
	// (§12.2.4), an empty requirement asking for any level. It needs
	// AttestationRoots.
	RequireKeyAttestation *KeyAttestationRequirement
	// BatchSize is the most proofs [VerifyProofs] accepts in one request:
	// the issuer's batch_credential_issuance.batch_size (§12.2.4), capped
	// at [MaxProofs]; 0 or 1 means one proof per request.
	BatchSize int
}

// VerifyProof checks a key proof JWT of proof type "jwt" (Appendix F.1 and
// F.4): compact form within [MaxProofSize], typ openid4vci-proof+jwt, the
// holder key in the jwk header (neither kid nor x5c), alg allowed and
// equal to that key's algorithm, the signature; then, only for an
// authentic proof, aud, iat within MaxAge, exp if present, and a nonce;
// then its key attestation, as [ProofOptions] AttestationRoots and
// RequireKeyAttestation say. The nonce itself is the caller's to check
// against the nonces it issued.
func VerifyProof(token string, opts ProofOptions) (*Proof, error) {
	fail := func(format string, args ...any) (*Proof, error) {
		return nil, fmt.Errorf("%w: %s", ErrInvalidProof, fmt.Sprintf(format, args...))
	}
	if opts.Audience == "" || opts.Now.IsZero() || opts.MaxAge <= 0 || opts.ClockSkew < 0 {
		return fail("Audience, Now and a positive MaxAge are required")
	}
	if opts.RequireKeyAttestation != nil && opts.AttestationRoots == nil {
		return fail("RequireKeyAttestation needs AttestationRoots")
	}
	if len(token) > MaxProofSize {
		return fail("proof is %d bytes, over the %d-byte cap", len(token), MaxProofSize)
	}
	jws, err := jose.Parse(token, maxProofDepth)
	if err != nil {
		return fail("%v", err)
	}
	// Appendix F.1: typ MUST be openid4vci-proof+jwt.
	if err := jws.CheckType(ProofType); err != nil {
		return fail("%v", err)
	}
	// Appendix F.1: kid MUST NOT be present with jwk; the credential is
	// bound to the key carried in jwk, so neither kid nor x5c is accepted
	// (not even with a key attestation, whose example in Appendix F.1
	// names the key by a kid the specification does not define).
	for _, h := range []string{"kid", "x5c", "trust_chain"} {
		if _, ok := jws.Header[h]; ok {
			return fail("%s header not accepted; send the device key in jwk", h)
		}
	}
	pub, err := headerJWK(jws.Header) // refuses private members (F.4)
	if err != nil {
		return fail("%v", err)
	}
	// The algorithm comes from the key, never from the message (RFC 8725
	// §3.1): the header's alg must be the key's, and one the issuer
	// accepts (Appendix F.1, F.4).
	alg, err := keys.AlgorithmFor(pub)
	if err != nil {
		return fail("jwk: %v", err)
	}
	if opts.Algorithms != nil && !slices.Contains(opts.Algorithms, alg) {
		return fail("alg %s is not accepted", alg)
	}
	if err := jws.Verify(pub, []keys.Algorithm{alg}); err != nil {
		return fail("%v", err)
	}

	// Claims, only after the signature is known good.
	pl, err := strictjson.UnmarshalObject(jws.Payload, maxProofDepth)
	if err != nil {
		return fail("payload: %v", err)
	}
	// Appendix F.1: aud REQUIRED, the Credential Issuer Identifier.
	if aud, _ := pl["aud"].(string); aud != opts.Audience {
		return fail("aud %.200v is not this issuer", pl["aud"])
	}
	// Appendix F.1: iat REQUIRED; F.4: within an acceptable window.
	iat, ok := numericDate(pl["iat"])
	if !ok {
		return fail("iat missing or not a NumericDate")
	}
	if iat.After(opts.Now.Add(opts.ClockSkew)) {
		return fail("iat %v is in the future", iat.UTC())
	}
	if iat.Before(opts.Now.Add(-opts.MaxAge - opts.ClockSkew)) {
		return fail("iat %v is older than %v", iat.UTC(), opts.MaxAge)
	}
	if v, present := pl["exp"]; present {
		exp, ok := numericDate(v)
		if !ok || !exp.After(opts.Now.Add(-opts.ClockSkew)) {
			return fail("exp malformed or passed")
		}
	}
	// Appendix F.1: nonce is REQUIRED when the issuer has a Nonce Endpoint.
	nonce, _ := pl["nonce"].(string)
	if nonce == "" || len(nonce) > MaxNonceLen {
		return nil, fmt.Errorf("%w: nonce missing or malformed", ErrInvalidNonce)
	}
	tp, err := keys.Thumbprint(pub)
	if err != nil {
		return fail("thumbprint: %v", err)
	}
	canon, err := keys.MarshalPublicJWK(pub)
	if err != nil {
		return fail("jwk: %v", err)
	}
	p := &Proof{key: pub, jwk: canon, thumbprint: tp, nonce: nonce, issuedAt: iat}
	if p.attestation, err = proofAttestation(jws.Header, p, opts); err != nil {
		return nil, err
	}
	return p, nil
}

// VerifyProofs checks the jwt proofs of one Credential Request (§8.2
// proofs.jwt): at least one (§8.3.1.2: a missing proofs parameter is
// invalid_proof) and at most opts.BatchSize (§12.2.4 batch_size); each
// one with [VerifyProof]; all with the same nonce, since a request
// answers one c_nonce (otherwise [ErrInvalidNonce]); and each for a
// different key, since each key is bound to at most one credential
// (§8.3). It returns the proofs in order, or the first failure, naming
// the proof. The nonce ([Proof.Nonce] of any of them) is the caller's to
// check and spend once.
//
// A proof may also carry a key attestation for more keys than its own
// (Appendix F.1: the issuer SHOULD issue a credential per attested key);
// an issuer doing so binds each distinct thumbprint once, within its
// batch size.
func VerifyProofs(tokens []string, opts ProofOptions) ([]*Proof, error) {
	limit := min(max(opts.BatchSize, 1), MaxProofs)
	switch {
	case len(tokens) == 0:
		return nil, fmt.Errorf("%w: no proof", ErrInvalidProof)
	case len(tokens) > limit:
		return nil, fmt.Errorf("%w: %d proofs, more than the batch size %d", ErrInvalidProof, len(tokens), limit)
	}
	out := make([]*Proof, len(tokens))
	seen := make(map[string]bool, len(tokens))
	for i, tok := range tokens {
		p, err := VerifyProof(tok, opts)
		if err != nil {
			return nil, fmt.Errorf("proof %d: %w", i, err)
		}
		if i > 0 && p.nonce != out[0].nonce {
			return nil, fmt.Errorf("%w: proof %d carries another nonce than proof 0", ErrInvalidNonce, i)
		}
		if seen[p.thumbprint] {
			return nil, fmt.Errorf("%w: proof %d is for a key already proven", ErrInvalidProof, i)
		}
		seen[p.thumbprint] = true
		out[i] = p
	}
	return out, nil
}

// ProofErrorResponse turns an error of [VerifyProof] or [VerifyProofs]
// into the Credential Error Response (§8.3.1.2): invalid_nonce when the
// nonce is missing, malformed or inconsistent ([ErrInvalidNonce]; also
// answer it when the nonce is not one the issuer handed out or is spent),
// invalid_proof otherwise. An error that is neither gives server_error.
func ProofErrorResponse(err error) *ProtocolError {
	switch {
	case errors.Is(err, ErrInvalidNonce):
		return &ProtocolError{Status: 400, Code: CodeInvalidNonce, Description: err.Error(), Err: err}
	case errors.Is(err, ErrInvalidProof):
		return &ProtocolError{Status: 400, Code: CodeInvalidProof, Description: err.Error(), Err: err}
	}
	return &ProtocolError{Status: 500, Code: CodeServerError, Err: err}
}

// proofAttestation verifies the key_attestation header of an authentic
// proof p when opts has roots, and applies opts.RequireKeyAttestation.
func proofAttestation(h map[string]any, p *Proof, opts ProofOptions) (*KeyAttestation, error) {
	v, present := h["key_attestation"]
	if !present || opts.AttestationRoots == nil {
		if opts.RequireKeyAttestation != nil {
			return nil, fmt.Errorf("%w: %w: a key attestation is required", ErrInvalidProof, ErrKeyAttestation)
		}
		return nil, nil
	}
	ka, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("%w: %w: key_attestation header is not a string", ErrInvalidProof, ErrKeyAttestation)
	}
	a, err := VerifyKeyAttestation(ka, KeyAttestationOptions{
		Roots: opts.AttestationRoots, Now: opts.Now, ClockSkew: opts.ClockSkew, Algorithms: opts.Algorithms,
		// Appendix D.1: exp MUST be present with the jwt proof type.
		RequireExpiry: true,
		// Appendix F.1: with a c_nonce, the attestation's nonce MUST be a
		// server-provided c_nonce; ikdkit requires the proof's own.
		Nonce: p.nonce,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidProof, err)
	}
	// Appendix D.1, F.1: the proof MUST be signed by a key contained in
	// the attestation.
	if !a.Attests(p.thumbprint) {
		return nil, fmt.Errorf("%w: %w: the proof's key is not one of the attested keys", ErrInvalidProof, ErrKeyAttestation)
	}
	if err := a.Meets(opts.RequireKeyAttestation); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidProof, err)
	}
	return a, nil
}

func numericDate(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	i, err := n.Int64()
	if err != nil || i < 0 || i > 1<<40 {
		return time.Time{}, false
	}
	return time.Unix(i, 0), true
}

// SignProof makes a key proof JWT (proof type "jwt", Appendix F.1) with the
// device key: header {alg, typ openid4vci-proof+jwt, jwk}, payload {aud,
// iat, nonce}. device may be any crypto.Signer (Secure Enclave, Android
// Keystore); the algorithm is the one of its key. rand is the signing
// randomness; nil means crypto/rand.
func SignProof(rand io.Reader, device crypto.Signer, audience, nonce string, iat time.Time) (string, error) {
	if device == nil || audience == "" || nonce == "" || len(nonce) > MaxNonceLen {
		return "", fmt.Errorf("%w: device key, audience and a nonce of at most %d bytes are required", ErrInvalidProof, MaxNonceLen)
	}
	js, err := jose.NewSigner(device)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidProof, err)
	}
	jwk, err := keys.MarshalPublicJWK(device.Public())
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidProof, err)
	}
	hdr, err := jose.Header(js.Algorithm(), ProofType, map[string]any{"jwk": json.RawMessage(jwk)})
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidProof, err)
	}
	pl, err := strictjson.Marshal(map[string]any{"aud": audience, "iat": iat.Unix(), "nonce": nonce})
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidProof, err)
	}
	if rand == nil {
		rand = cryptoRand
	}
	tok, err := js.Sign(rand, hdr, pl)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidProof, err)
	}
	return tok, nil
}

var cryptoRand = rand.Reader
