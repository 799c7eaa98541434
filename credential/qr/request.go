package qr

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/credential/qr/internal/wire"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/internal/cose"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// Request QR (docs/qr-format.md §10): a verifier's signed request, shown as
// a QR for the holder's wallet to scan in the two-way flow.

// DCQL credential formats (OpenID4VP 1.0 Appendix B.3.1 and B.2.1).
const (
	// FormatSDJWT is the DCQL format identifier of an SD-JWT VC.
	FormatSDJWT = "dc+sd-jwt"
	// FormatMdoc is the DCQL format identifier of an ISO 18013-5 mdoc.
	FormatMdoc = "mso_mdoc"
)

// Caps on a request (docs/qr-format.md §10.4). A decoder rejects anything
// beyond them with ErrMalformed; EncodeRequest with ErrOptions.
const (
	// MaxRequestCredentials caps the credential queries of a request.
	MaxRequestCredentials = 8
	// MaxRequestClaims caps the claims of one credential query.
	MaxRequestClaims = 64
	// MaxRequestTypes caps the vct_values of one credential query.
	MaxRequestTypes = 8
	// MaxClaimPathLen caps the elements of one claims path.
	MaxClaimPathLen = 8
	// MaxRequestStringLen caps every string of a request (verifier
	// identifier, kid, credential id, vct, doctype, path element), in bytes.
	MaxRequestStringLen = 256
	// MaxRequestValidity caps how long a request is valid (Expires minus
	// IssuedAt); a request is made per transaction, its nonce is fresh.
	MaxRequestValidity = time.Hour
)

// requestAAD is the COSE external_aad of a request signature
// (docs/qr-format.md §10.2): it separates request signatures from any other
// COSE_Sign1 the verifier's key makes (mdoc reader authentication, for
// example), at no cost on the wire.
var requestAAD = []byte("IKDQRRequest1")

// Request is a verifier's request (docs/qr-format.md §10): who asks, a
// fresh nonce the holder's response must carry, the validity period and
// the claims asked for.
type Request struct {
	// Verifier is the verifier identifier: its trust-list entry and the
	// audience (aud) the holder binds the response to.
	Verifier string
	// Nonce is 8 to 32 random bytes, fresh for each request; the response
	// binding carries it.
	Nonce []byte
	// IssuedAt and Expires bound the request's validity, whole seconds;
	// Expires is after IssuedAt and at most MaxRequestValidity later.
	IssuedAt, Expires time.Time
	// Query is what the verifier asks for.
	Query Query
}

// Query is the compact subset of the OpenID4VP 1.0 Digital Credentials
// Query Language (DCQL, §6) that a request QR carries: a list of
// credential queries, all of which the verifier asks for (no
// credential_sets, no claim_sets, no value matching).
type Query struct {
	Credentials []CredentialQuery
}

// CredentialQuery is one DCQL Credential Query (OpenID4VP 1.0 §6.1).
type CredentialQuery struct {
	// ID identifies the query within the request: non-empty, ASCII
	// letters, digits, '_' and '-' (OpenID4VP 1.0 §6.1), unique.
	ID string
	// Format is FormatSDJWT or FormatMdoc.
	Format string
	// VCTValues is meta.vct_values for FormatSDJWT (OpenID4VP 1.0 B.3.5):
	// the credential types acceptable, at least one.
	VCTValues []string
	// DoctypeValue is meta.doctype_value for FormatMdoc (OpenID4VP 1.0
	// B.2.3).
	DoctypeValue string
	// Claims lists the claims asked for. Empty means no selectively
	// disclosable claim (holder binding only).
	Claims []ClaimQuery
}

// ClaimQuery is one DCQL Claims Query (OpenID4VP 1.0 §6.3): a claims path
// pointer (§7). For FormatSDJWT each element is a string (object member),
// a non-negative int (array element) or nil (every element), and the first
// is a string; for FormatMdoc it is exactly [namespace, element
// identifier] (§7.2).
type ClaimQuery struct {
	Path []any
}

// Types returns the credential types the query accepts: the vct values
// or the doctype.
func (q CredentialQuery) Types() []string {
	if q.Format == FormatMdoc {
		return []string{q.DoctypeValue}
	}
	return slices.Clone(q.VCTValues)
}

