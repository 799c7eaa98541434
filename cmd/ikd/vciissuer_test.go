package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/demoworld"
	"github.com/ikdkit/ikdkit/internal/oid4vcitest"
	"github.com/ikdkit/ikdkit/issuer"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// vciIssuer is demoworld's Dukcapil, a real issuer.Issuer on SQLite,
// behind the OpenID4VCI endpoints of internal/oid4vcitest on an https
// loopback address, which is also its Credential Issuer Identifier. An offer stands
// for a confirmed registration: its tx_code is the registration's
// activation code, and the first credential request of a wallet redeems
// the code with issuer.Activate (its key proof over a c_nonce of the
// issuer); every configuration is then answered with the credential of
// that activation in its format and type. One NIK, one phone is the
// issuer's: a second wallet's activation revokes the first's credentials.
type vciIssuer struct {
	party *demoworld.Party
	srv   *oid4vcitest.Server
	mu    sync.Mutex
	// activations by registration id and device key thumbprint.
	activations map[string]*issuer.Activation
}

// vciConfigurations are the configurations the test issuer offers: what
// issuer.Activate issues for a KTP-el and a KK.
func vciConfigurations() map[string]oid4vci.CredentialConfiguration {
	ktp, kk, qr := credential.KTPELType(), credential.KKType(), credential.QRType()
	return map[string]oid4vci.CredentialConfiguration{
		"ktpel_dc_sd_jwt":    oid4vcitest.SDJWTConfiguration(ktp.VCT, ktp.Name),
		"ktpel_mso_mdoc":     oid4vcitest.MdocConfiguration(ktp.DocType, ktp.Name),
		"qr_ktpel_dc_sd_jwt": oid4vcitest.SDJWTConfiguration(qr.VCT, qr.Name),
		"kk_dc_sd_jwt":       oid4vcitest.SDJWTConfiguration(kk.VCT, kk.Name),
		"kk_mso_mdoc":        oid4vcitest.MdocConfiguration(kk.DocType, kk.Name),
	}
}

// newVCIIssuer starts the issuer with its store in dir and writes
// issuer.jwk.json and iaca.pem there.
func newVCIIssuer(dir string, now func() time.Time) (*vciIssuer, error) {
	ctx := context.Background()
	v := &vciIssuer{activations: map[string]*issuer.Activation{}}
	v.srv = oid4vcitest.New(oid4vcitest.Config{
		Configurations: vciConfigurations(),
		Issue:          v.issue,
		Nonce: func(ctx context.Context) (string, error) {
			n, _, err := v.party.Issuer.Nonce(ctx)
			return n, err
		},
		// https, so that the identifier is one a trust list can hold;
		// the wallet trusts the test certificate through env.transport.
		TLS: true,
		Now: now,
	})
	ktp, kk, _, _, err := demoworld.ResidentDocuments()
	if err != nil {
		v.srv.Close()
		return nil, err
	}
	v.party, err = demoworld.NewParty(ctx, demoworld.PartyConfig{Dir: dir, ID: v.srv.URL, Name: "Ditjen Dukcapil",
		Types: []credential.TypeInfo{credential.KTPELType(), credential.KKType()}, Documents: []credential.Document{ktp, kk}, Now: now})
	if err != nil {
		v.srv.Close()
		return nil, err
	}
	pub, err := keys.MarshalPublicJWK(v.party.Key.Public())
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "issuer.jwk.json"), pub, 0o644)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "iaca.pem"), keys.MarshalCertificatesPEM(v.party.Root), 0o644)
	}
	if err != nil {
		v.Close()
		return nil, err
	}
	return v, nil
}

// Close stops the server and closes the store.
func (v *vciIssuer) Close() {
	v.srv.Close()
	v.party.Close()
}

// offer registers the demo resident, confirms the registration as an
// operator would, and returns the offer by reference and its tx_code.
func (v *vciIssuer) offer(ctx context.Context) (link, txCode string, err error) {
	reg, err := v.party.Issuer.Register(ctx, demoworld.RegisterRequest())
	if err != nil {
		return "", "", err
	}
	g, err := v.party.Issuer.Confirm(ctx, "operator:test", reg.ID)
	if err != nil {
		return "", "", err
	}
	// The issuer takes the code with or without its dashes: no length.
	ids := []string{"ktpel_dc_sd_jwt", "ktpel_mso_mdoc", "qr_ktpel_dc_sd_jwt", "kk_dc_sd_jwt", "kk_mso_mdoc"}
	link, _ = v.srv.Offer(oid4vcitest.OfferOptions{ConfigurationIDs: ids, TxCode: g.Code, InputMode: oid4vci.InputModeText, Length: -1, Subject: g.RegistrationID,
		Description: "Kode aktivasi dari surel Dukcapil / the activation code from the Dukcapil e-mail"})
	return link, g.Code, nil
}

func (v *vciIssuer) issue(ctx context.Context, r oid4vcitest.IssueRequest) (string, error) {
	key := r.Subject + "|" + r.Proof.Thumbprint()
	v.mu.Lock()
	defer v.mu.Unlock()
	a := v.activations[key]
	if a == nil {
		var err error
		if a, err = v.party.Issuer.Activate(ctx, issuer.ActivationRequest{RegistrationID: r.Subject, Code: r.TxCode, Proof: r.ProofJWT}); err != nil {
			return "", err
		}
		v.activations[key] = a
	}
	for _, c := range a.Credentials {
		if c.Format != r.Configuration.Format {
			continue
		}
		if (c.Format == credential.FormatSDJWT && c.VCT == r.Configuration.VCT) || (c.Format == credential.FormatMdoc && c.DocType == r.Configuration.Doctype) {
			return c.Encoded(), nil
		}
	}
	return "", fmt.Errorf("the activation issued no %s %s%s", r.Configuration.Format, r.Configuration.VCT, r.Configuration.Doctype)
}
