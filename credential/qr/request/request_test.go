package request

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/qr/internal/wire"
	"github.com/ikdkit/ikdkit/internal/cose"
	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

const (
	testVerifier    = "https://kasir.tokobuku.co.id"
	testVerifierKID = "tokobuku-2026"
)

// testVerifierKey is the verifier key of testdata/qr/request-verifier-key.pem
// (a test-only key), which signed the request seeds.
func testVerifierKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile("../../../testdata/qr/request-verifier-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatal("no PEM block in request-verifier-key.pem")
	}
	k, err := x509.ParseECPrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sampleRequest asks for an identity check (SD-JWT VC) or the same from
// the mdoc, both of the QR profile.
func sampleRequest() Request {
	return Request{
		Verifier: testVerifier,
		Nonce:    []byte("0123456789abcdef"),
		IssuedAt: testNow,
		Expires:  testNow.Add(5 * time.Minute),
		Query: Query{Credentials: []CredentialQuery{
			{ID: "ktp", Format: credential.FormatSDJWT, VCTValues: []string{credential.VCTQR}, Claims: []ClaimQuery{{Path: []any{credential.QRClaimID}}}},
			{ID: "ktp_mdoc", Format: credential.FormatMdoc, DoctypeValue: credential.DocTypeQR, Claims: []ClaimQuery{{Path: []any{credential.DocTypeQR, credential.QRClaimID}}}},
		}},
	}
}

func registration(key crypto.PublicKey) RegisteredVerifier {
	return RegisteredVerifier{
		ID: testVerifier, Name: "Toko Buku Contoh", KeyID: testVerifierKID, Key: key,
		Claims: map[string][]string{
			credential.VCTQR:     {credential.QRClaimID, credential.QRClaimAgeOver18},
			credential.DocTypeQR: {credential.QRClaimID, credential.QRClaimAgeOver18},
		},
	}
}

func requestOptions(key crypto.PublicKey) Options {
	return Options{
		Verifiers: StaticVerifiers(registration(key)),
		Now:       func() time.Time { return testNow.Add(time.Minute) },
	}
}

func encodeRequest(t testing.TB, req Request, key crypto.Signer) qr.Code {
	t.Helper()
	c, err := Encode(req, SignOptions{Signer: key, KeyID: testVerifierKID})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRequestRoundTrip(t *testing.T) {
	p256 := testVerifierKey(t)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ageOnly := sampleRequest()
	ageOnly.Query.Credentials = []CredentialQuery{{ID: "age", Format: credential.FormatSDJWT, VCTValues: []string{credential.VCTQR}, Claims: []ClaimQuery{{Path: []any{credential.QRClaimAgeOver18}}}}}
	nested := sampleRequest()
	nested.Query.Credentials[0].Claims = []ClaimQuery{{Path: []any{credential.QRClaimID, "nik"}}, {Path: []any{credential.QRClaimAgeOver18}}}
	bindingOnly := sampleRequest()
	bindingOnly.Query.Credentials[0].Claims = nil
	bindingOnly.Query.Credentials = bindingOnly.Query.Credentials[:1]
	for _, tc := range []struct {
		name string
		key  crypto.Signer
		req  Request
	}{
		{"ES256 identity both formats", p256, sampleRequest()},
		{"ES384", p384, sampleRequest()},
		{"EdDSA", edKey, sampleRequest()},
		{"age check", p256, ageOnly},
		{"nested path", p256, nested},
		{"holder binding only", p256, bindingOnly},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := encodeRequest(t, tc.req, tc.key)
			if !bytes.HasPrefix(c.Data, []byte("IKR1")) {
				t.Fatalf("prefix %q", c.Data[:5])
			}
			vr, err := Verify(c.Data, requestOptions(tc.key.Public()))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(vr.Request(), tc.req) {
				t.Fatalf("request changed:\n got %#v\nwant %#v", vr.Request(), tc.req)
			}
			if vr.Verifier().Name != "Toko Buku Contoh" || vr.Verifier().ID != testVerifier {
				t.Fatalf("verifier %+v", vr.Verifier())
			}
			// Both QR forms decode: the other mode's payload too.
			body, err := wire.Unwrap(wire.KindRequest, c.Data)
			if err != nil {
				t.Fatal(err)
			}
			other := append([]byte("IKR1#"), body...)
			if c.Mode == qr.Byte {
				other = append([]byte("IKR1:"), wire.Base45Encode(body)...)
			}
			if _, err := Verify(other, requestOptions(tc.key.Public())); err != nil {
				t.Fatalf("other mode: %v", err)
			}
		})
	}
}

