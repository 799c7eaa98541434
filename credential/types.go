package credential

import (
	"slices"
	"sync"
	"time"
)

// Format is a credential format, named as OpenID4VCI 1.0 Appendix A names
// it; OpenID4VP 1.0 Appendix B and its query language DCQL use the same
// identifiers. Every package of ikdkit names formats with it.
type Format string

// The credential formats of ikdkit.
const (
	FormatSDJWT Format = "dc+sd-jwt" // SD-JWT VC (draft-ietf-oauth-sd-jwt-vc)
	FormatMdoc  Format = "mso_mdoc"  // ISO/IEC 18013-5 mdoc
)

// Credential type identifiers (docs/domain.md §8). They are ikdkit proposals:
// no Indonesian authority has published a vct or doctype. For each type the
// mdoc namespace equals the doctype.
const (
	VCTKTPEL             = "urn:id:kemendagri:dukcapil:ktp-el:1"
	VCTKK                = "urn:id:kemendagri:dukcapil:kk:1"
	VCTNPWP              = "urn:id:kemenkeu:djp:npwp:1"
	VCTBPJSKesehatan     = "urn:id:bpjs-kesehatan:jkn:1"
	VCTBPJSKetenagakerja = "urn:id:bpjsketenagakerjaan:kpj:1"

	DocTypeKTPEL             = "id.go.kemendagri.dukcapil.ktpel.1"
	DocTypeKK                = "id.go.kemendagri.dukcapil.kk.1"
	DocTypeNPWP              = "id.go.pajak.djp.npwp.1"
	DocTypeBPJSKesehatan     = "id.go.bpjs-kesehatan.jkn.1"
	DocTypeBPJSKetenagakerja = "id.go.bpjsketenagakerjaan.kpj.1"
)

// Default issuing authorities (always disclosed, docs/domain.md §8).
const (
	AuthorityDukcapil = "DITJEN DUKCAPIL KEMENDAGRI"
	AuthorityDJP      = "DIREKTORAT JENDERAL PAJAK"
	AuthorityBPJSKes  = "BPJS KESEHATAN"
	AuthorityBPJSTK   = "BPJS KETENAGAKERJAAN"
)

// ClaimPath addresses a claim in an SD-JWT VC payload as in SD-JWT VC Type
// Metadata (draft-ietf-oauth-sd-jwt-vc-18 §"Claim Path"): each element is a
// string (object member name) or nil (every element of an array).
type ClaimPath []any

// In reports whether claims, a decoded JSON value, has a value at the
// path: a nil element requires a non-empty array and continues into its
// first element. It tells whether a document carries an optional claim of
// its type.
func (p ClaimPath) In(claims any) bool {
	v := claims
	for _, el := range p {
		switch k := el.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return false
			}
			if v, ok = m[k]; !ok {
				return false
			}
		case nil:
			a, ok := v.([]any)
			if !ok || len(a) == 0 {
				return false
			}
			v = a[0]
		default:
			return false
		}
	}
	return true
}

// TypeInfo describes one credential type.
type TypeInfo struct {
	// Name is a short English name ("KTP-el").
	Name string
	// VCT is the SD-JWT VC type (vct claim).
	VCT string
	// DocType is the mdoc doctype; Namespace is the mdoc namespace (equal
	// to DocType for every ikdkit type).
	DocType, Namespace string
	// Copies is how many one-time copies of a credential of this type an
	// issuer issues in one batch and a wallet keeps (unlinkable
	// presentations: each copy has its own device key, salts, status index
	// and signature, so two presentations of different copies cannot be
	// linked by their bytes). The issuer and the wallet both default to
	// it; either may be configured per type.
	Copies int

	sd [][]any
}

// Default numbers of one-time copies per credential (TypeInfo.Copies). A
// KTP-el and its QR profile are shown often, to many verifiers: ten copies
// last ten once-only presentations before a refresh. The other documents
// are shown rarely; five copies keep their status lists smaller.
const (
	DefaultCopiesFrequent = 10
	DefaultCopiesRare     = 5
)

