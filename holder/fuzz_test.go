package holder

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
)

var sentinels = []error{ErrConfig, ErrInvalidInput, ErrNoWallet, ErrExists, ErrLocked, ErrWrongPIN, ErrPINDelay,
	ErrWiped, ErrCorrupt, ErrStore, ErrNoDeviceKey, ErrUntrustedIssuer, ErrKeyMismatch, ErrActivation, ErrNotFound,
	ErrNoMatch, ErrConsentRefused, ErrUntrustedVerifier, ErrPresentation, ErrOffer, ErrTxCodeRefused, ErrNoCopyLeft, ErrRefreshDenied}

// checkTyped fails unless err is an *Error wrapping exactly one sentinel.
func checkTyped(t *testing.T, err error) {
	t.Helper()
	var he *Error
	if !errors.As(err, &he) {
		t.Fatalf("untyped error %T: %v", err, err)
	}
	n := 0
	for _, s := range sentinels {
		if errors.Is(err, s) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("error wraps %d sentinels: %v", n, err)
	}
}

// FuzzImport feeds arbitrary bytes to Import as both formats. Property: no
// panic; a refusal is a typed error and stores nothing; the draft-18 issuer
// is trusted and the wallet holds the example holder key, so only input
// carrying a valid issuer signature and cnf could get past the type check.
func FuzzImport(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(vectorDir, "*.txt"))
	if len(seeds) == 0 {
		f.Fatal("empty seed corpus: no files in " + vectorDir)
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bytes.TrimSpace(b), false)
	}
	f.Add([]byte{0xa2, 0x6a}, true)
	issuerKey, holderKey := draft18Keys(f)
	ctx := context.Background()
	w, err := Create(ctx, f.TempDir(), testPIN, Options{KDF: testKDF, DeviceKeys: fixedKeystore{holderKey},
		Trust: StaticTrust{Issuers: map[string]crypto.PublicKey{"https://example.com/issuer": issuerKey}},
		Now:   func() time.Time { return time.Unix(1785785053, 0) }})
	if err != nil {
		f.Fatal(err)
	}
	defer w.Close()
	if _, err := w.CreateDeviceKey(ctx); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, asMdoc bool) {
		format := credential.FormatSDJWT
		if asMdoc {
			format = credential.FormatMdoc
		}
		c, err := w.Import(ctx, format, data)
		if err == nil {
			t.Fatalf("accepted a credential no IKD type matches: %+v", c)
		}
		checkTyped(t, err)
		if c != nil {
			t.Fatal("credential returned with an error")
		}
		if list, err := w.Credentials(ctx); err != nil || len(list) != 0 {
			t.Fatalf("refused import stored something: %d, %v", len(list), err)
		}
	})
}

// FuzzKDFRecord checks the stored KDF record decoder: it accepts only
// in-bounds parameters with a full salt, and what it accepts re-encodes to
// the same bytes.
func FuzzKDFRecord(f *testing.F) {
	f.Add(DefaultKDF().encode(make([]byte, saltSize)))
	f.Add(testKDF.encode(bytes.Repeat([]byte{1}, saltSize)))
	f.Add([]byte{0, 0, 0, 200, 255, 255, 255, 255, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, salt, err := decodeKDF(b)
		if err != nil {
			if salt != nil || p != (KDFParams{}) {
				t.Fatal("partial result on error")
			}
			return
		}
		if p.validate() != nil || len(salt) != saltSize {
			t.Fatalf("accepted out-of-bounds record %+v", p)
		}
		if !bytes.Equal(p.encode(salt), b) {
			t.Fatal("record does not round-trip")
		}
	})
}

// FuzzReceiveOffer feeds arbitrary text to ReceiveOffer as the scanned QR,
// over an HTTP client that has no network. Property: no panic, and nothing
// but a typed ErrOffer at the offer or metadata step (every request fails,
// so no offer gets past the metadata), nothing stored, and the app never
// asked for a tx_code.
func FuzzReceiveOffer(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "testdata", "oid4vci", "spec", "offer-link-*.txt"))
	if len(seeds) == 0 {
		f.Fatal("empty seed corpus: no offer-link-*.txt in testdata/oid4vci/spec")
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	for _, s := range []string{
		"openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example.com%2Foffers%2F1",
		"openid-credential-offer://?credential_offer_uri=http%3A%2F%2Fissuer.example.com%2Foffers%2F1",
		"openid-credential-offer://?credential_offer_uri=http%3A%2F%2F127.0.0.1%3A1%2Fo",
		"openid-credential-offer://?credential_offer=%7B%7D",
		"openid-credential-offer://?credential_offer=%7B%22credential_issuer%22%3A%22https%3A%2F%2Fa.example%22%2C" +
			"%22credential_configuration_ids%22%3A%5B%22x%22%5D%7D",
		"haip://?credential_offer_uri=https://a.example/o&credential_offer_uri=https://b.example/o",
		"https://wallet.example/offer?credential_offer_uri=https%3A%2F%2Fuser%40a.example%2Fo",
		"",
		"\x00",
	} {
		f.Add(s)
	}
	ctx := context.Background()
	w, err := Create(ctx, f.TempDir(), testPIN, Options{KDF: testKDF, Trust: StaticTrust{}})
	if err != nil {
		f.Fatal(err)
	}
	defer w.Close()
	noNetwork := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("no network in this test")
	})}
	f.Fuzz(func(t *testing.T, offer string) {
		r, err := w.ReceiveOffer(ctx, offer, ReceiveOptions{HTTPClient: noNetwork, TxCode: func(context.Context, TxCodeRequest) (string, error) {
			t.Fatal("asked for a tx_code")
			return "", nil
		}})
		if err == nil || r != nil {
			t.Fatalf("received %+v without network", r)
		}
		checkTyped(t, err)
		if s := stepOf(err); !errors.Is(err, ErrOffer) || (s != StepOffer && s != StepMetadata) {
			t.Fatalf("error %v at step %q", err, s)
		}
		if list, err := w.Credentials(ctx); err != nil || len(list) != 0 {
			t.Fatalf("stored %d, %v", len(list), err)
		}
	})
}
