package statuslist

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/internal/cose"
	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
	"github.com/ikdkit/ikdkit/keys"
)

// opaqueSigner hides the concrete key type, like an HSM or Android Keystore
// key would: only Public and Sign are available.
type opaqueSigner struct{ s crypto.Signer }

func (o opaqueSigner) Public() crypto.PublicKey { return o.s.Public() }
func (o opaqueSigner) Sign(r io.Reader, d []byte, opts crypto.SignerOpts) ([]byte, error) {
	return o.s.Sign(r, d, opts)
}

func testKey(t testing.TB, alg keys.Algorithm) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	switch alg {
	case keys.ES256:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case keys.ES384:
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case keys.ES512:
		k, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case keys.EdDSA:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	return opaqueSigner{k}
}

var testIat = time.Unix(1767225600, 0) // 2026-01-01T00:00:00Z

func testParams() TokenParams {
	return TokenParams{
		Subject:   "https://status.ikd.example.id/lists/32/7",
		Issuer:    "https://dukcapil.example.id",
		IssuedAt:  testIat,
		ExpiresAt: testIat.Add(7 * 24 * time.Hour),
		TTL:       12 * time.Hour,
		KeyID:     "sl-2026",
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	sign := map[TokenFormat]func(io.Reader, crypto.Signer, *List, TokenParams) ([]byte, error){
		TokenJWT: SignJWT, TokenCWT: SignCWT,
	}
	for _, alg := range []keys.Algorithm{keys.ES256, keys.ES384, keys.ES512, keys.EdDSA} {
		for _, f := range []TokenFormat{TokenJWT, TokenCWT} {
			t.Run(string(alg)+"/"+f.String(), func(t *testing.T) {
				key := testKey(t, alg)
				l, _ := New(2, 4096)
				_ = l.Set(7, Invalid)
				_ = l.Set(4095, Suspended)
				p := testParams()
				p.AggregationURI = "https://status.ikd.example.id/aggregation"
				raw, err := sign[f](rand.Reader, keys.Opaque(key), l, p) // any crypto.Signer, as an HSM would be
				if err != nil {
					t.Fatal(err)
				}
				v := &Verifier{Key: key.Public(), Now: fixedClock(testIat.Add(time.Hour))}
				tok, err := v.Verify(raw)
				if err != nil {
					t.Fatal(err)
				}
				if tok.Format() != f || tok.Subject() != p.Subject || tok.Issuer() != p.Issuer ||
					tok.KeyID() != p.KeyID || !tok.IssuedAt().Equal(p.IssuedAt) || tok.AggregationURI() != p.AggregationURI {
					t.Fatalf("claims differ: %+v", tok)
				}
				if exp, ok := tok.ExpiresAt(); !ok || !exp.Equal(p.ExpiresAt) {
					t.Fatal("exp differs")
				}
				if ttl, ok := tok.TTL(); !ok || ttl != p.TTL {
					t.Fatal("ttl differs")
				}
				if !tok.List().Equal(l) {
					t.Fatal("list differs")
				}
				// Another key of the same algorithm must not verify it.
				other := &Verifier{Key: testKey(t, alg).Public(), Now: v.Now}
				if _, err := other.Verify(raw); !errors.Is(err, ErrSignature) {
					t.Fatalf("wrong key: %v", err)
				}
			})
		}
	}
}

func TestSignRejects(t *testing.T) {
	key := testKey(t, keys.ES256)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := New(1, 8)
	tests := []struct {
		name string
		key  crypto.Signer
		edit func(*TokenParams)
		want error
	}{
		{"RSA key (no supported algorithm)", rsaKey, nil, ErrAlgorithm},
		{"no subject", key, func(p *TokenParams) { p.Subject = "" }, ErrMalformed},
		{"relative subject", key, func(p *TokenParams) { p.Subject = "/lists/1" }, ErrMalformed},
		{"no iat", key, func(p *TokenParams) { p.IssuedAt = time.Time{} }, ErrMalformed},
		{"exp before iat", key, func(p *TokenParams) { p.ExpiresAt = p.IssuedAt.Add(-time.Second) }, ErrMalformed},
		{"fractional ttl", key, func(p *TokenParams) { p.TTL = 1500 * time.Millisecond }, ErrMalformed},
		{"negative ttl", key, func(p *TokenParams) { p.TTL = -time.Hour }, ErrMalformed},
	}
	for _, tt := range tests {
		for name, sign := range map[string]func(io.Reader, crypto.Signer, *List, TokenParams) ([]byte, error){"jwt": SignJWT, "cwt": SignCWT} {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				p := testParams()
				if tt.edit != nil {
					tt.edit(&p)
				}
				if _, err := sign(rand.Reader, tt.key, l, p); !errors.Is(err, tt.want) {
					t.Fatalf("got %v, want %v", err, tt.want)
				}
			})
		}
	}
}

