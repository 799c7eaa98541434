package holder

import (
	"context"
	"crypto"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/oid4vp"
)

// Errors of the OpenID4VP flow ([Wallet.ReadVPRequest],
// [Wallet.AnswerVPRequest]), next to the package's other sentinels: a
// signed request that does not verify or whose verifier is not
// registered, or asks beyond its registration, is ErrUntrustedVerifier;
// a query the wallet cannot answer ErrNoMatch; a refusal
// ErrConsentRefused.
var (
	// ErrVPRequest: an OpenID4VP request cannot be used: the link is
	// malformed, unsigned or of an unsupported client identifier prefix
	// or response mode, or its Request Object cannot be fetched. An
	// *oid4vp.ProtocolError in the chain says why.
	ErrVPRequest = errors.New("holder: OpenID4VP request not usable")
	// ErrRequestExpired: the Request Object is not fresh (iat too old or
	// in the future, exp passed), or the VPRequest expired before it was
	// answered. Nothing was disclosed.
	ErrRequestExpired = errors.New("holder: OpenID4VP request expired")
	// ErrResponseFailed: the response could not be delivered to the
	// verifier's response_uri, or it answered with an error. The copies
	// presented left the wallet and stay spent; the activity history
	// says so (ActivityPresentationNotDelivered).
	ErrResponseFailed = errors.New("holder: OpenID4VP response not delivered")
)

// ActivityPresentationNotDelivered records an OpenID4VP presentation
// whose post to the verifier failed after its copies were spent: they
// may have reached the verifier, so they are never presented again as
// unspent.
const ActivityPresentationNotDelivered ActivityKind = "presentation_not_delivered"

// DefaultVPTimeout is the time limit of each HTTP request of the
// OpenID4VP flow when VPOptions.HTTPClient is nil.
const DefaultVPTimeout = 30 * time.Second

// VPOptions configure [Wallet.ReadVPRequest].
type VPOptions struct {
	// Verifiers is the trust list whose registered verifiers ("pengguna
	// data") may ask; nil means the list of Options.Trust when it is a
	// [TrustList], else nobody is trusted (ErrConfig).
	Verifiers *trustlist.List
	// HTTPClient fetches the Request Object; nil means a client with
	// DefaultVPTimeout. Redirects are never followed, whatever it says.
	HTTPClient *http.Client
}

// VPRequest is a verified OpenID4VP 1.0 request from a registered
// verifier, read by [Wallet.ReadVPRequest], to show the user and to
// answer with [Wallet.AnswerVPRequest].
type VPRequest struct {
	// Verifier is the registered verifier's identifier in the trust
	// list, VerifierName its registered name.
	Verifier, VerifierName string
	// ClientID is the request's full client_id, with its prefix: the
	// audience of the presentations of a redirect-based request. "" for
	// an unsigned Digital Credentials API request.
	ClientID string
	// Origin is, for a request over the Digital Credentials API
	// ([Wallet.ReadDCAPIRequest]), the origin of the page that asked, as
	// the platform asserted it: the audience of the presentations
	// ("origin:" + Origin). "" for a redirect-based request.
	Origin string
	// VerifierInfo are the request's verifier_info attestations
	// (purpose, registration), as sent: unverified by the wallet.
	VerifierInfo []oid4vp.VerifierInfo
	// Query is the DCQL query; every type and claim it asks for is within
	// the verifier's registration.
	Query *oid4vp.Query
	// ExpiresAt is when the request expires: its exp, or iat +
	// oid4vp.DefaultMaxAge without one.
	ExpiresAt time.Time
	// Grant, when set, is the standing authorisation the request asks
	// for: a login through the registered verifier (the IKD login
	// provider) that a relying party keeps until Grant.Until unless
	// withdrawn. Answering it stores a [Grant].
	Grant *GrantRequest

	req        *oid4vp.AuthorizationRequest
	registered trustlist.Verifier
	hc         *http.Client
}

// VPAnswer is the outcome of [Wallet.AnswerVPRequest].
type VPAnswer struct {
	// Shared is what was shared, as the consent callback saw it.
	Shared []ConsentItem
	// RedirectURI, when set, is where the verifier asks the wallet to
	// send the user agent next (same-device flow).
	RedirectURI string
	// DCAPIData is, for a request over the Digital Credentials API, the
	// response's data object the app hands back to the platform
	// (OpenID4VP 1.0 Appendix A.4): nothing is posted by the wallet.
	DCAPIData []byte
}

