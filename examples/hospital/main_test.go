package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/holder"
	"github.com/ikdkit/ikdkit/verifier"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), func() time.Time { return t0 }, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"consent: share 4 claims of KTP-el with https://rsud.example.go.id",
		"consent: share 5 claims of BPJS Kesehatan with https://rsud.example.go.id",
		"admitted: NIK 3174015708950021 (the same NIK in both, each card proven by its own one-time device key: true)",
		"patient   RINA KARTIKA SARI, born 1995-08-17",
		"JKN card  0001234567890, AKTIF, class 1, faskes KLINIK PRATAMA CONTOH  [BPJS Kesehatan]",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestBPJSOnly: a presentation without the KTP-el does not satisfy the
// desk's policy.
func TestBPJSOnly(t *testing.T) {
	ctx := context.Background()
	wd, err := newWorld(ctx, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	defer wd.Close()
	v, err := newVerifier(wd)
	if err != nil {
		t.Fatal(err)
	}
	p, err := wd.wallet.Present(ctx, &holder.Request{Verifier: hospitalID, Items: admissionRequest[1:]},
		holder.PresentOptions{Consent: func(context.Context, holder.ConsentRequest) (bool, error) { return true, nil }})
	if err != nil {
		t.Fatal(err)
	}
	var frames []string
	for _, c := range p.Codes {
		frames = append(frames, string(c.Data))
	}
	var ve *check.Error
	if err := admit(context.Background(), v, frames, &bytes.Buffer{}); !errors.Is(err, verifier.ErrPolicy) || !errors.As(err, &ve) || ve.Check != check.Policy {
		t.Fatalf("err = %v, want policy", err)
	}
}
