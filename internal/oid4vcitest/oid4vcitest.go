// Package oid4vcitest is a scriptable OpenID4VCI 1.0 Credential Issuer for
// the wallet's tests of issuers other than ikdkit's: it can play the
// behaviours the real issuer (issuer.NewHandler, which the wallet's other
// tests, the CLI and the demo run against) never shows — DPoP (RFC 9449)
// off, optional or required with server nonces (use_dpop_nonce), other
// tx_code input modes, error answers and malformed or hostile responses at
// any endpoint, credentials signed by a key the wallet does not trust. It
// is built on the wire types and checks of package oid4vci: Credential
// Issuer and Authorization Server Metadata, Credential Offers by value and
// by reference, the Pre-Authorized Code Flow with tx_code (§6), the Nonce
// (§7), Credential (§8, jwt proofs, Appendix F.1) and Notification (§11)
// Endpoints.
//
// What it issues comes from [Config].Issue. Every endpoint can be replaced
// with [Server.Override] so that a test makes it misbehave, and [Server.Log]
// says what was asked. It is test tooling, not an issuer to deploy: it keeps
// everything in memory, over a loopback httptest server.
package oid4vcitest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// DPoPMode says how the token endpoint treats DPoP (RFC 9449).
type DPoPMode int

// DPoP modes.
const (
	// DPoPOptional advertises ES256 in dpop_signing_alg_values_supported
	// and binds the access token to the DPoP key when the token request
	// carries a proof, else issues a Bearer token.
	DPoPOptional DPoPMode = iota
	// DPoPRequired refuses a token request without a DPoP proof
	// (invalid_dpop_proof).
	DPoPRequired
	// DPoPOff advertises no DPoP and issues Bearer tokens only.
	DPoPOff
)

// Config configures a [Server].
type Config struct {
	// Configurations are credential_configurations_supported; nil means
	// [KTPELConfigurations].
	Configurations map[string]oid4vci.CredentialConfiguration
	// Issue makes the credential for one verified key proof, as the
	// Credential Response carries it (compact SD-JWT VC, or base64url of
	// the mdoc IssuerSigned). An error that is a *oid4vci.ProtocolError is
	// sent as it is; any other gives credential_request_denied.
	Issue func(ctx context.Context, r IssueRequest) (string, error)
	// Nonce makes a c_nonce; nil means 16 random bytes in base64url.
	Nonce func(ctx context.Context) (string, error)
	// DPoP is the DPoP mode of the token endpoint.
	DPoP DPoPMode
	// DPoPNonce makes the token endpoint and the protected resources
	// require a server-provided DPoP nonce (RFC 9449 §8, §9): a proof
	// without the current one gets use_dpop_nonce and a DPoP-Nonce header.
	DPoPNonce bool
	// BatchSize is batch_credential_issuance.batch_size; below 2 means
	// no batch issuance (one proof per request).
	BatchSize int
	// TLS serves https (with the httptest certificate; use
	// [Server.Client]) instead of http on loopback.
	TLS bool
	// NoNotification leaves the Notification Endpoint out of the metadata.
	NoNotification bool
	// Now is the server's clock; nil means time.Now.
	Now func() time.Time
}

// IssueRequest is what [Config].Issue gets for one key proof.
type IssueRequest struct {
	// ConfigurationID is the requested configuration's identifier.
	ConfigurationID string
	// Configuration is the requested configuration.
	Configuration oid4vci.CredentialConfiguration
	// Proof is the verified key proof.
	Proof *oid4vci.Proof
	// ProofJWT is the proof as sent.
	ProofJWT string
	// Subject is the OfferOptions.Subject of the offer redeemed.
	Subject string
	// TxCode is the tx_code of the token request.
	TxCode string
}

