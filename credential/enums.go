package credential

import (
	"strings"
)

// The code lists below are the SIAK (Dukcapil population administration
// system) reference tables as documented in docs/domain.md §1 and §3 (via
// OpenSID's tweb_* tables), plus ikdkit proposals where marked. Each type
// rejects values outside its list with an error wrapping [ErrUnknownCode].
// Labels are the uppercase Indonesian forms printed on KTP-el and KK.

// enumDef describes one closed code list. labels[i] is the label of code i;
// an empty label means "not a code". aliases are extra accepted spellings.
type enumDef struct {
	name    string
	labels  []string
	aliases map[string]int
}

func (d *enumDef) valid(code int) bool {
	return code > 0 && code < len(d.labels) && d.labels[code] != ""
}

func (d *enumDef) label(code int) string {
	if !d.valid(code) {
		return ""
	}
	return d.labels[code]
}

func (d *enumDef) check(code int) error {
	if !d.valid(code) {
		return fieldErr("", ErrUnknownCode, "%s code %d not in list", d.name, code)
	}
	return nil
}

// parse matches a label case-insensitively after collapsing spaces.
func (d *enumDef) parse(s string) (int, error) {
	k := strings.ToUpper(strings.Join(strings.Fields(s), " "))
	for i, l := range d.labels {
		if l != "" && l == k {
			return i, nil
		}
	}
	if c, ok := d.aliases[k]; ok {
		return c, nil
	}
	return 0, fieldErr("", ErrUnknownCode, "%s label not in list", d.name)
}

// ---- Sex -------------------------------------------------------------------

// Sex is the jenis kelamin, SIAK code = ISO/IEC 5218 code (1 male, 2 female).
type Sex uint8

// Sex values.
const (
	Male   Sex = 1 // LAKI-LAKI
	Female Sex = 2 // PEREMPUAN
)

var sexDef = &enumDef{
	name:    "sex",
	labels:  []string{"", "LAKI-LAKI", "PEREMPUAN"},
	aliases: map[string]int{"L": 1, "P": 2, "LAKI LAKI": 1, "MALE": 1, "FEMALE": 2},
}

// ParseSex accepts "LAKI-LAKI"/"PEREMPUAN", the BPJS letters "L"/"P" and the
// English "MALE"/"FEMALE" printed on WNA cards.
func ParseSex(s string) (Sex, error) { c, err := sexDef.parse(s); return Sex(c), err }

// SexFromCode returns the Sex for an ISO/IEC 5218 code 1 or 2.
func SexFromCode(code int) (Sex, error) { return Sex(code), sexDef.check(code) }

// Valid reports whether s is a listed code.
func (s Sex) Valid() bool { return sexDef.valid(int(s)) }

// String returns the printed label, or "" if invalid.
func (s Sex) String() string { return sexDef.label(int(s)) }

// ---- Religion --------------------------------------------------------------

// Religion is the agama column (SIAK codes 1–7). Code 7 exists since MK
// decision 97/PUU-XIV/2016 (penghayat kepercayaan).
type Religion uint8

// Religion values.
const (
	Islam       Religion = 1
	Kristen     Religion = 2
	Katholik    Religion = 3
	Hindu       Religion = 4
	Budha       Religion = 5
	Khonghucu   Religion = 6
	Kepercayaan Religion = 7
)

var religionDef = &enumDef{
	name:   "religion",
	labels: []string{"", "ISLAM", "KRISTEN", "KATHOLIK", "HINDU", "BUDHA", "KHONGHUCU", "KEPERCAYAAN TERHADAP TUHAN YME"},
	aliases: map[string]int{
		"KATOLIK": 3, "BUDDHA": 5, "KONGHUCU": 6, "KONG HU CU": 6,
		"KEPERCAYAAN": 7, "KEPERCAYAAN TERHADAP TUHAN YANG MAHA ESA": 7,
		"MUSLIM": 1, "CHRISTIAN": 2, "PROTESTANT": 2, "CATHOLIC": 3, "BUDDHIST": 5, "CONFUCIAN": 6,
	},
}

// ParseReligion accepts the SIAK labels, the common variants KATOLIK,
// BUDDHA and KONGHUCU, and English forms printed on WNA cards.
func ParseReligion(s string) (Religion, error) {
	c, err := religionDef.parse(s)
	return Religion(c), err
}

// ReligionFromCode returns the Religion for SIAK code 1–7.
func ReligionFromCode(code int) (Religion, error) { return Religion(code), religionDef.check(code) }

// Valid reports whether r is a listed code.
func (r Religion) Valid() bool { return religionDef.valid(int(r)) }

// String returns the SIAK label, or "" if invalid.
func (r Religion) String() string { return religionDef.label(int(r)) }

