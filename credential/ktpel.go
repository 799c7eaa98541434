package credential

import (
	"maps"
	"reflect"
	"slices"
	"time"
)

// KTPELFields are the fields of a KTP-el (docs/domain.md §1, §8.1). Build a
// [KTPEL] from them with [NewKTPEL].
type KTPELFields struct {
	NIK           NIK
	Name          string // as printed, capitals, titles kept
	PlaceOfBirth  string // free text, e.g. "BANDUNG"
	BirthDate     Date
	Sex           Sex
	BloodType     BloodType // BloodUnknown is omitted from claims
	Address       Address   // PostalCode must be empty (the KTP-el has none)
	Religion      Religion
	MaritalStatus MaritalStatus
	Occupation    Occupation
	Citizenship   Citizenship
	// Nationalities are ISO 3166-1 alpha-2 codes; empty means ["ID"] for a
	// WNI.
	Nationalities []string
	KITAPNumber   string // WNA only (required for WNA)
	Portrait      []byte // JPEG pas foto
	Signature     []byte // optional JPEG or PNG signature image
	IssueDate     Date
	IssuingPlace  string // issuing kab/kota as printed
	// Lifetime is "SEUMUR HIDUP". Every WNI KTP-el is valid for life (UU
	// 24/2013 Pasal 64(7a)), including pre-2013 cards whose printed date
	// has passed (Pasal 101(c)); then ExpiryDate must be zero. A WNA
	// KTP-el is valid until the KITAP expires: Lifetime false and
	// ExpiryDate set.
	Lifetime   bool
	ExpiryDate Date
	// IssuingJurisdiction is the ISO 3166-2 code of the issuing province;
	// empty means derived from Address.RegionCode when present.
	IssuingJurisdiction string
	IssuingOffice       string // local Disdukcapil
	IssuingAuthority    string // empty means AuthorityDukcapil
}

// KTPEL is a validated KTP-el. Obtain one from [NewKTPEL], [KTPELFromClaims]
// or [KTPELFromMdoc]; it cannot be modified afterwards.
type KTPEL struct{ f KTPELFields }

var _ Document = (*KTPEL)(nil)

// NewKTPEL validates f and returns the KTP-el. Rules (docs/domain.md §8.1):
// every printed field present and well-formed; codes in their lists; sex
// equal to the NIK's day+40 encoding; birth date not after the issue date;
// holder at least 17 or ever married on the issue date (UU 24/2013 Pasal
// 63(1)); WNI cards lifetime without expiry date, WNA cards with an expiry
// date after the issue date and a KITAP number. A NIK whose encoded birth
// date differs from BirthDate is accepted (Dukcapil does not re-issue the
// NIK after a correction); see [NIK.CheckConsistency].
func NewKTPEL(f KTPELFields) (*KTPEL, error) {
	f.Nationalities = defaultNationalities(f.Citizenship, f.Nationalities)
	f.Address = f.Address.withDefaults()
	if f.IssuingAuthority == "" {
		f.IssuingAuthority = AuthorityDukcapil
	}
	if f.IssuingJurisdiction == "" && len(f.Address.RegionCode) >= 2 {
		f.IssuingJurisdiction, _ = ProvinceISO3166(f.Address.RegionCode[:2])
	}
	f.Portrait = cloneOrNil(f.Portrait)
	f.Signature = cloneOrNil(f.Signature)
	if err := f.check(); err != nil {
		return nil, err
	}
	return &KTPEL{f: f}, nil
}

