package holder

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// Step names a step of the OpenID4VCI flow of [Wallet.ReceiveOffer]. An
// *Error from it carries the step that failed in its Step field.
type Step string

// The steps of [Wallet.ReceiveOffer], in order.
const (
	// StepOffer: reading the offer, and fetching it by reference.
	StepOffer Step = "offer"
	// StepMetadata: the Credential Issuer and Authorization Server
	// Metadata, and whether the wallet can do what the offer asks.
	StepMetadata Step = "metadata"
	// StepTxCode: asking the app for the transaction code.
	StepTxCode Step = "tx_code"
	// StepToken: the Token Request (§6).
	StepToken Step = "token"
	// StepNonce: a Nonce Request (§7).
	StepNonce Step = "nonce"
	// StepCredential: a Credential Request (§8).
	StepCredential Step = "credential"
	// StepVerify: checking what arrived, as Import does.
	StepVerify Step = "verify"
	// StepStore: storing the credentials.
	StepStore Step = "store"
	// StepNotification: a Notification Request (§11); its failure is
	// reported in Received.NotificationErr, never as the error of
	// ReceiveOffer.
	StepNotification Step = "notification"
)

// MaxOfferConfigurations caps the credential configurations one offer may
// ask the wallet to fetch: each costs a nonce and a credential request.
const MaxOfferConfigurations = 32

// maxDisplayText caps a display name (issuer, credential) handed to the
// app; maxDescription is the tx_code description's cap (§4.1.1).
const (
	maxDisplayText = 128
	maxDescription = oid4vci.MaxTxCodeDescription
)

// ReceiveOptions configure [Wallet.ReceiveOffer].
type ReceiveOptions struct {
	// TxCode asks the user for the transaction code when the offer has a
	// tx_code (the Dukcapil activation PIN sent by e-mail). It returns
	// the code as typed, or an error to refuse (ErrTxCodeRefused). It is
	// required for such offers and never called for others.
	TxCode func(ctx context.Context, req TxCodeRequest) (string, error)
	// HTTPClient sends every request; nil means a client with
	// DefaultReceiveTimeout per request. Its transport decides TLS; its
	// CheckRedirect is replaced: redirects are never followed.
	HTTPClient *http.Client
	// ClientID, when set, is sent as client_id in the Token Request;
	// empty means anonymous access (§6.1).
	ClientID string
	// Locale picks the display names of the issuer and of the
	// credentials (a BCP 47 tag such as "id" or "en", matched on its
	// language); empty or unmatched means the first name given.
	Locale string
	// Copies overrides Options.Copies for this call: the one-time copies
	// to ask for per credential type (the vct of an SD-JWT VC, the
	// doctype of an mdoc), 1 to MaxCopies each.
	Copies map[string]int
}

// TxCodeRequest is what the app shows when it asks for a transaction
// code. Everything in it comes from the offer and the issuer's metadata:
// self-declared by whoever made the offer, not authenticated. Texts are
// stripped of control characters.
type TxCodeRequest struct {
	// Issuer is the Credential Issuer Identifier (an https URL).
	Issuer string
	// IssuerName is the issuer's display name from its metadata, or "".
	IssuerName string
	// Credentials are the display names of the offered credentials.
	Credentials []string
	// Description says where the code comes from ("the 6-digit PIN in
	// the e-mail from Dukcapil"); at most 300 characters, may be empty.
	Description string
	// InputMode is oid4vci.InputModeNumeric (digits only) or
	// oid4vci.InputModeText.
	InputMode string
	// Length is the code's length, or 0 if the offer does not say.
	Length int
}

// Received is the outcome of [Wallet.ReceiveOffer].
type Received struct {
	// Issuer is the Credential Issuer Identifier.
	Issuer string
	// IssuerName is the issuer's self-declared display name, or "".
	IssuerName string
	// Credentials are the credentials stored, in the order of the offer.
	Credentials []*Credential
	// NotificationErr is the error of a credential_accepted notification
	// (§11) the issuer did not acknowledge; the credentials are stored
	// all the same. Nil when all were acknowledged or none was due.
	NotificationErr error
}

