package docgen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ikdkit/ikdkit/credential"
)

// row documents one claim of a credential type. It is the single source
// of the labels, mdoc element identifiers, JSON Schema constraints and
// documented rules of every claim; the selective-disclosure flag comes from
// [credential.TypeInfo.IsSelectivelyDisclosable].
type row struct {
	// path is the SD-JWT VC claim path (draft-ietf-oauth-sd-jwt-vc-18
	// §"Claim Path"); nil for an mdoc-only element.
	path []any
	// mdoc is the mdoc element identifier ("" when the claim has no
	// element of its own); "a.b" is member b inside element a, and
	// "members[].x" member x of every element of the members array.
	mdoc string
	// id and en are the display labels (id-ID and en-US).
	id, en string
	// schema is the JSON Schema (2020-12) of the value; objects and arrays
	// of objects get their properties from the rows below them.
	schema map[string]any
	// rule is the documented rule: format, code list, conditions.
	rule string
	// req means the claim is present whenever its parent is.
	req bool
	// addition marks claim names ikdkit added beyond docs/domain.md §8.
	addition string
}

// spec is the documented model of one credential type.
type spec struct {
	t      credential.TypeInfo
	slug   string
	goName string    // Go name stem: KTPEL, KK, ...
	id     [2]string // display name and description, id-ID
	en     [2]string // display name and description, en-US
	rows   []row
	conds  []any // extra JSON Schema allOf members (conditional rules)
}

// Slug is the file name stem of a type's documents: the lower-case type
// name with spaces as dashes ("KTP-el" → "ktp-el"). credential.TypeMetadata
// uses the same rule.
func Slug(t credential.TypeInfo) string {
	return strings.ReplaceAll(strings.ToLower(t.Name), " ", "-")
}

// ---- JSON Schema fragments -------------------------------------------------

const (
	maxText = credential.MaxTextLen
	// textPattern: no lower-case ASCII letters, no control characters, no
	// leading or trailing white space (text stays as printed, in capitals).
	textPattern = `^[^\sa-z]([^a-z\x00-\x1f]*[^\sa-z])?$`
	// namePattern: docs/domain.md §8.1 names, [A-Z .,'-], single spaces.
	namePattern = `^[A-Z.,'-]+( [A-Z.,'-]+)*$`
	// provincePattern: the Kemendagri province codes of docs/domain.md §8.5,
	// historical codes included.
	provincePattern = `(1[1-9]|21|3[1-6]|5[1-3]|6[1-5]|7[1-6]|8[12]|9[1-6])`
	nonZero2        = `(0[1-9]|[1-9][0-9])`
	month           = `(0[1-9]|1[0-2])`
	serial          = `([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})`
	// nikPattern: docs/domain.md §2, §8.5 hard rules that a regular expression
	// can express: PP KK CC DD MM YY SSSS with DD 01–31 or 41–71 (women),
	// MM 01–12, KK, CC and SSSS not zero. Calendar validity and the region
	// table are checked by credential.ParseNIK only.
	nikPattern = `^` + provincePattern + nonZero2 + nonZero2 +
		`(0[1-9]|[12][0-9]|3[01]|4[1-9]|[56][0-9]|7[01])` + month + `[0-9]{2}` + serial + `$`
	// kkPattern: docs/domain.md §8.5 KK number, as the NIK without day+40.
	kkPattern = `^` + provincePattern + nonZero2 + nonZero2 +
		`(0[1-9]|[12][0-9]|3[01])` + month + `[0-9]{2}` + serial + `$`
	datePattern = `^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$`
)

func text() map[string]any {
	return map[string]any{"type": "string", "minLength": 1, "maxLength": maxText, "pattern": textPattern}
}

func name() map[string]any {
	return map[string]any{"type": "string", "minLength": 1, "maxLength": maxText, "pattern": namePattern}
}

func pattern(p string) map[string]any { return map[string]any{"type": "string", "pattern": p} }

func date() map[string]any {
	return map[string]any{"type": "string", "format": "date", "pattern": datePattern}
}

func integer(min, max int) map[string]any {
	return map[string]any{"type": "integer", "minimum": min, "maximum": max}
}

func boolean() map[string]any { return map[string]any{"type": "boolean"} }

func constant(v any) map[string]any {
	t := "string"
	if _, ok := v.(bool); ok {
		t = "boolean"
	}
	return map[string]any{"type": t, "const": v}
}

func enumStr(vs ...string) map[string]any {
	e := make([]any, len(vs))
	for i, v := range vs {
		e[i] = v
	}
	return map[string]any{"type": "string", "enum": e}
}

