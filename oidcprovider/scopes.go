package oidcprovider

import (
	"slices"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/oid4vp"
)

// The scopes of Login with IKD beyond "openid".
const (
	// ScopeProfile releases name and birthdate (OIDC Core §5.4), from
	// the KTP-el.
	ScopeProfile = "profile"
	// ScopeAddress releases the KTP-el address as the OIDC address claim.
	ScopeAddress = "address"
	// ScopeNIK releases the NIK as the claim "nik".
	ScopeNIK = "nik"
	// ScopeFamilyCard releases the family card (KK) number and the head
	// of family's name.
	ScopeFamilyCard = "family_card"
	// ScopeOfflineAccess asks for a refresh token (OIDC Core §11).
	ScopeOfflineAccess = "offline_access"
)

// Claims of the ID token and UserInfo beyond the standard ones.
const (
	ClaimNIK              = "nik"
	ClaimFamilyCardNumber = "family_card_number"
	ClaimHeadOfFamily     = "head_of_family_name"
)

// AcrPossession is the acr of every login: the resident presented a
// credential bound to a device key and proved possession of the key.
const AcrPossession = "urn:ikdkit:acr:ikd-possession"

// scope is what one scope asks of the wallet and releases.
type scope struct {
	vct    string   // the credential type it reads: a vct, or an mdoc doctype
	claims []string // the credential's claims to request
	// release maps the verified claims of that credential to the
	// claims released under the scope.
	release func(c map[string]any) map[string]any
}

// scopes are the claim-bearing scopes. "openid" and "offline_access"
// release nothing of their own.
var scopes = map[string]scope{
	ScopeProfile: {vct: credential.VCTKTPEL, claims: []string{"name", "birthdate"},
		release: func(c map[string]any) map[string]any {
			return pick(c, map[string]string{"name": "name", "birthdate": "birthdate"})
		}},
	ScopeAddress: {vct: credential.VCTKTPEL, claims: []string{"address"},
		release: func(c map[string]any) map[string]any {
			a, ok := c["address"].(map[string]any)
			if !ok {
				return nil
			}
			// OIDC Core §5.1.1: formatted, street_address, locality,
			// region, postal_code, country.
			return map[string]any{"address": pick(a, map[string]string{"formatted": "formatted",
				"street_address": "street_address", "locality": "locality", "region": "region", "country": "country"})}
		}},
	ScopeNIK: {vct: credential.VCTKTPEL, claims: []string{"personal_administrative_number"},
		release: func(c map[string]any) map[string]any {
			return pick(c, map[string]string{"personal_administrative_number": ClaimNIK})
		}},
	// The KK is asked as an mdoc: its holder_member element ties it to
	// the KTP-el by the holder's NIK (see tieClaims) without the rest of
	// the family, which an SD-JWT VC's members array would need. The trust
	// list must register the provider for the KK's holder_member too.
	ScopeFamilyCard: {vct: credential.DocTypeKK, claims: []string{"family_card_number", "head_of_family_name"},
		release: func(c map[string]any) map[string]any {
			return pick(c, map[string]string{"family_card_number": ClaimFamilyCardNumber, "head_of_family_name": ClaimHeadOfFamily})
		}},
}

// SupportedScopes are the scopes a Client may be allowed.
func SupportedScopes() []string {
	return []string{"openid", ScopeProfile, ScopeAddress, ScopeNIK, ScopeFamilyCard, ScopeOfflineAccess}
}

// pick copies the members of c named in names, renamed.
func pick(c map[string]any, names map[string]string) map[string]any {
	out := map[string]any{}
	for from, to := range names {
		if v, ok := c[from]; ok {
			out[to] = v
		}
	}
	return out
}

// tieClaims are, for each credential type besides the KTP-el, the claim
// that carries the holder's NIK: the verifier ties the credentials of one
// response, each bound to a one-time key of its own, by their NIKs.
var tieClaims = map[string]string{
	credential.DocTypeKK: "holder_member",
}

// queryFor is the DCQL query for the scopes: the KTP-el always (its NIK
// makes the subject), with the claims of every scope that reads it, and
// each other credential a scope reads, with the claim that ties it to the
// KTP-el's holder.
func queryFor(granted []string) (*oid4vp.Query, error) {
	claims := map[string][]string{credential.VCTKTPEL: {"personal_administrative_number"}}
	order := []string{credential.VCTKTPEL}
	for _, s := range granted {
		sc, ok := scopes[s]
		if !ok {
			continue
		}
		if _, seen := claims[sc.vct]; !seen {
			order = append(order, sc.vct)
			if tie, ok := tieClaims[sc.vct]; ok {
				claims[sc.vct] = append(claims[sc.vct], tie)
			}
		}
		for _, c := range sc.claims {
			if !slices.Contains(claims[sc.vct], c) {
				claims[sc.vct] = append(claims[sc.vct], c)
			}
		}
	}
	ids := map[string]string{credential.VCTKTPEL: "ktpel", credential.DocTypeKK: "kk"}
	q := &oid4vp.Query{}
	for _, typ := range order {
		cq := oid4vp.CredentialQuery{ID: ids[typ], Format: credential.FormatSDJWT, Meta: oid4vp.Meta{VCTValues: []string{typ}}}
		mdoc := typ != credential.VCTKTPEL
		if mdoc {
			cq.Format, cq.Meta = credential.FormatMdoc, oid4vp.Meta{DoctypeValue: typ}
		}
		for _, c := range claims[typ] {
			p := oid4vp.ClaimsPath{c}
			if mdoc {
				p = oid4vp.ClaimsPath{typ, c} // the doctype's own namespace
			}
			cq.Claims = append(cq.Claims, oid4vp.ClaimsQuery{Path: p})
		}
		q.Credentials = append(q.Credentials, cq)
	}
	return q, q.Validate()
}

// release is what the granted scopes release of the verified credentials
// (by type: their disclosed claims).
func release(granted []string, creds map[string]map[string]any) map[string]any {
	out := map[string]any{}
	for _, s := range granted {
		sc, ok := scopes[s]
		if !ok || creds[sc.vct] == nil {
			continue
		}
		for k, v := range sc.release(creds[sc.vct]) {
			out[k] = v
		}
	}
	return out
}
