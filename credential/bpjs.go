package credential

import (
	"reflect"
	"slices"
	"time"
)

// BPJSKesehatanFields are the fields of a BPJS Kesehatan (JKN-KIS)
// membership credential (docs/domain.md §5, §8.4; VClaim Peserta fields).
type BPJSKesehatanFields struct {
	// CardNumber is the 13-digit noKartu (no public check digit).
	CardNumber string
	Name       string
	// NIK ties the membership to the holder's KTP-el.
	NIK       NIK
	BirthDate Date
	Sex       Sex
	// PCPCode and PCPName identify the Faskes Tingkat I (provUmum); the
	// code is 8 characters, e.g. "0123A045".
	PCPCode, PCPName string
	// CareClass is hak kelas 1–3; zero means absent (KRIS).
	CareClass CareClass
	// ParticipantTypeCode / ParticipantTypeLabel are VClaim jenisPeserta,
	// e.g. "13" / "PEGAWAI SWASTA".
	ParticipantTypeCode, ParticipantTypeLabel string
	Segment                                   Segment
	MembershipStatus                          MembershipStatus
	CoverageStart                             Date   // TMT
	CoverageEnd                               Date   // TAT, optional
	FamilyCardNumber                          string // optional KK number
	IssuingAuthority                          string // empty means AuthorityBPJSKes
}

// BPJSKesehatan is a validated BPJS Kesehatan credential.
type BPJSKesehatan struct{ f BPJSKesehatanFields }

var _ Document = (*BPJSKesehatan)(nil)

