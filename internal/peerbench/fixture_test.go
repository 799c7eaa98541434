package peerbench

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	josejwk "github.com/MichaelFraser99/go-jose/jwk"
	josejwt "github.com/MichaelFraser99/go-jose/jwt"
	gosdjwt "github.com/MichaelFraser99/go-sd-jwt"

	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/keys"
)

const (
	testAud   = "https://verifier.example.id"
	testNonce = "n-0S6_WzA2Mj"
	testVCT   = "https://credentials.example.id/ktp"
)

// fixture is one SD-JWT VC + KB-JWT presentation with n selectively
// disclosable claims, all disclosed, and what each side needs to verify it.
type fixture struct {
	n            int
	presentation string
	now          time.Time
	issuerPub    *ecdsa.PublicKey
	holderPub    *ecdsa.PublicKey
	holder       crypto.Signer
	opts         sdjwt.VerifyOptions

	// For the floor: the two signing inputs and their signatures in the DER
	// form crypto/ecdsa takes, converted once.
	issuerInput, kbInput []byte
	issuerSig, kbSig     []byte

	// For the RFC 9901 lower bound (verifyLowerBound): the presentation as
	// bytes, the holder key's uncompressed point, and room to decode into.
	presBytes, holderRaw, scratch []byte
	// For verifyMapsBound: the room it keeps between calls.
	maps mapsBound
	// For both bounds: the hash of the issuer JWT's signing input, which
	// sd_hash goes on from (verifyFloorSharing, sdHash).
	prefix hash.Hash
}

func newFixture(tb testing.TB, n int) *fixture {
	tb.Helper()
	issuer, err := keys.Generate(keys.ES256, rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	holder, err := keys.Generate(keys.ES256, rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	// The peer's jwt.Validate reads the wall clock, so the credential is
	// issued around the real time; ikdkit is given the same instant.
	now := time.Now().Truncate(time.Second)
	claims := map[string]any{
		"iss": "https://issuer.example.id",
		"vct": testVCT,
		"iat": now.Add(-time.Hour).Unix(),
		"exp": now.Add(365 * 24 * time.Hour).Unix(),
	}
	var sd []sdjwt.Path
	for i := range n {
		name := fmt.Sprintf("claim_%03d", i)
		claims[name] = fmt.Sprintf("value of claim %d", i)
		sd = append(sd, sdjwt.P(name))
	}
	issued, err := sdjwt.IssueVC(claims, sdjwt.IssueOptions{Signer: issuer, Disclosable: sd, HolderKey: holder.Public()})
	if err != nil {
		tb.Fatal(err)
	}
	u, err := sdjwt.Parse(issued)
	if err != nil {
		tb.Fatal(err)
	}
	if got := len(u.Disclosures()); got != n {
		tb.Fatalf("issued %d disclosures, want %d", got, n)
	}
	pres, err := u.Present(sdjwt.KeyBindingOptions{Signer: holder, Audience: testAud, Nonce: testNonce, IssuedAt: now.Add(-time.Second)})
	if err != nil {
		tb.Fatal(err)
	}
	f := &fixture{
		n:            n,
		presentation: pres,
		now:          now,
		issuerPub:    issuer.Public().(*ecdsa.PublicKey),
		holderPub:    holder.Public().(*ecdsa.PublicKey),
		holder:       holder,
	}
	f.opts = sdjwt.VerifyOptions{
		IssuerKey:  f.issuerPub,
		Algorithms: []keys.Algorithm{keys.ES256},
		Now:        func() time.Time { return now },
		Audience:   testAud,
		Nonce:      testNonce,
		// A verifier verifying one presentation after another keeps a
		// Workspace per goroutine, as verifier.Verifier does.
		Workspace: new(sdjwt.Workspace),
	}
	f.presBytes, f.scratch = []byte(pres), make([]byte, len(pres))
	if f.holderRaw, err = f.holderPub.Bytes(); err != nil {
		tb.Fatal(err)
	}
	f.issuerInput, f.issuerSig = splitJWS(tb, pres[:strings.IndexByte(pres, '~')])
	f.kbInput, f.kbSig = splitJWS(tb, pres[strings.LastIndexByte(pres, '~')+1:])
	return f
}

// rebind appends a fresh, valid KB-JWT to sdJWT (<issuer-JWT>~<D>~...~),
// so that a test can change the SD-JWT without sd_hash catching it first.
// The KB-JWT is built by hand because sdjwt.Parse refuses a changed SD-JWT.
func (f *fixture) rebind(tb testing.TB, sdJWT string) string {
	tb.Helper()
	sdHash := sha256.Sum256([]byte(sdJWT))
	head, _ := json.Marshal(map[string]any{"alg": "ES256", "typ": sdjwt.TypeKeyBinding})
	body, _ := json.Marshal(map[string]any{
		"iat": f.now.Add(-time.Second).Unix(), "aud": testAud, "nonce": testNonce,
		"sd_hash": base64.RawURLEncoding.EncodeToString(sdHash[:]),
	})
	input := base64.RawURLEncoding.EncodeToString(head) + "." + base64.RawURLEncoding.EncodeToString(body)
	digest := sha256.Sum256([]byte(input))
	der, err := f.holder.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		tb.Fatal(err)
	}
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &rs); err != nil {
		tb.Fatal(err)
	}
	sig := make([]byte, 64)
	rs.R.FillBytes(sig[:32])
	rs.S.FillBytes(sig[32:])
	return sdJWT + input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// splitJWS returns a compact JWS's signing input and its ES256 signature
// (r || s) converted to ASN.1 DER.
func splitJWS(tb testing.TB, jws string) (input, der []byte) {
	tb.Helper()
	dot := strings.LastIndexByte(jws, '.')
	raw, err := base64.RawURLEncoding.DecodeString(jws[dot+1:])
	if err != nil || len(raw) != 64 {
		tb.Fatalf("bad ES256 signature: %v (%d bytes)", err, len(raw))
	}
	der, err = asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])})
	if err != nil {
		tb.Fatal(err)
	}
	return []byte(jws[:dot]), der
}