// ---- Marital status ----------------------------------------------------------

// MaritalStatus is the status perkawinan. Codes 1–4 are SIAK's base list
// (Permendagri 19/2010); 5–8 are the ikdkit codes for the split introduced
// by Permendagri 118/2017 (recorded / not recorded), see docs/domain.md §1.
type MaritalStatus uint8

// MaritalStatus values.
const (
	BelumKawin              MaritalStatus = 1
	Kawin                   MaritalStatus = 2
	CeraiHidup              MaritalStatus = 3
	CeraiMati               MaritalStatus = 4
	KawinTercatat           MaritalStatus = 5 // ikdkit code; base Kawin
	KawinBelumTercatat      MaritalStatus = 6 // ikdkit code; base Kawin
	CeraiHidupTercatat      MaritalStatus = 7 // ikdkit code; base CeraiHidup
	CeraiHidupBelumTercatat MaritalStatus = 8 // ikdkit code; base CeraiHidup
)

var maritalDef = &enumDef{
	name: "marital status",
	labels: []string{"", "BELUM KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI",
		"KAWIN TERCATAT", "KAWIN BELUM TERCATAT", "CERAI HIDUP TERCATAT", "CERAI HIDUP BELUM TERCATAT"},
	aliases: map[string]int{"SINGLE": 1, "MARRIED": 2, "DIVORCED": 3, "WIDOWED": 4},
}

// ParseMaritalStatus accepts the SIAK labels and the English forms printed on
// WNA cards.
func ParseMaritalStatus(s string) (MaritalStatus, error) {
	c, err := maritalDef.parse(s)
	return MaritalStatus(c), err
}

// MaritalStatusFromCode returns the MaritalStatus for code 1–8.
func MaritalStatusFromCode(code int) (MaritalStatus, error) {
	return MaritalStatus(code), maritalDef.check(code)
}

// Valid reports whether m is a listed code.
func (m MaritalStatus) Valid() bool { return maritalDef.valid(int(m)) }

// String returns the label, or "" if invalid.
func (m MaritalStatus) String() string { return maritalDef.label(int(m)) }

// Base maps the Permendagri 118/2017 split back to the four base SIAK codes.
func (m MaritalStatus) Base() MaritalStatus {
	switch m {
	case KawinTercatat, KawinBelumTercatat:
		return Kawin
	case CeraiHidupTercatat, CeraiHidupBelumTercatat:
		return CeraiHidup
	}
	return m
}

// EverMarried reports whether the status is anything but BELUM KAWIN.
func (m MaritalStatus) EverMarried() bool { return m.Valid() && m != BelumKawin }

// ---- Blood type ------------------------------------------------------------

// BloodType is the golongan darah. The zero value means unknown ("TIDAK
// TAHU", printed as "-"); an unknown blood type is omitted from claims.
type BloodType uint8

// BloodType values (SIAK's 13 codes, TIDAK TAHU being the zero value).
const (
	BloodUnknown BloodType = iota
	BloodA
	BloodB
	BloodAB
	BloodO
	BloodAPos
	BloodANeg
	BloodBPos
	BloodBNeg
	BloodABPos
	BloodABNeg
	BloodOPos
	BloodONeg
)

var bloodDef = &enumDef{
	name:    "blood type",
	labels:  []string{"", "A", "B", "AB", "O", "A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-"},
	aliases: map[string]int{"TIDAK TAHU": 0, "-": 0},
}

// ParseBloodType accepts the 13 SIAK values; "TIDAK TAHU" and "-" give
// [BloodUnknown].
func ParseBloodType(s string) (BloodType, error) {
	c, err := bloodDef.parse(s)
	return BloodType(c), err
}

// Valid reports whether b is a listed code (BloodUnknown is valid).
func (b BloodType) Valid() bool { return b == BloodUnknown || bloodDef.valid(int(b)) }

// String returns the label; BloodUnknown is "TIDAK TAHU".
func (b BloodType) String() string {
	if b == BloodUnknown {
		return "TIDAK TAHU"
	}
	return bloodDef.label(int(b))
}

// ---- Family relationship ---------------------------------------------------

// FamilyRelationship is the status hubungan dalam keluarga (SHDK) of a KK
// member, SIAK codes 1–11.
type FamilyRelationship uint8

// FamilyRelationship values.
const (
	KepalaKeluarga FamilyRelationship = 1
	Suami          FamilyRelationship = 2
	Istri          FamilyRelationship = 3
	Anak           FamilyRelationship = 4
	Menantu        FamilyRelationship = 5
	Cucu           FamilyRelationship = 6
	Orangtua       FamilyRelationship = 7
	Mertua         FamilyRelationship = 8
	FamiliLain     FamilyRelationship = 9
	Pembantu       FamilyRelationship = 10
	LainnyaSHDK    FamilyRelationship = 11
)