// ReceiveOffer runs the wallet side of OpenID4VCI 1.0, Pre-Authorized Code
// Flow, for a credential offer read from a QR code or a link
// (openid-credential-offer://?credential_offer=... by value, or
// ?credential_offer_uri=... by reference, §4.1), and stores what the
// issuer issues. In order:
//
//  1. the offer is parsed strictly and, by reference, fetched with a GET
//     over https (http only on a loopback host), at most
//     oid4vci.MaxOfferSize bytes (StepOffer);
//  2. the Credential Issuer Metadata (§12.2) of the offer's
//     credential_issuer, which must name the same issuer, and the
//     Authorization Server Metadata (RFC 8414) are fetched (each at most
//     oid4vci.MaxMetadataSize bytes, every URL https); the wallet checks
//     it can do what the offer asks, before anything is redeemed: the
//     pre-authorized code grant, a Nonce Endpoint, no required
//     encryption, at most MaxOfferConfigurations configurations of a
//     known credential type in dc+sd-jwt or mso_mdoc, bound to a key by
//     jwt proofs (Appendix F.1) with no key attestation required; then
//     the number of copies of each configuration is decided (the
//     wallet's for the type, ReceiveOptions.Copies, else Options.Copies,
//     else its credential.TypeInfo.Copies, at most the issuer's
//     batch_size, 1 if it announces none) and a new device key is made
//     for each copy (software keys, or Options.DeviceKeys.CreateKey under
//     a fresh alias each), whose algorithm the configuration must take
//     (StepMetadata);
//  3. the app is asked for the tx_code, if the offer has one, through
//     opts.TxCode, and the answer checked against its input mode and
//     length (StepTxCode);
//  4. the Token Request (§6) with the pre-authorized code and tx_code;
//     when the Authorization Server advertises DPoP (RFC 9449) the token
//     is bound to a fresh DPoP key made for this call only, never the
//     device key (a Bearer token in answer is refused), and a
//     use_dpop_nonce answer is retried once (StepToken); the refresh
//     token of the answer, if any, is kept for [Wallet.Refresh], sealed
//     with that DPoP key;
//  5. for each offered configuration, a fresh c_nonce (§7, StepNonce) and
//     one Credential Request (§8) for all its copies, with one key proof
//     JWT per copy, each signed by that copy's device key for that nonce,
//     retried once with a new nonce on invalid_nonce (StepCredential);
//  6. every copy received is verified as [Wallet.Import] does (issuer
//     key or IACA root from Options.Trust, the issuer's authorisation for
//     the type, validity), each bound to a different one of the keys of
//     its request (cnf.jwk or the MSO deviceKey, whatever the order of
//     the response), all of one configuration's copies of the same type,
//     issuer and claims (their own cnf, status and times aside), and of
//     the offered configuration's type (StepVerify);
//  7. each configuration's copies become one [Credential] (its Copies);
//     all of them are stored, with their keys and one activity entry, in
//     one transaction, or none is (StepStore); the issuer is then
//     notified (§11) with credential_accepted, or, when anything of steps
//     5 to 7 failed after a credential arrived, with credential_failure.
//
// The wallet must be unlocked and Options.Trust set. Keystore keys made
// for copies that are not stored are deleted again (best effort: a
// process killed in the middle leaves them in the keystore, unused). The
// wallet is not locked during network requests or while the app asks for
// the tx_code.
//
// Every failure is an *Error with its Step: ErrOffer (steps 1 and 2),
// ErrTxCodeRefused or ErrInvalidInput (3), ErrActivation (4 and 5; an
// error response is an *oid4vci.ProtocolError in the chain, with its
// code), the import errors ErrUntrustedIssuer, ErrKeyMismatch,
// ErrInvalidInput (6), ErrStore (7). Nothing is stored on any error.
func (w *Wallet) ReceiveOffer(ctx context.Context, offer string, opts ReceiveOptions) (*Received, error) {
	w.mu.Lock()
	err := w.unlockedLocked(opReceive)
	if err == nil && w.opts.Trust == nil {
		err = errorf(opReceive, ErrConfig, "Options.Trust is required to receive credentials")
	}
	w.mu.Unlock()
	if err == nil {
		err = checkCopiesMap(opReceive, "ReceiveOptions.Copies", opts.Copies)
	}
	if err != nil {
		return nil, err
	}
	s := &receiveSession{w: w, opts: opts, c: newVCIClient(opts.HTTPClient, w.opts.rand(), w.opts.now)}
	r, err := s.run(ctx, strings.TrimSpace(offer))
	if err != nil && len(s.created) > 0 {
		// Keystore keys made for copies that were not stored.
		w.deleteKeystoreKeys(context.WithoutCancel(ctx), aliasesOf(s.created)) // best effort
	}
	return r, err
}

const opReceive = "receive offer"

// stepErr makes the *Error of a failed step.
func stepErr(step Step, sentinel, cause error, format string, args ...any) *Error {
	e := wrapErr(opReceive, sentinel, cause, "%s: %s", step, fmt.Sprintf(format, args...))
	e.Step = step
	return e
}

