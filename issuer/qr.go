package issuer

import (
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
)

// qrPayload returns the compact QR-profile payload of a KTP-el
// (docs/qr-format.md §6): vct credential.VCTQR, doctype
// credential.DocTypeQR, four disclosable units and no decoys (the digest count
// is always four, so decoys would hide nothing). Its validity is at most
// credential.QRValidity and ends at the next birthday, when the age flags
// change.
func (iss *Issuer) qrPayload(doc credential.Document, f credential.Format, now time.Time) (*payload, error) {
	k, ok := doc.(*credential.KTPEL)
	if !ok {
		return nil, errorf("issue", ErrInvalidInput, "the QR profile exists for KTP-el only, not %s", doc.Type().Name)
	}
	exp := now.Add(min(iss.cfg.Validity, credential.QRValidity))
	if c := credential.NextAgeChange(k.Fields().BirthDate, now); c.Before(exp) {
		exp = c
	}
	p := &payload{vct: credential.VCTQR, docType: credential.DocTypeQR, exp: exp.Truncate(time.Second)}
	if f == credential.FormatMdoc {
		p.elements = k.QRMdocElements(now)
	} else {
		p.claims, p.disclosable = k.QRSDJWTClaims(now), qrDisclosable()
		dropIssuerClaims(p.claims)
	}
	return p, nil
}

// qrDisclosable is the QR profile's selectively disclosable paths
// (credential.QRType).
func qrDisclosable() []sdjwt.Path {
	var out []sdjwt.Path
	for _, cp := range credential.QRType().SelectivelyDisclosable() {
		out = append(out, sdjwt.Path(cp))
	}
	return out
}
