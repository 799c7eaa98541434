package issuer

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/qr"
	"github.com/ikdkit/ikdkit/credential/qr/qrcode"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// Defaults and bounds of the credential offers made at confirmation.
const (
	// DefaultTxCodeLength is the number of digits of a tx_code.
	DefaultTxCodeLength = 6
	// MinTxCodeLength and MaxTxCodeLength bound Config.TxCodeLength. With
	// Config.MaxCodeAttempts tries, a guesser succeeds with probability
	// MaxCodeAttempts / 10^TxCodeLength: 5 in a million for the defaults.
	MinTxCodeLength = 4
	MaxTxCodeLength = 12
	// DefaultTxCodeDescription is the tx_code description of an offer
	// (§4.1.1: at most 300 characters), in Indonesian and English.
	DefaultTxCodeDescription = "Masukkan PIN aktivasi dari surel Dukcapil / Enter the activation PIN from the Dukcapil e-mail"
)

// offerRefBytes is the entropy of an offer's reference, from which its
// pre-authorized code is derived: 256 bits.
const offerRefBytes = 32

// offerPath is the path, under the Credential Issuer Identifier, of the
// offers served by reference: offerPath + reference.
const offerPath = "/offers/"

// Offer is a credential offer (OpenID4VCI 1.0 §4) made when an operator
// confirms a registration ([Issuer.Confirm]): a pre-authorized code grant
// for the configurations of the person's documents, in every format the
// issuer issues, with a tx_code. The resident scans it at the service desk
// as a QR code ([Offer.QR]) or opens it as a link ([Offer.Link],
// [Offer.ReferenceLink]); the tx_code is the one-time activation PIN the
// SOP e-mails. Its secrets exist only here: the store keeps their hashes.
type Offer struct {
	// ID identifies the offer in the audit log.
	ID string
	// Offer is the Credential Offer object, with the pre-authorized code
	// (256 bits, single use) and the tx_code's input mode, length and
	// description. Anyone who reads it can redeem it with the tx_code:
	// show it only to the person.
	Offer oid4vci.CredentialOffer
	// URI is the credential_offer_uri where the [Handler] serves Offer
	// (by reference, §4.1.3) until it is used, withdrawn or expired. It
	// is as secret as the pre-authorized code.
	URI string
	// TxCode is the transaction code, Config.TxCodeLength digits: send it
	// to the person's e-mail address, never with the offer. It is dead
	// after Config.MaxCodeAttempts wrong tries.
	TxCode string
	// ExpiresAt is when the pre-authorized code stops working.
	ExpiresAt time.Time
}

// Link returns the offer by value (§4.1.2):
// openid-credential-offer://?credential_offer=<the offer's JSON>.
func (o *Offer) Link() (string, error) { return o.Offer.Link() }

// ReferenceLink returns the offer by reference (§4.1.3):
// openid-credential-offer://?credential_offer_uri=<URI>, a shorter QR
// code.
func (o *Offer) ReferenceLink() (string, error) { return oid4vci.OfferURILink(o.URI) }

// QR returns a PNG image of the offer's link, by reference when
// byReference is set (a smaller code), else by value, with scale pixels
// per module (1 to 32, see qrcode.PNG).
func (o *Offer) QR(byReference bool, scale int) ([]byte, error) {
	link, err := o.Link()
	if byReference {
		link, err = o.ReferenceLink()
	}
	if err != nil {
		return nil, errorf("offer", ErrInvalidInput, "%v", err)
	}
	c, err := qr.NewCode([]byte(link))
	if err != nil {
		return nil, errorf("offer", ErrInvalidInput, "%v", err)
	}
	png, err := qrcode.PNG(c, scale)
	if err != nil {
		return nil, errorf("offer", ErrInvalidInput, "%v", err)
	}
	return png, nil
}

// configuration is one entry of the issuer's
// credential_configurations_supported.
type configuration struct {
	id      string
	t       credential.TypeInfo // the document's type; the KTP-el for the QR profile
	format  credential.Format
	profile Profile
}

// vct and docType are what the credentials of c carry.
func (c configuration) vct() string {
	if c.profile == ProfileQR {
		return credential.VCTQR
	}
	return c.t.VCT
}

