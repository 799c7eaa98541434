package credential

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// The QR profile credentials (docs/qr-format.md §6) are compact credentials
// an issuer issues alongside the full KTP-el at activation, holding only
// what an offline QR check needs, so that a presentation fits one QR code.
// They are derived from a KTP-el: [KTPEL.QRSDJWTClaims] and
// [KTPEL.QRMdocElements] for the compact profile, [KTPEL.QRFullSDJWTClaims]
// and [KTPEL.QRFullMdocElements] for the full one.
//
// The compact profile has four selectively disclosable units:
//
//   - [QRClaimID]: NIK, name, birth date and sex, disclosed together
//     (identity check, [QRIdentityCheck]);
//   - [QRClaimAddress]: the address (street, RT, RW, kelurahan/desa,
//     kecamatan, kabupaten/kota, provinsi, region code), disclosed together
//     (address check, [QRAddressCheck]);
//   - [QRClaimAgeOver17] and [QRClaimAgeOver18]: each disclosed alone (age
//     check, [QRAgeCheck]).
//
// Grouping the identity claims into one disclosure (one mdoc element) keeps
// the issuer-signed part to four digests; the privacy cost is that an
// identity check always reveals all four claims together. No decoys are
// added: the number of digests (always four) reveals nothing.
//
// The full profile holds every KTP-el claim a QR can carry, in six groups,
// each one selectively disclosable claim (SD-JWT VC) or element (mdoc), so
// that any four claims fit one QR; disclosing a claim discloses its whole
// group.
//
// Like the other identifiers of this package, these are ikdkit proposals.
const (
	// VCTQR is the vct of the compact QR profile SD-JWT VC.
	VCTQR = "urn:ikd:qr:1"
	// DocTypeQR is the doctype (and namespace) of the compact QR profile
	// mdoc.
	DocTypeQR = "id.go.kemendagri.dukcapil.qr.1"
	// VCTQRFull is the vct of the full QR profile SD-JWT VC.
	VCTQRFull = "urn:ikd:qr-full:1"
	// DocTypeQRFull is the doctype (and namespace) of the full QR profile
	// mdoc.
	DocTypeQRFull = "id.go.kemendagri.dukcapil.qrfull.1"
)

// QRValidity is the recommended validity of a QR profile credential; issue
// a batch of them and use each for one QR, so that verifiers cannot link
// QRs through the signature and digests.
const QRValidity = 30 * 24 * time.Hour

// Claim and element names of the compact QR profile (the same in both
// formats).
const (
	QRClaimID        = "id"          // object / map: the identity group
	QRClaimAddress   = "address"     // object / map: the address group
	QRClaimAgeOver17 = "age_over_17" // bool
	QRClaimAgeOver18 = "age_over_18" // bool
)

// QRType returns the compact QR profile type (docs/qr-format.md §6.1): vct
// [VCTQR], doctype [DocTypeQR], four selectively disclosable claims. It is
// not one of [Types]: a QR profile credential is derived from a KTP-el.
func QRType() TypeInfo { return qrType() }

// qrType builds the value QRType returns, once.
var qrType = sync.OnceValue(func() TypeInfo {
	return TypeInfo{Name: "QR KTP-el", VCT: VCTQR, DocType: DocTypeQR, Namespace: DocTypeQR, Copies: DefaultCopiesFrequent,
		sd: top(QRClaimID, QRClaimAddress, QRClaimAgeOver17, QRClaimAgeOver18)}
})

// QRFullType returns the full QR profile type (docs/qr-format.md §6.2): vct
// [VCTQRFull], doctype [DocTypeQRFull], one selectively disclosable claim
// per group. A group may be absent from a credential (a KTP-el without the
// optional claims of a group); an issuer makes disclosable the paths
// present ([ClaimPath.In]). It is not one of [Types].
func QRFullType() TypeInfo { return qrFullType() }

