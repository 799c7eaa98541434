// Command issuer-service is an example HTTP service built on package issuer:
// what an issuing authority (here Dukcapil issuing KTP-el) could run.
//
// Endpoints:
//
//	POST /registrations              holder: {nik, email, phone} -> {registration_id}
//	POST /operator/confirm           operator: {registration_id} -> {activation_code, expires_at}
//	POST /operator/revoke            operator: {credential_id} or {nik} (lost phone)
//	POST /nonce                      holder: -> {c_nonce} (OpenID4VCI 1.0 §7)
//	POST /credential                 holder: {registration_id, activation_code,
//	                                 proofs: {jwt: [proof]}} -> {credentials: [...]}
//	                                 (shape of the OpenID4VCI 1.0 §8 credential endpoint)
//	GET  /status/{n}                 the Status List Token n (application/statuslist+jwt)
//
// Operator endpoints need "Authorization: Bearer <operator token>" and an
// "X-Operator-ID" header naming the operator for the audit log.
//
// This is a demonstration: it generates a throw-away issuer key and
// certificate at start and serves one sample person. A real deployment loads
// its keys from an HSM, its documents from SIAK, authenticates operators
// properly and serves HTTPS only.
package main

import (
	"context"
	"crypto"
	"crypto/subtle"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/issuer"
)

// maxBody caps every request body.
const maxBody = 64 << 10

// server is the HTTP front of an issuer.Issuer.
type server struct {
	iss           *issuer.Issuer
	operatorToken string
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /registrations", s.register)
	mux.HandleFunc("POST /operator/confirm", s.operator(s.confirm))
	mux.HandleFunc("POST /operator/revoke", s.operator(s.revoke))
	mux.HandleFunc("POST /nonce", s.nonce)
	mux.HandleFunc("POST /credential", s.credential)
	mux.HandleFunc("GET /status/{n}", s.status)
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
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// fail maps issuer errors to HTTP errors; OpenID4VCI 1.0 §8.3.1.2 codes
// where one fits.
func fail(w http.ResponseWriter, err error) {
	var code string
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, issuer.ErrProof), errors.Is(err, issuer.ErrKeyMismatch):
		code = "invalid_proof"
	case errors.Is(err, issuer.ErrNonce):
		code = "invalid_nonce"
	case errors.Is(err, issuer.ErrCodeInvalid), errors.Is(err, issuer.ErrCodeExpired), errors.Is(err, issuer.ErrCodeUsed),
		errors.Is(err, issuer.ErrTooManyAttempts), errors.Is(err, issuer.ErrNotConfirmed):
		code = "invalid_grant"
	case errors.Is(err, issuer.ErrUnauthorizedType):
		code = "unknown_credential_configuration"
	case errors.Is(err, issuer.ErrNotFound):
		code, status = "not_found", http.StatusNotFound
	case errors.Is(err, issuer.ErrInvalidInput):
		code = "invalid_request"
	default:
		log.Printf("internal error: %v", err)
		writeError(w, http.StatusInternalServerError, "server_error", "internal error")
		return
	}
	writeError(w, status, code, err.Error())
}

func (s *server) operator(h func(w http.ResponseWriter, r *http.Request, op string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		want := "Bearer " + s.operatorToken
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) != 1 {
			writeError(w, http.StatusUnauthorized, "invalid_token", "operator token required")
			return
		}
		h(w, r, "operator:"+r.Header.Get("X-Operator-ID"))
	}
}

func (s *server) register(w http.ResponseWriter, r *http.Request) {
	var req struct{ NIK, Email, Phone string }
	if !decode(w, r, &req) {
		return
	}
	reg, err := s.iss.Register(r.Context(), issuer.RegisterRequest{NIK: req.NIK, Email: req.Email, Phone: req.Phone})
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"registration_id": reg.ID})
}

func (s *server) confirm(w http.ResponseWriter, r *http.Request, op string) {
	var req struct {
		RegistrationID string `json:"registration_id"`
	}
	if !decode(w, r, &req) {
		return
	}
	g, err := s.iss.Confirm(r.Context(), op, req.RegistrationID)
	if err != nil {
		fail(w, err)
		return
	}
	// In the IKD procedure the code goes to the holder's email; the demo
	// returns it to the operator's client.
	writeJSON(w, http.StatusOK, map[string]any{"activation_code": g.Code, "expires_at": g.ExpiresAt.Unix()})
}