func enumInt(codes ...int) map[string]any {
	e := make([]any, len(codes))
	for i, c := range codes {
		e[i] = c
	}
	return map[string]any{"type": "integer", "enum": e}
}

func object() map[string]any { return map[string]any{"type": "object"} }

func objArray(max int) map[string]any {
	return map[string]any{"type": "array", "minItems": 1, "maxItems": max}
}

func strArray(item map[string]any, max int) map[string]any {
	return map[string]any{"type": "array", "items": item, "minItems": 1, "maxItems": max, "uniqueItems": true}
}

func image(jpegOnly bool) map[string]any {
	p := `^data:image/(jpeg|png);base64,[A-Za-z0-9+/]+={0,2}$`
	if jpegOnly {
		p = `^data:image/jpeg;base64,[A-Za-z0-9+/]+={0,2}$`
	}
	return map[string]any{"type": "string", "pattern": p, "maxLength": credential.MaxImageSize*4/3 + 64}
}

// ---- code lists from the Go enumerations -------------------------------------

// codeList lists "code LABEL" pairs of an enumeration, codes 1.. until the
// first invalid one.
func codeList(label func(int) string) (codes []int, text string) {
	var parts []string
	for c := 1; label(c) != ""; c++ {
		codes = append(codes, c)
		parts = append(parts, strconv.Itoa(c)+" "+label(c))
	}
	return codes, strings.Join(parts, ", ")
}

// valueList lists the claim values of a string enumeration.
func valueList(label func(int) string) []string {
	var vs []string
	for c := 1; label(c) != ""; c++ {
		vs = append(vs, label(c))
	}
	return vs
}

func codeRow(path []any, mdoc, id, en string, label func(int) string, extra string) row {
	codes, list := codeList(label)
	rule := list
	if extra != "" {
		rule += "; " + extra
	}
	return row{path: path, mdoc: mdoc, id: id, en: en, schema: enumInt(codes...), rule: rule, req: true}
}

func valueRow(path []any, mdoc, id, en string, label func(int) string, extra string) row {
	vs := valueList(label)
	rule := "one of " + strings.Join(vs, ", ")
	if extra != "" {
		rule += "; " + extra
	}
	return row{path: path, mdoc: mdoc, id: id, en: en, schema: enumStr(vs...), rule: rule, req: true}
}

func sexLabel(c int) string      { return credential.Sex(c).String() }
func religionLabel(c int) string { return credential.Religion(c).String() }
func maritalLabel(c int) string  { return credential.MaritalStatus(c).String() }
func educationLabel(c int) string {
	return credential.Education(c).String()
}
func relationshipLabel(c int) string { return credential.FamilyRelationship(c).String() }
func citizenshipLabel(c int) string  { return credential.Citizenship(c).String() }
func taxpayerLabel(c int) string     { return credential.TaxpayerType(c).String() }
func validationLabel(c int) string   { return credential.ValidationStatus(c).String() }
func careClassLabel(c int) string    { return credential.CareClass(c).String() }
func segmentLabel(c int) string      { return credential.Segment(c).String() }
func membershipLabel(c int) string   { return credential.MembershipStatus(c).String() }
func programLabel(c int) string      { return credential.Program(c).String() }

func bloodLabel(c int) string {
	if c == 0 {
		return ""
	}
	return credential.BloodType(c).String()
}

// ---- rows shared by several types ------------------------------------------

func p(elems ...any) []any { return elems }

// prefix prepends pre to the path of every row, and mpre to its mdoc
// identifier (if it has one).
func prefix(pre []any, mpre string, rows []row) []row {
	out := make([]row, len(rows))
	for i, r := range rows {
		r.path = append(append([]any{}, pre...), r.path...)
		if r.mdoc != "" {
			r.mdoc = mpre + r.mdoc
		}
		out[i] = r
	}
	return out
}

const nikRule = "16 digits PP KK CC DDMMYY SSSS (docs/domain.md §2): province, regency/city and district in the " +
	"embedded Kemendagri table; DD 01–31, or 41–71 for women; DDMMYY a real date; SSSS not 0000"

func vctRow(vct string) row {
	return row{path: p("vct"), id: "Jenis kredensial", en: "Credential type", schema: constant(vct),
		rule: "`" + vct + "` (the mdoc doctype plays this role)", req: true}
}

