package issuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/internal/keys"
	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// ProofType is the typ header of an OpenID4VCI key proof JWT
// (OpenID4VCI 1.0 Appendix F.1).
const ProofType = "openid4vci-proof+jwt"

// MaxProofSize caps the length in bytes of a proof JWT. A proof carrying a
// P-521 JWK is under 1 KiB.
const MaxProofSize = 8 << 10

// maxProofDepth caps JSON nesting in the proof header and payload.
const maxProofDepth = 4

var b64 = base64.RawURLEncoding.Strict()

// proof is a verified proof of possession.
type proof struct {
	key        crypto.PublicKey
	jwk        []byte // canonical public JWK JSON
	thumbprint string
	nonce      string
	issuedAt   time.Time
}

// verifyProof checks a proof JWT of proof_type "jwt" (OpenID4VCI 1.0
// Appendix F.1 and F.4): compact form, typ openid4vci-proof+jwt, the holder
// key in the jwk header, alg equal to the key's algorithm, the signature,
// then aud, iat and the presence of a nonce. The nonce itself is checked
// against the store by the caller.
func verifyProof(token, audience string, now time.Time, maxAge, skew time.Duration) (*proof, error) {
	const op = "proof"
	fail := func(format string, args ...any) (*proof, error) {
		return nil, errorf(op, ErrProof, format, args...)
	}
	if len(token) > MaxProofSize {
		return fail("proof is %d bytes, over the %d-byte cap", len(token), MaxProofSize)
	}
	h64, rest, ok1 := strings.Cut(token, ".")
	p64, s64, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(s64, ".") {
		return fail("not a compact JWS with three parts")
	}
	hb, err1 := b64.DecodeString(h64)
	pb, err2 := b64.DecodeString(p64)
	sig, err3 := b64.DecodeString(s64)
	if err1 != nil || err2 != nil || err3 != nil {
		return fail("bad base64url (RFC 7515 §2: unpadded base64url)")
	}
	hdr, err := strictjson.UnmarshalObject(hb, maxProofDepth)
	if err != nil {
		return fail("header: %v", err)
	}
	// OpenID4VCI 1.0 Appendix F.1: typ MUST be openid4vci-proof+jwt.
	if typ, _ := hdr["typ"].(string); typ != ProofType {
		return fail("typ is %q, want %q", hdr["typ"], ProofType)
	}
	// RFC 7515 §4.1.11: we understand no extension, so crit is refused.
	if _, ok := hdr["crit"]; ok {
		return fail("crit header not supported")
	}
	// Appendix F.1: kid MUST NOT be present with jwk; this issuer binds to
	// the key carried in jwk and accepts neither kid nor x5c.
	if _, ok := hdr["kid"]; ok {
		return fail("kid header not accepted; send the device key in jwk")
	}
	if _, ok := hdr["x5c"]; ok {
		return fail("x5c header not accepted; send the device key in jwk")
	}
	jwkObj, ok := hdr["jwk"].(map[string]any)
	if !ok {
		return fail("jwk header missing or not an object")
	}
	jwkJSON, err := json.Marshal(jwkObj)
	if err != nil {
		return fail("jwk: %v", err)
	}
	pub, err := keys.ParsePublicJWK(jwkJSON) // rejects private members ("d")
	if err != nil {
		return fail("jwk: %v", err)
	}
	// The algorithm comes from the key, never from the message (RFC 8725
	// §3.1); the header must agree, and "none" never fits a key.
	want, err := keys.AlgorithmFor(pub)
	if err != nil {
		return fail("jwk: %v", err)
	}
	if alg, _ := hdr["alg"].(string); alg != want {
		return fail("alg %q does not fit the %s key", hdr["alg"], want)
	}
	if !verifyJWS(pub, want, []byte(token[:len(h64)+1+len(p64)]), sig) {
		return fail("signature does not verify with the jwk key")
	}

	// Claims, only after the signature is known good.
	pl, err := strictjson.UnmarshalObject(pb, maxProofDepth)
	if err != nil {
		return fail("payload: %v", err)
	}
	// Appendix F.1: aud REQUIRED, the Credential Issuer Identifier.
	if aud, _ := pl["aud"].(string); aud != audience {
		return fail("aud %v is not this issuer", pl["aud"])
	}
	// Appendix F.1: iat REQUIRED; F.4: within an acceptable window.
	iat, ok := numericDate(pl["iat"])
	if !ok {
		return fail("iat missing or not a NumericDate")
	}
	if iat.After(now.Add(skew)) {
		return fail("iat %v is in the future", iat)
	}
	if iat.Before(now.Add(-maxAge - skew)) {
		return fail("iat %v is older than %v", iat, maxAge)
	}
	if v, present := pl["exp"]; present {
		exp, ok := numericDate(v)
		if !ok || !exp.After(now.Add(-skew)) {
			return fail("exp missing, malformed or passed")
		}
	}
	// Appendix F.1: nonce is REQUIRED when the issuer has a Nonce Endpoint,
	// which this one has.
	nonce, _ := pl["nonce"].(string)
	if nonce == "" || len(nonce) > 128 {
		return nil, errorf(op, ErrNonce, "nonce missing or malformed")
	}
	tp, err := keys.Thumbprint(pub)
	if err != nil {
		return fail("thumbprint: %v", err)
	}
	canon, err := keys.MarshalPublicJWK(pub)
	if err != nil {
		return fail("jwk: %v", err)
	}
	return &proof{key: pub, jwk: canon, thumbprint: tp, nonce: nonce, issuedAt: iat}, nil
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

// verifyJWS verifies a JWS signature (RFC 7518 §3.4: ECDSA as fixed-size
// R||S; RFC 8037 §3.1: Ed25519) over input.
func verifyJWS(pub crypto.PublicKey, alg string, input, sig []byte) bool {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return false
		}
		r := new(big.Int).SetBytes(sig[:size])
		s := new(big.Int).SetBytes(sig[size:])
		return ecdsa.Verify(k, jwsDigest(alg, input), r, s)
	case ed25519.PublicKey:
		return alg == keys.EdDSA && ed25519.Verify(k, input, sig)
	}
	return false
}