func (s *server) revoke(w http.ResponseWriter, r *http.Request, op string) {
	var req struct {
		CredentialID string `json:"credential_id"`
		NIK          string `json:"nik"`
	}
	if !decode(w, r, &req) {
		return
	}
	switch {
	case req.CredentialID != "" && req.NIK == "":
		if err := s.iss.Revoke(r.Context(), op, req.CredentialID); err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"revoked": 1})
	case req.NIK != "" && req.CredentialID == "":
		n, err := s.iss.ReportLost(r.Context(), op, req.NIK)
		if err != nil {
			fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"revoked": n})
	default:
		writeError(w, http.StatusBadRequest, "invalid_request", "give exactly one of credential_id and nik")
	}
}

func (s *server) nonce(w http.ResponseWriter, r *http.Request) {
	n, _, err := s.iss.Nonce(r.Context())
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"c_nonce": n})
}

func (s *server) credential(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RegistrationID string `json:"registration_id"`
		ActivationCode string `json:"activation_code"`
		Proofs         struct {
			JWT []string `json:"jwt"`
		} `json:"proofs"`
	}
	if !decode(w, r, &req) {
		return
	}
	// OpenID4VCI 1.0 §8.2: proofs.jwt is an array; one device key here.
	if len(req.Proofs.JWT) != 1 {
		writeError(w, http.StatusBadRequest, "invalid_proof", "exactly one jwt proof required")
		return
	}
	a, err := s.iss.Activate(r.Context(), issuer.ActivationRequest{RegistrationID: req.RegistrationID, Code: req.ActivationCode, Proof: req.Proofs.JWT[0]})
	if err != nil {
		fail(w, err)
		return
	}
	type cred struct {
		Credential string `json:"credential"`
		Format     string `json:"format"`
		VCT        string `json:"vct"`
		ID         string `json:"credential_id"`
	}
	out := struct {
		Credentials []cred `json:"credentials"`
		BindingID   string `json:"binding_id"`
	}{BindingID: a.Binding.ID}
	for _, c := range a.Credentials {
		out.Credentials = append(out.Credentials, cred{c.Encoded(), string(c.Format), c.VCT, c.ID})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) status(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		writeError(w, http.StatusNotFound, "not_found", "no such status list")
		return
	}
	tok, err := s.iss.StatusListToken(r.Context(), n)
	if err != nil {
		fail(w, err)
		return
	}
	// draft-ietf-oauth-status-list-20 §8.2: the token's media type.
	w.Header().Set("Content-Type", statuslist.MediaTypeJWT)
	w.Write(tok)
}

// options configure newIssuer.
type options struct {
	baseURL string
	dbPath  string
	signer  crypto.Signer
	chain   []*x509.Certificate
	now     func() time.Time
}

// newIssuer opens the store and builds the issuer.
func newIssuer(ctx context.Context, o options) (*issuer.Issuer, *issuer.SQLiteStore, error) {
	store, err := issuer.OpenSQLite(ctx, o.dbPath)
	if err != nil {
		return nil, nil, err
	}
	iss, err := issuer.New(ctx, issuer.Config{
		Identifier: o.baseURL,
		Signer:     o.signer,
		Chain:      o.chain,
		Types:      []credential.TypeInfo{credential.KTPELType(), credential.KKType()},
		StatusList: issuer.StatusListConfig{BaseURI: o.baseURL + "/status", Size: 1 << 16},
		Documents:  issuer.DocumentsFunc(demoDocuments),
		Store:      store,
		Now:        o.now,
	})
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return iss, store, nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	db := flag.String("db", "issuer.db", "SQLite database file")
	token := flag.String("operator-token", "", "bearer token of operators (required)")
	flag.Parse()
	if *token == "" {
		log.Fatal("-operator-token is required")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	signer, chain, err := demoKeys()
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	iss, store, err := newIssuer(ctx, options{baseURL: "http://" + ln.Addr().String(), dbPath: *db, signer: signer, chain: chain})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	srv := &http.Server{Handler: (&server{iss: iss, operatorToken: *token}).routes(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("issuer-service listening on http://%s\n", ln.Addr())
	log.Fatal(srv.Serve(ln))
}
