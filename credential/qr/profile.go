package qr

import (
	"slices"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
)

// The QR profile credential (docs/qr-format.md §6): a compact credential the
// issuer issues alongside the full KTP-el at activation, holding only what a
// QR check needs, in three selectively disclosable units:
//
//   - "id": NIK, name, birth date and sex, disclosed together (identity check);
//   - "age_over_17" and "age_over_18": each disclosed alone (age check).
//
// Grouping the identity claims into one disclosure (one mdoc element) keeps
// the issuer-signed part to three digests; the privacy cost is that an
// identity check always reveals all four claims together. No decoys are
// added: the number of digests (always three) reveals nothing.
const (
	// ProfileVCT is the vct of the QR profile SD-JWT VC.
	ProfileVCT = "urn:ikd:qr:1"
	// ProfileDocType is the docType (and namespace) of the QR profile mdoc.
	ProfileDocType = "id.go.kemendagri.dukcapil.qr.1"
	// ProfileValidity is the recommended validity of a QR profile
	// credential; issue a batch of them and use each for one QR, so that
	// verifiers cannot link QRs through the signature and digests.
	ProfileValidity = 30 * 24 * time.Hour
)

// Claim and element names of the QR profile.
const (
	ProfileID        = "id"          // object / map: the identity group
	ProfileAgeOver17 = "age_over_17" // bool
	ProfileAgeOver18 = "age_over_18" // bool
)

// ProfileSDJWTClaims returns the QR profile claim set for a KTP-el, with the
// age flags computed at the issuance time at (never time.Now). The issuer
// adds iss, iat, exp and cnf, and makes [ProfileDisclosable] selectively
// disclosable.
func ProfileSDJWTClaims(k *credential.KTPEL, at time.Time) map[string]any {
	f := k.Fields()
	age := credential.AgeAt(f.BirthDate, at)
	return map[string]any{
		"vct": ProfileVCT,
		ProfileID: map[string]any{
			"nik":       f.NIK.String(),
			"name":      f.Name,
			"birthdate": f.BirthDate.String(),
			"sex":       int(f.Sex),
		},
		ProfileAgeOver17: age >= 17,
		ProfileAgeOver18: age >= 18,
	}
}

// ProfileDisclosable lists the selectively disclosable claims of the QR
// profile SD-JWT VC.
func ProfileDisclosable() []sdjwt.Path {
	return []sdjwt.Path{{ProfileID}, {ProfileAgeOver17}, {ProfileAgeOver18}}
}

// ProfileMdocElements returns the QR profile mdoc elements for a KTP-el,
// namespace ProfileDocType: "id" is a map {nik, name, birth_date (full-date,
// RFC 8943), sex}, the age flags are booleans.
func ProfileMdocElements(k *credential.KTPEL, at time.Time) map[string]map[string]any {
	f := k.Fields()
	age := credential.AgeAt(f.BirthDate, at)
	return map[string]map[string]any{ProfileDocType: {
		ProfileID: map[string]any{
			"nik":        f.NIK.String(),
			"name":       f.Name,
			"birth_date": mdoc.FullDate{Year: f.BirthDate.Year, Month: f.BirthDate.Month, Day: f.BirthDate.Day},
			"sex":        int(f.Sex),
		},
		ProfileAgeOver17: age >= 17,
		ProfileAgeOver18: age >= 18,
	}}
}

// IdentityCheck is what an identity check discloses from the QR profile:
// the "id" group.
func IdentityCheck() (paths []sdjwt.Path, mdocRequest map[string][]string) {
	return []sdjwt.Path{{ProfileID}}, map[string][]string{ProfileDocType: {ProfileID}}
}

// AgeCheck is what an age check for 17 or 18 years discloses from the QR
// profile: the one age flag.
func AgeCheck(years int) (paths []sdjwt.Path, mdocRequest map[string][]string, ok bool) {
	name := ProfileAgeOver18
	switch years {
	case 17:
		name = ProfileAgeOver17
	case 18:
	default:
		return nil, nil, false
	}
	return []sdjwt.Path{{name}}, map[string][]string{ProfileDocType: {name}}, true
}

// The full QR profile (docs/qr-format.md §6.2): every KTP-el claim, in a
// few groups, so that any four claims fit one QR. Disclosing a claim
// discloses its whole group — the privacy cost of fitting a phone screen.
const (
	// ProfileFullVCT is the vct of the full QR profile SD-JWT VC.
	ProfileFullVCT = "urn:ikd:qr-full:1"
	// ProfileFullDocType is the docType (and namespace) of the full QR
	// profile mdoc.
	ProfileFullDocType = "id.go.kemendagri.dukcapil.qrfull.1"
)