func jwsDigest(alg string, input []byte) []byte {
	switch alg {
	case keys.ES384:
		d := sha512.Sum384(input)
		return d[:]
	case keys.ES512:
		d := sha512.Sum512(input)
		return d[:]
	default:
		d := sha256.Sum256(input)
		return d[:]
	}
}

func hashFor(alg string) crypto.Hash {
	switch alg {
	case keys.ES384:
		return crypto.SHA384
	case keys.ES512:
		return crypto.SHA512
	case keys.EdDSA:
		return 0
	}
	return crypto.SHA256
}

// SignProof makes an OpenID4VCI key proof JWT (proof_type "jwt", Appendix
// F.1) with the device key: header {alg, typ openid4vci-proof+jwt, jwk},
// payload {aud, iat, nonce}. It is the wallet side of [Issuer.Activate],
// provided for wallets and tests; device may be any crypto.Signer (Secure
// Enclave, Android Keystore). rand is used for the signature; nil means
// crypto/rand.
func SignProof(rand io.Reader, device crypto.Signer, audience, nonce string, iat time.Time) (string, error) {
	const op = "sign proof"
	alg, err := keys.AlgorithmFor(device.Public())
	if err != nil {
		return "", errorf(op, ErrInvalidInput, "%v", err)
	}
	jwk, err := keys.MarshalPublicJWK(device.Public())
	if err != nil {
		return "", errorf(op, ErrInvalidInput, "%v", err)
	}
	hdr, _ := json.Marshal(map[string]any{"alg": alg, "typ": ProofType, "jwk": json.RawMessage(jwk)})
	pl, _ := json.Marshal(map[string]any{"aud": audience, "iat": iat.Unix(), "nonce": nonce})
	input := b64.EncodeToString(hdr) + "." + b64.EncodeToString(pl)
	sig, err := signJWS(rand, device, alg, []byte(input))
	if err != nil {
		return "", errorf(op, ErrSigning, "%v", err)
	}
	return input + "." + b64.EncodeToString(sig), nil
}

func signJWS(rand io.Reader, s crypto.Signer, alg string, input []byte) ([]byte, error) {
	h := hashFor(alg)
	msg := input
	if h != 0 {
		msg = jwsDigest(alg, input)
	}
	if rand == nil {
		rand = cryptoRand
	}
	sig, err := s.Sign(rand, msg, h)
	if err != nil || h == 0 {
		return sig, err
	}
	// crypto.Signer returns ASN.1 DER for ECDSA; JWS wants R||S.
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(sig, &rs); err != nil || len(rest) != 0 {
		return nil, errorf("sign", ErrSigning, "signer returned a malformed ECDSA signature")
	}
	size := (s.Public().(*ecdsa.PublicKey).Curve.Params().BitSize + 7) / 8
	if rs.R == nil || rs.S == nil || rs.R.Sign() <= 0 || rs.S.Sign() <= 0 || rs.R.BitLen() > 8*size || rs.S.BitLen() > 8*size {
		return nil, errorf("sign", ErrSigning, "signer returned an out-of-range ECDSA signature")
	}
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out, nil
}