func (c configuration) docType() string {
	if c.profile == ProfileQR {
		return credential.DocTypeQR
	}
	return c.t.DocType
}

// configurationNames are the stems of the configuration identifiers.
var configurationNames = map[string]string{
	credential.VCTKTPEL:             "ktpel",
	credential.VCTKK:                "kk",
	credential.VCTNPWP:              "npwp",
	credential.VCTBPJSKesehatan:     "bpjs_kesehatan",
	credential.VCTBPJSKetenagakerja: "bpjs_ketenagakerjaan",
	credential.VCTQR:                "ktpel_qr",
}

// ConfigurationID returns the credential configuration identifier under
// which an ikdkit issuer offers credentials of type vct in format f:
// "ktpel_dc_sd_jwt", "ktpel_mso_mdoc", "kk_…", "npwp_…", "bpjs_kesehatan_…",
// "bpjs_ketenagakerjaan_…", and "ktpel_qr_…" for the KTP-el's QR profile
// (credential.VCTQR). It returns "" for another vct or format.
func ConfigurationID(vct string, f credential.Format) string {
	name, ok := configurationNames[vct]
	if !ok {
		return ""
	}
	switch f {
	case credential.FormatSDJWT:
		return name + "_dc_sd_jwt"
	case credential.FormatMdoc:
		return name + "_mso_mdoc"
	}
	return ""
}

// buildConfigurations lists the configurations of the issuer's types and
// formats: each type in each format, the KTP-el also in its QR profile.
func (iss *Issuer) buildConfigurations() {
	iss.configs = map[string]configuration{}
	for _, t := range iss.cfg.Types {
		profiles := []Profile{ProfileFull}
		if t.VCT == credential.VCTKTPEL {
			profiles = append(profiles, ProfileQR)
		}
		for _, p := range profiles {
			vct := t.VCT
			if p == ProfileQR {
				vct = credential.VCTQR
			}
			for _, f := range iss.formats {
				c := configuration{id: ConfigurationID(vct, f), t: t, format: f, profile: p}
				iss.configs[c.id] = c
				iss.configOrder = append(iss.configOrder, c.id)
			}
		}
	}
}

// configurationsFor lists the configurations of docs: the configurations
// of each document's type (its profiles, every format), in order.
func (iss *Issuer) configurationsFor(docs []credential.Document) []string {
	var out []string
	for _, id := range iss.configOrder {
		c := iss.configs[id]
		for _, d := range docs {
			if d.Type().VCT == c.t.VCT && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// offerSecrets are the secrets of a new offer.
type offerSecrets struct {
	ref, code, txCode string
}

// Hashes of the offer's secrets, each with its own domain.
func offerRefHash(ref string) []byte {
	h := sha256.Sum256([]byte("ikdkit/issuer offer reference v1\x00" + ref))
	return h[:]
}

func preAuthCodeHash(code string) []byte {
	h := sha256.Sum256([]byte("ikdkit/issuer pre-authorized code v1\x00" + code))
	return h[:]
}

func txCodeHash(offerID, txCode string) []byte {
	h := sha256.Sum256([]byte("ikdkit/issuer tx_code v1\x00" + offerID + "\x00" + txCode))
	return h[:]
}

// codeForRef derives the pre-authorized code from the reference of the
// offer's credential_offer_uri, so that the handler can serve the offer by
// reference although only hashes are stored: whoever holds the reference
// gets the offer, code included, with a GET anyway (§4.1.3).
func codeForRef(ref string) (string, bool) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(ref)
	if err != nil || len(raw) != offerRefBytes {
		return "", false
	}
	h := sha256.New()
	h.Write([]byte("ikdkit/issuer pre-authorized code from reference v1\x00"))
	h.Write(raw)
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)), true
}

// newOfferSecrets draws a reference and a tx_code of n digits.
func (iss *Issuer) newOfferSecrets(n int) (*offerSecrets, error) {
	var raw [offerRefBytes]byte
	if _, err := io.ReadFull(iss.cfg.Rand, raw[:]); err != nil {
		return nil, errorf("offer", ErrSigning, "random source: %v", err)
	}
	s := &offerSecrets{ref: base64.RawURLEncoding.EncodeToString(raw[:])}
	s.code, _ = codeForRef(s.ref)
	tx, err := randomDigits(iss.cfg.Rand, n)
	if err != nil {
		return nil, errorf("offer", ErrSigning, "random source: %v", err)
	}
	s.txCode = tx
	return s, nil
}

