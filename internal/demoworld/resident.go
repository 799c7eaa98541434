package demoworld

import (
	"time"

	"github.com/ikdkit/ikdkit/credential"
)

// ResidentDocuments are the fictitious resident's documents in the three
// authorities' registers: KTP-el and KK (Dukcapil), NPWP (DJP) and the BPJS
// Kesehatan card. Every call returns fresh values.
func ResidentDocuments() (ktp *credential.KTPEL, kk *credential.KK, npwp *credential.NPWP, bpjs *credential.BPJSKesehatan, err error) {
	nik := credential.MustParseNIK(ResidentNIK)
	addr := credential.Address{Street: "JL. KENANGA RAYA NO. 7", RT: "004", RW: "009", Village: "MENTENG DALAM",
		District: "TEBET", City: "KOTA JAKARTA SELATAN", Province: "DKI JAKARTA", RegionCode: "31.74.01.1003"}
	birth := credential.Date{Year: 1995, Month: time.August, Day: 17}
	if ktp, err = credential.NewKTPEL(credential.KTPELFields{
		NIK: nik, Name: "RINA KARTIKA SARI", PlaceOfBirth: "BANDUNG", BirthDate: birth, Sex: credential.Female,
		BloodType: credential.BloodO, Address: addr, Religion: credential.Islam, MaritalStatus: credential.KawinTercatat,
		Occupation: credential.Occupation{Text: "KARYAWAN SWASTA", Code: 15}, Citizenship: credential.WNI,
		Portrait:  []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0xFF, 0xD9},
		IssueDate: credential.Date{Year: 2021, Month: time.March, Day: 2}, IssuingPlace: "JAKARTA SELATAN",
		Lifetime: true, IssuingOffice: "DISDUKCAPIL KOTA ADM. JAKARTA SELATAN",
	}); err != nil {
		return
	}
	kkAddr := addr
	kkAddr.PostalCode = "12870"
	kkNum, err := credential.ParseFamilyCardNumber("3174012306150003")
	if err != nil {
		return
	}
	if kk, err = credential.NewKK(credential.KKFields{
		Number: kkNum, HeadOfFamilyName: "ANDI PRATAMA WIJAYA", Address: kkAddr,
		IssueDate: credential.Date{Year: 2023, Month: 11, Day: 20}, IssuingOffice: "DISDUKCAPIL KOTA ADM. JAKARTA SELATAN",
		HolderRow: 2,
		Members: []credential.KKMember{
			{NIK: credential.MustParseNIK("3174011203900005"), Name: "ANDI PRATAMA WIJAYA", Sex: credential.Male, PlaceOfBirth: "JAKARTA",
				BirthDate: credential.Date{Year: 1990, Month: 3, Day: 12}, Religion: credential.Islam, Education: 8,
				Occupation:    credential.Occupation{Text: "WIRASWASTA", Code: 88},
				MaritalStatus: credential.KawinTercatat, MarriageDate: credential.Date{Year: 2020, Month: 2, Day: 14},
				Relationship: credential.KepalaKeluarga, Citizenship: credential.WNI, FatherName: "SUTRISNO", MotherName: "SRI WAHYUNI"},
			{NIK: nik, Name: "RINA KARTIKA SARI", Sex: credential.Female, PlaceOfBirth: "BANDUNG",
				BirthDate: birth, Religion: credential.Islam, Education: 8,
				Occupation: credential.Occupation{Text: "KARYAWAN SWASTA"}, BloodType: credential.BloodO,
				MaritalStatus: credential.KawinTercatat, MarriageDate: credential.Date{Year: 2020, Month: 2, Day: 14},
				Relationship: credential.Istri, Citizenship: credential.WNI, FatherName: "BUDI SANTOSO", MotherName: "SITI AMINAH"},
		},
	}); err != nil {
		return
	}
	if npwp, err = credential.NewNPWP(credential.NPWPFields{
		Number: ResidentNIK, TaxpayerType: credential.OPPenduduk, Name: "RINA KARTIKA SARI",
		NIK: nik, TaxOfficeCode: "012", TaxOfficeName: "KPP PRATAMA JAKARTA TEBET",
		RegistrationDate: credential.Date{Year: 2016, Month: 5, Day: 10}, ValidationStatus: credential.NPWPValid,
	}); err != nil {
		return
	}
	bpjs, err = credential.NewBPJSKesehatan(credential.BPJSKesehatanFields{
		CardNumber: "0001234567890", Name: "RINA KARTIKA SARI", NIK: nik, BirthDate: birth, Sex: credential.Female,
		PCPCode: "0123A045", PCPName: "KLINIK PRATAMA CONTOH", CareClass: 1, ParticipantTypeCode: "13",
		ParticipantTypeLabel: "PEGAWAI SWASTA", Segment: credential.PPU, MembershipStatus: credential.Aktif,
		CoverageStart: credential.Date{Year: 2019, Month: 1, Day: 1},
	})
	return
}

// HusbandNIK is the NIK of the resident's husband, the head of her family
// card: a second resident, for what one person's credentials must not
// share with another's (the linkability test of issue 19).
const HusbandNIK = "3174011203900005"

// HusbandKTPEL is the KTP-el of the resident's husband (HusbandNIK).
func HusbandKTPEL() (*credential.KTPEL, error) {
	return credential.NewKTPEL(credential.KTPELFields{
		NIK: credential.MustParseNIK(HusbandNIK), Name: "ANDI PRATAMA WIJAYA", PlaceOfBirth: "JAKARTA",
		BirthDate: credential.Date{Year: 1990, Month: time.March, Day: 12}, Sex: credential.Male, BloodType: credential.BloodA,
		Address: credential.Address{Street: "JL. KENANGA RAYA NO. 7", RT: "004", RW: "009", Village: "MENTENG DALAM",
			District: "TEBET", City: "KOTA JAKARTA SELATAN", Province: "DKI JAKARTA", RegionCode: "31.74.01.1003"},
		Religion: credential.Islam, MaritalStatus: credential.KawinTercatat,
		Occupation: credential.Occupation{Text: "WIRASWASTA", Code: 88}, Citizenship: credential.WNI,
		Portrait:  []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01, 0xFF, 0xD9},
		IssueDate: credential.Date{Year: 2019, Month: time.July, Day: 8}, IssuingPlace: "JAKARTA SELATAN",
		Lifetime: true, IssuingOffice: "DISDUKCAPIL KOTA ADM. JAKARTA SELATAN",
	})
}

// SampleDocuments are the fictitious resident's documents of every
// credential type of package credential, in the order of credential.Types:
// the four of ResidentDocuments and a BPJS Ketenagakerjaan membership.
func SampleDocuments() ([]credential.Document, error) {
	ktp, kk, npwp, bpjs, err := ResidentDocuments()
	if err != nil {
		return nil, err
	}
	tk, err := credential.NewBPJSKetenagakerjaan(credential.BPJSKetenagakerjaanFields{
		MemberNumber: "12345678901", Name: "RINA KARTIKA SARI", NIK: credential.MustParseNIK(ResidentNIK),
		BirthDate: credential.Date{Year: 1995, Month: time.August, Day: 17}, EmployerName: "PT CONTOH SEJAHTERA",
		Programs:         []credential.Program{credential.JHT, credential.JKK, credential.JKM, credential.JP},
		MembershipStatus: credential.Aktif, RegistrationDate: credential.Date{Year: 2018, Month: time.July, Day: 1},
	})
	if err != nil {
		return nil, err
	}
	return []credential.Document{ktp, kk, npwp, bpjs, tk}, nil
}
