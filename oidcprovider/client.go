package oidcprovider

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net/url"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	ijose "github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/keys"
)

// client is a Client as zitadel's op.Client.
type client struct {
	Client
	sector   string
	loginURL string
	idTTL    time.Duration
}

func newClient(c Client, loginURL string, idTTL time.Duration) (*client, error) {
	bad := func(format string, args ...any) (*client, error) {
		return nil, fmt.Errorf("%w: client %q: "+format, append([]any{ErrConfig, c.ID}, args...)...)
	}
	if c.ID == "" || len(c.ID) > 128 || c.Name == "" || len(c.Name) > 128 {
		return bad("ID and Name are 1 to 128 bytes")
	}
	if len(c.RedirectURIs) == 0 {
		return bad("no RedirectURIs")
	}
	for _, r := range append(slices.Clone(c.RedirectURIs), c.PostLogoutRedirectURIs...) {
		u, err := url.Parse(r)
		if err != nil || !u.IsAbs() || u.Fragment != "" || strictjson.CheckURL(r) != nil {
			return bad("redirect URI %q is not an https URL (http only on loopback) without fragment", r)
		}
	}
	for _, s := range c.Scopes {
		if !slices.Contains(SupportedScopes(), s) {
			return bad("scope %q is not supported", s)
		}
	}
	if c.Scopes == nil {
		c.Scopes = SupportedScopes()
	}
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
	out := &client{Client: c, sector: c.Sector, loginURL: loginURL, idTTL: idTTL}
	if out.sector == "" {
		out.sector = c.ID
	}
	return out, nil
}

var _ op.Client = (*client)(nil)

func (c *client) GetID() string                    { return c.ID }
func (c *client) RedirectURIs() []string           { return c.Client.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.Client.PostLogoutRedirectURIs }
func (c *client) ApplicationType() op.ApplicationType {
	if c.Secret == "" {
		return op.ApplicationTypeUserAgent
	}
	return op.ApplicationTypeWeb
}
func (c *client) AuthMethod() oidc.AuthMethod {
	if c.Secret == "" {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}
func (c *client) LoginURL(id string) string            { return c.loginURL + "?id=" + url.QueryEscape(id) }
func (c *client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration       { return c.idTTL }
func (c *client) DevMode() bool                        { return false }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }
func (c *client) IsScopeAllowed(s string) bool         { return slices.Contains(c.Scopes, s) }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// signingKey is the ID token key: an opaque signer, so that the private
// key may live in an HSM; the signature goes through ikdkit's one JWS
// implementation (internal/jose).
type signingKey struct {
	s   *ijose.Signer
	kid string
	pub *ecdsa.PublicKey
}

func newSigningKey(s crypto.Signer) (*signingKey, error) {
	pub, ok := s.Public().(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, fmt.Errorf("an ES256 (P-256) key is required")
	}
	js, err := ijose.NewSigner(s)
	if err != nil {
		return nil, err
	}
	kid, err := keys.Thumbprint(pub)
	if err != nil {
		return nil, err
	}
	return &signingKey{s: js, kid: kid, pub: pub}, nil
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.ES256 }
func (k *signingKey) ID() string                                  { return k.kid }
func (k *signingKey) Key() any                                    { return k }

// Public, Algs and SignPayload make the key a go-jose OpaqueSigner.
func (k *signingKey) Public() *jose.JSONWebKey {
	return &jose.JSONWebKey{Key: k.pub, KeyID: k.kid, Algorithm: string(jose.ES256), Use: "sig"}
}
func (k *signingKey) Algs() []jose.SignatureAlgorithm { return []jose.SignatureAlgorithm{jose.ES256} }
func (k *signingKey) SignPayload(payload []byte, alg jose.SignatureAlgorithm) ([]byte, error) {
	if alg != jose.ES256 {
		return nil, fmt.Errorf("oidcprovider: alg %s", alg)
	}
	return k.s.SignInput(rand.Reader, string(payload), nil, nil)
}

// publicKey is the ID token key as published at /keys.
type publicKey struct{ k *signingKey }

func (p publicKey) ID() string                         { return p.k.kid }
func (p publicKey) Algorithm() jose.SignatureAlgorithm { return jose.ES256 }
func (p publicKey) Use() string                        { return "sig" }
func (p publicKey) Key() any                           { return p.k.pub }
