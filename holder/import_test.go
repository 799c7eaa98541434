package holder

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// issueSD issues doc as an SD-JWT VC signed by signer, bound to holder.
func issueSD(t testing.TB, signer crypto.Signer, iss string, doc credential.Document, holder crypto.PublicKey, at time.Time) []byte {
	t.Helper()
	s, err := makeSD(signer, iss, doc, holder, at)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(s)
}

// makeSD is issueSD without a testing.TB, for handlers.
func makeSD(signer crypto.Signer, iss string, doc credential.Document, holder crypto.PublicKey, at time.Time) (string, error) {
	claims := doc.SDJWTClaims(at)
	claims["iss"] = iss
	claims["iat"] = at.Unix()
	claims["exp"] = at.Add(365 * 24 * time.Hour).Unix()
	var paths []sdjwt.Path
	for _, p := range doc.Type().SelectivelyDisclosable() {
		if _, ok := claims[p[0].(string)]; ok {
			paths = append(paths, sdjwt.Path(p))
		}
	}
	return sdjwt.IssueVC(claims, sdjwt.IssueOptions{Signer: signer, Disclosable: paths, HolderKey: holder})
}

// issueMdoc issues doc as an mdoc signed by signer with chain, bound to holder.
func issueMdoc(t testing.TB, signer crypto.Signer, chain []*x509.Certificate, doc credential.Document, holder crypto.PublicKey, at time.Time) []byte {
	t.Helper()
	b, err := makeMdoc(signer, chain, doc, holder, at)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// makeMdoc is issueMdoc without a testing.TB, for handlers.
func makeMdoc(signer crypto.Signer, chain []*x509.Certificate, doc credential.Document, holder crypto.PublicKey, at time.Time) ([]byte, error) {
	is, err := (&mdoc.Issuer{Signer: signer, Chain: chain, Now: func() time.Time { return at }}).Issue(mdoc.IssueRequest{
		DocType: doc.Type().DocType, NameSpaces: doc.MdocElements(at), DeviceKey: holder, ValidUntil: at.Add(365 * 24 * time.Hour),
	})
	if err != nil {
		return nil, err
	}
	return is.MarshalCBOR()
}

func TestImport(t *testing.T) {
	f := activated(t)
	dev, err := f.w.CreateDeviceKey(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := keys.Generate(keys.ES256, nil)
	rogue, _ := keys.Generate(keys.ES256, nil)
	_, rogueLeaf, err := makePKI(rogue)
	if err != nil {
		t.Fatal(err)
	}
	npwp, err := credential.NewNPWP(credential.NPWPFields{
		Number: testNIK, TaxpayerType: credential.OPPenduduk, Name: "RINA KARTIKA SARI",
		NIK: credential.MustParseNIK(testNIK), TaxOfficeCode: "012", TaxOfficeName: "KPP PRATAMA JAKARTA TEBET",
		RegistrationDate: credential.Date{Year: 2016, Month: 5, Day: 10}, ValidationStatus: credential.NPWPValid,
	})
	if err != nil {
		t.Fatal(err)
	}
	good := issueSD(t, f.is.key, testIssuer, npwp, dev.Public(), t0)
	withKB := func() []byte {
		u, _ := sdjwt.Parse(string(good))
		s, err := u.Present(sdjwt.KeyBindingOptions{Signer: dev, Audience: "x", Nonce: "n", IssuedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		return []byte(s)
	}()
	tampered := bytes.Clone(good)
	tampered[40] ^= 1
	tests := []struct {
		name   string
		format credential.Format
		data   []byte
		err    error
	}{
		{"SD-JWT VC bound to another key", credential.FormatSDJWT, issueSD(t, f.is.key, testIssuer, npwp, other.Public(), t0), ErrKeyMismatch},
		{"SD-JWT VC without cnf", credential.FormatSDJWT, issueSD(t, f.is.key, testIssuer, npwp, nil, t0), ErrKeyMismatch},
		{"SD-JWT VC from an unlisted issuer", credential.FormatSDJWT, issueSD(t, rogue, "https://rogue.example", npwp, dev.Public(), t0), ErrUntrustedIssuer},
		{"SD-JWT VC signed by another key under a listed iss", credential.FormatSDJWT, issueSD(t, rogue, testIssuer, npwp, dev.Public(), t0), ErrUntrustedIssuer},
		{"SD-JWT VC tampered", credential.FormatSDJWT, tampered, ErrUntrustedIssuer},
		{"SD-JWT VC expired", credential.FormatSDJWT, issueSD(t, f.is.key, testIssuer, npwp, dev.Public(), t0.AddDate(-2, 0, 0)), ErrUntrustedIssuer},
		{"SD-JWT+KB instead of an issued credential", credential.FormatSDJWT, withKB, ErrInvalidInput},
		{"not an SD-JWT", credential.FormatSDJWT, []byte("hello"), ErrInvalidInput},
		{"oversized SD-JWT", credential.FormatSDJWT, bytes.Repeat([]byte("a"), sdjwt.MaxTokenSize+1), ErrInvalidInput},
		{"mdoc bound to another key", credential.FormatMdoc, issueMdoc(t, f.is.key, []*x509.Certificate{f.is.leaf}, npwp, other.Public(), t0), ErrKeyMismatch},
		{"mdoc from an untrusted IACA", credential.FormatMdoc, issueMdoc(t, rogue, []*x509.Certificate{rogueLeaf}, npwp, dev.Public(), t0), ErrUntrustedIssuer},
		{"not an mdoc", credential.FormatMdoc, []byte{0xa0}, ErrInvalidInput},
		{"unknown format", credential.Format("jwt_vc_json"), good, ErrInvalidInput},
	}
	before, _ := f.w.Credentials(f.ctx)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := f.w.Import(f.ctx, tc.format, tc.data)
			if !errors.Is(err, tc.err) || c != nil {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
		})
	}
	if after, _ := f.w.Credentials(f.ctx); len(after) != len(before) {
		t.Fatalf("a refused import stored something: %d -> %d", len(before), len(after))
	}
	t.Run("good SD-JWT VC and mdoc, idempotent", func(t *testing.T) {
		for _, in := range []struct {
			f credential.Format
			d []byte
		}{{credential.FormatSDJWT, good}, {credential.FormatMdoc, issueMdoc(t, f.is.key, []*x509.Certificate{f.is.leaf}, npwp, dev.Public(), t0)}} {
			for range 2 {
				c, err := f.w.Import(f.ctx, in.f, in.d)
				if err != nil {
					t.Fatal(err)
				}
				d, err := c.Document()
				if n, ok := d.(*credential.NPWP); err != nil || !ok || !n.Equal(npwp) {
					t.Fatalf("typed NPWP: %v", err)
				}
			}
		}
		if after, _ := f.w.Credentials(f.ctx); len(after) != len(before)+2 {
			t.Fatalf("%d -> %d credentials", len(before), len(after))
		}
	})
}

func TestActivationFailures(t *testing.T) {
	f := newFixture(t)
	g := f.is.grant(t)
	// A wrong tx_code is the issuer's invalid_grant (OpenID4VCI 1.0 §6.3).
	wrong := "000000"
	if g.Offer.TxCode == wrong {
		wrong = "111111"
	}
	var pe *oid4vci.ProtocolError
	if _, err := f.is.receive(f.ctx, f.w, g, wrong); !errors.Is(err, ErrActivation) || !errors.As(err, &pe) || pe.Code != oid4vci.CodeInvalidGrant {
		t.Fatalf("wrong tx_code: %v", err)
	}
	// A trust list without the issuer refuses everything; nothing is stored.
	f.w.opts.Trust = StaticTrust{}
	if _, err := f.is.receive(f.ctx, f.w, g, ""); !errors.Is(err, ErrUntrustedIssuer) {
		t.Fatalf("untrusted issuer: %v", err)
	}
	if list, _ := f.w.Credentials(f.ctx); len(list) != 0 {
		t.Fatalf("%d credentials stored", len(list))
	}
}

func TestExportActivity(t *testing.T) {
	f := activated(t)
	var buf bytes.Buffer
	if err := f.w.ExportActivity(f.ctx, &buf); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	if !strings.Contains(s, `"version": 1`) || !strings.Contains(s, `"kind": "activation"`) || !strings.Contains(s, testIssuer) {
		t.Fatalf("export: %s", s)
	}
	// The history is encrypted at rest: the issuer id is not in the file.
	var raw []byte
	f.w.db.QueryRow("SELECT data FROM records WHERE kind = ?", kindActivity).Scan(&raw)
	if len(raw) == 0 || bytes.Contains(raw, []byte(testIssuer)) {
		t.Fatal("activity stored in the clear")
	}
}
