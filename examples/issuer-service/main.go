// Command issuer-service is an example of the HTTP service an issuing
// authority (here Ditjen Dukcapil, issuing the KTP-el) runs on package
// issuer.
//
// # What the library serves
//
// The OpenID4VCI 1.0 issuer is [issuer.Handler], made by [issuer.NewHandler]
// and mounted at the root; this example writes none of it:
//
//	GET  /.well-known/openid-credential-issuer    Credential Issuer Metadata (§12.2)
//	GET  /.well-known/oauth-authorization-server  Authorization Server Metadata (RFC 8414)
//	GET  /offers/{ref}                            a credential offer by reference (§4.1.3)
//	POST /token                                   Token Endpoint (§6): pre-authorized code and
//	                                              tx_code; the access token bound by DPoP (RFC 9449)
//	POST /nonce                                   Nonce Endpoint (§7)
//	POST /credential                              Credential Endpoint (§8)
//	POST /notification                            Notification Endpoint (§11)
//	GET  /status/{n}                              Status List Token n (draft-ietf-oauth-status-list-20)
//
// # What the authority adds
//
// The library does not know residents, desks or operators. This example
// adds the endpoints an authority needs around the protocol:
//
//	POST /registrations          resident: {nik, email, phone} -> 201 {registration_id}
//	POST /operator/confirm       operator: {registration_id} -> {credential_offer,
//	                             credential_offer_qr, expires_at, tx_code_sent_to}
//	POST /operator/credentials   operator: {nik} -> the credentials of the NIK's active phone
//	POST /operator/revoke        operator: {credential_id} -> {revoked}
//	POST /operator/report-lost   operator: {nik} -> {revoked: n} (lost phone)
//
// An operator who has seen the resident in person confirms the
// registration (IKD SOP step 4). The answer is for the desk screen: the
// credential offer by reference (openid-credential-offer://?credential_offer_uri=…)
// and its QR code as a data:image/png URL, which the resident scans with the
// wallet. The offer's tx_code, the activation PIN, is e-mailed to the
// address of the registration and never shown to the operator: whoever
// photographs the QR code still lacks the PIN, and the resident shows they
// read that mailbox. This demo "sends" the e-mail by logging
// "e-mail to <addr>: tx_code NNNNNN".
//
// Operator endpoints need "Authorization: Bearer <operator token>" and an
// "X-Operator-ID" header naming the operator for the audit log.
//
// This is a demonstration: it generates a throw-away issuer key and
// certificates at every start (issuer.jwk.json and iaca.pem are written next
// to the database, for "ikd wallet activate --trust") and knows one sample
// resident (NIK 3174015708950021). A real deployment loads its keys from an
// HSM and its documents from SIAK, authenticates each operator on their
// own (not with one shared token), sends the tx_code by e-mail, rate-limits
// registrations and serves HTTPS only.
package main