// verifyIkdkit is the ikdkit side: one call, every check on (issuer
// signature under an ES256-only allow-list, typ dc+sd-jwt, exp/nbf/iat,
// disclosures against their digests, cnf key, KB-JWT signature and typ,
// sd_hash, aud, nonce, iat freshness, and the SD-JWT VC rules).
func (f *fixture) verifyIkdkit(presentation string, opts sdjwt.VerifyOptions) error {
	v, err := sdjwt.VerifyVC(presentation, opts)
	if err != nil {
		return err
	}
	if len(v.Disclosed()) != f.n {
		return fmt.Errorf("ikdkit: %d claims disclosed, want %d", len(v.Disclosed()), f.n)
	}
	return nil
}

// peerOpts are the expectations the peer side is checked against: the same
// as ikdkit's VerifyOptions.
type peerOpts struct {
	aud, nonce string
	now        time.Time
}

func (f *fixture) peerOpts() peerOpts { return peerOpts{aud: testAud, nonce: testNonce, now: f.now} }

var errPeer = errors.New("peer: check failed")

// verifyPeer is the go-sd-jwt + go-jose side, doing the checks ikdkit does.
// What go-sd-jwt's API does itself is marked (API); what it leaves to the
// caller is done by hand here with go-jose or plain Go and marked (by hand).
func (f *fixture) verifyPeer(presentation string, o peerOpts) error {
	// (API) go-sd-jwt New: the compact format, every disclosure well formed,
	// the _sd digests well formed, the KB-JWT's typ kb+jwt and the presence
	// of iat/aud/nonce/sd_hash, and sd_hash over the presented SD-JWT.
	// It verifies no signature (the library says so; issue 23 notes it).
	sd, err := gosdjwt.New(presentation)
	if err != nil {
		return err
	}
	if sd.KbJwt == nil { // (by hand) key binding is required, as in ikdkit
		return fmt.Errorf("%w: no KB-JWT", errPeer)
	}
	// (by hand) the issuer JWT's header: alg pinned to ES256 (go-jose's
	// jwt.Validate takes the algorithm from the token, so the allow-list is
	// the caller's) and typ dc+sd-jwt.
	if sd.Head["alg"] != "ES256" || sd.Head["typ"] != sdjwt.TypeVC {
		return fmt.Errorf("%w: issuer JWT header", errPeer)
	}
	// (go-jose) the issuer signature, and exp/nbf/iat against the wall clock.
	issuerJWT := presentation[:strings.IndexByte(presentation, '~')]
	if _, _, err := josejwt.Validate(f.issuerPub, issuerJWT); err != nil {
		return err
	}
	// (by hand) exp is required, as in ikdkit (go-jose checks it only when present).
	if _, ok := sd.Body["exp"].(float64); !ok {
		return fmt.Errorf("%w: no exp", errPeer)
	}
	// (API) the disclosures against the digests in the signed payload.
	claims, err := sd.GetDisclosedClaims()
	if err != nil {
		return err
	}
	// (by hand) the SD-JWT VC rules VerifyVC applies: vct a non-empty
	// string, and no disclosure of a claim that must stay in the payload.
	if vct, _ := claims["vct"].(string); vct == "" {
		return fmt.Errorf("%w: vct", errPeer)
	}
	for _, d := range sd.Disclosures {
		if d.Key != nil && slices.Contains(sdjwt.NonDisclosableVCClaims, *d.Key) {
			return fmt.Errorf("%w: %s disclosed", errPeer, *d.Key)
		}
	}
	if len(sd.Disclosures) != f.n {
		return fmt.Errorf("%w: %d claims disclosed, want %d", errPeer, len(sd.Disclosures), f.n)
	}
	// (by hand + go-jose) the holder key from cnf.jwk.
	cnf, _ := sd.Body["cnf"].(map[string]any)
	cnfJWK, _ := cnf["jwk"].(map[string]any)
	if cnfJWK == nil {
		return fmt.Errorf("%w: no cnf.jwk", errPeer)
	}
	holderKey, err := josejwk.PublicFromJwk(cnfJWK)
	if err != nil {
		return err
	}
	// (by hand) the KB-JWT's alg pinned to ES256 (typ was checked by New).
	kb := sd.KbJwt.Token
	kbHead, err := decodeSegment(kb[:strings.IndexByte(kb, '.')])
	if err != nil {
		return err
	}
	if kbHead["alg"] != "ES256" {
		return fmt.Errorf("%w: KB-JWT alg", errPeer)
	}
	// (go-jose) the KB-JWT signature with the cnf key.
	if _, _, err := josejwt.Validate(holderKey, kb); err != nil {
		return err
	}
	// (by hand) aud, nonce, and the KB-JWT's iat: not in the future and at
	// most 5 minutes old, as ikdkit with its defaults (ClockSkew 0).
	if *sd.KbJwt.Aud != o.aud || *sd.KbJwt.Nonce != o.nonce {
		return fmt.Errorf("%w: aud or nonce", errPeer)
	}
	iat := time.Unix(*sd.KbJwt.Iat, 0)
	if iat.After(o.now) || o.now.Sub(iat) > sdjwt.DefaultKeyBindingMaxAge {
		return fmt.Errorf("%w: KB-JWT iat", errPeer)
	}
	return nil
}

func decodeSegment(seg string) (map[string]any, error) {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// verifyFloor is the least work any verifier must do: hash the two signing
// inputs and verify the two ES256 signatures, keys already parsed.
func (f *fixture) verifyFloor() error {
	d1 := sha256.Sum256(f.issuerInput)
	d2 := sha256.Sum256(f.kbInput)
	if !ecdsa.VerifyASN1(f.issuerPub, d1[:], f.issuerSig) || !ecdsa.VerifyASN1(f.holderPub, d2[:], f.kbSig) {
		return errors.New("floor: signature invalid")
	}
	return nil
}