func (f *KTPELFields) check() error {
	if f.NIK.IsZero() {
		return fieldErr("personal_administrative_number", ErrMissing, "")
	}
	if err := checkName("name", f.Name, true); err != nil {
		return err
	}
	if err := checkText("place_of_birth.locality", f.PlaceOfBirth, true); err != nil {
		return err
	}
	if err := checkDate("birthdate", f.BirthDate, true); err != nil {
		return err
	}
	if !f.Sex.Valid() {
		return fieldErr("sex", ErrUnknownCode, "want 1 or 2")
	}
	// docs/domain.md §8.1: sex equals the NIK parity (DD > 40 → 2).
	if f.Sex != f.NIK.Sex() {
		return fieldErr("sex", ErrInconsistent, "differs from the NIK's day+40 encoding")
	}
	if !f.BloodType.Valid() {
		return fieldErr("blood_type", ErrUnknownCode, "")
	}
	if err := f.Address.check("address", false); err != nil {
		return err
	}
	if !f.Religion.Valid() {
		return fieldErr("religion", ErrUnknownCode, "want 1–7")
	}
	if !f.MaritalStatus.Valid() {
		return fieldErr("marital_status", ErrUnknownCode, "want 1–8")
	}
	if err := f.Occupation.check("occupation"); err != nil {
		return err
	}
	if !f.Citizenship.Valid() {
		return fieldErr("citizenship_status", ErrUnknownCode, "want WNI or WNA")
	}
	if err := checkNationalities("nationalities", f.Citizenship, f.Nationalities); err != nil {
		return err
	}
	switch {
	case f.Citizenship == WNA && f.KITAPNumber == "":
		return fieldErr("kitap_number", ErrMissing, "required for WNA")
	case f.Citizenship == WNI && f.KITAPNumber != "":
		return fieldErr("kitap_number", ErrInconsistent, "WNI has no KITAP")
	}
	if err := checkText("kitap_number", f.KITAPNumber, false); err != nil {
		return err
	}
	if err := checkImage("picture", f.Portrait, true, true); err != nil {
		return err
	}
	if err := checkImage("signature_usual_mark", f.Signature, false, false); err != nil {
		return err
	}
	if err := checkDate("date_of_issuance", f.IssueDate, true); err != nil {
		return err
	}
	if f.IssueDate.Before(f.BirthDate) {
		return fieldErr("date_of_issuance", ErrInconsistent, "before the birth date")
	}
	// UU 24/2013 Pasal 63(1): a KTP-el is for those 17 or older, or married
	// or ever married.
	if age := ageOn(f.BirthDate, f.IssueDate); age < 17 && !f.MaritalStatus.EverMarried() {
		return fieldErr("date_of_issuance", ErrInconsistent, "holder under 17 and never married on the issue date")
	}
	if err := checkText("issuing_place", f.IssuingPlace, true); err != nil {
		return err
	}
	if err := checkDate("date_of_expiry", f.ExpiryDate, false); err != nil {
		return err
	}
	switch {
	case f.Lifetime && !f.ExpiryDate.IsZero():
		return fieldErr("date_of_expiry", ErrInconsistent, "must be absent on a lifetime (SEUMUR HIDUP) card")
	case f.Citizenship == WNI && !f.Lifetime:
		// UU 24/2013 Pasal 64(7a) and Pasal 101(c).
		return fieldErr("lifetime_validity", ErrInconsistent, "a WNI KTP-el is valid for life")
	case f.Citizenship == WNA && f.Lifetime:
		return fieldErr("lifetime_validity", ErrInconsistent, "a WNA KTP-el is valid until the KITAP expires")
	case !f.Lifetime && f.ExpiryDate.IsZero():
		return fieldErr("date_of_expiry", ErrMissing, "required unless lifetime")
	case !f.Lifetime && !f.IssueDate.Before(f.ExpiryDate):
		return fieldErr("date_of_expiry", ErrInconsistent, "not after the issue date")
	}
	if f.IssuingJurisdiction != "" && !validISO3166ID(f.IssuingJurisdiction) {
		return fieldErr("issuing_jurisdiction", ErrUnknownCode, "want an ISO 3166-2:ID province code")
	}
	if err := checkText("issuing_office", f.IssuingOffice, true); err != nil {
		return err
	}
	return checkText("issuing_authority", f.IssuingAuthority, true)
}

// ageOn is the age in whole years on calendar date d.
func ageOn(birth, d Date) int {
	age := d.Year - birth.Year
	if d.Month < birth.Month || (d.Month == birth.Month && d.Day < birth.Day) {
		age--
	}
	return age
}

// Fields returns a copy of the fields.
func (k *KTPEL) Fields() KTPELFields {
	f := k.f
	f.Nationalities = slices.Clone(f.Nationalities)
	f.Portrait = slices.Clone(f.Portrait)
	f.Signature = slices.Clone(f.Signature)
	return f
}