import (
	"context"
	"crypto"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/issuer"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// maxBody caps the body of the example's own endpoints; the library caps
// its own.
const maxBody = 16 << 10

// qrScale is the pixels per module of the offer's QR code.
const qrScale = 6

// TxCodeSender delivers the tx_code of a credential offer to the e-mail
// address the resident registered, before expires. A real deployment sends
// an e-mail through the authority's mail relay and keeps the code out of
// every log; the demo logs it (logTxCode).
type TxCodeSender func(ctx context.Context, to, txCode string, expires time.Time) error

// options configure newService.
type options struct {
	// identifier is the Credential Issuer Identifier: the service's public
	// URL, https (http on a loopback host only).
	identifier    string
	dbPath        string
	signer        crypto.Signer
	keyID         string
	chain         []*x509.Certificate
	operatorToken string
	sendTxCode    TxCodeSender
	errorLog      *log.Logger
}

// service is the issuing authority's HTTP service: the library's
// OpenID4VCI handler and the example's registration and operator
// endpoints, over one issuer.
type service struct {
	iss           *issuer.Issuer
	store         issuer.Store
	vci           *issuer.Handler
	operatorToken string
	sendTxCode    TxCodeSender
	log           *log.Logger
}

// newService opens the store and builds the issuer and its OpenID4VCI
// handler. Close it with Close.
func newService(ctx context.Context, o options) (*service, error) {
	if o.operatorToken == "" || o.sendTxCode == nil {
		return nil, errors.New("an operator token and a tx_code sender are required")
	}
	if o.errorLog == nil {
		o.errorLog = log.Default()
	}
	store, err := issuer.OpenSQLite(ctx, o.dbPath)
	if err != nil {
		return nil, err
	}
	iss, err := issuer.New(ctx, issuer.Config{
		Identifier: o.identifier,
		Signer:     o.signer,
		KeyID:      o.keyID,
		Chain:      o.chain,
		Types:      []credential.TypeInfo{credential.KTPELType(), credential.KKType()},
		// The handler serves the lists because they are on the
		// identifier's scheme and host.
		StatusList: issuer.StatusListConfig{BaseURI: o.identifier + "/status", Size: 1 << 16},
		Documents:  issuer.DocumentsFunc(demoDocuments),
		Store:      store,
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	vci, err := issuer.NewHandler(iss, issuer.HandlerConfig{
		Display: []oid4vci.IssuerDisplay{{Name: "Ditjen Dukcapil (demo)", Locale: "id"}},
		// Every access token is bound to a key of the wallet, so a token
		// that leaks from the wallet's traffic is useless without it.
		RequireDPoP: true,
		ErrorLog:    o.errorLog,
	})
	if err != nil {
		store.Close()
		return nil, err
	}
	return &service{iss: iss, store: store, vci: vci, operatorToken: o.operatorToken, sendTxCode: o.sendTxCode, log: o.errorLog}, nil
}

// Close closes the store.
func (s *service) Close() error { return s.store.Close() }

// routes returns the service's handler: the example's endpoints, and the
// library's OpenID4VCI handler for every other path.
func (s *service) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /registrations", s.register)
	mux.HandleFunc("POST /operator/confirm", s.operator(s.confirm))
	mux.HandleFunc("POST /operator/credentials", s.operator(s.credentials))
	mux.HandleFunc("POST /operator/revoke", s.operator(s.revoke))
	mux.HandleFunc("POST /operator/report-lost", s.operator(s.reportLost))
	mux.Handle("/", s.vci)
	return mux
}

// decode reads a JSON body strictly: size cap, no unknown fields, one value.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	d := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil || d.More() {
		writeError(w, http.StatusBadRequest, "invalid_request", "malformed JSON body")
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	// Registration IDs, offers and credential lists are personal or
	// secret: no cache keeps them.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// fail answers with the error of a call to the issuer: the caller's
// mistakes with their detail, anything else as an opaque server error.
func (s *service) fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, issuer.ErrInvalidInput):
		writeError(w, http.StatusBadRequest, "invalid_request", err.Error())
	case errors.Is(err, issuer.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	default:
		s.log.Printf("issuer-service: %v", err)
		writeError(w, http.StatusInternalServerError, "server_error", "internal error")
	}
}

// operator authenticates an operator request. The demo has one shared
// bearer token; a real deployment authenticates each operator (their own
// credentials or client certificate), which also makes X-Operator-ID
// something the service knows rather than something the client says.
func (s *service) operator(h func(w http.ResponseWriter, r *http.Request, op string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		want := "Bearer " + s.operatorToken
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) != 1 {
			// RFC 6750 §3.
			w.Header().Set("WWW-Authenticate", `Bearer realm="operator"`)
			writeError(w, http.StatusUnauthorized, "invalid_token", "operator token required")
			return
		}
		id := r.Header.Get("X-Operator-ID")
		if id == "" {
			writeError(w, http.StatusBadRequest, "invalid_request", "X-Operator-ID header required")
			return
		}
		// The issuer checks the actor's length and characters.
		h(w, r, "operator:"+id)
	}
}

func (s *service) register(w http.ResponseWriter, r *http.Request) {
	var req struct {
		NIK   string `json:"nik"`
		Email string `json:"email"`
		Phone string `json:"phone"`
	}
	if !decode(w, r, &req) {
		return
	}
	reg, err := s.iss.Register(r.Context(), issuer.RegisterRequest{NIK: req.NIK, Email: req.Email, Phone: req.Phone})
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"registration_id": reg.ID})
}

