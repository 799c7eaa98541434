package main

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

const operatorToken = "test-operator-token"

// client drives the service over real HTTP.
type client struct {
	t    *testing.T
	base string
}

func (c *client) post(path string, body any, operator bool, out any) int {
	c.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, c.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if operator {
		req.Header.Set("Authorization", "Bearer "+operatorToken)
		req.Header.Set("X-Operator-ID", "kec-tebet-01")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			c.t.Fatal(err)
		}
	}
	return resp.StatusCode
}

type credentialResponse struct {
	Credentials []struct {
		Credential string `json:"credential"`
		Format     string `json:"format"`
		VCT        string `json:"vct"`
		ID         string `json:"credential_id"`
	} `json:"credentials"`
	BindingID string `json:"binding_id"`
	Error     string `json:"error"`
}

// activate registers, confirms, gets a nonce and redeems the code with a
// proof by device.
func (c *client) activate(device crypto.Signer) credentialResponse {
	c.t.Helper()
	var reg struct {
		ID string `json:"registration_id"`
	}
	if st := c.post("/registrations", map[string]string{"nik": "3174015708950021", "email": "rina@example.id", "phone": "081234567890"}, false, &reg); st != http.StatusCreated {
		c.t.Fatalf("register: %d", st)
	}
	var code struct {
		Code string `json:"activation_code"`
	}
	if st := c.post("/operator/confirm", map[string]string{"registration_id": reg.ID}, true, &code); st != http.StatusOK {
		c.t.Fatalf("confirm: %d", st)
	}
	// Without the operator token, no code.
	if st := c.post("/operator/confirm", map[string]string{"registration_id": reg.ID}, false, nil); st != http.StatusUnauthorized {
		c.t.Fatalf("confirm without token: %d", st)
	}
	var nonce struct {
		CNonce string `json:"c_nonce"`
	}
	if st := c.post("/nonce", nil, false, &nonce); st != http.StatusOK || nonce.CNonce == "" {
		c.t.Fatalf("nonce: %d", st)
	}
	proof, err := oid4vci.SignProof(nil, device, c.base, nonce.CNonce, time.Now())
	if err != nil {
		c.t.Fatal(err)
	}
	// A wrong code first: refused, counted, and the nonce is spent.
	var bad credentialResponse
	if st := c.post("/credential", map[string]any{"registration_id": reg.ID, "activation_code": "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-A", "proofs": map[string]any{"jwt": []string{proof}}}, false, &bad); st != http.StatusBadRequest || bad.Error != "invalid_grant" {
		c.t.Fatalf("wrong code: %d %q", st, bad.Error)
	}
	if st := c.post("/credential", map[string]any{"registration_id": reg.ID, "activation_code": code.Code, "proofs": map[string]any{"jwt": []string{proof}}}, false, &bad); st != http.StatusBadRequest || bad.Error != "invalid_nonce" {
		c.t.Fatalf("reused nonce: %d %q", st, bad.Error)
	}
	c.post("/nonce", nil, false, &nonce)
	proof, _ = oid4vci.SignProof(nil, device, c.base, nonce.CNonce, time.Now())
	var out credentialResponse
	if st := c.post("/credential", map[string]any{"registration_id": reg.ID, "activation_code": code.Code, "proofs": map[string]any{"jwt": []string{proof}}}, false, &out); st != http.StatusOK {
		c.t.Fatalf("credential: %d %q", st, out.Error)
	}
	return out
}

func (c *client) statusList(pub crypto.PublicKey) *statuslist.Token {
	c.t.Helper()
	resp, err := http.Get(c.base + "/status/1")
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != statuslist.MediaTypeJWT {
		c.t.Fatalf("status list: %d %q", resp.StatusCode, ct)
	}
	b, _ := io.ReadAll(resp.Body)
	tok, err := (&statuslist.Verifier{Key: pub}).VerifyJWT(b)
	if err != nil {
		c.t.Fatal(err)
	}
	return tok
}

func TestActivationOverHTTP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	signer, chain, err := demoKeys()
	if err != nil {
		t.Fatal(err)
	}
	iss, store, err := newIssuer(context.Background(), options{baseURL: base, dbPath: filepath.Join(t.TempDir(), "issuer.db"), signer: keys.Opaque(signer), chain: chain})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	srv := &http.Server{Handler: (&server{iss: iss, operatorToken: operatorToken}).routes()}
	go srv.Serve(ln)
	defer srv.Close()
	c := &client{t: t, base: base}

	phoneA, _ := keys.Generate(keys.ES256, nil)
	first := c.activate(phoneA)
	if len(first.Credentials) != 4 { // KTP-el full + QR profile, SD-JWT VC + mdoc
		t.Fatalf("%d credentials", len(first.Credentials))
	}
	var sdjwtCred string
	for _, cr := range first.Credentials {
		if cr.Format == string(credential.FormatSDJWT) && cr.VCT == credential.VCTKTPEL {
			sdjwtCred = cr.Credential
		}
	}
	v, err := sdjwt.VerifyVC(sdjwtCred, sdjwt.VerifyOptions{IssuerKey: signer.Public(), AllowNoKeyBinding: true})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := v.Get(sdjwt.P("status"))
	ref, err := statuslist.StatusClaimFromJSONValue(st)
	if err != nil || ref.StatusList.URI != base+"/status/1" {
		t.Fatalf("status %v %v", st, err)
	}
	if s, _ := c.statusList(signer.Public()).Status(ref.StatusList.Index); s != statuslist.Valid {
		t.Fatalf("fresh credential status %v", s)
	}

	// A second activation on a new phone revokes the first phone's credentials.
	phoneB, _ := keys.Generate(keys.ES256, nil)
	second := c.activate(phoneB)
	if second.BindingID == first.BindingID {
		t.Fatal("same binding")
	}
	tok := c.statusList(signer.Public())
	if s, _ := tok.Status(ref.StatusList.Index); s != statuslist.Invalid {
		t.Fatalf("old phone's credential status %v, want INVALID", s)
	}
	for _, cr := range second.Credentials {
		if cr.Format != string(credential.FormatSDJWT) {
			continue
		}
		v, err := sdjwt.VerifyVC(cr.Credential, sdjwt.VerifyOptions{IssuerKey: signer.Public(), AllowNoKeyBinding: true})
		if err != nil {
			t.Fatal(err)
		}
		st, _ := v.Get(sdjwt.P("status"))
		r2, _ := statuslist.StatusClaimFromJSONValue(st)
		if s, _ := tok.Status(r2.StatusList.Index); s != statuslist.Valid {
			t.Fatalf("new phone's credential status %v", s)
		}
	}

	// Lost phone: revoke by NIK, then nothing is active.
	var rev struct {
		Revoked int `json:"revoked"`
	}
	if code := c.post("/operator/revoke", map[string]string{"nik": "3174015708950021"}, true, &rev); code != http.StatusOK || rev.Revoked != 4 {
		t.Fatalf("lost phone: %d %d", code, rev.Revoked)
	}
	if code := c.post("/operator/revoke", map[string]string{"nik": "3174015708950021"}, true, nil); code != http.StatusNotFound {
		t.Fatalf("second lost report: %d", code)
	}
	if code := c.post("/registrations", map[string]any{"nik": "3174015708950021", "extra": 1}, false, nil); code != http.StatusBadRequest {
		t.Fatalf("unknown field accepted: %d", code)
	}
}