const opVP = "openid4vp"

// ReadVPRequest reads an OpenID4VP 1.0 Authorization Request link
// (openid4vp://…, oid4vp.ParseAuthorizationRequest). Only a signed
// request is accepted, by reference (request_uri, fetched with GET, or
// POST with a fresh wallet_nonce when request_uri_method is post) or by
// value, with client identifier prefix x509_san_dns or x509_hash. The
// Request Object is verified with oid4vp.VerifyRequestObject, trusting
// only the registered verifiers of opts.Verifiers: the leaf
// certificate's public key must be one of the Keys of a verifier whose
// ID's host is the x509_san_dns name (for x509_hash, a DNS name of the
// leaf), else ErrUntrustedVerifier. Every credential type and claim of
// the DCQL query must be within that verifier's registration
// (trustlist.Verifier.MayRequest; mdoc claims in the doctype's own
// namespace), else ErrUntrustedVerifier. A Request Object not fresh is
// ErrRequestExpired; other failures ErrVPRequest.
//
// HTTP: https only (http on loopback hosts), no redirects, the Request
// Object at most oid4vp.MaxRequestObjectSize bytes.
func (w *Wallet) ReadVPRequest(ctx context.Context, link string, opts VPOptions) (*VPRequest, error) {
	list, now, rnd, err := w.vpContext(opts)
	if err != nil {
		return nil, err
	}
	ar, err := oid4vp.ParseAuthorizationRequest(link)
	if err != nil {
		return nil, wrapErr(opVP, ErrVPRequest, err, "request link")
	}
	client, err := ar.Client()
	if err != nil {
		return nil, wrapErr(opVP, ErrVPRequest, err, "client_id")
	}
	if client.Prefix != oid4vp.PrefixX509SANDNS && client.Prefix != oid4vp.PrefixX509Hash {
		return nil, errorf(opVP, ErrUntrustedVerifier, "client_id prefix %q: only signed x509_san_dns and x509_hash requests are accepted", client.Prefix)
	}
	if ar.Request == "" && ar.RequestURI == "" {
		return nil, errorf(opVP, ErrUntrustedVerifier, "an unsigned request")
	}
	hc := vpHTTPClient(opts.HTTPClient)
	token, walletNonce := ar.Request, ""
	if token == "" {
		if ar.RequestURIMethod == oid4vp.RequestURIMethodPost {
			if walletNonce, err = oid4vp.NewWalletNonce(rnd); err != nil {
				return nil, wrapErr(opVP, ErrVPRequest, err, "wallet_nonce")
			}
		}
		if token, err = fetchRequestObject(ctx, hc, ar.RequestURI, walletNonce); err != nil {
			return nil, wrapErr(opVP, ErrVPRequest, err, "request_uri")
		}
		// The verifier may have signed it while serving the fetch: its
		// freshness is judged now, not when reading began.
		now = w.opts.now()
	}
	var reg *trustlist.Verifier
	vr, err := oid4vp.VerifyRequestObject(token, oid4vp.VerifyOptions{
		CheckTrust: func(chain []*x509.Certificate, c oid4vp.ClientID) error {
			v, err := registeredVerifier(list, chain[0], c)
			reg = v
			return err
		},
		ClientID:    ar.ClientID,
		WalletNonce: walletNonce,
		Now:         now,
	})
	if err != nil {
		return nil, requestObjectErr(err)
	}
	if reg == nil {
		return nil, errorf(opVP, ErrUntrustedVerifier, "no registered verifier")
	}
	req := vr.Request()
	switch {
	case req.ResponseMode != oid4vp.ResponseModeDirectPost && req.ResponseMode != oid4vp.ResponseModeDirectPostJWT:
		return nil, errorf(opVP, ErrVPRequest, "response_mode %q: only direct_post and direct_post.jwt", req.ResponseMode)
	case req.DCQLQuery == nil:
		return nil, errorf(opVP, ErrVPRequest, "no dcql_query")
	case oid4vp.CheckURL(req.ResponseURI) != nil:
		return nil, errorf(opVP, ErrVPRequest, "response_uri %.200q", req.ResponseURI)
	}
	if err := checkRegistration(reg, req.DCQLQuery); err != nil {
		return nil, err
	}
	grant, err := readGrant(req.VerifierInfo, reg.ID, now)
	if err != nil {
		return nil, err
	}
	exp := vr.ExpiresAt()
	if exp.IsZero() {
		exp = vr.IssuedAt().Add(oid4vp.DefaultMaxAge)
	}
	return &VPRequest{
		Verifier: reg.ID, VerifierName: reg.Name, ClientID: req.ClientID,
		VerifierInfo: req.VerifierInfo, Query: req.DCQLQuery, ExpiresAt: exp, Grant: grant,
		req: req, registered: *reg, hc: hc,
	}, nil
}

