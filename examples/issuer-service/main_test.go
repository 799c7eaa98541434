package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr/qrcode"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

const (
	operatorToken = "test-operator-token"
	residentEmail = "rina@example.id"
	walletPIN     = "482915"
)

// mail is one tx_code "e-mail".
type mail struct {
	to, txCode string
}

// mailbox is the test's TxCodeSender: it keeps what would be e-mailed.
type mailbox struct {
	mu   sync.Mutex
	sent []mail
}

func (m *mailbox) send(_ context.Context, to, txCode string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, mail{to, txCode})
	return nil
}

func (m *mailbox) all() []mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]mail(nil), m.sent...)
}

// lateHandler forwards to a handler set after the server has started, so
// that the issuer can be built with the server's URL as its identifier.
type lateHandler struct{ h atomic.Pointer[http.Handler] }

func (l *lateHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := l.h.Load()
	if h == nil {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	(*h).ServeHTTP(w, r)
}

// env is the service on an https httptest server (a trust list holds only
// https issuer identifiers), its keys and its mailbox.
type env struct {
	t      *testing.T
	ctx    context.Context
	srv    *httptest.Server
	signer crypto.Signer
	root   *x509.Certificate
	mail   *mailbox
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), mail: &mailbox{}}
	late := &lateHandler{}
	e.srv = httptest.NewUnstartedServer(late)
	e.srv.StartTLS()
	t.Cleanup(e.srv.Close)
	signer, chain, root, err := demoKeys()
	if err != nil {
		t.Fatal(err)
	}
	e.signer, e.root = keys.Opaque(signer), root // only the crypto.Signer methods, as an HSM key
	svc, err := newService(e.ctx, options{identifier: e.srv.URL, dbPath: filepath.Join(t.TempDir(), "issuer.db"),
		signer: e.signer, keyID: demoKeyID, chain: chain, operatorToken: operatorToken, sendTxCode: e.mail.send,
		errorLog: log.New(io.Discard, "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	h := svc.routes()
	late.h.Store(&h)
	return e
}

// auth is how a request authenticates as an operator.
type auth struct{ token, operatorID string }

var (
	resident = auth{}
	desk     = auth{operatorToken, "kec-tebet-01"}
)

// post sends body as JSON to path and decodes the answer into out.
func (e *env) post(path string, body any, a auth, out any) *http.Response {
	e.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		e.t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	if a.operatorID != "" {
		req.Header.Set("X-Operator-ID", a.operatorID)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			e.t.Fatalf("POST %s: %d, body: %v", path, resp.StatusCode, err)
		}
	}
	return resp
}

type errorBody struct {
	Error string `json:"error"`
}

func (e *env) register(nik string) string {
	e.t.Helper()
	var out struct {
		ID string `json:"registration_id"`
	}
	if st := e.post("/registrations", map[string]string{"nik": nik, "email": residentEmail, "phone": "081234567890"}, resident, &out).StatusCode; st != http.StatusCreated || out.ID == "" {
		e.t.Fatalf("register: %d %+v", st, out)
	}
	return out.ID
}

func (e *env) confirm(regID string) confirmResponse {
	e.t.Helper()
	var out confirmResponse
	if st := e.post("/operator/confirm", map[string]string{"registration_id": regID}, desk, &out).StatusCode; st != http.StatusOK {
		e.t.Fatalf("confirm: %d", st)
	}
	return out
}

// lastTxCode is the tx_code of the last e-mail, which must have gone to
// the resident.
func (e *env) lastTxCode() string {
	e.t.Helper()
	sent := e.mail.all()
	if len(sent) == 0 {
		e.t.Fatal("no tx_code e-mailed")
	}
	m := sent[len(sent)-1]
	if m.to != residentEmail {
		e.t.Fatalf("tx_code e-mailed to %q, want %q", m.to, residentEmail)
	}
	return m.txCode
}

// wallet creates a wallet whose trust list holds exactly this issuer: its
// key for SD-JWT VCs, its IACA root for mdocs, the KTP-el types.
func (e *env) wallet() *holder.Wallet {
	e.t.Helper()
	now := time.Now()
	ktp := credential.KTPELType()
	list, err := trustlist.NewLocal(&trustlist.List{Operator: "https://trust.example.go.id", Sequence: 1,
		IssuedAt: now.Add(-time.Hour), NextUpdate: now.Add(24 * time.Hour),
		Issuers: []trustlist.Issuer{{ID: e.srv.URL, Name: "Ditjen Dukcapil (demo)",
			Keys:      []trustlist.Key{{ID: demoKeyID, Public: e.signer.Public()}},
			IACARoots: []*x509.Certificate{e.root},
			VCTs:      []string{ktp.VCT, credential.VCTQR}, DocTypes: []string{ktp.DocType, credential.DocTypeQR}}}})
	if err != nil {
		e.t.Fatal(err)
	}
	w, err := holder.Create(e.ctx, filepath.Join(e.t.TempDir(), "wallet"), walletPIN, holder.Options{
		KDF:   holder.KDFParams{Time: 1, MemoryKiB: holder.MinKDFMemoryKiB, Threads: 1}, // cheap, for tests
		Trust: holder.TrustList(list)})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { w.Close() })
	return w
}