// receiveSession is one run of ReceiveOffer.
type receiveSession struct {
	w    *Wallet
	opts ReceiveOptions
	c    *vciClient

	offer *oid4vci.CredentialOffer
	md    *oid4vci.CredentialIssuerMetadata
	as    *oid4vci.AuthorizationServerMetadata
	asID  string

	// identifiers are the credential_identifiers of the Token Response's
	// authorization_details, by configuration id (§6.2).
	identifiers map[string][]string
	// notificationIDs are the notification_ids of the responses so far.
	notificationIDs []string

	// copies is the number of copies to ask for, by configuration id;
	// keys the device keys of each configuration's first request, made
	// before anything is redeemed; created every key made in this call.
	copies  map[string]int
	keys    map[string][]*proofKey
	created []*proofKey
	// refreshToken is the Token Response's refresh_token, if any; dpopJWK
	// the DPoP private key as a JWK when the tokens are DPoP-bound.
	refreshToken string
	dpopJWK      []byte
}

// fetched is one Credential Response's credentials, each bound to one of
// keys.
type fetched struct {
	id         string
	identifier string
	conf       oid4vci.CredentialConfiguration
	keys       []*proofKey
	issued     []oid4vci.IssuedCredential
}

func (s *receiveSession) run(ctx context.Context, link string) (*Received, error) {
	if err := s.resolveOffer(ctx, link); err != nil {
		return nil, err
	}
	if err := s.readMetadata(ctx); err != nil {
		return nil, err
	}
	if err := s.checkOffer(); err != nil {
		return nil, err
	}
	if err := s.proofKeys(ctx); err != nil {
		return nil, err
	}
	txCode, err := s.askTxCode(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.redeem(ctx, txCode); err != nil {
		return nil, err
	}
	var got []fetched
	for _, id := range s.offer.CredentialConfigurationIDs {
		f, err := s.fetch(ctx, id)
		if err != nil {
			return nil, s.failed(ctx, err)
		}
		got = append(got, f...)
	}
	creds, err := s.store(ctx, got)
	if err != nil {
		return nil, s.failed(ctx, err)
	}
	r := &Received{Issuer: s.md.CredentialIssuer, IssuerName: s.issuerName(), Credentials: creds}
	for _, id := range s.notificationIDs {
		if err := s.notify(ctx, id, oid4vci.EventCredentialAccepted, ""); err != nil && r.NotificationErr == nil {
			r.NotificationErr = stepErr(StepNotification, ErrActivation, err, "credential_accepted")
		}
	}
	return r, nil
}

// resolveOffer reads the offer link and fetches an offer by reference.
func (s *receiveSession) resolveOffer(ctx context.Context, link string) error {
	if link == "" {
		return stepErr(StepOffer, ErrOffer, nil, "empty offer")
	}
	off, uri, err := oid4vci.ParseOfferLink(link)
	if err != nil {
		return stepErr(StepOffer, ErrOffer, err, "not a credential offer")
	}
	if off == nil {
		// §4.1.3: GET the credential_offer_uri; an application/json offer.
		// ParseOfferLink checked it is https (http on loopback only).
		body, err := s.c.getJSON(ctx, uri, oid4vci.MaxOfferSize)
		if err != nil {
			return stepErr(StepOffer, ErrOffer, err, "fetching the offer by reference")
		}
		if off, err = oid4vci.ParseCredentialOffer(body); err != nil {
			return stepErr(StepOffer, ErrOffer, err, "the offer fetched by reference")
		}
	}
	s.offer = off
	return nil
}

// readMetadata fetches and checks the issuer's and the Authorization
// Server's metadata.
func (s *receiveSession) readMetadata(ctx context.Context) error {
	if err := s.issuerMetadata(ctx, s.offer.CredentialIssuer); err != nil {
		return err
	}
	if err := s.offer.Check(s.md); err != nil {
		return stepErr(StepMetadata, ErrOffer, err, "the offer does not match the issuer's metadata")
	}
	asID, err := s.offer.AuthorizationServer(s.md)
	if err != nil {
		return stepErr(StepMetadata, ErrOffer, err, "authorization server")
	}
	return s.asMetadata(ctx, asID, oid4vci.GrantTypePreAuthorizedCode)
}

// issuerMetadata fetches and checks the Credential Issuer Metadata of
// iss.
func (s *receiveSession) issuerMetadata(ctx context.Context, iss string) error {
	fail := func(cause error, format string, args ...any) error {
		return stepErr(StepMetadata, ErrOffer, cause, format, args...)
	}
	u, err := oid4vci.CredentialIssuerMetadataURL(iss)
	if err != nil {
		return fail(err, "credential issuer %.200q", iss)
	}
	body, err := s.c.getJSON(ctx, u, oid4vci.MaxMetadataSize)
	if err != nil {
		return fail(err, "fetching the credential issuer metadata")
	}
	// §12.2.4: credential_issuer must be the identifier of the offer.
	if s.md, err = oid4vci.ParseCredentialIssuerMetadata(body, iss); err != nil {
		return fail(err, "credential issuer metadata")
	}
	if s.md.RequiresEncryption() {
		return fail(nil, "the issuer requires encrypted credential requests or responses (§10), which this wallet does not do")
	}
	return nil
}

// asMetadata fetches and checks the Authorization Server Metadata of
// asID, which must support grant unless it is "".
func (s *receiveSession) asMetadata(ctx context.Context, asID, grant string) error {
	fail := func(cause error, format string, args ...any) error {
		return stepErr(StepMetadata, ErrOffer, cause, format, args...)
	}
	u, err := oid4vci.AuthorizationServerMetadataURL(asID)
	if err != nil {
		return fail(err, "authorization server %.200q", asID)
	}
	body, err := s.c.getJSON(ctx, u, oid4vci.MaxMetadataSize)
	if err != nil {
		return fail(err, "fetching the authorization server metadata")
	}
	// RFC 8414 §3.3: issuer must be the identifier it was fetched for.
	if s.as, err = oid4vci.ParseAuthorizationServerMetadata(body, asID); err != nil {
		return fail(err, "authorization server metadata")
	}
	s.asID = asID
	// RFC 8414 §2 makes an absent grant_types_supported mean
	// authorization_code and implicit, but issuers of the pre-authorized
	// code flow often leave it out; only an explicit list without the
	// grant is refused.
	if grant != "" && len(s.as.GrantTypesSupported) > 0 && !s.as.SupportsGrant(grant) {
		return fail(nil, "the authorization server does not support the %s grant", grant)
	}
	return nil
}

// proofKeys decides how many copies of each offered configuration to ask
// for (the wallet's number for the type, at most the issuer's
// batch_size, 1 when it has none) and makes a new device key for each
// copy of each configuration's first request; the keys' algorithms must
// be ones the configuration takes (§12.2.4).
func (s *receiveSession) proofKeys(ctx context.Context) error {
	w := s.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.unlockedLocked(opReceive); err != nil {
		return err
	}
	batch := 1
	if b := s.md.BatchCredentialIssuance; b != nil && b.BatchSize > 1 {
		batch = b.BatchSize
	}
	s.copies, s.keys = map[string]int{}, map[string][]*proofKey{}
	for _, id := range s.offer.CredentialConfigurationIDs {
		conf := s.md.CredentialConfigurationsSupported[id]
		s.copies[id] = min(w.copiesWanted(conf.Format, conf.VCT, conf.Doctype, s.opts.Copies), batch, MaxCopies)
		ks, err := s.newKeys(ctx, id, StepMetadata, ErrOffer)
		if err != nil {
			return err
		}
		s.keys[id] = ks
	}
	return nil
}

// newKeys makes the device keys of one credential request of
// configuration id and checks the configuration takes proofs by them.
// The wallet must be locked (w.mu) by the caller.
func (s *receiveSession) newKeys(ctx context.Context, id string, step Step, sentinel error) ([]*proofKey, error) {
	ks, err := s.w.newCopyKeys(ctx, opReceive, s.copies[id])
	s.created = append(s.created, ks...)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Step = step
		}
		return nil, err
	}
	// The wallet stores only credentials bound to its keys, so the
	// configuration must take key proofs of type jwt with the algorithm
	// of every key (§12.2.4, Appendix F.1). Without proof types (the
	// spec's own mdoc example lists binding methods only) jwt proofs are
	// sent all the same.
	conf := s.md.CredentialConfigurationsSupported[id]
	if pt, jwt := conf.ProofTypesSupported[oid4vci.ProofTypeJWT]; jwt {
		for _, k := range ks {
			alg, err := keys.AlgorithmFor(k.signer.Public())
			if err != nil || !slices.Contains(pt.ProofSigningAlgValuesSupported, string(alg)) {
				return nil, stepErr(step, sentinel, nil, "configuration %.64q does not take proofs signed with the device key's algorithm %s", id, alg)
			}
		}
	}
	return ks, nil
}