// NIK returns the holder's NIK.
func (k *KTPEL) NIK() NIK { return k.f.NIK }

// Type returns [KTPELType].
func (k *KTPEL) Type() TypeInfo { return KTPELType() }

// Equal reports whether two KTP-el values carry the same fields.
func (k *KTPEL) Equal(o *KTPEL) bool {
	return reflect.DeepEqual(k.f, o.f)
}

func addressSDJWT(a Address) map[string]any {
	m := map[string]any{
		"street_address": a.Street, "rt": a.RT, "rw": a.RW, "village": a.Village,
		"district": a.District, "locality": a.City, "region": a.Province, "country": a.Country,
		"formatted": a.Formatted(),
	}
	if a.RegionCode != "" {
		m["region_code"] = a.RegionCode
	}
	if a.PostalCode != "" {
		m["postal_code"] = a.PostalCode
	}
	return m
}

func addressMdoc(a Address, m map[string]any) {
	m["resident_street"] = a.Street
	m["resident_rt"] = a.RT
	m["resident_rw"] = a.RW
	m["resident_village"] = a.Village
	m["resident_district"] = a.District
	m["resident_city"] = a.City
	m["resident_state"] = a.Province
	m["resident_country"] = a.Country
	m["resident_address"] = a.Formatted()
	if a.RegionCode != "" {
		m["resident_region_code"] = a.RegionCode
	}
	if a.PostalCode != "" {
		m["resident_postal_code"] = a.PostalCode
	}
}

func readAddressSDJWT(r *reader) Address {
	o := r.obj("address", true)
	if o == nil {
		return Address{}
	}
	a := Address{
		Street: o.str("street_address", true), RT: o.str("rt", true), RW: o.str("rw", true),
		Village: o.str("village", true), District: o.str("district", true), City: o.str("locality", true),
		Province: o.str("region", true), Country: o.str("country", true),
		RegionCode: o.str("region_code", false), PostalCode: o.str("postal_code", false),
	}
	if f := o.str("formatted", false); f != "" && !o.failed() && f != a.Formatted() {
		o.fail("formatted", ErrInconsistent, "differs from the address parts")
	}
	o.done()
	return a
}

func readAddressMdoc(r *reader) Address {
	a := Address{
		Street: r.str("resident_street", true), RT: r.str("resident_rt", true), RW: r.str("resident_rw", true),
		Village: r.str("resident_village", true), District: r.str("resident_district", true),
		City: r.str("resident_city", true), Province: r.str("resident_state", true),
		Country: r.str("resident_country", true), RegionCode: r.str("resident_region_code", false),
		PostalCode: r.str("resident_postal_code", false),
	}
	if f := r.str("resident_address", false); f != "" && !r.failed() && f != a.Formatted() {
		r.fail("resident_address", ErrInconsistent, "differs from the address parts")
	}
	return a
}

// SDJWTClaims implements [Document] with the claim names of
// docs/domain.md §8.1.
func (k *KTPEL) SDJWTClaims(at time.Time) map[string]any {
	f, w := &k.f, wireSDJWT
	m := map[string]any{
		"vct":                            VCTKTPEL,
		"personal_administrative_number": f.NIK.String(),
		"name":                           f.Name,
		"birthdate":                      w.date(f.BirthDate),
		"place_of_birth":                 map[string]any{"locality": f.PlaceOfBirth},
		"sex":                            w.uint(int(f.Sex)),
		"address":                        addressSDJWT(f.Address),
		"religion":                       w.uint(int(f.Religion)),
		"marital_status":                 w.uint(int(f.MaritalStatus)),
		"occupation":                     f.Occupation.Text,
		"nationalities":                  strList(f.Nationalities),
		"citizenship_status":             f.Citizenship.String(),
		"picture":                        w.image(f.Portrait),
		"date_of_issuance":               w.date(f.IssueDate),
		"issuing_place":                  f.IssuingPlace,
		"lifetime_validity":              f.Lifetime,
		"issuing_office":                 f.IssuingOffice,
		"issuing_authority":              f.IssuingAuthority,
		"issuing_country":                "ID",
	}
	k.optional(w, m, "date_of_expiry", "signature_usual_mark")
	ageClaimsSDJWT(f.BirthDate, at, m)
	return m
}

