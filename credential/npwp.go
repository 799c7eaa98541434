package credential

import (
	"reflect"
	"time"
)

// luhnValid reports whether the digit string passes the Luhn mod-10 check.
func luhnValid(s string) bool {
	sum := 0
	for i := 0; i < len(s); i++ {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// ValidateNPWP checks an NPWP number in any of its forms (docs/domain.md §4,
// §8.5; PMK 112/PMK.03/2022): 15 digits (legacy) with Luhn over the first
// 9 digits; 16 digits starting with 0 ("0" + legacy 15) with Luhn over the
// first 10; any other 16 digits must be a valid NIK (residents: the NIK is
// the NPWP); 22 digits is a NITKU whose first 16 digits are checked as
// NPWP16.
func ValidateNPWP(s string) error {
	const field = "npwp"
	if _, ok := atoiDigits(s); !ok || len(s) > 22 {
		return fieldErr(field, ErrSyntax, "digits only, without separators")
	}
	switch len(s) {
	case 15:
		if !luhnValid(s[:9]) {
			return fieldErr(field, ErrSyntax, "check digit (Luhn over the first 9 digits) wrong")
		}
	case 16:
		if s[0] == '0' {
			if !luhnValid(s[:10]) {
				return fieldErr(field, ErrSyntax, "check digit (Luhn over the first 10 digits) wrong")
			}
			return nil
		}
		if _, err := ParseNIK(s); err != nil {
			return within(field, stripField(err))
		}
	case 22:
		return within("nitku", stripField(ValidateNPWP(s[:16])))
	default:
		return fieldErr(field, ErrSyntax, "want 15, 16 or 22 digits")
	}
	return nil
}

// NPWPFields are the fields of an NPWP credential (docs/domain.md §8.3).
type NPWPFields struct {
	// Number is the 16-digit NPWP: the NIK for OP_PENDUDUK, otherwise "0" +
	// the legacy 15 digits.
	Number string
	// Legacy15 is the old 15-digit NPWP where it still appears (optional).
	Legacy15 string
	// NITKU is the 22-digit business-location number = Number + 6 digits
	// (optional).
	NITKU        string
	TaxpayerType TaxpayerType
	Name         string
	// NIK is required for OP_PENDUDUK and then equals Number; it is the link
	// between the NPWP and the holder's KTP-el.
	NIK              NIK
	Address          string // formatted address as printed (optional)
	TaxOfficeCode    string // KPP code, 3 digits
	TaxOfficeName    string
	RegistrationDate Date
	ValidationStatus ValidationStatus
	IssuingAuthority string // empty means AuthorityDJP
}

// NPWP is a validated NPWP credential.
type NPWP struct{ f NPWPFields }

var _ Document = (*NPWP)(nil)

// NewNPWP validates f.
func NewNPWP(f NPWPFields) (*NPWP, error) {
	if f.IssuingAuthority == "" {
		f.IssuingAuthority = AuthorityDJP
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return &NPWP{f: f}, nil
}

func (f *NPWPFields) check() error {
	if !f.TaxpayerType.Valid() {
		return fieldErr("taxpayer_type", ErrUnknownCode, "")
	}
	if len(f.Number) != 16 {
		return fieldErr("npwp", ErrSyntax, "want the 16-digit NPWP")
	}
	if err := ValidateNPWP(f.Number); err != nil {
		return err
	}
	// PMK 112/2022: for resident individuals the NIK is the NPWP; others
	// use "0" + the 15-digit number.
	if f.TaxpayerType == OPPenduduk {
		if f.NIK.IsZero() {
			return fieldErr("personal_administrative_number", ErrMissing, "required for OP_PENDUDUK")
		}
		if f.Number != f.NIK.String() {
			return fieldErr("npwp", ErrInconsistent, "must equal the NIK for OP_PENDUDUK")
		}
	} else if f.Number[0] != '0' {
		return fieldErr("npwp", ErrInconsistent, "non-resident and entity NPWPs start with 0")
	}
	if f.Legacy15 != "" {
		if err := checkDigits("npwp15", f.Legacy15, 15, 15, true); err != nil {
			return err
		}
		if err := ValidateNPWP(f.Legacy15); err != nil {
			return within("npwp15", stripField(err))
		}
		if f.Number[0] == '0' && f.Number[1:] != f.Legacy15 {
			return fieldErr("npwp15", ErrInconsistent, "NPWP16 must be 0 + NPWP15")
		}
	}
	if f.NITKU != "" {
		if err := checkDigits("nitku", f.NITKU, 22, 22, true); err != nil {
			return err
		}
		if f.NITKU[:16] != f.Number {
			return fieldErr("nitku", ErrInconsistent, "must start with the NPWP")
		}
	}
	if err := checkText("name", f.Name, true); err != nil {
		return err
	}
	if err := checkText("address.formatted", f.Address, false); err != nil {
		return err
	}
	if err := checkDigits("tax_office.code", f.TaxOfficeCode, 3, 3, true); err != nil {
		return err
	}
	if err := checkText("tax_office.name", f.TaxOfficeName, true); err != nil {
		return err
	}
	if err := checkDate("registration_date", f.RegistrationDate, true); err != nil {
		return err
	}
	if !f.ValidationStatus.Valid() {
		return fieldErr("validation_status", ErrUnknownCode, "")
	}
	return checkText("issuing_authority", f.IssuingAuthority, true)
}

// Fields returns a copy of the fields.
func (n *NPWP) Fields() NPWPFields { return n.f }

// Type returns [NPWPType].
func (n *NPWP) Type() TypeInfo { return NPWPType() }

// Equal reports whether two NPWP values carry the same fields.
func (n *NPWP) Equal(o *NPWP) bool { return reflect.DeepEqual(n.f, o.f) }

func (n *NPWP) common(w wire, m map[string]any) {
	f := &n.f
	m["npwp"] = f.Number
	m["taxpayer_type"] = f.TaxpayerType.String()
	m["name"] = f.Name
	m["validation_status"] = f.ValidationStatus.String()
	m["issuing_authority"] = f.IssuingAuthority
	m["issuing_country"] = "ID"
	m["registration_date"] = w.date(f.RegistrationDate)
	if f.Legacy15 != "" {
		m["npwp15"] = f.Legacy15
	}
	if f.NITKU != "" {
		m["nitku"] = f.NITKU
	}
	if !f.NIK.IsZero() {
		m["personal_administrative_number"] = f.NIK.String()
	}
}

// SDJWTClaims implements [Document]. NPWP carries no birth date, hence no
// age claims.
func (n *NPWP) SDJWTClaims(time.Time) map[string]any {
	f := &n.f
	m := map[string]any{"vct": VCTNPWP, "tax_office": map[string]any{"code": f.TaxOfficeCode, "name": f.TaxOfficeName}}
	if f.Address != "" {
		m["address"] = map[string]any{"formatted": f.Address}
	}
	n.common(wireSDJWT, m)
	return m
}

// MdocElements implements [Document].
func (n *NPWP) MdocElements(time.Time) map[string]map[string]any {
	f := &n.f
	m := map[string]any{"tax_office_code": f.TaxOfficeCode, "tax_office_name": f.TaxOfficeName}
	if f.Address != "" {
		m["resident_address"] = f.Address
	}
	n.common(wireMdoc, m)
	return map[string]map[string]any{DocTypeNPWP: m}
}

func npwpCommon(r *reader, f *NPWPFields) (*NPWP, error) {
	f.Number = r.str("npwp", true)
	f.Legacy15 = r.str("npwp15", false)
	f.NITKU = r.str("nitku", false)
	if s := r.str("taxpayer_type", true); s != "" {
		t, err := ParseTaxpayerType(s)
		if err != nil || t.String() != s {
			r.fail("taxpayer_type", ErrUnknownCode, "")
		}
		f.TaxpayerType = t
	}
	f.Name = r.str("name", true)
	f.NIK = r.nik("personal_administrative_number", false)
	f.RegistrationDate = r.date("registration_date", true)
	if s := r.str("validation_status", true); s != "" {
		v, err := ParseValidationStatus(s)
		if err != nil || v.String() != s {
			r.fail("validation_status", ErrUnknownCode, "")
		}
		f.ValidationStatus = v
	}
	f.IssuingAuthority = r.str("issuing_authority", true)
	r.constant("issuing_country", "ID", true)
	r.done()
	if r.failed() {
		return nil, r.error()
	}
	return NewNPWP(*f)
}

// NPWPFromClaims decodes a complete SD-JWT VC claim set, strictly (see
// [KTPELFromClaims]).
func NPWPFromClaims(claims map[string]any) (*NPWP, error) {
	r := newReader(wireSDJWT, claims)
	r.ignore(technicalSDJWT...)
	r.constant("vct", VCTNPWP, true)
	var f NPWPFields
	if o := r.obj("tax_office", true); o != nil {
		f.TaxOfficeCode, f.TaxOfficeName = o.str("code", true), o.str("name", true)
		o.done()
	}
	if o := r.obj("address", false); o != nil {
		f.Address = o.str("formatted", true)
		o.done()
	}
	return npwpCommon(r, &f)
}

// NPWPFromMdoc decodes mdoc elements, strictly.
func NPWPFromMdoc(ns map[string]map[string]any) (*NPWP, error) {
	m, err := singleNamespace(ns, DocTypeNPWP)
	if err != nil {
		return nil, err
	}
	r := newReader(wireMdoc, m)
	var f NPWPFields
	f.TaxOfficeCode, f.TaxOfficeName = r.str("tax_office_code", true), r.str("tax_office_name", true)
	f.Address = r.str("resident_address", false)
	return npwpCommon(r, &f)
}