// checkOffer checks, before anything is redeemed, that the wallet can
// receive every offered configuration.
func (s *receiveSession) checkOffer() error {
	fail := func(format string, args ...any) error {
		return stepErr(StepMetadata, ErrOffer, nil, format, args...)
	}
	if n := len(s.offer.CredentialConfigurationIDs); n > MaxOfferConfigurations {
		return fail("%d configurations offered, over the cap of %d", n, MaxOfferConfigurations)
	}
	if s.offer.Grants == nil || s.offer.Grants.PreAuthorizedCode == nil {
		return fail("the offer has no pre-authorized code grant; the authorization code flow is not supported")
	}
	// Appendix F.1: with a Nonce Endpoint every proof carries a c_nonce.
	// This wallet sends no proof without one, so that a proof cannot be
	// replayed.
	if s.md.NonceEndpoint == "" {
		return fail("the issuer has no Nonce Endpoint (§7); key proofs without a c_nonce are not sent")
	}
	for _, id := range s.offer.CredentialConfigurationIDs {
		conf := s.md.CredentialConfigurationsSupported[id]
		switch conf.Format {
		case credential.FormatSDJWT:
			if !knownVCT(conf.VCT) {
				return fail("configuration %.64q: unknown credential type %.200q", id, conf.VCT)
			}
		case credential.FormatMdoc:
			if !knownDocType(conf.Doctype) {
				return fail("configuration %.64q: unknown doctype %.200q", id, conf.Doctype)
			}
		default:
			return fail("configuration %.64q: format %.64q is not supported", id, conf.Format)
		}
		// The wallet stores only credentials bound to its device keys, so
		// the configuration must take key proofs of type jwt (§12.2.4,
		// Appendix F.1); newKeys checks their algorithm.
		pt, jwt := conf.ProofTypesSupported[oid4vci.ProofTypeJWT]
		switch {
		case len(conf.ProofTypesSupported) > 0 && !jwt:
			return fail("configuration %.64q takes no jwt key proofs", id)
		case len(conf.ProofTypesSupported) == 0 && len(conf.CryptographicBindingMethodsSupported) == 0:
			return fail("configuration %.64q would not be bound to the device key", id)
		case jwt && pt.KeyAttestationsRequired != nil:
			return fail("configuration %.64q requires a key attestation (Appendix D), which this wallet does not send yet", id)
		}
	}
	return nil
}