// SDJWTPaths returns the claims of an SD-JWT VC query as paths for
// [PresentSDJWT] (nil for an mdoc query).
func (q CredentialQuery) SDJWTPaths() []sdjwt.Path {
	if q.Format != FormatSDJWT {
		return nil
	}
	out := make([]sdjwt.Path, 0, len(q.Claims))
	for _, c := range q.Claims {
		out = append(out, sdjwt.Path(slices.Clone(c.Path)))
	}
	return out
}

// MdocRequest returns the claims of an mdoc query as the namespace →
// element identifiers map [PresentMdoc] takes (nil for an SD-JWT query).
func (q CredentialQuery) MdocRequest() map[string][]string {
	if q.Format != FormatMdoc {
		return nil
	}
	out := map[string][]string{}
	for _, c := range q.Claims {
		if len(c.Path) != 2 {
			continue
		}
		ns, ok1 := c.Path[0].(string)
		el, ok2 := c.Path[1].(string)
		if ok1 && ok2 {
			out[ns] = append(out[ns], el)
		}
	}
	return out
}

// RegisteredVerifier is what the caller's trust list says about a
// verifier key: who it is and which claims it may ask for.
type RegisteredVerifier struct {
	// ID is the verifier identifier.
	ID string
	// Name is its display name, for the wallet to show who is asking.
	Name string
	// KeyID is the kid of Key.
	KeyID string
	// Key is the public key that signs its requests: an *ecdsa.PublicKey
	// (P-256, P-384, P-521) or ed25519.PublicKey. The signature algorithm
	// follows from it, never from the request.
	Key crypto.PublicKey
	// Claims maps a credential type (vct or doctype) to the claim names it
	// may request: SD-JWT top-level claim names or mdoc element
	// identifiers.
	Claims map[string][]string
}

// MayRequest reports whether the verifier may ask for claim path of a
// credential of type typ (docs/qr-format.md §10.3): the top-level claim
// name for an SD-JWT VC, the element identifier for an mdoc.
func (v *RegisteredVerifier) MayRequest(format, typ string, path []any) bool {
	var name string
	switch {
	case format == FormatSDJWT && len(path) > 0:
		name, _ = path[0].(string)
	case format == FormatMdoc && len(path) == 2:
		name, _ = path[1].(string)
	}
	return name != "" && slices.Contains(v.Claims[typ], name)
}

// VerifierLookup finds a registered verifier by identifier and key id,
// typically in the caller's trust list. It returns an error when the
// verifier or the key is not registered.
type VerifierLookup func(verifierID, kid string) (*RegisteredVerifier, error)

// StaticVerifiers is a VerifierLookup over a fixed set of registrations,
// found by ID and KeyID.
func StaticVerifiers(vs ...RegisteredVerifier) VerifierLookup {
	m := make(map[[2]string]RegisteredVerifier, len(vs))
	for _, v := range vs {
		m[[2]string{v.ID, v.KeyID}] = v
	}
	return func(id, kid string) (*RegisteredVerifier, error) {
		if v, ok := m[[2]string{id, kid}]; ok {
			return &v, nil
		}
		return nil, errorf("request", ErrUnregisteredVerifier, "no verifier %q with key %q", id, kid)
	}
}

// RequestSignOptions configure EncodeRequest.
type RequestSignOptions struct {
	// Signer is the verifier's registered key; it is used only through
	// crypto.Signer, so an HSM key works. ES256 (P-256) is the baseline;
	// the algorithm follows from the key.
	Signer crypto.Signer
	// KeyID is the kid of the key in the verifier's trust-list entry.
	KeyID string
	// Rand is the signing randomness; nil means crypto/rand.
	Rand io.Reader
}

// NewRequestNonce returns a fresh random request nonce of DefaultNonceSize
// bytes from r (nil means crypto/rand).
func NewRequestNonce(r io.Reader) ([]byte, error) {
	if r == nil {
		r = rand.Reader
	}
	n := make([]byte, DefaultNonceSize)
	if _, err := io.ReadFull(r, n); err != nil {
		return nil, wrapErr("request", ErrOptions, err, "nonce randomness")
	}
	return n, nil
}