// randomDigits returns n uniformly random decimal digits.
func randomDigits(r io.Reader, n int) (string, error) {
	out := make([]byte, 0, n)
	var b [1]byte
	for len(out) < n {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", err
		}
		if b[0] >= 250 { // 250 = 25 × 10: reject to stay uniform
			continue
		}
		out = append(out, '0'+b[0]%10)
	}
	return string(out), nil
}

// checkTxCode compares a tx_code in constant time with the stored hash.
func checkTxCode(o *OfferRecord, txCode string) bool {
	return subtle.ConstantTimeCompare(txCodeHash(o.ID, txCode), o.TxCodeHash) == 1
}

// offerURI is the credential_offer_uri of the offer with reference ref.
func (iss *Issuer) offerURI(ref string) string {
	return strings.TrimRight(iss.cfg.Identifier, "/") + offerPath + ref
}

// offerObject is the Credential Offer object of o, with its
// pre-authorized code.
func (iss *Issuer) offerObject(o *OfferRecord, code string) oid4vci.CredentialOffer {
	return oid4vci.CredentialOffer{
		CredentialIssuer:           iss.cfg.Identifier,
		CredentialConfigurationIDs: slices.Clone(o.ConfigurationIDs),
		Grants: &oid4vci.Grants{PreAuthorizedCode: &oid4vci.PreAuthorizedCodeGrant{
			PreAuthorizedCode: code,
			TxCode: &oid4vci.TxCode{InputMode: oid4vci.InputModeNumeric, Length: o.TxCodeLength,
				Description: iss.cfg.TxCodeDescription},
		}},
	}
}

// documents returns the person's documents from Config.Documents, every
// one of a type the issuer is authorised for.
func (iss *Issuer) documents(ctx context.Context, op string, nik credential.NIK) ([]credential.Document, error) {
	if iss.cfg.Documents == nil {
		return nil, errorf(op, ErrConfig, "no DocumentSource configured")
	}
	docs, err := iss.cfg.Documents.Documents(ctx, nik)
	if err != nil {
		return nil, errorf(op, ErrNotFound, "documents: %v", err)
	}
	if len(docs) == 0 || len(docs) > MaxDocuments {
		return nil, errorf(op, ErrNotFound, "document source returned %d documents", len(docs))
	}
	for _, d := range docs {
		if isNilDocument(d) {
			return nil, errorf(op, ErrNotFound, "document source returned a nil document")
		}
		if !iss.Authorized(d.Type().VCT) {
			return nil, errorf(op, ErrUnauthorizedType, "%s", d.Type().VCT)
		}
	}
	return docs, nil
}

// newOffer makes the offer of a confirmation inside tx: earlier offers of
// the registration end, the new one is stored (hashes only) and audited.
func (iss *Issuer) newOffer(tx Tx, actor string, reg *Registration, configs []string, sec *offerSecrets, now time.Time) (*Offer, error) {
	id, err := iss.newID()
	if err != nil {
		return nil, err
	}
	rec := &OfferRecord{ID: id, RegistrationID: reg.ID, RefHash: offerRefHash(sec.ref), CodeHash: preAuthCodeHash(sec.code),
		TxCodeHash: txCodeHash(id, sec.txCode), TxCodeLength: len(sec.txCode), ConfigurationIDs: configs,
		CreatedAt: now, ExpiresAt: now.Add(iss.cfg.OfferTTL)}
	if _, err := tx.EndOffers(reg.ID, now); err != nil {
		return nil, err
	}
	if err := tx.InsertOffer(rec); err != nil {
		return nil, err
	}
	if err := iss.audit(tx, actor, "offer", id, nil, "registration "+reg.ID+" "+strings.Join(configs, " ")); err != nil {
		return nil, err
	}
	return &Offer{ID: id, Offer: iss.offerObject(rec, sec.code), URI: iss.offerURI(sec.ref), TxCode: sec.txCode, ExpiresAt: rec.ExpiresAt}, nil
}
