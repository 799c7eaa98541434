package verifier

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/oid4vp"
)

const (
	vpClientID = "x509_san_dns:bank.example.co.id"
	vpNonce    = "vp-n-0123456789abcdef"
	vpRespURI  = "https://bank.example.co.id/oid4vp/response"
)

func vpQuery(t *testing.T, js string) *oid4vp.Query {
	t.Helper()
	q, err := oid4vp.ParseQuery([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestVerifyVPToken: a vp_token answering an OpenID4VP request verifies
// through the checks of the QR path, with the KB-JWT bound to the client
// identifier and nonce and the mdoc to the OpenID4VP session transcript;
// a vp_token that does not answer the query is refused at the policy
// check.
func TestVerifyVPToken(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	st, err := mdoc.OpenID4VPSessionTranscript(vpClientID, vpNonce, nil, vpRespURI)
	if err != nil {
		t.Fatal(err)
	}
	sd := func(mod func(*sdOpts)) string {
		o := f.ktpOpts()
		o.aud, o.nonce = vpClientID, vpNonce
		if mod != nil {
			mod(&o)
		}
		return f.presentSDJWT(t, o)
	}
	md := func(transcript []byte) string {
		return base64.RawURLEncoding.EncodeToString(f.presentMdoc(t, f.ktpMdoc(), transcript))
	}
	both := vpQuery(t, `{"credentials":[
		{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["`+credential.VCTKTPEL+`"]},"claims":[{"path":["name"]}]},
		{"id":"mdl","format":"mso_mdoc","meta":{"doctype_value":"`+credential.DocTypeKTPEL+`"},"claims":[{"path":["`+credential.DocTypeKTPEL+`","name"]}]}]}`)
	either := vpQuery(t, `{"credentials":[
		{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["`+credential.VCTKTPEL+`"]}},
		{"id":"mdl","format":"mso_mdoc","meta":{"doctype_value":"`+credential.DocTypeKTPEL+`"}}],
		"credential_sets":[{"options":[["pid"],["mdl"]]}]}`)
	otherName := vpQuery(t, `{"credentials":[{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["`+credential.VCTKTPEL+`"]},
		"claims":[{"path":["name"],"values":["ANDI PRATAMA WIJAYA"]}]}]}`)
	npwpOnly := vpQuery(t, `{"credentials":[{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["`+credential.VCTNPWP+`"]}}]}`)
	req := func(q *oid4vp.Query) VPRequest {
		return VPRequest{ClientID: vpClientID, Nonce: vpNonce, Query: q, SessionTranscript: st}
	}
	tests := []struct {
		name  string
		token func() map[string][]string
		req   VPRequest
		check check.Check
		err   error
		n     int
	}{
		{name: "both formats", token: func() map[string][]string { return map[string][]string{"pid": {sd(nil)}, "mdl": {md(st)}} }, req: req(both), n: 2},
		{name: "one option of a credential set", token: func() map[string][]string { return map[string][]string{"mdl": {md(st)}} }, req: req(either), n: 1},
		{name: "KB-JWT for another client", token: func() map[string][]string {
			return map[string][]string{"pid": {sd(func(o *sdOpts) { o.aud = "x509_san_dns:evil.example" })}, "mdl": {md(st)}}
		}, req: req(both), check: check.HolderBinding, err: ErrAudience},
		{name: "KB-JWT with another nonce", token: func() map[string][]string {
			return map[string][]string{"pid": {sd(func(o *sdOpts) { o.nonce = "other-nonce-0123456789" })}}
		}, req: req(either), check: check.Freshness},
		{name: "mdoc over another session transcript", token: func() map[string][]string {
			other, _ := mdoc.OpenID4VPSessionTranscript("x509_san_dns:evil.example", vpNonce, nil, vpRespURI)
			return map[string][]string{"mdl": {md(other)}}
		}, req: req(either), check: check.HolderBinding},
		{name: "a required query unanswered", token: func() map[string][]string { return map[string][]string{"pid": {sd(nil)}} },
			req: req(both), check: check.Policy, err: ErrPolicy},
		{name: "an id the query does not ask", token: func() map[string][]string { return map[string][]string{"other": {sd(nil)}} },
			req: req(either), check: check.Policy, err: ErrPolicy},
		{name: "two presentations without multiple", token: func() map[string][]string { return map[string][]string{"pid": {sd(nil), sd(nil)}} },
			req: req(either), check: check.Policy, err: ErrPolicy},
		{name: "a type the query does not ask", token: func() map[string][]string { return map[string][]string{"pid": {sd(nil)}} },
			req: req(npwpOnly), check: check.Policy, err: ErrPolicy},
		{name: "a claim value the query does not accept", token: func() map[string][]string { return map[string][]string{"pid": {sd(nil)}} },
			req: req(otherName), check: check.Policy, err: ErrPolicy},
		{name: "an asked claim not disclosed", token: func() map[string][]string {
			return map[string][]string{"pid": {sd(func(o *sdOpts) { o.reveal = []sdjwt.Path{{"birthdate"}} })}, "mdl": {md(st)}}
		}, req: req(both), check: check.Policy, err: ErrPolicy},
		{name: "mdoc not base64url", token: func() map[string][]string { return map[string][]string{"mdl": {"%%%"}} },
			req: req(either), check: check.Format, err: ErrMalformed},
		{name: "empty vp_token", token: func() map[string][]string { return map[string][]string{} },
			req: req(either), check: check.Format, err: ErrMalformed},
		{name: "no client identifier", token: func() map[string][]string { return map[string][]string{"pid": {sd(nil)}} },
			req: VPRequest{Nonce: vpNonce, Query: either}, check: check.Input, err: ErrConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := f.verifier(t, nil).VerifyVPToken(ctx, tc.token(), tc.req)
			if tc.check == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Credentials()) != tc.n || res.NIK() != testNIK {
					t.Fatalf("%d credentials, NIK %q", len(res.Credentials()), res.NIK())
				}
				return
			}
			var ce *check.Error
			if !errors.As(err, &ce) || ce.Check != tc.check || (tc.err != nil && !errors.Is(err, tc.err)) {
				t.Fatalf("err = %v, want %v at %s", err, tc.err, tc.check)
			}
		})
	}
	// The same response twice: a replay.
	v := f.verifier(t, nil)
	tok := map[string][]string{"pid": {sd(nil)}}
	if _, err := v.VerifyVPToken(ctx, tok, req(either)); err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyVPToken(ctx, tok, req(either)); !errors.Is(err, ErrReplay) {
		t.Fatalf("replayed vp_token: %v", err)
	}
}
