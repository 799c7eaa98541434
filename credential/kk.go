package credential

import (
	"reflect"
	"slices"
	"strconv"
	"time"
)

// FamilyCardNumber is a KK number: 16 digits, the 6-digit Kemendagri
// district code where it was issued, the recording date DDMMYY (no +40) and
// a 4-digit family serial (docs/domain.md §3). It identifies a household at a
// point in time; it changes when the family moves or splits.
type FamilyCardNumber struct{ s string }

// ParseFamilyCardNumber checks the hard rules of docs/domain.md §8.5:
// exactly 16 digits, a known province PP, DDMMYY a real date (19YY or 20YY),
// serial not 0000. The regency and district parts are only checked for 00
// (soft rule).
func ParseFamilyCardNumber(s string) (FamilyCardNumber, error) {
	const field = "family_card_number"
	if err := checkDigits(field, s, 16, 16, true); err != nil {
		return FamilyCardNumber{}, err
	}
	if _, ok := LookupRegion(s[:2]); !ok || s[2:4] == "00" || s[4:6] == "00" {
		return FamilyCardNumber{}, fieldErr(field, ErrUnknownRegion, "region part %s", s[:6])
	}
	dd, _ := atoiDigits(s[6:8])
	mm, _ := atoiDigits(s[8:10])
	yy, _ := atoiDigits(s[10:12])
	if !realDate(1900+yy, mm, dd) && !realDate(2000+yy, mm, dd) {
		return FamilyCardNumber{}, fieldErr(field, ErrInvalidDate, "recording date does not exist")
	}
	if s[12:] == "0000" {
		return FamilyCardNumber{}, fieldErr(field, ErrSyntax, "serial 0000")
	}
	return FamilyCardNumber{s}, nil
}

// String returns the 16 digits ("" for the zero value).
func (n FamilyCardNumber) String() string { return n.s }

// IsZero reports whether n is the zero (absent) number.
func (n FamilyCardNumber) IsZero() bool { return n.s == "" }

// KKMember is one row of a KK (UU 24/2013 Pasal 61(1); Permendagri
// 118/2017).
type KKMember struct {
	NIK            NIK
	Name           string
	Sex            Sex
	PlaceOfBirth   string
	BirthDate      Date
	Religion       Religion
	Education      Education
	Occupation     Occupation
	BloodType      BloodType
	MaritalStatus  MaritalStatus
	MarriageDate   Date // only if ever married; optional
	Relationship   FamilyRelationship
	Citizenship    Citizenship
	Nationalities  []string // empty means ["ID"] for a WNI
	PassportNumber string   // optional
	KITAPNumber    string   // optional (WNA)
	FatherName     string   // sensitive: used as a bank KBA question
	MotherName     string   // sensitive: used as a bank KBA question
}

// kkMemberKeys are the claim names of a member object (docs/domain.md §8.2).
var kkMemberKeys = []string{"personal_administrative_number", "name", "sex", "place_of_birth", "birthdate",
	"religion", "education", "occupation", "occupation_code", "blood_type", "marital_status", "marriage_date",
	"relationship", "citizenship_status", "nationalities", "passport_number", "kitap_number", "father_name",
	"mother_name"}