func knownVCT(vct string) bool {
	_, ok := credential.TypeByVCT(vct)
	return ok || vct == credential.VCTQR || vct == credential.VCTQRFull
}

func knownDocType(dt string) bool {
	_, ok := credential.TypeByDocType(dt)
	return ok || dt == credential.DocTypeQR || dt == credential.DocTypeQRFull
}

// askTxCode asks the app for the tx_code when the offer has one.
func (s *receiveSession) askTxCode(ctx context.Context) (string, error) {
	tc := s.offer.Grants.PreAuthorizedCode.TxCode
	if tc == nil {
		return "", nil
	}
	if s.opts.TxCode == nil {
		return "", stepErr(StepTxCode, ErrConfig, nil, "the offer needs a transaction code and ReceiveOptions.TxCode is nil")
	}
	req := TxCodeRequest{
		Issuer:      s.md.CredentialIssuer,
		IssuerName:  s.issuerName(),
		Description: displayText(tc.Description, maxDescription),
		InputMode:   tc.InputMode,
		Length:      tc.Length,
	}
	if req.InputMode == "" {
		req.InputMode = oid4vci.InputModeNumeric // §4.1.1: the default
	}
	for _, id := range s.offer.CredentialConfigurationIDs {
		req.Credentials = append(req.Credentials, s.configurationName(id))
	}
	code, err := s.opts.TxCode(ctx, req)
	if err != nil {
		return "", stepErr(StepTxCode, ErrTxCodeRefused, err, "the app gave no transaction code")
	}
	if code == "" {
		return "", stepErr(StepTxCode, ErrTxCodeRefused, nil, "empty transaction code")
	}
	n := utf8.RuneCountInString(code)
	switch {
	case !utf8.ValidString(code) || n > oid4vci.MaxTxCodeLength:
		return "", stepErr(StepTxCode, ErrInvalidInput, nil, "the transaction code is not UTF-8 of at most %d characters", oid4vci.MaxTxCodeLength)
	case req.InputMode == oid4vci.InputModeNumeric && strings.Trim(code, "0123456789") != "":
		return "", stepErr(StepTxCode, ErrInvalidInput, nil, "the transaction code must be digits only")
	case req.Length > 0 && n != req.Length:
		// Checked here so that a typo does not cost one of the issuer's
		// limited attempts (§13.6.3).
		return "", stepErr(StepTxCode, ErrInvalidInput, nil, "the transaction code must have %d characters, not %d", req.Length, n)
	}
	return code, nil
}

