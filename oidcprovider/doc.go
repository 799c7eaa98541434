// Package oidcprovider is "Login with IKD": an OpenID Connect Provider
// whose user authentication is an OpenID4VP presentation from the
// resident's wallet, for government portals and banks that integrate
// identity providers through OpenID Connect.
//
// The OAuth 2.0 / OpenID Connect protocol — discovery, the authorization
// code flow, PKCE, the token, UserInfo, revocation and end-session
// endpoints, ID token signing — is github.com/zitadel/oidc/v3 (an
// OpenID-certified provider library); this package supplies what it
// leaves to its user: the storage, the clients (registered by
// configuration), the login page, the user authentication and the claims.
//
// # Storage and several instances
//
// Config.Database is a SQLite file or a PostgreSQL DSN. Several provider
// instances may share one PostgreSQL database: codes, tokens, grants and
// withdrawals are in it. The OpenID4VP transaction of a login page lives in
// the memory of the instance that served the page, so a load balancer must
// send a login's /login… and /vp/… requests to that instance (sticky
// sessions on the login cookie or the path); every other endpoint may be
// served by any instance.
//
// # Login
//
// A relying party sends the browser to the authorization endpoint with a
// PKCE S256 code_challenge (required of every client, confidential or
// public) and an exactly registered redirect_uri. The login page shows a
// QR code of an OpenID4VP request (cross-device) and a link that opens the
// wallet on the same phone; the page learns the outcome without a reload
// and goes on to the relying party with the code. The request asks the
// wallet only for what the scopes need (see Scopes), plus the NIK, from
// which the subject is derived; the presentation is verified by package
// verifier with all its checks (trust list, signatures, holder binding,
// freshness, replay, status, policy).
//
// # Subject and claims
//
// sub is pairwise: HMAC-SHA-256 of the relying party's sector and the NIK
// under Config.PairwiseKey, so two relying parties cannot link a resident
// and sub reveals the NIK to nobody; the NIK itself is a claim only under
// the "nik" scope. amr is ["pop"] (proof of possession of the
// device-bound key of the credential, RFC 8176), the only fact an IKD
// presentation proves about the user's authentication; acr is
// AcrPossession. PIN or biometric user verification ("pin", "mfa") is
// never asserted: no presentation carries evidence of it.
//
// # Grants
//
// Each login is a grant: relying party, scopes, the claims released, when,
// until (Config.GrantTTL). The claims are stored with the grant and served
// from it (ID token, UserInfo) while it is active. The wallet learns of the
// grant through the request (internal/grantinfo, a verifier_info entry)
// and withdraws it at the grant endpoint with a DPoP proof by the key it
// presented; a withdrawn grant fails the next refresh and UserInfo call.
//
// # Times
//
// Grants, logins and presentations follow Config.Now; the lifetimes of
// tokens are zitadel's and follow the system clock.
//
// # Operating
//
// [Config.Logger] takes a *slog.Logger (server errors at Error, refused
// grant withdrawals at Debug; never a token, a code, a claim or a NIK;
// zitadel logs to slog.Default() regardless), and [Config.Metrics] a
// [Metrics]: every request by route name (the provider's "login",
// "grants", ..., the OpenID4VP "vp_request", "vp_response", ..., and
// zitadel's "authorize", "token", "userinfo", ...), finished logins
// ("login") and grant withdrawals ("withdraw_grant"). The verifications
// are reported by the Verifier's own Metrics. See docs/operations.md.
package oidcprovider