func nikRow(req bool, extra string) row {
	rule := nikRule
	if extra != "" {
		rule += "; " + extra
	}
	return row{path: p("personal_administrative_number"), mdoc: "personal_administrative_number", id: "NIK",
		en: "Population identity number (NIK)", schema: pattern(nikPattern), rule: rule, req: req}
}

func sexRow(extra string) row {
	return codeRow(p("sex"), "sex", "Jenis Kelamin", "Sex", sexLabel, "ISO/IEC 5218"+extra)
}

func issuerRows(authority string) []row {
	return []row{
		{path: p("issuing_authority"), mdoc: "issuing_authority", id: "Instansi Penerbit", en: "Issuing authority",
			schema: text(), rule: "central issuer, default `" + authority + "`; never selectively disclosable", req: true},
		{path: p("issuing_country"), mdoc: "issuing_country", id: "Negara Penerbit", en: "Issuing country",
			schema: constant("ID"), rule: "`ID`; never selectively disclosable", req: true},
	}
}

func addressRows(postal bool) []row {
	rows := []row{
		{path: p("address"), id: "Alamat", en: "Address", schema: object(),
			rule: "grouped: the object and each part are disclosable on their own; in mdoc the resident_* elements", req: true},
		{path: p("address", "street_address"), mdoc: "resident_street", id: "Alamat (jalan)", en: "Street address",
			schema: text(), rule: "as printed", req: true},
		{path: p("address", "rt"), mdoc: "resident_rt", id: "RT", en: "Neighbourhood unit (RT)",
			schema: pattern(`^[0-9]{3}$`), rule: "3 digits, zero-padded", req: true},
		{path: p("address", "rw"), mdoc: "resident_rw", id: "RW", en: "Community unit (RW)",
			schema: pattern(`^[0-9]{3}$`), rule: "3 digits, zero-padded", req: true},
		{path: p("address", "village"), mdoc: "resident_village", id: "Kelurahan/Desa", en: "Village",
			schema: text(), rule: "as printed", req: true},
		{path: p("address", "district"), mdoc: "resident_district", id: "Kecamatan", en: "District",
			schema: text(), rule: "as printed", req: true},
		{path: p("address", "locality"), mdoc: "resident_city", id: "Kabupaten/Kota", en: "Regency/city",
			schema: text(), rule: "as printed", req: true},
		{path: p("address", "region"), mdoc: "resident_state", id: "Provinsi", en: "Province",
			schema: text(), rule: "as printed", req: true},
		{path: p("address", "country"), mdoc: "resident_country", id: "Negara", en: "Country",
			schema: pattern(`^[A-Z]{2}$`), rule: "ISO 3166-1 alpha-2, default `ID`", req: true},
		{path: p("address", "region_code"), mdoc: "resident_region_code", id: "Kode Wilayah", en: "Region code",
			schema: pattern(`^[0-9]{2}(\.[0-9]{2}){2}(\.[0-9]{4})?$`),
			rule:   "Kemendagri PP.KK.CC or PP.KK.CC.DDDD; the first three levels in the embedded table; village part 1xxx/2xxx/3xxx, not x000; optional"},
		{path: p("address", "formatted"), mdoc: "resident_address", id: "Alamat Lengkap", en: "Full address",
			schema: map[string]any{"type": "string", "minLength": 1},
			rule:   "composed from the parts: street, `RT nnn/RW nnn`, village, district, city, province[ postal code]; must equal them", req: true},
	}
	if postal {
		rows = append(rows, row{path: p("address", "postal_code"), mdoc: "resident_postal_code", id: "Kode Pos",
			en: "Postal code", schema: pattern(`^[0-9]{5}$`), rule: "5 digits; optional"})
	}
	return rows
}

func ageRows(whose string) []row {
	rows := []row{{path: p("age_equal_or_over"), id: "Usia Minimal", en: "Age equal or over", schema: object(),
		rule: "derived at issuance from the " + whose + " birth date (UTC+7 calendar); each member disclosable on its own", req: true}}
	for _, n := range credential.AgeThresholds() {
		s := strconv.Itoa(n)
		rows = append(rows, row{path: p("age_equal_or_over", s), mdoc: "age_over_" + s,
			id: "Berusia " + s + " tahun atau lebih", en: "Aged " + s + " or over", schema: boolean(),
			rule: "derived", req: true})
	}
	return append(rows,
		row{path: p("age_in_years"), mdoc: "age_in_years", id: "Usia (tahun)", en: "Age in years",
			schema: integer(0, 200), rule: "derived; absent only if the birth date is after the issuance time"},
		row{path: p("age_birth_year"), mdoc: "age_birth_year", id: "Tahun Lahir", en: "Birth year",
			schema: integer(1000, 9999), rule: "derived", req: true},
	)
}