// TestRequestSize reports the QR version of typical requests; a request is
// shown on the verifier's screen and must stay a small QR.
func TestRequestSize(t *testing.T) {
	const budget = 10
	key := testVerifierKey(t)
	age := sampleRequest()
	age.Query.Credentials = []CredentialQuery{{ID: "age", Format: credential.FormatSDJWT, VCTValues: []string{credential.VCTQR}, Claims: []ClaimQuery{{Path: []any{credential.QRClaimAgeOver18}}}}}
	for name, req := range map[string]Request{"identity check, both formats": sampleRequest(), "age check, SD-JWT VC": age} {
		c := encodeRequest(t, req, key)
		t.Logf("%s: %d bytes, %s mode, version %d at level M", name, len(c.Data), c.Mode, c.Version)
		if c.Version > budget {
			t.Errorf("%s: request QR needs version %d, budget %d", name, c.Version, budget)
		}
	}
}

// reSign re-frames a COSE_Sign1 built by fn from the parts of a valid
// request, signing the Sig_structure of the (possibly changed) protected
// header and payload with key unless keepSig.
func reSign(t *testing.T, c qr.Code, key crypto.Signer, fn func(parts []any) []any) []byte {
	t.Helper()
	body, err := wire.Unwrap(wire.KindRequest, c.Data)
	if err != nil {
		t.Fatal(err)
	}
	content, err := wire.UnframeBody(body)
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseSign1(content)
	if err != nil {
		t.Fatal(err)
	}
	parts := fn([]any{m.protected, map[int64]any{}, m.payload, m.signature})
	if key != nil {
		parts[3] = signTBS(t, key, mustCBOR(t, []any{"Signature1", parts[0], requestAAD, parts[2]}))
	}
	msg, err := strictcbor.Marshal(parts)
	if err != nil {
		t.Fatal(err)
	}
	nb, err := wire.FrameBody(msg)
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte("IKR1#"), nb...)
}