// vpContext is what reading a request needs of the wallet: unlocked, the
// trust list of registered verifiers (opts.Verifiers, else the wallet's
// trust list), its clock and randomness.
func (w *Wallet) vpContext(opts VPOptions) (*trustlist.List, time.Time, io.Reader, error) {
	w.mu.Lock()
	err := w.unlockedLocked(opVP)
	list := opts.Verifiers
	if list == nil {
		if t, ok := w.opts.Trust.(trustListTrust); ok {
			list = t.l
		}
	}
	now, rnd := w.opts.now(), w.opts.rand()
	w.mu.Unlock()
	switch {
	case err != nil:
		return nil, time.Time{}, nil, err
	case list == nil:
		return nil, time.Time{}, nil, errorf(opVP, ErrConfig, "no trust list of registered verifiers (VPOptions.Verifiers)")
	}
	return list, now, rnd, nil
}

// requestObjectErr maps a failure of oid4vp.VerifyRequestObject: not
// fresh is ErrRequestExpired; an untrusted or invalid Request Object, a
// wrong wallet_nonce or origin is ErrUntrustedVerifier; anything else
// ErrVPRequest.
func requestObjectErr(err error) error {
	switch {
	case errors.Is(err, oid4vp.ErrNotFresh):
		return wrapErr(opVP, ErrRequestExpired, err, "request object")
	case errors.Is(err, oid4vp.ErrUntrustedVerifier), errors.Is(err, oid4vp.ErrInvalidRequestObject),
		errors.Is(err, oid4vp.ErrWalletNonce), errors.Is(err, oid4vp.ErrOrigin):
		return wrapErr(opVP, ErrUntrustedVerifier, err, "request object")
	}
	return wrapErr(opVP, ErrVPRequest, err, "request object")
}

