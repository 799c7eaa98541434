package mdoc

import (
	"fmt"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// Wire structures of ISO/IEC 18013-5:2021 §8.3.2.1.2 (DeviceResponse) and
// §9.1.2.4 (MobileSecurityObject). They are unexported: the parsed but
// unverified form never leaves the package.

type deviceResponseWire struct {
	Version        string          `cbor:"version"`
	Documents      []rawItem       `cbor:"documents,omitempty"`
	DocumentErrors cbor.RawMessage `cbor:"documentErrors,omitempty"`
	Status         *uint64         `cbor:"status"`
}

type documentWire struct {
	DocType      string            `cbor:"docType"`
	IssuerSigned issuerSignedWire  `cbor:"issuerSigned"`
	DeviceSigned *deviceSignedWire `cbor:"deviceSigned"`
	Errors       cbor.RawMessage   `cbor:"errors,omitempty"`
}

type issuerSignedWire struct {
	NameSpaces map[string][]rawItem `cbor:"nameSpaces,omitempty"`
	IssuerAuth rawItem              `cbor:"issuerAuth"`
}

type deviceSignedWire struct {
	NameSpaces rawItem        `cbor:"nameSpaces"` // DeviceNameSpacesBytes, tag 24
	DeviceAuth deviceAuthWire `cbor:"deviceAuth"`
}

type deviceAuthWire struct {
	DeviceSignature cbor.RawMessage `cbor:"deviceSignature,omitempty"`
	DeviceMac       cbor.RawMessage `cbor:"deviceMac,omitempty"`
}

type issuerSignedItemWire struct {
	DigestID          *uint64               `cbor:"digestID"`
	Random            strictcbor.ByteString `cbor:"random"`
	ElementIdentifier string                `cbor:"elementIdentifier"`
	ElementValue      rawItem               `cbor:"elementValue"`
}

type msoWire struct {
	Version         string                                      `cbor:"version"`
	DigestAlgorithm string                                      `cbor:"digestAlgorithm"`
	ValueDigests    map[string]map[uint64]strictcbor.ByteString `cbor:"valueDigests"`
	DeviceKeyInfo   deviceKeyInfoWire                           `cbor:"deviceKeyInfo"`
	DocType         string                                      `cbor:"docType"`
	ValidityInfo    validityInfoWire                            `cbor:"validityInfo"`
	Status          *statusWire                                 `cbor:"status,omitempty"`
}

type deviceKeyInfoWire struct {
	DeviceKey         rawItem                `cbor:"deviceKey"`
	KeyAuthorizations *keyAuthorizationsWire `cbor:"keyAuthorizations,omitempty"`
	KeyInfo           cbor.RawMessage        `cbor:"keyInfo,omitempty"`
}

type keyAuthorizationsWire struct {
	NameSpaces   []string            `cbor:"nameSpaces,omitempty"`
	DataElements map[string][]string `cbor:"dataElements,omitempty"`
}

type validityInfoWire struct {
	Signed         time.Time  `cbor:"signed"`
	ValidFrom      time.Time  `cbor:"validFrom"`
	ValidUntil     time.Time  `cbor:"validUntil"`
	ExpectedUpdate *time.Time `cbor:"expectedUpdate,omitempty"`
}

// statusWire is the Token Status List reference in CWT/mdoc form
// (draft-ietf-oauth-status-list §6.3: "status" => {"status_list" =>
// {"idx": uint, "uri": tstr}}).
type statusWire struct {
	StatusList *statusListWire `cbor:"status_list"`
}

type statusListWire struct {
	Idx *uint64 `cbor:"idx"`
	URI string  `cbor:"uri"`
}

// StatusReference points at this credential's entry in a Token Status List
// (draft-ietf-oauth-status-list-20 §6.3, mdoc/CWT form). It is carried in
// the MSO under "status" → "status_list". It is the same type as
// [statuslist.Reference], so a verified reference goes straight to
// [statuslist.Cache.Lookup]; fetching and checking the list is the
// caller's job.
type StatusReference = statuslist.Reference

// ValidityInfo is the MSO's validity window (ISO 18013-5 §9.1.2.4). All
// times are UTC with whole seconds.
type ValidityInfo struct {
	Signed         time.Time  // when the MSO was signed
	ValidFrom      time.Time  // start of validity
	ValidUntil     time.Time  // end of validity
	ExpectedUpdate *time.Time // optional: when the issuer expects to re-sign
}

// FullDate is an RFC 8943 full-date (CBOR tag 1004 over "YYYY-MM-DD"), the
// type ISO 18013-5 uses for birth_date, issue_date and expiry_date.
type FullDate struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseFullDate parses "YYYY-MM-DD" strictly (RFC 3339 full-date, a real
// calendar date).
func ParseFullDate(s string) (FullDate, error) {
	if len(s) != 10 {
		return FullDate{}, errorf(ErrMalformed, "full-date %q", s)
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return FullDate{}, errorf(ErrMalformed, "full-date %q: %v", s, err)
	}
	return FullDate{Year: t.Year(), Month: t.Month(), Day: t.Day()}, nil
}

// String formats d as "YYYY-MM-DD".
func (d FullDate) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// MarshalText formats d as "YYYY-MM-DD", so a FullDate is a plain date
// string in JSON and to any reader that takes text.
func (d FullDate) MarshalText() ([]byte, error) {
	if _, err := ParseFullDate(d.String()); err != nil {
		return nil, err
	}
	return []byte(d.String()), nil
}

// UnmarshalText parses "YYYY-MM-DD" strictly, as ParseFullDate.
func (d *FullDate) UnmarshalText(b []byte) error {
	v, err := ParseFullDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalCBOR encodes d as #6.1004(tstr).
func (d FullDate) MarshalCBOR() ([]byte, error) {
	if _, err := ParseFullDate(d.String()); err != nil {
		return nil, err
	}
	return strictcbor.AppendText(strictcbor.AppendHead(nil, strictcbor.MajorTag, tagFullDate), d.String()), nil
}