// confirmResponse is the answer to an operator's confirmation: what the
// desk screen shows.
type confirmResponse struct {
	// CredentialOffer is the offer by reference (OpenID4VCI 1.0 §4.1.3),
	// a secret for the resident's eyes: its URI serves the pre-authorized
	// code until it is used.
	CredentialOffer string `json:"credential_offer"`
	// CredentialOfferQR is CredentialOffer as a QR code, a
	// data:image/png;base64 URL.
	CredentialOfferQR string `json:"credential_offer_qr"`
	// ExpiresAt is when the offer stops working.
	ExpiresAt time.Time `json:"expires_at"`
	// TxCodeSentTo is the masked e-mail address the tx_code went to, for
	// the operator to tell the resident where to look.
	TxCodeSentTo string `json:"tx_code_sent_to"`
}

func (s *service) confirm(w http.ResponseWriter, r *http.Request, op string) {
	var req struct {
		RegistrationID string `json:"registration_id"`
	}
	if !decode(w, r, &req) {
		return
	}
	ctx := r.Context()
	// Confirming again withdraws the earlier offers of the registration.
	g, err := s.iss.Confirm(ctx, op, req.RegistrationID)
	if err != nil {
		s.fail(w, err)
		return
	}
	if g.Offer == nil { // only without a DocumentSource, which this service has
		s.fail(w, errors.New("confirm made no credential offer"))
		return
	}
	var reg *issuer.Registration
	err = s.store.View(ctx, func(tx issuer.Tx) error {
		var err error
		reg, err = tx.Registration(req.RegistrationID)
		return err
	})
	if err != nil {
		s.fail(w, err)
		return
	}
	link, err := g.Offer.ReferenceLink()
	if err != nil {
		s.fail(w, err)
		return
	}
	png, err := g.Offer.QR(true, qrScale)
	if err != nil {
		s.fail(w, err)
		return
	}
	if err := s.sendTxCode(ctx, reg.Email, g.Offer.TxCode, g.Offer.ExpiresAt); err != nil {
		// The offer is useless without its tx_code; confirming again
		// replaces it.
		s.log.Printf("issuer-service: e-mail of the tx_code of registration %s: %v", reg.ID, err)
		writeError(w, http.StatusBadGateway, "tx_code_not_sent", "the activation PIN could not be e-mailed; confirm again")
		return
	}
	writeJSON(w, http.StatusOK, confirmResponse{
		CredentialOffer:   link,
		CredentialOfferQR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png),
		ExpiresAt:         g.Offer.ExpiresAt,
		TxCodeSentTo:      maskEmail(reg.Email),
	})
}

// maskEmail shows the first character of the local part and the domain:
// r***@example.id.
func maskEmail(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" {
		return "***"
	}
	return local[:1] + "***@" + domain
}

// credentialInfo is an issued credential as an operator sees it: no
// claims, which the issuer does not keep.
type credentialInfo struct {
	ID        string         `json:"credential_id"`
	VCT       string         `json:"vct"`
	Format    string         `json:"format"`
	Profile   issuer.Profile `json:"profile"`
	StatusURI string         `json:"status_uri"`
	StatusIdx uint64         `json:"status_idx"`
	IssuedAt  time.Time      `json:"issued_at"`
	ExpiresAt time.Time      `json:"expires_at"`
	Revoked   bool           `json:"revoked"`
}

// credentials lists the credentials of the NIK's active device binding, so
// that an operator can revoke one. The NIK is in the body, not the URL,
// to keep it out of access logs.
func (s *service) credentials(w http.ResponseWriter, r *http.Request, op string) {
	var req struct {
		NIK string `json:"nik"`
	}
	if !decode(w, r, &req) {
		return
	}
	nik, err := credential.ParseNIK(req.NIK)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "nik: "+err.Error())
		return
	}
	lists, err := s.iss.StatusLists(r.Context())
	if err != nil {
		s.fail(w, err)
		return
	}
	uri := map[int]string{}
	for _, l := range lists {
		uri[l.Number] = l.URI
	}
	var b *issuer.Binding
	var recs []issuer.CredentialRecord
	err = s.store.View(r.Context(), func(tx issuer.Tx) error {
		var err error
		if b, err = tx.ActiveBinding(nik.String()); err != nil {
			return err
		}
		recs, err = tx.CredentialsOfBinding(b.ID)
		return err
	})
	if err != nil {
		s.fail(w, err)
		return
	}
	out := struct {
		BindingID   string           `json:"binding_id"`
		Credentials []credentialInfo `json:"credentials"`
	}{BindingID: b.ID, Credentials: []credentialInfo{}}
	for _, c := range recs {
		out.Credentials = append(out.Credentials, credentialInfo{ID: c.ID, VCT: c.VCT, Format: string(c.Format), Profile: c.Profile,
			StatusURI: uri[c.List], StatusIdx: c.Index, IssuedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt, Revoked: !c.RevokedAt.IsZero()})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *service) revoke(w http.ResponseWriter, r *http.Request, op string) {
	var req struct {
		CredentialID string `json:"credential_id"`
	}
	if !decode(w, r, &req) {
		return
	}
	if err := s.iss.Revoke(r.Context(), op, req.CredentialID); err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"revoked": true})
}