func (m *KKMember) check() error {
	if m.NIK.IsZero() {
		return fieldErr("personal_administrative_number", ErrMissing, "")
	}
	if err := checkName("name", m.Name, true); err != nil {
		return err
	}
	if !m.Sex.Valid() {
		return fieldErr("sex", ErrUnknownCode, "want 1 or 2")
	}
	if m.Sex != m.NIK.Sex() {
		return fieldErr("sex", ErrInconsistent, "differs from the NIK's day+40 encoding")
	}
	if err := checkText("place_of_birth", m.PlaceOfBirth, true); err != nil {
		return err
	}
	if err := checkDate("birthdate", m.BirthDate, true); err != nil {
		return err
	}
	if !m.Religion.Valid() {
		return fieldErr("religion", ErrUnknownCode, "want 1–7")
	}
	if !m.Education.Valid() {
		return fieldErr("education", ErrUnknownCode, "want 1–10")
	}
	if err := m.Occupation.check("occupation"); err != nil {
		return err
	}
	if !m.BloodType.Valid() {
		return fieldErr("blood_type", ErrUnknownCode, "")
	}
	if !m.MaritalStatus.Valid() {
		return fieldErr("marital_status", ErrUnknownCode, "want 1–8")
	}
	if err := checkDate("marriage_date", m.MarriageDate, false); err != nil {
		return err
	}
	// docs/domain.md §3: Tanggal Perkawinan is blank unless married.
	if !m.MarriageDate.IsZero() && (!m.MaritalStatus.EverMarried() || m.MarriageDate.Before(m.BirthDate)) {
		return fieldErr("marriage_date", ErrInconsistent, "only for a married person, after the birth date")
	}
	if !m.Relationship.Valid() {
		return fieldErr("relationship", ErrUnknownCode, "want 1–11")
	}
	if !m.Citizenship.Valid() {
		return fieldErr("citizenship_status", ErrUnknownCode, "want WNI or WNA")
	}
	if err := checkNationalities("nationalities", m.Citizenship, m.Nationalities); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"passport_number", m.PassportNumber}, {"kitap_number", m.KITAPNumber}} {
		if err := checkText(f.name, f.v, false); err != nil {
			return err
		}
	}
	if err := checkName("father_name", m.FatherName, false); err != nil {
		return err
	}
	return checkName("mother_name", m.MotherName, false)
}

// KKFields are the fields of a per-holder KK credential (docs/domain.md §8.2):
// the whole family card plus which row is the holder.
type KKFields struct {
	Number           FamilyCardNumber
	HeadOfFamilyName string
	Address          Address // PostalCode allowed
	IssueDate        Date
	IssuingOffice    string // Kepala Dinas / Disdukcapil
	IssuingAuthority string // empty means AuthorityDukcapil
	Members          []KKMember
	// HolderRow is the 1-based row number (the "No" column) of the holder.
	HolderRow int
}

// KK is a validated Kartu Keluarga credential.
type KK struct{ f KKFields }

var _ Document = (*KK)(nil)