// OfferOptions configure [Server.Offer].
type OfferOptions struct {
	// ConfigurationIDs are the offered configurations; nil means all,
	// sorted.
	ConfigurationIDs []string
	// TxCode, when not empty, is the transaction code the token request
	// must carry; the offer then has a tx_code object.
	TxCode string
	// InputMode is tx_code.input_mode; empty leaves it out (numeric).
	InputMode string
	// Length is tx_code.length: 0 means len(TxCode), negative leaves it
	// out.
	Length int
	// Description is tx_code.description.
	Description string
	// Subject is passed on to Config.Issue.
	Subject string
}

// Log is what a [Server] was asked so far.
type Log struct {
	// Requests are "METHOD /path" in order.
	Requests []string
	// TokenTypes are the token_type of every access token issued, and
	// TokenKeys the thumbprint of the DPoP key each is bound to ("" for
	// a Bearer token).
	TokenTypes, TokenKeys []string
	// Issued are the configurations issued, one entry per credential,
	// with the thumbprint of the key it was bound to.
	Issued []Issued
	// Notifications are the Notification Requests received.
	Notifications []oid4vci.NotificationRequest
}

// Issued is one credential a [Server] issued.
type Issued struct {
	// ConfigurationID is the configuration it was issued under.
	ConfigurationID string
	// JKT is the RFC 7638 thumbprint of the key it is bound to (the key
	// of its proof).
	JKT string
}

// maxTxCodeAttempts is the number of wrong tx_codes that kill an offer.
const maxTxCodeAttempts = 5

// Server is a running test issuer. Close it when done.
type Server struct {
	// URL is the Credential Issuer Identifier: the server's base URL,
	// http://127.0.0.1:PORT (https with Config.TLS).
	URL string

	cfg       Config
	srv       *httptest.Server
	mu        sync.Mutex
	offers    map[string]*offerState // by pre-authorized code
	byRef     map[string][]byte      // offer JSON by id
	tokens    map[string]*session
	nonces    map[string]bool // true while unused
	jtis      map[string]bool
	dpopNonce string
	overrides map[string]http.HandlerFunc
	log       Log
}

type offerState struct {
	ids      []string
	txCode   string
	subject  string
	used     bool
	attempts int
}

type session struct {
	offer         *offerState
	jkt           string
	txCode        string
	notifications map[string]bool
}