// receive redeems offer with the wallet, answering txCode.
func (e *env) receive(w *holder.Wallet, offer, txCode string) (*holder.Received, error) {
	return w.ReceiveOffer(e.ctx, offer, holder.ReceiveOptions{
		HTTPClient: e.srv.Client(), // trusts the test server's certificate
		TxCode:     func(context.Context, holder.TxCodeRequest) (string, error) { return txCode, nil },
	})
}

// status returns the status of the SD-JWT VC c in the Status List Token
// the handler serves at the URI of its status claim, verified with the
// issuer's key.
func (e *env) status(c *holder.Credential) statuslist.Status {
	e.t.Helper()
	sc, err := statuslist.StatusClaimFromJSONValue(c.Claims()["status"])
	if err != nil {
		e.t.Fatalf("%s: status claim: %v", c.Name, err)
	}
	ref := sc.StatusList
	if !strings.HasPrefix(ref.URI, e.srv.URL+"/status/") {
		e.t.Fatalf("status list %q not served by this issuer", ref.URI)
	}
	resp, err := e.srv.Client().Get(ref.URI)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != statuslist.MediaTypeJWT {
		e.t.Fatalf("GET %s: %d %q", ref.URI, resp.StatusCode, ct)
	}
	tok, err := (&statuslist.Verifier{Key: e.signer.Public()}).VerifyJWT(body)
	if err != nil {
		e.t.Fatal(err)
	}
	if tok.Subject() != ref.URI {
		e.t.Fatalf("status list token sub %q, want %q", tok.Subject(), ref.URI)
	}
	s, err := tok.Status(ref.Index)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func count(w *holder.Wallet, t *testing.T) int {
	t.Helper()
	cs, err := w.Credentials(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(cs)
}

// TestActivation runs the IKD activation end to end over HTTPS: the
// resident registers, an operator confirms and gets the offer's QR code,
// the tx_code goes to the resident's e-mail, the wallet scans the QR code
// and redeems the offer (OpenID4VCI through issuer.Handler), then an
// operator revokes one credential and reports the phone lost, and the
// status lists the handler serves say so.
func TestActivation(t *testing.T) {
	e := newEnv(t)
	c := e.confirm(e.register(demoNIK))

	// The desk shows the offer by reference, as a QR code.
	if want := "openid-credential-offer://?credential_offer_uri=" + url.QueryEscape(e.srv.URL+"/offers/"); !strings.HasPrefix(c.CredentialOffer, want) {
		t.Fatalf("credential_offer %q, want prefix %q", c.CredentialOffer, want)
	}
	png, ok := strings.CutPrefix(c.CredentialOfferQR, "data:image/png;base64,")
	if !ok {
		t.Fatalf("credential_offer_qr is not a PNG data URL: %.40q", c.CredentialOfferQR)
	}
	img, err := base64.StdEncoding.DecodeString(png)
	if err != nil {
		t.Fatal(err)
	}
	scanned, err := qrcode.ScanImage(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	if string(scanned) != c.CredentialOffer {
		t.Fatalf("QR code says %q, want the credential_offer %q", scanned, c.CredentialOffer)
	}
	if c.TxCodeSentTo != "r***@example.id" || time.Until(c.ExpiresAt) <= 0 {
		t.Fatalf("tx_code_sent_to %q, expires_at %v", c.TxCodeSentTo, c.ExpiresAt)
	}
	// The tx_code went to the resident's e-mail, not into the answer.
	txCode := e.lastTxCode()
	if len(txCode) != 6 || strings.Trim(txCode, "0123456789") != "" {
		t.Fatalf("tx_code %q, want 6 digits", txCode)
	}
	if raw := e.post("/operator/confirm", map[string]string{"registration_id": "x"}, desk, nil); raw.StatusCode != http.StatusNotFound {
		t.Fatalf("confirm of an unknown registration: %d", raw.StatusCode)
	}

	w := e.wallet()
	// A wrong tx_code: the token endpoint says invalid_grant, nothing is
	// stored, and the offer still works (one attempt of five spent).
	wrong := string('0'+(txCode[0]-'0'+1)%10) + txCode[1:]
	_, err = e.receive(w, string(scanned), wrong)
	var pe *oid4vci.ProtocolError
	if !errors.Is(err, holder.ErrActivation) || !errors.As(err, &pe) || pe.Code != oid4vci.CodeInvalidGrant {
		t.Fatalf("wrong tx_code: %v, want ErrActivation with invalid_grant", err)
	}
	if n := count(w, t); n != 0 {
		t.Fatalf("%d credentials stored after a wrong tx_code", n)
	}

	r, err := e.receive(w, string(scanned), txCode)
	if err != nil {
		t.Fatal(err)
	}
	if r.Issuer != e.srv.URL || r.IssuerName != "Ditjen Dukcapil (demo)" || r.NotificationErr != nil {
		t.Fatalf("received from %q (%q), notification error %v", r.Issuer, r.IssuerName, r.NotificationErr)
	}
	// The KTP-el, full and QR profile, each as SD-JWT VC and mdoc, every
	// one verified against the trust list before it was stored.
	var sd []*holder.Credential
	formats := map[credential.Format]int{}
	for _, cr := range r.Credentials {
		formats[cr.Format]++
		if cr.Format == credential.FormatSDJWT {
			sd = append(sd, cr)
		}
	}
	if len(r.Credentials) != 4 || formats[credential.FormatSDJWT] != 2 || formats[credential.FormatMdoc] != 2 || count(w, t) != 4 {
		t.Fatalf("received %d credentials %v, stored %d", len(r.Credentials), formats, count(w, t))
	}
	var full, qrProfile *holder.Credential
	for _, cr := range sd {
		if cr.Issuer != e.srv.URL {
			t.Fatalf("%s issued by %q", cr.Name, cr.Issuer)
		}
		switch cr.VCT {
		case credential.VCTKTPEL:
			full = cr
		case credential.VCTQR:
			qrProfile = cr
		}
	}
	if full == nil || qrProfile == nil {
		t.Fatal("the SD-JWT VCs are not the KTP-el and its QR profile")
	}
	doc, err := full.Document()
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := doc.(*credential.KTPEL); !ok || k.NIK().String() != demoNIK {
		t.Fatalf("document %T %+v", doc, doc)
	}
	for _, cr := range sd {
		if s := e.status(cr); s != statuslist.Valid {
			t.Fatalf("fresh %s: status %v", cr.Name, s)
		}
	}
	// The offer worked once.
	if _, err := e.receive(w, string(scanned), txCode); err == nil {
		t.Fatal("the offer was redeemed twice")
	}

	// The operator finds the QR profile SD-JWT VC among the phone's
	// credentials and revokes it: only it turns INVALID.
	var list struct {
		Credentials []credentialInfo `json:"credentials"`
	}
	// One-time copies (issue 19): each of the 4 credentials as a batch.
	issued := 2 * (credential.KTPELType().Copies + credential.QRType().Copies)
	if st := e.post("/operator/credentials", map[string]string{"nik": demoNIK}, desk, &list).StatusCode; st != http.StatusOK || len(list.Credentials) != issued {
		t.Fatalf("credentials: %d, %d listed", st, len(list.Credentials))
	}
	qrRef, _ := statuslist.StatusClaimFromJSONValue(qrProfile.Claims()["status"])
	var qrID string
	for _, ci := range list.Credentials {
		if ci.StatusURI == qrRef.StatusList.URI && ci.StatusIdx == qrRef.StatusList.Index {
			qrID = ci.ID
			if ci.VCT != credential.VCTQR || ci.Profile != "qr" || ci.Format != string(credential.FormatSDJWT) || ci.Revoked {
				t.Fatalf("QR profile credential listed as %+v", ci)
			}
		}
	}
	if qrID == "" {
		t.Fatalf("the wallet's QR profile credential (%+v) is not listed", qrRef.StatusList)
	}
	if st := e.post("/operator/revoke", map[string]string{"credential_id": qrID}, desk, nil).StatusCode; st != http.StatusOK {
		t.Fatalf("revoke: %d", st)
	}
	if s := e.status(qrProfile); s != statuslist.Invalid {
		t.Fatalf("revoked QR profile credential: status %v", s)
	}
	if s := e.status(full); s != statuslist.Valid {
		t.Fatalf("full credential after revoking the QR profile one: status %v", s)
	}
	if st := e.post("/operator/revoke", map[string]string{"credential_id": "nosuchcredential"}, desk, nil).StatusCode; st != http.StatusNotFound {
		t.Fatalf("revoke of an unknown credential: %d", st)
	}

	// Lost phone: every other copy is revoked, the binding ends.
	var lost struct {
		Revoked int `json:"revoked"`
	}
	if st := e.post("/operator/report-lost", map[string]string{"nik": demoNIK}, desk, &lost).StatusCode; st != http.StatusOK || lost.Revoked != issued-1 {
		t.Fatalf("report lost: %d, %d revoked", st, lost.Revoked)
	}
	if s := e.status(full); s != statuslist.Invalid {
		t.Fatalf("full credential after the lost phone: status %v", s)
	}
	if st := e.post("/operator/report-lost", map[string]string{"nik": demoNIK}, desk, nil).StatusCode; st != http.StatusNotFound {
		t.Fatalf("second lost report: %d", st)
	}
	if st := e.post("/operator/credentials", map[string]string{"nik": demoNIK}, desk, nil).StatusCode; st != http.StatusNotFound {
		t.Fatalf("credentials of a NIK without a phone: %d", st)
	}
}

// TestOperatorAuth checks that every operator endpoint refuses requests
// without the operator token or an operator ID, and acts on none of them.
func TestOperatorAuth(t *testing.T) {
	e := newEnv(t)
	regID := e.register(demoNIK)
	bodies := map[string]any{
		"/operator/confirm":     map[string]string{"registration_id": regID},
		"/operator/credentials": map[string]string{"nik": demoNIK},
		"/operator/revoke":      map[string]string{"credential_id": "abc"},
		"/operator/report-lost": map[string]string{"nik": demoNIK},
	}
	cases := []struct {
		name   string
		a      auth
		status int
		code   string
	}{
		{"no token", auth{operatorID: "kec-tebet-01"}, http.StatusUnauthorized, "invalid_token"},
		{"wrong token", auth{"test-operator-tokeN", "kec-tebet-01"}, http.StatusUnauthorized, "invalid_token"},
		{"token prefix", auth{operatorToken[:len(operatorToken)-1], "kec-tebet-01"}, http.StatusUnauthorized, "invalid_token"},
		{"no operator ID", auth{token: operatorToken}, http.StatusBadRequest, "invalid_request"},
	}
	for _, tc := range cases {
		for path, body := range bodies {
			t.Run(tc.name+path, func(t *testing.T) {
				var eb errorBody
				resp := e.post(path, body, tc.a, &eb)
				if resp.StatusCode != tc.status || eb.Error != tc.code {
					t.Fatalf("%d %q, want %d %q", resp.StatusCode, eb.Error, tc.status, tc.code)
				}
				if ch := resp.Header.Get("WWW-Authenticate"); (tc.status == http.StatusUnauthorized) != strings.HasPrefix(ch, "Bearer ") {
					t.Fatalf("WWW-Authenticate %q", ch)
				}
			})
		}
	}
	if sent := e.mail.all(); len(sent) != 0 {
		t.Fatalf("refused confirmations e-mailed %d tx_codes", len(sent))
	}
	// The same registration confirms with the token and an operator ID.
	e.confirm(regID)
	if sent := e.mail.all(); len(sent) != 1 {
		t.Fatalf("%d e-mails after one confirmation", len(sent))
	}
}

// TestRequests checks the example's input handling and that the
// library's endpoints are mounted at the identifier.
func TestRequests(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name   string
		path   string
		body   any
		a      auth
		status int
	}{
		{"unknown field", "/registrations", map[string]any{"nik": demoNIK, "email": residentEmail, "phone": "081234567890", "extra": 1}, resident, http.StatusBadRequest},
		{"bad NIK", "/registrations", map[string]string{"nik": "123", "email": residentEmail, "phone": "081234567890"}, resident, http.StatusBadRequest},
		{"bad phone", "/registrations", map[string]string{"nik": demoNIK, "email": residentEmail, "phone": "12345"}, resident, http.StatusBadRequest},
		{"not JSON", "/operator/confirm", "registration_id=x", desk, http.StatusBadRequest},
		{"bad NIK lost", "/operator/report-lost", map[string]string{"nik": "31740157089500"}, desk, http.StatusBadRequest},
		{"bad NIK credentials", "/operator/credentials", map[string]string{"nik": "x"}, desk, http.StatusBadRequest},
		{"no phone", "/operator/report-lost", map[string]string{"nik": demoNIK}, desk, http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if st := e.post(tc.path, tc.body, tc.a, nil).StatusCode; st != tc.status {
				t.Fatalf("%d, want %d", st, tc.status)
			}
		})
	}
	// A person the register has no documents for is not confirmed, and
	// no tx_code is sent.
	if st := e.post("/operator/confirm", map[string]string{"registration_id": e.register("3174015708950038")}, desk, nil).StatusCode; st != http.StatusNotFound {
		t.Fatalf("confirm without documents: %d", st)
	}
	if sent := e.mail.all(); len(sent) != 0 {
		t.Fatalf("%d tx_codes e-mailed for a refused confirmation", len(sent))
	}

	// The service requires DPoP-bound access tokens (RFC 9449): a token
	// request without a DPoP proof is refused before its code is looked at.
	form := url.Values{"grant_type": {oid4vci.GrantTypePreAuthorizedCode}, "pre-authorized_code": {"x"}, "tx_code": {"123456"}}
	tr, err := e.srv.Client().PostForm(e.srv.URL+"/token", form)
	if err != nil {
		t.Fatal(err)
	}
	var eb errorBody
	json.NewDecoder(tr.Body).Decode(&eb)
	tr.Body.Close()
	if tr.StatusCode != http.StatusBadRequest || eb.Error != oid4vci.CodeInvalidDPoPProof {
		t.Fatalf("token request without DPoP: %d %q", tr.StatusCode, eb.Error)
	}

	resp, err := e.srv.Client().Get(e.srv.URL + oid4vci.WellKnownCredentialIssuer)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var md struct {
		CredentialIssuer   string `json:"credential_issuer"`
		CredentialEndpoint string `json:"credential_endpoint"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("metadata: %d %v", resp.StatusCode, err)
	}
	if md.CredentialIssuer != e.srv.URL || md.CredentialEndpoint != e.srv.URL+"/credential" {
		t.Fatalf("metadata %+v", md)
	}
}
