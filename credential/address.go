package credential

import "strings"

// Address is a domicile address as printed on KTP-el and KK (docs/domain.md §1,
// §3). In SD-JWT it is the grouped "address" object whose parts are
// individually disclosable; in mdoc it is the resident_* elements.
type Address struct {
	Street     string // Alamat (street line), e.g. "JL. KENANGA RAYA NO. 7"
	RT         string // 3 digits, e.g. "004"
	RW         string // 3 digits, e.g. "009"
	Village    string // Kel/Desa
	District   string // Kecamatan
	City       string // Kab/Kota, e.g. "KOTA JAKARTA SELATAN"
	Province   string // Provinsi, e.g. "DKI JAKARTA"
	Country    string // ISO 3166-1 alpha-2; empty means "ID"
	RegionCode string // optional Kemendagri code PP.KK.CC or PP.KK.CC.DDDD
	PostalCode string // optional 5 digits (KK only)
}

func (a Address) withDefaults() Address {
	if a.Country == "" {
		a.Country = "ID"
	}
	return a
}

func (a Address) check(field string, allowPostal bool) error {
	for _, f := range []struct {
		name, v string
	}{
		{"street_address", a.Street}, {"village", a.Village}, {"district", a.District},
		{"locality", a.City}, {"region", a.Province},
	} {
		if err := checkText(f.name, f.v, true); err != nil {
			return within(field, err)
		}
	}
	// docs/domain.md §8.1: RT and RW are zero-padded to 3 digits (^\d{3}$).
	if err := checkDigits("rt", a.RT, 3, 3, true); err != nil {
		return within(field, err)
	}
	if err := checkDigits("rw", a.RW, 3, 3, true); err != nil {
		return within(field, err)
	}
	if err := checkCountry("country", a.Country); err != nil {
		return within(field, err)
	}
	if a.RegionCode != "" {
		if err := ValidateRegionCode(a.RegionCode); err != nil {
			return within(field, within("region_code", err))
		}
	}
	if a.PostalCode != "" {
		if !allowPostal {
			return fieldErr(field+".postal_code", ErrUnknownClaim, "this document has no postal code")
		}
		if err := checkDigits("postal_code", a.PostalCode, 5, 5, true); err != nil {
			return within(field, err)
		}
	}
	return nil
}

// Formatted composes the one-line address carried in address.formatted /
// resident_address: street, "RT nnn/RW nnn", village, district, city,
// province and, when present, the postal code.
func (a Address) Formatted() string {
	var b strings.Builder
	b.Grow(len(a.Street) + len(a.RT) + len(a.RW) + len(a.Village) + len(a.District) + len(a.City) + len(a.Province) + len(a.PostalCode) + 24)
	for i, s := range [...]string{a.Street, "RT ", a.RT, "/RW ", a.RW, ", ", a.Village, ", ", a.District, ", ", a.City, ", ", a.Province} {
		if i == 1 {
			b.WriteString(", ")
		}
		b.WriteString(s)
	}
	if a.PostalCode != "" {
		b.WriteString(" ")
		b.WriteString(a.PostalCode)
	}
	return b.String()
}
