package qr

import (
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
// a group name and the SD-JWT claims and mdoc elements it holds.
type profileGroup struct {
	name           string
	claims, elemts []string
}

var profileGroups = []profileGroup{
	{ProfileID, []string{"personal_administrative_number", "name", "birthdate", "sex"},
		[]string{"personal_administrative_number", "name", "birth_date", "sex"}},
	{ProfileAgeOver17, nil, []string{"age_over_17"}},
	{ProfileAgeOver18, nil, []string{"age_over_18"}},
	{"birth", []string{"place_of_birth"}, []string{"place_of_birth"}},
	// The formatted address (SD-JWT address.formatted, mdoc
	// resident_address) repeats the components and is left out.
	{"address", []string{"address"}, []string{"resident_city", "resident_country",
		"resident_district", "resident_region_code", "resident_rt", "resident_rw", "resident_state",
		"resident_street", "resident_village"}},
	{"civil", []string{"religion", "marital_status", "occupation", "occupation_code", "blood_type",
		"citizenship_status", "nationalities", "kitap_number"},
		[]string{"religion", "marital_status", "occupation", "occupation_code", "blood_type",
			"citizenship_status", "nationality", "kitap_number"}},
	{"issuance", []string{"date_of_issuance", "issuing_place", "issuing_office", "issuing_jurisdiction",
		"lifetime_validity", "date_of_expiry"},
		[]string{"issuance_date", "issuing_place", "issuing_office", "issuing_jurisdiction",
			"lifetime_validity", "expiry_date"}},
	{"age", []string{"age_in_years", "age_birth_year", "age_equal_or_over"},
		[]string{"age_in_years", "age_birth_year", "age_over_19", "age_over_21", "age_over_60", "age_over_65"}},
	{"portrait", []string{"picture", "signature_usual_mark"}, []string{"portrait", "signature_usual_mark"}},
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
// or mdoc element identifier.
func ProfileFullGroupOf(claim string) (string, bool) {
	for _, g := range profileGroups {
		for _, c := range append(append([]string{}, g.claims...), g.elemts...) {
			if c == claim {
				return g.name, true
			}
		}
	}
	return "", false
}

// ProfileFullSDJWTClaims regroups the KTP-el SD-JWT claims (as
// credential.KTPEL.SDJWTClaims gives them at time at) into the full QR
// profile. Issuer-added claims (iss, iat, exp, cnf, status) are not included.
func ProfileFullSDJWTClaims(k *credential.KTPEL, at time.Time) map[string]any {
	src := k.SDJWTClaims(at)
	age := credential.AgeAt(k.Fields().BirthDate, at)
	out := map[string]any{"vct": ProfileFullVCT}
	for _, g := range profileGroups {
		switch g.name {
		case ProfileAgeOver17:
			out[g.name] = age >= 17
			continue
		case ProfileAgeOver18:
			out[g.name] = age >= 18
			continue
		}
		grp := map[string]any{}
		for _, c := range g.claims {
			if v, ok := src[c]; ok {
				if a, isMap := v.(map[string]any); isMap && c == "address" {
					v = withoutFormatted(a)
				}
				grp[c] = v
			}
		}
		if len(grp) > 0 {
			out[g.name] = grp
		}
	}
	return out
}

// ProfileFullMdocElements regroups the KTP-el mdoc elements into the full
// QR profile: one map element per group (the age flags stay booleans).
func ProfileFullMdocElements(k *credential.KTPEL, at time.Time) map[string]map[string]any {
	src := k.MdocElements(at)[credential.DocTypeKTPEL]
	out := map[string]any{}
	for _, g := range profileGroups {
		if len(g.elemts) == 1 && (g.name == ProfileAgeOver17 || g.name == ProfileAgeOver18) {
			if v, ok := src[g.elemts[0]]; ok {
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

func withoutFormatted(a map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		if k != "formatted" {
			out[k] = v
		}
	}
	return out
}