// EncodeRequest signs a request with the verifier's key and packs it into a
// request QR payload (docs/qr-format.md §10): a COSE_Sign1 (RFC 9052 §4.2)
// whose protected header holds the algorithm and the kid of the
// verifier's trust-list entry, framed, compressed and carried like a
// response (§2, §3) behind the prefix "IKR1".
func EncodeRequest(req Request, opts RequestSignOptions) (Code, error) {
	if opts.Signer == nil {
		return Code{}, errorf("request", ErrOptions, "Signer is required")
	}
	if opts.KeyID == "" || len(opts.KeyID) > MaxRequestStringLen {
		return Code{}, errorf("request", ErrOptions, "KeyID must be 1 to %d bytes", MaxRequestStringLen)
	}
	if err := checkRequest(&req); err != nil {
		return Code{}, errorf("request", ErrOptions, "%s", err)
	}
	signer, err := cose.NewSigner(opts.Signer)
	if err != nil {
		return Code{}, wrapErr("request", ErrOptions, err, "signer")
	}
	payload, err := strictcbor.Marshal(wireRequestOf(&req))
	if err != nil {
		return Code{}, wrapErr("request", ErrOptions, err, "payload")
	}
	r := opts.Rand
	if r == nil {
		r = rand.Reader
	}
	// docs/qr-format.md §10.2: untagged, protected {1: alg, 4: kid}, empty
	// unprotected header, attached payload, external_aad "IKDQRRequest1".
	msg, err := signer.Sign1(r, cose.Sign1Params{Form: cose.Untagged, Payload: payload, ExternalAAD: requestAAD,
		Protected: []cose.HeaderParam{{Label: cose.HeaderKID, Value: []byte(opts.KeyID)}}})
	if err != nil {
		return Code{}, wrapErr("request", ErrOptions, err, "signing")
	}
	body, err := wire.FrameBody(msg)
	if err != nil {
		return Code{}, fromWire(err)
	}
	return wrap(wire.KindRequest, body, 0)
}

// RequestOptions configure VerifyRequest.
type RequestOptions struct {
	// Verifiers finds the registered verifier of a request. Required.
	Verifiers VerifierLookup
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// ClockSkew is the tolerance on the request's validity period; at most
	// MaxClockSkew.
	ClockSkew time.Duration
}

// VerifiedRequest is a request whose signature verified with the key of a
// registered verifier, within its validity period, asking only for claims
// the registration allows.
type VerifiedRequest struct {
	// Request is the verified request.
	Request Request
	// Verifier is the registration it verified against: show Name to the
	// holder.
	Verifier RegisteredVerifier
}

// Binding returns the binding of the holder's response to this request
// (docs/qr-format.md §5): the verifier as audience, the time now, the
// request's nonce.
func (v *VerifiedRequest) Binding(now time.Time) Binding {
	return Binding{Audience: v.Request.Verifier, IssuedAt: now.Truncate(time.Second).UTC(), Nonce: bytes.Clone(v.Request.Nonce)}
}

// VerifyRequest decodes a request QR payload and verifies it
// (docs/qr-format.md §10.3), in this order: the prefix, framing and
// structure (ErrPrefix, ErrVersion, ErrChecksum, ErrMalformed, ...); the
// verifier and kid against opts.Verifiers (ErrUnregisteredVerifier); the
// signature with the registered key, the algorithm following from the key
// (ErrSignature); the validity period (ErrExpired); and that every
// credential type asked for is registered for the verifier, even with no
// claims, and every claim is allowed by the registration (ErrNotAllowed). Expiry and
// authorisation are reported only for an authentic request.
func VerifyRequest(data []byte, opts RequestOptions) (*VerifiedRequest, error) {
	if opts.Verifiers == nil {
		return nil, errorf("request", ErrOptions, "Verifiers is required")
	}
	if opts.ClockSkew < 0 || opts.ClockSkew > MaxClockSkew {
		return nil, errorf("request", ErrOptions, "ClockSkew must be 0 to %v", MaxClockSkew)
	}
	body, err := wire.Unwrap(wire.KindRequest, data)
	if err != nil {
		return nil, fromWire(err)
	}
	content, err := wire.UnframeBody(body)
	if err != nil {
		return nil, fromWire(err)
	}
	m, err := parseSign1(content)
	if err != nil {
		return nil, err
	}
	req, err := decodeRequestPayload(m.payload)
	if err != nil {
		return nil, err
	}

	reg, err := opts.Verifiers(req.Verifier, m.kid)
	if err != nil || reg == nil {
		return nil, wrapErr("request", ErrUnregisteredVerifier, err, "verifier %q, kid %q", req.Verifier, m.kid)
	}
	// RFC 9052 §8.1 and RFC 8725-style pinning: the algorithm follows from
	// the registered key; the protected header must name exactly that one
	// (internal/cose), and the signature covers the request's external_aad.
	if err := m.msg.Verify(reg.Key, requestAAD); err != nil {
		return nil, wrapErr("request", ErrSignature, err, "verifier %q", req.Verifier)
	}

	// Authentic from here on.
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	at := now()
	if at.Add(opts.ClockSkew).Before(req.IssuedAt) {
		return nil, errorf("request", ErrExpired, "issued at %v, in the future", req.IssuedAt)
	}
	if !at.Add(-opts.ClockSkew).Before(req.Expires) {
		return nil, errorf("request", ErrExpired, "expired at %v", req.Expires)
	}
	for _, c := range req.Query.Credentials {
		for _, typ := range c.Types() {
			// docs/qr-format.md §10.3 (issue 17, finding 7): every type
			// asked for is registered, zero claims included: a
			// presentation without disclosures still reveals iss, vct,
			// cnf, the status index and issuing_authority.
			if _, ok := reg.Claims[typ]; !ok {
				return nil, errorf("request", ErrNotAllowed, "%s is not registered for %s", reg.ID, typ)
			}
			for _, cl := range c.Claims {
				if !reg.MayRequest(c.Format, typ, cl.Path) {
					return nil, errorf("request", ErrNotAllowed, "%s may not request %v of %s", reg.ID, cl.Path, typ)
				}
			}
		}
	}
	return &VerifiedRequest{Request: *req, Verifier: *reg}, nil
}

