package qr

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/internal/jose"
)

// TestPresentBindsResponse: a response made with the binding of a request
// (its verifier as the audience, its nonce; what request.Verified.Binding
// gives) carries that binding in every presentation, in both formats: the
// mdoc binding, and the SD-JWT's KB-JWT (aud, and nonce in base64url,
// docs/qr-format.md §5). Package verifier checks them (its
// TestTwoWayFromRequestQR).
func TestPresentBindsResponse(t *testing.T) {
	f := newFixture(t)
	nonce := []byte("0123456789abcdef")
	b := Binding{Audience: testAudience, IssuedAt: testNow.Add(10 * time.Second), Nonce: nonce}
	idp, idm := identityCheck()
	sd, err := PresentSDJWT(f.profileSDJWT(t, true), idp, b, f.holderKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	md, err := PresentMdoc(f.profileMdoc(t, true), idm, b, f.holderKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	env := Envelope{Presentations: []Presentation{sd, md}}
	resp, err := Encode(env)
	if err != nil {
		t.Fatal(err)
	}

	got, err := Decode(resp.Data)
	if err != nil {
		t.Fatal(err)
	}
	f.sameEnvelope(t, got, env)
	if len(got.Presentations) != 2 || got.Presentations[0].SDJWT == "" || got.Presentations[1].Mdoc == nil {
		t.Fatalf("decoded %+v", got)
	}
	if m := got.Presentations[1].Mdoc.Binding; m.Audience != testAudience || !bytes.Equal(m.Nonce, nonce) || !m.IssuedAt.Equal(b.IssuedAt) {
		t.Fatalf("mdoc binding %+v", m)
	}
	u, err := sdjwt.Parse(got.Presentations[0].SDJWT)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := jose.Parse(u.KeyBindingJWT(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Aud, Nonce string
		Iat        int64
	}
	if err := json.Unmarshal(kb.Payload, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Aud != testAudience || claims.Nonce != base64.RawURLEncoding.EncodeToString(nonce) || claims.Iat != b.IssuedAt.Unix() {
		t.Fatalf("KB-JWT aud %q nonce %q iat %d", claims.Aud, claims.Nonce, claims.Iat)
	}
}