var relationshipDef = &enumDef{
	name: "family relationship",
	labels: []string{"", "KEPALA KELUARGA", "SUAMI", "ISTRI", "ANAK", "MENANTU", "CUCU",
		"ORANGTUA", "MERTUA", "FAMILI LAIN", "PEMBANTU", "LAINNYA"},
	aliases: map[string]int{"ORANG TUA": 7},
}

// ParseFamilyRelationship accepts the SIAK labels.
func ParseFamilyRelationship(s string) (FamilyRelationship, error) {
	c, err := relationshipDef.parse(s)
	return FamilyRelationship(c), err
}

// FamilyRelationshipFromCode returns the relationship for SIAK code 1–11.
func FamilyRelationshipFromCode(code int) (FamilyRelationship, error) {
	return FamilyRelationship(code), relationshipDef.check(code)
}

// Valid reports whether f is a listed code.
func (f FamilyRelationship) Valid() bool { return relationshipDef.valid(int(f)) }

// String returns the SIAK label, or "" if invalid.
func (f FamilyRelationship) String() string { return relationshipDef.label(int(f)) }

// ---- Education ---------------------------------------------------------------

// Education is the pendidikan (dalam KK) column, SIAK codes 1–10.
type Education uint8

var educationDef = &enumDef{
	name: "education",
	labels: []string{"", "TIDAK/BELUM SEKOLAH", "BELUM TAMAT SD/SEDERAJAT", "TAMAT SD/SEDERAJAT",
		"SLTP/SEDERAJAT", "SLTA/SEDERAJAT", "DIPLOMA I/II", "AKADEMI/DIPLOMA III/S. MUDA",
		"DIPLOMA IV/STRATA I", "STRATA II", "STRATA III"},
}

// ParseEducation accepts the SIAK labels.
func ParseEducation(s string) (Education, error) {
	c, err := educationDef.parse(s)
	return Education(c), err
}

// EducationFromCode returns the Education for SIAK code 1–10.
func EducationFromCode(code int) (Education, error) { return Education(code), educationDef.check(code) }

// Valid reports whether e is a listed code.
func (e Education) Valid() bool { return educationDef.valid(int(e)) }

// String returns the SIAK label, or "" if invalid.
func (e Education) String() string { return educationDef.label(int(e)) }

// ---- Citizenship -------------------------------------------------------------

// Citizenship is WNI (Indonesian citizen) or WNA (foreigner holding a KITAP).
type Citizenship uint8

// Citizenship values.
const (
	WNI Citizenship = 1
	WNA Citizenship = 2
)

var citizenshipDef = &enumDef{name: "citizenship", labels: []string{"", "WNI", "WNA"}}

// ParseCitizenship accepts "WNI" or "WNA".
func ParseCitizenship(s string) (Citizenship, error) {
	c, err := citizenshipDef.parse(s)
	return Citizenship(c), err
}

// Valid reports whether c is a listed value.
func (c Citizenship) Valid() bool { return citizenshipDef.valid(int(c)) }

// String returns "WNI" or "WNA", or "" if invalid.
func (c Citizenship) String() string { return citizenshipDef.label(int(c)) }

// ---- NPWP enums --------------------------------------------------------------

// TaxpayerType is the jenis wajib pajak (ikdkit proposal, docs/domain.md §8.3).
type TaxpayerType uint8

// TaxpayerType values.
const (
	OPPenduduk      TaxpayerType = 1 // resident individual: NIK is the NPWP
	OPBukanPenduduk TaxpayerType = 2 // non-resident individual
	Badan           TaxpayerType = 3 // legal entity
	Instansi        TaxpayerType = 4 // government agency
)

var taxpayerDef = &enumDef{name: "taxpayer type", labels: []string{"", "OP_PENDUDUK", "OP_BUKAN_PENDUDUK", "BADAN", "INSTANSI"}}

// ParseTaxpayerType accepts the claim values OP_PENDUDUK, OP_BUKAN_PENDUDUK,
// BADAN and INSTANSI.
func ParseTaxpayerType(s string) (TaxpayerType, error) {
	c, err := taxpayerDef.parse(s)
	return TaxpayerType(c), err
}

// Valid reports whether t is a listed value.
func (t TaxpayerType) Valid() bool { return taxpayerDef.valid(int(t)) }

// String returns the claim value, or "" if invalid.
func (t TaxpayerType) String() string { return taxpayerDef.label(int(t)) }

// ValidationStatus is the NIK-matching (pemadanan) status of an NPWP.
type ValidationStatus uint8

// ValidationStatus values.
const (
	NPWPValid      ValidationStatus = 1 // matched against Dukcapil data
	NPWPBelumValid ValidationStatus = 2
)