func bloodRow(path []any, mdoc string) row {
	vs := valueList(bloodLabel)
	return row{path: path, mdoc: mdoc, id: "Golongan Darah", en: "Blood type", schema: enumStr(vs...),
		rule: "one of " + strings.Join(vs, ", ") + "; omitted when unknown (TIDAK TAHU, printed `-`)"}
}

func occupationRows() []row {
	return []row{
		{path: p("occupation"), mdoc: "occupation", id: "Pekerjaan", en: "Occupation", schema: text(),
			rule: "text as printed", req: true},
		{path: p("occupation_code"), mdoc: "occupation_code", id: "Kode Pekerjaan", en: "Occupation code",
			schema: integer(1, 89), rule: "SIAK code 1–89 (OpenSID tweb_penduduk_pekerjaan); optional",
			addition: "docs/domain.md §8.1 has occupation as \"string (+code)\"; the SIAK code is a separate optional claim and element, on the KTP-el and in each KK members[] row"},
	}
}

func nationalityRows(mdoc string) []row {
	return []row{
		{path: p("citizenship_status"), mdoc: "citizenship_status", id: "Status Kewarganegaraan",
			en: "Citizenship status", schema: enumStr(valueList(citizenshipLabel)...),
			rule: "WNI (citizen) or WNA (foreign resident)", req: true},
		{path: p("nationalities"), mdoc: mdoc, id: "Kewarganegaraan", en: "Nationalities",
			schema: strArray(pattern(`^[A-Z]{2}$`), credential.MaxNationalities),
			rule:   fmt.Sprintf("1–%d distinct ISO 3166-1 alpha-2 codes; a WNI has `ID`, a WNA does not", credential.MaxNationalities), req: true},
	}
}

// ---- the five types --------------------------------------------------------