// redeem runs the Token Request, with DPoP when the Authorization Server
// advertises an algorithm the wallet can make a key for.
func (s *receiveSession) redeem(ctx context.Context, txCode string) error {
	if alg, ok := dpopAlgorithm(s.as.DPoPSigningAlgValuesSupported); ok {
		// RFC 9449 §2: the DPoP key is the client's, not the credential's.
		// A fresh one per session keeps the device key out of every
		// request but the key proofs, so tokens and proofs cannot be
		// linked across issuers by key.
		k, err := keys.Generate(alg, s.w.opts.rand())
		if err != nil {
			return stepErr(StepToken, ErrActivation, err, "DPoP key")
		}
		// Kept (sealed, with the refresh token) only if the issuer gives
		// a refresh token: refreshing must prove the same key.
		if s.dpopJWK, err = keys.MarshalPrivateJWK(k); err != nil {
			return stepErr(StepToken, ErrActivation, err, "DPoP key")
		}
		s.c.dpop = k
	}
	tr := &oid4vci.TokenRequest{
		GrantType:         oid4vci.GrantTypePreAuthorizedCode,
		PreAuthorizedCode: s.offer.Grants.PreAuthorizedCode.PreAuthorizedCode,
		TxCode:            txCode,
		ClientID:          s.opts.ClientID,
	}
	resp, err := s.c.requestToken(ctx, s.as.TokenEndpoint, tr)
	if err != nil {
		return stepErr(StepToken, ErrActivation, err, "token request")
	}
	switch {
	case resp.TokenType == oid4vci.SchemeDPoP && s.c.dpop == nil:
		return stepErr(StepToken, ErrActivation, nil, "a DPoP-bound access token for a request without DPoP proof")
	case resp.TokenType != oid4vci.SchemeDPoP && s.c.dpop != nil:
		// RFC 9449 §5: a client relying on the binding discards a Bearer
		// token the server sends for a DPoP request. The server advertised
		// DPoP, so a Bearer answer is a downgrade.
		return stepErr(StepToken, ErrActivation, nil, "a Bearer token from an Authorization Server that advertises DPoP")
	}
	s.c.token, s.c.scheme = resp.AccessToken, resp.TokenType
	s.refreshToken = resp.RefreshToken
	// §6.2: authorization_details with credential_identifiers replace the
	// configuration id in the credential requests.
	s.identifiers = map[string][]string{}
	for _, ad := range resp.AuthorizationDetails {
		if ad.Type == oid4vci.AuthorizationDetailTypeCredential && slices.Contains(s.offer.CredentialConfigurationIDs, ad.CredentialConfigurationID) {
			s.identifiers[ad.CredentialConfigurationID] = append(s.identifiers[ad.CredentialConfigurationID], ad.CredentialIdentifiers...)
		}
	}
	return nil
}

// dpopAlgorithm picks the first algorithm of keys.Algorithms (ES256
// first) that the server accepts for DPoP proofs.
func dpopAlgorithm(advertised []string) (keys.Algorithm, bool) {
	for _, a := range keys.Algorithms() {
		if slices.Contains(advertised, string(a)) {
			return a, true
		}
	}
	return "", false
}

// fetch gets the credentials of one offered configuration: one Credential
// Request per credential identifier, or one with the configuration id,
// each for a batch of copies with a new device key per copy.
func (s *receiveSession) fetch(ctx context.Context, id string) ([]fetched, error) {
	conf := s.md.CredentialConfigurationsSupported[id]
	reqs := []oid4vci.CredentialRequest{{CredentialConfigurationID: id}}
	if ids := s.identifiers[id]; len(ids) > 0 {
		reqs = reqs[:0]
		for _, ci := range ids {
			reqs = append(reqs, oid4vci.CredentialRequest{CredentialIdentifier: ci})
		}
	}
	var out []fetched
	for i, req := range reqs {
		ks := s.keys[id]
		if i > 0 {
			// Another credential dataset: other copies, other keys.
			s.w.mu.Lock()
			var err error
			ks, err = s.newKeys(ctx, id, StepCredential, ErrActivation)
			s.w.mu.Unlock()
			if err != nil {
				return nil, err
			}
		}
		signers := make([]crypto.Signer, len(ks))
		for j, k := range ks {
			signers[j] = k.signer
		}
		issued, err := s.request(ctx, id, req, conf.Format, signers)
		if err != nil {
			return nil, err
		}
		out = append(out, fetched{id: id, identifier: req.CredentialIdentifier, conf: conf, keys: ks, issued: issued})
	}
	return out, nil
}