// optional adds the optional claims shared by both mappings.
func (k *KTPEL) optional(w wire, m map[string]any, expiryName, sigName string) {
	f := &k.f
	if f.BloodType != BloodUnknown {
		m["blood_type"] = f.BloodType.String()
	}
	if f.Occupation.Code != 0 {
		m["occupation_code"] = w.uint(f.Occupation.Code)
	}
	if f.KITAPNumber != "" {
		m["kitap_number"] = f.KITAPNumber
	}
	if len(f.Signature) > 0 {
		m[sigName] = w.image(f.Signature)
	}
	if !f.ExpiryDate.IsZero() {
		m[expiryName] = w.date(f.ExpiryDate)
	}
	if f.IssuingJurisdiction != "" {
		m["issuing_jurisdiction"] = f.IssuingJurisdiction
	}
}

// MdocElements implements [Document] with the element identifiers of
// docs/domain.md §8.1 in namespace DocTypeKTPEL.
func (k *KTPEL) MdocElements(at time.Time) map[string]map[string]any {
	f, w := &k.f, wireMdoc
	m := map[string]any{
		"personal_administrative_number": f.NIK.String(),
		"name":                           f.Name,
		"birth_date":                     w.date(f.BirthDate),
		"place_of_birth":                 map[string]any{"locality": f.PlaceOfBirth},
		"sex":                            w.uint(int(f.Sex)),
		"religion":                       w.uint(int(f.Religion)),
		"marital_status":                 w.uint(int(f.MaritalStatus)),
		"occupation":                     f.Occupation.Text,
		"nationality":                    strList(f.Nationalities),
		"citizenship_status":             f.Citizenship.String(),
		"portrait":                       w.image(f.Portrait),
		"issuance_date":                  w.date(f.IssueDate),
		"issuing_place":                  f.IssuingPlace,
		"lifetime_validity":              f.Lifetime,
		"issuing_office":                 f.IssuingOffice,
		"issuing_authority":              f.IssuingAuthority,
		"issuing_country":                "ID",
	}
	addressMdoc(f.Address, m)
	k.optional(w, m, "expiry_date", "signature_usual_mark")
	ageElementsMdoc(f.BirthDate, at, m)
	return map[string]map[string]any{DocTypeKTPEL: m}
}

// KTPELFromClaims decodes a complete SD-JWT VC claim set (after disclosure
// processing) into a KTP-el. Decoding is strict: vct must be VCTKTPEL,
// claims must have the types produced by [KTPEL.SDJWTClaims], unknown
// claims are rejected (the technical claims iss, sub, iat, nbf, exp, cnf,
// status, jti and vct#integrity are ignored), and the result is validated
// as by [NewKTPEL]. A partial presentation does not decode: read its
// claims directly.
func KTPELFromClaims(claims map[string]any) (*KTPEL, error) {
	r := newReader(wireSDJWT, claims)
	r.ignore(technicalSDJWT...)
	r.constant("vct", VCTKTPEL, true)
	var f KTPELFields
	f.NIK = r.nik("personal_administrative_number", true)
	f.Name = r.str("name", true)
	f.BirthDate = r.date("birthdate", true)
	if o := r.obj("place_of_birth", true); o != nil {
		f.PlaceOfBirth = o.str("locality", true)
		o.done()
	}
	f.Address = readAddressSDJWT(r)
	k := ktpelCommon(r, &f, "nationalities", "picture", "date_of_issuance", "date_of_expiry")
	if k == nil {
		return nil, r.error()
	}
	return k, nil
}