// reportLost revokes the NIK's phone: its binding and every credential
// bound to it (Permendagri 72/2022 Pasal 21). The resident can activate a
// new phone afterwards.
func (s *service) reportLost(w http.ResponseWriter, r *http.Request, op string) {
	var req struct {
		NIK string `json:"nik"`
	}
	if !decode(w, r, &req) {
		return
	}
	n, err := s.iss.ReportLost(r.Context(), op, req.NIK)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"revoked": n})
}

// logTxCode is the demo's TxCodeSender: it logs the code instead of
// e-mailing it. Never do this in production: a tx_code in a log is as
// good as handed to whoever reads the log.
func logTxCode(_ context.Context, to, txCode string, expires time.Time) error {
	log.Printf("e-mail to %s: tx_code %s (valid until %s)", to, txCode, expires.Format(time.Kitchen))
	return nil
}

// isLoopback reports whether host (a name or address without port) is a
// loopback host.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address (loopback unless -url is an https URL served through a TLS proxy)")
	publicURL := flag.String("url", "", "public URL, the Credential Issuer Identifier (default http://<addr>; https unless on loopback)")
	db := flag.String("db", "issuer.db", "SQLite database file; issuer.jwk.json and iaca.pem are written next to it")
	token := flag.String("operator-token", os.Getenv("ISSUER_OPERATOR_TOKEN"), "bearer token of operators (required; or $ISSUER_OPERATOR_TOKEN)")
	flag.Parse()
	if *token == "" {
		log.Fatal("issuer-service: -operator-token or $ISSUER_OPERATOR_TOKEN is required")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	id := *publicURL
	if id == "" {
		host, _, _ := net.SplitHostPort(ln.Addr().String())
		if !isLoopback(host) {
			log.Fatalf("issuer-service: %s is not a loopback address: give -url https://… (TLS terminated in front of this service)", ln.Addr())
		}
		id = "http://" + ln.Addr().String()
	} // else issuer.New refuses an identifier that is not https (or http on loopback)
	signer, chain, root, err := demoKeys()
	if err != nil {
		log.Fatal(err)
	}
	dir := filepath.Dir(*db)
	jwk, err := keys.MarshalPublicJWK(signer.Public())
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "issuer.jwk.json"), jwk, 0o644)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "iaca.pem"), keys.MarshalCertificatesPEM(root), 0o644)
	}
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	svc, err := newService(ctx, options{identifier: id, dbPath: *db, signer: signer, keyID: demoKeyID, chain: chain,
		operatorToken: *token, sendTxCode: logTxCode})
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close()
	srv := &http.Server{Handler: svc.routes(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Printf(`issuer-service: Credential Issuer %[1]s, listening on %[2]s
The demo resident has NIK %[3]s. Trust files: %[4]s, %[5]s

  1. register:  curl -s -X POST %[1]s/registrations \
                  -d '{"nik":"%[3]s","email":"rina@example.id","phone":"081234567890"}'
  2. confirm:   curl -s -X POST %[1]s/operator/confirm \
                  -H 'Authorization: Bearer <operator token>' -H 'X-Operator-ID: desk-01' \
                  -d '{"registration_id":"<from 1>"}'
                (the tx_code "e-mail" is in this log)
  3. activate:  ikd wallet activate --offer '<credential_offer from 2>' \
                  --trust %[4]s --trust %[5]s
  lost phone:   curl -s -X POST %[1]s/operator/report-lost -H … -d '{"nik":"%[3]s"}'
  metadata:     %[1]s/.well-known/openid-credential-issuer
`, id, ln.Addr(), demoNIK, filepath.Join(dir, "issuer.jwk.json"), filepath.Join(dir, "iaca.pem"))
	log.Fatal(srv.Serve(ln))
}