// NewKK validates f: the number and every member valid; 1..MaxKKMembers
// members with distinct NIKs; exactly one KEPALA KELUARGA whose name is
// HeadOfFamilyName; HolderRow a valid row.
func NewKK(f KKFields) (*KK, error) {
	f.Address = f.Address.withDefaults()
	if f.IssuingAuthority == "" {
		f.IssuingAuthority = AuthorityDukcapil
	}
	f.Members = slices.Clone(f.Members)
	for i := range f.Members {
		f.Members[i].Nationalities = defaultNationalities(f.Members[i].Citizenship, f.Members[i].Nationalities)
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return &KK{f: f}, nil
}

func (f *KKFields) check() error {
	if f.Number.IsZero() {
		return fieldErr("family_card_number", ErrMissing, "")
	}
	if err := checkName("head_of_family_name", f.HeadOfFamilyName, true); err != nil {
		return err
	}
	if err := f.Address.check("address", true); err != nil {
		return err
	}
	if err := checkDate("date_of_issuance", f.IssueDate, true); err != nil {
		return err
	}
	if err := checkText("issuing_office", f.IssuingOffice, true); err != nil {
		return err
	}
	if err := checkText("issuing_authority", f.IssuingAuthority, true); err != nil {
		return err
	}
	if len(f.Members) == 0 {
		return fieldErr("members", ErrMissing, "")
	}
	if len(f.Members) > MaxKKMembers {
		return fieldErr("members", ErrSyntax, "more than %d members", MaxKKMembers)
	}
	heads := 0
	seen := map[NIK]bool{}
	for i := range f.Members {
		m := &f.Members[i]
		if err := m.check(); err != nil {
			return within("members["+strconv.Itoa(i)+"]", err)
		}
		if seen[m.NIK] {
			return fieldErr("members["+strconv.Itoa(i)+"].personal_administrative_number", ErrInconsistent, "duplicate NIK")
		}
		seen[m.NIK] = true
		if m.Relationship == KepalaKeluarga {
			heads++
			if m.Name != f.HeadOfFamilyName {
				return fieldErr("head_of_family_name", ErrInconsistent, "differs from the KEPALA KELUARGA member")
			}
		}
	}
	if heads != 1 {
		return fieldErr("members", ErrInconsistent, "want exactly one KEPALA KELUARGA, got %d", heads)
	}
	if f.HolderRow < 1 || f.HolderRow > len(f.Members) {
		return fieldErr("holder_member_index", ErrSyntax, "want a row number 1–%d", len(f.Members))
	}
	return nil
}

// Fields returns a deep copy of the fields.
func (k *KK) Fields() KKFields {
	f := k.f
	f.Members = slices.Clone(f.Members)
	for i := range f.Members {
		f.Members[i].Nationalities = slices.Clone(f.Members[i].Nationalities)
	}
	return f
}

// Holder returns a copy of the holder's row.
func (k *KK) Holder() KKMember {
	m := k.f.Members[k.f.HolderRow-1]
	m.Nationalities = slices.Clone(m.Nationalities)
	return m
}

// Type returns [KKType].
func (k *KK) Type() TypeInfo { return KKType() }

// Equal reports whether two KK values carry the same fields.
func (k *KK) Equal(o *KK) bool { return reflect.DeepEqual(k.f, o.f) }

func memberMap(w wire, m *KKMember) map[string]any {
	birthKey, marriageKey := "birthdate", "marriage_date"
	out := map[string]any{
		"personal_administrative_number": m.NIK.String(),
		"name":                           m.Name,
		"sex":                            w.uint(int(m.Sex)),
		"place_of_birth":                 map[string]any{"locality": m.PlaceOfBirth},
		birthKey:                         w.date(m.BirthDate),
		"religion":                       w.uint(int(m.Religion)),
		"education":                      w.uint(int(m.Education)),
		"occupation":                     m.Occupation.Text,
		"marital_status":                 w.uint(int(m.MaritalStatus)),
		"relationship":                   w.uint(int(m.Relationship)),
		"citizenship_status":             m.Citizenship.String(),
		"nationalities":                  strList(m.Nationalities),
	}
	if m.Occupation.Code != 0 {
		out["occupation_code"] = w.uint(m.Occupation.Code)
	}
	if m.BloodType != BloodUnknown {
		out["blood_type"] = m.BloodType.String()
	}
	if !m.MarriageDate.IsZero() {
		out[marriageKey] = w.date(m.MarriageDate)
	}
	for k, v := range map[string]string{"passport_number": m.PassportNumber, "kitap_number": m.KITAPNumber,
		"father_name": m.FatherName, "mother_name": m.MotherName} {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

func readMember(r *reader) KKMember {
	var m KKMember
	m.NIK = r.nik("personal_administrative_number", true)
	m.Name = r.str("name", true)
	m.Sex = Sex(r.uint("sex", true, 255))
	if o := r.obj("place_of_birth", true); o != nil {
		m.PlaceOfBirth = o.str("locality", true)
		o.done()
	}
	m.BirthDate = r.date("birthdate", true)
	m.Religion = Religion(r.uint("religion", true, 255))
	m.Education = Education(r.uint("education", true, 255))
	m.Occupation = Occupation{Text: r.str("occupation", true), Code: r.uint("occupation_code", false, 255)}
	if bt := r.str("blood_type", false); bt != "" {
		b, err := ParseBloodType(bt)
		if err != nil || b == BloodUnknown || b.String() != bt {
			r.fail("blood_type", ErrUnknownCode, "not a SIAK blood type (omit when unknown)")
		}
		m.BloodType = b
	}
	m.MaritalStatus = MaritalStatus(r.uint("marital_status", true, 255))
	m.MarriageDate = r.date("marriage_date", false)
	m.Relationship = FamilyRelationship(r.uint("relationship", true, 255))
	m.Citizenship = r.citizenship("citizenship_status")
	m.Nationalities = r.strs("nationalities", true, MaxNationalities)
	m.PassportNumber = r.str("passport_number", false)
	m.KITAPNumber = r.str("kitap_number", false)
	m.FatherName = r.str("father_name", false)
	m.MotherName = r.str("mother_name", false)
	r.done()
	return m
}

// SDJWTClaims implements [Document] (docs/domain.md §8.2). The age claims are
// the holder's.
func (k *KK) SDJWTClaims(at time.Time) map[string]any {
	f, w := &k.f, wireSDJWT
	members := make([]any, len(f.Members))
	for i := range f.Members {
		members[i] = memberMap(w, &f.Members[i])
	}
	m := map[string]any{
		"vct":                 VCTKK,
		"family_card_number":  f.Number.String(),
		"head_of_family_name": f.HeadOfFamilyName,
		"address":             addressSDJWT(f.Address),
		"date_of_issuance":    w.date(f.IssueDate),
		"issuing_office":      f.IssuingOffice,
		"issuing_authority":   f.IssuingAuthority,
		"issuing_country":     "ID",
		"holder_member_index": w.uint(f.HolderRow),
		"members":             members,
	}
	ageClaimsSDJWT(f.Members[f.HolderRow-1].BirthDate, at, m)
	return m
}

// MdocElements implements [Document]. mdoc cannot disclose array items
// selectively, so the holder's row is also a separate holder_member element
// and members (the whole family) is an element holders will rarely release
// (docs/domain.md §8.2). Member maps use the SD-JWT member claim names, with
// dates as tag 1004.
func (k *KK) MdocElements(at time.Time) map[string]map[string]any {
	f, w := &k.f, wireMdoc
	members := make([]any, len(f.Members))
	for i := range f.Members {
		members[i] = memberMap(w, &f.Members[i])
	}
	m := map[string]any{
		"family_card_number":  f.Number.String(),
		"head_of_family_name": f.HeadOfFamilyName,
		"issuance_date":       w.date(f.IssueDate),
		"issuing_office":      f.IssuingOffice,
		"issuing_authority":   f.IssuingAuthority,
		"issuing_country":     "ID",
		"holder_member_index": w.uint(f.HolderRow),
		"members":             members,
		"holder_member":       memberMap(w, &f.Members[f.HolderRow-1]),
	}
	addressMdoc(f.Address, m)
	ageElementsMdoc(f.Members[f.HolderRow-1].BirthDate, at, m)
	return map[string]map[string]any{DocTypeKK: m}
}

// KKFromClaims decodes a complete SD-JWT VC claim set into a KK, strictly
// (see [KTPELFromClaims]).
func KKFromClaims(claims map[string]any) (*KK, error) {
	r := newReader(wireSDJWT, claims)
	r.ignore(technicalSDJWT...)
	r.constant("vct", VCTKK, true)
	var f KKFields
	f.Address = readAddressSDJWT(r)
	f.IssueDate = r.date("date_of_issuance", true)
	return kkCommon(r, &f)
}

// KKFromMdoc decodes mdoc elements into a KK, strictly. holder_member must
// equal the members row it names.
func KKFromMdoc(ns map[string]map[string]any) (*KK, error) {
	m, err := singleNamespace(ns, DocTypeKK)
	if err != nil {
		return nil, err
	}
	r := newReader(wireMdoc, m)
	var f KKFields
	f.Address = readAddressMdoc(r)
	f.IssueDate = r.date("issuance_date", true)
	var holder *KKMember
	if o := r.obj("holder_member", true); o != nil {
		h := readMember(o)
		holder = &h
	}
	k, err := kkCommon(r, &f)
	if err != nil {
		return nil, err
	}
	h := k.Holder()
	if holder == nil || !reflect.DeepEqual(*holder, h) {
		return nil, fieldErr("holder_member", ErrInconsistent, "differs from the members row holder_member_index names")
	}
	return k, nil
}

func kkCommon(r *reader, f *KKFields) (*KK, error) {
	if s := r.str("family_card_number", true); s != "" && !r.failed() {
		n, err := ParseFamilyCardNumber(s)
		if err != nil {
			return nil, err
		}
		f.Number = n
	}
	f.HeadOfFamilyName = r.str("head_of_family_name", true)
	f.IssuingOffice = r.str("issuing_office", true)
	f.IssuingAuthority = r.str("issuing_authority", true)
	r.constant("issuing_country", "ID", true)
	f.HolderRow = r.uint("holder_member_index", true, MaxKKMembers)
	for i, e := range r.arr("members", true, MaxKKMembers) {
		mm, ok := toMap(e)
		key := "members[" + strconv.Itoa(i) + "]"
		if !ok {
			r.fail(key, ErrClaimType, "want an object")
			break
		}
		f.Members = append(f.Members, readMember(r.sub(key, mm)))
	}
	var birth Date
	if f.HolderRow >= 1 && f.HolderRow <= len(f.Members) {
		birth = f.Members[f.HolderRow-1].BirthDate
	}
	r.ageClaims(birth)
	r.done()
	if r.failed() {
		return nil, r.error()
	}
	return NewKK(*f)
}