// ReadDCAPIRequest reads a request that reached the wallet through the W3C
// Digital Credentials API (OpenID4VP 1.0 Appendix A): protocol and data
// are the request's as the platform passed them, origin the origin of the
// web page that asked, as the platform asserts it. Accepted:
//
//   - openid4vp-v1-signed: a Request Object verified as for
//     [Wallet.ReadVPRequest] (a registered verifier's key, x509_san_dns or
//     x509_hash), whose expected_origins include origin (Appendix A.2);
//   - openid4vp-v1-unsigned: known only by its origin, which must be
//     https (http on loopback hosts) on the host of a registered
//     verifier's ID.
//
// Either way the DCQL query must stay within the verifier's
// registration. The answer ([Wallet.AnswerVPRequest]) is bound to origin
// and returned as VPAnswer.DCAPIData. Errors are those of ReadVPRequest;
// multi-signed requests are ErrVPRequest.
func (w *Wallet) ReadDCAPIRequest(ctx context.Context, protocol string, data []byte, origin string, opts VPOptions) (*VPRequest, error) {
	list, now, _, err := w.vpContext(opts)
	if err != nil {
		return nil, err
	}
	o, err := url.Parse(origin)
	if err != nil || o.Host == "" || o.Scheme+"://"+o.Host != origin || oid4vp.CheckURL(origin) != nil {
		return nil, errorf(opVP, ErrVPRequest, "origin %.200q is not an https origin", origin)
	}
	req, err := oid4vp.ParseDCAPIRequest(protocol, data)
	if err != nil {
		return nil, wrapErr(opVP, ErrVPRequest, err, "DC API request")
	}
	var reg *trustlist.Verifier
	exp := now.Add(oid4vp.DefaultMaxAge)
	if protocol == oid4vp.ProtocolSigned {
		vr, err := oid4vp.VerifyRequestObject(req.Request, oid4vp.VerifyOptions{
			CheckTrust: func(chain []*x509.Certificate, c oid4vp.ClientID) error {
				if c.Prefix != oid4vp.PrefixX509SANDNS && c.Prefix != oid4vp.PrefixX509Hash {
					return fmt.Errorf("client_id prefix %q: only x509_san_dns and x509_hash", c.Prefix)
				}
				v, err := registeredVerifier(list, chain[0], c)
				reg = v
				return err
			},
			Origin: origin,
			Now:    now,
		})
		if err != nil {
			return nil, requestObjectErr(err)
		}
		req = vr.Request()
		if e := vr.ExpiresAt(); !e.IsZero() {
			exp = e
		} else {
			exp = vr.IssuedAt().Add(oid4vp.DefaultMaxAge)
		}
	} else {
		// Appendix A.2: an unsigned request is the origin's; the origin
		// must be a registered verifier's.
		for i := range list.Verifiers {
			u, err := url.Parse(list.Verifiers[i].ID)
			if err == nil && u.Hostname() != "" && strings.EqualFold(u.Hostname(), o.Hostname()) {
				reg = &list.Verifiers[i]
				break
			}
		}
	}
	if reg == nil {
		return nil, errorf(opVP, ErrUntrustedVerifier, "no registered verifier for origin %.200q", origin)
	}
	if req.DCQLQuery == nil {
		return nil, errorf(opVP, ErrVPRequest, "no dcql_query")
	}
	if err := checkRegistration(reg, req.DCQLQuery); err != nil {
		return nil, err
	}
	grant, err := readGrant(req.VerifierInfo, reg.ID, now)
	if err != nil {
		return nil, err
	}
	if grant != nil && protocol != oid4vp.ProtocolSigned {
		// The grant entry is as authentic as the Request Object that
		// carries it (package internal/grantinfo): only a signed one.
		return nil, errorf(opVP, ErrVPRequest, "a login grant in an unsigned request")
	}
	return &VPRequest{
		Verifier: reg.ID, VerifierName: reg.Name, ClientID: req.ClientID, Origin: origin,
		VerifierInfo: req.VerifierInfo, Query: req.DCQLQuery, ExpiresAt: exp, Grant: grant,
		req: req, registered: *reg,
	}, nil
}

// registeredVerifier finds the registered verifier of list that owns
// leaf: one of its Keys is the leaf's public key and its ID's host is the
// client's DNS name (x509_san_dns) or one of the leaf's DNS names
// (x509_hash).
func registeredVerifier(list *trustlist.List, leaf *x509.Certificate, c oid4vp.ClientID) (*trustlist.Verifier, error) {
	var names []string
	switch c.Prefix {
	case oid4vp.PrefixX509SANDNS:
		names = []string{c.ID}
	case oid4vp.PrefixX509Hash:
		names = leaf.DNSNames
	}
	pub, ok := leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok {
		return nil, errors.New("the leaf certificate's key is of an unknown type")
	}
	for i := range list.Verifiers {
		v := &list.Verifiers[i]
		u, err := url.Parse(v.ID)
		if err != nil || u.Hostname() == "" {
			continue
		}
		if !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, u.Hostname()) }) {
			continue
		}
		if slices.ContainsFunc(v.Keys, func(k trustlist.Key) bool { return pub.Equal(k.Public) }) {
			return v, nil
		}
	}
	return nil, fmt.Errorf("no registered verifier of %v holds the request's key", names)
}

// checkRegistration refuses a query asking for a type or claim beyond
// reg's registration.
func checkRegistration(reg *trustlist.Verifier, q *oid4vp.Query) error {
	deny := func(format string, args ...any) error {
		return errorf(opVP, ErrUntrustedVerifier, "%s is not registered for %s", reg.ID, fmt.Sprintf(format, args...))
	}
	for _, cq := range q.Credentials {
		var types []string
		switch cq.Format {
		case credential.FormatSDJWT:
			types = cq.Meta.VCTValues
		case credential.FormatMdoc:
			types = []string{cq.Meta.DoctypeValue}
		default:
			return errorf(opVP, ErrVPRequest, "credential format %q not supported", cq.Format)
		}
		for _, typ := range types {
			if _, ok := reg.Claims[typ]; !ok {
				return deny("credential type %s", typ)
			}
			for _, cl := range cq.Claims {
				var name string
				switch {
				case cq.Format == credential.FormatSDJWT && len(cl.Path) > 0:
					name, _ = cl.Path[0].(string)
				case cq.Format == credential.FormatMdoc && len(cl.Path) == 2 && cl.Path[0] == any(typ):
					name, _ = cl.Path[1].(string)
				}
				if name == "" || !reg.MayRequest(typ, name) {
					return deny("claim %s of %s", cl.Path, typ)
				}
			}
		}
	}
	return nil
}

