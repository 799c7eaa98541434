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
// (typemetadata/<slug>.json) and the JSON Schema of its claims
// (schema/<slug>.schema.json).
//
//go:embed typemetadata/*.json schema/*.schema.json
var typeDocs embed.FS

// slug is the file name stem of a type's documents: "KTP-el" → "ktp-el",
// "BPJS Kesehatan" → "bpjs-kesehatan".
func slug(t TypeInfo) string { return strings.ReplaceAll(strings.ToLower(t.Name), " ", "-") }

func typeDoc(vct, dir, suffix string) ([]byte, error) {
	t, ok := TypeByVCT(vct)
	if !ok {
		return nil, fieldErr("vct", ErrWrongType, "not an ikdkit credential type")
	}
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
