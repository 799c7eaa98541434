package verifier

import (
	"context"
	"encoding/base64"
	"slices"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/oid4vp"
)

// VPRequest is what this verifier asked for in an OpenID4VP 1.0
// Authorization Request: what a vp_token must answer.
type VPRequest struct {
	// ClientID is the request's client identifier with its prefix (for
	// example "x509_san_dns:bank.example.co.id"): the aud of every KB-JWT
	// (OpenID4VP 1.0 Appendix B.3.6) and part of the mdoc
	// SessionTranscript (Appendix B.2.6.1). Required.
	ClientID string
	// Nonce is the request's nonce: the KB-JWT nonce, and part of the mdoc
	// SessionTranscript. Required.
	Nonce string
	// Query is the request's DCQL query. Required.
	Query *oid4vp.Query
	// SessionTranscript is the mdoc SessionTranscript of the request
	// (mdoc.OpenID4VPSessionTranscript, or
	// mdoc.OpenID4VPDCAPISessionTranscript over the DC API); required
	// when an mso_mdoc presentation is answered.
	SessionTranscript []byte
}

// MaxVPTokenPresentations caps the presentations of one vp_token.
const MaxVPTokenPresentations = 16

// VerifyVPToken verifies the vp_token of an OpenID4VP 1.0 response
// (§8.1): for each Credential Query id of req.Query, its presentations —
// compact SD-JWT+KB for dc+sd-jwt, a base64url DeviceResponse for
// mso_mdoc (Appendix B). Every presentation goes through the checks of
// the QR path (trust and authorisation, signatures and digests, validity,
// holder binding to req.ClientID and req.Nonce or to the session
// transcript, freshness, replay, status), then the response as a whole
// (one person, the policy); the response must answer req.Query: only its
// ids, each in its format and type, one presentation unless multiple,
// every required query or credential set. Failures are *check.Error, as
// for a QR.
func (v *Verifier) VerifyVPToken(ctx context.Context, vpToken map[string][]string, req VPRequest) (*Result, error) {
	res, err := v.verifyVPToken(ctx, vpToken, req)
	v.observe(ctx, err)
	return res, err
}

// verifyVPToken is VerifyVPToken without the report of its outcome.
func (v *Verifier) verifyVPToken(ctx context.Context, vpToken map[string][]string, req VPRequest) (*Result, error) {
	at := v.now()
	if req.ClientID == "" || req.Nonce == "" || req.Query == nil {
		return nil, fail(check.Input, -1, ErrConfig, nil, "VPRequest needs ClientID, Nonce and Query")
	}
	l, err := v.trustList(at)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, ps := range vpToken {
		n += len(ps)
	}
	if n == 0 || n > MaxVPTokenPresentations {
		return nil, fail(check.Format, -1, ErrMalformed, nil, "vp_token with %d presentations (1 to %d)", n, MaxVPTokenPresentations)
	}
	for id := range vpToken {
		if !slices.ContainsFunc(req.Query.Credentials, func(q oid4vp.CredentialQuery) bool { return q.ID == id }) {
			return nil, fail(check.Policy, -1, ErrPolicy, nil, "vp_token answers %.64q, which the query does not ask", id)
		}
	}
	var creds []*Credential
	presented := map[string][]oid4vp.Presented{}
	// In the query's order, so that results are deterministic.
	for _, q := range req.Query.Credentials {
		for _, p := range vpToken[q.ID] {
			idx := len(creds)
			var got []*Credential
			switch q.Format {
			case credential.FormatSDJWT:
				c, err := v.verifySDJWT(ctx, l, idx, p, req.ClientID, req.Nonce, at)
				if err != nil {
					return nil, err
				}
				got = []*Credential{c}
			case credential.FormatMdoc:
				dr, err := base64.RawURLEncoding.DecodeString(p)
				if err != nil || len(dr) > mdoc.MaxMessageSize {
					return nil, fail(check.Format, idx, ErrMalformed, err, "mso_mdoc presentation is not a base64url DeviceResponse")
				}
				if got, err = v.verifyMdoc(ctx, l, idx, dr, req.SessionTranscript, at, nil); err != nil {
					return nil, err
				}
			default:
				return nil, fail(check.Format, idx, ErrMalformed, nil, "format %.64q", q.Format)
			}
			for _, c := range got {
				presented[q.ID] = append(presented[q.ID], c.presented())
			}
			creds = append(creds, got...)
		}
	}
	// What was verified must answer the query (§6.4, §8.1): formats,
	// types, claims and values, multiple, required queries and sets.
	if err := req.Query.CheckPresented(presented); err != nil {
		return nil, fail(check.Policy, -1, ErrPolicy, err, "the vp_token does not answer the DCQL query")
	}
	return v.finish(creds, at)
}

// presented describes the verified credential for DCQL's
// Query.CheckPresented: only what was disclosed, and the holder binding
// every credential the verifier accepts has.
func (c *Credential) presented() oid4vp.Presented {
	p := oid4vp.Presented{Format: c.format, HolderBinding: true}
	if c.format == credential.FormatMdoc {
		p.Doctype, p.NameSpaces = c.typ, c.nameSpaces
	} else {
		p.VCT, p.Claims = c.typ, c.claims
	}
	return p
}