func ktpel() spec {
	t := credential.KTPELType()
	rows := []row{
		vctRow(t.VCT),
		nikRow(true, ""),
		{path: p("name"), mdoc: "name", id: "Nama", en: "Name", schema: name(),
			rule: "1–150 characters A-Z . , ' - and single spaces, as printed (titles kept)", req: true},
		{path: p("birthdate"), mdoc: "birth_date", id: "Tanggal Lahir", en: "Date of birth", schema: date(),
			rule: "full-date; not after date_of_issuance; may differ from the NIK's DDMMYY (corrections keep the NIK)", req: true},
		{path: p("place_of_birth"), mdoc: "place_of_birth", id: "Tempat Lahir", en: "Place of birth",
			schema: object(), rule: "object {locality}", req: true},
		{path: p("place_of_birth", "locality"), mdoc: "place_of_birth.locality", id: "Tempat Lahir (kota)",
			en: "Place of birth (locality)", schema: text(), rule: "free text as printed", req: true},
		sexRow("; equals the NIK's day+40 encoding"),
		bloodRow(p("blood_type"), "blood_type"),
	}
	rows = append(rows, addressRows(false)...)
	rows = append(rows,
		codeRow(p("religion"), "religion", "Agama", "Religion", religionLabel, "SIAK codes"),
		codeRow(p("marital_status"), "marital_status", "Status Perkawinan", "Marital status", maritalLabel,
			"SIAK 1–4; 5–8 are ikdkit codes for the Permendagri 118/2017 recorded/unrecorded split"),
	)
	rows = append(rows, occupationRows()...)
	rows = append(rows, nationalityRows("nationality")...)
	rows = append(rows,
		row{path: p("kitap_number"), mdoc: "kitap_number", id: "Nomor KITAP", en: "KITAP number",
			schema: text(), rule: "WNA only, and required for a WNA"},
		row{path: p("picture"), mdoc: "portrait", id: "Pas Foto", en: "Portrait", schema: image(true),
			rule: fmt.Sprintf("JPEG ≤ %d KiB; SD-JWT: `data:image/jpeg;base64,…` URL; mdoc: bstr", credential.MaxImageSize>>10), req: true},
		row{path: p("signature_usual_mark"), mdoc: "signature_usual_mark", id: "Tanda Tangan", en: "Signature",
			schema: image(false), rule: "JPEG or PNG; SD-JWT: data: URL; mdoc: bstr; optional"},
		row{path: p("date_of_issuance"), mdoc: "issuance_date", id: "Tanggal Dikeluarkan", en: "Date of issuance",
			schema: date(), rule: "full-date; holder 17 or older, or ever married, on that day (UU 24/2013 Pasal 63(1))", req: true},
		row{path: p("issuing_place"), mdoc: "issuing_place", id: "Tempat Dikeluarkan", en: "Place of issuance",
			schema: text(), rule: "issuing regency/city as printed", req: true},
		row{path: p("date_of_expiry"), mdoc: "expiry_date", id: "Berlaku Hingga", en: "Date of expiry",
			schema: date(), rule: "absent on a lifetime card; required, after the issue date, on a WNA card"},
		row{path: p("lifetime_validity"), mdoc: "lifetime_validity", id: "Berlaku Seumur Hidup",
			en: "Valid for life", schema: boolean(),
			rule: "`true` (SEUMUR HIDUP) for every WNI card (UU 24/2013 Pasal 64(7a)); `false` for WNA", req: true},
		row{path: p("issuing_jurisdiction"), mdoc: "issuing_jurisdiction", id: "Provinsi Penerbit",
			en: "Issuing jurisdiction", schema: pattern(`^ID-[A-Z]{2}$`),
			rule: "ISO 3166-2:ID code of the issuing province; optional"},
		row{path: p("issuing_office"), mdoc: "issuing_office", id: "Dinas Penerbit", en: "Issuing office",
			schema: text(), rule: "local Disdukcapil", req: true},
	)
	rows = append(rows, issuerRows(credential.AuthorityDukcapil)...)
	rows = append(rows, ageRows("holder's")...)
	return spec{
		t: t, slug: Slug(t), goName: "KTPEL", rows: rows,
		id: [2]string{"KTP Elektronik", "Kartu Tanda Penduduk elektronik (KTP-el) yang diterbitkan Dukcapil."},
		en: [2]string{"Electronic Identity Card (KTP-el)", "Indonesian electronic identity card issued by Dukcapil."},
		conds: []any{
			map[string]any{
				"if":   map[string]any{"properties": map[string]any{"lifetime_validity": map[string]any{"const": true}}},
				"then": map[string]any{"not": map[string]any{"required": []any{"date_of_expiry"}}},
				"else": map[string]any{"required": []any{"date_of_expiry"}},
			},
			map[string]any{
				"if":   map[string]any{"properties": map[string]any{"citizenship_status": map[string]any{"const": "WNA"}}},
				"then": map[string]any{"required": []any{"kitap_number"}, "properties": map[string]any{"lifetime_validity": map[string]any{"const": false}}},
				"else": map[string]any{"not": map[string]any{"required": []any{"kitap_number"}}, "properties": map[string]any{"lifetime_validity": map[string]any{"const": true}}},
			},
		},
	}
}

func memberRows() []row {
	rows := []row{
		nikRow(true, "distinct within the card"),
		{path: p("name"), mdoc: "name", id: "Nama Lengkap", en: "Full name", schema: name(),
			rule: "as printed, A-Z . , ' -", req: true},
		sexRow("; equals the NIK's day+40 encoding"),
		{path: p("place_of_birth"), mdoc: "place_of_birth", id: "Tempat Lahir", en: "Place of birth",
			schema: object(), rule: "object {locality}, as on the KTP-el", req: true},
		{path: p("place_of_birth", "locality"), mdoc: "place_of_birth.locality", id: "Tempat Lahir (kota)",
			en: "Place of birth (locality)", schema: text(), rule: "free text; not disclosable apart from place_of_birth", req: true},
		{path: p("birthdate"), mdoc: "birthdate", id: "Tanggal Lahir", en: "Date of birth", schema: date(),
			rule: "full-date (mdoc: tag 1004)", req: true},
		codeRow(p("religion"), "religion", "Agama", "Religion", religionLabel, ""),
		codeRow(p("education"), "education", "Pendidikan", "Education", educationLabel, "SIAK codes"),
	}
	rows = append(rows, occupationRows()...)
	rows = append(rows,
		bloodRow(p("blood_type"), "blood_type"),
		codeRow(p("marital_status"), "marital_status", "Status Perkawinan", "Marital status", maritalLabel, ""),
		row{path: p("marriage_date"), mdoc: "marriage_date", id: "Tanggal Perkawinan", en: "Date of marriage",
			schema: date(), rule: "only if ever married, not before the birth date; optional"},
		codeRow(p("relationship"), "relationship", "Status Hubungan Dalam Keluarga", "Relationship in the family",
			relationshipLabel, "SHDK; exactly one KEPALA KELUARGA per card"),
	)
	rows = append(rows, nationalityRows("nationalities")...)
	rows = append(rows,
		row{path: p("passport_number"), mdoc: "passport_number", id: "Nomor Paspor", en: "Passport number",
			schema: text(), rule: "optional"},
		row{path: p("kitap_number"), mdoc: "kitap_number", id: "Nomor KITAP", en: "KITAP number",
			schema: text(), rule: "optional (WNA)"},
		row{path: p("father_name"), mdoc: "father_name", id: "Nama Ayah", en: "Father's name", schema: name(),
			rule: "sensitive (banks use it as a knowledge-based question); optional"},
		row{path: p("mother_name"), mdoc: "mother_name", id: "Nama Ibu", en: "Mother's name", schema: name(),
			rule: "sensitive (banks use it as a knowledge-based question); optional"},
	)
	return rows
}