func mustCBOR(t *testing.T, v any) []byte {
	t.Helper()
	b, err := strictcbor.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyRequestErrors(t *testing.T) {
	key := testVerifierKey(t)
	other := newKey(t)
	valid := encodeRequest(t, sampleRequest(), key)
	payloadOf := func(r Request) []byte { return mustCBOR(t, wireRequestOf(&r)) }

	notAllowedSD := sampleRequest()
	notAllowedSD.Query.Credentials[0].Claims = append(notAllowedSD.Query.Credentials[0].Claims, ClaimQuery{Path: []any{credential.QRClaimAgeOver17}})
	notAllowedMdoc := sampleRequest()
	notAllowedMdoc.Query.Credentials[1].Claims = []ClaimQuery{{Path: []any{credential.DocTypeQR, "portrait"}}}
	otherType := sampleRequest()
	otherType.Query.Credentials[0].VCTValues = []string{credential.VCTQR, credential.VCTQRFull}
	unregistered := sampleRequest()
	unregistered.Verifier = "https://lain.example.co.id"

	for _, tc := range []struct {
		name string
		data []byte
		now  time.Time
		want error
	}{
		{"response QR given", []byte("IKP1:ABC"), testNow, qr.ErrPrefix},
		{"unknown version", append([]byte("IKR2"), valid.Data[4:]...), testNow, qr.ErrVersion},
		{"bit flip", flip(valid.Data, len(valid.Data)/2), testNow, nil},
		{"truncated", valid.Data[:len(valid.Data)-3], testNow, nil},
		{"unregistered verifier", encodeRequest(t, unregistered, key).Data, testNow, ErrUnregisteredVerifier},
		{"unknown kid", func() []byte {
			c, err := Encode(sampleRequest(), SignOptions{Signer: key, KeyID: "other-kid"})
			if err != nil {
				t.Fatal(err)
			}
			return c.Data
		}(), testNow, ErrUnregisteredVerifier},
		{"signed by another key", encodeRequest(t, sampleRequest(), other).Data, testNow, ErrSignature},
		{"algorithm differs from the registered key", func() []byte {
			k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			return encodeRequest(t, sampleRequest(), k).Data
		}(), testNow, ErrSignature},
		{"payload changed after signing", reSign(t, valid, nil, func(p []any) []any {
			r := sampleRequest()
			r.Query.Credentials[0].Claims[0].Path = []any{credential.QRClaimAgeOver18}
			p[2] = payloadOf(r)
			return p
		}), testNow, ErrSignature},
		{"signature of another AAD", reSign(t, valid, nil, func(p []any) []any {
			p[3] = signTBS(t, key, mustCBOR(t, []any{"Signature1", p[0], []byte{}, p[2]}))
			return p
		}), testNow, ErrSignature},
		{"expired", valid.Data, testNow.Add(5 * time.Minute), ErrExpired},
		{"not yet valid", valid.Data, testNow.Add(-time.Minute), ErrExpired},
		{"claim not allowed (SD-JWT)", encodeRequest(t, notAllowedSD, key).Data, testNow, ErrNotAllowed},
		{"claim not allowed (mdoc)", encodeRequest(t, notAllowedMdoc, key).Data, testNow, ErrNotAllowed},
		{"type not registered", encodeRequest(t, otherType, key).Data, testNow, ErrNotAllowed},
		{"unprotected header not empty", reSign(t, valid, key, func(p []any) []any {
			p[1] = map[int64]any{cose.HeaderKID: []byte(testVerifierKID)}
			return p
		}), testNow, qr.ErrMalformed},
		{"extra protected header", reSign(t, valid, key, func(p []any) []any {
			p[0] = mustCBOR(t, map[int64]any{cose.HeaderAlg: -7, cose.HeaderKID: []byte(testVerifierKID), 3: "x"})
			return p
		}), testNow, qr.ErrMalformed},
		{"kid missing", reSign(t, valid, key, func(p []any) []any {
			p[0] = mustCBOR(t, map[int64]any{cose.HeaderAlg: -7, 3: "x"})
			return p
		}), testNow, qr.ErrMalformed},
		{"detached payload", reSign(t, valid, nil, func(p []any) []any {
			p[2] = nil
			return p
		}), testNow, qr.ErrMalformed},
		{"tagged COSE_Sign1", func() []byte {
			msg := mustCBOR(t, cbor.Tag{Number: 18, Content: []any{mustCBOR(t, map[int64]any{1: -7, 4: []byte("k")}), map[int64]any{}, []byte{0x80}, []byte{1}}})
			nb, err := wire.FrameBody(msg)
			if err != nil {
				t.Fatal(err)
			}
			return append([]byte("IKR1#"), nb...)
		}(), testNow, qr.ErrMalformed},
		{"invalid query signed", reSign(t, valid, key, func(p []any) []any {
			r := sampleRequest()
			r.Query.Credentials[1].ID = r.Query.Credentials[0].ID
			p[2] = payloadOf(r)
			return p
		}), testNow, qr.ErrMalformed},
		{"mdoc path of three", reSign(t, valid, key, func(p []any) []any {
			r := sampleRequest()
			r.Query.Credentials[1].Claims[0].Path = []any{credential.DocTypeQR, credential.QRClaimID, "nik"}
			p[2] = payloadOf(r)
			return p
		}), testNow, qr.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := requestOptions(key.Public())
			opts.Now = func() time.Time { return tc.now }
			vr, err := Verify(tc.data, opts)
			if err == nil {
				t.Fatal("accepted")
			}
			var e *qr.Error
			if vr != nil || !errors.As(err, &e) {
				t.Fatalf("error %T %v with result %v", err, err, vr)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.want == nil && !errors.Is(err, qr.ErrChecksum) && !errors.Is(err, qr.ErrTruncated) && !errors.Is(err, qr.ErrEncoding) {
				t.Fatalf("corruption reported as %v", err)
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	out := bytes.Clone(b)
	if out[4] == wire.SepBase45 {
		// Swap for another base45 character so the text stays base45.
		if out[i] == '0' {
			out[i] = '1'
		} else {
			out[i] = '0'
		}
		return out
	}
	out[i] ^= 0x10
	return out
}

func TestEncodeRequestOptions(t *testing.T) {
	key := testVerifierKey(t)
	mod := func(f func(r *Request)) Request {
		r := sampleRequest()
		f(&r)
		return r
	}
	for _, tc := range []struct {
		name string
		req  Request
		opts SignOptions
	}{
		{"no signer", sampleRequest(), SignOptions{KeyID: testVerifierKID}},
		{"no kid", sampleRequest(), SignOptions{Signer: key}},
		{"short nonce", mod(func(r *Request) { r.Nonce = r.Nonce[:7] }), SignOptions{}},
		{"no verifier", mod(func(r *Request) { r.Verifier = "" }), SignOptions{}},
		{"valid too long", mod(func(r *Request) { r.Expires = r.IssuedAt.Add(MaxValidity + time.Second) }), SignOptions{}},
		{"expires before issued", mod(func(r *Request) { r.Expires = r.IssuedAt }), SignOptions{}},
		{"fractional seconds", mod(func(r *Request) { r.Expires = r.Expires.Add(time.Millisecond) }), SignOptions{}},
		{"no credentials", mod(func(r *Request) { r.Query.Credentials = nil }), SignOptions{}},
		{"bad id", mod(func(r *Request) { r.Query.Credentials[0].ID = "ktp el" }), SignOptions{}},
		{"duplicate id", mod(func(r *Request) { r.Query.Credentials[1].ID = "ktp" }), SignOptions{}},
		{"unknown format", mod(func(r *Request) { r.Query.Credentials[0].Format = "jwt_vc_json" }), SignOptions{}},
		{"no vct", mod(func(r *Request) { r.Query.Credentials[0].VCTValues = nil }), SignOptions{}},
		{"mdoc with vct", mod(func(r *Request) { r.Query.Credentials[1].VCTValues = []string{"x"} }), SignOptions{}},
		{"SD-JWT path starting with index", mod(func(r *Request) { r.Query.Credentials[0].Claims[0].Path = []any{0} }), SignOptions{}},
		{"SD-JWT path with negative index", mod(func(r *Request) { r.Query.Credentials[0].Claims[0].Path = []any{"a", -1} }), SignOptions{}},
		{"SD-JWT path with float", mod(func(r *Request) { r.Query.Credentials[0].Claims[0].Path = []any{"a", 1.5} }), SignOptions{}},
		{"mdoc path of one", mod(func(r *Request) { r.Query.Credentials[1].Claims[0].Path = []any{credential.QRClaimID} }), SignOptions{}},
		{"duplicate path", mod(func(r *Request) {
			r.Query.Credentials[0].Claims = append(r.Query.Credentials[0].Claims, ClaimQuery{Path: []any{credential.QRClaimID}})
		}), SignOptions{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			if o == (SignOptions{}) {
				o = SignOptions{Signer: key, KeyID: testVerifierKID}
			}
			if _, err := Encode(tc.req, o); !errors.Is(err, qr.ErrOptions) {
				t.Fatalf("got %v, want qr.ErrOptions", err)
			}
		})
	}
}

// TestVerifiedBinding: the response binding of a verified request is its
// verifier as the audience, the time given (whole seconds, UTC) and its
// nonce; the getters return copies, so a caller cannot change what was
// verified. (The response itself carrying the binding is package qr's
// TestPresentBindsResponse; the whole two-way flow is package verifier's
// TestTwoWayFromRequestQR.)
func TestVerifiedBinding(t *testing.T) {
	key := testVerifierKey(t)
	vr, err := Verify(encodeRequest(t, sampleRequest(), key).Data, requestOptions(key.Public()))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 17, 0, 10, 500, time.FixedZone("WIB", 7*3600))
	b := vr.Binding(at)
	if b.Audience != testVerifier || !b.IssuedAt.Equal(at.Truncate(time.Second)) || b.IssuedAt.Location() != time.UTC ||
		!bytes.Equal(b.Nonce, sampleRequest().Nonce) {
		t.Fatalf("binding %+v", b)
	}
	b.Nonce[0] ^= 1
	r := vr.Request()
	r.Nonce[0] ^= 1
	r.Query.Credentials[0].VCTValues[0] = "x"
	r.Query.Credentials[0].Claims[0].Path[0] = "x"
	reg := vr.Verifier()
	reg.Claims[credential.VCTQR][0] = "x"
	if !reflect.DeepEqual(vr.Request(), sampleRequest()) || !reflect.DeepEqual(vr.Verifier(), registration(key.Public())) ||
		!bytes.Equal(vr.Binding(at).Nonce, sampleRequest().Nonce) {
		t.Fatal("a copy changed the verified request")
	}
}

func TestRequestQueryHelpers(t *testing.T) {
	q := sampleRequest().Query
	if got := q.Credentials[0].SDJWTPaths(); len(got) != 1 || got[0][0] != credential.QRClaimID {
		t.Fatalf("SDJWTPaths %v", got)
	}
	if got := q.Credentials[0].MdocRequest(); got != nil {
		t.Fatalf("MdocRequest of an SD-JWT query %v", got)
	}
	if got := q.Credentials[1].MdocRequest(); !reflect.DeepEqual(got, map[string][]string{credential.DocTypeQR: {credential.QRClaimID}}) {
		t.Fatalf("MdocRequest %v", got)
	}
	if got := q.Credentials[1].Types(); !reflect.DeepEqual(got, []string{credential.DocTypeQR}) {
		t.Fatalf("Types %v", got)
	}
	reg := registration(nil)
	for _, tc := range []struct {
		format credential.Format
		typ    string
		path   []any
		want   bool
	}{
		{credential.FormatSDJWT, credential.VCTQR, []any{credential.QRClaimID, "nik"}, true},
		{credential.FormatSDJWT, credential.VCTQR, []any{credential.QRClaimAgeOver17}, false},
		{credential.FormatSDJWT, credential.VCTQRFull, []any{credential.QRClaimID}, false},
		{credential.FormatMdoc, credential.DocTypeQR, []any{"any.namespace", credential.QRClaimID}, true},
		{credential.FormatMdoc, credential.DocTypeQR, []any{credential.QRClaimID}, false},
		{credential.FormatSDJWT, credential.VCTQR, nil, false},
	} {
		if got := reg.MayRequest(tc.format, tc.typ, tc.path); got != tc.want {
			t.Errorf("MayRequest(%s, %s, %v) = %v", tc.format, tc.typ, tc.path, got)
		}
	}
}

// signTBS signs COSE to-be-signed bytes by hand: a COSE ECDSA signature is
// r||s like a JWS one (RFC 9053 §2.1, RFC 7518 §3.4).
func signTBS(t *testing.T, key crypto.Signer, tbs []byte) []byte {
	t.Helper()
	js, err := jose.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := js.SignInput(rand.Reader, string(tbs), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// TestRequestSeeds: the stored request payloads (testdata/qr) still verify
// with the test verifier key, in both QR modes.
func TestRequestSeeds(t *testing.T) {
	key := testVerifierKey(t)
	for _, name := range []string{"request-identity.payload", "request-age-bytes.payload"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile("../../../testdata/qr/" + name)
			if err != nil {
				t.Fatal(err)
			}
			vr, err := Verify(b, requestOptions(key.Public()))
			if err != nil {
				t.Fatal(err)
			}
			if vr.Request().Verifier != testVerifier || len(vr.Request().Query.Credentials) == 0 {
				t.Fatalf("request %+v", vr.Request())
			}
		})
	}
}

// TestFinding7UnregisteredTypeZeroClaims (issue 17, finding 7): a request
// signed by a registered verifier that asks for no claims of a credential
// type its registration does not list is refused. A presentation with zero
// disclosures still reveals iss, vct, cnf, the status index and
// issuing_authority, so asking for the type is asking for those.
func TestFinding7UnregisteredTypeZeroClaims(t *testing.T) {
	key := testVerifierKey(t)
	for _, tc := range []struct {
		name string
		q    CredentialQuery
	}{
		{"SD-JWT VC of an unregistered vct", CredentialQuery{ID: "npwp", Format: credential.FormatSDJWT, VCTValues: []string{credential.VCTNPWP}}},
		{"SD-JWT VC, one of its vct values unregistered", CredentialQuery{ID: "ktp", Format: credential.FormatSDJWT, VCTValues: []string{credential.VCTQR, credential.VCTKTPEL}}},
		{"mdoc of an unregistered doctype", CredentialQuery{ID: "ktp", Format: credential.FormatMdoc, DoctypeValue: credential.DocTypeKTPEL}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := sampleRequest()
			req.Query.Credentials = []CredentialQuery{tc.q}
			vr, err := Verify(encodeRequest(t, req, key).Data, requestOptions(key.Public()))
			if !errors.Is(err, ErrNotAllowed) || vr != nil {
				t.Fatalf("got %v (result %v), want ErrNotAllowed", err, vr)
			}
		})
	}
}