// requestSign1 is a request's COSE_Sign1, parsed but not verified.
type requestSign1 struct {
	msg                           *cose.Sign1
	protected, payload, signature []byte
	kid                           string
}

// parseSign1 decodes the request's COSE_Sign1 strictly (docs/qr-format.md
// §10.2; RFC 9052 §4.2 through internal/cose): untagged, protected header
// exactly {1: alg, 4: kid}, empty unprotected header, attached payload.
func parseSign1(b []byte) (*requestSign1, error) {
	msg, err := cose.ParseSign1(b, cose.Untagged)
	if err != nil {
		return nil, wrapErr("request", ErrMalformed, err, "COSE_Sign1")
	}
	if msg.Unprotected.Len() != 0 {
		return nil, errorf("request", ErrMalformed, "unprotected header must be an empty map")
	}
	// A detached (nil) payload is not allowed: the request is the payload.
	if msg.Detached {
		return nil, errorf("request", ErrMalformed, "payload is not a bstr")
	}
	if len(msg.Signature) > 132 {
		return nil, errorf("request", ErrMalformed, "signature is not a bstr of 1 to 132 bytes")
	}
	if msg.Protected.Len() != 2 {
		return nil, errorf("request", ErrMalformed, "protected header must hold exactly alg and kid")
	}
	if _, ok, err := msg.Protected.Int(cose.HeaderAlg); !ok || err != nil {
		return nil, errorf("request", ErrMalformed, "protected header alg is not an integer")
	}
	kid, ok, err := msg.Protected.Bytes(cose.HeaderKID)
	if !ok || err != nil || len(kid) == 0 || len(kid) > MaxRequestStringLen {
		return nil, errorf("request", ErrMalformed, "protected header kid is not a bstr of 1 to %d bytes", MaxRequestStringLen)
	}
	return &requestSign1{msg: msg, protected: msg.RawProtected, payload: msg.Payload, signature: msg.Signature, kid: string(kid)}, nil
}

// Wire form of a request payload (docs/qr-format.md §10.1):
//
//	Request   = [verifier: tstr, nonce: bstr, iat: uint, exp: uint, [1*8 CredQuery]]
//	CredQuery = [id: tstr, 0, vct_values: [1*8 tstr], claims: [* SDJWTPath]] /
//	            [id: tstr, 1, doctype_value: tstr,    claims: [* [tstr, tstr]]]
//	SDJWTPath = [tstr, * (tstr / uint / null)]
const (
	wireFormatSDJWT = 0
	wireFormatMdoc  = 1
)

