package verifier

import (
	"testing"

	"github.com/ikdkit/ikdkit/credential"
)

func TestSmoke(t *testing.T) {
	f := newFixture(t)
	v := f.verifier(t, nil)
	o := f.ktpOpts()
	res, err := v.VerifySDJWT(ctx, f.presentSDJWT(t, o), o.nonce)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Credentials()[0]
	if c.KTPEL() == nil || c.NIK() != testNIK || c.IssuerName() != "Ditjen Dukcapil" || res.NIK() != testNIK {
		t.Fatalf("%+v", c)
	}
	m := f.ktpMdoc()
	res, err = v.VerifyMdoc(ctx, f.presentMdoc(t, m, transcript(t, "n1")), transcript(t, "n1"))
	if err != nil {
		t.Fatal(err)
	}
	c = res.Credentials()[0]
	if c.KTPEL() == nil || c.NIK() != testNIK || c.Format() != credential.FormatMdoc {
		t.Fatalf("%+v", c)
	}
}