// KTPELFromMdoc decodes mdoc issuer-signed elements (namespace → element
// identifier → value, as from [KTPEL.MdocElements] after a CBOR round
// trip) into a KTP-el, with the same strictness as [KTPELFromClaims].
func KTPELFromMdoc(ns map[string]map[string]any) (*KTPEL, error) {
	m, err := singleNamespace(ns, DocTypeKTPEL)
	if err != nil {
		return nil, err
	}
	r := newReader(wireMdoc, m)
	var f KTPELFields
	f.NIK = r.nik("personal_administrative_number", true)
	f.Name = r.str("name", true)
	f.BirthDate = r.date("birth_date", true)
	if o := r.obj("place_of_birth", true); o != nil {
		f.PlaceOfBirth = o.str("locality", true)
		o.done()
	}
	f.Address = readAddressMdoc(r)
	k := ktpelCommon(r, &f, "nationality", "portrait", "issuance_date", "expiry_date")
	if k == nil {
		return nil, r.error()
	}
	return k, nil
}

func ktpelCommon(r *reader, f *KTPELFields, natName, picName, issueName, expiryName string) *KTPEL {
	f.Sex = Sex(r.uint("sex", true, 255))
	if bt := r.str("blood_type", false); bt != "" {
		b, err := ParseBloodType(bt)
		if err != nil || b == BloodUnknown || b.String() != bt {
			r.fail("blood_type", ErrUnknownCode, "not a SIAK blood type (omit when unknown)")
		}
		f.BloodType = b
	}
	f.Religion = Religion(r.uint("religion", true, 255))
	f.MaritalStatus = MaritalStatus(r.uint("marital_status", true, 255))
	f.Occupation = Occupation{Text: r.str("occupation", true), Code: r.uint("occupation_code", false, 255)}
	f.Nationalities = r.strs(natName, true, MaxNationalities)
	if len(f.Nationalities) == 0 && !r.failed() {
		// NewKTPEL would default an empty list to ["ID"]; a decoder must not
		// accept what the encoder never writes.
		r.fail(natName, ErrMissing, "must list at least one nationality")
	}
	f.Citizenship = r.citizenship("citizenship_status")
	f.KITAPNumber = r.str("kitap_number", false)
	f.Portrait = r.image(picName, true)
	f.Signature = r.image("signature_usual_mark", false)
	f.IssueDate = r.date(issueName, true)
	f.IssuingPlace = r.str("issuing_place", true)
	f.ExpiryDate = r.date(expiryName, false)
	f.Lifetime = r.boolean("lifetime_validity", true)
	f.IssuingJurisdiction = r.str("issuing_jurisdiction", false)
	f.IssuingOffice = r.str("issuing_office", true)
	f.IssuingAuthority = r.str("issuing_authority", true)
	r.constant("issuing_country", "ID", true)
	r.ageClaims(f.BirthDate)
	r.done()
	if r.failed() {
		return nil
	}
	k, err := NewKTPEL(*f)
	if err != nil {
		*r.err = err
		return nil
	}
	return k
}

func (r *reader) nik(key string, required bool) NIK {
	s := r.str(key, required)
	if s == "" || r.failed() {
		return NIK{}
	}
	// The wire form is exactly 16 digits; separators are for display only.
	if len(s) != 16 {
		r.fail(key, ErrSyntax, "want 16 digits")
		return NIK{}
	}
	n, err := ParseNIK(s)
	if err != nil {
		*r.err = within(r.join(key), stripField(err))
		return NIK{}
	}
	return n
}

// stripField drops the default "nik" field name so within can re-root it.
func stripField(err error) error {
	if fe, ok := err.(*FieldError); ok {
		return &FieldError{Err: fe.Err, Detail: fe.Detail}
	}
	return err
}

func (r *reader) citizenship(key string) Citizenship {
	s := r.str(key, true)
	if s == "" {
		return 0
	}
	c, err := ParseCitizenship(s)
	if err != nil || c.String() != s {
		r.fail(key, ErrUnknownCode, "want WNI or WNA")
	}
	return c
}

// singleNamespace requires exactly the namespace want.
func singleNamespace(ns map[string]map[string]any, want string) (map[string]any, error) {
	for k := range ns {
		if k != want {
			return nil, fieldErr(k, ErrWrongType, "unexpected namespace, want %s", want)
		}
	}
	m, ok := ns[want]
	if !ok {
		return nil, fieldErr(want, ErrMissing, "namespace absent")
	}
	return maps.Clone(m), nil
}