// rawJWT signs arbitrary header and payload JSON with key.
func rawJWT(t testing.TB, key crypto.Signer, alg keys.Algorithm, header, payload string) []byte {
	t.Helper()
	js, err := jose.NewSigner(key)
	if err != nil || js.Algorithm() != alg {
		t.Fatalf("signer for %s: %v", alg, err)
	}
	in := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(payload))
	sig, err := js.SignInput(rand.Reader, in, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(in + "." + b64.EncodeToString(sig))
}

const (
	okHeader = `{"alg":"ES256","typ":"statuslist+jwt"}`
	okLst    = `"status_list":{"bits":1,"lst":"eNrbuRgAAhcBXQ"}`
	okSub    = `"sub":"https://example.com/statuslists/1"`
)

func TestVerifyJWTRejects(t *testing.T) {
	key := testKey(t, keys.ES256)
	v := &Verifier{Key: key.Public(), Now: fixedClock(vectorTime)}
	iat := `"iat":1686920170`
	good := rawJWT(t, key, keys.ES256, okHeader, `{`+okSub+`,`+iat+`,`+okLst+`}`)
	if _, err := v.VerifyJWT(good); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	gp := strings.Split(string(good), ".")
	// Another payload, well encoded, under the original signature.
	tampered := []byte(gp[0] + "." + b64.EncodeToString([]byte(`{`+okSub+`,"iat":1686920171,`+okLst+`}`)) + "." + gp[2])
	tests := []struct {
		name  string
		token []byte
		want  error
	}{
		{"empty", nil, ErrMalformed},
		{"two parts", []byte("a.b"), ErrMalformed},
		{"four parts", append(append([]byte{}, good...), []byte(".x")...), ErrMalformed},
		{"padding in header", []byte(b64.EncodeToString([]byte(okHeader)) + "=." + strings.SplitN(string(good), ".", 2)[1]), ErrMalformed},
		{"tampered payload", tampered, ErrSignature},
		{"alg none", rawJWT(t, key, keys.ES256, `{"alg":"none","typ":"statuslist+jwt"}`, `{}`), ErrAlgorithm},
		{"alg HS256", rawJWT(t, key, keys.ES256, `{"alg":"HS256","typ":"statuslist+jwt"}`, `{}`), ErrAlgorithm},
		{"alg keys.ES384 for keys.ES256 key", rawJWT(t, key, keys.ES256, `{"alg":"ES384","typ":"statuslist+jwt"}`, `{}`), ErrAlgorithm},
		{"alg missing", rawJWT(t, key, keys.ES256, `{"typ":"statuslist+jwt"}`, `{}`), ErrMalformed},
		{"typ missing", rawJWT(t, key, keys.ES256, `{"alg":"ES256"}`, `{}`), ErrType},
		{"typ JWT", rawJWT(t, key, keys.ES256, `{"alg":"ES256","typ":"JWT"}`, `{}`), ErrType},
		{"typ case", rawJWT(t, key, keys.ES256, `{"alg":"ES256","typ":"Statuslist+JWT"}`, `{}`), ErrType},
		{"crit", rawJWT(t, key, keys.ES256, `{"alg":"ES256","typ":"statuslist+jwt","crit":["x"],"x":1}`, `{}`), ErrMalformed},
		{"duplicate header alg", rawJWT(t, key, keys.ES256, `{"alg":"ES256","alg":"ES256","typ":"statuslist+jwt"}`, `{}`), ErrMalformed},
		{"signature by other key", rawJWT(t, testKey(t, keys.ES256), keys.ES256, okHeader, `{`+okSub+`,`+iat+`,`+okLst+`}`), ErrSignature},
		{"duplicate claim", rawJWT(t, key, keys.ES256, okHeader, `{`+okSub+`,`+okSub+`,`+iat+`,`+okLst+`}`), ErrMalformed},
		{"duplicate status_list member", rawJWT(t, key, keys.ES256, okHeader, `{`+okSub+`,`+iat+`,"status_list":{"bits":1,"bits":2,"lst":"eNrbuRgAAhcBXQ"}}`), ErrMalformed},
		{"no sub", rawJWT(t, key, keys.ES256, okHeader, `{`+iat+`,`+okLst+`}`), ErrMalformed},
		{"sub not URI", rawJWT(t, key, keys.ES256, okHeader, `{"sub":"lists 1",`+iat+`,`+okLst+`}`), ErrMalformed},
		{"no iat", rawJWT(t, key, keys.ES256, okHeader, `{`+okSub+`,`+okLst+`}`), ErrMalformed},
		{"iat string", rawJWT(t, key, keys.ES256, okHeader, `{`+okSub+`,"iat":"1686920170",`+okLst+`}`), ErrMalformed},
		{"negative exp", rawJWT(t, key, keys.ES256, okHeader, `{`+okSub+`,`+iat+`,"exp":-1,`+okLst+`}`), ErrMalformed},
		{"ttl zero", rawJWT(t, key, keys.ES256, okHeader, `{`+okSub+`,`+iat+`,"ttl":0,`+okLst+`}`), ErrMalformed},
		{"ttl string", rawJWT(t, key, keys.ES256, okHeader, `{`+okSub+`,`+iat+`,"ttl":"60",`+okLst+`}`), ErrMalformed},
		{"no status_list", rawJWT(t, key, keys.ES256, okHeader, `{`+okSub+`,`+iat+`}`), ErrMalformed},
		{"bits 3", rawJWT(t, key, keys.ES256, okHeader, `{`+okSub+`,`+iat+`,"status_list":{"bits":3,"lst":"eNrbuRgAAhcBXQ"}}`), ErrBits},
		{"bits 1.0", rawJWT(t, key, keys.ES256, okHeader, `{`+okSub+`,`+iat+`,"status_list":{"bits":1.0,"lst":"eNrbuRgAAhcBXQ"}}`), ErrBits},
		{"lst padded", rawJWT(t, key, keys.ES256, okHeader, `{`+okSub+`,`+iat+`,"status_list":{"bits":1,"lst":"eNrbuRgAAhcBXQ=="}}`), ErrMalformed},
		{"lst not zlib", rawJWT(t, key, keys.ES256, okHeader, `{`+okSub+`,`+iat+`,"status_list":{"bits":1,"lst":"AAAA"}}`), ErrMalformed},
		{"expired", rawJWT(t, key, keys.ES256, okHeader, `{`+okSub+`,`+iat+`,"exp":1686920171,`+okLst+`}`), ErrExpired},
		{"nbf in future", rawJWT(t, key, keys.ES256, okHeader, `{`+okSub+`,`+iat+`,"nbf":2000000000,`+okLst+`}`), ErrNotYetValid},
		{"iat in future", rawJWT(t, key, keys.ES256, okHeader, `{`+okSub+`,"iat":2000000000,`+okLst+`}`), ErrNotYetValid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := v.VerifyJWT(tt.token)
			if !errors.Is(err, tt.want) || tok != nil {
				t.Fatalf("got %v, %v; want %v", tok, err, tt.want)
			}
		})
	}
}