// SelectivelyDisclosable returns the claim paths an issuer makes
// selectively disclosable, in the order in which they should be processed
// (parents before children). A grouped object such as address is itself
// disclosable and each of its members is disclosable inside it; array
// paths ending in nil make every element disclosable. Claims not listed —
// vct, iss, iat, nbf, exp, cnf, status, issuing_country and
// issuing_authority — are never disclosable (docs/domain.md §8 conventions;
// draft-ietf-oauth-sd-jwt-vc-18 forbids selectively disclosing vct, iss,
// cnf and status). The result is a fresh copy.
func (t TypeInfo) SelectivelyDisclosable() []ClaimPath {
	out := make([]ClaimPath, len(t.sd))
	for i, p := range t.sd {
		out[i] = slices.Clone(ClaimPath(p))
	}
	return out
}

// IsSelectivelyDisclosable reports whether the claim at path must be made
// selectively disclosable.
func (t TypeInfo) IsSelectivelyDisclosable(path ClaimPath) bool {
	for _, p := range t.sd {
		if slices.Equal(p, []any(path)) {
			return true
		}
	}
	return false
}

// Document is implemented by every credential value of this package.
type Document interface {
	// Type returns the credential type.
	Type() TypeInfo
	// SDJWTClaims returns the SD-JWT VC claim set (including vct and the
	// always-disclosed issuing_country / issuing_authority) at issuance
	// time at, which fixes the derived age claims. The map is fresh and
	// owned by the caller.
	SDJWTClaims(at time.Time) map[string]any
	// MdocElements returns namespace → element identifier → value at
	// issuance time at. Dates are CBOR tag 1004; images are byte strings.
	MdocElements(at time.Time) map[string]map[string]any
}

func paths(ps ...[]any) [][]any { return ps }

func p(elems ...any) []any { return elems }

// Paths of SD claims shared by several types.
func addressPaths(postal bool) [][]any {
	ps := paths(p("address"), p("address", "street_address"), p("address", "rt"), p("address", "rw"),
		p("address", "village"), p("address", "district"), p("address", "locality"), p("address", "region"),
		p("address", "country"), p("address", "region_code"), p("address", "formatted"))
	if postal {
		ps = append(ps, p("address", "postal_code"))
	}
	return ps
}

func agePaths() [][]any {
	ps := paths(p("age_equal_or_over"))
	for _, n := range []string{"17", "18", "19", "21", "60", "65"} {
		ps = append(ps, p("age_equal_or_over", n))
	}
	return append(ps, p("age_in_years"), p("age_birth_year"))
}

func top(names ...string) [][]any {
	out := make([][]any, len(names))
	for i, n := range names {
		out[i] = p(n)
	}
	return out
}

// KTPELType returns the KTP-el type (docs/domain.md §8.1).
func KTPELType() TypeInfo { return ktpelType() }

// ktpelType builds the value KTPELType returns, once.
var ktpelType = sync.OnceValue(func() TypeInfo {
	sd := top("personal_administrative_number", "name", "birthdate", "place_of_birth", "sex", "blood_type")
	sd = append(sd, p("place_of_birth", "locality"))
	sd = append(sd, addressPaths(false)...)
	sd = append(sd, top("religion", "marital_status", "occupation", "occupation_code", "nationalities",
		"citizenship_status", "kitap_number", "picture", "signature_usual_mark", "date_of_issuance",
		"issuing_place", "date_of_expiry", "lifetime_validity", "issuing_jurisdiction", "issuing_office")...)
	sd = append(sd, agePaths()...)
	return TypeInfo{Name: "KTP-el", VCT: VCTKTPEL, DocType: DocTypeKTPEL, Namespace: DocTypeKTPEL, Copies: DefaultCopiesFrequent, sd: sd}
})

// KKType returns the KK type (docs/domain.md §8.2). Each element of members is
// disclosable on its own, and so is each member's field.
func KKType() TypeInfo { return kkType() }