// vpHTTPClient is hc (or a client with DefaultVPTimeout) that never
// follows a redirect: a 3xx is an error of oid4vp.ReadRequestObject and
// oid4vp.ReadResponseResult.
func vpHTTPClient(hc *http.Client) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
	} else {
		c.Timeout = DefaultVPTimeout
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// fetchRequestObject gets the Request Object at uri: GET, or POST of the
// wallet's metadata and walletNonce when walletNonce is set.
func fetchRequestObject(ctx context.Context, hc *http.Client, uri, walletNonce string) (string, error) {
	if err := oid4vp.CheckURL(uri); err != nil {
		return "", err
	}
	var req *http.Request
	var err error
	if walletNonce == "" {
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	} else {
		var form url.Values
		form, err = (&oid4vp.RequestURIPost{WalletNonce: walletNonce, WalletMetadata: walletMetadata()}).Form()
		if err != nil {
			return "", err
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, uri, strings.NewReader(form.Encode()))
		if req != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", oid4vp.ContentTypeRequestObject)
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	return oid4vp.ReadRequestObject(resp)
}

// walletMetadata is what the wallet supports (§10.1).
func walletMetadata() *oid4vp.WalletMetadata {
	return &oid4vp.WalletMetadata{
		VPFormatsSupported: map[credential.Format]oid4vp.VPFormat{
			credential.FormatSDJWT: {}, credential.FormatMdoc: {},
		},
		ClientIDPrefixesSupported: []string{string(oid4vp.PrefixX509SANDNS), string(oid4vp.PrefixX509Hash)},
		ResponseModesSupported:    []string{string(oid4vp.ResponseModeDirectPost), string(oid4vp.ResponseModeDirectPostJWT)},
		ResponseTypesSupported:    []string{oid4vp.ResponseTypeVPToken},
	}
}

// alwaysDisclosed are the claims of an SD-JWT VC that are never
// selectively disclosable (SD-JWT VC §3.2.2.2): every presentation shows
// them.
var alwaysDisclosed = []oid4vp.ClaimsPath{{"iss"}, {"nbf"}, {"exp"}, {"cnf"}, {"vct"}, {"vct#integrity"}, {"status"}}

// vpPick is one credential to present in answer to a Credential Query.
type vpPick struct {
	chosen
	queryID string
	match   oid4vp.CandidateMatch
}

// AnswerVPRequest answers r, read by [Wallet.ReadVPRequest]. It matches
// the DCQL query (oid4vp.Query.Match) against the stored credentials
// that have a live copy, for the smallest disclosure; a query no
// credential satisfies is ErrNoMatch (nothing is sent). For each
// credential it picks the copy as [Wallet.Present] does, under the
// credential's use policy with the registered verifier as identity
// (opts.ReuseSpentCopy decides about a spent one), then asks
// opts.Consent with exactly the claims and values to share. A refusal
// posts an access_denied error response to the verifier and is
// ErrConsentRefused. Otherwise it builds the presentations (SD-JWT+KB
// with aud the client_id and the request's nonce; an mdoc DeviceResponse
// over the OpenID4VP SessionTranscript, with the thumbprint of the
// verifier's key for direct_post.jwt), marks the copies spent and
// records the activity in one transaction, and posts the vp_token to the
// response_uri (direct_post, or encrypted with direct_post.jwt). A
// failed post is ErrResponseFailed and recorded too: the copies stay
// spent.
//
// A login request (r.Grant set) is shown to opts.Consent with its Grant,
// and the [Grant] it makes (relying party, scopes, claims shared, until,
// the copies and their keys) is stored in the same transaction as the
// spent copies and the activity entry (Activity.Grant names it). It stays
// stored when the post then fails: the provider may have received it, and
// [Wallet.RevokeGrant] settles it either way.
//
// A request read by [Wallet.ReadDCAPIRequest] is answered through the
// app instead: the presentations are bound to the origin (aud
// "origin:<origin>", the OpenID4VPDCAPIHandover), nothing is posted, and
// VPAnswer.DCAPIData is the data object (dc_api, or encrypted with
// dc_api.jwt) the app returns to the platform; a refusal is
// ErrConsentRefused only, and the app cancels the platform's request.
func (w *Wallet) AnswerVPRequest(ctx context.Context, r *VPRequest, opts PresentOptions) (*VPAnswer, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.unlockedLocked(opVP); err != nil {
		return nil, err
	}
	if r == nil || r.req == nil {
		return nil, errorf(opVP, ErrInvalidInput, "a VPRequest from ReadVPRequest is required")
	}
	if opts.Consent == nil {
		return nil, errorf(opVP, ErrConfig, "PresentOptions.Consent is required")
	}
	now := w.opts.now()
	if !now.Before(r.ExpiresAt) {
		return nil, errorf(opVP, ErrRequestExpired, "the request expired at %s", r.ExpiresAt.Format(time.RFC3339))
	}
	req := r.req
	who := verifierRef{ID: r.registered.ID, Verified: true}
	creds, err := w.credentialsLocked(ctx, opVP)
	if err != nil {
		return nil, err
	}
	var cands []oid4vp.Candidate
	var held []*Credential
	// Credentials with a copy to use without reuse come first, so that
	// the match (which prefers earlier candidates among equals) takes an
	// unspent credential over one whose copies are all spent.
	usable := make([]*Credential, 0, len(creds))
	var spentOnly []*Credential
	for _, c := range creds {
		if c.Format != credential.FormatSDJWT && c.Format != credential.FormatMdoc {
			continue
		}
		if !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt) {
			continue
		}
		i, reuse := chooseCopy(c, who, now)
		switch {
		case i < 0:
		case reuse:
			spentOnly = append(spentOnly, c)
		default:
			usable = append(usable, c)
		}
	}
	for _, c := range append(usable, spentOnly...) {
		cand := oid4vp.Candidate{Format: c.Format, HolderBinding: true}
		if c.Format == credential.FormatSDJWT {
			cand.VCT, cand.Claims, cand.AlwaysDisclosed = c.VCT, c.Claims(), alwaysDisclosed
		} else {
			cand.Doctype, cand.NameSpaces = c.DocType, matchableElements(c.Elements())
		}
		cands = append(cands, cand)
		held = append(held, c)
		if len(cands) == oid4vp.MaxCandidates {
			break
		}
	}
	m, err := r.Query.Match(cands)
	if err != nil {
		if errors.Is(err, oid4vp.ErrNoMatch) {
			return nil, wrapErr(opVP, ErrNoMatch, err, "the request")
		}
		return nil, wrapErr(opVP, ErrPresentation, err, "matching the query")
	}

	var picks []vpPick
	used := map[string]bool{}
	for _, cm := range m.Credentials {
		for _, ch := range cm.Chosen {
			c := held[ch.Index]
			if used[c.ID] {
				return nil, errorf(opVP, ErrNoMatch, "%s would answer two credential queries", c.Name)
			}
			used[c.ID] = true
			idx, reuse := chooseCopy(c, who, now)
			left := c.left
			if !c.rec.Copies[idx].Spent {
				left--
			}
			share := ConsentItem{Credential: c.Name, Format: c.Format, CopiesLeft: left, Reused: reuse}
			for _, p := range ch.Claims {
				share.Claims = append(share.Claims, SharedClaim{Name: claimName(c.Format, p), Value: claimValue(cands[ch.Index], p)})
			}
			picks = append(picks, vpPick{chosen: chosen{cred: c, share: share, copy: idx, reuse: reuse}, queryID: cm.ID, match: ch})
		}
	}

	prompt := ConsentRequest{Verifier: r.registered.ID, VerifierName: r.registered.Name, Verified: true, ValidFor: r.ExpiresAt.Sub(now), Grant: r.Grant}
	for _, p := range picks {
		if !p.reuse {
			continue
		}
		sc := p.cred.rec.Copies[p.copy]
		if opts.ReuseSpentCopy == nil {
			return nil, errorf(opVP, ErrNoCopyLeft, "%s (%s): every copy was presented; refresh it or allow reuse", p.cred.Name, p.cred.Format)
		}
		ok, err := opts.ReuseSpentCopy(ctx, ReuseRequest{Verifier: r.registered.ID, Verified: true,
			Credential: p.cred.ID, Name: p.cred.Name, Format: p.cred.Format, Copy: sc.N,
			GivenTo: p.cred.Copies[p.copy].GivenTo, Refreshable: p.cred.Refreshable})
		if err != nil || !ok {
			return nil, wrapErr(opVP, ErrNoCopyLeft, err, "%s (%s): reusing a spent copy was refused", p.cred.Name, p.cred.Format)
		}
	}
	act := Activity{Counterparty: r.registered.ID, CounterpartyName: r.registered.Name, Verified: true}
	for _, p := range picks {
		prompt.Items = append(prompt.Items, p.share)
		act.Credentials = append(act.Credentials, p.cred.Name)
		for _, c := range p.share.Claims {
			act.Claims = append(act.Claims, p.cred.Name+": "+c.Name)
		}
		if act.Format == "" || act.Format == p.cred.Format {
			act.Format = p.cred.Format
		} else {
			act.Format = ""
		}
	}
	ok, cerr := opts.Consent(ctx, prompt)
	if cerr != nil || !ok {
		act.Kind = ActivityConsentRefused
		if err := w.update(ctx, func(tx *sql.Tx) error { return w.addActivity(ctx, tx, act) }); err != nil {
			return nil, storeErr(opVP, err)
		}
		refused := wrapErr(opVP, ErrConsentRefused, cerr, "nothing was disclosed")
		if r.Origin != "" {
			// Over the DC API the app cancels the platform's request:
			// that reveals less than an error response (§14.6.2).
			return nil, refused
		}
		form := oid4vp.ErrorResponseForm(oid4vp.NewError(oid4vp.CodeAccessDenied, "the user declined"), req.State)
		if _, err := postResponse(ctx, r.hc, req.ResponseURI, form); err != nil {
			refused.Detail += "; the refusal could not be posted: " + err.Error()
		}
		return nil, refused
	}
	if w.opts.PINPerPresentation {
		dek, err := w.checkPINLocked(ctx, opVP, opts.PIN)
		if err != nil {
			return nil, err
		}
		zero(dek)
	}

	// Build.
	kid := ""
	if req.ResponseMode.Encrypted() {
		k, err := req.ClientMetadata.EncryptionKey()
		if err != nil {
			return nil, wrapErr(opVP, ErrVPRequest, err, "the verifier's encryption key")
		}
		kid = k.KeyID
	}
	resp := &oid4vp.AuthorizationResponse{VPToken: map[string][]string{}, State: req.State}
	for _, p := range picks {
		raw, signer, err := w.openCopy(ctx, opVP, p.cred, p.copy)
		if err != nil {
			return nil, err
		}
		pr, err := w.presentVP(p, raw, signer, req, r.Origin, kid, now)
		if err != nil {
			return nil, err
		}
		resp.VPToken[p.queryID] = append(resp.VPToken[p.queryID], pr)
		sc := p.cred.rec.Copies[p.copy]
		act.Copies = append(act.Copies, CopyUse{Credential: p.cred.ID, Copy: sc.N, Key: sc.Key, Reused: p.reuse})
	}
	var form url.Values
	var dcData []byte
	if r.Origin != "" {
		dcData, err = resp.DCAPIData(req)
	} else {
		form, err = resp.Form(req)
	}
	if err != nil {
		return nil, wrapErr(opVP, ErrPresentation, err, "the response")
	}
	spent := make([]chosen, len(picks))
	for i, p := range picks {
		spent[i] = p.chosen
	}
	act.Kind, act.At = ActivityPresentation, now.UTC()
	var also func(*sql.Tx) error
	if r.Grant != nil {
		// The login's standing authorisation, stored with the spending.
		g, err := w.newGrant(ctx, r, picks, act, now)
		if err != nil {
			return nil, err
		}
		act.Grant = g.ID
		also = func(tx *sql.Tx) error { return w.putGrant(ctx, tx, g) }
	}
	if err := w.spend(ctx, opVP, spent, who, act, also); err != nil {
		return nil, err
	}
	out := &VPAnswer{Shared: prompt.Items}
	if r.Origin != "" {
		out.DCAPIData = dcData
		return out, nil
	}
	res, perr := postResponse(ctx, r.hc, req.ResponseURI, form)
	if perr != nil {
		act.Kind, act.At = ActivityPresentationNotDelivered, w.opts.now().UTC()
		failed := wrapErr(opVP, ErrResponseFailed, perr, "posting to the response_uri")
		if err := w.update(ctx, func(tx *sql.Tx) error { return w.addActivity(ctx, tx, act) }); err != nil {
			failed.Detail += "; not recorded: " + err.Error()
		}
		return nil, failed
	}
	out.RedirectURI = res.RedirectURI
	return out, nil
}

// presentVP builds the presentation of p for req: bound to the client_id
// and response_uri, or over the DC API (origin set) to the origin.
func (w *Wallet) presentVP(p vpPick, raw []byte, signer crypto.Signer, req *oid4vp.AuthorizationRequest, origin, kid string, now time.Time) (string, error) {
	aud, err := req.Audience(origin)
	if err != nil {
		return "", wrapErr(opVP, ErrVPRequest, err, "audience")
	}
	switch p.cred.Format {
	case credential.FormatSDJWT:
		u, err := sdjwt.Parse(string(raw))
		if err != nil {
			return "", wrapErr(opVP, ErrCorrupt, err, "stored SD-JWT")
		}
		paths := make([]sdjwt.Path, len(p.match.Disclose))
		for i, d := range p.match.Disclose {
			paths[i] = sdjwt.Path(d)
		}
		sel, err := u.Select(paths...)
		if err != nil {
			return "", wrapErr(opVP, ErrPresentation, err, "SD-JWT selection")
		}
		s, err := sel.Present(sdjwt.KeyBindingOptions{Signer: signer, Audience: aud, Nonce: req.Nonce,
			IssuedAt: now.UTC().Truncate(time.Second), Rand: w.opts.rand()})
		if err != nil {
			return "", wrapErr(opVP, ErrPresentation, err, "SD-JWT+KB")
		}
		return s, nil
	default:
		is, err := mdoc.ParseIssuerSigned(raw)
		if err != nil {
			return "", wrapErr(opVP, ErrCorrupt, err, "stored mdoc")
		}
		st, err := req.MdocSessionTranscript(origin, kid)
		if err != nil {
			return "", wrapErr(opVP, ErrPresentation, err, "SessionTranscript")
		}
		elems := map[string][]string{}
		for _, d := range p.match.Disclose {
			ns, _ := d[0].(string)
			el, _ := d[1].(string)
			elems[ns] = append(elems[ns], el)
		}
		dr, err := mdoc.Present(is, elems, mdoc.PresentOptions{SessionTranscript: st, DeviceKey: signer, Rand: w.opts.rand()})
		if err != nil {
			return "", wrapErr(opVP, ErrPresentation, err, "DeviceResponse")
		}
		return oid4vp.EncodeDeviceResponse(dr), nil
	}
}

// postResponse posts form to the response_uri and reads its answer.
func postResponse(ctx context.Context, hc *http.Client, uri string, form url.Values) (*oid4vp.ResponseResult, error) {
	if err := oid4vp.CheckURL(uri); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return oid4vp.ReadResponseResult(resp)
}

// matchableElements gives full-dates (CBOR tag 1004, or tag 0) as their
// text, so that DCQL values can match them.
func matchableElements(ns map[string]map[string]any) map[string]map[string]any {
	for _, els := range ns {
		for k, v := range els {
			if t, ok := v.(cbor.Tag); ok && (t.Number == 1004 || t.Number == 0) {
				if s, ok := t.Content.(string); ok {
					els[k] = s
				}
			}
		}
	}
	return ns
}

// claimName is how the consent screen and the activity history name a
// claim: the top-level name or mdoc element, else the path.
func claimName(f credential.Format, p oid4vp.ClaimsPath) string {
	if f == credential.FormatMdoc && len(p) == 2 {
		if s, ok := p[1].(string); ok {
			return s
		}
	}
	if len(p) == 1 {
		if s, ok := p[0].(string); ok {
			return s
		}
	}
	return p.String()
}

// claimValue is the value at p of c.
func claimValue(c oid4vp.Candidate, p oid4vp.ClaimsPath) any {
	if c.Format == credential.FormatMdoc {
		ns, _ := p[0].(string)
		el, _ := p[1].(string)
		return c.NameSpaces[ns][el]
	}
	var v any = c.Claims
	for _, e := range p {
		switch x := e.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[x]
		case int:
			a, ok := v.([]any)
			if !ok || x >= len(a) {
				return nil
			}
			v = a[x]
		default:
			return nil
		}
	}
	return v
}
