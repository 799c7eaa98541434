package credential

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/ikdkit/ikdkit/credential/internal/regiondata"
)

// RegionLevel is the administrative level of a Kemendagri region code.
type RegionLevel int

// Region levels. Villages (level 4, PP.KK.CC.DDDD) are not in the embedded
// table; see [ValidateRegionCode].
const (
	LevelProvince    RegionLevel = 1 // PP, e.g. "31"
	LevelRegencyCity RegionLevel = 2 // PP.KK, e.g. "31.74"; KK 01–69 kabupaten, 71–99 kota
	LevelDistrict    RegionLevel = 3 // PP.KK.CC (kecamatan), e.g. "31.74.01"
)

// Region is one entry of the embedded Kemendagri region table.
type Region struct {
	// Code is the dotted Kemendagri code ("31.74.01").
	Code string
	// Name is the name in the newest list that has the code, as spelled by
	// the dataset (not necessarily as printed on a KTP-el).
	Name string
	// Level is derived from the code's length.
	Level RegionLevel
	// Current is true if the code is in the current (2025) list; false for
	// codes that exist only in historical lists (old NIKs keep them).
	Current bool
}

// IsCity reports whether a regency/city (or district) code belongs to a kota
// (KK 71–99) rather than a kabupaten (KK 01–69), per Permendagri 58/2021.
func (r Region) IsCity() bool {
	return r.Level >= LevelRegencyCity && r.Code[3] >= '7'
}

type regionTable struct {
	rows map[string]regionRow
}

type regionRow struct {
	name    string
	current bool
}

// currentBit is the mask bit of the current list (see regiondata README).
const currentBit = 1 << 5

// regions parses the embedded table once. The result is never modified
// afterwards, so sharing it is safe.
var regions = sync.OnceValue(func() *regionTable {
	t, err := parseRegionTable(regiondata.Raw())
	if err != nil {
		// The table is embedded at build time and checked by tests; a
		// failure here is a build defect, not bad input.
		panic("credential: embedded region table is corrupt: " + err.Error())
	}
	return t
})

func parseRegionTable(gz []byte) (*regionTable, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(io.LimitReader(zr, 4<<20))
	if err != nil {
		return nil, err
	}
	t := &regionTable{rows: make(map[string]regionRow, 9000)}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		code, rest, ok1 := strings.Cut(line, "\t")
		maskHex, name, ok2 := strings.Cut(rest, "\t")
		mask, err := strconv.ParseUint(maskHex, 16, 8)
		if !ok1 || !ok2 || err != nil || levelOf(code) == 0 || name == "" {
			return nil, io.ErrUnexpectedEOF
		}
		t.rows[code] = regionRow{name: name, current: mask&currentBit != 0}
	}
	return t, sc.Err()
}

// levelOf returns the level of a well-formed dotted code, or 0.
func levelOf(code string) RegionLevel {
	switch len(code) {
	case 2, 5, 8:
	default:
		return 0
	}
	for i := 0; i < len(code); i++ {
		if i%3 == 2 {
			if code[i] != '.' {
				return 0
			}
		} else if code[i] < '0' || code[i] > '9' {
			return 0
		}
	}
	return RegionLevel((len(code) + 1) / 3)
}

// normalizeRegionCode accepts "317401" or "31.74.01" and returns the dotted
// form, or "" if the input is neither.
func normalizeRegionCode(code string) string {
	if levelOf(code) != 0 {
		return code
	}
	switch len(code) {
	case 2, 4, 6:
		if _, ok := atoiDigits(code); !ok {
			return ""
		}
		var b strings.Builder
		for i := 0; i < len(code); i += 2 {
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(code[i : i+2])
		}
		return b.String()
	}
	return ""
}

// LookupRegion finds a province ("31"), regency/city ("31.74" or "3174") or
// district ("31.74.01" or "317401") code in the embedded table, which is
// the union of the Kemendagri lists from 2016 to 2025 (see
// credential/internal/regiondata/README.md). Village codes are not in the
// table.
func LookupRegion(code string) (Region, bool) {
	c := normalizeRegionCode(code)
	if c == "" {
		return Region{}, false
	}
	r, ok := regions().rows[c]
	if !ok {
		return Region{}, false
	}
	return Region{Code: c, Name: r.name, Level: levelOf(c), Current: r.current}, true
}

// ValidateRegionCode checks an address region code of the form PP.KK.CC or
// PP.KK.CC.DDDD (docs/domain.md §8.1 address.region_code). The first three
// levels must be in the embedded table; the village part, which the table
// does not carry, must be four digits starting with 1 (kelurahan), 2 (desa)
// or 3 (desa adat) and not end in 000.
func ValidateRegionCode(code string) error {
	base, village := code, ""
	if len(code) == 13 {
		base, village = code[:8], code[8:]
	}
	if len(base) != 8 || levelOf(base) != LevelDistrict {
		return fieldErr("", ErrSyntax, "want PP.KK.CC or PP.KK.CC.DDDD")
	}
	if village != "" {
		n, ok := atoiDigits(village[1:])
		if village[0] != '.' || !ok || len(village) != 5 || village[1] < '1' || village[1] > '3' || n%1000 == 0 {
			return fieldErr("", ErrSyntax, "village part must be .DDDD starting with 1, 2 or 3")
		}
	}
	if _, ok := LookupRegion(base); !ok {
		return fieldErr("", ErrUnknownRegion, "%s", base)
	}
	return nil
}

// iso3166 maps Kemendagri province codes to ISO 3166-2:ID subdivision codes
// (used for issuing_jurisdiction). The 2022 Papua provinces follow ISO
// 3166-2 newsletter practice as found in public datasets (~, not checked
// against the ISO OBP).
var iso3166 = map[string]string{
	"11": "ID-AC", "12": "ID-SU", "13": "ID-SB", "14": "ID-RI", "15": "ID-JA",
	"16": "ID-SS", "17": "ID-BE", "18": "ID-LA", "19": "ID-BB", "21": "ID-KR",
	"31": "ID-JK", "32": "ID-JB", "33": "ID-JT", "34": "ID-YO", "35": "ID-JI",
	"36": "ID-BT", "51": "ID-BA", "52": "ID-NB", "53": "ID-NT", "61": "ID-KB",
	"62": "ID-KT", "63": "ID-KS", "64": "ID-KI", "65": "ID-KU", "71": "ID-SA",
	"72": "ID-ST", "73": "ID-SN", "74": "ID-SG", "75": "ID-GO", "76": "ID-SR",
	"81": "ID-MA", "82": "ID-MU", "91": "ID-PA", "92": "ID-PB", "93": "ID-PS",
	"94": "ID-PT", "95": "ID-PE", "96": "ID-PD",
}

// ProvinceISO3166 returns the ISO 3166-2 subdivision code ("ID-JK") of a
// Kemendagri province code ("31"), or false if unknown.
func ProvinceISO3166(provinceCode string) (string, bool) {
	s, ok := iso3166[provinceCode]
	return s, ok
}

func validISO3166ID(s string) bool {
	for _, v := range iso3166 {
		if v == s {
			return true
		}
	}
	return false
}
