// Package credential models Indonesian identity documents — KTP-el, KK
// (Kartu Keluarga), NPWP, BPJS Kesehatan (JKN-KIS) and BPJS
// Ketenagakerjaan — as typed Go values that are valid by construction, and
// maps them exactly to SD-JWT VC claim sets (draft-ietf-oauth-sd-jwt-vc-18)
// and to ISO/IEC 18013-5 mdoc namespaces and data elements.
//
// The field lists, code lists, NIK rules, claim names, vct values and mdoc
// doctypes follow ikdkit's docs/domain.md §1–§8. The vct values and
// doctypes are ikdkit proposals, not identifiers published by Dukcapil, DJP
// or BPJS.
//
// # First steps
//
// Parse numbers with [ParseNIK], then build a document with [NewKTPEL],
// [NewKK], [NewNPWP], [NewBPJSKesehatan] or [NewBPJSKetenagakerjaan]. Each
// constructor validates every field and returns a *FieldError wrapping one
// of the sentinel errors (ErrSyntax, ErrUnknownCode, ...) on bad input. All
// documents implement [Document]: SDJWTClaims and MdocElements produce the
// wire values at an injected issuance time (for the derived age claims), and
// the matching KTPELFromClaims / KTPELFromMdoc (and so on) decode them back,
// strictly.
//
// # Wire mappings
//
// This package does not sign anything and does not import the format
// packages. SDJWTClaims returns a plain map[string]any (JSON-ready: strings,
// bools, int64, []any, map[string]any) with the technical claims vct and
// issuing_* but without iss, iat, nbf, exp, cnf or status, which the issuer
// adds. [TypeInfo.SelectivelyDisclosable] lists the claim paths to
// make selectively disclosable (everything personal; never iss, vct, cnf,
// status, issuing_country or issuing_authority). MdocElements returns
// namespace → element identifier → value, with full-date values as CBOR tag
// 1004 (RFC 8943) and images as byte strings.
//
// # QR profile credentials
//
// [QRType] and [QRFullType] are the QR profile credentials of
// docs/qr-format.md §6: compact credentials derived from a KTP-el
// ([KTPEL.QRSDJWTClaims], [KTPEL.QRMdocElements], [KTPEL.QRFullSDJWTClaims],
// [KTPEL.QRFullMdocElements]) whose few grouped disclosures make a
// presentation fit one QR code. An identity check discloses
// [QRIdentityCheck], an address check [QRAddressCheck], an age check
// [QRAgeCheck].
//
// # Derived age claims
//
// Documents with a birth date carry age_equal_or_over{"17","18","19","21",
// "60","65"} (SD-JWT) or age_over_NN (mdoc), age_in_years and age_birth_year,
// computed from the birth date and the issuance time the caller passes in
// (never time.Now). Ages are computed on the calendar of Western Indonesia
// (UTC+7), the latest of Indonesia's three zones, so a flag never turns true
// early anywhere in the country. [NextAgeChange] gives the instant the
// claims would change, which the issuer should use to cap exp.
//
// # Region codes
//
// [LookupRegion] and NIK validation use an embedded table of Kemendagri
// province, regency/city and district codes (not BPS codes), the union of
// the lists from 2016 to 2025 because a NIK never changes when regions are
// renumbered. Its source and refresh procedure are in
// credential/internal/regiondata/README.md.
//
// # Type Metadata and schemas
//
// [TypeMetadata] returns the SD-JWT VC Type Metadata document
// (draft-ietf-oauth-sd-jwt-vc-18 §6) of each vct, with Indonesian and
// English labels and whether each claim is selectively disclosable;
// [TypeMetadataIntegrity] gives the vct#integrity value an issuer may put
// next to vct. Draft-12 removed JSON Schema from Type Metadata, so
// [ClaimsSchema] returns a separate JSON Schema (2020-12) of each type's
// claims. docs/credentials.md documents every claim of every type; it is
// generated from the same tables (go generate ./credential).
package credential