// qrFullType builds the value QRFullType returns, once.
var qrFullType = sync.OnceValue(func() TypeInfo {
	sd := make([][]any, len(qrGroups))
	for i, g := range qrGroups {
		sd[i] = p(g.name)
	}
	return TypeInfo{Name: "QR KTP-el (full)", VCT: VCTQRFull, DocType: DocTypeQRFull, Namespace: DocTypeQRFull, Copies: DefaultCopiesFrequent, sd: sd}
})

// QRSDJWTClaims returns the compact QR profile claim set of the KTP-el,
// with the age flags computed at the issuance time at (never time.Now).
// The issuer adds iss, exp and cnf (no iat: docs/qr-format.md §6), and
// makes the paths of [QRType] selectively disclosable.
func (k *KTPEL) QRSDJWTClaims(at time.Time) map[string]any {
	age := AgeAt(k.f.BirthDate, at)
	return map[string]any{
		"vct": VCTQR,
		QRClaimID: map[string]any{
			"nik":       k.f.NIK.String(),
			"name":      k.f.Name,
			"birthdate": k.f.BirthDate.String(),
			"sex":       int(k.f.Sex),
		},
		QRClaimAddress:   qrAddress(k.SDJWTClaims(at), qrGroupAddress.claims),
		QRClaimAgeOver17: age >= 17,
		QRClaimAgeOver18: age >= 18,
	}
}

// qrAddress returns the address group of the compact profile: the members
// of the KTP-el's address (SD-JWT VC: the "address" object, members listed
// as "address.member"; mdoc: the resident_* elements) that the full
// profile's address group holds, so not the formatted address and the
// country (docs/qr-format.md §6.2).
func qrAddress(src map[string]any, names []string) map[string]any {
	out := map[string]any{}
	for _, c := range names {
		if name, member, nested := strings.Cut(c, "."); nested {
			if obj, ok := src[name].(map[string]any); ok {
				if v, ok := obj[member]; ok {
					out[member] = v
				}
			}
		} else if v, ok := src[c]; ok {
			out[c] = v
		}
	}
	return out
}

// QRMdocElements returns the compact QR profile mdoc elements of the
// KTP-el, namespace [DocTypeQR]: [QRClaimID] is a map {nik, name,
// birth_date (full-date, CBOR tag 1004), sex}, [QRClaimAddress] a map of
// the resident_* elements of the address, the age flags are booleans
// computed at the issuance time at.
func (k *KTPEL) QRMdocElements(at time.Time) map[string]map[string]any {
	age := AgeAt(k.f.BirthDate, at)
	return map[string]map[string]any{DocTypeQR: {
		QRClaimID: map[string]any{
			"nik":        k.f.NIK.String(),
			"name":       k.f.Name,
			"birth_date": cbor.Tag{Number: TagFullDate, Content: k.f.BirthDate.String()},
			"sex":        int(k.f.Sex),
		},
		QRClaimAddress:   qrAddress(k.MdocElements(at)[DocTypeKTPEL], qrGroupAddress.elemts),
		QRClaimAgeOver17: age >= 17,
		QRClaimAgeOver18: age >= 18,
	}}
}

// QRIdentityCheck is what an identity check discloses from the compact QR
// profile: the [QRClaimID] group, as SD-JWT VC claim paths and as an mdoc
// request (namespace → element identifiers).
func QRIdentityCheck() (paths []ClaimPath, mdocRequest map[string][]string) {
	return []ClaimPath{{QRClaimID}}, map[string][]string{DocTypeQR: {QRClaimID}}
}

// QRAgeCheck is what an age check for 17 or 18 years discloses from the
// compact QR profile: the one age flag. ok is false for any other age.
func QRAgeCheck(years int) (paths []ClaimPath, mdocRequest map[string][]string, ok bool) {
	name := QRClaimAgeOver18
	switch years {
	case 17:
		name = QRClaimAgeOver17
	case 18:
	default:
		return nil, nil, false
	}
	return []ClaimPath{{name}}, map[string][]string{DocTypeQR: {name}}, true
}