// New starts a Server on a loopback address.
func New(cfg Config) *Server {
	if cfg.Configurations == nil {
		cfg.Configurations = KTPELConfigurations()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, offers: map[string]*offerState{}, byRef: map[string][]byte{}, tokens: map[string]*session{},
		nonces: map[string]bool{}, jtis: map[string]bool{}, overrides: map[string]http.HandlerFunc{}, dpopNonce: random()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+oid4vci.WellKnownCredentialIssuer, s.metadata)
	mux.HandleFunc("GET "+oid4vci.WellKnownAuthorizationServer, s.asMetadata)
	mux.HandleFunc("GET /offers/{id}", s.offerByRef)
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("POST /nonce", s.nonce)
	mux.HandleFunc("POST /credential", s.credential)
	mux.HandleFunc("POST /notification", s.notification)
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + r.URL.Path
		s.mu.Lock()
		s.log.Requests = append(s.log.Requests, key)
		h := s.overrides[key]
		s.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	if cfg.TLS {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Client returns an HTTP client that trusts the server (its TLS
// certificate with Config.TLS).
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Override replaces the handler of key, "METHOD /path" (for example
// "POST /token"); a nil h restores the server's own.
func (s *Server) Override(key string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h == nil {
		delete(s.overrides, key)
		return
	}
	s.overrides[key] = h
}

// Log returns a copy of what the server was asked so far.
func (s *Server) Log() Log {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Log{
		Requests:      slices.Clone(s.log.Requests),
		TokenTypes:    slices.Clone(s.log.TokenTypes),
		TokenKeys:     slices.Clone(s.log.TokenKeys),
		Issued:        slices.Clone(s.log.Issued),
		Notifications: slices.Clone(s.log.Notifications),
	}
}

// Offer makes a new offer (a fresh pre-authorized code) and returns it as
// a link by reference (credential_offer_uri, §4.1.3) and by value (§4.1.2).
func (s *Server) Offer(o OfferOptions) (byReference, byValue string) {
	ids := o.ConfigurationIDs
	if ids == nil {
		ids = slices.Sorted(maps.Keys(s.cfg.Configurations))
	}
	code := random()
	off := &oid4vci.CredentialOffer{CredentialIssuer: s.URL, CredentialConfigurationIDs: ids,
		Grants: &oid4vci.Grants{PreAuthorizedCode: &oid4vci.PreAuthorizedCodeGrant{PreAuthorizedCode: code}}}
	if o.TxCode != "" {
		n := o.Length
		switch {
		case n == 0:
			n = len(o.TxCode)
		case n < 0:
			n = 0
		}
		off.Grants.PreAuthorizedCode.TxCode = &oid4vci.TxCode{InputMode: o.InputMode, Length: n, Description: o.Description}
	}
	byValue, err := off.Link()
	if err != nil {
		panic(fmt.Sprintf("oid4vcitest: offer: %v", err))
	}
	body, err := strictjson.Marshal(off)
	if err != nil {
		panic(err)
	}
	id := random()
	byReference, err = oid4vci.OfferURILink(s.URL + "/offers/" + id)
	if err != nil {
		panic(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offers[code] = &offerState{ids: ids, txCode: o.TxCode, subject: o.Subject}
	s.byRef[id] = body
	return byReference, byValue
}

// IssuerMetadata returns the Credential Issuer Metadata the server serves.
func (s *Server) IssuerMetadata() *oid4vci.CredentialIssuerMetadata {
	md := &oid4vci.CredentialIssuerMetadata{
		CredentialIssuer:   s.URL,
		CredentialEndpoint: s.URL + "/credential",
		NonceEndpoint:      s.URL + "/nonce",
		Display: []oid4vci.IssuerDisplay{
			{Name: "Ditjen Dukcapil (uji)", Locale: "id"},
			{Name: "Dukcapil (test)", Locale: "en"},
		},
		CredentialConfigurationsSupported: s.cfg.Configurations,
	}
	if !s.cfg.NoNotification {
		md.NotificationEndpoint = s.URL + "/notification"
	}
	if s.cfg.BatchSize >= 2 {
		md.BatchCredentialIssuance = &oid4vci.BatchCredentialIssuance{BatchSize: s.cfg.BatchSize}
	}
	return md
}

// AuthorizationServerMetadata returns the RFC 8414 metadata the server
// serves: it is its own Authorization Server.
func (s *Server) AuthorizationServerMetadata() *oid4vci.AuthorizationServerMetadata {
	md := &oid4vci.AuthorizationServerMetadata{
		Issuer:              s.URL,
		TokenEndpoint:       s.URL + "/token",
		GrantTypesSupported: []string{oid4vci.GrantTypePreAuthorizedCode},
		PreAuthorizedGrantAnonymousAccessSupported: true,
	}
	if s.cfg.DPoP != DPoPOff {
		md.DPoPSigningAlgValuesSupported = []string{"ES256"}
	}
	return md
}

func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	oid4vci.WriteJSON(w, http.StatusOK, s.IssuerMetadata())
}

func (s *Server) asMetadata(w http.ResponseWriter, r *http.Request) {
	oid4vci.WriteJSON(w, http.StatusOK, s.AuthorizationServerMetadata())
}

func (s *Server) offerByRef(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	body, ok := s.byRef[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// dpopOptions are the checks of a DPoP proof for a request to path.
func (s *Server) dpopOptions(path string) oid4vci.DPoPOptions {
	o := oid4vci.DPoPOptions{Method: http.MethodPost, URL: s.URL + path, Now: s.cfg.Now(), MaxAge: 5 * time.Minute, ClockSkew: time.Minute}
	if s.cfg.DPoPNonce {
		s.mu.Lock()
		want := s.dpopNonce
		s.mu.Unlock()
		o.AcceptNonce = func(n string) bool { return n == want }
	}
	return o
}

// checkDPoP verifies a DPoP proof and refuses a replayed jti.
func (s *Server) checkDPoP(proof string, o oid4vci.DPoPOptions) (*oid4vci.DPoPProof, error) {
	p, err := oid4vci.VerifyDPoPProof(proof, o)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jtis[p.JTI()] {
		return nil, &oid4vci.DPoPError{Check: oid4vci.DPoPCheckClaims, Detail: "jti replayed"}
	}
	s.jtis[p.JTI()] = true
	return p, nil
}

func (s *Server) freshDPoPNonce() string {
	if !s.cfg.DPoPNonce {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dpopNonce
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	req, err := oid4vci.ReadTokenRequest(r)
	if err != nil {
		oid4vci.WriteError(w, err)
		return
	}
	proof, err := oid4vci.ReadDPoPHeader(r.Header)
	if err != nil {
		oid4vci.WriteError(w, oid4vci.DPoPErrorResponse(err, false, s.freshDPoPNonce()))
		return
	}
	var jkt string
	switch {
	case proof == "" && s.cfg.DPoP == DPoPRequired:
		oid4vci.WriteError(w, oid4vci.NewError(oid4vci.CodeInvalidDPoPProof, "a DPoP proof is required"))
		return
	case proof != "" && s.cfg.DPoP != DPoPOff:
		p, err := s.checkDPoP(proof, s.dpopOptions("/token"))
		if err != nil {
			oid4vci.WriteError(w, oid4vci.DPoPErrorResponse(err, false, s.freshDPoPNonce()))
			return
		}
		jkt = p.JKT()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	off, ok := s.offers[req.PreAuthorizedCode]
	if !ok || off.used || off.attempts >= maxTxCodeAttempts {
		oid4vci.WriteError(w, oid4vci.NewError(oid4vci.CodeInvalidGrant, "unknown, used or dead pre-authorized code"))
		return
	}
	if err := req.CheckTxCode(off.txCode != ""); err != nil {
		oid4vci.WriteError(w, err)
		return
	}
	if req.TxCode != off.txCode {
		off.attempts++
		oid4vci.WriteError(w, oid4vci.NewError(oid4vci.CodeInvalidGrant, "wrong tx_code"))
		return
	}
	off.used = true
	tok := random()
	typ := oid4vci.SchemeBearer
	if jkt != "" {
		typ = oid4vci.SchemeDPoP
	}
	s.tokens[tok] = &session{offer: off, jkt: jkt, txCode: req.TxCode, notifications: map[string]bool{}}
	s.log.TokenTypes = append(s.log.TokenTypes, typ)
	s.log.TokenKeys = append(s.log.TokenKeys, jkt)
	if s.cfg.DPoPNonce {
		w.Header().Set("DPoP-Nonce", s.dpopNonce)
	}
	oid4vci.WriteJSON(w, http.StatusOK, oid4vci.TokenResponse{AccessToken: tok, TokenType: typ, ExpiresIn: 600})
}

func (s *Server) nonce(w http.ResponseWriter, r *http.Request) {
	n := random()
	if s.cfg.Nonce != nil {
		var err error
		if n, err = s.cfg.Nonce(r.Context()); err != nil {
			oid4vci.WriteError(w, err)
			return
		}
	}
	s.mu.Lock()
	s.nonces[n] = true
	s.mu.Unlock()
	oid4vci.WriteJSON(w, http.StatusOK, oid4vci.NonceResponse{CNonce: n})
}

// authorize checks the access token (and DPoP proof) of a request to a
// protected resource.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) (*session, bool) {
	tok, scheme, err := oid4vci.ReadAccessToken(r)
	if err != nil {
		oid4vci.WriteError(w, err)
		return nil, false
	}
	s.mu.Lock()
	sess := s.tokens[tok]
	s.mu.Unlock()
	invalid := func(d string) (*session, bool) {
		oid4vci.WriteError(w, &oid4vci.ProtocolError{Status: http.StatusUnauthorized, Code: oid4vci.CodeInvalidToken,
			Description: d, Scheme: oid4vci.SchemeBearer})
		return nil, false
	}
	switch {
	case sess == nil:
		return invalid("unknown access token")
	case sess.jkt == "" && scheme != oid4vci.SchemeBearer:
		return invalid("a Bearer token sent as DPoP")
	case sess.jkt == "":
		return sess, true
	case scheme != oid4vci.SchemeDPoP:
		return invalid("a DPoP-bound token sent as Bearer")
	}
	proof, err := oid4vci.ReadDPoPHeader(r.Header)
	if err == nil && proof == "" {
		err = &oid4vci.DPoPError{Check: oid4vci.DPoPCheckSyntax, Detail: "DPoP proof missing"}
	}
	if err == nil {
		o := s.dpopOptions(r.URL.Path)
		o.AccessToken, o.BoundKey = tok, sess.jkt
		_, err = s.checkDPoP(proof, o)
	}
	if err != nil {
		oid4vci.WriteError(w, oid4vci.DPoPErrorResponse(err, true, s.freshDPoPNonce()))
		return nil, false
	}
	return sess, true
}

func (s *Server) credential(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.authorize(w, r)
	if !ok {
		return
	}
	req, err := oid4vci.ReadCredentialRequest(r)
	if err != nil {
		oid4vci.WriteError(w, err)
		return
	}
	if req.CredentialIdentifier != "" {
		oid4vci.WriteError(w, oid4vci.NewError(oid4vci.CodeUnknownCredentialIdentifier, "no credential identifiers here"))
		return
	}
	id := req.CredentialConfigurationID
	conf, ok := s.cfg.Configurations[id]
	if !ok {
		oid4vci.WriteError(w, oid4vci.NewError(oid4vci.CodeUnknownCredentialConfiguration, "unknown configuration"))
		return
	}
	if !slices.Contains(sess.offer.ids, id) {
		oid4vci.WriteError(w, oid4vci.NewError(oid4vci.CodeInsufficientScope, "configuration not offered"))
		return
	}
	if req.Proofs == nil || len(req.Proofs.JWT) == 0 {
		oid4vci.WriteError(w, oid4vci.NewError(oid4vci.CodeInvalidProof, "jwt proofs required"))
		return
	}
	if max := max(s.cfg.BatchSize, 1); len(req.Proofs.JWT) > max {
		oid4vci.WriteError(w, oid4vci.NewError(oid4vci.CodeInvalidCredentialRequest, "more proofs than batch_size"))
		return
	}
	var proofs []*oid4vci.Proof
	nonceOK := true
	for _, jwt := range req.Proofs.JWT {
		p, err := oid4vci.VerifyProof(jwt, oid4vci.ProofOptions{Audience: s.URL, Now: s.cfg.Now(), MaxAge: 5 * time.Minute, ClockSkew: time.Minute})
		if err != nil {
			oid4vci.WriteError(w, &oid4vci.ProtocolError{Status: http.StatusBadRequest, Code: oid4vci.CodeInvalidProof, Description: err.Error(), Err: err})
			return
		}
		s.mu.Lock()
		// Every nonce of a request is used up by it, whatever its outcome.
		if !s.nonces[p.Nonce()] {
			nonceOK = false
		}
		s.nonces[p.Nonce()] = false
		s.mu.Unlock()
		proofs = append(proofs, p)
	}
	if !nonceOK {
		oid4vci.WriteError(w, oid4vci.NewError(oid4vci.CodeInvalidNonce, "c_nonce unknown or used"))
		return
	}
	var resp oid4vci.CredentialResponse
	for i, p := range proofs {
		c, err := s.cfg.Issue(r.Context(), IssueRequest{ConfigurationID: id, Configuration: conf, Proof: p,
			ProofJWT: req.Proofs.JWT[i], Subject: sess.offer.subject, TxCode: sess.txCode})
		if err != nil {
			var pe *oid4vci.ProtocolError
			if !errors.As(err, &pe) {
				err = oid4vci.NewError(oid4vci.CodeCredentialRequestDenied, err.Error())
			}
			oid4vci.WriteError(w, err)
			return
		}
		resp.Credentials = append(resp.Credentials, oid4vci.CredentialEntry{Credential: c})
	}
	s.mu.Lock()
	if !s.cfg.NoNotification {
		resp.NotificationID = random()
		sess.notifications[resp.NotificationID] = true
	}
	for _, p := range proofs {
		s.log.Issued = append(s.log.Issued, Issued{ConfigurationID: id, JKT: p.Thumbprint()})
	}
	s.mu.Unlock()
	oid4vci.WriteJSON(w, http.StatusOK, resp)
}

func (s *Server) notification(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.authorize(w, r)
	if !ok {
		return
	}
	req, err := oid4vci.ReadNotificationRequest(r)
	if err != nil {
		oid4vci.WriteError(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !sess.notifications[req.NotificationID] {
		oid4vci.WriteError(w, oid4vci.NewError(oid4vci.CodeInvalidNotificationID, "unknown notification_id"))
		return
	}
	s.log.Notifications = append(s.log.Notifications, *req)
	w.WriteHeader(http.StatusNoContent)
}

// KTPELConfigurations are the two KTP-el configurations: "ktpel_dc_sd_jwt"
// and "ktpel_mso_mdoc".
func KTPELConfigurations() map[string]oid4vci.CredentialConfiguration {
	t := credential.KTPELType()
	return map[string]oid4vci.CredentialConfiguration{
		"ktpel_dc_sd_jwt": SDJWTConfiguration(t.VCT, t.Name),
		"ktpel_mso_mdoc":  MdocConfiguration(t.DocType, t.Name),
	}
}

// SDJWTConfiguration is a dc+sd-jwt configuration of vct, bound to a jwk
// with ES256 jwt proofs.
func SDJWTConfiguration(vct, name string) oid4vci.CredentialConfiguration {
	return oid4vci.CredentialConfiguration{
		Format: credential.FormatSDJWT, VCT: vct,
		CryptographicBindingMethodsSupported: []string{"jwk"},
		CredentialSigningAlgValuesSupported:  []oid4vci.SigningAlgorithm{oid4vci.JOSEAlgorithm("ES256")},
		ProofTypesSupported: map[string]oid4vci.ProofTypeMetadata{
			oid4vci.ProofTypeJWT: {ProofSigningAlgValuesSupported: []string{"ES256", "ES384", "ES512", "EdDSA"}},
		},
		CredentialMetadata: &oid4vci.CredentialMetadata{Display: []oid4vci.CredentialDisplay{{Name: name, Locale: "id"}}},
	}
}

// MdocConfiguration is an mso_mdoc configuration of doctype, bound to a
// cose_key with ES256 jwt proofs.
func MdocConfiguration(doctype, name string) oid4vci.CredentialConfiguration {
	return oid4vci.CredentialConfiguration{
		Format: credential.FormatMdoc, Doctype: doctype,
		CryptographicBindingMethodsSupported: []string{"cose_key"},
		CredentialSigningAlgValuesSupported:  []oid4vci.SigningAlgorithm{oid4vci.COSEAlgorithm(-7)},
		ProofTypesSupported: map[string]oid4vci.ProofTypeMetadata{
			oid4vci.ProofTypeJWT: {ProofSigningAlgValuesSupported: []string{"ES256", "ES384", "ES512", "EdDSA"}},
		},
		CredentialMetadata: &oid4vci.CredentialMetadata{Display: []oid4vci.CredentialDisplay{{Name: name + " (mdoc)", Locale: "id"}}},
	}
}

// EncodeMdoc is the form an mdoc IssuerSigned takes in a Credential
// Response: base64url without padding (Appendix A.2.4).
func EncodeMdoc(issuerSigned []byte) string {
	return base64.RawURLEncoding.EncodeToString(issuerSigned)
}

func random() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
