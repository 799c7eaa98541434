package request

import (
	"errors"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/trustlist"
)

// TestTrustListVerifiers: a request verifies against the registered
// verifiers of a signed trust list; a verifier or key missing from the
// list, or a claim beyond its registration, is refused.
func TestTrustListVerifiers(t *testing.T) {
	key, operator := testVerifierKey(t), newKey(t)
	list := &trustlist.List{
		Operator: "https://trust.example.go.id", Sequence: 1, IssuedAt: testNow, NextUpdate: testNow.Add(24 * time.Hour),
		Verifiers: []trustlist.Verifier{{
			ID: testVerifier, Name: "Toko Buku Contoh",
			Keys:   []trustlist.Key{{ID: testVerifierKID, Public: key.Public()}},
			Claims: map[string][]string{credential.VCTQR: {credential.QRClaimID}, credential.DocTypeQR: {credential.QRClaimID}},
		}},
	}
	token, err := trustlist.Sign(list, operator, trustlist.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	verified, err := trustlist.Verify(token, operator.Public())
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Verifiers: TrustListVerifiers(verified), Now: func() time.Time { return testNow }}

	vr, err := Verify(encodeRequest(t, sampleRequest(), key).Data, opts)
	if err != nil {
		t.Fatal(err)
	}
	if vr.Verifier().Name != "Toko Buku Contoh" || vr.Verifier().KeyID != testVerifierKID {
		t.Fatalf("registration %+v", vr.Verifier())
	}

	age := sampleRequest()
	age.Query.Credentials[0].Claims = []ClaimQuery{{Path: []any{credential.QRClaimAgeOver18}}}
	other := sampleRequest()
	other.Verifier = "https://lain.example.co.id"
	otherKID, err := Encode(sampleRequest(), SignOptions{Signer: key, KeyID: "k-lain"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		opts Options
		want error
	}{
		{"claim not registered", encodeRequest(t, age, key).Data, opts, ErrNotAllowed},
		{"verifier not in list", encodeRequest(t, other, key).Data, opts, ErrUnregisteredVerifier},
		{"kid not in list", otherKID.Data, opts, ErrUnregisteredVerifier},
		{"no list", encodeRequest(t, sampleRequest(), key).Data, Options{Verifiers: TrustListVerifiers(nil), Now: opts.Now}, ErrUnregisteredVerifier},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Verify(tc.data, tc.opts); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}
