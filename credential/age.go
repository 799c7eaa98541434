package credential

import (
	"strconv"
	"time"
)

// AgeThresholds are the ages for which age_equal_or_over / age_over_NN
// flags are issued (docs/domain.md §8): 17 KTP and voting age, 18 adult under
// the child-protection law, 19 minimum marriage age, 21 KUHPerdata
// majority, 60 and 65 elderly.
func AgeThresholds() []int { return []int{17, 18, 19, 21, 60, 65} }

// wib is Western Indonesia Time (UTC+7), the latest of Indonesia's three
// time zones: a birthday starts there last, so computing ages on its
// calendar never reports an age early anywhere in Indonesia.
var wib = time.FixedZone("WIB", 7*3600)

// AgeAt returns the age in whole years of a person born on birth at the
// instant at, on the UTC+7 calendar. Someone born on 29 February turns a
// year older on 1 March in common years. A birth date after at gives -1.
func AgeAt(birth Date, at time.Time) int {
	today := DateOf(at.In(wib))
	if today.Before(birth) {
		return -1
	}
	age := today.Year - birth.Year
	if today.Month < birth.Month || (today.Month == birth.Month && today.Day < birth.Day) {
		age--
	}
	return age
}

// NextAgeChange returns the first instant after at when any derived age
// claim (age_in_years and so every age flag) of a person born on birth
// changes: 00:00 UTC+7 of the next birthday. Issuers should not set exp
// later than this for credentials carrying age claims (docs/domain.md §8).
func NextAgeChange(birth Date, at time.Time) time.Time {
	today := DateOf(at.In(wib))
	for y := today.Year; ; y++ {
		m, d := birth.Month, birth.Day
		if m == time.February && d == 29 && daysIn(y, time.February) == 28 {
			m, d = time.March, 1
		}
		t := time.Date(y, m, d, 0, 0, 0, 0, wib)
		if t.After(at) {
			return t
		}
	}
}

// ageClaimsSDJWT returns the SD-JWT VC derived claims (EU PID names):
// age_equal_or_over {"17": bool, ...}, age_in_years and age_birth_year.
func ageClaimsSDJWT(birth Date, at time.Time, out map[string]any) {
	age := AgeAt(birth, at)
	flags := map[string]any{}
	for _, n := range AgeThresholds() {
		flags[strconv.Itoa(n)] = age >= n
	}
	out["age_equal_or_over"] = flags
	if age >= 0 {
		out["age_in_years"] = int64(age)
	}
	out["age_birth_year"] = int64(birth.Year)
}

// ageElementsMdoc returns the ISO/IEC 18013-5 style elements age_over_NN,
// age_in_years and age_birth_year.
func ageElementsMdoc(birth Date, at time.Time, out map[string]any) {
	age := AgeAt(birth, at)
	for _, n := range AgeThresholds() {
		out["age_over_"+strconv.Itoa(n)] = age >= n
	}
	if age >= 0 {
		out["age_in_years"] = uint64(age)
	}
	out["age_birth_year"] = uint64(birth.Year)
}
