// The synthetic KTP-el that issuer.mjs issues, in ikdkit's own shapes
// (credential/ktpel.go, docs/domain.md §8.1): the SD-JWT VC claim set of
// KTPEL.SDJWTClaims, the mdoc elements of KTPEL.MdocElements, and the
// selectively disclosable paths of KTPELType, so that ikdkit's strict
// decoders (KTPELFromClaims, KTPELFromMdoc) accept what the issuer sends.
// The person is the fictitious one of testdata/credential/ktpel_claims.json.

export const VCT = 'urn:id:kemendagri:dukcapil:ktp-el:1'; // credential.VCTKTPEL
export const DOCTYPE = 'id.go.kemendagri.dukcapil.ktpel.1'; // credential.DocTypeKTPEL
export const NAMESPACE = DOCTYPE; // ikdkit: the namespace equals the doctype

// The fields, once (credential/fixtures_test.go sampleKTPELFields).
const person = {
  nik: '3174015708950021',
  name: 'RINA KARTIKA SARI',
  placeOfBirth: 'BANDUNG',
  birthDate: '1995-08-17',
  sex: 2, // female: the NIK's day is 57 = 17 + 40
  bloodType: 'O',
  address: {
    street: 'JL. KENANGA RAYA NO. 7',
    rt: '004',
    rw: '009',
    village: 'MENTENG DALAM',
    district: 'TEBET',
    city: 'KOTA JAKARTA SELATAN',
    province: 'DKI JAKARTA',
    country: 'ID',
    regionCode: '31.74.01.1003',
  },
  religion: 1,
  maritalStatus: 1,
  occupation: 'KARYAWAN SWASTA',
  occupationCode: 15,
  nationalities: ['ID'],
  citizenship: 'WNI',
  // A minimal JPEG (SOI, JFIF APP0 header, EOI), as in the Go fixtures.
  portrait: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0xff, 0xd9]),
  issueDate: '2021-03-02',
  issuingPlace: 'JAKARTA SELATAN',
  lifetime: true,
  issuingJurisdiction: 'ID-JK',
  issuingOffice: 'DISDUKCAPIL KOTA ADM. JAKARTA SELATAN',
  issuingAuthority: 'DITJEN DUKCAPIL KEMENDAGRI',
};

// credential.Address.Formatted.
function formattedAddress(a) {
  return `${a.street}, RT ${a.rt}/RW ${a.rw}, ${a.village}, ${a.district}, ${a.city}, ${a.province}`;
}

export const AGE_THRESHOLDS = [17, 18, 19, 21, 60, 65]; // credential.AgeThresholds

// ageAt is credential.AgeAt: whole years on the UTC+7 (WIB) calendar.
export function ageAt(birthDate, at) {
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const wib = new Date(at.getTime() + 7 * 3600 * 1000);
  const y = wib.getUTCFullYear();
  const m = wib.getUTCMonth() + 1;
  const d = wib.getUTCDate();
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

// sdJwtClaims is KTPEL.SDJWTClaims(at) without vct (the caller adds vct,
// iss, iat, exp and cnf).
export function sdJwtClaims(at) {
  const p = person;
  const age = ageAt(p.birthDate, at);
  const a = p.address;
  return {
    personal_administrative_number: p.nik,
    name: p.name,
    birthdate: p.birthDate,
    place_of_birth: { locality: p.placeOfBirth },
    sex: p.sex,
    blood_type: p.bloodType,
    address: {
      street_address: a.street,
      rt: a.rt,
      rw: a.rw,
      village: a.village,
      district: a.district,
      locality: a.city,
      region: a.province,
      country: a.country,
      region_code: a.regionCode,
      formatted: formattedAddress(a),
    },
    religion: p.religion,
    marital_status: p.maritalStatus,
    occupation: p.occupation,
    occupation_code: p.occupationCode,
    nationalities: p.nationalities,
    citizenship_status: p.citizenship,
    picture: `data:image/jpeg;base64,${p.portrait.toString('base64')}`,
    date_of_issuance: p.issueDate,
    issuing_place: p.issuingPlace,
    lifetime_validity: p.lifetime,
    issuing_jurisdiction: p.issuingJurisdiction,
    issuing_office: p.issuingOffice,
    issuing_authority: p.issuingAuthority,
    issuing_country: 'ID',
    age_equal_or_over: Object.fromEntries(AGE_THRESHOLDS.map((n) => [String(n), age >= n])),
    age_in_years: age,
    age_birth_year: Number(p.birthDate.slice(0, 4)),
  };
}

// disclosureFrame is KTPELType().SelectivelyDisclosable() as an sd-jwt-js
// disclosure frame: every claim but vct, iss, iat, exp, cnf,
// issuing_country and issuing_authority; inside place_of_birth, address and
// age_equal_or_over every member as well.
export function disclosureFrame(claims) {
  const never = new Set(['vct', 'iss', 'iat', 'nbf', 'exp', 'cnf', 'status', 'issuing_country', 'issuing_authority']);
  const inner = (o) => ({ _sd: Object.keys(o) });
  return {
    _sd: Object.keys(claims).filter((k) => !never.has(k)),
    place_of_birth: inner(claims.place_of_birth),
    address: inner(claims.address),
    age_equal_or_over: inner(claims.age_equal_or_over),
  };
}

// mdocElements is KTPEL.MdocElements(at)[DOCTYPE]; fullDate wraps a
// "YYYY-MM-DD" string into the library's full-date (CBOR tag 1004) type.
export function mdocElements(at, fullDate) {
  const p = person;
  const a = p.address;
  const age = ageAt(p.birthDate, at);
  const m = {
    personal_administrative_number: p.nik,
    name: p.name,
    birth_date: fullDate(p.birthDate),
    place_of_birth: { locality: p.placeOfBirth },
    sex: p.sex,
    blood_type: p.bloodType,
    religion: p.religion,
    marital_status: p.maritalStatus,
    occupation: p.occupation,
    occupation_code: p.occupationCode,
    nationality: p.nationalities,
    citizenship_status: p.citizenship,
    portrait: new Uint8Array(p.portrait),
    issuance_date: fullDate(p.issueDate),
    issuing_place: p.issuingPlace,
    lifetime_validity: p.lifetime,
    issuing_jurisdiction: p.issuingJurisdiction,
    issuing_office: p.issuingOffice,
    issuing_authority: p.issuingAuthority,
    issuing_country: 'ID',
    resident_street: a.street,
    resident_rt: a.rt,
    resident_rw: a.rw,
    resident_village: a.village,
    resident_district: a.district,
    resident_city: a.city,
    resident_state: a.province,
    resident_country: a.country,
    resident_address: formattedAddress(a),
    resident_region_code: a.regionCode,
  };
  for (const n of AGE_THRESHOLDS) m[`age_over_${n}`] = age >= n;
  m.age_in_years = age;
  m.age_birth_year = Number(p.birthDate.slice(0, 4));
  return m;
}

// Display names for the metadata (docs/domain.md §8.1 claim names).
export const CLAIM_DISPLAY = [
  ['personal_administrative_number', 'personal_administrative_number', 'NIK', 'NIK (national identity number)'],
  ['name', 'name', 'Nama', 'Name'],
  ['birthdate', 'birth_date', 'Tanggal lahir', 'Date of birth'],
];