func wireRequestOf(r *Request) []any {
	creds := make([]any, len(r.Query.Credentials))
	for i, c := range r.Query.Credentials {
		claims := make([]any, len(c.Claims))
		for j, cl := range c.Claims {
			claims[j] = cl.Path
		}
		if c.Format == FormatMdoc {
			creds[i] = []any{c.ID, wireFormatMdoc, c.DoctypeValue, claims}
		} else {
			creds[i] = []any{c.ID, wireFormatSDJWT, c.VCTValues, claims}
		}
	}
	return []any{r.Verifier, r.Nonce, uint64(r.IssuedAt.Unix()), uint64(r.Expires.Unix()), creds}
}

func decodeRequestPayload(b []byte) (*Request, error) {
	bad := func(format string, args ...any) (*Request, error) {
		return nil, errorf("request", ErrMalformed, format, args...)
	}
	var f []cbor.RawMessage
	if err := strictcbor.Unmarshal(b, &f); err != nil || len(f) != 5 {
		return bad("request payload is not a 5-element array")
	}
	var r Request
	var iat, exp uint64
	var creds []cbor.RawMessage
	if strictcbor.Unmarshal(f[0], &r.Verifier) != nil || strictcbor.Unmarshal(f[1], &r.Nonce) != nil ||
		strictcbor.Unmarshal(f[2], &iat) != nil || strictcbor.Unmarshal(f[3], &exp) != nil ||
		strictcbor.Unmarshal(f[4], &creds) != nil {
		return bad("request payload fields have the wrong types")
	}
	if iat > 1<<40 || exp > 1<<40 {
		return bad("request time out of range")
	}
	r.IssuedAt, r.Expires = time.Unix(int64(iat), 0).UTC(), time.Unix(int64(exp), 0).UTC()
	if len(creds) > MaxRequestCredentials {
		return bad("%d credential queries, at most %d", len(creds), MaxRequestCredentials)
	}
	for i, raw := range creds {
		var cf []cbor.RawMessage
		if err := strictcbor.Unmarshal(raw, &cf); err != nil || len(cf) != 4 {
			return bad("credential query %d is not a 4-element array", i)
		}
		var c CredentialQuery
		var format uint64
		var claims []cbor.RawMessage
		if strictcbor.Unmarshal(cf[0], &c.ID) != nil || strictcbor.Unmarshal(cf[1], &format) != nil || strictcbor.Unmarshal(cf[3], &claims) != nil {
			return bad("credential query %d fields have the wrong types", i)
		}
		switch format {
		case wireFormatSDJWT:
			c.Format = FormatSDJWT
			if strictcbor.Unmarshal(cf[2], &c.VCTValues) != nil || c.VCTValues == nil {
				return bad("credential query %d: vct_values is not an array of tstr", i)
			}
		case wireFormatMdoc:
			c.Format = FormatMdoc
			if strictcbor.Unmarshal(cf[2], &c.DoctypeValue) != nil {
				return bad("credential query %d: doctype_value is not a tstr", i)
			}
		default:
			return bad("credential query %d: unknown format %d", i, format)
		}
		if len(claims) > MaxRequestClaims {
			return bad("credential query %d: %d claims, at most %d", i, len(claims), MaxRequestClaims)
		}
		for j, cr := range claims {
			p, err := decodeClaimPath(cr)
			if err != nil {
				return bad("credential query %d claim %d: %s", i, j, err)
			}
			c.Claims = append(c.Claims, ClaimQuery{Path: p})
		}
		r.Query.Credentials = append(r.Query.Credentials, c)
	}
	if err := checkRequest(&r); err != nil {
		return bad("%s", err)
	}
	return &r, nil
}

// decodeClaimPath decodes a claims path whose elements are tstr, uint or
// null (OpenID4VP 1.0 §7); checkRequest checks the rest.
func decodeClaimPath(b []byte) ([]any, error) {
	var raw []cbor.RawMessage
	if err := strictcbor.Unmarshal(b, &raw); err != nil {
		return nil, errString("path is not an array")
	}
	if len(raw) == 0 || len(raw) > MaxClaimPathLen {
		return nil, errString("path must have 1 to 8 elements")
	}
	out := make([]any, len(raw))
	for i, e := range raw {
		switch e[0] >> 5 { // CBOR major type (RFC 8949 §3.1)
		case 0:
			var n uint64
			if err := strictcbor.Unmarshal(e, &n); err != nil || n > MaxDisclosures {
				return nil, errString("array index out of range")
			}
			out[i] = int(n)
		case 3:
			var s string
			if err := strictcbor.Unmarshal(e, &s); err != nil {
				return nil, errString("invalid path string")
			}
			out[i] = s
		case 7:
			if len(e) != 1 || e[0] != 0xf6 {
				return nil, errString("path element is a simple value other than null")
			}
			out[i] = nil
		default:
			return nil, errString("path element is not a string, index or null")
		}
	}
	return out, nil
}