// request sends one Credential Request, with a fresh c_nonce and a key
// proof per key. It retries once with a new nonce on invalid_nonce
// (§8.3.1.2) and once with the server's DPoP nonce on use_dpop_nonce (RFC
// 9449 §9), each time with new proofs.
func (s *receiveSession) request(ctx context.Context, id string, req oid4vci.CredentialRequest, format credential.Format, signers []crypto.Signer) ([]oid4vci.IssuedCredential, error) {
	fail := func(cause error, format string, args ...any) ([]oid4vci.IssuedCredential, error) {
		return nil, stepErr(StepCredential, ErrActivation, cause, "configuration %.64q: %s", id, fmt.Sprintf(format, args...))
	}
	nonceRetried, dpopRetried := false, false
	for {
		// §7: a fresh c_nonce for every request.
		cn, err := s.c.nonce(ctx, s.md.NonceEndpoint)
		if err != nil {
			return nil, stepErr(StepNonce, ErrActivation, err, "configuration %.64q: nonce request", id)
		}
		req.Proofs = &oid4vci.Proofs{}
		for _, k := range signers {
			p, err := oid4vci.SignProof(s.w.opts.rand(), k, s.md.CredentialIssuer, cn, s.w.opts.now())
			if err != nil {
				return fail(err, "key proof")
			}
			req.Proofs.JWT = append(req.Proofs.JWT, p)
		}
		body, err := marshalJSON(req)
		if err != nil {
			return fail(err, "encoding the request")
		}
		resp, b, err := s.c.resource(ctx, s.md.CredentialEndpoint, body, oid4vci.MaxCredentialResponseSize, true)
		var pe *oid4vci.ProtocolError
		switch {
		case err != nil && !nonceRetried && errors.As(err, &pe) && pe.Code == oid4vci.CodeInvalidNonce:
			nonceRetried = true
			continue
		case err != nil && !dpopRetried && s.c.useDPoPNonce(err):
			dpopRetried = true
			continue
		case err != nil:
			return fail(err, "credential request")
		case resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted:
			return fail(nil, "HTTP %d, want 200", resp.StatusCode)
		}
		cr, err := oid4vci.ParseCredentialResponse(b)
		if err != nil {
			return fail(err, "credential response")
		}
		if cr.NotificationID != "" {
			s.notificationIDs = append(s.notificationIDs, cr.NotificationID)
		}
		if cr.TransactionID != "" {
			return fail(nil, "deferred issuance (§9) is not supported")
		}
		// §8.3: one credential per key proof.
		if len(cr.Credentials) != len(signers) {
			return fail(nil, "%d credentials for %d key proofs", len(cr.Credentials), len(signers))
		}
		issued, err := cr.Issued(format)
		if err != nil {
			return fail(err, "credential response")
		}
		return issued, nil
	}
}

// store verifies every copy as Import does, each bound to one of the
// keys of its request, makes one credential of each request's copies and
// stores them all, with the issuer session when there is a refresh token
// and one activity entry, in one transaction.
func (s *receiveSession) store(ctx context.Context, got []fetched) ([]*Credential, error) {
	w := s.w
	w.mu.Lock()
	defer w.mu.Unlock()
	fail := func(err error, f fetched, i int) ([]*Credential, error) {
		var e *Error
		if errors.As(err, &e) {
			e.Op, e.Step = opReceive, StepVerify
			e.Detail = fmt.Sprintf("%s: configuration %.64q, credential %d: %s", StepVerify, f.id, i+1, e.Detail)
		}
		return nil, err
	}
	if err := w.unlockedLocked(opReceive); err != nil {
		return nil, err
	}
	var sess *issuerSession
	if s.refreshToken != "" {
		id, err := w.newSessionID()
		if err != nil {
			return nil, stepErr(StepStore, ErrStore, err, "randomness")
		}
		sess = &issuerSession{id: id, Issuer: s.md.CredentialIssuer, AuthorizationServer: s.asID, RefreshToken: s.refreshToken,
			ClientID: s.opts.ClientID, CreatedAt: w.opts.now().UTC()}
		if s.c.dpop != nil {
			sess.DPoPKey = s.dpopJWK
		}
	}
	var ps []*pending
	var names []string
	vouched := false
	for _, f := range got {
		var vs []*verified
		for i, ic := range f.issued {
			v, err := w.verifyCopy(ctx, opReceive, ic.Format, ic.Data, f.keys, i)
			if err != nil {
				return fail(err, f, i)
			}
			// The credential must be what was offered.
			if (ic.Format == credential.FormatSDJWT && v.s.VCT != f.conf.VCT) || (ic.Format == credential.FormatMdoc && v.s.DocType != f.conf.Doctype) {
				return nil, stepErr(StepVerify, ErrActivation, nil, "configuration %.64q, credential %d: a %s, not the offered type", f.id, i+1, v.s.Name)
			}
			vs = append(vs, v)
		}
		p, err := batchOf(opReceive, vs)
		if err != nil {
			return fail(err, f, 0)
		}
		if sess != nil {
			p.s.Refresh = &refreshRef{Session: sess.id, Configuration: f.id, Identifier: f.identifier}
		}
		// The trust list vouches for the issuer identifier when it is
		// the iss of a credential verified against it.
		if p.s.Format == credential.FormatSDJWT && p.s.Issuer == s.md.CredentialIssuer {
			vouched = true
		}
		ps = append(ps, p)
		names = append(names, p.s.Name+" ("+string(p.s.Format)+")")
	}
	act := Activity{Kind: ActivityActivation, Counterparty: s.md.CredentialIssuer, Verified: vouched, Credentials: names}
	creds, err := w.storeCredentials(ctx, ps, sess, act)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Op, e.Step = opReceive, StepStore
		}
		return nil, err
	}
	return creds, nil
}