// kkType builds the value KKType returns, once.
var kkType = sync.OnceValue(func() TypeInfo {
	sd := top("family_card_number", "head_of_family_name")
	sd = append(sd, addressPaths(true)...)
	sd = append(sd, top("date_of_issuance", "issuing_office", "holder_member_index", "members")...)
	sd = append(sd, p("members", nil))
	for _, f := range kkMemberKeys {
		sd = append(sd, p("members", nil, f))
	}
	sd = append(sd, agePaths()...)
	return TypeInfo{Name: "KK", VCT: VCTKK, DocType: DocTypeKK, Namespace: DocTypeKK, Copies: DefaultCopiesRare, sd: sd}
})

// NPWPType returns the NPWP type (docs/domain.md §8.3).
func NPWPType() TypeInfo { return npwpType() }

// npwpType builds the value NPWPType returns, once.
var npwpType = sync.OnceValue(func() TypeInfo {
	sd := top("npwp", "npwp15", "nitku", "taxpayer_type", "name", "personal_administrative_number",
		"address")
	sd = append(sd, p("address", "formatted"), p("tax_office"), p("tax_office", "code"), p("tax_office", "name"))
	sd = append(sd, top("registration_date", "validation_status")...)
	return TypeInfo{Name: "NPWP", VCT: VCTNPWP, DocType: DocTypeNPWP, Namespace: DocTypeNPWP, Copies: DefaultCopiesRare, sd: sd}
})

// BPJSKesehatanType returns the BPJS Kesehatan (JKN-KIS) type
// (docs/domain.md §8.4).
func BPJSKesehatanType() TypeInfo { return bpjsKesehatanType() }

// bpjsKesehatanType builds the value BPJSKesehatanType returns, once.
var bpjsKesehatanType = sync.OnceValue(func() TypeInfo {
	sd := top("card_number", "name", "personal_administrative_number", "birthdate", "sex",
		"primary_care_provider")
	sd = append(sd, p("primary_care_provider", "code"), p("primary_care_provider", "name"),
		p("care_class"), p("care_class", "code"), p("participant_type"), p("participant_type", "code"),
		p("participant_type", "label"))
	sd = append(sd, top("segment", "membership_status", "coverage_start", "coverage_end", "family_card_number")...)
	sd = append(sd, agePaths()...)
	return TypeInfo{Name: "BPJS Kesehatan", VCT: VCTBPJSKesehatan, DocType: DocTypeBPJSKesehatan,
		Namespace: DocTypeBPJSKesehatan, Copies: DefaultCopiesRare, sd: sd}
})

// BPJSKetenagakerjaanType returns the BPJS Ketenagakerjaan type (docs/domain.md
// §8.4, minimal field set).
func BPJSKetenagakerjaanType() TypeInfo { return bpjsKetenagakerjaanType() }

// bpjsKetenagakerjaanType builds the value BPJSKetenagakerjaanType returns, once.
var bpjsKetenagakerjaanType = sync.OnceValue(func() TypeInfo {
	sd := top("member_number", "name", "personal_administrative_number", "birthdate", "employer_name",
		"programs", "membership_status", "registration_date")
	sd = append(sd, agePaths()...)
	return TypeInfo{Name: "BPJS Ketenagakerjaan", VCT: VCTBPJSKetenagakerja, DocType: DocTypeBPJSKetenagakerja,
		Namespace: DocTypeBPJSKetenagakerja, Copies: DefaultCopiesRare, sd: sd}
})

// Types returns every credential type of this package.
func Types() []TypeInfo {
	return []TypeInfo{KTPELType(), KKType(), NPWPType(), BPJSKesehatanType(), BPJSKetenagakerjaanType()}
}

// TypeByVCT finds a type by its vct.
func TypeByVCT(vct string) (TypeInfo, bool) {
	for _, t := range Types() {
		if t.VCT == vct {
			return t, true
		}
	}
	return TypeInfo{}, false
}

// TypeByDocType finds a type by its mdoc doctype.
func TypeByDocType(docType string) (TypeInfo, bool) {
	for _, t := range Types() {
		if t.DocType == docType {
			return t, true
		}
	}
	return TypeInfo{}, false
}
