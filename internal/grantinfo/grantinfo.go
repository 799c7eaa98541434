// Package grantinfo is the one piece of wire format between the IKD login
// provider (package oidcprovider) and the wallet (package holder) beyond
// OpenID4VP itself: the verifier_info entry (OpenID4VP 1.0 §5.11) by which
// the provider tells the wallet that the presentation it asks for signs a
// resident in to a relying party and becomes a standing authorisation (a
// grant) the resident can withdraw.
//
// The entry travels inside the provider's signed Request Object, so it is
// as authentic as the request. The wallet records the grant with the copy
// key(s) it presented; to withdraw it, the wallet sends
//
//	POST {grant_endpoint}
//	Content-Type: application/x-www-form-urlencoded
//	DPoP: <proof by a presented copy key; htm POST, htu grant_endpoint>
//
//	client_id=<the relying party>
//
// (RFC 9449 proof of possession, package oid4vci's NewDPoPProof and
// VerifyDPoPProof): only the device that signed in can withdraw, and the
// provider finds the grant by the key's JWK thumbprint. The provider
// answers 200 {"revoked":true}, 404 {"error":"invalid_grant"} when no
// grant of that client is bound to that key, or 400 with an OAuth error
// for a bad request or proof.
package grantinfo

import (
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/oid4vp"
)

// Format is the verifier_info format of a grant entry.
const Format = "ikdkit_login_grant"

// Limits of an entry.
const (
	maxSize   = 4096
	maxScopes = 32
	maxText   = 256
)

// Info describes the grant a login makes.
type Info struct {
	// Endpoint is the provider's https URL where the wallet withdraws
	// the grant.
	Endpoint string `json:"grant_endpoint"`
	// ClientID and ClientName identify the relying party.
	ClientID   string `json:"client_id"`
	ClientName string `json:"client_name"`
	// Scopes are the scopes the relying party asked for.
	Scopes []string `json:"scopes"`
	// ExpiresAt is when the grant ends unless withdrawn (Unix seconds).
	ExpiresAt int64 `json:"expires_at"`
}

// Until is ExpiresAt as a time.
func (i *Info) Until() time.Time { return time.Unix(i.ExpiresAt, 0).UTC() }

// VerifierInfo encodes i as a verifier_info entry.
func (i *Info) VerifierInfo() (oid4vp.VerifierInfo, error) {
	if err := i.check(); err != nil {
		return oid4vp.VerifierInfo{}, err
	}
	b, err := json.Marshal(i)
	if err != nil {
		return oid4vp.VerifierInfo{}, err
	}
	return oid4vp.VerifierInfo{Format: Format, Data: b}, nil
}

// Find returns the grant entry of a request's verifier_info, nil when it
// has none; more than one entry, or one that is malformed, is an error.
func Find(vi []oid4vp.VerifierInfo) (*Info, error) {
	var found *Info
	for _, v := range vi {
		if v.Format != Format {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("grantinfo: more than one %s entry", Format)
		}
		if len(v.Data) > maxSize {
			return nil, fmt.Errorf("grantinfo: entry over %d bytes", maxSize)
		}
		f, err := strictjson.DecodeFields("grant", v.Data, maxSize, 3, maxText)
		if err != nil {
			return nil, fmt.Errorf("grantinfo: %w", err)
		}
		i := &Info{
			Endpoint:   f.URL("grant_endpoint", true),
			ClientID:   f.Str("client_id", true),
			ClientName: f.Str("client_name", true),
			Scopes:     f.Strs("scopes", true, true, maxScopes),
			ExpiresAt:  f.Int("expires_at", true, 1, 1<<40),
		}
		if err := f.Err(); err != nil {
			return nil, fmt.Errorf("grantinfo: %w", err)
		}
		if err := i.check(); err != nil {
			return nil, err
		}
		found = i
	}
	return found, nil
}

func (i *Info) check() error {
	u, err := url.Parse(i.Endpoint)
	switch {
	case err != nil || strictjson.CheckURL(i.Endpoint) != nil || u.Fragment != "":
		return fmt.Errorf("grantinfo: grant_endpoint %.200q is not an https URL", i.Endpoint)
	case i.ClientID == "" || len(i.ClientID) > maxText || i.ClientName == "" || len(i.ClientName) > maxText:
		return fmt.Errorf("grantinfo: client_id and client_name are 1 to %d bytes", maxText)
	case len(i.Scopes) == 0 || len(i.Scopes) > maxScopes:
		return fmt.Errorf("grantinfo: 1 to %d scopes", maxScopes)
	case i.ExpiresAt <= 0:
		return fmt.Errorf("grantinfo: no expires_at")
	}
	return nil
}