// profileGroup is one selectively disclosable unit of the full QR profile:
// a group name, the SD-JWT claims it holds (a top-level claim name, or
// "claim.member" for part of an object claim, so that an object such as the
// address can be split across groups) and the mdoc elements it holds.
type profileGroup struct {
	name           string
	claims, elemts []string
}

// profileGroups is the grouping of the full QR profile (docs/qr-format.md
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
//     credential.AuthorityDukcapil (as for every KTP-el), and present
//     otherwise: a verifier reads an absent issuing_authority as that
//     default (profileDefaults).
//
// A group of one claim of the same name would be that claim itself, not
// an object.
var profileGroups = []profileGroup{
	{ProfileID, []string{"personal_administrative_number", "name", "birthdate", "sex", "place_of_birth"},
		[]string{"personal_administrative_number", "name", "birth_date", "sex", "place_of_birth"}},
	{"age_over", []string{ProfileAgeOver17, ProfileAgeOver18}, []string{ProfileAgeOver17, ProfileAgeOver18}},
	{"address", []string{"address.street_address", "address.rt", "address.rw", "address.village",
		"address.district", "address.locality", "address.region", "address.region_code"},
		[]string{"resident_street", "resident_rt", "resident_rw", "resident_village",
			"resident_district", "resident_city", "resident_state", "resident_region_code"}},
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

// ProfileFullGroups lists the group names of the full QR profile, each a
// selectively disclosable claim (SD-JWT) and element (mdoc).
func ProfileFullGroups() []string {
	out := make([]string, len(profileGroups))
	for i, g := range profileGroups {
		out[i] = g.name
	}
	return out
}

// ProfileFullGroupOf returns the group holding a KTP-el SD-JWT claim name
// (or "claim.member" for part of an object claim such as
// "address.locality") or mdoc element identifier. A claim left out of the
// profile (see docs/qr-format.md §6.2) has no group.
func ProfileFullGroupOf(claim string) (string, bool) {
	for _, g := range profileGroups {
		if slices.Contains(g.claims, claim) || slices.Contains(g.elemts, claim) {
			return g.name, true
		}
	}
	return "", false
}

// ProfileFullSDJWTClaims regroups the KTP-el SD-JWT claims (as
// credential.KTPEL.SDJWTClaims gives them at time at) into the full QR
// profile. Issuer-added claims (iss, iat, exp, cnf, status) are not included.
func ProfileFullSDJWTClaims(k *credential.KTPEL, at time.Time) map[string]any {
	src := withoutDefaults(k.SDJWTClaims(at))
	age := credential.AgeAt(k.Fields().BirthDate, at)
	src[ProfileAgeOver17], src[ProfileAgeOver18] = age >= 17, age >= 18
	out := map[string]any{"vct": ProfileFullVCT}
	for _, g := range profileGroups {
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

// ProfileFullMdocElements regroups the KTP-el mdoc elements into the full
// QR profile: one map element per group (a group of one element of the
// same name, such as an age flag, is that element).
func ProfileFullMdocElements(k *credential.KTPEL, at time.Time) map[string]map[string]any {
	src := withoutDefaults(k.MdocElements(at)[credential.DocTypeKTPEL])
	out := map[string]any{}
	for _, g := range profileGroups {
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
	return map[string]map[string]any{ProfileFullDocType: out}
}

// ProfileFullDisclosable lists the selectively disclosable claims of the
// full QR profile SD-JWT VC present in claims.
func ProfileFullDisclosable(claims map[string]any) []sdjwt.Path {
	var out []sdjwt.Path
	for _, g := range profileGroups {
		if _, ok := claims[g.name]; ok {
			out = append(out, sdjwt.Path{g.name})
		}
	}
	return out
}

// profileDefaults are values the full QR profile omits when a claim (or
// element) has them; a verifier reads the absent claim as this value.
var profileDefaults = map[string]string{"issuing_authority": credential.AuthorityDukcapil}

// withoutDefaults returns src without the claims that have their
// profileDefaults value (src itself is not changed).
func withoutDefaults(src map[string]any) map[string]any {
	out := make(map[string]any, len(src))
	for k, v := range src {
		if d, ok := profileDefaults[k]; ok && v == d {
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
