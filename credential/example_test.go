package credential_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential"
)

func ExampleParseNIK() {
	nik, err := credential.ParseNIK("3174 0157 0895 0021")
	if err != nil {
		panic(err)
	}
	birth, _ := nik.BirthDate(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	fmt.Println(nik)
	fmt.Println(nik.DistrictCode(), nik.District().Name)
	fmt.Println(nik.Sex(), birth, nik.Serial())
	// Output:
	// 3174015708950021
	// 31.74.01 Tebet
	// PEREMPUAN 1995-08-17 0021
}

func ExampleNewKTPEL() {
	portrait := []byte{0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xD9} // a JPEG in real use
	k, err := credential.NewKTPEL(credential.KTPELFields{
		NIK:           credential.MustParseNIK("3174015708950021"),
		Name:          "RINA KARTIKA SARI",
		PlaceOfBirth:  "BANDUNG",
		BirthDate:     credential.Date{Year: 1995, Month: time.August, Day: 17},
		Sex:           credential.Female,
		BloodType:     credential.BloodO,
		Religion:      credential.Islam,
		MaritalStatus: credential.BelumKawin,
		Occupation:    credential.Occupation{Text: "KARYAWAN SWASTA", Code: 15},
		Citizenship:   credential.WNI,
		Address: credential.Address{
			Street: "JL. KENANGA RAYA NO. 7", RT: "004", RW: "009", Village: "MENTENG DALAM",
			District: "TEBET", City: "KOTA JAKARTA SELATAN", Province: "DKI JAKARTA",
			RegionCode: "31.74.01.1003",
		},
		Portrait:      portrait,
		IssueDate:     credential.Date{Year: 2021, Month: time.March, Day: 2},
		IssuingPlace:  "JAKARTA SELATAN",
		Lifetime:      true, // SEUMUR HIDUP
		IssuingOffice: "DISDUKCAPIL KOTA ADM. JAKARTA SELATAN",
	})
	if err != nil {
		panic(err)
	}
	issuedAt := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC) // injected clock
	claims := k.SDJWTClaims(issuedAt)
	fmt.Println(claims["vct"])
	fmt.Println(claims["issuing_jurisdiction"], claims["age_in_years"])
	fmt.Println(claims["age_equal_or_over"].(map[string]any)["21"])
	mdoc := k.MdocElements(issuedAt)[credential.DocTypeKTPEL]
	fmt.Println(mdoc["birth_date"], mdoc["age_over_65"])
	// Output:
	// urn:id:kemendagri:dukcapil:ktp-el:1
	// ID-JK 30
	// true
	// {1004 1995-08-17} false
}

// ExampleTypeMetadata reads the embedded Type Metadata of the KTP-el and
// the vct#integrity value an issuer puts next to vct.
func ExampleTypeMetadata() {
	doc, err := credential.TypeMetadata(credential.VCTKTPEL)
	if err != nil {
		panic(err)
	}
	var md struct {
		VCT     string `json:"vct"`
		Display []struct {
			Locale, Name string
		} `json:"display"`
		Claims []struct {
			Path    []any `json:"path"`
			Display []struct {
				Locale, Label string
			} `json:"display"`
			SD string `json:"sd"`
		} `json:"claims"`
	}
	if err := json.Unmarshal(doc, &md); err != nil {
		panic(err)
	}
	fmt.Println(md.VCT)
	fmt.Println(md.Display[0].Locale, md.Display[0].Name)
	for _, c := range md.Claims {
		switch p := fmt.Sprint(c.Path); p {
		case "[personal_administrative_number]", "[issuing_authority]":
			fmt.Println(p, c.Display[0].Label, "/", c.Display[1].Label, "sd:", c.SD)
		}
	}
	integrity, _ := credential.TypeMetadataIntegrity(credential.VCTKTPEL)
	fmt.Println(strings.HasPrefix(integrity, "sha256-"), len(integrity))
	// Output:
	// urn:id:kemendagri:dukcapil:ktp-el:1
	// id-ID KTP Elektronik
	// [personal_administrative_number] NIK / Population identity number (NIK) sd: always
	// [issuing_authority] Instansi Penerbit / Issuing authority sd: never
	// true 51
}
