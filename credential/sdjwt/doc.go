// Package sdjwt implements Selective Disclosure for JWTs (SD-JWT, RFC 9901)
// and the SD-JWT-based Verifiable Credentials profile (SD-JWT VC,
// draft-ietf-oauth-sd-jwt-vc-18).
//
// The three roles each have one entry point:
//
//   - Issuer: [Issue] turns a JSON claim set and a disclosure policy (the
//     [Path]s that are selectively disclosable) into a signed SD-JWT in the
//     compact form <issuer-JWT>~<disclosure>~...~. [IssueVC] adds the SD-JWT
//     VC rules (typ dc+sd-jwt, vct, and the claims that must stay visible).
//   - Holder: [Parse] reads an SD-JWT into an [Unverified] value listing each
//     disclosure with its claim path; [Unverified.Select] keeps the
//     disclosures for the claims to reveal and [Unverified.Present] appends a
//     Key Binding JWT signed by the holder's [crypto.Signer].
//   - Verifier: [Verify] performs the checks of RFC 9901 §7 and returns a
//     [Verified] value, the only place the processed claims can be read.
//     [VerifyVC] adds the SD-JWT VC checks.
//
// # Security
//
// Verification never takes the algorithm from the token: the caller lists
// acceptable algorithms ([VerifyOptions.Algorithms]), "none" and HMAC are
// never accepted, and the algorithm must match the key type. JSON is decoded
// strictly (duplicate member names are rejected), base64url must be unpadded
// and canonical, and every size an attacker controls is capped (see
// [MaxTokenSize], [MaxDisclosures], [MaxDepth]).
//
// Errors are *[check.Error] values naming the failed [check.Check] and
// unwrap to one of the sentinel errors below, so callers branch with
// [errors.Is] and [errors.As].
//
// Claims can only be read from a [Verified]; an [Unverified] exposes what a
// holder needs to choose disclosures, and nothing in it has been checked.
package sdjwt