func kk() spec {
	t := credential.KKType()
	rows := []row{
		vctRow(t.VCT),
		{path: p("family_card_number"), mdoc: "family_card_number", id: "Nomor KK", en: "Family card number",
			schema: pattern(kkPattern),
			rule:   "16 digits PP KK CC DDMMYY SSSS (docs/domain.md §3, §8.5): known province; DDMMYY a real date (no +40); SSSS not 0000", req: true},
		{path: p("head_of_family_name"), mdoc: "head_of_family_name", id: "Nama Kepala Keluarga",
			en: "Head of family", schema: name(), rule: "equals the name of the KEPALA KELUARGA member", req: true},
	}
	rows = append(rows, addressRows(true)...)
	rows = append(rows,
		row{path: p("date_of_issuance"), mdoc: "issuance_date", id: "Dikeluarkan Tanggal", en: "Date of issuance",
			schema: date(), rule: "full-date", req: true},
		row{path: p("issuing_office"), mdoc: "issuing_office", id: "Dinas Penerbit", en: "Issuing office",
			schema: text(), rule: "local Disdukcapil (Kepala Dinas)", req: true},
	)
	rows = append(rows, issuerRows(credential.AuthorityDukcapil)...)
	rows = append(rows,
		row{path: p("holder_member_index"), mdoc: "holder_member_index", id: "Nomor Urut Pemegang",
			en: "Holder's row", schema: integer(1, credential.MaxKKMembers),
			rule: "1-based row (the No column) of the holder in members", req: true},
		row{path: p("members"), mdoc: "members", id: "Anggota Keluarga", en: "Family members",
			schema: objArray(credential.MaxKKMembers),
			rule:   fmt.Sprintf("1–%d rows; SD-JWT: each row disclosable on its own; mdoc: one element, all or nothing", credential.MaxKKMembers),
			req:    true, addition: "mdoc `members` (and `holder_member`) rows use the SD-JWT member claim names, with dates as tag 1004"},
		row{path: p("members", nil), mdoc: "members[]", id: "Anggota Keluarga (baris)", en: "Family member (row)",
			schema: object(), rule: "one row of the card", req: true},
	)
	rows = append(rows, prefix(p("members", nil), "members[].", memberRows())...)
	rows = append(rows, row{mdoc: "holder_member", id: "Anggota Keluarga Pemegang", en: "Holder's row",
		schema: object(), rule: "mdoc only: the holder's row (same member names as members[]), so it can be released without the family",
		req: true})
	rows = append(rows, ageRows("holder's")...)
	return spec{
		t: t, slug: Slug(t), goName: "KK", rows: rows,
		id: [2]string{"Kartu Keluarga", "Kartu Keluarga (KK) per pemegang: seluruh kartu dan baris pemegang."},
		en: [2]string{"Family Card (KK)", "Per-holder Indonesian family card: the whole card and the holder's row."},
	}
}

