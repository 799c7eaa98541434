// Command bank-verifier is a bank's KYC endpoint: the teller's scanner
// posts the QR text a customer's IKD wallet shows, and the endpoint answers
// with the verified customer identity (NIK, name, birth date, sex), or with
// the check that failed. Verification is offline (package verifier): the
// issuer's signature against a signed trust list, selective disclosure,
// holder binding to this bank within the 90-second window, replay, and
// revocation from a status list cache.
//
//	go run ./examples/bank-verifier              # serves on :8080 and prints a sample QR to post
//	curl -s --data-binary @qr.txt localhost:8080/kyc
//
// In this example the issuer, trust-list operator and customer wallet run
// in-process so that it works offline; a bank only keeps the trust store
// and status cache, refreshed from their URLs.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/verifier"
)

const bankID = "https://bank.example.co.id"

// maxBody caps a request: a response QR holds at most qr.MaxPayloadSize
// bytes of payload, base45 text at most 1.5 times that.
const maxBody = 2 * qr.MaxPayloadSize

// identity is the KYC answer.
type identity struct {
	Verified  bool   `json:"verified"`
	NIK       string `json:"nik,omitempty"`
	Name      string `json:"name,omitempty"`
	BirthDate string `json:"birthdate,omitempty"`
	Sex       string `json:"sex,omitempty"`
	Issuer    string `json:"issuer,omitempty"`
	// Check and Error say why verification failed.
	Check string `json:"check,omitempty"`
	Error string `json:"error,omitempty"`
}

// kyc is the HTTP handler around a verifier.
type kyc struct{ v *verifier.Verifier }

func (k *kyc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, identity{Error: "POST the scanned QR text"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, identity{Error: "body too large"})
		return
	}
	// The body is the payload exactly as scanned: a byte-mode QR holds
	// binary data, so nothing is trimmed.
	text := string(body)
	if text == "" {
		writeJSON(w, http.StatusBadRequest, identity{Error: "empty body: POST the scanned QR text"})
		return
	}
	res, err := k.v.VerifyQR(r.Context(), text)
	if err != nil {
		var ve *check.Error
		ans := identity{Error: err.Error()}
		if errors.As(err, &ve) {
			ans.Check = ve.Check.String()
		}
		writeJSON(w, http.StatusUnprocessableEntity, ans)
		return
	}
	c := res.Credentials()[0]
	id, _ := c.Claims()[credential.QRClaimID].(map[string]any)
	writeJSON(w, http.StatusOK, identity{Verified: true, NIK: res.NIK(), Name: fmt.Sprint(id["name"]),
		BirthDate: fmt.Sprint(id["birthdate"]), Sex: sexName(fmt.Sprint(id["sex"])), Issuer: c.IssuerName()})
}

// sexName maps the ISO/IEC 5218 code of the QR profile.
func sexName(code string) string {
	switch code {
	case "1":
		return "LAKI-LAKI"
	case "2":
		return "PEREMPUAN"
	}
	return code
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// newVerifier is the bank's verifier: identity checks from the QR profile
// must disclose the "id" group.
func newVerifier(wd *world) (*verifier.Verifier, error) {
	return verifier.New(verifier.Config{Trust: wd.trust, Status: wd.status, Now: wd.now, ClockSkew: 5 * time.Second,
		Audience: bankID, Policy: verifier.Policy{Required: map[string][]string{credential.VCTQR: {credential.QRClaimID}}}})
}

func main() {
	addr := flag.String("addr", "localhost:8080", "listen `address`")
	flag.Parse()
	ctx := context.Background()
	wd, err := newWorld(ctx, time.Now)
	if err != nil {
		log.Fatal(err)
	}
	defer wd.Close()
	v, err := newVerifier(wd)
	if err != nil {
		log.Fatal(err)
	}
	sample, err := wd.customerQR(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("qr.txt", []byte(sample), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("a customer's QR (valid 90 s) is in qr.txt; try:\n  curl -s --data-binary @qr.txt http://%s/kyc\n", *addr)
	mux := http.NewServeMux()
	mux.Handle("/kyc", &kyc{v: v})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
