package qr

import (
	"errors"
	"testing"
	"time"
)

func TestVerifyFreshness(t *testing.T) {
	f := newFixture(t)
	for _, format := range []string{"sd-jwt", "mdoc"} {
		// A minute before the binding the mdoc is not yet valid (its MSO
		// validFrom is the binding time), which mdoc reports first.
		future := ErrNotFresh
		if format == "mdoc" {
			future = ErrVerification
		}
		c, err := Encode(samplePresentations(t, f)[format])
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			mod  func(*VerifyOptions)
			want error
		}{
			{"fresh", func(o *VerifyOptions) {}, nil},
			{"at 90 s", func(o *VerifyOptions) { o.Now = func() time.Time { return testNow.Add(FreshnessWindow) } }, nil},
			{"stale", func(o *VerifyOptions) { o.Now = func() time.Time { return testNow.Add(FreshnessWindow + time.Second) } }, ErrNotFresh},
			{"future", func(o *VerifyOptions) { o.Now = func() time.Time { return testNow.Add(-time.Minute) } }, future},
			{"other verifier", func(o *VerifyOptions) { o.Audience = "x509_san_dns:other.example" }, ErrAudience},
			{"wrong request nonce", func(o *VerifyOptions) { o.Nonce = []byte("12345678") }, ErrNotFresh},
			{"untrusted issuer", func(o *VerifyOptions) {
				o.SDJWT.IssuerKey = f.holderKey.Public()
				o.Mdoc.Roots = nil
			}, ErrVerification},
			{"no audience", func(o *VerifyOptions) { o.Audience = "" }, ErrOptions},
		}
		for _, tt := range tests {
			t.Run(format+"/"+tt.name, func(t *testing.T) {
				o := f.verifyOptions()
				tt.mod(&o)
				_, err := Verify(c.Data, o)
				if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
					t.Fatalf("got %v, want %v", err, tt.want)
				}
			})
		}
	}
}
