package credential

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"slices"
	"strings"
)

// The Type Metadata documents, claim JSON Schemas and docs/credentials.md
// are generated from the Go data of this package and the claim table in
// credential/internal/docgen; a test there fails when they are stale.
//go:generate go run ./internal/docgen/gen -root ..

// typeDocs holds, for every type, its SD-JWT VC Type Metadata document
// (typemetadata/<slug>.json), the JSON Schema of its claims
// (schema/<slug>.schema.json) and the labels of its mdoc data elements
// (mdocclaims/<slug>.json).
//
//go:embed typemetadata/*.json schema/*.schema.json mdocclaims/*.json
var typeDocs embed.FS

// slug is the file name stem of a type's documents: "KTP-el" → "ktp-el",
// "BPJS Kesehatan" → "bpjs-kesehatan".
func slug(t TypeInfo) string { return strings.ReplaceAll(strings.ToLower(t.Name), " ", "-") }

func typeDoc(vct, dir, suffix string) ([]byte, error) {
	t, ok := TypeByVCT(vct)
	if !ok {
		return nil, fieldErr("vct", ErrWrongType, "not an ikdkit credential type")
	}
	return typeFile(t, dir, suffix)
}

func typeFile(t TypeInfo, dir, suffix string) ([]byte, error) {
	b, err := typeDocs.ReadFile(dir + "/" + slug(t) + suffix)
	if err != nil {
		// Unreachable while the generated files are committed (tested).
		return nil, fieldErr("vct", ErrMissing, "no embedded document")
	}
	return slices.Clone(b), nil
}

// TypeMetadata returns the SD-JWT VC Type Metadata document
// (draft-ietf-oauth-sd-jwt-vc-18 §"SD-JWT VC Type Metadata") of the
// ikdkit type vct, exactly as embedded: vct, name, description, display
// names in id-ID and en-US, and for every claim its path, id-ID and en-US
// labels, "mandatory" and "sd" ("always" for the paths of
// [TypeInfo.SelectivelyDisclosable], "never" otherwise). Serve these bytes
// unchanged: [TypeMetadataIntegrity] covers them exactly.
//
// Since draft-ietf-oauth-sd-jwt-vc-12, Type Metadata carries no JSON
// Schema; the schema of the claims is the separate document returned by
// [ClaimsSchema]. The result is a fresh copy. An unknown vct gives a
// [*FieldError] wrapping [ErrWrongType].
func TypeMetadata(vct string) ([]byte, error) {
	return typeDoc(vct, "typemetadata", ".json")
}

// TypeMetadataIntegrity returns the value of the vct#integrity claim for
// the ikdkit type vct: W3C Subresource Integrity metadata "sha256-" +
// base64 (standard alphabet, padded) of the SHA-256 of the exact bytes of
// [TypeMetadata] (draft-ietf-oauth-sd-jwt-vc-18 §"Integrity of Referenced
// Documents"). An unknown vct gives a [*FieldError] wrapping
// [ErrWrongType].
func TypeMetadataIntegrity(vct string) (string, error) {
	b, err := TypeMetadata(vct)
	if err != nil {
		return "", err
	}
	return sriSHA256(b), nil
}

// sriSHA256 is W3C SRI §3.1 integrity metadata with sha256.
func sriSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// ClaimsSchema returns the JSON Schema (draft 2020-12) of the complete,
// processed SD-JWT VC claim set of the ikdkit type vct, as produced by the
// type's SDJWTClaims plus the technical claims an issuer adds (iss, iat,
// nbf, exp, cnf, status, ...). Unknown claims are rejected
// (additionalProperties false). The schema checks shapes, code lists and
// patterns (the NIK's structure, for example); calendar validity, the
// region table, check digits and cross-field consistency are checked only
// by the Go decoders such as [KTPELFromClaims], which remain the
// authority. The result is a fresh copy. An unknown vct gives a
// [*FieldError] wrapping [ErrWrongType].
func ClaimsSchema(vct string) ([]byte, error) {
	return typeDoc(vct, "schema", ".schema.json")
}

// MdocClaims returns the description of the data elements of the ikdkit
// type with mdoc doctype docType, exactly as embedded: a JSON object with
// "doctype", "namespace" and "claims", one entry per data element of the
// namespace in display order, each with "path" ([namespace, element
// identifier], as an OpenID4VCI 1.0 claims path pointer for mso_mdoc,
// Appendix C), "display" (id-ID and en-US labels) and "mandatory" (the
// element is in every credential). It is the mdoc counterpart of the
// claims of [TypeMetadata]; an OpenID4VCI issuer describes its mso_mdoc
// configurations with it. Members inside an element (the locality of
// place_of_birth, the rows of a KK's members) have no entry of their own.
// The result is a fresh copy. An unknown doctype gives a [*FieldError]
// wrapping [ErrWrongType].
func MdocClaims(docType string) ([]byte, error) {
	t, ok := TypeByDocType(docType)
	if !ok {
		return nil, fieldErr("doctype", ErrWrongType, "not an ikdkit mdoc doctype")
	}
	return typeFile(t, "mdocclaims", ".json")
}