// QRAddressCheck is what an address check discloses from the compact QR
// profile: the [QRClaimAddress] group (street, RT, RW, kelurahan/desa,
// kecamatan, kabupaten/kota, provinsi and region code), as SD-JWT VC claim
// paths and as an mdoc request (namespace → element identifiers).
func QRAddressCheck() (paths []ClaimPath, mdocRequest map[string][]string) {
	return []ClaimPath{{QRClaimAddress}}, map[string][]string{DocTypeQR: {QRClaimAddress}}
}

// qrGroup is one selectively disclosable unit of the full QR profile: a
// group name, the SD-JWT claims it holds (a top-level claim name, or
// "claim.member" for part of an object claim, so that an object such as the
// address can be split across groups) and the mdoc elements it holds.
type qrGroup struct {
	name           string
	claims, elemts []string
}

// qrGroups is the grouping of the full QR profile (docs/qr-format.md
// §6.2). The worst case of "any 4 claims" is the 4 largest groups plus one
// digest (and, in an mdoc, a digest ID) per group in the signed part, so
// the profile has few groups and nothing a QR does not need:
//
//   - place of birth is in the identity group, as "Tempat/Tgl Lahir" is one
//     field on the printed KTP;
//   - age_over_17 and age_over_18 are one group (for anyone 18 or older the
//     first follows from the second; the compact profile keeps them apart
//     for age checks);
//   - the portrait and signature are not in it: they never fit one QR, and
//     a frame sequence (§9) carries the full KTP-el instead;
//   - derived or constant values are left out: the formatted address
//     (it repeats the components), the address country and the issuing
//     country (always Indonesia for a KTP-el) and age_equal_or_over 17 and
//     18 (the age_over group);
//   - the issuing authority is omitted when it is the default
//     AuthorityDukcapil (as for every KTP-el), and present otherwise: a
//     verifier reads an absent issuing_authority as that default
//     (qrDefaults).
//
// A group of one claim of the same name would be that claim itself, not
// an object.
var qrGroups = []qrGroup{
	{QRClaimID, []string{"personal_administrative_number", "name", "birthdate", "sex", "place_of_birth"},
		[]string{"personal_administrative_number", "name", "birth_date", "sex", "place_of_birth"}},
	{"age_over", []string{QRClaimAgeOver17, QRClaimAgeOver18}, []string{QRClaimAgeOver17, QRClaimAgeOver18}},
	qrGroupAddress,
	{"civil", []string{"religion", "marital_status", "blood_type", "occupation", "occupation_code",
		"citizenship_status", "nationalities", "kitap_number"},
		[]string{"religion", "marital_status", "blood_type", "occupation", "occupation_code",
			"citizenship_status", "nationality", "kitap_number"}},
	{"issuance", []string{"date_of_issuance", "lifetime_validity", "date_of_expiry", "issuing_place",
		"issuing_office", "issuing_jurisdiction", "issuing_authority"},
		[]string{"issuance_date", "lifetime_validity", "expiry_date", "issuing_place", "issuing_office",
			"issuing_jurisdiction", "issuing_authority"}},
	{"age", []string{"age_in_years", "age_birth_year", "age_equal_or_over"},
		[]string{"age_in_years", "age_birth_year", "age_over_19", "age_over_21", "age_over_60", "age_over_65"}},
}

// qrGroupAddress is the address group of the full QR profile; the compact
// profile's [QRClaimAddress] holds the same members.
var qrGroupAddress = qrGroup{QRClaimAddress, []string{"address.street_address", "address.rt", "address.rw", "address.village",
	"address.district", "address.locality", "address.region", "address.region_code"},
	[]string{"resident_street", "resident_rt", "resident_rw", "resident_village",
		"resident_district", "resident_city", "resident_state", "resident_region_code"}}

