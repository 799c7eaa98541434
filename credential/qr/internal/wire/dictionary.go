package wire

import "bytes"

// dictionaryV1 is the preset DEFLATE dictionary (RFC 1951 §3.2.4 window
// preset, as zlib's FDICT) of envelope version 1 (docs/qr-format.md §3.2):
// the boilerplate our SD-JWT VC and mdoc presentations share. It is part
// of the format: changing one byte needs a new envelope version, and
// TestDictionaryPinned guards it. DEFLATE prefers short distances, so the
// strings used most come last.
var dictionaryV1 = buildDictionaryV1()

// ct is a CBOR text string (major type 3) with its head, as it appears in
// an encoded mdoc.
func ct(s string) string {
	n := len(s)
	switch {
	case n < 24:
		return string(rune(0x60|n)&0x7f|0x60) + s
	case n < 256:
		return "\x78" + string([]byte{byte(n)}) + s
	}
	panic("qr: dictionary string too long")
}

func buildDictionaryV1() []byte {
	var d []byte
	add := func(ss ...string) {
		for _, s := range ss {
			d = append(d, s...)
		}
	}
	// Full KTP-el element and claim names (docs/domain.md §8.1), for frame
	// sequences and full-credential presentations.
	for _, n := range []string{
		"resident_address", "resident_city", "resident_country", "resident_district",
		"resident_region_code", "resident_rt", "resident_rw", "resident_state",
		"resident_street", "resident_village", "issuance_date", "issuing_authority",
		"issuing_country", "issuing_jurisdiction", "issuing_office", "issuing_place",
		"lifetime_validity", "marital_status", "nationality", "occupation_code", "occupation",
		"citizenship_status", "blood_type", "religion", "portrait", "place_of_birth",
		"age_birth_year", "age_in_years", "age_over_21", "age_over_19", "age_over_17", "age_over_18",
		"personal_administrative_number", "birth_date", "name", "sex",
		"id.go.kemendagri.dukcapil.ktpel.1", "id.go.kemendagri.dukcapil.qrfull.1",
		"birth", "address", "civil", "issuance", "age",
	} {
		add(ct(n))
	}
	add(`"address",{"`, `"street_address":"`, `","rt":"`, `","rw":"`, `","village":"`, `","district":"`,
		`","locality":"`, `","region":"`, `","country":"ID"`, `","region_code":"`, `","formatted":"`,
		`"place_of_birth",{"locality":"`, `"religion",`, `"marital_status",`, `"occupation","`,
		`"occupation_code",`, `"nationalities",["ID"]]`, `"citizenship_status","WNI"]`, `"blood_type","`,
		`"date_of_issuance","`, `"issuing_place","`, `"issuing_office","`, `"issuing_jurisdiction","ID-`,
		`"lifetime_validity",true]`, `"age_in_years",`, `"age_birth_year",`, `"age_equal_or_over",{"_sd":["`,
		`"17",true]`, `"18",true]`, `"21",true]`, `"picture","data:image/jpeg;base64,`,
		`"personal_administrative_number","`, `"name","`, `"birthdate","`, `"sex",`,
		`","vct":"urn:id:kemendagri:dukcapil:ktp-el:1"}`, `","vct":"urn:ikd:qr-full:1"}`)

	// mdoc DeviceResponse (ISO 18013-5 §8.3.2.1.2.2) with the QR profile
	// docType, in deterministic CBOR key order.
	dt := ct("id.go.kemendagri.dukcapil.qr.1")
	add("\x81\x83\x01\x59", "\xa3", ct("status"), "\x00", ct("version"), ct("1.0"), ct("documents"), "\x81\xa3",
		ct("docType"), dt, ct("deviceSigned"), "\xa2", ct("deviceAuth"), "\xa1", ct("deviceSignature"),
		"\x84\x43\xa1\x01\x26\xa0\xf6\x58\x40", ct("nameSpaces"), "\xd8\x18\x41\xa0",
		ct("issuerSigned"), "\xa2", ct("issuerAuth"), "\x84\x43\xa1\x01\x26\xa1\x18\x22\x82\x2e\x48")
	// MSO (§9.1.2.4).
	add("\x59\x01\xc6\xd8\x18\x59\x01\xc1\xa6", ct("status"), "\xa1", ct("status_list"), "\xa2", ct("idx"),
		ct("uri"), "\x72https://ikd.id/s/", ct("docType"), dt, ct("version"), ct("1.0"), ct("validityInfo"), "\xa3",
		ct("signed"), "\xc0\x742026-", ct("validFrom"), "\xc0\x742026-", ct("validUntil"), "\xc0\x742026-",
		"T00:00:00Z", ct("valueDigests"), "\xa1", dt, "\xa3\x1a", "\x58\x20\x1a", ct("deviceKeyInfo"), "\xa1", ct("deviceKey"),
		"\xa4\x01\x02\x20\x01\x21\x58\x20", "\x22\x58\x20", ct("digestAlgorithm"), ct("SHA-256"), "\x58\x40")
	// IssuerSignedItems (§8.3.2.1.2.2) and the offline-QR binding.
	add(ct("nameSpaces"), "\xa1", dt, "\x81\xd8\x18\x58", "\xa4", ct("random"), "\x58\x20",
		ct("digestID"), "\x1a", ct("elementValue"), "\xa4", ct("nik"), "\x70", ct("sex"), ct("name"),
		ct("birth_date"), "\xd9\x03\xec\x6a", ct("elementIdentifier"), ct("id"),
		ct("elementIdentifier"), ct("age_over_18"), "\xf5", "\x83\x78", "x509_san_dns:", "\x1a\x69", "\x48")

	// SD-JWT VC (RFC 9901, draft-ietf-oauth-sd-jwt-vc) as the sdjwt package
	// writes it: compact JSON, keys sorted.
	add("\x81\x84\x00\x83\x58", `{"alg":"ES256","kid":"`, `","typ":"dc+sd-jwt"}`, "\x59\x01",
		`{"_sd":["`, `","`, `"],"_sd_alg":"sha-256","cnf":{"jwk":{"crv":"P-256","kty":"EC","x":"`, `","y":"`,
		`"}},"exp":17`, `,"iat":17`, `,"iss":"https://`, `","status":{"status_list":{"idx":`, `,"uri":"https://ikd.id/s/`,
		`"}},"vct":"urn:ikd:qr:1"}`, "\x58\x40", "\x81\x58",
		`","id",{"birthdate":"19`, `","name":"`, `","nik":"`, `","sex":`, `}]`,
		`","age_over_17",true]`, `","age_over_18",true]`,
		"\x83\x58\x1e", `{"alg":"ES256","typ":"kb+jwt"}`, "\x58",
		`{"aud":"x509_san_dns:`, `","iat":17`, `,"nonce":"`, `","sd_hash":"`, `"}`, "\x58\x40")
	return d
}

// Dictionary returns a copy of the preset DEFLATE dictionary of version 1,
// for building test input such as compression bombs.
func Dictionary() []byte { return bytes.Clone(dictionaryV1) }