// checkRequest checks a request's content (docs/qr-format.md §10.1,
// OpenID4VP 1.0 §6 and §7); the message is the detail of the caller's
// error.
func checkRequest(r *Request) error {
	if !okString(r.Verifier) {
		return errString("verifier identifier must be 1 to 256 bytes")
	}
	if len(r.Nonce) < MinNonceSize || len(r.Nonce) > MaxNonceSize {
		return errString("nonce must be 8 to 32 bytes")
	}
	if r.IssuedAt.Unix() <= 0 || !r.Expires.After(r.IssuedAt) || r.Expires.Sub(r.IssuedAt) > MaxRequestValidity {
		return errString("expiry must be after the issue time and at most MaxRequestValidity later")
	}
	if r.IssuedAt.Nanosecond() != 0 || r.Expires.Nanosecond() != 0 {
		return errString("request times must be whole seconds")
	}
	if len(r.Query.Credentials) == 0 || len(r.Query.Credentials) > MaxRequestCredentials {
		return errString("a request asks for 1 to 8 credentials")
	}
	ids := map[string]bool{}
	for _, c := range r.Query.Credentials {
		// OpenID4VP 1.0 §6.1: id is a non-empty string of alphanumeric,
		// underscore or hyphen characters, unique within the query.
		if !okString(c.ID) || strings.TrimLeft(c.ID, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "" {
			return errString("credential query id must be alphanumeric, '_' or '-'")
		}
		if ids[c.ID] {
			return errString("duplicate credential query id " + c.ID)
		}
		ids[c.ID] = true
		switch c.Format {
		case FormatSDJWT:
			// OpenID4VP 1.0 B.3.5: vct_values is a non-empty array.
			if len(c.VCTValues) == 0 || len(c.VCTValues) > MaxRequestTypes || c.DoctypeValue != "" {
				return errString("dc+sd-jwt query needs 1 to 8 vct_values and no doctype_value")
			}
			for _, v := range c.VCTValues {
				if !okString(v) {
					return errString("vct value must be 1 to 256 bytes")
				}
			}
		case FormatMdoc:
			if !okString(c.DoctypeValue) || c.VCTValues != nil {
				return errString("mso_mdoc query needs a doctype_value and no vct_values")
			}
		default:
			return errString("credential format must be dc+sd-jwt or mso_mdoc")
		}
		if len(c.Claims) > MaxRequestClaims {
			return errString("too many claims")
		}
		seen := map[string]bool{}
		for _, cl := range c.Claims {
			if err := checkClaimPath(c.Format, cl.Path); err != nil {
				return err
			}
			k := sdjwt.Path(cl.Path).String()
			if seen[k] {
				return errString("duplicate claims path " + k)
			}
			seen[k] = true
		}
	}
	return nil
}

func checkClaimPath(format string, p []any) error {
	if len(p) == 0 || len(p) > MaxClaimPathLen {
		return errString("claims path must have 1 to 8 elements")
	}
	if format == FormatMdoc {
		// OpenID4VP 1.0 §7.2: an mdoc path is [namespace, element identifier].
		ns, ok1 := p[0].(string)
		el, ok2 := p[1%len(p)].(string)
		if len(p) != 2 || !ok1 || !ok2 || !okString(ns) || !okString(el) {
			return errString("mdoc claims path must be [namespace, element identifier]")
		}
		return nil
	}
	// OpenID4VP 1.0 §7.1: strings select members, non-negative integers
	// array elements, null every element; the credential is an object.
	if s, ok := p[0].(string); !ok || !okString(s) {
		return errString("SD-JWT claims path must start with a claim name")
	}
	for _, e := range p[1:] {
		switch v := e.(type) {
		case string:
			if !okString(v) {
				return errString("claims path string must be 1 to 256 bytes")
			}
		case int:
			if v < 0 || v > MaxDisclosures {
				return errString("claims path index out of range")
			}
		case nil:
		default:
			return errString("claims path element must be a string, an index or nil")
		}
	}
	return nil
}

func okString(s string) bool { return s != "" && len(s) <= MaxRequestStringLen }