// failed tells the issuer that nothing it issued in this session was
// stored (credential_failure, §11.1) and returns err.
func (s *receiveSession) failed(ctx context.Context, err error) error {
	desc := "not stored"
	var e *Error
	if errors.As(err, &e) {
		desc = "not stored: " + string(e.Step) + ": " + strings.TrimPrefix(e.Err.Error(), "holder: ")
	}
	for _, id := range s.notificationIDs {
		s.notify(ctx, id, oid4vci.EventCredentialFailure, desc) // best effort
	}
	return err
}

// notify sends one notification, if the issuer has the endpoint.
func (s *receiveSession) notify(ctx context.Context, id string, ev oid4vci.NotificationEvent, desc string) error {
	if s.md.NotificationEndpoint == "" {
		return nil
	}
	return s.c.notify(ctx, s.md.NotificationEndpoint, oid4vci.NotificationRequest{NotificationID: id, Event: ev, EventDescription: asciiText(desc)})
}

// issuerName is the issuer's display name for opts.Locale.
func (s *receiveSession) issuerName() string {
	var names, locales []string
	for _, d := range s.md.Display {
		names, locales = append(names, d.Name), append(locales, d.Locale)
	}
	return displayText(pickLocale(s.opts.Locale, names, locales), maxDisplayText)
}

// configurationName is a configuration's display name for opts.Locale, or
// its credential type's name, or its id.
func (s *receiveSession) configurationName(id string) string {
	conf := s.md.CredentialConfigurationsSupported[id]
	var names, locales []string
	if cm := conf.CredentialMetadata; cm != nil {
		for _, d := range cm.Display {
			names, locales = append(names, d.Name), append(locales, d.Locale)
		}
	}
	if n := displayText(pickLocale(s.opts.Locale, names, locales), maxDisplayText); n != "" {
		return n
	}
	if ti, ok := typeOf(conf.VCT, conf.Doctype); ok {
		return ti.Name + " (" + string(conf.Format) + ")"
	}
	return displayText(id, maxDisplayText)
}

// pickLocale returns the first non-empty name whose locale's language is
// the one of want, else the first non-empty name.
func pickLocale(want string, names, locales []string) string {
	lang := func(tag string) string {
		l, _, _ := strings.Cut(tag, "-")
		return strings.ToLower(l)
	}
	first := ""
	for i, n := range names {
		if n == "" {
			continue
		}
		if want != "" && lang(locales[i]) == lang(want) {
			return n
		}
		if first == "" {
			first = n
		}
	}
	return first
}

// displayText drops control and other non-printable characters (a
// hostile issuer's terminal escapes or bidi overrides) and keeps at most
// max runes.
func displayText(s string, max int) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == max {
			break
		}
		if unicode.IsPrint(r) {
			b.WriteRune(r)
			n++
		}
	}
	return b.String()
}

// asciiText keeps the characters an event_description may have (§11.1:
// %x20-21 / %x23-5B / %x5D-7E), at most 256.
func asciiText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < 256; i++ {
		if c := s[i]; c == 0x20 || c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E) {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func marshalJSON(v any) ([]byte, error) { return strictjson.Marshal(v) }