var validationDef = &enumDef{name: "validation status", labels: []string{"", "VALID", "BELUM_VALID"}}

// ParseValidationStatus accepts VALID or BELUM_VALID.
func ParseValidationStatus(s string) (ValidationStatus, error) {
	c, err := validationDef.parse(s)
	return ValidationStatus(c), err
}

// Valid reports whether v is a listed value.
func (v ValidationStatus) Valid() bool { return validationDef.valid(int(v)) }

// String returns the claim value, or "" if invalid.
func (v ValidationStatus) String() string { return validationDef.label(int(v)) }

// ---- BPJS enums --------------------------------------------------------------

// CareClass is the BPJS Kesehatan kelas rawat (hak kelas) 1–3. The zero
// value means absent (the KRIS single class may replace it).
type CareClass uint8

var careClassDef = &enumDef{name: "care class", labels: []string{"", "1", "2", "3"},
	aliases: map[string]int{"KELAS I": 1, "KELAS II": 2, "KELAS III": 3}}

// ParseCareClass accepts "1", "2", "3" or "KELAS I".."KELAS III".
func ParseCareClass(s string) (CareClass, error) {
	c, err := careClassDef.parse(s)
	return CareClass(c), err
}

// Valid reports whether c is 1, 2 or 3.
func (c CareClass) Valid() bool { return careClassDef.valid(int(c)) }

// String returns "1", "2" or "3", or "" if absent.
func (c CareClass) String() string { return careClassDef.label(int(c)) }

// Segment is the BPJS Kesehatan membership segment.
type Segment uint8

// Segment values.
const (
	PPU     Segment = 1 // pekerja penerima upah (wage earners)
	PBIAPBN Segment = 2 // penerima bantuan iuran, national budget
	PBIAPBD Segment = 3 // penerima bantuan iuran, regional budget
	PBPU    Segment = 4 // pekerja bukan penerima upah (self-paying)
	BP      Segment = 5 // bukan pekerja
)

var segmentDef = &enumDef{name: "segment", labels: []string{"", "PPU", "PBI_APBN", "PBI_APBD", "PBPU", "BP"},
	aliases: map[string]int{"PBI JK": 2, "PBI_JK": 2, "PBI APBN": 2, "PBI APBD": 3}}

// ParseSegment accepts PPU, PBI_APBN, PBI_APBD, PBPU and BP.
func ParseSegment(s string) (Segment, error) { c, err := segmentDef.parse(s); return Segment(c), err }

// Valid reports whether s is a listed value.
func (s Segment) Valid() bool { return segmentDef.valid(int(s)) }

// String returns the claim value, or "" if invalid.
func (s Segment) String() string { return segmentDef.label(int(s)) }

// MembershipStatus is the status of a BPJS membership (ikdkit list; the
// VClaim statusPeserta codes other than AKTIF are not public).
type MembershipStatus uint8

// MembershipStatus values.
const (
	Aktif    MembershipStatus = 1
	NonAktif MembershipStatus = 2
)

var membershipDef = &enumDef{name: "membership status", labels: []string{"", "AKTIF", "TIDAK_AKTIF"},
	aliases: map[string]int{"TIDAK AKTIF": 2, "NONAKTIF": 2}}

// ParseMembershipStatus accepts AKTIF or TIDAK_AKTIF.
func ParseMembershipStatus(s string) (MembershipStatus, error) {
	c, err := membershipDef.parse(s)
	return MembershipStatus(c), err
}

// Valid reports whether m is a listed value.
func (m MembershipStatus) Valid() bool { return membershipDef.valid(int(m)) }

// String returns the claim value, or "" if invalid.
func (m MembershipStatus) String() string { return membershipDef.label(int(m)) }

// Program is a BPJS Ketenagakerjaan social-security programme.
type Program uint8

// Program values.
const (
	JHT Program = 1 // jaminan hari tua (old age)
	JKK Program = 2 // jaminan kecelakaan kerja (work accident)
	JKM Program = 3 // jaminan kematian (death)
	JP  Program = 4 // jaminan pensiun (pension)
	JKP Program = 5 // jaminan kehilangan pekerjaan (job loss)
)

var programDef = &enumDef{name: "programme", labels: []string{"", "JHT", "JKK", "JKM", "JP", "JKP"}}

// ParseProgram accepts JHT, JKK, JKM, JP and JKP.
func ParseProgram(s string) (Program, error) { c, err := programDef.parse(s); return Program(c), err }

// Valid reports whether p is a listed value.
func (p Program) Valid() bool { return programDef.valid(int(p)) }

// String returns the claim value, or "" if invalid.
func (p Program) String() string { return programDef.label(int(p)) }
