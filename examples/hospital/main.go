// Command hospital shows a hospital admission desk (pendaftaran pasien)
// verifying two credentials of one patient from one QR: the KTP-el from
// Dukcapil (who the patient is) and the BPJS Kesehatan card (that the
// national health insurance covers them, at which care class and primary
// care provider). The verifier (package verifier) checks both issuers
// against the trust list, both presentations' holder binding to the
// hospital within the 90-second window (each by its own one-time device
// key), their status, and that both carry one NIK (ErrHolderMismatch
// otherwise).
//
//	go run ./examples/hospital
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/verifier"
)

const hospitalID = "https://rsud.example.go.id"

// admissionRequest is what the admission desk asks for.
var admissionRequest = []holder.RequestItem{
	{Type: credential.VCTKTPEL, Claims: []string{"personal_administrative_number", "name", "birthdate", "sex"}},
	{Type: credential.VCTBPJSKesehatan, Claims: []string{"personal_administrative_number", "card_number", "membership_status", "care_class", "primary_care_provider"}},
}

// newVerifier is the hospital's verifier: both credentials are required,
// with the claims the desk needs.
func newVerifier(wd *world) (*verifier.Verifier, error) {
	req := map[string][]string{}
	var types []string
	for _, it := range admissionRequest {
		req[it.Type] = it.Claims
		types = append(types, it.Type)
	}
	return verifier.New(verifier.Config{Trust: wd.trust, Status: wd.status, Now: wd.now, ClockSkew: 5 * time.Second,
		Audience: hospitalID, Policy: verifier.Policy{Required: req, RequiredTypes: types}})
}

// patientQR is what the patient's phone shows after consent: one QR, or a
// frame sequence if the two presentations do not fit one.
func patientQR(ctx context.Context, wd *world, w io.Writer) ([]string, error) {
	p, err := wd.wallet.Present(ctx, &holder.Request{Verifier: hospitalID, Items: admissionRequest}, holder.PresentOptions{
		Consent: func(_ context.Context, r holder.ConsentRequest) (bool, error) {
			for _, it := range r.Items {
				fmt.Fprintf(w, "consent: share %d claims of %s with %s\n", len(it.Claims), it.Credential, r.Verifier)
			}
			return true, nil
		}})
	if err != nil {
		return nil, err
	}
	var frames []string
	for _, c := range p.Codes {
		frames = append(frames, string(c.Data))
	}
	return frames, nil
}

// admit verifies the scanned frames and prints the admission record.
func admit(ctx context.Context, v *verifier.Verifier, frames []string, w io.Writer) error {
	var res *verifier.Result
	var err error
	if len(frames) == 1 {
		res, err = v.VerifyQR(ctx, frames[0])
	} else {
		res, err = v.VerifyQRFrames(ctx, frames...)
	}
	if err != nil {
		return err
	}
	creds := res.Credentials()
	ktp, card := creds[0].Claims(), creds[1].Claims()
	fmt.Fprintf(w, "admitted: NIK %s (the same NIK in both, each card proven by its own one-time device key: %v)\n", res.NIK(), res.SameNIK())
	fmt.Fprintf(w, "  patient   %v, born %v, sex %v  [%s]\n", ktp["name"], ktp["birthdate"], ktp["sex"], creds[0].IssuerName())
	fmt.Fprintf(w, "  JKN card  %v, %v, class %v, faskes %v  [%s]\n", card["card_number"], card["membership_status"],
		field(card["care_class"], "code"), field(card["primary_care_provider"], "name"), creds[1].IssuerName())
	return nil
}

// field reads a member of a JSON object claim.
func field(v any, name string) any {
	if m, ok := v.(map[string]any); ok {
		return m[name]
	}
	return nil
}

// run runs the admission at the clock's time.
func run(ctx context.Context, now func() time.Time, w io.Writer) error {
	wd, err := newWorld(ctx, now)
	if err != nil {
		return err
	}
	defer wd.Close()
	v, err := newVerifier(wd)
	if err != nil {
		return err
	}
	frames, err := patientQR(ctx, wd, w)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "the patient shows %d QR code(s)\n", len(frames))
	return admit(ctx, v, frames, w)
}

func main() {
	if err := run(context.Background(), time.Now, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "hospital:", err)
		os.Exit(1)
	}
}