// TestExpiryReportedOnlyAfterSignature: an expired token signed by someone
// else is a signature failure, not "expired".
func TestExpiryReportedOnlyAfterSignature(t *testing.T) {
	key := testKey(t, keys.ES256)
	forged := rawJWT(t, testKey(t, keys.ES256), keys.ES256, okHeader, `{`+okSub+`,"iat":1,"exp":2,`+okLst+`}`)
	v := &Verifier{Key: key.Public(), Now: fixedClock(vectorTime)}
	if _, err := v.VerifyJWT(forged); !errors.Is(err, ErrSignature) {
		t.Fatalf("got %v, want ErrSignature", err)
	}
}

func TestVerifierConfigRejects(t *testing.T) {
	key := testKey(t, keys.ES256)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good := rawJWT(t, key, keys.ES256, okHeader, `{`+okSub+`,"iat":1686920170,`+okLst+`}`)
	tests := []struct {
		name string
		v    *Verifier
		want error
	}{
		{"nil verifier", nil, ErrAlgorithm},
		{"no key", &Verifier{}, ErrAlgorithm},
		{"RSA key", &Verifier{Key: &rsaKey.PublicKey}, ErrAlgorithm},
		{"skew too large", &Verifier{Key: key.Public(), Skew: time.Hour}, ErrMalformed},
		{"token over cap", &Verifier{Key: key.Public(), MaxTokenBytes: 10}, ErrTooLarge},
		{"list over cap", &Verifier{Key: key.Public(), MaxListBytes: 1}, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.v != nil {
				tt.v.Now = fixedClock(vectorTime)
			}
			if _, err := tt.v.VerifyJWT(good); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// rawCWT builds and signs (ES256) a COSE_Sign1_Tagged message by hand, so
// tests can make headers internal/cose itself would refuse to sign.
func rawCWT(t testing.TB, key crypto.Signer, protected map[int64]any, payload []byte) []byte {
	t.Helper()
	m := map[any]any{}
	for k, v := range protected {
		m[k] = v
	}
	prot, err := strictcbor.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	tbs, err := strictcbor.Marshal([]any{"Signature1", prot, []byte{}, payload})
	if err != nil {
		t.Fatal(err)
	}
	js, err := jose.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	// A COSE ECDSA signature is r||s like a JWS one (RFC 9053 §2.1).
	sig, err := js.SignInput(rand.Reader, string(tbs), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := strictcbor.Marshal(cbor.Tag{Number: 18, Content: []any{prot, map[any]any{}, payload, sig}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func cborClaims(t testing.TB, m map[any]any) []byte {
	t.Helper()
	b, err := strictcbor.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyCWTRejects(t *testing.T) {
	key := testKey(t, keys.ES256)
	v := &Verifier{Key: key.Public(), Now: fixedClock(vectorTime)}
	hdr := map[int64]any{cose.HeaderAlg: cose.AlgES256, cose.HeaderType: CWTType}
	lst := []byte{0x78, 0xda, 0xdb, 0xb9, 0x18, 0x00, 0x02, 0x17, 0x01, 0x5d}
	sl := map[string]any{"bits": 1, "lst": lst}
	claims := func(edit func(map[any]any)) []byte {
		m := map[any]any{2: "https://example.com/statuslists/1", 6: 1686920170, 65533: sl}
		if edit != nil {
			edit(m)
		}
		return cborClaims(t, m)
	}
	good := rawCWT(t, key, hdr, claims(nil))
	if _, err := v.VerifyCWT(good); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	untagged := good[1:]
	cwtTagged := append([]byte{0xd8, 0x3d}, good...) // tag 61 around tag 18
	hdrWith := func(k int64, val any) map[int64]any {
		h := map[int64]any{}
		for a, b := range hdr {
			h[a] = b
		}
		if val == nil {
			delete(h, k)
		} else {
			h[k] = val
		}
		return h
	}
	detachedSigner, err := cose.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	detached, err := detachedSigner.Sign1(rand.Reader, cose.Sign1Params{Form: cose.Tagged, Payload: claims(nil), Detached: true,
		Protected: []cose.HeaderParam{{Label: cose.HeaderType, Value: CWTType}}})
	if err != nil {
		t.Fatal(err)
	}
	dupClaims := append([]byte{0xa4}, claims(nil)[1:]...)
	dupClaims = append(dupClaims, 0x02, 0x61, 0x78) // second key 2
	tests := []struct {
		name  string
		token []byte
		want  error
	}{
		{"empty", nil, ErrMalformed},
		{"untagged", untagged, ErrMalformed},
		{"CWT tag 61", cwtTagged, ErrMalformed},
		{"garbage after tag", []byte{0xd2, 0xff}, ErrMalformed},
		{"detached payload", detached, ErrMalformed},
		{"crit", rawCWT(t, key, hdrWith(cose.HeaderCrit, []any{99}), claims(nil)), ErrMalformed},
		{"alg missing", rawCWT(t, key, hdrWith(cose.HeaderAlg, nil), claims(nil)), ErrAlgorithm},
		{"alg keys.ES384", rawCWT(t, key, hdrWith(cose.HeaderAlg, cose.AlgES384), claims(nil)), ErrAlgorithm},
		{"type missing", rawCWT(t, key, hdrWith(cose.HeaderType, nil), claims(nil)), ErrType},
		{"type other", rawCWT(t, key, hdrWith(cose.HeaderType, "application/cwt"), claims(nil)), ErrType},
		{"signature by other key", rawCWT(t, testKey(t, keys.ES256), hdr, claims(nil)), ErrSignature},
		{"duplicate claim key", rawCWT(t, key, hdr, dupClaims), ErrMalformed},
		{"no sub", rawCWT(t, key, hdr, claims(func(m map[any]any) { delete(m, 2) })), ErrMalformed},
		{"sub bytes", rawCWT(t, key, hdr, claims(func(m map[any]any) { m[2] = []byte("https://x") })), ErrMalformed},
		{"no iat", rawCWT(t, key, hdr, claims(func(m map[any]any) { delete(m, 6) })), ErrMalformed},
		{"iat negative", rawCWT(t, key, hdr, claims(func(m map[any]any) { m[6] = -5 })), ErrMalformed},
		{"iat tagged", rawCWT(t, key, hdr, claims(func(m map[any]any) { m[6] = cbor.Tag{Number: 1, Content: 1686920170} })), ErrMalformed},
		{"ttl zero", rawCWT(t, key, hdr, claims(func(m map[any]any) { m[65534] = 0 })), ErrMalformed},
		{"ttl float", rawCWT(t, key, hdr, claims(func(m map[any]any) { m[65534] = 1.5 })), ErrMalformed},
		{"no status_list", rawCWT(t, key, hdr, claims(func(m map[any]any) { delete(m, 65533) })), ErrMalformed},
		{"bits 3", rawCWT(t, key, hdr, claims(func(m map[any]any) { m[65533] = map[string]any{"bits": 3, "lst": lst} })), ErrBits},
		{"bits 257", rawCWT(t, key, hdr, claims(func(m map[any]any) { m[65533] = map[string]any{"bits": 257, "lst": lst} })), ErrBits},
		{"lst text", rawCWT(t, key, hdr, claims(func(m map[any]any) { m[65533] = map[string]any{"bits": 1, "lst": "eNrbuRgAAhcBXQ"} })), ErrMalformed},
		{"no lst", rawCWT(t, key, hdr, claims(func(m map[any]any) { m[65533] = map[string]any{"bits": 1} })), ErrMalformed},
		{"expired", rawCWT(t, key, hdr, claims(func(m map[any]any) { m[4] = 1686920171 })), ErrExpired},
		{"nbf future", rawCWT(t, key, hdr, claims(func(m map[any]any) { m[5] = 2000000000 })), ErrNotYetValid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := v.VerifyCWT(tt.token)
			if !errors.Is(err, tt.want) || tok != nil {
				t.Fatalf("got %v, %v; want %v", tok, err, tt.want)
			}
		})
	}
}

func TestStatusClaimParsing(t *testing.T) {
	good := Reference{Index: 42, URI: "https://status.ikd.example.id/lists/32/7"}
	enc, err := json.Marshal(map[string]any{"status": StatusClaim{StatusList: &good}})
	if err != nil {
		t.Fatal(err)
	}
	if string(enc) != `{"status":{"status_list":{"idx":42,"uri":"https://status.ikd.example.id/lists/32/7"}}}` {
		t.Fatalf("JSON form %s", enc)
	}
	jsonTests := []struct {
		name, in string
		want     error
	}{
		{"ok", `{"status_list":{"idx":42,"uri":"https://status.ikd.example.id/lists/32/7"}}`, nil},
		{"other mechanism beside", `{"status_list":{"idx":0,"uri":"https://a.example"},"other":{}}`, nil},
		{"not object", `[1]`, ErrMalformed},
		{"no status_list", `{"other":{}}`, ErrMalformed},
		{"negative idx", `{"status_list":{"idx":-1,"uri":"https://a.example"}}`, ErrMalformed},
		{"fractional idx", `{"status_list":{"idx":1.5,"uri":"https://a.example"}}`, ErrMalformed},
		{"idx string", `{"status_list":{"idx":"1","uri":"https://a.example"}}`, ErrMalformed},
		{"huge idx", `{"status_list":{"idx":18446744073709551616,"uri":"https://a.example"}}`, ErrMalformed},
		{"no uri", `{"status_list":{"idx":1}}`, ErrMalformed},
		{"relative uri", `{"status_list":{"idx":1,"uri":"lists/1"}}`, ErrMalformed},
		{"duplicate idx", `{"status_list":{"idx":1,"idx":2,"uri":"https://a.example"}}`, ErrMalformed},
		{"too large", `{"status_list":{"idx":1,"uri":"https://a.example/` + strings.Repeat("a", MaxStatusClaimBytes) + `"}}`, ErrTooLarge},
	}
	for _, tt := range jsonTests {
		t.Run("json/"+tt.name, func(t *testing.T) {
			sc, err := ParseStatusClaimJSON([]byte(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if err == nil && sc.StatusList == nil {
				t.Fatal("nil reference without error")
			}
		})
	}
	mso, err := (StatusClaim{StatusList: &good}).MarshalCBOR()
	if err != nil {
		t.Fatal(err)
	}
	cb := func(v any) []byte { b, _ := strictcbor.Marshal(v); return b }
	cborTests := []struct {
		name string
		in   []byte
		want error
	}{
		{"ok", mso, nil},
		{"int key", cb(map[int]any{1: map[string]any{"idx": 1, "uri": "https://a.example"}}), ErrMalformed},
		{"negative idx", cb(map[string]any{"status_list": map[string]any{"idx": -1, "uri": "https://a.example"}}), ErrMalformed},
		{"idx float", cb(map[string]any{"status_list": map[string]any{"idx": 1.5, "uri": "https://a.example"}}), ErrMalformed},
		{"uri bytes", cb(map[string]any{"status_list": map[string]any{"idx": 1, "uri": []byte("https://a.example")}}), ErrMalformed},
		{"no idx", cb(map[string]any{"status_list": map[string]any{"uri": "https://a.example"}}), ErrMalformed},
		{"trailing byte", append(bytes_clone(mso), 0), ErrMalformed},
	}
	for _, tt := range cborTests {
		t.Run("cbor/"+tt.name, func(t *testing.T) {
			sc, err := ParseStatusClaimCBOR(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if err == nil && *sc.StatusList != good {
				t.Fatalf("got %+v", sc.StatusList)
			}
		})
	}
}

func bytes_clone(b []byte) []byte { return append([]byte(nil), b...) }