// NewBPJSKesehatan validates f.
func NewBPJSKesehatan(f BPJSKesehatanFields) (*BPJSKesehatan, error) {
	if f.IssuingAuthority == "" {
		f.IssuingAuthority = AuthorityBPJSKes
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return &BPJSKesehatan{f: f}, nil
}

func (f *BPJSKesehatanFields) check() error {
	// docs/domain.md §5: ^\d{13}$, treated as opaque.
	if err := checkDigits("card_number", f.CardNumber, 13, 13, true); err != nil {
		return err
	}
	if err := checkName("name", f.Name, true); err != nil {
		return err
	}
	if f.NIK.IsZero() {
		return fieldErr("personal_administrative_number", ErrMissing, "")
	}
	if err := checkDate("birthdate", f.BirthDate, true); err != nil {
		return err
	}
	if !f.Sex.Valid() {
		return fieldErr("sex", ErrUnknownCode, "want 1 or 2")
	}
	if f.Sex != f.NIK.Sex() {
		return fieldErr("sex", ErrInconsistent, "differs from the NIK's day+40 encoding")
	}
	if len(f.PCPCode) != 8 || checkText("", f.PCPCode, true) != nil || !alnum(f.PCPCode) {
		return fieldErr("primary_care_provider.code", ErrSyntax, "want 8 letters or digits")
	}
	if err := checkText("primary_care_provider.name", f.PCPName, true); err != nil {
		return err
	}
	if f.CareClass != 0 && !f.CareClass.Valid() {
		return fieldErr("care_class.code", ErrUnknownCode, "want 1, 2 or 3")
	}
	if err := checkText("participant_type.code", f.ParticipantTypeCode, true); err != nil {
		return err
	}
	if err := checkText("participant_type.label", f.ParticipantTypeLabel, true); err != nil {
		return err
	}
	if !f.Segment.Valid() {
		return fieldErr("segment", ErrUnknownCode, "")
	}
	if !f.MembershipStatus.Valid() {
		return fieldErr("membership_status", ErrUnknownCode, "")
	}
	if err := checkDate("coverage_start", f.CoverageStart, true); err != nil {
		return err
	}
	if err := checkDate("coverage_end", f.CoverageEnd, false); err != nil {
		return err
	}
	if !f.CoverageEnd.IsZero() && f.CoverageEnd.Before(f.CoverageStart) {
		return fieldErr("coverage_end", ErrInconsistent, "before coverage_start")
	}
	if f.FamilyCardNumber != "" {
		if _, err := ParseFamilyCardNumber(f.FamilyCardNumber); err != nil {
			return err
		}
	}
	return checkText("issuing_authority", f.IssuingAuthority, true)
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// Fields returns a copy of the fields.
func (b *BPJSKesehatan) Fields() BPJSKesehatanFields { return b.f }

// Type returns [BPJSKesehatanType].
func (b *BPJSKesehatan) Type() TypeInfo { return BPJSKesehatanType() }

// Equal reports whether two values carry the same fields.
func (b *BPJSKesehatan) Equal(o *BPJSKesehatan) bool { return reflect.DeepEqual(b.f, o.f) }

func (b *BPJSKesehatan) common(w wire, m map[string]any) {
	f := &b.f
	m["name"] = f.Name
	m["personal_administrative_number"] = f.NIK.String()
	m["sex"] = w.uint(int(f.Sex))
	m["segment"] = f.Segment.String()
	m["membership_status"] = f.MembershipStatus.String()
	m["issuing_authority"] = f.IssuingAuthority
	m["issuing_country"] = "ID"
	if f.FamilyCardNumber != "" {
		m["family_card_number"] = f.FamilyCardNumber
	}
}

// SDJWTClaims implements [Document] (docs/domain.md §8.4).
func (b *BPJSKesehatan) SDJWTClaims(at time.Time) map[string]any {
	f, w := &b.f, wireSDJWT
	m := map[string]any{
		"vct":                   VCTBPJSKesehatan,
		"card_number":           f.CardNumber,
		"birthdate":             w.date(f.BirthDate),
		"primary_care_provider": map[string]any{"code": f.PCPCode, "name": f.PCPName},
		"participant_type":      map[string]any{"code": f.ParticipantTypeCode, "label": f.ParticipantTypeLabel},
		"coverage_start":        w.date(f.CoverageStart),
	}
	if f.CareClass != 0 {
		m["care_class"] = map[string]any{"code": f.CareClass.String()}
	}
	if !f.CoverageEnd.IsZero() {
		m["coverage_end"] = w.date(f.CoverageEnd)
	}
	b.common(w, m)
	ageClaimsSDJWT(f.BirthDate, at, m)
	return m
}

// MdocElements implements [Document]. participant_type carries the code
// and participant_type_label the label.
func (b *BPJSKesehatan) MdocElements(at time.Time) map[string]map[string]any {
	f, w := &b.f, wireMdoc
	m := map[string]any{
		"document_number":        f.CardNumber,
		"birth_date":             w.date(f.BirthDate),
		"pcp_code":               f.PCPCode,
		"pcp_name":               f.PCPName,
		"participant_type":       f.ParticipantTypeCode,
		"participant_type_label": f.ParticipantTypeLabel,
		"tmt":                    w.date(f.CoverageStart),
	}
	if f.CareClass != 0 {
		m["care_class"] = f.CareClass.String()
	}
	if !f.CoverageEnd.IsZero() {
		m["tat"] = w.date(f.CoverageEnd)
	}
	b.common(w, m)
	ageElementsMdoc(f.BirthDate, at, m)
	return map[string]map[string]any{DocTypeBPJSKesehatan: m}
}

func bpjsKesCommon(r *reader, f *BPJSKesehatanFields, careClass string) (*BPJSKesehatan, error) {
	f.Name = r.str("name", true)
	f.NIK = r.nik("personal_administrative_number", true)
	f.Sex = Sex(r.uint("sex", true, 255))
	if careClass != "" {
		c, err := ParseCareClass(careClass)
		if err != nil || c.String() != careClass {
			r.fail("care_class", ErrUnknownCode, "want 1, 2 or 3")
		}
		f.CareClass = c
	}
	f.Segment = parseExact(r, "segment", ParseSegment)
	f.MembershipStatus = parseExact(r, "membership_status", ParseMembershipStatus)
	f.FamilyCardNumber = r.str("family_card_number", false)
	f.IssuingAuthority = r.str("issuing_authority", true)
	r.constant("issuing_country", "ID", true)
	r.ageClaims(f.BirthDate)
	r.done()
	if r.failed() {
		return nil, r.error()
	}
	return NewBPJSKesehatan(*f)
}

// parseExact reads a required string enum and requires its canonical form.
func parseExact[T interface {
	~uint8
	String() string
}](r *reader, key string, parse func(string) (T, error)) T {
	s := r.str(key, true)
	if s == "" {
		return 0
	}
	v, err := parse(s)
	if err != nil || v.String() != s {
		r.fail(key, ErrUnknownCode, "")
	}
	return v
}

// BPJSKesehatanFromClaims decodes a complete SD-JWT VC claim set, strictly.
func BPJSKesehatanFromClaims(claims map[string]any) (*BPJSKesehatan, error) {
	r := newReader(wireSDJWT, claims)
	r.ignore(technicalSDJWT...)
	r.constant("vct", VCTBPJSKesehatan, true)
	var f BPJSKesehatanFields
	f.CardNumber = r.str("card_number", true)
	f.BirthDate = r.date("birthdate", true)
	if o := r.obj("primary_care_provider", true); o != nil {
		f.PCPCode, f.PCPName = o.str("code", true), o.str("name", true)
		o.done()
	}
	if o := r.obj("participant_type", true); o != nil {
		f.ParticipantTypeCode, f.ParticipantTypeLabel = o.str("code", true), o.str("label", true)
		o.done()
	}
	var cc string
	if o := r.obj("care_class", false); o != nil {
		cc = o.str("code", true)
		o.done()
	}
	f.CoverageStart = r.date("coverage_start", true)
	f.CoverageEnd = r.date("coverage_end", false)
	return bpjsKesCommon(r, &f, cc)
}

// BPJSKesehatanFromMdoc decodes mdoc elements, strictly.
func BPJSKesehatanFromMdoc(ns map[string]map[string]any) (*BPJSKesehatan, error) {
	m, err := singleNamespace(ns, DocTypeBPJSKesehatan)
	if err != nil {
		return nil, err
	}
	r := newReader(wireMdoc, m)
	var f BPJSKesehatanFields
	f.CardNumber = r.str("document_number", true)
	f.BirthDate = r.date("birth_date", true)
	f.PCPCode, f.PCPName = r.str("pcp_code", true), r.str("pcp_name", true)
	f.ParticipantTypeCode, f.ParticipantTypeLabel = r.str("participant_type", true), r.str("participant_type_label", true)
	cc := r.str("care_class", false)
	f.CoverageStart = r.date("tmt", true)
	f.CoverageEnd = r.date("tat", false)
	return bpjsKesCommon(r, &f, cc)
}

// BPJSKetenagakerjaanFields are the minimal fields of a BPJS
// Ketenagakerjaan membership credential (docs/domain.md §8.4; the field set is
// not confirmed by BPJS).
type BPJSKetenagakerjaanFields struct {
	// MemberNumber is the KPJ number: 8–13 digits until its length is
	// confirmed (docs/domain.md §5).
	MemberNumber     string
	Name             string
	NIK              NIK // ties the membership to the holder's KTP-el
	BirthDate        Date
	EmployerName     string // optional (self-employed members have none)
	Programs         []Program
	MembershipStatus MembershipStatus
	RegistrationDate Date
	IssuingAuthority string // empty means AuthorityBPJSTK
}

// BPJSKetenagakerjaan is a validated BPJS Ketenagakerjaan credential.
type BPJSKetenagakerjaan struct{ f BPJSKetenagakerjaanFields }

var _ Document = (*BPJSKetenagakerjaan)(nil)

// NewBPJSKetenagakerjaan validates f: at least one programme, no duplicates.
func NewBPJSKetenagakerjaan(f BPJSKetenagakerjaanFields) (*BPJSKetenagakerjaan, error) {
	if f.IssuingAuthority == "" {
		f.IssuingAuthority = AuthorityBPJSTK
	}
	f.Programs = slices.Clone(f.Programs)
	if err := f.check(); err != nil {
		return nil, err
	}
	return &BPJSKetenagakerjaan{f: f}, nil
}

func (f *BPJSKetenagakerjaanFields) check() error {
	if err := checkDigits("member_number", f.MemberNumber, 8, 13, true); err != nil {
		return err
	}
	if err := checkName("name", f.Name, true); err != nil {
		return err
	}
	if f.NIK.IsZero() {
		return fieldErr("personal_administrative_number", ErrMissing, "")
	}
	if err := checkDate("birthdate", f.BirthDate, true); err != nil {
		return err
	}
	if err := checkText("employer_name", f.EmployerName, false); err != nil {
		return err
	}
	if len(f.Programs) == 0 {
		return fieldErr("programs", ErrMissing, "")
	}
	seen := map[Program]bool{}
	for _, p := range f.Programs {
		if !p.Valid() {
			return fieldErr("programs", ErrUnknownCode, "")
		}
		if seen[p] {
			return fieldErr("programs", ErrSyntax, "duplicate programme")
		}
		seen[p] = true
	}
	if !f.MembershipStatus.Valid() {
		return fieldErr("membership_status", ErrUnknownCode, "")
	}
	if err := checkDate("registration_date", f.RegistrationDate, true); err != nil {
		return err
	}
	return checkText("issuing_authority", f.IssuingAuthority, true)
}

// Fields returns a copy of the fields.
func (b *BPJSKetenagakerjaan) Fields() BPJSKetenagakerjaanFields {
	f := b.f
	f.Programs = slices.Clone(f.Programs)
	return f
}

// Type returns [BPJSKetenagakerjaanType].
func (b *BPJSKetenagakerjaan) Type() TypeInfo { return BPJSKetenagakerjaanType() }

// Equal reports whether two values carry the same fields.
func (b *BPJSKetenagakerjaan) Equal(o *BPJSKetenagakerjaan) bool { return reflect.DeepEqual(b.f, o.f) }

func (b *BPJSKetenagakerjaan) claims(w wire, birthKey, regKey string) map[string]any {
	f := &b.f
	progs := make([]any, len(f.Programs))
	for i, p := range f.Programs {
		progs[i] = p.String()
	}
	m := map[string]any{
		"member_number":                  f.MemberNumber,
		"name":                           f.Name,
		"personal_administrative_number": f.NIK.String(),
		birthKey:                         w.date(f.BirthDate),
		"programs":                       progs,
		"membership_status":              f.MembershipStatus.String(),
		regKey:                           w.date(f.RegistrationDate),
		"issuing_authority":              f.IssuingAuthority,
		"issuing_country":                "ID",
	}
	if f.EmployerName != "" {
		m["employer_name"] = f.EmployerName
	}
	return m
}

// SDJWTClaims implements [Document].
func (b *BPJSKetenagakerjaan) SDJWTClaims(at time.Time) map[string]any {
	m := b.claims(wireSDJWT, "birthdate", "registration_date")
	m["vct"] = VCTBPJSKetenagakerja
	ageClaimsSDJWT(b.f.BirthDate, at, m)
	return m
}

// MdocElements implements [Document].
func (b *BPJSKetenagakerjaan) MdocElements(at time.Time) map[string]map[string]any {
	m := b.claims(wireMdoc, "birth_date", "registration_date")
	ageElementsMdoc(b.f.BirthDate, at, m)
	return map[string]map[string]any{DocTypeBPJSKetenagakerja: m}
}

func bpjsTKCommon(r *reader, birthKey string) (*BPJSKetenagakerjaan, error) {
	var f BPJSKetenagakerjaanFields
	f.MemberNumber = r.str("member_number", true)
	f.Name = r.str("name", true)
	f.NIK = r.nik("personal_administrative_number", true)
	f.BirthDate = r.date(birthKey, true)
	f.EmployerName = r.str("employer_name", false)
	for _, s := range r.strs("programs", true, 16) {
		p, err := ParseProgram(s)
		if err != nil || p.String() != s {
			r.fail("programs", ErrUnknownCode, "")
			break
		}
		f.Programs = append(f.Programs, p)
	}
	f.MembershipStatus = parseExact(r, "membership_status", ParseMembershipStatus)
	f.RegistrationDate = r.date("registration_date", true)
	f.IssuingAuthority = r.str("issuing_authority", true)
	r.constant("issuing_country", "ID", true)
	r.ageClaims(f.BirthDate)
	r.done()
	if r.failed() {
		return nil, r.error()
	}
	return NewBPJSKetenagakerjaan(f)
}

// BPJSKetenagakerjaanFromClaims decodes a complete SD-JWT VC claim set,
// strictly.
func BPJSKetenagakerjaanFromClaims(claims map[string]any) (*BPJSKetenagakerjaan, error) {
	r := newReader(wireSDJWT, claims)
	r.ignore(technicalSDJWT...)
	r.constant("vct", VCTBPJSKetenagakerja, true)
	return bpjsTKCommon(r, "birthdate")
}

// BPJSKetenagakerjaanFromMdoc decodes mdoc elements, strictly.
func BPJSKetenagakerjaanFromMdoc(ns map[string]map[string]any) (*BPJSKetenagakerjaan, error) {
	m, err := singleNamespace(ns, DocTypeBPJSKetenagakerja)
	if err != nil {
		return nil, err
	}
	return bpjsTKCommon(newReader(wireMdoc, m), "birth_date")
}