// qrGroupOf returns the full QR profile group holding a KTP-el SD-JWT
// claim name (or "claim.member" for part of an object claim such as
// "address.locality") or mdoc element identifier. A claim left out of the
// profile (docs/qr-format.md §6.2) has no group.
func qrGroupOf(claim string) (string, bool) {
	for _, g := range qrGroups {
		if slices.Contains(g.claims, claim) || slices.Contains(g.elemts, claim) {
			return g.name, true
		}
	}
	return "", false
}

// QRFullSDJWTClaims regroups the KTP-el's SD-JWT VC claims (as
// [KTPEL.SDJWTClaims] gives them at time at) into the full QR profile, one
// object per group of [QRFullType]. Issuer-added claims (iss, iat, exp,
// cnf, status) are not included.
func (k *KTPEL) QRFullSDJWTClaims(at time.Time) map[string]any {
	src := withoutQRDefaults(k.SDJWTClaims(at))
	age := AgeAt(k.f.BirthDate, at)
	src[QRClaimAgeOver17], src[QRClaimAgeOver18] = age >= 17, age >= 18
	out := map[string]any{"vct": VCTQRFull}
	for _, g := range qrGroups {
		if len(g.claims) == 1 && g.claims[0] == g.name {
			// A group of one claim of the same name is the claim itself.
			if v, ok := src[g.name]; ok {
				out[g.name] = v
			}
			continue
		}
		grp := map[string]any{}
		for _, c := range g.claims {
			name, member, nested := strings.Cut(c, ".")
			v, ok := src[name]
			if !ok {
				continue
			}
			if !nested {
				if name == "age_equal_or_over" {
					v = withoutKeys(v, "17", "18")
				}
				grp[name] = v
				continue
			}
			obj, _ := v.(map[string]any)
			if mv, ok := obj[member]; ok {
				sub, _ := grp[name].(map[string]any)
				if sub == nil {
					sub = map[string]any{}
					grp[name] = sub
				}
				sub[member] = mv
			}
		}
		if len(grp) > 0 {
			out[g.name] = grp
		}
	}
	return out
}

// QRFullMdocElements regroups the KTP-el's mdoc elements (as
// [KTPEL.MdocElements] gives them at time at) into the full QR profile,
// namespace [DocTypeQRFull]: one map element per group (a group of one
// element of the same name, such as an age flag, is that element).
func (k *KTPEL) QRFullMdocElements(at time.Time) map[string]map[string]any {
	src := withoutQRDefaults(k.MdocElements(at)[DocTypeKTPEL])
	out := map[string]any{}
	for _, g := range qrGroups {
		if len(g.elemts) == 1 && g.elemts[0] == g.name {
			if v, ok := src[g.name]; ok {
				out[g.name] = v
			}
			continue
		}
		grp := map[string]any{}
		for _, c := range g.elemts {
			if v, ok := src[c]; ok {
				grp[c] = v
			}
		}
		if len(grp) > 0 {
			out[g.name] = grp
		}
	}
	return map[string]map[string]any{DocTypeQRFull: out}
}

// qrDefaults are values the full QR profile omits when a claim (or
// element) has them; a verifier reads the absent claim as this value.
var qrDefaults = map[string]string{"issuing_authority": AuthorityDukcapil}

// withoutQRDefaults returns src without the claims that have their
// qrDefaults value (src itself is not changed).
func withoutQRDefaults(src map[string]any) map[string]any {
	out := make(map[string]any, len(src))
	for k, v := range src {
		if d, ok := qrDefaults[k]; ok && v == d {
			continue
		}
		out[k] = v
	}
	return out
}

// withoutKeys returns a copy of the object v without keys (v unchanged if
// it is not an object).
func withoutKeys(v any, keys ...string) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(m))
	for k, x := range m {
		if !slices.Contains(keys, k) {
			out[k] = x
		}
	}
	return out
}