func npwp() spec {
	t := credential.NPWPType()
	rows := []row{
		vctRow(t.VCT),
		{path: p("npwp"), mdoc: "npwp", id: "NPWP", en: "Taxpayer identification number (NPWP)",
			schema: pattern(`^[0-9]{16}$`),
			rule:   "16 digits: the NIK for OP_PENDUDUK (PMK 112/2022), otherwise `0` + NPWP15 with Luhn over the first 10 digits", req: true},
		{path: p("npwp15"), mdoc: "npwp15", id: "NPWP Lama (15 digit)", en: "Legacy 15-digit NPWP",
			schema: pattern(`^[0-9]{15}$`), rule: "Luhn over the first 9 digits; npwp = `0` + npwp15 when npwp starts with 0; optional"},
		{path: p("nitku"), mdoc: "nitku", id: "NITKU", en: "Business location number (NITKU)",
			schema: pattern(`^[0-9]{22}$`), rule: "22 digits = npwp + 6 digits; optional"},
		valueRow(p("taxpayer_type"), "taxpayer_type", "Jenis Wajib Pajak", "Taxpayer type", taxpayerLabel, "ikdkit list"),
		{path: p("name"), mdoc: "name", id: "Nama Wajib Pajak", en: "Taxpayer name", schema: text(),
			rule: "as registered (persons and entities)", req: true},
		nikRow(false, "required for OP_PENDUDUK and then equal to npwp; ties the NPWP to the KTP-el"),
		{path: p("address"), id: "Alamat", en: "Address", schema: object(), rule: "object {formatted}; optional"},
		{path: p("address", "formatted"), mdoc: "resident_address", id: "Alamat", en: "Address",
			schema: text(), rule: "one line as registered", req: true},
		{path: p("tax_office"), id: "KPP", en: "Tax office", schema: object(), rule: "object {code, name}", req: true},
		{path: p("tax_office", "code"), mdoc: "tax_office_code", id: "Kode KPP", en: "Tax office code",
			schema: pattern(`^[0-9]{3}$`), rule: "3 digits", req: true},
		{path: p("tax_office", "name"), mdoc: "tax_office_name", id: "Nama KPP", en: "Tax office name",
			schema: text(), rule: "as printed", req: true},
		{path: p("registration_date"), mdoc: "registration_date", id: "Tanggal Terdaftar", en: "Registration date",
			schema: date(), rule: "full-date", req: true},
		valueRow(p("validation_status"), "validation_status", "Status Padan NIK", "NIK matching status",
			validationLabel, "whether DJP matched the NPWP with Dukcapil data"),
	}
	rows = append(rows, issuerRows(credential.AuthorityDJP)...)
	return spec{
		t: t, slug: Slug(t), goName: "NPWP", rows: rows,
		id: [2]string{"NPWP", "Nomor Pokok Wajib Pajak yang diterbitkan Direktorat Jenderal Pajak."},
		en: [2]string{"Tax Identification Number (NPWP)", "Indonesian taxpayer identification number issued by DJP."},
		conds: []any{map[string]any{
			"if":   map[string]any{"properties": map[string]any{"taxpayer_type": map[string]any{"const": "OP_PENDUDUK"}}},
			"then": map[string]any{"required": []any{"personal_administrative_number"}},
		}},
	}
}

func bpjsKes() spec {
	t := credential.BPJSKesehatanType()
	rows := []row{
		vctRow(t.VCT),
		{path: p("card_number"), mdoc: "document_number", id: "Nomor Kartu", en: "Card number",
			schema: pattern(`^[0-9]{13}$`), rule: "13 digits (no public check digit)", req: true},
		{path: p("name"), mdoc: "name", id: "Nama", en: "Name", schema: name(), rule: "as printed", req: true},
		nikRow(true, "ties the membership to the KTP-el"),
		{path: p("birthdate"), mdoc: "birth_date", id: "Tanggal Lahir", en: "Date of birth", schema: date(),
			rule: "full-date", req: true},
		sexRow("; the card's L/P; equals the NIK's day+40 encoding"),
		{path: p("primary_care_provider"), id: "Faskes Tingkat I", en: "Primary care provider", schema: object(),
			rule: "object {code, name}", req: true},
		{path: p("primary_care_provider", "code"), mdoc: "pcp_code", id: "Kode Faskes", en: "Provider code",
			schema: pattern(`^[0-9A-Z]{8}$`), rule: "8 capital letters or digits", req: true},
		{path: p("primary_care_provider", "name"), mdoc: "pcp_name", id: "Nama Faskes", en: "Provider name",
			schema: text(), rule: "as printed", req: true},
		{path: p("care_class"), id: "Kelas Rawat", en: "Care class", schema: object(),
			rule: "object {code}; absent where the single KRIS class applies"},
		{path: p("care_class", "code"), mdoc: "care_class", id: "Kelas Rawat", en: "Care class",
			schema: enumStr(valueList(careClassLabel)...), rule: "`1`, `2` or `3`", req: true},
		{path: p("participant_type"), id: "Jenis Peserta", en: "Participant type", schema: object(),
			rule: "object {code, label} (VClaim jenisPeserta)", req: true},
		{path: p("participant_type", "code"), mdoc: "participant_type", id: "Kode Jenis Peserta",
			en: "Participant type code", schema: text(), rule: "VClaim jenisPeserta code, e.g. `13`", req: true,
			addition: "mdoc `participant_type` carries only the code"},
		{path: p("participant_type", "label"), mdoc: "participant_type_label", id: "Jenis Peserta",
			en: "Participant type", schema: text(), rule: "VClaim jenisPeserta label, e.g. `PEGAWAI SWASTA`", req: true,
			addition: "mdoc element `participant_type_label` carries the label"},
		valueRow(p("segment"), "segment", "Segmen Peserta", "Membership segment", segmentLabel, ""),
		valueRow(p("membership_status"), "membership_status", "Status Kepesertaan", "Membership status",
			membershipLabel, "ikdkit proposal"),
		{path: p("coverage_start"), mdoc: "tmt", id: "TMT (Tanggal Mulai Tanggungan)", en: "Coverage start",
			schema: date(), rule: "full-date", req: true},
		{path: p("coverage_end"), mdoc: "tat", id: "TAT (Tanggal Akhir Tanggungan)", en: "Coverage end",
			schema: date(), rule: "full-date, not before coverage_start; optional"},
		{path: p("family_card_number"), mdoc: "family_card_number", id: "Nomor KK", en: "Family card number",
			schema: pattern(kkPattern), rule: "a valid KK number; optional"},
	}
	// The membership status row is an ikdkit proposal (see the docs).
	for i := range rows {
		if len(rows[i].path) == 1 && rows[i].path[0] == "membership_status" {
			rows[i].addition = "the values AKTIF / TIDAK_AKTIF (`credential.MembershipStatus`, also used by BPJS Ketenagakerjaan) are an ikdkit proposal: the VClaim statusPeserta codes other than AKTIF are not public"
		}
	}
	rows = append(rows, issuerRows(credential.AuthorityBPJSKes)...)
	rows = append(rows, ageRows("member's")...)
	return spec{
		t: t, slug: Slug(t), goName: "BPJSKesehatan", rows: rows,
		id: [2]string{"Kartu BPJS Kesehatan (JKN-KIS)", "Kepesertaan Jaminan Kesehatan Nasional BPJS Kesehatan."},
		en: [2]string{"BPJS Health Card (JKN-KIS)", "National health insurance (JKN) membership with BPJS Kesehatan."},
	}
}

func bpjsTK() spec {
	t := credential.BPJSKetenagakerjaanType()
	progs := valueList(programLabel)
	rows := []row{
		vctRow(t.VCT),
		{path: p("member_number"), mdoc: "member_number", id: "Nomor Peserta (KPJ)", en: "Member number (KPJ)",
			schema: pattern(`^[0-9]{8,13}$`), rule: "8–13 digits until BPJS confirms the length", req: true},
		{path: p("name"), mdoc: "name", id: "Nama", en: "Name", schema: name(), rule: "as printed", req: true},
		nikRow(true, "ties the membership to the KTP-el"),
		{path: p("birthdate"), mdoc: "birth_date", id: "Tanggal Lahir", en: "Date of birth", schema: date(),
			rule: "full-date", req: true},
		{path: p("employer_name"), mdoc: "employer_name", id: "Nama Perusahaan", en: "Employer", schema: text(),
			rule: "optional (self-employed members have none)"},
		{path: p("programs"), mdoc: "programs", id: "Program", en: "Programmes",
			schema: strArray(enumStr(progs...), 16),
			rule:   "1 or more distinct of " + strings.Join(progs, ", "), req: true},
		valueRow(p("membership_status"), "membership_status", "Status Kepesertaan", "Membership status",
			membershipLabel, "ikdkit proposal"),
		{path: p("registration_date"), mdoc: "registration_date", id: "Tanggal Kepesertaan",
			en: "Registration date", schema: date(), rule: "full-date", req: true},
	}
	rows = append(rows, issuerRows(credential.AuthorityBPJSTK)...)
	rows = append(rows, ageRows("member's")...)
	return spec{
		t: t, slug: Slug(t), goName: "BPJSKetenagakerjaan", rows: rows,
		id: [2]string{"Kartu BPJS Ketenagakerjaan", "Kepesertaan jaminan sosial ketenagakerjaan BPJS Ketenagakerjaan."},
		en: [2]string{"BPJS Employment Card", "Employment social security membership with BPJS Ketenagakerjaan."},
	}
}

// specs returns the model of every type in the order of credential.Types.
func specs() []spec { return []spec{ktpel(), kk(), npwp(), bpjsKes(), bpjsTK()} }
